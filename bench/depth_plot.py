#!/usr/bin/env python3
"""Speed against quality of the depth methods on SmolLM2-135M: writes the
plot docs/passes.md shows (an SVG).

usage: bench/depth_plot.py DEPTH.json MOD.json [-o docs/depth-speed-quality.svg]

DEPTH.json is `bench/depth_cpu.py --early-exit ... --json`, MOD.json
`bench/mod_cpu.py --quality --json`: the speed-ups come from them. The
quality of static skipping and early exit (KL of the dense model against
the method on GPL-3, 1024 tokens of `txc-run eval`) is the table in
docs/passes.md, given below by method and setting; MoD's KL comes from
MOD.json. x: speed-up over dense (decode for skipping and early exit,
the forward pass of 512 tokens for MoD); y: KL, log scale (lower is
better).
"""
import argparse
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# KL(dense || method) on GPL-3 (docs/passes.md), by the setting the
# benchmarks name their variants with.
SKIP_KL = {"balanced": {"1.25": 2.55, "1.5": 6.70, "2": 11.69},
           "calibrated": {"1.25": 1.06, "1.5": 1.61, "2": 3.94}}
EXIT_KL = {"early-exit 0.995:10": 0.0144, "early-exit 0.9:0": 13.6}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("depth")
    ap.add_argument("mod")
    ap.add_argument("-o", default="docs/depth-speed-quality.svg")
    a = ap.parse_args()
    depth = json.load(open(a.depth))["variants"]
    mod = json.load(open(a.mod))["variants"]
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for rule, marker in (("balanced", "o"), ("calibrated", "s")):
        xs = [depth[r]["decode_speedup"] for r in SKIP_KL[rule] if r in depth]
        ys = [SKIP_KL[rule][r] for r in SKIP_KL[rule] if r in depth]
        ax.plot(xs, ys, marker=marker, label=f"layer skip, {rule} (decode)")
        for r, x, y in zip(SKIP_KL[rule], xs, ys):
            ax.annotate(f"R={r}", (x, y), fontsize=7, xytext=(3, 3),
                        textcoords="offset points")
    exits = [(depth[k]["decode_speedup"], v, k.split()[-1])
             for k, v in EXIT_KL.items() if k in depth]
    ax.plot([e[0] for e in exits], [e[1] for e in exits], "^",
            label="early exit (decode)")
    for x, y, name in exits:
        ax.annotate(f"T:from={name}", (x, y), fontsize=7, xytext=(3, -9),
                    textcoords="offset points")
    mods = [(v["ms"] and json.load(open(a.mod))["dense_ms"] / v["ms"],
             v.get("kl"), c) for c, v in mod.items() if v.get("kl")]
    ax.plot([m[0] for m in mods], [m[1] for m in mods], "D",
            label="mixture of depths, top-k (prefill 512)")
    for x, y, c in mods:
        ax.annotate(f"C={c}", (x, y), fontsize=7, xytext=(3, 3),
                    textcoords="offset points")
    ax.set_xscale("linear")
    ax.set_yscale("log")
    ax.set_xlabel("speed-up over the dense model (measured)")
    ax.set_ylabel("KL(dense || method), GPL-3 (log)")
    ax.set_title("SmolLM2-135M, no fine-tuning: depth methods", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(a.o, metadata={"Date": None})
    print(a.o)


if __name__ == "__main__":
    main()
