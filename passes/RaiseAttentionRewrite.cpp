//===- RaiseAttentionRewrite.cpp - rewriting to tx.attention --------------===//
//
// Materializes the matched operands in [B, H, S, D] layout and the mask in
// [B|1, H|1, Sq, Sk], and replaces the P V contraction with tx.attention.
//
//===----------------------------------------------------------------------===//

#include "RaiseAttention.h"
#include "RaiseUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>

using namespace mlir;
using namespace txc;
using namespace txc::raise;
using namespace txc::raise::attention;

Value AttentionMatcher::materializeOperand(OpBuilder &b, Location loc,
                                           const LayoutValue &operand) {
  if (isIdentity(operand.perm))
    return operand.value;
  SmallVector<OpFoldResult> srcSizes =
      tensor::getMixedSizes(b, loc, operand.value);
  SmallVector<OpFoldResult> sizes;
  for (int64_t p : operand.perm)
    sizes.push_back(srcSizes[p]);
  Value init = tensor::EmptyOp::create(b, loc, sizes,
                                       getElementTypeOrSelf(operand.value));
  return linalg::TransposeOp::create(b, loc, operand.value, init, operand.perm)
      ->getResult(0);
}

Value AttentionMatcher::materializeRuntimeMask(OpBuilder &b, Location loc) {
  bool perBatch = runtime->varies(0), perHead = runtime->varies(1);
  auto scores = cast<RankedTensorType>(softmax.getInput().getType());
  SmallVector<int64_t, 4> shape(scores.getShape());
  if (!perBatch)
    shape[0] = 1;
  if (!perHead)
    shape[1] = 1;

  // Reuse a view that already has the [B|1, H|1, Sq, Sk] layout.
  Value mask;
  for (const ScoreView &view : runtime->views) {
    auto t = cast<RankedTensorType>(view.value.getType());
    bool fits = t.getShape() == ArrayRef<int64_t>(shape);
    for (int64_t d = 0; fits && d < 4; ++d)
      fits = view.dims[d] == d || (view.dims[d] == -1 && shape[d] == 1);
    if (fits) {
      mask = view.value;
      break;
    }
  }
  if (!mask) {
    // Drop the unit dimensions of the source, then broadcast to the layout.
    const ScoreView &src = runtime->source();
    SmallVector<ReassociationIndices> groups;
    SmallVector<int64_t> kept;
    ReassociationIndices leadingUnits;
    for (auto [d, mapped] : llvm::enumerate(src.dims)) {
      if (mapped >= 0) {
        groups.push_back(leadingUnits);
        leadingUnits.clear();
        kept.push_back(mapped);
      } else if (groups.empty()) {
        leadingUnits.push_back(d);
        continue;
      }
      groups.back().push_back(d);
    }
    Value flat = src.value;
    if (kept.size() != src.dims.size())
      flat = tensor::CollapseShapeOp::create(b, loc, src.value, groups);
    SmallVector<int64_t> added;
    for (int64_t d = 0; d < 4; ++d)
      if (!llvm::is_contained(kept, d))
        added.push_back(d);
    SmallVector<OpFoldResult> sizes =
        tensor::getMixedSizes(b, loc, softmax.getInput());
    for (int64_t d : {0, 1})
      if (shape[d] == 1)
        sizes[d] = b.getIndexAttr(1);
    Value init =
        tensor::EmptyOp::create(b, loc, sizes, getElementTypeOrSelf(flat));
    mask = linalg::BroadcastOp::create(b, loc, flat, init, added)->getResult(0);
  }
  if (runtime->negate) {
    auto type = cast<RankedTensorType>(mask.getType());
    Value ones =
        arith::ConstantOp::create(b, loc, DenseElementsAttr::get(type, true));
    mask = arith::XOrIOp::create(b, loc, mask, ones);
  }
  return mask;
}

void AttentionMatcher::rewrite(llvm::SetVector<Operation *> &maybeDead) {
  OpBuilder b(pv);
  Location loc = b.getFusedLoc({qk.getLoc(), softmax.getLoc(), pv.getLoc()});
  Value query = materializeOperand(b, loc, q.operand);
  Value key = materializeOperand(b, loc, k.operand);
  Value value = materializeOperand(b, loc, v.operand);

  Value mask;
  if (explicitConstant)
    mask = arith::ConstantOp::create(b, loc, explicitConstant);
  else if (runtime)
    mask = materializeRuntimeMask(b, loc);

  tx::AttentionOptions options;
  options.mask = kind;
  options.explicitMask = mask;
  // Keep the scale implicit when it is the default 1/sqrt(D).
  double scale = scoreScale * q.scale * k.scale;
  int64_t d = cast<RankedTensorType>(query.getType()).getDimSize(3);
  double defaultScale =
      ShapedType::isDynamic(d) ? 0.0 : 1.0 / std::sqrt(static_cast<double>(d));
  if (std::abs(scale - defaultScale) > 1e-6 * defaultScale)
    options.scale = scale;
  if (kind == tx::MaskKind::sliding_window) {
    options.window = window;
    if (sinks > 0)
      options.sinks = sinks;
  }

  auto attention = tx::AttentionOp::create(
      b, loc, pv->getResult(0).getType(), query, key, value, options);
  pv->getResult(0).replaceAllUsesWith(attention.getResult());
  maybeDead.insert(pv);
}
