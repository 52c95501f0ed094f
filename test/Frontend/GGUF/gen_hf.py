#!/usr/bin/env python3
"""Writes small random models as Hugging Face folders.

A folder holds ``config.json``, ``model.safetensors`` (or, with ``--shards N``,
``model-0000k-of-0000N.safetensors`` plus ``model.safetensors.index.json``),
``tokenizer.json`` (built with the ``tokenizers`` package: byte-level BPE for
decoders, WordPiece for BERT) and a minimal ``tokenizer_config.json``.
safetensors files are written by hand (8-byte little-endian header size,
JSON header, raw little-endian data); ``--dtype`` is F32, F16 or BF16.

Architectures: ``llama`` (LlamaForCausalLM), ``mistral`` (MistralForCausalLM
with ``sliding_window``, default 8), ``qwen2`` (Qwen2ForCausalLM, q/k/v
biases), ``phi3`` (Phi3ForCausalLM, fused ``qkv_proj`` and ``gate_up_proj``),
``gpt2`` (GPT2LMHeadModel, Conv1D weights stored [in, out]) and ``bert``
(BertModel, ``--pooler`` adds the pooler). The weights are the same random
weights that ``gen_gguf.py`` draws for the same options and seed. Hugging Face
models use rotate-half RoPE on un-permuted q/k rows.

``--from-gguf FILE.gguf`` instead writes the HF folder equivalent to a GGUF
file (any tensor type; quantized weights are written dequantized): q/k rows of
``llama`` GGUFs are un-permuted (llama.cpp's converter permutes them for
adjacent-pair RoPE), fused phi3/gpt2 tensors are mapped back, and the
tokenizer is rebuilt from the GGUF vocabulary. The reference forward of the
two must agree.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ref_forward  # noqa: E402
import tiny_models  # noqa: E402
import tiny_vocab  # noqa: E402

HF_ARCH = {"llama": "LlamaForCausalLM", "mistral": "MistralForCausalLM", "qwen2": "Qwen2ForCausalLM",
           "phi3": "Phi3ForCausalLM", "gpt2": "GPT2LMHeadModel", "bert": "BertModel"}
MODEL_TYPE = {"llama": "llama", "mistral": "mistral", "qwen2": "qwen2", "phi3": "phi3", "gpt2": "gpt2",
              "bert": "bert"}
TORCH_DTYPE = {"F32": "float32", "F16": "float16", "BF16": "bfloat16"}


def _encode(a: np.ndarray, dtype: str) -> tuple[bytes, str]:
    a = np.ascontiguousarray(a, dtype=np.float32)
    if dtype == "F32":
        return a.astype("<f4").tobytes(), "F32"
    if dtype == "F16":
        return a.astype("<f2").tobytes(), "F16"
    u = a.view(np.uint32).astype(np.uint64)
    u = (u + 0x7FFF + ((u >> 16) & 1)) >> 16  # round to nearest even
    return u.astype("<u2").tobytes(), "BF16"


def write_safetensors(path: str, tensors: dict[str, np.ndarray], dtype: str) -> int:
    """Writes `tensors` to `path` in `dtype`; returns the data size in bytes."""
    header: dict = {"__metadata__": {"format": "pt"}}
    blobs = []
    off = 0
    for name, a in tensors.items():
        data, dt = _encode(a, dtype)
        header[name] = {"dtype": dt, "shape": list(a.shape), "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(len(h).to_bytes(8, "little"))
        f.write(h)
        for b in blobs:
            f.write(b)
    return off


def hf_tensors(cfg: tiny_models.Config, w: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Canonical weights -> Hugging Face names and layouts."""
    out: dict[str, np.ndarray] = {}
    L = cfg.layers
    if cfg.arch == "gpt2":
        out["transformer.wte.weight"] = w["embed"]
        out["transformer.wpe.weight"] = w["pos_embed"]
        for i in range(L):
            p, h = f"l{i}.", f"transformer.h.{i}."
            out[h + "ln_1.weight"], out[h + "ln_1.bias"] = w[p + "attn_norm.w"], w[p + "attn_norm.b"]
            out[h + "attn.c_attn.weight"] = np.concatenate([w[p + "wq"], w[p + "wk"], w[p + "wv"]]).T
            out[h + "attn.c_attn.bias"] = np.concatenate([w[p + "bq"], w[p + "bk"], w[p + "bv"]])
            out[h + "attn.c_proj.weight"], out[h + "attn.c_proj.bias"] = w[p + "wo"].T, w[p + "bo"]
            out[h + "ln_2.weight"], out[h + "ln_2.bias"] = w[p + "ffn_norm.w"], w[p + "ffn_norm.b"]
            out[h + "mlp.c_fc.weight"], out[h + "mlp.c_fc.bias"] = w[p + "w_up"].T, w[p + "b_up"]
            out[h + "mlp.c_proj.weight"], out[h + "mlp.c_proj.bias"] = w[p + "w_down"].T, w[p + "b_down"]
        out["transformer.ln_f.weight"], out["transformer.ln_f.bias"] = w["out_norm.w"], w["out_norm.b"]
        if "lm_head" in w:
            out["lm_head.weight"] = w["lm_head"]
        return out
    if cfg.arch == "bert":
        out["embeddings.word_embeddings.weight"] = w["embed"]
        out["embeddings.position_embeddings.weight"] = w["pos_embed"]
        out["embeddings.token_type_embeddings.weight"] = w["type_embed"]
        out["embeddings.LayerNorm.weight"], out["embeddings.LayerNorm.bias"] = w["embed_norm.w"], w["embed_norm.b"]
        for i in range(L):
            p, e = f"l{i}.", f"encoder.layer.{i}."
            for n, hf in (("q", "query"), ("k", "key"), ("v", "value")):
                out[e + f"attention.self.{hf}.weight"] = w[p + "w" + n]
                out[e + f"attention.self.{hf}.bias"] = w[p + "b" + n]
            out[e + "attention.output.dense.weight"] = w[p + "wo"]
            out[e + "attention.output.dense.bias"] = w[p + "bo"]
            out[e + "attention.output.LayerNorm.weight"] = w[p + "attn_norm.w"]
            out[e + "attention.output.LayerNorm.bias"] = w[p + "attn_norm.b"]
            out[e + "intermediate.dense.weight"], out[e + "intermediate.dense.bias"] = w[p + "w_up"], w[p + "b_up"]
            out[e + "output.dense.weight"], out[e + "output.dense.bias"] = w[p + "w_down"], w[p + "b_down"]
            out[e + "output.LayerNorm.weight"] = w[p + "ffn_norm.w"]
            out[e + "output.LayerNorm.bias"] = w[p + "ffn_norm.b"]
        if "pooler.w" in w:
            out["pooler.dense.weight"], out["pooler.dense.bias"] = w["pooler.w"], w["pooler.b"]
        return out
    out["model.embed_tokens.weight"] = w["embed"]
    for i in range(L):
        p, m = f"l{i}.", f"model.layers.{i}."
        out[m + "input_layernorm.weight"] = w[p + "attn_norm.w"]
        if cfg.arch == "phi3":
            out[m + "self_attn.qkv_proj.weight"] = np.concatenate([w[p + "wq"], w[p + "wk"], w[p + "wv"]])
        else:
            for n in "qkv":
                out[m + f"self_attn.{n}_proj.weight"] = w[p + "w" + n]
                if p + "b" + n in w:
                    out[m + f"self_attn.{n}_proj.bias"] = w[p + "b" + n]
        out[m + "self_attn.o_proj.weight"] = w[p + "wo"]
        out[m + "post_attention_layernorm.weight"] = w[p + "ffn_norm.w"]
        if cfg.arch == "phi3":
            out[m + "mlp.gate_up_proj.weight"] = np.concatenate([w[p + "w_gate"], w[p + "w_up"]])
        else:
            out[m + "mlp.gate_proj.weight"] = w[p + "w_gate"]
            out[m + "mlp.up_proj.weight"] = w[p + "w_up"]
        out[m + "mlp.down_proj.weight"] = w[p + "w_down"]
        if p + "router.w" in w:  # a mixture-of-depths router (Linear(D -> 1))
            out[m + "mod_router.weight"] = w[p + "router.w"].reshape(1, -1)
            out[m + "mod_router.bias"] = np.array([w[p + "router.b"]], dtype=np.float32)
    out["model.norm.weight"] = w["out_norm.w"]
    if "lm_head" in w:
        out["lm_head.weight"] = w["lm_head"]
    return out


def hf_config(cfg: tiny_models.Config, dtype: str, bos: int, eos: int) -> dict:
    c: dict = {"architectures": [HF_ARCH[cfg.arch]], "model_type": MODEL_TYPE[cfg.arch],
               "vocab_size": cfg.vocab, "torch_dtype": TORCH_DTYPE[dtype]}
    if cfg.arch == "gpt2":
        c.update(n_embd=cfg.hidden, n_layer=cfg.layers, n_head=cfg.heads, n_inner=cfg.ff, n_positions=cfg.ctx,
                 n_ctx=cfg.ctx, layer_norm_epsilon=cfg.eps, activation_function="gelu_new",
                 tie_word_embeddings=cfg.tied, bos_token_id=bos, eos_token_id=eos)
        return c
    c.update(hidden_size=cfg.hidden, num_hidden_layers=cfg.layers, num_attention_heads=cfg.heads,
             intermediate_size=cfg.ff, max_position_embeddings=cfg.ctx)
    if cfg.arch == "bert":
        c.update(hidden_act="gelu", type_vocab_size=2, layer_norm_eps=cfg.eps, pad_token_id=0,
                 position_embedding_type="absolute", hidden_dropout_prob=0.0,
                 attention_probs_dropout_prob=0.0)
        return c
    c.update(num_key_value_heads=cfg.kv_heads, head_dim=cfg.head_dim, hidden_act="silu", rms_norm_eps=cfg.eps,
             rope_theta=cfg.rope_base, tie_word_embeddings=cfg.tied, bos_token_id=bos, eos_token_id=eos,
             attention_bias=cfg.arch == "qwen2")
    if cfg.rope_dim != cfg.head_dim:
        c["partial_rotary_factor"] = cfg.rope_dim / cfg.head_dim
    if cfg.rope_scale != 1.0:
        c["rope_scaling"] = {"rope_type": "linear", "type": "linear", "factor": cfg.rope_scale}
    if cfg.arch in ("mistral", "phi3"):
        c["sliding_window"] = cfg.window or None
    if cfg.arch == "qwen2":
        c["use_sliding_window"] = False
    return c


def write_folder(cfg: tiny_models.Config, folder: str, w: dict[str, np.ndarray], dtype: str, shards: int,
                 tokenizer, tok_config: dict) -> None:
    os.makedirs(folder, exist_ok=True)
    if dtype not in TORCH_DTYPE:
        raise ValueError(f"unsupported --dtype {dtype!r} (expected F32, F16 or BF16)")
    tensors = hf_tensors(cfg, w)
    bos, eos = tok_config.pop("_bos", -1), tok_config.pop("_eos", -1)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(hf_config(cfg, dtype, bos, eos), f, indent=2)
    if shards <= 1:
        write_safetensors(os.path.join(folder, "model.safetensors"), tensors, dtype)
    else:
        names = list(tensors)
        if shards > len(names):
            raise ValueError(f"--shards {shards} exceeds the {len(names)} tensors")
        sizes = [tensors[n].size for n in names]
        total, acc = sum(sizes), 0
        groups: list[dict[str, np.ndarray]] = [{} for _ in range(shards)]
        for n, s in zip(names, sizes):
            groups[min(shards - 1, acc * shards // total)][n] = tensors[n]
            acc += s
        # Every shard gets at least one tensor.
        for k in range(shards):
            if not groups[k]:
                donor = max(range(shards), key=lambda j: len(groups[j]))
                name = next(iter(groups[donor]))
                groups[k][name] = groups[donor].pop(name)
        weight_map, total_size = {}, 0
        for k, g in enumerate(groups):
            fn = f"model-{k + 1:05d}-of-{shards:05d}.safetensors"
            total_size += write_safetensors(os.path.join(folder, fn), g, dtype)
            weight_map.update({n: fn for n in g})
        with open(os.path.join(folder, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": total_size}, "weight_map": weight_map}, f, indent=2)
    if tokenizer is not None:
        tokenizer.save(os.path.join(folder, "tokenizer.json"))
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
        json.dump(tok_config, f, indent=2)


def write_random(cfg: tiny_models.Config, folder: str, dtype: str = "F32", shards: int = 1, seed: int = 0) -> None:
    """Writes the random model `cfg` (same weights as gen_gguf.py) to `folder`."""
    cfg.check()
    w = tiny_models.random_weights(cfg, seed)
    if cfg.arch == "bert":
        toks = tiny_vocab.wordpiece_vocab(cfg.vocab)
        tok = tiny_vocab.wordpiece_tokenizer(toks)
        tc = {"tokenizer_class": "BertTokenizerFast", "do_lower_case": True, "cls_token": "[CLS]",
              "sep_token": "[SEP]", "pad_token": "[PAD]", "unk_token": "[UNK]", "mask_token": "[MASK]",
              "model_max_length": cfg.ctx}
        write_folder(cfg, folder, w, dtype, shards, tok, tc)
        with open(os.path.join(folder, "vocab.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(toks) + "\n")
        return
    v = tiny_vocab.byte_bpe_vocab(cfg.vocab)
    tok = tiny_vocab.bpe_tokenizer(v.tokens, v.types, v.merges, v.pre)
    tc = {"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": v.tokens[v.bos_id],
          "eos_token": v.tokens[v.eos_id], "add_bos_token": False, "chat_template": v.chat_template,
          "model_max_length": cfg.ctx, "_bos": v.bos_id, "_eos": v.eos_id}
    write_folder(cfg, folder, w, dtype, shards, tok, tc)


def write_from_gguf(gguf_path: str, folder: str, dtype: str = "F32", shards: int = 1) -> None:
    """Writes the HF folder equivalent to `gguf_path` (see the module doc)."""
    m = ref_forward.load_gguf(gguf_path)
    cfg = m.cfg
    w = {k: v.astype(np.float32) for k, v in m.w.items()}
    if cfg.arch == "llama":
        for i in range(cfg.layers):
            p = f"l{i}."
            w[p + "wq"] = tiny_models.permute_heads(w[p + "wq"], cfg.heads, cfg.head_dim, cfg.rope_dim, inverse=True)
            w[p + "wk"] = tiny_models.permute_heads(w[p + "wk"], cfg.kv_heads, cfg.head_dim, cfg.rope_dim,
                                                    inverse=True)
        if cfg.window:
            cfg.arch = "mistral"
    cfg.rope_style = "neox" if cfg.uses_rope else "none"
    mm = m.meta
    tok, tc = None, {"tokenizer_class": "PreTrainedTokenizerFast"}
    if mm.get("tokenizer.ggml.model") in ("gpt2", "llama"):
        tok = ref_forward.tokenizer(m)
    import gguf

    r = gguf.GGUFReader(gguf_path)
    for key, name in (("tokenizer.ggml.bos_token_id", "_bos"), ("tokenizer.ggml.eos_token_id", "_eos")):
        if key in r.fields:
            tc[name] = int(r.fields[key].contents())
    if "tokenizer.chat_template" in r.fields:
        tc["chat_template"] = r.fields["tokenizer.chat_template"].contents()
    toks = mm.get("tokenizer.ggml.tokens")
    if toks:
        if "_bos" in tc:
            tc["bos_token"] = toks[tc["_bos"]]
        if "_eos" in tc:
            tc["eos_token"] = toks[tc["_eos"]]
    write_folder(cfg, folder, w, dtype, shards, tok, tc)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    tiny_models.add_model_args(ap, ("llama", "qwen2", "mistral", "phi3", "gpt2", "bert"))
    ap.add_argument("--dtype", default="F32", choices=("F32", "F16", "BF16"))
    ap.add_argument("--shards", type=int, default=1)
    ap.add_argument("--pooler", action="store_true", help="BERT: add pooler.dense")
    ap.add_argument("--from-gguf", metavar="FILE", help="convert this GGUF file instead of drawing weights")
    args = ap.parse_args(argv)
    try:
        if args.from_gguf:
            write_from_gguf(args.from_gguf, args.output, args.dtype, args.shards)
        else:
            write_random(tiny_models.config_from_args(args), args.output, args.dtype, args.shards, args.seed)
    except (ValueError, OSError, ref_forward.ModelError) as e:
        print(f"gen_hf.py: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
