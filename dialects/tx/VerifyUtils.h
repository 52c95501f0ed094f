//===- VerifyUtils.h - helpers shared by the tx op verifiers ----*- C++ -*-===//
//
// Small helpers that keep verifier messages uniform across op families.
// Dynamic dimensions (`?`) are compatible with anything.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_DIALECTS_TX_VERIFYUTILS_H
#define TXC_DIALECTS_TX_VERIFYUTILS_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"

#include <string>

namespace txc::tx::detail {

/// True when both dimensions are static and differ.
inline bool dimsConflict(int64_t a, int64_t b) {
  return !mlir::ShapedType::isDynamic(a) && !mlir::ShapedType::isDynamic(b) &&
         a != b;
}

/// Prints a dimension, `?` when dynamic.
std::string dimStr(int64_t d);

/// Prints a shape as `[a, b, ?]`.
std::string shapeStr(llvm::ArrayRef<int64_t> shape);

/// `'name' must have rank N (layout), got rank M`.
mlir::LogicalResult verifyRank(mlir::Operation *op, llvm::StringRef name,
                               mlir::Type type, int64_t rank,
                               llvm::StringRef layout);

/// `<what> mismatch: <nameA> is A but <nameB> is B` when the dims conflict.
mlir::LogicalResult verifyDim(mlir::Operation *op, llvm::StringRef what,
                              llvm::StringRef nameA, int64_t a,
                              llvm::StringRef nameB, int64_t b);

/// `'name' must have shape [..], got [..]` unless the shapes are compatible.
mlir::LogicalResult verifyShape(mlir::Operation *op, llvm::StringRef name,
                                mlir::Type type,
                                llvm::ArrayRef<int64_t> expected);

/// `element type mismatch: 'a' has X but 'b' has Y`.
mlir::LogicalResult verifySameElementType(mlir::Operation *op,
                                          llvm::StringRef nameA, mlir::Type a,
                                          llvm::StringRef nameB, mlir::Type b);

/// Shapes of a linear layer (tx.linear, tx.qlinear): input [..., K], weight
/// [N, K], optional bias [N], result [..., N], one element type.
mlir::LogicalResult verifyLinearShapes(mlir::Operation *op, mlir::Value input,
                                       int64_t n, int64_t k, mlir::Value bias,
                                       mlir::Value result);

/// Ceiling division for static sizes; dynamic stays dynamic.
int64_t ceilDivDim(int64_t a, int64_t b);

} // namespace txc::tx::detail

#endif // TXC_DIALECTS_TX_VERIFYUTILS_H
