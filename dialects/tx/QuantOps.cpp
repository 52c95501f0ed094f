//===- QuantOps.cpp - qpack, dequant, qlinear verifiers -------------------===//

#include "VerifyUtils.h"
#include "txc/Dialect/Tx/TxOps.h"

using namespace mlir;
using namespace txc::tx;
using namespace txc::tx::detail;

LogicalResult QPackOp::verify() {
  QWeightType weight = getResult().getType();
  if (weight.isBlockFormat())
    return emitOpError() << "cannot pack codes into the block format "
                         << stringifyQuantKind(weight.getKind())
                         << " (use tx.qblocks with the blocks' bytes)";
  auto codes = getCodes().getType();
  if (failed(verifyShape(*this, "codes", codes, weight.getShape())))
    return failure();
  if (codes.getElementType() != weight.getCodeType())
    return emitOpError() << "codes of format "
                         << stringifyQuantKind(weight.getKind())
                         << " must have element type " << weight.getCodeType()
                         << ", got " << codes.getElementType();
  SmallVector<int64_t, 2> groupShape = {weight.getOutFeatures(),
                                        weight.getNumGroups()};
  auto scales = getScales().getType();
  if (failed(verifyShape(*this, "scales", scales, groupShape)))
    return failure();
  if (scales.getElementType() != weight.getScaleType())
    return emitOpError() << "scales must have element type "
                         << weight.getScaleType() << ", got "
                         << scales.getElementType();
  Value zp = getZeroPoints();
  if (weight.getHasZeroPoint() && !zp)
    return emitOpError() << "the weight type has zero points but no "
                            "'zero_points' operand is given";
  if (!weight.getHasZeroPoint() && zp)
    return emitOpError() << "'zero_points' given but the weight type has no "
                            "zero_point";
  if (zp) {
    auto zpType = cast<RankedTensorType>(zp.getType());
    if (failed(verifyShape(*this, "zero_points", zpType, groupShape)))
      return failure();
    if (zpType.getElementType() != weight.getCodeType() &&
        !zpType.getElementType().isInteger(8))
      return emitOpError() << "zero_points must have element type "
                           << weight.getCodeType() << " or i8, got "
                           << zpType.getElementType();
  }
  if (std::optional<llvm::APFloat> t = getTensorScale())
    if (!t->isFinite() || t->isZero() || t->isNegative())
      return emitOpError() << "tensor_scale must be finite and positive";
  return success();
}

LogicalResult QBlocksOp::verify() {
  QWeightType weight = getResult().getType();
  if (!weight.isBlockFormat())
    return emitOpError() << "result format "
                         << stringifyQuantKind(weight.getKind())
                         << " is not a GGUF block format (use tx.qpack)";
  return verifyShape(*this, "bytes", getBytes().getType(),
                     {weight.getOutFeatures(), weight.getRowBytes()});
}

LogicalResult DequantOp::verify() {
  return verifyShape(*this, "result", getResult().getType(),
                     getWeight().getType().getShape());
}

LogicalResult QLinearOp::verify() {
  QWeightType weight = getWeight().getType();
  return verifyLinearShapes(*this, getInput(), weight.getOutFeatures(),
                            weight.getInFeatures(), getBias(), getResult());
}
