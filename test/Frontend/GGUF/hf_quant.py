#!/usr/bin/env python3
"""Tiny GPTQ, AWQ and FP8 Hugging Face folders and their numeric check.

  hf_quant.py gen --method gptq|gptq_v2|awq|fp8|fp8-tensor|fp8-block
                  [--bits 4|8] [--group G] [--sym] [--act-order]
                  [--drop PART] -o QUANT --dense DENSE
  hf_quant.py check QUANT DENSE [--tol T]

`gen` writes a random tiny Llama (gen_hf.py, F32) as DENSE, quantizes each
linear of its layers (q/k/v/o, gate/up/down; embeddings and the LM head stay
dense, as the quantizers leave them) and writes QUANT with the checkpoint's
layout, packed with NumPy exactly as the formats define it:

* gptq (AutoGPTQ, checkpoint_format gptq): qweight int32 [K*bits/32, N]
  packed along K low bits first, qzeros int32 [G, N*bits/32] packed along N
  holding z - 1, scales f16 [G, N], g_idx int32 [K]; `gptq_v2` stores z.
  `--sym` uses z = 2^(bits-1); `--act-order` groups input features by a
  random permutation (g_idx is not k // group).
* awq (AutoAWQ GEMM): qweight int32 [K, N/8] packed along N with nibble i
  of a word holding column [0, 2, 4, 6, 1, 3, 5, 7][i], qzeros likewise,
  scales f16 [G, N].
* fp8 (transformers): weight float8_e4m3fn [N, K] with weight_scale f32
  [N, 1] (`fp8`) or [1] (`fp8-tensor`), or weight_scale_inv f32 [N/16, K/16]
  with weight_block_size [16, 16] (`fp8-block`); an input_scale is added
  (txc ignores it).

Codes, scales and zero points come from round-to-nearest on the dense
weights; DENSE is then rewritten with exactly the values they dequantize to,
so the two folders are the same model. `--drop PART` leaves PART (qzeros,
weight_scale, ...) out of every quantized linear, for the error tests.

`check` compiles QUANT twice (as is: quantized kernels; `--quantize=f32`:
the imported weights dequantized at compile time) and DENSE once, runs them
with txc-run on 8 random tokens and compares: DENSE against the float64
NumPy reference (ref_forward.py, 1e-3 of max |logit|), QUANT with
--quantize=f32 against DENSE (1e-5: the imported values are exact) and
QUANT against DENSE (--tol, default 3e-2: the kernels round activations to
int8). One line per comparison; exit 1 on any failure.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_hf  # noqa: E402
import ref_forward  # noqa: E402
import tiny_models  # noqa: E402

LINEARS = ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj",
           "mlp.up_proj", "mlp.down_proj")
AWQ_ORDER = [0, 2, 4, 6, 1, 3, 5, 7]


def write_safetensors(path, tensors):
    """tensors: name -> (safetensors dtype, numpy array with that layout)."""
    header, blobs, off = {"__metadata__": {"format": "pt"}}, [], 0
    for name, (dtype, a) in tensors.items():
        data = np.ascontiguousarray(a).tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(len(h).to_bytes(8, "little"))
        f.write(h)
        for b in blobs:
            f.write(b)


def pack_along_rows(codes, bits):
    """[R, C] codes -> int32 [R*bits/32, C], row r in bits (r % per) of word r // per."""
    per = 32 // bits
    r, c = codes.shape
    words = np.zeros((r // per, c), np.uint32)
    for i in range(per):
        words |= codes[i::per].astype(np.uint32) << np.uint32(bits * i)
    return words.view(np.int32)


def pack_along_cols(codes, bits, order=None):
    """[R, C] codes -> int32 [R, C*bits/32]; column c of a word at position
    order.index(c % per) (GPTQ: order is identity)."""
    per = 32 // bits
    r, c = codes.shape
    words = np.zeros((r, c // per), np.uint32)
    for i in range(per):
        col = order[i] if order else i
        words |= codes[:, col::per].astype(np.uint32) << np.uint32(bits * i)
    return words.view(np.int32)


def quantize_int(w, bits, group, sym, v1, groups_of):
    """RTN with a scale and zero point per (row, group): codes [N, K] (uint),
    scales f16 [N, G], zero points [N, G]; groups_of[k] is k's group."""
    n, k = w.shape
    g = groups_of.max() + 1
    top = 2 ** bits - 1
    scales = np.zeros((n, g), np.float16)
    zeros = np.zeros((n, g), np.int64)
    for j in range(g):
        cols = w[:, groups_of == j]
        lo, hi = np.minimum(cols.min(1), 0), np.maximum(cols.max(1), 0)
        if sym:
            s = np.maximum(np.abs(lo), np.abs(hi)) / (2 ** (bits - 1) - 1)
            z = np.full(n, 2 ** (bits - 1))
        else:
            s = (hi - lo) / top
            z = np.rint(-lo / np.where(s > 0, s, 1))
        scales[:, j] = np.where(s > 0, s, 1e-3).astype(np.float16)
        # AutoGPTQ's checkpoint_format gptq stores z - 1: keep z >= 1 (and a
        # byte for 8 bits).
        zeros[:, j] = np.clip(z, 1 if v1 else 0, top)
    s32 = scales.astype(np.float32)[:, groups_of]
    z = zeros[:, groups_of]
    codes = np.clip(np.rint(w / s32) + z, 0, top).astype(np.int64)
    dense = ((codes - z).astype(np.float32) * s32).astype(np.float32)
    return codes, scales, zeros, dense


def fp8_codes(x):
    import ml_dtypes
    return np.asarray(x, np.float32).astype(ml_dtypes.float8_e4m3fn)


def quantize_linear(args, w, rng):
    """Returns ({suffix: (dtype, array)}, dense values) for one weight [N, K]."""
    n, k = w.shape
    m = args.method
    if m.startswith("fp8"):
        if m == "fp8-block":
            b = 16
            sinv = np.zeros((-(-n // b), -(-k // b)), np.float32)
            for i in range(sinv.shape[0]):
                for j in range(sinv.shape[1]):
                    sinv[i, j] = np.abs(w[i * b:(i + 1) * b, j * b:(j + 1) * b]).max() / 448
            full = np.repeat(np.repeat(sinv, b, 0), b, 1)[:n, :k]
            q = fp8_codes(w / full)
            dense = q.astype(np.float32) * full
            parts = {"weight": ("F8_E4M3", q.view(np.uint8)), "weight_scale_inv": ("F32", sinv)}
        else:
            s = (np.abs(w).max() / 448 * np.ones([1], np.float32) if m == "fp8-tensor"
                 else (np.abs(w).max(1, keepdims=True) / 448).astype(np.float32))
            q = fp8_codes(w / s)
            dense = q.astype(np.float32) * s
            parts = {"weight": ("F8_E4M3", q.view(np.uint8)), "weight_scale": ("F32", s)}
        parts["input_scale"] = ("F32", np.ones([1], np.float32))
        return parts, dense.astype(np.float32)
    bits, group = args.bits, args.group if args.group > 0 else k
    groups_of = np.arange(k) // group
    if args.act_order:
        groups_of = rng.permutation(k) // group
    v1 = m == "gptq"
    codes, scales, zeros, dense = quantize_int(w, bits, group, args.sym, v1, groups_of)
    # Checkpoints store the transposes: [K, N] codes, [G, N] scales/zeros.
    if m == "awq":
        parts = {"qweight": ("I32", pack_along_cols(codes.T, 4, AWQ_ORDER)),
                 "qzeros": ("I32", pack_along_cols(zeros.T, 4, AWQ_ORDER)),
                 "scales": ("F16", scales.T.copy())}
    else:
        parts = {"qweight": ("I32", pack_along_rows(codes.T, bits)),
                 "qzeros": ("I32", pack_along_cols(zeros.T - (1 if v1 else 0), bits)),
                 "scales": ("F16", scales.T.copy()),
                 "g_idx": ("I32", groups_of.astype(np.int32))}
    return parts, dense


def quant_config(args):
    m = args.method
    if m.startswith("fp8"):
        c = {"quant_method": "fp8", "activation_scheme": "dynamic"}
        if m == "fp8-block":
            c["weight_block_size"] = [16, 16]
        return c
    if m == "awq":
        return {"quant_method": "awq", "bits": 4, "group_size": args.group, "zero_point": True, "version": "gemm"}
    return {"quant_method": "gptq", "bits": args.bits, "group_size": args.group, "sym": args.sym,
            "desc_act": args.act_order, "checkpoint_format": "gptq" if m == "gptq" else "gptq_v2"}


def gen(args):
    cfg = tiny_models.Config(arch="llama", layers=2, hidden=64, heads=4, kv_heads=2, ff=128, vocab=320)
    cfg.check()
    gen_hf.write_random(cfg, args.dense, "F32", 1, args.seed)
    tensors = ref_forward.read_safetensors(os.path.join(args.dense, "model.safetensors"))
    rng = np.random.default_rng(args.seed + 1)
    quant, dense = {}, {}
    for name, a in tensors.items():
        a = np.asarray(a, np.float32)
        prefix = name[:-len(".weight")]
        if name.endswith(".weight") and prefix.split(".", 3)[-1] in LINEARS:
            parts, values = quantize_linear(args, a, rng)
            for part, t in parts.items():
                if part != args.drop:
                    quant[f"{prefix}.{part}"] = t
            dense[name] = values
        else:
            quant[name] = ("F32", a)
            dense[name] = a
    shutil.copytree(args.dense, args.output, dirs_exist_ok=True)
    write_safetensors(os.path.join(args.output, "model.safetensors"), quant)
    write_safetensors(os.path.join(args.dense, "model.safetensors"), {k: ("F32", v) for k, v in dense.items()})
    with open(os.path.join(args.output, "config.json")) as f:
        config = json.load(f)
    config["quantization_config"] = quant_config(args)
    with open(os.path.join(args.output, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    return 0


def run(model, ids, tmp, tag, extra=()):
    so = os.path.join(tmp, tag + ".so")
    r = subprocess.run(["txc", model, "-q", "--max-seq", "0", f"--shape=input_ids=1x{ids.shape[1]}", "-o", so,
                        *extra], capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(f"txc {tag}: {r.stderr.strip()}")
    np.save(os.path.join(tmp, "ids.npy"), ids)
    np.save(os.path.join(tmp, "pos.npy"), np.arange(ids.shape[1], dtype=np.int64)[None, :])
    out = os.path.join(tmp, tag)
    r = subprocess.run(["txc-run", so, "--in", f"input_ids={tmp}/ids.npy", "--in", f"position_ids={tmp}/pos.npy",
                        "--out-dir", out], capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(f"txc-run {tag}: {r.stderr.strip()}")
    return np.load(os.path.join(out, "logits.npy"))[0].astype(np.float64)


def check(args):
    ids = np.random.default_rng(0).integers(0, 320, size=(1, 8), dtype=np.int64)
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        try:
            dense = run(args.dense, ids, tmp, "dense")
            exact = run(args.quant, ids, tmp, "quant-f32", ["--quantize=f32"])
            quant = run(args.quant, ids, tmp, "quant")
        except RuntimeError as e:
            print(f"FAIL {e}")
            return 1
    ref = np.asarray(ref_forward.forward(args.dense, ids[0]), np.float64).reshape(dense.shape)
    scale = float(np.abs(ref).max())
    for what, got, want, tol in (("dense vs reference", dense, ref, 1e-3),
                                 ("quantized --quantize=f32 vs dense", exact, dense, 1e-5),
                                 ("quantized vs dense", quant, dense, args.tol)):
        err = float(np.abs(got - want).max()) / scale
        ok = err <= tol
        failed += not ok
        print(f"{'OK' if ok else 'FAIL'} {what}: max error {err:.1e} of max |logit| (limit {tol:g})")
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("--method", required=True, choices=("gptq", "gptq_v2", "awq", "fp8", "fp8-tensor", "fp8-block"))
    g.add_argument("--bits", type=int, default=4, choices=(4, 8))
    g.add_argument("--group", type=int, default=32, help="-1: one group per row")
    g.add_argument("--sym", action="store_true")
    g.add_argument("--act-order", action="store_true")
    g.add_argument("--drop", metavar="PART", help="leave this part out of every quantized linear")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("-o", "--output", required=True)
    g.add_argument("--dense", required=True)
    c = sub.add_parser("check")
    c.add_argument("quant")
    c.add_argument("dense")
    c.add_argument("--tol", type=float, default=3e-2)
    args = ap.parse_args()
    return gen(args) if args.cmd == "gen" else check(args)


if __name__ == "__main__":
    sys.exit(main())
