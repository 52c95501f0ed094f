"""Tiny deterministic vocabularies for the GGUF / Hugging Face test models.

Three kinds of vocabulary are built here, all from a fixed sample text so that
every run produces the same tokens:

* a byte-level BPE vocabulary in the GPT-2 style (256 byte tokens written with
  GPT-2's byte-to-unicode mapping, a few merges learned from the sample text,
  ChatML control tokens), stored in GGUF as ``tokenizer.ggml.model = "gpt2"``;
* a SentencePiece-style vocabulary (``<unk>``, ``<s>``, ``</s>``, 256
  ``<0xXX>`` byte tokens, some ``\u2581word`` pieces with scores), stored as
  ``tokenizer.ggml.model = "llama"``;
* a WordPiece vocabulary for the BERT test model.

The module also turns a GGUF-style token list (tokens, token types, merges)
into a ``tokenizers.Tokenizer``; ``smollm2_tokenizer.py`` uses that for the
real SmolLM2 vocabulary. ``tokenizers`` is imported lazily so that the GGUF
generator works without it.
"""

from __future__ import annotations

import re
from collections import Counter

# GGUF token types (gguf.constants.TokenType).
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6

SAMPLE_TEXT = (
    "the quick brown fox jumps over the lazy dog. "
    "the cat sat on the mat and the dog sat on the log. "
    "hello world, this is a test of the tiny tokenizer. "
    "there is a theory that the weather in the north is colder than in the south. "
    "a model reads the text and then it writes the next word of the text. "
)

CHATML_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

# GPT-2's pre-tokenizer pattern, restricted to ASCII classes (enough for the
# sample text, which is ASCII).
_GPT2_SPLIT = re.compile(
    r"'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+"
)


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable unicode character mapping."""
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("\u00a1"), ord("\u00ac") + 1))
        + list(range(ord("\u00ae"), ord("\u00ff") + 1))
    )
    table = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + extra)
            extra += 1
    return table


def train_bpe_merges(text: str, n_merges: int) -> list[tuple[str, str]]:
    """Learns up to `n_merges` byte-level BPE merges from `text`.

    Ties between equally frequent pairs are broken by the pair's strings so
    the result is deterministic.
    """
    b2u = bytes_to_unicode()
    words = Counter(_GPT2_SPLIT.findall(text))
    seqs: dict[tuple[str, ...], int] = {}
    for word, count in words.items():
        key = tuple(b2u[b] for b in word.encode("utf-8"))
        seqs[key] = seqs.get(key, 0) + count
    merges: list[tuple[str, str]] = []
    for _ in range(n_merges):
        pairs: Counter = Counter()
        for seq, count in seqs.items():
            for a, b in zip(seq, seq[1:]):
                pairs[(a, b)] += count
        if not pairs:
            break
        best = min(pairs.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        merges.append(best)
        merged: dict[tuple[str, ...], int] = {}
        for seq, count in seqs.items():
            out: list[str] = []
            i = 0
            while i < len(seq):
                if i + 1 < len(seq) and (seq[i], seq[i + 1]) == best:
                    out.append(seq[i] + seq[i + 1])
                    i += 2
                else:
                    out.append(seq[i])
                    i += 1
            key = tuple(out)
            merged[key] = merged.get(key, 0) + count
        seqs = merged
    return merges


class Vocab:
    """A GGUF-style vocabulary: parallel token / type / score lists."""

    def __init__(self, model: str, pre: str):
        self.model = model
        self.pre = pre
        self.tokens: list[str] = []
        self.types: list[int] = []
        self.scores: list[float] = []
        self.merges: list[str] = []
        self.ids: dict[str, int] = {}
        self.bos_id = -1
        self.eos_id = -1
        self.unk_id = -1
        self.pad_id = -1
        self.add_bos = False
        self.add_space_prefix = False
        self.chat_template = ""

    def add(self, token: str, ttype: int, score: float = 0.0) -> int:
        if token in self.ids:
            return self.ids[token]
        self.ids[token] = len(self.tokens)
        self.tokens.append(token)
        self.types.append(ttype)
        self.scores.append(score)
        return self.ids[token]

    def pad_to(self, size: int) -> None:
        if size < len(self.tokens):
            raise ValueError(
                f"--vocab {size} is too small: the tokenizer needs at least "
                f"{len(self.tokens)} tokens"
            )
        i = 0
        while len(self.tokens) < size:
            self.add(f"[PAD{i}]", UNUSED)
            i += 1


def byte_bpe_vocab(size: int, n_merges: int = 40) -> Vocab:
    """Byte-level BPE vocabulary: ids 0..255 are the bytes 0..255."""
    v = Vocab("gpt2", "default")
    b2u = bytes_to_unicode()
    for b in range(256):
        v.add(b2u[b], NORMAL)
    for a, b in train_bpe_merges(SAMPLE_TEXT, n_merges):
        v.merges.append(f"{a} {b}")
        v.add(a + b, NORMAL)
    for s in CHATML_SPECIALS:
        v.add(s, CONTROL)
    v.bos_id = v.ids["<|endoftext|>"]
    v.eos_id = v.ids["<|im_end|>"]
    v.pad_id = v.ids["<|endoftext|>"]
    v.chat_template = CHATML_TEMPLATE
    v.pad_to(size)
    return v


def sentencepiece_vocab(size: int) -> Vocab:
    """SentencePiece-style (llama) vocabulary with byte fallback tokens."""
    v = Vocab("llama", "default")
    v.unk_id = v.add("<unk>", UNKNOWN)
    v.bos_id = v.add("<s>", CONTROL)
    v.eos_id = v.add("</s>", CONTROL)
    for b in range(256):
        v.add(f"<0x{b:02X}>", BYTE)
    words = Counter(re.findall(r"[a-z]+", SAMPLE_TEXT))
    pieces = ["\u2581"] + [chr(c) for c in range(ord("a"), ord("z") + 1)]
    # The 30 most frequent words keep the vocabulary within the default 320.
    pieces += ["\u2581" + w for w, _ in sorted(words.items(), key=lambda kv: (-kv[1], kv[0]))[:30]]
    for i, p in enumerate(pieces):
        v.add(p, NORMAL, -float(i))
    v.add_bos = True
    v.add_space_prefix = True
    v.pad_to(size)
    return v


def wordpiece_vocab(size: int) -> list[str]:
    """BERT WordPiece vocabulary (list index = id)."""
    toks = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    toks += [chr(c) for c in range(ord("a"), ord("z") + 1)]
    toks += [str(d) for d in range(10)] + list(".,!?'-")
    toks += ["##" + chr(c) for c in range(ord("a"), ord("z") + 1)]
    words = sorted(set(re.findall(r"[a-z]+", SAMPLE_TEXT)))
    toks += [w for w in words if w not in toks]
    if size < len(toks):
        raise ValueError(f"--vocab {size} is too small: WordPiece needs {len(toks)} tokens")
    i = 0
    while len(toks) < size:
        toks.append(f"[unused{i}]")
        i += 1
    return toks


def bpe_tokenizer(tokens, types, merges, pre: str = "default"):
    """Builds a byte-level BPE `tokenizers.Tokenizer` from GGUF-style lists.

    `pre` is the GGUF ``tokenizer.ggml.pre`` value; ``smollm`` (and the other
    llama.cpp pre-tokenizers that split digits one by one) adds a digit
    splitter in front of the GPT-2 byte-level pre-tokenizer. Control tokens
    (type 3) become special added tokens, user-defined ones (type 4) plain
    added tokens.
    """
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

    vocab: dict[str, int] = {}
    for i, t in enumerate(tokens):
        vocab.setdefault(t, i)
    pairs = [tuple(m.split(" ", 1)) for m in merges]
    tok = Tokenizer(models.BPE(vocab=vocab, merges=pairs))
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    if pre in ("smollm", "starcoder", "refact", "codeshell", "command-r"):
        tok.pre_tokenizer = pre_tokenizers.Sequence(
            [pre_tokenizers.Digits(individual_digits=True), byte_level]
        )
    else:
        tok.pre_tokenizer = byte_level
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens(
        [AddedToken(t, special=True, normalized=False) for t, ty in zip(tokens, types) if ty == CONTROL]
    )
    user = [AddedToken(t, normalized=False) for t, ty in zip(tokens, types) if ty == USER_DEFINED]
    if user:
        tok.add_tokens(user)
    return tok


def sentencepiece_tokenizer(tokens, types, scores, unk_id: int):
    """Approximates a llama SentencePiece vocabulary with a Unigram model with
    byte fallback (llama.cpp merges by score; the segmentation can differ on
    rare inputs)."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers

    pieces = [(t, float(s)) for t, s in zip(tokens, scores)]
    tok = Tokenizer(models.Unigram(pieces, unk_id=max(unk_id, 0), byte_fallback=True))
    tok.normalizer = normalizers.Sequence(
        [normalizers.Prepend("\u2581"), normalizers.Replace(Regex(" "), "\u2581")]
    )
    tok.decoder = decoders.Sequence(
        [decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)]
    )
    tok.add_special_tokens(
        [AddedToken(t, special=True, normalized=False) for t, ty in zip(tokens, types) if ty == CONTROL]
    )
    return tok


def wordpiece_tokenizer(toks: list[str]):
    """BERT-style WordPiece tokenizer ([CLS] text [SEP])."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    vocab = {t: i for i, t in enumerate(toks)}
    tok = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    tok.decoder = decoders.WordPiece()
    return tok
