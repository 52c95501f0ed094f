#!/usr/bin/env python3
"""Quantized decode benchmark: txc with quantized weights (`txc --quantize`)
vs onnxruntime fp32 and onnxruntime int4 (its own MatMulNBits quantizer) on
the same ~100M-parameter Llama-style ONNX decode model, in one run; and txc
prefill with int8 weights vs f32.

usage: bench/quant_cpu.py [--build build] [--contexts 128 1024]
                          [--new-tokens 32] [--formats int8 int4 fp8 nvfp4
                          mxfp4] [--quant-group 32] [--prefill 512]
                          [--threads N] [--rounds 3]
                          [--work /tmp/txc-bench-quant] [--json FILE]
                          [--quick]

The model is decode_cpu.py's (test/Frontend/ONNX/gen_models.py llama
--past-kv --dynamic: hidden 768, 8 layers, 12 query / 4 KV heads, SwiGLU
2048, vocab 32000, fp32, batch 1, an untied LM head). Engines:

  txc FORMAT   `txc MODEL -q --max-seq S --quantize=FORMAT [--quant-group
               G]` for each of --formats (G, default 32, for int8, int4,
               int2 and fp8; nvfp4 has its blocks of 16 and mxfp4 of 32),
               and `txc f32`: the same without --quantize (the dense
               baseline, always measured). txc quantizes every linear
               layer's weight round-to-nearest, symmetric, the LM head
               included; the token embedding (a Gather) stays f32. One
               library per format, S = the longest test + 64 (the decode
               attention reads only the filled cache positions, so one
               capacity serves every context). Decode: `txc-run LIB generate
               --prompt-ids prompt.npy --max-new-tokens N --greedy --threads
               T`, the ms/step of its `decode:` line (N - 1 steps after the
               prefill, which is not counted).
  ort fp32     onnxruntime on the original model file, run as decode_cpu.py
               runs it (all graph optimizations, intra_op_num_threads T; a
               prefill of the prompt, not timed, then per round one untimed
               warm-up step and N - 1 timed greedy steps feeding present.*
               back as past; the median step).
  ort int4     the same, on the model quantized by onnxruntime's own
               `onnxruntime.quantization.matmul_nbits_quantizer.
               MatMulNBitsQuantizer` (4 bits, block_size 32, is_symmetric
               True, accuracy_level 4, op_types_to_quantize MatMul): every
               MatMul with a constant weight, the LM head included, becomes
               a MatMulNBits -- the matrices txc quantizes. accuracy_level 4
               makes onnxruntime's CPU kernel round the activations to int8
               per block and use integer dot products, the numerics of
               txc's kernels (activations rounded to int8 per 32 values
               with a max-abs scale); the levels below it multiply in f32
               or f16/bf16 instead. Whether the LM head is quantized is
               checked and printed for both sides: on the txc side by the
               weights file (the LM head's weight stored as `.codes` +
               `.scales`), on onnxruntime's by a MatMulNBits producing
               `logits` in the quantized graph.

For each context length C of --contexts (a seeded random prompt of C
tokens) the rounds (--rounds) run every engine once, in the order above;
each engine's figure is the median over the rounds, whose own figures close
its line (on a shared machine a spell of someone else's work shows as one
slow round). Per engine the table gives ms/step, the ratios ort fp32 time /
its time and ort int4 time / its time (> 1: faster than that onnxruntime),
and the bytes one token reads: the weights as stored (every tensor of txc's
weights file -- quantized codes + scales, norms, and f32 for the rest -- or
every initializer of the ONNX file; a table only gathered from, the token
embedding, counts one row) plus the f32 KV cache at context C,
2 x layers x kv_heads x C x head_dim x 4 bytes; that over the time in GB/s,
as a share of the machine's read bandwidth (bench/membw.c, best of 3) and
as a share of the machine's ceiling min(bandwidth / bytes, peak / FLOP)
tokens/s, where FLOP = 2 x the linear weights' elements + 4 x C x hidden x
layers (attention) and the peak is the f32 FMA peak of bench/peak_flops.c
(best of 3; the int8 dot products of the quantized kernels have another
peak; on a quiet machine decode is bandwidth-bound, so the first term
decides). Weights that stay in
a large last-level cache can make a share exceed 100%. The greedy tokens of
each txc format are compared with txc f32's, and ort int4's with ort fp32's
(`same`, or the first step where they part) -- informational: quantization
legitimately changes near ties of a random-weight model.

Prefill: tokens/s of txc prefilling a --prefill-token prompt (default 512)
with --quantize=int8 vs txc f32, the same libraries and threads: `txc-run
LIB generate --prompt-ids <P ids> --max-new-tokens 1 --repeat 2`, the
`prefill:` tokens/s of the second run, rounds alternating the two; with
each as a share of the f32 FMA peak (prefill_cpu.py's FLOP count; int8 dot
products have a higher peak).

The goals from issue 15 are checked and printed at the end: int4 decode
>= 4x ort fp32 and >= 1.3x ort int4 at >= 70% of the measured bandwidth;
int8 prefill faster than f32 prefill. The machine's load average is printed
before and after (the machines are shared).

--quick: context 128, 8 new tokens, prefill 128, 1 round (a smoke test).
--json FILE: every figure, round and machine fact.
"""
import argparse
import json
import logging
import os
import re
import statistics
import struct
import subprocess
import sys
import time

import numpy as np

from common import CONFIG, GEN, ROOT, measure_machine, random_prompt
from decode_cpu import OrtDecoder, kv_bytes, weight_bytes
from prefill_cpu import model_flops

MARGIN = 64  # cache positions beyond the longest test
TXC_FORMATS = ["f32", "f16", "bf16", "int8", "int4", "int2", "fp8", "nvfp4",
               "mxfp4"]
GROUPED = {"int8", "int4", "int2", "fp8"}  # formats --quant-group applies to
DECODE = re.compile(r"^decode: .* ([0-9.]+) ms/step", re.M)
PREFILL = re.compile(r"^prefill: .*\(([0-9.]+) tokens/s\)", re.M)


def log(msg):
    print(f"[quant_cpu] {msg}", file=sys.stderr, flush=True)


def load():
    """The 1-minute load average, or None."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


# --- the model --------------------------------------------------------------

def gathered_tables(model):
    """Initializers that only a Gather reads (the token embedding)."""
    import onnx
    m = onnx.load(model, load_external_data=False)
    gathered = {n.input[0] for n in m.graph.node if n.op_type == "Gather"}
    other = {i for n in m.graph.node if n.op_type != "Gather"
             for i in n.input}
    return {t.name for t in m.graph.initializer
            if t.name in gathered and t.name not in other and t.dims}


def lm_head_weight(model):
    """The initializer the MatMul producing `logits` multiplies by."""
    import onnx
    m = onnx.load(model, load_external_data=False)
    inits = {t.name for t in m.graph.initializer}
    for n in m.graph.node:
        if "logits" in n.output and n.op_type == "MatMul":
            return next((i for i in n.input if i in inits), None)
    return None


def ort_lm_head_quantized(model):
    """Whether a MatMulNBits produces `logits` in the quantized graph."""
    import onnx
    m = onnx.load(model, load_external_data=False)
    return any(n.op_type == "MatMulNBits" and "logits" in n.output
               for n in m.graph.node)


def linear_elements():
    """Elements of every linear weight (the LM head included)."""
    c = CONFIG
    d = c["hidden"]
    kv = d * c["kv_heads"] // c["heads"]
    layer = 2 * d * d + 2 * d * kv + 3 * d * c["intermediate"]
    return c["layers"] * layer + d * c["vocab"]


def decode_flops(context):
    c = CONFIG
    return 2 * linear_elements() + 4 * context * c["hidden"] * c["layers"]


def ort_quantize(model, out):
    """The model quantized by onnxruntime's MatMulNBitsQuantizer (int4,
    blocks of 32, symmetric, accuracy_level 4), saved to `out`."""
    import onnx
    from onnxruntime.quantization.matmul_nbits_quantizer import \
        MatMulNBitsQuantizer
    logging.getLogger("onnxruntime.quantization").setLevel(logging.WARNING)
    q = MatMulNBitsQuantizer(onnx.load(model), bits=4, block_size=32,
                             is_symmetric=True, accuracy_level=4,
                             op_types_to_quantize=("MatMul",))
    q.process()
    if os.path.exists(out + ".data"):
        os.remove(out + ".data")
    q.model.save_model_to_file(out, use_external_data_format=True)
    return sum(n.op_type == "MatMulNBits" for n in q.model.model.graph.node)


# --- txc --------------------------------------------------------------------

def safetensors_header(path):
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        return json.loads(f.read(size))


def txc_weights(lib, gathered, lm_head):
    """(bytes a step reads, bytes of the file's tensors, whether the LM head
    is stored quantized, {codes/scales dtype}) from txc's weights file."""
    header = safetensors_header(
        os.path.join(os.path.dirname(lib), "model.safetensors"))
    read = total = 0
    dtypes = {}
    lm_quantized = False
    for name, t in header.items():
        if name == "__metadata__":
            continue
        size = t["data_offsets"][1] - t["data_offsets"][0]
        total += size
        base = name.split(".T.")[0] if ".T." in name else name
        if base in gathered and t["shape"]:
            size //= t["shape"][0]
        read += size
        for part in ("codes", "scales", "zeros"):
            if name.endswith("." + part):
                dtypes.setdefault(part, set()).add(t["dtype"])
                if lm_head and name.startswith(lm_head + "."):
                    lm_quantized = True
    return read, total, lm_quantized, {k: "/".join(sorted(v))
                                       for k, v in dtypes.items()}


def txc_compile(build, model, fmt, group, max_seq, lib):
    """Compiles one library; (seconds, None) or (None, the failure)."""
    cmd = [os.path.join(build, "bin", "txc"), model, "-q", "--max-seq",
           str(max_seq), "-o", lib]
    if fmt != "f32":
        cmd.append(f"--quantize={fmt}")
        if fmt in GROUPED:
            cmd.append(f"--quant-group={group}")
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        return None, (f"`{' '.join(cmd)}` exited with {r.returncode}:\n"
                      f"{r.stderr[-3000:]}")
    return time.perf_counter() - t0, None


def txc_generate(build, lib, prompt, new_tokens, threads, out=None,
                 repeat=1):
    """txc-run generate; (stderr, None) or (None, the failure)."""
    cmd = [os.path.join(build, "bin", "txc-run"), lib, "generate",
           "--prompt-ids", prompt, "--max-new-tokens", str(new_tokens),
           "--greedy", "--threads", str(threads), "--repeat", str(repeat)]
    if out:
        cmd += ["--out", out]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        return None, (f"`{' '.join(cmd)}` exited with {r.returncode}:\n"
                      f"{r.stderr[-3000:]}")
    return r.stderr, None


def compare(got, want):
    part = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b),
                None)
    if part is None:
        return "same" if len(got) == len(want) else "same (shorter)"
    return f"step {part}"


# --- the benchmark ----------------------------------------------------------

def table(head, rows):
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
    for r in [head] + rows:
        print("  ".join(c.rjust(w) if j else c.ljust(w)
                        for j, (c, w) in enumerate(zip(r, widths))),
              flush=True)


def main():
    ap = argparse.ArgumentParser(
        description="txc quantized decode vs onnxruntime fp32 and int4 (CPU)")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"),
                    help="txc's build directory (bin/txc, bin/txc-run)")
    ap.add_argument("--contexts", type=int, nargs="+", default=[128, 1024],
                    help="prompt lengths the decode steps follow")
    ap.add_argument("--new-tokens", type=int, default=32,
                    help="tokens generated (the first by the prefill)")
    ap.add_argument("--formats", nargs="+",
                    default=["int8", "int4", "fp8", "nvfp4", "mxfp4"],
                    choices=TXC_FORMATS,
                    help="txc --quantize formats (f32, no --quantize, is "
                    "always measured)")
    ap.add_argument("--quant-group", type=int, default=32,
                    help="txc --quant-group for int8, int4, int2 and fp8")
    ap.add_argument("--prefill", type=int, default=512,
                    help="prompt length of the int8 vs f32 prefill test "
                    "(0: skip it)")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--rounds", type=int, default=3,
                    help="rounds running every engine once")
    ap.add_argument("--work", default="/tmp/txc-bench-quant")
    ap.add_argument("--json", help="write the results to this file")
    ap.add_argument("--quick", action="store_true",
                    help="context 128, 8 new tokens, prefill 128, 1 round")
    args = ap.parse_args()
    if args.quick:
        args.contexts, args.new_tokens, args.rounds = [128], 8, 1
        args.prefill = min(args.prefill, 128)
    if args.new_tokens < 2:
        ap.error("--new-tokens must be at least 2 (one prefill, one decode)")
    if args.rounds < 1 or args.threads < 1 or min(args.contexts) < 1 or \
            args.prefill < 0 or args.quant_group < 0:
        ap.error("--rounds, --threads and --contexts must be >= 1, "
                 "--prefill and --quant-group >= 0")
    formats = ["f32"] + [f for f in dict.fromkeys(args.formats)
                         if f != "f32"]
    os.makedirs(args.work, exist_ok=True)
    load_before = load()

    cpu, isa, bw, peak = measure_machine(args.threads, args.work,
                                         load=load_before, log=log)

    model = os.path.join(args.work, "llama100m-decode.onnx")
    cmd = [sys.executable, GEN, "llama", "--past-kv", "--dynamic",
           "--external-data", "--batch", "1", "-o", model]
    for k, v in CONFIG.items():
        cmd += ["--" + k.replace("_", "-"), str(v)]
    log("generating the model")
    subprocess.run(cmd, check=True, capture_output=True)
    gathered = gathered_tables(model)
    lm_head = lm_head_weight(model)
    ort_read, ort_total = weight_bytes(model)

    log("quantizing it with onnxruntime's MatMulNBitsQuantizer")
    q4 = os.path.join(args.work, "llama100m-decode-q4.onnx")
    n_q4 = ort_quantize(model, q4)
    q4_read, q4_total = weight_bytes(q4)
    q4_lm = ort_lm_head_quantized(q4)

    max_seq = max([c + args.new_tokens for c in args.contexts]
                  + [args.prefill + 1]) + MARGIN
    libs, facts, compile_s, failures = {}, {}, {}, {}
    for fmt in formats:
        lib = os.path.join(args.work, fmt, "model.so")
        log(f"compiling txc {fmt}")
        secs, err = txc_compile(args.build, model, fmt, args.quant_group,
                                max_seq, lib)
        if err:
            failures[fmt] = err
            log(f"txc {fmt} FAILED: {err}")
            continue
        libs[fmt], compile_s[fmt] = lib, secs
        facts[fmt] = txc_weights(lib, gathered, lm_head)
    if "f32" not in libs:
        sys.exit("txc f32 (the baseline) failed to compile:\n"
                 + failures["f32"])

    print(f"model: {ort_total / 1e6:.1f} MB of fp32 weights "
          f"({linear_elements() / 1e6:.1f}M linear weights), "
          f"{args.new_tokens} new tokens, rounds {args.rounds}, txc "
          f"--max-seq {max_seq}", flush=True)
    for fmt in libs:
        read, total, lm_q, dtypes = facts[fmt]
        kinds = ", ".join(f"{k} {v}" for k, v in dtypes.items())
        grp = (f", group {args.quant_group}" if fmt in GROUPED else "")
        print(f"  txc {fmt}: {total / 1e6:.1f} MB of weights"
              + (f" ({kinds}{grp})" if kinds else "")
              + (f", LM head quantized: {'yes' if lm_q else 'no'}"
                 if fmt != "f32" else "")
              + f"; compile {compile_s[fmt]:.1f} s", flush=True)
    print(f"  ort int4: {q4_total / 1e6:.1f} MB of weights ({n_q4} "
          f"MatMulNBits, block 32, symmetric, accuracy_level 4), LM head "
          f"quantized: {'yes' if q4_lm else 'no'}", flush=True)
    for fmt, err in failures.items():
        print(f"  txc {fmt}: FAILED to compile: {err}", flush=True)

    log("loading the onnxruntime sessions")
    ort = {"ort fp32": OrtDecoder(model, args.threads),
           "ort int4": OrtDecoder(q4, args.threads)}
    ort_bytes = {"ort fp32": ort_read, "ort int4": q4_read}
    steps = args.new_tokens - 1
    results = []
    for context in args.contexts:
        d = os.path.join(args.work, f"ctx{context}")
        prompt, prompt_path = random_prompt(d, context)
        log(f"context {context}: onnxruntime prefills (not timed)")
        past = {}
        for name, dec in ort.items():
            logits, kv = dec.prefill(prompt)
            past[name] = (int(np.argmax(logits[0])), kv)
        rounds = {f"txc {f}": [] for f in libs}
        rounds.update({name: [] for name in ort})
        tokens = {}
        for i in range(args.rounds):
            log(f"context {context}: round {i + 1} of {args.rounds}")
            for fmt in list(libs):
                out = os.path.join(d, f"tokens-{fmt}.npy")
                err_out, err = txc_generate(args.build, libs[fmt],
                                            prompt_path, args.new_tokens,
                                            args.threads, out)
                m = DECODE.search(err_out) if err_out else None
                if err or not m:
                    failures[fmt] = err or (
                        f"no decode line in txc-run's output:\n{err_out}")
                    log(f"txc {fmt} FAILED: {failures[fmt]}")
                    del libs[fmt], rounds[f"txc {fmt}"]
                    continue
                rounds[f"txc {fmt}"].append(float(m.group(1)))
                tokens[f"txc {fmt}"] = np.load(out)[0].tolist()
            for name, dec in ort.items():
                first, kv = past[name]
                toks, ms = dec.decode(first, context, kv, steps)
                rounds[name].append(ms)
                tokens[name] = [first] + toks
        med = {k: statistics.median(v) for k, v in rounds.items() if v}
        kv = kv_bytes(context)
        flops = decode_flops(context)
        print(f"\ndecode at context {context} ({args.new_tokens} new "
              f"tokens, {args.threads} threads; KV cache "
              f"{kv / 1e6:.1f} MB/token):", flush=True)
        rows = []
        for name, ms in med.items():
            fmt = name[4:] if name.startswith("txc ") else None
            wbytes = facts[fmt][0] if fmt else ort_bytes[name]
            per_token = wbytes + kv
            rate = per_token / (ms / 1e3)
            bw_share = rate / bw if bw else None
            ceiling = min(bw / per_token if bw else float("inf"),
                          peak / flops if peak else float("inf"))
            ceil_share = (1e3 / ms) / ceiling \
                if ceiling != float("inf") else None
            ref = ("txc f32" if fmt else "ort fp32")
            same = "-" if name == ref else compare(tokens[name],
                                                   tokens[ref])
            ratio32 = med["ort fp32"] / ms
            ratio4 = med["ort int4"] / ms
            rows.append([name, f"{ms:.2f}", f"{ratio32:.2f}",
                         f"{ratio4:.2f}", f"{per_token / 1e6:.1f}",
                         f"{rate / 1e9:.1f}",
                         "-" if bw_share is None else f"{bw_share * 100:.0f}",
                         "-" if ceil_share is None
                         else f"{ceil_share * 100:.0f}",
                         "-" if name == ref else f"{same} vs {ref}",
                         "/".join(f"{v:.1f}" for v in rounds[name])])
            results.append(dict(
                test="decode", context=context, engine=name, ms_per_step=ms,
                vs_ort_fp32=ratio32, vs_ort_int4=ratio4,
                bytes_per_token=per_token, weight_bytes_per_token=wbytes,
                kv_bytes_per_token=kv, gb_per_s=rate / 1e9,
                bandwidth_share=bw_share, ceiling_share=ceil_share,
                flops_per_token=flops, tokens=tokens[name],
                tokens_vs=None if name == ref else ref,
                tokens_compared=None if name == ref else same,
                rounds=rounds[name]))
        table(["engine", "ms/step", "vs ort fp32", "vs ort int4", "MB/token",
               "GB/s", "% bw", "% ceil", "greedy tokens", "rounds (ms)"],
              rows)

    prefill = {}
    if args.prefill and "int8" in libs:
        log(f"prefill {args.prefill}: txc int8 vs txc f32")
        ids = np.random.default_rng([1, args.prefill]).integers(
            0, CONFIG["vocab"], (1, args.prefill), dtype=np.int64)
        ids_path = os.path.join(args.work, f"prefill{args.prefill}.npy")
        np.save(ids_path, ids)
        prefill = {"f32": [], "int8": []}
        for i in range(args.rounds):
            for fmt in prefill:
                err_out, err = txc_generate(args.build, libs[fmt], ids_path,
                                            1, args.threads, repeat=2)
                found = PREFILL.findall(err_out) if err_out else []
                if err or not found:
                    sys.exit(f"txc {fmt} prefill failed: " + (err or (
                        f"no prefill line in txc-run's output:\n"
                        f"{err_out}")))
                prefill[fmt].append(float(found[-1]))
        flops = model_flops(args.prefill)
        print(f"\nprefill of {args.prefill} tokens ({args.threads} "
              f"threads; txc-run generate --max-new-tokens 1 --repeat 2, "
              f"the second run):", flush=True)
        rows = []
        base = statistics.median(prefill["f32"])
        for fmt, vals in prefill.items():
            ts = statistics.median(vals)
            share = flops / (args.prefill / ts) / peak if peak else None
            rows.append([f"txc {fmt}", f"{ts:.1f}", f"{ts / base:.2f}",
                         "-" if share is None else f"{share * 100:.0f}",
                         "/".join(f"{v:.0f}" for v in vals)])
            results.append(dict(test="prefill", prompt=args.prefill,
                                engine=f"txc {fmt}", tokens_per_s=ts,
                                vs_txc_f32=ts / base, f32_peak_share=share,
                                rounds=vals))
        table(["engine", "tokens/s", "vs txc f32", "% f32 peak",
               "rounds (tokens/s)"], rows)

    # The goals against the medians.
    print("\ngoals (issue 15):", flush=True)
    goals = []
    for r in results:
        if r["test"] == "decode" and r["engine"] == "txc int4":
            c = r["context"]
            goals += [
                (f"int4 decode @{c} >= 4x ort fp32", r["vs_ort_fp32"], 4.0),
                (f"int4 decode @{c} >= 1.3x ort int4", r["vs_ort_int4"],
                 1.3)]
            if r["bandwidth_share"] is not None:
                goals.append((f"int4 decode @{c} >= 70% of bandwidth",
                              r["bandwidth_share"], 0.7))
        if r["test"] == "prefill" and r["engine"] == "txc int8":
            goals.append((f"int8 prefill {args.prefill} faster than f32",
                          r["vs_txc_f32"], 1.0 + 1e-9))
    for what, value, need in goals:
        shown = f"{value * 100:.0f}%" if "%" in what else f"{value:.2f}x"
        print(f"  {what}: {shown} -- {'met' if value >= need else 'MISSED'}",
              flush=True)
    load_after = load()
    print(f"threads {args.threads}, ISA {isa}, CPU {cpu}; load average "
          + (f"{load_before:.2f} before, {load_after:.2f} after"
             if load_before is not None and load_after is not None
             else "unknown"), flush=True)
    for fmt, err in failures.items():
        print(f"txc {fmt} FAILED: {err}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(
                machine=dict(cpu=cpu, isa=isa, cores=os.cpu_count(),
                             threads=args.threads, read_bandwidth=bw,
                             f32_peak_flops=peak, load_before=load_before,
                             load_after=load_after),
                model=dict(config=CONFIG, fp32_bytes=ort_total,
                           fp32_read_per_token=ort_read,
                           ort_int4_bytes=q4_total,
                           ort_int4_read_per_token=q4_read,
                           ort_int4_lm_head_quantized=q4_lm,
                           ort_int4_matmulnbits=n_q4),
                txc={fmt: dict(read_per_token=facts[fmt][0],
                               bytes=facts[fmt][1],
                               lm_head_quantized=facts[fmt][2],
                               dtypes=facts[fmt][3],
                               compile_s=compile_s[fmt])
                     for fmt in facts},
                quant_group=args.quant_group, max_seq=max_seq,
                new_tokens=args.new_tokens, rounds=args.rounds,
                results=results,
                goals=[dict(goal=w, value=v, met=v >= n)
                       for w, v, n in goals],
                failures=failures), f, indent=2)
        log(f"results written to {args.json}")


if __name__ == "__main__":
    main()
