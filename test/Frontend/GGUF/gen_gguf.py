#!/usr/bin/env python3
"""Writes small random GGUF models with llama.cpp's tensor names and keys.

Architectures (``--arch``):

* ``llama``: RMSNorm, SwiGLU, GQA, RoPE. llama.cpp's converter permutes the
  rows of every q/k head so that llama GGUFs use adjacent-pair RoPE (rope type
  NORM); this generator writes the permuted rows too (see
  ``tiny_models.rope_permutation``). ``--tied`` leaves out ``output.weight``
  (TinyLlama / SmolLM2-like: the LM head is ``token_embd``).
* ``mistral``: the llama architecture plus a sliding attention window, written
  as ``llama.attention.sliding_window`` (``--window``, default 8). llama.cpp's
  own Mistral conversions drop the window; we keep it under the generic
  ``{arch}.attention.sliding_window`` key (``gguf.Keys.Attention.SLIDING_WINDOW``,
  which llama.cpp reads for phi3 and others) so that the frontend can be
  tested on it: position i attends to j with i - W < j <= i.
* ``qwen2``: llama plus q/k/v biases, rotate-half RoPE (NEOX), no permutation.
* ``phi3``: fused ``attn_qkv`` (q rows, then k, then v) and a fused
  ``ffn_up`` holding [gate; up] (2*ff rows, SiLU on the first half), NEOX RoPE.
* ``gpt2``: learned ``position_embd``, LayerNorm with bias, fused
  ``attn_qkv`` with bias, GELU(tanh) MLP with biases, no RoPE.

2-D weights take ``--type``; ``token_embd`` takes ``--embd-type``; norms,
biases and ``position_embd`` stay F32 (as llama.cpp does). F32/F16/BF16 and
Q8_0/Q4_0/Q4_1/Q5_0/Q5_1 are produced by ``gguf.quants.quantize`` from the
random float weights. ``gguf`` cannot quantize the K-quants, so for
Q4_K/Q5_K/Q6_K random blocks are built directly (finite f16 super-block
scales, random 6-bit scales, random quant bits); the model's weight is then
the dequantization of those blocks, which is what ``ref_forward.py`` uses.

The tokenizer in the metadata is the byte-level BPE vocabulary of
``tiny_vocab.byte_bpe_vocab`` (ChatML specials, chat template), or with
``--sentencepiece`` a SentencePiece-style one. ``--vocab`` pads the
vocabulary with ``[PAD<n>]`` tokens (type UNUSED).

Example: ``gen_gguf.py --arch qwen2 --type Q8_0 -o /tmp/q.gguf``.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tiny_models  # noqa: E402
import tiny_vocab  # noqa: E402

import gguf  # noqa: E402
from gguf.constants import MODEL_ARCH, MODEL_ARCH_NAMES, MODEL_TENSOR, MODEL_TENSORS, TENSOR_NAMES, Keys  # noqa: E402

Q = gguf.GGMLQuantizationType
TYPES = ("F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K")
K_QUANTS = ("Q4_K", "Q5_K", "Q6_K")
FILE_TYPES = {
    "F32": gguf.LlamaFileType.ALL_F32,
    "F16": gguf.LlamaFileType.MOSTLY_F16,
    "BF16": gguf.LlamaFileType.MOSTLY_BF16,
    "Q8_0": gguf.LlamaFileType.MOSTLY_Q8_0,
    "Q4_0": gguf.LlamaFileType.MOSTLY_Q4_0,
    "Q4_1": gguf.LlamaFileType.MOSTLY_Q4_1,
    "Q5_0": gguf.LlamaFileType.MOSTLY_Q5_0,
    "Q5_1": gguf.LlamaFileType.MOSTLY_Q5_1,
    "Q4_K": gguf.LlamaFileType.MOSTLY_Q4_K_M,
    "Q5_K": gguf.LlamaFileType.MOSTLY_Q5_K_M,
    "Q6_K": gguf.LlamaFileType.MOSTLY_Q6_K,
}
# GGUF architecture written for each --arch.
GGUF_ARCH = {"llama": MODEL_ARCH.LLAMA, "mistral": MODEL_ARCH.LLAMA, "qwen2": MODEL_ARCH.QWEN2,
             "phi3": MODEL_ARCH.PHI3, "gpt2": MODEL_ARCH.GPT2}


def tensor_name(arch: MODEL_ARCH, t: MODEL_TENSOR, suffix: str, bid: int | None = None) -> str:
    """llama.cpp's name for tensor `t`, checked against the arch's tensor list."""
    if t not in MODEL_TENSORS[arch]:
        raise AssertionError(f"{TENSOR_NAMES[t]} is not a {MODEL_ARCH_NAMES[arch]} tensor")
    base = TENSOR_NAMES[t].format(bid=bid) if bid is not None else TENSOR_NAMES[t]
    return f"{base}.{suffix}"


def random_kquant_blocks(rows: int, cols: int, qtype: str, std: float, rng: np.random.Generator) -> np.ndarray:
    """Random, finite K-quant blocks for a [rows, cols] matrix (uint8 bytes).

    Packed quant bits and 6-bit scale bytes are uniform random bytes; the f16
    super-block scales are chosen so that the dequantized values have roughly
    standard deviation `std` and (for Q4_K/Q5_K) mean near 0.
    """
    qk = gguf.QK_K
    if cols % qk:
        raise ValueError(f"--type {qtype} needs row lengths that are multiples of {qk} (got {cols}); "
                         f"use --hidden/--ff multiples of {qk}")
    block_size, type_size = gguf.GGML_QUANT_SIZES[Q[qtype]]
    n = rows * cols // qk
    raw = rng.integers(0, 256, size=(n, type_size), dtype=np.uint8)
    jitter = rng.uniform(0.7, 1.3, size=(n, 2))
    if qtype == "Q6_K":
        # ql[128] qh[64] scales[16] (int8) d (f16): value = d * scale * (q - 32)
        d = std / (18.5 * 74.0) * jitter[:, 0]
        raw[:, 208:210] = d.astype(np.float16).reshape(n, 1).view(np.uint8)
    else:
        # d (f16) dmin (f16) scales[12] ...: value = d*sc*q - dmin*m, sc, m in [0, 63]
        qmax = 15.0 if qtype == "Q4_K" else 31.0
        d = std / (36.4 * qmax * 0.58) * jitter[:, 0]
        dmin = d * (qmax / 2.0) * jitter[:, 1]
        raw[:, 0:2] = d.astype(np.float16).reshape(n, 1).view(np.uint8)
        raw[:, 2:4] = dmin.astype(np.float16).reshape(n, 1).view(np.uint8)
    return raw.reshape(rows, cols // qk * type_size)


def encode_tensor(m: np.ndarray, qtype: str, rng: np.random.Generator):
    """Returns (array to write, raw GGML type or None) for a 2-D weight."""
    if qtype == "F32":
        return np.ascontiguousarray(m, dtype=np.float32), None
    if qtype == "F16":
        return np.ascontiguousarray(m, dtype=np.float16), None
    if qtype in K_QUANTS:
        std = float(np.std(m)) or 0.02
        return random_kquant_blocks(m.shape[0], m.shape[1], qtype, std, rng), Q[qtype]
    block = gguf.GGML_QUANT_SIZES[Q[qtype]][0]
    if m.shape[1] % block:
        raise ValueError(f"--type {qtype} needs row lengths that are multiples of {block} (got {m.shape[1]})")
    return gguf.quants.quantize(np.ascontiguousarray(m, dtype=np.float32), Q[qtype]), Q[qtype]


def gguf_tensors(cfg: tiny_models.Config, w: dict[str, np.ndarray]):
    """Maps canonical weights to (gguf name, array, is_matrix) in llama.cpp layout."""
    arch = GGUF_ARCH[cfg.arch]
    T = MODEL_TENSOR
    out = []

    def add(t, arr, bid=None, suffix="weight", matrix=False):
        out.append((tensor_name(arch, t, suffix, bid), arr, matrix))

    def norm(t, key, bid=None):
        add(t, w[key + ".w"], bid)
        if key + ".b" in w:
            add(t, w[key + ".b"], bid, "bias")

    add(T.TOKEN_EMBD, w["embed"])
    if "pos_embed" in w:
        add(T.POS_EMBD, w["pos_embed"])
    for i in range(cfg.layers):
        p = f"l{i}."
        norm(T.ATTN_NORM, p + "attn_norm", i)
        wq, wk = w[p + "wq"], w[p + "wk"]
        if cfg.arch in ("llama", "mistral"):
            wq = tiny_models.permute_heads(wq, cfg.heads, cfg.head_dim, cfg.rope_dim)
            wk = tiny_models.permute_heads(wk, cfg.kv_heads, cfg.head_dim, cfg.rope_dim)
        if cfg.arch in ("phi3", "gpt2"):
            add(T.ATTN_QKV, np.concatenate([wq, wk, w[p + "wv"]]), i, matrix=True)
            if p + "bq" in w:
                add(T.ATTN_QKV, np.concatenate([w[p + "bq"], w[p + "bk"], w[p + "bv"]]), i, "bias")
        else:
            add(T.ATTN_Q, wq, i, matrix=True)
            add(T.ATTN_K, wk, i, matrix=True)
            add(T.ATTN_V, w[p + "wv"], i, matrix=True)
            if p + "bq" in w:
                add(T.ATTN_Q, w[p + "bq"], i, "bias")
                add(T.ATTN_K, w[p + "bk"], i, "bias")
                add(T.ATTN_V, w[p + "bv"], i, "bias")
        add(T.ATTN_OUT, w[p + "wo"], i, matrix=True)
        if p + "bo" in w:
            add(T.ATTN_OUT, w[p + "bo"], i, "bias")
        norm(T.FFN_NORM, p + "ffn_norm", i)
        if cfg.arch == "phi3":
            add(T.FFN_UP, np.concatenate([w[p + "w_gate"], w[p + "w_up"]]), i, matrix=True)
        else:
            if p + "w_gate" in w:
                add(T.FFN_GATE, w[p + "w_gate"], i, matrix=True)
            add(T.FFN_UP, w[p + "w_up"], i, matrix=True)
            if p + "b_up" in w:
                add(T.FFN_UP, w[p + "b_up"], i, "bias")
        add(T.FFN_DOWN, w[p + "w_down"], i, matrix=True)
        if p + "b_down" in w:
            add(T.FFN_DOWN, w[p + "b_down"], i, "bias")
    norm(T.OUTPUT_NORM, "out_norm")
    if "lm_head" in w:
        add(T.OUTPUT, w["lm_head"], matrix=True)
    return out


def write_vocab(wr: gguf.GGUFWriter, v: tiny_vocab.Vocab) -> None:
    wr.add_tokenizer_model(v.model)
    wr.add_tokenizer_pre(v.pre)
    wr.add_token_list(v.tokens)
    wr.add_token_types(v.types)
    if v.model == "llama":
        wr.add_token_scores(v.scores)
    if v.merges:
        wr.add_token_merges(v.merges)
    if v.bos_id >= 0:
        wr.add_bos_token_id(v.bos_id)
    if v.eos_id >= 0:
        wr.add_eos_token_id(v.eos_id)
    if v.unk_id >= 0:
        wr.add_unk_token_id(v.unk_id)
    if v.pad_id >= 0:
        wr.add_pad_token_id(v.pad_id)
    wr.add_add_bos_token(v.add_bos)
    wr.add_add_space_prefix(v.add_space_prefix)
    if v.chat_template:
        wr.add_chat_template(v.chat_template)


def write_gguf(cfg: tiny_models.Config, path: str, wtype: str = "F32", embd_type: str | None = None,
               seed: int = 0, sentencepiece: bool = False, mod_router: bool = False) -> None:
    """Writes the random model `cfg` (seeded by `seed`) to `path`; with
    `mod_router`, every layer also gets a made-up mixture-of-depths router
    (blk.I.mod_router.weight [D] and .bias [1], as a checkpoint trained
    with routers would ship)."""
    cfg.check()
    if cfg.arch == "bert":
        raise ValueError("--arch bert is only written as a Hugging Face folder (gen_hf.py)")
    embd_type = embd_type or wtype
    for t in (wtype, embd_type):
        if t not in TYPES:
            raise ValueError(f"unsupported tensor type {t!r} (expected one of {', '.join(TYPES)})")
    v = tiny_vocab.sentencepiece_vocab(cfg.vocab) if sentencepiece else tiny_vocab.byte_bpe_vocab(cfg.vocab)
    w = tiny_models.random_weights(cfg, seed)
    qrng = np.random.default_rng(seed + 1000003)

    arch = GGUF_ARCH[cfg.arch]
    a = MODEL_ARCH_NAMES[arch]
    wr = gguf.GGUFWriter(path, a)
    wr.add_name(f"tiny-{cfg.arch}")
    wr.add_file_type(int(FILE_TYPES[wtype]))
    wr.add_quantization_version(gguf.GGML_QUANT_VERSION)
    wr.add_uint32(Keys.LLM.VOCAB_SIZE.format(arch=a), cfg.vocab)
    wr.add_uint32(Keys.LLM.CONTEXT_LENGTH.format(arch=a), cfg.ctx)
    wr.add_uint32(Keys.LLM.EMBEDDING_LENGTH.format(arch=a), cfg.hidden)
    wr.add_uint32(Keys.LLM.BLOCK_COUNT.format(arch=a), cfg.layers)
    wr.add_uint32(Keys.LLM.FEED_FORWARD_LENGTH.format(arch=a), cfg.ff)
    wr.add_uint32(Keys.Attention.HEAD_COUNT.format(arch=a), cfg.heads)
    if cfg.arch == "gpt2":
        wr.add_float32(Keys.Attention.LAYERNORM_EPS.format(arch=a), cfg.eps)
    else:
        wr.add_uint32(Keys.Attention.HEAD_COUNT_KV.format(arch=a), cfg.kv_heads)
        wr.add_float32(Keys.Attention.LAYERNORM_RMS_EPS.format(arch=a), cfg.eps)
        wr.add_float32(Keys.Rope.FREQ_BASE.format(arch=a), cfg.rope_base)
        wr.add_uint32(Keys.Rope.DIMENSION_COUNT.format(arch=a), cfg.rope_dim)
        if cfg.rope_scale != 1.0:
            wr.add_string(Keys.Rope.SCALING_TYPE.format(arch=a), "linear")
            wr.add_float32(Keys.Rope.SCALING_FACTOR.format(arch=a), cfg.rope_scale)
        if cfg.window:
            wr.add_uint32(Keys.Attention.SLIDING_WINDOW.format(arch=a), cfg.window)
    write_vocab(wr, v)

    for name, arr, matrix in gguf_tensors(cfg, w):
        if name == "token_embd.weight":
            data, raw = encode_tensor(arr, embd_type, qrng)
        elif matrix:
            data, raw = encode_tensor(arr, wtype, qrng)
        else:
            data, raw = np.ascontiguousarray(arr, dtype=np.float32), None
        wr.add_tensor(name, data, raw_dtype=raw)
    if mod_router:
        rrng = np.random.default_rng(seed + 77)
        for i in range(cfg.layers):
            wr.add_tensor(f"blk.{i}.mod_router.weight",
                          (rrng.standard_normal(cfg.hidden) / np.sqrt(cfg.hidden)).astype(np.float32))
            wr.add_tensor(f"blk.{i}.mod_router.bias",
                          np.array([rrng.standard_normal() * 0.1], dtype=np.float32))

    wr.write_header_to_file()
    wr.write_kv_data_to_file()
    wr.write_tensors_to_file()
    wr.close()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    tiny_models.add_model_args(ap, ("llama", "qwen2", "mistral", "phi3", "gpt2"))
    ap.add_argument("--type", default="F32", choices=TYPES, help="type of the 2-D weights")
    ap.add_argument("--embd-type", default=None, choices=TYPES, help="type of token_embd (default: --type)")
    ap.add_argument("--sentencepiece", action="store_true", help="SentencePiece-style vocabulary")
    ap.add_argument("--mod-router", action="store_true",
                    help="add a made-up mixture-of-depths router per layer (blk.I.mod_router.*)")
    args = ap.parse_args(argv)
    try:
        cfg = tiny_models.config_from_args(args)
        write_gguf(cfg, args.output, args.type, args.embd_type, args.seed, args.sentencepiece,
                   args.mod_router)
    except ValueError as e:
        print(f"gen_gguf.py: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
