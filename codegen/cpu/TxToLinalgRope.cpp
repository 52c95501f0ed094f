//===- TxToLinalgRope.cpp - rotary position embeddings --------------------===//
//
// Lowering of tx.rope. The R = 2 * cos.shape[-1] rotated channels of the
// input `[B, H, S, D]` are reshaped so that the two channels of each pair
// get their own dimension `t`:
//
//   rotate-half: [B, H, S, 2, R/2]  (channel t * R/2 + i)
//   interleaved: [B, H, S, R/2, 2]  (channel 2 * i + t)
//
// One linalg.generic over that shape then computes
//
//   y[t] = x[t] * cos[i] - x[1 - t] * sin[i]   for t = 0
//   y[t] = x[t] * cos[i] + x[1 - t] * sin[i]   for t = 1
//
// reading the partner channel through the indexing map `t -> 1 - t` and the
// tables through maps that drop the head (and batch) dimension. Tables
// indexed by `positions` are first gathered into per-position rows.
// Channels R .. D-1 pass through: the rotated part is inserted back into the
// input with tensor.insert_slice.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "txc/Dialect/Tx/TxOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace txc;
using namespace txc::cpu;

namespace {

/// tx.rope -> (row gathers,) slice, pair-wise rotation generic, insert.
struct LowerRope : public OpRewritePattern<tx::RopeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tx::RopeOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value input = op.getInput();
    RankedTensorType type = op.getType();
    ArrayRef<int64_t> shape = type.getShape();
    int64_t half = op.getCos().getType().getShape().back();
    int64_t rotary = 2 * half;
    if (rotary == 0) {
      rewriter.replaceOp(op, input);
      return success();
    }

    // Per-position tables: [S, R/2] or [B, S, R/2].
    Value cos = op.getCos(), sin = op.getSin();
    if (Value positions = op.getPositions()) {
      cos = gatherRows(rewriter, loc, cos, positions);
      sin = gatherRows(rewriter, loc, sin, positions);
    }

    // The rotated channels, with the pair member as a dimension of its own.
    SmallVector<OpFoldResult> offsets(4, rewriter.getIndexAttr(0));
    SmallVector<OpFoldResult> strides(4, rewriter.getIndexAttr(1));
    SmallVector<OpFoldResult> sizes =
        getAsIndexOpFoldResult(ctx, {shape[0], shape[1], shape[2], rotary});
    Value rotated = input;
    if (rotary < shape[3])
      rotated = tensor::ExtractSliceOp::create(rewriter, loc, input, offsets,
                                               sizes, strides);
    bool interleaved = op.getInterleaved();
    unsigned pairDim = interleaved ? 4 : 3, freqDim = interleaved ? 3 : 4;
    SmallVector<int64_t> pairShape = {shape[0], shape[1], shape[2], 0, 0};
    pairShape[pairDim] = 2;
    pairShape[freqDim] = half;
    auto pairType = RankedTensorType::get(pairShape, type.getElementType());
    SmallVector<ReassociationIndices> reassociation = {{0}, {1}, {2}, {3, 4}};
    Value pairs = tensor::ExpandShapeOp::create(rewriter, loc, pairType,
                                                rotated, reassociation);

    // Maps: the element, its partner (t -> 1 - t), the tables (no heads).
    AffineMap identity = AffineMap::getMultiDimIdentityMap(5, ctx);
    AffineMap partner = identity.replace(
        getAffineDimExpr(pairDim, ctx),
        getAffineConstantExpr(1, ctx) - getAffineDimExpr(pairDim, ctx),
        /*numResultDims=*/5, /*numResultSyms=*/0);
    AffineMap table = cast<RankedTensorType>(cos.getType()).getRank() == 2
                          ? getProjection(ctx, 5, {2, freqDim})
                          : getProjection(ctx, 5, {0, 2, freqDim});
    Value init = createEmpty(rewriter, loc, pairShape, type.getElementType());
    auto rotation = linalg::GenericOp::create(
        rewriter, loc, pairType, ValueRange{pairs, pairs, cos, sin},
        ValueRange{init}, {identity, partner, table, table, identity},
        getIterators(5), [&](OpBuilder &b, Location l, ValueRange args) {
          Value x = args[0], other = args[1], c = args[2], s = args[3];
          // The first member of a pair subtracts its partner's term.
          Value t = linalg::IndexOp::create(b, l, pairDim);
          Value zero = arith::ConstantIndexOp::create(b, l, 0);
          Value first =
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, t, zero);
          Value negated = arith::NegFOp::create(b, l, other);
          Value signedOther =
              arith::SelectOp::create(b, l, first, negated, other);
          Value xc = arith::MulFOp::create(b, l, x, c);
          Value os = arith::MulFOp::create(b, l, signedOther, s);
          linalg::YieldOp::create(
              b, l, arith::AddFOp::create(b, l, xc, os).getResult());
        });

    Value result = tensor::CollapseShapeOp::create(
        rewriter, loc, rotated.getType(), rotation.getResult(0), reassociation);
    if (rotary < shape[3])
      result = tensor::InsertSliceOp::create(rewriter, loc, result, input,
                                             offsets, sizes, strides);
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void txc::cpu::populateRopeLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerRope>(patterns.getContext());
}
