"""Runs a model with txc-run on the inputs compile_run.c wrote and compares
txc-run's outputs with the ones compile_run.c computed through txrt.h.

Usage: compare_txc_run.py TXC_RUN DIR   (DIR holds decoder2.so, in/, out/)
"""

import os
import subprocess
import sys

import numpy as np


def main():
    txc_run, root = sys.argv[1], sys.argv[2]
    args = [txc_run, os.path.join(root, "decoder2.so")]
    inputs = sorted(os.listdir(os.path.join(root, "in")))
    for name in inputs:
        args += ["--in", "%s=%s" % (name[:-4], os.path.join(root, "in", name))]
    args += ["--out-dir", os.path.join(root, "ref")]
    subprocess.run(args, check=True)
    for name in sorted(os.listdir(os.path.join(root, "out"))):
        ours = np.load(os.path.join(root, "out", name))
        ref = np.load(os.path.join(root, "ref", name))
        diff = float(np.max(np.abs(ours.astype(np.float64) - ref)))
        scale = float(np.max(np.abs(ref)))
        print("%s: shape %s, max |C API - txc-run| = %s of %s"
              % (name[:-4], list(ours.shape),
                 "0" if diff == 0 else "%.3g" % diff,
                 "nonzero" if scale > 0 else "zero"))
        if ours.shape != ref.shape or diff > 1e-5 * max(scale, 1.0):
            print("MISMATCH")
            return 1
    print("match: %d inputs" % len(inputs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
