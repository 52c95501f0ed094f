#!/usr/bin/env python3
"""Generate small ONNX transformer models for txc's ONNX importer tests.

Every model reproduces, node for node, a graph pattern that a real exporter
emits (torch.onnx dynamo and TorchScript exports of Hugging Face models,
onnxruntime's transformer optimizer, onnxruntime-genai), at toy sizes and with
random weights, so the importer and its raising passes can be tested without
torch or downloaded checkpoints.

    gen_models.py MODEL -o OUT.onnx [--layers N] [--hidden D] [--heads H]
                  [--kv-heads HKV] [--seq S] [--vocab V] [--opset K]
                  [--dynamic] [--external-data] [--seed N] [...]
    gen_models.py MODEL --past-kv [--past P] ...   (a decode step: past_key_values in, present out)
    gen_models.py MODEL -o OUT.onnx --inputs IN.npz --reference-out REF.npz
    gen_models.py --op OPTYPE -o OUT.onnx [--opset K]
    gen_models.py --list | --op-list | --self-test

Node names follow the exporters' module paths ("/model/layers.0/self_attn/
q_proj/MatMul") and are unique, since the importer turns them into MLIR
locations. Needs onnx and numpy; onnxruntime only for --self-test and
--reference-out. Never needs torch.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import importlib.util
import math
import os
import sys
import tempfile
import traceback
from typing import Callable, Sequence

import numpy as np
import onnx
from onnx import TensorProto, external_data_helper, helper, numpy_helper

FLOAT = TensorProto.FLOAT
INT64 = TensorProto.INT64
INT32 = TensorProto.INT32
BOOL = TensorProto.BOOL

FLOAT_MIN = float(np.finfo(np.float32).min)  # torch.finfo(torch.float32).min
INT64_MAX = int(np.iinfo(np.int64).max)  # what exporters write for an open slice end
MS_DOMAIN = "com.microsoft"
ROPE_THETA = 10000.0

# Symbolic dimension names used with --dynamic.
BATCH, SEQUENCE = "batch", "sequence"
PAST_SEQUENCE, TOTAL_SEQUENCE = "past_sequence", "total_sequence"


# --------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------


@dataclasses.dataclass
class Config:
    """Sizes and switches shared by all model builders (one CLI flag each)."""

    layers: int = 2
    hidden: int = 64
    heads: int = 4
    kv_heads: int = 2
    seq: int = 16
    vocab: int = 128
    batch: int = 2
    intermediate: int = 128
    max_pos: int = 64
    past: int = 0
    window: int | None = None
    opset: int | None = None
    dynamic: bool = False
    with_mask: bool = False
    past_kv: bool = False
    decomposed_ln: bool = False
    block_size: int = 32
    accuracy_level: int = 0
    symmetric: bool = False
    rope_in_attn: bool = False
    ort_attention: str = "Attention"
    ort_gelu: str = "BiasGelu"
    weight_scale: float = 0.02
    seed: int = 0

    @property
    def head_dim(self) -> int:
        return self.hidden // self.heads

    @property
    def n_rep(self) -> int:
        return self.heads // self.kv_heads

    def dims(self) -> dict[str, int]:
        """Values of the symbolic dimensions, for making inputs."""
        return {
            BATCH: self.batch,
            SEQUENCE: self.seq,
            PAST_SEQUENCE: self.past,
            TOTAL_SEQUENCE: self.past + self.seq,
        }

    def validate(self) -> None:
        def need(cond: bool, msg: str) -> None:
            if not cond:
                raise ValueError(msg)

        for field in ("layers", "hidden", "heads", "kv_heads", "seq", "vocab", "batch", "intermediate"):
            need(getattr(self, field) > 0, f"--{field.replace('_', '-')} must be positive")
        need(self.hidden % self.heads == 0, "--hidden must be a multiple of --heads")
        need(self.heads % self.kv_heads == 0, "--heads must be a multiple of --kv-heads")
        need(self.head_dim % 2 == 0, "the head size (hidden / heads) must be even for rotary embeddings")
        need(self.past >= 0, "--past must not be negative")
        need(self.past + self.seq <= self.max_pos, "--past + --seq must not exceed --max-pos")
        need(self.window is None or self.window > 0, "--window must be positive")
        need(not (self.past_kv and self.with_mask), "--past-kv models take no attention_mask (--with-mask)")
        need(self.block_size >= 16 and self.block_size & (self.block_size - 1) == 0,
             "--block-size must be a power of two >= 16")


# --------------------------------------------------------------------------
# Graph construction
# --------------------------------------------------------------------------

Sampler = Callable[[np.random.Generator, Sequence[int]], np.ndarray]


@dataclasses.dataclass
class Generated:
    """A built model plus what is needed to make valid random inputs for it."""

    model: onnx.ModelProto
    samplers: dict[str, Sampler]
    dims: dict[str, int]
    weights: frozenset[str]  # initializers that are weights or buffers, not graph constants


class GraphBuilder:
    """Collects nodes, initializers and graph inputs/outputs with exporter-style names.

    Node names are "{scope}/{OpType}" with TorchScript's "_1", "_2", ... suffixes
    when a scope repeats an op; outputs are "{node name}_output_{i}". Constants
    become Constant nodes (TorchScript style) or initializers (dynamo and
    onnxruntime style). Helpers whose ONNX form changed between opsets
    (axes as attribute or input, ...) emit the form of the builder's opset.
    """

    def __init__(self, opset: int, *, weights: dict[str, np.ndarray] | None = None, constant_nodes: bool = False,
                 domains: dict[str, int] | None = None):
        self.opset = opset
        self.weights = weights or {}
        self.domains = dict(domains or {})
        self.constant_nodes = constant_nodes
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: dict[str, onnx.TensorProto] = {}
        self.inputs: list[onnx.ValueInfoProto] = []
        self.outputs: list[tuple[str, int | None, list | None]] = []
        self.value_infos: list[onnx.ValueInfoProto] = []
        self.samplers: dict[str, Sampler] = {}
        self._name_counts: dict[str, int] = {}
        self._params: dict[str, int] = {}

    # -- names and values ---------------------------------------------------

    def unique(self, base: str) -> str:
        count = self._name_counts.get(base, 0)
        self._name_counts[base] = count + 1
        return base if count == 0 else f"{base}_{count}"

    def input(self, name: str, elem_type: int, shape: Sequence, sampler: Sampler | None = None) -> str:
        self.inputs.append(helper.make_tensor_value_info(name, elem_type, list(shape)))
        if sampler is not None:
            self.samplers[name] = sampler
        return name

    def output(self, name: str, elem_type: int | None = None, shape: Sequence | None = None) -> None:
        """Declare a graph output; without elem_type its type is inferred at build()."""
        self.outputs.append((name, elem_type, None if shape is None else list(shape)))

    def value_info(self, name: str, elem_type: int, shape: Sequence) -> None:
        self.value_infos.append(helper.make_tensor_value_info(name, elem_type, list(shape)))

    def param(self, name: str, array: np.ndarray) -> str:
        """A weight or buffer initializer with its framework name (added once)."""
        if name in self._params:
            if self._params[name] != id(array):
                raise ValueError(f"two different initializers named {name!r}")
            return name
        self._params[name] = id(array)
        self.initializers[name] = numpy_helper.from_array(np.asarray(array), name)
        return name

    def weight(self, name: str) -> str:
        """The initializer of weight `name` from the builder's weight table."""
        return self.param(name, self.weights[name])

    def const(self, value, scope: str, dtype=np.float32) -> str:
        array = np.asarray(value, dtype=dtype)
        if self.constant_nodes:
            return self.op("Constant", [], scope, value=numpy_helper.from_array(array))
        name = self.unique(f"{scope}/Constant") + "_output_0"
        self.initializers[name] = numpy_helper.from_array(array, name)
        return name

    def scalar(self, value: float, scope: str) -> str:
        return self.const(value, scope, np.float32)

    def ints(self, values, scope: str) -> str:
        """An int64 constant: a scalar for an int, a 1-D tensor for a list."""
        return self.const(values, scope, np.int64)

    # -- nodes --------------------------------------------------------------

    def op(self, op_type: str, inputs: Sequence[str], scope: str, *, outputs: Sequence[str | None] | None = None,
           n_out: int = 1, domain: str = "", **attrs):
        """Append one node; returns its output name, or the list of them.

        `outputs` names the outputs: None for the default name, "" for an
        omitted optional output. Without it the node has n_out default outputs.
        """
        name = self.unique(f"{scope}/{op_type}")
        if outputs is None:
            outputs = [None] * n_out
        outputs = [f"{name}_output_{i}" if out is None else out for i, out in enumerate(outputs)]
        self.nodes.append(helper.make_node(op_type, list(inputs), list(outputs), name=name, domain=domain, **attrs))
        return outputs[0] if len(outputs) == 1 else list(outputs)

    def unsqueeze(self, x: str, axes: Sequence[int], scope: str) -> str:
        if self.opset >= 13:
            return self.op("Unsqueeze", [x, self.ints(list(axes), scope)], scope)
        return self.op("Unsqueeze", [x], scope, axes=list(axes))

    def squeeze(self, x: str, axes: Sequence[int], scope: str) -> str:
        if self.opset >= 13:
            return self.op("Squeeze", [x, self.ints(list(axes), scope)], scope)
        return self.op("Squeeze", [x], scope, axes=list(axes))

    _AXES_INPUT_SINCE = {"ReduceSum": 13, "ReduceMean": 18}

    def reduce(self, op_type: str, x: str, axes: Sequence[int], scope: str, keepdims: int = 1) -> str:
        if self.opset >= self._AXES_INPUT_SINCE[op_type]:
            return self.op(op_type, [x, self.ints(list(axes), scope)], scope, keepdims=keepdims)
        return self.op(op_type, [x], scope, axes=list(axes), keepdims=keepdims)

    def split(self, x: str, sizes: Sequence[int], axis: int, scope: str) -> list[str]:
        if self.opset >= 13:
            return self.op("Split", [x, self.ints(list(sizes), scope)], scope, n_out=len(sizes), axis=axis)
        return self.op("Split", [x], scope, n_out=len(sizes), axis=axis, split=list(sizes))

    def slice(self, x: str, starts, ends, axes, scope: str, steps=None) -> str:
        """Slice; starts/ends/axes/steps are int lists (made constants) or 1-D tensor names."""
        if self.opset < 10:
            raise ValueError("this generator emits Slice in its opset-10+ form")

        def operand(v):
            return v if isinstance(v, str) else self.ints(list(v), scope)

        inputs = [x, operand(starts), operand(ends), operand(axes)]
        if steps is not None:
            inputs.append(operand(steps))
        return self.op("Slice", inputs, scope)

    def size(self, x: str, axis: int, scope: str) -> str:
        """x.size(axis) as TorchScript exports it: Shape -> Gather(scalar index), a scalar."""
        shape = self.op("Shape", [x], scope)
        return self.op("Gather", [shape, self.ints(axis, scope)], scope, axis=0)

    def shape_tensor(self, dims: Sequence, scope: str) -> str:
        """A 1-D int64 shape from ints and 1-element tensors: a constant, or a Concat of the pieces."""
        if all(isinstance(d, int) for d in dims):
            return self.ints(list(dims), scope)
        parts = [d if isinstance(d, str) else self.ints([d], scope) for d in dims]
        return self.op("Concat", parts, scope, axis=0)

    def reshape(self, x: str, dims: Sequence, scope: str) -> str:
        return self.op("Reshape", [x, self.shape_tensor(dims, scope)], scope)

    def expand(self, x: str, dims: Sequence, scope: str) -> str:
        return self.op("Expand", [x, self.shape_tensor(dims, scope)], scope)

    def prune(self) -> None:
        """Drop nodes none of whose outputs is used (as the exporter's dead-code pass does)."""
        while True:
            used = {name for node in self.nodes for name in node.input} | {name for name, _, _ in self.outputs}
            live = [node for node in self.nodes if any(out in used for out in node.output)]
            if len(live) == len(self.nodes):
                return
            self.nodes = live

    # -- model --------------------------------------------------------------

    def build(self, graph_name: str, doc: str, metadata: dict[str, str] | None = None) -> onnx.ModelProto:
        opsets = [helper.make_opsetid("", self.opset)]
        opsets += [helper.make_opsetid(domain, version) for domain, version in sorted(self.domains.items())]
        ir_version = max(helper.find_min_ir_version_for(opsets[:1]), 7)

        def model_with(outputs):
            graph = helper.make_graph(self.nodes, graph_name, self.inputs, outputs,
                                      initializer=list(self.initializers.values()), value_info=self.value_infos)
            model = helper.make_model(graph, opset_imports=opsets, ir_version=ir_version,
                                      producer_name="txc-gen-models", doc_string=doc)
            for key, value in (metadata or {}).items():
                model.metadata_props.add(key=key, value=value)
            return model

        outputs = [helper.make_empty_tensor_value_info(name) if elem_type is None
                   else helper.make_tensor_value_info(name, elem_type, shape)
                   for name, elem_type, shape in self.outputs]
        # Exporters record shapes of intermediate values; so do we.
        inferred = onnx.shape_inference.infer_shapes(model_with(outputs))
        typed = {vi.name: vi for vi in inferred.graph.output}
        for i, (name, elem_type, _) in enumerate(self.outputs):
            if elem_type is None:
                outputs[i] = typed[name]
        model = model_with(outputs)
        known = {name for name, _, _ in self.outputs} | {vi.name for vi in self.value_infos}
        model.graph.value_info.extend(vi for vi in inferred.graph.value_info if vi.name not in known)
        return model

    def generated(self, cfg: Config, graph_name: str, doc: str, model_name: str) -> Generated:
        meta = {"txc.gen_models.model": model_name,
                "txc.gen_models.config": repr(dataclasses.asdict(cfg))}
        return Generated(self.build(graph_name, doc, meta), dict(self.samplers), cfg.dims(), frozenset(self._params))


# --------------------------------------------------------------------------
# Random inputs
# --------------------------------------------------------------------------


def sample_normal(rng, shape):
    return rng.standard_normal(shape).astype(np.float32)


def sample_uniform(low: float, high: float) -> Sampler:
    return lambda rng, shape: rng.uniform(low, high, shape).astype(np.float32)


def sample_ints(low: int, high: int, dtype=np.int64) -> Sampler:
    return lambda rng, shape: rng.integers(low, high, shape).astype(dtype)


def sample_bool(rng, shape):
    return rng.random(shape) < 0.5


def sample_ones(rng, shape):
    return np.ones(shape, np.int64)


def sample_right_padded_mask(rng, shape):
    """[B, T] 0/1 mask, right padding, first row full, every row keeps its first token."""
    batch, total = shape
    lengths = rng.integers(1, total + 1, batch)
    lengths[0] = total
    return (np.arange(total)[None, :] < lengths[:, None]).astype(np.int64)


def sample_positions(past: int) -> Sampler:
    return lambda rng, shape: np.broadcast_to(np.arange(past, past + shape[-1], dtype=np.int64), shape).copy()


def sample_with_nans(rng, shape):
    x = sample_normal(rng, shape)
    x[rng.random(shape) < 0.25] = np.nan
    return x


def make_inputs(gen: Generated, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Random values for every graph input, symbolic dims resolved from gen.dims."""
    defaults = {FLOAT: sample_normal, INT64: sample_ints(0, 4), INT32: sample_ints(0, 4, np.int32),
                BOOL: sample_bool}
    feeds = {}
    initializer_names = {init.name for init in gen.model.graph.initializer}
    for vi in gen.model.graph.input:
        if vi.name in initializer_names:
            continue
        tensor_type = vi.type.tensor_type
        shape = [d.dim_value if d.HasField("dim_value") else gen.dims[d.dim_param] for d in tensor_type.shape.dim]
        sampler = gen.samplers.get(vi.name, defaults[tensor_type.elem_type])
        feeds[vi.name] = np.asarray(sampler(rng, shape))
    return feeds


# --------------------------------------------------------------------------
# Weights (framework names; Linear weights already in MatMul [K, N] layout,
# as exporters fold the transpose into the initializer)
# --------------------------------------------------------------------------


class _Init:
    def __init__(self, cfg: Config):
        self.rng = np.random.default_rng(cfg.seed)
        self.scale = cfg.weight_scale

    def normal(self, *shape) -> np.ndarray:
        return (self.rng.standard_normal(shape) * self.scale).astype(np.float32)

    def gain(self, n: int) -> np.ndarray:
        return (1.0 + self.rng.standard_normal(n) * self.scale).astype(np.float32)


def llama_weights(cfg: Config) -> dict[str, np.ndarray]:
    """Weights of a Llama-style decoder; the same seed gives the same weights in
    every llama-family builder, so fused and decomposed variants can be compared."""
    init = _Init(cfg)
    d, hd, inter = cfg.hidden, cfg.head_dim, cfg.intermediate
    w = {"model.embed_tokens.weight": init.normal(cfg.vocab, d)}
    for i in range(cfg.layers):
        p = f"model.layers.{i}"
        w[f"{p}.input_layernorm.weight"] = init.gain(d)
        for proj, width in (("q", cfg.heads * hd), ("k", cfg.kv_heads * hd), ("v", cfg.kv_heads * hd)):
            w[f"{p}.self_attn.{proj}_proj.weight"] = init.normal(d, width)
            w[f"{p}.self_attn.{proj}_proj.bias"] = init.normal(width)  # used by qwen2 only
        w[f"{p}.self_attn.o_proj.weight"] = init.normal(cfg.heads * hd, d)
        w[f"{p}.post_attention_layernorm.weight"] = init.gain(d)
        w[f"{p}.mlp.gate_proj.weight"] = init.normal(d, inter)
        w[f"{p}.mlp.up_proj.weight"] = init.normal(d, inter)
        w[f"{p}.mlp.down_proj.weight"] = init.normal(inter, d)
    w["model.norm.weight"] = init.gain(d)
    w["lm_head.weight"] = init.normal(d, cfg.vocab)
    return w


def gpt2_weights(cfg: Config) -> dict[str, np.ndarray]:
    init = _Init(cfg)
    d, inter = cfg.hidden, cfg.intermediate
    w = {"transformer.wte.weight": init.normal(cfg.vocab, d), "transformer.wpe.weight": init.normal(cfg.max_pos, d)}
    causal = np.tril(np.ones((cfg.max_pos, cfg.max_pos), dtype=bool))[None, None]
    for i in range(cfg.layers):
        p = f"transformer.h.{i}"
        w[f"{p}.ln_1.weight"], w[f"{p}.ln_1.bias"] = init.gain(d), init.normal(d)
        w[f"{p}.attn.bias"] = causal  # the registered causal-mask buffer
        w[f"{p}.attn.c_attn.weight"], w[f"{p}.attn.c_attn.bias"] = init.normal(d, 3 * d), init.normal(3 * d)
        w[f"{p}.attn.c_proj.weight"], w[f"{p}.attn.c_proj.bias"] = init.normal(d, d), init.normal(d)
        w[f"{p}.ln_2.weight"], w[f"{p}.ln_2.bias"] = init.gain(d), init.normal(d)
        w[f"{p}.mlp.c_fc.weight"], w[f"{p}.mlp.c_fc.bias"] = init.normal(d, inter), init.normal(inter)
        w[f"{p}.mlp.c_proj.weight"], w[f"{p}.mlp.c_proj.bias"] = init.normal(inter, d), init.normal(d)
    w["transformer.ln_f.weight"], w["transformer.ln_f.bias"] = init.gain(d), init.normal(d)
    return w


def bert_weights(cfg: Config) -> dict[str, np.ndarray]:
    init = _Init(cfg)
    d, inter = cfg.hidden, cfg.intermediate
    w = {
        "embeddings.word_embeddings.weight": init.normal(cfg.vocab, d),
        "embeddings.position_embeddings.weight": init.normal(cfg.max_pos, d),
        "embeddings.token_type_embeddings.weight": init.normal(2, d),
        "embeddings.LayerNorm.weight": init.gain(d),
        "embeddings.LayerNorm.bias": init.normal(d),
        "embeddings.position_ids": np.arange(cfg.max_pos, dtype=np.int64)[None],
    }
    for i in range(cfg.layers):
        p = f"encoder.layer.{i}"
        for proj in ("query", "key", "value"):
            w[f"{p}.attention.self.{proj}.weight"] = init.normal(d, d)
            w[f"{p}.attention.self.{proj}.bias"] = init.normal(d)
        for name, (k, n) in (("attention.output.dense", (d, d)), ("intermediate.dense", (d, inter)),
                             ("output.dense", (inter, d))):
            w[f"{p}.{name}.weight"], w[f"{p}.{name}.bias"] = init.normal(k, n), init.normal(n)
        for name in ("attention.output.LayerNorm", "output.LayerNorm"):
            w[f"{p}.{name}.weight"], w[f"{p}.{name}.bias"] = init.gain(d), init.normal(d)
    w["pooler.dense.weight"], w["pooler.dense.bias"] = init.normal(d, d), init.normal(d)
    return w


def rope_inv_freq(head_dim: int) -> np.ndarray:
    return (1.0 / ROPE_THETA ** (np.arange(0, head_dim, 2, dtype=np.float32) / head_dim)).astype(np.float32)


def rope_caches(cfg: Config) -> tuple[np.ndarray, np.ndarray]:
    """cos/sin caches [max_pos, head_dim / 2] as onnxruntime's RotaryEmbedding ops take them."""
    freqs = np.arange(cfg.max_pos, dtype=np.float32)[:, None] * rope_inv_freq(cfg.head_dim)[None, :]
    return np.cos(freqs).astype(np.float32), np.sin(freqs).astype(np.float32)


# --------------------------------------------------------------------------
# 4-bit block quantization (MatMulNBits layout)
# --------------------------------------------------------------------------


@dataclasses.dataclass
class QuantizedWeight:
    packed: np.ndarray  # uint8 [N, k_blocks, block_size / 2]: two codes a byte, low nibble first
    scales: np.ndarray  # float32 [N * k_blocks]
    zero_points: np.ndarray | None  # uint8 [N, ceil(k_blocks / 2)], packed like B; None: implicit 8
    dequantized: np.ndarray  # float32 [K, N]: what the quantized weight computes


def quantize_int4(w_kn: np.ndarray, block_size: int, symmetric: bool) -> QuantizedWeight:
    """Quantize a MatMul weight [K, N] block-wise along K to unsigned 4-bit codes.

    Asymmetric: each block's [min, max] (widened to contain 0) maps to codes
    0..15 with a per-block zero point. Symmetric: codes are centred on the
    implicit zero point 8, and no zero_points input is emitted.
    """
    k, n = w_kn.shape
    k_blocks = -(-k // block_size)
    padded = np.zeros((n, k_blocks * block_size), np.float32)
    padded[:, :k] = w_kn.T
    blocks = padded.reshape(n, k_blocks, block_size)
    if symmetric:
        scales = np.abs(blocks).max(axis=-1) / 7.0
        zero_points = np.full((n, k_blocks), 8.0, np.float32)
    else:
        low = np.minimum(blocks.min(axis=-1), 0.0)
        high = np.maximum(blocks.max(axis=-1), 0.0)
        scales = (high - low) / 15.0
        zero_points = np.clip(np.round(-low / np.where(scales == 0, 1, scales)), 0, 15)
    scales = scales.astype(np.float32)
    safe = np.where(scales == 0, 1, scales)[..., None]
    codes = np.clip(np.round(blocks / safe) + zero_points[..., None], 0, 15).astype(np.uint8)
    dequantized = (codes.astype(np.float32) - zero_points[..., None]) * scales[..., None]

    packed = codes[..., 0::2] | (codes[..., 1::2] << 4)
    packed_zero_points = None
    if not symmetric:
        zp = np.zeros((n, 2 * (-(-k_blocks // 2))), np.uint8)
        zp[:, :k_blocks] = zero_points.astype(np.uint8)
        packed_zero_points = zp[:, 0::2] | (zp[:, 1::2] << 4)
    return QuantizedWeight(packed.astype(np.uint8), scales.reshape(-1), packed_zero_points,
                           dequantized.reshape(n, -1)[:, :k].T.copy())


def phi3_weights(cfg: Config, weights: dict | None = None) -> dict[str, np.ndarray]:
    """Llama's weights plus Phi-3's fused qkv_proj and gate_up_proj (the same function)."""
    w = dict(weights or llama_weights(cfg))
    for i in range(cfg.layers):
        attn, mlp = f"model.layers.{i}.self_attn", f"model.layers.{i}.mlp"
        w[f"{attn}.qkv_proj.weight"] = np.concatenate([w[f"{attn}.{p}_proj.weight"] for p in "qkv"], axis=1)
        w[f"{mlp}.gate_up_proj.weight"] = np.concatenate([w[f"{mlp}.gate_proj.weight"], w[f"{mlp}.up_proj.weight"]],
                                                         axis=1)
    return w


def dequantized_llama_weights(cfg: Config, w: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The weights llama-ort computes with, for comparing it with the float llama."""
    out = dict(w)
    for name in w:
        if name.endswith("_proj.weight"):
            out[name] = quantize_int4(w[name], cfg.block_size, cfg.symmetric).dequantized
    return out


# --------------------------------------------------------------------------
# Shared sub-patterns
# --------------------------------------------------------------------------


def token_inputs(g: GraphBuilder, cfg: Config, names: Sequence[str], samplers: dict[str, Sampler]) -> None:
    """[B, S] int64 inputs (input_ids, attention_mask, ...)."""
    shape = [BATCH, SEQUENCE] if cfg.dynamic else [cfg.batch, cfg.seq]
    for name in names:
        g.input(name, INT64, shape, samplers[name])


def token_samplers(cfg: Config) -> dict[str, Sampler]:
    return {"input_ids": sample_ints(0, cfg.vocab), "attention_mask": sample_right_padded_mask,
            "token_type_ids": sample_ints(0, 2), "position_ids": sample_positions(cfg.past)}


def past_kv_dims(cfg: Config) -> tuple:
    """(B, S, P, P + S) of a --past-kv model's inputs and outputs: ints, or the symbolic names."""
    if cfg.dynamic:
        return BATCH, SEQUENCE, PAST_SEQUENCE, TOTAL_SEQUENCE
    return cfg.batch, cfg.seq, cfg.past, cfg.past + cfg.seq


def past_kv_inputs(g: GraphBuilder, cfg: Config, kv_heads: int) -> None:
    """A decode step of a torch export of an HF model called with past_key_values
    (and no attention_mask): input_ids and position_ids [B, S], then
    past_key_values.{i}.key / .value [B, kv_heads, P, D] per layer."""
    b, s, p, _ = past_kv_dims(cfg)
    g.input("input_ids", INT64, [b, s], sample_ints(0, cfg.vocab))
    g.input("position_ids", INT64, [b, s], sample_positions(cfg.past))
    for i in range(cfg.layers):
        for kind in ("key", "value"):
            g.input(f"past_key_values.{i}.{kind}", FLOAT, [b, kv_heads, p, cfg.head_dim])


def past_kv_outputs(g: GraphBuilder, cfg: Config, kv_heads: int) -> None:
    """logits [B, S, vocab], then present.{i}.key / .value [B, kv_heads, P + S, D]."""
    b, s, _, t = past_kv_dims(cfg)
    g.output("logits", FLOAT, [b, s, cfg.vocab])
    for i in range(cfg.layers):
        for kind in ("key", "value"):
            g.output(f"present.{i}.{kind}", FLOAT, [b, kv_heads, t, cfg.head_dim])


def cache_update(g: GraphBuilder, i: int, k: str, v: str, scope: str, axis: int = 2) -> tuple[str, str]:
    """DynamicCache.update: present = cat(past, new) along the sequence axis, for keys and values."""
    return tuple(g.op("Concat", [f"past_key_values.{i}.{kind}", new], scope, axis=axis, outputs=[f"present.{i}.{kind}"])
                 for kind, new in (("key", k), ("value", v)))


def batch_and_seq(g: GraphBuilder, cfg: Config, x: str, scope: str) -> tuple:
    """(B, S) of a [B, S, ...] tensor: ints when static, else 1-element tensors
    from Shape -> Gather -> Unsqueeze, ready to Concat into a shape."""
    if not cfg.dynamic:
        return cfg.batch, cfg.seq
    return tuple(g.unsqueeze(g.size(x, axis, scope), [0], scope) for axis in (0, 1))


def seq_scalar(g: GraphBuilder, cfg: Config, x: str, scope: str) -> str:
    """S of a [B, S, ...] tensor as a scalar (the limit of a Range)."""
    return g.size(x, 1, scope) if cfg.dynamic else g.ints(cfg.seq, scope)


def arange(g: GraphBuilder, limit: str, scope: str) -> str:
    return g.op("Range", [g.ints(0, scope), limit, g.ints(1, scope)], scope)


def split_heads(g: GraphBuilder, x: str, b, s, heads: int, head_dim: int, scope: str) -> str:
    """[B, S, H*D] -> Reshape [B, S, H, D] -> Transpose [B, H, S, D]."""
    x = g.reshape(x, [b, s, heads, head_dim], scope)
    return g.op("Transpose", [x], scope, perm=[0, 2, 1, 3])


def merge_heads(g: GraphBuilder, x: str, b, s, width: int, scope: str) -> str:
    """[B, H, S, D] -> Transpose [B, S, H, D] -> Reshape [B, S, H*D]."""
    x = g.op("Transpose", [x], scope, perm=[0, 2, 1, 3])
    return g.reshape(x, [b, s, width], scope)


def linear(g: GraphBuilder, x: str, name: str, scope: str, bias: bool = True) -> str:
    """nn.Linear / Conv1D: MatMul with a [K, N] weight, then Add bias."""
    y = g.op("MatMul", [x, g.weight(f"{name}.weight")], scope)
    if bias:
        y = g.op("Add", [y, g.weight(f"{name}.bias")], scope)
    return y


def rms_norm(g: GraphBuilder, x: str, weight: str, eps: float, scope: str) -> str:
    """LlamaRMSNorm as torch exports it: Cast, Pow 2, ReduceMean, Add eps, Sqrt, Reciprocal, Mul, Mul weight."""
    x = g.op("Cast", [x], scope, to=FLOAT)
    variance = g.reduce("ReduceMean", g.op("Pow", [x, g.scalar(2.0, scope)], scope), [-1], scope, keepdims=1)
    variance = g.op("Add", [variance, g.scalar(eps, scope)], scope)
    inv_rms = g.op("Reciprocal", [g.op("Sqrt", [variance], scope)], scope)
    x = g.op("Mul", [x, inv_rms], scope)
    return g.op("Mul", [weight, x], scope)


def layer_norm(g: GraphBuilder, x: str, gamma: str, beta: str, eps: float, scope: str, decomposed: bool,
               out: str | None = None) -> str:
    """LayerNormalization (opset 17+), or the decomposition older exports emit:
    ReduceMean, Sub, Pow 2, ReduceMean, Add eps, Sqrt, Div, Mul gamma, Add beta."""
    outputs = [out] if out else None
    if not decomposed and g.opset >= 17:
        return g.op("LayerNormalization", [x, gamma, beta], scope, outputs=outputs, axis=-1, epsilon=eps)
    mean = g.reduce("ReduceMean", x, [-1], scope, keepdims=1)
    centered = g.op("Sub", [x, mean], scope)
    variance = g.reduce("ReduceMean", g.op("Pow", [centered, g.scalar(2.0, scope)], scope), [-1], scope, keepdims=1)
    std = g.op("Sqrt", [g.op("Add", [variance, g.scalar(eps, scope)], scope)], scope)
    normed = g.op("Div", [centered, std], scope)
    return g.op("Add", [g.op("Mul", [normed, gamma], scope), beta], scope, outputs=outputs)


def additive_padding_mask(g: GraphBuilder, attention_mask: str, scope: str) -> str:
    """HF's extended attention mask: (1.0 - mask[:, None, None, :].float()) * finfo.min, [B, 1, 1, S]."""
    m = g.op("Cast", [g.unsqueeze(attention_mask, [1, 2], scope)], scope, to=FLOAT)
    m = g.op("Sub", [g.scalar(1.0, scope), m], scope)
    return g.op("Mul", [m, g.scalar(FLOAT_MIN, scope)], scope)


def gelu_erf(g: GraphBuilder, x: str, scope: str) -> str:
    """x * 0.5 * (1 + erf(x / sqrt(2))): Div, Erf, Add 1, Mul x, Mul 0.5."""
    t = g.op("Erf", [g.op("Div", [x, g.scalar(math.sqrt(2.0), scope)], scope)], scope)
    t = g.op("Add", [t, g.scalar(1.0, scope)], scope)
    return g.op("Mul", [g.op("Mul", [x, t], scope), g.scalar(0.5, scope)], scope)


def gelu_tanh(g: GraphBuilder, x: str, scope: str) -> str:
    """GPT-2's gelu_new: 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))."""
    half_x = g.op("Mul", [x, g.scalar(0.5, scope)], scope)
    cube = g.op("Pow", [x, g.scalar(3.0, scope)], scope)
    inner = g.op("Add", [x, g.op("Mul", [cube, g.scalar(0.044715, scope)], scope)], scope)
    inner = g.op("Mul", [inner, g.scalar(math.sqrt(2.0 / math.pi), scope)], scope)
    t = g.op("Add", [g.op("Tanh", [inner], scope), g.scalar(1.0, scope)], scope)
    return g.op("Mul", [half_x, t], scope)


# -- Llama family (torch.onnx dynamo export of Hugging Face models) ----------


def rotary_cos_sin(g: GraphBuilder, cfg: Config, position_ids: str) -> tuple[str, str]:
    """LlamaRotaryEmbedding: inv_freq[None, :, None] @ position_ids[:, None, :].float(),
    transposed, emb = cat(freqs, freqs), cos/sin of it; [1, S, D]."""
    scope = "/model/rotary_emb"
    inv_freq = g.param("model.rotary_emb.inv_freq", rope_inv_freq(cfg.head_dim))
    inv_freq = g.unsqueeze(inv_freq, [0, 2], scope)
    positions = g.op("Cast", [g.unsqueeze(position_ids, [1], scope)], scope, to=FLOAT)
    freqs = g.op("Transpose", [g.op("MatMul", [inv_freq, positions], scope)], scope, perm=[0, 2, 1])
    emb = g.op("Concat", [freqs, freqs], scope, axis=-1)
    return g.op("Cos", [emb], scope), g.op("Sin", [emb], scope)


def apply_rope(g: GraphBuilder, x: str, cos: str, sin: str, head_dim: int, scope: str) -> str:
    """x * cos + rotate_half(x) * sin, rotate_half = cat(-x[..., D/2:], x[..., :D/2])."""
    half = head_dim // 2
    x_cos = g.op("Mul", [x, cos], scope)
    x1 = g.slice(x, [0], [half], [-1], scope)
    x2 = g.slice(x, [half], [INT64_MAX], [-1], scope)
    rotated = g.op("Concat", [g.op("Neg", [x2], scope), x1], scope, axis=-1)
    return g.op("Add", [x_cos, g.op("Mul", [rotated, sin], scope)], scope)


def repeat_kv(g: GraphBuilder, x: str, b, s, kv_heads: int, n_rep: int, head_dim: int, scope: str) -> str:
    """GQA repeat_kv: Unsqueeze(2) -> Expand [B, Hkv, n_rep, S, D] -> Reshape [B, H, S, D]."""
    if n_rep == 1:
        return x
    x = g.expand(g.unsqueeze(x, [2], scope), [b, kv_heads, n_rep, s, head_dim], scope)
    return g.reshape(x, [b, kv_heads * n_rep, s, head_dim], scope)


def sdpa(g: GraphBuilder, q: str, k: str, v: str, mask: str, head_dim: int, scope: str) -> str:
    """torch's scaled_dot_product_attention as the dynamo exporter decomposes it:
    both q and k^T scaled by sqrt(scale), MatMul, Add mask, Softmax, MatMul v."""
    sqrt_scale = math.sqrt(1.0 / math.sqrt(head_dim))
    q = g.op("Mul", [q, g.scalar(sqrt_scale, scope)], scope)
    k_t = g.op("Transpose", [k], scope, perm=[0, 1, 3, 2])
    k_t = g.op("Mul", [k_t, g.scalar(sqrt_scale, scope)], scope)
    scores = g.op("Add", [g.op("MatMul", [q, k_t], scope), mask], scope)
    return g.op("MatMul", [g.op("Softmax", [scores], scope, axis=-1), v], scope)


def causal_mask(g: GraphBuilder, cfg: Config, positions: str, b, s, window: int | None = None,
                keys: str | None = None, t=None) -> str:
    """Additive mask [B, 1, S, T] built in-graph: key j is visible to query i when
    j <= i (and i - j < window), and, with an attention_mask, j is not padding.
    `positions` are the queries' (cache) positions, `keys` those of the keys
    (default: the same, T = S; with a past, 0..P+S-1)."""
    scope = "/model"
    rows = g.unsqueeze(positions, [1], scope)  # i, [S, 1]
    cols = g.unsqueeze(positions if keys is None else keys, [0], scope)  # j, [1, T]
    allowed = g.op("GreaterOrEqual", [rows, cols], scope)
    if window is not None:
        in_window = g.op("Less", [g.op("Sub", [rows, cols], scope), g.ints(window, scope)], scope)
        allowed = g.op("And", [allowed, in_window], scope)
    allowed = g.unsqueeze(allowed, [0, 1], scope)
    if cfg.with_mask:
        not_padding = g.op("Cast", [g.unsqueeze("attention_mask", [1, 2], scope)], scope, to=BOOL)
        allowed = g.op("And", [allowed, not_padding], scope)
    mask = g.op("Where", [allowed, g.scalar(0.0, scope), g.scalar(FLOAT_MIN, scope)], scope)
    return g.expand(mask, [b, 1, s, s if t is None else t], scope)


def separate_qkv(g: GraphBuilder, cfg: Config, i: int, x: str, bias: bool = False) -> tuple:
    scope = f"/model/layers.{i}/self_attn"
    return tuple(linear(g, x, f"model.layers.{i}.self_attn.{p}_proj", f"{scope}/{p}_proj", bias=bias)
                 for p in ("q", "k", "v"))


def fused_qkv(g: GraphBuilder, cfg: Config, i: int, x: str) -> tuple:
    """Phi-3's qkv_proj: one MatMul, then Slice q, k, v off the last axis."""
    scope = f"/model/layers.{i}/self_attn"
    name = f"model.layers.{i}.self_attn.qkv_proj.weight"
    qkv = g.op("MatMul", [x, g.weight(name)], f"{scope}/qkv_proj")
    q_end = cfg.heads * cfg.head_dim
    k_end = q_end + cfg.kv_heads * cfg.head_dim
    return (g.slice(qkv, [0], [q_end], [-1], scope),
            g.slice(qkv, [q_end], [k_end], [-1], scope),
            g.slice(qkv, [k_end], [INT64_MAX], [-1], scope))


def swiglu_mlp(g: GraphBuilder, cfg: Config, i: int, x: str) -> str:
    """down(silu(gate(x)) * up(x)), SiLU as Sigmoid then Mul."""
    scope, p = f"/model/layers.{i}/mlp", f"model.layers.{i}.mlp"
    gate = linear(g, x, f"{p}.gate_proj", f"{scope}/gate_proj", bias=False)
    act = g.op("Mul", [gate, g.op("Sigmoid", [gate], f"{scope}/act_fn")], f"{scope}/act_fn")
    up = linear(g, x, f"{p}.up_proj", f"{scope}/up_proj", bias=False)
    return linear(g, g.op("Mul", [act, up], scope), f"{p}.down_proj", f"{scope}/down_proj", bias=False)


def fused_swiglu_mlp(g: GraphBuilder, cfg: Config, i: int, x: str) -> str:
    """Phi-3's gate_up_proj: one MatMul, Slice the halves, up * silu(gate)."""
    scope, p = f"/model/layers.{i}/mlp", f"model.layers.{i}.mlp"
    name = f"{p}.gate_up_proj.weight"
    gate_up = g.op("MatMul", [x, g.weight(name)], f"{scope}/gate_up_proj")
    gate = g.slice(gate_up, [0], [cfg.intermediate], [-1], scope)
    up = g.slice(gate_up, [cfg.intermediate], [INT64_MAX], [-1], scope)
    act = g.op("Mul", [gate, g.op("Sigmoid", [gate], f"{scope}/activation_fn")], f"{scope}/activation_fn")
    return linear(g, g.op("Mul", [up, act], scope), f"{p}.down_proj", f"{scope}/down_proj", bias=False)


def llama_attention(g: GraphBuilder, cfg: Config, i: int, x: str, cos: str, sin: str, mask: str,
                    project) -> str:
    scope = f"/model/layers.{i}/self_attn"
    hd = cfg.head_dim
    b, s = batch_and_seq(g, cfg, x, scope)
    q, k, v = project(g, cfg, i, x)
    q = split_heads(g, q, b, s, cfg.heads, hd, scope)
    k = split_heads(g, k, b, s, cfg.kv_heads, hd, scope)
    v = split_heads(g, v, b, s, cfg.kv_heads, hd, scope)
    cos = g.unsqueeze(cos, [1], scope)
    sin = g.unsqueeze(sin, [1], scope)
    q = apply_rope(g, q, cos, sin, hd, scope)
    k = apply_rope(g, k, cos, sin, hd, scope)
    t = s
    if cfg.past_kv:
        k, v = cache_update(g, i, k, v, scope)
        # repeat_kv reads the key length off the concatenated keys
        t = g.unsqueeze(g.size(k, 2, scope), [0], scope) if cfg.dynamic else cfg.past + cfg.seq
    k = repeat_kv(g, k, b, t, cfg.kv_heads, cfg.n_rep, hd, scope)
    v = repeat_kv(g, v, b, t, cfg.kv_heads, cfg.n_rep, hd, scope)
    out = merge_heads(g, sdpa(g, q, k, v, mask, hd, scope), b, s, cfg.heads * hd, scope)
    return linear(g, out, f"model.layers.{i}.self_attn.o_proj", f"{scope}/o_proj", bias=False)


def hf_decoder(cfg: Config, w: dict, name: str, doc: str, *, project=separate_qkv, mlp=swiglu_mlp,
               window: int | None = None) -> Generated:
    """The Llama decoder skeleton as torch.onnx (dynamo) exports it, opset 18 by default.

    With --past-kv, a decode step: position_ids and past_key_values.* are
    inputs, cache_position is P..P+S-1 (P read off the first past key), the
    mask covers keys 0..P+S-1, and the concatenated keys/values are present.*."""
    g = GraphBuilder(cfg.opset or 18, weights=w)
    if cfg.past_kv:
        past_kv_inputs(g, cfg, cfg.kv_heads)
    else:
        token_inputs(g, cfg, ["input_ids"] + (["attention_mask"] if cfg.with_mask else []), token_samplers(cfg))
    eps = 1e-6
    x = g.op("Gather", [g.weight("model.embed_tokens.weight"), "input_ids"], "/model/embed_tokens", axis=0)
    b, s = batch_and_seq(g, cfg, "input_ids", "/model")
    if cfg.past_kv:
        scope = "/model"
        past = (g.size("past_key_values.0.key", 2, scope) if cfg.dynamic  # past_key_values.get_seq_length()
                else g.ints(cfg.past, scope))
        total = g.op("Add", [past, seq_scalar(g, cfg, "input_ids", scope)], scope)
        positions = g.op("Range", [past, total, g.ints(1, scope)], scope)  # cache_position
        keys = arange(g, total, scope)
        t = g.unsqueeze(total, [0], scope) if cfg.dynamic else cfg.past + cfg.seq
        cos, sin = rotary_cos_sin(g, cfg, "position_ids")
        mask = causal_mask(g, cfg, positions, b, s, window, keys=keys, t=t)
    else:
        positions = arange(g, seq_scalar(g, cfg, "input_ids", "/model"), "/model")  # cache_position
        position_ids = g.unsqueeze(positions, [0], "/model")
        cos, sin = rotary_cos_sin(g, cfg, position_ids)
        mask = causal_mask(g, cfg, positions, b, s, window)
    for i in range(cfg.layers):
        p, scope = f"model.layers.{i}", f"/model/layers.{i}"
        h = rms_norm(g, x, g.weight(f"{p}.input_layernorm.weight"), eps, f"{scope}/input_layernorm")
        x = g.op("Add", [x, llama_attention(g, cfg, i, h, cos, sin, mask, project)], scope)
        h = rms_norm(g, x, g.weight(f"{p}.post_attention_layernorm.weight"), eps, f"{scope}/post_attention_layernorm")
        x = g.op("Add", [x, mlp(g, cfg, i, h)], scope)
    x = rms_norm(g, x, g.weight("model.norm.weight"), eps, "/model/norm")
    g.op("MatMul", [x, g.weight("lm_head.weight")], "/lm_head", outputs=["logits"])
    if cfg.past_kv:
        past_kv_outputs(g, cfg, cfg.kv_heads)
    else:
        g.output("logits", FLOAT, [BATCH, SEQUENCE, cfg.vocab] if cfg.dynamic else [cfg.batch, cfg.seq, cfg.vocab])
    return g.generated(cfg, "main_graph", doc, name)


# -- transformers 5 as torch.onnx.export(dynamo=True, opset 18) writes it -----
#
# The graphs scripts/export_hf_models.py gets from torch 2.9+ with onnxscript
# for transformers 5 models, node for node. A static export has been through
# the exporter's constant folding: the causal / sliding-window masks, the
# GatherND index grids of the padding mask and the rotary cos/sin tables are
# initializers named after the values they replace, and every Linear weight is
# a transposed copy. With --dynamic the same values are computed in-graph --
# transformers' vmap-built mask functions as Range / Unsqueeze / comparisons
# / GatherND on index grids -- and only fold once the importer knows the
# batch and sequence sizes.


@dataclasses.dataclass
class DynamoSizes:
    """Batch and sequence of the inputs: ints when static, else 1-element
    tensors (`b`, `s`, from Shape with start/end) and their scalars."""

    b: int | str
    s: int | str
    b_scalar: str | None = None
    s_scalar: str | None = None


@dataclasses.dataclass
class DynamoPast:
    """A decode step's sizes: T = P + S (an int, or a 1-element tensor), and with
    --dynamic cache_position = arange(P, P + S) and the key positions arange(T)."""

    t: int | str
    cache_position: str | None = None
    kv_arange: str | None = None


def dynamo_past(g: GraphBuilder, cfg: Config, sz: DynamoSizes) -> DynamoPast:
    """past_key_values.get_seq_length() (the first past key's dim 2), cache_position and kv_arange."""
    if not cfg.dynamic:
        return DynamoPast(cfg.past + cfg.seq)
    scope = "/model"
    p = g.op("Shape", ["past_key_values.0.key"], scope, start=2, end=3)
    p_scalar = g.op("Squeeze", [p], scope)
    end = g.op("Add", [p_scalar, sz.s_scalar], scope)
    cache_position = g.op("Range", [p_scalar, end, g.ints(1, scope)], scope)
    kv_arange = g.op("Range", [g.ints(0, scope), end, g.ints(1, scope)], scope)
    return DynamoPast(g.op("Add", [p, sz.s], scope), cache_position, kv_arange)


def dynamo_sizes(g: GraphBuilder, cfg: Config, x: str) -> DynamoSizes:
    if not cfg.dynamic:
        return DynamoSizes(cfg.batch, cfg.seq)
    b = g.op("Shape", [x], "/model", start=0, end=1)
    s = g.op("Shape", [x], "/model", start=1, end=2)
    return DynamoSizes(b, s, g.op("Squeeze", [b], "/model"), g.op("Squeeze", [s], "/model"))


def dynamo_index_grid(batch: int, seq: int, index: str) -> np.ndarray:
    """The folded GatherND indices [B, 1, 1|S, S|1, 2] of (batch, kv) or (batch, q)."""
    b = np.arange(batch)[:, None, None, None]
    i = np.arange(seq)
    i = i[None, None, None, :] if index == "kv" else i[None, None, :, None]
    b, i = np.broadcast_arrays(b, i)
    return np.stack([b, i], axis=-1).astype(np.int64)


def dynamo_allowed(cfg: Config, causal: bool, window: int | None, past: int = 0) -> np.ndarray:
    """The folded structural part of the mask, bool [1, 1, S, P + S] ([1, 1, S, 1]
    bidirectional): queries at cache positions P..P+S-1, keys 0..P+S-1."""
    q, kv = past + np.arange(cfg.seq)[:, None], np.arange(past + cfg.seq)[None, :]
    if not causal:
        return np.ones((1, 1, cfg.seq, 1), dtype=bool)
    allowed = kv <= q
    if window is not None:
        allowed &= kv > q - window
    return allowed[None, None]


class DynamoMaskBuilder:
    """transformers 5's masking_utils (causal_mask_function, sliding_window_overlay,
    padding_mask_function, packed_sequence_mask) as the exporter emits it.

    build() returns ("bool", name) for a [B|1, 1, S, S|1] mask (True attends),
    consumed by Where(mask, 0, finfo.min), or ("add", name) for the additive
    float mask a static export without attention_mask folds to."""

    def __init__(self, g: GraphBuilder, cfg: Config, sz: DynamoSizes, *, causal: bool = True,
                 window: int | None = None, attention_mask: str = "attention_mask"):
        self.g, self.cfg, self.sz, self.causal, self.window = g, cfg, sz, causal, window
        self.attention_mask = attention_mask
        self.scope = "/model"

    def build(self, arange: str | None = None, position_ids: str | None = None) -> tuple[str, str]:
        return self._dynamic(arange, position_ids) if self.cfg.dynamic else self._folded()

    def build_past(self, past: DynamoPast) -> tuple[str, str]:
        """A decode step's mask (no attention_mask, so no padding and no packed-sequence
        check): queries at cache_position P..P+S-1 against keys 0..P+S-1."""
        g, cfg, sz, scope = self.g, self.cfg, self.sz, self.scope
        if not cfg.dynamic:
            allowed = dynamo_allowed(cfg, True, self.window, cfg.past)
            additive = np.where(allowed, np.float32(0), np.float32(FLOAT_MIN)).astype(np.float32)
            additive = np.broadcast_to(additive, (cfg.batch, 1, cfg.seq, cfg.past + cfg.seq)).copy()
            return "add", g.param("val_attention_mask", additive)
        true = g.const(True, scope, np.bool_)
        q_pos = g.unsqueeze(g.unsqueeze(past.cache_position, [0, 1], scope), [3], scope)  # [1, 1, S, 1]
        kv_pos = g.unsqueeze(g.unsqueeze(past.kv_arange, [0, 1], scope), [2], scope)  # [1, 1, 1, T]
        allowed = self._positional(g, true, q_pos, kv_pos, scope)
        shape = g.op("Concat", [sz.b, g.ints([1], scope), sz.s, past.t], scope, axis=0)
        return "bool", g.op("Expand", [allowed, shape], scope)

    def _folded(self) -> tuple[str, str]:
        g, cfg = self.g, self.cfg
        allowed = dynamo_allowed(cfg, self.causal, self.window)
        if not cfg.with_mask:
            additive = np.where(allowed, np.float32(0), np.float32(FLOAT_MIN)).astype(np.float32)
            additive = np.broadcast_to(additive, (cfg.batch, 1, cfg.seq, cfg.seq)).copy()
            return "add", g.param("val_attention_mask", additive)
        padding = g.op("GatherND", [g.op("Cast", [self.attention_mask], self.scope, to=BOOL),
                                    g.param("val_padding_grid", dynamo_index_grid(cfg.batch, cfg.seq, "kv"))],
                       self.scope, batch_dims=0)
        return "bool", g.op("And", [g.param("bitwise_and", allowed), padding], self.scope)

    def _positional(self, g: GraphBuilder, true: str, q_pos: str, kv_pos: str, scope: str) -> str:
        """kv_pos <= q_pos, and with a window q_pos - window < kv_pos, as And chains seeded with `true`."""
        if self.window is None:
            return g.op("And", [true, g.op("LessOrEqual", [kv_pos, q_pos], scope)], scope)
        lower = g.op("Sub", [q_pos, g.ints(self.window, scope)], scope)
        allowed = g.op("And", [true, g.op("Greater", [kv_pos, lower], scope)], scope)
        allowed = g.op("And", [allowed, g.op("LessOrEqual", [kv_pos, q_pos], scope)], scope)
        return g.op("And", [true, allowed], scope)

    def _grid(self, batch_index: str, index: str) -> str:
        """Concat(Expand(b)[..., None], Expand(i)[..., None]) over their broadcast shape."""
        g, scope = self.g, self.scope
        shape = g.op("Shape", [g.op("Max", [batch_index, index], scope)], scope, start=0)
        parts = [g.unsqueeze(g.op("Expand", [t, shape], scope), [-1], scope) for t in (batch_index, index)]
        return g.op("Concat", parts, scope, axis=-1)

    def _dynamic(self, arange: str, position_ids: str | None) -> tuple[str, str]:
        g, cfg, sz, scope = self.g, self.cfg, self.sz, self.scope
        true = g.const(True, scope, np.bool_)
        arange_b = g.op("Range", [g.ints(0, scope), sz.b_scalar, g.ints(1, scope)], scope)
        batch_index = g.unsqueeze(g.unsqueeze(arange_b, [1, 2], scope), [3], scope)  # [B, 1, 1, 1]
        u = g.unsqueeze(arange, [0, 1], scope)
        q_index, kv_index = g.unsqueeze(u, [3], scope), g.unsqueeze(u, [2], scope)  # [1, 1, S, 1], [1, 1, 1, S]
        if cfg.with_mask or not self.causal:
            # Positions are cache_position: compare the index tensors directly.
            q_pos, kv_pos = q_index, kv_index
        else:
            # Without attention_mask the positions come from position_ids, gathered per batch.
            grid_q, grid_kv = self._grid(batch_index, q_index), self._grid(batch_index, kv_index)
            q_pos = g.op("GatherND", [position_ids, grid_q], scope, batch_dims=0)
            kv_pos = g.op("GatherND", [position_ids, grid_kv], scope, batch_dims=0)
        if not self.causal:
            allowed = g.op("GreaterOrEqual", [q_pos, g.ints(0, scope)], scope)
            if not cfg.with_mask:
                shape = g.op("Concat", [sz.b, g.ints([1], scope), sz.s, sz.s], scope, axis=0)
                return "bool", g.op("Expand", [allowed, shape], scope)
            allowed = g.op("And", [true, allowed], scope)
        else:
            allowed = self._positional(g, true, q_pos, kv_pos, scope)
        if cfg.with_mask:
            padding = g.op("GatherND", [g.op("Cast", [self.attention_mask], scope, to=BOOL),
                                        self._grid(batch_index, kv_index)], scope, batch_dims=0)
            return "bool", g.op("And", [allowed, padding], scope)
        # Packed sequences: a new sequence starts wherever position_ids does not step by 1.
        first = g.slice(position_ids, [0], [1], [1], scope, steps=[1])
        shifted = g.op("Concat", [g.op("Sub", [first, g.ints(1, scope)], scope), position_ids], scope, axis=-1)
        prev = g.slice(shifted, [0], sz.s, [-1], scope, steps=[1])
        end = g.op("Reshape", [g.op("Add", [g.ints(1, scope), sz.s_scalar], scope), g.ints([-1], scope)], scope)
        nxt = g.slice(shifted, [1], end, [-1], scope, steps=[1])
        step = g.op("Sub", [nxt, prev], scope)
        starts = g.op("Not", [g.op("Equal", [step, g.ints(1, scope)], scope)], scope)
        packed = g.op("CumSum", [g.op("Cast", [starts], scope, to=INT64), g.ints(-1, scope)], scope)
        same = g.op("Equal", [g.op("GatherND", [packed, grid_q], scope, batch_dims=0),
                              g.op("GatherND", [packed, grid_kv], scope, batch_dims=0)], scope)
        return "bool", g.op("And", [allowed, same], scope)


def dynamo_additive_mask(g: GraphBuilder, mask: tuple[str, str]) -> str:
    """SDPA's bool mask as Where(mask, 0, finfo.min), made once for all layers."""
    kind, m = mask
    if kind == "add":
        return m
    scope = "/model"
    return g.op("Where", [m, g.scalar(0.0, scope), g.scalar(FLOAT_MIN, scope)], scope)


def dynamo_linear(g: GraphBuilder, x: str, w: dict, name: str, scope: str, bias: bool = False) -> str:
    """nn.Linear: MatMul with the transposed copy the exporter folds, then Add bias."""
    y = g.op("MatMul", [x, g.param(f"{name}.weight", w[f"{name}.weight"])], scope)
    if bias:
        y = g.op("Add", [y, g.param(f"{name}.bias", w[f"{name}.bias"])], scope)
    return y


def dynamo_rms_norm(g: GraphBuilder, x: str, weight: str, eps: float, scope: str) -> str:
    """Pow 2, ReduceMean, Add eps, Sqrt, Reciprocal (rsqrt), Mul, weight * x."""
    variance = g.reduce("ReduceMean", g.op("Pow", [x, g.scalar(2.0, scope)], scope), [-1], scope, keepdims=1)
    inv = g.op("Reciprocal", [g.op("Sqrt", [g.op("Add", [variance, g.scalar(eps, scope)], scope)], scope)], scope)
    return g.op("Mul", [weight, g.op("Mul", [x, inv], scope)], scope)


def dynamo_rotary_tables(g: GraphBuilder, cfg: Config, arange: str | None, position_ids: str | None) -> tuple:
    """cos/sin [1, 1, S, D]: folded tables, or inv_freq * positions (Mul, not
    MatMul, once the exporter has simplified the [D/2, 1] @ [1, S] product),
    Concat(freqs, freqs), Cos / Sin, Unsqueeze(1)."""
    scope = "/model/rotary_emb"
    if not cfg.dynamic and not cfg.past_kv:  # with --past-kv the positions are an input
        freqs = np.arange(cfg.seq, dtype=np.float32)[:, None] * rope_inv_freq(cfg.head_dim)[None, :]
        emb = np.concatenate([freqs, freqs], axis=-1)[None, None]
        return (g.param("unsqueeze_cos", np.cos(emb).astype(np.float32)),
                g.param("unsqueeze_sin", np.sin(emb).astype(np.float32)))
    inv_freq = g.param("model.model.rotary_emb.inv_freq", rope_inv_freq(cfg.head_dim))
    positions = (g.unsqueeze(position_ids, [2], scope) if position_ids is not None
                 else g.unsqueeze(arange, [0, 2], scope))
    freqs = g.op("Mul", [g.op("Cast", [positions], scope, to=FLOAT), inv_freq], scope)
    emb = g.op("Concat", [freqs, freqs], scope, axis=-1)
    cos, sin = g.op("Cos", [emb], scope), g.op("Sin", [emb], scope)
    return g.unsqueeze(cos, [1], scope), g.unsqueeze(sin, [1], scope)


def dynamo_rope(g: GraphBuilder, x: str, cos: str, sin: str, head_dim: int, scope: str) -> str:
    """x * cos + cat(-x[..., D/2:], x[..., :D/2]) * sin, slices with explicit axis 3 and step 1."""
    half = head_dim // 2
    x_cos = g.op("Mul", [x, cos], scope)
    x1 = g.slice(x, [0], [half], [3], scope, steps=[1])
    x2 = g.slice(x, [half], [INT64_MAX], [3], scope, steps=[1])
    rotated = g.op("Concat", [g.op("Neg", [x2], scope), x1], scope, axis=-1)
    return g.op("Add", [x_cos, g.op("Mul", [rotated, sin], scope)], scope)


def dynamo_heads(g: GraphBuilder, x: str, sz: DynamoSizes, head_dim: int, scope: str) -> str:
    """view(B, S, -1, D).transpose(1, 2): Reshape (allowzero=1), Transpose."""
    shape = g.shape_tensor([sz.b, sz.s, -1, head_dim], scope)
    return g.op("Transpose", [g.op("Reshape", [x, shape], scope, allowzero=1)], scope, perm=[0, 2, 1, 3])


def dynamo_sdpa(g: GraphBuilder, cfg: Config, q: str, k: str, v: str, mask: str, sz: DynamoSizes,
                heads: int, kv_heads: int, scope: str, kv=None) -> str:
    """repeat_kv and torch's SDPA decomposition: the keys go through 3-D
    ([B*H, S, D], transposed, reshaped to [B, H, D, S]), q and k^T are each
    scaled by sqrt(1/sqrt(D)), the additive mask (see dynamo_additive_mask)
    is added, and the probabilities are guarded by Where(IsNaN(p), 0, p).
    `kv` is the key length when it is not S (a decode step: P + S)."""
    hd, n_rep = cfg.head_dim, heads // kv_heads
    b, s = sz.b, (sz.s if kv is None else kv)
    if n_rep > 1:
        expand = g.shape_tensor([b, kv_heads, n_rep, s, hd], scope)
        k = g.op("Expand", [g.unsqueeze(k, [2], scope), expand], scope)
        v = g.op("Expand", [g.unsqueeze(v, [2], scope), expand], scope)
        v = g.op("Reshape", [v, g.shape_tensor([b, heads, s, hd], scope)], scope, allowzero=1)
    if cfg.dynamic:
        if n_rep > 1:
            k = g.op("Reshape", [k, g.shape_tensor([b, heads, s, hd], scope)], scope, allowzero=1)
        shape = g.op("Shape", [k], scope, start=0)
        last = g.slice(shape, [-1], [INT64_MAX], [0], scope)
        second = g.slice(shape, [-2], [-1], [0], scope)
        leading = g.slice(shape, [-(2 ** 63)], [-2], [0], scope)
        k3 = g.op("Reshape", [k, g.op("Concat", [g.ints([-1], scope), second, last], scope, axis=0)], scope,
                  allowzero=0)
        k_t = g.op("Transpose", [k3], scope, perm=[0, 2, 1])
        k_t = g.op("Reshape", [k_t, g.op("Concat", [leading, last, second], scope, axis=0)], scope, allowzero=0)
    else:
        k3 = g.op("Reshape", [k, g.ints([cfg.batch * heads if n_rep > 1 else -1, s, hd], scope)], scope)
        k_t = g.op("Transpose", [k3], scope, perm=[0, 2, 1])
        k_t = g.op("Reshape", [k_t, g.ints([cfg.batch, heads, hd, s], scope)], scope, allowzero=0)
    sqrt_scale = g.scalar(math.sqrt(1.0 / math.sqrt(hd)), scope)
    q = g.op("Mul", [q, sqrt_scale], scope)
    k_t = g.op("Mul", [k_t, sqrt_scale], scope)
    zero = g.scalar(0.0, scope)
    scores = g.op("Add", [g.op("MatMul", [q, k_t], scope), mask], scope)
    probs = g.op("Softmax", [scores], scope, axis=-1)
    probs = g.op("Where", [g.op("IsNaN", [probs], scope), zero, probs], scope)
    return g.op("MatMul", [probs, v], scope)


def dynamo_merge_heads(g: GraphBuilder, x: str, sz: DynamoSizes, scope: str) -> str:
    x = g.op("Transpose", [x], scope, perm=[0, 2, 1, 3])
    return g.op("Reshape", [x, g.shape_tensor([sz.b, sz.s, -1], scope)], scope, allowzero=1)


def dynamo_token_inputs(g: GraphBuilder, cfg: Config) -> None:
    token_inputs(g, cfg, ["input_ids"] + (["attention_mask"] if cfg.with_mask else []), token_samplers(cfg))


def dynamo_decoder(cfg: Config, w: dict, name: str, doc: str, *, fused: bool = False, qkv_bias: bool = False,
                   window: int | None = None) -> Generated:
    """The transformers 5 Llama skeleton (Llama, Qwen2, Mistral, Phi-3).

    With --past-kv, a decode step with a DynamicCache: the rotary tables come
    from the position_ids input, the mask from cache_position P..P+S-1 (folded
    when static), and cat(past, new, dim=-2) gives present.*."""
    g = GraphBuilder(cfg.opset or 18, weights=w)
    if cfg.past_kv:
        past_kv_inputs(g, cfg, cfg.kv_heads)
    else:
        dynamo_token_inputs(g, cfg)
    eps, hd = 1e-6, cfg.head_dim
    sz = dynamo_sizes(g, cfg, "attention_mask" if cfg.with_mask else "input_ids")
    x = g.op("Gather", [g.param("model.model.embed_tokens.weight", w["model.embed_tokens.weight"]), "input_ids"],
             "/model/embed_tokens", axis=0)
    arange = position_ids = past = None
    if cfg.past_kv:
        past = dynamo_past(g, cfg, sz)
        position_ids = "position_ids"
    elif cfg.dynamic:
        arange = g.op("Range", [g.ints(0, "/model"), sz.s_scalar, g.ints(1, "/model")], "/model")
        if not cfg.with_mask:
            # position_ids = cache_position.unsqueeze(0).expand(B, -1)
            position_ids = g.op("Expand", [g.unsqueeze(arange, [0], "/model"),
                                           g.op("Concat", [sz.b, g.ints([1], "/model")], "/model", axis=0)],
                                "/model")
    builder = DynamoMaskBuilder(g, cfg, sz, window=window)
    mask = dynamo_additive_mask(g, builder.build_past(past) if past else builder.build(arange, position_ids))
    cos, sin = dynamo_rotary_tables(g, cfg, arange, position_ids)
    q_width, kv_width = cfg.heads * hd, cfg.kv_heads * hd
    for i in range(cfg.layers):
        p, scope = f"model.layers.{i}", f"/model/layers.{i}"
        attn = f"{scope}/self_attn"
        h = dynamo_rms_norm(g, x, g.param(f"model.{p}.input_layernorm.weight", w[f"{p}.input_layernorm.weight"]),
                            eps, f"{scope}/input_layernorm")
        if fused:
            qkv = dynamo_linear(g, h, w, f"{p}.self_attn.qkv_proj", f"{attn}/qkv_proj")
            q = g.slice(qkv, [0], [q_width], [2], attn, steps=[1])
            k = g.slice(qkv, [q_width], [q_width + kv_width], [2], attn, steps=[1])
            v = g.slice(qkv, [q_width + kv_width], [INT64_MAX], [2], attn, steps=[1])
        else:
            q, k, v = (dynamo_linear(g, h, w, f"{p}.self_attn.{n}_proj", f"{attn}/{n}_proj", bias=qkv_bias)
                       for n in "qkv")
        q, k, v = (dynamo_heads(g, t, sz, hd, attn) for t in (q, k, v))
        q = dynamo_rope(g, q, cos, sin, hd, attn)
        k = dynamo_rope(g, k, cos, sin, hd, attn)
        if past:
            k, v = cache_update(g, i, k, v, attn, axis=-2)
        out = dynamo_sdpa(g, cfg, q, k, v, mask, sz, cfg.heads, cfg.kv_heads, attn,
                          kv=past.t if past else None)
        out = dynamo_linear(g, dynamo_merge_heads(g, out, sz, attn), w, f"{p}.self_attn.o_proj", f"{attn}/o_proj")
        x = g.op("Add", [x, out], scope)
        h = dynamo_rms_norm(g, x, g.param(f"model.{p}.post_attention_layernorm.weight",
                                          w[f"{p}.post_attention_layernorm.weight"]),
                            eps, f"{scope}/post_attention_layernorm")
        mlp = f"{scope}/mlp"
        if fused:
            gate, up = g.op("Split", [dynamo_linear(g, h, w, f"{p}.mlp.gate_up_proj", f"{mlp}/gate_up_proj")],
                            mlp, n_out=2, axis=2, num_outputs=2)
            h = g.op("Mul", [up, g.op("Mul", [gate, g.op("Sigmoid", [gate], mlp)], mlp)], mlp)
        else:
            gate = dynamo_linear(g, h, w, f"{p}.mlp.gate_proj", f"{mlp}/gate_proj")
            act = g.op("Mul", [gate, g.op("Sigmoid", [gate], mlp)], mlp)
            h = g.op("Mul", [act, dynamo_linear(g, h, w, f"{p}.mlp.up_proj", f"{mlp}/up_proj")], mlp)
        x = g.op("Add", [x, dynamo_linear(g, h, w, f"{p}.mlp.down_proj", f"{mlp}/down_proj")], scope)
    x = dynamo_rms_norm(g, x, g.param("model.model.norm.weight", w["model.norm.weight"]), eps, "/model/norm")
    g.op("MatMul", [x, g.param("model.lm_head.weight", w["lm_head.weight"])], "/lm_head", outputs=["logits"])
    if past:
        past_kv_outputs(g, cfg, cfg.kv_heads)
        g.prune()  # the batch size's scalar is unused
    else:
        g.output("logits", FLOAT, [BATCH, SEQUENCE, cfg.vocab] if cfg.dynamic else [cfg.batch, cfg.seq, cfg.vocab])
    return g.generated(cfg, "main_graph", doc, name)


def dynamo_gemm(g: GraphBuilder, x: str, w: dict, name: str, sz: DynamoSizes, width: int, scope: str) -> str:
    """GPT-2's Conv1D as addmm: Reshape [-1, K], Gemm with the [K, N] weight and bias, Reshape [B, S, N]."""
    k = w[f"{name}.weight"].shape[0]
    flat = g.op("Reshape", [x, g.ints([-1, k], scope)], scope, allowzero=1)
    y = g.op("Gemm", [flat, g.param(f"model.{name}.weight", w[f"{name}.weight"]),
                      g.param(f"model.{name}.bias", w[f"{name}.bias"])], scope,
             alpha=1.0, beta=1.0, transA=0, transB=0)
    return g.op("Reshape", [y, g.shape_tensor([sz.b, sz.s, width], scope)], scope, allowzero=1)


def dynamo_layer_norm(g: GraphBuilder, x: str, w: dict, name: str, eps: float, scope: str,
                      out: str | None = None) -> str:
    return g.op("LayerNormalization", [x, g.param(f"model.{name}.weight", w[f"{name}.weight"]),
                                       g.param(f"model.{name}.bias", w[f"{name}.bias"])],
                scope, outputs=[out] if out else None, axis=-1, epsilon=eps, stash_type=1)


def build_llama_dynamo(cfg: Config, weights: dict | None = None) -> Generated:
    """Llama as torch.onnx.export(dynamo=True) writes transformers 5's
    LlamaForCausalLM: vmap-built bool masks (GatherND on index grids), rotary
    tables from inv_freq * positions, repeat_kv feeding SDPA's 3-D key path,
    the IsNaN guard; static exports carry the folded masks and tables."""
    return dynamo_decoder(cfg, weights or llama_weights(cfg), "llama-dynamo", build_llama_dynamo.__doc__)


def build_qwen2_dynamo(cfg: Config, weights: dict | None = None) -> Generated:
    """Qwen2 (dynamo): llama-dynamo with q/k/v biases."""
    return dynamo_decoder(cfg, weights or llama_weights(cfg), "qwen2-dynamo", build_qwen2_dynamo.__doc__,
                          qkv_bias=True)


def default_window(cfg: Config) -> int:
    """--window, else half the sequence (with --past-kv, half of past + sequence)."""
    return cfg.window or max(1, (cfg.seq + (cfg.past if cfg.past_kv else 0)) // 2)


def build_mistral_dynamo(cfg: Config, weights: dict | None = None) -> Generated:
    """Mistral (dynamo): llama-dynamo with the sliding-window overlay (kv > q - window)."""
    window = default_window(cfg)
    return dynamo_decoder(cfg, weights or llama_weights(cfg), "mistral-dynamo", build_mistral_dynamo.__doc__,
                          window=window)


def build_phi3_dynamo(cfg: Config, weights: dict | None = None) -> Generated:
    """Phi-3 (dynamo): llama-dynamo with qkv_proj sliced (axis 2) and gate_up_proj Split in two."""
    return dynamo_decoder(cfg, phi3_weights(cfg, weights), "phi3-dynamo", build_phi3_dynamo.__doc__, fused=True)


def build_gpt2_dynamo(cfg: Config, weights: dict | None = None) -> Generated:
    """GPT-2 (dynamo): Conv1D as Reshape / Gemm / Reshape, Split(num_outputs=3),
    the vmap causal (+ padding) mask, SDPA with the 3-D key path and IsNaN guard,
    gelu_new, and the LM head tied to wte."""
    w = weights or gpt2_weights(cfg)
    g = GraphBuilder(cfg.opset or 18, weights=w)
    if cfg.past_kv:
        past_kv_inputs(g, cfg, cfg.heads)
    else:
        dynamo_token_inputs(g, cfg)
    d, eps = cfg.hidden, 1e-5
    sz = dynamo_sizes(g, cfg, "attention_mask" if cfg.with_mask else "input_ids")
    scope = "/model/transformer"
    ids = g.op("Reshape", ["input_ids", g.shape_tensor([-1, sz.s], scope)], scope, allowzero=1)
    wte = g.param("model.lm_head.weight", w["transformer.wte.weight"])
    x = g.op("Gather", [wte, ids], f"{scope}/wte", axis=0)
    past = dynamo_past(g, cfg, sz) if cfg.past_kv else None
    if past:
        arange, positions = None, "position_ids"
    elif cfg.dynamic:
        arange = g.op("Range", [g.ints(0, scope), sz.s_scalar, g.ints(1, scope)], scope)
        positions = g.unsqueeze(arange, [0], scope)
    else:
        arange, positions = None, g.param("unsqueeze", np.arange(cfg.seq, dtype=np.int64)[None])
    wpe = g.param("model.transformer.wpe.weight", w["transformer.wpe.weight"])
    x = g.op("Add", [x, g.op("Gather", [wpe, positions], f"{scope}/wpe", axis=0)], scope)
    position_ids = None
    if cfg.dynamic and not cfg.with_mask and not past:
        position_ids = g.op("Expand", [positions, g.op("Concat", [sz.b, g.ints([1], scope)], scope, axis=0)], scope)
    attention_mask = "attention_mask"
    if cfg.with_mask:  # attention_mask.view(batch_size, -1)
        attention_mask = g.op("Reshape", [attention_mask, g.shape_tensor([sz.b, -1], scope)], scope, allowzero=1)
    builder = DynamoMaskBuilder(g, cfg, sz, attention_mask=attention_mask)
    mask = dynamo_additive_mask(g, builder.build_past(past) if past else builder.build(arange, position_ids))
    for i in range(cfg.layers):
        p, scope = f"transformer.h.{i}", f"/model/transformer/h.{i}"
        attn = f"{scope}/attn"
        h = dynamo_layer_norm(g, x, w, f"{p}.ln_1", eps, f"{scope}/ln_1")
        qkv = dynamo_gemm(g, h, w, f"{p}.attn.c_attn", sz, 3 * d, f"{attn}/c_attn")
        q, k, v = g.op("Split", [qkv], attn, n_out=3, axis=2, num_outputs=3)
        q, k, v = (dynamo_heads(g, t, sz, cfg.head_dim, attn) for t in (q, k, v))
        if past:
            k, v = cache_update(g, i, k, v, attn, axis=-2)
        out = dynamo_sdpa(g, cfg, q, k, v, mask, sz, cfg.heads, cfg.heads, attn,
                          kv=past.t if past else None)
        out = dynamo_merge_heads(g, out, sz, attn)
        x = g.op("Add", [dynamo_gemm(g, out, w, f"{p}.attn.c_proj", sz, d, f"{attn}/c_proj"), x], scope)
        h = dynamo_layer_norm(g, x, w, f"{p}.ln_2", eps, f"{scope}/ln_2")
        h = gelu_tanh(g, dynamo_gemm(g, h, w, f"{p}.mlp.c_fc", sz, cfg.intermediate, f"{scope}/mlp/c_fc"),
                      f"{scope}/mlp/act")
        x = g.op("Add", [x, dynamo_gemm(g, h, w, f"{p}.mlp.c_proj", sz, d, f"{scope}/mlp/c_proj")], scope)
    x = dynamo_layer_norm(g, x, w, "transformer.ln_f", eps, "/model/transformer/ln_f")
    x = g.op("Reshape", [x, g.shape_tensor([-1, sz.s, d], "/model")], "/model", allowzero=1)
    lm_head = g.param("val_lm_head_t", w["transformer.wte.weight"].T.copy())
    g.op("MatMul", [x, lm_head], "/lm_head", outputs=["logits"])
    if past:
        past_kv_outputs(g, cfg, cfg.heads)
        g.prune()  # the batch size's scalar is unused
    else:
        g.output("logits", FLOAT, [BATCH, SEQUENCE, cfg.vocab] if cfg.dynamic else [cfg.batch, cfg.seq, cfg.vocab])
    return g.generated(cfg, "main_graph", build_gpt2_dynamo.__doc__, "gpt2-dynamo")


def build_bert_dynamo(cfg: Config, weights: dict | None = None) -> Generated:
    """BertModel (dynamo), without token_type_ids (the buffered zeros are
    gathered): LayerNormalization, the bidirectional vmap mask (q >= 0, and
    padding with --with-mask), SDPA with the 3-D key path and IsNaN guard,
    erf GELU, pooler as Gather + Gemm(transB=1)."""
    w = weights or bert_weights(cfg)
    g = GraphBuilder(cfg.opset or 18, weights=w)
    dynamo_token_inputs(g, cfg)
    d, eps = cfg.hidden, 1e-12
    sz = dynamo_sizes(g, cfg, "attention_mask" if cfg.with_mask else "input_ids")
    scope = "/model/embeddings"
    position_ids = g.slice(g.param("model.embeddings.position_ids", w["embeddings.position_ids"]), [0],
                           sz.s if cfg.dynamic else [cfg.seq], [1], scope, steps=[1])
    token_types = np.zeros((1, cfg.max_pos), dtype=np.int64)  # the registered token_type_ids buffer
    types = g.op("GatherElements", [g.param("expand", token_types), position_ids], scope, axis=1)
    types = g.op("Expand", [types, g.shape_tensor([sz.b, sz.s], scope)], scope)
    x = g.op("Gather", [g.param("model.embeddings.word_embeddings.weight", w["embeddings.word_embeddings.weight"]),
                        "input_ids"], f"{scope}/word_embeddings", axis=0)
    x = g.op("Add", [x, g.op("Gather", [g.param("model.embeddings.token_type_embeddings.weight",
                                                 w["embeddings.token_type_embeddings.weight"]), types],
                              f"{scope}/token_type_embeddings", axis=0)], scope)
    x = g.op("Add", [x, g.op("Gather", [g.param("model.embeddings.position_embeddings.weight",
                                                 w["embeddings.position_embeddings.weight"]), position_ids],
                              f"{scope}/position_embeddings", axis=0)], scope)
    x = dynamo_layer_norm(g, x, w, "embeddings.LayerNorm", eps, f"{scope}/LayerNorm")
    arange = None
    if cfg.dynamic:
        arange = g.op("Range", [g.ints(0, "/model"), sz.s_scalar, g.ints(1, "/model")], "/model")
    mask = dynamo_additive_mask(g, DynamoMaskBuilder(g, cfg, sz, causal=False).build(arange))
    for i in range(cfg.layers):
        p, scope = f"encoder.layer.{i}", f"/model/encoder/layer.{i}"
        attn = f"{scope}/attention/self"
        q, k, v = (dynamo_heads(g, dynamo_linear(g, x, w, f"{p}.attention.self.{n}", f"{attn}/{n}", bias=True),
                                sz, cfg.head_dim, attn) for n in ("query", "key", "value"))
        out = dynamo_merge_heads(g, dynamo_sdpa(g, cfg, q, k, v, mask, sz, cfg.heads, cfg.heads, attn), sz, attn)
        out = dynamo_linear(g, out, w, f"{p}.attention.output.dense", f"{scope}/attention/output/dense", bias=True)
        x = dynamo_layer_norm(g, g.op("Add", [out, x], f"{scope}/attention/output"), w,
                              f"{p}.attention.output.LayerNorm", eps, f"{scope}/attention/output/LayerNorm")
        h = dynamo_linear(g, x, w, f"{p}.intermediate.dense", f"{scope}/intermediate/dense", bias=True)
        h = gelu_erf(g, h, f"{scope}/intermediate/intermediate_act_fn")
        h = dynamo_linear(g, h, w, f"{p}.output.dense", f"{scope}/output/dense", bias=True)
        x = dynamo_layer_norm(g, g.op("Add", [h, x], f"{scope}/output"), w, f"{p}.output.LayerNorm", eps,
                              f"{scope}/output/LayerNorm", out="last_hidden_state" if i == cfg.layers - 1 else None)
    first = g.op("Gather", [x, g.ints(0, "/model/pooler")], "/model/pooler", axis=1)
    pooled = g.op("Gemm", [first, g.param("model.pooler.dense.weight", w["pooler.dense.weight"].T.copy()),
                           g.param("model.pooler.dense.bias", w["pooler.dense.bias"])], "/model/pooler/dense",
                  alpha=1.0, beta=1.0, transA=0, transB=1)
    g.op("Tanh", [pooled], "/model/pooler/activation", outputs=["pooler_output"])
    b, s = (BATCH, SEQUENCE) if cfg.dynamic else (cfg.batch, cfg.seq)
    g.output("last_hidden_state", FLOAT, [b, s, d])
    g.output("pooler_output", FLOAT, [b, d])
    return g.generated(cfg, "main_graph", build_bert_dynamo.__doc__, "bert-dynamo")


def ts_sdpa_padding(g: GraphBuilder, cfg: Config, positions: str, b, s, scope: str) -> str:
    """The TorchScript form of transformers 5's causal + padding mask: the
    padding term gathers the flattened mask at batch * S + kv."""
    am = g.op("Cast", [g.reshape("attention_mask", [b, -1], scope)], scope, to=BOOL)
    mask_len = g.op("Gather", [g.op("Shape", [am], scope), g.ints([1], scope)], scope, axis=0)
    if cfg.dynamic:
        batch = g.op("Range", [g.ints(0, scope), g.op("Cast", [g.size("input_ids", 0, scope)], scope, to=INT64),
                               g.ints(1, scope)], scope)
        batch_index = g.unsqueeze(g.unsqueeze(g.unsqueeze(batch, [1], scope), [2], scope), [3], scope)
        q_index = g.unsqueeze(g.unsqueeze(positions, [1], scope), [3], scope)
        keys = g.op("Range", [g.ints(0, scope), g.op("Cast", [g.squeeze(mask_len, [0], scope)], scope, to=INT64),
                              g.ints(1, scope)], scope)
        kv_index = g.unsqueeze(g.unsqueeze(g.unsqueeze(keys, [0], scope), [1], scope), [2], scope)
    else:
        batch_index = g.ints(np.arange(cfg.batch).reshape(-1, 1, 1, 1).tolist(), scope)
        q_index = g.ints(np.arange(cfg.seq).reshape(1, 1, -1, 1).tolist(), scope)
        kv_index = g.ints(np.arange(cfg.seq).reshape(1, 1, 1, -1).tolist(), scope)
    true = g.op("ConstantOfShape", [g.ints([], scope)], scope, value=numpy_helper.from_array(np.array([True])))
    causal = g.op("Cast", [g.op("LessOrEqual", [kv_index, q_index], scope)], scope, to=BOOL)
    allowed = g.op("And", [true, causal], scope)
    flat = g.op("Flatten", [am], scope, axis=2)
    index = g.op("Add", [kv_index, g.op("Mul", [batch_index, mask_len], scope)], scope)
    padding = g.op("Gather", [flat, index], scope)
    padding = g.op("Reshape", [g.op("Reshape", [padding, g.ints([-1], scope)], scope),
                               g.op("Concat", [g.op("Shape", [index], scope)], scope, axis=0)], scope)
    allowed = g.op("And", [allowed, g.op("Cast", [padding], scope, to=BOOL)], scope)
    # expand(B, -1, S, S): TorchScript resolves the -1 with Equal / Where.
    target = g.shape_tensor([b, -1, s, s], scope)
    ones = g.op("ConstantOfShape", [g.ints([4], scope)], scope, value=numpy_helper.from_array(np.array([1])))
    is_keep = g.op("Equal", [target, g.op("Mul", [ones, g.ints(-1, scope)], scope)], scope)
    return g.op("Expand", [allowed, g.op("Where", [is_keep, ones, target], scope)], scope)


def build_gpt2_ts_sdpa(cfg: Config, weights: dict | None = None) -> Generated:
    """GPT-2 as the TorchScript exporter (dynamo=False, opset 17) writes
    transformers 5's SDPA attention (export it with attention_mask: without one
    the exporter fails on aten::diff): Conv1D as Reshape / Gemm / Reshape, the
    padding mask gathered from Flatten(mask) at batch * S + kv, keys transposed
    by [0, 2, 3, 1], q and k^T scaled by sqrt(1/sqrt(D)), Where(mask, 0, -inf),
    the IsNaN guard."""
    w = weights or gpt2_weights(cfg)
    g = GraphBuilder(cfg.opset or 17, weights=w, constant_nodes=True)
    dynamo_token_inputs(g, cfg)
    d, hd, eps = cfg.hidden, cfg.head_dim, 1e-5
    scope = "/model/transformer"
    b, s = batch_and_seq(g, cfg, "input_ids", scope)
    ids = g.reshape("input_ids", [-1, s], scope)
    x = g.op("Gather", [g.weight("transformer.wte.weight"), ids], f"{scope}/wte")
    if cfg.dynamic:
        seq = g.op("Cast", [g.size(x, 1, scope)], scope, to=INT64)
        positions = g.unsqueeze(g.op("Range", [g.ints(0, scope), seq, g.ints(1, scope)], scope), [0], scope)
    else:
        positions = g.ints([list(range(cfg.seq))], scope)
    pos_emb = g.op("Gather", [g.weight("transformer.wpe.weight"), positions], f"{scope}/wpe")
    x = g.op("Add", [x, g.op("Cast", [pos_emb], scope, to=FLOAT)], scope)
    allowed = ts_sdpa_padding(g, cfg, positions, b, s, scope) if cfg.with_mask else None

    def conv1d(x: str, name: str, width: int, scope: str) -> str:
        k = w[f"{name}.weight"].shape[0]
        y = g.op("Gemm", [g.reshape(x, [-1, k], scope), g.weight(f"{name}.weight"), g.weight(f"{name}.bias")],
                 scope, alpha=1.0, beta=1.0)
        return g.reshape(y, [b, s, width], scope)

    for i in range(cfg.layers):
        p, scope = f"transformer.h.{i}", f"/model/transformer/h.{i}"
        attn = f"{scope}/attn"
        h = layer_norm(g, x, g.weight(f"{p}.ln_1.weight"), g.weight(f"{p}.ln_1.bias"), eps, f"{scope}/ln_1", False)
        q, k, v = g.split(conv1d(h, f"{p}.attn.c_attn", 3 * d, f"{attn}/c_attn"), [d, d, d], 2, attn)
        k = g.op("Transpose", [g.reshape(k, [b, s, -1, hd], attn)], attn, perm=[0, 2, 3, 1])
        v = g.op("Transpose", [g.reshape(v, [b, s, -1, hd], attn)], attn, perm=[0, 2, 1, 3])
        q = g.op("Transpose", [g.reshape(q, [b, s, -1, hd], attn)], attn, perm=[0, 2, 1, 3])
        sqrt_scale = math.sqrt(1.0 / math.sqrt(hd))
        scores = g.op("MatMul", [g.op("Mul", [q, g.scalar(sqrt_scale, attn)], attn),
                                 g.op("Mul", [k, g.scalar(sqrt_scale, attn)], attn)], attn)
        if allowed is not None:
            additive = g.op("Where", [allowed, g.const([0.0], attn), g.const([-np.inf], attn)], attn)
            scores = g.op("Add", [scores, additive], attn)
        else:
            causal = np.where(np.tril(np.ones((cfg.seq, cfg.seq), bool)), 0.0, -np.inf)
            scores = g.op("Add", [scores, g.const(causal, attn)], attn)
        probs = g.op("Softmax", [scores], attn, axis=-1)
        probs = g.op("Where", [g.op("IsNaN", [probs], attn), g.const([0.0], attn), probs], attn)
        out = g.reshape(g.op("MatMul", [probs, v], attn), [b, -1, s, hd], attn)
        out = g.reshape(g.op("Transpose", [out], attn, perm=[0, 2, 1, 3]), [b, s, -1], attn)
        x = g.op("Add", [conv1d(out, f"{p}.attn.c_proj", d, f"{attn}/c_proj"), x], scope)
        h = layer_norm(g, x, g.weight(f"{p}.ln_2.weight"), g.weight(f"{p}.ln_2.bias"), eps, f"{scope}/ln_2", False)
        h = gelu_tanh(g, conv1d(h, f"{p}.mlp.c_fc", cfg.intermediate, f"{scope}/mlp/c_fc"), f"{scope}/mlp/act")
        x = g.op("Add", [x, conv1d(h, f"{p}.mlp.c_proj", d, f"{scope}/mlp/c_proj")], scope)
    x = layer_norm(g, x, g.weight("transformer.ln_f.weight"), g.weight("transformer.ln_f.bias"), eps,
                   "/model/transformer/ln_f", False)
    x = g.reshape(x, [-1, s, d], "/model/transformer")
    lm_head = g.param("onnx::MatMul_lm_head", w["transformer.wte.weight"].T.copy())
    g.op("MatMul", [x, lm_head], "/model/lm_head", outputs=["logits"])
    g.output("logits", FLOAT, [BATCH, SEQUENCE, cfg.vocab] if cfg.dynamic else [cfg.batch, cfg.seq, cfg.vocab])
    return g.generated(cfg, "main_graph", build_gpt2_ts_sdpa.__doc__, "gpt2-ts-sdpa")


# --------------------------------------------------------------------------
# Model builders
# --------------------------------------------------------------------------


def build_llama(cfg: Config, weights: dict | None = None) -> Generated:
    """Llama (dynamo style, opset 18): decomposed RMSNorm, in-graph RoPE and causal
    mask, GQA repeat_kv, SDPA decomposition, SwiGLU MLP."""
    return hf_decoder(cfg, weights or llama_weights(cfg), "llama", build_llama.__doc__)


def build_qwen2(cfg: Config, weights: dict | None = None) -> Generated:
    """Qwen2: Llama with a bias Add after the q/k/v MatMuls."""
    return hf_decoder(cfg, weights or llama_weights(cfg), "qwen2", build_qwen2.__doc__,
                      project=functools.partial(separate_qkv, bias=True))


def build_mistral(cfg: Config, weights: dict | None = None) -> Generated:
    """Mistral: Llama with a sliding-window causal mask (j <= i and i - j < --window)."""
    window = default_window(cfg)
    return hf_decoder(cfg, weights or llama_weights(cfg), "mistral", build_mistral.__doc__, window=window)


def build_phi3(cfg: Config, weights: dict | None = None) -> Generated:
    """Phi-3: Llama with fused qkv_proj and gate_up_proj MatMuls split by Slice."""
    return hf_decoder(cfg, phi3_weights(cfg, weights), "phi3", build_phi3.__doc__, project=fused_qkv,
                      mlp=fused_swiglu_mlp)


def build_gpt2(cfg: Config, weights: dict | None = None) -> Generated:
    """GPT-2 (TorchScript style, opset 17): learned positions, LayerNormalization
    (or its decomposition with --decomposed-ln), Conv1D c_attn + Split, causal
    mask sliced from the `bias` buffer + Where, gelu_new, lm_head tied to wte."""
    g = GraphBuilder(cfg.opset or 17, weights=weights or gpt2_weights(cfg), constant_nodes=True)
    if cfg.past_kv:
        past_kv_inputs(g, cfg, cfg.heads)
    else:
        token_inputs(g, cfg, ["input_ids"] + (["attention_mask"] if cfg.with_mask else []), token_samplers(cfg))
    d, hd, eps = cfg.hidden, cfg.head_dim, 1e-5
    ln = functools.partial(layer_norm, g, eps=eps, decomposed=cfg.decomposed_ln)

    scope = "/transformer"
    if cfg.past_kv:
        position_ids = "position_ids"
    else:
        positions = arange(g, seq_scalar(g, cfg, "input_ids", scope), scope)
        position_ids = g.unsqueeze(positions, [0], scope)
    x = g.op("Gather", [g.weight("transformer.wte.weight"), "input_ids"], f"{scope}/wte", axis=0)
    x = g.op("Add", [x, g.op("Gather", [g.weight("transformer.wpe.weight"), position_ids], f"{scope}/wpe", axis=0)],
             scope)
    padding = additive_padding_mask(g, "attention_mask", scope) if cfg.with_mask else None

    for i in range(cfg.layers):
        p, scope = f"transformer.h.{i}", f"/transformer/h.{i}"
        h = ln(x, g.weight(f"{p}.ln_1.weight"), g.weight(f"{p}.ln_1.bias"), scope=f"{scope}/ln_1")
        attn = f"{scope}/attn"
        b, s = batch_and_seq(g, cfg, h, attn)
        q, k, v = g.split(linear(g, h, f"{p}.attn.c_attn", f"{attn}/c_attn"), [d, d, d], 2, attn)
        q, k, v = (split_heads(g, t, b, s, cfg.heads, hd, attn) for t in (q, k, v))
        if cfg.past_kv:  # key = torch.cat((past_key, key), dim=-2); present = (key, value)
            k, v = cache_update(g, i, k, v, attn, axis=-2)
        scores = g.op("MatMul", [q, g.op("Transpose", [k], attn, perm=[0, 1, 3, 2])], attn)
        scores = g.op("Div", [scores, g.scalar(math.sqrt(hd), attn)], attn)
        # causal_mask = bias[:, :, key_length - query_length : key_length, :key_length]
        if cfg.dynamic:
            q_len, k_len = g.size(q, 2, attn), g.size(k, 2, attn)
            start = g.unsqueeze(g.op("Sub", [k_len, q_len], attn), [0], attn)
            end = g.unsqueeze(k_len, [0], attn)
        else:
            start, end = [cfg.past if cfg.past_kv else 0], [cfg.past + cfg.seq if cfg.past_kv else cfg.seq]
        causal = g.slice(g.weight(f"{p}.attn.bias"), start, end, [2], attn)
        causal = g.slice(causal, [0], end, [3], attn)
        scores = g.op("Where", [causal, scores, g.scalar(FLOAT_MIN, attn)], attn)
        if padding is not None:
            scores = g.op("Add", [scores, padding], attn)
        out = g.op("MatMul", [g.op("Softmax", [scores], attn, axis=-1), v], attn)
        out = linear(g, merge_heads(g, out, b, s, d, attn), f"{p}.attn.c_proj", f"{attn}/c_proj")
        x = g.op("Add", [out, x], scope)
        h = ln(x, g.weight(f"{p}.ln_2.weight"), g.weight(f"{p}.ln_2.bias"), scope=f"{scope}/ln_2")
        h = gelu_tanh(g, linear(g, h, f"{p}.mlp.c_fc", f"{scope}/mlp/c_fc"), f"{scope}/mlp/act")
        h = linear(g, h, f"{p}.mlp.c_proj", f"{scope}/mlp/c_proj")
        x = g.op("Add", [x, h], scope)
    x = ln(x, g.weight("transformer.ln_f.weight"), g.weight("transformer.ln_f.bias"), scope="/transformer/ln_f")
    wte_t = g.op("Transpose", [g.weight("transformer.wte.weight")], "/lm_head", perm=[1, 0])
    g.op("MatMul", [x, wte_t], "/lm_head", outputs=["logits"])
    if cfg.past_kv:
        past_kv_outputs(g, cfg, cfg.heads)
    else:
        g.output("logits", FLOAT, [BATCH, SEQUENCE, cfg.vocab] if cfg.dynamic else [cfg.batch, cfg.seq, cfg.vocab])
    return g.generated(cfg, "main_graph", build_gpt2.__doc__, "gpt2")


def bert_embeddings_inputs(g: GraphBuilder, cfg: Config) -> None:
    token_inputs(g, cfg, ["input_ids", "attention_mask", "token_type_ids"], token_samplers(cfg))


def bert_pooler(g: GraphBuilder, x: str) -> None:
    """pooler_output = tanh(dense(last_hidden_state[:, 0]))."""
    first = g.op("Gather", [x, g.ints(0, "/pooler")], "/pooler", axis=1)
    pooled = linear(g, first, "pooler.dense", "/pooler/dense")
    g.op("Tanh", [pooled], "/pooler/activation", outputs=["pooler_output"])


def bert_outputs(g: GraphBuilder, cfg: Config) -> None:
    b, s = (BATCH, SEQUENCE) if cfg.dynamic else (cfg.batch, cfg.seq)
    g.output("last_hidden_state", FLOAT, [b, s, cfg.hidden])
    g.output("pooler_output", FLOAT, [b, cfg.hidden])


def build_bert(cfg: Config, weights: dict | None = None) -> Generated:
    """BERT encoder (TorchScript style, opset 17): word + position + token-type
    embeddings, post-LN layers, additive padding mask, erf GELU, pooler."""
    g = GraphBuilder(cfg.opset or 17, weights=weights or bert_weights(cfg), constant_nodes=True)
    bert_embeddings_inputs(g, cfg)
    d, hd, eps = cfg.hidden, cfg.head_dim, 1e-12
    ln = functools.partial(layer_norm, g, eps=eps, decomposed=cfg.decomposed_ln)

    mask = additive_padding_mask(g, "attention_mask", "")
    scope = "/embeddings"
    position_ids = g.slice(g.weight("embeddings.position_ids"), [0],
                           g.unsqueeze(seq_scalar(g, cfg, "input_ids", scope), [0], scope), [1], scope)
    x = g.op("Gather", [g.weight("embeddings.word_embeddings.weight"), "input_ids"], f"{scope}/word_embeddings",
             axis=0)
    types = g.op("Gather", [g.weight("embeddings.token_type_embeddings.weight"), "token_type_ids"],
                 f"{scope}/token_type_embeddings", axis=0)
    x = g.op("Add", [x, types], scope)
    positions = g.op("Gather", [g.weight("embeddings.position_embeddings.weight"), position_ids],
                     f"{scope}/position_embeddings", axis=0)
    x = g.op("Add", [x, positions], scope)
    x = ln(x, g.weight("embeddings.LayerNorm.weight"), g.weight("embeddings.LayerNorm.bias"),
           scope=f"{scope}/LayerNorm")

    for i in range(cfg.layers):
        p, scope = f"encoder.layer.{i}", f"/encoder/layer.{i}"
        attn = f"{scope}/attention/self"
        b, s = batch_and_seq(g, cfg, x, attn)
        q, k, v = (split_heads(g, linear(g, x, f"{p}.attention.self.{n}", f"{attn}/{n}"), b, s, cfg.heads, hd, attn)
                   for n in ("query", "key", "value"))
        scores = g.op("MatMul", [q, g.op("Transpose", [k], attn, perm=[0, 1, 3, 2])], attn)
        scores = g.op("Div", [scores, g.scalar(math.sqrt(hd), attn)], attn)
        scores = g.op("Add", [scores, mask], attn)
        context = g.op("MatMul", [g.op("Softmax", [scores], attn, axis=-1), v], attn)
        context = merge_heads(g, context, b, s, d, attn)
        out = linear(g, context, f"{p}.attention.output.dense", f"{scope}/attention/output/dense")
        out = g.op("Add", [out, x], f"{scope}/attention/output")
        x = ln(out, g.weight(f"{p}.attention.output.LayerNorm.weight"),
               g.weight(f"{p}.attention.output.LayerNorm.bias"), scope=f"{scope}/attention/output/LayerNorm")
        h = linear(g, x, f"{p}.intermediate.dense", f"{scope}/intermediate/dense")
        h = gelu_erf(g, h, f"{scope}/intermediate/intermediate_act_fn")
        h = linear(g, h, f"{p}.output.dense", f"{scope}/output/dense")
        h = g.op("Add", [h, x], f"{scope}/output")
        x = ln(h, g.weight(f"{p}.output.LayerNorm.weight"), g.weight(f"{p}.output.LayerNorm.bias"),
               scope=f"{scope}/output/LayerNorm", out="last_hidden_state" if i == cfg.layers - 1 else None)
    bert_pooler(g, x)
    bert_outputs(g, cfg)
    return g.generated(cfg, "main_graph", build_bert.__doc__, "bert")


def build_bert_ort(cfg: Config, weights: dict | None = None) -> Generated:
    """BERT after onnxruntime's transformer optimizer (opset 17 + com.microsoft):
    EmbedLayerNormalization, Attention (or MultiHeadAttention with
    --ort-attention) with a raw int32 mask, SkipLayerNormalization, BiasGelu (or
    FastGelu with --ort-gelu)."""
    if cfg.ort_attention not in ("Attention", "MultiHeadAttention"):
        raise ValueError("--ort-attention must be Attention or MultiHeadAttention")
    if cfg.ort_gelu not in ("BiasGelu", "FastGelu"):
        raise ValueError("--ort-gelu must be BiasGelu or FastGelu")
    w = weights or bert_weights(cfg)
    g = GraphBuilder(cfg.opset or 17, weights=w, domains={MS_DOMAIN: 1})
    bert_embeddings_inputs(g, cfg)
    eps = 1e-12

    scope = "/embeddings"
    ids, types, mask = (g.op("Cast", [name], scope, to=INT32)
                        for name in ("input_ids", "token_type_ids", "attention_mask"))
    # Its mask_index output (unused: Attention takes the raw mask) is declared as the optimizer does.
    x, _ = g.op("EmbedLayerNormalization",
                [ids, types] + [g.weight(f"embeddings.{name}") for name in (
                    "word_embeddings.weight", "position_embeddings.weight", "token_type_embeddings.weight",
                    "LayerNorm.weight", "LayerNorm.bias")],
                scope, n_out=2, domain=MS_DOMAIN, epsilon=eps)

    for i in range(cfg.layers):
        p, scope = f"encoder.layer.{i}", f"/encoder/layer.{i}"
        attn = f"{scope}/attention/self"
        names = [f"{p}.attention.self.{n}" for n in ("query", "key", "value")]
        qkv_bias = g.param(f"{p}.attention.self.qkv.bias", np.concatenate([w[f"{n}.bias"] for n in names]))
        attrs = dict(num_heads=cfg.heads, mask_filter_value=FLOAT_MIN)
        if cfg.ort_attention == "Attention":
            qkv_weight = g.param(f"{p}.attention.self.qkv.weight",
                                 np.concatenate([w[f"{n}.weight"] for n in names], axis=1))
            context = g.op("Attention", [x, qkv_weight, qkv_bias, mask], attn, domain=MS_DOMAIN, **attrs)
        else:
            q, k, v = (linear(g, x, n, f"{attn}/{n.rsplit('.', 1)[1]}", bias=False) for n in names)
            context = g.op("MultiHeadAttention", [q, k, v, qkv_bias, mask], attn, domain=MS_DOMAIN, **attrs)
        out = linear(g, context, f"{p}.attention.output.dense", f"{scope}/attention/output/dense", bias=False)
        x = g.op("SkipLayerNormalization",
                 [out, x, g.weight(f"{p}.attention.output.LayerNorm.weight"),
                  g.weight(f"{p}.attention.output.LayerNorm.bias"), g.weight(f"{p}.attention.output.dense.bias")],
                 f"{scope}/attention/output/LayerNorm", domain=MS_DOMAIN, epsilon=eps)
        h = linear(g, x, f"{p}.intermediate.dense", f"{scope}/intermediate/dense", bias=False)
        h = g.op(cfg.ort_gelu, [h, g.weight(f"{p}.intermediate.dense.bias")], f"{scope}/intermediate",
                 domain=MS_DOMAIN)
        h = linear(g, h, f"{p}.output.dense", f"{scope}/output/dense", bias=False)
        x = g.op("SkipLayerNormalization",
                 [h, x, g.weight(f"{p}.output.LayerNorm.weight"), g.weight(f"{p}.output.LayerNorm.bias"),
                  g.weight(f"{p}.output.dense.bias")],
                 f"{scope}/output/LayerNorm", domain=MS_DOMAIN, epsilon=eps,
                 outputs=["last_hidden_state"] if i == cfg.layers - 1 else None)
    bert_pooler(g, x)
    bert_outputs(g, cfg)
    return g.generated(cfg, "main_graph", build_bert_ort.__doc__, "bert-ort")


def build_llama_ort(cfg: Config, weights: dict | None = None) -> Generated:
    """Llama as onnxruntime-genai emits it (opset 17 + com.microsoft): int4
    MatMulNBits projections, SimplifiedLayerNormalization and
    SkipSimplifiedLayerNormalization, RotaryEmbedding, GroupQueryAttention with
    past_key_values.* inputs, present.* outputs and seqlens_k /
    total_sequence_length computed from attention_mask."""
    w = weights or llama_weights(cfg)
    g = GraphBuilder(cfg.opset or 17, weights=w, domains={MS_DOMAIN: 1})
    hd = cfg.head_dim
    eps = 1e-6
    if cfg.dynamic:
        b, s, past, total = BATCH, SEQUENCE, PAST_SEQUENCE, TOTAL_SEQUENCE
    else:
        b, s, past, total = cfg.batch, cfg.seq, cfg.past, cfg.past + cfg.seq
    g.input("input_ids", INT64, [b, s], sample_ints(0, cfg.vocab))
    g.input("attention_mask", INT64, [b, total], sample_ones)
    g.input("position_ids", INT64, [b, s], sample_positions(cfg.past))
    for i in range(cfg.layers):
        for kind in ("key", "value"):
            g.input(f"past_key_values.{i}.{kind}", FLOAT, [b, cfg.kv_heads, past, hd])
    g.output("logits", FLOAT, [b, s, cfg.vocab])
    for i in range(cfg.layers):
        for kind in ("key", "value"):
            g.output(f"present.{i}.{kind}", FLOAT, [b, cfg.kv_heads, total, hd])

    scope = "/model/attn_mask_reformat/attn_mask_subgraph"
    seqlens_k = g.op("ReduceSum", ["attention_mask", g.ints([1], scope)], scope, keepdims=0)
    seqlens_k = g.op("Cast", [g.op("Sub", [seqlens_k, g.ints(1, scope)], scope)], scope, to=INT32)
    total_len = g.op("Gather", [g.op("Shape", ["attention_mask"], scope), g.ints(1, scope)], scope, axis=0)
    total_len = g.op("Cast", [total_len], scope, to=INT32)
    cos_cache, sin_cache = (g.param(name, cache) for name, cache in zip(("cos_cache", "sin_cache"), rope_caches(cfg)))

    def matmul_nbits(x: str, name: str, scope: str) -> str:
        quant = quantize_int4(w[f"{name}.weight"], cfg.block_size, cfg.symmetric)
        base = name.replace("self_attn", "attn") + ".MatMul.weight"
        inputs = [x, g.param(f"{base}_Q4", quant.packed), g.param(f"{base}_scales", quant.scales)]
        if quant.zero_points is not None:
            inputs.append(g.param(f"{base}_zero_points", quant.zero_points))
        k, n = w[f"{name}.weight"].shape
        extra = {"accuracy_level": cfg.accuracy_level} if cfg.accuracy_level else {}
        return g.op("MatMulNBits", inputs, scope, domain=MS_DOMAIN, K=k, N=n, bits=4, block_size=cfg.block_size,
                    **extra)

    def skip_norm(x: str, residual: str, weight: str, scope: str, last: bool = False):
        """Normalizes x + residual; unless last, also returns that sum, the new residual stream."""
        inputs = [x, residual, g.weight(weight)]
        if last:
            return g.op("SkipSimplifiedLayerNormalization", inputs, scope, domain=MS_DOMAIN, epsilon=eps)
        normed, _, _, summed = g.op("SkipSimplifiedLayerNormalization", inputs, scope, domain=MS_DOMAIN,
                                    outputs=[None, "", "", None], epsilon=eps)
        return normed, summed

    x = g.op("Gather", [g.weight("model.embed_tokens.weight"), "input_ids"], "/model/embed_tokens", axis=0)
    residual, pending = x, None
    for i in range(cfg.layers):
        p, scope = f"model.layers.{i}", f"/model/layers.{i}"
        if pending is None:
            name = f"{p}.input_layernorm.weight"
            h = g.op("SimplifiedLayerNormalization", [x, g.weight(name)], f"{scope}/input_layernorm",
                     axis=-1, epsilon=eps, stash_type=1)
        else:
            h, residual = skip_norm(pending, residual, f"{p}.input_layernorm.weight", f"{scope}/input_layernorm")
        attn = f"{scope}/attn"
        q, k, v = (matmul_nbits(h, f"{p}.self_attn.{n}_proj", f"{attn}/{n}_proj") for n in "qkv")
        gqa_inputs = [q, k, v, f"past_key_values.{i}.key", f"past_key_values.{i}.value", seqlens_k, total_len]
        if cfg.rope_in_attn:
            gqa_inputs += [cos_cache, sin_cache]
        else:
            q, k = (g.op("RotaryEmbedding", [t, "position_ids", cos_cache, sin_cache], f"{attn}/{n}_rotary",
                         domain=MS_DOMAIN, interleaved=0) for t, n in ((q, "q"), (k, "k")))
            gqa_inputs[:2] = [q, k]
        out = g.op("GroupQueryAttention", gqa_inputs, attn, domain=MS_DOMAIN,
                   outputs=[None, f"present.{i}.key", f"present.{i}.value"],
                   num_heads=cfg.heads, kv_num_heads=cfg.kv_heads, scale=1.0 / math.sqrt(hd),
                   local_window_size=-1, do_rotary=int(cfg.rope_in_attn), rotary_interleaved=0)[0]
        out = matmul_nbits(out, f"{p}.self_attn.o_proj", f"{attn}/o_proj")
        h, residual = skip_norm(out, residual, f"{p}.post_attention_layernorm.weight",
                                f"{scope}/post_attention_layernorm")
        mlp = f"{scope}/mlp"
        gate = matmul_nbits(h, f"{p}.mlp.gate_proj", f"{mlp}/gate_proj")
        act = g.op("Mul", [gate, g.op("Sigmoid", [gate], f"{mlp}/act_fn")], f"{mlp}/act_fn")
        up = matmul_nbits(h, f"{p}.mlp.up_proj", f"{mlp}/up_proj")
        pending = matmul_nbits(g.op("Mul", [act, up], mlp), f"{p}.mlp.down_proj", f"{mlp}/down_proj")
    h = skip_norm(pending, residual, "model.norm.weight", f"/model/layers.{cfg.layers}/final_norm_layernorm",
                  last=True)
    g.op("MatMul", [h, g.weight("lm_head.weight")], "/lm_head", outputs=["logits"])
    return g.generated(cfg, "main_graph", build_llama_ort.__doc__, "llama-ort")


def build_opset23(cfg: Config, weights: dict | None = None) -> Generated:
    """Llama with the opset-23 ops: RMSNormalization, RotaryEmbedding on
    [B, S, H*D] (num_heads) and Attention with q_num_heads/kv_num_heads and
    is_causal=1 (padding from attention_mask as a boolean attn_mask)."""
    g = GraphBuilder(cfg.opset or 23, weights=weights or llama_weights(cfg))
    if g.opset < 23:
        raise ValueError("opset23 needs --opset 23 or later")
    token_inputs(g, cfg, ["input_ids"] + (["attention_mask"] if cfg.with_mask else []), token_samplers(cfg))
    hd, eps = cfg.head_dim, 1e-6

    x = g.op("Gather", [g.weight("model.embed_tokens.weight"), "input_ids"], "/model/embed_tokens", axis=0)
    b, s = batch_and_seq(g, cfg, "input_ids", "/model")
    positions = arange(g, seq_scalar(g, cfg, "input_ids", "/model"), "/model")
    position_ids = g.expand(g.unsqueeze(positions, [0], "/model"), [b, s], "/model")
    cos_cache, sin_cache = (g.param(f"model.rotary_emb.{name}", cache)
                            for name, cache in zip(("cos_cache", "sin_cache"), rope_caches(cfg)))
    attn_mask = []
    if cfg.with_mask:
        not_padding = g.op("Cast", [g.unsqueeze("attention_mask", [1, 2], "/model")], "/model", to=BOOL)
        attn_mask = [g.expand(not_padding, [b, 1, s, s], "/model")]

    for i in range(cfg.layers):
        p, scope = f"model.layers.{i}", f"/model/layers.{i}"
        attn = f"{scope}/self_attn"
        h = g.op("RMSNormalization", [x, g.weight(f"{p}.input_layernorm.weight")], f"{scope}/input_layernorm",
                 axis=-1, epsilon=eps)
        q, k, v = separate_qkv(g, cfg, i, h)
        q = g.op("RotaryEmbedding", [q, cos_cache, sin_cache, position_ids], attn, num_heads=cfg.heads)
        k = g.op("RotaryEmbedding", [k, cos_cache, sin_cache, position_ids], attn, num_heads=cfg.kv_heads)
        out = g.op("Attention", [q, k, v] + attn_mask, attn, is_causal=1, q_num_heads=cfg.heads,
                   kv_num_heads=cfg.kv_heads, scale=1.0 / math.sqrt(hd))
        x = g.op("Add", [x, linear(g, out, f"{p}.self_attn.o_proj", f"{attn}/o_proj", bias=False)], scope)
        h = g.op("RMSNormalization", [x, g.weight(f"{p}.post_attention_layernorm.weight")],
                 f"{scope}/post_attention_layernorm", axis=-1, epsilon=eps)
        x = g.op("Add", [x, swiglu_mlp(g, cfg, i, h)], scope)
    x = g.op("RMSNormalization", [x, g.weight("model.norm.weight")], "/model/norm", axis=-1, epsilon=eps)
    g.op("MatMul", [x, g.weight("lm_head.weight")], "/lm_head", outputs=["logits"])
    g.output("logits", FLOAT, [BATCH, SEQUENCE, cfg.vocab] if cfg.dynamic else [cfg.batch, cfg.seq, cfg.vocab])
    return g.generated(cfg, "main_graph", build_opset23.__doc__, "opset23")


def build_unsupported(cfg: Config, weights: dict | None = None) -> Generated:
    """Two ops the importer does not support: com.example FancyOp and NonMaxSuppression."""
    g = GraphBuilder(cfg.opset or 17, domains={"com.example": 1})
    boxes = g.input("boxes", FLOAT, [1, 8, 4], sample_uniform(0.0, 1.0))
    scores = g.input("scores", FLOAT, [1, 1, 8])
    boxes = g.op("Add", [boxes, g.scalar(0.0, "/head")], "/head")
    scores = g.op("Sigmoid", [scores], "/head")
    fancy = g.op("FancyOp", [scores], "/head/fancy", domain="com.example", alpha=0.5)
    g.value_info(fancy, FLOAT, [1, 1, 8])
    g.op("NonMaxSuppression", [boxes, fancy, g.ints([4], "/head/nms"), g.const([0.5], "/head/nms")], "/head/nms",
         outputs=["selected_indices"])
    g.output("selected_indices", INT64, ["num_selected", 3])
    return g.generated(cfg, "main_graph", build_unsupported.__doc__, "unsupported")


def corrupt_truncated(cfg: Config) -> bytes:
    """A valid llama model cut to half its bytes."""
    data = build_llama(cfg).model.SerializeToString()
    return data[: len(data) // 2]


def corrupt_garbage(cfg: Config) -> bytes:
    """Random bytes."""
    return np.random.default_rng(cfg.seed).integers(0, 256, 4096, dtype=np.uint8).tobytes()


# Models with multi-head attention, which ignore --kv-heads.
MHA_MODELS = {"gpt2", "bert", "bert-ort", "gpt2-dynamo", "bert-dynamo", "gpt2-ts-sdpa"}

# Models with a --past-kv (decode step) form.
PAST_KV_MODELS = {"llama", "qwen2", "mistral", "phi3", "gpt2", "llama-dynamo", "qwen2-dynamo", "mistral-dynamo",
                  "phi3-dynamo", "gpt2-dynamo"}

# --opset may lower a model's opset this far; the helpers emit each op's form for it.
MODEL_OLDEST_OPSET = 13

MODELS: dict[str, Callable] = {
    "llama": build_llama,
    "qwen2": build_qwen2,
    "mistral": build_mistral,
    "phi3": build_phi3,
    "gpt2": build_gpt2,
    "bert": build_bert,
    "llama-ort": build_llama_ort,
    "opset23": build_opset23,
    "bert-ort": build_bert_ort,
    "llama-dynamo": build_llama_dynamo,
    "qwen2-dynamo": build_qwen2_dynamo,
    "mistral-dynamo": build_mistral_dynamo,
    "phi3-dynamo": build_phi3_dynamo,
    "gpt2-dynamo": build_gpt2_dynamo,
    "bert-dynamo": build_bert_dynamo,
    "gpt2-ts-sdpa": build_gpt2_ts_sdpa,
    "unsupported": build_unsupported,
}
CORRUPT_MODELS: dict[str, Callable[[Config], bytes]] = {
    "corrupt-truncated": corrupt_truncated,
    "corrupt-garbage": corrupt_garbage,
}


# --------------------------------------------------------------------------
# Single-op models
# --------------------------------------------------------------------------

# ONNX Runtime runs models from opset 7 on; older forms are not generated.
OLDEST_OPSET = 7


@dataclasses.dataclass(frozen=True)
class OpSpec:
    """A one-node model. `opset` is the lowest opset where the op has its current
    form (inputs, outputs and attributes as in the newest opset; widened type
    lists do not count), but not below OLDEST_OPSET; `note` explains where a
    semantic change rather than the interface sets it."""

    opset: int
    build: Callable[[GraphBuilder], None]
    note: str = ""


X_SHAPE = [2, 3, 4]
ROW_SHAPE = [3, 4]


def _unary(op: str, sampler: Sampler | None = None, **attrs):
    def build(g: GraphBuilder):
        g.op(op, [g.input("X", FLOAT, X_SHAPE, sampler)], "", outputs=["Y"], **attrs)
    return build


def _binary(op: str, elem_type: int = FLOAT, sampler_a: Sampler | None = None, sampler_b: Sampler | None = None):
    def build(g: GraphBuilder):
        a = g.input("A", elem_type, X_SHAPE, sampler_a)
        b = g.input("B", elem_type, ROW_SHAPE, sampler_b)
        g.op(op, [a, b], "", outputs=["C"])
    return build


def _variadic(op: str):
    def build(g: GraphBuilder):
        inputs = [g.input(f"data_{i}", FLOAT, shape) for i, shape in enumerate((X_SHAPE, ROW_SHAPE, [4]))]
        g.op(op, inputs, "", outputs=["Y"])
    return build


def _op_where(g):
    g.op("Where", [g.input("condition", BOOL, X_SHAPE), g.input("X", FLOAT, X_SHAPE), g.input("Y", FLOAT, [4])], "",
         outputs=["output"])


def _op_cast(g):
    g.op("Cast", [g.input("input", INT64, X_SHAPE, sample_ints(-50, 50))], "", outputs=["output"], to=FLOAT)


def _op_concat(g):
    g.op("Concat", [g.input("A", FLOAT, [2, 3, 4]), g.input("B", FLOAT, [2, 2, 4])], "", outputs=["Y"], axis=1)


def _op_split(g):
    g.split(g.input("input", FLOAT, [2, 6, 4]), [2, 4], 1, "")


def _op_slice(g):
    g.slice(g.input("data", FLOAT, [4, 6, 8]), [1, 0], [3, 8], [0, 2], "", steps=[1, 2])


def _op_gather(g):
    table = g.param("embedding.weight", np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32))
    g.op("Gather", [table, g.input("indices", INT64, [2, 3], sample_ints(0, 5))], "", outputs=["output"], axis=0)


def _op_gather_nd(g):
    g.op("GatherND", [g.input("data", FLOAT, [3, 4, 5]), g.ints([[0, 1], [2, 3]], "")], "", outputs=["output"])


def _op_gather_elements(g):
    g.op("GatherElements", [g.input("data", FLOAT, [3, 4]), g.ints([[0, 3], [1, 2], [3, 0]], "")], "",
         outputs=["output"], axis=1)


def _op_expand(g):
    g.op("Expand", [g.input("input", FLOAT, [3, 1]), g.ints([2, 3, 4], "")], "", outputs=["output"])


def _op_reshape(g):
    g.op("Reshape", [g.input("data", FLOAT, X_SHAPE), g.ints([0, -1], "")], "", outputs=["reshaped"])


def _op_shape(g):
    attrs = {"start": 1} if g.opset >= 15 else {}
    g.op("Shape", [g.input("data", FLOAT, X_SHAPE)], "", outputs=["shape"], **attrs)


def _op_squeeze(g):
    g.squeeze(g.input("data", FLOAT, [2, 1, 4]), [1], "")


def _op_unsqueeze(g):
    g.unsqueeze(g.input("data", FLOAT, [2, 4]), [0, 2], "")


def _op_range(g):
    g.op("Range", [g.ints(0, ""), g.ints(10, ""), g.ints(3, "")], "", outputs=["output"])


def _op_cumsum(g):
    g.op("CumSum", [g.input("x", FLOAT, X_SHAPE), g.ints(1, "")], "", outputs=["y"])


def _op_constant_of_shape(g):
    g.op("ConstantOfShape", [g.ints([2, 3], "")], "", outputs=["output"],
         value=numpy_helper.from_array(np.array([1.0], np.float32)))


def _op_constant(g):
    g.op("Constant", [], "", outputs=["output"],
         value=numpy_helper.from_array(np.arange(6, dtype=np.float32).reshape(2, 3)))


def _op_trilu(g):
    g.op("Trilu", [g.input("input", FLOAT, [4, 5]), g.ints(0, "")], "", outputs=["output"], upper=0)


def _op_matmul(g):
    g.op("MatMul", [g.input("A", FLOAT, X_SHAPE), g.input("B", FLOAT, [4, 5])], "", outputs=["Y"])


def _op_gemm(g):
    rng = np.random.default_rng(0)
    weight = g.param("linear.weight", rng.standard_normal((5, 4)).astype(np.float32))
    bias = g.param("linear.bias", rng.standard_normal(5).astype(np.float32))
    g.op("Gemm", [g.input("A", FLOAT, [3, 4]), weight, bias], "", outputs=["Y"], alpha=1.0, beta=1.0, transB=1)


def _op_reduce(op: str, axes: list[int], keepdims: int):
    def build(g):
        g.reduce(op, g.input("data", FLOAT, X_SHAPE), axes, "", keepdims=keepdims)
    return build


def _op_layer_norm(g):
    rng = np.random.default_rng(0)
    scale = g.param("norm.weight", rng.standard_normal(4).astype(np.float32))
    bias = g.param("norm.bias", rng.standard_normal(4).astype(np.float32))
    g.op("LayerNormalization", [g.input("X", FLOAT, X_SHAPE), scale, bias], "", outputs=["Y"], axis=-1,
         epsilon=1e-5)


def _op_einsum(g):
    g.op("Einsum", [g.input("Q", FLOAT, [2, 3, 4]), g.input("K", FLOAT, [2, 5, 4])], "", outputs=["Output"],
         equation="bqd,bkd->bqk")


def _op_scatter_nd(g):
    g.op("ScatterND", [g.input("data", FLOAT, X_SHAPE), g.ints([[0, 1], [1, 2]], ""),
                       g.input("updates", FLOAT, [2, 4])], "", outputs=["output"])


POSITIVE = sample_uniform(0.5, 2.0)

OPS: dict[str, OpSpec] = {
    "Add": OpSpec(7, _binary("Add")),
    "Sub": OpSpec(7, _binary("Sub")),
    "Mul": OpSpec(7, _binary("Mul")),
    "Div": OpSpec(7, _binary("Div", sampler_b=POSITIVE)),
    "Pow": OpSpec(7, _binary("Pow", sampler_a=POSITIVE)),
    "Sqrt": OpSpec(7, _unary("Sqrt", POSITIVE)),
    "Reciprocal": OpSpec(7, _unary("Reciprocal", POSITIVE)),
    "Neg": OpSpec(7, _unary("Neg")),
    "Erf": OpSpec(9, _unary("Erf")),
    "Tanh": OpSpec(7, _unary("Tanh")),
    "Sigmoid": OpSpec(7, _unary("Sigmoid")),
    "Gelu": OpSpec(20, _unary("Gelu")),
    "Cos": OpSpec(7, _unary("Cos")),
    "Sin": OpSpec(7, _unary("Sin")),
    "And": OpSpec(7, _binary("And", BOOL)),
    "Or": OpSpec(7, _binary("Or", BOOL)),
    "Not": OpSpec(7, lambda g: g.op("Not", [g.input("X", BOOL, X_SHAPE)], "", outputs=["Y"])),
    "Equal": OpSpec(7, _binary("Equal", INT64)),
    "Less": OpSpec(7, _binary("Less")),
    "LessOrEqual": OpSpec(12, _binary("LessOrEqual")),
    "Greater": OpSpec(7, _binary("Greater")),
    "GreaterOrEqual": OpSpec(12, _binary("GreaterOrEqual")),
    "IsNaN": OpSpec(9, _unary("IsNaN", sample_with_nans)),
    "Where": OpSpec(9, _op_where),
    "Max": OpSpec(8, _variadic("Max"), note="multidirectional broadcasting since opset 8"),
    "Min": OpSpec(8, _variadic("Min"), note="multidirectional broadcasting since opset 8"),
    "Cast": OpSpec(24, _op_cast),
    "Concat": OpSpec(7, _op_concat),
    "Split": OpSpec(18, _op_split),
    "Slice": OpSpec(10, _op_slice),
    "Gather": OpSpec(7, _op_gather),
    "GatherND": OpSpec(12, _op_gather_nd),
    "GatherElements": OpSpec(11, _op_gather_elements),
    "Expand": OpSpec(8, _op_expand),
    "Reshape": OpSpec(14, _op_reshape),
    "Shape": OpSpec(15, _op_shape),
    "Squeeze": OpSpec(13, _op_squeeze),
    "Unsqueeze": OpSpec(13, _op_unsqueeze),
    "Transpose": OpSpec(7, _unary("Transpose", perm=[2, 0, 1])),
    "Range": OpSpec(27, _op_range),
    "CumSum": OpSpec(11, _op_cumsum),
    "ConstantOfShape": OpSpec(9, _op_constant_of_shape),
    "Constant": OpSpec(12, _op_constant),
    "Identity": OpSpec(7, _unary("Identity")),
    "Trilu": OpSpec(14, _op_trilu),
    "MatMul": OpSpec(7, _op_matmul),
    "Gemm": OpSpec(11, _op_gemm),
    "Softmax": OpSpec(13, _unary("Softmax", axis=-1), note="opset 13 normalizes along one axis, not a 2-D coercion"),
    "ReduceMean": OpSpec(18, _op_reduce("ReduceMean", [-1], 1)),
    "ReduceSum": OpSpec(13, _op_reduce("ReduceSum", [1], 0)),
    "LayerNormalization": OpSpec(17, _op_layer_norm),
    "Flatten": OpSpec(7, _unary("Flatten", axis=1)),
    "Einsum": OpSpec(12, _op_einsum),
    "ScatterND": OpSpec(16, _op_scatter_nd),
}


def build_op(op: str, cfg: Config) -> Generated:
    spec = OPS[op]
    opset = cfg.opset or spec.opset
    if opset < OLDEST_OPSET:
        raise ValueError(f"opsets before {OLDEST_OPSET} are not generated")
    try:
        onnx.defs.get_schema(op, opset)
    except onnx.defs.SchemaError:
        raise ValueError(f"{op} does not exist at opset {opset}") from None
    g = GraphBuilder(opset)
    spec.build(g)
    declared = {name for name, _, _ in g.outputs}
    for name in g.nodes[-1].output:
        if name not in declared:
            g.output(name)
    return g.generated(cfg, f"{op}_graph", f"A single {op} node at opset {opset}.", f"op:{op}")


# --------------------------------------------------------------------------
# Saving and running
# --------------------------------------------------------------------------


def external_data_name(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[0] + ".data"


def save(gen: Generated, path: str, external_data: bool) -> None:
    """Write the model; with external_data every weight and buffer, whatever its
    size, goes to one file next to it. Graph constants (shapes, axes, scalars)
    stay inline, as exporters leave them: onnxruntime's shape inference cannot
    read them from external data."""
    if not external_data:
        onnx.save_model(gen.model, path)
        return
    location = external_data_name(path)
    data_path = os.path.join(os.path.dirname(os.path.abspath(path)), location)
    if os.path.exists(data_path):
        os.remove(data_path)  # onnx appends to an existing data file
    model = onnx.ModelProto()
    model.CopyFrom(gen.model)
    for tensor in model.graph.initializer:
        if tensor.name in gen.weights:
            external_data_helper.set_external_data(tensor, location)
    onnx.save_model(model, path)


def run_onnxruntime(path: str, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Run a saved model on onnxruntime's CPU provider, graph optimizations off."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.log_severity_level = 4  # errors come back as exceptions
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(names, feeds)))


def input_rng(cfg: Config) -> np.random.Generator:
    return np.random.default_rng([cfg.seed, 1])


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    all_models = list(MODELS) + list(CORRUPT_MODELS)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog="models: " + ", ".join(all_models),
                                     formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("model", nargs="?", metavar="MODEL", help="model to generate (see --list)")
    parser.add_argument("-o", "--output", metavar="OUT.onnx", help="where to write the model")
    parser.add_argument("--list", action="store_true", help="list the models and exit")
    parser.add_argument("--op", metavar="OPTYPE", help="generate a one-node model of this ONNX op")
    parser.add_argument("--op-list", action="store_true", help="list the ops for --op with their opsets and exit")
    parser.add_argument("--self-test", action="store_true",
                        help="generate every model, check it and run it in onnxruntime")

    sizes = parser.add_argument_group("sizes")
    defaults = Config()
    for flag, field, help_text in (("--layers", "layers", "decoder/encoder layers"),
                                   ("--hidden", "hidden", "hidden size"),
                                   ("--heads", "heads", "attention heads"),
                                   ("--kv-heads", "kv_heads", "key/value heads (GQA); gpt2 and bert use --heads"),
                                   ("--seq", "seq", "sequence length of static shapes and of generated inputs"),
                                   ("--vocab", "vocab", "vocabulary size"),
                                   ("--batch", "batch", "batch size of static shapes and of generated inputs"),
                                   ("--intermediate", "intermediate", "MLP inner size"),
                                   ("--max-pos", "max_pos", "positions of learned/cached position tables"),
                                   ("--past", "past", "llama-ort, --past-kv: past length (static shapes, inputs)"),
                                   ("--block-size", "block_size", "llama-ort: MatMulNBits block size"),
                                   ("--accuracy-level", "accuracy_level",
                                    "llama-ort: MatMulNBits accuracy_level (4: int8 activations)")):
        sizes.add_argument(flag, type=int, default=getattr(defaults, field), help=f"{help_text} (default %(default)s)")
    sizes.add_argument("--window", type=int, help="mistral: sliding window (default seq/2)")
    sizes.add_argument("--weight-scale", type=float, default=defaults.weight_scale,
                       help="standard deviation of random weights (default %(default)s)")

    form = parser.add_argument_group("form")
    form.add_argument("--opset", type=int, help="default-domain opset (default: the model's or op's own)")
    form.add_argument("--dynamic", action="store_true",
                      help="symbolic batch and sequence dims (models; --op models are static)")
    form.add_argument("--external-data", action="store_true", help="weights in OUT.data next to the model")
    form.add_argument("--seed", type=int, default=0, help="seed of weights and inputs (default 0)")
    form.add_argument("--with-mask", action="store_true",
                      help="llama, qwen2, mistral, phi3, opset23, gpt2: add an attention_mask input")
    form.add_argument("--past-kv", action="store_true",
                      help="llama, qwen2, mistral, phi3, gpt2 (and their -dynamo forms): a decode step with\n"
                           "position_ids and past_key_values.{i}.key/.value [B, kv_heads, --past, D] inputs\n"
                           "and present.{i}.key/.value outputs after logits (with --dynamic: batch,\n"
                           "sequence, past_sequence, total_sequence)")
    form.add_argument("--decomposed-ln", action="store_true", help="gpt2, bert: decompose LayerNorm")
    form.add_argument("--symmetric", action="store_true", help="llama-ort: symmetric int4, no zero points")
    form.add_argument("--rope-in-attn", action="store_true",
                      help="llama-ort: rotary inside GroupQueryAttention (do_rotary=1)")
    form.add_argument("--ort-attention", default="Attention", choices=["Attention", "MultiHeadAttention"],
                      help="bert-ort: attention op (default %(default)s)")
    form.add_argument("--ort-gelu", default="BiasGelu", choices=["BiasGelu", "FastGelu"],
                      help="bert-ort: GELU op (default %(default)s)")

    ref = parser.add_argument_group("reference data")
    ref.add_argument("--inputs", metavar="IN.npz", help="write seeded random inputs for the model")
    ref.add_argument("--reference-out", metavar="REF.npz", help="write onnxruntime's outputs on those inputs")

    args = parser.parse_args(argv)
    modes = sum(bool(x) for x in (args.model, args.op, args.list, args.op_list, args.self_test))
    if modes != 1:
        parser.error("give exactly one of MODEL, --op, --list, --op-list, --self-test")
    if args.model and args.model not in all_models:
        parser.error(f"unknown model {args.model!r}; choose from {', '.join(all_models)}")
    if args.op and args.op not in OPS:
        parser.error(f"unknown op {args.op!r}; see --op-list")
    if (args.model or args.op) and not args.output:
        parser.error("-o OUT.onnx is required")
    return args


def config_from_args(args: argparse.Namespace) -> Config:
    names = {f.name for f in dataclasses.fields(Config)}
    return Config(**{k: v for k, v in vars(args).items() if k in names})


def generate(args: argparse.Namespace) -> None:
    cfg = config_from_args(args)
    if args.model in CORRUPT_MODELS:
        os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
        with open(args.output, "wb") as f:
            f.write(CORRUPT_MODELS[args.model](cfg))
        if args.inputs or args.reference_out:
            raise ValueError(f"{args.model} has no inputs or outputs")
        return
    if args.op:
        gen = build_op(args.op, cfg)
    else:
        if args.model in MHA_MODELS:
            cfg.kv_heads = cfg.heads
        if cfg.past_kv and args.model not in PAST_KV_MODELS:
            raise ValueError(f"--past-kv is for {', '.join(sorted(PAST_KV_MODELS))}, not {args.model}")
        cfg.validate()
        if cfg.opset is not None and cfg.opset < MODEL_OLDEST_OPSET:
            raise ValueError(f"models are generated at opset {MODEL_OLDEST_OPSET} or later")
        gen = MODELS[args.model](cfg)
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    save(gen, args.output, args.external_data)
    if args.inputs or args.reference_out:
        feeds = make_inputs(gen, input_rng(cfg))
        if args.inputs:
            np.savez(args.inputs, **feeds)
        if args.reference_out:
            np.savez(args.reference_out, **run_onnxruntime(args.output, feeds))


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        for name, build in {**MODELS, **CORRUPT_MODELS}.items():
            print(f"{name:18} {' '.join(build.__doc__.split())}")
    elif args.op_list:
        for name, spec in OPS.items():
            print(f"{name:18} opset {spec.opset}" + (f"  ({spec.note})" if spec.note else ""))
    elif args.self_test:
        return self_test()
    else:
        try:
            generate(args)
        except ValueError as e:
            print(f"gen_models.py: error: {e}", file=sys.stderr)
            return 2
    return 0


# --------------------------------------------------------------------------
# Self-test
# --------------------------------------------------------------------------


def register_ort_default_domain_schemas() -> None:
    """onnxruntime implements a few default-domain ops that ONNX does not define
    (onnxruntime-genai emits SimplifiedLayerNormalization); give onnx's checker
    their onnxruntime schemas so it can check models that use them."""
    from onnxruntime.capi import onnxruntime_pybind11_state as ort_c

    S = onnx.defs.OpSchema
    for schema in ort_c.get_all_operator_schema():
        if schema.domain != "" or onnx.defs.has(schema.name):
            continue

        def params(formal):
            return [S.FormalParameter(p.name, p.typeStr, param_option=getattr(S.FormalParameterOption, p.option.name),
                                      is_homogeneous=p.isHomogeneous) for p in formal]

        onnx.defs.register_schema(S(
            schema.name, "", schema.since_version, schema.doc or "",
            inputs=params(schema.inputs), outputs=params(schema.outputs),
            type_constraints=[(t.type_param_str, list(t.allowed_type_strs), "") for t in schema.type_constraints],
            attributes=[S.Attribute(a.name, getattr(S.AttrType, a.type.name), required=a.required)
                        for a in schema.attributes.values()]))


def check_names(model: onnx.ModelProto) -> None:
    names = [node.name for node in model.graph.node]
    if not all(names):
        raise AssertionError("a node has no name")
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise AssertionError(f"duplicate node names: {sorted(duplicates)[:5]}")


def check_model_file(path: str) -> onnx.ModelProto:
    """The checker (full check: strict shape inference) on the saved model with
    its external data loaded, plus name checks."""
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    check_names(model)
    return model


def assert_close(name: str, a: np.ndarray, b: np.ndarray, rtol: float = 1e-4) -> float:
    if a.shape != b.shape:
        raise AssertionError(f"{name}: shapes {a.shape} and {b.shape} differ")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise AssertionError(f"{name}: non-finite values")
    err = float(np.abs(a - b).max()) / max(1.0, float(np.abs(a).max()))
    if err > rtol:
        raise AssertionError(f"{name}: relative error {err:.2e} > {rtol:.0e}")
    return err


class SelfTest:
    """Runs named checks, printing one line per check and a summary line."""

    def __init__(self, tmp: str):
        self.tmp = tmp
        self.passed = self.failed = 0
        self.failures: list[str] = []

    def check(self, name: str, fn: Callable[[], str | None]) -> None:
        try:
            detail = fn()
        except Exception as e:  # noqa: BLE001 - report and go on
            self.failed += 1
            self.failures.append(name)
            print(f"FAIL  {name}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
            if os.environ.get("GEN_MODELS_VERBOSE"):
                traceback.print_exc()
        else:
            self.passed += 1
            print(f"ok    {name}" + (f"  ({detail})" if detail else ""))

    def path(self, label: str) -> str:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in label)
        return os.path.join(self.tmp, safe + ".onnx")

    def cli(self, label: str, argv: list[str]) -> str:
        """Generate through the command line; returns the model path."""
        path = self.path(label)
        code = main(argv + ["-o", path])
        if code != 0:
            raise AssertionError(f"gen_models.py {' '.join(argv)} exited {code}")
        return path


MODEL_VARIANTS: dict[str, list[list[str]]] = {
    "llama": [[], ["--dynamic"], ["--with-mask"], ["--dynamic", "--with-mask", "--external-data"], ["--opset", "17"],
              ["--kv-heads", "4"]],
    "qwen2": [[], ["--dynamic"]],
    "mistral": [[], ["--dynamic", "--with-mask"], ["--window", "4"]],
    "phi3": [[], ["--dynamic"]],
    "gpt2": [[], ["--decomposed-ln"], ["--dynamic", "--with-mask"], ["--opset", "13"]],
    "bert": [[], ["--dynamic"], ["--decomposed-ln", "--opset", "14"]],
    "llama-ort": [[], ["--dynamic"], ["--symmetric"], ["--rope-in-attn"], ["--past", "4", "--seq", "1"],
                  ["--dynamic", "--external-data"]],
    "opset23": [[], ["--dynamic", "--with-mask"]],
    "bert-ort": [[], ["--dynamic"], ["--ort-attention", "MultiHeadAttention", "--ort-gelu", "FastGelu"]],
    "llama-dynamo": [[], ["--with-mask"], ["--dynamic"], ["--dynamic", "--with-mask"]],
    "qwen2-dynamo": [[], ["--dynamic", "--with-mask"]],
    "mistral-dynamo": [[], ["--with-mask"], ["--dynamic"], ["--dynamic", "--with-mask"]],
    "phi3-dynamo": [[], ["--dynamic", "--with-mask"]],
    "gpt2-dynamo": [[], ["--with-mask"], ["--dynamic"], ["--dynamic", "--with-mask"]],
    "bert-dynamo": [[], ["--with-mask"], ["--dynamic"], ["--dynamic", "--with-mask"]],
    "gpt2-ts-sdpa": [[], ["--with-mask"], ["--dynamic", "--with-mask"]],
}
# Decode steps (--past-kv): static with a past, static with an empty past,
# one new token, and symbolic batch / sequence / past_sequence.
for _name, _extra in (("llama", []), ("qwen2", []), ("mistral", ["--window", "4"]), ("phi3", []), ("gpt2", []),
                      ("llama-dynamo", []), ("qwen2-dynamo", []), ("mistral-dynamo", ["--window", "4"]),
                      ("phi3-dynamo", []), ("gpt2-dynamo", [])):
    MODEL_VARIANTS[_name] += [["--past-kv", "--past", "4"] + _extra, ["--past-kv", "--past", "0"] + _extra,
                              ["--past-kv", "--past", "1", "--seq", "1"] + _extra,
                              ["--past-kv", "--past", "3", "--dynamic"] + _extra]
MODEL_VARIANTS["llama"] += [["--past-kv", "--past", "2", "--kv-heads", "1", "--dynamic"]]

# Ops whose form depends on the opset, generated again at older opsets.
OP_OPSET_VARIANTS = [("Split", 13), ("Split", 11), ("Squeeze", 11), ("Unsqueeze", 11), ("ReduceMean", 13),
                     ("ReduceSum", 11), ("Shape", 13), ("Cast", 13), ("Range", 11), ("Softmax", 11)]

# Pairs of models that compute the same function: (label, model a, args a, model b, args b).
SCALE = ["--weight-scale", "0.1"]  # larger weights make attention sharp, so differences show
EQUIVALENT_PAIRS = [
    ("llama static = dynamic", "llama", [], "llama", ["--dynamic"]),
    ("llama opset 18 = opset 17", "llama", [], "llama", ["--opset", "17"]),
    ("llama = phi3 (fused projections)", "llama", [], "phi3", []),
    ("llama = mistral with window >= seq", "llama", [], "mistral", ["--window", "16"]),
    ("llama = opset23", "llama", [], "opset23", []),
    ("llama = opset23 with padding mask", "llama", ["--with-mask"], "opset23", ["--with-mask"]),
    ("llama-ort separate rotary = rotary in GQA", "llama-ort", [], "llama-ort", ["--rope-in-attn"]),
    ("gpt2 LayerNormalization = decomposed", "gpt2", [], "gpt2", ["--decomposed-ln"]),
    ("gpt2 opset 17 = opset 13 with padding mask", "gpt2", ["--with-mask", "--dynamic"], "gpt2",
     ["--with-mask", "--opset", "13"]),
    ("bert LayerNormalization = decomposed", "bert", [], "bert", ["--decomposed-ln"]),
    ("bert = bert-ort (Attention, BiasGelu)", "bert", [], "bert-ort", []),
    ("bert = bert-ort (MultiHeadAttention)", "bert", ["--dynamic"], "bert-ort",
     ["--ort-attention", "MultiHeadAttention"]),
    # The transformers 5 exports compute what the older exporter styles do.
    ("llama = llama-dynamo", "llama", [], "llama-dynamo", []),
    ("llama-dynamo static = dynamic", "llama-dynamo", [], "llama-dynamo", ["--dynamic"]),
    ("llama with padding mask = llama-dynamo", "llama", ["--with-mask"], "llama-dynamo", ["--with-mask"]),
    ("llama-dynamo with padding mask: static = dynamic", "llama-dynamo", ["--with-mask"], "llama-dynamo",
     ["--with-mask", "--dynamic"]),
    ("qwen2 = qwen2-dynamo", "qwen2", ["--with-mask"], "qwen2-dynamo", ["--dynamic", "--with-mask"]),
    ("mistral = mistral-dynamo", "mistral", ["--window", "4"], "mistral-dynamo", ["--window", "4"]),
    ("mistral-dynamo: static = dynamic with padding mask", "mistral-dynamo", ["--window", "4", "--with-mask"],
     "mistral-dynamo", ["--window", "4", "--with-mask", "--dynamic"]),
    ("phi3 = phi3-dynamo", "phi3", [], "phi3-dynamo", ["--dynamic"]),
    ("gpt2 = gpt2-dynamo", "gpt2", [], "gpt2-dynamo", ["--dynamic"]),
    ("gpt2 with padding mask = gpt2-dynamo", "gpt2", ["--with-mask"], "gpt2-dynamo", ["--with-mask"]),
    ("gpt2 with padding mask = gpt2-ts-sdpa", "gpt2", ["--with-mask"], "gpt2-ts-sdpa",
     ["--with-mask", "--dynamic"]),
    ("bert-dynamo: static = dynamic with padding mask", "bert-dynamo", ["--with-mask"], "bert-dynamo",
     ["--with-mask", "--dynamic"]),
]


# Pairs that must differ, so the comparisons above are known to have teeth.
DIFFERENT_PAIRS = [
    ("llama != mistral with window 4", "llama", [], "mistral", ["--window", "4"]),
    ("llama != qwen2 (q/k/v biases)", "llama", [], "qwen2", []),
]

DECODERS = [("llama", []), ("qwen2", []), ("mistral", []), ("phi3", []), ("gpt2", []), ("opset23", []),
            ("llama-ort", []), ("llama", ["--dynamic", "--with-mask"]), ("gpt2", ["--dynamic", "--with-mask"]),
            ("llama-dynamo", []), ("llama-dynamo", ["--dynamic"]), ("llama-dynamo", ["--with-mask"]),
            ("phi3-dynamo", ["--dynamic", "--with-mask"]), ("gpt2-dynamo", ["--with-mask"]),
            ("gpt2-ts-sdpa", ["--dynamic", "--with-mask"])]

# Encoders with a padding mask (model, arguments).
ENCODERS = [("bert", []), ("bert-ort", []), ("bert-dynamo", ["--with-mask"]),
            ("bert-dynamo", ["--with-mask", "--dynamic"])]


def self_test() -> int:
    if importlib.util.find_spec("onnxruntime") is None:
        print("gen_models.py: --self-test needs onnxruntime", file=sys.stderr)
        return 2
    register_ort_default_domain_schemas()
    with tempfile.TemporaryDirectory(prefix="gen_models_") as tmp:
        t = SelfTest(tmp)
        _test_models(t)
        _test_ops(t)
        _test_bad_inputs(t)
        _test_reference_data(t)
        _test_quantization(t)
        _test_equivalences(t)
        _test_masking(t)
        _test_past_kv(t)
        _test_listings(t)
    print(f"self-test: {t.passed} passed, {t.failed} failed")
    return 1 if t.failed else 0


def _generate_and_run(t: SelfTest, label: str, argv: list[str], feeds: dict | None = None):
    """CLI-generate, check, and run on seeded inputs (overridden by `feeds`)."""
    path = t.cli(label, argv)
    args = parse_args(argv + ["-o", path])
    cfg = config_from_args(args)
    gen = build_op(args.op, cfg) if args.op else MODELS[args.model](cfg)
    model = check_model_file(path)
    inputs = make_inputs(gen, input_rng(cfg))
    if feeds:
        inputs.update({k: v for k, v in feeds.items() if k in inputs})
    outputs = run_onnxruntime(path, inputs)
    for name, value in outputs.items():
        if value.dtype.kind == "f" and not np.isfinite(value).all():
            raise AssertionError(f"output {name} has non-finite values")
    return model, inputs, outputs


def _test_models(t: SelfTest) -> None:
    for name, variants in MODEL_VARIANTS.items():
        for extra in variants:
            label = " ".join([name] + extra)

            def run(name=name, extra=extra, label=label):
                model, _, outputs = _generate_and_run(t, label, [name] + extra)
                if "--external-data" in extra:
                    data = os.path.join(t.tmp, external_data_name(t.path(label)))
                    if not os.path.getsize(data):
                        raise AssertionError("external data file is empty")
                shapes = ", ".join(f"{k}{list(v.shape)}" for k, v in list(outputs.items())[:1])
                return f"{len(model.graph.node)} nodes, {shapes}"
            t.check(f"model {label}", run)


def _op_form(op: str, opset: int) -> tuple:
    schema = onnx.defs.get_schema(op, opset)
    return ([(p.name, p.option) for p in schema.inputs], [(p.name, p.option) for p in schema.outputs],
            sorted(schema.attributes))


def _test_ops(t: SelfTest) -> None:
    latest = onnx.defs.onnx_opset_version()
    for op, spec in OPS.items():
        def run(op=op, spec=spec):
            # The spec's opset has the newest form, and (unless a note says why)
            # the version before it does not, or is older than OLDEST_OPSET.
            if _op_form(op, spec.opset) != _op_form(op, latest):
                raise AssertionError(f"opset {spec.opset} form differs from opset {latest}")
            since = onnx.defs.get_schema(op, spec.opset).since_version
            if since > 1 and not spec.note:
                try:
                    previous = onnx.defs.get_schema(op, since - 1)
                except onnx.defs.SchemaError:
                    previous = None
                if (previous is not None and previous.since_version >= OLDEST_OPSET
                        and _op_form(op, since - 1) == _op_form(op, latest)):
                    raise AssertionError(f"already in its current form at opset {previous.since_version}")
            model, _, outputs = _generate_and_run(t, f"op {op}", ["--op", op])
            return f"opset {model.opset_import[0].version}, " + ", ".join(
                f"{k}{list(v.shape)}" for k, v in outputs.items())
        t.check(f"op {op}", run)
    for op, opset in OP_OPSET_VARIANTS:
        t.check(f"op {op} --opset {opset}",
                lambda op=op, opset=opset: _generate_and_run(t, f"op {op} {opset}",
                                                             ["--op", op, "--opset", str(opset)]) and None)


def _test_bad_inputs(t: SelfTest) -> None:
    for name in CORRUPT_MODELS:
        def run(name=name):
            path = t.cli(name, [name])
            try:
                onnx.load(path)
            except Exception as e:  # noqa: BLE001 - any load error is what we want
                return f"onnx.load fails: {type(e).__name__}"
            raise AssertionError("onnx.load accepted it")
        t.check(f"model {name}", run)

    def unsupported():
        path = t.cli("unsupported", ["unsupported"])
        model = check_model_file(path)
        types = {(n.domain, n.op_type) for n in model.graph.node}
        if not {("com.example", "FancyOp"), ("", "NonMaxSuppression")} <= types:
            raise AssertionError(f"missing the unsupported nodes: {types}")
        try:
            run_onnxruntime(path, make_inputs(build_unsupported(Config()), input_rng(Config())))
        except Exception as e:  # noqa: BLE001
            if "FancyOp" not in str(e):
                raise
            return "checker passes; onnxruntime rejects FancyOp"
        raise AssertionError("onnxruntime ran a model with com.example.FancyOp")
    t.check("model unsupported", unsupported)


def _test_reference_data(t: SelfTest) -> None:
    def run():
        inputs, ref = os.path.join(t.tmp, "in.npz"), os.path.join(t.tmp, "ref.npz")
        path = t.cli("llama-ref", ["llama", "--dynamic", "--with-mask", "--inputs", inputs, "--reference-out", ref])
        feeds, expected = dict(np.load(inputs)), dict(np.load(ref))
        if set(feeds) != {"input_ids", "attention_mask"} or set(expected) != {"logits"}:
            raise AssertionError(f"unexpected arrays: {sorted(feeds)}, {sorted(expected)}")
        assert_close("logits", expected["logits"], run_onnxruntime(path, feeds)["logits"], rtol=0)
        return f"input_ids{list(feeds['input_ids'].shape)} -> logits{list(expected['logits'].shape)}"
    t.check("--inputs/--reference-out", run)


def _test_quantization(t: SelfTest) -> None:
    """One MatMulNBits node against numpy on the dequantized weight, with and
    without zero points, with K not a multiple of the block size."""
    for symmetric in (False, True):
        def run(symmetric=symmetric):
            rng = np.random.default_rng(0)
            k, n, block = 80, 24, 32
            w = rng.standard_normal((k, n)).astype(np.float32)
            quant = quantize_int4(w, block, symmetric)
            g = GraphBuilder(17, domains={MS_DOMAIN: 1})
            inputs = [g.input("A", FLOAT, [3, k]), g.param("B", quant.packed), g.param("scales", quant.scales)]
            if quant.zero_points is not None:
                inputs.append(g.param("zero_points", quant.zero_points))
            g.op("MatMulNBits", inputs, "", outputs=["Y"], domain=MS_DOMAIN, K=k, N=n, bits=4, block_size=block)
            g.output("Y", FLOAT, [3, n])
            path = t.path(f"matmulnbits-{symmetric}")
            onnx.save_model(g.build("g", ""), path)
            a = rng.standard_normal((3, k)).astype(np.float32)
            assert_close("Y", a @ quant.dequantized, run_onnxruntime(path, {"A": a})["Y"])
            err = float(np.abs(quant.dequantized - w).max() / np.abs(w).max())
            if err > 0.1:
                raise AssertionError(f"quantization error {err:.2f} is too large")
            return f"quantization error {err:.3f} of max |w|"
        t.check(f"MatMulNBits layout ({'symmetric' if symmetric else 'zero points'})", run)


def _test_equivalences(t: SelfTest) -> None:
    for label, model_a, args_a, model_b, args_b in EQUIVALENT_PAIRS:
        def run(label=label, model_a=model_a, args_a=args_a, model_b=model_b, args_b=args_b):
            _, feeds, out_a = _generate_and_run(t, f"{label} a", [model_a] + args_a + SCALE)
            _, _, out_b = _generate_and_run(t, f"{label} b", [model_b] + args_b + SCALE, feeds)
            common = [name for name in out_a if name in out_b]
            errors = [assert_close(name, out_a[name], out_b[name]) for name in common]
            return f"{', '.join(common)}: max relative error {max(errors):.1e}"
        t.check(f"same outputs: {label}", run)

    for label, model_a, args_a, model_b, args_b in DIFFERENT_PAIRS:
        def run(label=label, model_a=model_a, args_a=args_a, model_b=model_b, args_b=args_b):
            _, feeds, out_a = _generate_and_run(t, f"{label} a", [model_a] + args_a + SCALE)
            _, _, out_b = _generate_and_run(t, f"{label} b", [model_b] + args_b + SCALE, feeds)
            name = next(iter(out_a))
            diff = float(np.abs(out_a[name] - out_b[name]).max() / np.abs(out_a[name]).max())
            if diff < 1e-3:
                raise AssertionError(f"{name} differs by only {diff:.1e}")
            return f"{name} differs by {diff:.1e}"
        t.check(f"different outputs: {label}", run)

    def llama_vs_llama_ort():
        """llama on the dequantized weights computes what llama-ort's int4 weights do."""
        cfg = config_from_args(parse_args(["llama", "-o", "x"] + SCALE))
        path = t.path("llama-dequantized")
        gen = build_llama(cfg, dequantized_llama_weights(cfg, llama_weights(cfg)))
        save(gen, path, False)
        feeds = make_inputs(gen, input_rng(cfg))
        expected = run_onnxruntime(path, feeds)["logits"]
        _, _, out = _generate_and_run(t, "llama-ort cmp", ["llama-ort"] + SCALE, feeds)
        return f"logits: max relative error {assert_close('logits', expected, out['logits']):.1e}"
    t.check("same outputs: llama (dequantized weights) = llama-ort", llama_vs_llama_ort)


def _changed_positions(t: SelfTest, label: str, argv: list[str], perturb) -> np.ndarray:
    """Per (batch, position), whether the first output moved when perturb(feeds) changed the inputs."""
    _, feeds, before = _generate_and_run(t, label, argv)
    perturbed = {k: v.copy() for k, v in feeds.items()}
    perturb(perturbed)
    path = t.path(label)
    after = run_onnxruntime(path, perturbed)
    name = next(iter(before))
    scale = np.abs(before[name]).max()
    return (np.abs(before[name] - after[name]) > 1e-6 * scale).any(axis=-1)


def _test_masking(t: SelfTest) -> None:
    """The masks mean what they should: changing the last token moves only the
    last position of a decoder; mistral's window bounds how far a token reaches;
    BERT ignores padded tokens."""
    def change_token(position: int):
        def perturb(feeds):
            feeds["input_ids"][:, position] = (feeds["input_ids"][:, position] + 1) % Config().vocab
        return perturb

    for model, extra in DECODERS:
        def causal(model=model, extra=extra):
            changed = _changed_positions(t, f"causal {model} {extra}", [model] + extra + SCALE, change_token(-1))
            if changed[:, :-1].any() or not changed[:, -1].all():
                raise AssertionError(f"changed positions per row: {[np.flatnonzero(r).tolist() for r in changed]}")
        t.check(f"causal mask: {' '.join([model] + extra)}", causal)

    for model, extra in (("mistral", []), ("mistral-dynamo", []), ("mistral-dynamo", ["--dynamic"])):
        def sliding_window(model=model, extra=extra):
            window, layers = 4, Config().layers
            changed = _changed_positions(t, f"window {model} {extra}",
                                         [model, "--window", str(window)] + extra + SCALE, change_token(0))
            reach = layers * (window - 1)  # each layer looks window - 1 tokens further back
            if changed[:, reach + 1:].any() or not changed[:, : reach + 1].all():
                raise AssertionError(f"changed positions: {np.flatnonzero(changed[0]).tolist()}, "
                                     f"expected 0..{reach}")
            return f"token 0 reaches positions 0..{reach}"
        t.check(f"sliding-window mask: {' '.join([model] + extra)} --window 4", sliding_window)

    for model, extra in ENCODERS:
        def padding(model=model, extra=extra):
            label = f"padding {model} {extra}"
            _, feeds, before = _generate_and_run(t, label, [model] + extra + SCALE)
            seq = feeds["input_ids"].shape[1]
            feeds["attention_mask"][1, seq // 2:] = 0
            before = run_onnxruntime(t.path(label), feeds)["last_hidden_state"]
            feeds["input_ids"][1, seq // 2:] = (feeds["input_ids"][1, seq // 2:] + 1) % Config().vocab
            after = run_onnxruntime(t.path(label), feeds)["last_hidden_state"]
            assert_close("unpadded positions", before[1, : seq // 2], after[1, : seq // 2], rtol=1e-6)
            if np.abs(before[1, seq // 2:] - after[1, seq // 2:]).max() == 0:
                raise AssertionError("padded positions did not change")
        t.check(f"padding mask: {' '.join([model] + extra)}", padding)


# Decode-step models checked against their full-sequence form: (model, arguments).
PAST_KV_CASES = [("llama", []), ("llama", ["--kv-heads", "1"]), ("qwen2", []), ("mistral", ["--window", "3"]),
                 ("phi3", []), ("gpt2", []), ("llama-dynamo", []), ("qwen2-dynamo", []),
                 ("mistral-dynamo", ["--window", "3"]), ("phi3-dynamo", []), ("gpt2-dynamo", [])]


def _test_past_kv(t: SelfTest) -> None:
    """A --past-kv model run on the first P tokens with an empty past, then on the
    next S with the presents as past (and token by token), computes the full
    model's logits; the static decode step computes what the dynamic one does."""
    past, seq = 5, 3
    total = past + seq

    def empty_past(path: str, batch: int) -> dict[str, np.ndarray]:
        feeds = {}
        for vi in onnx.load(path).graph.input:
            if vi.name.startswith("past_key_values."):
                dims = vi.type.tensor_type.shape.dim
                feeds[vi.name] = np.zeros((batch, dims[1].dim_value, 0, dims[3].dim_value), np.float32)
        return feeds

    def step(path: str, ids: np.ndarray, start: int, past_feeds: dict) -> tuple[np.ndarray, dict]:
        positions = np.broadcast_to(np.arange(start, start + ids.shape[1], dtype=np.int64), ids.shape).copy()
        out = run_onnxruntime(path, {"input_ids": ids, "position_ids": positions, **past_feeds})
        presents = {k.replace("present.", "past_key_values."): v for k, v in out.items() if k.startswith("present.")}
        return out["logits"], presents

    for model, extra in PAST_KV_CASES:
        def run(model=model, extra=extra):
            label = f"past-kv {model} {' '.join(extra)}"
            full = t.cli(f"{label} full", [model, "--seq", str(total)] + extra + SCALE)
            cfg = config_from_args(parse_args([model, "-o", full, "--seq", str(total)] + extra + SCALE))
            ids = make_inputs(MODELS[model](cfg), input_rng(cfg))["input_ids"]
            expected = run_onnxruntime(full, {"input_ids": ids})["logits"]
            dynamic = t.cli(f"{label} dynamic", [model, "--past-kv", "--dynamic"] + extra + SCALE)
            # prefill P tokens from an empty past, then S tokens on the presents
            logits, presents = step(dynamic, ids[:, :past], 0, empty_past(dynamic, cfg.batch))
            assert_close("prefill logits", expected[:, :past], logits)
            logits, final = step(dynamic, ids[:, past:], past, presents)
            assert_close("decode logits", expected[:, past:], logits)
            for name, value in presents.items():
                assert_close(f"{name} kept", value, final[name][:, :, :past], rtol=0)
            # token by token
            cache = empty_past(dynamic, cfg.batch)
            for pos in range(total):
                logits, cache = step(dynamic, ids[:, pos:pos + 1], pos, cache)
                assert_close(f"logits at {pos}", expected[:, pos:pos + 1], logits)
            for name, value in cache.items():
                assert_close(name, final[name], value)
            # the static form of the decode step
            static = t.cli(f"{label} static", [model, "--past-kv", "--past", str(past), "--seq", str(seq)]
                           + extra + SCALE)
            logits, static_final = step(static, ids[:, past:], past, presents)
            assert_close("static decode logits", expected[:, past:], logits)
            for name, value in final.items():
                assert_close(f"static {name}", value, static_final[name])
            return f"P={past}, S={seq}: logits and presents match the full model"
        t.check(f"past-kv = full sequence: {' '.join([model] + extra)}", run)


def _test_listings(t: SelfTest) -> None:
    import contextlib
    import io

    for flag, expected in (("--list", list(MODELS) + list(CORRUPT_MODELS)), ("--op-list", list(OPS))):
        def run(flag=flag, expected=expected):
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                main([flag])
            listed = [line.split()[0] for line in out.getvalue().splitlines()]
            if listed != expected:
                raise AssertionError(f"lists {listed}")
            return f"{len(listed)} entries"
        t.check(flag, run)


if __name__ == "__main__":
    sys.exit(main())
