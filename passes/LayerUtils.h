//===- LayerUtils.h - helpers of the depth passes ---------------*- C++ -*-===//
//
// What tx-layer-skip, tx-early-exit and tx-calibration-taps share: the
// stacks of tx.layer ops of a function body, and the cosine similarity of a
// layer's residual input and output per token row (the statistic the
// calibrated skip ranks layers by and the exit test the early exit applies,
// computed the same way in both).
//
//===----------------------------------------------------------------------===//

#ifndef TXC_PASSES_LAYERUTILS_H
#define TXC_PASSES_LAYERUTILS_H

#include "txc/Dialect/Tx/TxOps.h"
#include "txc/Support/Safetensors.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallVector.h"

#include <memory>

namespace txc::depth {

/// The tx.layer ops under `root`, grouped by the block that holds them (one
/// stack per function body), each stack sorted by layer index.
llvm::MapVector<mlir::Block *, llvm::SmallVector<tx::LayerOp>>
collectLayerStacks(mlir::Operation *root);

/// `value` (a float, or an integer such as a mask element) as f32.
mlir::Value castToF32(mlir::OpBuilder &b, mlir::Location loc,
                      mlir::Value value);

/// Per token row of `x` and `y` (same shape `[..., D]`): the f32 tensors of
/// the leading shape holding x.y, x.x and y.y.
struct RowDots {
  mlir::Value dot, xx, yy;
};
RowDots buildRowDots(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                     mlir::Value y);

/// Scalar code (for a linalg body): dot / sqrt(xx * yy) clamped to [-1, 1],
/// and 0 when either norm is 0, so that a threshold above 1 is never met.
mlir::Value buildCosine(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::Value dot, mlir::Value xx, mlir::Value yy);

/// The `txc calibrate` statistics file at `path` for the pass `pass`, or
/// null after an error on `op` (unreadable, or not txc calibrate's).
std::shared_ptr<SafetensorsFile> openCalibration(mlir::Operation *op,
                                                 llvm::StringRef pass,
                                                 llvm::StringRef path);

/// Every op of `body` that a tx.kv_append in it depends on, and the
/// appends: the K/V fill that must run even when the layer is skipped.
llvm::SetVector<mlir::Operation *> kvFillSlice(mlir::Block &body);

/// Moves everything of the layer's region but its K/V fill into an
/// `scf.if %skip { yield (unused) } else { ...; yield result }`; the caller
/// guarantees the layer's result is not read when `skip` holds (early exit:
/// every row exited; mixture-of-depths: no token routed). Returns whether
/// anything moved.
bool makeConditional(tx::LayerOp layer, mlir::Value skip);

} // namespace txc::depth

#endif // TXC_PASSES_LAYERUTILS_H
