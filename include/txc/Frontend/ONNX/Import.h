//===- Import.h - import ONNX models into MLIR ------------------*- C++ -*-===//
//
// Reads an ONNX model (protobuf, optionally with external data files) and
// produces a module with one function: generic ONNX ops become upstream MLIR
// (arith, math, tensor, linalg), transformer ops (opset-23 Attention,
// RMSNormalization, RotaryEmbedding; com.microsoft GroupQueryAttention,
// MatMulNBits, ...) become tx ops, and MatMul/Gemm with a constant weight
// becomes tx.linear. Shape computations are folded on the host; weights are
// referenced by name (tx.weight) and collected for a safetensors file.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_FRONTEND_ONNX_IMPORT_H
#define TXC_FRONTEND_ONNX_IMPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <string>
#include <utility>
#include <vector>

namespace mlir {
class MLIRContext;
} // namespace mlir

namespace txc {
class SafetensorsWriter;

struct ONNXImportOptions {
  /// `--shape NAME=DIMS`: input name -> dims (-1 keeps a dimension dynamic).
  std::vector<std::pair<std::string, llvm::SmallVector<int64_t>>> shapes;
  /// Generation (txc --max-seq): sizes for the dynamic dimensions of a
  /// decoder's inputs by role, applied before `shapes`. `input_ids`
  /// [batch, sequence]; inputs whose name contains "past" (rank 4, the
  /// sequence axis 2) get `past`; `attention_mask` [batch, past + sequence].
  /// Values < 0 leave a dimension alone.
  struct GenerationShapes {
    int64_t batch = -1, sequence = -1, past = -1;
  };
  GenerationShapes generation;
  /// Value of the module's `tx.weights` attribute (the weights file name the
  /// IR refers to); empty leaves it unset.
  std::string weightsFileName;
  /// Constants with more elements than this become tx.weight references
  /// instead of inline dense attributes.
  int64_t inlineLimit = 16;
  /// Constants computed by folding (masks, position tables) stay inline up
  /// to this many elements, so raising passes can inspect them.
  int64_t foldedInlineLimit = int64_t(1) << 20;
  /// Constant folding refuses results with more elements than this.
  int64_t foldLimit = int64_t(1) << 24;
  /// Name of the generated function.
  std::string functionName = "main";
};

/// Imports the model in `path`. On failure, reports every problem found
/// (unsupported ops all at once) as diagnostics on `context` and returns
/// null. When `weights` is non-null, the tensors referenced by tx.weight ops
/// are added to it.
mlir::OwningOpRef<mlir::ModuleOp>
importONNXFile(llvm::StringRef path, mlir::MLIRContext &context,
               const ONNXImportOptions &options, SafetensorsWriter *weights);

/// Same, from bytes in memory; external data files are looked up in
/// `baseDir`. `displayName` names the model in diagnostics.
mlir::OwningOpRef<mlir::ModuleOp>
importONNXBuffer(llvm::StringRef bytes, llvm::StringRef baseDir,
                 llvm::StringRef displayName, mlir::MLIRContext &context,
                 const ONNXImportOptions &options, SafetensorsWriter *weights);

/// Parses a `--shape` value `NAME=DIMS` (DIMS like `1x128`, `?` or `-1` for a
/// dynamic dimension, empty for a scalar). Returns an error message on
/// malformed input.
std::string parseShapeOption(llvm::StringRef text, std::string &name,
                             llvm::SmallVector<int64_t> &dims);

} // namespace txc

#endif // TXC_FRONTEND_ONNX_IMPORT_H
