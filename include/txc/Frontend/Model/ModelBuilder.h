//===- ModelBuilder.h - architecture config + named tensors -> tx IR -*- C++ -*-===//
//
// The model builder shared by the GGUF and Hugging Face frontends: an
// architecture description (ArchConfig) and a source of named tensors
// (TensorSource, in GGUF's naming: token_embd.weight, blk.N.attn_q.weight,
// ...) become raised tx IR directly — tx.layer regions with tx.rms_norm or
// tx.layer_norm, tx.linear / tx.qlinear, tx.rope, tx.attention (GQA, causal
// or sliding-window mask) — in the form tx-use-kv-cache and the CPU backend
// take. Weights are referenced by name (tx.weight) and written to the
// weights file; block-quantized tensors keep their bytes (tx.qblocks).
//
//===----------------------------------------------------------------------===//

#ifndef TXC_FRONTEND_MODEL_MODELBUILDER_H
#define TXC_FRONTEND_MODEL_MODELBUILDER_H

#include "txc/Support/Quantize.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mlir {
class MLIRContext;
} // namespace mlir

namespace txc {
class SafetensorsWriter;

/// What the builder needs to know about a model's architecture.
struct ArchConfig {
  enum class Family { Llama, Phi3, GPT2, Bert };
  Family family = Family::Llama;
  /// The file's own name of the architecture (for messages and metadata).
  std::string name;
  int64_t vocab = 0, hidden = 0, layers = 0, heads = 0, kvHeads = 0,
          headDim = 0, ff = 0;
  /// Positions the model was trained for (0: unknown).
  int64_t contextLength = 0;
  double normEps = 1e-5;
  /// RoPE: base, rotated channels (<= headDim), pairing (adjacent pairs in
  /// GGUF llama files, whose q/k rows llama.cpp's converter permuted;
  /// rotate-half otherwise), linear position scaling factor.
  double ropeBase = 10000.0;
  int64_t ropeDim = 0;
  bool ropeInterleaved = false;
  double ropeScale = 1.0;
  /// Sliding-window attention over this many positions (0: full causal).
  int64_t slidingWindow = 0;
  /// Learned absolute positions (GPT-2, BERT): rows of the position table.
  int64_t maxPositions = 0;
  /// BERT: token type rows (all tokens use type 0).
  int64_t typeVocab = 0;
};

/// A matrix that arrives quantized in a planar format (GPTQ, AWQ and FP8
/// checkpoints, HFQuant.cpp): codes, scales and zero points laid out as
/// `tx.qpack` and the planar kernels read them (txc/Support/Quantize.h).
struct PlanarWeight {
  quant::Format format = quant::Format::Int4;
  /// Values per scale along K (the last group of a row may be shorter).
  int64_t group = 0;
  /// `data.zeros` holds a zero point per group (else 2^(bits-1)).
  bool zeroPoints = false;
  quant::Quantized data;
};

/// One tensor as its file stores it: ggml type number (F32 0, F16 1,
/// BF16 30, the block formats), row-major shape outermost first ([rows,
/// cols] for a matrix) and bytes. A planar quantized matrix has
/// `ggmlType` kPlanarType, its shape and `planar` (no `data`).
struct TensorData {
  uint32_t ggmlType = 0;
  llvm::SmallVector<int64_t, 2> shape;
  llvm::ArrayRef<char> data;
  std::shared_ptr<const PlanarWeight> planar;
};

/// TensorData::ggmlType of a PlanarWeight (no ggml type has this number).
constexpr uint32_t kPlanarType = 0x7fff0000u;

/// Named tensors in GGUF naming.
class TensorSource {
public:
  virtual ~TensorSource();
  /// The tensor `name`, or null when the model has none.
  virtual const TensorData *find(llvm::StringRef name) const = 0;
  /// Where the tensors come from, for messages ("GGUF 'x.gguf'").
  virtual std::string describe() const = 0;
};

struct ModelBuildOptions {
  /// Static batch and sequence length of the built function.
  int64_t batch = 1, sequence = 1;
  /// Rows of the RoPE tables: at least the KV-cache capacity.
  int64_t positions = 0;
  /// Dequantize every weight to f32 (txc --quantize=f32), the dense
  /// reference every lossy mode is judged against.
  bool dequantize = false;
  /// Value of the module's `tx.weights` attribute.
  std::string weightsFileName;
};

/// Builds the model. Errors name the tensor or setting at fault.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
buildModel(const ArchConfig &config, const TensorSource &tensors,
           mlir::MLIRContext &context, const ModelBuildOptions &options,
           SafetensorsWriter *weights);

/// A model file the builder reads: a GGUF file, or a Hugging Face folder
/// (config.json + model.safetensors or a sharded index).
struct LoadedModel {
  ArchConfig config;
  std::unique_ptr<TensorSource> tensors;
  /// The tokenizer in txc's JSON form ("" when the file has none), and why
  /// there is none.
  std::string tokenizerJSON, tokenizerNote;
  /// Warnings about how the model was read (a weight dequantized because
  /// its format has no quantized form in txc, ...), for the driver to print.
  std::vector<std::string> warnings;
};

/// Whether `path` is read as a model file rather than ONNX: a GGUF file (by
/// its magic or a `.gguf` name) or a folder (a Hugging Face checkpoint).
bool isModelFile(llvm::StringRef path);
/// Loads `path` (GGUF or Hugging Face folder): configuration, tensors and
/// tokenizer.
llvm::Expected<LoadedModel> loadModelFile(llvm::StringRef path);

} // namespace txc

#endif // TXC_FRONTEND_MODEL_MODELBUILDER_H
