//===- CoreOps.cpp - layer, linear, norms, rope, embedding ----------------===//

#include "VerifyUtils.h"
#include "txc/Dialect/Tx/TxOps.h"

#include "mlir/IR/TypeUtilities.h"

#include <cmath>

using namespace mlir;
using namespace txc::tx;
using namespace txc::tx::detail;

//===----------------------------------------------------------------------===//
// LayerOp
//===----------------------------------------------------------------------===//

YieldOp LayerOp::getYield() {
  return dyn_cast<YieldOp>(getBody().front().getTerminator());
}

LogicalResult LayerOp::verify() {
  // I64Attr's accessor is unsigned; read the stored value as signed.
  int64_t index = getIndexAttr().getInt();
  if (index < 0)
    return emitOpError() << "layer index must be non-negative, got " << index;
  if ((*this)->getParentOfType<LayerOp>())
    return emitOpError() << "must not be nested inside another tx.layer";
  for (Operation &other : *(*this)->getBlock()) {
    auto layer = dyn_cast<LayerOp>(&other);
    if (layer && layer != *this && layer.getIndex() == getIndex())
      return emitOpError() << "layer index " << getIndex()
                           << " is used by another tx.layer in the same block";
  }
  return success();
}

LogicalResult LayerOp::verifyRegions() {
  Block &body = getBody().front();
  if (body.getNumArguments() != getInputs().size())
    return emitOpError() << "region has " << body.getNumArguments()
                         << " arguments but the layer has "
                         << getInputs().size() << " inputs";
  for (auto [i, arg, input] :
       llvm::enumerate(body.getArguments(), getInputs()))
    if (arg.getType() != input.getType())
      return emitOpError() << "region argument #" << i << " has type "
                           << arg.getType() << " but input #" << i
                           << " has type " << input.getType();
  if (body.empty() || !isa<YieldOp>(body.back()))
    return emitOpError() << "region must end with tx.yield";
  auto yield = cast<YieldOp>(body.back());
  if (yield.getValues().size() != getNumResults())
    return emitOpError() << "tx.yield returns " << yield.getValues().size()
                         << " values but the layer has " << getNumResults()
                         << " results";
  for (auto [i, value, result] :
       llvm::enumerate(yield.getValues(), getResults()))
    if (value.getType() != result.getType())
      return emitOpError() << "tx.yield operand #" << i << " has type "
                           << value.getType() << " but result #" << i
                           << " has type " << result.getType();
  return success();
}

//===----------------------------------------------------------------------===//
// LinearOp
//===----------------------------------------------------------------------===//

LogicalResult LinearOp::verify() {
  auto weightType = getWeight().getType();
  if (failed(verifyRank(*this, "weight", weightType, 2,
                        "[out_features, in_features]")) ||
      failed(verifySameElementType(*this, "weight", weightType, "input",
                                   getInput().getType())))
    return failure();
  return verifyLinearShapes(*this, getInput(), weightType.getDimSize(0),
                          weightType.getDimSize(1), getBias(), getResult());
}

//===----------------------------------------------------------------------===//
// Norms
//===----------------------------------------------------------------------===//

/// Shared by tx.rms_norm and tx.layer_norm.
static LogicalResult verifyNorm(Operation *op, Value input, Value weight,
                                Value bias, double epsilon, Value result) {
  auto inputType = cast<RankedTensorType>(input.getType());
  if (inputType.getRank() < 1)
    return op->emitOpError() << "'input' must have rank >= 1";
  if (!(epsilon >= 0.0) || !std::isfinite(epsilon))
    return op->emitOpError() << "epsilon must be a non-negative finite number, "
                                "got "
                             << epsilon;
  int64_t d = inputType.getShape().back();
  for (auto [name, value] : {std::pair<StringRef, Value>{"weight", weight},
                             {"bias", bias}}) {
    if (!value)
      continue;
    if (failed(verifyShape(op, name, value.getType(), {d})) ||
        failed(verifySameElementType(op, name, value.getType(), "input",
                                     input.getType())))
      return failure();
  }
  if (result.getType() != inputType)
    return op->emitOpError() << "result type " << result.getType()
                             << " must equal the input type " << inputType;
  return success();
}

LogicalResult RMSNormOp::verify() {
  return verifyNorm(*this, getInput(), getWeight(), Value(),
                    getEpsilon().convertToDouble(), getResult());
}

LogicalResult LayerNormOp::verify() {
  return verifyNorm(*this, getInput(), getWeight(), getBias(),
                    getEpsilon().convertToDouble(), getResult());
}

//===----------------------------------------------------------------------===//
// RopeOp
//===----------------------------------------------------------------------===//

int64_t RopeOp::getRotaryDim() {
  if (getCos().getType().getRank() == 0)
    return ShapedType::kDynamic;
  int64_t half = getCos().getType().getShape().back();
  return ShapedType::isDynamic(half) ? ShapedType::kDynamic : 2 * half;
}

LogicalResult RopeOp::verify() {
  auto inputType = getInput().getType();
  if (failed(verifyRank(*this, "input", inputType, 4,
                        "[batch, heads, seq, head_dim]")))
    return failure();
  if (getCos().getType() != getSin().getType())
    return emitOpError() << "'cos' and 'sin' must have the same type, got "
                         << getCos().getType() << " and " << getSin().getType();
  if (failed(verifySameElementType(*this, "cos", getCos().getType(), "input",
                                   inputType)))
    return failure();
  auto cosType = getCos().getType();
  int64_t rotary = getRotaryDim(), headDim = inputType.getDimSize(3);
  if (!ShapedType::isDynamic(rotary) && !ShapedType::isDynamic(headDim) &&
      rotary > headDim)
    return emitOpError() << "rotary dimension " << rotary
                         << " (2 x cos's last dimension) exceeds head_dim "
                         << headDim;
  int64_t batch = inputType.getDimSize(0), seq = inputType.getDimSize(2);
  if (Value positions = getPositions()) {
    auto posType = cast<RankedTensorType>(positions.getType());
    if (failed(verifyRank(*this, "cos", cosType, 2,
                          "a [max_position, rotary_dim / 2] table when "
                          "positions are given")))
      return failure();
    if (posType.getRank() != 1 && posType.getRank() != 2)
      return emitOpError() << "'positions' must be [seq] or [batch, seq], got "
                              "rank "
                           << posType.getRank();
    if (failed(verifyDim(*this, "sequence length", "positions' last dimension",
                         posType.getShape().back(), "input's seq", seq)))
      return failure();
    if (posType.getRank() == 2 &&
        failed(verifyDim(*this, "batch", "positions' batch",
                         posType.getDimSize(0), "input's batch", batch)))
      return failure();
  } else {
    if (cosType.getRank() != 2 && cosType.getRank() != 3)
      return emitOpError() << "'cos' must be [seq, rotary_dim / 2] or [batch, "
                              "seq, rotary_dim / 2], got rank "
                           << cosType.getRank();
    if (failed(verifyDim(*this, "sequence length", "cos rows",
                         cosType.getDimSize(cosType.getRank() - 2),
                         "input's seq", seq)))
      return failure();
    if (cosType.getRank() == 3 &&
        failed(verifyDim(*this, "batch", "cos batch", cosType.getDimSize(0),
                         "input's batch", batch)))
      return failure();
  }
  if (getResult().getType() != inputType)
    return emitOpError() << "result type " << getResult().getType()
                         << " must equal the input type " << inputType;
  return success();
}

//===----------------------------------------------------------------------===//
// EmbeddingOp
//===----------------------------------------------------------------------===//

int64_t EmbeddingOp::getVocabSize() {
  if (auto q = dyn_cast<QWeightType>(getTable().getType()))
    return q.getOutFeatures();
  return cast<RankedTensorType>(getTable().getType()).getDimSize(0);
}

LogicalResult EmbeddingOp::verify() {
  SmallVector<int64_t> expected(getIds().getType().getShape());
  if (auto q = dyn_cast<QWeightType>(getTable().getType())) {
    expected.push_back(q.getInFeatures());
    return verifyShape(*this, "result", getResult().getType(), expected);
  }
  auto tableType = cast<RankedTensorType>(getTable().getType());
  if (failed(verifyRank(*this, "table", tableType, 2, "[vocab, hidden]")))
    return failure();
  expected.push_back(tableType.getDimSize(1));
  if (failed(verifyShape(*this, "result", getResult().getType(), expected)))
    return failure();
  return verifySameElementType(*this, "result", getResult().getType(), "table",
                               tableType);
}

//===----------------------------------------------------------------------===//
// WeightOp
//===----------------------------------------------------------------------===//

LogicalResult WeightOp::verify() {
  if (getName().empty())
    return emitOpError() << "weight name must not be empty";
  return success();
}
