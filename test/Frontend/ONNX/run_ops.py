#!/usr/bin/env python3
"""Numerical check of op imports through the CPU backend: builds small
models (Einsum, ScatterND, Flatten, gathers with constant indices), compiles
each with `txc -o MODEL.so`, runs it through its txc_model_run entry point
and compares with onnxruntime. Prints one line per model and a summary;
exits 1 on any mismatch. Usage: run_ops.py WORKDIR"""
import ctypes
import json
import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

FLOAT, INT64 = TensorProto.FLOAT, TensorProto.INT64
DTYPES = {"f32": np.float32, "i64": np.int64}


def tensor(name, elem_type, shape):
    return helper.make_tensor_value_info(name, elem_type, shape)


def const(name, value):
    return numpy_helper.from_array(np.asarray(value, np.int64), name)


def one_node(op, inputs, outputs, inits=(), **attrs):
    node = helper.make_node(op, [i.name for i in inputs] + [t.name for t in inits], [o.name for o in outputs],
                            name=op.lower(), **attrs)
    graph = helper.make_graph([node], op, inputs, outputs, initializer=list(inits))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def models():
    grid = np.stack(np.broadcast_arrays(np.arange(2)[:, None, None, None], np.arange(5)[None, None, None, :]), -1)
    box = np.stack(np.meshgrid(np.arange(2), np.arange(1, 3), indexing="ij"), -1)
    return {
        "einsum-bmm": one_node("Einsum", [tensor("a", FLOAT, [2, 3, 4, 5]), tensor("b", FLOAT, [2, 3, 6, 5])],
                               [tensor("y", FLOAT, [2, 3, 4, 6])], equation="bhqd,bhkd->bhqk"),
        "einsum-broadcast": one_node("Einsum", [tensor("a", FLOAT, [2, 1, 4, 5]), tensor("b", FLOAT, [1, 3, 5, 6])],
                                     [tensor("y", FLOAT, [2, 3, 4, 6])], equation="...ij,...jk"),
        "einsum-outer": one_node("Einsum", [tensor("a", FLOAT, [7]), tensor("b", FLOAT, [5])],
                                 [tensor("y", FLOAT, [7, 5])], equation="i,j->ij"),
        "einsum-trace": one_node("Einsum", [tensor("a", FLOAT, [3, 4, 4])], [tensor("y", FLOAT, [3])],
                                 equation="bii->b"),
        "scatternd-points": one_node("ScatterND", [tensor("x", FLOAT, [2, 4, 3])], [tensor("y", FLOAT, [2, 4, 3])],
                                     [const("indices", [[0, 1], [1, 3], [0, 0]])]),
        "scatternd-box": one_node("ScatterND", [tensor("x", FLOAT, [2, 4, 3])], [tensor("y", FLOAT, [2, 4, 3])],
                                  [const("indices", box)]),
        "flatten": one_node("Flatten", [tensor("x", FLOAT, [2, 3, 4])], [tensor("y", FLOAT, [6, 4])], axis=2),
        "gathernd-grid": one_node("GatherND", [tensor("m", INT64, [2, 5])], [tensor("y", INT64, [2, 1, 1, 5])],
                                  [const("grid", grid)]),
        "gather-range": one_node("Gather", [tensor("x", FLOAT, [2, 6, 4])], [tensor("y", FLOAT, [2, 3, 4])],
                                 [const("indices", [2, 3, -2])], axis=1),
        "gather-repeat": one_node("Gather", [tensor("v", FLOAT, [5])], [tensor("y", FLOAT, [3, 5])],
                                  [const("indices", np.tile(np.arange(5), (3, 1)))], axis=0),
        "gather-permute": one_node("Gather", [tensor("x", FLOAT, [2, 6, 4])], [tensor("y", FLOAT, [2, 2, 4])],
                                   [const("indices", [1, -6])], axis=1),
    }


def add_updates(model):
    """ScatterND takes `updates` as a second graph input, shaped by its indices."""
    node = model.graph.node[0]
    if node.op_type != "ScatterND":
        return model
    indices = numpy_helper.to_array(model.graph.initializer[0])
    data_shape = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    shape = list(indices.shape[:-1]) + data_shape[indices.shape[-1]:]
    model.graph.input.append(tensor("updates", FLOAT, shape))
    node.input[:] = [node.input[0], node.input[1], "updates"]
    return model


def run_compiled(path, feeds):
    lib = ctypes.CDLL(path)
    lib.txc_model_metadata.restype = ctypes.c_char_p
    meta = json.loads(lib.txc_model_metadata())
    inputs = [np.ascontiguousarray(feeds[i["name"]]) for i in meta["inputs"]]
    outputs = [np.zeros(o["shape"], DTYPES[o["dtype"]]) for o in meta["outputs"]]
    buffers = (ctypes.c_void_p * (len(inputs) + len(outputs)))(*[a.ctypes.data for a in inputs + outputs])
    lib.txc_model_run(buffers)
    return outputs


def main():
    work = sys.argv[1]
    os.makedirs(work, exist_ok=True)
    libdir = subprocess.run(["llvm-config", "--libdir"], check=True, capture_output=True, text=True).stdout.strip()
    ctypes.CDLL(os.path.join(libdir, "libmlir_c_runner_utils.so"), mode=ctypes.RTLD_GLOBAL)
    rng = np.random.default_rng(0)
    failures = 0
    for name, model in models().items():
        model = add_updates(model)
        onnx.checker.check_model(model)
        path = os.path.join(work, name + ".onnx")
        onnx.save(model, path)
        lib = os.path.join(work, name + ".so")
        r = subprocess.run(["txc", path, "-q", "-o", lib], capture_output=True, text=True)
        if r.returncode != 0:
            print(f"FAIL {name}: txc exited {r.returncode}: {r.stderr.strip()}")
            failures += 1
            continue
        feeds = {}
        for vi in model.graph.input:
            shape = [d.dim_value for d in vi.type.tensor_type.shape.dim]
            if vi.type.tensor_type.elem_type == INT64:
                feeds[vi.name] = rng.integers(0, 2, shape).astype(np.int64)
            else:
                feeds[vi.name] = rng.standard_normal(shape).astype(np.float32)
        expected = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, feeds)
        got = run_compiled(lib, feeds)
        err = max(float(np.abs(g.astype(np.float64) - e).max()) for g, e in zip(got, expected))
        if err > 1e-5:
            print(f"FAIL {name}: max |error| {err:.2e}")
            failures += 1
        else:
            print(f"OK {name}")
    total = len(models())
    print(f"matched onnxruntime on {total - failures} of {total} models")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
