//===- VerifyUtils.cpp - helpers shared by the tx op verifiers ------------===//

#include "VerifyUtils.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace txc::tx::detail {

std::string dimStr(int64_t d) {
  return ShapedType::isDynamic(d) ? std::string("?") : std::to_string(d);
}

std::string shapeStr(ArrayRef<int64_t> shape) {
  std::string s = "[";
  llvm::raw_string_ostream os(s);
  llvm::interleaveComma(shape, os, [&](int64_t d) { os << dimStr(d); });
  os << "]";
  return s;
}

LogicalResult verifyRank(Operation *op, StringRef name, Type type, int64_t rank,
                         StringRef layout) {
  auto shaped = cast<ShapedType>(type);
  if (shaped.getRank() == rank)
    return success();
  auto diag = op->emitOpError() << "'" << name << "' must have rank " << rank;
  if (!layout.empty())
    diag << " (" << layout << ")";
  return diag << ", got rank " << shaped.getRank();
}

LogicalResult verifyDim(Operation *op, StringRef what, StringRef nameA,
                        int64_t a, StringRef nameB, int64_t b) {
  if (!dimsConflict(a, b))
    return success();
  return op->emitOpError() << what << " mismatch: " << nameA << " is " << a
                           << " but " << nameB << " is " << b;
}

LogicalResult verifyShape(Operation *op, StringRef name, Type type,
                          ArrayRef<int64_t> expected) {
  auto shaped = cast<ShapedType>(type);
  bool ok = shaped.getRank() == static_cast<int64_t>(expected.size());
  for (unsigned i = 0; ok && i < expected.size(); ++i)
    ok = !dimsConflict(shaped.getDimSize(i), expected[i]);
  if (ok)
    return success();
  return op->emitOpError() << "'" << name << "' must have shape "
                           << shapeStr(expected) << ", got "
                           << shapeStr(shaped.getShape());
}

LogicalResult verifySameElementType(Operation *op, StringRef nameA, Type a,
                                    StringRef nameB, Type b) {
  Type ea = getElementTypeOrSelf(a), eb = getElementTypeOrSelf(b);
  if (ea == eb)
    return success();
  return op->emitOpError() << "element type mismatch: '" << nameA << "' has "
                           << ea << " but '" << nameB << "' has " << eb;
}

/// Shared by tx.linear and tx.qlinear: input [..., K], weight [N, K], bias
/// [N], result [..., N].
LogicalResult verifyLinearShapes(Operation *op, Value input, int64_t n,
                                      int64_t k, Value bias, Value result) {
  auto inputType = cast<RankedTensorType>(input.getType());
  if (inputType.getRank() < 1)
    return op->emitOpError() << "'input' must have rank >= 1";
  if (failed(verifyDim(op, "in_features", "input's last dimension",
                       inputType.getShape().back(), "weight's in_features",
                       k)))
    return failure();
  if (bias) {
    if (failed(verifyShape(op, "bias", bias.getType(), {n})) ||
        failed(verifySameElementType(op, "bias", bias.getType(), "input",
                                     input.getType())))
      return failure();
  }
  SmallVector<int64_t> expected(inputType.getShape());
  expected.back() = n;
  if (failed(verifyShape(op, "result", result.getType(), expected)))
    return failure();
  return verifySameElementType(op, "result", result.getType(), "input",
                               input.getType());
}

int64_t ceilDivDim(int64_t a, int64_t b) {
  if (ShapedType::isDynamic(a) || b <= 0)
    return ShapedType::kDynamic;
  return (a + b - 1) / b;
}

} // namespace txc::tx::detail
