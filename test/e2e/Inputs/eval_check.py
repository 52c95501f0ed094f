#!/usr/bin/env python3
"""txc-run eval against NumPy: perplexity, top-1 agreement and KL computed
from the logits eval writes (--logits-out) and the text's token ids.

  prefill == decode   --mode prefill and --mode decode give the same
                      logits (within 1e-4) and perplexity (1e-4 relative):
                      txrt_session_prefill_logits agrees with decode steps
  numpy               the perplexity equals exp(mean NLL) of the logits
                      with the targets windows of --context/--stride score
  self                the model as its own reference: agreement 1, kl 0
  reference           another model as reference: agreement, near-ties, kl
                      and the reference's perplexity as NumPy computes them

usage: eval_check.py MODEL.so OTHER.so TOKENIZER TEXT WORKDIR
"""
import os
import re
import subprocess
import sys

import numpy as np


def run(*args):
    r = subprocess.run(["txc-run", *args], capture_output=True)
    if r.returncode != 0:
        sys.stderr.write(r.stderr.decode())
        raise SystemExit(f"txc-run failed: {args}")
    return r.stdout.decode()


def value(out, key):
    m = re.search(rf"^{key}: (\S+)", out, re.M)
    return float(m.group(1))


def log_softmax(x):
    x = x.astype(np.float64)
    m = x.max(axis=1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=1, keepdims=True))


def targets(ids, context, stride):
    """The ids the windows score, in order (Hugging Face's perplexity guide)."""
    out, previous, begin = [], 0, 0
    while True:
        end = min(begin + context, len(ids))
        out += ids[max(begin + 1, previous):end]
        previous = end
        if end == len(ids):
            return out
        begin += stride


def main():
    model, other, tokenizer, text, work = sys.argv[1:6]
    failures = 0

    def report(name, ok, detail):
        nonlocal failures
        failures += not ok
        print(("OK " if ok else "FAIL ") + f"{name}: {detail}")

    ids = [int(x) for x in run("tokenize", "--tokenizer", tokenizer, "--text", text).split()]
    common = ["--tokenizer", tokenizer, "--text", text, "--context", "24", "--stride", "16"]
    lp, ld, lr = (os.path.join(work, n) for n in ("prefill.npy", "decode.npy", "ref.npy"))
    prefill = run(model, "eval", *common, "--logits-out", lp)
    decode = run(model, "eval", *common, "--mode", "decode", "--logits-out", ld)
    a, b = np.load(lp), np.load(ld)
    p1, p2 = value(prefill, "perplexity"), value(decode, "perplexity")
    report("prefill == decode", a.shape == b.shape and np.abs(a - b).max() <= 1e-4 and
           abs(p1 - p2) <= 1e-4 * p1, f"{p1} vs {p2}, logits {np.abs(a - b).max()}")

    t = np.array(targets(ids, 24, 16))
    nll = -log_softmax(a)[np.arange(len(t)), t]
    want = float(np.exp(nll.mean()))
    report("numpy", len(t) == a.shape[0] and len(t) == value(prefill, "tokens") and
           abs(want - p1) <= 1e-5 * want, f"{p1} vs {want} over {len(t)} tokens")

    same = run(model, "eval", *common, "--reference", model)
    m = re.search(r"top1-agreement: (\S+) \((\d+)/(\d+); (\d+) near-ties", same)
    report("self", m and float(m.group(1)) == 1.0 and m.group(2) == m.group(3) and
           value(same, "kl") == 0.0 and value(same, "reference-perplexity") == p1, same.strip())

    versus = run(model, "eval", *common, "--reference", other)
    run(other, "eval", *common, "--logits-out", lr)
    r = np.load(lr)
    ref_lp, lp_ = log_softmax(r), log_softmax(a)
    kl = float((np.exp(ref_lp) * (ref_lp - lp_)).sum(axis=1).mean())
    top2 = np.sort(r.astype(np.float64), axis=1)[:, -2:]
    ties = (top2[:, 1] - top2[:, 0]) < 1e-3
    agree = int(((a.argmax(1) == r.argmax(1)) & ~ties).sum())
    m = re.search(r"top1-agreement: (\S+) \((\d+)/(\d+); (\d+) near-ties", versus)
    ref_ppl = float(np.exp(-ref_lp[np.arange(len(t)), t].mean()))
    ok = (m and int(m.group(2)) == agree and int(m.group(3)) == len(t) - ties.sum() and
          int(m.group(4)) == ties.sum() and abs(value(versus, "kl") - kl) <= 1e-5 * kl + 1e-9 and
          abs(value(versus, "reference-perplexity") - ref_ppl) <= 1e-5 * ref_ppl)
    report("reference", ok, f"{versus.strip()!r} vs agree {agree}, ties {ties.sum()}, "
           f"kl {kl}, ppl {ref_ppl}")

    print(f"eval: {4 - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
