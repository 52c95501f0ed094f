//===- RoutingOps.cpp - route, gather_tokens, scatter_tokens verifiers ----===//

#include "VerifyUtils.h"
#include "txc/Dialect/Tx/TxOps.h"

#include <cmath>

using namespace mlir;
using namespace txc::tx;
using namespace txc::tx::detail;

LogicalResult RouteOp::verify() {
  auto scores = getScores().getType();
  if (failed(verifyRank(*this, "scores", scores, 2, "[batch, seq]")))
    return failure();
  int64_t capacity = getCapacity(), seq = scores.getDimSize(1);
  if (capacity <= 0)
    return emitOpError() << "capacity must be positive, got " << capacity;
  if (!ShapedType::isDynamic(seq) && capacity > seq)
    return emitOpError() << "capacity " << capacity << " exceeds the " << seq
                         << " tokens of the sequence";
  int64_t b = scores.getDimSize(0);
  if (failed(verifyShape(*this, "indices", getIndices().getType(),
                         {b, capacity})) ||
      failed(verifyShape(*this, "weights", getWeights().getType(),
                         {b, capacity})))
    return failure();
  bool tanh = getWeighting() == RouteWeighting::tanh;
  bool hasParams = getAlpha().has_value() || getBeta().has_value();
  if (tanh && !(getAlpha() && getBeta()))
    return emitOpError() << "tanh weighting needs both 'alpha' and 'beta'";
  if (!tanh && hasParams)
    return emitOpError() << "'alpha' and 'beta' are only valid with tanh "
                            "weighting";
  if (FloatAttr threshold = getThresholdAttr();
      threshold && std::isnan(threshold.getValueAsDouble()))
    return emitOpError() << "'threshold' must be a number, got NaN";
  return success();
}

LogicalResult GatherTokensOp::verify() {
  auto input = getInput().getType();
  auto indices = getIndices().getType();
  if (failed(verifyRank(*this, "input", input, 3, "[batch, seq, hidden]")) ||
      failed(verifyRank(*this, "indices", indices, 2, "[batch, kept]")))
    return failure();
  if (failed(verifyDim(*this, "batch", "input batch", input.getDimSize(0),
                       "indices batch", indices.getDimSize(0))))
    return failure();
  if (failed(verifyShape(*this, "result", getResult().getType(),
                         {input.getDimSize(0), indices.getDimSize(1),
                          input.getDimSize(2)})))
    return failure();
  return verifySameElementType(*this, "result", getResult().getType(), "input",
                               input);
}

LogicalResult ScatterTokensOp::verify() {
  auto residual = getResidual().getType();
  auto updates = getUpdates().getType();
  auto indices = getIndices().getType();
  if (failed(verifyRank(*this, "residual", residual, 3,
                        "[batch, seq, hidden]")) ||
      failed(verifyRank(*this, "updates", updates, 3,
                        "[batch, kept, hidden]")) ||
      failed(verifyRank(*this, "indices", indices, 2, "[batch, kept]")))
    return failure();
  int64_t b = residual.getDimSize(0), k = indices.getDimSize(1);
  if (failed(verifyShape(*this, "updates", updates,
                         {b, k, residual.getDimSize(2)})) ||
      failed(verifyDim(*this, "batch", "indices batch", indices.getDimSize(0),
                       "residual batch", b)) ||
      failed(verifySameElementType(*this, "updates", updates, "residual",
                                   residual)))
    return failure();
  int64_t seq = residual.getDimSize(1);
  if (!ShapedType::isDynamic(seq) && !ShapedType::isDynamic(k) && k > seq)
    return emitOpError() << "scatters " << k << " tokens into a sequence of "
                         << seq;
  if (Value weights = getWeights())
    if (failed(verifyShape(*this, "weights", weights.getType(), {b, k})))
      return failure();
  if (getResult().getType() != residual)
    return emitOpError() << "result type " << getResult().getType()
                         << " must equal the residual type " << residual;
  return success();
}
