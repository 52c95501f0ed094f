#!/usr/bin/env python3
"""End-to-end check of generation: greedy decoding of a compiled decode-step
model (txc-run generate) against onnxruntime running the same model step by
step, carrying present.* back in as past_key_values.*.

usage: generate_ort.py WORKDIR STYLE [gen_models flags...] [--batch B]
           [--prompt-len 5] [--new-tokens 8] [--max-seq 32] [--kv-block N]
           [--prefill-chunk N] [--dynamic] [--ort-only] [--check-paged N]
           [--check-reset] [--check-sampling] [--static-past P]

STYLE and the flags this script does not know go to gen_models.py, which
writes the model with --past-kv into WORKDIR/NAME/: model.onnx for txc (static
shapes, --past P --seq 1 with P from --static-past, default 1; the
symbolic-shape export with --dynamic) and, for
onnxruntime, ref.onnx, the symbolic-shape export with the same seed and
weights (onnxruntime prefills the prompt at once from an empty past). Before
using ref.onnx it is checked to compute what model.onnx does on a decode
step with one past token, and its decode steps to compute what a
full-sequence run over the same tokens does.

The prompt is seeded random ids [B, prompt_len] (seed from --seed); greedy
decoding takes the argmax of the last logits row (lowest index on ties).
txc compiles model.onnx with `txc MODEL -q --max-seq M [--kv-block N]
[--prefill-chunk N]` (and --batch B for the --dynamic export) and
`txc-run LIB generate --prompt-ids prompt.npy --max-new-tokens N --greedy
--out tokens.npy` generates; the tokens must be onnxruntime's. Where they
part, txc's token is accepted only if onnxruntime's logits along txc's own
path put it within 1e-4 * max(1, max |logits|) of the maximum (a near tie;
the line says so), the tolerance compare_ort.py uses.

  --check-paged N   compile again with --kv-block N: the same tokens
  --check-reset     txc-run generate --repeat 2: both runs print the same tokens
  --check-sampling  --temperature 0.8 --top-k 20 --top-p 0.9 --seed 7 twice:
                    the same tokens; --seed 8 must run too
  --ort-only        only the onnxruntime reference (prints its tokens)

Prints "OK NAME tokens=..." or "FAIL NAME: why" per check and a final
"generate: N passed, M failed" line; exits 1 if any check failed.
"""
import argparse
import os
import shutil
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "..", "Frontend", "ONNX", "gen_models.py")
TIMEOUT = 900  # seconds per command
RTOL = 1e-4

# This script's own flags: name -> number of values.
OWN_FLAGS = {"--batch": 1, "--prompt-len": 1, "--new-tokens": 1, "--max-seq": 1, "--kv-block": 1,
             "--prefill-chunk": 1, "--dynamic": 0, "--ort-only": 0, "--check-paged": 1, "--check-reset": 0,
             "--check-sampling": 0, "--static-past": 1}
# gen_models.py flags the script sets itself.
RESERVED = {"--seq", "--past", "--past-kv", "-o", "--output", "--inputs", "--reference-out", "--with-mask",
            "--list", "--op", "--op-list", "--self-test"}


class CheckFailed(Exception):
    pass


def split_args(argv):
    """(own args, gen_models args): flags in OWN_FLAGS with their values, and the rest."""
    own, gen = [], []
    i = 0
    while i < len(argv):
        flag = argv[i].split("=", 1)[0]
        if flag in OWN_FLAGS:
            n = 0 if "=" in argv[i] else OWN_FLAGS[flag]
            own += argv[i:i + 1 + n]
            i += 1 + n
            continue
        if flag in RESERVED:
            raise SystemExit(f"generate_ort.py: {flag} is set by this script")
        gen.append(argv[i])
        i += 1
    return own, gen


def parse(argv):
    if len(argv) < 2 or argv[0].startswith("-") or argv[1].startswith("-"):
        raise SystemExit(__doc__)
    work, style = argv[0], argv[1]
    own, gen = split_args(argv[2:])
    p = argparse.ArgumentParser(prog="generate_ort.py")
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--prompt-len", type=int, default=5)
    p.add_argument("--new-tokens", type=int, default=8)
    p.add_argument("--max-seq", type=int, default=32)
    p.add_argument("--kv-block", type=int)
    p.add_argument("--prefill-chunk", type=int)
    p.add_argument("--dynamic", action="store_true")
    p.add_argument("--static-past", type=int, default=1, metavar="P",
                   help="past length of the static export (default 1); a sliding window only shows in a "
                        "static export's mask when P + 1 > window")
    p.add_argument("--ort-only", action="store_true")
    p.add_argument("--check-paged", type=int, metavar="N")
    p.add_argument("--check-reset", action="store_true")
    p.add_argument("--check-sampling", action="store_true")
    args = p.parse_args(own)
    args.work, args.style, args.gen = work, style, gen
    args.name = "-".join([style] + [a.lstrip("-") for a in argv[2:]])
    if args.prompt_len < 1 or args.new_tokens < 1 or args.batch < 1:
        p.error("--prompt-len, --new-tokens and --batch must be positive")
    if args.prompt_len + args.new_tokens > args.max_seq:
        p.error("--prompt-len + --new-tokens must not exceed --max-seq")
    if style.startswith("mistral") and not any(a.split("=", 1)[0] == "--window" for a in gen):
        p.error("give mistral a --window (its default depends on the sequence length)")
    args.seed = int(gen_value(gen, "--seed", 0))
    max_pos = int(gen_value(gen, "--max-pos", 64))
    if args.prompt_len + args.new_tokens > max_pos:
        p.error(f"--prompt-len + --new-tokens must not exceed the model's --max-pos ({max_pos})")
    return args


def gen_value(gen, flag, default):
    for i, a in enumerate(gen):
        if a == flag and i + 1 < len(gen):
            return gen[i + 1]
        if a.startswith(flag + "="):
            return a.split("=", 1)[1]
    return default


def run(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(cmd, -1, "", f"timed out after {TIMEOUT} s: {' '.join(cmd)}")
    except OSError as e:  # e.g. the tool vanished while being rebuilt
        return subprocess.CompletedProcess(cmd, -1, "", f"cannot run {cmd[0]}: {e}")


def must(r, what):
    if r.returncode:
        text = " | ".join(line for line in (r.stderr or r.stdout).strip().splitlines() if line.strip())
        if len(text) > 700:
            text = text[:500] + " ... " + text[-200:]
        raise CheckFailed(f"{what} failed (exit {r.returncode}): {text}")
    return r


def fmt(tokens):
    return " ".join("[" + " ".join(str(int(t)) for t in row) + "]" for row in tokens)


# --------------------------------------------------------------------------
# onnxruntime reference
# --------------------------------------------------------------------------


class Ort:
    """A decode-step model in onnxruntime: run(ids, start, past) -> (logits, presents as past)."""

    def __init__(self, path):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        options.log_severity_level = 4
        self.session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        self.outputs = [o.name for o in self.session.get_outputs()]
        self.past_shapes = {i.name: i.shape for i in self.session.get_inputs() if i.name.startswith("past_key_values.")}
        self.vocab = self.session.get_outputs()[0].shape[2]

    def empty_past(self, batch):
        return {name: np.zeros((batch, shape[1], 0, shape[3]), np.float32) for name, shape in self.past_shapes.items()}

    def run(self, ids, start, past):
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        positions = np.broadcast_to(np.arange(start, start + ids.shape[1], dtype=np.int64), ids.shape).copy()
        out = dict(zip(self.outputs, self.session.run(self.outputs, {"input_ids": ids, "position_ids": positions,
                                                                     **past})))
        presents = {k.replace("present.", "past_key_values.", 1): v for k, v in out.items() if k != "logits"}
        return out["logits"], presents


def close(a, b):
    scale = max(1.0, float(np.abs(a).max()))
    return float(np.abs(a.astype(np.float64) - b).max()) <= RTOL * scale


def greedy_reference(ref, prompt, new_tokens):
    """Prefill the prompt from an empty past, then decode; (tokens [B, N], logits per step [N, B, V])."""
    logits, past = ref.run(prompt, 0, ref.empty_past(prompt.shape[0]))
    steps, tokens = [logits[:, -1]], []
    pos = prompt.shape[1]
    for _ in range(new_tokens):
        tokens.append(np.argmax(steps[-1], axis=-1))  # lowest index on ties
        if len(tokens) == new_tokens:
            break
        logits, past = ref.run(tokens[-1][:, None], pos, past)
        steps.append(logits[:, -1])
        pos += 1
    return np.stack(tokens, axis=1).astype(np.int64), np.stack(steps)


def teacher_forced(ref, prompt, tokens):
    """Logits [N, B, V] predicting each of `tokens` after the prompt, in one run from an empty past."""
    seq = np.concatenate([prompt, tokens[:, :-1]], axis=1)
    logits, _ = ref.run(seq, 0, ref.empty_past(prompt.shape[0]))
    return np.transpose(logits[:, prompt.shape[1] - 1:], (1, 0, 2))


def check_reference(args, ref, static_path, prompt, tokens, steps):
    """ref.onnx decodes as a full-sequence run does, and computes what model.onnx does."""
    forced = teacher_forced(ref, prompt, tokens)
    if not close(steps, forced):
        raise CheckFailed("onnxruntime: decoding with past/present differs from the full-sequence run")
    if static_path is None:
        return
    static = Ort(static_path)
    seq = np.concatenate([prompt, tokens], axis=1)
    n = args.static_past
    if seq.shape[1] <= n:
        raise CheckFailed(f"--static-past {n} needs more than {n} prompt + new tokens")
    _, past = ref.run(seq[:, :n], 0, ref.empty_past(args.batch))
    want, want_present = ref.run(seq[:, n:n + 1], n, past)
    got, got_present = static.run(seq[:, n:n + 1], n, past)
    if not close(want, got) or any(not close(want_present[k], got_present[k]) for k in want_present):
        raise CheckFailed("onnxruntime: the static model.onnx and the dynamic ref.onnx differ on a decode step")


# --------------------------------------------------------------------------
# txc
# --------------------------------------------------------------------------


def compile_model(args, model, so, kv_block):
    os.makedirs(os.path.dirname(so), exist_ok=True)
    cmd = ["txc", model, "-q", "--max-seq", str(args.max_seq)]
    if args.dynamic:  # the batch of a symbolic-batch model
        cmd += ["--batch", str(args.batch)]
    if kv_block is not None:
        cmd += ["--kv-block", str(kv_block)]
    if args.prefill_chunk is not None:
        cmd += ["--prefill-chunk", str(args.prefill_chunk)]
    must(run(cmd + ["-o", so]), " ".join(cmd))


def printed_tokens(stdout):
    """The rows txc-run printed as `tokens: 1 2 3`."""
    rows = []
    for line in stdout.splitlines():
        if line.startswith("tokens:"):
            rows.append([int(t) for t in line[len("tokens:"):].split()])
    return rows


def generate(args, so, prompt_path, out, extra, vocab):
    """txc-run LIB generate ...; returns (tokens from --out, the printed rows)."""
    if os.path.exists(out):
        os.remove(out)
    cmd = ["txc-run", so, "generate", "--prompt-ids", prompt_path, "--max-new-tokens", str(args.new_tokens)]
    cmd += extra + ["--out", out]
    r = must(run(cmd), " ".join(cmd))
    if not os.path.exists(out):
        raise CheckFailed(f"{' '.join(cmd)} wrote no {out}")
    tokens = np.load(out)
    if tokens.dtype != np.int64 or tokens.shape != (args.batch, args.new_tokens):
        raise CheckFailed(f"tokens.npy is {tokens.dtype} {list(tokens.shape)}, "
                          f"expected int64 [{args.batch}, {args.new_tokens}]")
    if tokens.min() < 0 or tokens.max() >= vocab:
        raise CheckFailed(f"token ids outside [0, {vocab}): {fmt(tokens)}")
    rows = printed_tokens(r.stdout)
    if rows[-args.batch:] != tokens.tolist():
        raise CheckFailed(f"printed tokens {rows[-args.batch:]} differ from tokens.npy {fmt(tokens)}")
    return tokens, rows


def compare_greedy(ref, prompt, want, got):
    """'' if txc's tokens are onnxruntime's, a note if they part at a near tie, else CheckFailed."""
    if np.array_equal(want, got):
        return ""
    forced = teacher_forced(ref, prompt, got)
    notes = []
    for step in range(got.shape[1]):
        for row in range(got.shape[0]):
            logits = forced[step, row]
            best, tol = float(logits.max()), RTOL * max(1.0, float(np.abs(logits).max()))
            margin = best - float(logits[got[row, step]])
            if margin > tol:
                raise CheckFailed(f"row {row} step {step}: txc {got[row, step]}, onnxruntime "
                                  f"{int(np.argmax(logits))} (logit margin {margin:.3g} > {tol:.1g}); "
                                  f"txc {fmt(got)}, onnxruntime {fmt(want)}")
            if got[row, step] != np.argmax(logits):
                notes.append(f"row {row} step {step} margin {margin:.1g}")
    return f" (near tie: {', '.join(notes)}; onnxruntime {fmt(want)})"


# --------------------------------------------------------------------------


def gen_model(args, path, extra):
    cmd = [sys.executable, GEN, args.style, "--past-kv", "--batch", str(args.batch)] + args.gen + extra
    must(run(cmd + ["-o", path]), "gen_models.py " + " ".join(cmd[2:]))


def main(argv):
    args = parse(argv)
    d = os.path.join(args.work, args.name)
    os.makedirs(d, exist_ok=True)
    results = []

    def report(name, ok, msg):
        print(("OK " if ok else "FAIL ") + name + (" " if ok else ": ") + msg, flush=True)
        results.append(ok)

    def check(name, fn):
        try:
            report(name, True, fn())
        except CheckFailed as e:
            report(name, False, str(e))

    # onnxruntime reference
    try:
        ref_path = os.path.join(d, "ref.onnx")
        gen_model(args, ref_path, ["--dynamic"])
        if args.dynamic:
            model, static_path = ref_path, None
        else:
            model = static_path = os.path.join(d, "model.onnx")
            gen_model(args, model, ["--past", str(args.static_past), "--seq", "1"])
        ref = Ort(ref_path)
        rng = np.random.default_rng([args.seed, 2])
        prompt = rng.integers(0, ref.vocab, (args.batch, args.prompt_len)).astype(np.int64)
        prompt_path = os.path.join(d, "prompt.npy")
        np.save(prompt_path, prompt)
        want, steps = greedy_reference(ref, prompt, args.new_tokens)
        check_reference(args, ref, static_path, prompt, want, steps)
        np.save(os.path.join(d, "ref_tokens.npy"), want)
    except CheckFailed as e:
        report(args.name, False, str(e))
        return finish(results)
    if args.ort_only:
        report(args.name, True, f"tokens={fmt(want)} (onnxruntime only)")
        return finish(results)

    missing = [tool for tool in ("txc", "txc-run") if shutil.which(tool) is None]
    if missing:
        report(args.name, False, f"{' and '.join(missing)} not on PATH")
        return finish(results)

    so = os.path.join(d, "out", "model.so")
    got = None

    def greedy():
        nonlocal got
        compile_model(args, model, so, args.kv_block)
        got, _ = generate(args, so, prompt_path, os.path.join(d, "tokens.npy"), ["--greedy"], ref.vocab)
        return f"tokens={fmt(got)}" + compare_greedy(ref, prompt, want, got)
    check(args.name, greedy)
    if got is None:
        return finish(results)

    if args.check_paged is not None:
        def paged():
            paged_so = os.path.join(d, f"out-kv-block-{args.check_paged}", "model.so")
            compile_model(args, model, paged_so, args.check_paged)
            tokens, _ = generate(args, paged_so, prompt_path, os.path.join(d, "tokens_paged.npy"), ["--greedy"],
                                 ref.vocab)
            if not np.array_equal(tokens, got):
                raise CheckFailed(f"--kv-block {args.check_paged}: {fmt(tokens)}, contiguous cache: {fmt(got)}")
            return f"tokens={fmt(tokens)}"
        check(f"{args.name} paged-{args.check_paged}", paged)

    if args.check_reset:
        def reset():
            tokens, rows = generate(args, so, prompt_path, os.path.join(d, "tokens_reset.npy"),
                                    ["--greedy", "--repeat", "2"], ref.vocab)
            if len(rows) != 2 * args.batch:
                raise CheckFailed(f"--repeat 2 printed {len(rows)} token lines, expected {2 * args.batch}")
            first, second = rows[:args.batch], rows[args.batch:]
            if first != second:
                raise CheckFailed(f"run 1 {fmt(first)}, run 2 {fmt(second)}")
            if first != got.tolist():
                raise CheckFailed(f"--repeat 2 generated {fmt(first)}, a single run {fmt(got)}")
            return f"tokens={fmt(tokens)}"
        check(f"{args.name} reset", reset)

    if args.check_sampling:
        def sampling():
            flags = ["--temperature", "0.8", "--top-k", "20", "--top-p", "0.9", "--seed"]
            a, _ = generate(args, so, prompt_path, os.path.join(d, "tokens_seed7a.npy"), flags + ["7"], ref.vocab)
            b, _ = generate(args, so, prompt_path, os.path.join(d, "tokens_seed7b.npy"), flags + ["7"], ref.vocab)
            if not np.array_equal(a, b):
                raise CheckFailed(f"--seed 7 gave {fmt(a)}, then {fmt(b)}")
            c, _ = generate(args, so, prompt_path, os.path.join(d, "tokens_seed8.npy"), flags + ["8"], ref.vocab)
            return f"tokens={fmt(a)} (seed 8: {fmt(c)})"
        check(f"{args.name} sampling", sampling)
    return finish(results)


def finish(results):
    passed = sum(results)
    print(f"generate: {passed} passed, {len(results) - passed} failed")
    return 1 if len(results) > passed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
