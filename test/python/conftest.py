"""Fixtures of the txc Python package tests: small models compiled once per
session (examples/decoder2.mlir as one forward pass; a 2-layer llama decoder
from test/Frontend/ONNX/gen_models.py compiled for generation, with the byte
BPE tokenizer of test/e2e/Inputs/make_tokenizer.py), and the txc-run they
are compared with (TXC_TOOLS, set by python.test; else the build tree).
"""

import os
import subprocess
import sys
import tempfile

import pytest

import txc

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))


def tools_dir():
    return os.environ.get("TXC_TOOLS", os.path.join(SRC, "build", "bin"))


def txc_run(*args, stdin=None):
    """Runs txc-run; returns (exit status, stdout, stderr)."""
    proc = subprocess.run([os.path.join(tools_dir(), "txc-run"), *args],
                          input=stdin, capture_output=True, text=True,
                          timeout=600)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture(scope="session")
def workdir():
    base = os.environ.get("TXC_TEST_TMP")
    if base:
        os.makedirs(base, exist_ok=True)
        return tempfile.mkdtemp(dir=base)
    return tempfile.mkdtemp(prefix="txc-python-")


@pytest.fixture(scope="session")
def forward_model(workdir):
    """examples/decoder2.mlir compiled to a library (one forward pass)."""
    out = os.path.join(workdir, "decoder2", "model.so")
    txc.compile(os.path.join(SRC, "examples", "decoder2.mlir"), out)
    return out


@pytest.fixture(scope="session")
def decoder(workdir):
    """(model.so, tokenizer folder) of a generation model, vocabulary 512."""
    onnx = os.path.join(workdir, "llama.onnx")
    subprocess.run([sys.executable,
                    os.path.join(SRC, "test", "Frontend", "ONNX",
                                 "gen_models.py"),
                    "llama", "--past-kv", "--dynamic", "--vocab", "512",
                    "--layers", "2", "-o", onnx], check=True)
    so = os.path.join(workdir, "llama", "model.so")
    txc.compile(onnx, so, max_seq=256, prefill_chunk=16)
    tok = os.path.join(workdir, "tok")
    subprocess.run([sys.executable,
                    os.path.join(SRC, "test", "e2e", "Inputs",
                                 "make_tokenizer.py"), tok, "--vocab", "512"],
                   check=True)
    return so, tok
