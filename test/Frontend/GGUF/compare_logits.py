#!/usr/bin/env python3
"""Compares two [T, V] logit arrays; B is the reference.

Prints one line per metric:

  positions: T
  tied: N              positions where B's top-2 logits are within --tie
  top1-agree: K/M F    agreement of the argmax over the M non-tied positions
  top1-agree-tied: K/N agreement over the tied positions (informational)
  mean-kl: X           mean over positions of KL(softmax(B) || softmax(A))
  max-abs-diff: X
  result: PASS|FAIL

Exits 1 when the non-tied agreement is below --min-agree (default 1.0) or,
when --tol is given, the max abs difference exceeds it; 2 on bad input.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def compare(a: np.ndarray, b: np.ndarray, tie: float = 1e-3) -> dict:
    """Metrics of A against the reference B (both [T, V] or [V])."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.ndim == 1:
        a, b = a[None], b[None]
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(f"shape mismatch: A {list(a.shape)} vs B {list(b.shape)} (expected equal [T, V])")
    if not np.all(np.isfinite(a)):
        raise ValueError("A has non-finite values")
    if not np.all(np.isfinite(b)):
        raise ValueError("B has non-finite values")
    if b.shape[1] > 1:
        top2 = np.sort(b, axis=-1)[:, -2:]
        tied = (top2[:, 1] - top2[:, 0]) <= tie
    else:
        tied = np.zeros(b.shape[0], dtype=bool)
    agree = a.argmax(-1) == b.argmax(-1)
    lb, la = _log_softmax(b), _log_softmax(a)
    kl = (np.exp(lb) * (lb - la)).sum(-1)
    n_free = int((~tied).sum())
    return {
        "positions": a.shape[0],
        "tied": int(tied.sum()),
        "agree": int(agree[~tied].sum()),
        "free": n_free,
        "agree_frac": float(agree[~tied].mean()) if n_free else 1.0,
        "agree_tied": int(agree[tied].sum()),
        "mean_kl": float(kl.mean()),
        "max_abs": float(np.abs(a - b).max()),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="top-1 agreement / KL / max-abs between two logit arrays")
    ap.add_argument("a", help="candidate logits (.npy)")
    ap.add_argument("b", help="reference logits (.npy)")
    ap.add_argument("--tol", type=float, default=None, help="fail when max abs diff exceeds this")
    ap.add_argument("--tie", type=float, default=1e-3, help="top-2 gap of B counted as a tie")
    ap.add_argument("--min-agree", type=float, default=1.0, help="minimum top-1 agreement (non-tied)")
    args = ap.parse_args(argv)
    try:
        m = compare(np.load(args.a), np.load(args.b), args.tie)
    except (OSError, ValueError) as e:
        print(f"compare_logits.py: error: {e}", file=sys.stderr)
        return 2
    print(f"positions: {m['positions']}")
    print(f"tied: {m['tied']}")
    print(f"top1-agree: {m['agree']}/{m['free']} {m['agree_frac']:.4f}")
    print(f"top1-agree-tied: {m['agree_tied']}/{m['tied']}")
    print(f"mean-kl: {m['mean_kl']:.3e}")
    print(f"max-abs-diff: {m['max_abs']:.3e}")
    ok = m["agree_frac"] >= args.min_agree
    if args.tol is not None and m["max_abs"] > args.tol:
        ok = False
    print("result: " + ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
