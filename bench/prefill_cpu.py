#!/usr/bin/env python3
"""Prefill benchmark: txc vs onnxruntime on the same ~100M-parameter
Llama-style ONNX model and inputs, in one run.

usage: bench/prefill_cpu.py [--build build] [--seq 128 512] [--threads N]
                            [--runs 10] [--rounds 3] [--work /tmp/txc-bench]

For each sequence length: generates the model (test/Frontend/ONNX/
gen_models.py: hidden 768, 8 layers, 12 query / 4 KV heads, SwiGLU 2048,
vocab 32000, fp32, batch 1), compiles it with txc, times `txc-run --bench`
and onnxruntime (all graph optimizations, same thread count), checks the
outputs agree, and prints both medians, the ratio (onnxruntime time / txc
time: > 1 means txc is faster; each is the median over --rounds rounds that
alternate the two, of the median of --runs runs) and the fraction of the machine's peak fp32
FLOP/s each reaches. The peak is measured (bench/peak_flops.c: independent
FMA chains on every thread, compiled with clang-22 -march=native); without
a compiler it is estimated as threads x GHz x FLOP/cycle of the vector
width, which ignores turbo.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

import numpy as np

from common import CONFIG, GEN, ROOT, probe


def measured_peak(threads, work):
    """GFLOP/s of FMA chains on `threads` threads, or None."""
    value = probe("peak_flops", threads, work, runs=1)
    return None if value is None else value * 1e9


def estimated_peak(threads):
    flags, mhz = "", []
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags") and not flags:
                flags = line
            if line.startswith("cpu MHz"):
                mhz.append(float(line.split(":")[1]))
    per_cycle = 64 if "avx512f" in flags else 32 if "fma" in flags else 8
    return threads * (max(mhz) if mhz else 2000) * 1e6 * per_cycle


def model_flops(seq):
    c = CONFIG
    d, kv = c["hidden"], c["hidden"] * c["kv_heads"] // c["heads"]
    per_layer = 2 * seq * (2 * d * d + 2 * d * kv + 3 * d * c["intermediate"])
    attention = 4 * seq * seq * d  # QK^T and PV (full, not causal-halved)
    return c["layers"] * (per_layer + attention) + 2 * seq * d * c["vocab"]


def bench_ort(model, feeds, threads, runs, sess=None):
    import onnxruntime as ort
    if sess is None:
        so = ort.SessionOptions()
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        so.intra_op_num_threads = threads
        sess = ort.InferenceSession(model, so,
                                    providers=["CPUExecutionProvider"])
    out = sess.run(None, feeds)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        sess.run(None, feeds)
        times.append((time.perf_counter() - t0) * 1e3)
    return out[0], statistics.median(times), sess


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--seq", type=int, nargs="+", default=[128, 512])
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--runs", type=int, default=10,
                    help="timed runs per round (after one warm-up)")
    ap.add_argument("--rounds", type=int, default=3,
                    help="rounds alternating txc and onnxruntime")
    ap.add_argument("--work", default="/tmp/txc-bench")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    peak = measured_peak(args.threads, args.work)
    how = "measured"
    if peak is None:
        peak, how = estimated_peak(args.threads), "estimated"
    print(f"machine: {os.cpu_count()} cores, {args.threads} threads, "
          f"{how} fp32 peak {peak / 1e9:.0f} GFLOP/s")
    for seq in args.seq:
        d = os.path.join(args.work, f"seq{seq}")
        os.makedirs(d, exist_ok=True)
        model = os.path.join(d, "llama100m.onnx")
        inputs = os.path.join(d, "inputs.npz")
        cmd = [sys.executable, GEN, "llama", "-o", model, "--inputs", inputs,
               "--external-data", "--batch", "1", "--seq", str(seq),
               "--max-pos", str(max(2048, seq))]
        for k, v in CONFIG.items():
            cmd += ["--" + k.replace("_", "-"), str(v)]
        subprocess.run(cmd, check=True, capture_output=True)
        so = os.path.join(d, "out", "model.so")
        t0 = time.perf_counter()
        subprocess.run([os.path.join(args.build, "bin", "txc"), model, "-q",
                        "-o", so], check=True)
        compile_s = time.perf_counter() - t0
        feeds = dict(np.load(inputs))
        run = [os.path.join(args.build, "bin", "txc-run"), so,
               "--threads", str(args.threads), "--out-dir",
               os.path.join(d, "results"), "--bench", str(args.runs)]
        for k, v in feeds.items():
            p = os.path.join(d, k + ".npy")
            np.save(p, v)
            run += ["--in", f"{k}={p}"]
        # Alternate the two in rounds so that a noisy spell on the shared
        # machine hits both; report the median of the per-round medians.
        txc_rounds, ort_rounds = [], []
        sess = None
        for _ in range(args.rounds):
            r = subprocess.run(run, check=True, capture_output=True, text=True)
            m = re.search(r"median ([0-9.]+) ms", r.stdout + r.stderr)
            txc_rounds.append(float(m.group(1)))
            ref, ort_ms, sess = bench_ort(model, feeds, args.threads,
                                          args.runs, sess)
            ort_rounds.append(ort_ms)
        txc_ms = statistics.median(txc_rounds)
        ort_ms = statistics.median(ort_rounds)
        got = np.load(os.path.join(d, "results", "logits.npy"))
        err = float(np.max(np.abs(got - ref)))
        flops = model_flops(seq)
        pct = lambda ms: flops / (ms / 1e3) / peak * 100
        print(f"seq {seq}: txc {txc_ms:.1f} ms ({pct(txc_ms):.1f}% "
              f"of peak), onnxruntime {ort_ms:.1f} ms "
              f"({pct(ort_ms):.1f}% of peak), "
              f"ratio ort/txc = {ort_ms / txc_ms:.3f}; max |diff| {err:.1e}; "
              f"compile {compile_s:.1f} s")


if __name__ == "__main__":
    main()
