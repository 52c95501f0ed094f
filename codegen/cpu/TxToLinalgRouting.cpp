//===- TxToLinalgRouting.cpp - mixture-of-depths token routing ------------===//
//
// Lowering of tx.route, tx.gather_tokens and tx.scatter_tokens to
// linalg.generic ops (scatters and top-k selection are written as
// reductions, so no loops or in-place updates are needed):
//
//  * tx.route: `rank[b, s]` counts the tokens that beat token s (a higher
//    score, or an equal score at a lower index); token s is kept when
//    `rank < min(capacity, limit)` (and its score reaches the threshold,
//    when there is one). Its output slot is the number of kept tokens
//    before it, so `indices[b, c]` is the kept token whose slot is c (kept
//    tokens keep their order; slots nobody fills stay -1, weight 0) and the
//    weight is computed from its score. Both counts are O(S^2) reductions.
//  * tx.gather_tokens: a generic over the result reading
//    `input[b, indices[b, j], :]` with tensor.extract (zero for an index
//    below 0, which reads row 0 and discards it).
//  * tx.scatter_tokens: first `source[b, i]`, the routed token j with
//    `indices[b, j] == i` or -1 (a reduction over j; with repeated indices
//    the last one wins), then one generic over the residual replacing routed
//    rows by `r + w * (u - r)`, or by `u` itself without weights.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "txc/Dialect/Tx/TxOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace txc;
using namespace txc::cpu;

namespace {

/// `acc + (condition ? 1 : 0)` for an i64 accumulator.
static Value countIf(OpBuilder &b, Location loc, Value condition, Value acc) {
  Value one = arith::ConstantIntOp::create(b, loc, b.getI64Type(), 1);
  Value zero = arith::ConstantIntOp::create(b, loc, b.getI64Type(), 0);
  Value increment = arith::SelectOp::create(b, loc, condition, one, zero);
  return arith::AddIOp::create(b, loc, acc, increment);
}

/// The weight of a kept token with score `r` under `op`'s weighting, in the
/// score's type.
static Value buildRouteWeight(OpBuilder &b, Location loc, tx::RouteOp op,
                              Value r) {
  Type type = r.getType();
  switch (op.getWeighting()) {
  case tx::RouteWeighting::one:
    return createFloat(b, loc, type, 1.0);
  case tx::RouteWeighting::score:
    return r;
  case tx::RouteWeighting::sigmoid: {
    Value one = createFloat(b, loc, type, 1.0);
    Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, r));
    return arith::DivFOp::create(b, loc, one,
                                 arith::AddFOp::create(b, loc, one, e));
  }
  case tx::RouteWeighting::tanh: {
    Value alpha = createFloat(b, loc, type, op.getAlpha()->convertToDouble());
    Value beta = createFloat(b, loc, type, op.getBeta()->convertToDouble());
    Value t = math::TanhOp::create(b, loc, r);
    return arith::AddFOp::create(b, loc,
                                 arith::MulFOp::create(b, loc, alpha, t), beta);
  }
  }
  llvm_unreachable("unknown route weighting");
}

/// tx.route -> rank and slot counts, slot inversion, weights.
struct LowerRoute : public OpRewritePattern<tx::RouteOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tx::RouteOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value scores = op.getScores();
    ArrayRef<int64_t> shape = op.getScores().getType().getShape();
    int64_t batch = shape[0], seq = shape[1];
    int64_t capacity = op.getCapacity();
    Type i64 = rewriter.getI64Type();
    Value zero = arith::ConstantIntOp::create(rewriter, loc, i64, 0);
    // The tokens kept at most: capacity, or fewer under a run-time limit.
    Value capacityValue =
        arith::ConstantIntOp::create(rewriter, loc, i64, capacity);
    if (Value limit = op.getLimit())
      capacityValue = arith::MinSIOp::create(
          rewriter, loc, capacityValue,
          arith::IndexCastOp::create(rewriter, loc, i64, limit));
    FloatAttr thresholdAttr = op.getThresholdAttr();
    std::optional<double> threshold;
    if (thresholdAttr)
      threshold = thresholdAttr.getValueAsDouble();
    Type scoreType = op.getScores().getType().getElementType();
    // Whether token s with rank `rank` and score `score` is kept.
    auto isKept = [&](OpBuilder &b, Location l, Value rank, Value score) {
      Value kept = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt,
                                         rank, capacityValue);
      if (!threshold)
        return kept;
      Value t = createFloat(b, l, scoreType, *threshold);
      Value reaches =
          arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGE, score, t);
      return arith::AndIOp::create(b, l, kept, reaches).getResult();
    };
    // Loops (b, x | y) of the pairwise counts and the slot inversion.
    AffineMap bx = getProjection(ctx, 3, {0, 1});
    AffineMap by = getProjection(ctx, 3, {0, 2});
    auto countType = RankedTensorType::get({batch, seq}, i64);

    // rank[b, s] = #{t : score[t] > score[s] or (== and t < s)}.
    auto rank = linalg::GenericOp::create(
        rewriter, loc, countType, ValueRange{scores, scores},
        ValueRange{createFilled(rewriter, loc, {batch, seq}, zero)},
        {bx, by, bx}, getIterators(2, 1),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value mine = args[0], other = args[1];
          Value s = linalg::IndexOp::create(b, l, 1);
          Value t = linalg::IndexOp::create(b, l, 2);
          Value higher = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT,
                                               other, mine);
          Value equal = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ,
                                              other, mine);
          Value before =
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, t, s);
          Value beats = arith::OrIOp::create(
              b, l, higher, arith::AndIOp::create(b, l, equal, before));
          linalg::YieldOp::create(b, l, countIf(b, l, beats, args[2]));
        });

    // slot[b, s] = #{t < s : t is kept}.
    auto slot = linalg::GenericOp::create(
        rewriter, loc, countType, ValueRange{rank.getResult(0), scores},
        ValueRange{createFilled(rewriter, loc, {batch, seq}, zero)},
        {by, by, bx}, getIterators(2, 1),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value s = linalg::IndexOp::create(b, l, 1);
          Value t = linalg::IndexOp::create(b, l, 2);
          Value before =
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, t, s);
          Value kept = isKept(b, l, args[0], args[1]);
          Value keptBefore = arith::AndIOp::create(b, l, before, kept);
          linalg::YieldOp::create(b, l, countIf(b, l, keptBefore, args[2]));
        });

    // indices[b, c] = the kept s with slot[b, s] == c; loops (b, c | s).
    auto indicesType = op.getIndices().getType();
    Type indexElement = indicesType.getElementType();
    Value noIndex = arith::ConstantOp::create(
        rewriter, loc,
        indexElement.isIndex()
            ? TypedAttr(rewriter.getIndexAttr(-1))
            : TypedAttr(rewriter.getIntegerAttr(indexElement, -1)));
    auto indices = linalg::GenericOp::create(
        rewriter, loc, indicesType,
        ValueRange{rank.getResult(0), scores, slot.getResult(0)},
        ValueRange{createFilled(rewriter, loc, {batch, capacity}, noIndex)},
        {by, by, by, bx}, getIterators(2, 1),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value c = arith::IndexCastOp::create(
              b, l, i64, linalg::IndexOp::create(b, l, 1));
          Value s = linalg::IndexOp::create(b, l, 2);
          Value kept = isKept(b, l, args[0], args[1]);
          Value inSlot =
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, args[2], c);
          Value match = arith::AndIOp::create(b, l, kept, inSlot);
          Value sValue = s;
          if (!indexElement.isIndex())
            sValue = arith::IndexCastOp::create(b, l, indexElement, s);
          linalg::YieldOp::create(
              b, l,
              arith::SelectOp::create(b, l, match, sValue, args[3])
                  .getResult());
        });

    // weights[b, c] from score[b, indices[b, c]].
    auto weightsType = op.getWeights().getType();
    AffineMap identity2 = AffineMap::getMultiDimIdentityMap(2, ctx);
    auto weights = linalg::GenericOp::create(
        rewriter, loc, weightsType, ValueRange{indices.getResult(0)},
        ValueRange{createEmpty(rewriter, loc, {batch, capacity},
                               weightsType.getElementType())},
        {identity2, identity2}, getIterators(2),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value bIndex = linalg::IndexOp::create(b, l, 0);
          // An empty slot (-1) reads token 0 and gets weight 0.
          Value s = castToIndex(b, l, args[0]);
          Value zeroIndex = arith::ConstantIndexOp::create(b, l, 0);
          Value empty = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt,
                                              s, zeroIndex);
          Value at = arith::SelectOp::create(b, l, empty, zeroIndex, s);
          Value r =
              tensor::ExtractOp::create(b, l, scores, ValueRange{bIndex, at});
          Value w = castFloat(b, l, buildRouteWeight(b, l, op, r),
                              weightsType.getElementType());
          Value none = createFloat(b, l, weightsType.getElementType(), 0.0);
          linalg::YieldOp::create(
              b, l, arith::SelectOp::create(b, l, empty, none, w).getResult());
        });

    rewriter.replaceOp(op, {indices.getResult(0), weights.getResult(0)});
    return success();
  }
};

/// tx.gather_tokens -> a generic extracting the routed rows.
struct LowerGatherTokens : public OpRewritePattern<tx::GatherTokensOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tx::GatherTokensOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    RankedTensorType type = op.getType();
    Value input = op.getInput();
    auto gather = linalg::GenericOp::create(
        rewriter, loc, type, ValueRange{op.getIndices()},
        ValueRange{
            createEmpty(rewriter, loc, type.getShape(), type.getElementType())},
        {getProjection(ctx, 3, {0, 1}),
         AffineMap::getMultiDimIdentityMap(3, ctx)},
        getIterators(3), [&](OpBuilder &b, Location l, ValueRange args) {
          Value batch = linalg::IndexOp::create(b, l, 0);
          Value token = castToIndex(b, l, args[0]);
          Value zeroIndex = arith::ConstantIndexOp::create(b, l, 0);
          Value empty = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt,
                                              token, zeroIndex);
          Value at = arith::SelectOp::create(b, l, empty, zeroIndex, token);
          Value channel = linalg::IndexOp::create(b, l, 2);
          Value element = tensor::ExtractOp::create(
              b, l, input, ValueRange{batch, at, channel});
          Value zero = createFloat(b, l, type.getElementType(), 0.0);
          linalg::YieldOp::create(
              b, l,
              arith::SelectOp::create(b, l, empty, zero, element).getResult());
        });
    rewriter.replaceOp(op, gather.getResult(0));
    return success();
  }
};

/// tx.scatter_tokens -> the routed source of each row, then the row update.
struct LowerScatterTokens : public OpRewritePattern<tx::ScatterTokensOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tx::ScatterTokensOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    RankedTensorType type = op.getType();
    Type elementType = type.getElementType();
    int64_t batch = type.getDimSize(0), seq = type.getDimSize(1);
    Type i64 = rewriter.getI64Type();

    // source[b, i] = the last j with indices[b, j] == i, or -1; loops
    // (b, i | j).
    Value none = arith::ConstantIntOp::create(rewriter, loc, i64, -1);
    auto source = linalg::GenericOp::create(
        rewriter, loc, RankedTensorType::get({batch, seq}, i64),
        ValueRange{op.getIndices()},
        ValueRange{createFilled(rewriter, loc, {batch, seq}, none)},
        {getProjection(ctx, 3, {0, 2}), getProjection(ctx, 3, {0, 1})},
        getIterators(2, 1), [&](OpBuilder &b, Location l, ValueRange args) {
          Value i = linalg::IndexOp::create(b, l, 1);
          Value j = linalg::IndexOp::create(b, l, 2);
          Value target = castToIndex(b, l, args[0]);
          Value match =
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, target, i);
          Value jValue = arith::IndexCastOp::create(b, l, i64, j);
          linalg::YieldOp::create(
              b, l,
              arith::SelectOp::create(b, l, match, jValue, args[1])
                  .getResult());
        });

    // result[b, i, d]: the residual, or the update of its routed token.
    Value updates = op.getUpdates(), weights = op.getWeights();
    AffineMap identity = AffineMap::getMultiDimIdentityMap(3, ctx);
    auto result = linalg::GenericOp::create(
        rewriter, loc, type, ValueRange{op.getResidual(), source.getResult(0)},
        ValueRange{createEmpty(rewriter, loc, type.getShape(), elementType)},
        {identity, getProjection(ctx, 3, {0, 1}), identity}, getIterators(3),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value residual = args[0], j = args[1];
          Value zero = arith::ConstantIntOp::create(b, l, i64, 0);
          Value routed =
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, j, zero);
          // Unrouted rows read update 0, which the select then ignores.
          Value token =
              castToIndex(b, l, arith::SelectOp::create(b, l, routed, j, zero));
          Value bIndex = linalg::IndexOp::create(b, l, 0);
          Value channel = linalg::IndexOp::create(b, l, 2);
          Value update = tensor::ExtractOp::create(
              b, l, updates, ValueRange{bIndex, token, channel});
          Value updated = update;
          if (weights) {
            Value w = castFloat(b, l,
                                tensor::ExtractOp::create(
                                    b, l, weights, ValueRange{bIndex, token}),
                                elementType);
            Value delta = arith::SubFOp::create(b, l, update, residual);
            updated = arith::AddFOp::create(
                b, l, residual, arith::MulFOp::create(b, l, w, delta));
          }
          linalg::YieldOp::create(
              b, l,
              arith::SelectOp::create(b, l, routed, updated, residual)
                  .getResult());
        });
    rewriter.replaceOp(op, result.getResult(0));
    return success();
  }
};

} // namespace

void txc::cpu::populateRoutingLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerRoute, LowerGatherTokens, LowerScatterTokens>(
      patterns.getContext());
}
