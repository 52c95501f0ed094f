#!/usr/bin/env python3
"""One-node (or few-node) models for what gen_models.py's op list does not
cover: Clip, Mod, Sign, Flatten, gathers with constant indices, Einsum,
ScatterND, how
initializers are classified, Shape on partly dynamic inputs and shape
computations that depend on data. Imports each with txc and prints the IR
(or, when txc fails, its error), for FileCheck."""
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FLOAT, INT64 = TensorProto.FLOAT, TensorProto.INT64


def model(name, node, inits=(), opset=17):
    """x [2, 3] -> node -> y [2, 3]."""
    x = helper.make_tensor_value_info("x", FLOAT, [2, 3])
    y = helper.make_tensor_value_info("y", FLOAT, [2, 3])
    return graph_model(name, [node], [x], [y], inits, opset)


def graph_model(name, nodes, inputs, outputs, inits=(), opset=17):
    graph = helper.make_graph(nodes, name, inputs, outputs, initializer=list(inits))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def tensor(name, elem_type, shape):
    return helper.make_tensor_value_info(name, elem_type, shape)


def const(name, value, dtype=np.float32):
    return numpy_helper.from_array(np.asarray(value, dtype), name)


def grid(batch, seq):
    """transformers' padding-mask index grid: [B, 1, 1, S, 2] of (b, kv)."""
    b, j = np.broadcast_arrays(np.arange(batch)[:, None, None, None], np.arange(seq)[None, None, None, :])
    return np.stack([b, j], axis=-1)


def gather_models():
    node = helper.make_node
    return {
        # Flatten on a run-time value is a reshape.
        "flatten": graph_model("flatten", [node("Flatten", ["x"], ["y"], name="flatten", axis=2)],
                               [tensor("x", FLOAT, [2, 3, 4])], [tensor("y", FLOAT, [6, 4])]),
        # Index grids that only rearrange their data become reshapes and broadcasts.
        "gathernd-grid": graph_model(
            "gathernd-grid", [node("GatherND", ["mask", "grid"], ["y"], name="gathernd")],
            [tensor("mask", INT64, [2, 5])], [tensor("y", INT64, [2, 1, 1, 5])],
            [const("grid", grid(2, 5), np.int64)]),
        "gather-flat-grid": graph_model(
            "gather-flat-grid", [node("Gather", ["flat", "index"], ["y"], name="gather", axis=0)],
            [tensor("flat", TensorProto.BOOL, [10, 1])], [tensor("y", TensorProto.BOOL, [2, 1, 1, 5, 1])],
            [const("index", np.arange(10).reshape(2, 1, 1, 5), np.int64)]),
        "gather-repeat": graph_model(
            "gather-repeat", [node("Gather", ["v", "index"], ["y"], name="gather", axis=0)],
            [tensor("v", FLOAT, [5])], [tensor("y", FLOAT, [3, 5])],
            [const("index", np.tile(np.arange(5), (3, 1)), np.int64)]),
        # Consecutive constant indices are a slice.
        "gather-first": graph_model(
            "gather-first", [node("Gather", ["x", "zero"], ["y"], name="gather", axis=1)],
            [tensor("x", FLOAT, [2, 6, 4])], [tensor("y", FLOAT, [2, 4])], [const("zero", 0, np.int64)]),
        "gather-range": graph_model(
            "gather-range", [node("Gather", ["x", "index"], ["y"], name="gather", axis=1)],
            [tensor("x", FLOAT, [2, 6, 4])], [tensor("y", FLOAT, [2, 3, 4])],
            [const("index", [2, 3, -2], np.int64)]),
        # Anything else stays a gather.
        "gather-permute": graph_model(
            "gather-permute", [node("Gather", ["x", "index"], ["y"], name="gather", axis=1)],
            [tensor("x", FLOAT, [2, 6, 4])], [tensor("y", FLOAT, [2, 2, 4])],
            [const("index", [1, 0], np.int64)]),
    }


def einsum_scatter_models():
    node = helper.make_node
    box = np.stack(np.meshgrid(np.arange(2), np.arange(1, 3), indexing="ij"), -1)
    return {
        # Einsum on run-time values: one linalg.generic, summed labels reduced.
        "einsum": graph_model(
            "einsum", [node("Einsum", ["q", "k"], ["y"], name="einsum", equation="bhqd,bhkd->bhqk")],
            [tensor("q", FLOAT, [1, 2, 3, 4]), tensor("k", FLOAT, [1, 2, 5, 4])], [tensor("y", FLOAT, [1, 2, 3, 5])]),
        # On constants it folds (an outer product of positions and inverse frequencies).
        "einsum-fold": graph_model(
            "einsum-fold", [node("Einsum", ["t", "f"], ["y"], name="einsum", equation="i,j->ij")],
            [], [tensor("y", INT64, [3, 2])], [const("t", [0, 1, 2], np.int64), const("f", [1, 10], np.int64)]),
        # ScatterND with constant indices: a box is an insert_slice...
        "scatternd-box": graph_model(
            "scatternd-box", [node("ScatterND", ["x", "indices", "u"], ["y"], name="scatter")],
            [tensor("x", FLOAT, [2, 4, 3]), tensor("u", FLOAT, [2, 2, 3])], [tensor("y", FLOAT, [2, 4, 3])],
            [const("indices", box, np.int64)]),
        # ... other positions a select between data and updates.
        "scatternd-points": graph_model(
            "scatternd-points", [node("ScatterND", ["x", "indices", "u"], ["y"], name="scatter")],
            [tensor("x", FLOAT, [2, 4, 3]), tensor("u", FLOAT, [2, 3])], [tensor("y", FLOAT, [2, 4, 3])],
            [const("indices", [[0, 1], [1, 3]], np.int64)]),
        "scatternd-fold": graph_model(
            "scatternd-fold", [node("ScatterND", ["x", "indices", "u"], ["y"], name="scatter", reduction="add")],
            [], [tensor("y", INT64, [4])],
            [const("x", [1, 2, 3, 4], np.int64), const("indices", [[1], [1], [3]], np.int64),
             const("u", [10, 20, 30], np.int64)]),
        "scatternd-runtime-indices": graph_model(
            "scatternd-runtime-indices", [node("ScatterND", ["x", "indices", "u"], ["y"], name="scatter")],
            [tensor("x", FLOAT, [4]), tensor("indices", INT64, [2, 1]), tensor("u", FLOAT, [2])],
            [tensor("y", FLOAT, [4])]),
    }


def initializer_models():
    node = helper.make_node
    rng = np.random.default_rng(0)
    return {
        # Precomputed values (a rotary table, a bool mask) stay inline; the
        # parameters (a MatMul weight, a norm weight) are tx.weight, and an
        # Identity of a parameter is that parameter.
        "initializers": graph_model(
            "initializers",
            [node("MatMul", ["x", "w"], ["h"], name="matmul"),
             node("Identity", ["w"], ["w_shared"], name="share"),
             node("MatMul", ["h", "w_shared"], ["h2"], name="matmul_shared"),
             node("Mul", ["h2", "gamma"], ["scaled"], name="norm_weight"),
             node("Mul", ["scaled", "table"], ["rotated"], name="rotary"),
             node("Where", ["allowed", "rotated", "zero"], ["y"], name="mask")],
            [tensor("x", FLOAT, [1, 1, 4, 32])], [tensor("y", FLOAT, [1, 1, 4, 32])],
            [const("w", rng.standard_normal((32, 32))), const("gamma", rng.standard_normal(32)),
             const("table", rng.standard_normal((1, 1, 4, 32))),
             const("allowed", np.tril(np.ones((4, 32), bool))[None, None], np.bool_), const("zero", 0.0)]),
    }


def shape_models():
    node = helper.make_node
    return {
        # Shape with start/end folds when the dimensions it reads are static.
        "shape-slice": graph_model(
            "shape-slice",
            [node("Shape", ["x"], ["s"], name="shape", start=0, end=1),
             node("ConstantOfShape", ["s"], ["y"], name="fill", value=const("one", [1.0]))],
            [tensor("x", FLOAT, [2, "sequence"])], [tensor("y", FLOAT, [2])]),
        # A shape computed from data cannot be specialized.
        "data-dependent": graph_model(
            "data-dependent",
            [node("ReduceMax", ["lengths"], ["longest"], name="longest", keepdims=0),
             node("Range", ["start", "longest", "step"], ["y"], name="positions")],
            [tensor("lengths", INT64, [4])], [tensor("y", INT64, ["n"])],
            [const("start", 0, np.int64), const("step", 1, np.int64)]),
        "data-dependent-reshape": graph_model(
            "data-dependent-reshape", [node("Reshape", ["x", "shape"], ["y"], name="reshape")],
            [tensor("x", FLOAT, [2, 3]), tensor("shape", INT64, [2])], [tensor("y", FLOAT, [3, 2])]),
        "dynamic-reshape": graph_model(
            "dynamic-reshape",
            [node("Shape", ["x"], ["s"], name="shape"),
             node("Reshape", ["x", "s"], ["y"], name="reshape")],
            [tensor("x", FLOAT, ["batch", 3])], [tensor("y", FLOAT, ["batch", 3])]),
    }


def main():
    work = sys.argv[1]
    os.makedirs(work, exist_ok=True)
    scalar = lambda v, n: numpy_helper.from_array(np.array(v, np.float32), n)
    models = {
        "clip": model("clip", helper.make_node("Clip", ["x", "lo", "hi"], ["y"],
                                               name="clip"),
                      [scalar(-1, "lo"), scalar(1, "hi")]),
        "clip6": model("clip6", helper.make_node("Clip", ["x"], ["y"], name="clip6",
                                                 min=-2.0, max=2.0), opset=6),
        "mod": model("mod", helper.make_node("Mod", ["x", "x"], ["y"], name="mod",
                                             fmod=1)),
        "sign": model("sign", helper.make_node("Sign", ["x"], ["y"], name="sign")),
    }
    models.update(gather_models())
    models.update(einsum_scatter_models())
    models.update(initializer_models())
    models.update(shape_models())
    for name, m in models.items():
        onnx.checker.check_model(m)
        path = os.path.join(work, name + ".onnx")
        onnx.save(m, path)
        r = subprocess.run(["txc", path, "--emit=import", "-q", "-o", "-"], capture_output=True, text=True)
        print(f"// ---- {name}")
        print(r.stdout if r.returncode == 0 else "// txc failed: " + r.stderr.replace(path, name + ".onnx"))


if __name__ == "__main__":
    main()
