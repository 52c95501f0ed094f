#!/usr/bin/env python3
"""The generation sessions of libtxrt's C API, called through ctypes on a
model compiled with txc --max-seq: every error leaves the session as it was
(the same tokens follow as from a session that never failed), reset
reproduces, txrt_session_prefill_logits gives every position's logits, and
a model not compiled for generation is refused.

usage: session_api.py LIBTXRT.so GEN_MODEL.so PLAIN_MODEL.so

Prints "OK what" per check, "FAIL what: why" on a failure (exit 1).
"""
import ctypes
import sys

import numpy as np

OK, NOT_A_MODEL, ARGUMENT, CAPACITY, STATE = 0, 2, 5, 6, 7


class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_int64) for n in
                ("batch", "capacity", "vocab", "prefill_chunk", "layers", "kv_heads", "head_dim", "block_size")]


def main():
    lib = ctypes.CDLL(sys.argv[1])
    lib.txrt_last_error.restype = ctypes.c_char_p
    lib.txrt_session_logits.restype = ctypes.POINTER(ctypes.c_float)
    lib.txrt_session_length.restype = ctypes.c_int64
    lib.txrt_session_prefill_logits.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int64), ctypes.c_size_t,
                                                ctypes.c_size_t, ctypes.POINTER(ctypes.c_float)]
    failures, passes = [], []

    def check(ok, what, why=""):
        print(("OK " if ok else "FAIL ") + what + ("" if ok else ": " + why))
        (passes if ok else failures).append(what)

    def load(path):
        model = ctypes.c_void_p()
        assert lib.txrt_model_load(path.encode(), None, ctypes.byref(model)) == OK, lib.txrt_last_error()
        return model

    model = load(sys.argv[2])
    info = Info()
    assert lib.txrt_generation_info_get(model, ctypes.byref(info)) == OK
    B, V, cap = info.batch, info.vocab, info.capacity

    def session():
        s = ctypes.c_void_p()
        assert lib.txrt_session_create(model, ctypes.byref(s)) == OK, lib.txrt_last_error()
        return s

    def ids(a):
        a = np.ascontiguousarray(a, dtype=np.int64)
        return a, a.ctypes.data_as(ctypes.POINTER(ctypes.c_int64))

    def logits(s):
        p = lib.txrt_session_logits(s)
        return np.ctypeslib.as_array(p, shape=(B, V)).copy()

    def greedy(s, prompt, n):
        arr, ptr = ids(prompt)
        assert lib.txrt_session_prefill(s, ptr, B, arr.shape[1]) == OK, lib.txrt_last_error()
        out = []
        for _ in range(n):
            tok = logits(s).argmax(-1)
            out.append(tok)
            arr, ptr = ids(tok)
            assert lib.txrt_session_decode(s, ptr, B) == OK, lib.txrt_last_error()
        return np.stack(out, 1)

    rng = np.random.default_rng(3)
    prompt = rng.integers(0, V, (B, 5))
    fresh = session()
    expected = greedy(fresh, prompt, 6)

    s = session()
    # Decode before any prefill.
    arr, ptr = ids(np.zeros(B))
    rc = lib.txrt_session_decode(s, ptr, B)
    check(rc == STATE and b"prefill" in lib.txrt_last_error() and lib.txrt_session_length(s) == 0,
          "decode before prefill is TXRT_ERROR_STATE", f"rc {rc}: {lib.txrt_last_error()}")
    # Wrong batch, empty prompt, token out of range, past the capacity.
    arr, ptr = ids(prompt)
    rc = lib.txrt_session_prefill(s, ptr, B + 1, 5)
    check(rc == ARGUMENT and b"batch" in lib.txrt_last_error(), "wrong batch is TXRT_ERROR_ARGUMENT",
          f"rc {rc}: {lib.txrt_last_error()}")
    rc = lib.txrt_session_prefill(s, ptr, B, 0)
    check(rc == ARGUMENT, "an empty prompt is TXRT_ERROR_ARGUMENT", f"rc {rc}")
    bad, bptr = ids(np.full((B, 2), V))
    rc = lib.txrt_session_prefill(s, bptr, B, 2)
    check(rc == ARGUMENT and b"vocabulary" in lib.txrt_last_error(), "a token outside the vocabulary is refused",
          f"rc {rc}: {lib.txrt_last_error()}")
    big, gptr = ids(np.zeros((B, cap + 1)))
    rc = lib.txrt_session_prefill(s, gptr, B, cap + 1)
    check(rc == CAPACITY and lib.txrt_session_length(s) == 0 and not lib.txrt_session_logits(s),
          "a prompt past the capacity is TXRT_ERROR_CAPACITY and runs nothing", f"rc {rc}")
    # None of it changed anything: the same tokens as a fresh session.
    got = greedy(s, prompt, 6)
    check(np.array_equal(got, expected), "after failed calls the session generates what a fresh one does",
          f"{got.tolist()} != {expected.tolist()}")
    # A prompt that would overflow midway fails whole; the session goes on.
    length = lib.txrt_session_length(s)
    before = logits(s)
    rest, rptr = ids(np.zeros((B, cap - length + 1)))
    rc = lib.txrt_session_prefill(s, rptr, B, cap - length + 1)
    check(rc == CAPACITY and lib.txrt_session_length(s) == length and np.array_equal(logits(s), before),
          "extending past the capacity fails and keeps length and logits", f"rc {rc}")
    # Fill the cache exactly, then one more decode fails.
    fill = cap - length
    tok = logits(s).argmax(-1)
    for _ in range(fill):
        arr, ptr = ids(tok)
        assert lib.txrt_session_decode(s, ptr, B) == OK, lib.txrt_last_error()
        tok = logits(s).argmax(-1)
    arr, ptr = ids(tok)
    rc = lib.txrt_session_decode(s, ptr, B)
    check(rc == CAPACITY and lib.txrt_session_length(s) == cap and b"--max-seq" in lib.txrt_last_error(),
          "decoding into a full cache is TXRT_ERROR_CAPACITY", f"rc {rc}: {lib.txrt_last_error()}")
    # Reset reproduces.
    assert lib.txrt_session_reset(s) == OK
    got = greedy(s, prompt, 6)
    check(np.array_equal(got, expected), "reset then regenerate gives the same tokens",
          f"{got.tolist()} != {expected.tolist()}")
    # Prompt fed in two calls == in one.
    assert lib.txrt_session_reset(s) == OK
    arr, ptr = ids(prompt[:, :2])
    assert lib.txrt_session_prefill(s, ptr, B, 2) == OK
    arr, ptr = ids(prompt[:, 2:])
    assert lib.txrt_session_prefill(s, ptr, B, 3) == OK
    first = logits(s).argmax(-1)
    check(np.array_equal(first, expected[:, 0]), "a prompt prefilled in two calls continues the same",
          f"{first.tolist()} != {expected[:, 0].tolist()}")
    # txrt_session_prefill_logits: the logits of every position, as decode
    # steps fed one token at a time give them (7 tokens: a prefill chunk of
    # 4 and a padded one), and the last one as txrt_session_logits.
    assert lib.txrt_session_reset(s) == OK
    long_prompt = rng.integers(0, V, (B, 7))
    arr, ptr = ids(long_prompt)
    rc = lib.txrt_session_prefill_logits(s, ptr, B, 7, None)
    check(rc == ARGUMENT and b"logits_out" in lib.txrt_last_error() and lib.txrt_session_length(s) == 0,
          "prefill_logits without logits_out is TXRT_ERROR_ARGUMENT", f"rc {rc}: {lib.txrt_last_error()}")
    all_logits = np.zeros((B, 7, V), dtype=np.float32)
    rc = lib.txrt_session_prefill_logits(s, ptr, B, 7, all_logits.ctypes.data_as(ctypes.POINTER(ctypes.c_float)))
    last = logits(s)
    steps = session()
    one, optr = ids(long_prompt[:, :1])
    assert lib.txrt_session_prefill(steps, optr, B, 1) == OK
    stepwise = [logits(steps)]
    for i in range(1, 7):
        one, optr = ids(long_prompt[:, i])
        assert lib.txrt_session_decode(steps, optr, B) == OK, lib.txrt_last_error()
        stepwise.append(logits(steps))
    stepwise = np.stack(stepwise, 1)
    err = float(np.abs(all_logits - stepwise).max())
    check(rc == OK and lib.txrt_session_length(s) == 7 and err <= 1e-4 and np.array_equal(last, all_logits[:, -1]),
          "prefill_logits gives every position's logits", f"rc {rc}, max error {err}")
    lib.txrt_session_free(steps)
    lib.txrt_session_free(s)
    lib.txrt_session_free(fresh)

    # A model compiled without --max-seq has no sessions.
    plain = load(sys.argv[3])
    s = ctypes.c_void_p()
    rc = lib.txrt_session_create(plain, ctypes.byref(s))
    check(rc == ARGUMENT and b"--max-seq" in lib.txrt_last_error() and not s.value,
          "a model not compiled for generation is refused", f"rc {rc}: {lib.txrt_last_error()}")
    lib.txrt_model_free(plain)
    lib.txrt_model_free(model)
    print(f"session: {len(passes)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
