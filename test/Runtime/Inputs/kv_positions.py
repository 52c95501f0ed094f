#!/usr/bin/env python3
"""Per-layer KV cache lengths through libtxrt's C API (ctypes):
txrt_generation_kv_per_layer and txrt_session_kv_positions on the
mixture-of-depths fake model (test/unit/runtime/fake_mod_model.cpp; layer 0
keeps every token, layer 1 the even ids) and on a generation model without
per-layer lengths (fake_model.so given a generation section through
TXC_FAKE_MODEL_METADATA; never run).

usage: kv_positions.py LIBTXRT.so FAKE_MOD_MODEL.so FAKE_MODEL.so

Prints "OK what" per check, "FAIL what: why" on a failure (exit 1).
"""
import ctypes
import os
import sys

OK, ARGUMENT = 0, 5

# A generation section without per-layer lengths, for fake_model.so.
PLAIN_GENERATION = (
    '{"format": "txc-model", "version": 1, "inputs": ['
    '{"name": "input_ids", "dtype": "i64", "shape": [1, 1]}, '
    '{"name": "kv_cache", "dtype": "f32", "shape": [3, 2, 1, 1, 8, 4]}, '
    '{"name": "cache_position", "dtype": "i64", "shape": [1]}], '
    '"outputs": [{"name": "logits", "dtype": "f32", "shape": [1, 1, 5]}], '
    '"generation": {"tokens": "input_ids", "cache": "kv_cache", '
    '"cache_position": "cache_position", "logits": "logits", "batch": 1, '
    '"step": 1, "layers": 3, "kv_heads": 1, "capacity": 8, "head_dim": 4, '
    '"layout": "contiguous", "block_size": 0}}')


def main():
    lib = ctypes.CDLL(sys.argv[1])
    lib.txrt_last_error.restype = ctypes.c_char_p
    lib.txrt_session_length.restype = ctypes.c_int64
    failures = []

    def check(ok, what, why=""):
        print(("OK " if ok else "FAIL ") + what + ("" if ok else ": " + str(why)))
        if not ok:
            failures.append(what)

    def load(path):
        model = ctypes.c_void_p()
        assert lib.txrt_model_load(path.encode(), None, ctypes.byref(model)) == OK, lib.txrt_last_error()
        return model

    def session(model):
        s = ctypes.c_void_p()
        assert lib.txrt_session_create(model, ctypes.byref(s)) == OK, lib.txrt_last_error()
        return s

    def per_layer(model):
        flag = ctypes.c_int(-1)
        rc = lib.txrt_generation_kv_per_layer(model, ctypes.byref(flag))
        return rc, flag.value

    def positions(s):
        held, dense = ctypes.c_int64(-1), ctypes.c_int64(-1)
        rc = lib.txrt_session_kv_positions(s, ctypes.byref(held), ctypes.byref(dense))
        assert rc == OK, lib.txrt_last_error()
        return held.value, dense.value

    def tokens(values):
        return (ctypes.c_int64 * len(values))(*values)

    mod = load(sys.argv[2])
    check(per_layer(mod) == (OK, 1), "the fake model keeps per-layer lengths", per_layer(mod))
    s = session(mod)
    check(positions(s) == (0, 0), "an empty session holds nothing", positions(s))

    # A prefill chunk of 3 real tokens (padded to 4): 1 2 3 -> layer 0 keeps
    # 3, layer 1 keeps 1 (the 2); the padding is not counted.
    assert lib.txrt_session_prefill(s, tokens([1, 2, 3]), 1, 3) == OK, lib.txrt_last_error()
    check(positions(s) == (4, 6), "prefill: 3 + 1 of 2 x 3", positions(s))
    # Decode steps: 4 (both layers), 3 (layer 0 only).
    assert lib.txrt_session_decode(s, tokens([4]), 1) == OK, lib.txrt_last_error()
    assert lib.txrt_session_decode(s, tokens([3]), 1) == OK, lib.txrt_last_error()
    check(positions(s) == (7, 10), "decode: 5 + 2 of 2 x 5", positions(s))
    # A failed call changes nothing: a token outside the vocabulary.
    check(lib.txrt_session_decode(s, tokens([9]), 1) == ARGUMENT, "a bad token is refused")
    check(positions(s) == (7, 10), "a failed decode keeps the lengths", positions(s))

    # Reset empties the per-layer lengths too: the same tokens give the same
    # counts (and the logits the same prediction) as from a new session.
    check(lib.txrt_session_reset(s) == OK, "reset")
    check(positions(s) == (0, 0), "reset empties the lengths", positions(s))
    assert lib.txrt_session_prefill(s, tokens([2, 2, 2, 2, 2, 1]), 1, 6) == OK, lib.txrt_last_error()
    check(positions(s) == (11, 12), "after reset: 6 + 5 of 2 x 6", positions(s))

    # NULL arguments.
    held, dense = ctypes.c_int64(), ctypes.c_int64()
    for what, args in (("session", (None, ctypes.byref(held), ctypes.byref(dense))),
                       ("held", (s, None, ctypes.byref(dense))),
                       ("dense", (s, ctypes.byref(held), None))):
        rc = lib.txrt_session_kv_positions(*args)
        check(rc == ARGUMENT and b"must not be NULL" in lib.txrt_last_error(),
              "txrt_session_kv_positions: NULL " + what, (rc, lib.txrt_last_error()))
    rc = lib.txrt_generation_kv_per_layer(mod, None)
    check(rc == ARGUMENT and b"per_layer is NULL" in lib.txrt_last_error(),
          "txrt_generation_kv_per_layer: NULL per_layer", (rc, lib.txrt_last_error()))
    check(per_layer(None)[0] == ARGUMENT, "txrt_generation_kv_per_layer: NULL model")
    lib.txrt_session_free(s)
    lib.txrt_model_free(mod)

    # A generation model without per-layer lengths: held = dense. It is not
    # run (fake_model.so's code is not a generation step), so both are 0.
    os.environ["TXC_FAKE_MODEL_METADATA"] = PLAIN_GENERATION
    plain = load(sys.argv[3])
    check(per_layer(plain) == (OK, 0), "a model without the roles", per_layer(plain))
    s = session(plain)
    check(positions(s) == (0, 0), "its empty session", positions(s))
    lib.txrt_session_free(s)
    lib.txrt_model_free(plain)

    # A model not compiled for generation.
    os.environ["TXC_FAKE_MODEL_METADATA"] = '{"format": "txc-model", "version": 1, "inputs": [], "outputs": []}'
    other = load(sys.argv[3])
    rc = per_layer(other)[0]
    check(rc == ARGUMENT and b"not compiled for generation" in lib.txrt_last_error(),
          "a model without a generation section", (rc, lib.txrt_last_error()))
    lib.txrt_model_free(other)

    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
