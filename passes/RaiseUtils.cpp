//===- RaiseUtils.cpp - matchers shared by the raising passes -------------===//

#include "RaiseUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;

namespace txc::raise {

/// True when a reshape between `from` and `to` only inserts or removes
/// size-1 dimensions.
static bool onlyUnitDims(RankedTensorType from, RankedTensorType to) {
  SmallVector<int64_t> a, b;
  for (int64_t d : from.getShape())
    if (d != 1)
      a.push_back(d);
  for (int64_t d : to.getShape())
    if (d != 1)
      b.push_back(d);
  return a == b;
}

Value stripBroadcast(Value v) {
  while (v) {
    Operation *def = v.getDefiningOp();
    if (!def)
      return v;
    if (auto b = dyn_cast<linalg::BroadcastOp>(def)) {
      v = b.getInput();
      continue;
    }
    if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(def)) {
      auto from = cast<RankedTensorType>(def->getOperand(0).getType());
      auto to = cast<RankedTensorType>(v.getType());
      if (onlyUnitDims(from, to)) {
        v = def->getOperand(0);
        continue;
      }
    }
    return v;
  }
  return v;
}

DenseElementsAttr getConstant(Value v) {
  v = stripBroadcast(v);
  DenseElementsAttr attr;
  if (v && matchPattern(v, m_Constant(&attr)))
    return attr;
  return {};
}

std::optional<double> getSplatValue(Value v) {
  DenseElementsAttr attr = getConstant(v);
  if (!attr || !attr.isSplat() || !isa<FloatType>(attr.getElementType()))
    return std::nullopt;
  return attr.getSplatValue<APFloat>().convertToDouble();
}

Value otherOperand(Operation *op, Value known) {
  if (op->getNumOperands() != 2)
    return {};
  if (op->getOperand(0) == known)
    return op->getOperand(1);
  if (op->getOperand(1) == known)
    return op->getOperand(0);
  return {};
}

int64_t lastDim(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  if (!t || t.getRank() == 0)
    return -1;
  return t.isDynamicDim(t.getRank() - 1) ? -1 : t.getShape().back();
}

} // namespace txc::raise
