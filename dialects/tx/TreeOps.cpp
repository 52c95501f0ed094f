//===- TreeOps.cpp - tree_mask, tree_verify verifiers ---------------------===//

#include "VerifyUtils.h"
#include "txc/Dialect/Tx/TxOps.h"

#include <cmath>

using namespace mlir;
using namespace txc::tx;
using namespace txc::tx::detail;

LogicalResult TreeMaskOp::verify() {
  int64_t n = getTree().size();
  return verifyShape(*this, "result", getResult().getType(), {n, n});
}

LogicalResult TreeVerifyOp::verify() {
  int64_t n = getTree().size();
  auto tokens = getTokens().getType();
  auto logits = getLogits().getType();
  if (failed(verifyRank(*this, "tokens", tokens, 2, "[batch, tree_nodes]")) ||
      failed(verifyRank(*this, "logits", logits, 3,
                        "[batch, tree_nodes, vocab]")))
    return failure();
  int64_t b = tokens.getDimSize(0);
  if (failed(verifyDim(*this, "tree size", "tokens' node count",
                       tokens.getDimSize(1), "the tree's node count", n)) ||
      failed(verifyDim(*this, "tree size", "logits' node count",
                       logits.getDimSize(1), "the tree's node count", n)) ||
      failed(verifyDim(*this, "batch", "tokens batch", b, "logits batch",
                       logits.getDimSize(0))))
    return failure();
  if (failed(verifyShape(*this, "path", getPath().getType(), {b, n})) ||
      failed(verifyShape(*this, "length", getLength().getType(), {b})) ||
      failed(verifyShape(*this, "next_token", getNextToken().getType(), {b})))
    return failure();

  bool typical = getMode() == AcceptMode::typical;
  bool hasParams = getEpsilon().has_value() || getDelta().has_value();
  if (typical && !(getEpsilon() && getDelta()))
    return emitOpError() << "typical acceptance needs both 'epsilon' and "
                            "'delta'";
  if (!typical && hasParams)
    return emitOpError() << "'epsilon' and 'delta' are only valid with typical "
                            "acceptance";
  if (typical) {
    double eps = getEpsilon()->convertToDouble(),
           delta = getDelta()->convertToDouble();
    if (!(eps > 0.0 && eps <= 1.0))
      return emitOpError() << "'epsilon' must be in (0, 1], got " << eps;
    if (!(delta > 0.0) || !std::isfinite(delta))
      return emitOpError() << "'delta' must be a positive finite number, got "
                           << delta;
  }
  return success();
}
