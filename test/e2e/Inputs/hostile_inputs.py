"""Files for test/e2e/hostile-inputs.test.

usage: hostile_inputs.py arrays DIR              inputs of a decode step, bad ids
       hostile_inputs.py truncate LIB OUT        the first half of a library
       hostile_inputs.py flip FILE OUT           FILE with one byte flipped
       hostile_inputs.py float-ids IN OUT        input_ids declared float
       hostile_inputs.py escape IN OUT           weights as external data in
                                                 OUT's parent folder ('../')
       hostile_inputs.py leftovers DIR           lists partial outputs and
                                                 txc's temporary objects under
                                                 DIR"""
import glob
import os
import sys

import numpy as np
import onnx
from onnx import external_data_helper

cmd = sys.argv[1]
if cmd == "arrays":
    d = sys.argv[2]
    np.save(os.path.join(d, "ids.npy"), np.array([[5]], np.int64))
    np.save(os.path.join(d, "big.npy"), np.array([[99999]], np.int64))
    np.save(os.path.join(d, "neg.npy"), np.array([[-1]], np.int64))
    np.save(os.path.join(d, "pos.npy"), np.array([[3]], np.int64))
    np.save(os.path.join(d, "cp.npy"), np.array([3], np.int64))
    np.save(os.path.join(d, "kv.npy"), np.zeros((2, 2, 1, 2, 32, 16), np.float32))
    np.save(os.path.join(d, "rank3.npy"), np.ones((1, 1, 3), np.int64))
elif cmd == "truncate":
    data = open(sys.argv[2], "rb").read()
    open(sys.argv[3], "wb").write(data[: len(data) // 2])
elif cmd == "flip":
    data = bytearray(open(sys.argv[2], "rb").read())
    # A byte of tensor data away from the sampled positions' grid.
    at = len(data) - 4097
    data[at] ^= 0x40
    open(sys.argv[3], "wb").write(bytes(data))
elif cmd == "float-ids":
    m = onnx.load(sys.argv[2])
    for i in m.graph.input:
        if i.name == "input_ids":
            i.type.tensor_type.elem_type = onnx.TensorProto.FLOAT
    onnx.save(m, sys.argv[3])
elif cmd == "escape":
    m = onnx.load(sys.argv[2])
    out = sys.argv[3]
    os.makedirs(os.path.dirname(out), exist_ok=True)
    external_data_helper.convert_model_to_external_data(
        m, all_tensors_to_one_file=True, location="escape.data", size_threshold=0)
    onnx.save(m, os.path.join(os.path.dirname(os.path.dirname(out)), "escape.onnx"))
    # The model one folder down names its data as '../escape.data'.
    for t in m.graph.initializer:
        for e in t.external_data:
            if e.key == "location":
                e.value = "../escape.data"
    onnx.save(m, out)
elif cmd == "leftovers":
    found = glob.glob(os.path.join(sys.argv[2], "**", "*.txc-partial-*"), recursive=True)
    found += glob.glob(os.path.join(sys.argv[2], "**", "txc-model-*.o"), recursive=True)
    found += glob.glob(os.path.join(sys.argv[2], "**", "txc-prefill-*.o"), recursive=True)
    print("leftovers: " + (" ".join(found) if found else "none"))
else:
    sys.exit(__doc__)
