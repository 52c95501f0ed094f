"""Inputs for kv_length.mlir (`gen DIR LEN`), and the NumPy check of its
outputs (`check DIR LEN`): keys at or past LEN are garbage that must not
leak into the result."""
import sys

import numpy as np


def reference(q, k, v, n, window=None, sinks=0):
    b, h, sq, d = q.shape
    group = h // k.shape[1]
    out = np.zeros(q.shape, np.float64)
    for head in range(h):
        kh, vh = k[0, head // group, :n], v[0, head // group, :n]
        s = q[0, head].astype(np.float64) @ kh.T.astype(np.float64) / np.sqrt(d)
        for i in range(sq):
            p = n - sq + i
            j = np.arange(n)
            visible = j <= p
            if window is not None:
                visible &= (p - j < window) | (j < sinks)
            row = np.where(visible, s[i], -np.inf)
            e = np.exp(row - row.max())
            out[0, head, i] = (e / e.sum()) @ vh
    return out


def main():
    mode, d, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    rng = np.random.default_rng(n)
    q = rng.standard_normal((1, 4, 3, 16)).astype(np.float32)
    k = rng.standard_normal((1, 2, 32, 16)).astype(np.float32)
    v = rng.standard_normal((1, 2, 32, 16)).astype(np.float32)
    k[:, :, n:] = 1e4  # garbage past the valid length
    v[:, :, n:] = np.nan
    if mode == "gen":
        for name, x in dict(q=q, k=k, v=v, len=np.array(n, np.int64)).items():
            np.save(f"{d}/{name}.npy", x)
        return
    for name, want in (("causal", reference(q, k, v, n)),
                       ("window", reference(q, k, v, n, 4, 1))):
        got = np.load(f"{d}/out/{name}.npy")
        err = float(np.max(np.abs(got - want)))
        assert err < 1e-5, (name, n, err)
        print(f"OK {name} len={n} max_err={err:.1e}")


if __name__ == "__main__":
    main()
