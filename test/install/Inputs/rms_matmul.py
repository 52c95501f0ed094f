"""NumPy reference for Inputs/rms_matmul.mlir (install.test).

`rms_matmul.py gen DIR` writes DIR/x.npy, the input run_model.c uses;
`rms_matmul.py check DIR` compares DIR/out/y.npy (txc-run's output) with
rms_norm(x, g) @ w and prints OK, or exits 1 naming the largest error.
"""
import sys

import numpy as np


def inputs():
    r, i = np.meshgrid(np.arange(3), np.arange(8), indexing="ij")
    return (((r * 8 + i) % 5 - 2) + 0.5 * r).astype(np.float32)


def reference(x):
    x = x.astype(np.float64)
    g = 0.5 + 0.125 * np.arange(8)
    i, k = np.meshgrid(np.arange(8), np.arange(4), indexing="ij")
    w = ((4 * i + k) % 7 - 3) * 0.25
    n = x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + 1e-5) * g
    return n @ w


def main():
    mode, root = sys.argv[1], sys.argv[2]
    if mode == "gen":
        np.save(root + "/x.npy", inputs())
        return 0
    y = np.load(root + "/out/y.npy")
    if y.dtype != np.float32 or y.shape != (3, 4):
        print(f"y: expected f32 (3, 4), got {y.dtype} {y.shape}")
        return 1
    error = np.abs(y - reference(inputs())).max()
    if not error < 1e-4:
        print(f"y differs from the reference by {error}")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
