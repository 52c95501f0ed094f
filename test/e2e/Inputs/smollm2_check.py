#!/usr/bin/env python3
"""Checks a compiled GGUF model's teacher-forced logits against the float64
NumPy reference forward on the same file (test/Frontend/GGUF/ref_forward.py,
gguf's own dequantization).

  smollm2_check.py MODEL.gguf IDS.txt TXC_LOGITS.npy --context N
      [--min-agree A] [--max-ppl-delta D]

IDS.txt holds the text's token ids (txc-run tokenize); TXC_LOGITS.npy the
scored logits txc-run eval --logits-out wrote for the same windows
(non-overlapping windows of N tokens, every token after the first of a window
scored). Prints both perplexities, top-1 agreement over positions whose
reference top-2 logits are more than --tie apart (near-ties reported
separately), mean KL(reference || txc) and the largest logit difference, then
PASS or FAIL.
"""
import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "Frontend", "GGUF"))
import compare_logits  # noqa: E402
import ref_forward  # noqa: E402


def log_softmax(z):
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("ids")
    p.add_argument("logits")
    p.add_argument("--context", type=int, required=True)
    p.add_argument("--tie", type=float, default=1e-3)
    p.add_argument("--min-agree", type=float, default=0.95)
    p.add_argument("--max-ppl-delta", type=float, default=0.02)
    a = p.parse_args()

    ids = np.array([int(t) for t in open(a.ids).read().split()], dtype=np.int64)
    got = np.load(a.logits).astype(np.float64)
    refs, targets = [], []
    for start in range(0, len(ids), a.context):
        window = ids[start:start + a.context]
        if len(window) < 2:
            break
        refs.append(np.asarray(ref_forward.forward(a.model, window))[:-1])
        targets.append(window[1:])
    ref = np.concatenate(refs)
    tgt = np.concatenate(targets)
    if got.shape != ref.shape:
        print(f"FAIL: txc logits {list(got.shape)}, reference {list(ref.shape)}")
        return 1

    def ppl(z):
        return float(np.exp(-log_softmax(z)[np.arange(len(tgt)), tgt].mean()))

    ppl_ref, ppl_txc = ppl(ref), ppl(got)
    m = compare_logits.compare(got, ref, tie=a.tie)
    delta = abs(ppl_txc / ppl_ref - 1.0)
    print(f"positions: {m['positions']}")
    print(f"reference-perplexity: {ppl_ref:.4f}")
    print(f"txc-perplexity: {ppl_txc:.4f} ({100 * (ppl_txc / ppl_ref - 1):+.2f}%)")
    print(f"top1-agreement: {m['agree_frac']:.4f} ({m['agree']}/{m['free']}; "
          f"{m['tied']} near-ties excluded)")
    print(f"kl: {m['mean_kl']:.5f}")
    print(f"max-abs-logit-diff: {m['max_abs']:.4f}")
    if m["agree_frac"] < a.min_agree:
        print(f"FAIL: top-1 agreement below {a.min_agree}")
        return 1
    if delta > a.max_ppl_delta:
        print(f"FAIL: perplexity differs by more than {100 * a.max_ppl_delta}%")
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
