//===- RaiseUtils.h - matchers shared by the raising passes -----*- C++ -*-===//
//
// The importer expresses ONNX broadcasting with linalg.broadcast and
// tensor.expand_shape / collapse_shape of unit dimensions, and constants with
// arith.constant. These helpers look through that plumbing so the raising
// patterns can be written against the computation itself.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_PASSES_RAISEUTILS_H
#define TXC_PASSES_RAISEUTILS_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Value.h"

#include <optional>

namespace txc::raise {

/// Strips linalg.broadcast and reshapes that only add or remove unit
/// dimensions, returning the value that holds the data.
mlir::Value stripBroadcast(mlir::Value v);

/// The scalar value of a splat float constant (looking through broadcasts).
std::optional<double> getSplatValue(mlir::Value v);

/// The elements of a constant (looking through broadcasts), or null.
mlir::DenseElementsAttr getConstant(mlir::Value v);

/// True if `v` is defined by an op of type OpTy; sets `op`.
template <typename OpTy>
OpTy definedBy(mlir::Value v) {
  return v ? v.getDefiningOp<OpTy>() : OpTy();
}

/// For a commutative binary op, returns the operand that is not `known`
/// (null when neither operand is `known`).
mlir::Value otherOperand(mlir::Operation *op, mlir::Value known);

/// Size of the last dimension of a ranked tensor value (dynamic -> -1).
int64_t lastDim(mlir::Value v);

} // namespace txc::raise

#endif // TXC_PASSES_RAISEUTILS_H
