//===- Emit.h - IR building helpers for the ONNX converters -----*- C++ -*-===//

#ifndef TXC_LIB_FRONTEND_ONNX_EMIT_H
#define TXC_LIB_FRONTEND_ONNX_EMIT_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

namespace txc::onnx_import {

/// Sizes of the dynamic dimensions of `target`, read (with tensor.dim) from
/// the first candidate that has the same, dynamic, right-aligned dimension.
llvm::SmallVector<mlir::Value> dynamicSizes(mlir::OpBuilder &b,
                                            mlir::Location loc,
                                            llvm::ArrayRef<int64_t> target,
                                            mlir::ValueRange candidates);

/// tensor.empty of `shape` x `elementType`; dynamic sizes from `candidates`.
mlir::Value emptyTensor(mlir::OpBuilder &b, mlir::Location loc,
                        llvm::ArrayRef<int64_t> shape, mlir::Type elementType,
                        mlir::ValueRange candidates = {});

/// A tensor of `shape` x `elementType` filled with `value`.
mlir::Value filledTensor(mlir::OpBuilder &b, mlir::Location loc,
                         llvm::ArrayRef<int64_t> shape, mlir::Type elementType,
                         double value, mlir::ValueRange candidates = {});

/// A splat arith.constant of `type` (static shape).
mlir::Value splatConstant(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::RankedTensorType type, double value);

/// Broadcasts `value` to `shape` by ONNX rules (right-aligned; size-1 and
/// missing dimensions expand): tensor.collapse_shape drops the expanding
/// unit dimensions, linalg.broadcast adds the rest. Returns null when the
/// shapes do not broadcast or a dynamic size has no source (emptyTensor and
/// filledTensor likewise).
mlir::Value broadcastTo(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::Value value, llvm::ArrayRef<int64_t> shape,
                        mlir::ValueRange candidates = {});

/// Converts the element type of a tensor (arith casts, elementwise).
mlir::Value convertElementType(mlir::OpBuilder &b, mlir::Location loc,
                               mlir::Value value, mlir::Type to,
                               bool fromUnsigned, bool toUnsigned);

/// linalg.transpose by `perm`.
mlir::Value transposeTensor(mlir::OpBuilder &b, mlir::Location loc,
                            mlir::Value value, llvm::ArrayRef<int64_t> perm);

/// Reshape to a static `shape` (expand/collapse when it is one, else
/// tensor.reshape).
mlir::Value reshapeTensor(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value value, llvm::ArrayRef<int64_t> shape);

/// Shape with -1 for dynamic dimensions.
llvm::SmallVector<int64_t> shapeOf(mlir::Value value);

} // namespace txc::onnx_import

#endif // TXC_LIB_FRONTEND_ONNX_EMIT_H
