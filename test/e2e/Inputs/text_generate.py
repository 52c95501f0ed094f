#!/usr/bin/env python3
"""txc-run generate with text: checks on a random model and the byte-level
tokenizers of make_tokenizer.py (the model's vocabulary has the same size).

  round trip   the text prompt's greedy tokens equal those of --prompt-ids
               with the prompt's ids
  eos          a tokenizer whose end-of-generation id is the k-th greedy
               token ends the text before it
  stop         a --stop string spanning two tokens ends the text before it
  emoji        ids swapped so that 4 greedy tokens are the bytes of U+1F600:
               the character is printed whole
  cache-full   more new tokens than the cache holds: the text so far, a
               message on stderr, exit status 0

usage: text_generate.py MODEL.so WORKDIR VOCAB
"""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PROMPT = "hello world"


def make_tokenizer(work, name, vocab, *extra):
    out = os.path.join(work, name)
    subprocess.run([sys.executable, os.path.join(HERE, "make_tokenizer.py"), out,
                    "--vocab", str(vocab), *extra], check=True)
    return out


def generate(model, tokenizer, *extra, check=True):
    r = subprocess.run(["txc-run", model, "generate", "--tokenizer", tokenizer,
                        *extra], capture_output=True)
    if check and r.returncode != 0:
        sys.stderr.write(r.stderr.decode())
        raise SystemExit(f"txc-run failed: {extra}")
    return r


def parse(stdout):
    """Text (without the final newline), prompt ids, generated ids."""
    text = stdout.decode("utf-8")
    m = re.search(r"\nprompt: ([0-9 ]*)\ntokens: ([0-9 ]*)\n$", text)
    assert m, text
    return text[:m.start()], [int(x) for x in m.group(1).split()], \
        [int(x) for x in m.group(2).split()]


def main():
    model, work, vocab = sys.argv[1], sys.argv[2], int(sys.argv[3])
    failures = 0

    def report(name, ok, detail=""):
        nonlocal failures
        failures += not ok
        print(("OK " if ok else "FAIL ") + name + (f": {detail}" if detail else ""))

    base = make_tokenizer(work, "tok-a", vocab)
    n = 24
    r = generate(model, base, "--prompt", PROMPT, "--max-new-tokens", str(n),
                 "--print-ids")
    text, prompt, tokens = parse(r.stdout)
    ids = subprocess.run(["txc-run", model, "generate", "--prompt-ids",
                          " ".join(map(str, prompt)), "--max-new-tokens",
                          str(len(tokens))], capture_output=True, check=True)
    expected = "tokens: " + " ".join(map(str, tokens))
    report("round trip", ids.stdout.decode().strip() == expected,
           f"{ids.stdout.decode().strip()} vs {expected}")

    # Pieces: the text each generated token printed (fillers: <unusedN>).
    fillers = {i for i in range(256 + 20, vocab - 3)}
    k = next((i for i in range(1, len(tokens)) if tokens[i] in fillers), None)
    if k is None:
        report("eos", False, f"no filler among {tokens}")
    else:
        eos = make_tokenizer(work, "tok-eos", vocab, "--special",
                             f"{tokens[k]}=<|my_eos|>", "--eos", "<|my_eos|>")
        r = generate(model, eos, "--prompt", PROMPT, "--max-new-tokens", str(n),
                     "--print-ids")
        t, _, got = parse(r.stdout)
        cut = text.find(f"<unused{tokens[k] - 276}>")
        report("eos", got == tokens[:k + 1] and t == text[:cut],
               f"{got} {t!r} vs {tokens[:k + 1]} {text[:cut]!r}")

    # A stop string across two tokens: the end of one filler's text and the
    # start of the next piece.
    m = re.search(r"(\d>)(<un|.)", text)
    if not m:
        report("stop", False, f"no filler text in {text!r}")
    else:
        stop = m.group(0)
        r = generate(model, base, "--prompt", PROMPT, "--max-new-tokens", str(n),
                     "--stop", stop, "--stop", "never printed")
        got = r.stdout.decode()
        want = text[:text.find(stop)] + "\n"
        report("stop", got == want, f"{got!r} vs {want!r} (stop {stop!r})")

    # Four distinct greedy ids outside the prompt become the bytes of U+1F600.
    emoji = "\U0001F600".encode()
    start = next((i for i in range(len(tokens) - 3)
                  if len(set(tokens[i:i + 4])) == 4 and
                  not set(tokens[i:i + 4]) & (set(prompt) | set(emoji)) and
                  all(t < vocab - 3 for t in tokens[i:i + 4])), None)
    if start is None:
        report("emoji", False, f"no 4 distinct ids in {tokens}")
    else:
        swaps = []
        for t, b in zip(tokens[start:start + 4], emoji):
            swaps += ["--swap", f"{t}={b}"]
        tok = make_tokenizer(work, "tok-emoji", vocab, *swaps)
        r = generate(model, tok, "--prompt", PROMPT, "--max-new-tokens", str(n),
                     "--print-ids")
        t, _, got = parse(r.stdout)
        # The character appears once its fourth byte is generated.
        report("emoji", got == tokens and "\U0001F600" in t, f"{t!r}")

    # The cache (64 positions) fills before 100 new tokens.
    r = generate(model, base, "--prompt", PROMPT, "--max-new-tokens", "100",
                 "--print-ids", check=False)
    err = r.stderr.decode()
    t, _, got = parse(r.stdout)
    ok = (r.returncode == 0 and len(got) == 64 - len(prompt) + 1 and
          "txc-run: the KV cache is full (64 positions; compile with a larger "
          "--max-seq)" in err)
    report("cache-full", ok, f"rc {r.returncode}, {len(got)} tokens, {err!r}")

    print(f"text: {5 - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
