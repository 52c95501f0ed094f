#!/usr/bin/env python3
"""Greedy tokens of an ONNX decoder in onnxruntime, for comparing with
`txc-run generate`: a model with past_key_values.* inputs decodes step by
step with present.* fed back (attention_mask of ones and position_ids when
it has them); a single-pass model recomputes the whole sequence each step.

usage: generate_ref.py MODEL.onnx PROMPT_IDS N TXC_TOKENS.npy

Prints "OK tokens=..." when TXC_TOKENS.npy ([1, N]) holds the same tokens,
else "FAIL txc ... onnxruntime ...".
"""
import sys

import numpy as np
import onnxruntime as ort


def main():
    path, prompt, n, got_path = sys.argv[1], [int(t) for t in sys.argv[2].split()], int(sys.argv[3]), sys.argv[4]
    s = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    inputs = {i.name: i for i in s.get_inputs()}
    outputs = [o.name for o in s.get_outputs()]
    pasts = [k for k in inputs if k.startswith("past_key_values.")]
    tokens = []
    if pasts:
        past = {k: np.zeros((1, inputs[k].shape[1], 0, inputs[k].shape[3]), np.float32) for k in pasts}
        ids, start = np.array([prompt], np.int64), 0
        for _ in range(n):
            feeds = dict(past, input_ids=ids)
            if "position_ids" in inputs:
                feeds["position_ids"] = np.arange(start, start + ids.shape[1], dtype=np.int64)[None]
            if "attention_mask" in inputs:
                feeds["attention_mask"] = np.ones((1, start + ids.shape[1]), np.int64)
            res = dict(zip(outputs, s.run(None, feeds)))
            for k in pasts:
                past[k] = res[k.replace("past_key_values.", "present.", 1)]
            start += ids.shape[1]
            tokens.append(int(res[outputs[0]][0, -1].argmax()))
            ids = np.array([[tokens[-1]]], np.int64)
    else:
        seq = list(prompt)
        for _ in range(n):
            logits = s.run(None, {"input_ids": np.array([seq], np.int64)})[0]
            tokens.append(int(logits[0, -1].argmax()))
            seq.append(tokens[-1])
    got = np.load(got_path).reshape(-1).tolist()
    print(("OK tokens=" if got == tokens else f"FAIL txc {got} onnxruntime ") + " ".join(map(str, tokens)))
    return 0 if got == tokens else 1


if __name__ == "__main__":
    sys.exit(main())
