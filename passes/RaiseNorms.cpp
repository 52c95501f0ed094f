//===- RaiseNorms.cpp - RMSNorm / LayerNorm decompositions to tx ops ------===//
//
// Raises the elementwise decompositions of RMSNorm and LayerNorm over the last
// dimension to tx.rms_norm and tx.layer_norm.
//
// The core pattern matches the normalization `y * rsqrt(mean(y^2) + eps)`, in
// any of the forms exporters emit (`y / sqrt(..)`, `y * (1 / sqrt(..))`,
// `y * rsqrt(..)`, `y * pow(.., -0.5)`; the square as `pow(y, 2)` or
// `y * y`; the mean as a linalg.reduce sum divided by D or multiplied by
// 1/D), and raises it with a weight of ones: to tx.layer_norm when
// `y = x - mean(x)`, to tx.rms_norm otherwise. Two more patterns then fold a
// following multiply by a `[D]`-broadcast weight, and for tx.layer_norm an
// add of a `[D]`-broadcast bias, into the op. Raising the core first and
// folding the affine part afterwards makes the result independent of the
// order in which ops are visited and covers norms without a weight.
//
// Every op of a matched decomposition has one element type: casts
// (arith.extf / arith.truncf) end a match and stay where they are. An fp16
// model computing the norm in fp32 (`w * truncf(n(extf(x)))`, as Hugging
// Face's LlamaRMSNorm does) thus raises to an fp32 tx.rms_norm of the
// extended input between the casts, and the fp16 weight multiply after the
// truncation stays a separate multiply.
//
//===----------------------------------------------------------------------===//

#include "RaiseUtils.h"
#include "txc/Dialect/Tx/TxOps.h"
#include "txc/Passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>
#include <string>

namespace txc {
#define GEN_PASS_DEF_RAISENORMSPASS
#include "txc/Passes/Passes.h.inc"
} // namespace txc

using namespace mlir;
using namespace txc;
using namespace txc::raise;

namespace {

//===----------------------------------------------------------------------===//
// Matching the normalization
//===----------------------------------------------------------------------===//

/// A matched normalization: `input` divided by the root mean square over its
/// last dimension (after subtracting its mean when `centered`).
struct NormMatch {
  Value input;
  APFloat epsilon = APFloat(0.0);
  bool centered = false;
};

/// A mean over the last dimension found under a trace: `sum(v) / divisor`.
struct MeanMatch {
  linalg::ReduceOp reduce;
  /// The reduction's result as seen from the root.
  Traced sum;
  /// The splat divisor (or reciprocal, when `reciprocal`).
  Value divisor;
  bool reciprocal = false;
};

/// True for a linalg.reduce summing one input into a zero-filled init.
static bool isSum(linalg::ReduceOp reduce) {
  if (reduce.getInputs().size() != 1 || reduce.getInits().size() != 1)
    return false;
  Block &body = reduce.getCombiner().front();
  if (body.getNumArguments() != 2 ||
      !llvm::hasSingleElement(body.without_terminator()))
    return false;
  auto add = dyn_cast<arith::AddFOp>(body.front());
  auto yield = dyn_cast<linalg::YieldOp>(body.getTerminator());
  if (!add || !yield || yield.getNumOperands() != 1 ||
      yield.getOperand(0) != add.getResult())
    return false;
  Value a = body.getArgument(0), b = body.getArgument(1);
  if (!((add.getLhs() == a && add.getRhs() == b) ||
        (add.getLhs() == b && add.getRhs() == a)))
    return false;
  Value init = reduce.getInits()[0];
  if (auto fill = init.getDefiningOp<linalg::FillOp>())
    return matchPattern(fill.getInputs()[0], m_AnyZeroFloat());
  return matchPattern(init, m_AnyZeroFloat());
}

/// Finds `sum(v) / c` or `sum(v) * c` (c a splat) under `t`, with the sum
/// reached through broadcasts and unit reshapes; does not check the axis or
/// the divisor.
static std::optional<MeanMatch> findMean(const Traced &t) {
  Operation *def = t.value.getDefiningOp();
  if (!isa_and_nonnull<arith::DivFOp, arith::MulFOp>(def) ||
      !isSameShapeElementwise(def))
    return std::nullopt;
  for (unsigned i = 0; i < 2; ++i) {
    // A division's sum is its dividend.
    if (isa<arith::DivFOp>(def) && i == 1)
      break;
    Traced sum = traceOperand(def->getOperand(i), t);
    auto reduce = sum.value.getDefiningOp<linalg::ReduceOp>();
    if (!reduce)
      continue;
    return MeanMatch{reduce, sum, def->getOperand(1 - i),
                     isa<arith::MulFOp>(def)};
  }
  return std::nullopt;
}

/// Matches the normalization computed by a mulf or divf. When `whyNot` is
/// given and the op computes `y * f(mean(..))` with f an inverse square root
/// but cannot be raised, sets it to the reason.
class NormMatcher {
public:
  explicit NormMatcher(std::string *whyNot = nullptr) : whyNot(whyNot) {}

  FailureOr<NormMatch> match(Operation *op) {
    if (!isSameShapeElementwise(op))
      return failure();
    auto type = cast<RankedTensorType>(op->getResult(0).getType());
    if (!isa<FloatType>(type.getElementType()) || type.getRank() < 1)
      return failure();
    Traced root = traceBroadcast(op->getResult(0));

    // y / sqrt(s), y * (1 / sqrt(s)), y * rsqrt(s) or y * pow(s, -0.5).
    for (unsigned i = 0; i < 2; ++i) {
      Value y = op->getOperand(i), factor = op->getOperand(1 - i);
      Traced f = traceOperand(factor, root);
      std::optional<Traced> arg;
      if (isa<arith::DivFOp>(op)) {
        if (i == 1)
          break;
        arg = sqrtArgument(f);
      } else {
        arg = inverseSqrtArgument(f);
      }
      if (!arg)
        continue;
      FailureOr<NormMatch> match = matchStatistics(y, *arg, type);
      if (succeeded(match))
        return match;
    }
    return failure();
  }

private:
  /// Records the reason of a near miss and fails.
  LogicalResult fail(const Twine &reason) {
    if (whyNot)
      *whyNot = reason.str();
    return failure();
  }

  /// `s` when `t` is `sqrt(s)`.
  static std::optional<Traced> sqrtArgument(const Traced &t) {
    auto sqrt = t.value.getDefiningOp<math::SqrtOp>();
    if (!sqrt || !isSameShapeElementwise(sqrt))
      return std::nullopt;
    return traceOperand(sqrt.getOperand(), t);
  }

  /// `s` when `t` is `rsqrt(s)`, `1 / sqrt(s)` or `pow(s, -0.5)`.
  static std::optional<Traced> inverseSqrtArgument(const Traced &t) {
    Operation *def = t.value.getDefiningOp();
    if (!def || !isSameShapeElementwise(def))
      return std::nullopt;
    if (auto rsqrt = dyn_cast<math::RsqrtOp>(def))
      return traceOperand(rsqrt.getOperand(), t);
    if (auto div = dyn_cast<arith::DivFOp>(def)) {
      if (!isSplatNear(div.getLhs(), 1.0))
        return std::nullopt;
      return sqrtArgument(traceOperand(div.getRhs(), t));
    }
    if (auto pow = dyn_cast<math::PowFOp>(def)) {
      if (!isSplatNear(pow.getRhs(), -0.5))
        return std::nullopt;
      return traceOperand(pow.getLhs(), t);
    }
    return std::nullopt;
  }

  /// Matches `s = mean(y^2) + eps` (or `mean(y^2)`, eps = 0) for the
  /// normalized value `y`, then whether `y` is centered.
  FailureOr<NormMatch> matchStatistics(Value y, const Traced &s,
                                       RankedTensorType type) {
    NormMatch result;
    std::optional<MeanMatch> mean = findMean(s);
    Value eps;
    if (!mean) {
      auto add = s.value.getDefiningOp<arith::AddFOp>();
      if (!add || !isSameShapeElementwise(add))
        return failure();
      for (unsigned i = 0; i < 2 && !mean; ++i) {
        mean = findMean(traceOperand(add->getOperand(i), s));
        eps = add->getOperand(1 - i);
      }
      if (!mean)
        return failure();
    }
    // From here on the op looks like a norm: explain failures.
    armed = true;
    if (eps) {
      std::optional<APFloat> value = getSplatFloat(eps);
      if (!value)
        return fail("epsilon is not a splat constant");
      result.epsilon = *value;
      if (result.epsilon.isNegative() || !result.epsilon.isFinite())
        return fail("epsilon is negative or not finite");
    } else {
      result.epsilon = APFloat::getZero(
          cast<FloatType>(type.getElementType()).getFloatSemantics());
    }
    if (failed(checkMean(*mean, type)))
      return failure();

    // The square of y.
    Value squared = mean->reduce.getInputs()[0];
    Operation *sq = squared.getDefiningOp();
    Value base;
    if (auto pow = dyn_cast_or_null<math::PowFOp>(sq)) {
      if (isSplatNear(pow.getRhs(), 2.0))
        base = pow.getLhs();
    } else if (auto mul = dyn_cast_or_null<arith::MulFOp>(sq)) {
      if (isEquivalent(mul.getLhs(), mul.getRhs()))
        base = mul.getLhs();
    }
    if (!base)
      return fail("the reduced value is not a square");
    if (!isEquivalent(base, y))
      return fail("the squared value is not the normalized value");

    result.input = y;
    if (auto sub = y.getDefiningOp<arith::SubFOp>();
        sub && isSameShapeElementwise(sub)) {
      std::optional<MeanMatch> center = findMean(traceBroadcast(sub.getRhs()));
      if (center && succeeded(NormMatcher().checkMean(*center, type)) &&
          isEquivalent(center->reduce.getInputs()[0], sub.getLhs())) {
        result.input = sub.getLhs();
        result.centered = true;
      }
    }
    return result;
  }

  /// Checks that `mean` averages a tensor of `type` over its last dimension
  /// and is broadcast back along that dimension only.
  LogicalResult checkMean(const MeanMatch &mean, RankedTensorType type) {
    linalg::ReduceOp reduce = mean.reduce;
    if (!isSum(reduce))
      return fail("the reduction is not a sum");
    auto inputType = cast<RankedTensorType>(reduce.getInputs()[0].getType());
    if (inputType.getShape() != type.getShape())
      return fail("the reduced tensor does not have the normalized shape");
    if (reduce.getDimensions() != ArrayRef<int64_t>{type.getRank() - 1})
      return fail("the reduction is not over the last dimension only");
    // Reduction result dimension i is input dimension i; broadcasting must
    // put it back there.
    for (int64_t i = 0, e = mean.sum.rank(); i < e; ++i)
      if (mean.sum.size(i) != 1 && mean.sum.dims[i] != i)
        return fail("the statistics are not broadcast along the last "
                    "dimension");
    int64_t d = type.getShape().back();
    if (ShapedType::isDynamic(d))
      return fail("the last dimension is dynamic");
    if (!mean.reciprocal && !isSplatNear(mean.divisor, static_cast<double>(d)))
      return fail("the sum is not divided by the size of the last dimension (" +
                  Twine(d) + ")");
    if (mean.reciprocal && !isSplatNear(mean.divisor, 1.0 / d))
      return fail("the sum is not multiplied by 1/" + Twine(d));
    return success();
  }

  std::string *whyNot;
  /// Whether the op was recognized as a normalization (failures explain).
  bool armed = false;
};

/// The `[D]` value that `t` broadcasts along the last dimension of its root
/// (of type `rootType`), reshaped to `[D]` if needed; null if `t` is not such
/// a broadcast.
static Value getVectorValue(PatternRewriter &rewriter, Location loc,
                            const Traced &t, RankedTensorType rootType) {
  int64_t d = rootType.getShape().back();
  Type elementType = rootType.getElementType();
  auto type = cast<RankedTensorType>(t.value.getType());
  if (ShapedType::isDynamic(d) || d == 1 || !type.hasStaticShape() ||
      type.getNumElements() != d || type.getElementType() != elementType ||
      t.nonUnitRootDims() != SmallVector<int64_t>{rootType.getRank() - 1})
    return {};
  auto vectorType = RankedTensorType::get({d}, elementType);
  if (type == vectorType)
    return t.value;
  if (DenseElementsAttr attr = getConstant(t.value))
    return arith::ConstantOp::create(rewriter, loc, attr.reshape(vectorType));
  return reshapeUnitDims(rewriter, loc, t.value, vectorType);
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

/// Raises the normalization `y * rsqrt(mean(y^2) + eps)` (OpTy: arith.mulf
/// or arith.divf) to tx.rms_norm, or tx.layer_norm when y = x - mean(x),
/// with a weight of ones.
template <typename OpTy> struct RaiseNormalization : OpRewritePattern<OpTy> {
  RaiseNormalization(MLIRContext *context, Pass::Statistic &rmsNorms,
                     Pass::Statistic &layerNorms)
      : OpRewritePattern<OpTy>(context), rmsNorms(rmsNorms),
        layerNorms(layerNorms) {}

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    FailureOr<NormMatch> match = NormMatcher().match(op);
    if (failed(match))
      return rewriter.notifyMatchFailure(op, "not a normalization");
    auto type = cast<RankedTensorType>(op.getType());
    auto weightType =
        RankedTensorType::get({type.getShape().back()}, type.getElementType());
    Value ones = arith::ConstantOp::create(
        rewriter, op.getLoc(),
        DenseElementsAttr::get(
            weightType, rewriter.getFloatAttr(type.getElementType(), 1.0)));
    FloatAttr epsilon =
        rewriter.getF64FloatAttr(toShortestDouble(match->epsilon));
    if (match->centered) {
      rewriter.replaceOpWithNewOp<tx::LayerNormOp>(op, type, match->input, ones,
                                                   /*bias=*/Value(), epsilon);
      ++layerNorms;
    } else {
      rewriter.replaceOpWithNewOp<tx::RMSNormOp>(op, type, match->input, ones,
                                                 epsilon);
      ++rmsNorms;
    }
    return success();
  }

  Pass::Statistic &rmsNorms;
  Pass::Statistic &layerNorms;
};

/// The norm op defining `v` if it has no other use and a weight of ones (and,
/// for tx.layer_norm, no bias), so that a weight can be folded into it.
static Operation *getUnweightedNorm(Value v) {
  Operation *def = v.getDefiningOp();
  if (!isa_and_nonnull<tx::RMSNormOp, tx::LayerNormOp>(def) || !v.hasOneUse())
    return nullptr;
  if (auto ln = dyn_cast<tx::LayerNormOp>(def); ln && ln.getBias())
    return nullptr;
  std::optional<double> weight = getSplatValue(def->getOperand(1));
  return weight && *weight == 1.0 ? def : nullptr;
}

/// `norm(x, ones) * broadcast(w)` -> `norm(x, w)` for a `[D]` value w.
struct FoldNormWeight : OpRewritePattern<arith::MulFOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(arith::MulFOp op,
                                PatternRewriter &rewriter) const override {
    auto type = dyn_cast<RankedTensorType>(op.getType());
    if (!type || !isSameShapeElementwise(op))
      return failure();
    for (unsigned i = 0; i < 2; ++i) {
      Operation *norm = getUnweightedNorm(op->getOperand(i));
      if (!norm)
        continue;
      Traced w = traceBroadcast(op->getOperand(1 - i));
      Value weight = getVectorValue(rewriter, op.getLoc(), w, type);
      if (!weight)
        continue;
      // The new op goes where the multiply is, which the weight dominates.
      if (auto ln = dyn_cast<tx::LayerNormOp>(norm))
        rewriter.replaceOpWithNewOp<tx::LayerNormOp>(op, type, ln.getInput(),
                                                     weight, /*bias=*/Value(),
                                                     ln.getEpsilonAttr());
      else
        rewriter.replaceOpWithNewOp<tx::RMSNormOp>(
            op, type, norm->getOperand(0), weight,
            cast<tx::RMSNormOp>(norm).getEpsilonAttr());
      return success();
    }
    return rewriter.notifyMatchFailure(op, "not a norm times a [D] weight");
  }
};

/// `tx.layer_norm(x, w) + broadcast(b)` -> `tx.layer_norm(x, w, b)` for a
/// `[D]` value b.
struct FoldLayerNormBias : OpRewritePattern<arith::AddFOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(arith::AddFOp op,
                                PatternRewriter &rewriter) const override {
    auto type = dyn_cast<RankedTensorType>(op.getType());
    if (!type || !isSameShapeElementwise(op))
      return failure();
    for (unsigned i = 0; i < 2; ++i) {
      auto norm = op->getOperand(i).getDefiningOp<tx::LayerNormOp>();
      if (!norm || norm.getBias() || !norm->hasOneUse())
        continue;
      Traced b = traceBroadcast(op->getOperand(1 - i));
      Value bias = getVectorValue(rewriter, op.getLoc(), b, type);
      if (!bias)
        continue;
      rewriter.replaceOpWithNewOp<tx::LayerNormOp>(op, type, norm.getInput(),
                                                   norm.getWeight(), bias,
                                                   norm.getEpsilonAttr());
      return success();
    }
    return rewriter.notifyMatchFailure(op, "not a layer norm plus a [D] bias");
  }
};

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

struct RaiseNormsPass : public txc::impl::RaiseNormsPassBase<RaiseNormsPass> {
  using RaiseNormsPassBase::RaiseNormsPassBase;

  void runOnOperation() override {
    MLIRContext *context = &getContext();
    RewritePatternSet patterns(context);
    patterns.add<RaiseNormalization<arith::MulFOp>,
                 RaiseNormalization<arith::DivFOp>>(context, numRMSNorms,
                                                    numLayerNorms);
    patterns.add<FoldNormWeight, FoldLayerNormBias>(context);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();

    // Explain the normalizations that stay decomposed.
    getOperation()->walk([](Operation *op) {
      if (!isa<arith::MulFOp, arith::DivFOp>(op))
        return;
      std::string whyNot;
      if (failed(NormMatcher(&whyNot).match(op)) && !whyNot.empty())
        op->emitRemark() << "normalization not raised: " << whyNot;
    });
  }
};

} // namespace
