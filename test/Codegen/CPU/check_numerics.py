#!/usr/bin/env python3
"""Numerics of tx-lower-to-linalg: runs lowered tx ops on the CPU and compares
them with NumPy references.

Every case is a small module: `@kernel` applies tx ops to its tensor
arguments, `@main` calls it on constants generated from a seeded NumPy
generator and prints the result with printMemrefF32. The module goes through

  tx-opt --tx-lower-to-linalg | tx-opt <bufferize and lower to LLVM> |
  mlir-runner -e main

(the second step is tx-opt rather than mlir-opt because it has to know the
txcpu ops and run tx-attention-to-kernels and tx-quant-to-kernels;
mlir-runner loads the attention and quantized-product kernels from
build/lib/libtxc_kernels_runner.so). f32 attention goes through
the runtime's attention kernel, and each attention case runs a second time
with the linalg lowering (`attention-kernel=false`, suffix `_linalg`).

and the printed values must match the reference within 1e-4 times the
output's scale (max(1, max |reference|)). Prints one PASS/FAIL line per case
and a final "N passed, M failed" line; exits 1 on any failure.

Tools are looked up on PATH (lit puts the txc and LLVM tool directories
there), then in the build directory and `llvm-config --bindir`.
With --backend-loops the loops are generated as the CPU backend generates
them (tx-linalg-to-loops, tx-approximate-math, OpenMP) instead.
Usage: check_numerics.py [-k SUBSTRING] [--keep DIR] [--backend-loops]
"""
import argparse
import concurrent.futures
import copy
import math
import os
import re
import shutil
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SRC_ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))

LOWER_TO_LLVM = [
    "--convert-elementwise-to-linalg",
    "--one-shot-bufferize=bufferize-function-boundaries",
    "--tx-attention-to-kernels",
    "--tx-quant-to-kernels",
    "--convert-linalg-to-loops",
    "--convert-scf-to-cf",
    "--expand-strided-metadata",
    "--lower-affine",
    "--finalize-memref-to-llvm",
    "--convert-math-to-llvm",
    "--convert-math-to-libm",
    "--convert-arith-to-llvm",
    "--convert-cf-to-llvm",
    "--convert-func-to-llvm",
    "--reconcile-unrealized-casts",
]

# --backend-loops: the CPU backend's own loop generation instead of
# convert-linalg-to-loops (as in lib/Compiler/Backend.cpp: vectorized
# loops, approximated math, OpenMP; every nest threaded here, however
# small) with the backend's identity-layout function boundaries.
BACKEND_LOOPS = [
    "--tx-linalg-to-loops=min-parallel-work=0",
    "--convert-linalg-to-loops",
    "--tx-approximate-math",
    "--convert-scf-to-openmp",
    "--canonicalize",
]


def lowering(backend_loops):
    if not backend_loops:
        return LOWER_TO_LLVM
    steps = []
    for step in LOWER_TO_LLVM:
        if step.startswith("--one-shot-bufferize"):
            step += " function-boundary-type-conversion=identity-layout-map"
        if step == "--convert-linalg-to-loops":
            steps += BACKEND_LOOPS
            continue
        if step == "--finalize-memref-to-llvm":
            steps.append("--convert-vector-to-llvm")
        if step == "--reconcile-unrealized-casts":
            steps.append("--convert-openmp-to-llvm")
        steps.append(step)
    return steps


TOLERANCE = 1e-4


# ---------------------------------------------------------------------------
# Tools
# ---------------------------------------------------------------------------

def llvm_bindir():
    for config in ("llvm-config", "llvm-config-22"):
        path = shutil.which(config)
        if path:
            out = subprocess.run([path, "--bindir"], capture_output=True,
                                 text=True)
            if out.returncode == 0:
                return out.stdout.strip()
    return "/usr/lib/llvm-22/bin"


def find_tool(name, fallbacks):
    path = shutil.which(name)
    if path:
        return path
    for directory in fallbacks:
        candidate = os.path.join(directory, name)
        if os.access(candidate, os.X_OK):
            return candidate
    sys.exit(f"check_numerics.py: cannot find {name}")


def find_tools():
    bindir = llvm_bindir()
    tools = {
        "tx-opt": find_tool("tx-opt", [os.path.join(SRC_ROOT, "build", "bin")]),
        "mlir-runner": find_tool("mlir-runner", [bindir]),
    }
    libdir = os.path.join(
        os.path.dirname(os.path.realpath(tools["mlir-runner"])), "..", "lib")
    libs = [os.path.normpath(os.path.join(libdir, lib))
            for lib in ("libmlir_c_runner_utils.so", "libmlir_runner_utils.so")]
    kernels = os.path.normpath(os.path.join(
        os.path.dirname(os.path.realpath(tools["tx-opt"])), "..", "lib",
        "libtxc_kernels_runner.so"))
    if not os.path.exists(kernels):
        sys.exit(f"check_numerics.py: cannot find {kernels} "
                 "(ninja txc_kernels_runner)")
    tools["libs"] = ",".join(libs + [kernels])
    tools["libomp"] = os.path.normpath(os.path.join(libdir, "libomp.so"))
    return tools


# ---------------------------------------------------------------------------
# Building cases
# ---------------------------------------------------------------------------

class Arg:
    """A kernel argument: `value` holds the data in `elem` (MLIR element
    type). Codes of 8- and 4-bit float formats are given by their bit
    patterns (`storage` i8 / i4) and bitcast in @main."""

    def __init__(self, value, elem, storage=None):
        self.value = np.asarray(value)
        self.elem = elem
        self.storage = storage

    @property
    def type(self):
        return ttype(self.value.shape, self.elem)


class Case:
    """`body` computes the f32 result `%r` of shape `result_shape` from the
    arguments `%a0, %a1, ...`; with several results, `%r0, %r1, ...` and
    lists of shapes and expected values."""

    def __init__(self, name, args, body, result_shape, expected):
        self.name = name
        self.args = args
        self.body = body
        # Options of tx-lower-to-linalg, and whether the lowered module must
        # call the attention kernel.
        self.lower_options = ""
        self.calls_kernel = False
        # Per-element error allowed besides TOLERANCE * scale (quantized
        # products on rounded activations), or None.
        self.bound = None
        if isinstance(result_shape, list):
            self.results = [f"%r{i}" for i in range(len(result_shape))]
            self.result_types = [ttype(s, "f32") for s in result_shape]
            self.expected = [np.asarray(e, dtype=np.float64) for e in expected]
        else:
            self.results = ["%r"]
            self.result_types = [ttype(result_shape, "f32")]
            self.expected = [np.asarray(expected, dtype=np.float64)]


def ttype(shape, elem):
    return "tensor<" + "".join(f"{d}x" for d in shape) + elem + ">"


def literal(array, elem):
    """The dense<...> literal of `array`, nested as the shape."""
    if elem == "i1":
        fmt = lambda x: "true" if x else "false"
    elif elem.startswith("i"):
        fmt = lambda x: str(int(x))
    else:
        fmt = lambda x: repr(float(x))

    def rec(a):
        if a.ndim == 0:
            return fmt(a)
        return "[" + ", ".join(rec(x) for x in a) + "]"

    if array.ndim == 0:
        return f"dense<{fmt(array)}>"
    return f"dense<{rec(array)}>"


def module_text(case):
    params = ", ".join(f"%a{i}: {a.type}" for i, a in enumerate(case.args))
    result_types = ", ".join(case.result_types)
    lines = [
        "func.func private @printMemrefF32(tensor<*xf32>)",
        f"func.func @kernel({params}) -> ({result_types}) {{",
    ]
    lines += ["  " + line for line in case.body.strip().splitlines()]
    lines += [f"  return {', '.join(case.results)} : {result_types}", "}",
              "func.func @main() {"]
    for i, a in enumerate(case.args):
        if a.storage:
            stored = ttype(a.value.shape, a.storage)
            lines.append(f"  %s{i} = arith.constant {literal(a.value, a.storage)}"
                         f" : {stored}")
            lines.append(f"  %c{i} = arith.bitcast %s{i} : {stored} to {a.type}")
        else:
            lines.append(f"  %c{i} = arith.constant {literal(a.value, a.elem)}"
                         f" : {a.type}")
    operands = ", ".join(f"%c{i}" for i in range(len(case.args)))
    types = ", ".join(a.type for a in case.args)
    outs = ", ".join(f"%o{i}" for i in range(len(case.results)))
    lines.append(f"  {outs} = call @kernel({operands}) : ({types}) -> "
                 f"({result_types})")
    for i, t in enumerate(case.result_types):
        lines += [f"  %u{i} = tensor.cast %o{i} : {t} to tensor<*xf32>",
                  f"  call @printMemrefF32(%u{i}) : (tensor<*xf32>) -> ()"]
    lines += ["  return", "}"]
    return "\n".join(lines) + "\n"


def rng(seed):
    return np.random.default_rng(seed)


def randn(r, *shape):
    return r.standard_normal(shape).astype(np.float32)


def f32(a):
    return Arg(np.asarray(a, dtype=np.float32), "f32")


# ---------------------------------------------------------------------------
# References
# ---------------------------------------------------------------------------

def ref_linear(x, w, b=None):
    y = x.astype(np.float64) @ w.astype(np.float64).T
    return y if b is None else y + b


def ref_rms_norm(x, w, eps):
    x = x.astype(np.float64)
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def ref_layer_norm(x, w, b, eps):
    x = x.astype(np.float64)
    mean = np.mean(x, axis=-1, keepdims=True)
    var = np.mean((x - mean) ** 2, axis=-1, keepdims=True)
    y = (x - mean) / np.sqrt(var + eps) * w
    return y if b is None else y + b


def ref_rope(x, cos, sin, positions=None, interleaved=False):
    """x [B,H,S,D]; cos/sin [S,R/2] / [B,S,R/2], or tables with positions."""
    x = x.astype(np.float64)
    B, H, S, D = x.shape
    half = cos.shape[-1]
    if positions is not None:
        positions = np.broadcast_to(positions, (B, S))
        cos = cos[positions]  # [B, S, half]
        sin = sin[positions]
    cos = np.broadcast_to(cos, (B, S, half))[:, None].astype(np.float64)
    sin = np.broadcast_to(sin, (B, S, half))[:, None].astype(np.float64)
    y = x.copy()
    if interleaved:
        x0, x1 = x[..., 0:2 * half:2], x[..., 1:2 * half:2]
        y[..., 0:2 * half:2] = x0 * cos - x1 * sin
        y[..., 1:2 * half:2] = x1 * cos + x0 * sin
    else:
        x0, x1 = x[..., :half], x[..., half:2 * half]
        y[..., :half] = x0 * cos - x1 * sin
        y[..., half:2 * half] = x1 * cos + x0 * sin
    return y


def ref_attention(q, k, v, kind="none", window=None, sinks=0, mask=None,
                  scale=None):
    q, k, v = (a.astype(np.float64) for a in (q, k, v))
    B, H, Sq, D = q.shape
    Hkv, Sk = k.shape[1], k.shape[2]
    group = H // Hkv
    scale = 1.0 / math.sqrt(D) if scale is None else scale
    p = (Sk - Sq + np.arange(Sq))[:, None]
    j = np.arange(Sk)[None, :]
    visible = np.ones((Sq, Sk), dtype=bool)
    if kind in ("causal", "sliding_window"):
        visible &= j <= p
    if kind == "sliding_window":
        visible &= (p - j < window) | (j < sinks)
    out = np.zeros((B, H, Sq, v.shape[3]))
    for b in range(B):
        for h in range(H):
            s = q[b, h] @ k[b, h // group].T * scale
            vis = visible.copy()
            if mask is not None:
                m = mask[b if mask.shape[0] > 1 else 0,
                         h if mask.shape[1] > 1 else 0]
                m = np.broadcast_to(m, (Sq, Sk))
                if m.dtype == bool:
                    vis &= m
                else:
                    s = s + m
            s = np.where(vis, s, -np.inf)
            for i in range(Sq):
                row_max = s[i].max()
                if row_max == -np.inf:
                    continue
                e = np.exp(s[i] - row_max)
                out[b, h, i] = e @ v[b, h // group] / e.sum()
    return out


def decode_fp8_e4m3fn(bits):
    sign = -1.0 if bits & 0x80 else 1.0
    exponent, mantissa = (bits >> 3) & 0xF, bits & 0x7
    if exponent == 0:
        return sign * mantissa / 8.0 * 2.0 ** -6
    return sign * (1.0 + mantissa / 8.0) * 2.0 ** (exponent - 7)


def decode_fp4_e2m1fn(bits):
    sign = -1.0 if bits & 0x8 else 1.0
    exponent, mantissa = (bits >> 1) & 0x3, bits & 0x1
    if exponent == 0:
        return sign * mantissa * 0.5
    return sign * (1.0 + mantissa / 2.0) * 2.0 ** (exponent - 1)


def ref_dequant(kind, codes, scales, zero_points=None):
    """[N, K] weights of a !tx.qweight with groups of K // groups."""
    group = codes.shape[1] // scales.shape[1]
    s = np.repeat(scales.astype(np.float64), group, axis=1)
    if kind in ("int4", "int8"):
        bits = 4 if kind == "int4" else 8
        z = (np.repeat(zero_points.astype(np.float64), group, axis=1)
             if zero_points is not None else 2.0 ** (bits - 1))
        return (codes.astype(np.float64) - z) * s
    decode = decode_fp8_e4m3fn if kind == "fp8_e4m3" else decode_fp4_e2m1fn
    return np.vectorize(decode)(codes).astype(np.float64) * s


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------

CASES = []


def case(fn):
    CASES.append(fn)
    return fn


def linear_case(name, seed, x_shape, n, bias):
    r = rng(seed)
    k = x_shape[-1]
    x, w, b = randn(r, *x_shape), randn(r, n, k), randn(r, n)
    out_shape = tuple(x_shape[:-1]) + (n,)
    args = [f32(x), f32(w)] + ([f32(b)] if bias else [])
    bias_text = f" bias(%a2 : {args[2].type})" if bias else ""
    body = (f"%r = tx.linear %a0, %a1{bias_text} : {args[0].type}, "
            f"{args[1].type} -> {ttype(out_shape, 'f32')}")
    return Case(name, args, body, out_shape,
                ref_linear(x, w, b if bias else None))


@case
def linear_cases():
    return [
        linear_case("linear_rank2_bias", 1, (5, 16), 12, True),
        linear_case("linear_rank2", 2, (5, 16), 12, False),
        linear_case("linear_rank3_bias", 3, (2, 3, 16), 8, True),
        linear_case("linear_rank3", 4, (2, 3, 16), 8, False),
        linear_case("linear_rank1_bias", 5, (16,), 6, True),
    ]


@case
def norm_cases():
    cases = []
    for name, seed, shape, eps in [("rms_norm_rank3", 10, (2, 3, 32), 1e-6),
                                   ("rms_norm_rank1", 11, (24,), 1e-5)]:
        r = rng(seed)
        x, w = randn(r, *shape) * 3, randn(r, shape[-1])
        args = [f32(x), f32(w)]
        body = (f"%r = tx.rms_norm %a0, %a1 {{epsilon = {eps:.6e} : f64}} : "
                f"{args[0].type}, {args[1].type} -> {args[0].type}")
        cases.append(Case(name, args, body, shape, ref_rms_norm(x, w, eps)))
    for name, seed, bias in [("layer_norm_bias", 12, True),
                             ("layer_norm", 13, False)]:
        r = rng(seed)
        shape = (2, 4, 40)
        x, w, b = randn(r, *shape) + 2, randn(r, 40), randn(r, 40)
        args = [f32(x), f32(w)] + ([f32(b)] if bias else [])
        bias_text = f" bias(%a2 : {args[2].type})" if bias else ""
        body = (f"%r = tx.layer_norm %a0, %a1{bias_text} "
                f"{{epsilon = 1.0e-05 : f64}} : {args[0].type}, "
                f"{args[1].type} -> {args[0].type}")
        cases.append(Case(name, args, body, shape,
                          ref_layer_norm(x, w, b if bias else None, 1e-5)))
    return cases


def rope_case(name, seed, shape, rotary, interleaved=False, batched=False,
              positions=None, max_pos=32):
    r = rng(seed)
    B, H, S, D = shape
    x = randn(r, *shape)
    rows = max_pos if positions is not None else S
    table_shape = (B, rows, rotary // 2) if batched else (rows, rotary // 2)
    theta = r.uniform(-math.pi, math.pi, table_shape)
    cos, sin = np.cos(theta).astype(np.float32), np.sin(theta).astype(np.float32)
    args = [f32(x), f32(cos), f32(sin)]
    pos_text = ""
    if positions is not None:
        positions = np.asarray(positions, dtype=np.int64)
        args.append(Arg(positions, "i64"))
        pos_text = f" positions(%a3 : {args[3].type})"
    attrs = " {interleaved}" if interleaved else ""
    body = (f"%r = tx.rope %a0, %a1, %a2{pos_text}{attrs} : {args[0].type}, "
            f"{args[1].type}, {args[2].type} -> {args[0].type}")
    return Case(name, args, body, shape,
                ref_rope(x, cos, sin, positions, interleaved))


@case
def rope_cases():
    r = rng(20)
    return [
        rope_case("rope_rotate_half", 21, (1, 2, 5, 16), 16),
        rope_case("rope_interleaved", 22, (2, 2, 4, 16), 16, interleaved=True),
        rope_case("rope_partial", 23, (1, 3, 4, 16), 8),
        rope_case("rope_partial_interleaved_batched", 24, (2, 2, 3, 12), 4,
                  interleaved=True, batched=True),
        rope_case("rope_batched_tables", 25, (2, 2, 3, 8), 8, batched=True),
        rope_case("rope_positions", 26, (1, 2, 4, 16), 16,
                  positions=[7, 3, 0, 31]),
        rope_case("rope_positions_batched_partial_interleaved", 27,
                  (2, 2, 3, 16), 8, interleaved=True,
                  positions=r.integers(0, 32, (2, 3))),
    ]


@case
def embedding_cases():
    cases = []
    for name, seed, ids_shape, elem in [("embedding_2d_i64", 30, (2, 5), "i64"),
                                        ("embedding_1d_i32", 31, (7,), "i32")]:
        r = rng(seed)
        table = randn(r, 50, 12)
        ids = r.integers(0, 50, ids_shape)
        args = [f32(table), Arg(ids, elem)]
        out_shape = ids_shape + (12,)
        body = (f"%r = tx.embedding %a0, %a1 : {args[0].type}, {args[1].type} "
                f"-> {ttype(out_shape, 'f32')}")
        cases.append(Case(name, args, body, out_shape, table[ids]))
    return cases


def attention_case(name, seed, B, H, Hkv, Sq, Sk, D, Dv=None, kind="none",
                   window=None, sinks=None, mask=None, scale=None):
    r = rng(seed)
    Dv = Dv or D
    q, k, v = randn(r, B, H, Sq, D), randn(r, B, Hkv, Sk, D), randn(r, B, Hkv, Sk, Dv)
    args = [f32(q), f32(k), f32(v)]
    mask_text = ""
    if mask is not None:
        elem = {np.dtype(bool): "i1", np.dtype(np.float16): "f16"}.get(
            mask.dtype, "f32")
        args.append(Arg(mask, elem))
        mask_text = f" explicit_mask(%a3 : {args[3].type})"
    attrs = []
    if window is not None:
        attrs.append(f"window = {window}")
    if sinks is not None:
        attrs.append(f"sinks = {sinks}")
    if scale is not None:
        attrs.append(f"scale = {scale!r} : f64")
    attr_text = f" {{{', '.join(attrs)}}}" if attrs else ""
    out_shape = (B, H, Sq, Dv)
    body = (f"%r = tx.attention %a0, %a1, %a2 mask({kind}){mask_text}"
            f"{attr_text} : {args[0].type}, {args[1].type}, {args[2].type} "
            f"-> {ttype(out_shape, 'f32')}")
    return Case(name, args, body, out_shape,
                ref_attention(q, k, v, kind, window, sinks or 0, mask, scale))


def kernel_and_linalg(cases):
    """Each f32 attention case through the runtime's kernel, and a copy
    (`_linalg`) through the linalg lowering."""
    out = []
    for c in cases:
        c.calls_kernel = True
        linalg = copy.copy(c)
        linalg.name += "_linalg"
        linalg.lower_options = "attention-kernel=false"
        linalg.calls_kernel = False
        out += [c, linalg]
    return out


@case
def attention_cases():
    return kernel_and_linalg(attention_base_cases())


def attention_base_cases():
    r = rng(40)
    # A mask hiding every key from query 2 (and some keys elsewhere).
    row_masked = r.random((1, 1, 6, 6)) > 0.3
    row_masked[..., 2, :] = False
    padding = np.ones((2, 1, 1, 7), dtype=bool)
    padding[1, ..., 5:] = False
    per_head = r.random((1, 4, 3, 9)) > 0.4
    per_head[0, 1, 0, :] = False
    additive = np.where(r.random((2, 1, 5, 5)) > 0.25,
                        r.standard_normal((2, 1, 5, 5)), -1e9).astype(np.float32)
    long_padding = np.ones((2, 1, 1, 150), dtype=bool)
    long_padding[1, ..., 120:] = False
    return [
        attention_case("attention_none", 41, 1, 2, 2, 6, 6, 16),
        attention_case("attention_causal", 42, 2, 2, 2, 6, 6, 16, kind="causal"),
        attention_case("attention_causal_decode", 43, 1, 4, 4, 1, 9, 16,
                       kind="causal"),
        attention_case("attention_causal_chunk", 44, 1, 2, 1, 3, 8, 16,
                       kind="causal"),
        attention_case("attention_none_fewer_queries", 45, 1, 2, 2, 3, 8, 16),
        attention_case("attention_sliding_window", 46, 1, 2, 2, 8, 8, 16,
                       kind="sliding_window", window=3),
        attention_case("attention_window_sinks", 47, 1, 2, 2, 5, 10, 16,
                       kind="sliding_window", window=3, sinks=2),
        attention_case("attention_gqa_group4", 48, 1, 8, 2, 5, 5, 16,
                       kind="causal"),
        attention_case("attention_head_dim80", 49, 1, 2, 1, 4, 6, 80,
                       kind="causal"),
        attention_case("attention_value_dim", 50, 1, 2, 2, 4, 5, 16, Dv=24),
        attention_case("attention_i1_masked_row", 51, 1, 2, 2, 6, 6, 16,
                       mask=row_masked),
        attention_case("attention_i1_padding_causal", 52, 2, 2, 2, 7, 7, 16,
                       kind="causal", mask=padding),
        attention_case("attention_i1_per_head_gqa", 53, 1, 4, 2, 3, 9, 16,
                       kind="causal", mask=per_head),
        attention_case("attention_float_mask", 54, 2, 2, 2, 5, 5, 16,
                       mask=additive),
        attention_case("attention_custom_scale", 55, 1, 2, 2, 4, 4, 16,
                       kind="causal", scale=0.3),
        # Several key blocks (64 keys each) and query tiles (48 rows) of the
        # kernel, a window that skips whole blocks, an f16 mask.
        attention_case("attention_blocks_gqa3", 57, 1, 6, 2, 70, 70, 16,
                       kind="causal"),
        attention_case("attention_blocks_window_padding", 58, 2, 4, 1, 40, 150,
                       8, kind="sliding_window", window=50, sinks=3,
                       mask=long_padding),
        attention_case("attention_f16_mask", 59, 1, 2, 2, 5, 5, 16,
                       mask=np.maximum(additive[:1], -6e4).astype(np.float16)),
    ]


@case
def tree_mask_case():
    r = rng(56)
    parents = [-1, 0, 0, 1, 1, 2]
    n = len(parents)
    q, k, v = randn(r, 1, 2, n, 16), randn(r, 1, 2, n, 16), randn(r, 1, 2, n, 16)
    mask = np.zeros((n, n), dtype=bool)
    for i in range(n):
        a = i
        while a >= 0:
            mask[i, a] = True
            a = parents[a]
    args = [f32(q), f32(k), f32(v)]
    t = args[0].type
    body = f"""
%t = tx.tree_mask #tx.tree<parents = [{', '.join(map(str, parents))}]> -> tensor<{n}x{n}xi1>
%m = tensor.expand_shape %t [[0, 1, 2], [3]] output_shape [1, 1, {n}, {n}] : tensor<{n}x{n}xi1> into tensor<1x1x{n}x{n}xi1>
%r = tx.attention %a0, %a1, %a2 mask(none) explicit_mask(%m : tensor<1x1x{n}x{n}xi1>) : {t}, {t}, {t} -> {t}
"""
    return kernel_and_linalg([
        Case("tree_mask_attention", args, body, q.shape,
             ref_attention(q, k, v, mask=mask[None, None]))])


def quant_case(name, seed, kind, x_shape, n, k, group, zero_point=False,
               bias=False, scale_elem="f32", op="qlinear"):
    r = rng(seed)
    groups = k // group
    if kind in ("int4", "int8"):
        bits = 4 if kind == "int4" else 8
        codes = r.integers(0, 2 ** bits, (n, k))
        code_arg = Arg(codes, f"i{bits}")
        zps = r.integers(0, 2 ** bits, (n, groups)) if zero_point else None
    else:
        bits = 8 if kind == "fp8_e4m3" else 4
        # Every bit pattern but the NaNs of fp8 (0x7f, 0xff).
        codes = r.integers(0, 2 ** bits, (n, k))
        if kind == "fp8_e4m3":
            codes[(codes & 0x7F) == 0x7F] = 0x38
        code_arg = Arg(codes, "f8E4M3FN" if bits == 8 else "f4E2M1FN",
                       storage=f"i{bits}")
        zps = None
    np_scale = np.float16 if scale_elem == "f16" else np.float32
    scales = (r.uniform(0.01, 0.1, (n, groups))).astype(np_scale)
    args = [code_arg, Arg(scales, scale_elem)]
    zp_text, zp_type = "", ""
    if zps is not None:
        args.append(Arg(zps, code_arg.elem))
        zp_text = f" zero_points(%a2 : {args[2].type})"
        zp_type = ", zero_point"
    qtype = (f"!tx.qweight<{n}x{k}, {kind}, group = {group}, "
             f"scale = {scale_elem}{zp_type}>")
    pack = (f"%w = tx.qpack %a0, %a1{zp_text} : {args[0].type}, "
            f"{args[1].type} -> {qtype}")
    w = ref_dequant(kind, codes, scales, zps)
    if op == "dequant":
        body = f"{pack}\n%r = tx.dequant %w : {qtype} -> {ttype((n, k), 'f32')}"
        return Case(name, args, body, (n, k), w)
    x, b = randn(r, *x_shape), randn(r, n)
    xi = len(args)
    args.append(f32(x))
    bias_text = ""
    if bias:
        args.append(f32(b))
        bias_text = f" bias(%a{xi + 1} : {args[-1].type})"
    out_shape = tuple(x_shape[:-1]) + (n,)
    body = (f"{pack}\n%r = tx.qlinear %a{xi}, %w{bias_text} : "
            f"{args[xi].type}, {qtype} -> {ttype(out_shape, 'f32')}")
    case = Case(name, args, body, out_shape,
                ref_linear(x, w, b if bias else None))
    # The quantized kernels may round the activations to int8 per 32 values
    # (scale d = max|x| / 127, so each is off by at most d / 2): the result
    # may then differ by sum over blocks of d / 2 * sum |w| of the block.
    xs = x.reshape(-1, k)
    bound = np.zeros((xs.shape[0], n))
    for b0 in range(0, k - k % 32, 32):
        d = np.abs(xs[:, b0:b0 + 32]).max(axis=1) / 127
        bound += np.outer(d / 2, np.abs(w[:, b0:b0 + 32]).sum(axis=1))
    case.bound = bound.reshape(out_shape) * (1 + 1e-3)
    return case


@case
def quant_cases():
    return [
        quant_case("qlinear_int4", 60, "int4", (3, 64), 8, 64, 32),
        quant_case("qlinear_int4_zero_point_f16_bias", 61, "int4", (2, 2, 64),
                   8, 64, 16, zero_point=True, bias=True, scale_elem="f16"),
        quant_case("qlinear_int8", 62, "int8", (2, 3, 32), 6, 32, 32),
        quant_case("qlinear_int8_zero_point", 63, "int8", (4, 32), 6, 32, 8,
                   zero_point=True),
        quant_case("qlinear_fp8_e4m3", 64, "fp8_e4m3", (3, 64), 5, 64, 32),
        quant_case("dequant_fp8_e4m3", 65, "fp8_e4m3", None, 8, 32, 32,
                   op="dequant"),
        quant_case("dequant_fp4_e2m1", 66, "fp4_e2m1", None, 4, 32, 16,
                   op="dequant"),
        quant_case("dequant_int4_zero_point", 67, "int4", None, 4, 32, 8,
                   zero_point=True, op="dequant"),
    ]


@case
def layer_case():
    """Two tx.layer regions: the first yields a block argument directly, the
    second reads a quantized weight through a block argument."""
    r = rng(70)
    x, extra, g = randn(r, 2, 3, 16), randn(r, 2, 3, 16), randn(r, 16)
    w = randn(r, 16, 16)
    codes = r.integers(0, 16, (16, 16))
    scales = r.uniform(0.01, 0.1, (16, 1)).astype(np.float32)
    args = [f32(x), f32(extra), f32(g), f32(w), Arg(codes, "i4"), f32(scales)]
    t = args[0].type
    qtype = "!tx.qweight<16x16, int4, group = 16, scale = f32>"
    body = f"""
%q = tx.qpack %a4, %a5 : tensor<16x16xi4>, tensor<16x1xf32> -> {qtype}
%h, %e = tx.layer 0 (%a0, %a1) : ({t}, {t}) -> ({t}, {t}) {{
^bb0(%x: {t}, %extra: {t}):
  %n = tx.rms_norm %x, %a2 : {t}, tensor<16xf32> -> {t}
  %y = tx.linear %n, %a3 : {t}, tensor<16x16xf32> -> {t}
  %s = arith.addf %x, %y : {t}
  tx.yield %s, %extra : {t}, {t}
}}
%h2 = tx.layer 1 (%h, %q) : ({t}, {qtype}) -> {t} {{
^bb0(%x: {t}, %wq: {qtype}):
  %y = tx.qlinear %x, %wq : {t}, {qtype} -> {t}
  %s = arith.addf %x, %y : {t}
  tx.yield %s : {t}
}}
%r = arith.addf %h2, %e : {t}
"""
    h = x + ref_linear(ref_rms_norm(x, g, 1e-6), w)
    h2 = h + ref_linear(h, ref_dequant("int4", codes, scales))
    return [Case("layer_inlining", args, body, x.shape, h2 + extra)]


def ref_route(scores, capacity, weighting, alpha=None, beta=None,
              limit=None, threshold=None):
    """Top-min(capacity, limit) tokens (ties to the lower index) whose score
    reaches the threshold, in increasing order; empty slots -1, weight 0."""
    B, S = scores.shape
    keep = capacity if limit is None else min(capacity, limit)
    indices = np.full((B, capacity), -1, dtype=np.int64)
    for b in range(B):
        best = sorted(range(S), key=lambda s: (-scores[b, s], s))[:keep]
        if threshold is not None:
            best = [s for s in best if scores[b, s] >= threshold]
        indices[b, :len(best)] = sorted(best)
    r = np.take_along_axis(scores, np.maximum(indices, 0),
                           axis=1).astype(np.float64)
    weights = {"one": np.ones_like(r), "score": r,
               "sigmoid": 1.0 / (1.0 + np.exp(-r)),
               "tanh": (alpha * np.tanh(r) + beta) if alpha is not None else None}
    w = weights[weighting]
    return indices, (np.where(indices < 0, 0.0, w) if w is not None else None)


def ref_scatter_tokens(residual, updates, indices, weights=None):
    result = residual.astype(np.float64).copy()
    for b in range(indices.shape[0]):
        for j, i in enumerate(indices[b]):
            if i < 0:
                continue
            if weights is None:
                result[b, i] = updates[b, j]
            else:
                result[b, i] = residual[b, i] + weights[b, j] * (
                    updates[b, j].astype(np.float64) - residual[b, i])
    return result


@case
def routing_cases():
    cases = []
    r = rng(80)
    # Rounded scores so that ties occur.
    scores = np.round(r.standard_normal((2, 12)), 1).astype(np.float32)
    for weighting, capacity, attrs in [
            ("one", 12, ""), ("score", 5, ""), ("sigmoid", 3, ""),
            ("tanh", 6, " {alpha = 2.500000e-01 : f64, beta = 1.000000e+00 : f64}")]:
        indices, weights = ref_route(scores, capacity, weighting, 0.25, 1.0)
        args = [f32(scores)]
        out = ttype((2, capacity), "f32")
        body = f"""
%i, %r1 = tx.route %a0 capacity({capacity}) weighting({weighting}){attrs} : {args[0].type} -> {ttype((2, capacity), "i64")}, {out}
%r0 = arith.sitofp %i : {ttype((2, capacity), "i64")} to {out}
"""
        cases.append(Case(f"route_{weighting}", args, body,
                          [(2, capacity), (2, capacity)], [indices, weights]))

    # A run-time limit and a threshold leave slots empty (-1, weight 0).
    for name, limit, threshold in [("route_limit", 2, None),
                                   ("route_threshold", None, 0.3),
                                   ("route_limit_threshold", 4, 0.0)]:
        capacity = 6
        indices, weights = ref_route(scores, capacity, "score",
                                     limit=limit, threshold=threshold)
        args = [f32(scores)]
        it, out = ttype((2, capacity), "i64"), ttype((2, capacity), "f32")
        limit_text = " limit(%n)" if limit is not None else ""
        attrs = (f" {{threshold = {threshold:e} : f64}}"
                 if threshold is not None else "")
        body = f"""
%n = arith.constant {limit or 0} : index
%i, %r1 = tx.route %a0 capacity({capacity}){limit_text} weighting(score){attrs} : {args[0].type} -> {it}, {out}
%r0 = arith.sitofp %i : {it} to {out}
"""
        cases.append(Case(name, args, body, [(2, capacity), (2, capacity)],
                          [indices, weights]))

    r = rng(81)
    hidden = randn(r, 2, 10, 8)
    indices = np.stack([np.sort(r.choice(10, 4, replace=False))
                        for _ in range(2)])
    args = [f32(hidden), Arg(indices, "i64")]
    body = (f"%r = tx.gather_tokens %a0, %a1 : {args[0].type}, {args[1].type} "
            f"-> {ttype((2, 4, 8), 'f32')}")
    cases.append(Case("gather_tokens", args, body, (2, 4, 8),
                      np.take_along_axis(hidden, indices[..., None], axis=1)))
    # Empty slots (-1) gather zeros and are skipped by the scatter.
    holes = indices.copy()
    holes[0, 2:] = -1
    holes[1, 3] = -1
    args = [f32(hidden), Arg(holes, "i64")]
    body = (f"%r = tx.gather_tokens %a0, %a1 : {args[0].type}, {args[1].type} "
            f"-> {ttype((2, 4, 8), 'f32')}")
    cases.append(Case("gather_tokens_empty_slots", args, body, (2, 4, 8),
                      np.where(holes[..., None] < 0, 0.0, np.take_along_axis(
                          hidden, np.maximum(holes, 0)[..., None], axis=1))))

    updates, weights = randn(r, 2, 4, 8), randn(r, 2, 4)
    for name, weighted, idx in [("scatter_tokens", False, indices),
                                ("scatter_tokens_weighted", True, indices),
                                ("scatter_tokens_empty_slots", True, holes)]:
        args = [f32(hidden), f32(updates), Arg(idx, "i64")]
        weights_text = ""
        if weighted:
            args.append(f32(weights))
            weights_text = f" weights(%a3 : {args[3].type})"
        body = (f"%r = tx.scatter_tokens %a0, %a1, %a2{weights_text} : "
                f"{args[0].type}, {args[1].type}, {args[2].type} -> "
                f"{args[0].type}")
        cases.append(Case(name, args, body, hidden.shape,
                          ref_scatter_tokens(hidden, updates, idx,
                                             weights if weighted else None)))

    # A mixture-of-depths block: route, gather, a linear layer, scatter.
    r = rng(82)
    hidden, router, w = randn(r, 2, 8, 16), randn(r, 2, 8), randn(r, 16, 16)
    args = [f32(hidden), f32(router), f32(w)]
    t, k = args[0].type, ttype((2, 3, 16), "f32")
    body = f"""
%i, %s = tx.route %a1 capacity(3) weighting(sigmoid) : {args[1].type} -> tensor<2x3xi64>, tensor<2x3xf32>
%x = tx.gather_tokens %a0, %i : {t}, tensor<2x3xi64> -> {k}
%y = tx.linear %x, %a2 : {k}, {args[2].type} -> {k}
%r = tx.scatter_tokens %a0, %y, %i weights(%s : tensor<2x3xf32>) : {t}, {k}, tensor<2x3xi64> -> {t}
"""
    indices, weights = ref_route(router, 3, "sigmoid")
    y = ref_linear(np.take_along_axis(hidden, indices[..., None], axis=1), w)
    cases.append(Case("mixture_of_depths_block", args, body, hidden.shape,
                      ref_scatter_tokens(hidden, y, indices, weights)))
    return cases


# ---------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------

NUMBER = re.compile(r"-?(?:nan|inf|\d+(?:\.\d*)?(?:e[-+]?\d+)?)")


def run_case(tools, case, keep, backend_loops=False):
    text = module_text(case)
    if keep:
        with open(os.path.join(keep, case.name + ".mlir"), "w") as f:
            f.write(text)
    lower = "--tx-lower-to-linalg"
    if case.lower_options:
        lower += f"={case.lower_options}"
    libs = tools["libs"] + ("," + tools["libomp"] if backend_loops else "")
    steps = [
        [tools["tx-opt"], lower],
        [tools["tx-opt"]] + lowering(backend_loops),
        [tools["mlir-runner"], "-e", "main", "-entry-point-result=void",
         f"-shared-libs={libs}"],
    ]
    data = text
    for i, step in enumerate(steps):
        proc = subprocess.run(step, input=data, capture_output=True, text=True)
        if proc.returncode != 0:
            tool = os.path.basename(step[0])
            return False, f"{tool} failed: {proc.stderr.strip()[:2000]}"
        data = proc.stdout
        if i == 1 and case.calls_kernel != ("@txc_attention_f32" in data):
            return False, ("expected a call of txc_attention_f32"
                           if case.calls_kernel else
                           "unexpected call of txc_attention_f32")
    printed = [chunk.split("Unranked")[0] for chunk in data.split("data =")[1:]]
    if len(printed) != len(case.expected):
        return False, f"printed {len(printed)} results: {data[:500]}"
    ok, details = True, []
    bounds = case.bound if isinstance(case.bound, list) else [case.bound]
    for text, expected, bound in zip(printed, case.expected, bounds):
        got = np.array([float(v) for v in NUMBER.findall(text)])
        want = expected.ravel()
        if got.size != want.size:
            return False, f"got {got.size} values, expected {want.size}"
        if not np.all(np.isfinite(got)):
            return False, "non-finite values in the result"
        scale = max(1.0, float(np.max(np.abs(want))))
        error = float(np.max(np.abs(got - want))) if want.size else 0.0
        details.append(f"max_abs_err={error:.3g} scale={scale:.3g}")
        if bound is not None:
            excess = np.abs(got - want) - bound.ravel()
            ok = ok and float(np.max(excess)) <= TOLERANCE * scale
        else:
            ok = ok and error <= TOLERANCE * scale
    return ok, "; ".join(details)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-k", dest="filter", default="",
                    help="only run cases whose name contains this")
    ap.add_argument("--keep", help="write each case's module to this dir")
    ap.add_argument("--backend-loops", action="store_true",
                    help="lower loops as the CPU backend does (vectorized, "
                    "threaded, approximated math) instead of "
                    "convert-linalg-to-loops")
    args = ap.parse_args()
    tools = find_tools()
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
    cases = [c for make in CASES for c in make() if args.filter in c.name]
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        results = list(pool.map(
            lambda c: run_case(tools, c, args.keep, args.backend_loops),
            cases))
    failed = 0
    for c, (ok, detail) in zip(cases, results):
        print(f"{'PASS' if ok else 'FAIL'} {c.name}: {detail}")
        failed += not ok
    print(f"{len(cases) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
