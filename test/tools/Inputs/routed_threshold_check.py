#!/usr/bin/env python3
"""Checks a routed calibration (txc calibrate --mod-capacity C) against the
float64 reference.

  routed_threshold_check.py STATS MODEL.gguf --text FILE --context N

txc calibrate tokenizes the text (no BOS for the test tokenizer), cuts it
into whole windows of N tokens and runs each routed at capacity C (top-k
per window, router "update", schedule as in the metadata); every routed
layer's layer.I.route_threshold must be the median over the windows of the
lowest score a window kept (ref_forward's routing of the same windows),
within 1e-3 relative. Prints the thresholds and PASS, or FAIL (exit 1).
"""
import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "Frontend", "GGUF"))
import ref_forward  # noqa: E402
from check_txc import read_stats  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("stats")
    ap.add_argument("model")
    ap.add_argument("--text", required=True)
    ap.add_argument("--context", type=int, required=True)
    a = ap.parse_args()
    with open(a.stats, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        meta = json.loads(f.read(n))["__metadata__"]
    got = {int(k.split(".")[1]): float(v[0]) for k, v in read_stats(a.stats).items()
           if k.endswith(".route_threshold")}
    model = ref_forward.load(a.model)
    with open(a.text, encoding="utf-8") as f:
        ids = ref_forward.tokenizer(model).encode(f.read(), add_special_tokens=True).ids
    bounds = {}
    for w in range(len(ids) // a.context):
        info = {}
        ref_forward.hidden(a.model, ids[w * a.context:(w + 1) * a.context],
                           stats=info, mod_capacity=float(meta["mod_capacity"]),
                           mod_schedule=meta["mod_schedule"])
        for layer, values in info["boundaries"].items():
            bounds.setdefault(layer, []).extend(values)
    want = {layer: float(np.median(v)) for layer, v in bounds.items()}
    line = "thresholds " + " ".join(f"{k}:{v:.4g}" for k, v in sorted(got.items()))
    if set(got) != set(want):
        print(line, f"FAIL: layers {sorted(set(got) ^ set(want))} in only one")
        return 1
    for layer, value in want.items():
        if abs(got[layer] - value) > 1e-3 * max(abs(value), 1e-6):
            print(line, f"FAIL: layer {layer}: {got[layer]} against {value}")
            return 1
    print(line, "PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
