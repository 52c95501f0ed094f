#!/usr/bin/env python3
"""End-to-end checks of txc --quantize on a small ONNX decoder.

    quant_check.py MODEL.onnx TOKENIZER TEXT WORKDIR

Compiles MODEL dense and in every format, runs `txc-run eval --reference
dense` on TEXT and checks:
  * --quantize=f32 on a dense model is the exact mode: kl 0, the same
    perplexity, top-1 agreement 1;
  * every format runs and stays close to the dense model, within bounds
    that follow the format's bits (f16/bf16 < int8/fp8 < 4-bit < int2);
  * more bits never lose to fewer: kl(int8) < kl(int4 g32) < kl(int2);
  * the weights file holds the quantized tensors, not the dense originals.
Prints one PASS/FAIL line per check and "quantize: N passed, M failed".
"""
import json
import os
import re
import struct
import subprocess
import sys

model, tokenizer, text, work = sys.argv[1:5]
os.makedirs(work, exist_ok=True)
FORMATS = {
    # name: (flags, max kl against the dense model)
    "f32": (["--quantize=f32"], 0.0),
    "f16": (["--quantize=f16"], 1e-4),
    "bf16": (["--quantize=bf16"], 1e-3),
    "int8": (["--quantize=int8", "--quant-group=0"], 5e-3),
    "fp8": (["--quantize=fp8"], 2e-2),
    "int4": (["--quantize=int4", "--quant-group=32"], 0.1),
    "int4z": (["--quantize=int4", "--quant-zero-point"], 0.1),
    "nvfp4": (["--quantize=nvfp4"], 0.1),
    "mxfp4": (["--quantize=mxfp4"], 0.2),
    "int2": (["--quantize=int2", "--quant-group=16"], 2.0),
}
results, failed, passed = {}, 0, 0


def check(ok, what):
    global failed, passed
    print(("PASS " if ok else "FAIL ") + what)
    if ok:
        passed += 1
    else:
        failed += 1


def compile_model(tag, flags):
    out = os.path.join(work, tag, "model.so")
    subprocess.run(["txc", model, "-q", "--max-seq", "64", "-o", out] + flags,
                   check=True)
    return out


def evaluate(lib, reference):
    p = subprocess.run(["txc-run", lib, "eval", "--tokenizer", tokenizer,
                        "--text", text, "--reference", reference],
                       capture_output=True, text=True, check=True)
    fields = dict(re.findall(r"^([a-z0-9-]+): ([0-9.eE+-]+)", p.stdout, re.M))
    return {k: float(v) for k, v in fields.items()}


dense = compile_model("dense", [])
for name, (flags, bound) in FORMATS.items():
    lib = compile_model(name, flags)
    r = evaluate(lib, dense)
    results[name] = r
    if name == "f32":
        check(r["kl"] == 0.0 and r["top1-agreement"] == 1.0 and
              r["perplexity"] == r["reference-perplexity"],
              f"f32 is the dense model exactly: kl {r['kl']}, top1 "
              f"{r['top1-agreement']}, perplexity {r['perplexity']} vs "
              f"{r['reference-perplexity']}")
    else:
        check(0.0 <= r["kl"] <= bound,
              f"{name}: kl {r['kl']:.3g} <= {bound} (perplexity "
              f"{r['perplexity']:.3f}, dense {r['reference-perplexity']:.3f})")

check(results["int8"]["kl"] < results["int4"]["kl"] < results["int2"]["kl"],
      "kl grows as bits shrink: int8 {:.3g} < int4 {:.3g} < int2 {:.3g}".format(
          results["int8"]["kl"], results["int4"]["kl"], results["int2"]["kl"]))

with open(os.path.join(work, "int4", "model.safetensors"), "rb") as f:
    header = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
names = [n for n in header if n != "__metadata__"]
codes = [n for n in names if n.endswith(".int4g32.codes")]
dense_twins = [n for n in names if n + ".int4g32.codes" in names]
check(codes and not dense_twins,
      f"the int4 weights file holds {len(codes)} quantized weights and "
      f"{len(dense_twins)} of their dense originals")
print(f"quantize: {passed} passed, {failed} failed")
