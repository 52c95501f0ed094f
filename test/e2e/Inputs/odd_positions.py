"""Writes a model whose positions (Range over the sequence of input_ids)
reach a Cos through ConstantOfShape, which txc folds but cannot compute at run
time: compiled for generation, that is an error. usage: odd_positions.py OUT"""
import sys

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h

nodes = [
    h.make_node("Shape", ["input_ids"], ["shape"]),
    h.make_node("Gather", ["shape", "one"], ["length"], axis=0),
    h.make_node("Range", ["zero", "length", "one"], ["positions"]),
    h.make_node("ConstantOfShape", ["positions"], ["odd"], name="make_odd"),
    h.make_node("Cast", ["odd"], ["odd_f"], to=T.FLOAT),
    h.make_node("Cos", ["odd_f"], ["cos"]),
    h.make_node("ReduceSum", ["cos"], ["total"], keepdims=1),
    h.make_node("Gather", ["embedding", "input_ids"], ["x"], axis=0),
    h.make_node("Add", ["x", "total"], ["logits"]),
]
graph = h.make_graph(
    nodes, "odd_positions",
    [h.make_tensor_value_info("input_ids", T.INT64, [1, "sequence"])],
    [h.make_tensor_value_info("logits", T.FLOAT, [1, "sequence", 4])],
    [h.make_tensor("zero", T.INT64, [], [0]), h.make_tensor("one", T.INT64, [], [1]),
     h.make_tensor("embedding", T.FLOAT, [8, 4], np.ones(32, np.float32).tolist())])
onnx.save(h.make_model(graph, opset_imports=[h.make_opsetid("", 18)]), sys.argv[1])
