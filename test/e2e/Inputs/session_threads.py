#!/usr/bin/env python3
"""libtxrt's thread-safety contract and its limits, through ctypes on a model
compiled with txc --max-seq (ctypes releases the GIL during C calls, so the
threads really run at the same time):

* one model shared by sessions on several threads: each thread's greedy
  tokens equal those of the same prompt generated alone;
* txrt_session_cancel from another thread stops a long prefill between
  chunks with TXRT_ERROR_CANCELLED, and the session stays usable;
* txrt_model_set_memory_limit below a session's size refuses to create it
  (TXRT_ERROR_MEMORY), and plain runs check their generation inputs.

usage: session_threads.py LIBTXRT.so GEN_MODEL.so
Prints "OK what" per check, "FAIL what: why" on a failure (exit 1)."""
import ctypes
import sys
import threading

import numpy as np

OK, ARGUMENT, CANCELLED, MEMORY = 0, 5, 8, 9


class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_int64) for n in
                ("batch", "capacity", "vocab", "prefill_chunk", "layers", "kv_heads", "head_dim", "block_size")]


lib = ctypes.CDLL(sys.argv[1])
lib.txrt_last_error.restype = ctypes.c_char_p
lib.txrt_session_logits.restype = ctypes.POINTER(ctypes.c_float)
lib.txrt_session_length.restype = ctypes.c_int64
failures, checks = [], []


def check(ok, what, why=""):
    print(("OK " if ok else "FAIL ") + what + ("" if ok else ": " + str(why)))
    checks.append(what)
    if not ok:
        failures.append(what)


model = ctypes.c_void_p()
assert lib.txrt_model_load(sys.argv[2].encode(), None, ctypes.byref(model)) == OK, lib.txrt_last_error()
info = Info()
assert lib.txrt_generation_info_get(model, ctypes.byref(info)) == OK
vocab = info.vocab


def greedy(prompt, steps):
    session = ctypes.c_void_p()
    assert lib.txrt_session_create(model, ctypes.byref(session)) == OK, lib.txrt_last_error()
    ids = (ctypes.c_int64 * len(prompt))(*prompt)
    assert lib.txrt_session_prefill(session, ids, 1, len(prompt)) == OK, lib.txrt_last_error()
    out = []
    for _ in range(steps):
        logits = np.ctypeslib.as_array(lib.txrt_session_logits(session), shape=(vocab,))
        token = int(np.argmax(logits))
        out.append(token)
        one = (ctypes.c_int64 * 1)(token)
        assert lib.txrt_session_decode(session, one, 1) == OK, lib.txrt_last_error()
    lib.txrt_session_free(session)
    return out


prompts = [[(7 * t + 3 * k) % vocab for t in range(5 + k)] for k in range(4)]
alone = [greedy(p, 12) for p in prompts]
for round_ in range(3):
    results = [None] * len(prompts)

    def work(k):
        results[k] = greedy(prompts[k], 12)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(len(prompts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if results != alone:
        break
check(results == alone, "sessions of one model on 4 threads give the tokens they give alone",
      f"{results} != {alone}")

# Cancel: a prompt of many chunks, cancelled from another thread right away.
session = ctypes.c_void_p()
assert lib.txrt_session_create(model, ctypes.byref(session)) == OK
long_prompt = [(3 * t + 1) % vocab for t in range(info.capacity - 2)]
ids = (ctypes.c_int64 * len(long_prompt))(*long_prompt)
lib.txrt_session_cancel(session)  # applies to the next prefill
status = lib.txrt_session_prefill(session, ids, 1, len(long_prompt))
message = lib.txrt_last_error().decode()
check(status == CANCELLED and "cancelled after 0 of" in message, "a cancel before a prefill stops it",
      f"{status} {message}")
check(lib.txrt_session_length(session) == 0, "nothing was appended")
check(lib.txrt_session_prefill(session, ids, 1, 4) == OK and lib.txrt_session_length(session) == 4,
      "the session is usable after a cancel")
# A model without early exit reports no depth; NULL arguments are refused.
layers, tokens = ctypes.c_double(), ctypes.c_int64(-1)
check(lib.txrt_session_layers_run(session, ctypes.byref(layers), ctypes.byref(tokens)) == OK
      and tokens.value == 0, "txrt_session_layers_run: no depth without early exit")
status = lib.txrt_session_layers_run(session, None, ctypes.byref(tokens))
check(status != OK and "must not be NULL" in lib.txrt_last_error().decode(),
      "txrt_session_layers_run refuses NULL")
lib.txrt_session_free(session)

# Memory limit.
assert lib.txrt_model_set_memory_limit(model, ctypes.c_size_t(1024)) == OK
session = ctypes.c_void_p()
status = lib.txrt_session_create(model, ctypes.byref(session))
message = lib.txrt_last_error().decode()
check(status == MEMORY and "more than the 1024 of txrt_model_set_memory_limit" in message,
      "a session larger than the memory limit is refused", f"{status} {message}")
assert lib.txrt_model_set_memory_limit(model, ctypes.c_size_t(0)) == OK
check(lib.txrt_session_create(model, ctypes.byref(session)) == OK, "without a limit it is created")
lib.txrt_session_free(session)

# A plain run of the decode step with a cache position past the cache.
class TensorInfo(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("dtype", ctypes.c_int), ("rank", ctypes.c_size_t),
                ("dims", ctypes.POINTER(ctypes.c_int64)), ("byte_size", ctypes.c_size_t)]


buffers = []
for i in range(lib.txrt_model_num_inputs(model)):
    t = TensorInfo()
    lib.txrt_model_input_info(model, i, ctypes.byref(t))
    b = np.zeros(t.byte_size // 8 + 8, np.int64)
    if t.name == b"cache_position":
        b[0] = info.capacity
    buffers.append(b)
outs = []
for i in range(lib.txrt_model_num_outputs(model)):
    t = TensorInfo()
    lib.txrt_model_output_info(model, i, ctypes.byref(t))
    outs.append(np.zeros(t.byte_size // 4 + 16, np.float32))
inputs = (ctypes.c_void_p * len(buffers))(*[b.ctypes.data for b in buffers])
outputs = (ctypes.c_void_p * len(outs))(*[o.ctypes.data for o in outs])
status = lib.txrt_model_run(model, inputs, outputs)
message = lib.txrt_last_error().decode()
check(status == ARGUMENT and "cache_position" in message and "leaves no room" in message,
      "txrt_model_run refuses a cache position past the cache", f"{status} {message}")

lib.txrt_model_free(model)
print(f"threads: {len(checks) - len(failures)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
