"""txc.load and Model.run: outputs equal txc-run's, inputs read in place,
and the errors of bad models and bad arrays."""

import os

import numpy as np
import pytest

import txc
from conftest import txc_run


def random_inputs(model, seed=0):
    rng = np.random.default_rng(seed)
    arrays = {}
    for info in model.inputs:
        if info.numpy_dtype.kind in "iu":
            arrays[info.name] = rng.integers(0, 8, info.shape).astype(
                info.numpy_dtype)
        else:
            arrays[info.name] = rng.standard_normal(info.shape).astype(
                info.numpy_dtype)
    return arrays


def test_info(forward_model):
    model = txc.load(forward_model)
    assert model.path == forward_model
    assert model.inputs and model.outputs
    assert model.generation is None
    first = model.inputs[0]
    assert isinstance(first, txc.TensorInfo)
    assert first.byte_size == np.prod(first.shape) * first.numpy_dtype.itemsize


def test_run_matches_txc_run(forward_model, tmp_path):
    model = txc.load(forward_model, threads=1)
    inputs = random_inputs(model)
    outputs = model.run(**inputs)
    assert set(outputs) == {o.name for o in model.outputs}
    args = []
    for name, array in inputs.items():
        path = tmp_path / f"{len(args)}.npy"
        np.save(path, array)
        args += ["--in", f"{name}={path}"]
    status, out, err = txc_run(forward_model, *args, "--threads", "1",
                               "--out-dir", str(tmp_path / "out"))
    assert status == 0, err
    for info in model.outputs:
        expected = np.load(tmp_path / "out" / f"{info.name}.npy")
        assert outputs[info.name].dtype == expected.dtype
        np.testing.assert_array_equal(outputs[info.name], expected)


def test_non_contiguous_inputs(forward_model):
    model = txc.load(forward_model, threads=1)
    inputs = random_inputs(model)
    reference = model.run(**inputs)
    strided = {}
    for name, array in inputs.items():
        if array.ndim == 2:
            doubled = np.repeat(array, 2, axis=1)
            strided[name] = doubled[:, ::2]
            assert not strided[name].flags.c_contiguous
        else:
            strided[name] = array
    again = model.run(**strided)
    for name in reference:
        np.testing.assert_array_equal(reference[name], again[name])


def test_bad_arrays(forward_model):
    model = txc.load(forward_model)
    inputs = random_inputs(model)
    first = model.inputs[0]
    wrong = dict(inputs)
    wrong[first.name] = inputs[first.name].astype(np.float64
                                                  if first.numpy_dtype.kind
                                                  in "iu" else np.int32)
    with pytest.raises(TypeError, match=f"input '{first.name}' has dtype"):
        model.run(**wrong)
    wrong = dict(inputs)
    wrong[first.name] = np.zeros((3,) + first.shape, first.numpy_dtype)
    with pytest.raises(ValueError, match=f"input '{first.name}' has shape"):
        model.run(**wrong)
    missing = dict(inputs)
    del missing[first.name]
    with pytest.raises(TypeError, match="missing input"):
        model.run(**missing)
    with pytest.raises(TypeError, match="unknown input"):
        model.run(**inputs, not_an_input=np.zeros(1))


def test_bad_models(tmp_path):
    with pytest.raises(txc.ModelError) as info:
        txc.load(tmp_path / "missing.so")
    assert "missing.so" in str(info.value)
    assert info.value.status.startswith("TXRT_ERROR")
    text = tmp_path / "text.so"
    text.write_text("not a model\n")
    with pytest.raises(txc.ModelError) as info:
        txc.load(text)
    assert info.value.status == "TXRT_ERROR_NOT_A_MODEL"
    with pytest.raises(ValueError, match="verify_weights"):
        txc.load(text, verify_weights="some")
    with pytest.raises(ValueError, match="threads"):
        txc.load(text, threads=0)
    with pytest.raises(TypeError):
        txc.load(None)


def test_wrong_weights(decoder, tmp_path):
    other = tmp_path / "other.safetensors"
    other.write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
    with pytest.raises(txc.ModelError) as info:
        txc.load(decoder[0], weights=other)
    assert info.value.status == "TXRT_ERROR_WEIGHTS"


def test_generate_needs_generation_model(forward_model):
    model = txc.load(forward_model)
    with pytest.raises(txc.ModelError, match="generation"):
        model.generate([1, 2, 3])
