"""Shared description of the small random test models.

Both generators (``gen_gguf.py`` and ``gen_hf.py``) and the reference
forward (``ref_forward.py``) use one *canonical* in-memory layout for a model:
a ``Config`` plus a dict of float32 arrays with the names below, every matrix
stored as ``[out_features, in_features]`` and every q/k projection in the
Hugging Face (rotate-half, "NEOX") row order:

  embed [V, D]          pos_embed [ctx, D]    type_embed [2, D]   (BERT)
  embed_norm.w/.b       (BERT)                lm_head [V, D]      (untied)
  out_norm.w/.b
  l{i}.attn_norm.w/.b   l{i}.wq/.wk/.wv/.wo   l{i}.bq/.bk/.bv/.bo
  l{i}.ffn_norm.w/.b    l{i}.w_gate/.w_up/.w_down   l{i}.b_up/.b_down
  pooler.w/.b           (BERT, optional)

For BERT, ``attn_norm`` is the post-attention LayerNorm and ``ffn_norm`` the
post-MLP one. A model read from a llama/mistral GGUF keeps llama.cpp's
permuted q/k rows; ``Config.rope_style`` then says "norm" instead of "neox".
"""

from __future__ import annotations

import argparse
import dataclasses
import math

import numpy as np

ARCHS = ("llama", "qwen2", "mistral", "phi3", "gpt2", "bert")


@dataclasses.dataclass
class Config:
    arch: str = "llama"
    layers: int = 2
    hidden: int = 64
    heads: int = 4
    kv_heads: int = 2
    ff: int = 128
    vocab: int = 320
    ctx: int = 128
    tied: bool = False
    head_dim: int = 0  # 0: hidden // heads
    rope_base: float = 10000.0
    rope_dim: int = 0  # 0: head_dim
    rope_scale: float = 1.0  # linear scaling factor (positions / factor)
    window: int = 0  # sliding window W (0: none)
    eps: float = 1e-5
    rope_style: str = "neox"  # "norm" (adjacent pairs), "neox" (halves), "none"
    pooler: bool = False

    def __post_init__(self):
        if self.head_dim == 0:
            self.head_dim = self.hidden // max(self.heads, 1)
        if self.rope_dim == 0:
            self.rope_dim = self.head_dim
        if self.arch in ("gpt2", "bert"):
            self.rope_style = "none"

    @property
    def uses_rope(self) -> bool:
        return self.arch not in ("gpt2", "bert")

    @property
    def layer_norm(self) -> bool:
        """LayerNorm with bias (GPT-2, BERT) instead of RMSNorm."""
        return self.arch in ("gpt2", "bert")

    def check(self) -> None:
        """Raises ValueError naming the option when the shape is inconsistent."""
        if self.arch not in ARCHS:
            raise ValueError(f"unknown --arch {self.arch!r} (expected one of {', '.join(ARCHS)})")
        for name in ("layers", "hidden", "heads", "kv_heads", "ff", "vocab", "ctx"):
            if getattr(self, name) <= 0:
                raise ValueError(f"--{name.replace('_', '-')} must be positive")
        if self.heads % self.kv_heads:
            raise ValueError("--heads must be a multiple of --kv-heads")
        if self.arch in ("gpt2", "bert") and self.kv_heads != self.heads:
            raise ValueError(f"{self.arch} has no grouped-query attention: --kv-heads must equal --heads")
        if self.hidden % self.heads:
            raise ValueError("--hidden must be a multiple of --heads")
        if self.uses_rope and (self.rope_dim % 2 or self.rope_dim > self.head_dim):
            raise ValueError("--rope-dim must be even and at most the head dimension")


def _normal(rng: np.random.Generator, std: float, shape) -> np.ndarray:
    return (rng.standard_normal(shape) * std).astype(np.float32)


def random_weights(cfg: Config, seed: int) -> dict[str, np.ndarray]:
    """Canonical random weights; deterministic in (cfg, seed).

    Matrices have std ~0.7/sqrt(fan_in) so activations stay O(1); the
    embedding / LM head use 1.5/sqrt(hidden) so the logits have a spread of a
    few units (few near-ties in the top-2) without saturating the softmax.
    """
    rng = np.random.default_rng(seed)
    D, F, V = cfg.hidden, cfg.ff, cfg.vocab
    qd, kd = cfg.heads * cfg.head_dim, cfg.kv_heads * cfg.head_dim
    ln = cfg.layer_norm
    w: dict[str, np.ndarray] = {}

    def lin(name, out_f, in_f, bias=False):
        w[name] = _normal(rng, 0.7 / math.sqrt(in_f), (out_f, in_f))
        if bias:
            w[name.replace(".w", ".b", 1)] = _normal(rng, 0.02, (out_f,))

    def norm(name):
        w[name + ".w"] = (1.0 + _normal(rng, 0.1, (D,))).astype(np.float32)
        if ln:
            w[name + ".b"] = _normal(rng, 0.05, (D,))

    w["embed"] = _normal(rng, 1.5 / math.sqrt(D), (V, D))
    if cfg.arch in ("gpt2", "bert"):
        w["pos_embed"] = _normal(rng, 0.3, (cfg.ctx, D))
    if cfg.arch == "bert":
        w["type_embed"] = _normal(rng, 0.3, (2, D))
        norm("embed_norm")
    qkv_bias = cfg.arch in ("qwen2", "gpt2", "bert")
    out_bias = cfg.arch in ("gpt2", "bert")
    for i in range(cfg.layers):
        p = f"l{i}."
        norm(p + "attn_norm")
        lin(p + "wq", qd, D, qkv_bias)
        lin(p + "wk", kd, D, qkv_bias)
        lin(p + "wv", kd, D, qkv_bias)
        lin(p + "wo", D, qd, out_bias)
        norm(p + "ffn_norm")
        if cfg.arch in ("gpt2", "bert"):
            lin(p + "w_up", F, D, True)
            lin(p + "w_down", D, F, True)
        else:
            lin(p + "w_gate", F, D)
            lin(p + "w_up", F, D)
            lin(p + "w_down", D, F)
    if cfg.arch != "bert":
        norm("out_norm")
        if not cfg.tied:
            w["lm_head"] = _normal(rng, 1.5 / math.sqrt(D), (V, D))
    elif cfg.pooler:
        lin("pooler.w", D, D, True)
    return w


def rope_permutation(head_dim: int, rope_dim: int) -> np.ndarray:
    """Row order llama.cpp's converter gives each q/k head of a llama GGUF.

    Row ``2i`` of a GGUF head is row ``i`` of the Hugging Face head and row
    ``2i+1`` is row ``i + rope_dim/2`` (i < rope_dim/2), so that adjacent-pair
    RoPE on the GGUF rows equals rotate-half RoPE on the HF rows; rows past
    ``rope_dim`` keep their place. ``gguf_rows = hf_rows[perm]``.
    """
    half = rope_dim // 2
    perm = np.arange(head_dim)
    perm[0:rope_dim:2] = np.arange(half)
    perm[1:rope_dim:2] = np.arange(half) + half
    return perm


def permute_heads(m: np.ndarray, n_heads: int, head_dim: int, rope_dim: int, inverse=False) -> np.ndarray:
    """Applies (or undoes) `rope_permutation` to every head of a q/k matrix."""
    perm = rope_permutation(head_dim, rope_dim)
    if inverse:
        perm = np.argsort(perm)
    shape = m.shape
    r = m.reshape(n_heads, head_dim, *shape[1:])
    return np.ascontiguousarray(r[:, perm]).reshape(shape)


def add_model_args(ap: argparse.ArgumentParser, archs) -> None:
    """Model-shape options shared by gen_gguf.py and gen_hf.py."""
    ap.add_argument("--arch", default="llama", choices=archs)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--kv-heads", type=int, default=None, help="default: heads/2 (heads for gpt2/bert)")
    ap.add_argument("--ff", type=int, default=128)
    ap.add_argument("--vocab", type=int, default=320)
    ap.add_argument("--ctx", type=int, default=128)
    ap.add_argument("--tied", action="store_true", help="no separate LM head")
    ap.add_argument("--rope-base", type=float, default=10000.0)
    ap.add_argument("--rope-dim", type=int, default=0, help="rotary dims per head (default: all)")
    ap.add_argument("--rope-scale", type=float, default=1.0, help="linear RoPE scaling factor")
    ap.add_argument("--window", type=int, default=None, help="sliding window (default 8 for mistral)")
    ap.add_argument("--eps", type=float, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("-o", "--output", required=True)


def config_from_args(args) -> Config:
    kv = args.kv_heads
    if kv is None:
        kv = args.heads if args.arch in ("gpt2", "bert") or args.heads < 2 else args.heads // 2
    window = args.window if args.window is not None else (8 if args.arch == "mistral" else 0)
    eps = args.eps if args.eps is not None else (1e-12 if args.arch == "bert" else 1e-5)
    cfg = Config(
        arch=args.arch, layers=args.layers, hidden=args.hidden, heads=args.heads, kv_heads=kv,
        ff=args.ff, vocab=args.vocab, ctx=args.ctx, tied=args.tied or args.arch == "bert",
        rope_base=args.rope_base, rope_dim=args.rope_dim, rope_scale=args.rope_scale,
        window=window, eps=eps, pooler=getattr(args, "pooler", False))
    cfg.check()
    return cfg
