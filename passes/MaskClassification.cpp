//===- MaskClassification.cpp - structured kinds of constant masks --------===//

#include "txc/Passes/MaskClassification.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/BitVector.h"

using namespace mlir;

namespace txc {

namespace {
/// What one mask entry does to its score.
enum class Entry : uint8_t { Masked, Allowed, Other };
} // namespace

/// The entries of `mask` in row-major order (all Other for element types that
/// are neither i1 nor float).
static SmallVector<Entry> readEntries(DenseElementsAttr mask) {
  SmallVector<Entry> entries;
  entries.reserve(mask.getNumElements());
  Type elementType = mask.getElementType();
  if (elementType.isInteger(1)) {
    for (bool allowed : mask.getValues<bool>())
      entries.push_back(allowed ? Entry::Allowed : Entry::Masked);
  } else if (isa<FloatType>(elementType)) {
    for (const APFloat &value : mask.getValues<APFloat>()) {
      double d = value.convertToDouble();
      if (d == 0.0)
        entries.push_back(Entry::Allowed);
      else if (d <= kMaskedThreshold)
        entries.push_back(Entry::Masked);
      else
        entries.push_back(Entry::Other);
    }
  } else {
    entries.assign(mask.getNumElements(), Entry::Other);
  }
  return entries;
}

/// Classifies one `[sq, sk]` matrix of allowed entries (row-major).
static MaskClassification classifyMatrix(const llvm::BitVector &allowed,
                                         int64_t sq, int64_t sk) {
  MaskClassification result;
  result.binary = true;
  if (allowed.all()) {
    result.pattern = MaskPattern::None;
    return result;
  }
  // Every other kind places query i at position p(i) = sk - sq + i.
  if (sk < sq)
    return result;
  int64_t offset = sk - sq;
  auto at = [&](int64_t i, int64_t j) { return allowed.test(i * sk + j); };

  // Derive the window and sinks from the first row whose run of allowed keys
  // ending at its own position stops before key 0.
  bool causal = true;
  int64_t window = 0, sinks = 0;
  for (int64_t i = 0; i < sq && causal; ++i) {
    int64_t p = offset + i, run = 0;
    while (run <= p && at(i, p - run))
      ++run;
    if (run == p + 1)
      continue;
    causal = false;
    window = run;
    while (sinks < p && at(i, sinks))
      ++sinks;
  }
  if (!causal && window == 0)
    return result;

  auto expected = [&](int64_t i, int64_t j) {
    int64_t p = offset + i;
    if (j > p)
      return false;
    return causal || p - j < window || j < sinks;
  };
  for (int64_t i = 0; i < sq; ++i)
    for (int64_t j = 0; j < sk; ++j)
      if (at(i, j) != expected(i, j))
        return result;

  if (causal) {
    result.pattern = MaskPattern::Causal;
    return result;
  }
  result.pattern = MaskPattern::SlidingWindow;
  result.window = window;
  result.sinks = sinks;
  return result;
}

MaskClassification classifyMask(DenseElementsAttr mask, int64_t sq,
                                int64_t sk) {
  MaskClassification result;
  auto type = dyn_cast<RankedTensorType>(mask.getType());
  if (!type || !type.hasStaticShape() || type.getRank() < 2 || sq <= 0 ||
      sk <= 0 || type.getDimSize(type.getRank() - 2) != sq ||
      type.getDimSize(type.getRank() - 1) != sk)
    return result;

  SmallVector<Entry> entries = readEntries(mask);
  if (llvm::is_contained(entries, Entry::Other))
    return result;
  result.binary = true;

  // Structured kinds are the same for every batch and head.
  int64_t sliceSize = sq * sk;
  int64_t slices = static_cast<int64_t>(entries.size()) / sliceSize;
  ArrayRef<Entry> first = ArrayRef(entries).take_front(sliceSize);
  for (int64_t s = 1; s < slices; ++s)
    if (ArrayRef(entries).slice(s * sliceSize, sliceSize) != first)
      return result;

  llvm::BitVector allowed(sliceSize);
  for (int64_t e = 0; e < sliceSize; ++e)
    if (first[e] == Entry::Allowed)
      allowed.set(e);
  return classifyMatrix(allowed, sq, sk);
}

} // namespace txc
