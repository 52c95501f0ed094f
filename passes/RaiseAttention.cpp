//===- RaiseAttention.cpp - softmax(Q K^T) V chains to tx.attention ------===//
//
// Exporters decompose scaled dot-product attention into
//
//   scores = contract(Q [* c], K^T [* c]) [* c | / c]
//   scores = scores + mask | select(cond, scores, -big)
//   out    = contract(softmax(scores, dim 3), V)
//
// with the GQA repetition of K and V (repeat_kv) as broadcast + collapse. This
// pass matches that chain from each linalg.softmax, folds the constant scale
// factors into the `scale` attribute, strips the repetition, classifies
// constant masks into tx.attention's structured mask kinds, and replaces the
// final contraction with one tx.attention. Ops of the chain that have other
// users stay; the rest are erased once dead.
//
//===----------------------------------------------------------------------===//

#include "RaiseUtils.h"
#include "txc/Dialect/Tx/TxOps.h"
#include "txc/Passes/MaskClassification.h"
#include "txc/Passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <limits>
#include <type_traits>

namespace txc {
#define GEN_PASS_DEF_RAISEATTENTIONPASS
#include "txc/Passes/Passes.h.inc"
} // namespace txc

using namespace mlir;
using namespace txc;
using namespace txc::raise;

/// Longest chain of ops the matchers follow before giving up.
static constexpr int kMaxChain = 32;

//===----------------------------------------------------------------------===//
// Contractions and their operands
//===----------------------------------------------------------------------===//

namespace {
/// A rank-4 value read in a logical layout: logical dimension `k` is the
/// value's dimension `perm[k]`.
struct LayoutValue {
  Value value;
  SmallVector<int64_t, 4> perm;
};

/// A linalg.contract computing the batched product
/// `out[b, h, m, n] = sum_r lhs[b, h, m, r] * rhs[b, h, n, r]` over rank-4
/// tensors, with `out` in its physical layout and the operands in the logical
/// layouts given here.
struct BatchedContract {
  LayoutValue lhs;
  LayoutValue rhs;
};
} // namespace

static bool isIdentity(ArrayRef<int64_t> perm) {
  for (auto [i, p] : llvm::enumerate(perm))
    if (p != static_cast<int64_t>(i))
      return false;
  return true;
}

/// True when `init` is a zero tensor (a fill with 0 or a zero splat).
static bool isZeroInit(Value init) {
  if (auto fill = definedBy<linalg::FillOp>(init))
    return matchPattern(fill.getInputs()[0], m_AnyZeroFloat());
  std::optional<double> splat = getSplatValue(init);
  return splat && *splat == 0.0;
}

/// Positions of `dims` (loop dimensions) among the results of `map`, or
/// nothing when `map` does not read exactly those dimensions.
static std::optional<SmallVector<int64_t, 4>>
positionsIn(AffineMap map, ArrayRef<unsigned> dims) {
  if (map.getNumResults() != dims.size())
    return std::nullopt;
  SmallVector<int64_t, 4> positions;
  for (unsigned dim : dims) {
    std::optional<unsigned> pos =
        map.getResultPosition(getAffineDimExpr(dim, map.getContext()));
    if (!pos)
      return std::nullopt;
    positions.push_back(*pos);
  }
  return positions;
}

/// Recognizes a rank-4 batched matrix product; sets `why` otherwise.
static FailureOr<BatchedContract> analyzeContract(linalg::ContractOp op,
                                                  std::string &why) {
  if (op.getInputs().size() != 2 || op.getOutputs().size() != 1 ||
      op->getNumResults() != 1) {
    why = "a contraction does not have two inputs and one tensor result";
    return failure();
  }
  Value lhs = op.getInputs()[0], rhs = op.getInputs()[1],
        out = op.getOutputs()[0];
  for (Value v : {lhs, rhs, out}) {
    auto t = dyn_cast<RankedTensorType>(v.getType());
    if (!t || t.getRank() != 4) {
      why = "a contraction operand is not a 4-D tensor";
      return failure();
    }
  }
  Type et = cast<RankedTensorType>(out.getType()).getElementType();
  if (getElementTypeOrSelf(lhs.getType()) != et ||
      getElementTypeOrSelf(rhs.getType()) != et) {
    why = "a contraction mixes element types";
    return failure();
  }
  if (!isZeroInit(out)) {
    why = "a contraction accumulates into a non-zero tensor";
    return failure();
  }

  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  AffineMap outMap = maps[2];
  if (outMap.getNumDims() != 5 || outMap.getNumResults() != 4 ||
      !outMap.isProjectedPermutation() || !maps[0].isProjectedPermutation() ||
      !maps[1].isProjectedPermutation()) {
    why = "a contraction is not a batched matrix product";
    return failure();
  }
  SmallVector<unsigned> outDims;
  for (AffineExpr e : outMap.getResults())
    outDims.push_back(cast<AffineDimExpr>(e).getPosition());
  unsigned red = 0;
  while (llvm::is_contained(outDims, red))
    ++red;
  std::optional<SmallVector<int64_t, 4>> lhsPerm =
      positionsIn(maps[0], {outDims[0], outDims[1], outDims[2], red});
  std::optional<SmallVector<int64_t, 4>> rhsPerm =
      positionsIn(maps[1], {outDims[0], outDims[1], outDims[3], red});
  if (!lhsPerm || !rhsPerm) {
    why = "a contraction is not a batched matrix product over [batch, heads]";
    return failure();
  }
  return BatchedContract{{lhs, *lhsPerm}, {rhs, *rhsPerm}};
}

namespace {
/// One point on the way from a contraction operand back to its producers.
/// Every point holds the same data up to `scale` and the GQA repetition.
struct PeelPoint {
  LayoutValue operand;
  /// Product of the constant factors applied between this point and the
  /// contraction.
  double scale = 1.0;
  /// The GQA repetition was stripped on the way to this point.
  bool unrepeated = false;
};
} // namespace

/// Looks through reshape pairs that restore the original type
/// (`collapse(expand(x))`, `expand(collapse(x))`).
static Value stripReshapeRoundTrips(Value v) {
  for (int i = 0; i < kMaxChain; ++i) {
    Operation *def = v.getDefiningOp();
    if (!isa_and_nonnull<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(def))
      return v;
    Operation *inner = def->getOperand(0).getDefiningOp();
    if (!isa_and_nonnull<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(
            inner) ||
        inner->getName() == def->getName() ||
        inner->getOperand(0).getType() != v.getType())
      return v;
    v = inner->getOperand(0);
  }
  return v;
}

/// If `v` ([B, H, S, D]) is repeat_kv of a [B, Hkv, S, D] tensor, i.e.
/// `collapse([[0], [1, 2], [3], [4]], broadcast(x, dims = [2]))`, so head `h`
/// reads KV head `h / (H / Hkv)`, returns `x`. A transpose of the last two
/// dimensions between the collapse and the broadcast (the transposed keys of
/// a 3-D SDPA decomposition) is allowed: then `swapped` is set, and `v` is
/// `x` with its last two dimensions swapped. A repetition along another
/// dimension (head `h` reading `h % Hkv`) is not GQA and is kept.
static Value stripRepeatKV(Value v, bool &swapped) {
  auto collapse = definedBy<tensor::CollapseShapeOp>(v);
  if (!collapse || collapse.getSrcType().getRank() != 5)
    return {};
  SmallVector<ReassociationIndices> groups = collapse.getReassociationIndices();
  if (groups != SmallVector<ReassociationIndices>{{0}, {1, 2}, {3}, {4}})
    return {};
  Value repeated = collapse.getSrc();
  swapped = false;
  if (auto transpose = definedBy<linalg::TransposeOp>(repeated)) {
    if (transpose.getPermutation() != ArrayRef<int64_t>{0, 1, 2, 4, 3})
      return {};
    swapped = true;
    repeated = transpose.getInput();
  }
  auto bcast = definedBy<linalg::BroadcastOp>(repeated);
  if (!bcast || bcast.getDimensions() != ArrayRef<int64_t>{2})
    return {};
  return stripReshapeRoundTrips(bcast.getInput());
}

/// The splat factor `op` multiplies its other operand by (1 / c for a
/// division by c), setting `other`; nothing when `op` is not such a scaling.
static std::optional<double> scaleFactor(Operation *op, Value &other) {
  if (auto mul = dyn_cast_or_null<arith::MulFOp>(op)) {
    if (std::optional<double> c = getSplatValue(mul.getRhs())) {
      other = mul.getLhs();
      return c;
    }
    if (std::optional<double> c = getSplatValue(mul.getLhs())) {
      other = mul.getRhs();
      return c;
    }
  }
  if (auto div = dyn_cast_or_null<arith::DivFOp>(op))
    if (std::optional<double> c = getSplatValue(div.getRhs()); c && *c != 0.0) {
      other = div.getLhs();
      return 1.0 / *c;
    }
  return std::nullopt;
}

/// Follows a contraction operand back through transposes, constant scalings
/// (when `peelScale`) and the GQA repetition (when `peelRepeat`; only where
/// the batch and head dimensions are in place). Returns every point passed, the operand first.
static SmallVector<PeelPoint> peelOperand(LayoutValue start, bool peelScale,
                                          bool peelRepeat) {
  SmallVector<PeelPoint> points{{start}};
  for (int i = 0; i < kMaxChain; ++i) {
    PeelPoint next = points.back();
    Operation *def = next.operand.value.getDefiningOp();
    Value other;
    bool swapped = false;
    if (!def)
      break;
    if (std::optional<double> c =
            peelScale ? scaleFactor(def, other) : std::nullopt) {
      next.operand.value = other;
      next.scale *= *c;
    } else if (auto transpose = dyn_cast<linalg::TransposeOp>(def)) {
      ArrayRef<int64_t> p = transpose.getPermutation();
      for (int64_t &d : next.operand.perm)
        d = p[d];
      next.operand.value = transpose.getInput();
    } else if (Value kv = peelRepeat && !next.unrepeated &&
                                  next.operand.perm[0] == 0 &&
                                  next.operand.perm[1] == 1
                              ? stripRepeatKV(next.operand.value, swapped)
                              : Value()) {
      next.operand.value = kv;
      next.unrepeated = true;
      if (swapped)
        for (int64_t &d : next.operand.perm)
          d = d >= 2 ? 5 - d : d;
    } else {
      break;
    }
    points.push_back(next);
  }
  return points;
}

/// The deepest point already in [B, H, S, D] layout, or the deepest point
/// when there is none; points past the repetition only when
/// `allowUnrepeated`.
static const PeelPoint &choosePoint(ArrayRef<PeelPoint> points,
                                    bool allowUnrepeated) {
  const PeelPoint *deepest = &points.front();
  for (const PeelPoint &p : points)
    if (allowUnrepeated || !p.unrepeated)
      deepest = &p;
  for (const PeelPoint &p : llvm::reverse(points))
    if ((allowUnrepeated || !p.unrepeated) && isIdentity(p.operand.perm))
      return p;
  return *deepest;
}

/// Static size of logical dimension `k` of `v` (dynamic as kDynamic).
static int64_t dimOf(const LayoutValue &v, int64_t k) {
  return cast<RankedTensorType>(v.value.getType()).getDimSize(v.perm[k]);
}

//===----------------------------------------------------------------------===//
// Operand layout normalization
//===----------------------------------------------------------------------===//
//
// torch's SDPA decomposition multiplies in 3-D: K [B, Hkv, n_rep, S, D] (the
// GQA repetition, not yet collapsed) is reshaped to [B*H, S, D], transposed to
// [B*H, D, S] and reshaped to [B, H, D, S]. Moving the transpose above the
// reshapes lets them compose into the repetition's collapse, giving the form
// the matcher reads: collapse([[0], [1, 2], ...], transpose(broadcast(K))).

namespace {
/// expand_shape(transpose(collapse_shape(x))) ->
/// expand_shape(collapse_shape(transpose(x))): the reassociation groups move
/// as units, and the reshapes, now adjacent, compose.
struct TransposeOfCollapse : OpRewritePattern<linalg::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::TransposeOp op,
                                PatternRewriter &rewriter) const override {
    auto collapse = op.getInput().getDefiningOp<tensor::CollapseShapeOp>();
    if (!collapse || !op->hasOneUse() ||
        !isa<tensor::ExpandShapeOp>(*op->user_begin()))
      return failure();
    SmallVector<ReassociationIndices> groups =
        collapse.getReassociationIndices();
    ArrayRef<int64_t> perm = op.getPermutation();
    SmallVector<int64_t> lifted;
    SmallVector<ReassociationIndices> newGroups;
    for (int64_t p : perm) {
      ReassociationIndices group;
      for (int64_t d : groups[p]) {
        group.push_back(lifted.size());
        lifted.push_back(d);
      }
      newGroups.push_back(group);
    }
    Location loc = op.getLoc();
    Value src = collapse.getSrc();
    SmallVector<OpFoldResult> srcSizes =
        tensor::getMixedSizes(rewriter, loc, src);
    SmallVector<OpFoldResult> sizes;
    for (int64_t d : lifted)
      sizes.push_back(srcSizes[d]);
    Value init = tensor::EmptyOp::create(rewriter, loc, sizes,
                                         getElementTypeOrSelf(src));
    Value transposed =
        linalg::TransposeOp::create(rewriter, loc, src, init, lifted)
            ->getResult(0);
    rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(
        op, op->getResult(0).getType(), transposed, newGroups);
    return success();
  }
};

} // namespace

/// Applies the layout normalizations to the ops that compute the operands
/// of rank-4 contractions (transposes, reshapes, broadcasts and scalings).
static void normalizeOperandLayouts(Operation *root) {
  SmallVector<Operation *> ops;
  llvm::DenseSet<Operation *> seen;
  root->walk([&](linalg::ContractOp contract) {
    auto type = dyn_cast<RankedTensorType>(contract->getResult(0).getType());
    if (!type || type.getRank() != 4)
      return;
    SmallVector<std::pair<Value, int>> stack;
    for (Value in : contract.getInputs())
      stack.push_back({in, 0});
    while (!stack.empty()) {
      auto [v, depth] = stack.pop_back_val();
      Operation *def = v.getDefiningOp();
      if (!def || depth > kMaxChain ||
          !isa<linalg::TransposeOp, linalg::BroadcastOp, tensor::ExpandShapeOp,
               tensor::CollapseShapeOp, arith::MulFOp, arith::DivFOp>(def))
        continue;
      if (seen.insert(def).second)
        ops.push_back(def);
      // The data operands (not the inits of destination-style ops).
      auto dps = dyn_cast<DestinationStyleOpInterface>(def);
      for (OpOperand &operand : def->getOpOperands())
        if (!dps || !dps.isDpsInit(&operand))
          stack.push_back({operand.get(), depth + 1});
    }
  });
  if (ops.empty())
    return;
  MLIRContext *ctx = root->getContext();
  RewritePatternSet patterns(ctx);
  patterns.add<TransposeOfCollapse>(ctx);
  tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, ctx);
  tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, ctx);
  GreedyRewriteConfig config;
  config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
  (void)applyOpPatternsGreedily(ops, std::move(patterns), config);
}

//===----------------------------------------------------------------------===//
// Masks
//===----------------------------------------------------------------------===//

namespace {
/// A value seen from the [B, H, Sq, Sk] score space: score element `s` reads
/// `value` at the index whose dimension `d` is `s[dims[d]]`, or 0 where
/// `dims[d]` is -1 (a unit dimension).
struct ScoreView {
  Value value;
  SmallVector<int64_t, 4> dims;
};
} // namespace

/// The view of a score-shaped value (unit dimensions read index 0).
static ScoreView scoreView(Value v) {
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
static SmallVector<ScoreView> viewChain(ScoreView view) {
  SmallVector<ScoreView> chain{view};
  for (int i = 0; i < kMaxChain; ++i) {
    std::optional<ScoreView> next = stepThroughBroadcast(chain.back());
    if (!next)
      break;
    chain.push_back(*next);
  }
  return chain;
}

namespace {
/// One term of the mask: an additive float tensor, or a boolean tensor where
/// true means "may attend" (false when `negate`).
struct MaskFactor {
  /// Views of the term, from where it was found to its source.
  SmallVector<ScoreView> views;
  bool isBool = false;
  bool negate = false;
  /// The source constant, or null for a runtime term.
  DenseElementsAttr constant;

  const ScoreView &source() const { return views.back(); }
  /// True when the term varies along score dimension `d`.
  bool varies(int64_t d) const { return llvm::is_contained(source().dims, d); }
};
} // namespace

/// True when `v` is a splat at or below the masking threshold.
static bool isMaskingSplat(Value v) {
  std::optional<double> c = getSplatValue(v);
  return c && *c <= kMaskedThreshold;
}

/// True when `v` is a splat 0.
static bool isZeroSplat(Value v) {
  std::optional<double> c = getSplatValue(v);
  return c && *c == 0.0;
}

/// True when `v` is a splat `true`.
static bool isTrueSplat(Value v) {
  DenseElementsAttr attr = getConstant(v);
  return attr && attr.isSplat() && attr.getElementType().isInteger(1) &&
         attr.getSplatValue<bool>();
}

//===----------------------------------------------------------------------===//
// The matcher
//===----------------------------------------------------------------------===//

namespace {
/// Matches the attention chain around one softmax and rewrites it.
class AttentionMatcher {
public:
  explicit AttentionMatcher(linalg::SoftmaxOp softmax) : softmax(softmax) {}

  /// Analyzes the chain; on failure `reason()` says why.
  LogicalResult match();
  /// Replaces the matched PV contraction by tx.attention; ops that may now be
  /// dead are added to `maybeDead`.
  void rewrite(llvm::SetVector<Operation *> &maybeDead);
  /// True when the softmax is plausibly attention (worth a remark).
  bool looksLikeAttention();
  StringRef reason() const { return why; }

private:
  LogicalResult fail(const Twine &message) {
    why = message.str();
    return failure();
  }
  bool isScorePath(Value v, int depth = 0);
  LogicalResult peelScores(Value v);
  LogicalResult addAdditive(ScoreView view, int depth = 0);
  LogicalResult addBool(ScoreView view, bool negate, int depth = 0);
  LogicalResult classifyMasks();
  Value materializeOperand(OpBuilder &b, Location loc, const LayoutValue &v);
  Value materializeRuntimeMask(OpBuilder &b, Location loc);

  linalg::SoftmaxOp softmax;
  std::string why;

  linalg::ContractOp qk, pv;
  /// Product of the constant factors applied to the scores.
  double scoreScale = 1.0;
  PeelPoint q, k, v;
  SmallVector<MaskFactor> factors;

  // Mask decisions.
  tx::MaskKind kind = tx::MaskKind::none;
  int64_t window = 0, sinks = 0;
  /// Constant explicit mask ([B|1, H|1, Sq, Sk]), when the constant terms are
  /// not a structured kind.
  DenseElementsAttr explicitConstant;
  /// The runtime term kept as the explicit mask.
  const MaskFactor *runtime = nullptr;
};
} // namespace

/// The result of `op` when it is `select(isnan(p), 0, p)` (`cmpf uno, p, p`),
/// the guard torch's SDPA decomposition puts after the softmax so that a row
/// whose keys are all masked gives zeros instead of NaN -- what tx.attention
/// computes for such rows. Null otherwise.
static Value matchNaNGuard(Operation *op, Value probs) {
  auto select = dyn_cast<arith::SelectOp>(op);
  if (!select || select.getFalseValue() != probs ||
      !isZeroSplat(select.getTrueValue()))
    return {};
  auto cmp = select.getCondition().getDefiningOp<arith::CmpFOp>();
  if (!cmp || cmp.getPredicate() != arith::CmpFPredicate::UNO ||
      cmp.getLhs() != probs || cmp.getRhs() != probs)
    return {};
  return select.getResult();
}

bool AttentionMatcher::isScorePath(Value v, int depth) {
  if (depth > kMaxChain)
    return false;
  Operation *def = v.getDefiningOp();
  if (isa_and_nonnull<linalg::ContractOp>(def))
    return true;
  Value other;
  if (scaleFactor(def, other))
    return isScorePath(other, depth + 1);
  if (auto add = dyn_cast_or_null<arith::AddFOp>(def))
    return isScorePath(add.getLhs(), depth + 1) ||
           isScorePath(add.getRhs(), depth + 1);
  if (auto select = dyn_cast_or_null<arith::SelectOp>(def))
    return isScorePath(select.getTrueValue(), depth + 1) ||
           isScorePath(select.getFalseValue(), depth + 1);
  return false;
}

bool AttentionMatcher::looksLikeAttention() {
  auto type = dyn_cast<RankedTensorType>(softmax.getInput().getType());
  if (!type || type.getRank() < 3)
    return false;
  for (Operation *user : softmax->getResult(0).getUsers())
    if (isa<linalg::ContractOp>(user))
      return true;
  return isScorePath(softmax.getInput());
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

LogicalResult AttentionMatcher::peelScores(Value v) {
  bool scaled = false;
  for (int i = 0; i < kMaxChain; ++i) {
    Operation *def = v.getDefiningOp();
    if (auto contract = dyn_cast_or_null<linalg::ContractOp>(def)) {
      qk = contract;
      return success();
    }
    Value other;
    if (std::optional<double> c = scaleFactor(def, other)) {
      scoreScale *= *c;
      scaled = true;
      v = other;
      continue;
    }
    if (auto add = dyn_cast_or_null<arith::AddFOp>(def)) {
      bool lhsScores = isScorePath(add.getLhs()),
           rhsScores = isScorePath(add.getRhs());
      if (lhsScores == rhsScores)
        return fail("cannot tell the scores from the mask in an addition");
      if (scaled)
        return fail("the scores are scaled after the mask is added");
      Value mask = lhsScores ? add.getRhs() : add.getLhs();
      if (failed(addAdditive(scoreView(mask))))
        return failure();
      v = lhsScores ? add.getLhs() : add.getRhs();
      continue;
    }
    if (auto select = dyn_cast_or_null<arith::SelectOp>(def);
        select && isa<ShapedType>(select.getCondition().getType())) {
      bool negate;
      if (isMaskingSplat(select.getFalseValue()) &&
          isScorePath(select.getTrueValue()))
        negate = false;
      else if (isMaskingSplat(select.getTrueValue()) &&
               isScorePath(select.getFalseValue()))
        negate = true;
      else
        return fail("a select on the scores does not mask with a large "
                    "negative constant");
      if (scaled)
        return fail("the scores are scaled after the mask is applied");
      if (failed(addBool(scoreView(select.getCondition()), negate)))
        return failure();
      v = negate ? select.getFalseValue() : select.getTrueValue();
      continue;
    }
    if (!def)
      return fail("the softmax input is not computed from Q K^T");
    return fail("unsupported '" + def->getName().getStringRef() +
                "' between Q K^T and the softmax");
  }
  return fail("the chain between Q K^T and the softmax is too long");
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

LogicalResult AttentionMatcher::match() {
  auto scores = dyn_cast<RankedTensorType>(softmax.getInput().getType());
  if (!scores || scores.getRank() != 4)
    return fail("the scores are not 4-D [batch, heads, q_seq, k_seq]");
  if (softmax.getDimension() != 3)
    return fail("the softmax is over dimension " +
                Twine(softmax.getDimension()) +
                ", not over the keys (dimension 3)");
  if (!isa<FloatType>(scores.getElementType()))
    return fail("the scores are not floating point");

  // softmax(...) V, possibly through the NaN guard.
  Value probs = softmax->getResult(0);
  for (Operation *user : probs.getUsers())
    if (Value guarded = matchNaNGuard(user, probs)) {
      probs = guarded;
      break;
    }
  for (Operation *user : probs.getUsers())
    if (auto contract = dyn_cast<linalg::ContractOp>(user);
        contract && contract.getInputs().size() == 2 &&
        contract.getInputs()[0] == probs) {
      pv = contract;
      break;
    }
  if (!pv)
    return fail("the softmax result does not feed a contraction with V");
  FailureOr<BatchedContract> pvInfo = analyzeContract(pv, why);
  if (failed(pvInfo))
    return failure();
  if (!isIdentity(pvInfo->lhs.perm))
    return fail("the probabilities are contracted over a dimension other "
                "than the keys");

  // Q K^T, its scaling and mask.
  if (failed(peelScores(softmax.getInput())))
    return failure();
  FailureOr<BatchedContract> qkInfo = analyzeContract(qk, why);
  if (failed(qkInfo))
    return failure();
  if (qk->getResult(0).getType() != scores)
    return fail("Q K^T does not have the shape of the scores");

  // V in logical [b, h, j, e]: the PV right operand is [b, h, e, j].
  LayoutValue vOperand = pvInfo->rhs;
  std::swap(vOperand.perm[2], vOperand.perm[3]);

  SmallVector<PeelPoint> qPoints = peelOperand(qkInfo->lhs, true, false);
  SmallVector<PeelPoint> kPoints = peelOperand(qkInfo->rhs, true, true);
  SmallVector<PeelPoint> vPoints = peelOperand(vOperand, false, true);
  q = choosePoint(qPoints, false);
  k = choosePoint(kPoints, true);
  v = choosePoint(vPoints, true);
  // Keys and values must agree on the KV heads; otherwise keep both repeated.
  if (k.unrepeated != v.unrepeated ||
      dimOf(k.operand, 1) != dimOf(v.operand, 1)) {
    k = choosePoint(kPoints, false);
    v = choosePoint(vPoints, false);
  }

  int64_t d = dimOf(q.operand, 3);
  int64_t h = dimOf(q.operand, 1), hkv = dimOf(k.operand, 1);
  if (!ShapedType::isDynamic(h) && !ShapedType::isDynamic(hkv) &&
      (hkv == 0 || h % hkv != 0))
    return fail("the query heads are not a multiple of the KV heads");
  if (dimOf(k.operand, 3) != d)
    return fail("the query and key head dimensions differ");

  double scale = scoreScale * q.scale * k.scale;
  if (!(scale > 0.0) || !std::isfinite(scale))
    return fail(llvm::formatv("the combined scale {0} is not positive", scale));

  return classifyMasks();
}

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

  // Keep the scale implicit when it is the default 1/sqrt(D).
  double scale = scoreScale * q.scale * k.scale;
  FloatAttr scaleAttr;
  int64_t d = cast<RankedTensorType>(query.getType()).getDimSize(3);
  double defaultScale =
      ShapedType::isDynamic(d) ? 0.0 : 1.0 / std::sqrt(static_cast<double>(d));
  if (std::abs(scale - defaultScale) > 1e-6 * defaultScale)
    scaleAttr = b.getF64FloatAttr(scale);
  IntegerAttr windowAttr, sinksAttr;
  if (kind == tx::MaskKind::sliding_window) {
    windowAttr = b.getI64IntegerAttr(window);
    if (sinks > 0)
      sinksAttr = b.getI64IntegerAttr(sinks);
  }

  auto attention = tx::AttentionOp::create(
      b, loc, pv->getResult(0).getType(), query, key, value, mask, Value(), Value(),
      kind, scaleAttr, windowAttr, sinksAttr, tx::TreeAttr(), IntegerAttr());
  pv->getResult(0).replaceAllUsesWith(attention.getResult());
  maybeDead.insert(pv);
}

/// Erases the ops of `worklist` that are trivially dead, then the producers
/// of their operands that become dead in turn.
static void eraseDeadOps(llvm::SetVector<Operation *> &worklist) {
  while (!worklist.empty()) {
    Operation *op = worklist.pop_back_val();
    if (!isOpTriviallyDead(op))
      continue;
    for (Value operand : op->getOperands())
      if (Operation *def = operand.getDefiningOp())
        worklist.insert(def);
    op->erase();
  }
}

namespace {
struct RaiseAttentionPass
    : public txc::impl::RaiseAttentionPassBase<RaiseAttentionPass> {
  using RaiseAttentionPassBase::RaiseAttentionPassBase;

  void runOnOperation() override {
    normalizeOperandLayouts(getOperation());
    SmallVector<linalg::SoftmaxOp> softmaxes;
    getOperation()->walk(
        [&](linalg::SoftmaxOp op) { softmaxes.push_back(op); });

    llvm::SetVector<Operation *> maybeDead;
    for (linalg::SoftmaxOp softmax : softmaxes) {
      AttentionMatcher matcher(softmax);
      if (succeeded(matcher.match())) {
        matcher.rewrite(maybeDead);
        ++numAttention;
        continue;
      }
      if (matcher.looksLikeAttention())
        softmax.emitRemark()
            << "not raised to tx.attention: " << matcher.reason();
    }
    eraseDeadOps(maybeDead);
  }
};
} // namespace
