#!/usr/bin/env python3
"""NumPy reference forward pass for GGUF files and Hugging Face folders.

Independent of txc: it reads the model files itself (GGUF through
``gguf.GGUFReader`` with ``gguf.quants.dequantize``; safetensors parsed by
hand) and computes in float64 (weights are dequantized once and cached in memory, as
float64, per model).

Supported:

* GGUF ``llama`` (incl. a ``llama.attention.sliding_window`` window, see
  gen_gguf.py), ``qwen2``, ``phi3`` (fused or separate q/k/v, fused gate+up),
  ``gpt2``;
* HF ``LlamaForCausalLM``, ``MistralForCausalLM``, ``Qwen2ForCausalLM``,
  ``Phi3ForCausalLM``, ``GPT2LMHeadModel``, ``BertModel``.

RoPE is adjacent-pair (llama.cpp NORM) for GGUF llama, whose q/k rows
llama.cpp's converter permutes, and rotate-half (NEOX) for GGUF qwen2/phi3 and
every HF model; ``rope.dimension_count`` < head_dim rotates the leading dims
only; linear scaling divides positions by the factor. Attention is causal with
GQA (query head h uses kv head h // (heads / kv_heads)); with a window W,
position i attends to j for i - W < j <= i. BERT is a bidirectional post-LN
encoder (absolute positions, token type 0, GELU(erf)).

CLI::

  ref_forward.py MODEL (--ids "1 2 3" | --ids-file ids.npy | --text FILE)
                 [--out logits.npy] [--embeddings] [-v]
  ref_forward.py MODEL --perplexity --context N (--ids-file F | --text FILE)

The default output is the [T, V] float32 logits (BERT: the [T, D] last hidden
state); ``--embeddings`` writes the final hidden states instead (decoders:
[T, D] after the output norm; BERT: the mean-pooled [D] sentence embedding).
Only the output path is printed unless ``-v``. ``--perplexity`` prints
``perplexity: X`` over non-overlapping windows of N tokens (every token after
the first of a window is scored, no BOS is added). ``--text`` tokenizes with
the model's own tokenizer (GGUF: built from the metadata, see tiny_vocab.py;
HF: tokenizer.json) for convenience; the compiled side is expected to pass ids.

Importable: ``forward(path, ids) -> logits[T, V]`` (float64),
``hidden(path, ids)``, ``embedding(path, ids)``, ``perplexity(path, ids, n)``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tiny_models  # noqa: E402


class ModelError(Exception):
    """A model file is missing a key/tensor or has an unsupported feature."""


class RefModel:
    """A loaded model: canonical config and dequantized float32 weights."""

    def __init__(self, cfg: tiny_models.Config, w: dict[str, np.ndarray], path: str, fmt: str):
        self.cfg = cfg
        # float64 copies, made once: the forward then runs BLAS in float64
        # without converting weights on every call.
        self.w = {k: np.ascontiguousarray(v, dtype=np.float64) for k, v in w.items()}
        self.path = path
        self.format = fmt  # "gguf" or "hf"
        self.meta: dict = {}  # GGUF tokenizer fields, when read

    @property
    def is_encoder(self) -> bool:
        return self.cfg.arch == "bert"


# ---------------------------------------------------------------- GGUF ----

GGUF_ROPE_STYLE = {"llama": "norm", "qwen2": "neox", "phi3": "neox", "gpt2": "none"}


def load_gguf(path: str) -> RefModel:
    import gguf

    r = gguf.GGUFReader(path)
    fields = r.fields

    def meta(key, default=None, required=False):
        f = fields.get(key)
        if f is None:
            if required:
                raise ModelError(f"{path}: missing metadata key '{key}'")
            return default
        return f.contents()

    arch = meta("general.architecture", required=True)
    if arch not in GGUF_ROPE_STYLE:
        raise ModelError(f"{path}: unsupported general.architecture '{arch}'")
    tensors = {t.name: t for t in r.tensors}

    def get(name, shape=None, required=True):
        t = tensors.get(name)
        if t is None:
            if required:
                raise ModelError(f"{path}: missing tensor '{name}'")
            return None
        a = gguf.quants.dequantize(t.data, t.tensor_type)
        a = np.asarray(a, dtype=np.float32).reshape(tuple(int(d) for d in reversed(t.shape)))
        if shape is not None and tuple(a.shape) != tuple(shape):
            raise ModelError(f"{path}: tensor '{name}' has shape {list(a.shape)} (numpy order), expected {list(shape)}")
        if not np.all(np.isfinite(a)):
            raise ModelError(f"{path}: tensor '{name}' has non-finite values")
        return a

    def k(suffix, default=None, required=False):
        return meta(f"{arch}.{suffix}", default, required)

    D = int(k("embedding_length", required=True))
    heads = k("attention.head_count", required=True)
    if not np.isscalar(heads):
        raise ModelError(f"{path}: per-layer '{arch}.attention.head_count' is not supported")
    heads = int(heads)
    kv = int(k("attention.head_count_kv", heads))
    head_dim = int(k("attention.key_length", D // heads))
    emb = get("token_embd.weight")
    V = emb.shape[0]
    if emb.shape[1] != D:
        raise ModelError(f"{path}: token_embd.weight rows have {emb.shape[1]} values, "
                         f"{arch}.embedding_length is {D}")
    eps = k("attention.layer_norm_rms_epsilon") if arch != "gpt2" else k("attention.layer_norm_epsilon")
    if eps is None:
        raise ModelError(f"{path}: missing the layer norm epsilon key")
    scale = 1.0
    stype = k("rope.scaling.type")
    if stype not in (None, "none", "linear"):
        raise ModelError(f"{path}: unsupported '{arch}.rope.scaling.type' = '{stype}'")
    if stype == "linear":
        scale = float(k("rope.scaling.factor", required=True))
    cfg = tiny_models.Config(
        arch=arch, layers=int(k("block_count", required=True)), hidden=D, heads=heads, kv_heads=kv,
        ff=int(k("feed_forward_length", required=True)), vocab=V, ctx=int(k("context_length", 0)),
        head_dim=head_dim, rope_base=float(k("rope.freq_base", 10000.0)),
        rope_dim=int(k("rope.dimension_count", head_dim)), rope_scale=scale,
        window=int(k("attention.sliding_window", 0)), eps=float(eps), rope_style=GGUF_ROPE_STYLE[arch],
        tied="output.weight" not in tensors)
    F, qd, kd = cfg.ff, heads * head_dim, kv * head_dim
    w: dict[str, np.ndarray] = {"embed": emb}
    if arch == "gpt2":
        w["pos_embed"] = get("position_embd.weight")
        if w["pos_embed"].shape[1] != D:
            raise ModelError(f"{path}: position_embd.weight has the wrong row length")
        cfg.ctx = w["pos_embed"].shape[0]

    def norm(key, name):
        w[key + ".w"] = get(name + ".weight", (D,))
        if cfg.layer_norm:
            w[key + ".b"] = get(name + ".bias", (D,))

    for i in range(cfg.layers):
        p, b = f"l{i}.", f"blk.{i}."
        norm(p + "attn_norm", b + "attn_norm")
        if b + "attn_qkv.weight" in tensors:
            qkv = get(b + "attn_qkv.weight", (qd + 2 * kd, D))
            w[p + "wq"], w[p + "wk"], w[p + "wv"] = np.split(qkv, [qd, qd + kd])
            bias = get(b + "attn_qkv.bias", (qd + 2 * kd,), required=False)
            if bias is not None:
                w[p + "bq"], w[p + "bk"], w[p + "bv"] = np.split(bias, [qd, qd + kd])
        else:
            w[p + "wq"] = get(b + "attn_q.weight", (qd, D))
            w[p + "wk"] = get(b + "attn_k.weight", (kd, D))
            w[p + "wv"] = get(b + "attn_v.weight", (kd, D))
            for n, d in (("q", qd), ("k", kd), ("v", kd)):
                bias = get(b + f"attn_{n}.bias", (d,), required=False)
                if bias is not None:
                    w[p + "b" + n] = bias
        w[p + "wo"] = get(b + "attn_output.weight", (D, qd))
        bo = get(b + "attn_output.bias", (D,), required=False)
        if bo is not None:
            w[p + "bo"] = bo
        norm(p + "ffn_norm", b + "ffn_norm")
        if arch == "gpt2":
            w[p + "w_up"] = get(b + "ffn_up.weight", (F, D))
            w[p + "b_up"] = get(b + "ffn_up.bias", (F,))
            w[p + "w_down"] = get(b + "ffn_down.weight", (D, F))
            w[p + "b_down"] = get(b + "ffn_down.bias", (D,))
        else:
            if b + "ffn_gate.weight" in tensors:
                w[p + "w_gate"] = get(b + "ffn_gate.weight", (F, D))
                w[p + "w_up"] = get(b + "ffn_up.weight", (F, D))
            else:
                up = get(b + "ffn_up.weight", (2 * F, D))
                w[p + "w_gate"], w[p + "w_up"] = np.split(up, 2)
            w[p + "w_down"] = get(b + "ffn_down.weight", (D, F))
        router = get(b + "mod_router.weight", required=False)
        if router is not None:
            w[p + "router.w"] = router.reshape(-1)
            bias = get(b + "mod_router.bias", required=False)
            w[p + "router.b"] = np.float64(bias.reshape(-1)[0] if bias is not None else 0.0)
    norm("out_norm", "output_norm")
    if not cfg.tied:
        w["lm_head"] = get("output.weight", (V, D))
    m = RefModel(cfg, w, path, "gguf")
    for key in ("tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.ggml.tokens",
                "tokenizer.ggml.token_type", "tokenizer.ggml.merges", "tokenizer.ggml.scores",
                "tokenizer.ggml.unknown_token_id"):
        if key in fields:
            m.meta[key] = meta(key)
    return m


# ------------------------------------------------------------------ HF ----

_ST_DTYPES = {"F32": np.float32, "F16": np.float16, "BF16": np.uint16, "F64": np.float64,
              "I64": np.int64, "I32": np.int32, "I16": np.int16, "I8": np.int8, "U8": np.uint8,
              "BOOL": np.bool_}


def read_safetensors(path: str) -> dict[str, np.ndarray]:
    """Parses a .safetensors file (8-byte LE header size, JSON header, data);
    float tensors come back as float32."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) != 8:
            raise ModelError(f"{path}: truncated safetensors header")
        n = int.from_bytes(head, "little")
        if n <= 0 or 8 + n > size:
            raise ModelError(f"{path}: bad safetensors header length {n}")
        header = json.loads(f.read(n))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + n)
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dt = info.get("dtype")
        if dt not in _ST_DTYPES:
            raise ModelError(f"{path}: tensor '{name}' has unsupported dtype {dt}")
        b, e = info["data_offsets"]
        shape = tuple(info["shape"])
        npdt = np.dtype(_ST_DTYPES[dt])
        if not (0 <= b <= e <= data.size) or e - b != int(np.prod(shape)) * npdt.itemsize:
            raise ModelError(f"{path}: tensor '{name}' has bad data_offsets")
        a = np.frombuffer(data[b:e], dtype=npdt).reshape(shape)
        if dt == "BF16":
            a = (a.astype(np.uint32) << 16).view(np.float32)
        # Integer buffers (e.g. BERT's position_ids) are kept as they are.
        out[name] = a.astype(np.float32) if dt.startswith(("F", "BF")) else np.array(a)
    return out


def read_hf_tensors(folder: str) -> dict[str, np.ndarray]:
    index = os.path.join(folder, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            files = sorted(set(json.load(f)["weight_map"].values()))
    else:
        files = ["model.safetensors"]
    out: dict[str, np.ndarray] = {}
    for fn in files:
        p = os.path.join(folder, fn)
        if not os.path.exists(p):
            raise ModelError(f"{folder}: missing weights file '{fn}'")
        out.update(read_safetensors(p))
    return out


def load_hf(folder: str) -> RefModel:
    with open(os.path.join(folder, "config.json")) as f:
        c = json.load(f)
    archs = c.get("architectures") or []
    if not archs:
        raise ModelError(f"{folder}/config.json: missing 'architectures'")
    a = archs[0]
    kinds = {"LlamaForCausalLM": "llama", "MistralForCausalLM": "mistral", "Qwen2ForCausalLM": "qwen2",
             "Phi3ForCausalLM": "phi3", "GPT2LMHeadModel": "gpt2", "BertModel": "bert"}
    if a not in kinds:
        raise ModelError(f"{folder}/config.json: unsupported architecture '{a}'")
    arch = kinds[a]
    t = read_hf_tensors(folder)

    def req(key):
        if key not in c:
            raise ModelError(f"{folder}/config.json: missing '{key}'")
        return c[key]

    def get(name, shape=None, transpose=False, required=True):
        for cand in (name, "model." + name, "transformer." + name, "bert." + name):
            if cand in t:
                a_ = t[cand].T if transpose else t[cand]
                if shape is not None and tuple(a_.shape) != tuple(shape):
                    raise ModelError(f"{folder}: tensor '{cand}' has shape {list(t[cand].shape)}")
                return np.ascontiguousarray(a_)
        if required:
            raise ModelError(f"{folder}: missing tensor '{name}'")
        return None

    w: dict[str, np.ndarray] = {}
    if arch == "gpt2":
        D, L, H = req("n_embd"), req("n_layer"), req("n_head")
        F = c.get("n_inner") or 4 * D
        V = req("vocab_size")
        cfg = tiny_models.Config(arch=arch, layers=L, hidden=D, heads=H, kv_heads=H, ff=F, vocab=V,
                                 ctx=req("n_positions"), eps=c.get("layer_norm_epsilon", 1e-5),
                                 rope_style="none", tied=c.get("tie_word_embeddings", True))
        w["embed"] = get("wte.weight", (V, D))
        w["pos_embed"] = get("wpe.weight")
        cfg.ctx = w["pos_embed"].shape[0]
        for i in range(L):
            p, b = f"l{i}.", f"h.{i}."
            w[p + "attn_norm.w"], w[p + "attn_norm.b"] = get(b + "ln_1.weight", (D,)), get(b + "ln_1.bias", (D,))
            qkv = get(b + "attn.c_attn.weight", (3 * D, D), transpose=True)
            w[p + "wq"], w[p + "wk"], w[p + "wv"] = np.split(qkv, 3)
            w[p + "bq"], w[p + "bk"], w[p + "bv"] = np.split(get(b + "attn.c_attn.bias", (3 * D,)), 3)
            w[p + "wo"] = get(b + "attn.c_proj.weight", (D, D), transpose=True)
            w[p + "bo"] = get(b + "attn.c_proj.bias", (D,))
            w[p + "ffn_norm.w"], w[p + "ffn_norm.b"] = get(b + "ln_2.weight", (D,)), get(b + "ln_2.bias", (D,))
            w[p + "w_up"] = get(b + "mlp.c_fc.weight", (F, D), transpose=True)
            w[p + "b_up"] = get(b + "mlp.c_fc.bias", (F,))
            w[p + "w_down"] = get(b + "mlp.c_proj.weight", (D, F), transpose=True)
            w[p + "b_down"] = get(b + "mlp.c_proj.bias", (D,))
        w["out_norm.w"], w["out_norm.b"] = get("ln_f.weight", (D,)), get("ln_f.bias", (D,))
        lm = get("lm_head.weight", (V, D), required=False)
        if lm is not None and not cfg.tied:
            w["lm_head"] = lm
        cfg.tied = "lm_head" not in w
        return RefModel(cfg, w, folder, "hf")

    D, L, H = req("hidden_size"), req("num_hidden_layers"), req("num_attention_heads")
    F, V = req("intermediate_size"), req("vocab_size")
    if arch == "bert":
        if c.get("hidden_act", "gelu") != "gelu":
            raise ModelError(f"{folder}/config.json: unsupported hidden_act '{c.get('hidden_act')}'")
        cfg = tiny_models.Config(arch=arch, layers=L, hidden=D, heads=H, kv_heads=H, ff=F, vocab=V,
                                 ctx=req("max_position_embeddings"), eps=c.get("layer_norm_eps", 1e-12),
                                 rope_style="none", tied=True)
        w["embed"] = get("embeddings.word_embeddings.weight", (V, D))
        w["pos_embed"] = get("embeddings.position_embeddings.weight")
        cfg.ctx = w["pos_embed"].shape[0]
        w["type_embed"] = get("embeddings.token_type_embeddings.weight")
        w["embed_norm.w"] = get("embeddings.LayerNorm.weight", (D,))
        w["embed_norm.b"] = get("embeddings.LayerNorm.bias", (D,))
        for i in range(L):
            p, b = f"l{i}.", f"encoder.layer.{i}."
            for n, hf in (("q", "query"), ("k", "key"), ("v", "value")):
                w[p + "w" + n] = get(b + f"attention.self.{hf}.weight", (D, D))
                w[p + "b" + n] = get(b + f"attention.self.{hf}.bias", (D,))
            w[p + "wo"] = get(b + "attention.output.dense.weight", (D, D))
            w[p + "bo"] = get(b + "attention.output.dense.bias", (D,))
            w[p + "attn_norm.w"] = get(b + "attention.output.LayerNorm.weight", (D,))
            w[p + "attn_norm.b"] = get(b + "attention.output.LayerNorm.bias", (D,))
            w[p + "w_up"] = get(b + "intermediate.dense.weight", (F, D))
            w[p + "b_up"] = get(b + "intermediate.dense.bias", (F,))
            w[p + "w_down"] = get(b + "output.dense.weight", (D, F))
            w[p + "b_down"] = get(b + "output.dense.bias", (D,))
            w[p + "ffn_norm.w"] = get(b + "output.LayerNorm.weight", (D,))
            w[p + "ffn_norm.b"] = get(b + "output.LayerNorm.bias", (D,))
        return RefModel(cfg, w, folder, "hf")

    kv = c.get("num_key_value_heads") or H
    head_dim = c.get("head_dim") or D // H
    rope_dim = int(head_dim * c.get("partial_rotary_factor", 1.0))
    scale = 1.0
    rs = c.get("rope_scaling")
    if rs:
        rtype = rs.get("rope_type", rs.get("type"))
        if rtype not in ("linear", "default"):
            raise ModelError(f"{folder}/config.json: unsupported rope_scaling type '{rtype}'")
        if rtype == "linear":
            scale = float(rs["factor"])
    window = c.get("sliding_window") or 0
    if arch == "qwen2" and not c.get("use_sliding_window", False):
        window = 0
    if arch == "llama":
        window = 0
    cfg = tiny_models.Config(arch=arch, layers=L, hidden=D, heads=H, kv_heads=kv, ff=F, vocab=V,
                             ctx=c.get("max_position_embeddings", 0), head_dim=head_dim,
                             rope_base=float(c.get("rope_theta", 10000.0)), rope_dim=rope_dim,
                             rope_scale=scale, window=int(window), eps=float(c.get("rms_norm_eps", 1e-6)),
                             rope_style="neox", tied=bool(c.get("tie_word_embeddings", False)))
    qd, kd = H * head_dim, kv * head_dim
    w["embed"] = get("embed_tokens.weight", (V, D))
    for i in range(L):
        p, b = f"l{i}.", f"layers.{i}."
        w[p + "attn_norm.w"] = get(b + "input_layernorm.weight", (D,))
        w[p + "ffn_norm.w"] = get(b + "post_attention_layernorm.weight", (D,))
        if arch == "phi3":
            qkv = get(b + "self_attn.qkv_proj.weight", (qd + 2 * kd, D))
            w[p + "wq"], w[p + "wk"], w[p + "wv"] = np.split(qkv, [qd, qd + kd])
            gu = get(b + "mlp.gate_up_proj.weight", (2 * F, D))
            w[p + "w_gate"], w[p + "w_up"] = np.split(gu, 2)
        else:
            w[p + "wq"] = get(b + "self_attn.q_proj.weight", (qd, D))
            w[p + "wk"] = get(b + "self_attn.k_proj.weight", (kd, D))
            w[p + "wv"] = get(b + "self_attn.v_proj.weight", (kd, D))
            for n, d in (("q", qd), ("k", kd), ("v", kd)):
                bias = get(b + f"self_attn.{n}_proj.bias", (d,), required=False)
                if bias is not None:
                    w[p + "b" + n] = bias
            w[p + "w_gate"] = get(b + "mlp.gate_proj.weight", (F, D))
            w[p + "w_up"] = get(b + "mlp.up_proj.weight", (F, D))
        w[p + "wo"] = get(b + "self_attn.o_proj.weight", (D, qd))
        w[p + "w_down"] = get(b + "mlp.down_proj.weight", (D, F))
    w["out_norm.w"] = get("norm.weight", (D,))
    lm = get("lm_head.weight", (V, D), required=False)
    if lm is not None and not cfg.tied:
        w["lm_head"] = lm
    elif not cfg.tied:
        raise ModelError(f"{folder}: missing tensor 'lm_head.weight' (tie_word_embeddings is false)")
    return RefModel(cfg, w, folder, "hf")


_CACHE: dict[str, RefModel] = {}


def load(path) -> RefModel:
    """Loads (and caches) a GGUF file or HF folder; a RefModel passes through."""
    if isinstance(path, RefModel):
        return path
    key = os.path.abspath(path)
    if key not in _CACHE:
        if os.path.isdir(path):
            _CACHE[key] = load_hf(path)
        else:
            _CACHE[key] = load_gguf(path)
    return _CACHE[key]


# ------------------------------------------------------------- forward ----

def _rms_norm(x, w, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def _layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


_erf = np.vectorize(math.erf, otypes=[np.float64])


def _gelu_erf(x):
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def _gelu_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def _silu(x):
    return x / (1.0 + np.exp(-x))


def _rope(x, cfg: tiny_models.Config, positions=None):
    """Rotates x [T, heads, head_dim] in place by position 0..T-1 (or by
    ``positions``, one per row)."""
    T = x.shape[0]
    r = cfg.rope_dim
    inv = cfg.rope_base ** (-np.arange(0, r, 2, dtype=np.float64) / r)
    pos = np.arange(T) if positions is None else np.asarray(positions)
    ang = (pos.astype(np.float64) / cfg.rope_scale)[:, None] * inv[None, :]
    cos, sin = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
    if cfg.rope_style == "norm":
        a, b = x[..., 0:r:2].copy(), x[..., 1:r:2].copy()
        x[..., 0:r:2] = a * cos - b * sin
        x[..., 1:r:2] = b * cos + a * sin
    else:
        a, b = x[..., : r // 2].copy(), x[..., r // 2: r].copy()
        x[..., : r // 2] = a * cos - b * sin
        x[..., r // 2: r] = b * cos + a * sin
    return x


def _lin(x, w, key, bias_key=None):
    y = x @ w[key].T
    if bias_key is not None and bias_key in w:
        y = y + w[bias_key]
    return y


def _attention(q, k, v, cfg: tiny_models.Config, causal: bool):
    """q [T, H, hd], k/v [T, KV, hd] -> [T, H*hd]."""
    T, H, hd = q.shape
    group = H // k.shape[1]
    # Contiguous per-head operands let numpy hand each head to BLAS.
    qh = np.ascontiguousarray(q.transpose(1, 0, 2))  # [H, T, hd]
    kt = np.ascontiguousarray(np.repeat(k.transpose(1, 2, 0), group, axis=0))  # [H, hd, T]
    vh = np.ascontiguousarray(np.repeat(v.transpose(1, 0, 2), group, axis=0))  # [H, T, hd]
    s = (qh @ kt) / math.sqrt(hd)  # [H, T, T]
    if causal:
        i = np.arange(T)[:, None]
        j = np.arange(T)[None, :]
        allowed = j <= i
        if cfg.window:
            allowed &= j > i - cfg.window
        s = np.where(allowed[None], s, -np.inf)
    s = s - s.max(-1, keepdims=True)
    p = np.exp(s)
    p /= p.sum(-1, keepdims=True)
    return (p @ vh).transpose(1, 0, 2).reshape(T, H * hd)


def _check_ids(m: RefModel, ids) -> np.ndarray:
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    if ids.size == 0:
        raise ModelError("no token ids given")
    if ids.min() < 0 or ids.max() >= m.cfg.vocab:
        raise ModelError(f"token id out of range [0, {m.cfg.vocab})")
    if "pos_embed" in m.w and ids.size > m.w["pos_embed"].shape[0]:
        raise ModelError(f"{ids.size} tokens exceed the {m.w['pos_embed'].shape[0]} learned positions")
    return ids


def mod_ratio(pos, layers, capacity, schedule="constant", mod_from=1,
              r_max=0.85, r_min=0.15):
    """tx-mod-prune's share of tokens layer ``pos`` runs on (None: dense)."""
    if pos < mod_from:
        return None
    if schedule == "constant":
        return capacity
    r = capacity + 0.5 * math.cos(math.pi * pos / (layers - 1))
    return None if r > r_max else max(r, r_min)


def hidden(path, ids, exit_threshold=None, exit_from=0, stats=None,
           mod_capacity=None, mod_schedule="constant", mod_from=1,
           mod_probes=None, mod_thresholds=None, mod_chunk=None,
           mod_checkpoint=None, tanh=(0.2, 1.0)) -> np.ndarray:
    """Final hidden states [T, D] (float64): after the output norm for
    decoders, the last encoder layer's output for BERT.

    With ``exit_threshold`` T (txc --early-exit): after each layer from
    ``exit_from`` on (but the last), a token whose residual input and
    output have cosine similarity >= T (clamped to [-1, 1]; 0 for a zero
    row) stops: later layers keep its row as it is, and the keys and values
    other tokens read from it there are computed from that row. ``stats``
    (a dict), if given, receives ``depth`` (layers each token ran) and
    ``margin`` (the smallest |cos - T| of any decision taken).

    With ``mod_capacity`` C (txc --mod-capacity, router "update"): a routed
    layer (mod_ratio) runs on the floor(r * T) tokens (at least 1) with the
    largest ||x_l - x_{l-1}||^2 (router "update"; with ``mod_probes``, a dict
    layer -> D weights then a bias, the largest w . x_l + b: router "probe")
    (ties to the lower index), in their order
    and with their own positions; the others keep their row. Under router
    "update" a token the previous (routed) layer did not run has no update
    there and keeps the score it had for that layer. ``mod_chunk`` N: the
    top-k is taken per chunk of N tokens (txc's prefill chunks), a short
    last chunk of n keeping max(1, floor(r * n)); ``mod_thresholds`` (layer
    -> t): every token whose score is >= t is kept instead (the causal
    decision). ``mod_checkpoint`` (none, mod or pmod): the router the
    checkpoint ships, r = w . x + b (blk.I.mod_router), composed as txc
    --mod-weighting says: none replaces kept rows; mod (Mixture-of-Depths)
    gives kept tokens x + r (layer(x) - x); pmod (p-MoD's TanhNorm and
    STRing, g = tanh[0] tanh(r) + tanh[1]) gives kept tokens
    h + g MLP(norm(h)), h = x + attention, and skipped ones g x; its causal
    decision is r >= 0 (MoD's sigmoid(r) > 1/2). ``stats`` then receives
    ``kept`` (tokens per routed layer)
    and ``margin`` (the smallest score gap at a selection boundary, or to a
    threshold)."""
    m = load(path)
    cfg, w = m.cfg, m.w
    ids = _check_ids(m, ids)
    T = ids.size
    x = w["embed"][ids].astype(np.float64)
    if "pos_embed" in w:
        x = x + w["pos_embed"][:T]
    if "type_embed" in w:
        x = x + w["type_embed"][0]
    if "embed_norm.w" in w:
        x = _layer_norm(x, w["embed_norm.w"], w["embed_norm.b"], cfg.eps)

    def norm(y, key):
        if cfg.layer_norm:
            return _layer_norm(y, w[key + ".w"], w[key + ".b"], cfg.eps)
        return _rms_norm(y, w[key + ".w"], cfg.eps)

    H, KV, hd = cfg.heads, cfg.kv_heads, cfg.head_dim
    exited = np.zeros(T, dtype=bool)
    depth = np.full(T, cfg.layers)
    margin = math.inf
    kept_counts, prev_in, prev_score = [], None, None
    boundaries = {}  # layer -> the lowest kept score of each top-k chunk
    for i in range(cfg.layers):
        x_in = x
        r = (None if mod_capacity is None
             else mod_ratio(i, cfg.layers, mod_capacity, mod_schedule, mod_from))
        if r is not None:
            k = min(max(int(math.floor(r * T + 1e-9)), 1), T)
            if mod_checkpoint is not None:
                score = x @ w[f"l{i}.router.w"].astype(np.float64) + w[f"l{i}.router.b"]
            elif mod_probes is not None:
                probe = np.asarray(mod_probes[i], dtype=np.float64)
                score = x @ probe[:-1] + probe[-1]
            else:
                score = ((x - prev_in) ** 2).sum(-1)
                if prev_score is not None:
                    score = np.where(score == 0, prev_score, score)
            if mod_thresholds is not None:
                t = mod_thresholds[i]
                keep = np.nonzero(score >= t)[0]
                if np.isfinite(t):
                    margin = min(margin, float(np.abs(score - t).min()))
            else:
                chunk = mod_chunk or T
                keep = []
                for c0 in range(0, T, chunk):
                    s = score[c0:c0 + chunk]
                    n = s.size
                    kc = (min(max(int(math.floor(r * chunk + 1e-9)), 1), chunk)
                          if n == chunk else
                          min(max(int(math.floor(r * n + 1e-9)), 1), n))
                    order = np.lexsort((np.arange(n), -s))
                    keep.extend(c0 + np.sort(order[:kc]))
                    boundaries.setdefault(i, []).append(float(s[order[kc - 1]]))
                    if kc < n:
                        margin = min(margin, float(s[order[kc - 1]] - s[order[kc]]))
                keep = np.asarray(keep, dtype=np.int64)
            x = x.copy()
            g = tanh[0] * np.tanh(score) + tanh[1]
            if mod_checkpoint == "pmod":
                x = g[:, None] * x  # skipped tokens; kept rows replaced below
            if keep.size:
                out = _layer(x_in[keep], i, m, norm, keep.size, H, KV, hd,
                             positions=keep,
                             mlp_scale=g[keep] if mod_checkpoint == "pmod" else None)
                if mod_checkpoint == "mod":
                    out = x_in[keep] + score[keep, None] * (out - x_in[keep])
                x[keep] = out
            kept_counts.append(int(keep.size))
            prev_in, prev_score = x_in, score
            continue
        prev_in, prev_score = x_in, None
        x = _layer(x, i, m, norm, T, H, KV, hd)
        if exit_threshold is None:
            continue
        x = np.where(exited[:, None], x_in, x)
        if exit_from <= i < cfg.layers - 1:
            dot = (x_in * x).sum(-1)
            den = np.sqrt((x_in * x_in).sum(-1) * (x * x).sum(-1))
            cos = np.where(den > 0, np.clip(dot / np.where(den > 0, den, 1), -1, 1), 0)
            active = ~exited
            if active.any():
                margin = min(margin, float(np.abs(cos[active] - exit_threshold).min()))
            stop = active & (cos >= exit_threshold)
            depth[stop] = i + 1
            exited |= stop
    if stats is not None:
        stats["depth"] = depth
        stats["margin"] = margin
        stats["kept"] = kept_counts
        stats["boundaries"] = boundaries
    if not m.is_encoder:
        x = norm(x, "out_norm")
    return x


def _layer(x, i, m, norm, T, H, KV, hd, positions=None, mlp_scale=None):
    """One decoder or encoder layer on the residual stream x [T, D]
    (``positions``: the rows' positions, default 0..T-1; ``mlp_scale``
    [T]: p-MoD's STRing, the MLP's output scaled per row)."""
    cfg, w = m.cfg, m.w
    p = f"l{i}."
    h = x if m.is_encoder else norm(x, p + "attn_norm")
    q = _lin(h, w, p + "wq", p + "bq").reshape(T, H, hd)
    k = _lin(h, w, p + "wk", p + "bk").reshape(T, KV, hd)
    v = _lin(h, w, p + "wv", p + "bv").reshape(T, KV, hd)
    if cfg.rope_style != "none":
        _rope(q, cfg, positions)
        _rope(k, cfg, positions)
    a = _lin(_attention(q, k, v, cfg, causal=not m.is_encoder), w, p + "wo", p + "bo")
    if m.is_encoder:
        x = norm(x + a, p + "attn_norm")
        f = _gelu_erf(_lin(x, w, p + "w_up", p + "b_up"))
        return norm(x + _lin(f, w, p + "w_down", p + "b_down"), p + "ffn_norm")
    x = x + a
    h = norm(x, p + "ffn_norm")
    if p + "w_gate" in w:
        f = _silu(_lin(h, w, p + "w_gate")) * _lin(h, w, p + "w_up")
    else:
        f = _gelu_tanh(_lin(h, w, p + "w_up", p + "b_up"))
    f = _lin(f, w, p + "w_down", p + "b_down")
    if mlp_scale is not None:
        f = mlp_scale[:, None] * f
    return x + f


def forward(path, ids, **exit_options) -> np.ndarray:
    """Logits [T, V] (float64); for BERT the last hidden state [T, D].
    ``exit_options``: hidden()'s early-exit arguments."""
    m = load(path)
    x = hidden(m, ids, **exit_options)
    if m.is_encoder:
        return x
    return _lin(x, m.w, "lm_head" if "lm_head" in m.w else "embed")


def embedding(path, ids) -> np.ndarray:
    """Mean-pooled sentence embedding [D] (BERT: attention mask all ones)."""
    return hidden(path, ids).mean(axis=0)


def _log_softmax(z):
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def perplexity(path, ids, context: int) -> tuple[float, int]:
    """(perplexity, scored tokens) over non-overlapping windows of `context`."""
    m = load(path)
    if m.is_encoder:
        raise ModelError("perplexity needs a decoder model")
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    if context < 2:
        raise ModelError("--context must be at least 2")
    nll, n = 0.0, 0
    for s in range(0, ids.size, context):
        win = ids[s: s + context]
        if win.size < 2:
            break
        lp = _log_softmax(forward(m, win))
        nll -= float(lp[np.arange(win.size - 1), win[1:]].sum())
        n += win.size - 1
    if n == 0:
        raise ModelError("need at least 2 tokens for perplexity")
    return math.exp(nll / n), n


# ------------------------------------------------------------ tokenizer ----

def tokenizer(path):
    """The model's tokenizer as a `tokenizers.Tokenizer`."""
    m = load(path)
    if m.format == "hf":
        from tokenizers import Tokenizer

        tj = os.path.join(m.path, "tokenizer.json")
        if not os.path.exists(tj):
            raise ModelError(f"{m.path}: no tokenizer.json")
        tok = Tokenizer.from_file(tj)
        # The reference runs one unpadded sequence (attention mask all ones).
        tok.no_padding()
        tok.no_truncation()
        return tok
    import tiny_vocab

    mm = m.meta
    if "tokenizer.ggml.tokens" not in mm:
        raise ModelError(f"{m.path}: no tokenizer.ggml.tokens")
    if mm.get("tokenizer.ggml.model") == "gpt2":
        return tiny_vocab.bpe_tokenizer(mm["tokenizer.ggml.tokens"], mm["tokenizer.ggml.token_type"],
                                        mm.get("tokenizer.ggml.merges", []), mm.get("tokenizer.ggml.pre", "default"))
    if mm.get("tokenizer.ggml.model") == "llama":
        return tiny_vocab.sentencepiece_tokenizer(mm["tokenizer.ggml.tokens"], mm["tokenizer.ggml.token_type"],
                                                  mm["tokenizer.ggml.scores"],
                                                  mm.get("tokenizer.ggml.unknown_token_id", 0))
    raise ModelError(f"{m.path}: unsupported tokenizer.ggml.model '{mm.get('tokenizer.ggml.model')}'")


# ------------------------------------------------------------------ CLI ----

def _read_ids(args, model) -> np.ndarray:
    if args.ids is not None:
        return np.array([int(t) for t in args.ids.replace(",", " ").split()], dtype=np.int64)
    if args.ids_file is not None:
        if args.ids_file.endswith(".npy"):
            return np.load(args.ids_file).astype(np.int64).reshape(-1)
        with open(args.ids_file) as f:
            return np.array([int(t) for t in f.read().replace(",", " ").split()], dtype=np.int64)
    with open(args.text, encoding="utf-8") as f:
        text = f.read()
    return np.array(tokenizer(model).encode(text, add_special_tokens=False).ids, dtype=np.int64)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="NumPy reference forward for GGUF files / HF folders")
    ap.add_argument("model")
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--ids", help='token ids, e.g. "1 2 3"')
    src.add_argument("--ids-file", help=".npy array or whitespace-separated text of ids")
    src.add_argument("--text", help="text file, tokenized with the model's tokenizer")
    ap.add_argument("--out", default="ref_logits.npy")
    ap.add_argument("--embeddings", action="store_true")
    ap.add_argument("--perplexity", action="store_true")
    ap.add_argument("--context", type=int, default=256)
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    try:
        import time

        t0 = time.time()
        m = load(args.model)
        ids = _read_ids(args, m)
        if args.verbose:
            c = m.cfg
            print(f"{m.format} {c.arch}: layers={c.layers} hidden={c.hidden} heads={c.heads}/{c.kv_heads} "
                  f"ff={c.ff} vocab={c.vocab} rope={c.rope_style} window={c.window} tied={c.tied}; "
                  f"{ids.size} tokens; load {time.time() - t0:.1f}s", file=sys.stderr)
        if args.perplexity:
            ppl, n = perplexity(m, ids, args.context)
            print(f"perplexity: {ppl:.4f}")
            if args.verbose:
                print(f"scored tokens: {n}; total {time.time() - t0:.1f}s", file=sys.stderr)
            return 0
        if args.embeddings:
            out = embedding(m, ids) if m.is_encoder else hidden(m, ids)
        else:
            out = forward(m, ids)
        np.save(args.out, out.astype(np.float32))
        if args.verbose:
            print(f"output {list(out.shape)}; total {time.time() - t0:.1f}s", file=sys.stderr)
        print(args.out)
    except (ModelError, OSError, ValueError) as e:
        print(f"ref_forward.py: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
