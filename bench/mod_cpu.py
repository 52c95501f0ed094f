#!/usr/bin/env python3
"""Mixture-of-depths benchmark: SmolLM2-135M forward pass (prefill) time and
quality with `txc --mod-capacity=C` against the dense forward pass.

usage: bench/mod_cpu.py [--build build] [--model SmolLM2.gguf] [--kv]
                        [--capacities 0.5] [--schedule constant|pmod]
                        [--router update|probe --calibration STATS]
                        [--seq 512] [--threads N] [--rounds 3] [--runs 5]
                        [--quality] [--windows 2] [--work /tmp/txc-bench-mod]
                        [--json FILE] [--quick]

Both models are compiled for one forward pass of --seq tokens (`txc MODEL
-q --max-seq 0 --shape input_ids=1xS`, plus `--mod-capacity=C
--mod-schedule=S --mod-router=R`; --router probe reads the probes of `txc
calibrate` from --calibration; --kv below measures generation models).
Time: `txc-run
LIB --in input_ids=... --in position_ids=... --bench R --threads T`, the
median of R runs after a warm-up; rounds (--rounds) alternate dense and each
capacity; each figure is the median of its rounds.

The ideal, from the GGUF tensor table (depth_cpu.budget): FLOPs of the dense
pass, 2 x S x (layers x layer parameters + LM head) + layers x 2 x S^2 x
q_dim (causal attention), against the routed pass, where a routed layer
with k kept tokens costs 2 x k x parameters + 2 x k^2 x q_dim and the kept
counts follow the pass's schedule (constant: floor(C x S) in every layer
from the second; pmod: the shifted cosine). The goal (issue 16): the time
saved is at least 70% of the FLOPs saved, (T_dense - T_mod) / T_dense >=
0.7 x (F_dense - F_mod) / F_dense.

--quality: windows (--windows) of --seq tokens of
/usr/share/common-licenses/GPL-3 (the model's tokenizer, `txc-tokenize`),
each through both models: perplexity of the routed model, top-1 agreement
and KL(dense || routed) per position. Routing is top-k over the window, so
a token's route depends on later tokens (not causal); --kv measures the
causal (threshold) decision too.
--quick: 1 round, 2 runs, seq 128, one window.

--kv (with --calibration, from `txc calibrate` on other text): generation
models over a KV cache (`txc --max-seq 1024 --mod-capacity=C
--calibration=STATS`, each with --mod-decision=topk and =threshold) against
the dense generation model: `txc-run eval --text GPL-3 --context 512
--max-tokens 1024 --reference DENSE` gives perplexity, top-1 agreement, KL
and the cache positions held (prefill chunks of 64: top-k per chunk, or
each token against its threshold, the causal rule decode always uses);
decode speed is `txc-run eval --mode decode` over --seq tokens (every step
a decode step, routed by threshold) in alternating rounds against dense,
with the ideal from the kept share of the routed layers (a skipped token
still reads its layer's K/V projections: the weights of attn_k and attn_v).
"""
import argparse
import json
import math
import os
import re
import statistics
import sys

import numpy as np

from common import ROOT, cpu_facts, run, smollm2_tools
import subprocess
from depth_cpu import budget, gguf_tensors

BENCH = re.compile(r"median ([0-9.]+) ms")
TEXT = "/usr/share/common-licenses/GPL-3"


def log(msg):
    print(f"[mod_cpu] {msg}", file=sys.stderr, flush=True)


def kept_counts(layers, seq, capacity, schedule, r_max=0.85, r_min=0.15,
                start=1):
    """Tokens each layer runs on, as tx-mod-prune decides."""
    counts = []
    for pos in range(layers):
        r = None
        if pos >= start:
            if schedule == "constant":
                r = capacity
            else:
                r = capacity + 0.5 * math.cos(math.pi * pos / (layers - 1))
                r = None if r > r_max else max(r, r_min)
        counts.append(seq if r is None else
                      min(max(int(math.floor(r * seq + 1e-9)), 1), seq))
    return counts


def flops(b, counts, seq):
    total = 2 * seq * b["head_params"]
    for k in counts:
        total += 2 * k * b["layer_params"] + 2 * k * k * b["q_dim"]
    return total


def forward(txc_run, lib, work, ids, threads, runs=None):
    """Runs `lib` on ids [1, S]: its logits, or with `runs` the median ms."""
    np.save(os.path.join(work, "ids.npy"), ids[None].astype(np.int64))
    np.save(os.path.join(work, "pos.npy"),
            np.arange(ids.size, dtype=np.int64)[None])
    cmd = [txc_run, lib, "--in", f"input_ids={work}/ids.npy", "--in",
           f"position_ids={work}/pos.npy", "--threads", str(threads)]
    if runs:
        r = run(cmd + ["--bench", str(runs)])
        return float(BENCH.findall(r.stdout + r.stderr)[-1])
    out = os.path.join(work, "out")
    run(cmd + ["--out-dir", out])
    return np.load(os.path.join(out, "logits.npy"))[0].astype(np.float64)


def log_softmax(z):
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


EVAL = {k: re.compile(rf"^{k}: ([0-9.eE+-]+)", re.M)
        for k in ("perplexity", "top1-agreement", "kl")}
HELD = re.compile(r"kv-cache: (\d+) of (\d+) layer positions held")
SPEED = re.compile(r"run in [0-9.]+ ms \(([0-9.]+) tokens/s\)")


def eval_run(txc_run, lib, args):
    r = subprocess.run([txc_run, lib, "eval", "--text", TEXT] + args,
                       capture_output=True, text=True)
    if r.returncode:
        sys.exit(f"txc-run eval failed: {r.stderr}")
    return r.stdout, r.stderr


def kv_main(a, model, txc, txc_run, cpu, isa, b):
    """--kv: routed generation models, quality and decode speed."""
    if not a.calibration:
        sys.exit("--kv needs --calibration (txc calibrate of the model on "
                 "other text)")
    # --calibration may name one file per capacity ({c}: a routed
    # calibration, txc calibrate --mod-capacity=C).
    libs = {}
    for c, decision in [(None, None)] + [(c, d) for c in a.capacities
                                         for d in ("topk", "threshold")]:
        name = "dense" if c is None else \
            f"kv-mod{c:g}-{a.schedule}-{a.router}-{decision}"
        lib = os.path.join(a.work, name, "model.so")
        extra = [] if c is None else [
            f"--mod-capacity={c:g}", f"--mod-schedule={a.schedule}",
            f"--mod-router={a.router}", f"--mod-decision={decision}",
            f"--calibration={a.calibration.format(c=f'{c:g}')}"]
        log(f"compiling {name}")
        run([txc, model, "-q", "--max-seq", "1024", "-o", lib] + extra)
        libs[(c, decision)] = lib
    dense = libs[(None, None)]
    print(f"SmolLM2-135M mixture-of-depths over a KV cache (--mod-schedule="
          f"{a.schedule}, --mod-router={a.router}, thresholds from "
          f"{os.path.basename(a.calibration)}); quality on {TEXT}, 2 "
          f"windows of 512 tokens against the dense model; threads "
          f"{a.threads}, ISA {isa}, CPU {cpu}")
    print("| capacity | decision | perplexity | dense perplexity | top-1 | KL "
          "| layer positions held |")
    print("|---|---|---|---|---|---|---|")
    result = dict(cpu=cpu, isa=isa, threads=a.threads, kv={})
    for (c, decision), lib in libs.items():
        if c is None:
            continue
        out, _ = eval_run(txc_run, lib, [
            "--context", "512", "--max-tokens", "1024", "--reference", dense,
            "--threads", str(a.threads)])
        got = {k: float(r.search(out).group(1)) for k, r in EVAL.items()}
        held = HELD.search(out)
        share = int(held.group(1)) / int(held.group(2))
        dense_ppl = float(re.search(r"reference-perplexity: ([0-9.]+)",
                                    out).group(1))
        print(f"| {c:g} | {decision} | {got['perplexity']:.2f} | "
              f"{dense_ppl:.2f} | {got['top1-agreement']:.3f} | "
              f"{got['kl']:.3f} | {100 * share:.1f}% |")
        result["kv"][f"{c:g}-{decision}"] = dict(got, held=share)

    # Decode speed: every token a decode step (threshold routing).
    decode_args = ["--context", str(a.seq), "--max-tokens", str(a.seq),
                   "--mode", "decode", "--threads", str(a.threads)]
    speed = {c: [] for c in [None] + a.capacities}
    held = {}
    for i in range(a.rounds):
        for c in speed:
            out, err = eval_run(txc_run, libs[(c, None if c is None
                                              else "threshold")], decode_args)
            speed[c].append(float(SPEED.search(err).group(1)))
            if c is not None:
                h = HELD.search(out)
                held[c] = int(h.group(1)) / int(h.group(2))
            log(f"round {i + 1}: {'dense' if c is None else c} "
                f"{speed[c][-1]:.1f} tokens/s")
    # Ideal: bytes per decode token, a skipped token reading only its
    # routed layers' K/V projections.
    kv_bytes = sum(t[0] for n, t in b["layer_tensors"]
                   if n.endswith(("attn_k.weight", "attn_v.weight",
                                  "attn_norm.weight")))
    fixed = b["emb_row"] + b["head_bytes"] + b["norm_bytes"] + b["other_bytes"]
    dense_bytes = fixed + b["layers"] * b["layer_bytes"]
    print(f"\nDecode ({a.seq} decode steps from an empty cache, threshold "
          f"routing; medians of {a.rounds} alternating rounds; ideal = "
          "weight bytes per token, the routed layers' kept share from the "
          "cache positions held):")
    print("| capacity | tokens/s | dense tokens/s | speed-up | positions held "
          "| ideal | share of ideal |")
    print("|---|---|---|---|---|---|---|")
    d = statistics.median(speed[None])
    for c in a.capacities:
        counts = kept_counts(b["layers"], 100, c, a.schedule)
        routed = sum(1 for k in counts if k < 100) or 1
        # held = (L - routed + routed * f) / L
        f = max(0.0, (held[c] * b["layers"] - (b["layers"] - routed)) / routed)
        mod_bytes = (fixed + (b["layers"] - routed) * b["layer_bytes"] +
                     routed * (kv_bytes + f * (b["layer_bytes"] - kv_bytes)))
        ideal = dense_bytes / mod_bytes
        t = statistics.median(speed[c])
        print(f"| {c:g} | {t:.1f} | {d:.1f} | {t / d:.2f}x | "
              f"{100 * held[c]:.1f}% | {ideal:.2f}x | "
              f"{100 * (t / d) / ideal:.0f}% |")
        result["kv"][f"{c:g}-decode"] = dict(tokens_s=t, dense=d,
                                             held=held[c], ideal=ideal)
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--model")
    ap.add_argument("--capacities", type=float, nargs="+", default=[0.5])
    ap.add_argument("--schedule", default="constant",
                    choices=["constant", "pmod"])
    ap.add_argument("--router", default="update", choices=["update", "probe"])
    ap.add_argument("--calibration",
                    help="--router probe: txc calibrate statistics")
    ap.add_argument("--seq", type=int, default=512)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--quality", action="store_true")
    ap.add_argument("--windows", type=int, default=2)
    ap.add_argument("--work", default="/tmp/txc-bench-mod")
    ap.add_argument("--json")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--kv", action="store_true",
                    help="generation models over a KV cache (needs "
                         "--calibration)")
    a = ap.parse_args()
    if a.quick:
        a.rounds, a.runs, a.seq, a.windows = 1, 2, 128, 1
    if a.router == "probe" and not a.calibration:
        sys.exit("--router probe needs --calibration (txc calibrate)")
    model, txc, txc_run = smollm2_tools(a)
    cpu, isa = cpu_facts()
    b = budget(gguf_tensors(model))
    if a.kv:
        result = kv_main(a, model, txc, txc_run, cpu, isa, b)
        if a.json:
            with open(a.json, "w") as f:
                json.dump(result, f, indent=1)
        return

    libs = {}
    for c in [None] + a.capacities:
        name = ("dense" if c is None
                else f"mod{c:g}-{a.schedule}-{a.router}")
        lib = os.path.join(a.work, f"s{a.seq}-{name}", "model.so")
        extra = [] if c is None else [f"--mod-capacity={c:g}",
                                      f"--mod-schedule={a.schedule}",
                                      f"--mod-router={a.router}"]
        if c is not None and a.router == "probe":
            extra.append(f"--calibration={a.calibration}")
        log(f"compiling {name}")
        run([txc, model, "-q", "--max-seq", "0",
             f"--shape=input_ids=1x{a.seq}", "-o", lib] + extra)
        libs[c] = lib

    rng = np.random.default_rng(0)
    ids = rng.integers(0, 32000, size=a.seq)
    ms = {c: [] for c in libs}
    for i in range(a.rounds):
        for c, lib in libs.items():
            ms[c].append(forward(txc_run, lib, a.work, ids, a.threads, a.runs))
            log(f"round {i + 1}: {'dense' if c is None else c} "
                f"{ms[c][-1]:.1f} ms")

    dense_ms = statistics.median(ms[None])
    dense_flops = flops(b, [a.seq] * b["layers"], a.seq)
    print(f"SmolLM2-135M mixture-of-depths (txc --mod-capacity, "
          f"--mod-schedule={a.schedule}, --mod-router={a.router}): one forward "
          f"pass of {a.seq} tokens; threads {a.threads}, ISA {isa}, CPU "
          f"{cpu}; medians of {a.rounds} round(s) of {a.runs} runs")
    print("| capacity | tokens per layer | ms | speed-up | FLOPs saved | "
          "time saved | time / FLOPs saved | goal (>= 70%) | rounds (ms) |")
    print("|---|---|---|---|---|---|---|---|---|")
    result = dict(cpu=cpu, isa=isa, threads=a.threads, seq=a.seq,
                  schedule=a.schedule, dense_ms=dense_ms, variants={})
    for c in a.capacities:
        counts = kept_counts(b["layers"], a.seq, c, a.schedule)
        f_saved = 1 - flops(b, counts, a.seq) / dense_flops
        t = statistics.median(ms[c])
        t_saved = 1 - t / dense_ms
        if f_saved > 0:
            share = f"{100 * t_saved / f_saved:.0f}%"
            goal = "PASS" if t_saved >= 0.7 * f_saved else "MISS"
        else:
            share = goal = "- (no FLOPs saved: the dense limit)"
        print(f"| {c:g} | {min(counts)}..{max(counts)} | {t:.1f} | "
              f"{dense_ms / t:.2f}x | {100 * f_saved:.1f}% | "
              f"{100 * t_saved:.1f}% | {share} | {goal} | "
              f"{', '.join(f'{x:.1f}' for x in ms[c])} |")
        result["variants"][f"{c:g}"] = dict(
            counts=counts, ms=t, rounds=ms[c], flops_saved=f_saved,
            time_saved=t_saved)
    print(f"dense: {dense_ms:.1f} ms ({', '.join(f'{x:.1f}' for x in ms[None])})")

    if a.quality:
        tok = os.path.join(a.build, "bin", "txc-tokenize")
        tokenizer = os.path.splitext(libs[None])[0] + ".tokenizer.json"
        text = open(TEXT).read()
        ids_all = [int(x) for x in run([tok, "--tokenizer", tokenizer,
                                        "encode", text]).stdout.split()]
        print(f"\nQuality on {TEXT} ({a.windows} window(s) of {a.seq} "
              "tokens; top-k routing over each window, not causal):")
        print("| capacity | perplexity | dense perplexity | top-1 agreement "
              "| KL(dense || routed) |")
        print("|---|---|---|---|---|")
        dense_logits = []
        windows = [np.array(ids_all[i * a.seq:(i + 1) * a.seq])
                   for i in range(a.windows)]
        for w in windows:
            dense_logits.append(log_softmax(
                forward(txc_run, libs[None], a.work, w, a.threads)))
        for c in a.capacities:
            nll = dnll = kl = 0.0
            agree = n = 0
            for w, lp_d in zip(windows, dense_logits):
                lp = log_softmax(forward(txc_run, libs[c], a.work, w,
                                         a.threads))
                nxt = w[1:]
                nll -= lp[np.arange(len(nxt)), nxt].sum()
                dnll -= lp_d[np.arange(len(nxt)), nxt].sum()
                agree += int((lp[:-1].argmax(-1) == lp_d[:-1].argmax(-1)).sum())
                kl += float((np.exp(lp_d[:-1]) * (lp_d[:-1] - lp[:-1])).sum())
                n += len(nxt)
            print(f"| {c:g} | {math.exp(nll / n):.2f} | "
                  f"{math.exp(dnll / n):.2f} | {agree / n:.3f} | "
                  f"{kl / n:.3f} |")
            result["variants"][f"{c:g}"].update(
                perplexity=math.exp(nll / n), dense_perplexity=math.exp(
                    dnll / n), top1=agree / n, kl=kl / n)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
