//===- MaskClassification.h - kinds of constant attention masks -*- C++ -*-===//
//
// Exporters materialize attention masks as constants: an additive float mask
// (0 where a query may attend, a large negative number where it may not) or a
// boolean mask (true where it may attend). classifyMask recognizes the
// structured mask kinds of tx.attention in such a constant.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_PASSES_MASKCLASSIFICATION_H
#define TXC_PASSES_MASKCLASSIFICATION_H

#include "mlir/IR/BuiltinAttributes.h"

#include <cstdint>

namespace txc {

/// The structured mask a constant is equivalent to.
enum class MaskPattern {
  /// Every query sees every key.
  None,
  /// Query `i` sees key `j` when `j <= p(i)`, `p(i) = Sk - Sq + i`.
  Causal,
  /// Causal, restricted to `p(i) - j < window` or `j < sinks`.
  SlidingWindow,
  /// None of the above; the mask has to stay an explicit operand.
  Explicit,
};

/// The result of classifyMask.
struct MaskClassification {
  MaskPattern pattern = MaskPattern::Explicit;
  /// Window and attention sinks of a SlidingWindow mask (0 otherwise).
  int64_t window = 0;
  int64_t sinks = 0;
  /// Every entry either allows or masks (an i1 mask, or an additive mask
  /// whose entries are exactly 0 or <= -1e4), so the mask can be kept as i1.
  bool binary = false;
};

/// An additive mask entry at or below this value masks its key.
constexpr double kMaskedThreshold = -1.0e4;

/// Classifies the constant mask `mask` of shape `[..., sq, sk]` (leading
/// dimensions are batch / heads). A float mask allows an entry that is exactly
/// 0 and masks one that is <= kMaskedThreshold (or -inf); an i1 mask allows
/// `true`. A structured pattern is only reported when every entry is binary
/// and all `[sq, sk]` slices are identical; a shape that does not end in
/// `[sq, sk]` is Explicit and not binary.
MaskClassification classifyMask(mlir::DenseElementsAttr mask, int64_t sq,
                                int64_t sk);

} // namespace txc

#endif // TXC_PASSES_MASKCLASSIFICATION_H
