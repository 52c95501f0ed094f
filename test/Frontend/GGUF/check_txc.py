#!/usr/bin/env python3
"""Compiles a GGUF file or HF folder with txc and checks its logits (or
BERT's last hidden states) against ref_forward.py.

  check_txc.py --txc build/bin/txc --txc-run build/bin/txc-run MODEL \
      --tol 1e-3 [--rel] [--min-agree 1.0] [--seq 8] [--txc-arg=...]

The model is compiled for one forward pass of `--seq` tokens (txc
--max-seq 0 --shape input_ids=1xSEQ), run by txc-run on fixed random ids
(positions 0..S-1), and compared with the float64 reference: the max
absolute difference divided by the reference's max |logit| (with --rel, else
absolute) must be within --tol, and top-1 agreement over positions whose
reference top-2 logits are not within 1e-3 must reach --min-agree. Prints
one line of figures and PASS, or FAIL with the reason (exit 1).
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare_logits  # noqa: E402
import ref_forward  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("--txc", required=True)
    p.add_argument("--txc-run", required=True)
    p.add_argument("--seq", type=int, default=8)
    p.add_argument("--tol", type=float, default=1e-3)
    p.add_argument("--rel", action="store_true")
    p.add_argument("--min-agree", type=float, default=1.0)
    p.add_argument("--txc-arg", action="append", default=[])
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()

    ref_model = ref_forward.load(a.model)
    vocab = ref_model.cfg.vocab
    rng = np.random.default_rng(a.seed)
    ids = rng.integers(0, vocab or 64, size=(1, a.seq), dtype=np.int64)
    is_bert = ref_model.cfg.arch == "bert"
    with tempfile.TemporaryDirectory() as tmp:
        so = os.path.join(tmp, "m.so")
        cmd = [a.txc, a.model, "-q", "--max-seq", "0",
               f"--shape=input_ids=1x{a.seq}", "-o", so] + a.txc_arg
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            print("FAIL: txc:", r.stderr.strip())
            return 1
        np.save(os.path.join(tmp, "ids.npy"), ids)
        run = [a.txc_run, so, "--in", f"input_ids={tmp}/ids.npy",
               "--out-dir", tmp]
        if not is_bert:
            np.save(os.path.join(tmp, "pos.npy"),
                    np.arange(a.seq, dtype=np.int64)[None, :])
            run += ["--in", f"position_ids={tmp}/pos.npy"]
        r = subprocess.run(run, capture_output=True, text=True)
        if r.returncode != 0:
            print("FAIL: txc-run:", r.stderr.strip())
            return 1
        name = "last_hidden_state" if is_bert else "logits"
        got = np.load(os.path.join(tmp, name + ".npy"))[0].astype(np.float64)
    ref = (ref_forward.hidden(a.model, ids[0]) if is_bert
           else ref_forward.forward(a.model, ids[0]))
    ref = np.asarray(ref, dtype=np.float64).reshape(got.shape)
    diff = float(np.max(np.abs(got - ref)))
    scale = float(np.max(np.abs(ref))) if a.rel else 1.0
    stats = compare_logits.compare(got, ref) if not is_bert else None
    agree = stats["agree_frac"] if stats else 1.0
    line = f"max-abs-diff {diff:.3g} (ref max {np.max(np.abs(ref)):.3g})"
    if stats:
        line += f" top1 {agree:.3f}"
    if diff > a.tol * scale:
        print(line, "FAIL: difference above", a.tol * scale)
        return 1
    if agree < a.min_agree:
        print(line, "FAIL: agreement below", a.min_agree)
        return 1
    print(line, "PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
