#!/usr/bin/env python3
"""Depth benchmark: SmolLM2-135M decode and prefill speed with static layer
skipping (and, with --early-exit, dynamic early exit).

Decode time per token and prefill tokens/s with `txc --layer-skip=R`
(unified layer skipping) against the dense model, and how close each
speed-up comes to its ideal.

usage: bench/depth_cpu.py [--build build] [--model SmolLM2.gguf]
                          [--ratios 1.25 1.5 2] [--early-exit T:M ...]
                          [--context 512]
                          [--new-tokens 32] [--prefill 512] [--threads N]
                          [--rounds 3] [--work /tmp/txc-bench-depth]
                          [--json FILE] [--verbose] [--quick]

The model is SmolLM2-135M-Instruct's GGUF (scripts/find-models; 30 layers,
hidden 576, 9 heads / 3 KV heads of 64, MLP 1536, vocabulary 49152, the
token embedding q8_0 and tied to the LM head, the other matrices q4_1),
compiled once per variant with `txc MODEL -q --max-seq S --layer-skip=R`:
R = 1 (dense, always measured) and each of --ratios. The compiler keeps
K = round(L / R) of the L layers (the first and the last, the rest spread
evenly); K is read back from the library's `kv cache:` line (skipped layers
get no cache), so the table shows what was compiled. S = the longest test:
context + new tokens, or the prefill prompt + 1.

Decode: a seeded random prompt of --context tokens (common.random_prompt),
then `txc-run LIB generate --prompt-ids prompt.npy --max-new-tokens N
--greedy --threads T --repeat 2`, the ms/step of the second run's `decode:`
line (its N - 1 steps after the prefill, at cache lengths context + 1 ..
context + N - 1). Prefill: tokens/s of the `prefill:` line of the second run
with a --prefill-token prompt (`--max-new-tokens 1`; when --prefill equals
--context the decode run's own prefill line is taken). Rounds (--rounds)
run every variant once, in order, alternating; each figure is the median of
a variant's rounds, whose own figures close its line; speed-up = the dense
median / the variant's (decode ms) or the variant's / the dense (tokens/s).
The greedy tokens are not compared: skipping layers changes them.

--early-exit T:M ...: each also compiled with `txc --early-exit=T
--early-exit-from=M` and timed in the same rounds; a second table gives its
decode and prefill speed-up against dense. Its ideal depends on the mean
depth per token on the text, which the random prompt does not have
(docs/passes.md measures both on real text). Early exit saves decode time
only: a prefill chunk runs every row while one is active.

The ideal speed-ups, from the real tensor table (the GGUF file through the
`gguf` package; without it the dense library's .safetensors weights file,
whose header gives each tensor's bytes):

- decode: bytes read per token dense / skipped, bytes per token = one row of
  the token embedding + K x the bytes of a layer (every layer of this model
  has the same size) + the LM head (the tied embedding, read in full every
  token) + the final norm + K x the f32 KV cache of a layer at the mean
  cache length of the timed steps, context + N / 2 (2 x kv_heads x head_dim
  x 4 bytes per position; the `kv cache:` line's bytes/token). Decode is
  taken to be bound by reading memory.
- prefill: FLOPs dense / skipped, FLOPs = 2 x P x (K x the parameters of a
  layer + the LM head's) (the prefill step computes logits at every prompt
  position) + K x the causal attention, 4 x P^2 / 2 x heads x head_dim, for
  a P-token prompt.

The LM head is read and multiplied whatever R is (Amdahl), so the ideal of
R = 2 is well under 2; the script prints that cap. --verbose prints the byte
and FLOP breakdown. The goal from issue 16 is checked per cell and printed:
each speed-up within 10% of its ideal (speed-up >= 0.9 x ideal), PASS or
MISS. --quick: 1 round, 8 new tokens, prefill 128, only R = 2 (a smoke
test); --json FILE: every figure, round and machine fact.
"""
import argparse
import importlib.util
import json
import os
import re
import statistics
import sys

from common import (DECODE, KV, PREFILL, ROOT, cpu_facts, probe,
                    random_prompt, run, smollm2_tools)
from quant_cpu import safetensors_header

LAYER = re.compile(r"^(?:blk|model\.layers)\.(\d+)\.")
GOAL = 0.9  # speed-up >= GOAL x ideal


def log(msg):
    print(f"[depth_cpu] {msg}", file=sys.stderr, flush=True)


# --- the tensor table -------------------------------------------------------

def gguf_tensors(path):
    """{name: (bytes, elements, type)} of a GGUF file's tensors."""
    import gguf
    return {t.name: (int(t.n_bytes), int(t.n_elements), t.tensor_type.name)
            for t in gguf.GGUFReader(path).tensors}


def safetensors_tensors(path):
    """The same from txc's weights file (its own txc.* tables left out).
    Block-quantized matrices are stored as i8 [rows, bytes per row]; their
    elements are rows x the input width: attn_q's rows for attn_output,
    ffn_up's for ffn_down, the hidden size (the final norm's) otherwise."""
    header = {n: t for n, t in safetensors_header(path).items()
              if n != "__metadata__" and not n.startswith("txc.")}
    item = {"F32": 4, "F16": 2, "BF16": 2}
    hidden = header["output_norm.weight"]["shape"][0]
    table = {}
    for name, t in header.items():
        size = t["data_offsets"][1] - t["data_offsets"][0]
        if t["dtype"] in item:
            elements = size // item[t["dtype"]]
        else:
            width = hidden
            for op, src in (("attn_output", "attn_q"), ("ffn_down", "ffn_up")):
                if op in name:
                    width = header[name.replace(op, src)]["shape"][0]
            elements = t["shape"][0] * width
        table[name] = (size, elements, t["dtype"])
    return table


def budget(table):
    """The per-token parts of the model from its tensor table."""
    layers = {}
    rest = {}
    for name, t in table.items():
        m = LAYER.match(name)
        if m:
            layers.setdefault(int(m.group(1)), []).append((name, t))
        else:
            rest[name] = t
    sizes = {sum(t[0] for _, t in ts) for ts in layers.values()}
    if len(sizes) != 1:
        sys.exit(f"layers of different sizes ({sorted(sizes)} bytes): the "
                 "ideal assumes every layer the same")
    layer0 = layers[min(layers)]
    hidden = rest["output_norm.weight"][1]
    emb = rest.pop("token_embd.weight")
    head_name = "output.weight" if "output.weight" in rest else \
        "token_embd.weight"
    head = rest.pop("output.weight", emb)
    norm = rest.pop("output_norm.weight")
    q = next(t for n, t in layer0 if n.endswith("attn_q.weight"))
    return dict(
        layers=len(layers), hidden=hidden,
        layer_tensors=[(LAYER.sub("", n), t) for n, t in layer0],
        layer_bytes=sizes.pop(), layer_params=sum(t[1] for _, t in layer0),
        q_dim=q[1] // hidden,  # heads x head_dim
        head_name=head_name, head_bytes=head[0], head_params=head[1],
        head_type=head[2], emb_row=emb[0] * hidden // emb[1],
        norm_bytes=norm[0],
        other_bytes=sum(t[0] for t in rest.values()), other=sorted(rest))


def decode_bytes(b, kept, kv_per_position, cache_len):
    """(weights, KV cache) bytes one decode step reads."""
    weights = (b["emb_row"] + kept * b["layer_bytes"] + b["head_bytes"]
               + b["norm_bytes"] + b["other_bytes"])
    return weights, kv_per_position * cache_len


def prefill_flops(b, kept, tokens):
    return (2 * tokens * (kept * b["layer_params"] + b["head_params"])
            + kept * 4 * tokens * tokens / 2 * b["q_dim"])


# --- measuring --------------------------------------------------------------

def generate(txc_run, lib, prompt, new_tokens, threads):
    """stderr of the second of two `txc-run generate` runs (the first warms
    up) as (prefill tokens/s, decode ms/step or None, KV bytes/position)."""
    err = run([txc_run, lib, "generate", "--prompt-ids", prompt,
               "--max-new-tokens", str(new_tokens), "--greedy", "--threads",
               str(threads), "--repeat", "2"]).stderr
    decode = DECODE.findall(err)
    return (float(PREFILL.findall(err)[-1]),
            float(decode[-1]) if decode else None,
            int(KV.findall(err)[-1][1]))


def verdict(speedup, ideal):
    ok = speedup >= GOAL * ideal
    return f"{100 * speedup / ideal:.0f}% {'PASS' if ok else 'MISS'}", ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--model")
    ap.add_argument("--ratios", type=float, nargs="+",
                    default=[1.25, 1.5, 2.0])
    ap.add_argument("--early-exit", nargs="*", default=[], metavar="T:M",
                    help="also time txc --early-exit=T --early-exit-from=M "
                         "(decode and prefill against dense, same rounds)")
    ap.add_argument("--context", type=int, default=512)
    ap.add_argument("--new-tokens", type=int, default=32)
    ap.add_argument("--prefill", type=int, default=512)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--work", default="/tmp/txc-bench-depth")
    ap.add_argument("--json")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    if a.quick:
        a.rounds, a.new_tokens, a.prefill, a.ratios = 1, 8, 128, [2.0]
    ratios = [1.0] + sorted({r for r in a.ratios if r != 1.0})
    model, txc, txc_run = smollm2_tools(a)
    cpu, isa = cpu_facts()
    load0 = os.getloadavg()[0]

    max_seq = max(a.context + a.new_tokens, a.prefill + 1)
    libs = {}
    for r in ratios:
        lib = os.path.join(a.work, f"s{max_seq}-r{r:g}", "model.so")
        log(f"compiling --layer-skip={r:g}")
        run([txc, model, "-q", "--max-seq", str(max_seq),
             f"--layer-skip={r:g}", "-o", lib])
        libs[r] = lib

    exits = {}
    for spec in a.early_exit:
        tau, _, start = spec.partition(":")
        lib = os.path.join(a.work, f"s{max_seq}-e{tau}-{start or 0}",
                           "model.so")
        log(f"compiling --early-exit={tau} --early-exit-from={start or 0}")
        run([txc, model, "-q", "--max-seq", str(max_seq),
             f"--early-exit={tau}", f"--early-exit-from={start or 0}",
             "-o", lib])
        exits[spec] = lib

    if model.endswith(".gguf") and importlib.util.find_spec("gguf"):
        source, table = model, gguf_tensors(model)
    else:
        source = os.path.splitext(libs[1.0])[0] + ".safetensors"
        table = safetensors_tensors(source)
    b = budget(table)

    _, prompt = random_prompt(os.path.join(a.work, f"p{a.context}"),
                              a.context)
    if a.prefill != a.context:
        _, prefill_prompt = random_prompt(
            os.path.join(a.work, f"p{a.prefill}"), a.prefill)
    ms = {r: [] for r in list(ratios) + list(exits)}
    tps = {r: [] for r in list(ratios) + list(exits)}
    kv = {}
    timed = dict(libs)
    timed.update(exits)
    for i in range(a.rounds):
        for r, lib in timed.items():
            speed, step, kv[r] = generate(txc_run, lib, prompt,
                                          a.new_tokens, a.threads)
            if a.prefill != a.context:
                speed = generate(txc_run, lib, prefill_prompt, 1,
                                 a.threads)[0]
            ms[r].append(step)
            tps[r].append(speed)
            log(f"round {i + 1}: {r if r in exits else f'R={r:g}'} decode "
                f"{step:.2f} ms/step, prefill {speed:.1f} tokens/s")

    bandwidth = probe("membw", a.threads, a.work, runs=3)  # GB/s
    cache_len = a.context + a.new_tokens / 2
    kv_layer = kv[1.0] / b["layers"]
    dense_read = sum(decode_bytes(b, b["layers"], kv[1.0], cache_len))
    dense_flops = prefill_flops(b, b["layers"], a.prefill)
    print(f"SmolLM2-135M static layer skipping (txc --layer-skip=R): decode "
          f"at context {a.context} ({a.new_tokens - 1} timed steps), prefill "
          f"of {a.prefill} tokens; threads {a.threads}, ISA {isa}, CPU "
          f"{cpu}; read bandwidth "
          f"{bandwidth if bandwidth else 'unknown'} GB/s; load average "
          f"{load0:.2f} -> {os.getloadavg()[0]:.2f}; medians of {a.rounds} "
          f"round(s)")
    print("| R | layers kept | decode ms/token | decode speed-up | ideal | "
          "of ideal | prefill tokens/s | prefill speed-up | ideal | "
          "of ideal | decode rounds (ms) | prefill rounds (tokens/s) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    result = dict(cpu=cpu, isa=isa, threads=a.threads, context=a.context,
                  new_tokens=a.new_tokens, prefill=a.prefill,
                  rounds=a.rounds, bandwidth=bandwidth, model=model,
                  tensor_table=source, goal=GOAL,
                  budget={k: v for k, v in b.items()
                          if k not in ("layer_tensors", "other")},
                  variants={})
    base_ms = statistics.median(ms[1.0])
    base_tps = statistics.median(tps[1.0])
    misses = []
    details = []
    for r in ratios:
        kept = round(kv[r] / kv_layer)
        weights, cache = decode_bytes(b, kept, kv[r], cache_len)
        flops = prefill_flops(b, kept, a.prefill)
        d_ms, p_tps = statistics.median(ms[r]), statistics.median(tps[r])
        d_up, p_up = base_ms / d_ms, p_tps / base_tps
        d_ideal = dense_read / (weights + cache)
        p_ideal = dense_flops / flops
        if r == 1.0:
            d_cell = p_cell = "-"
        else:
            d_cell, d_ok = verdict(d_up, d_ideal)
            p_cell, p_ok = verdict(p_up, p_ideal)
            misses += [f"R={r:g} {what}" for what, ok in
                       (("decode", d_ok), ("prefill", p_ok)) if not ok]
        print(f"| {r:g} | {kept} | {d_ms:.2f} | {d_up:.2f}x | "
              f"{d_ideal:.2f}x | {d_cell} | {p_tps:.1f} | {p_up:.2f}x | "
              f"{p_ideal:.2f}x | {p_cell} | "
              f"{', '.join(f'{t:.2f}' for t in ms[r])} | "
              f"{', '.join(f'{t:.1f}' for t in tps[r])} |")
        details.append(f"R={r:g}: {kept} layers; decode {weights / 1e6:.2f} "
                       f"MB weights + {cache / 1e6:.2f} MB KV = "
                       f"{(weights + cache) / 1e6:.2f} MB/token; prefill "
                       f"{flops / 1e9:.1f} GFLOP")
        result["variants"][f"{r:g}"] = dict(
            layers=kept, decode_ms=d_ms, decode_rounds=ms[r],
            decode_speedup=d_up, decode_ideal=d_ideal,
            decode_bytes=weights + cache, kv_bytes_per_position=kv[r],
            prefill_tokens_per_s=p_tps, prefill_rounds=tps[r],
            prefill_speedup=p_up, prefill_ideal=p_ideal,
            prefill_flops=flops)

    if exits:
        print("\nDynamic early exit (txc --early-exit=T --early-exit-from=M), "
              "same rounds; its ideal needs the mean depth per token, which "
              "depends on the text (docs/passes.md gives it for the "
              "measured settings):")
        print("| T:M | decode ms/token | decode speed-up | prefill tokens/s | "
              "prefill speed-up | decode rounds (ms) |")
        print("|---|---|---|---|---|---|")
        for spec in exits:
            d_ms, p_tps = statistics.median(ms[spec]), statistics.median(
                tps[spec])
            print(f"| {spec} | {d_ms:.2f} | {base_ms / d_ms:.2f}x | "
                  f"{p_tps:.1f} | {p_tps / base_tps:.2f}x | "
                  f"{', '.join(f'{t:.2f}' for t in ms[spec])} |")
            result["variants"]["early-exit " + spec] = dict(
                decode_ms=d_ms, decode_rounds=ms[spec],
                decode_speedup=base_ms / d_ms, prefill_tokens_per_s=p_tps,
                prefill_speedup=p_tps / base_tps)

    if a.verbose:
        print(f"\nBytes per token, from {source}:")
        for name, (size, elements, kind) in b["layer_tensors"]:
            print(f"  layer tensor {name}: {kind}, {elements} elements, "
                  f"{size} bytes")
        print(f"  one layer: {b['layer_bytes']} bytes, {b['layer_params']} "
              f"parameters; {b['layers']} layers: "
              f"{b['layers'] * b['layer_bytes']} bytes")
        print(f"  LM head ({b['head_name']}, {b['head_type']}): "
              f"{b['head_bytes']} bytes, {b['head_params']} parameters")
        print(f"  embedding row {b['emb_row']} bytes; final norm "
              f"{b['norm_bytes']} bytes; other {b['other_bytes']} bytes "
              f"{b['other']}")
        print(f"  KV cache: {kv_layer:.0f} bytes per position per layer "
              f"(dense `kv cache:` {kv[1.0]} bytes/position), at the mean "
              f"cache length {cache_len:g}: "
              f"{kv_layer * cache_len:.0f} bytes per layer")
        print(f"  prefill attention: 4 x {a.prefill}^2 / 2 x {b['q_dim']} = "
              f"{4 * a.prefill ** 2 / 2 * b['q_dim'] / 1e9:.3f} GFLOP per "
              "layer")
        for line in details:
            print("  " + line)

    top = result["variants"][f"{max(ratios):g}"]
    print(f"\nAmdahl: the LM head ({b['head_bytes'] / 1e6:.1f} MB, "
          f"{100 * b['head_bytes'] / dense_read:.0f}% of the dense token's "
          f"bytes; {200 * a.prefill * b['head_params'] / dense_flops:.0f}% of "
          "the dense prefill's FLOPs) is never skipped, so R = "
          f"{max(ratios):g} is capped near its ideal, "
          f"{top['decode_ideal']:.2f}x decode and {top['prefill_ideal']:.2f}x "
          f"prefill, not {max(ratios):g}x; skipping every layer would give at "
          f"most {dense_read / sum(decode_bytes(b, 0, 0, 0)):.1f}x decode, "
          f"{dense_flops / prefill_flops(b, 0, a.prefill):.1f}x prefill.")
    print(f"goal (issue 16): every speed-up within 10% of its ideal "
          f"(>= {GOAL} x ideal): "
          + ("met" if not misses else "NOT met (" + ", ".join(misses) + ")")
          + ("" if a.rounds >= 3 else "; fewer than 3 rounds: a smoke test"))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
