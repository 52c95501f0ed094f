#!/usr/bin/env python3
"""Export small Hugging Face transformers models to ONNX with torch.onnx.

A developer tool for checking txc's ONNX importer and raising passes on real
exporter output (the tests never need it: test/Frontend/ONNX/gen_models.py
reproduces the patterns found here without torch). Models are built from
tiny configs with random weights, so no download is needed.

    export_hf_models.py -o DIR                       # every model, every variant
    export_hf_models.py -o DIR --models llama,gpt2   # a subset
    export_hf_models.py -o DIR --variants dynamo-static-mask
    export_hf_models.py --list

Each variant is EXPORTER-SHAPES-MASK:
    EXPORTER  dynamo (torch.onnx.export(dynamo=True), opset 18) or
              torchscript (dynamo=False, opset 17; GPT-2 and BERT only)
    SHAPES    static, or dynamic (batch and sequence dimensions symbolic)
    MASK      mask (attention_mask is an input) or nomask (input_ids only)

Files are written as DIR/MODEL-VARIANT.onnx, together with DIR/manifest.txt
listing the txc command line (with --shape for dynamic inputs) for each one.
Every export uses use_cache=False (the prefill graph without KV cache).
--batch, --seq, --layers, --hidden, --heads, --kv-heads, --window and --attn
(sdpa or eager attention) vary the models and inputs; --check runs each
export in onnxruntime against torch.
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
import warnings

try:
    import torch
    import transformers
except ImportError as e:  # pragma: no cover - depends on the environment
    sys.exit(f"export_hf_models.py needs torch and transformers ({e}); install them "
             "(e.g. pip install torch transformers onnx onnxscript) or use a venv that has them")

logging.getLogger("torch.onnx").setLevel(logging.ERROR)

VOCAB = 128


def _decoder_common(opts, config: dict) -> dict:
    return dict(hidden_size=opts.hidden, intermediate_size=2 * opts.hidden, num_hidden_layers=opts.layers,
                num_attention_heads=opts.heads, num_key_value_heads=opts.kv_heads, vocab_size=VOCAB,
                max_position_embeddings=256, **config)


def make_model(name: str, opts, **config):
    """A randomly initialized model of the family `name`, in eval mode;
    `config` adds settings to its transformers config."""
    t = transformers
    if name == "gpt2":
        cfg = t.GPT2Config(n_embd=opts.hidden, n_layer=opts.layers, n_head=opts.heads, vocab_size=VOCAB,
                           n_positions=256, **config)
        model = t.GPT2LMHeadModel(cfg)
    elif name == "bert":
        cfg = t.BertConfig(hidden_size=opts.hidden, num_hidden_layers=opts.layers, num_attention_heads=opts.heads,
                           intermediate_size=2 * opts.hidden, vocab_size=VOCAB, max_position_embeddings=256,
                           **config)
        model = t.BertModel(cfg)
    elif name == "llama":
        model = t.LlamaForCausalLM(t.LlamaConfig(**_decoder_common(opts, config)))
    elif name == "qwen2":
        model = t.Qwen2ForCausalLM(t.Qwen2Config(**_decoder_common(opts, config)))
    elif name == "mistral":
        model = t.MistralForCausalLM(t.MistralConfig(**_decoder_common(opts, config), sliding_window=opts.window))
    elif name == "phi3":
        model = t.Phi3ForCausalLM(t.Phi3Config(**_decoder_common(opts, config), pad_token_id=0))
    else:
        raise ValueError(f"unknown model {name!r}")
    model.set_attn_implementation(opts.attn)
    return model.eval()


MODELS = ["gpt2", "bert", "llama", "qwen2", "mistral", "phi3"]
TORCHSCRIPT_MODELS = {"gpt2", "bert"}


def variants_for(name: str) -> list[str]:
    out = []
    for exporter in ("dynamo", "torchscript"):
        if exporter == "torchscript" and name not in TORCHSCRIPT_MODELS:
            continue
        for shapes in ("static", "dynamic"):
            for mask in ("mask", "nomask"):
                # transformers 5's GPT-2 without attention_mask runs a packed-sequence
                # check (aten::diff) that the TorchScript exporter cannot export.
                if name == "gpt2" and exporter == "torchscript" and mask == "nomask":
                    continue
                out.append(f"{exporter}-{shapes}-{mask}")
    return out


class Wrapper(torch.nn.Module):
    """Calls the model with keyword arguments and returns plain tensors."""

    def __init__(self, model, with_mask: bool, cache: bool):
        super().__init__()
        self.model, self.with_mask, self.cache = model, with_mask, cache

    def forward(self, input_ids, attention_mask=None):
        kwargs = dict(input_ids=input_ids, use_cache=self.cache, return_dict=True)
        if self.with_mask:
            kwargs["attention_mask"] = attention_mask
        out = self.model(**kwargs)
        if hasattr(out, "logits") and out.logits is not None:
            return out.logits
        return out.last_hidden_state, out.pooler_output


def example_inputs(opts):
    """input_ids [B, S] and an attention mask with right padding on the last row."""
    torch.manual_seed(0)
    ids = torch.randint(0, VOCAB, (opts.batch, opts.seq), dtype=torch.int64)
    am = torch.ones(opts.batch, opts.seq, dtype=torch.int64)
    if opts.batch > 1:
        am[-1, opts.seq - opts.seq // 4:] = 0
    return ids, am


def export_one(name: str, variant: str, path: str, opts) -> str:
    exporter, shapes, mask = variant.split("-")
    with_mask, dynamic = mask == "mask", shapes == "dynamic"
    torch.manual_seed(0)
    model = make_model(name, opts)
    ids, am = example_inputs(opts)
    args = (ids, am) if with_mask else (ids,)
    names = ["input_ids", "attention_mask"][:len(args)]
    wrapper = Wrapper(model, with_mask, cache=False)
    is_bert = name == "bert"
    outputs = ["last_hidden_state", "pooler_output"] if is_bert else ["logits"]
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if exporter == "dynamo":
            kw = dict(dynamo=True, opset_version=18, input_names=names, output_names=outputs, verbose=False)
            if dynamic:
                b, s = torch.export.Dim("batch", max=64), torch.export.Dim("sequence", max=255)
                kw["dynamic_shapes"] = tuple({0: b, 1: s} for _ in args)
            prog = torch.onnx.export(wrapper, args, None, **kw)
            prog.save(path)
        else:
            kw = dict(dynamo=False, opset_version=17, input_names=names, output_names=outputs)
            if dynamic:
                kw["dynamic_axes"] = {n: {0: "batch", 1: "sequence"} for n in names}
            torch.onnx.export(wrapper, args, path, **kw)
    shape_args = " ".join(f"--shape {n}={opts.batch}x{opts.seq}" for n in names) if dynamic else ""
    return f"txc {path} -q {shape_args}".rstrip()


def check_with_ort(path: str, name: str, with_mask: bool, opts) -> str:
    """Runs the export in onnxruntime (if installed) and compares with torch."""
    try:
        import numpy as np
        import onnxruntime as ort
    except ImportError:
        return "onnxruntime not installed, not checked"
    torch.manual_seed(0)
    model = make_model(name, opts)
    ids, am = example_inputs(opts)
    feeds = {"input_ids": ids.numpy()}
    if with_mask:
        feeds["attention_mask"] = am.numpy()
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    got = sess.run(None, feeds)[0]
    with torch.no_grad():
        kwargs = dict(input_ids=ids, use_cache=False)
        if with_mask:
            kwargs["attention_mask"] = am
        out = model(**kwargs)
        ref = (out.logits if hasattr(out, "logits") else out.last_hidden_state).numpy()
    valid = am.numpy().astype(bool) if with_mask else np.ones(ids.shape, bool)
    err = float(np.abs(got - ref)[valid].max())
    return f"onnxruntime max |err| = {err:.2e} (unpadded positions)"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-o", "--out-dir", help="directory for the .onnx files")
    ap.add_argument("--models", default=",".join(MODELS), help="comma-separated subset of " + ",".join(MODELS))
    ap.add_argument("--variants", default="", help="comma-separated variants (default: all that apply)")
    ap.add_argument("--batch", type=int, default=2, help="batch size of the example input (default 2)")
    ap.add_argument("--seq", type=int, default=24, help="sequence length of the example input (default 24)")
    ap.add_argument("--layers", type=int, default=2, help="number of layers (default 2)")
    ap.add_argument("--hidden", type=int, default=64, help="hidden size (default 64; intermediate 2x)")
    ap.add_argument("--heads", type=int, default=4, help="attention heads (default 4)")
    ap.add_argument("--kv-heads", type=int, default=2, help="decoders' KV heads (default 2)")
    ap.add_argument("--window", type=int, default=8, help="Mistral's sliding window (default 8)")
    ap.add_argument("--attn", default="sdpa", choices=["sdpa", "eager"],
                    help="attention implementation (transformers' attn_implementation, default sdpa)")
    ap.add_argument("--check", action="store_true", help="compare each export with torch in onnxruntime")
    ap.add_argument("--list", action="store_true", help="list models and their variants")
    args = ap.parse_args(argv)
    models = [m for m in args.models.split(",") if m]
    for m in models:
        if m not in MODELS:
            ap.error(f"unknown model {m!r} (known: {', '.join(MODELS)})")
    if args.list:
        for m in models:
            print(m, " ".join(variants_for(m)))
        return 0
    if not args.out_dir:
        ap.error("-o DIR is required")
    import os
    os.makedirs(args.out_dir, exist_ok=True)
    wanted = [v for v in args.variants.split(",") if v]
    manifest, failures = [], 0
    for m in models:
        for v in variants_for(m):
            if wanted and v not in wanted:
                continue
            path = os.path.join(args.out_dir, f"{m}-{v}.onnx")
            try:
                cmd = export_one(m, v, path, args)
                note = check_with_ort(path, m, v.endswith("-mask"), args) if args.check else ""
                print(f"ok    {m}-{v}  {note}", flush=True)
                manifest.append(cmd)
            except Exception as e:  # keep going; report which exports failed
                failures += 1
                print(f"FAIL  {m}-{v}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}",
                      file=sys.stderr, flush=True)
                if os.environ.get("EXPORT_TRACEBACK"):
                    traceback.print_exc()
    with open(os.path.join(args.out_dir, "manifest.txt"), "w") as f:
        f.write("\n".join(manifest) + "\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
