#!/usr/bin/env python3
"""Quality of txc's weight formats against the dense model, on real models.

usage: bench/quant_quality.py [--build build] [--work /tmp/txc-quant-quality]
                              [--tokens 1024] [--threads N]
                              [--calibration STATS] [--only NAME ...]
                              [--markdown FILE]

SmolLM2-135M-Instruct (its Q4_1 GGUF; `--quantize=f32` dequantizes it, the
dense reference) and all-MiniLM-L6-v2 (f32 Hugging Face folder), both
located by scripts/find-models. For each configuration (format, group,
zero points, method) it compiles the model with `txc --quantize=...` and
runs `txc-run MODEL eval --reference DENSE`:

  decoder  perplexity, top-1 agreement and mean KL(dense || quantized) on
           the first --tokens tokens of the evaluation text (default
           /usr/share/common-licenses/GPL-3: prose any Debian machine has,
           never used for calibration), prefill windows of 512;
  encoder  mean cosine similarity of mean-pooled embeddings, one sequence
           per non-empty line of the same text (first 200 lines).

Bytes per parameter are those of the linear layers' stored tensors (codes,
scales, zero points, AWQ input scales) in the weights file txc wrote, over
SmolLM2's 134.5M linear parameters (the tied LM head counted once as a
linear). Speed: bench/quant_cpu.py.

--calibration STATS adds the awq rows (STATS from `txc calibrate` on a
text other than the evaluation text).
"""
import argparse
import json
import os
import re
import struct
import subprocess
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), ".."))

DECODER_CONFIGS = [
    # name, txc flags
    ("keep (Q4_1 as stored)", []),
    ("f16", ["--quantize=f16"]),
    ("int8 per row", ["--quantize=int8", "--quant-group=0"]),
    ("int8 g32", ["--quantize=int8", "--quant-group=32"]),
    ("fp8 per row", ["--quantize=fp8", "--quant-group=0"]),
    ("int4 g32", ["--quantize=int4", "--quant-group=32"]),
    ("int4 g32 zero point", ["--quantize=int4", "--quant-group=32",
                             "--quant-zero-point"]),
    ("int4 g128", ["--quantize=int4", "--quant-group=128"]),
    ("int4 g128, LM head kept", ["--quantize=int4", "--quant-group=128",
                                 "--quant-keep=lm-head"]),
    ("nvfp4", ["--quantize=nvfp4"]),
    ("mxfp4", ["--quantize=mxfp4"]),
    ("int2 g16", ["--quantize=int2", "--quant-group=16"]),
    ("int2 g32 zero point", ["--quantize=int2", "--quant-group=32",
                             "--quant-zero-point"]),
]
AWQ_CONFIGS = [
    ("int4 g128 awq", ["--quantize=int4", "--quant-group=128"]),
    ("int2 g32 zero point awq", ["--quantize=int2", "--quant-group=32",
                                 "--quant-zero-point"]),
]
# Mixed-precision plans (--quant-mixed, RTN): a fraction of the parameters
# moved to int8 by the sensitivity ranking.
MIXED_CONFIGS = [
    ("int4 g128 + 10% int8 (mixed)", ["--quantize=int4", "--quant-group=128",
                                      "--quant-mixed=0.1"]),
    ("int4 g128 + 25% int8 (mixed)", ["--quantize=int4", "--quant-group=128",
                                      "--quant-mixed=0.25"]),
    ("int2 g32 zp + 25% int8 (mixed)", ["--quantize=int2", "--quant-group=32",
                                        "--quant-zero-point",
                                        "--quant-mixed=0.25"]),
]
ENCODER_CONFIGS = [
    ("int8 per row", ["--quantize=int8", "--quant-group=0"]),
    ("fp8 per row", ["--quantize=fp8", "--quant-group=0"]),
    ("int4 g32", ["--quantize=int4", "--quant-group=32"]),
    ("int4 g128", ["--quantize=int4", "--quant-group=128"]),
    ("nvfp4", ["--quantize=nvfp4"]),
    ("mxfp4", ["--quantize=mxfp4"]),
    ("int2 g32 zero point", ["--quantize=int2", "--quant-group=32",
                             "--quant-zero-point"]),
]


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr[-2000:]}")
    return p.stdout + p.stderr


def models():
    out = run([sys.executable, os.path.join(ROOT, "scripts", "find-models")])
    found = dict(line.split(" ", 1) for line in out.splitlines() if " " in line)
    return found.get("smollm2"), found.get("minilm")


def linear_bytes(weights, metadata_names):
    """Bytes and parameters of the linear layers' tensors in `weights`."""
    with open(weights, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
    header.pop("__metadata__", None)
    total = 0
    for name, h in header.items():
        if name in metadata_names:
            total += h["data_offsets"][1] - h["data_offsets"][0]
    return total


def linear_names(weights):
    with open(weights, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
    header.pop("__metadata__", None)
    return header


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--work", default="/tmp/txc-quant-quality")
    ap.add_argument("--text", default="/usr/share/common-licenses/GPL-3")
    ap.add_argument("--tokens", type=int, default=1024)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--calibration")
    ap.add_argument("--only", nargs="*", default=[])
    ap.add_argument("--markdown")
    args = ap.parse_args()
    txc = os.path.join(args.build, "bin", "txc")
    txc_run = os.path.join(args.build, "bin", "txc-run")
    os.makedirs(args.work, exist_ok=True)
    smollm2, minilm = models()
    env = dict(os.environ, TXC_NUM_THREADS=str(args.threads))
    rows = []

    def compile_model(model, tag, flags, extra):
        out = os.path.join(args.work, tag + ".so")
        run([txc, model, "-o", out] + extra + flags, env=env)
        return out

    def selected(name):
        return not args.only or any(o in name for o in args.only)

    if smollm2:
        dense = compile_model(smollm2, "smol-dense", ["--quantize=f32"],
                              ["--max-seq=640"])
        dense_linear = None
        configs = list(DECODER_CONFIGS)
        if args.calibration:
            configs += [(n, f + ["--quant-method=awq",
                                 f"--calibration={args.calibration}"])
                        for n, f in AWQ_CONFIGS]
            configs += [(n, f + [f"--calibration={args.calibration}"])
                        for n, f in MIXED_CONFIGS]
        for name, flags in configs:
            if not selected(name):
                continue
            tag = "smol-" + re.sub(r"[^a-z0-9]+", "-", name.lower())
            lib = compile_model(smollm2, tag, flags, ["--max-seq=640"])
            text = run([txc_run, lib, "eval", "--text", args.text,
                        "--max-tokens", str(args.tokens), "--context", "512",
                        "--reference", dense], env=env)
            ppl = float(re.search(r"^perplexity: ([0-9.]+)", text, re.M).group(1))
            ref = float(re.search(r"reference-perplexity: ([0-9.]+)", text).group(1))
            top1 = float(re.search(r"top1-agreement: ([0-9.]+)", text).group(1))
            kl = float(re.search(r"^kl: ([0-9.eE+-]+)", text, re.M).group(1))
            weights = lib[:-3] + ".safetensors"
            header = linear_names(weights)
            # Linear tensors: everything but norms and the embedding table.
            linear = {n for n in header
                      if not re.search(r"norm|token_embd\.weight$", n)}
            nbytes = linear_bytes(weights, linear)
            rows.append(("SmolLM2-135M", name, f"{ppl:.2f} ({ref:.2f})",
                         f"{top1:.3f}", f"{kl:.4f}",
                         f"{nbytes / 134.5e6:.3f}"))
            print(" | ".join(str(c) for c in rows[-1]), flush=True)

    if minilm:
        lines = [l for l in open(args.text, encoding="utf-8").read().splitlines()
                 if l.strip()][:200]
        text_file = os.path.join(args.work, "lines.txt")
        with open(text_file, "w") as f:
            f.write("\n".join(lines) + "\n")
        dense = compile_model(minilm, "mini-dense", [], [])
        for name, flags in ENCODER_CONFIGS:
            if not selected(name):
                continue
            tag = "mini-" + re.sub(r"[^a-z0-9]+", "-", name.lower())
            lib = compile_model(minilm, tag, flags, [])
            text = run([txc_run, lib, "eval", "--text", text_file,
                        "--reference", dense], env=env)
            cos = re.search(r"cosine[^:]*: ([0-9.]+)", text)
            rows.append(("all-MiniLM-L6-v2", name, "-", "-",
                         f"cos {cos.group(1) if cos else '?'}", "-"))
            print(" | ".join(str(c) for c in rows[-1]), flush=True)

    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write("| model | format | perplexity (dense) | top-1 | KL or cosine "
                    "| bytes / linear param |\n|---|---|---|---|---|---|\n")
            for r in rows:
                f.write("| " + " | ".join(str(c) for c in r) + " |\n")


if __name__ == "__main__":
    main()
