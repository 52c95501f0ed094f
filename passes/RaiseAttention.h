//===- RaiseAttention.h - stages of tx-raise-attention ----------*- C++ -*-===//
//
// Private to the RaiseAttention*.cpp files, one per stage of the pass:
// layout normalization of the contraction operands (RaiseAttentionLayout),
// contraction analysis and operand peeling (RaiseAttentionContraction), the
// mask terms and their classification (RaiseAttentionMask), matching the
// chain around a softmax (RaiseAttentionMatch) and rewriting it to
// tx.attention (RaiseAttentionRewrite); RaiseAttention.cpp runs them.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_PASSES_RAISEATTENTION_H
#define TXC_PASSES_RAISEATTENTION_H

#include "txc/Dialect/Tx/TxOps.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "llvm/ADT/SetVector.h"

#include <optional>
#include <string>

namespace txc::raise::attention {

using llvm::ArrayRef;
using llvm::SmallVector;
using llvm::StringRef;
using llvm::Twine;
using mlir::DenseElementsAttr;
using mlir::failure;
using mlir::FailureOr;
using mlir::Location;
using mlir::LogicalResult;
using mlir::OpBuilder;
using mlir::Operation;
using mlir::Value;
namespace linalg = mlir::linalg;

/// Longest chain of ops the matchers follow before giving up.
constexpr int kMaxChain = 32;

//===----------------------------------------------------------------------===//
// Contractions and their operands (RaiseAttentionContraction.cpp)
//===----------------------------------------------------------------------===//

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

/// True when `perm` is the identity permutation.
bool isIdentity(ArrayRef<int64_t> perm);

/// Recognizes a rank-4 batched matrix product; sets `why` otherwise.
FailureOr<BatchedContract> analyzeContract(linalg::ContractOp op,
                                           std::string &why);

/// The splat factor `op` multiplies its other operand by (1 / c for a
/// division by c), setting `other`; nothing when `op` is not such a scaling.
std::optional<double> scaleFactor(Operation *op, Value &other);

/// Follows a contraction operand back through transposes, constant scalings
/// (when `peelScale`) and the GQA repetition (when `peelRepeat`; only where
/// the batch and head dimensions are in place). Returns every point passed,
/// the operand first.
SmallVector<PeelPoint> peelOperand(LayoutValue start, bool peelScale,
                                   bool peelRepeat);

/// The deepest point already in [B, H, S, D] layout, or the deepest point
/// when there is none; points past the repetition only when
/// `allowUnrepeated`.
const PeelPoint &choosePoint(ArrayRef<PeelPoint> points, bool allowUnrepeated);

/// Static size of logical dimension `k` of `v` (dynamic as kDynamic).
int64_t dimOf(const LayoutValue &v, int64_t k);

//===----------------------------------------------------------------------===//
// Operand layout normalization (RaiseAttentionLayout.cpp)
//===----------------------------------------------------------------------===//

/// Applies the layout normalizations to the ops that compute the operands
/// of rank-4 contractions (transposes, reshapes, broadcasts and scalings).
void normalizeOperandLayouts(Operation *root);

//===----------------------------------------------------------------------===//
// Masks (RaiseAttentionMask.cpp)
//===----------------------------------------------------------------------===//

/// A value seen from the [B, H, Sq, Sk] score space: score element `s` reads
/// `value` at the index whose dimension `d` is `s[dims[d]]`, or 0 where
/// `dims[d]` is -1 (a unit dimension).
struct ScoreView {
  Value value;
  SmallVector<int64_t, 4> dims;
};

/// The view of a score-shaped value (unit dimensions read index 0).
ScoreView scoreView(Value v);

/// `view` followed by every view down to the source of its data.
SmallVector<ScoreView> viewChain(ScoreView view);

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

/// True when `v` is a splat at or below the masking threshold.
bool isMaskingSplat(Value v);
/// True when `v` is a splat 0.
bool isZeroSplat(Value v);
/// True when `v` is a splat `true`.
bool isTrueSplat(Value v);

//===----------------------------------------------------------------------===//
// The matcher (RaiseAttentionMatch.cpp, RaiseAttentionMask.cpp and
// RaiseAttentionRewrite.cpp)
//===----------------------------------------------------------------------===//

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

} // namespace txc::raise::attention

#endif // TXC_PASSES_RAISEATTENTION_H
