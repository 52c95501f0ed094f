//===- RaiseUtils.cpp - matchers shared by the raising passes -------------===//

#include "RaiseUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

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

std::optional<APFloat> getSplatFloat(Value v) {
  v = stripBroadcast(v);
  if (!v)
    return std::nullopt;
  if (auto fill = v.getDefiningOp<linalg::FillOp>())
    v = fill.getInputs()[0];
  Attribute attr;
  if (!matchPattern(v, m_Constant(&attr)))
    return std::nullopt;
  if (auto scalar = dyn_cast<FloatAttr>(attr))
    return scalar.getValue();
  auto dense = dyn_cast<DenseElementsAttr>(attr);
  if (!dense || !dense.isSplat() || !isa<FloatType>(dense.getElementType()))
    return std::nullopt;
  return dense.getSplatValue<APFloat>();
}

std::optional<double> getSplatValue(Value v) {
  std::optional<APFloat> value = getSplatFloat(v);
  if (!value)
    return std::nullopt;
  return value->convertToDouble();
}

bool isSplatNear(Value v, double expected) {
  std::optional<APFloat> value = getSplatFloat(v);
  if (!value)
    return false;
  APFloat got = *value;
  APFloat want(expected);
  bool losesInfo = false;
  want.convert(got.getSemantics(), APFloat::rmNearestTiesToEven, &losesInfo);
  if (got.bitwiseIsEqual(want))
    return true;
  APFloat up = want, down = want;
  up.next(/*nextDown=*/false);
  down.next(/*nextDown=*/true);
  return got.bitwiseIsEqual(up) || got.bitwiseIsEqual(down);
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

int64_t Traced::size(int64_t i) const {
  return cast<RankedTensorType>(value.getType()).getDimSize(i);
}

SmallVector<int64_t> Traced::nonUnitRootDims() const {
  SmallVector<int64_t> result;
  for (int64_t i = 0, e = rank(); i < e; ++i)
    if (size(i) != 1)
      result.push_back(dims[i]);
  return result;
}

Traced traceBroadcast(Value v) {
  auto type = cast<RankedTensorType>(v.getType());
  return traceBroadcast(v,
                        llvm::to_vector(llvm::seq<int64_t>(0, type.getRank())));
}

Traced traceBroadcast(Value v, ArrayRef<int64_t> dims) {
  Traced t{v, SmallVector<int64_t>(dims)};
  while (Operation *def = t.value.getDefiningOp()) {
    if (auto b = dyn_cast<linalg::BroadcastOp>(def)) {
      // Input dimension i is the i-th output dimension not added.
      SmallVector<int64_t> next;
      for (int64_t d = 0, e = t.rank(); d < e; ++d)
        if (!llvm::is_contained(b.getDimensions(), d))
          next.push_back(t.dims[d]);
      t = {b.getInput(), std::move(next)};
      continue;
    }
    if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(def)) {
      auto from = cast<RankedTensorType>(def->getOperand(0).getType());
      auto to = cast<RankedTensorType>(t.value.getType());
      if (!onlyUnitDims(from, to))
        break;
      // The non-unit dimensions correspond in order.
      SmallVector<int64_t> kept;
      for (int64_t d = 0, e = to.getRank(); d < e; ++d)
        if (to.getDimSize(d) != 1)
          kept.push_back(t.dims[d]);
      SmallVector<int64_t> next;
      size_t k = 0;
      for (int64_t size : from.getShape())
        next.push_back(size == 1 ? -1 : kept[k++]);
      t = {def->getOperand(0), std::move(next)};
      continue;
    }
    break;
  }
  return t;
}

/// isEquivalent, looking at most `depth` ops up.
static bool isEquivalent(Value a, Value b, int depth) {
  if (a == b)
    return true;
  if (depth == 0 || a.getType() != b.getType())
    return false;
  auto ra = dyn_cast<OpResult>(a), rb = dyn_cast<OpResult>(b);
  if (!ra || !rb || ra.getResultNumber() != rb.getResultNumber())
    return false;
  Operation *x = ra.getOwner(), *y = rb.getOwner();
  if (x->getNumRegions() || y->getNumRegions() || !isMemoryEffectFree(x) ||
      !isMemoryEffectFree(y))
    return false;
  return OperationEquivalence::isEquivalentTo(
      x, y,
      [&](Value l, Value r) { return success(isEquivalent(l, r, depth - 1)); },
      /*markEquivalent=*/nullptr, OperationEquivalence::IgnoreLocations);
}

bool isEquivalent(Value a, Value b) { return isEquivalent(a, b, 4); }

bool isSameShapeElementwise(Operation *op) {
  if (!op || !OpTrait::hasElementwiseMappableTraits(op) ||
      op->getNumResults() != 1)
    return false;
  auto type = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!type)
    return false;
  return llvm::all_of(op->getOperandTypes(), [&](Type t) {
    auto operand = dyn_cast<RankedTensorType>(t);
    return operand && operand.getShape() == type.getShape();
  });
}

Value reshapeUnitDims(OpBuilder &b, Location loc, Value v,
                      RankedTensorType type) {
  auto from = cast<RankedTensorType>(v.getType());
  if (from.getShape() == type.getShape())
    return v;
  if (!onlyUnitDims(from, type))
    return {};
  SmallVector<int64_t> core;
  for (int64_t size : from.getShape())
    if (size != 1)
      core.push_back(size);
  if (core.empty())
    return {};
  Value result = v;
  if (from.getShape() != ArrayRef<int64_t>(core)) {
    auto reassociation =
        getReassociationIndicesForCollapse(from.getShape(), core);
    if (!reassociation)
      return {};
    result = tensor::CollapseShapeOp::create(
        b, loc, RankedTensorType::get(core, from.getElementType()), result,
        *reassociation);
  }
  if (type.getShape() != ArrayRef<int64_t>(core)) {
    auto reassociation =
        getReassociationIndicesForCollapse(type.getShape(), core);
    if (!reassociation || !type.hasStaticShape())
      return {};
    result =
        tensor::ExpandShapeOp::create(b, loc, type, result, *reassociation);
  }
  return result;
}

void eraseDeadOps(llvm::SetVector<Operation *> &worklist) {
  while (!worklist.empty()) {
    Operation *op = worklist.pop_back_val();
    if (!isOpTriviallyDead(op))
      continue;
    for (Value operand : op->getOperands())
      if (Operation *def = operand.getDefiningOp())
        worklist.insert(def);
    op->erase();
  }
}

double toShortestDouble(const APFloat &value) {
  double wide = value.convertToDouble();
  if (!std::isfinite(wide))
    return wide;
  char buffer[32];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(buffer, sizeof(buffer), "%.*g", digits, wide);
    double candidate = std::strtod(buffer, nullptr);
    APFloat back(candidate);
    bool losesInfo = false;
    back.convert(value.getSemantics(), APFloat::rmNearestTiesToEven,
                 &losesInfo);
    if (back.bitwiseIsEqual(value))
      return candidate;
  }
  return wide;
}

} // namespace txc::raise
