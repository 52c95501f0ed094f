#!/usr/bin/env python3
"""Compares the eval logits early-exit.test wrote (DIR/{dense,t2,t09}-
{prefill,decode}.npy): prints the max |difference| of each pair that must
be equal, and whether T 0.9 changed the logits at all (so that exits took
place)."""
import sys

import numpy as np

d = sys.argv[1]


def load(name):
    return np.load(f"{d}/{name}.npy")


def diff(a, b):
    return float(np.max(np.abs(load(a) - load(b))))


print(f"dense == T 2 (prefill): {diff('dense-prefill', 't2-prefill'):g}")
print(f"dense == T 2 (decode): {diff('dense-decode', 't2-decode'):g}")
print(f"T 0.9 prefill == decode: {diff('t09-prefill', 't09-decode'):g}")
changed = diff("dense-prefill", "t09-prefill") > 1e-3
print(f"T 0.9 changes the logits: {'yes' if changed else 'no'}")
