#!/usr/bin/env python3
"""Writes the weights and inputs for test/unit/runtime/fake_model.so.

    fake_model.py DIR [--weights VARIANT]

DIR/fake_model.safetensors holds the weights the model's metadata asks for
(w: F32 [2, 3]; codes: i4 [2, 4] stored as U8 [2, 2]), or a broken variant:
missing-codes, wrong-dtype, wrong-shape, garbage, truncated. DIR also gets
the inputs x.npy (f32 [2, 3]) and offset.npy (i64 scalar), and inputs that
txc-run must reject: x_f64.npy, x_shape.npy, x_fortran.npy, x_big.npy,
x_trunc.npy, x_complex.npy, not_npy.npy; x_v2.npy is x in .npy format 2.0.
"""

import argparse
import json
import os
import struct

import numpy as np

W = np.array([[0.5, 1.0, 1.5], [2.0, 2.5, 3.0]], dtype=np.float32)
# Codes [[1, 2, 3, 4], [5, 10, 15, 0]], two per byte, low nibble first.
CODES = np.array([[0x21, 0x43], [0xA5, 0x0F]], dtype=np.uint8)
X = np.arange(1, 7, dtype=np.float32).reshape(2, 3)
OFFSET = np.int64(10)


def write_safetensors(path, tensors):
    """Writes {name: (dtype, array)} in the safetensors layout."""
    header, blobs, offset = {}, [], 0
    for name, (dtype, array) in tensors.items():
        data = np.ascontiguousarray(array).tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def write_weights(path, variant):
    tensors = {"w": ("F32", W), "codes": ("U8", CODES)}
    if variant == "missing-codes":
        del tensors["codes"]
    elif variant == "wrong-dtype":
        tensors["w"] = ("F64", W.astype(np.float64))
    elif variant == "wrong-shape":
        tensors["w"] = ("F32", W.reshape(3, 2))
    if variant == "garbage":
        with open(path, "wb") as f:
            f.write(b"this is not a safetensors file")
        return
    write_safetensors(path, tensors)
    if variant == "truncated":
        with open(path, "r+b") as f:
            f.truncate(os.path.getsize(path) - 5)


def write_inputs(out):
    def path(name):
        return os.path.join(out, name)

    np.save(path("x.npy"), X)
    np.save(path("offset.npy"), OFFSET)
    np.save(path("x_f64.npy"), X.astype(np.float64))
    np.save(path("x_shape.npy"), np.zeros((2, 4), np.float32))
    np.save(path("x_fortran.npy"), np.asfortranarray(X))
    np.save(path("x_big.npy"), X.astype(">f4"))
    np.save(path("x_complex.npy"), X.astype(np.complex64))
    with open(path("x_v2.npy"), "wb") as f:
        np.lib.format.write_array(f, X, version=(2, 0))
    np.save(path("x_trunc.npy"), X)
    with open(path("x_trunc.npy"), "r+b") as f:
        f.truncate(os.path.getsize(path("x_trunc.npy")) - 4)
    with open(path("not_npy.npy"), "w") as f:
        f.write("1 2 3\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir")
    parser.add_argument("--weights", default="ok",
                        choices=["ok", "missing-codes", "wrong-dtype",
                                 "wrong-shape", "garbage", "truncated"])
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    write_weights(os.path.join(args.dir, "fake_model.safetensors"),
                  args.weights)
    write_inputs(args.dir)


if __name__ == "__main__":
    main()
