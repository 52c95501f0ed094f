#!/usr/bin/env python3
"""txc-run generate --stop-token: generation ends after the first occurrence
of the token and --out keeps the tokens up to it.

usage: stop_token.py MODEL.so WORKDIR
"""
import os
import subprocess
import sys

import numpy as np


def generate(model, out, *extra):
    subprocess.run(["txc-run", model, "generate", "--prompt-ids", "1 2 3 4", "--max-new-tokens", "12",
                    "--out", out, *extra], check=True, capture_output=True)
    return np.load(out)


def main():
    model, work = sys.argv[1], sys.argv[2]
    full = generate(model, os.path.join(work, "full.npy"))[0]
    stop = int(full[3])
    first = int(np.argmax(full == stop))
    cut = generate(model, os.path.join(work, "cut.npy"), "--stop-token", str(stop))
    ok = cut.shape == (1, first + 1) and (cut[0] == full[:first + 1]).all()
    print(("OK" if ok else "FAIL") + f" stop {stop}: full {full.tolist()} cut {cut.tolist()}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
