#!/usr/bin/env python3
"""Checks that every diagnostic written in the dialect's C++ is exercised.

For each `emitOpError()/emitError()` statement in the given C++ sources, takes
the longest string literal of its message (adjacent literals joined) and looks
for it in the `expected-error` lines (and `CHECK...error:` lines) of the lit tests and in the GoogleTest
sources. Prints the messages no test exercises and exits 1 if there are any.

usage: check_diagnostics.py --sources DIR... --tests DIR...
"""
import argparse
import pathlib
import re
import sys

EMIT = re.compile(r"emit(?:Op)?Error\s*\(")
LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"')


def statements(text):
    """Yields (line, statement text) for every emit...Error statement."""
    for m in EMIT.finditer(text):
        end = text.find(";", m.end())
        # Lambdas returning emitError() (parser callbacks) have no message.
        yield text.count("\n", 0, m.start()) + 1, text[m.start():end]


def message_key(stmt):
    """Longest run of adjacent string literals in the statement."""
    runs, current, last_end = [], [], None
    for m in LITERAL.finditer(stmt):
        if last_end is not None and stmt[last_end:m.start()].strip() == "":
            current.append(m.group(1))
        else:
            if current:
                runs.append("".join(current))
            current = [m.group(1)]
        last_end = m.end()
    if current:
        runs.append("".join(current))
    runs = [r.replace('\\"', '"') for r in runs]
    return max(runs, key=len) if runs else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sources", nargs="+", required=True)
    ap.add_argument("--tests", nargs="+", required=True)
    args = ap.parse_args()

    corpus = []
    for d in args.tests:
        for p in pathlib.Path(d).rglob("*"):
            if p.suffix in (".mlir", ".test"):
                text = p.read_text()
                corpus += re.findall(r"expected-error[^{]*\{\{(.*?)\}\}", text)
                # Errors checked through `not tx-opt ... 2>&1 | FileCheck`.
                corpus += [l for l in text.splitlines()
                           if "CHECK" in l and "error:" in l]
            elif p.suffix == ".cpp":
                corpus.append(p.read_text())
    corpus = "\n".join(corpus)

    missing, total = [], 0
    for d in args.sources:
        for p in sorted(pathlib.Path(d).rglob("*.cpp")):
            for line, stmt in statements(p.read_text()):
                key = message_key(stmt)
                if not key or len(key.strip(" '")) < 6:
                    continue
                total += 1
                if key.strip() not in corpus:
                    missing.append(f"{p}:{line}: {key.strip()!r}")
    for m in missing:
        print("not exercised by any test:", m)
    print(f"{total - len(missing)} of {total} diagnostics exercised")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
