#!/usr/bin/env python3
"""A NumPy reference for tx-quantize's round-to-nearest quantizers.

    rtn_reference.py make DIR            writes DIR/w.safetensors and
                                         DIR/model.mlir (two tx.linear ops)
    rtn_reference.py stats FILE          writes made-up calibration statistics
                                         for wa and wb (docs/calibration.md)
    rtn_reference.py awq-check OUT FORMAT GROUP
                                         AWQ's weights in OUT have a smaller
                                         weighted error than RTN's
    rtn_reference.py mixed-check OUT.mlir FRACTION
                                         the weights tx-quantize's mixed plan
                                         (int4 g32 base, int8 g32 high) put
                                         in int8 are the ones this file's
                                         ranking picks
    rtn_reference.py check DIR OUT FORMAT GROUP SYMMETRIC
                                         compares the codes, scales and zero
                                         points tx-quantize wrote to OUT (and
                                         NVFP4's tensor scale in
                                         DIR/out.mlir) with this file's, bit
                                         for bit

The rules are the ones docs/quantization.md states; this file implements
them with NumPy (f32 arithmetic, np.rint) and ml_dtypes' fp8/fp4 casts, not
with txc's code. Weights include an all-zero group, a tie between +v and -v
and values that reach the fp formats' saturation.
"""
import json
import re
import os
import struct
import sys

import ml_dtypes
import numpy as np

SHAPES = {"wa": (6, 80), "wb": (4, 64)}


def weights():
    rng = np.random.default_rng(7)
    out = {}
    for name, (n, k) in SHAPES.items():
        w = (rng.standard_normal((n, k)) * 0.05).astype(np.float32)
        w[0, :32] = 0.0                 # an all-zero group
        w[1, 3], w[1, 9] = 0.2, -0.2    # a tie for the largest magnitude
        w[2, 40] = 3.0                  # an outlier
        out[name] = w
    return out


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, (dtype, shape, data) in tensors.items():
        header[name] = {"dtype": dtype, "shape": list(shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def read_safetensors(path):
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        data = f.read()
    header.pop("__metadata__", None)
    return {name: (h["dtype"], h["shape"],
                   data[h["data_offsets"][0]:h["data_offsets"][1]])
            for name, h in header.items()}


def make(directory):
    os.makedirs(directory, exist_ok=True)
    ws = weights()
    path = os.path.join(directory, "w.safetensors")
    tensors = {name: ("F32", w.shape, w.tobytes()) for name, w in ws.items()}
    # For the error tests: a weight stored as bytes, and weights whose
    # quantized tensors are half there already.
    tensors["wi8"] = ("I8", (6, 80), bytes(480))
    tensors["wc"] = tensors["wa"]
    tensors["wc.nvfp4g16.codes"] = ("U8", (6, 40), bytes(240))
    tensors["wd"] = tensors["wb"]
    tensors["wd.int2g32.scales"] = ("F16", (4, 2), bytes(16))
    write_safetensors(path, tensors)
    (na, ka), (nb, kb) = SHAPES["wa"], SHAPES["wb"]
    with open(os.path.join(directory, "model.mlir"), "w") as f:
        f.write(f"""module attributes {{tx.weights = "{path}"}} {{
  func.func @main(%x: tensor<2x{ka}xf32>, %h: tensor<2x{kb}xf32>) -> (tensor<2x{na}xf32>, tensor<2x{nb}xf32>) {{
    %wa = tx.weight "wa" : tensor<{na}x{ka}xf32>
    %wb = tx.weight "wb" : tensor<{nb}x{kb}xf32>
    %a = tx.linear %x, %wa : tensor<2x{ka}xf32>, tensor<{na}x{ka}xf32> -> tensor<2x{na}xf32>
    %b = tx.linear %h, %wb : tensor<2x{kb}xf32>, tensor<{nb}x{kb}xf32> -> tensor<2x{nb}xf32>
    return %a, %b : tensor<2x{na}xf32>, tensor<2x{nb}xf32>
  }}
}}
""")


def groups_of(w, group):
    n, k = w.shape
    for r in range(n):
        for g0 in range(0, k, group):
            yield r, g0 // group, w[r, g0:g0 + group], slice(g0, g0 + group)


def rtn_int(w, bits, group, symmetric):
    n, k = w.shape
    levels, mid = 2 ** bits - 1, 2 ** (bits - 1)
    ng = -(-k // group)
    codes = np.zeros((n, k), np.uint8)
    scales = np.zeros((n, ng), np.float16)
    zeros = np.zeros((n, ng), np.uint8)
    for r, g, x, cols in groups_of(w, group):
        if symmetric:
            v = x[np.argmax(np.abs(x))]
            s16 = np.float16(v / np.float32(-mid))
            z = mid
        else:
            lo = min(np.float32(x.min()), np.float32(0))
            hi = max(np.float32(x.max()), np.float32(0))
            s16 = np.float16((hi - lo) / np.float32(levels))
            s = np.float32(s16)
            z = int(np.clip(np.rint(-lo / s), 0, levels)) if s != 0 else 0
            zeros[r, g] = z
        s = np.float32(s16)
        scales[r, g] = s16
        if s != 0:
            codes[r, cols] = np.clip(np.rint(x / s) + np.float32(z), 0, levels)
        else:
            codes[r, cols] = z
    return codes, scales, (None if symmetric else zeros)


def e4m3_bits(v):
    return np.asarray(v, np.float32).astype(ml_dtypes.float8_e4m3fn).view(np.uint8)


def e2m1_bits(v):
    v = np.clip(np.asarray(v, np.float32), -6, 6)
    c = v.astype(ml_dtypes.float4_e2m1fn).view(np.uint8) & 0xF
    return c


def rtn_fp(w, fmt, group):
    n, k = w.shape
    ng = -(-k // group)
    codes = np.zeros((n, k), np.uint8)
    tensor = np.float32(1)
    if fmt == "fp8":
        scales = np.zeros((n, ng), np.float32)
    else:
        scales = np.zeros((n, ng), np.uint8)
    if fmt == "nvfp4":
        amax = np.float32(np.abs(w).max())
        tensor = amax / np.float32(448 * 6) if amax > 0 else np.float32(1)
    for r, g, x, cols in groups_of(w, group):
        amax = np.float32(np.abs(x).max())
        if fmt == "fp8":
            s = amax / np.float32(448)
            scales[r, g] = s
            codes[r, cols] = e4m3_bits(x / s) if s != 0 else 0
            continue
        if fmt == "nvfp4":
            e = e4m3_bits(amax / np.float32(6) / tensor)
            scales[r, g] = e
            s = np.float32(e.view(ml_dtypes.float8_e4m3fn).astype(np.float32)) * tensor
        else:
            exp = -127
            if amax > 0:
                exp = int(np.clip(np.frexp(amax)[1] - 1 - 2, -127, 127))
            scales[r, g] = exp + 127
            s = np.float32(np.ldexp(np.float32(1), exp))
        codes[r, cols] = e2m1_bits(x / s) if s != 0 else 0
    return codes, scales, tensor


def unpack(data, shape, bits):
    raw = np.frombuffer(data, np.uint8)
    if bits == 8:
        return raw.reshape(shape)
    per = 8 // bits
    out = np.zeros(raw.size * per, np.uint8)
    for i in range(per):
        out[i::per] = (raw >> (i * bits)) & ((1 << bits) - 1)
    return out.reshape(shape)


def check(directory, out, fmt, group, symmetric):
    group, symmetric = int(group), symmetric == "1"
    stored = read_safetensors(out)
    failures = 0
    for name, w in weights().items():
        n, k = w.shape
        g = 16 if fmt == "nvfp4" else 32 if fmt == "mxfp4" else \
            (k if group <= 0 or group >= k else group)
        key = f"{name}.{fmt}" + ("pc" if g == k else f"g{g}") + \
              ("" if symmetric or fmt in ("fp8", "nvfp4", "mxfp4") else "z")
        bits = {"int8": 8, "int4": 4, "int2": 2, "fp8": 8}.get(fmt, 4)
        codes = unpack(stored[key + ".codes"][2], (n, k), bits)
        scale_bytes = stored[key + ".scales"][2]
        if fmt.startswith("int"):
            want_codes, want_scales, want_zeros = rtn_int(w, bits, g, symmetric)
            got_scales = np.frombuffer(scale_bytes, np.float16).reshape(want_scales.shape)
            if want_zeros is not None:
                got_zeros = np.frombuffer(stored[key + ".zeros"][2], np.uint8)
                if not np.array_equal(got_zeros, want_zeros.ravel()):
                    print(f"{key}: zero points differ"); failures += 1
        else:
            want_codes, want_scales, tensor = rtn_fp(w, fmt, g)
            got_scales = np.frombuffer(scale_bytes, want_scales.dtype).reshape(want_scales.shape)
            if fmt == "nvfp4":
                # The tensor scale is the tx.qpack's attribute in the IR.
                with open(os.path.join(directory, "out.mlir")) as f:
                    ir = f.read()
                found = re.findall(r"tensor_scale = ([-+0-9.eE]+) : f32", ir)
                got_t = np.float32(float(found[list(SHAPES).index(name)]))
                if got_t != tensor:
                    print(f"{key}: tensor scale {got_t} != {tensor}"); failures += 1
        if not np.array_equal(got_scales.view(np.uint8), want_scales.view(np.uint8)):
            bad = np.argwhere(got_scales.view(np.uint8).reshape(-1) != want_scales.view(np.uint8).reshape(-1))
            print(f"{key}: scales differ at {bad[:4].ravel().tolist()}"); failures += 1
        if not np.array_equal(codes, want_codes):
            bad = np.argwhere(codes != want_codes)
            print(f"{key}: {len(bad)} codes differ, first at {bad[0].tolist()}: "
                  f"{codes[tuple(bad[0])]} != {want_codes[tuple(bad[0])]}")
            failures += 1
    if failures:
        sys.exit(1)
    print(f"{fmt} group {group} symmetric {int(symmetric)}: codes and scales match")


def activation_stats():
    """Per-channel mean |x| and mean x^2 of made-up activations: a few
    channels 30x larger than the rest (what AWQ protects)."""
    rng = np.random.default_rng(11)
    out = {}
    for name, (n, k) in SHAPES.items():
        mag = np.ones(k, np.float32)
        mag[rng.choice(k, 4, replace=False)] = 30.0
        out[name] = (mag, (mag * mag * np.float32(1.5)).astype(np.float32))
    return out


def stats(path):
    tensors = {}
    for name, (abs_mean, sq_mean) in activation_stats().items():
        tensors[name + ".act_abs_mean"] = ("F32", abs_mean.shape, abs_mean.tobytes())
        tensors[name + ".act_sq_mean"] = ("F32", sq_mean.shape, sq_mean.tobytes())
    write_safetensors(path, tensors)


def awq_check(out, fmt, group):
    """The AWQ weight (codes / input scale) has a smaller output error
    weighted by mean x^2 than RTN's on every linear, and never a larger one."""
    stored = read_safetensors(out)
    bits = {"int8": 8, "int4": 4, "int2": 2}[fmt]
    group = int(group)
    better = 0
    for name, w in weights().items():
        n, k = w.shape
        _, sq_mean = activation_stats()[name]
        key = f"{name}.{fmt}g{group}.awq"
        codes = unpack(stored[key + ".codes"][2], (n, k), bits).astype(np.float32)
        scales = np.frombuffer(stored[key + ".scales"][2], np.float16).astype(np.float32)
        scales = scales.reshape(n, -1)
        inv = np.frombuffer(stored[key + ".input_scale"][2], np.float32)
        s_full = np.repeat(scales, group, axis=1)[:, :k]
        dequant = (codes - 2 ** (bits - 1)) * s_full * inv[None, :]
        awq_err = float(((dequant - w) ** 2 * sq_mean[None, :]).sum())
        rc, rs, _ = rtn_int(w, bits, group, True)
        rtn = (rc.astype(np.float32) - 2 ** (bits - 1)) * \
            np.repeat(rs.astype(np.float32), group, axis=1)[:, :k]
        rtn_err = float(((rtn - w) ** 2 * sq_mean[None, :]).sum())
        print(f"{name}: weighted error awq {awq_err:.4g} rtn {rtn_err:.4g}")
        if awq_err > rtn_err * (1 + 1e-5):
            sys.exit(f"{name}: awq is worse than rtn")
        better += awq_err < rtn_err * 0.99
    if not better:
        sys.exit("awq improved no linear")
    print(f"awq {fmt} g{group}: better than rtn on {better} linears")


def weighted_error(w, bits, group, sq_mean):
    codes, scales, _ = rtn_int(w, bits, group, True)
    k = w.shape[1]
    deq = (codes.astype(np.float32) - 2 ** (bits - 1)) * \
        np.repeat(scales.astype(np.float32), group, axis=1)[:, :k]
    return float(((deq.astype(np.float64) - w) ** 2 * sq_mean[None, :]).sum())


def mixed_check(out_mlir, fraction):
    """The mixed plan: rank by (error int4 - error int8) / extra bytes,
    move them best first while the moved ones hold at most `fraction` of
    the parameters (skipping those that do not fit)."""
    fraction = float(fraction)
    ranked, total = [], 0
    for name, w in weights().items():
        n, k = w.shape
        _, sq_mean = activation_stats()[name]
        groups = -(-k // 32)
        extra = (n * k + 2 * n * groups) - (n * k // 2 + 2 * n * groups)
        gain = (weighted_error(w, 4, 32, sq_mean) -
                weighted_error(w, 8, 32, sq_mean)) / extra
        ranked.append((gain, name, n * k))
        total += n * k
    ranked.sort(key=lambda t: -t[0])
    want, moved = set(), 0
    for gain, name, params in ranked:
        if moved + params > fraction * total * (1 + 1e-9):
            continue
        want.add(name)
        moved += params
    with open(out_mlir) as f:
        text = f.read()
    got8 = set(re.findall(r'tx.weight "(\w+)\.int8g32\.codes"', text))
    got4 = set(re.findall(r'tx.weight "(\w+)\.int4g32\.codes"', text))
    print("ranking: " + ", ".join(f"{n} {g:.4g}" for g, n, _ in ranked))
    if got8 != want or got4 != set(weights()) - want:
        sys.exit(f"mixed {fraction}: int8 {sorted(got8)}, int4 {sorted(got4)};"
                 f" expected int8 {sorted(want)}")
    print(f"mixed {fraction}: int8 {sorted(got8)} as expected")


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    elif sys.argv[1] == "stats":
        stats(sys.argv[2])
    elif sys.argv[1] == "awq-check":
        awq_check(*sys.argv[2:5])
    elif sys.argv[1] == "mixed-check":
        mixed_check(*sys.argv[2:4])
    else:
        check(*sys.argv[2:7])
