"""txc.compile: IR text, stages, files written, and its errors."""

import os

import pytest

import txc
from conftest import SRC

DECODER2 = os.path.join(SRC, "examples", "decoder2.mlir")


def test_ir_text():
    ir = txc.compile(DECODER2)
    assert isinstance(ir, str)
    assert "tx.layer" in ir
    linalg = txc.compile(DECODER2, emit="linalg")
    assert "linalg." in linalg and "tx.layer" not in linalg


def test_stages_and_callback():
    seen = []
    ir, stages = txc.compile(DECODER2, emit="linalg", stages=True,
                             on_stage=seen.append)
    assert ir.strip()
    assert stages, "no stage IR"
    assert all(isinstance(text, str) and text for text in stages.values())
    assert [s.key for s in seen] == list(stages)
    assert all(isinstance(s, txc.StageIR) for s in seen)


def test_files_written(tmp_path):
    out = tmp_path / "model.so"
    files = txc.compile(DECODER2, out, opt_level=2)
    assert str(out) in files
    assert out.exists() and all(os.path.exists(f) for f in files)
    ll = txc.compile(DECODER2, tmp_path / "model.ll")
    assert os.path.exists(ll[0])


def test_layer_skip_option():
    full = txc.compile(DECODER2)
    skipped = txc.compile(DECODER2, layer_skip_speedup=2.0)
    assert skipped.count("tx.layer") < full.count("tx.layer")
    listed = txc.compile(DECODER2, skip_layers=[1])
    assert listed.count("tx.layer") == full.count("tx.layer") - 1
    assert "tx.layer 1 (" not in listed
    with pytest.raises(TypeError, match="skip_layers"):
        txc.compile(DECODER2, skip_layers="1")
    with pytest.raises(txc.CompileError, match="not both"):
        txc.compile(DECODER2, skip_layers=[1], layer_skip_speedup=2.0)


def test_missing_file():
    with pytest.raises(txc.CompileError) as info:
        txc.compile("/nonexistent/model.onnx")
    assert "/nonexistent/model.onnx" in str(info.value)
    assert isinstance(info.value, RuntimeError)


def test_bad_ir(tmp_path):
    bad = tmp_path / "bad.mlir"
    bad.write_text("func.func @f( {\n")
    with pytest.raises(txc.CompileError) as info:
        txc.compile(bad)
    assert "bad.mlir" in str(info.value)


def test_bad_arguments(tmp_path):
    with pytest.raises(TypeError, match="unknown option"):
        txc.compile(DECODER2, max_sequence=4)
    with pytest.raises(ValueError, match="emit"):
        txc.compile(DECODER2, emit="exe")
    with pytest.raises(ValueError, match="give output"):
        txc.compile(DECODER2, emit="so")
    with pytest.raises(TypeError, match="shapes"):
        txc.compile(DECODER2, shapes=[1, 2])
    with pytest.raises(ValueError, match="shapes"):
        txc.compile(DECODER2, shapes={"ids": (1, 0)})
    with pytest.raises(ValueError, match="quantize"):
        txc.compile(DECODER2, quantize="q4")
    with pytest.raises(TypeError, match="quant_keep"):
        txc.compile(DECODER2, quantize="int4", quant_keep="lm-head")
    with pytest.raises(txc.CompileError, match="tx-opt --tx-quantize"):
        txc.compile(DECODER2, quantize="int4")
    with pytest.raises(TypeError, match="quant_mixed"):
        txc.compile(DECODER2, quantize="int4", quant_mixed="0.1")
    with pytest.raises(TypeError, match="max_seq"):
        txc.compile(DECODER2, max_seq="64")
    with pytest.raises(ValueError, match="opt_level"):
        txc.compile(DECODER2, opt_level=7)
    with pytest.raises(TypeError, match="path"):
        txc.compile(42)


def test_bad_pipeline():
    with pytest.raises(txc.CompileError):
        txc.compile(DECODER2, pipeline="builtin.module(no-such-pass)")


def test_callback_exception_propagates():
    def boom(stage):
        raise KeyError("from the callback")

    with pytest.raises(KeyError, match="from the callback"):
        txc.compile(DECODER2, on_stage=boom)


def test_quantize(decoder, workdir):
    """quantize= and its companions reach tx-quantize: an int4 model of the
    session's ONNX decoder has tx.qlinear ops on group-64 int4 weights; the
    kept LM head stays a tx.linear."""
    onnx = os.path.join(workdir, "llama.onnx")
    ir = txc.compile(onnx, emit="tx", quantize="int4", quant_group=64,
                     quant_keep=["lm-head"], max_seq=64)
    assert "int4, group = 64" in ir and "tx.qlinear" in ir
    assert "tx.linear" in ir  # the LM head


def test_quantize_mixed_needs_calibration(decoder, workdir):
    """quant_mixed= reaches tx-quantize, which needs statistics for it."""
    onnx = os.path.join(workdir, "llama.onnx")
    with pytest.raises(txc.CompileError, match="mixed=0.5 needs calibration"):
        txc.compile(onnx, emit="tx", quantize="int4", quant_mixed=0.5,
                    quant_mixed_format="int8", max_seq=64)


def test_kv_quant_int4(decoder, workdir):
    """kv_quant="int4" and its group and residual reach tx-use-kv-cache: the
    cache type carries KIVI's format (the buffer: residual + group + the
    prefill chunk); the group defaults to the largest power of two up to 32
    dividing the head size (16 here), and a bad one is an error naming the
    flag."""
    onnx = os.path.join(workdir, "llama.onnx")
    ir = txc.compile(onnx, emit="tx", max_seq=64, prefill_chunk=16,
                     kv_quant="int4", kv_quant_group=8, kv_quant_residual=16)
    assert ("#tx.kv_format<int4, group = 8, per_channel, residual = 16, "
            "buffer = 40>") in ir
    ir = txc.compile(onnx, emit="tx", max_seq=64, kv_quant="int4")
    assert "#tx.kv_format<int4, group = 16, per_channel" in ir
    with pytest.raises(txc.CompileError, match="kv-quant-group"):
        txc.compile(onnx, emit="tx", max_seq=64, kv_quant="int4",
                    kv_quant_group=6)
