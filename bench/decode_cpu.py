#!/usr/bin/env python3
"""Decode benchmark: txc vs onnxruntime generating tokens one at a time from
a KV cache on the same ~100M-parameter Llama-style ONNX model, in one run.

usage: bench/decode_cpu.py [--build build] [--contexts 128 1024 4096]
                           [--new-tokens 32] [--threads N] [--rounds 3]
                           [--work /tmp/txc-bench-decode] [--quick]

The model is prefill_cpu.py's (test/Frontend/ONNX/gen_models.py llama:
hidden 768, 8 layers, 12 query / 4 KV heads, SwiGLU 2048, vocab 32000, fp32,
batch 1) exported as a decode step (--past-kv --dynamic: input_ids,
position_ids and past_key_values.{i}.key/.value [B, 4, P, 64] in, logits and
present.{i}.key/.value out). For each context length C (a seeded random
prompt of C tokens) and N = --new-tokens:

  txc          `txc MODEL -q --max-seq C+N+64` (a decode step and, the
               sequence being dynamic, a prefill step), then `txc-run LIB
               generate --prompt-ids prompt.npy --max-new-tokens N --greedy
               --threads T`: the ms/step of its `decode:` line (N - 1 decode
               steps after the prefill, which is not counted).
  onnxruntime  the same model file (all graph optimizations,
               intra_op_num_threads T) prefills the prompt once (not timed);
               each round then decodes greedily from that past: one untimed
               warm-up step, then N - 1 timed steps from the prefill's past,
               each feeding the previous step's present.* back as past (the
               copies a real decode loop makes included); the median step.

Rounds alternate the two; each side's figure is the median over --rounds
rounds, whose own figures close the line (on a shared machine a spell of
someone else's work shows as a slow round). The ratio is onnxruntime time /
txc time (> 1: txc is faster). The greedy tokens of the two are compared
(`tokens same`, or the first step where they part: with random weights a
near tie can part them legitimately).

Bandwidth: a decode step is memory-bound, so each time is also given as the
bytes it must read per token over the time: every weight the step reads (all
initializers, except that a table only gathered from -- the token
embedding -- counts one row) plus the KV cache, 2 x layers x kv_heads x C x
head_dim x 4 bytes; and as a share of the machine's read bandwidth, measured
by bench/membw.c (every thread sums its slice of a 1 GiB array; compiled
with clang-22 -O2 -march=native -fopenmp; the best of three runs). Weights
that stay in a large last-level cache between steps can make the share
exceed what DRAM alone allows.

--quick: context 128, 8 new tokens, 1 round (a smoke test).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

import numpy as np

from common import CONFIG, GEN, ROOT, probe, random_prompt
MARGIN = 64  # cache positions beyond context + new tokens
DTYPE_BYTES = {1: 4, 2: 1, 3: 1, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8,
               16: 2}  # onnx.TensorProto data types


def measured_bandwidth(threads, work):
    """Read bandwidth in bytes/s of `threads` threads (best of 3), or None."""
    value = probe("membw", threads, work, runs=3)
    return None if value is None else value * 1e9


def weight_bytes(model):
    """(bytes a step reads, bytes of all initializers): a table that only
    Gather reads rows of (the token embedding) counts one row."""
    import onnx
    m = onnx.load(model, load_external_data=False)
    gathered = {n.input[0] for n in m.graph.node if n.op_type == "Gather"}
    other_uses = {i for n in m.graph.node if n.op_type != "Gather"
                  for i in n.input}
    read = total = 0
    for t in m.graph.initializer:
        size = int(np.prod(t.dims, dtype=np.int64)) * DTYPE_BYTES[t.data_type]
        total += size
        if t.name in gathered and t.name not in other_uses and t.dims:
            size //= t.dims[0]
        read += size
    return read, total


def kv_bytes(context):
    c = CONFIG
    head_dim = c["hidden"] // c["heads"]
    return 2 * c["layers"] * c["kv_heads"] * context * head_dim * 4


class OrtDecoder:
    """The decode-step model in onnxruntime, run as a decode loop runs it."""

    def __init__(self, model, threads):
        import onnxruntime as ort
        so = ort.SessionOptions()
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        so.intra_op_num_threads = threads
        self.sess = ort.InferenceSession(model, so,
                                         providers=["CPUExecutionProvider"])
        self.outputs = [o.name for o in self.sess.get_outputs()]
        self.past_names = [i.name for i in self.sess.get_inputs()
                           if i.name.startswith("past_key_values.")]

    def step(self, ids, start, past):
        """(logits of the last position [B, V], presents renamed as past)."""
        positions = np.arange(start, start + ids.shape[1], dtype=np.int64)
        feeds = {"input_ids": ids,
                 "position_ids": np.broadcast_to(positions, ids.shape).copy(),
                 **past}
        out = self.sess.run(self.outputs, feeds)
        present = {name.replace("present.", "past_key_values.", 1): v
                   for name, v in zip(self.outputs, out) if name != "logits"}
        return out[0][:, -1], present

    def prefill(self, prompt):
        c = CONFIG
        empty = np.zeros((prompt.shape[0], c["kv_heads"], 0,
                          c["hidden"] // c["heads"]), np.float32)
        return self.step(prompt, 0, {n: empty for n in self.past_names})

    def decode(self, first, context, past, steps):
        """Greedy decoding of `steps` steps after token `first` at position
        `context`; (tokens [steps], median ms/step) after a warm-up step."""
        token = np.array([[first]], np.int64)
        self.step(token, context, past)  # warm-up, discarded
        tokens, times = [], []
        for i in range(steps):
            t0 = time.perf_counter()
            logits, past = self.step(token, context + i, past)
            token = np.argmax(logits, axis=-1)[:, None].astype(np.int64)
            times.append((time.perf_counter() - t0) * 1e3)
            tokens.append(int(token[0, 0]))
        return tokens, statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--contexts", type=int, nargs="+",
                    default=[128, 1024, 4096],
                    help="prompt lengths the decode steps follow")
    ap.add_argument("--new-tokens", type=int, default=32,
                    help="tokens generated (the first by the prefill)")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--rounds", type=int, default=3,
                    help="rounds alternating txc and onnxruntime")
    ap.add_argument("--work", default="/tmp/txc-bench-decode")
    ap.add_argument("--quick", action="store_true",
                    help="context 128, 8 new tokens, 1 round")
    args = ap.parse_args()
    if args.quick:
        args.contexts, args.new_tokens, args.rounds = [128], 8, 1
    if args.new_tokens < 2:
        ap.error("--new-tokens must be at least 2 (one prefill, one decode)")
    os.makedirs(args.work, exist_ok=True)
    bw = measured_bandwidth(args.threads, args.work)
    print(f"machine: {os.cpu_count()} cores, {args.threads} threads, "
          + (f"measured read bandwidth {bw / 1e9:.1f} GB/s" if bw
             else "read bandwidth not measured (no clang-22)"), flush=True)

    model = os.path.join(args.work, "llama100m-decode.onnx")
    cmd = [sys.executable, GEN, "llama", "--past-kv", "--dynamic",
           "--external-data", "--batch", "1", "-o", model]
    for k, v in CONFIG.items():
        cmd += ["--" + k.replace("_", "-"), str(v)]
    subprocess.run(cmd, check=True, capture_output=True)
    read, total = weight_bytes(model)
    print(f"model: {total / 1e6:.1f} MB of weights, {read / 1e6:.1f} MB "
          f"read per token (the embedding table gives one row); "
          f"{args.new_tokens} new tokens, rounds: {args.rounds}", flush=True)
    ort = OrtDecoder(model, args.threads)
    steps = args.new_tokens - 1

    for context in args.contexts:
        d = os.path.join(args.work, f"ctx{context}")
        prompt, prompt_path = random_prompt(d, context)
        so = os.path.join(d, "out", "model.so")
        max_seq = context + args.new_tokens + MARGIN
        t0 = time.perf_counter()
        subprocess.run([os.path.join(args.build, "bin", "txc"), model, "-q",
                        "--max-seq", str(max_seq), "-o", so], check=True)
        compile_s = time.perf_counter() - t0
        tokens_path = os.path.join(d, "tokens.npy")
        run = [os.path.join(args.build, "bin", "txc-run"), so, "generate",
               "--prompt-ids", prompt_path, "--max-new-tokens",
               str(args.new_tokens), "--greedy", "--threads",
               str(args.threads), "--out", tokens_path]

        # onnxruntime's past: a real prefill of the prompt, not timed.
        logits, ort_past = ort.prefill(prompt)
        ort_first = int(np.argmax(logits[0]))

        # Alternate the two in rounds so that a noisy spell on the shared
        # machine hits both; report the median of the per-round figures.
        txc_rounds, ort_rounds, prefill_ms = [], [], []
        for _ in range(args.rounds):
            r = subprocess.run(run, check=True, capture_output=True,
                               text=True)
            m = re.search(r"decode: .* ([0-9.]+) ms/step", r.stderr)
            p = re.search(r"prefill: .* in ([0-9.]+) ms", r.stderr)
            if not m:
                sys.exit(f"no decode line in txc-run's output:\n{r.stderr}")
            txc_rounds.append(float(m.group(1)))
            if p:
                prefill_ms.append(float(p.group(1)))
            ort_tokens, ort_ms = ort.decode(ort_first, context, ort_past,
                                            steps)
            ort_rounds.append(ort_ms)
        txc_ms = statistics.median(txc_rounds)
        ort_ms = statistics.median(ort_rounds)

        got = np.load(tokens_path)[0].tolist()
        want = [ort_first] + ort_tokens
        part = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b),
                    None)
        same = ("tokens same" if part is None else
                f"tokens part at step {part} (txc {got[part]}, "
                f"onnxruntime {want[part]})")
        per_token = read + kv_bytes(context)

        def gbs(ms):
            rate = per_token / (ms / 1e3)
            share = f", {rate / bw * 100:.0f}% of bandwidth" if bw else ""
            return f"{rate / 1e9:.1f} GB/s{share}"
        prefill = (f"; txc prefill {statistics.median(prefill_ms) / 1e3:.1f} s"
                   if prefill_ms else "")
        print(f"context {context}: txc {txc_ms:.2f} ms/step ({gbs(txc_ms)}), "
              f"onnxruntime {ort_ms:.2f} ms/step ({gbs(ort_ms)}), "
              f"ratio ort/txc = {ort_ms / txc_ms:.3f}; "
              f"{per_token / 1e6:.1f} MB/token; {same}; "
              f"compile {compile_s:.1f} s{prefill}; rounds txc "
              f"{'/'.join(f'{t:.1f}' for t in txc_rounds)}, onnxruntime "
              f"{'/'.join(f'{t:.1f}' for t in ort_rounds)} ms", flush=True)


if __name__ == "__main__":
    main()
