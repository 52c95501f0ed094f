#!/usr/bin/env python3
"""Writes a small byte-level BPE tokenizer in Hugging Face's tokenizer.json
form (and tokenizer_config.json beside it) for the txc-run text tests.

The vocabulary has exactly --vocab entries: the 256 byte symbols (GPT-2's
byte-to-character mapping), a few merges of English text, special tokens
<|endoftext|>, <|im_start|> and <|im_end|> at the end, and "<unusedN>"
fillers in between. Fillers are never produced by encoding but decode to
their text, so a random model that generates them prints something.
--special ID=TEXT turns filler ID into a special token (e.g. an extra
end-of-generation id); --swap A=B exchanges the ids of two entries (to make
generated ids the bytes of a multi-byte character).

--wordpiece writes a BERT-style WordPiece tokenizer instead: [PAD], [UNK],
[CLS], [SEP], [MASK], a few words, the letters with and without "##", and
"[unusedN]" fillers; BertProcessing adds [CLS] and [SEP].

usage: make_tokenizer.py OUT_DIR --vocab V [--special ID=TEXT]...
       [--swap A=B]... [--eos TEXT] [--chat-template JINJA]
       make_tokenizer.py OUT_DIR --vocab V --wordpiece
"""
import argparse
import json
import os

CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' "
    "+ message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

MERGES = [("h", "e"), ("l", "l"), ("he", "ll"), ("hell", "o"), ("Ġ", "w"),
          ("o", "r"), ("Ġw", "or"), ("Ġwor", "l"), ("Ġworl", "d"),
          ("Ġ", "t"), ("Ġt", "h"), ("Ġth", "e"), ("i", "n"), ("Ġ", "a"),
          ("e", "r"), ("a", "n"), ("Ġ", "s"), ("o", "n"), ("r", "e"),
          ("Ġ", "o")]


def byte_symbols():
    """GPT-2's reversible map from bytes to printable characters."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + \
        list(range(0xAE, 0x100))
    table, extra = {}, 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


def write_wordpiece(out, size):
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world",
             "the", "in", "an", "on", ",", ".", "!"]
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    words += letters + ["##" + c for c in letters]
    assert size >= len(words), "--vocab too small"
    words += [f"[unused{i}]" for i in range(size - len(words))]
    added = [{"id": i, "content": w, "single_word": False, "lstrip": False,
              "rstrip": False, "normalized": False, "special": True}
             for i, w in enumerate(words[:5])]
    tokenizer = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "BertNormalizer", "clean_text": True,
                       "handle_chinese_chars": True, "strip_accents": None,
                       "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 3],
                           "cls": ["[CLS]", 2]},
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]",
                  "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100,
                  "vocab": {w: i for i, w in enumerate(words)}},
    }
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "tokenizer.json"), "w") as f:
        json.dump(tokenizer, f)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--vocab", type=int, required=True)
    p.add_argument("--special", action="append", default=[])
    p.add_argument("--swap", action="append", default=[])
    p.add_argument("--eos", default="<|endoftext|>")
    p.add_argument("--chat-template", default=CHATML)
    p.add_argument("--wordpiece", action="store_true")
    args = p.parse_args()
    if args.wordpiece:
        write_wordpiece(args.out, args.vocab)
        return

    symbols = byte_symbols()
    pieces = [symbols[b] for b in range(256)] + [a + b for a, b in MERGES]
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    fillers = args.vocab - len(pieces) - len(specials)
    assert fillers >= 0, "--vocab too small"
    entries = pieces + [f"<unused{i}>" for i in range(fillers)] + specials
    special_ids = {len(entries) - 3 + i for i in range(3)}
    for spec in args.special:
        index, text = spec.split("=", 1)
        entries[int(index)] = text
        special_ids.add(int(index))
    for spec in args.swap:
        a, b = (int(x) for x in spec.split("="))
        entries[a], entries[b] = entries[b], entries[a]

    vocab = {text: i for i, text in enumerate(entries) if i not in special_ids}
    added = [{"id": i, "content": entries[i], "single_word": False,
              "lstrip": False, "rstrip": False, "normalized": False,
              "special": True} for i in sorted(special_ids)]
    tokenizer = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": added, "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False,
                          "trim_offsets": True, "use_regex": True},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True,
                           "trim_offsets": False, "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True,
                    "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None,
                  "continuing_subword_prefix": None, "end_of_word_suffix": None,
                  "fuse_unk": False, "byte_fallback": False,
                  "ignore_merges": False, "vocab": vocab,
                  "merges": [f"{a} {b}" for a, b in MERGES]},
    }
    config = {"add_bos_token": False, "add_eos_token": False,
              "bos_token": None, "eos_token": args.eos,
              "chat_template": args.chat_template}
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "tokenizer.json"), "w") as f:
        json.dump(tokenizer, f, ensure_ascii=False)
    with open(os.path.join(args.out, "tokenizer_config.json"), "w") as f:
        json.dump(config, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
