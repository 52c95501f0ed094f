#!/usr/bin/env python3
"""The README's first command: generate the bundled example model (a small
Llama-style decoder exported the way torch dynamo does), compile it with txc,
run it with txc-run and print how closely it agrees with onnxruntime.

usage: demo.py BUILD_DIR WORK_DIR
"""
import os
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def step(title, cmd):
    print(f"[demo] {title}: {' '.join(cmd)}", flush=True)
    subprocess.run(cmd, check=True)


def main():
    build, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    gen = os.path.join(ROOT, "test", "Frontend", "ONNX", "gen_models.py")
    model = os.path.join(work, "llama.onnx")
    inputs = os.path.join(work, "inputs.npz")
    ref = os.path.join(work, "onnxruntime.npz")
    step("generate the example model", [
        sys.executable, gen, "llama", "--layers", "4", "--hidden", "128",
        "--heads", "8", "--kv-heads", "2", "--seq", "32", "--batch", "1",
        "-o", model, "--inputs", inputs, "--reference-out", ref])
    txc = os.path.join(build, "bin", "txc")
    step("raise it to tx IR", [txc, model, "-q", "-o",
                               os.path.join(work, "llama.tx.mlir")])
    so = os.path.join(work, "out", "llama.so")
    step("compile it", [txc, model, "-o", so])
    feeds = np.load(inputs)
    cmd = [os.path.join(build, "bin", "txc-run"), so, "--out-dir",
           os.path.join(work, "results")]
    for name in feeds.files:
        path = os.path.join(work, f"{name}.npy")
        np.save(path, feeds[name])
        cmd += ["--in", f"{name}={path}"]
    step("run it", cmd)
    expected = np.load(ref)
    for name in expected.files:
        got = np.load(os.path.join(work, "results", name + ".npy"))
        want = expected[name]
        err = float(np.max(np.abs(got - want)))
        scale = float(np.max(np.abs(want)))
        agree = np.mean(np.argmax(got, -1) == np.argmax(want, -1)) * 100
        print(f"[demo] {name} {list(got.shape)}: max |txc - onnxruntime| = "
              f"{err:.2e} (output scale {scale:.2f}); next-token argmax "
              f"agrees at {agree:.0f}% of positions")
    with open(os.path.join(work, "llama.tx.mlir")) as f:
        layers = sum(1 for line in f if "tx.layer " in line and "= tx.layer" in line)
    print(f"[demo] raised IR: {layers} tx.layer regions "
          f"({os.path.join(work, 'llama.tx.mlir')})")


if __name__ == "__main__":
    main()
