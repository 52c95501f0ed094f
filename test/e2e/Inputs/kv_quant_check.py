#!/usr/bin/env python3
"""Compares the logits txc-run eval --logits-out wrote for one model compiled
with several KV-cache formats (txc --kv-quant).

usage: kv_quant_check.py DIR

DIR holds NAME.npy ([T, vocab] f32) for NAME in none (no flag), f32
(--kv-quant=f32), int8, fp8, fp8-paged, int4 and int4-exact (a residual
covering the capacity). --kv-quant=f32 and int4-exact must give exactly the
logits of no flag; the paged fp8 cache those of the contiguous one up to
the order of summation; int8, fp8 and int4 caches logits within a share of
the largest logit (max |q - f32| / max |f32|: 2% for int8, 8% for fp8, 10%
for int4, about 4x what the tiny test model shows) and the same argmax on
at least 95% of the positions.
Prints "OK ..." or "FAIL ..." per check and "kv-quant: N passed, M failed".
"""
import os
import sys

import numpy as np

LIMITS = {"int8": 0.02, "fp8": 0.08, "int4": 0.10}


def main(argv):
    d = argv[1]
    load = lambda name: np.load(os.path.join(d, name + ".npy"))
    dense = load("none")
    results = []

    def report(name, ok, msg):
        results.append(ok)
        print(("OK " if ok else "FAIL ") + name + ": " + msg)

    for name in ("f32", "int4-exact"):
        same = np.array_equal(load(name), dense)
        report(name, same,
               "identical to no flag" if same else "differs from no flag")
    scale = float(np.abs(dense).max())
    for name, limit in LIMITS.items():
        q = load(name)
        err = float(np.abs(q - dense).max()) / scale
        agree = float((q.argmax(-1) == dense.argmax(-1)).mean())
        report(name, err <= limit and agree >= 0.95,
               f"max error {err:.4f} of the largest logit (limit {limit}), "
               f"top-1 agreement {agree:.3f}")
    # Paged: key blocks cut at cache blocks change the online softmax's
    # order of summation, nothing else.
    diff = float(np.abs(load("fp8-paged") - load("fp8")).max()) / scale
    report("fp8-paged", diff <= 1e-5,
           f"max difference {diff:.2g} from the contiguous cache (limit 1e-5)")
    passed = sum(results)
    print(f"kv-quant: {passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
