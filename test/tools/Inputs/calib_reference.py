#!/usr/bin/env python3
"""Checks a `txc calibrate` statistics file against a NumPy reference.

The reference runs the same windows as the driver (docs/calibration.md) and
records the input of every linear layer:

* Hugging Face folders (``--model DIR``): ``ref_forward.py``'s float64
  forward pass, whose ``_lin`` is wrapped to see each linear's input. The
  text is one token stream (the tokenizer's special-token rules applied
  once), cut into windows of ``--context`` tokens; a last partial window is
  dropped (these models have no attention mask).
* ONNX encoders with an attention mask (``--onnx FILE --tokenizer DIR``):
  onnxruntime runs the model with every MatMul's first input added as an
  output. One sequence per non-empty line, padded to ``--context`` with
  mask 0; only positions with mask 1 are summed. A MatMul on one row per
  sequence (BERT's pooler) sums its rows unweighted.

Per layer (Hugging Face folders), ``layer.I.cos_mean`` must equal the
reference's mean cosine of the layer's residual input and output, and
``layer.I.probe`` its ridge regression of ``1 - cos`` on the input and a
bias (within 1e-3 of the largest coefficient). Every ``W.act_abs_mean`` /
``W.act_sq_mean`` must equal the reference's mean
|x| / x^2 within ``--rtol``, the file must hold exactly the reference's
linears, and ``__metadata__`` must say format, version, tokens, windows,
context, model and text. Prints ``PASS`` or the differences (exit 1).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
GGUF_TESTS = os.path.join(HERE, "..", "..", "Frontend", "GGUF")
sys.path.insert(0, GGUF_TESTS)
import ref_forward  # noqa: E402

# ref_forward's canonical weight keys -> the names txc gives stored weights.
CANONICAL = {"wq": "attn_q", "wk": "attn_k", "wv": "attn_v", "wo": "attn_output", "w_gate": "ffn_gate",
             "w_up": "ffn_up", "w_down": "ffn_down"}


def stored_name(key: str, tied: bool) -> str:
    if key == "lm_head":
        return "output.weight"
    if key == "embed":
        return "token_embd.weight"
    layer, _, name = key.partition(".")
    return f"blk.{layer[1:]}.{CANONICAL[name]}.weight"


def read_stats(path: str) -> tuple[dict, dict[str, np.ndarray]]:
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {})
    out = {}
    for name, info in header.items():
        assert info["dtype"] == "F32", f"{name}: dtype {info['dtype']}"
        b, e = info["data_offsets"]
        out[name] = np.frombuffer(data[b:e], dtype="<f4").reshape(info["shape"])
    return meta, out


class Sums:
    """Sums of |x| and x^2 per input channel, and the rows counted, per weight."""

    def __init__(self):
        self.abs: dict[str, np.ndarray] = {}
        self.sq: dict[str, np.ndarray] = {}
        self.count: dict[str, float] = {}

    def add(self, name: str, x: np.ndarray, weight: np.ndarray | None = None):
        x = np.asarray(x, dtype=np.float64).reshape(-1, x.shape[-1])
        w = np.ones(x.shape[0]) if weight is None else np.asarray(weight, dtype=np.float64).reshape(-1)
        self.abs[name] = self.abs.get(name, 0) + (np.abs(x) * w[:, None]).sum(0)
        self.sq[name] = self.sq.get(name, 0) + (x * x * w[:, None]).sum(0)
        self.count[name] = self.count.get(name, 0) + w.sum()

    def means(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        return {n: (self.abs[n] / self.count[n], self.sq[n] / self.count[n]) for n in self.abs}


def hf_reference(args) -> tuple[dict, int, int]:
    model = ref_forward.load(args.model)
    with open(args.text, encoding="utf-8") as f:
        text = f.read()
    ids = ref_forward.tokenizer(model).encode(text, add_special_tokens=True).ids
    if args.max_tokens:
        ids = ids[: args.max_tokens]
    sums = Sums()
    original = ref_forward._lin
    # The residual stream at the layer boundaries, from the norms' calls
    # (their weights identify them): a decoder's layer i reads the input of
    # l{i}.attn_norm and hands on that of the next layer's (or out_norm);
    # an encoder's layer i hands on the output of l{i}.ffn_norm.
    by_id = {id(v): k for k, v in model.w.items()}
    stream: list[tuple[str, np.ndarray]] = []
    orig_rms, orig_ln = ref_forward._rms_norm, ref_forward._layer_norm

    def rms(x, w, eps):
        stream.append((by_id.get(id(w), ""), np.array(x)))
        return orig_rms(x, w, eps)

    def ln(x, w, b, eps):
        y = orig_ln(x, w, b, eps)
        stream.append((by_id.get(id(w), ""), np.array(y)))
        return y

    def lin(x, w, key, bias_key=None):
        sums.add(stored_name(key, model.cfg.tied), x)
        return original(x, w, key, bias_key)

    cos_sum = np.zeros(model.cfg.layers)
    # tx-mod-prune's update score of layer i >= 1 per token:
    # ||x_i - x_{i-1}||^2 of the layers' inputs.
    updates = [[] for _ in range(model.cfg.layers)]
    # Every stride-th token's layer inputs (at most about 2048 tokens), to
    # score with the fitted probe.
    windows = len(ids) // args.context
    stride = max(1, -(-windows * args.context // 2048))
    sampled = [[] for _ in range(model.cfg.layers)]
    # The probe sums per layer: [x 1]^T [x 1] and [x 1]^T t, t = 1 - cos.
    D = model.cfg.hidden
    probe_a = np.zeros((model.cfg.layers, D + 1, D + 1))
    probe_r = np.zeros((model.cfg.layers, D + 1))

    def cosines(x, y):
        return (x * y).sum(-1) / np.sqrt((x * x).sum(-1) * (y * y).sum(-1))

    ref_forward._lin, ref_forward._rms_norm, ref_forward._layer_norm = lin, rms, ln
    try:
        windows = len(ids) // args.context
        for i in range(windows):
            stream.clear()
            window = ids[i * args.context:(i + 1) * args.context]
            if model.is_encoder:
                x = model.w["embed"][window].astype(np.float64)
                if "pos_embed" in model.w:
                    x = x + model.w["pos_embed"][:len(window)]
                if "type_embed" in model.w:
                    x = x + model.w["type_embed"][0]
            ref_forward.forward(model, window)
            if model.is_encoder:
                bounds = [y for k, y in stream if k == "embed_norm.w"] or [x]
                bounds += [y for k, y in stream if k.endswith(".ffn_norm.w")]
            else:
                bounds = [y for k, y in stream
                          if k.endswith(".attn_norm.w") or k == "out_norm.w"]
            for layer in range(model.cfg.layers):
                c = cosines(bounds[layer], bounds[layer + 1])
                cos_sum[layer] += c.sum()
                z = np.concatenate([bounds[layer], np.ones((len(c), 1))], axis=1)
                probe_a[layer] += z.T @ z
                probe_r[layer] += z.T @ (1 - np.clip(c, -1, 1))
                if layer:
                    updates[layer].append(
                        ((bounds[layer] - bounds[layer - 1]) ** 2).sum(-1))
                first = i * args.context
                take = [p for p in range(len(c)) if (first + p) % stride == 0]
                sampled[layer].append(bounds[layer][take])
    finally:
        ref_forward._lin, ref_forward._rms_norm, ref_forward._layer_norm = original, orig_rms, orig_ln
    tokens = windows * args.context
    means = sums.means()
    for layer in range(model.cfg.layers):
        means[f"layer.{layer}"] = cos_sum[layer] / tokens
        # Ridge: 1e-3 x the mean diagonal of x^T x on the weights, not the bias.
        a = probe_a[layer].copy()
        a[np.arange(D), np.arange(D)] += 1e-3 * np.trace(a[:D, :D]) / D
        w = np.linalg.solve(a, probe_r[layer])
        means[f"probe.{layer}"] = w
        # The fitted probe's score on the sampled tokens, its percentiles.
        rows = np.concatenate(sampled[layer])
        means[f"quantiles.probe.{layer}"] = np.percentile(
            rows @ w[:D] + w[D], np.arange(101))
        if layer:
            means[f"quantiles.update.{layer}"] = np.percentile(
                np.concatenate(updates[layer]), np.arange(101))
    return means, tokens, windows


def onnx_reference(args) -> tuple[dict, int, int]:
    import onnx
    import onnxruntime
    from tokenizers import Tokenizer

    m = onnx.load(args.onnx)
    inits = {i.name for i in m.graph.initializer}
    taps = {}
    for node in m.graph.node:
        if node.op_type == "MatMul" and node.input[1] in inits:
            taps.setdefault(node.input[0], []).append(node.input[1] + ".T")
    known = {o.name for o in m.graph.output}
    for name in taps:
        if name not in known:
            m.graph.output.append(onnx.helper.make_empty_tensor_value_info(name))
    session = onnxruntime.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    folder = args.tokenizer
    tok = Tokenizer.from_file(os.path.join(folder, "tokenizer.json") if os.path.isdir(folder) else folder)
    tok.no_padding()
    tok.no_truncation()
    n = args.context
    sums = Sums()
    tokens = windows = 0
    with open(args.text, encoding="utf-8") as f:
        lines = [line.rstrip("\r") for line in f.read().split("\n")]
    for line in lines:
        if not line.strip():
            continue
        ids = tok.encode(line, add_special_tokens=True).ids
        if not ids:
            continue
        if len(ids) > n:
            ids = ids[: n - 1] + ids[-1:]
        mask = np.zeros((1, n), np.int64)
        mask[0, : len(ids)] = 1
        padded = np.zeros((1, n), np.int64)
        padded[0, : len(ids)] = ids
        feeds = {"input_ids": padded, "attention_mask": mask, "token_type_ids": np.zeros((1, n), np.int64)}
        names = list(taps)
        outs = session.run(names, feeds)
        for name, x in zip(names, outs):
            per_token = x.ndim == 3 and x.shape[:2] == (1, n)
            for w in taps[name]:
                sums.add(w, x, mask if per_token else None)
        tokens += len(ids)
        windows += 1
    return sums.means(), tokens, windows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("stats")
    ap.add_argument("--model", help="Hugging Face folder")
    ap.add_argument("--onnx", help="ONNX encoder with input_ids, attention_mask, token_type_ids")
    ap.add_argument("--tokenizer", help="with --onnx: the tokenizer folder or tokenizer.json")
    ap.add_argument("--text", required=True)
    ap.add_argument("--context", type=int, required=True)
    ap.add_argument("--max-tokens", type=int, default=0)
    ap.add_argument("--rtol", type=float, default=1e-4)
    args = ap.parse_args()

    ref, tokens, windows = onnx_reference(args) if args.onnx else hf_reference(args)
    meta, got = read_stats(args.stats)
    problems = []
    expect = {"format": "txc-calibration", "version": "1", "tokens": str(tokens), "windows": str(windows),
              "context": str(args.context), "text": os.path.basename(args.text),
              "model": os.path.basename(os.path.normpath(args.onnx or args.model))}
    for key, value in expect.items():
        if meta.get(key) != value:
            problems.append(f"__metadata__[{key!r}] is {meta.get(key)!r}, expected {value!r}")
    names = {n.rsplit(".act_", 1)[0] for n in got if ".act_" in n}
    # Per-layer cosines (layer.I.cos_mean), for decoders and encoders from
    # Hugging Face folders; the ONNX reference has no layer boundaries.
    layers = {n: v for n, v in ref.items() if n.startswith("layer.")}
    probes = {n: v for n, v in ref.items() if n.startswith("probe.")}
    quantiles = {n: v for n, v in ref.items() if n.startswith("quantiles.")}
    linears = {n: v for n, v in ref.items()
               if not n.startswith(("layer.", "probe.", "quantiles."))}
    # layer.I.{update,probe}_quantiles (101 percentiles): within 1e-3 of the
    # range they span.
    for name, want in quantiles.items():
        _, kind, layer = name.split(".")
        key = f"layer.{layer}.{kind}_quantiles"
        have = got.get(key)
        if have is None or have.shape != want.shape:
            problems.append(f"{key} is missing or misshapen")
            continue
        span = max(float(want[-1] - want[0]), 1e-6)
        if np.max(np.abs(have - want)) > 1e-3 * span:
            problems.append(f"{key}: max difference "
                            f"{np.max(np.abs(have - want))} (range {span})")
    got_quantiles = {n for n in got if n.endswith("_quantiles")}
    want_quantiles = {f"layer.{n.split('.')[2]}.{n.split('.')[1]}_quantiles"
                      for n in quantiles}
    if quantiles and got_quantiles != want_quantiles:
        problems.append(f"quantiles {sorted(got_quantiles ^ want_quantiles)} "
                        "are in only one of the file and the reference")
    # Per-layer probes (layer.I.probe: weights then bias), fitted from float32
    # sums: within 1e-3 of the largest coefficient.
    for name, want in probes.items():
        have = got.get(f"layer.{name.split('.')[1]}.probe")
        if have is None or have.shape != want.shape:
            problems.append(f"layer.{name.split('.')[1]}.probe is missing or misshapen")
        elif np.max(np.abs(have - want)) > 1e-3 * np.max(np.abs(want)):
            problems.append(f"layer.{name.split('.')[1]}.probe: max difference "
                            f"{np.max(np.abs(have - want))} (largest {np.max(np.abs(want))})")
    got_layers = {n[: -len(".cos_mean")] for n in got if n.endswith(".cos_mean")}
    if layers and got_layers != set(layers):
        problems.append(f"layer cosines {sorted(got_layers ^ set(layers))} are in only one of the file and the reference")
    for name, want in layers.items():
        have = got.get(f"{name}.cos_mean")
        if have is not None and not np.allclose(have, [want], rtol=args.rtol, atol=1e-5):
            problems.append(f"{name}.cos_mean: {have} against {want}")
    ref = linears
    if names != set(ref):
        problems.append(f"linears {sorted(names ^ set(ref))} are in only one of the file and the reference")
    for name, (abs_mean, sq_mean) in ref.items():
        for suffix, want in (("act_abs_mean", abs_mean), ("act_sq_mean", sq_mean)):
            have = got.get(f"{name}.{suffix}")
            if have is None:
                continue
            if have.shape != want.shape or not np.allclose(have, want, rtol=args.rtol, atol=1e-6):
                err = np.max(np.abs(have - want) / (np.abs(want) + 1e-6)) if have.shape == want.shape else "shape"
                problems.append(f"{name}.{suffix}: max relative difference {err}")
    for p in problems:
        print(p)
    if problems:
        return 1
    print(f"PASS: {len(ref)} linears, {len(layers)} layer cosines, {len(probes)} layer probes, "
          f"{len(quantiles)} score quantiles, {tokens} tokens, {windows} windows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
