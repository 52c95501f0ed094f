#!/usr/bin/env python3
"""Mixture-of-depths over a KV cache against the float64 reference.

  mod_kv_check.py MODEL.gguf STATS --txc txc --txc-run txc-run --text FILE \
      --capacity C [--schedule constant|pmod] [--router update|probe] \
      [--decision topk|threshold] [--mode prefill|decode] [--chunk N]

Compiles MODEL for generation (txc --max-seq, --prefill-chunk N,
--mod-capacity C --calibration STATS ...), runs `txc-run eval --mode MODE`
over the whole text in one window and compares the logits of every scored
position with ref_forward.py's routing of the same tokens:

* prefill with decision topk: the top floor(r * N) tokens of each chunk of
  N (a short last chunk of n keeps max(1, floor(r * n)));
* decode steps (and prefill with decision threshold): every token whose
  router score reaches the layer's threshold, the (1 - r) quantile of
  STATS' layer.I.{update,probe}_quantiles (interpolated as txc does), or
  its layer.I.route_threshold when STATS is a routed calibration of the
  same capacity, schedule and router (txc calibrate --mod-capacity); with
  --router checkpoint (the model's blk.I.mod_router, --weighting
  none|mod|pmod) the router value's sign.

Prints the kept tokens per routed layer, the eval's kv-cache line, the max
|difference| relative to the reference's max |logit|, and PASS or FAIL
(exit 1). A decision within 1e-5 of a tie or threshold fails as
undecidable in float32 (choose another text).
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "Frontend", "GGUF"))
import ref_forward  # noqa: E402
from check_txc import read_stats  # noqa: E402


def routed_for(a):
    """Whether STATS is a routed calibration (txc calibrate --mod-capacity)
    of a's capacity, schedule and router."""
    with open(a.stats, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        meta = json.loads(f.read(n)).get("__metadata__", {})
    return (meta.get("mod_capacity") == f"{a.capacity:g}" and
            meta.get("mod_schedule") == a.schedule and
            meta.get("mod_router") == a.router)


def threshold(q, r):
    """tx-mod-prune's threshold for ratio r from 101 percentiles."""
    if r >= 1:
        return -math.inf
    p = (1 - r) * 100
    lo = min(max(int(math.floor(p)), 0), 100)
    hi = min(lo + 1, 100)
    return float(q[lo]) + (p - lo) * (float(q[hi]) - float(q[lo]))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("stats")
    p.add_argument("--txc", required=True)
    p.add_argument("--txc-run", required=True)
    p.add_argument("--text", required=True)
    p.add_argument("--capacity", type=float, required=True)
    p.add_argument("--schedule", default="constant")
    p.add_argument("--router", default="update")
    p.add_argument("--decision", default="topk")
    p.add_argument("--weighting", default="none",
                   help="--router checkpoint: txc --mod-weighting")
    p.add_argument("--mode", default="prefill")
    p.add_argument("--chunk", type=int, default=16)
    p.add_argument("--tol", type=float, default=1e-3)
    p.add_argument("--txc-arg", action="append", default=[])
    a = p.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        so = os.path.join(tmp, "m.so")
        r = subprocess.run(
            [a.txc, a.model, "-q", "--max-seq", "512",
             f"--prefill-chunk={a.chunk}", f"--mod-capacity={a.capacity}",
             f"--mod-schedule={a.schedule}", f"--mod-router={a.router}",
             f"--mod-decision={a.decision}", f"--calibration={a.stats}",
             "-o", so] + a.txc_arg +
            ([f"--mod-weighting={a.weighting}"]
             if a.router == "checkpoint" else []),
            capture_output=True, text=True)
        if r.returncode:
            print("FAIL: txc:", r.stderr.strip())
            return 1
        r = subprocess.run([a.txc_run, so, "tokenize", "--no-special",
                            "--text", a.text], capture_output=True, text=True)
        if r.returncode:
            print("FAIL: tokenize:", r.stderr.strip())
            return 1
        ids = np.array([int(t) for t in r.stdout.split()], dtype=np.int64)
        if ids.size > 512:
            print("FAIL: the text has more than 512 tokens")
            return 1
        out = os.path.join(tmp, "logits.npy")
        r = subprocess.run([a.txc_run, so, "eval", "--text", a.text,
                            "--no-bos", f"--context={ids.size}",
                            f"--mode={a.mode}", "--logits-out", out],
                           capture_output=True, text=True)
        if r.returncode:
            print("FAIL: eval:", r.stderr.strip())
            return 1
        kv = [line for line in r.stdout.splitlines()
              if line.startswith("kv-cache:")]
        got = np.load(out).astype(np.float64)

    stats = read_stats(a.stats)
    cfg = ref_forward.load(a.model).cfg
    causal = a.mode == "decode" or a.decision == "threshold"
    options = dict(mod_capacity=a.capacity, mod_schedule=a.schedule)
    if a.router == "checkpoint":
        options["mod_checkpoint"] = a.weighting
    if a.router == "probe":
        options["mod_probes"] = {
            int(k.split(".")[1]): v for k, v in stats.items()
            if k.startswith("layer.") and k.endswith(".probe")}
    if causal:
        thresholds = {}
        for i in range(cfg.layers):
            ratio = ref_forward.mod_ratio(i, cfg.layers, a.capacity,
                                          a.schedule)
            if ratio is not None and a.router == "checkpoint":
                # A trained router's sign (MoD's sigmoid(r) > 1/2).
                thresholds[i] = -math.inf if ratio >= 1 else 0.0
            elif ratio is not None and routed_for(a) and \
                    f"layer.{i}.route_threshold" in stats:
                # A routed calibration of this capacity, schedule, router.
                thresholds[i] = float(stats[f"layer.{i}.route_threshold"][0])
            elif ratio is not None:
                q = stats[f"layer.{i}.{a.router}_quantiles"]
                # txc compares in float32.
                thresholds[i] = float(np.float32(threshold(q, ratio)))
        options["mod_thresholds"] = thresholds
    else:
        options["mod_chunk"] = a.chunk
    info = {}
    # eval runs every token but the last (whose logits score nothing), so
    # the reference's chunks are those of ids[:-1].
    ref = ref_forward.forward(a.model, ids[:-1], stats=info, **options)
    diff = float(np.max(np.abs(got - ref)))
    scale = float(np.max(np.abs(ref)))
    line = (f"kept {info['kept']} {kv[0] if kv else 'no kv-cache line'} "
            f"rel-diff {diff / scale:.2g}")
    if info["margin"] < 1e-5:
        print(line, "FAIL: a routing decision is within 1e-5 of a tie or "
              "threshold (float32 cannot call it): choose another text")
        return 1
    if diff > a.tol * scale:
        print(line, "FAIL: difference above", a.tol * scale)
        return 1
    print(line, "PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
