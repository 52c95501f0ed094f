#!/usr/bin/env python3
"""One-node models for ops beyond gen_models.py's list (Clip, Mod, Sign),
imported with txc; prints the imported IR of each, for FileCheck."""
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def model(name, node, inits=(), opset=17):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])
    graph = helper.make_graph([node], name, [x], [y], initializer=list(inits))
    return helper.make_model(graph,
                             opset_imports=[helper.make_opsetid("", opset)])


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
    for name, m in models.items():
        path = os.path.join(work, name + ".onnx")
        onnx.save(m, path)
        out = subprocess.run(["txc", path, "--emit=import", "-q"], check=True,
                             capture_output=True, text=True).stdout
        print(f"// ---- {name}")
        print(out)


if __name__ == "__main__":
    main()
