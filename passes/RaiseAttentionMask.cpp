//===- RaiseAttentionMask.cpp - mask terms and their kind -----------------===//
//
// The mask of an attention chain is a sum of additive float terms and
// boolean terms (select with a large negative constant), each seen from the
// [B, H, Sq, Sk] score space through broadcasts and unit reshapes. The
// constant terms are summed and classified into tx.attention's structured
// mask kinds; at most one runtime term stays as the explicit mask.
//
//===----------------------------------------------------------------------===//

#include "RaiseAttention.h"
#include "RaiseUtils.h"

#include "txc/Passes/MaskClassification.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

#include <limits>
#include <type_traits>

using namespace mlir;
using namespace txc;
using namespace txc::raise;
using namespace txc::raise::attention;

/// The view of a score-shaped value (unit dimensions read index 0).
ScoreView attention::scoreView(Value v) {
  ScoreView view{v, {}};
  for (auto [d, size] :
       llvm::enumerate(cast<RankedTensorType>(v.getType()).getShape()))
    view.dims.push_back(size == 1 ? -1 : static_cast<int64_t>(d));
  return view;
}

/// The view of the operand of the broadcast or unit reshape producing
/// `view.value`, or nothing when it is produced otherwise.
static std::optional<ScoreView> stepThroughBroadcast(const ScoreView &view) {
  Operation *def = view.value.getDefiningOp();
  if (auto bcast = dyn_cast_or_null<linalg::BroadcastOp>(def)) {
    ScoreView in{bcast.getInput(), {}};
    for (auto [d, mapped] : llvm::enumerate(view.dims))
      if (!llvm::is_contained(bcast.getDimensions(), static_cast<int64_t>(d)))
        in.dims.push_back(mapped);
    return in;
  }
  // A reshape is followed when each reassociation group holds at most one
  // non-unit dimension, so no data moves between dimensions.
  bool collapse = isa_and_nonnull<tensor::CollapseShapeOp>(def);
  if (!collapse && !isa_and_nonnull<tensor::ExpandShapeOp>(def))
    return std::nullopt;
  Value src = def->getOperand(0);
  auto srcType = cast<RankedTensorType>(src.getType());
  auto dstType = cast<RankedTensorType>(view.value.getType());
  SmallVector<ReassociationIndices> groups =
      collapse ? cast<tensor::CollapseShapeOp>(def).getReassociationIndices()
               : cast<tensor::ExpandShapeOp>(def).getReassociationIndices();
  // Groups index the dimensions of the higher-rank side.
  auto high = collapse ? srcType : dstType;
  ScoreView in{src, SmallVector<int64_t, 4>(srcType.getRank(), -1)};
  for (auto [low, group] : llvm::enumerate(groups)) {
    SmallVector<int64_t> nonUnit;
    for (int64_t d : group)
      if (high.getDimSize(d) != 1)
        nonUnit.push_back(d);
    if (nonUnit.size() > 1)
      return std::nullopt;
    if (nonUnit.empty())
      continue;
    if (collapse)
      in.dims[nonUnit[0]] = view.dims[low];
    else
      in.dims[low] = view.dims[nonUnit[0]];
  }
  return in;
}

/// `view` followed by every view down to the source of its data.
SmallVector<ScoreView> attention::viewChain(ScoreView view) {
  SmallVector<ScoreView> chain{view};
  for (int i = 0; i < kMaxChain; ++i) {
    std::optional<ScoreView> next = stepThroughBroadcast(chain.back());
    if (!next)
      break;
    chain.push_back(*next);
  }
  return chain;
}

/// True when `v` is a splat at or below the masking threshold.
bool attention::isMaskingSplat(Value v) {
  std::optional<double> c = getSplatValue(v);
  return c && *c <= kMaskedThreshold;
}

/// True when `v` is a splat 0.
bool attention::isZeroSplat(Value v) {
  std::optional<double> c = getSplatValue(v);
  return c && *c == 0.0;
}

/// True when `v` is a splat `true`.
bool attention::isTrueSplat(Value v) {
  DenseElementsAttr attr = getConstant(v);
  return attr && attr.isSplat() && attr.getElementType().isInteger(1) &&
         attr.getSplatValue<bool>();
}

LogicalResult AttentionMatcher::addBool(ScoreView view, bool negate,
                                        int depth) {
  if (depth > kMaxChain)
    return fail("the mask expression is too deep");
  SmallVector<ScoreView> chain = viewChain(view);
  const ScoreView &src = chain.back();
  Operation *def = src.value.getDefiningOp();
  if (isa_and_nonnull<arith::AndIOp>(def) && !negate)
    return success(
        succeeded(addBool({def->getOperand(0), src.dims}, false, depth + 1)) &&
        succeeded(addBool({def->getOperand(1), src.dims}, false, depth + 1)));
  if (isa_and_nonnull<arith::OrIOp>(def) && negate)
    return success(
        succeeded(addBool({def->getOperand(0), src.dims}, true, depth + 1)) &&
        succeeded(addBool({def->getOperand(1), src.dims}, true, depth + 1)));
  if (auto x = dyn_cast_or_null<arith::XOrIOp>(def)) {
    if (isTrueSplat(x.getRhs()))
      return addBool({x.getLhs(), src.dims}, !negate, depth + 1);
    if (isTrueSplat(x.getLhs()))
      return addBool({x.getRhs(), src.dims}, !negate, depth + 1);
  }
  MaskFactor factor{chain, /*isBool=*/true, negate, {}};
  matchPattern(src.value, m_Constant(&factor.constant));
  factors.push_back(std::move(factor));
  return success();
}

LogicalResult AttentionMatcher::addAdditive(ScoreView view, int depth) {
  if (depth > kMaxChain)
    return fail("the mask expression is too deep");
  SmallVector<ScoreView> chain = viewChain(view);
  const ScoreView &src = chain.back();
  Operation *def = src.value.getDefiningOp();
  if (auto add = dyn_cast_or_null<arith::AddFOp>(def))
    return success(
        succeeded(addAdditive({add.getLhs(), src.dims}, depth + 1)) &&
        succeeded(addAdditive({add.getRhs(), src.dims}, depth + 1)));
  if (auto select = dyn_cast_or_null<arith::SelectOp>(def);
      select && isa<ShapedType>(select.getCondition().getType())) {
    if (isZeroSplat(select.getTrueValue()) &&
        isMaskingSplat(select.getFalseValue()))
      return addBool({select.getCondition(), src.dims}, false, depth + 1);
    if (isMaskingSplat(select.getTrueValue()) &&
        isZeroSplat(select.getFalseValue()))
      return addBool({select.getCondition(), src.dims}, true, depth + 1);
  }
  MaskFactor factor{chain, /*isBool=*/false, false, {}};
  matchPattern(src.value, m_Constant(&factor.constant));
  factors.push_back(std::move(factor));
  return success();
}

LogicalResult AttentionMatcher::classifyMasks() {
  SmallVector<const MaskFactor *> constants, runtimes;
  for (const MaskFactor &f : factors)
    (f.constant ? constants : runtimes).push_back(&f);
  if (runtimes.size() > 1)
    return fail("the mask has more than one runtime term");
  if (!runtimes.empty()) {
    runtime = runtimes.front();
    // Broadcasts and reshapes keep the order of dimensions.
    ArrayRef<int64_t> dims = runtime->source().dims;
    SmallVector<int64_t> mapped(
        llvm::make_filter_range(dims, [](int64_t d) { return d >= 0; }));
    if (!llvm::is_sorted(mapped))
      return fail("the runtime mask reorders the score dimensions");
    if (runtime->negate &&
        !cast<ShapedType>(softmax.getInput().getType()).hasStaticShape())
      return fail("an inverted runtime mask needs a static shape");
  }
  if (constants.empty())
    return success();

  auto scores = cast<RankedTensorType>(softmax.getInput().getType());
  int64_t sq = scores.getDimSize(2), sk = scores.getDimSize(3);
  if (ShapedType::isDynamic(sq) || ShapedType::isDynamic(sk))
    return fail("a constant mask needs static sequence lengths");
  bool perBatch = false, perHead = false;
  for (const MaskFactor *f : constants) {
    perBatch |= f->varies(0);
    perHead |= f->varies(1);
  }
  SmallVector<int64_t, 4> shape{perBatch ? scores.getDimSize(0) : 1,
                                perHead ? scores.getDimSize(1) : 1, sq, sk};

  // Sum the constant terms over [B|1, H|1, Sq, Sk]; a masked boolean entry
  // adds -inf.
  int64_t n = shape[0] * shape[1] * sq * sk;
  SmallVector<double> sum(n, 0.0);
  const double inf = std::numeric_limits<double>::infinity();
  for (const MaskFactor *f : constants) {
    auto toDouble = [&](auto values) {
      SmallVector<double> result;
      for (auto value : values) {
        if constexpr (std::is_same_v<decltype(value), bool>)
          result.push_back(value != f->negate ? 0.0 : -inf);
        else
          result.push_back(value.convertToDouble());
        if (f->constant.isSplat())
          break;
      }
      return result;
    };
    SmallVector<double> values =
        f->isBool ? toDouble(f->constant.getValues<bool>())
                  : toDouble(f->constant.getValues<APFloat>());
    // Strides of the source constant, per score dimension.
    ArrayRef<int64_t> srcShape = f->constant.getType().getShape();
    SmallVector<int64_t, 4> strides(4, 0);
    int64_t stride = 1;
    for (int64_t d = static_cast<int64_t>(srcShape.size()) - 1; d >= 0; --d) {
      if (int64_t mapped = f->source().dims[d]; mapped >= 0)
        strides[mapped] = stride;
      stride *= srcShape[d];
    }
    bool splat = values.size() == 1;
    int64_t e = 0;
    for (int64_t b = 0; b < shape[0]; ++b)
      for (int64_t h = 0; h < shape[1]; ++h)
        for (int64_t i = 0; i < sq; ++i)
          for (int64_t j = 0; j < sk; ++j, ++e)
            sum[e] += values[splat ? 0
                                   : b * strides[0] + h * strides[1] +
                                         i * strides[2] + j * strides[3]];
  }

  auto elementType = cast<FloatType>(scores.getElementType());
  SmallVector<APFloat> elements;
  elements.reserve(n);
  for (double d : sum) {
    APFloat value(d);
    bool lost;
    value.convert(elementType.getFloatSemantics(), APFloat::rmNearestTiesToEven,
                  &lost);
    elements.push_back(value);
  }
  auto maskType = RankedTensorType::get(shape, elementType);
  auto combined = DenseElementsAttr::get(maskType, elements);

  MaskClassification cls = classifyMask(combined, sq, sk);
  switch (cls.pattern) {
  case MaskPattern::None:
    kind = tx::MaskKind::none;
    return success();
  case MaskPattern::Causal:
    kind = tx::MaskKind::causal;
    return success();
  case MaskPattern::SlidingWindow:
    kind = tx::MaskKind::sliding_window;
    window = cls.window;
    sinks = cls.sinks;
    return success();
  case MaskPattern::Explicit:
    break;
  }
  if (runtime)
    return fail("the mask combines a runtime term with a constant that is "
                "not a causal or sliding-window mask");
  if (!cls.binary) {
    explicitConstant = combined;
    return success();
  }
  SmallVector<bool> allowed;
  allowed.reserve(n);
  for (double d : sum)
    allowed.push_back(d == 0.0);
  explicitConstant = DenseElementsAttr::get(
      RankedTensorType::get(shape, IntegerType::get(softmax.getContext(), 1)),
      allowed);
  return success();
}
