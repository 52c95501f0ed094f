#!/usr/bin/env python3
"""Seed corpora for the file-reader fuzzers (scripts/fuzz).

    fuzz_seeds.py gguf DIR         a few tiny GGUF files written by the `gguf`
                                   package: every value type, nested arrays,
                                   version 2 and 3, custom alignment, plain
                                   and block-quantized tensors
    fuzz_seeds.py safetensors DIR  a few tiny safetensors files (dtypes,
                                   scalars, empty tensors, metadata)
    fuzz_seeds.py npy DIR          .npy files: every supported dtype, ranks 0
                                   to 3, empty arrays, version 1.0 and 2.0
                                   headers, and a Fortran-order file
    fuzz_seeds.py metadata DIR     compiled-model metadata JSON: plain,
                                   generation (contiguous and paged cache),
                                   i4 and packed weights, index ranges
    fuzz_seeds.py prompt-ids DIR   txc-run --prompt-ids inputs: a mode byte
                                   (bit 0: .npy, bits 1-2: batch - 1), then
                                   a list of ids or a .npy file

The checked-in seeds (tools/fuzz/seeds/TARGET) were written by this script,
plus the metadata of two models compiled by txc (real-*.json).

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


def npy_bytes(array, version=(1, 0), fortran=False):
    """array as a .npy file, written by numpy's own format module."""
    import io
    from numpy.lib import format as npy_format

    out = io.BytesIO()
    if fortran:
        array = np.asfortranarray(array)
    header = npy_format.header_data_from_array_1_0(array)
    if version == (1, 0):
        npy_format.write_array_header_1_0(out, header)
    else:
        npy_format.write_array_header_2_0(out, header)
    out.write(array.tobytes(order="F" if fortran else "C"))
    return out.getvalue()


def write_npy(out_dir):
    def save(name, data):
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(data)

    rng = np.random.default_rng(0)
    save("f4-2x3.npy", npy_bytes(rng.standard_normal((2, 3)).astype("<f4")))
    save("f8-vector.npy", npy_bytes(np.array([0.5, -1.0, 3.25], "<f8")))
    save("f2-1x2x2.npy", npy_bytes(np.ones((1, 2, 2), "<f2")))
    save("i8-ids.npy", npy_bytes(np.array([[1, 2, 3], [4, 5, 6]], "<i8")))
    save("i4-scalar.npy", npy_bytes(np.array(7, "<i4")))
    save("i2-empty.npy", npy_bytes(np.zeros((0, 3), "<i2")))
    save("u2.npy", npy_bytes(np.array([1, 65535], "<u2")))
    save("i1.npy", npy_bytes(np.array([-1, 2], "|i1")))
    save("u1-2x2.npy", npy_bytes(np.array([[0, 255], [1, 2]], "|u1")))
    save("b1.npy", npy_bytes(np.array([True, False, True])))
    save("f4-v2.npy", npy_bytes(np.arange(4, dtype="<f4"), version=(2, 0)))
    save("f4-fortran.npy", npy_bytes(np.arange(6, dtype="<f4").reshape(2, 3),
                                      fortran=True))
    save("f4-bigendian.npy", npy_bytes(np.arange(2, dtype=">f4")))


def write_metadata(out_dir):
    def save(name, doc):
        with open(os.path.join(out_dir, name), "w") as f:
            json.dump(doc, f, separators=(",", ":"))

    def t(name, dtype, shape, **extra):
        return dict(name=name, dtype=dtype, shape=shape, **extra)

    save("plain.json", {
        "format": "txc-model", "version": 1, "weights_file": "m.safetensors",
        "tokenizer_file": "tokenizer.json",
        "inputs": [t("x", "f32", [2, 3]),
                   t("ids", "i64", [1, 4], index_range=[0, 100])],
        "weights": [t("w", "f32", [3, 4], layout="gemm-b-panels32",
                      transposed=True),
                    t("q", "i4", [4, 8]), t("b", "bf16", [4])],
        "outputs": [t("y", "f16", [2, 4]), t("s", "bool", [])]})

    def generation(paged):
        batch, step, layers, heads, capacity, dim, block = 2, 1, 1, 1, 8, 4, 4
        cache = ([layers, 2, batch * capacity // block, heads, block, dim]
                 if paged else [layers, 2, batch, heads, capacity, dim])
        inputs = [t("input_ids", "i64", [batch, step]),
                  t("position_ids", "i64", [batch, step]),
                  t("kv_cache", "f32", cache),
                  t("cache_position", "i64", [1])]
        gen = {"batch": batch, "step": step, "layers": layers,
               "kv_heads": heads, "capacity": capacity, "head_dim": dim,
               "block_size": block if paged else 0,
               "layout": "paged" if paged else "contiguous",
               "tokens": "input_ids", "positions": "position_ids",
               "cache": "kv_cache", "cache_position": "cache_position",
               "logits": "logits"}
        if paged:
            inputs.append(t("block_table", "i32", [batch, capacity // block]))
            gen["block_table"] = "block_table"
        return {"format": "txc-model", "version": 1, "inputs": inputs,
                "outputs": [t("logits", "f32", [batch, step, 16])],
                "generation": gen}

    save("generation.json", generation(False))
    save("paged.json", generation(True))
    save("version2.json", {"format": "txc-model", "version": 2,
                           "inputs": [], "outputs": []})


def write_prompt_ids(out_dir):
    def save(name, data):
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(data)

    save("one-row", b"\x00" + b"1 2 3")
    save("commas-batch2", b"\x02" + b"5,9,17, 3")
    save("two-rows", b"\x02" + b"1 2; 3 4")
    save("four-rows", b"\x06" + b"1 2;3 4;5 6;7 8")
    save("negative", b"\x00" + b"-1 9223372036854775807")
    save("npy-i8", b"\x01" + npy_bytes(np.array([1, 2, 3], "<i8")))
    save("npy-i4-2x2", b"\x03" + npy_bytes(np.array([[1, 2], [3, 4]], "<i4")))
    save("npy-f4", b"\x01" + npy_bytes(np.array([1, 2], "<f4")))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["gguf", "safetensors", "npy",
                                         "metadata", "prompt-ids"])
    parser.add_argument("out_dir")
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    {"gguf": write_gguf, "safetensors": write_safetensors, "npy": write_npy,
     "metadata": write_metadata,
     "prompt-ids": write_prompt_ids}[args.kind](args.out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
