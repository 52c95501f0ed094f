#!/usr/bin/env python3
"""Checks a calibrated tx-layer-skip against the statistics it read.

usage: layer_skip_check.py STATS IR LAYERS SKIPPED
       layer_skip_check.py --write-empty OUT

STATS is a `txc calibrate` file with layer.I.cos_mean for I < LAYERS; IR the
tx IR compiled with --layer-skip and --calibration=STATS. Every cos_mean
must be a cosine (within [-1, 1]); the IR must keep exactly the layers that
remain after removing the SKIPPED layers with the highest cos_mean (ties to
the lower index). Prints "calibrated skip: OK" or "FAIL ...".
--write-empty writes a statistics file with the right metadata and no
layer statistics (for the error test); --write-quantiles OUT LAYERS one
whose layer.I.update_quantiles and layer.I.probe_quantiles (I < LAYERS) are
0, 1, ..., 100 (percentile p is p: a causal threshold at ratio r is
100 * (1 - r)).
"""
import json
import re
import struct
import sys

import numpy as np


def read_stats(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        lo, hi = info["data_offsets"]
        out[name] = np.frombuffer(body[lo:hi], dtype=np.float32)
    return out


def write_empty(path):
    header = {"__metadata__": {"format": "txc-calibration", "version": "1"},
              "x.act_sq_mean": {"dtype": "F32", "shape": [1],
                                "data_offsets": [0, 4]}}
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text +
                np.ones(1, np.float32).tobytes())


def write_quantiles(path, layers):
    header = {"__metadata__": {"format": "txc-calibration", "version": "1"}}
    q = np.arange(101, dtype=np.float32).tobytes()
    for i in range(layers):
        for kind in ("update", "probe"):
            at = len(header) - 1
            header[f"layer.{i}.{kind}_quantiles"] = {
                "dtype": "F32", "shape": [101],
                "data_offsets": [at * len(q), (at + 1) * len(q)]}
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + q * (len(header) - 1))


def main(argv):
    if argv[1] == "--write-empty":
        write_empty(argv[2])
        return 0
    if argv[1] == "--write-quantiles":
        write_quantiles(argv[2], int(argv[3]))
        return 0
    stats = read_stats(argv[1])
    ir = open(argv[2]).read()
    layers, skipped = int(argv[3]), int(argv[4])
    cos = []
    for i in range(layers):
        v = stats.get(f"layer.{i}.cos_mean")
        if v is None or v.shape != (1,) or not -1.0 <= float(v[0]) <= 1.0:
            print(f"FAIL layer.{i}.cos_mean: {v}")
            return 1
        cos.append(float(v[0]))
    order = sorted(range(layers), key=lambda i: (-cos[i], i))
    want = sorted(set(range(layers)) - set(order[:skipped]))
    got = sorted(int(m) for m in re.findall(r"tx\.layer (\d+) \(", ir))
    if got != want:
        print(f"FAIL kept {got}, expected {want} from cos_mean {cos}")
        return 1
    print(f"calibrated skip: OK (kept {got}, cos_mean {np.round(cos, 3)})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
