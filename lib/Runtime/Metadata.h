//===- Metadata.h - parse a compiled model's metadata -----------*- C++ -*-===//
//
// A compiled model describes itself with the JSON document returned by its
// txc_model_metadata() entry point: format and version, the weights file,
// and the name, dtype and static shape of every input, weight and output
// (docs/runtime.md). This header is private to libtxrt.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_LIB_RUNTIME_METADATA_H
#define TXC_LIB_RUNTIME_METADATA_H

#include "txc-c/txc_model_format.h"
#include "txc-c/txrt.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace txc::runtime {

/// The metadata "version" txc writes: the model format version
/// (txc_model_format.h); this runtime reads
/// [TXC_MODEL_FORMAT_MIN_VERSION, TXC_MODEL_FORMAT_VERSION].
constexpr int64_t kMetadataVersion = TXC_MODEL_FORMAT_VERSION;

/// One input, weight or output of a model.
struct TensorDesc {
  std::string name;
  txrt_dtype dtype;
  std::vector<int64_t> shape;
  /// Bytes of dense row-major data (for sub-byte types, of the packed data).
  uint64_t byteSize = 0;
  /// Weights only: the model multiplies this 2-D f32 weight with
  /// txc_sgemm_packed, so the runtime packs it at load time
  /// (`"layout": "gemm-b-panels32"`); `transposed` says it is B[N, K].
  bool gemmPacked = false;
  bool transposed = false;
  /// Inputs only: the compiled code indexes a table with this input's
  /// values, which must lie in [first, second) (`"index_range"`); the
  /// runtime checks them before every run.
  std::optional<std::pair<int64_t, int64_t>> indexRange;
};


/// The `generation` section of a model compiled for generation (txc
/// --max-seq): which inputs and outputs play which role, and the cache.
/// Indices are into ModelMetadata::inputs / outputs; -1 when absent.
struct GenerationDesc {
  int tokens = -1, positions = -1, cache = -1, cachePosition = -1,
      blockTable = -1, logits = -1;
  /// Per-layer cache lengths (TXC_GEN_LAYER_LENGTHS, TXC_GEN_STEP_LENGTH,
  /// TXC_GEN_LAYER_KEPT): all three present or all -1.
  int layerLengths = -1, stepLength = -1, layerKept = -1;
  bool perLayerLengths() const { return layerKept >= 0; }
  int64_t batch = 0, step = 0, layers = 0, kvHeads = 0, capacity = 0,
          headDim = 0, blockSize = 0, vocab = 0;
  bool paged = false;
  /// TXC_GEN_KV_FORMAT: "f32", "int8" or "fp8".
  std::string kvFormat = "f32";
  /// "int4" only: TXC_GEN_KV_GROUP, TXC_GEN_KV_RESIDUAL, TXC_GEN_KV_BUFFER.
  int64_t kvGroup = 0, kvResidual = 0, kvBuffer = 0;
};

/// The parsed and validated metadata of a model.
struct ModelMetadata {
  /// `weights_file`, when the metadata names one.
  std::optional<std::string> weightsFile;
  /// `tokenizer_file`: the model's tokenizer in txc's JSON form, relative to
  /// the model's library unless absolute, when the metadata names one.
  std::optional<std::string> tokenizerFile;
  std::vector<TensorDesc> inputs, weights, outputs;
  std::optional<GenerationDesc> generation;
};

/// Parses `text` into `out`. On failure returns TXRT_ERROR_NOT_A_MODEL (or
/// TXRT_ERROR_VERSION for an unsupported version) and sets `error` to a
/// sentence describing the first problem, naming the offending field.
txrt_status parseModelMetadata(std::string_view text, ModelMetadata &out,
                               std::string &error);

/// The dtype called `name` in metadata ("f32", "i4", ...), if any.
std::optional<txrt_dtype> parseDType(std::string_view name);

/// The metadata name of `dtype`, or "unknown".
const char *dtypeName(txrt_dtype dtype);
/// The same for a value a C caller passed, which may lie outside the enum
/// (read it as an int before it is used as a txrt_dtype).
const char *dtypeNameOfValue(int value);

/// The safetensors dtype a weight of `dtype` is stored as (sub-byte types
/// as "U8").
std::string safetensorsDType(txrt_dtype dtype);

/// The shape a weight of `dtype` and `shape` has in the safetensors file: the
/// same, except that a sub-byte type divides the last dimension by the
/// elements per byte.
std::vector<int64_t> storedShape(txrt_dtype dtype,
                                 const std::vector<int64_t> &shape);

/// Bytes per element of `dtype`; 1 for the sub-byte types.
unsigned dtypeAlignment(txrt_dtype dtype);

/// Formats `shape` as "[1, 16]".
std::string formatShape(const std::vector<int64_t> &shape);

} // namespace txc::runtime

#endif // TXC_LIB_RUNTIME_METADATA_H
