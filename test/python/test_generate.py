"""Model.generate, Model.chat and Model.eval against txc-run on a small
generation model, and their errors."""

import re

import numpy as np
import pytest

import txc
from conftest import txc_run


@pytest.fixture(scope="module")
def model(decoder):
    so, tok = decoder
    return txc.load(so, threads=1, tokenizer=tok)


def test_ids_match_txc_run(model, decoder):
    steps = list(model.generate([1, 2, 3, 4, 5], max_new_tokens=8))
    assert len(steps) == 8 and all(isinstance(t, int) for t in steps)
    status, out, err = txc_run(decoder[0], "generate", "--prompt-ids",
                               "1 2 3 4 5", "--max-new-tokens", "8",
                               "--threads", "1")
    assert status == 0, err
    assert out.strip() == "tokens: " + " ".join(map(str, steps))


def test_sampling_is_seeded(model, decoder):
    options = dict(max_new_tokens=8, temperature=0.8, top_p=0.9, seed=7)
    a = list(model.generate(np.array([1, 2, 3]), **options))
    b = list(model.generate([1, 2, 3], **options))
    assert a == b
    status, out, err = txc_run(decoder[0], "generate", "--prompt-ids",
                               "1 2 3", "--max-new-tokens", "8",
                               "--temperature", "0.8", "--top-p", "0.9",
                               "--seed", "7", "--threads", "1")
    assert status == 0, err
    assert out.strip() == "tokens: " + " ".join(map(str, a))


def test_text_streams_as_txc_run(model, decoder):
    generation = model.generate("hello world", max_new_tokens=12)
    pieces = list(generation)
    assert all(isinstance(p, str) for p in pieces)
    assert "".join(pieces) == generation.text
    assert len(generation.ids[0]) <= 12
    status, out, err = txc_run(decoder[0], "generate", "--prompt",
                               "hello world", "--max-new-tokens", "12",
                               "--tokenizer", decoder[1], "--threads", "1")
    assert status == 0, err
    assert out == generation.text + "\n"
    assert model.generate_text("hello world",
                               max_new_tokens=12) == generation.text


def test_stop_tokens(model):
    first = list(model.generate([1, 2, 3], max_new_tokens=8))
    stopped = list(model.generate([1, 2, 3], max_new_tokens=8,
                                  stop_tokens=first[2]))
    assert stopped == first[:first.index(first[2]) + 1]


def test_chat(model):
    chat = model.chat(system="Be brief.")
    first = chat.send("hello", max_new_tokens=6)
    assert isinstance(first.text, str)
    second = chat.send("world again", max_new_tokens=6)
    assert isinstance("".join(second), str)
    single = model.generate("hello", chat=True, system="Be brief.",
                            max_new_tokens=6)
    assert single.text == first.text


def test_eval_matches_txc_run(model, decoder, tmp_path):
    text = " ".join(["hello world the in an on"] * 20)
    result = model.eval(text, context=24, stride=16)
    assert isinstance(result, txc.EvalResult)
    path = tmp_path / "text.txt"
    path.write_text(text)
    status, out, err = txc_run(decoder[0], "eval", "--text", str(path),
                               "--context", "24", "--stride", "16",
                               "--tokenizer", decoder[1], "--threads", "1")
    assert status == 0, err
    assert f"perplexity: {result.perplexity:.6f}" in out
    assert f"tokens: {result.tokens} scored" in out
    with_logits = model.eval(text, context=24, stride=16, logits=True)
    assert with_logits.logits.shape == (result.tokens,
                                        model.generation["vocab"])
    same = model.eval(text, context=24, reference=decoder[0])
    assert same.top1_agreement == 1.0 or same.counted == 0
    assert abs(same.kl) < 1e-6


def test_tokenizer(model):
    tokenizer = model.tokenizer
    ids = tokenizer.encode("hello world", add_special=False)
    assert tokenizer.decode(ids) == "hello world"
    with pytest.raises(ValueError, match="outside the vocabulary"):
        tokenizer.decode([10**6])


def test_generation_errors(model, decoder):
    with pytest.raises(ValueError, match="greedy cannot be combined"):
        model.generate([1], greedy=True, temperature=0.5)
    with pytest.raises(ValueError, match="temperature"):
        model.generate([1], temperature=0.0)
    with pytest.raises(ValueError, match="max_new_tokens"):
        model.generate([1], max_new_tokens=0)
    with pytest.raises(ValueError, match="empty"):
        model.generate([])
    with pytest.raises(ValueError, match="empty"):
        model.generate("")
    with pytest.raises(TypeError):
        model.generate([1.5, 2.0])
    with pytest.raises(ValueError, match="stop needs a text prompt"):
        model.generate([1, 2], stop="x")
    with pytest.raises(ValueError, match="chat_template"):
        model.generate("hi", chat=True, chat_template="nope")
    with pytest.raises(txc.ModelError) as info:
        model.generate([1, 100000])
    assert info.value.status == "TXRT_ERROR_ARGUMENT"
    with pytest.raises(txc.ModelError) as info:
        model.generate(list(range(1, 300)))
    assert info.value.status == "TXRT_ERROR_CAPACITY"
    bare = txc.load(decoder[0])
    with pytest.raises(txc.ModelError, match="tokenizer=PATH"):
        bare.generate("hello")


def test_eval_errors(model):
    text = "hello world " * 10
    with pytest.raises(ValueError, match="context must be at least 2"):
        model.eval(text, context=1)
    with pytest.raises(txc.ModelError, match="exceeds the KV cache"):
        model.eval(text, context=1000)
    with pytest.raises(ValueError, match="mode"):
        model.eval(text, mode="fast")
    with pytest.raises(ValueError, match="eval needs at least 2"):
        model.eval("h", no_bos=True)
    with pytest.raises(txc.ModelError, match="reference"):
        model.eval(text, reference="/nonexistent/model.so")
