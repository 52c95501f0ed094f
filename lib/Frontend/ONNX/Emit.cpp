//===- Emit.cpp - IR building helpers for the ONNX converters -------------===//

#include "Emit.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"

using namespace mlir;

namespace txc::onnx_import {

SmallVector<int64_t> shapeOf(Value value) {
  return SmallVector<int64_t>(cast<RankedTensorType>(value.getType()).getShape());
}

SmallVector<Value> dynamicSizes(OpBuilder &b, Location loc,
                                ArrayRef<int64_t> target,
                                ValueRange candidates) {
  SmallVector<Value> sizes;
  int64_t rank = target.size();
  for (int64_t i = 0; i < rank; ++i) {
    if (!ShapedType::isDynamic(target[i]))
      continue;
    Value size;
    for (Value c : candidates) {
      auto type = cast<RankedTensorType>(c.getType());
      int64_t j = i - (rank - type.getRank());
      if (j >= 0 && type.isDynamicDim(j)) {
        size = tensor::DimOp::create(b, loc, c, j);
        break;
      }
    }
    // No operand carries this dimension: the caller gets a null value.
    if (!size)
      return {};
    sizes.push_back(size);
  }
  return sizes;
}

Value emptyTensor(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                  Type elementType, ValueRange candidates) {
  SmallVector<Value> dyn = dynamicSizes(b, loc, shape, candidates);
  if (static_cast<int64_t>(dyn.size()) !=
      llvm::count_if(shape, ShapedType::isDynamic))
    return {};
  return tensor::EmptyOp::create(b, loc, shape, elementType, dyn);
}

static TypedAttr scalarAttr(OpBuilder &b, Type elementType, double value) {
  if (isa<FloatType>(elementType))
    return b.getFloatAttr(elementType, value);
  return b.getIntegerAttr(elementType, static_cast<int64_t>(value));
}

Value filledTensor(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                   Type elementType, double value, ValueRange candidates) {
  Value init = emptyTensor(b, loc, shape, elementType, candidates);
  if (!init)
    return {};
  Value scalar =
      arith::ConstantOp::create(b, loc, scalarAttr(b, elementType, value));
  return linalg::FillOp::create(b, loc, scalar, init).getResult(0);
}

Value splatConstant(OpBuilder &b, Location loc, RankedTensorType type,
                    double value) {
  return arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(type, scalarAttr(b, type.getElementType(), value)));
}

Value broadcastTo(OpBuilder &b, Location loc, Value value,
                  ArrayRef<int64_t> shape, ValueRange candidates) {
  auto type = cast<RankedTensorType>(value.getType());
  ArrayRef<int64_t> src = type.getShape();
  if (src == shape)
    return value;
  int64_t rank = shape.size(), offset = rank - type.getRank();
  if (offset < 0)
    return {};
  // A splat constant is simply rebuilt at the target shape.
  if (auto cst = value.getDefiningOp<arith::ConstantOp>())
    if (auto dense = dyn_cast<DenseElementsAttr>(cst.getValue());
        dense && dense.isSplat() && !ShapedType::isDynamicShape(shape))
      return arith::ConstantOp::create(
          b, loc,
          DenseElementsAttr::get(
              RankedTensorType::get(shape, type.getElementType()),
              dense.getSplatValue<Attribute>()));
  // Source dims that stay (and the target position each lands on).
  SmallVector<int64_t> kept, keptTarget;
  for (int64_t j = 0; j < type.getRank(); ++j) {
    int64_t t = shape[j + offset];
    if (src[j] != 1 && !ShapedType::isDynamic(src[j]) &&
        !ShapedType::isDynamic(t) && src[j] != t)
      return {};
    bool expands = src[j] == 1 && t != 1;
    if (!expands) {
      kept.push_back(j);
      keptTarget.push_back(j + offset);
    }
  }
  Value source = value;
  if (static_cast<int64_t>(kept.size()) != type.getRank()) {
    // Collapse the expanding unit dimensions into their neighbours.
    SmallVector<ReassociationIndices> groups;
    SmallVector<int64_t> collapsedShape;
    if (!kept.empty()) {
      ReassociationIndices current;
      size_t next = 0;
      for (int64_t j = 0; j < type.getRank(); ++j) {
        current.push_back(j);
        if (next < kept.size() && kept[next] == j) {
          collapsedShape.push_back(src[j]);
          ++next;
          if (next < kept.size()) {
            groups.push_back(current);
            current.clear();
          }
        }
      }
      groups.push_back(current);
    }
    auto collapsedType =
        RankedTensorType::get(collapsedShape, type.getElementType());
    source = tensor::CollapseShapeOp::create(b, loc, collapsedType, value,
                                             groups);
  }
  SmallVector<int64_t> added;
  for (int64_t i = 0; i < rank; ++i)
    if (!llvm::is_contained(keptTarget, i))
      added.push_back(i);
  if (added.empty())
    return source;
  SmallVector<Value> sources(candidates.begin(), candidates.end());
  sources.push_back(value);
  Value init = emptyTensor(b, loc, shape, type.getElementType(), sources);
  if (!init)
    return {};
  return linalg::BroadcastOp::create(b, loc, source, init, added)
      .getResult()[0];
}

Value convertElementType(OpBuilder &b, Location loc, Value value, Type to,
                         bool fromUnsigned, bool toUnsigned) {
  auto type = cast<RankedTensorType>(value.getType());
  Type from = type.getElementType();
  if (from == to)
    return value;
  auto resultType = type.clone(to);
  bool fromFloat = isa<FloatType>(from), toFloat = isa<FloatType>(to);
  if (fromFloat && toFloat) {
    if (cast<FloatType>(from).getWidth() < cast<FloatType>(to).getWidth())
      return arith::ExtFOp::create(b, loc, resultType, value);
    return arith::TruncFOp::create(b, loc, resultType, value);
  }
  if (fromFloat) {
    if (to.isInteger(1)) {
      Value zero = splatConstant(b, loc, type, 0.0);
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, value,
                                   zero);
    }
    if (toUnsigned)
      return arith::FPToUIOp::create(b, loc, resultType, value);
    return arith::FPToSIOp::create(b, loc, resultType, value);
  }
  if (toFloat) {
    if (fromUnsigned || from.isInteger(1))
      return arith::UIToFPOp::create(b, loc, resultType, value);
    return arith::SIToFPOp::create(b, loc, resultType, value);
  }
  unsigned fromWidth = from.getIntOrFloatBitWidth(),
           toWidth = to.getIntOrFloatBitWidth();
  if (toWidth == 1) {
    Value zero = splatConstant(b, loc, type, 0.0);
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, value,
                                 zero);
  }
  if (fromWidth > toWidth)
    return arith::TruncIOp::create(b, loc, resultType, value);
  if (fromUnsigned || fromWidth == 1)
    return arith::ExtUIOp::create(b, loc, resultType, value);
  return arith::ExtSIOp::create(b, loc, resultType, value);
}

Value transposeTensor(OpBuilder &b, Location loc, Value value,
                      ArrayRef<int64_t> perm) {
  auto type = cast<RankedTensorType>(value.getType());
  bool identity = true;
  for (auto [i, p] : llvm::enumerate(perm))
    identity &= static_cast<int64_t>(i) == p;
  if (identity)
    return value;
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(type.getDimSize(p));
  // Dynamic sizes of the result come from the permuted source dims.
  SmallVector<Value> dyn;
  for (int64_t p : perm)
    if (type.isDynamicDim(p))
      dyn.push_back(tensor::DimOp::create(b, loc, value, p));
  Value init =
      tensor::EmptyOp::create(b, loc, shape, type.getElementType(), dyn);
  return linalg::TransposeOp::create(b, loc, value, init, perm).getResult()[0];
}

Value reshapeTensor(OpBuilder &b, Location loc, Value value,
                    ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(value.getType());
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  if (type == resultType)
    return value;
  if (type.hasStaticShape()) {
    if (auto groups = getReassociationIndicesForReshape(type, resultType)) {
      if (resultType.getRank() < type.getRank())
        return tensor::CollapseShapeOp::create(b, loc, resultType, value,
                                               *groups);
      if (resultType.getRank() > type.getRank())
        return tensor::ExpandShapeOp::create(b, loc, resultType, value,
                                             *groups);
    }
  }
  auto shapeType =
      RankedTensorType::get({static_cast<int64_t>(shape.size())},
                            b.getI64Type());
  Value shapeValue = arith::ConstantOp::create(
      b, loc, DenseIntElementsAttr::get(shapeType, shape));
  return tensor::ReshapeOp::create(b, loc, resultType, value, shapeValue);
}

} // namespace txc::onnx_import
