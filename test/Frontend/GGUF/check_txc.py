#!/usr/bin/env python3
"""Compiles a GGUF file or HF folder with txc and checks its logits (or
BERT's last hidden states) against ref_forward.py.

  check_txc.py --txc build/bin/txc --txc-run build/bin/txc-run MODEL \
      --tol 1e-3 [--rel] [--min-agree 1.0] [--seq 8] [--txc-arg=...]

The model is compiled for one forward pass of `--seq` tokens (txc
--max-seq 0 --shape input_ids=1xSEQ), run by txc-run on fixed random ids
(positions 0..S-1), and compared with the float64 reference: the max
absolute difference divided by the reference's max |logit| (with --rel, else
absolute) must be within --tol, and top-1 agreement over positions whose
reference top-2 logits are not within 1e-3 must reach --min-agree. Prints
one line of figures and PASS, or FAIL with the reason (exit 1).

A Hugging Face folder with Llama 3 RoPE scaling (rope_scaling rope_type
"llama3", which ref_forward.py does not read) is checked against the
reference forward of the same weights with rotary frequencies computed here
from the config, as Hugging Face's _compute_llama3_parameters defines them.

With --against OTHER, OTHER (e.g. the Hugging Face folder gen_hf.py
--from-gguf wrote for MODEL) is compiled and run the same way and its output
replaces the reference: the two compiled models must agree within --tol.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare_logits  # noqa: E402
import ref_forward  # noqa: E402


def llama3_scaling(model):
    """The rope_scaling object of a folder with llama3 scaling, or None."""
    cfg = os.path.join(model, "config.json")
    if not os.path.isdir(model) or not os.path.exists(cfg):
        return None
    with open(cfg) as f:
        rs = json.load(f).get("rope_scaling") or {}
    return rs if rs.get("rope_type", rs.get("type")) == "llama3" else None


def llama3_forward(model, ids, rs, tmp):
    """Reference logits of `model` with llama3 RoPE scaling `rs`: the
    folder is linked into `tmp` without rope_scaling and ref_forward's RoPE
    rotates by the scaled frequencies."""
    copy = os.path.join(tmp, "unscaled")
    os.makedirs(copy)
    for name in os.listdir(model):
        if name != "config.json":
            os.symlink(os.path.join(os.path.abspath(model), name),
                       os.path.join(copy, name))
    with open(os.path.join(model, "config.json")) as f:
        c = json.load(f)
    del c["rope_scaling"]
    with open(os.path.join(copy, "config.json"), "w") as f:
        json.dump(c, f)

    factor, low = float(rs["factor"]), float(rs["low_freq_factor"])
    high = float(rs["high_freq_factor"])
    old = float(rs["original_max_position_embeddings"])

    def rope(x, cfg, positions=None):
        r = cfg.rope_dim
        inv = cfg.rope_base ** (-np.arange(0, r, 2, dtype=np.float64) / r)
        wavelen = 2 * np.pi / inv
        smooth = (old / wavelen - low) / (high - low)
        medium = (1 - smooth) * inv / factor + smooth * inv
        inv = np.where(wavelen < old / high, inv,
                       np.where(wavelen > old / low, inv / factor, medium))
        pos = np.arange(x.shape[0]) if positions is None else np.asarray(positions)
        ang = pos.astype(np.float64)[:, None] * inv[None, :]
        cos, sin = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
        a, b = x[..., : r // 2].copy(), x[..., r // 2: r].copy()
        x[..., : r // 2] = a * cos - b * sin
        x[..., r // 2: r] = b * cos + a * sin
        return x

    plain = ref_forward._rope
    ref_forward._rope = rope
    try:
        return ref_forward.forward(copy, ids)
    finally:
        ref_forward._rope = plain


def run_txc(a, model, ids, is_bert):
    """Compiles `model` for one pass over `ids` [1, S] and runs it: the
    [S, N] float64 output, or a FAIL line."""
    seq = ids.shape[1]
    with tempfile.TemporaryDirectory() as tmp:
        so = os.path.join(tmp, "m.so")
        cmd = [a.txc, model, "-q", "--max-seq", "0",
               f"--shape=input_ids=1x{seq}", "-o", so] + a.txc_arg
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            return "FAIL: txc: " + r.stderr.strip()
        np.save(os.path.join(tmp, "ids.npy"), ids)
        run = [a.txc_run, so, "--in", f"input_ids={tmp}/ids.npy",
               "--out-dir", tmp]
        if not is_bert:
            np.save(os.path.join(tmp, "pos.npy"),
                    np.arange(seq, dtype=np.int64)[None, :])
            run += ["--in", f"position_ids={tmp}/pos.npy"]
        r = subprocess.run(run, capture_output=True, text=True)
        if r.returncode != 0:
            return "FAIL: txc-run: " + r.stderr.strip()
        name = "last_hidden_state" if is_bert else "logits"
        depth = os.path.join(tmp, "layers_run.npy")
        if os.path.exists(depth):
            a.layers_run = np.load(depth)[0]
        return np.load(os.path.join(tmp, name + ".npy"))[0].astype(np.float64)


def read_stats(path):
    """name -> f32 array of every tensor of a txc calibrate statistics
    file."""
    with open(path, "rb") as f:
        data = f.read()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    out = {}
    for name, info in header.items():
        if name != "__metadata__":
            start, end = info["data_offsets"]
            out[name] = np.frombuffer(data[8 + n + start:8 + n + end],
                                      dtype="<f4")
    return out


def read_probes(path):
    """layer index -> layer.I.probe of a txc calibrate statistics file."""
    return {int(name.split(".")[1]): v for name, v in read_stats(path).items()
            if name.startswith("layer.") and name.endswith(".probe")}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("--txc", required=True)
    p.add_argument("--txc-run", required=True)
    p.add_argument("--seq", type=int, default=8)
    p.add_argument("--tol", type=float, default=1e-3)
    p.add_argument("--rel", action="store_true")
    p.add_argument("--min-agree", type=float, default=1.0)
    p.add_argument("--txc-arg", action="append", default=[])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--early-exit", type=float, metavar="T",
                   help="compile with txc --early-exit=T (and "
                        "--early-exit-from) and compare with the reference's "
                        "early exit; prints the mean depth and fails when a "
                        "reference decision is within 1e-5 of T")
    p.add_argument("--early-exit-from", type=int, default=0, metavar="M")
    p.add_argument("--mod-capacity", type=float, metavar="C",
                   help="compile with txc --mod-capacity=C (and "
                        "--mod-schedule) and compare with the reference's "
                        "routing; prints the tokens each routed layer kept")
    p.add_argument("--mod-schedule", default="constant")
    p.add_argument("--mod-probes", metavar="STATS",
                   help="with --mod-capacity: txc --mod-router=probe "
                        "--calibration=STATS, the reference scoring with "
                        "STATS' layer.I.probe")
    p.add_argument("--mod-checkpoint", metavar="WEIGHTING",
                   choices=["none", "mod", "pmod"],
                   help="with --mod-capacity: txc --mod-router=checkpoint "
                        "--mod-weighting=WEIGHTING (the model's "
                        "blk.I.mod_router), the reference composing the same")
    p.add_argument("--against", metavar="OTHER",
                   help="compare with this model compiled by txc instead of "
                        "the reference forward")
    a = p.parse_args()
    exit_options, exit_stats = {}, {}
    if a.mod_capacity is not None:
        a.txc_arg += [f"--mod-capacity={a.mod_capacity}",
                      f"--mod-schedule={a.mod_schedule}"]
        exit_options = dict(mod_capacity=a.mod_capacity,
                            mod_schedule=a.mod_schedule, stats=exit_stats)
        if a.mod_probes:
            a.txc_arg += ["--mod-router=probe",
                          f"--calibration={a.mod_probes}"]
            exit_options["mod_probes"] = read_probes(a.mod_probes)
        if a.mod_checkpoint:
            a.txc_arg += ["--mod-router=checkpoint",
                          f"--mod-weighting={a.mod_checkpoint}"]
            exit_options["mod_checkpoint"] = a.mod_checkpoint
    if a.early_exit is not None:
        a.txc_arg += [f"--early-exit={a.early_exit}",
                      f"--early-exit-from={a.early_exit_from}"]
        exit_options = dict(exit_threshold=a.early_exit,
                            exit_from=a.early_exit_from, stats=exit_stats)

    scaling = llama3_scaling(a.model)
    if scaling:
        with open(os.path.join(a.model, "config.json")) as f:
            vocab = json.load(f)["vocab_size"]
        is_bert = False
    else:
        ref_model = ref_forward.load(a.model)
        vocab = ref_model.cfg.vocab
        is_bert = ref_model.cfg.arch == "bert"
    rng = np.random.default_rng(a.seed)
    ids = rng.integers(0, vocab or 64, size=(1, a.seq), dtype=np.int64)
    got = run_txc(a, a.model, ids, is_bert)
    if isinstance(got, str):
        print(got)
        return 1
    if a.against:
        ref = run_txc(a, a.against, ids, is_bert)
        if isinstance(ref, str):
            print(ref)
            return 1
    elif scaling:
        with tempfile.TemporaryDirectory() as tmp:
            ref = llama3_forward(a.model, ids[0], scaling, tmp)
    else:
        ref = (ref_forward.hidden(a.model, ids[0], **exit_options) if is_bert
               else ref_forward.forward(a.model, ids[0], **exit_options))
    ref = np.asarray(ref, dtype=np.float64).reshape(got.shape)
    diff = float(np.max(np.abs(got - ref)))
    scale = float(np.max(np.abs(ref))) if a.rel else 1.0
    stats = compare_logits.compare(got, ref) if not is_bert else None
    agree = stats["agree_frac"] if stats else 1.0
    line = f"max-abs-diff {diff:.3g} (ref max {np.max(np.abs(ref)):.3g})"
    if stats:
        line += f" top1 {agree:.3f}"
    if exit_stats and a.mod_capacity is not None:
        line += f" kept {exit_stats['kept']}"
        if exit_stats["margin"] < 1e-5:
            print(line, "FAIL: a routing decision is within 1e-5 of a tie "
                  "(float32 cannot call it): pick other ids")
            return 1
    elif exit_stats:
        line += (f" mean-depth {exit_stats['depth'].mean():.2f} "
                 f"(min {exit_stats['depth'].min()})")
        got_depth = getattr(a, "layers_run", None)
        if got_depth is None or not np.array_equal(got_depth,
                                                   exit_stats["depth"]):
            print(line, "FAIL: txc's layers_run", got_depth,
                  "is not the reference's depth", exit_stats["depth"])
            return 1
        if exit_stats["margin"] < 1e-5:
            print(line, "FAIL: an exit decision is within 1e-5 of the "
                  "threshold (float32 cannot call it): pick another")
            return 1
    if diff > a.tol * scale:
        print(line, "FAIL: difference above", a.tol * scale)
        return 1
    if agree < a.min_agree:
        print(line, "FAIL: agreement below", a.min_agree)
        return 1
    print(line, "PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
