#!/usr/bin/env python3
"""Writes malformed GGUF files and Hugging Face folders for errors.test.

  make_bad_inputs.py DIR

Every input is a small llama model (or a gen_hf.py folder) with exactly one
thing wrong; the file names say what:

  good.gguf               a valid F32 llama GGUF (the base of the others)
  no-tokenizer.gguf       valid, but without tokenizer.ggml.* keys
  truncated.gguf          good.gguf cut in the middle of its tensor data
  truncated-header.gguf   good.gguf cut inside its metadata
  version1.gguf           good.gguf with the GGUF version field set to 1
  not-gguf.gguf           random bytes (no GGUF magic)
  unknown-arch.gguf       general.architecture = 'mamba'
  missing-key.gguf        no llama.block_count
  bad-shape.gguf          blk.0.attn_q.weight has 40 rows (heads x head dim: 32)
  q2k.gguf                blk.0.ffn_down.weight stored as Q2_K
  iq2.gguf                blk.0.ffn_down.weight stored as IQ2_XXS
  missing-tensor.gguf     no blk.0.ffn_gate.weight
  many-layers.gguf        llama.block_count = 10^12 (the file has 1 layer)
  hf-good/                a valid LlamaForCausalLM folder
  hf-tied/                the same with a tied head (no lm_head.weight)
  hf-unknown-class/       config.json names FalconForCausalLM
  hf-missing-key/         config.json without num_hidden_layers
  hf-bad-offsets/         a safetensors header whose data_offsets run past
                          the end of the file
  hf-missing-shard/       an index.json naming a shard that is not there
  hf-bert/                a valid BertModel folder
  model.onnx              not a model at all (text)
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_hf  # noqa: E402
import tiny_models  # noqa: E402
import tiny_vocab  # noqa: E402
import gen_gguf  # noqa: E402

import gguf  # noqa: E402

V, D, L, HEADS, FF, CTX = 320, 32, 1, 2, 256, 16


def tensors(rng):
    """(name, array) of a 1-layer llama, GGUF names and row-major shapes."""
    def m(r, c):
        return (rng.standard_normal((r, c)) * 0.05).astype(np.float32)

    def ones(n):
        return np.ones(n, dtype=np.float32)

    return [("token_embd.weight", m(V, D)),
            ("blk.0.attn_norm.weight", ones(D)),
            ("blk.0.attn_q.weight", m(D, D)),
            ("blk.0.attn_k.weight", m(D, D)),
            ("blk.0.attn_v.weight", m(D, D)),
            ("blk.0.attn_output.weight", m(D, D)),
            ("blk.0.ffn_norm.weight", ones(D)),
            ("blk.0.ffn_gate.weight", m(FF, D)),
            ("blk.0.ffn_up.weight", m(FF, D)),
            ("blk.0.ffn_down.weight", m(D, FF)),
            ("output_norm.weight", ones(D)),
            ("output.weight", m(V, D))]


def write_gguf(path, arch="llama", drop_key=None, tokenizer=True, replace=None, drop_tensor=None, layers=L):
    """Writes the model; `replace` maps a tensor name to (data, raw_dtype)."""
    rng = np.random.default_rng(0)
    w = gguf.GGUFWriter(path, arch)
    keys = {"context_length": CTX, "embedding_length": D, "block_count": layers,
            "feed_forward_length": FF, "attention.head_count": HEADS,
            "attention.head_count_kv": HEADS}
    for k, v in keys.items():
        if k != drop_key:
            (w.add_uint32 if v < 2**32 else w.add_uint64)(f"{arch}.{k}", v)
    w.add_float32(f"{arch}.attention.layer_norm_rms_epsilon", 1e-5)
    if tokenizer:
        gen_gguf.write_vocab(w, tiny_vocab.byte_bpe_vocab(V))
    for name, arr in tensors(rng):
        if name == drop_tensor:
            continue
        if replace and name in replace:
            data, raw = replace[name]
            w.add_tensor(name, data, raw_dtype=raw)
        else:
            w.add_tensor(name, arr)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def raw_blocks(qtype, rows, cols):
    """Zero bytes in the layout gguf expects for `qtype` rows."""
    block, size = gguf.GGML_QUANT_SIZES[qtype]
    return np.zeros((rows, cols // block * size), dtype=np.uint8)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    p = lambda n: os.path.join(out, n)  # noqa: E731

    write_gguf(p("good.gguf"))
    write_gguf(p("no-tokenizer.gguf"), tokenizer=False)
    data = open(p("good.gguf"), "rb").read()
    open(p("truncated.gguf"), "wb").write(data[: len(data) - 1000])
    open(p("truncated-header.gguf"), "wb").write(data[:40])
    open(p("version1.gguf"), "wb").write(data[:4] + struct.pack("<I", 1) + data[8:])
    open(p("not-gguf.gguf"), "wb").write(bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8)))
    write_gguf(p("unknown-arch.gguf"), arch="mamba")
    write_gguf(p("missing-key.gguf"), drop_key="block_count")
    bad = (np.zeros((40, D), dtype=np.float32), None)
    write_gguf(p("bad-shape.gguf"), replace={"blk.0.attn_q.weight": bad})
    Q = gguf.GGMLQuantizationType
    # FF is 256: one K-quant / IQ block per row of ffn_down.
    write_gguf(p("q2k.gguf"),
               replace={"blk.0.ffn_down.weight": (raw_blocks(Q.Q2_K, D, FF), Q.Q2_K)})
    write_gguf(p("iq2.gguf"),
               replace={"blk.0.ffn_down.weight": (raw_blocks(Q.IQ2_XXS, D, FF), Q.IQ2_XXS)})
    write_gguf(p("missing-tensor.gguf"), drop_tensor="blk.0.ffn_gate.weight")
    write_gguf(p("many-layers.gguf"), layers=10**12)

    cfg = tiny_models.Config(arch="llama", layers=1, hidden=32, heads=2, kv_heads=2, ff=64, vocab=300, ctx=16)
    gen_hf.write_random(cfg, p("hf-good"))
    gen_hf.write_random(dataclasses.replace(cfg, tied=True), p("hf-tied"))

    def variant(name, edit_config=None):
        d = p(name)
        shutil.rmtree(d, ignore_errors=True)
        shutil.copytree(p("hf-good"), d)
        if edit_config:
            with open(os.path.join(d, "config.json")) as f:
                c = json.load(f)
            edit_config(c)
            with open(os.path.join(d, "config.json"), "w") as f:
                json.dump(c, f)
        return d

    variant("hf-unknown-class", lambda c: c.update(architectures=["FalconForCausalLM"]))
    variant("hf-missing-key", lambda c: c.pop("num_hidden_layers"))

    # data_offsets past the end of the data.
    d = variant("hf-bad-offsets")
    st = os.path.join(d, "model.safetensors")
    raw = open(st, "rb").read()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8: 8 + n])
    info = header["model.layers.0.mlp.down_proj.weight"]
    size = info["data_offsets"][1] - info["data_offsets"][0]
    end = len(raw) - 8 - n
    info["data_offsets"] = [end - size + 4096, end + 4096]
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    open(st, "wb").write(len(h).to_bytes(8, "little") + h + raw[8 + n:])

    d = p("hf-missing-shard")
    shutil.rmtree(d, ignore_errors=True)
    gen_hf.write_random(cfg, d, shards=2)
    os.remove(os.path.join(d, "model-00002-of-00002.safetensors"))

    gen_hf.write_random(tiny_models.Config(arch="bert", layers=1, hidden=32, heads=2, kv_heads=2, ff=64,
                                           vocab=300, ctx=16), p("hf-bert"))
    open(p("model.onnx"), "w").write("this is not an ONNX model\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
