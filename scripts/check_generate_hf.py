#!/usr/bin/env python3
"""Greedy generation of real Hugging Face decoders exported by torch.onnx,
compiled by txc --max-seq, against torch and onnxruntime.

A developer tool, not part of CI (the e2e tests, test/e2e/generate.test, use
gen_models.py's hand-written exports and need no torch): run it with a
Python that has torch, transformers, onnx, onnxscript and onnxruntime, e.g.

    /tmp/tvenv/bin/python scripts/check_generate_hf.py
    /tmp/tvenv/bin/python scripts/check_generate_hf.py --models llama,gpt2 --keep /tmp/hfgen
    /tmp/tvenv/bin/python scripts/check_generate_hf.py --forms static-mask,dynamic-mask

For each family (llama, qwen2, mistral with a sliding window shorter than
prompt + generated tokens, gpt2 as GPT2LMHeadModel) a tiny seeded
random-weight model (2 layers, hidden 64, 4 heads, 2 KV heads where the
family has GQA, vocab 128, initializer_range 0.2) is wrapped in a decode
step with explicit past/present, filling a DynamicCache from the past
inputs as transformers' own generation does:

    inputs   input_ids [B, S], position_ids [B, S] (always passed explicitly),
             past_key_values.{l}.key / .value [B, Hkv, P, D]
    outputs  logits [B, S, V], present.{l}.key / .value [B, Hkv, P + S, D]

and exported with torch.onnx.export(dynamo=True, opset 18) in these forms
(--forms; the first three by default):

    static        B=1, S=1, P=5: txc builds only a decode step and feeds
                  the prompt one token at a time. For mistral P + S is not
                  above the window, the exporter folds the sliding-window
                  mask away (the graph is llama's), so txc's tokens are
                  those of full attention: reported as 'expected', checked
                  against torch with sliding_window=None.
    static-long   B=1, S=1, P=12: the constant mask keeps mistral's window.
    dynamic       S and P symbolic (torch.export Dims "seq" and "past");
                  txc also builds a prefill step.
    static-mask,  as static / dynamic with an attention_mask [B, P + S]
    dynamic-mask  input too (optimum-style); txc drops the padding mask it
                  becomes (rows carry no padding in generation).

An exporter failure is reported in the table. The graph's inputs, outputs
and op counts are printed for each export.

References: a greedy loop in torch over a DynamicCache with explicit
position_ids (prefill the prompt, then one token per step) gives the
reference tokens; model.generate(do_sample=False) must agree with it, and
so must onnxruntime running each dynamic export step by step (present fed
back as past, prefill from an empty past). A static export cannot change P,
so onnxruntime checks it on one decode step against torch instead.

txc: each export is compiled with `txc MODEL -q --max-seq 64` (plus
--kv-block 16, and for dynamic forms --prefill-chunk 8 with and without
--kv-block), and `txc-run LIB generate --prompt-ids IDS --max-new-tokens 20
--greedy --out tokens.npy` (prompt: 11 seeded random ids) must give exactly
the reference tokens. Where they differ the report gives the first
differing step and torch's logit margin of txc's token there (teacher
forced along txc's own path; ~0 means a near tie, not a bug).

Prints the notes above, then a table (family, form, txc flags, match
yes/no/expected, first mismatch index, the first error line), then the
full error output (first lines) of each failure. With --keep DIR every
file (model.onnx, prompt.npy, ref_tokens.npy, the .so and tokens.npy per
flag set) stays in DIR/FAMILY-FORM/ and each failure prints the txc and
txc-run command lines that reproduce it. Exit status 1 if any check
failed.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import traceback
import warnings

try:
    import numpy as np
    import torch
    import transformers
    from transformers.cache_utils import DynamicCache

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import export_hf_models
except ImportError as e:  # pragma: no cover - depends on the environment
    sys.exit(f"check_generate_hf.py needs torch, transformers, onnx, onnxscript and onnxruntime ({e}); "
             "use a venv that has them (e.g. /tmp/tvenv/bin/python)")

logging.getLogger("torch.onnx").setLevel(logging.ERROR)
logging.disable(logging.WARNING)
warnings.filterwarnings("ignore")

FAMILIES = ["llama", "qwen2", "mistral", "gpt2"]
VOCAB = export_hf_models.VOCAB
# Export forms: example S and P, symbolic S and P, an attention_mask input.
FORMS = {
    "static": dict(seq=1, past=5, dynamic=False, mask=False),
    "static-long": dict(seq=1, past=12, dynamic=False, mask=False),  # P + S > mistral's window
    "dynamic": dict(seq=3, past=5, dynamic=True, mask=False),
    "static-mask": dict(seq=1, past=5, dynamic=False, mask=True),
    "dynamic-mask": dict(seq=3, past=5, dynamic=True, mask=True),
}
DEFAULT_FORMS = "static,static-long,dynamic"
TIMEOUT = 600  # seconds per txc / txc-run command
HERE = os.path.dirname(os.path.abspath(__file__))
BUILD_BIN = os.path.join(HERE, "..", "build", "bin")


# --------------------------------------------------------------------------
# models
# --------------------------------------------------------------------------


def make_model(family: str, opts):
    """A seeded random tiny model of `family` (export_hf_models.make_model),
    eval mode, without BOS/EOS tokens.

    initializer_range is raised from 0.02 (opts.init_std, default 0.2) so that
    greedy decoding does not settle on one token and logit margins are well
    above float rounding."""
    torch.manual_seed(opts.seed)
    model = export_hf_models.make_model(family, opts, initializer_range=opts.init_std, bos_token_id=None,
                                        eos_token_id=None)
    model.generation_config.eos_token_id = None
    model.generation_config.bos_token_id = None
    model.generation_config.pad_token_id = 0
    return model


def kv_shape(model) -> tuple[int, int, int]:
    """(layers, KV heads, head dim)."""
    c = model.config
    if c.model_type == "gpt2":
        return c.n_layer, c.n_head, c.n_embd // c.n_head
    return c.num_hidden_layers, c.num_key_value_heads, getattr(c, "head_dim", None) or \
        c.hidden_size // c.num_attention_heads


def make_cache(past) -> DynamicCache:
    """A DynamicCache (full-length layers: no sliding-window cropping) holding `past` ([k0, v0, k1, v1, ...])."""
    cache = DynamicCache()
    for layer in range(len(past) // 2):
        cache.update(past[2 * layer], past[2 * layer + 1], layer)
    return cache


def cache_tensors(cache, layers: int) -> list:
    out = []
    for layer in range(layers):
        entry = cache.layers[layer]
        out += [entry.keys, entry.values]
    return out


class Step(torch.nn.Module):
    """One decode (or prefill) step with explicit past/present tensors."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.layers = kv_shape(model)[0]

    def forward(self, input_ids, position_ids, past):
        out = self.model(input_ids=input_ids, position_ids=position_ids, past_key_values=make_cache(past),
                         use_cache=True, return_dict=True)
        return (out.logits, *cache_tensors(out.past_key_values, self.layers))


class MaskStep(Step):
    """Step with an attention_mask [B, P + S] input too (as optimum-style exports have)."""

    def forward(self, input_ids, attention_mask, position_ids, past):
        out = self.model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                         past_key_values=make_cache(past), use_cache=True, return_dict=True)
        return (out.logits, *cache_tensors(out.past_key_values, self.layers))


def past_names(layers: int) -> list[str]:
    return [f"past_key_values.{l}.{kv}" for l in range(layers) for kv in ("key", "value")]


def io_names(layers: int, mask: bool = False) -> tuple[list[str], list[str]]:
    present = [f"present.{l}.{kv}" for l in range(layers) for kv in ("key", "value")]
    first = ["input_ids", "attention_mask", "position_ids"] if mask else ["input_ids", "position_ids"]
    return first + past_names(layers), ["logits"] + present


# --------------------------------------------------------------------------
# export
# --------------------------------------------------------------------------


def export(model, form: str, path: str) -> None:
    """Exports the decode step of `model` in `form` (see FORMS) to `path`."""
    spec = FORMS[form]
    layers, hkv, d = kv_shape(model)
    s, p = spec["seq"], spec["past"]
    torch.manual_seed(1)
    ids = torch.randint(0, VOCAB, (1, s), dtype=torch.int64)
    pos = torch.arange(p, p + s, dtype=torch.int64)[None]
    past = [torch.randn(1, hkv, p, d) for _ in range(2 * layers)]
    inputs, outputs = io_names(layers, spec["mask"])
    kw = dict(dynamo=True, opset_version=18, input_names=inputs, output_names=outputs, verbose=False)
    if spec["mask"]:
        step, args = MaskStep(model), (ids, torch.ones(1, p + s, dtype=torch.int64), pos, past)
    else:
        step, args = Step(model), (ids, pos, past)
    if spec["dynamic"]:
        seq, past_len = torch.export.Dim("seq", min=1, max=64), torch.export.Dim("past", min=0, max=64)
        # In the order of forward's parameters: torch.onnx renames the axes by position.
        shapes = {"input_ids": {1: seq}}
        if spec["mask"]:
            # P + S: a sum of two Dims cannot be declared, let torch.export name it
            shapes["attention_mask"] = {1: torch.export.Dim.DYNAMIC}
        shapes["position_ids"] = {1: seq}
        shapes["past"] = [{2: past_len} for _ in past]
        kw["dynamic_shapes"] = shapes
    import contextlib
    import io

    with torch.no_grad(), contextlib.redirect_stdout(io.StringIO()):  # the exporter's progress lines
        prog = torch.onnx.export(step, args, None, **kw)
    prog.save(path)


def describe(path: str) -> str:
    """The graph's inputs and outputs with shapes, and its op counts."""
    import onnx
    from collections import Counter

    g = onnx.load(path, load_external_data=False).graph

    def dims(v):
        return "x".join(str(d.dim_value) if d.HasField("dim_value") else (d.dim_param or "?")
                        for d in v.type.tensor_type.shape.dim)

    ins = ", ".join(f"{v.name}[{dims(v)}]" for v in g.input)
    outs = ", ".join(f"{v.name}[{dims(v)}]" for v in g.output)
    ops = Counter(n.op_type for n in g.node)
    return (f"inputs:  {ins}\n    outputs: {outs}\n    ops ({len(g.node)}): "
            + " ".join(f"{k}:{v}" for k, v in ops.most_common()))


# --------------------------------------------------------------------------
# references
# --------------------------------------------------------------------------


@torch.no_grad()
def torch_greedy(model, prompt: np.ndarray, n: int) -> np.ndarray:
    """Greedy loop over a DynamicCache with explicit position_ids: prefill, then one token per step."""
    ids = torch.from_numpy(prompt)
    cache = DynamicCache()
    pos = torch.arange(ids.shape[1])[None]
    tokens = []
    for _ in range(n):
        out = model(input_ids=ids, position_ids=pos, past_key_values=cache, use_cache=True)
        cache = out.past_key_values
        tok = int(torch.argmax(out.logits[0, -1]))
        tokens.append(tok)
        start = int(pos[0, -1]) + 1
        ids, pos = torch.tensor([[tok]]), torch.tensor([[start]])
    return np.array(tokens, np.int64)


@torch.no_grad()
def hf_generate(model, prompt: np.ndarray, n: int) -> np.ndarray:
    ids = torch.from_numpy(prompt)
    out = model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=n, min_new_tokens=n,
                         do_sample=False, num_beams=1, pad_token_id=0)
    return out[0, prompt.shape[1]:].numpy().astype(np.int64)


@torch.no_grad()
def teacher_forced_logits(model, prompt: np.ndarray, tokens: np.ndarray) -> np.ndarray:
    """Logits [N, V] predicting each of `tokens` after the prompt, in one full-sequence run."""
    seq = torch.from_numpy(np.concatenate([prompt[0], tokens[:-1]])[None])
    logits = model(input_ids=seq, position_ids=torch.arange(seq.shape[1])[None], use_cache=False).logits
    return logits[0, prompt.shape[1] - 1:].numpy()


class OrtStep:
    def __init__(self, path: str):
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.log_severity_level = 4
        self.sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        self.inputs = {i.name: i.shape for i in self.sess.get_inputs()}
        self.outputs = [o.name for o in self.sess.get_outputs()]

    def run(self, ids, start, past):
        pos = np.arange(start, start + ids.shape[1], dtype=np.int64)[None]
        feeds = {"input_ids": ids.astype(np.int64), **past}
        if "position_ids" in self.inputs:
            feeds["position_ids"] = pos
        if "attention_mask" in self.inputs:
            feeds["attention_mask"] = np.ones((1, start + ids.shape[1]), np.int64)
        out = dict(zip(self.outputs, self.sess.run(self.outputs, feeds)))
        present = {k.replace("present.", "past_key_values.", 1): v for k, v in out.items() if k != "logits"}
        return out["logits"], present


def ort_greedy(path: str, model, prompt: np.ndarray, n: int) -> np.ndarray:
    step = OrtStep(path)
    layers, hkv, d = kv_shape(model)
    past = {k: np.zeros((1, hkv, 0, d), np.float32) for k in past_names(layers)}
    logits, past = step.run(prompt, 0, past)
    pos, tokens = prompt.shape[1], []
    for _ in range(n):
        tokens.append(int(np.argmax(logits[0, -1])))
        logits, past = step.run(np.array([[tokens[-1]]]), pos, past)
        pos += 1
    return np.array(tokens, np.int64)


@torch.no_grad()
def ort_static_step_error(path: str, model, p: int) -> float:
    """Max |onnxruntime - torch| over logits and presents of one decode step after P=p (random past)."""
    step = OrtStep(path)
    layers, hkv, d = kv_shape(model)
    rng = np.random.default_rng(3)
    past = [rng.standard_normal((1, hkv, p, d)).astype(np.float32) for _ in range(2 * layers)]
    ids = np.array([[7]], np.int64)
    logits, present = step.run(ids, p, dict(zip(past_names(layers), past)))
    want = Step(model)(torch.from_numpy(ids), torch.tensor([[p]]), [torch.from_numpy(x) for x in past])
    err = float(np.abs(logits - want[0].numpy()).max())
    for name, w in zip(past_names(layers), want[1:]):
        err = max(err, float(np.abs(present[name] - w.numpy()).max()))
    return err


# --------------------------------------------------------------------------
# txc
# --------------------------------------------------------------------------


def run(cmd: list[str]) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(cmd, -1, "", f"timed out after {TIMEOUT} s")


def first_lines(text: str, n: int = 6) -> str:
    lines = [l for l in text.strip().splitlines() if l.strip()]
    return "\n".join(lines[:n]) + (f"\n... ({len(lines) - n} more lines)" if len(lines) > n else "")


def quote(cmd: list[str]) -> str:
    import shlex

    return " ".join(shlex.quote(c) for c in cmd)


class Row:
    def __init__(self, family, form, flags):
        self.family, self.form, self.flags = family, form, flags
        self.match = "-"
        self.mismatch = ""
        self.error = ""
        self.repro: list[str] = []
        self.detail = ""

    @property
    def ok(self):
        return self.match in ("yes", "expected")


def check_txc(row: Row, opts, onnx_path: str, work: str, prompt: np.ndarray, want: np.ndarray, model,
              expected=None) -> None:
    """Compiles, generates and compares with `want`; `expected` = (tokens, why): txc producing these
    instead is an export limitation, not a txc bug (match 'expected')."""
    tag = "txc" + "".join(row.flags.split()).replace("--", "_").replace("-", "")
    so = os.path.join(work, tag, "model.so")
    os.makedirs(os.path.dirname(so), exist_ok=True)
    compile_cmd = [opts.txc, onnx_path, "-q", "--max-seq", str(opts.max_seq)] + row.flags.split() + ["-o", so]
    row.repro.append(quote(compile_cmd))
    r = run(compile_cmd)
    if r.returncode:
        row.match = "no"
        row.error = f"txc exit {r.returncode}:\n" + first_lines(r.stderr or r.stdout)
        return
    out = os.path.join(work, tag, "tokens.npy")
    prompt_text = " ".join(str(int(t)) for t in prompt[0])
    gen_cmd = [opts.txc_run, so, "generate", "--prompt-ids", prompt_text, "--max-new-tokens", str(opts.new_tokens),
               "--greedy", "--out", out]
    row.repro.append(quote(gen_cmd))
    r = run(gen_cmd)
    if r.returncode or not os.path.exists(out):
        row.match = "no"
        row.error = f"txc-run exit {r.returncode}:\n" + first_lines(r.stderr or r.stdout)
        return
    got = np.load(out).reshape(-1)
    printed = [l for l in r.stdout.splitlines() if l.startswith("tokens:")]
    if printed and [int(t) for t in printed[-1].split()[1:]] != got.tolist():
        row.error = f"printed {printed[-1]!r} differs from {out}"
    if got.shape != want.shape:
        row.match = "no"
        row.error = f"tokens.npy has shape {list(got.shape)}, expected {list(want.shape)}"
        return
    if np.array_equal(got, want) and not row.error:
        row.match = "yes"
        return
    row.match = "no"
    if expected is not None and np.array_equal(got, expected[0]) and not row.error:
        row.match = "expected"
        row.detail = expected[1]
        row.mismatch = str(int(np.nonzero(got != want)[0][0]))
        return
    diff = np.nonzero(got != want)[0]
    if len(diff):
        i = int(diff[0])
        row.mismatch = str(i)
        logits = teacher_forced_logits(model, prompt, got)[i]
        margin = float(logits.max() - logits[got[i]])
        row.detail = (f"step {i} (position {prompt.shape[1] + i}): txc {int(got[i])}, reference {int(want[i])}; "
                      f"torch logit margin of txc's token {margin:.3g} (max |logit| {np.abs(logits).max():.3g})\n"
                      f"      txc: {' '.join(map(str, got.tolist()))}\n"
                      f"      ref: {' '.join(map(str, want.tolist()))}")


# --------------------------------------------------------------------------


def check_family(family: str, opts, root: str, rows: list[Row], notes: list[str]) -> None:
    model = make_model(family, opts)
    rng = np.random.default_rng([opts.seed, 2])
    prompt = rng.integers(0, VOCAB, (1, opts.prompt_len)).astype(np.int64)
    want = torch_greedy(model, prompt, opts.new_tokens)
    ref = hf_generate(model, prompt, opts.new_tokens)
    notes.append(f"{family}: prompt {' '.join(map(str, prompt[0]))}\n    reference (torch greedy loop): "
                 f"{' '.join(map(str, want))}")
    if np.array_equal(ref, want):
        notes.append(f"{family}: model.generate(do_sample=False) == the greedy loop")
    else:
        notes.append(f"{family}: WARNING model.generate(do_sample=False) gives {' '.join(map(str, ref))}, "
                     "not the greedy loop's tokens")
    margins = teacher_forced_logits(model, prompt, want)
    top2 = np.sort(margins, axis=-1)[:, -2:]
    notes.append(f"{family}: smallest top-1/top-2 logit gap along the reference: {float((top2[:, 1] - top2[:, 0]).min()):.3g}")

    for form in opts.forms:
        work = os.path.join(root, f"{family}-{form}")
        os.makedirs(work, exist_ok=True)
        np.save(os.path.join(work, "prompt.npy"), prompt)
        np.save(os.path.join(work, "ref_tokens.npy"), want)
        path = os.path.join(work, "model.onnx")
        flag_sets = [[]]
        if opts.kv_block:
            flag_sets.append(["--kv-block", str(opts.kv_block)])
        if FORMS[form]["dynamic"] and opts.prefill_chunk:
            flag_sets.append(["--prefill-chunk", str(opts.prefill_chunk)])
            if opts.kv_block:
                flag_sets.append(["--prefill-chunk", str(opts.prefill_chunk), "--kv-block", str(opts.kv_block)])
        try:
            export(model, form, path)
        except Exception as e:  # noqa: BLE001 - report the exporter's failure
            row = Row(family, form, "(export)")
            row.match = "no"
            row.error = f"torch.onnx.export failed: {type(e).__name__}: " + first_lines(str(e), 4)
            if opts.traceback:
                traceback.print_exc()
            rows.append(row)
            continue
        notes.append(f"{family}-{form}: {path}\n    {describe(path)}")
        expected = None
        spec = FORMS[form]
        if family == "mistral" and not spec["dynamic"] and spec["past"] + spec["seq"] <= opts.window:
            # Every key of the example is inside the window: the exporter folds the mask away and the
            # graph is plain causal attention (identical to llama's), so txc cannot know the window.
            saved = model.config.sliding_window
            model.config.sliding_window = None
            try:
                full = torch_greedy(model, prompt, opts.new_tokens)
            finally:
                model.config.sliding_window = saved
            expected = (full, f"export limitation: P + S = {spec['past'] + spec['seq']} <= window {opts.window}, "
                              "the exported graph has no sliding-window mask; txc's tokens are those of full "
                              "causal attention (torch with sliding_window=None)")
        try:
            if not FORMS[form]["dynamic"]:
                p = FORMS[form]["past"]
                err = ort_static_step_error(path, model, p)
                notes.append(f"{family}-{form}: onnxruntime decode step (P={p}) vs torch: max |err| {err:.2e}")
            else:
                got = ort_greedy(path, model, prompt, opts.new_tokens)
                same = np.array_equal(got, want)
                notes.append(f"{family}-{form}: onnxruntime greedy step by step "
                             f"{'== torch' if same else '!= torch: ' + ' '.join(map(str, got))}")
        except Exception as e:  # noqa: BLE001
            notes.append(f"{family}-{form}: onnxruntime failed: {type(e).__name__}: {first_lines(str(e), 3)}")
        for flags in flag_sets:
            row = Row(family, form, " ".join(flags) or "-")
            if row.flags == "-":
                row.flags = ""
            check_txc(row, opts, path, work, prompt, want, model, expected)
            if not row.flags:
                row.flags = "-"
            rows.append(row)


def headline(error: str, width: int = 110) -> str:
    """The line of `error` that says most: its first 'error:' line, else its first line after the header."""
    lines = error.splitlines()
    if not lines:
        return ""
    pick = next((l for l in lines if "error:" in l), lines[1] if len(lines) > 1 and lines[0].endswith(":")
                else lines[0])
    if pick is not lines[0] and lines[0].endswith(":"):
        pick = lines[0][:-1] + ": " + pick.split("error:", 1)[-1].strip()
    return pick if len(pick) <= width else pick[:width - 3] + "..."


def print_table(rows: list[Row]) -> None:
    head = ("family", "form", "txc flags", "match", "first mismatch", "error")
    table = [(r.family, r.form, r.flags, r.match, r.mismatch or "-", headline(r.error)) for r in rows]
    widths = [max(len(h), *(len(t[i]) for t in table)) for i, h in enumerate(head[:-1])]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths) + "  {}"
    print(fmt.format(*head))
    print(fmt.format(*("-" * w for w in widths), "-----"))
    for t in table:
        print(fmt.format(*t))


def find_tool(name: str, given: str | None) -> str:
    if given:
        return given
    local = os.path.join(BUILD_BIN, name)
    if os.path.exists(local):
        return os.path.abspath(local)
    return shutil.which(name) or name


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=",".join(FAMILIES), help="comma-separated subset of " + ",".join(FAMILIES))
    ap.add_argument("--forms", default=DEFAULT_FORMS,
                    help=f"comma-separated subset of {','.join(FORMS)} (default {DEFAULT_FORMS})")
    ap.add_argument("--keep", metavar="DIR", help="keep every file in DIR/FAMILY-FORM/ (default: a temporary "
                    "directory, removed at the end)")
    ap.add_argument("--txc", help="txc binary (default: build/bin/txc beside this script, else PATH)")
    ap.add_argument("--txc-run", help="txc-run binary (default: build/bin/txc-run, else PATH)")
    ap.add_argument("--max-seq", type=int, default=64, help="txc --max-seq (default 64)")
    ap.add_argument("--kv-block", type=int, default=16, help="also compile with --kv-block N (default 16; 0: no)")
    ap.add_argument("--prefill-chunk", type=int, default=8,
                    help="also compile the dynamic form with --prefill-chunk N (default 8; 0: no)")
    ap.add_argument("--prompt-len", type=int, default=11, help="prompt tokens (default 11)")
    ap.add_argument("--new-tokens", type=int, default=20, help="tokens to generate (default 20)")
    ap.add_argument("--seed", type=int, default=0, help="seed of weights and prompt (default 0)")
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--kv-heads", type=int, default=2, help="KV heads (GQA) of llama, qwen2, mistral (default 2)")
    ap.add_argument("--window", type=int, default=8, help="mistral's sliding window (default 8)")
    ap.add_argument("--init-std", type=float, default=0.2, help="initializer_range of the weights (default 0.2)")
    ap.add_argument("--attn", default="sdpa", choices=["sdpa", "eager"], help="attention implementation")
    ap.add_argument("--traceback", action="store_true", help="print exporter tracebacks")
    opts = ap.parse_args(argv)
    families = [m for m in opts.models.split(",") if m]
    for m in families:
        if m not in FAMILIES:
            ap.error(f"unknown model {m!r} (known: {', '.join(FAMILIES)})")
    opts.forms = [f for f in opts.forms.split(",") if f]
    for f in opts.forms:
        if f not in FORMS:
            ap.error(f"unknown form {f!r}")
    if opts.prompt_len + opts.new_tokens - 1 > opts.max_seq:
        ap.error("--prompt-len + --new-tokens - 1 must not exceed --max-seq (the last token is not fed back)")
    opts.txc = find_tool("txc", opts.txc)
    opts.txc_run = find_tool("txc-run", opts.txc_run)

    root = os.path.abspath(opts.keep) if opts.keep else tempfile.mkdtemp(prefix="check_generate_hf.")
    os.makedirs(root, exist_ok=True)
    rows: list[Row] = []
    notes: list[str] = []
    try:
        for family in families:
            print(f"== {family}", file=sys.stderr, flush=True)
            check_family(family, opts, root, rows, notes)
        print("\n".join(notes))
        print()
        print_table(rows)
        failed = [r for r in rows if not r.ok]
        for r in rows:
            if r.match == "expected":
                print(f"\nEXPECTED {r.family} {r.form} {r.flags}: {r.detail}")
        last_error = None
        for r in failed:
            print(f"\nFAIL {r.family} {r.form} {r.flags}")
            if r.error and r.error.replace(f"/{r.family}-{r.form}/", "/") == last_error:
                print("    (the same error as above)")
            elif r.error:
                print("    " + r.error.replace("\n", "\n    "))
            last_error = r.error.replace(f"/{r.family}-{r.form}/", "/") if r.error else None
            if r.detail:
                print("    " + r.detail)
            if r.repro and opts.keep:
                print("    repro:\n      " + "\n      ".join(r.repro))
        print(f"\n{len(rows) - len(failed)} passed, {len(failed)} failed" + (f"; files in {root}" if opts.keep else ""))
        return 1 if failed else 0
    finally:
        if not opts.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
