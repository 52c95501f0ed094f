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

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/SetVector.h"

#include <optional>

namespace txc::raise {

/// Strips linalg.broadcast and reshapes that only add or remove unit
/// dimensions, returning the value that holds the data.
mlir::Value stripBroadcast(mlir::Value v);

/// The value of a splat float constant: an arith.constant splat (or scalar),
/// or a linalg.fill of a constant scalar, looking through broadcasts.
std::optional<llvm::APFloat> getSplatFloat(mlir::Value v);

/// The scalar value of a splat float constant, as getSplatFloat.
std::optional<double> getSplatValue(mlir::Value v);

/// True if `v` is a splat float constant (looking through broadcasts) equal
/// to `expected` rounded to its element type, within one unit in the last
/// place (so `1/D` computed in either precision matches).
bool isSplatNear(mlir::Value v, double expected);

/// The elements of a constant (looking through broadcasts), or null.
mlir::DenseElementsAttr getConstant(mlir::Value v);

/// True if `v` is defined by an op of type OpTy; sets `op`.
template <typename OpTy> OpTy definedBy(mlir::Value v) {
  return v ? v.getDefiningOp<OpTy>() : OpTy();
}

/// For a commutative binary op, returns the operand that is not `known`
/// (null when neither operand is `known`).
mlir::Value otherOperand(mlir::Operation *op, mlir::Value known);

/// Size of the last dimension of a ranked tensor value (dynamic -> -1).
int64_t lastDim(mlir::Value v);

/// A value seen through linalg.broadcast and unit-dimension reshapes, with
/// the correspondence of its dimensions to those of the value the trace
/// started from (the "root"): `dims[i]` is the root dimension that dimension
/// `i` of `value` spans, or -1 for a size-1 dimension with no counterpart.
struct Traced {
  mlir::Value value;
  llvm::SmallVector<int64_t> dims;

  /// Rank of `value`.
  int64_t rank() const { return dims.size(); }
  /// Static size of dimension `i` of `value` (ShapedType::kDynamic if
  /// dynamic).
  int64_t size(int64_t i) const;
  /// The root dimensions spanned by the non-unit dimensions of `value`, in
  /// order (dynamic dimensions count as non-unit).
  llvm::SmallVector<int64_t> nonUnitRootDims() const;
};

/// Traces `v` through linalg.broadcast and unit-dimension reshapes; the root
/// is `v` itself.
Traced traceBroadcast(mlir::Value v);

/// Continues a trace from `v`, whose dimension `i` spans root dimension
/// `dims[i]` (e.g. an operand of an elementwise op on a traced value).
Traced traceBroadcast(mlir::Value v, llvm::ArrayRef<int64_t> dims);

/// Continues a trace through `from`, a value with the same shape as
/// `t.value` (an operand of an elementwise op defining `t.value`).
inline Traced traceOperand(mlir::Value from, const Traced &t) {
  return traceBroadcast(from, t.dims);
}

/// True when `a` and `b` are the same value, or results of equivalent
/// side-effect-free, region-free ops whose operands are equivalent (checked
/// a few levels deep), as duplicated casts or reshapes are before CSE.
bool isEquivalent(mlir::Value a, mlir::Value b);

/// True when the elementwise op has only tensor operands of its result type's
/// shape (explicit broadcasting, as the importer emits it).
bool isSameShapeElementwise(mlir::Operation *op);

/// Reshapes `v` to `type` when the two shapes differ only in size-1
/// dimensions (collapse and/or expand); returns null when that is not
/// possible (dynamic dimensions that cannot be matched up).
mlir::Value reshapeUnitDims(mlir::OpBuilder &b, mlir::Location loc,
                            mlir::Value v, mlir::RankedTensorType type);

/// Erases the ops of `worklist` that are trivially dead, then the producers
/// of their operands that become dead in turn; `worklist` ends empty.
void eraseDeadOps(llvm::SetVector<mlir::Operation *> &worklist);

/// `value` converted to double through the shortest decimal string that
/// reads back as the same value of its own type (so an f32 1e-6 becomes the
/// double 1e-6, not 9.99999997e-7).
double toShortestDouble(const llvm::APFloat &value);

} // namespace txc::raise

#endif // TXC_PASSES_RAISEUTILS_H
