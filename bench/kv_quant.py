#!/usr/bin/env python3
"""KV-cache format benchmark: SmolLM2-135M decode time per token at a long
context with the cache stored as f32, int8, fp8 or int4 (KIVI; `txc
--kv-quant`), and
optionally the quality each format gives (`txc-run eval`).

usage: bench/kv_quant.py [--build build] [--model SmolLM2.gguf]
                         [--context 4096] [--new-tokens 16]
                         [--formats f32 int8 fp8 int4] [--threads N]
                         [--rounds 3] [--quality] [--eval-tokens 1024]
                         [--work /tmp/txc-bench-kv] [--json FILE] [--quick]

The model is SmolLM2-135M-Instruct's GGUF (scripts/find-models; 30 layers,
3 KV heads of 64), compiled once per format with `txc MODEL -q --max-seq C
--kv-quant=FORMAT` (the weights as txc compiles the GGUF by default, the
same for every format). Decode: a seeded random prompt of C - N tokens,
then `txc-run LIB generate --prompt-ids prompt.npy --max-new-tokens N
--greedy --threads T`, the ms/step of its `decode:` line (the N - 1 steps
after the prefill, at contexts C - N .. C). Rounds (--rounds) run every
format once, in order, alternating; each format's figure is the median of
its rounds, whose own figures close its line.

Bytes per token: the weights file (every tensor the decode step reads) plus
the KV cache at context C, C x the bytes per position `txc-run generate`
reports (`kv cache:` line: 2 x layers x kv_heads x head_dim x 4 for f32,
x (head_dim + 4) for int8 / fp8: codes and a scale per row; int4: slots of
head_dim / 2 + 8 head_dim / 32 bytes plus the f32 buffer of recent tokens
spread over the capacity); that over the
time in GB/s, as a share of the machine's read bandwidth (bench/membw.c,
best of 3). The greedy tokens of each format are compared with f32's
(`same`, or the first step where they part: informational).

--quality: `txc-run LIB eval --text /usr/share/common-licenses/GPL-3
--max-tokens E --reference F32LIB` per quantized format (windows of 512
through the prefill step, which reads the cache each chunk has written):
perplexity, top-1 agreement and KL against the f32 cache.

The goal from issue 15 is checked and printed: the quantized caches decode
no slower than f32 at context 4096, at about a quarter (int8, fp8) or a
fifth (int4) of the cache's bytes.
--quick: context 512, 8 new tokens, 1 round, eval 256 tokens.
"""
import argparse
import json
import os
import re
import statistics
import sys

import numpy as np

from common import DECODE, KV, ROOT, cpu_facts, probe, run, smollm2_tools

EVAL = {k: re.compile(rf"^{k}: ([0-9.e+-]+)", re.M)
        for k in ("perplexity", "top1-agreement", "kl")}
TEXT = "/usr/share/common-licenses/GPL-3"


def log(msg):
    print(f"[kv_quant] {msg}", file=sys.stderr, flush=True)


def weights_bytes(lib):
    """Bytes of the weights file next to the library (largest other file)."""
    d = os.path.dirname(lib)
    sizes = [os.path.getsize(os.path.join(d, f)) for f in os.listdir(d)
             if not f.endswith(".so")]
    return max(sizes) if sizes else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--model")
    ap.add_argument("--context", type=int, default=4096)
    ap.add_argument("--new-tokens", type=int, default=16)
    ap.add_argument("--formats", nargs="+",
                    default=["f32", "int8", "fp8", "int4"])
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quality", action="store_true")
    ap.add_argument("--eval-tokens", type=int, default=1024)
    ap.add_argument("--work", default="/tmp/txc-bench-kv")
    ap.add_argument("--json")
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    if a.quick:
        a.context, a.new_tokens, a.rounds, a.eval_tokens = 512, 8, 1, 256
    if "f32" not in a.formats:
        a.formats.insert(0, "f32")
    model, txc, txc_run = smollm2_tools(a)
    cpu, isa = cpu_facts()
    load0 = os.getloadavg()[0]

    libs = {}
    for fmt in a.formats:
        lib = os.path.join(a.work, f"c{a.context}-{fmt}", "model.so")
        if not os.path.exists(lib):
            log(f"compiling {fmt}")
            run([txc, model, "-q", "--max-seq", str(a.context),
                 f"--kv-quant={fmt}", "-o", lib])
        libs[fmt] = lib

    prompt_len = a.context - a.new_tokens
    rng = np.random.default_rng(0)
    prompt = os.path.join(a.work, f"prompt{prompt_len}.npy")
    np.save(prompt, rng.integers(100, 40000, size=(1, prompt_len),
                                 dtype=np.int64))
    times = {f: [] for f in a.formats}
    kv = {}
    tokens = {}
    for r in range(a.rounds):
        for fmt in a.formats:
            out = os.path.join(a.work, f"tokens-{fmt}.npy")
            err = run([txc_run, libs[fmt], "generate", "--prompt-ids", prompt,
                       "--max-new-tokens", str(a.new_tokens), "--greedy",
                       "--threads", str(a.threads), "--out", out]).stderr
            ms = float(DECODE.search(err).group(1))
            m = KV.search(err)
            kv[fmt] = (m.group(1), int(m.group(2)))
            tokens[fmt] = np.load(out)[0].tolist()
            times[fmt].append(ms)
            log(f"round {r + 1}: {fmt} {ms:.2f} ms/step")

    bandwidth = probe("membw", a.threads, a.work, runs=3)  # GB/s
    print(f"SmolLM2-135M decode at context {a.context} ({prompt_len} prompt "
          f"tokens + {a.new_tokens - 1} timed steps), threads {a.threads}, "
          f"ISA {isa}, CPU {cpu}; read bandwidth "
          f"{bandwidth if bandwidth else 'unknown'} GB/s; load average "
          f"{load0:.2f} -> {os.getloadavg()[0]:.2f}")
    print("| cache | ms/token | vs f32 | KV bytes/token (per position) | "
          "bytes read/token (MB) | GB/s | share of bandwidth | tokens | "
          "rounds (ms) |")
    print("|---|---|---|---|---|---|---|---|---|")
    result = dict(cpu=cpu, isa=isa, threads=a.threads, context=a.context,
                  bandwidth=bandwidth, formats={})
    base = statistics.median(times["f32"])
    for fmt in a.formats:
        med = statistics.median(times[fmt])
        per_pos = kv[fmt][1]
        read = weights_bytes(libs[fmt]) + per_pos * a.context
        gbs = read / (med / 1e3) / 1e9
        share = f"{100 * gbs / bandwidth:.0f}%" if bandwidth else "?"
        same = ("same" if tokens[fmt] == tokens["f32"] else
                "parts at step " + str(next(
                    i for i, (x, y) in enumerate(zip(tokens[fmt],
                                                     tokens["f32"]))
                    if x != y)))
        print(f"| {fmt} | {med:.2f} | {base / med:.2f}x | {per_pos} | "
              f"{read / 1e6:.1f} | {gbs:.1f} | {share} | {same} | "
              f"{', '.join(f'{t:.2f}' for t in times[fmt])} |")
        result["formats"][fmt] = dict(ms=med, rounds=times[fmt],
                                      kv_bytes_per_token=per_pos,
                                      bytes_read=read, tokens=same)
    for fmt in a.formats:
        if fmt == "f32":
            continue
        med = statistics.median(times[fmt])
        ratio = kv[fmt][1] / kv["f32"][1]
        ok = med <= base * 1.02
        print(f"goal {fmt}: no slower than f32 at context {a.context}: "
              f"{'met' if ok else 'NOT met'} ({med:.2f} vs {base:.2f} ms); "
              f"cache bytes {ratio:.3f} of f32's")

    if a.quality and os.path.exists(TEXT):
        print(f"\nQuality: txc-run eval --text {TEXT} --max-tokens "
              f"{a.eval_tokens} --reference (the f32 cache)")
        print("| cache | perplexity | top-1 agreement | KL(f32 || q) |")
        print("|---|---|---|---|")
        for fmt in a.formats:
            out = run([txc_run, libs[fmt], "eval", "--text", TEXT,
                       "--max-tokens", str(a.eval_tokens), "--threads",
                       str(a.threads), "--reference", libs["f32"]]).stdout
            vals = {k: (rx.search(out).group(1) if rx.search(out) else "?")
                    for k, rx in EVAL.items()}
            print(f"| {fmt} | {vals['perplexity']} | "
                  f"{vals['top1-agreement']} | {vals['kl']} |")
            result["formats"][fmt]["quality"] = vals
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
