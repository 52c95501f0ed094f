#!/usr/bin/env python3
"""Checks the sentence embedding of a BERT model compiled by txc against the
float64 NumPy reference (ref_forward.embedding).

  check_embedding.py FOLDER --so MODEL.so --txc-run txc-run --text FILE \
      [--min-cos 0.9999]

The text is tokenized by the compiled model's own tokenizer (txc-run MODEL.so
tokenize, [CLS] ... [SEP] added), and the ids must equal those of the
folder's tokenizer.json read by the `tokenizers` package. They must fill the
compiled sequence length exactly: the compiled model has no attention mask,
so padding would change the result. The model runs on them, its
last_hidden_state is mean-pooled, and the cosine similarity with the
reference's mean-pooled embedding must reach --min-cos. Prints one line of
figures and PASS, or FAIL with the reason (exit 1).
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import ref_forward  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("--so", required=True)
    p.add_argument("--txc-run", required=True)
    p.add_argument("--text", required=True)
    p.add_argument("--min-cos", type=float, default=0.9999)
    a = p.parse_args()

    r = subprocess.run([a.txc_run, a.so, "tokenize", "--text", a.text],
                       capture_output=True, text=True)
    if r.returncode != 0:
        print("FAIL: txc-run tokenize:", r.stderr.strip())
        return 1
    ids = np.array([int(t) for t in r.stdout.split()], dtype=np.int64)
    with open(a.text, encoding="utf-8") as f:
        expected = ref_forward.tokenizer(a.model).encode(f.read()).ids
    if ids.tolist() != list(expected):
        print(f"FAIL: txc's ids {ids.tolist()} differ from tokenizers' "
              f"{list(expected)}")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        np.save(os.path.join(tmp, "ids.npy"), ids[None, :])
        r = subprocess.run([a.txc_run, a.so, "--in",
                            f"input_ids={tmp}/ids.npy", "--out-dir", tmp],
                           capture_output=True, text=True)
        if r.returncode != 0:
            print("FAIL: txc-run:", r.stderr.strip())
            return 1
        hidden = np.load(os.path.join(tmp, "last_hidden_state.npy"))[0]
    hidden = hidden.astype(np.float64)
    got = hidden.mean(axis=0)
    ref_hidden = ref_forward.hidden(a.model, ids)
    ref = ref_hidden.mean(axis=0)
    cos = float(got @ ref / (np.linalg.norm(got) * np.linalg.norm(ref)))
    diff = float(np.max(np.abs(hidden - ref_hidden)))
    line = (f"{ids.size} tokens, cosine {cos:.6f}, max-abs-diff of hidden "
            f"states {diff:.3g} (ref max {np.max(np.abs(ref_hidden)):.3g})")
    if not cos >= a.min_cos:
        print(line, "FAIL: cosine below", a.min_cos)
        return 1
    print(line, "PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
