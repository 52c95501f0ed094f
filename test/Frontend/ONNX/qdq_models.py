#!/usr/bin/env python3
"""QDQ (QuantizeLinear / DequantizeLinear) models against onnxruntime.

Writes small models whose weights are DequantizeLinear of int8 / uint8 /
int4 / uint4 initializers (per tensor, per axis, blocked along K, with and
without zero points, through a Transpose, into MatMul and Gemm), activation
QuantizeLinear -> DequantizeLinear pairs (fake quantization), weights whose
scales do not fit a quantized weight, and -- when onnxruntime's quantizer is
installed -- a model quantized by `onnxruntime.quantization.quantize_static`
in QDQ format. Each is imported with `txc --emit=tx` (the script prints how
its weights were imported: the `!tx.qweight` types of its tx.qlinear ops, or
`dense`), compiled with `txc -o MODEL.so`, run with txc-run and
compared with onnxruntime (graph optimizations off: ONNX's own semantics).

tx.qlinear rounds activations to int8 per 32 values (the kernels' numerics,
what onnxruntime's QDQ -> MatMulNBits fusion does at accuracy_level 4), so
models with quantized weights are compared within 5% of the output's
largest magnitude, and compiled once more with `--quantize=f32` (the
quantized weight dequantized at compile time: exactly ONNX's values), which
must match to 1e-5, as must fake quantization and dequantized weights.
`qdq_models.py --bad KIND OUT.onnx` writes a model with one of the errors
qdq-errors.test checks. Usage: qdq_models.py WORKDIR [MODEL...]; exits 1 on any mismatch.
"""
import os
import re
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FLOAT = TensorProto.FLOAT
CODE_TYPES = {"int8": (TensorProto.INT8, np.int8, -128, 127), "uint8": (TensorProto.UINT8, np.uint8, 0, 255),
              "int4": (TensorProto.INT4, np.int8, -8, 7), "uint4": (TensorProto.UINT4, np.uint8, 0, 15)}


def vinfo(name, shape, elem=FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


def init(name, array, elem=None):
    """An initializer; 4-bit types through make_tensor (packed by onnx)."""
    if elem in (TensorProto.INT4, TensorProto.UINT4):
        return helper.make_tensor(name, elem, array.shape, array.flatten().tolist())
    return numpy_helper.from_array(array, name)


class Model:
    """A graph under construction with its initializers."""

    def __init__(self, rng, opset=21):
        self.rng, self.opset, self.nodes, self.inits = rng, opset, [], []

    def const(self, name, array, elem=None):
        self.inits.append(init(name, array, elem))
        return name

    def node(self, op, inputs, output, name=None, **attrs):
        self.nodes.append(helper.make_node(op, inputs, [output], name=name or output, **attrs))
        return output

    def qweight(self, name, shape, code, axis=None, block=0, zero=True, scale_shape=None):
        """DequantizeLinear of random codes of `code` type; returns its output
        name. `axis`/`block` pick the scale layout (None: per tensor)."""
        elem, dtype, lo, hi = CODE_TYPES[code]
        codes = self.rng.integers(lo, hi + 1, shape).astype(dtype)
        if axis is None:
            sshape = []
        elif block:
            sshape = list(shape)
            sshape[axis] = -(-shape[axis] // block)
        else:
            sshape = [shape[axis]]
        if scale_shape is not None:
            sshape = scale_shape
        scale = (self.rng.uniform(0.5, 1.5, sshape) * 0.02).astype(np.float32)
        inputs = [self.const(name + ".q", codes, elem), self.const(name + ".scale", scale)]
        if zero:
            z = self.rng.integers(lo, hi + 1, sshape).astype(dtype) if lo == 0 else np.zeros(sshape, dtype)
            inputs.append(self.const(name + ".zero", z, elem))
        attrs = {}
        if axis is not None:
            attrs["axis"] = axis
        if block:
            attrs["block_size"] = block
        return self.node("DequantizeLinear", inputs, name, **attrs)

    def finish(self, inputs, outputs):
        graph = helper.make_graph(self.nodes, "qdq", inputs, outputs, initializer=self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.opset)])
        model.ir_version = 10
        onnx.checker.check_model(model)
        return model


def matmul_model(rng, code, axis, block=0, k=64, n=48, zero=True, transpose=False, opset=21):
    """x [1, 5, K] @ DQ(W) (W [K, N], or [N, K] through a Transpose)."""
    m = Model(rng, opset)
    shape = [n, k] if transpose else [k, n]
    w = m.qweight("w", shape, code, axis, block, zero)
    if transpose:
        w = m.node("Transpose", [w], "wt", perm=[1, 0])
    m.node("MatMul", ["x", w], "y")
    return m.finish([vinfo("x", [1, 5, k])], [vinfo("y", [1, 5, n])])


def gemm_model(rng, code, axis, trans_b, k=40, n=24, block=0):
    m = Model(rng)
    shape = [n, k] if trans_b else [k, n]
    w = m.qweight("w", shape, code, axis, block)
    bias = m.const("bias", rng.standard_normal([n]).astype(np.float32))
    m.node("Gemm", ["x", w, bias], "y", transB=trans_b)
    return m.finish([vinfo("x", [3, k])], [vinfo("y", [3, n])])


def fake_quant_model(rng, code, axis=None, block=0, shape=(2, 6, 32)):
    """y = DequantizeLinear(QuantizeLinear(x)) with the same parameters."""
    m = Model(rng)
    elem, dtype, lo, hi = CODE_TYPES[code]
    if axis is None:
        sshape = []
    elif block:
        sshape = list(shape)
        sshape[axis] = -(-shape[axis] // block)
    else:
        sshape = [shape[axis]]
    scale = rng.uniform(0.02, 0.2, sshape).astype(np.float32)
    zero = (rng.integers(lo, hi + 1, sshape) if lo == 0 else rng.integers(-3, 4, sshape)).astype(dtype)
    attrs = {} if axis is None else {"axis": axis}
    if block:
        attrs["block_size"] = block
    params = [m.const("scale", scale), m.const("zero", zero, elem)]
    m.node("QuantizeLinear", ["x"] + params, "q", **attrs)
    m.node("DequantizeLinear", ["q"] + params, "y", **attrs)
    return m.finish([vinfo("x", list(shape))], [vinfo("y", list(shape))])


def dequant_output_model(rng):
    """A DequantizeLinear of an initializer read by an Add (not a weight)."""
    m = Model(rng)
    w = m.qweight("table", [4, 8], "int8", axis=1)
    m.node("Add", ["x", w], "y")
    return m.finish([vinfo("x", [4, 8])], [vinfo("y", [4, 8])])


def static_mlp(rng, work):
    """A two-layer MLP quantized by onnxruntime's quantize_static (QDQ,
    per-channel int8 weights, uint8 activations); None without it."""
    try:
        from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    except ImportError:
        return None
    m = Model(rng, 17)
    w1 = m.const("w1", (rng.standard_normal([32, 64]) * 0.2).astype(np.float32))
    b1 = m.const("b1", (rng.standard_normal([64]) * 0.1).astype(np.float32))
    w2 = m.const("w2", (rng.standard_normal([64, 16]) * 0.2).astype(np.float32))
    m.node("MatMul", ["x", w1], "h0")
    m.node("Add", ["h0", b1], "h1")
    m.node("Relu", ["h1"], "h2")
    m.node("MatMul", ["h2", w2], "y")
    model = m.finish([vinfo("x", [1, 8, 32])], [vinfo("y", [1, 8, 16])])
    src = os.path.join(work, "mlp-f32.onnx")
    onnx.save(model, src)

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.data = iter([{"x": rng.standard_normal([1, 8, 32]).astype(np.float32)} for _ in range(8)])

        def get_next(self):
            return next(self.data, None)

    out = os.path.join(work, "mlp-static-qdq.onnx")
    quantize_static(src, out, Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
    return onnx.load(out)


def models(rng, work):
    out = {
        # int8 codes, one scale per output column of W [K, N] (axis 1): per row.
        "matmul-int8-per-row": (matmul_model(rng, "int8", axis=1), True),
        "matmul-uint8-zero-per-row": (matmul_model(rng, "uint8", axis=1), True),
        "matmul-int8-per-tensor": (matmul_model(rng, "int8", axis=None, opset=13), True),
        # Blocks of 32 along K (axis 0 of W [K, N]); K = 72: a ragged last block.
        "matmul-int4-blocked": (matmul_model(rng, "int4", axis=0, block=32, k=72, zero=False), True),
        "matmul-uint4-zero-blocked": (matmul_model(rng, "uint4", axis=0, block=16, k=72), True),
        "matmul-int8-blocked": (matmul_model(rng, "int8", axis=0, block=32), True),
        # W [N, K] dequantized per row (axis 0), then transposed.
        "matmul-transpose-int8": (matmul_model(rng, "int8", axis=0, transpose=True), True),
        "matmul-transpose-uint4-blocked": (matmul_model(rng, "uint4", axis=1, block=32, transpose=True), True),
        "gemm-transb-uint8": (gemm_model(rng, "uint8", axis=None, trans_b=1), True),
        "gemm-int8-per-row": (gemm_model(rng, "int8", axis=1, trans_b=0), True),
        "gemm-transb-int4-blocked": (gemm_model(rng, "int4", axis=1, trans_b=1, block=16), True),
        # Scales along K (one per input feature): not a quantized weight.
        "matmul-int8-scale-along-k": (matmul_model(rng, "int8", axis=0), False),
        "matmul-int8-blocks-along-n": (matmul_model(rng, "int8", axis=1, block=16), False),
        "dequant-not-a-weight": (dequant_output_model(rng), False),
        "fake-quant-uint8": (fake_quant_model(rng, "uint8"), False),
        "fake-quant-int8-axis": (fake_quant_model(rng, "int8", axis=2), False),
        "fake-quant-int4-blocked": (fake_quant_model(rng, "int4", axis=2, block=8), False),
        "fake-quant-uint8-axis1": (fake_quant_model(rng, "uint8", axis=1), False),
    }
    static = static_mlp(rng, work)
    if static is not None:
        out["ort-quantize-static"] = (static, True)
    return out


def bad_model(kind):
    """Models each DequantizeLinear / QuantizeLinear error is about."""
    rng = np.random.default_rng(1)
    g = Model(rng)
    codes = g.const("w.q", rng.integers(-128, 128, [64, 48]).astype(np.int8))
    inputs = [vinfo("x", [1, 5, 64])]
    if kind == "scale-shape":
        g.node("DequantizeLinear", [codes, g.const("s", np.ones([47], np.float32))], "w", axis=1)
    elif kind == "block-shape":
        g.node("DequantizeLinear", [codes, g.const("s", np.ones([3, 48], np.float32))], "w", axis=0, block_size=32)
    elif kind == "zero-type":
        g.node("DequantizeLinear", [codes, g.const("s", np.ones([48], np.float32)),
                                    g.const("z", np.zeros([48], np.uint8))], "w", axis=1)
    elif kind == "runtime-scale":
        g.node("DequantizeLinear", [codes, "s"], "w")
        inputs.append(vinfo("s", []))
    elif kind == "float-data":
        g.node("DequantizeLinear", [g.const("f", np.ones([64, 48], np.float32)),
                                    g.const("s", np.ones([], np.float32))], "w")
    elif kind == "quantize-int32":
        g.node("QuantizeLinear", ["x", g.const("s", np.ones([], np.float32)),
                                  g.const("z", np.zeros([], np.int32))], "xq")
        g.node("DequantizeLinear", ["xq", "s", "z"], "xd")
        g.node("MatMul", ["xd", g.node("DequantizeLinear", [codes, "s"], "w")], "y")
    if kind != "quantize-int32":
        g.node("MatMul", ["x", "w"], "y")
    graph = helper.make_graph(g.nodes, "bad", inputs, [vinfo("y", [1, 5, 48])], initializer=g.inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])


def run_compiled(lib, feeds, work, name):
    """Runs the compiled model with txc-run; returns its outputs by name."""
    out_dir = os.path.join(work, name + ".out")
    cmd = ["txc-run", lib, "--out-dir", out_dir]
    for key, value in feeds.items():
        path = os.path.join(work, f"{name}.in.{key}.npy")
        np.save(path, value)
        cmd += ["--in", f"{key}={path}"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError("txc-run failed: " + r.stderr.strip()[-500:])
    return {f[:-4]: np.load(os.path.join(out_dir, f)) for f in os.listdir(out_dir) if f.endswith(".npy")}


def weight_forms(mlir):
    """The !tx.qweight types of the tx.qlinear ops, or 'dense'."""
    forms = sorted(set(re.findall(r"tx\.qlinear[^\n]*?(!tx\.qweight<[^>]*>)", mlir)))
    return " ".join(forms) if forms else "dense"


def fmt(err):
    return "<= 1e-5" if err <= 1e-5 else f"{err:.1e}"


def main():
    if len(sys.argv) < 2 or sys.argv[1].startswith("-") and \
            sys.argv[1] != "--bad":
        print(__doc__)
        return 2
    if sys.argv[1] == "--bad":
        onnx.save(bad_model(sys.argv[2]), sys.argv[3])
        return 0
    work = sys.argv[1]
    only = set(sys.argv[2:])
    os.makedirs(work, exist_ok=True)
    import onnxruntime as ort
    rng = np.random.default_rng(0)
    failures = total = 0
    for name, (model, quantized) in models(rng, work).items():
        if only and name not in only:
            continue
        total += 1
        path = os.path.join(work, name + ".onnx")
        onnx.save(model, path)
        r = subprocess.run(["txc", path, "-q", "--emit=tx", "-o", os.path.join(work, name + ".mlir")],
                           capture_output=True, text=True)
        if r.returncode != 0:
            print(f"FAIL {name}: txc --emit=tx exited {r.returncode}: {r.stderr.strip()}")
            failures += 1
            continue
        for line in r.stderr.strip().splitlines():
            print(f"  {name}: {line.split('warning: ', 1)[-1]}")
        with open(os.path.join(work, name + ".mlir")) as f:
            forms = weight_forms(f.read())
        lib = os.path.join(work, name + ".so")
        r = subprocess.run(["txc", path, "-q", "-o", lib], capture_output=True, text=True)
        if r.returncode != 0:
            print(f"FAIL {name}: txc exited {r.returncode}: {r.stderr.strip()}")
            failures += 1
            continue
        feeds = {vi.name: rng.standard_normal([d.dim_value for d in vi.type.tensor_type.shape.dim]).astype(np.float32)
                 for vi in model.graph.input}
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        names = [o.name for o in session.get_outputs()]
        expected = dict(zip(names, session.run(names, feeds)))
        try:
            got = run_compiled(lib, feeds, work, name)
        except RuntimeError as e:
            print(f"FAIL {name}: {e}")
            failures += 1
            continue
        err = max(float(np.abs(got[k].astype(np.float64) - e).max() / max(np.abs(e).max(), 1e-30))
                  for k, e in expected.items())
        ok = err <= (5e-2 if quantized else 1e-5)
        exact = ""
        if quantized:
            # The quantized weight dequantized at compile time: ONNX's own
            # values, so the result must match to float rounding.
            dense = os.path.join(work, name + "-f32.so")
            r = subprocess.run(["txc", path, "-q", "--quantize=f32", "-o", dense], capture_output=True, text=True)
            if r.returncode != 0:
                print(f"FAIL {name}: txc --quantize=f32 exited {r.returncode}: {r.stderr.strip()}")
                failures += 1
                continue
            got = run_compiled(dense, feeds, work, name + "-f32")
            dense_err = max(float(np.abs(got[k].astype(np.float64) - e).max() / max(np.abs(e).max(), 1e-30))
                            for k, e in expected.items())
            exact = f"; --quantize=f32: {fmt(dense_err)}"
            ok = ok and dense_err <= 1e-5
        failures += not ok
        print(f"{'OK' if ok else 'FAIL'} {name}: {forms} (max error {fmt(err)} of max |y|{exact})")
    print(f"matched onnxruntime on {total - failures} of {total} models")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
