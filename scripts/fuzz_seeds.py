#!/usr/bin/env python3
"""Seed corpora for the file-reader fuzzers (scripts/fuzz).

    fuzz_seeds.py gguf DIR         a few tiny GGUF files written by the `gguf`
                                   package: every value type, nested arrays,
                                   version 2 and 3, custom alignment, plain
                                   and block-quantized tensors
    fuzz_seeds.py safetensors DIR  a few tiny safetensors files (dtypes,
                                   scalars, empty tensors, metadata)

The files are small on purpose: libFuzzer mutates them, and a short input
mutates into interesting ones faster.
"""

import argparse
import json
import os
import struct
import sys

import numpy as np


def write_gguf(out_dir):
    import gguf

    def finish(writer):
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()

    # A model-like file: the metadata keys a llama model has, a tiny
    # vocabulary, plain and quantized tensors.
    path = os.path.join(out_dir, "llama.gguf")
    w = gguf.GGUFWriter(path, "llama")
    w.add_name("tiny")
    w.add_block_count(1)
    w.add_context_length(64)
    w.add_embedding_length(32)
    w.add_feed_forward_length(64)
    w.add_head_count(2)
    w.add_head_count_kv(1)
    w.add_rope_freq_base(10000.0)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_tokenizer_model("llama")
    w.add_token_list(["<unk>", "<s>", "</s>", "a", "b", "\u2581ab"])
    w.add_token_scores([0.0, 0.0, 0.0, -1.0, -2.0, -3.0])
    w.add_token_types([2, 3, 3, 1, 1, 1])
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_add_bos_token(True)
    w.add_tensor("token_embd.weight", np.arange(6 * 32, dtype=np.float16)
                 .reshape(6, 32))
    w.add_tensor("output_norm.weight", np.ones(32, dtype=np.float32))
    w.add_tensor("blk.0.attn_q.weight",
                 np.arange(2 * 34, dtype=np.uint8).reshape(2, 34),
                 raw_dtype=gguf.GGMLQuantizationType.Q8_0)
    w.add_tensor("blk.0.attn_k.weight",
                 np.arange(18, dtype=np.uint8).reshape(1, 18),
                 raw_dtype=gguf.GGMLQuantizationType.Q4_0)
    w.add_tensor("blk.0.ffn_down.weight",
                 np.zeros((1, 144), dtype=np.uint8),
                 raw_dtype=gguf.GGMLQuantizationType.Q4_K)
    finish(w)

    # Every value type, nested arrays, no tensors.
    path = os.path.join(out_dir, "values.gguf")
    w = gguf.GGUFWriter(path, "test")
    w.add_uint8("v.u8", 200)
    w.add_int8("v.i8", -100)
    w.add_uint16("v.u16", 60000)
    w.add_int16("v.i16", -30000)
    w.add_uint32("v.u32", 4000000000)
    w.add_int32("v.i32", -2000000000)
    w.add_float32("v.f32", 1.5)
    w.add_uint64("v.u64", 2**63 + 1)
    w.add_int64("v.i64", -(2**50))
    w.add_float64("v.f64", -2.25)
    w.add_bool("v.bool", False)
    w.add_string("v.string", "h\u00e9llo")
    w.add_array("v.ints", [1, 2, 3])
    w.add_array("v.floats", [0.5, -1.0])
    w.add_array("v.strings", ["x", "", "yz"])
    w.add_array("v.nested", [[1, 2], ["deep"]])
    finish(w)

    # Custom alignment and the integer and wide float types.
    path = os.path.join(out_dir, "aligned.gguf")
    w = gguf.GGUFWriter(path, "test")
    w.add_custom_alignment(64)
    w.add_tensor("i8", np.arange(5, dtype=np.int8))
    w.add_tensor("i16", np.arange(3, dtype=np.int16))
    w.add_tensor("i32", np.arange(4, dtype=np.int32).reshape(2, 2))
    w.add_tensor("i64", np.arange(2, dtype=np.int64))
    w.add_tensor("f64", np.arange(2, dtype=np.float64))
    w.add_tensor("bf16", np.zeros((1, 1, 2, 4), dtype=np.uint8),
                 raw_shape=(1, 1, 2, 2), raw_dtype=gguf.GGMLQuantizationType.BF16)
    finish(w)

    # Version 2: the same layout with the version field changed.
    with open(os.path.join(out_dir, "values.gguf"), "rb") as f:
        data = bytearray(f.read())
    data[4:8] = struct.pack("<I", 2)
    with open(os.path.join(out_dir, "values-v2.gguf"), "wb") as f:
        f.write(data)


def safetensors_bytes(tensors, metadata=None, align=8):
    """tensors: list of (name, dtype, shape, raw bytes)."""
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    offset = 0
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": list(shape),
                        "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-(len(text) + 8) % align)
    return (struct.pack("<Q", len(text)) + text +
            b"".join(raw for _, _, _, raw in tensors))


def write_safetensors(out_dir):
    def save(name, data):
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(data)

    save("weights.safetensors", safetensors_bytes([
        ("w", "F32", (2, 3), np.arange(6, dtype=np.float32).tobytes()),
        ("h", "F16", (4,), np.ones(4, dtype=np.float16).tobytes()),
        ("ids", "I64", (2,), np.array([7, -8], dtype=np.int64).tobytes()),
    ], metadata={"format": "pt"}))
    save("small.safetensors", safetensors_bytes([
        ("scalar", "U8", (), b"\x05"),
        ("empty", "F32", (0, 4), b""),
        ("mask", "BOOL", (3,), b"\x01\x00\x01"),
        ("b", "BF16", (1, 2), b"\x80\x3f\x00\x40"),
        ("i", "I32", (1,), struct.pack("<i", -1)),
        ("d", "F64", (1,), struct.pack("<d", 0.5)),
    ]))
    save("empty.safetensors", safetensors_bytes([], metadata={}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["gguf", "safetensors"])
    parser.add_argument("out_dir")
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    if args.kind == "gguf":
        write_gguf(args.out_dir)
    else:
        write_safetensors(args.out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
