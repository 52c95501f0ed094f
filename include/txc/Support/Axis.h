//===- Axis.h - negative-axis normalization ---------------------*- C++ -*-===//
//
// ONNX, numpy and the tx ops count a negative axis from the back. These
// helpers turn such an axis into a position, with the range check, for the
// ONNX importer's converters and its host-side evaluator alike. Header-only
// and free of MLIR, so any layer can include it.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_SUPPORT_AXIS_H
#define TXC_SUPPORT_AXIS_H

#include <cstdint>
#include <optional>

namespace txc {

/// The dimension that `axis` names in a tensor of rank `rank`: `axis` itself
/// when in [0, rank), `axis + rank` when in [-rank, 0), nullopt otherwise.
inline std::optional<int64_t> normalizedAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

/// normalizedAxis in place: on success `axis` becomes the dimension and the
/// result is true; otherwise `axis` is left as it was and the result is false.
inline bool normalizeAxis(int64_t &axis, int64_t rank) {
  std::optional<int64_t> n = normalizedAxis(axis, rank);
  if (n)
    axis = *n;
  return n.has_value();
}

/// The position between dimensions that `axis` names (Flatten's axis: the
/// number of leading dimensions), in [0, rank]; a negative `axis` in
/// [-rank, 0) counts from the back. Nullopt outside [-rank, rank].
inline std::optional<int64_t> normalizedSplitAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis > rank)
    return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

} // namespace txc

#endif // TXC_SUPPORT_AXIS_H
