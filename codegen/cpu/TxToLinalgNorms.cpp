//===- TxToLinalgNorms.cpp - RMSNorm and LayerNorm ------------------------===//
//
// Lowering of tx.rms_norm and tx.layer_norm to linalg.generic ops, following
// the formulas of the op descriptions over the last dimension D:
//
//   rms_norm:   y = x / sqrt(sum(x^2) / D + eps) * w
//   layer_norm: m = sum(x) / D,  v = sum((x - m)^2) / D,
//               y = (x - m) / sqrt(v + eps) * w (+ b)
//
// Each sum is one reduction generic into a zero-filled tensor of the leading
// dimensions; one elementwise generic then normalizes, reading the row
// statistics, the weight and the bias through broadcasting maps. Everything
// is computed in the input's element type.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "txc/Dialect/Tx/TxOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <tuple>

using namespace mlir;
using namespace txc;
using namespace txc::cpu;

namespace {

/// Computes `term(x, row)` for every element of `x` and sums it over the last
/// dimension; `row` is the element of the optional `rows` tensor (one value
/// per row of `x`, i.e. of the leading dimensions) for that row.
static Value
sumOverLastDim(OpBuilder &b, Location loc, Value x, Value rows,
               function_ref<Value(OpBuilder &, Location, Value, Value)> term) {
  auto type = cast<RankedTensorType>(x.getType());
  unsigned rank = type.getRank();
  Type elementType = type.getElementType();
  MLIRContext *ctx = b.getContext();

  SmallVector<Value> inputs = {x};
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx)};
  if (rows) {
    inputs.push_back(rows);
    maps.push_back(getDropLastMap(ctx, rank));
  }
  maps.push_back(getDropLastMap(ctx, rank));
  Value init = createFilled(b, loc, type.getShape().drop_back(),
                            createFloat(b, loc, elementType, 0.0));

  auto sum = linalg::GenericOp::create(
      b, loc, init.getType(), inputs, ValueRange{init}, maps,
      getIterators(rank - 1, 1),
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value value = term(nb, nloc, args[0], rows ? args[1] : Value());
        Value acc = arith::AddFOp::create(nb, nloc, args.back(), value);
        linalg::YieldOp::create(nb, nloc, acc);
      });
  return sum.getResult(0);
}

/// Builds the elementwise generic producing the normalized result: `body`
/// receives the element of `x`, one value per tensor of `rowStats` (per row),
/// and one per tensor of `channelParams` (per element of the last dimension),
/// in that order.
static Value
normalize(OpBuilder &b, Location loc, Value x, ValueRange rowStats,
          ValueRange channelParams,
          function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  auto type = cast<RankedTensorType>(x.getType());
  unsigned rank = type.getRank();
  MLIRContext *ctx = b.getContext();

  SmallVector<Value> inputs = {x};
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx)};
  for (Value stat : rowStats) {
    inputs.push_back(stat);
    maps.push_back(getDropLastMap(ctx, rank));
  }
  for (Value param : channelParams) {
    inputs.push_back(param);
    maps.push_back(getLastDimMap(ctx, rank));
  }
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
  Value init = createEmpty(b, loc, type.getShape(), type.getElementType());

  auto result = linalg::GenericOp::create(
      b, loc, type, inputs, ValueRange{init}, maps, getIterators(rank),
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        linalg::YieldOp::create(nb, nloc, body(nb, nloc, args.drop_back()));
      });
  return result.getResult(0);
}

/// `sqrt(sum / D + eps)`. The norms divide by it, as the op descriptions
/// write the formulas, rather than multiplying by a reciprocal square root.
static Value rootMeanPlusEps(OpBuilder &b, Location loc, Value sum, Value d,
                             Value eps) {
  Value mean = arith::DivFOp::create(b, loc, sum, d);
  Value shifted = arith::AddFOp::create(b, loc, mean, eps);
  return math::SqrtOp::create(b, loc, shifted);
}

/// The normalized size D and epsilon of a norm op, as constants of its
/// element type.
template <typename NormOp>
std::pair<Value, Value> normConstants(PatternRewriter &rewriter, NormOp op) {
  RankedTensorType type = op.getType();
  Type elementType = type.getElementType();
  Location loc = op.getLoc();
  return {createFloat(rewriter, loc, elementType, type.getShape().back()),
          createFloat(rewriter, loc, elementType,
                      op.getEpsilon().convertToDouble())};
}

/// tx.rms_norm -> sum of squares + normalization.
struct LowerRMSNorm : public OpRewritePattern<tx::RMSNormOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tx::RMSNormOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value d, eps;
    std::tie(d, eps) = normConstants(rewriter, op);

    Value sumSq =
        sumOverLastDim(rewriter, loc, op.getInput(), Value(),
                       [](OpBuilder &b, Location l, Value x, Value) -> Value {
                         return arith::MulFOp::create(b, l, x, x);
                       });
    Value result =
        normalize(rewriter, loc, op.getInput(), sumSq, op.getWeight(),
                  [&](OpBuilder &b, Location l, ValueRange args) -> Value {
                    Value x = args[0], ss = args[1], w = args[2];
                    Value rms = rootMeanPlusEps(b, l, ss, d, eps);
                    Value normed = arith::DivFOp::create(b, l, x, rms);
                    return arith::MulFOp::create(b, l, normed, w);
                  });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// tx.layer_norm -> sum, centered sum of squares + normalization.
struct LowerLayerNorm : public OpRewritePattern<tx::LayerNormOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tx::LayerNormOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value d, eps;
    std::tie(d, eps) = normConstants(rewriter, op);
    Value x = op.getInput();

    Value sum =
        sumOverLastDim(rewriter, loc, x, Value(),
                       [](OpBuilder &, Location, Value x, Value) { return x; });
    auto centered = [&](OpBuilder &b, Location l, Value x, Value sum) {
      Value mean = arith::DivFOp::create(b, l, sum, d);
      return arith::SubFOp::create(b, l, x, mean).getResult();
    };
    Value sumSq = sumOverLastDim(
        rewriter, loc, x, sum,
        [&](OpBuilder &b, Location l, Value x, Value sum) -> Value {
          Value c = centered(b, l, x, sum);
          return arith::MulFOp::create(b, l, c, c);
        });

    SmallVector<Value> params = {op.getWeight()};
    if (Value bias = op.getBias())
      params.push_back(bias);
    Value result =
        normalize(rewriter, loc, x, ValueRange{sum, sumSq}, params,
                  [&](OpBuilder &b, Location l, ValueRange args) -> Value {
                    Value c = centered(b, l, args[0], args[1]);
                    Value std = rootMeanPlusEps(b, l, args[2], d, eps);
                    Value normed = arith::DivFOp::create(b, l, c, std);
                    Value scaled = arith::MulFOp::create(b, l, normed, args[3]);
                    if (args.size() == 4)
                      return scaled;
                    return arith::AddFOp::create(b, l, scaled, args[4]);
                  });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void txc::cpu::populateNormLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerRMSNorm, LowerLayerNorm>(patterns.getContext());
}
