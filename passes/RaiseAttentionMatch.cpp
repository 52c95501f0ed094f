//===- RaiseAttentionMatch.cpp - the attention chain matcher --------------===//
//
// From a linalg.softmax over the keys, finds the P V contraction (through
// the NaN guard of torch's SDPA decomposition), peels the scaling and the
// mask terms off the scores back to Q K^T, and picks the Q, K and V operands
// tx.attention takes.
//
//===----------------------------------------------------------------------===//

#include "RaiseAttention.h"
#include "RaiseUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace mlir;
using namespace txc;
using namespace txc::raise;
using namespace txc::raise::attention;

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
