#!/usr/bin/env python3
"""End-to-end check: compile a generated ONNX model with txc, run it with
txc-run and compare every output with onnxruntime on the same file and
inputs.

usage: compare_ort.py WORKDIR GEN_ARGS...      (a model from gen_models.py)
       compare_ort.py WORKDIR --ops OP...      (one-node models of each op)

Prints one line per model ("OK name max_err=..." or "FAIL name: why") and a
final "N passed, M failed" line. The tolerance is max |txc - ort| <=
1e-4 * max(1, max |ort|) in fp32 (exact equality for integer and bool
outputs).
"""
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "..", "Frontend", "ONNX", "gen_models.py")


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True)


def check(work, name, gen_args):
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    model = os.path.join(d, "model.onnx")
    inputs = os.path.join(d, "inputs.npz")
    ref = os.path.join(d, "ref.npz")
    r = run([sys.executable, GEN] + gen_args +
            ["-o", model, "--inputs", inputs, "--reference-out", ref])
    if r.returncode:
        return False, "generating failed: " + r.stderr.strip()[-300:]
    so = os.path.join(d, "out", "model.so")
    os.makedirs(os.path.dirname(so), exist_ok=True)
    r = run(["txc", model, "-q", "-o", so])
    if r.returncode:
        return False, "txc failed: " + r.stderr.strip()[-500:]
    feeds = np.load(inputs)
    cmd = ["txc-run", so, "--out-dir", os.path.join(d, "results")]
    for k in feeds.files:
        path = os.path.join(d, "in_" + k.replace("/", "_") + ".npy")
        np.save(path, feeds[k])
        cmd += ["--in", f"{k}={path}"]
    r = run(cmd)
    if r.returncode:
        return False, "txc-run failed: " + r.stderr.strip()[-500:]
    expected = np.load(ref)
    worst = 0.0
    for k in expected.files:
        path = os.path.join(d, "results", k.replace("/", "_") + ".npy")
        if not os.path.exists(path):
            return False, f"output {k} missing"
        got, want = np.load(path), expected[k]
        if got.shape != want.shape:
            return False, f"output {k}: shape {got.shape} != {want.shape}"
        if want.dtype.kind in "biu":
            if not np.array_equal(got, want):
                return False, f"output {k}: integer results differ"
            continue
        scale = max(1.0, float(np.max(np.abs(want))) if want.size else 1.0)
        err = float(np.max(np.abs(got.astype(np.float64) - want))) if want.size else 0.0
        worst = max(worst, err / scale)
        if not err <= 1e-4 * scale:
            return False, f"output {k}: max abs error {err:.3g} (scale {scale:.3g})"
    return True, f"max_rel_err={worst:.2e}"


def main():
    work = sys.argv[1]
    args = sys.argv[2:]
    cases = []
    if args and args[0] == "--ops":
        cases = [(f"op-{op}", ["--op", op]) for op in args[1:]]
    else:
        cases = [("-".join(a.lstrip("-") for a in args), args)]
    passed = failed = 0
    for name, gen_args in cases:
        ok, msg = check(work, name, gen_args)
        print(("OK " if ok else "FAIL ") + name + ": " + msg, flush=True)
        passed += ok
        failed += not ok
    print(f"e2e: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
