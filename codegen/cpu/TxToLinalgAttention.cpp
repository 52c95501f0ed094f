//===- TxToLinalgAttention.cpp - scaled dot-product attention -------------===//
//
// Lowering of tx.attention with mask kinds none, causal and sliding_window
// (and any explicit mask). Grouped-query attention is expressed by splitting
// the query heads H into [Hkv, G] (G = H / Hkv), so that query head
// h = k * G + g reads KV head k = h / G through plain projections; every
// step below is a linalg.generic over the loops (b, k, g, i, j) of the
// scores [B, Hkv, G, Sq, Sk]:
//
//   1. s = Q K^T (reduction over D);
//   2. s = scale * s (+ float mask), then -inf where the structured mask or
//      an i1 mask hides key j from query i (query i sits at position
//      p(i) = Sk - Sq + i);
//   3. m = max_j s;  e = exp(s - m), or 0 for a row whose m is -inf;
//   4. l = sum_j e;  o = (e V) / l, or 0 for a row with l = 0.
//
// A query that sees no key therefore yields zeros, as the op specifies,
// instead of the NaNs a plain softmax would give. The result [B, Hkv, G,
// Sq, Dv] is collapsed back to [B, H, Sq, Dv].
//
// f32 attention instead becomes txcpu.attention, the runtime's flash-style
// kernel (unless tx-lower-to-linalg's attention-kernel option is off); the
// linalg lowering above remains for other element types.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "txc/Codegen/TxCpuOps.h"
#include "txc/Dialect/Tx/TxOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace txc;
using namespace txc::cpu;

namespace {

/// Number of loops of the grouped score nest (b, k, g, i, j).
constexpr unsigned kScoreLoops = 5;

/// Makes the explicit mask (`[B|1, H|1, Sq|1, Sk]`) readable in the score
/// nest: size-1 (broadcast) dimensions are collapsed away and a full head
/// dimension is split into [Hkv, G]. Returns the reshaped mask and its
/// indexing map.
static std::pair<Value, AffineMap> groupMask(OpBuilder &b, Location loc,
                                             Value mask, int64_t kvHeads,
                                             int64_t group) {
  auto type = cast<RankedTensorType>(mask.getType());
  ArrayRef<int64_t> shape = type.getShape();

  // Merge each broadcast dimension into the next kept one; the key dimension
  // (last) is always kept.
  SmallVector<ReassociationIndices> collapse;
  ReassociationIndices pending;
  SmallVector<int64_t> kept;
  for (int64_t d = 0; d < 4; ++d) {
    pending.push_back(d);
    if (d == 3 || shape[d] != 1) {
      collapse.push_back(pending);
      pending.clear();
      kept.push_back(d);
    }
  }
  Value grouped = mask;
  if (kept.size() < 4)
    grouped = tensor::CollapseShapeOp::create(b, loc, mask, collapse);

  // Mask dimension -> loops: batch -> b, heads -> (k, g), queries -> i,
  // keys -> j.
  SmallVector<ReassociationIndices> expand;
  SmallVector<int64_t> groupedShape;
  SmallVector<unsigned> loops;
  bool splitHeads = false;
  for (int64_t d : kept) {
    int64_t next = groupedShape.size();
    if (d == 1) {
      splitHeads = true;
      expand.push_back({next, next + 1});
      groupedShape.append({kvHeads, group});
      loops.append({1, 2});
      continue;
    }
    expand.push_back({next});
    groupedShape.push_back(shape[d]);
    loops.push_back(d == 0 ? 0 : d + 1);
  }
  if (splitHeads)
    grouped = tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get(groupedShape, type.getElementType()),
        grouped, expand);
  return {grouped, getProjection(b.getContext(), kScoreLoops, loops)};
}

/// Returns the i1 "key j is visible from query i" of the structured mask
/// kinds causal and sliding_window, built inside a score-nest body.
static Value buildStructuredVisibility(OpBuilder &b, Location loc,
                                       tx::AttentionOp op,
                                       int64_t queryOffset) {
  Value i = linalg::IndexOp::create(b, loc, 3);
  Value j = linalg::IndexOp::create(b, loc, 4);
  Value offset = arith::ConstantIndexOp::create(b, loc, queryOffset);
  Value position = arith::AddIOp::create(b, loc, i, offset);
  Value visible =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle, j, position);
  if (op.getMask() != tx::MaskKind::sliding_window)
    return visible;

  Value distance = arith::SubIOp::create(b, loc, position, j);
  Value window = arith::ConstantIndexOp::create(b, loc, *op.getWindow());
  Value inWindow = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                         distance, window);
  if (std::optional<int64_t> sinks = op.getSinks()) {
    Value numSinks = arith::ConstantIndexOp::create(b, loc, *sinks);
    Value isSink =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, j, numSinks);
    inWindow = arith::OrIOp::create(b, loc, inWindow, isSink);
  }
  return arith::AndIOp::create(b, loc, visible, inWindow);
}

/// tx.attention -> QK^T, mask, safe softmax, PV (see the file comment).
struct LowerAttention : public OpRewritePattern<tx::AttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tx::AttentionOp op,
                                PatternRewriter &rewriter) const override {
    if (!tx::isPositionalMask(op.getMask()))
      return rewriter.notifyMatchFailure(op, "unsupported mask kind");
    if (op.getKvLength())
      return rewriter.notifyMatchFailure(op, "kv_length needs the kernel");

    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    ArrayRef<int64_t> qShape = op.getQuery().getType().getShape();
    ArrayRef<int64_t> vShape = op.getValue().getType().getShape();
    int64_t batch = qShape[0], heads = qShape[1], queries = qShape[2],
            headDim = qShape[3];
    int64_t kvHeads = op.getKey().getType().getDimSize(1);
    int64_t keys = op.getKey().getType().getDimSize(2);
    int64_t valueDim = vShape[3];
    int64_t group = heads / kvHeads;
    Type elementType = op.getType().getElementType();

    auto identity = AffineMap::getMultiDimIdentityMap(kScoreLoops, ctx);
    AffineMap rows = getDropLastMap(ctx, kScoreLoops);
    Value zero = createFloat(rewriter, loc, elementType, 0.0);
    Value negInf = createNegInfinity(rewriter, loc, elementType);
    SmallVector<int64_t> scoreShape = {batch, kvHeads, group, queries, keys};
    SmallVector<int64_t> rowShape = {batch, kvHeads, group, queries};
    auto scoreType = RankedTensorType::get(scoreShape, elementType);

    // Query heads grouped by the KV head they read: [B, Hkv, G, Sq, D].
    SmallVector<ReassociationIndices> headSplit = {{0}, {1, 2}, {3}, {4}};
    Value query = tensor::ExpandShapeOp::create(
        rewriter, loc,
        RankedTensorType::get({batch, kvHeads, group, queries, headDim},
                              elementType),
        op.getQuery(), headSplit);

    // 1. s = Q K^T, loops (b, k, g, i, j | d).
    auto scores = linalg::GenericOp::create(
        rewriter, loc, scoreType, ValueRange{query, op.getKey()},
        ValueRange{createFilled(rewriter, loc, scoreShape, zero)},
        {getProjection(ctx, 6, {0, 1, 2, 3, 5}),
         getProjection(ctx, 6, {0, 1, 4, 5}),
         getProjection(ctx, 6, {0, 1, 2, 3, 4})},
        getIterators(5, 1), [](OpBuilder &b, Location l, ValueRange args) {
          Value product = arith::MulFOp::create(b, l, args[0], args[1]);
          linalg::YieldOp::create(
              b, l, arith::AddFOp::create(b, l, args[2], product).getResult());
        });

    // 2. Scale, add a float mask, hide invisible keys.
    SmallVector<Value> maskInputs = {scores.getResult(0)};
    SmallVector<AffineMap> maskMaps = {identity};
    Value explicitMask = op.getExplicitMask();
    if (explicitMask) {
      auto [grouped, map] =
          groupMask(rewriter, loc, explicitMask, kvHeads, group);
      maskInputs.push_back(grouped);
      maskMaps.push_back(map);
    }
    maskMaps.push_back(identity);
    Value scale =
        createFloat(rewriter, loc, elementType, op.getEffectiveScale());
    auto masked = linalg::GenericOp::create(
        rewriter, loc, scoreType, maskInputs,
        ValueRange{createEmpty(rewriter, loc, scoreShape, elementType)},
        maskMaps, getIterators(kScoreLoops),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value score = arith::MulFOp::create(b, l, args[0], scale);
          Value visible;
          if (explicitMask) {
            Value m = args[1];
            if (m.getType().isInteger(1))
              visible = m;
            else
              score = arith::AddFOp::create(b, l, score,
                                            castFloat(b, l, m, elementType));
          }
          if (op.getMask() != tx::MaskKind::none) {
            Value structured =
                buildStructuredVisibility(b, l, op, keys - queries);
            visible = visible ? arith::AndIOp::create(b, l, visible, structured)
                                    .getResult()
                              : structured;
          }
          if (visible)
            score = arith::SelectOp::create(b, l, visible, score, negInf);
          linalg::YieldOp::create(b, l, score);
        });

    // 3. Row maximum and shifted exponentials, 0 for fully masked rows.
    auto rowMax = linalg::GenericOp::create(
        rewriter, loc, RankedTensorType::get(rowShape, elementType),
        ValueRange{masked.getResult(0)},
        ValueRange{createFilled(rewriter, loc, rowShape, negInf)},
        {identity, rows}, getIterators(4, 1),
        [](OpBuilder &b, Location l, ValueRange args) {
          linalg::YieldOp::create(
              b, l,
              arith::MaximumFOp::create(b, l, args[0], args[1]).getResult());
        });
    auto weights = linalg::GenericOp::create(
        rewriter, loc, scoreType,
        ValueRange{masked.getResult(0), rowMax.getResult(0)},
        ValueRange{createEmpty(rewriter, loc, scoreShape, elementType)},
        {identity, rows, identity}, getIterators(kScoreLoops),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value shifted = arith::SubFOp::create(b, l, args[0], args[1]);
          Value e = math::ExpOp::create(b, l, shifted);
          Value empty = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ,
                                              args[1], negInf);
          linalg::YieldOp::create(
              b, l, arith::SelectOp::create(b, l, empty, zero, e).getResult());
        });

    // 4. Row sums, e V (loops (b, k, g, i, dv | j)), normalization.
    auto rowSum = linalg::GenericOp::create(
        rewriter, loc, RankedTensorType::get(rowShape, elementType),
        ValueRange{weights.getResult(0)},
        ValueRange{createFilled(rewriter, loc, rowShape, zero)},
        {identity, rows}, getIterators(4, 1),
        [](OpBuilder &b, Location l, ValueRange args) {
          linalg::YieldOp::create(
              b, l, arith::AddFOp::create(b, l, args[1], args[0]).getResult());
        });
    SmallVector<int64_t> outShape = {batch, kvHeads, group, queries, valueDim};
    auto outType = RankedTensorType::get(outShape, elementType);
    auto weighted = linalg::GenericOp::create(
        rewriter, loc, outType, ValueRange{weights.getResult(0), op.getValue()},
        ValueRange{createFilled(rewriter, loc, outShape, zero)},
        {getProjection(ctx, 6, {0, 1, 2, 3, 5}),
         getProjection(ctx, 6, {0, 1, 5, 4}),
         getProjection(ctx, 6, {0, 1, 2, 3, 4})},
        getIterators(5, 1), [](OpBuilder &b, Location l, ValueRange args) {
          Value product = arith::MulFOp::create(b, l, args[0], args[1]);
          linalg::YieldOp::create(
              b, l, arith::AddFOp::create(b, l, args[2], product).getResult());
        });
    auto normalized = linalg::GenericOp::create(
        rewriter, loc, outType,
        ValueRange{weighted.getResult(0), rowSum.getResult(0)},
        ValueRange{createEmpty(rewriter, loc, outShape, elementType)},
        {identity, rows, identity}, getIterators(kScoreLoops),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value out = arith::DivFOp::create(b, l, args[0], args[1]);
          Value any = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT,
                                            args[1], zero);
          linalg::YieldOp::create(
              b, l, arith::SelectOp::create(b, l, any, out, zero).getResult());
        });

    rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(
        op, op.getType(), normalized.getResult(0), headSplit);
    return success();
  }
};

/// f32 tx.attention -> txcpu.attention, which bufferizes and becomes a call
/// of the runtime's attention kernel (tx-attention-to-kernels). A float mask
/// of another width is converted to f32 first. Preferred over
/// LowerAttention where both apply.
struct LowerAttentionToKernel : public OpRewritePattern<tx::AttentionOp> {
  explicit LowerAttentionToKernel(MLIRContext *ctx)
      : OpRewritePattern(ctx, /*benefit=*/2) {}

  LogicalResult matchAndRewrite(tx::AttentionOp op,
                                PatternRewriter &rewriter) const override {
    if (!tx::isPositionalMask(op.getMask()))
      return rewriter.notifyMatchFailure(op, "no kernel for the mask kind");
    for (Value v : {op.getQuery(), op.getKey(), op.getValue(), op.getResult()})
      if (!cast<RankedTensorType>(v.getType()).getElementType().isF32())
        return rewriter.notifyMatchFailure(op, "the kernel is f32 only");

    Location loc = op.getLoc();
    Type f32 = rewriter.getF32Type();
    Value mask = op.getExplicitMask();
    if (mask) {
      auto type = cast<RankedTensorType>(mask.getType());
      auto floatType = dyn_cast<FloatType>(type.getElementType());
      if (floatType && !floatType.isF32()) {
        auto converted = type.clone(f32);
        mask = floatType.getWidth() < 32
                   ? arith::ExtFOp::create(rewriter, loc, converted, mask)
                         .getResult()
                   : arith::TruncFOp::create(rewriter, loc, converted, mask)
                         .getResult();
      }
    }
    Value init =
        tensor::EmptyOp::create(rewriter, loc, op.getType().getShape(), f32);
    rewriter.replaceOpWithNewOp<txcpu::AttentionOp>(
        op, op.getType(), op.getQuery(), op.getKey(), op.getValue(), mask,
        op.getKvLength(), /*block_table=*/Value(), init, op.getMaskAttr(),
        rewriter.getF64FloatAttr(op.getEffectiveScale()), op.getWindowAttr(),
        op.getSinksAttr(), /*block_size=*/IntegerAttr(),
        /*kv_format=*/IntegerAttr());
    return success();
  }
};

} // namespace

void txc::cpu::populateAttentionLoweringPatterns(RewritePatternSet &patterns,
                                                 bool useKernel) {
  patterns.add<LowerAttention>(patterns.getContext());
  if (useKernel)
    patterns.add<LowerAttentionToKernel>(patterns.getContext());
}
