//===- RaiseAttentionContraction.cpp - contraction analysis ---------------===//
//
// Recognizes the rank-4 batched matrix products of attention (Q K^T and
// P V) in any operand layout, and follows their operands back through
// transposes, constant scalings and the GQA repetition (repeat_kv as
// broadcast + collapse) to the tensors tx.attention takes.
//
//===----------------------------------------------------------------------===//

#include "RaiseAttention.h"
#include "RaiseUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace txc;
using namespace txc::raise;
using namespace txc::raise::attention;

bool attention::isIdentity(ArrayRef<int64_t> perm) {
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
FailureOr<BatchedContract> attention::analyzeContract(linalg::ContractOp op,
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
std::optional<double> attention::scaleFactor(Operation *op, Value &other) {
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
/// the batch and head dimensions are in place). Returns every point passed, the
/// operand first.
SmallVector<PeelPoint> attention::peelOperand(LayoutValue start, bool peelScale,
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
const PeelPoint &attention::choosePoint(ArrayRef<PeelPoint> points,
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
int64_t attention::dimOf(const LayoutValue &v, int64_t k) {
  return cast<RankedTensorType>(v.value.getType()).getDimSize(v.perm[k]);
}
