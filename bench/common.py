"""What the CPU benchmarks share: paths, the benchmark model's sizes, the
machine probes (peak_flops.c, membw.c) compiled and run on the spot, the
CPU facts and the seeded prompts; for the SmolLM2 benchmarks, the GGUF
file, running a tool and `txc-run generate`'s speed lines."""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GEN = os.path.join(ROOT, "test", "Frontend", "ONNX", "gen_models.py")
# The ~100M-parameter Llama-style model (gen_models.py flags).
CONFIG = dict(layers=8, hidden=768, heads=12, kv_heads=4, intermediate=2048,
              vocab=32000)


# `txc-run generate`'s lines on stderr.
PREFILL = re.compile(r"^prefill: .*\(([0-9.]+) tokens/s\)", re.M)
DECODE = re.compile(r"^decode: .* ([0-9.]+) ms/step", re.M)
KV = re.compile(r"^kv cache: (\w+), ([0-9]+) bytes/token", re.M)


def run(cmd):
    """Runs cmd; its CompletedProcess (text), or exits with its stderr."""
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"`{' '.join(cmd)}` exited with {r.returncode}:\n"
                 f"{r.stderr[-3000:]}")
    return r


def find_model():
    """SmolLM2-135M-Instruct's GGUF file (scripts/find-models)."""
    out = run([sys.executable, os.path.join(ROOT, "scripts", "find-models")])
    for line in out.stdout.splitlines():
        name, _, path = line.partition(" ")
        if name == "smollm2":
            return path
    sys.exit("SmolLM2 not found (scripts/setup installs it)")


def smollm2_tools(a):
    """What the SmolLM2 benchmarks start from, given their parsed arguments
    (--model, --build, --work): (model, txc, txc-run); makes the work
    folder."""
    os.makedirs(a.work, exist_ok=True)
    return (a.model or find_model(), os.path.join(a.build, "bin", "txc"),
            os.path.join(a.build, "bin", "txc-run"))


def probe(name, threads, work, runs=1):
    """Compiles bench/NAME.c (clang-22 -O2 -march=native -fopenmp), runs it
    `runs` times with `threads` threads and returns the largest of the last
    numbers it prints, or None when it cannot be built or run."""
    exe = os.path.join(work, name)
    src = os.path.join(ROOT, "bench", name + ".c")
    omp = "/usr/lib/llvm-22/lib"
    try:
        subprocess.run(["clang-22", "-O2", "-march=native", "-fopenmp", src,
                        "-o", exe, "-L" + omp, "-Wl,-rpath," + omp],
                       check=True, capture_output=True)
        best = None
        for _ in range(runs):
            out = subprocess.run([exe, str(threads)], check=True,
                                 capture_output=True, text=True).stdout
            value = float(out.split()[-1])
            best = value if best is None else max(best, value)
        return best
    except (OSError, subprocess.CalledProcessError, ValueError, IndexError):
        return None


def cpu_facts():
    """(CPU model, the vector ISA from /proc/cpuinfo's flags)."""
    model, flags = "unknown", set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "model name" and model == "unknown":
                    model = value.strip()
                elif key.strip() == "flags" and not flags:
                    flags = set(value.split())
    except OSError:
        pass
    isa = [f for f in ("avx512f", "avx512_vnni", "avx512_bf16", "avx_vnni",
                       "avx2", "fma") if f in flags]
    return model, " ".join(isa) or "no AVX2"


def measure_machine(threads, work, peak_runs=3, load=None, log=print):
    """cpu_facts, then bandwidth (membw.c, best of 3) and f32 FMA peak
    (peak_flops.c, best of `peak_runs`) in bytes/s and FLOP/s (None when
    not measured), with the `machine:` line printed (the load average when
    given). Returns (cpu, isa, bandwidth, peak)."""
    cpu, isa = cpu_facts()
    log("measuring the machine (bench/membw.c, bench/peak_flops.c)")
    bw = probe("membw", threads, work, runs=3)
    bw = bw * 1e9 if bw else None
    peak = probe("peak_flops", threads, work, runs=peak_runs)
    peak = peak * 1e9 if peak else None
    print(f"machine: {cpu}; ISA {isa}; {os.cpu_count()} cores, "
          f"{threads} threads; read bandwidth "
          + (f"{bw / 1e9:.1f} GB/s" if bw else "not measured")
          + "; f32 FMA peak "
          + (f"{peak / 1e9:.0f} GFLOP/s" if peak else "not measured")
          + (f"; load average {load:.2f}" if load is not None else ""),
          flush=True)
    return cpu, isa, bw, peak


def random_prompt(directory, context):
    """The seeded random prompt of `context` tokens (CONFIG's vocabulary)
    the decode benchmarks share, saved as DIRECTORY/prompt.npy; returns
    (prompt [1, context] int64, its path)."""
    import numpy as np
    os.makedirs(directory, exist_ok=True)
    rng = np.random.default_rng([0, context])
    prompt = rng.integers(0, CONFIG["vocab"], (1, context), dtype=np.int64)
    path = os.path.join(directory, "prompt.npy")
    np.save(path, prompt)
    return prompt, path
