#!/usr/bin/env python3
"""txc-run generate --chat: turns from standard input keep the KV cache.

Three turns (the second one multi-line, between two lines \"\"\") with 4 new
tokens each on a model with a cache of 64 positions. --verbose prints
"prefill: N tokens" per turn: the second turn must prefill only what is new
(the answer's last token, never fed back, plus the ChatML text after the
answer), and the third turn no longer fits, which ends the chat with a
message and exit status 0.

usage: chat_generate.py MODEL.so TOKENIZER WORKDIR
"""
import os
import re
import subprocess
import sys


def count_tokens(tokenizer, work, text):
    path = os.path.join(work, "delta.txt")
    with open(path, "w") as f:
        f.write(text)
    r = subprocess.run(["txc-run", "tokenize", "--tokenizer", tokenizer, "--text", path,
                        "--no-special"], capture_output=True, check=True)
    return len(r.stdout.split())


def main():
    model, tokenizer, work = sys.argv[1:4]
    turns = 'hello\n"""\nthe world\nhello\n"""\nhello again, the world\n'
    r = subprocess.run(["txc-run", model, "generate", "--chat", "--tokenizer", tokenizer,
                        "--max-new-tokens", "4", "--verbose"],
                       input=turns.encode(), capture_output=True)
    err = r.stderr.decode()
    prefills = [int(x) for x in re.findall(r"prefill: (\d+) tokens", err)]
    answers = r.stdout.decode().split("\n")
    delta = ("<|im_end|>\n<|im_start|>user\nthe world\nhello<|im_end|>\n"
             "<|im_start|>assistant\n")
    expected = 1 + count_tokens(tokenizer, work, delta)
    full = count_tokens(tokenizer, work, "<|im_start|>user\nhello<|im_end|>\n"
                        "<|im_start|>assistant\n")
    ok = (r.returncode == 0 and len(prefills) == 2 and prefills[0] == full and
          prefills[1] == expected and len(answers) >= 2 and
          "txc-run: the KV cache is full (64 positions; compile with a larger "
          "--max-seq)" in err)
    print(("OK" if ok else "FAIL") + f" chat: prefills {prefills}, expected "
          f"[{full}, {expected}], rc {r.returncode}, stderr {err!r}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
