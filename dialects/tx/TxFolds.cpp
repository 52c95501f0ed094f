//===- TxFolds.cpp - folds and canonicalization patterns of tx ops --------===//
//
// Only rewrites that are obviously right live here:
//  * tx.tree_mask folds to its constant ancestor mask;
//  * a multiplication of the query or the key by a constant scalar (a splat)
//    folds into tx.attention's scale;
//  * a bias added to a tx.linear's result (broadcast from [N]) becomes the
//    linear's own bias;
//  * a tx.linear on a flattened input ([B*S, K], reshaped back after) works
//    on the unflattened input directly.
//
//===----------------------------------------------------------------------===//

#include "txc/Dialect/Tx/TxOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>

using namespace mlir;
using namespace txc::tx;

//===----------------------------------------------------------------------===//
// TreeMaskOp
//===----------------------------------------------------------------------===//

OpFoldResult TreeMaskOp::fold(FoldAdaptor) {
  TreeAttr tree = getTree();
  int64_t n = tree.size();
  SmallVector<bool> mask;
  mask.reserve(n * n);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j)
      mask.push_back(tree.isAncestorOrSelf(j, i));
  return DenseElementsAttr::get(getResult().getType(), ArrayRef<bool>(mask));
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

namespace {
/// Returns the splat float value `v` and the unscaled operand `x` when `value`
/// is `arith.mulf x, splat(v)` (in either order) or `arith.divf x, splat(1/v)`.
static std::optional<std::pair<double, Value>> matchScaledBySplat(Value value) {
  DenseFPElementsAttr attr;
  // x / splat(c) scales by 1/c.
  if (auto div = value.getDefiningOp<arith::DivFOp>()) {
    if (matchPattern(div.getRhs(), m_Constant(&attr)) && attr.isSplat() &&
        div.getLhs().getType() == value.getType())
      return std::make_pair(
          1.0 / attr.getSplatValue<APFloat>().convertToDouble(), div.getLhs());
    return std::nullopt;
  }
  auto mul = value.getDefiningOp<arith::MulFOp>();
  if (!mul)
    return std::nullopt;
  for (int which = 0; which < 2; ++which) {
    Value cst = mul->getOperand(which), other = mul->getOperand(1 - which);
    if (matchPattern(cst, m_Constant(&attr)) && attr.isSplat() &&
        other.getType() == value.getType())
      return std::make_pair(attr.getSplatValue<APFloat>().convertToDouble(),
                            other);
  }
  return std::nullopt;
}

/// attention(q * c, k, v) {scale = s}  ->  attention(q, k, v) {scale = s * c}
/// (and the same for the key), for a positive finite constant c.
struct FoldScalarIntoAttentionScale : public OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    double scale = op.getEffectiveScale();
    if (std::isnan(scale))
      return rewriter.notifyMatchFailure(op, "head_dim is dynamic");
    for (OpOperand *operand : {&op.getQueryMutable(), &op.getKeyMutable()}) {
      auto match = matchScaledBySplat(operand->get());
      if (!match || !(match->first > 0.0) || !std::isfinite(match->first))
        continue;
      rewriter.modifyOpInPlace(op, [&] {
        operand->set(match->second);
        op.setScaleAttr(rewriter.getF64FloatAttr(scale * match->first));
      });
      return success();
    }
    return rewriter.notifyMatchFailure(op, "no operand scaled by a constant");
  }
};
} // namespace

void AttentionOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                              MLIRContext *context) {
  results.add<FoldScalarIntoAttentionScale>(context);
}

//===----------------------------------------------------------------------===//
// LinearOp
//===----------------------------------------------------------------------===//

namespace {
/// addf(linear(x, w), broadcast(b)) -> linear(x, w, bias b), for a [N] `b`
/// broadcast along every leading dimension (or a splat constant) and a
/// linear without bias whose only user is the add.
struct FoldBiasAddIntoLinear : public OpRewritePattern<arith::AddFOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(arith::AddFOp add,
                                PatternRewriter &rewriter) const override {
    for (int which = 0; which < 2; ++which) {
      auto linear = add->getOperand(which).getDefiningOp<LinearOp>();
      Value other = add->getOperand(1 - which);
      if (!linear || linear.getBias() || !linear->hasOneUse())
        continue;
      auto resultType = linear.getResult().getType();
      Value bias = other;
      DenseElementsAttr splat;
      if (matchPattern(other, m_Constant(&splat)) && splat.isSplat() &&
          splat.getType() == resultType) {
        // A constant splat of the result's shape (exporters fold equal
        // biases, e.g. zeros, into one constant).
        auto biasType = RankedTensorType::get(resultType.getShape().back(),
                                              resultType.getElementType());
        bias = arith::ConstantOp::create(
            rewriter, add.getLoc(),
            DenseElementsAttr::get(biasType,
                                   splat.getSplatValue<Attribute>()));
      } else if (auto bcast = other.getDefiningOp<linalg::BroadcastOp>()) {
        // Broadcast along all but the last dimension.
        SmallVector<int64_t> expected;
        for (int64_t d = 0; d + 1 < resultType.getRank(); ++d)
          expected.push_back(d);
        if (bcast.getDimensions() != ArrayRef<int64_t>(expected))
          continue;
        bias = bcast.getInput();
      }
      auto biasType = dyn_cast<RankedTensorType>(bias.getType());
      if (!biasType || biasType.getRank() != 1 ||
          biasType.getDimSize(0) != resultType.getShape().back() ||
          biasType.getElementType() != resultType.getElementType())
        continue;
      rewriter.replaceOpWithNewOp<LinearOp>(add, resultType, linear.getInput(),
                                            linear.getWeight(), bias);
      return success();
    }
    return rewriter.notifyMatchFailure(add, "not a bias add on a tx.linear");
  }
};

/// expand(linear(collapse(x))) -> linear(x), when the collapse only merges
/// leading dimensions (the last stays on its own) and the expand splits
/// them back: a linear on a flattened [B*S, K] input, as Conv1D / addmm
/// exports compute it, on the original [B, S, K].
struct FoldFlattenAroundLinear
    : public OpRewritePattern<tensor::ExpandShapeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tensor::ExpandShapeOp expand,
                                PatternRewriter &rewriter) const override {
    auto linear = expand.getSrc().getDefiningOp<LinearOp>();
    if (!linear || !linear->hasOneUse())
      return rewriter.notifyMatchFailure(expand, "not a tx.linear result");
    auto collapse = linear.getInput().getDefiningOp<tensor::CollapseShapeOp>();
    if (!collapse)
      return rewriter.notifyMatchFailure(expand, "input not collapsed");
    SmallVector<ReassociationIndices> groups =
        collapse.getReassociationIndices();
    auto srcType = collapse.getSrcType();
    int64_t rank = srcType.getRank();
    if (groups.back() != ReassociationIndices{rank - 1} ||
        expand.getReassociationIndices() != groups)
      return rewriter.notifyMatchFailure(expand, "not a leading flatten");
    auto resultType = expand.getResultType();
    if (resultType.getShape().drop_back() != srcType.getShape().drop_back())
      return rewriter.notifyMatchFailure(expand, "different leading dims");
    rewriter.replaceOpWithNewOp<LinearOp>(expand, resultType,
                                          collapse.getSrc(),
                                          linear.getWeight(), linear.getBias());
    return success();
  }
};
} // namespace

void LinearOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                           MLIRContext *context) {
  results.add<FoldBiasAddIntoLinear, FoldFlattenAroundLinear>(context);
}
