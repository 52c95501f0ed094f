"""txc: compile transformer models ahead of time and run them from Python.

``txc.compile`` is a client of txc's compiler API (the options mirror the
``txc`` command's flags); ``txc.load`` loads a compiled model with libtxrt
and returns a :class:`Model` that runs on NumPy arrays, generates text or
token ids a step at a time, and measures perplexity. Errors raise
:class:`CompileError` or :class:`ModelError` (both :class:`TxcError`, a
``RuntimeError``) with the diagnostic text; bad arguments raise
``ValueError`` or ``TypeError``. See docs/embedding.md, "Python".
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from typing import (Any, Callable, Dict, Iterator, List, Mapping, Optional,
                    Sequence, Tuple, Union)

import numpy as np

from . import _txc
from ._txc import CompileError, ModelError, TxcError

__all__ = [
    "CompileError", "CompileWarning", "EvalResult", "Chat", "Generation",
    "Model", "ModelError", "StageIR", "TensorInfo", "Tokenizer", "TxcError",
    "compile", "load", "load_tokenizer",
]

Tokenizer = _txc.Tokenizer


class CompileWarning(UserWarning):
    """A warning of the compiler (the text txc prints as `warning:`)."""


# --------------------------------------------------------------------------
# compile
# --------------------------------------------------------------------------

_COMPILE_OPTIONS = {
    "emit", "shapes", "max_seq", "kv_block", "kv_quant", "kv_quant_group",
    "kv_quant_residual", "prefill_chunk",
    "batch",
    "quantize", "quant_group", "quant_zero_point", "quant_method",
    "quant_keep", "quant_override", "quant_mixed", "quant_mixed_format",
    "calibration",
    "pipeline", "layer_skip_speedup", "skip_layers", "cpu", "opt_level",
    "weights", "dump_dir", "print_locations", "stages", "on_stage",
}


@dataclasses.dataclass(frozen=True)
class StageIR:
    """The IR after one stage of a compilation."""
    name: str
    """The stage: import, raise, tx, kv-cache, linalg, llvm, ..."""
    step: str
    """The generation step ("decode", "prefill") or "" for one forward pass."""
    ir: str
    milliseconds: float

    @property
    def key(self) -> str:
        """`step/name`, or `name` when there is no step."""
        return f"{self.step}/{self.name}" if self.step else self.name


def _path(value: Any, what: str) -> str:
    if isinstance(value, (str, os.PathLike)):
        text = os.fspath(value)
        if isinstance(text, str):
            if not text:
                raise ValueError(f"{what} is empty")
            return text
    raise TypeError(f"{what} must be a str or os.PathLike, not "
                    f"{type(value).__name__}")


def _int(value: Any, what: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{what} must be at least {minimum}, got {value}")
    return int(value)


def _shapes(shapes: Any) -> List[Tuple[str, List[int]]]:
    if shapes is None:
        return []
    if not isinstance(shapes, Mapping):
        raise TypeError("shapes must be a dict of input name to dimensions, "
                        "e.g. {'input_ids': (1, 128)}")
    out = []
    for name, dims in shapes.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"shapes: the key {name!r} is not an input name")
        if isinstance(dims, (str, bytes)) or not isinstance(dims, Sequence):
            raise TypeError(f"shapes['{name}'] must be a sequence of ints "
                            "(None or -1 for a dynamic dimension)")
        fixed = []
        for d in dims:
            if d is None:
                d = -1
            if isinstance(d, bool) or not isinstance(d, (int, np.integer)):
                raise TypeError(f"shapes['{name}']: {d!r} is not a dimension")
            if d < -1 or d == 0:
                raise ValueError(f"shapes['{name}']: dimension {d} must be "
                                 "positive (or -1/None: dynamic)")
            fixed.append(int(d))
        if not fixed:
            raise ValueError(f"shapes['{name}'] is empty")
        out.append((name, fixed))
    return out


def compile(path: Union[str, os.PathLike], output: Union[str, os.PathLike,
                                                          None] = None,
            **options: Any) -> Any:
    """Compiles a model (ONNX, GGUF, a Hugging Face folder or tx IR).

    Options mirror txc's flags: ``emit`` ("import", "tx", "linalg", "llvm",
    "obj", "so"; default: from the output's extension, "tx" without an
    output), ``shapes`` ({"input_ids": (1, 128)}), ``max_seq``,
    ``kv_block``, ``kv_quant`` ("f32", "int8", "fp8", "int4"),
    ``kv_quant_group`` and ``kv_quant_residual`` (int4), ``prefill_chunk``,
    ``batch``, ``quantize`` ("keep",
    "f32", "f16", "bf16", "int8", "int4", "int2", "fp8", "nvfp4",
    "mxfp4"), ``quant_group`` (default 32; 0: per row),
    ``quant_zero_point``, ``quant_method`` ("rtn" or "awq"),
    ``quant_keep`` and ``quant_override`` (lists, as --quant-keep and
    --quant-override), ``quant_mixed`` (a fraction, as --quant-mixed) and
    ``quant_mixed_format``, ``calibration`` (a `txc calibrate` statistics
    file),
    ``pipeline`` (a textual pass pipeline), ``layer_skip_speedup`` (as
    --layer-skip), ``skip_layers`` (a list of layer indices, as
    --skip-layers),
    ``cpu``, ``opt_level`` (0-3), ``weights`` (the weights file),
    ``dump_dir``, ``print_locations``.

    Without ``output`` the IR text of the stage is returned; with one, the
    list of files written. ``stages=True`` returns ``(result, stages)``
    where ``stages`` maps each stage (``StageIR.key``) to its IR text;
    ``on_stage`` is called with a :class:`StageIR` after every stage.
    Compiler warnings are issued as :class:`CompileWarning`; errors raise
    :class:`CompileError`.
    """
    unknown = sorted(set(options) - _COMPILE_OPTIONS)
    if unknown:
        raise TypeError(f"compile() got unknown option(s) {', '.join(unknown)} "
                        f"(known: {', '.join(sorted(_COMPILE_OPTIONS))})")
    src = _path(path, "path")
    out = "" if output is None else _path(output, "output")
    emit = options.get("emit")
    if emit is not None and not isinstance(emit, str):
        raise TypeError("emit must be a str")
    if emit is not None and emit not in _txc.stage_names():
        raise ValueError(f"emit must be one of {', '.join(_txc.stage_names())}"
                         f", not '{emit}'")
    quantize = options.get("quantize")
    if quantize is not None and not isinstance(quantize, str):
        raise TypeError("quantize must be a str")
    quant_method = options.get("quant_method", "rtn")
    calibration = options.get("calibration")
    calibration = "" if calibration is None else _path(calibration,
                                                       "calibration")
    quant_lists = []
    for name in ("quant_keep", "quant_override"):
        value = options.get(name, [])
        if isinstance(value, str) or not all(isinstance(v, str) for v in value):
            raise TypeError(f"{name} must be a list of str")
        quant_lists.append(list(value))
    quant_mixed = options.get("quant_mixed", 0.0)
    if isinstance(quant_mixed, bool) or not isinstance(quant_mixed,
                                                        (int, float)):
        raise TypeError("quant_mixed must be a number")
    quant_mixed = float(quant_mixed)
    max_seq = options.get("max_seq")
    if max_seq is not None:
        max_seq = _int(max_seq, "max_seq", 0)
    speedup = options.get("layer_skip_speedup", 1.0)
    if isinstance(speedup, bool) or not isinstance(speedup, (int, float)):
        raise TypeError("layer_skip_speedup must be a number")
    if not speedup >= 1.0:
        raise ValueError(f"layer_skip_speedup must be at least 1, got "
                         f"{speedup}")
    skip_layers = options.get("skip_layers", [])
    if isinstance(skip_layers, (str, bytes)) or not hasattr(skip_layers,
                                                           "__iter__"):
        raise TypeError("skip_layers must be a list of layer indices")
    skip_layers = [_int(i, "skip_layers", 0) for i in skip_layers]
    pipeline = options.get("pipeline", "")
    cpu = options.get("cpu", "native")
    for name, value in (("pipeline", pipeline), ("cpu", cpu)):
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a str")
    opt_level = _int(options.get("opt_level", 3), "opt_level", 0)
    if opt_level > 3:
        raise ValueError(f"opt_level must be 0 to 3, got {opt_level}")
    weights = options.get("weights")
    weights = "" if weights is None else _path(weights, "weights")
    dump_dir = options.get("dump_dir")
    dump_dir = "" if dump_dir is None else _path(dump_dir, "dump_dir")
    on_stage = options.get("on_stage")
    if on_stage is not None and not callable(on_stage):
        raise TypeError("on_stage must be callable")
    want_stages = bool(options.get("stages", False))
    stages: Dict[str, str] = {}

    def stage_hook(name: str, step: str, ir: str, ms: float) -> None:
        record = StageIR(name, step, ir, ms)
        if want_stages:
            stages[record.key] = ir
        if on_stage is not None:
            on_stage(record)

    text, files, compile_warnings = _txc.compile(
        src, out, emit, _shapes(options.get("shapes")), quantize,
        _int(options.get("quant_group", 32), "quant_group", 0),
        bool(options.get("quant_zero_point", False)), str(quant_method),
        quant_lists[0], quant_lists[1], quant_mixed,
        str(options.get("quant_mixed_format", "int8")), calibration, pipeline,
        float(speedup), skip_layers, max_seq,
        _int(options.get("kv_block", 0), "kv_block", 0),
        str(options.get("kv_quant", "f32")),
        _int(options.get("kv_quant_group", 0), "kv_quant_group", 0),
        _int(options.get("kv_quant_residual", 128), "kv_quant_residual", 0),
        _int(options.get("prefill_chunk", 64), "prefill_chunk", 1),
        _int(options.get("batch", 1), "batch", 1), cpu, opt_level, weights,
        dump_dir, bool(options.get("print_locations", False)),
        stage_hook if (want_stages or on_stage is not None) else None)
    for warning in compile_warnings:
        warnings.warn(warning, CompileWarning, stacklevel=2)
    result = text if output is None else list(files)
    return (result, stages) if want_stages else result


# --------------------------------------------------------------------------
# load, Model
# --------------------------------------------------------------------------

# txrt dtype names to NumPy; bf16 travels as its bit pattern (uint16), as in
# txc-run's .npy files.
_DTYPES = {
    "f32": np.float32, "f16": np.float16, "bf16": np.uint16,
    "f64": np.float64, "i64": np.int64, "i32": np.int32, "i16": np.int16,
    "i8": np.int8, "u8": np.uint8, "bool": np.bool_,
}


@dataclasses.dataclass(frozen=True)
class TensorInfo:
    """An input or output of a compiled model."""
    name: str
    dtype: str
    """txc's name of the element type: f32, f16, bf16, i64, ..."""
    shape: Tuple[int, ...]
    byte_size: int
    written: bool = False
    """Inputs only: the model's code updates it in place (a KV cache);
    ``Model.run`` then works on a copy."""

    @property
    def numpy_dtype(self) -> np.dtype:
        return np.dtype(_DTYPES[self.dtype])


@dataclasses.dataclass(frozen=True)
class EvalResult:
    """What ``txc-run eval`` prints for a generation model."""
    perplexity: float
    tokens: int
    """Positions scored."""
    tokens_run: int
    milliseconds: float
    top1_agreement: Optional[float] = None
    agree: Optional[int] = None
    counted: Optional[int] = None
    near_ties: Optional[int] = None
    kl: Optional[float] = None
    reference_perplexity: Optional[float] = None
    logits: Optional[np.ndarray] = None
    """``logits=True``: [tokens, vocab] f32, row t predicting the t-th
    scored token."""


def _optional_number(value: Any, what: str, kind: type) -> Any:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float,
                                                         np.number)):
        raise TypeError(f"{what} must be a number, not "
                        f"{type(value).__name__}")
    if kind is int and not float(value).is_integer():
        raise TypeError(f"{what} must be an int, got {value}")
    return kind(value)


def _strings(value: Any, what: str) -> List[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    items = list(value)
    if not all(isinstance(s, str) for s in items):
        raise TypeError(f"{what} must be a str or a sequence of str")
    return items


def _ints(value: Any, what: str) -> List[int]:
    if value is None:
        return []
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return [int(value)]
    items = list(value)
    if not all(isinstance(i, (int, np.integer)) and not isinstance(i, bool)
               for i in items):
        raise TypeError(f"{what} must be an int or a sequence of int")
    return [int(i) for i in items]


class Generation:
    """A generation in progress; iterate it for the text pieces (a text
    prompt) or the ids of each step (token ids: an int per step, a list of
    one per row for a batch). ``text`` and ``ids`` run it to the end."""

    def __init__(self, native: Any, text_mode: bool, batch: int) -> None:
        self._native = native
        self._text_mode = text_mode
        self._batch = batch
        self._pieces: List[str] = []

    def __iter__(self) -> "Generation":
        return self

    def __next__(self) -> Any:
        if self._text_mode:
            piece = self._native.next_text()
            if piece is None:
                raise StopIteration
            self._pieces.append(piece)
            return piece
        ids = self._native.next_ids()
        if ids is None:
            raise StopIteration
        return ids[0] if self._batch == 1 else list(ids)

    def _drain(self) -> None:
        for _ in self:
            pass

    @property
    def text(self) -> str:
        """The whole text of row 0 (runs the generation to its end)."""
        self._drain()
        texts = self._native.text
        return texts[0] if texts else ""

    @property
    def ids(self) -> List[List[int]]:
        """Per row, the ids generated (runs the generation to its end)."""
        self._drain()
        return self._native.ids

    @property
    def prompt_ids(self) -> List[int]:
        return list(self._native.prompt_ids)

    @property
    def cache_full(self) -> bool:
        """The generation ended because the KV cache filled."""
        return self._native.cache_full

    @property
    def ended_on_token(self) -> List[bool]:
        return self._native.ended_on_token

    @property
    def stats(self) -> Dict[str, float]:
        """Prefill and decode time (ms) and decode steps so far."""
        return {"prefill_ms": self._native.prefill_ms,
                "decode_ms": self._native.decode_ms,
                "decode_steps": self._native.decode_steps}


def _sampling(greedy: Optional[bool], temperature: Any, top_k: Any,
              top_p: Any) -> Tuple[Optional[bool], Optional[float],
                                   Optional[int], Optional[float]]:
    if greedy is not None and not isinstance(greedy, bool):
        raise TypeError("greedy must be a bool")
    return (greedy, _optional_number(temperature, "temperature", float),
            _optional_number(top_k, "top_k", int),
            _optional_number(top_p, "top_p", float))


class Chat:
    """A conversation with a model: each :meth:`send` formats a user turn
    with the chat template and streams the answer; the KV cache is kept
    across turns (only the new turn is prefilled)."""

    def __init__(self, native: Any) -> None:
        self._native = native
        self._last: Optional[Generation] = None

    def send(self, text: str, *, max_new_tokens: int = 256,
             greedy: Optional[bool] = None,
             temperature: Optional[float] = None,
             top_k: Optional[int] = None, top_p: Optional[float] = None,
             stop: Union[str, Sequence[str], None] = None,
             stop_tokens: Union[int, Sequence[int], None] = None
             ) -> Generation:
        if not isinstance(text, str):
            raise TypeError("the turn must be a str")
        if self._last is not None:
            self._last._drain()
        sampling = _sampling(greedy, temperature, top_k, top_p)
        native = self._native.send(
            text, _int(max_new_tokens, "max_new_tokens", 1), *sampling,
            _strings(stop, "stop"), _ints(stop_tokens, "stop_tokens"))
        self._last = Generation(native, True, 1)
        return self._last


class Model:
    """A model compiled by txc and loaded by libtxrt (see :func:`load`)."""

    def __init__(self, native: Any) -> None:
        self._native = native
        self.inputs: List[TensorInfo] = [
            TensorInfo(n, d, tuple(s), b, w)
            for n, d, s, b, w in native.inputs()]
        self.outputs: List[TensorInfo] = [
            TensorInfo(n, d, tuple(s), b, w)
            for n, d, s, b, w in native.outputs()]
        self.generation: Optional[Dict[str, Any]] = native.generation()
        """The generation section (batch, capacity, vocab, prefill_chunk,
        layers, kv_heads, head_dim, block_size, kv_format "f32" / "int8" /
        "fp8" / "int4", kv_bytes_per_token), or None."""

    @property
    def path(self) -> str:
        return self._native.path

    @property
    def tokenizer_path(self) -> Optional[str]:
        return self._native.tokenizer_path()

    @property
    def tokenizer(self) -> Tokenizer:
        """The model's tokenizer (or the one given to :func:`load`)."""
        return self._native.tokenizer()

    def set_threads(self, threads: int) -> None:
        self._native.set_threads(_int(threads, "threads", 1))

    def __repr__(self) -> str:
        return f"<txc.Model '{self.path}'>"

    def run(self, **inputs: Any) -> Dict[str, np.ndarray]:
        """Runs the model once on NumPy arrays (one keyword per input, dtype
        and shape exactly the input's); returns the outputs by name.

        C-contiguous arrays of the right dtype are read in place; outputs
        are new arrays the model writes directly."""
        known = {t.name for t in self.inputs}
        unknown = sorted(set(inputs) - known)
        if unknown:
            raise TypeError(
                f"run() got unknown input(s) {', '.join(unknown)}; inputs of "
                f"'{self.path}': {self._describe(self.inputs)}")
        missing = [t for t in self.inputs if t.name not in inputs]
        if missing:
            raise TypeError(
                f"run() is missing input(s) {self._describe(missing)} of "
                f"'{self.path}'")
        arrays = []
        for info in self.inputs:
            value = inputs[info.name]
            if not isinstance(value, np.ndarray):
                value = np.asarray(value)
            if value.dtype != info.numpy_dtype:
                raise TypeError(
                    f"input '{info.name}' has dtype {value.dtype}, but the "
                    f"model expects {info.dtype} ({info.numpy_dtype})")
            if tuple(value.shape) != info.shape:
                raise ValueError(
                    f"input '{info.name}' has shape {list(value.shape)}, but "
                    f"the model expects {list(info.shape)}")
            if (not value.flags.c_contiguous or
                    value.ctypes.data % value.itemsize):
                value = np.ascontiguousarray(value).copy()
            arrays.append(value)
        outputs = [np.empty(t.shape, dtype=t.numpy_dtype)
                   for t in self.outputs]
        self._native.run(arrays, outputs)
        return {t.name: a for t, a in zip(self.outputs, outputs)}

    @staticmethod
    def _describe(infos: Sequence[TensorInfo]) -> str:
        return ", ".join(f"{t.name} ({t.dtype} {list(t.shape)})"
                         for t in infos) or "none"

    def _require_generation(self) -> Dict[str, int]:
        if self.generation is None:
            raise ModelError(f"model '{self.path}' was not compiled for "
                             "generation (compile with max_seq)")
        return self.generation

    def generate(self, prompt: Union[str, Sequence[int], np.ndarray], *,
                 max_new_tokens: int = 16, greedy: Optional[bool] = None,
                 temperature: Optional[float] = None,
                 top_k: Optional[int] = None, top_p: Optional[float] = None,
                 seed: int = 0,
                 stop: Union[str, Sequence[str], None] = None,
                 stop_tokens: Union[int, Sequence[int], None] = None,
                 chat: bool = False, chat_template: Optional[str] = None,
                 system: Optional[str] = None) -> Generation:
        """Prefills `prompt` and returns a :class:`Generation` that yields
        the answer as it is generated.

        A str prompt is tokenized with the model's tokenizer (``chat=True``:
        formatted as one user turn with the chat template, after
        ``system``) and yields text pieces, ending at an end-of-generation
        token, a ``stop`` string, a ``stop_tokens`` id or
        ``max_new_tokens``. Token ids ([P], or [batch, P]) yield the ids of
        each step. Sampling is greedy unless ``temperature``, ``top_k`` or
        ``top_p`` is given; the same ``seed`` gives the same tokens."""
        info = self._require_generation()
        sampling = _sampling(greedy, temperature, top_k, top_p)
        max_new = _int(max_new_tokens, "max_new_tokens", 1)
        seed = _int(seed, "seed", 0)
        if not isinstance(chat, bool):
            raise TypeError("chat must be a bool")
        if (chat_template is not None or system is not None) and not chat:
            raise ValueError("chat_template and system need chat=True")
        batch = info["batch"]
        if isinstance(prompt, str):
            text: Optional[str] = prompt
            ids: List[int] = []
        else:
            if chat:
                raise ValueError("chat=True needs a str prompt")
            array = np.asarray(prompt)
            if array.size == 0:
                raise ValueError("the prompt is empty")
            if array.dtype.kind not in "iu":
                raise TypeError(f"the prompt must be a str or integer token "
                                f"ids, not {array.dtype} values")
            if array.ndim not in (1, 2):
                raise ValueError(f"token ids must have shape [P] or "
                                 f"[batch, P], got {list(array.shape)}")
            if array.shape[-1] == 0:
                raise ValueError("the prompt is empty")
            if array.ndim == 1:
                array = np.tile(array, (batch, 1))
            elif array.shape[0] == 1 and batch > 1:
                array = np.tile(array, (batch, 1))
            elif array.shape[0] != batch:
                raise ValueError(f"the prompt has {array.shape[0]} rows but "
                                 f"the model generates batches of {batch}")
            text = None
            ids = [int(i) for i in array.astype(np.int64).reshape(-1)]
        native = self._native.generate(
            text, ids, max_new, *sampling, seed, _strings(stop, "stop"),
            _ints(stop_tokens, "stop_tokens"), chat, chat_template, system)
        return Generation(native, text is not None, batch)

    def generate_text(self, prompt: str, **options: Any) -> str:
        """:meth:`generate` to its end; the text generated."""
        if not isinstance(prompt, str):
            raise TypeError("generate_text() needs a str prompt")
        return self.generate(prompt, **options).text

    def chat(self, *, system: Optional[str] = None,
             chat_template: Optional[str] = None, seed: int = 0) -> Chat:
        """Starts a conversation (see :class:`Chat`)."""
        self._require_generation()
        return Chat(self._native.chat(chat_template, system,
                                      _int(seed, "seed", 0)))

    def eval(self, text: str, *, context: Optional[int] = None,
             stride: Optional[int] = None, mode: str = "prefill",
             max_tokens: Optional[int] = None,
             reference: Union[str, os.PathLike, None] = None,
             no_bos: bool = False, logits: bool = False) -> EvalResult:
        """The perplexity of `text` as ``txc-run eval`` computes it
        (windows of ``context`` tokens advancing by ``stride``; ``mode``
        "prefill" or "decode"); with ``reference`` (another compiled model)
        also the top-1 agreement, mean KL and the reference's
        perplexity."""
        if not isinstance(text, str):
            raise TypeError("eval() needs the text as a str")
        if mode not in ("prefill", "decode"):
            raise ValueError(f"mode must be 'prefill' or 'decode', not "
                             f"{mode!r}")
        context = None if context is None else _int(context, "context", 2)
        stride = None if stride is None else _int(stride, "stride", 1)
        max_tokens = (None if max_tokens is None
                      else _int(max_tokens, "max_tokens", 2))
        ref = None if reference is None else _path(reference, "reference")
        result = self._native.eval(text, context, stride, mode, max_tokens,
                                   ref, bool(no_bos), bool(logits))
        return EvalResult(**result)


def load(path: Union[str, os.PathLike], threads: Optional[int] = None,
         weights: Union[str, os.PathLike, None] = None,
         verify_weights: Union[bool, str] = "sample",
         tokenizer: Union[str, os.PathLike, None] = None) -> Model:
    """Loads a model compiled by txc (MODEL.so and its weights).

    ``weights``: the safetensors file (default: the one the model names,
    next to it). ``verify_weights``: "sample" (default: a sample at load,
    every byte in the background before the first run), "full" or "none"
    (or True / False). ``threads``: threads the model may use (default:
    $TXC_NUM_THREADS, else the model's default). ``tokenizer``: instead of
    the model's own."""
    so = _path(path, "path")
    if verify_weights is True:
        verify_weights = "sample"
    elif verify_weights is False:
        verify_weights = "none"
    if not isinstance(verify_weights, str):
        raise TypeError("verify_weights must be a bool or a str")
    if threads is None:
        env = os.environ.get("TXC_NUM_THREADS", "")
        if env:
            if not env.isdigit() or int(env) < 1:
                raise ValueError(f"TXC_NUM_THREADS must be a positive "
                                 f"integer, got '{env}'")
            threads = int(env)
    else:
        threads = _int(threads, "threads", 1)
    return Model(_txc.Model.load(
        so, None if weights is None else _path(weights, "weights"),
        verify_weights, threads,
        None if tokenizer is None else _path(tokenizer, "tokenizer")))


def load_tokenizer(path: Union[str, os.PathLike]) -> Tokenizer:
    """Loads a tokenizer: a Hugging Face tokenizer.json or its folder, a
    .gguf file, or txc's tokenizer JSON."""
    return _txc.load_tokenizer(_path(path, "path"))
