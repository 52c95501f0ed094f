//===- HostEvalImpl.h - machinery shared by the host evaluators -*- C++ -*-===//
//
// Private to HostEval*.cpp: the context an op evaluator sees (inputs,
// attributes, limits, error reporting), raw element copies and index
// iteration, the broadcasting loop, the computation types of elementwise
// arithmetic (double for floating-point element types, int64 for signed and
// uint64 for unsigned integers; integer overflow wraps), and the op table
// that each family file fills through its register*Ops function.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_LIB_FRONTEND_ONNX_HOSTEVALIMPL_H
#define TXC_LIB_FRONTEND_ONNX_HOSTEVALIMPL_H

#include "HostEval.h"

#include "txc/Support/Axis.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/Twine.h"

#include <type_traits>

namespace txc::onnx_import::hosteval {

using llvm::ArrayRef;
using llvm::SmallVector;
using llvm::StringRef;
using llvm::Twine;

using Shape = SmallVector<int64_t>;

/// `shape` as "[d0, d1, ...]" for messages.
std::string fmt(ArrayRef<int64_t> shape);

/// Everything a handler sees; also carries the message of the last failed
/// helper so that handlers can return `c.fail()`.
struct Ctx {
  int64_t opset;
  ArrayRef<const HostTensor *> in;
  const NodeAttrs &attrs;
  unsigned numOutputs;
  int64_t maxElements;
  mutable std::string err;

  /// Input `i`, or null when omitted.
  const HostTensor *opt(unsigned i) const {
    return i < in.size() ? in[i] : nullptr;
  }
  /// Input `i`; present for every i below the op's minimum input count.
  const HostTensor &at(unsigned i) const { return *in[i]; }

  FoldResult error(const Twine &msg) const {
    FoldResult r;
    r.reason = ("error: " + msg).str();
    return r;
  }
  /// Records a malformed-input message for `fail()`.
  std::nullopt_t setError(const Twine &msg) const {
    err = ("error: " + msg).str();
    return std::nullopt;
  }
  FoldResult fail() const {
    FoldResult r;
    r.reason = err;
    return r;
  }
  FoldResult refuse(const Twine &msg) const {
    FoldResult r;
    r.reason = msg.str();
    return r;
  }
  FoldResult tooLarge() const { return refuse("too large"); }

  /// Zero-filled output, or nullopt when larger than maxElements.
  std::optional<HostTensor> alloc(DType t, ArrayRef<int64_t> shape) const {
    if (product(shape) > maxElements)
      return std::nullopt;
    return HostTensor(t, shape);
  }

  /// `axis` as a dimension of a rank-`rank` tensor (negative counts from
  /// the back); nullopt, with the error recorded, when out of range.
  std::optional<int64_t> normAxis(int64_t axis, int64_t rank) const {
    std::optional<int64_t> n = normalizedAxis(axis, rank);
    if (!n)
      return setError("axis " + Twine(axis) + " out of range for rank " +
                      Twine(rank));
    return n;
  }

  std::optional<Shape> normAxes(ArrayRef<int64_t> axes, int64_t rank) const {
    Shape out;
    for (int64_t a : axes) {
      std::optional<int64_t> n = normAxis(a, rank);
      if (!n)
        return std::nullopt;
      if (llvm::is_contained(out, *n))
        return setError("duplicate axis " + Twine(a));
      out.push_back(*n);
    }
    return out;
  }

  /// Integer vector held by input `i` (rank 0 or 1).
  std::optional<std::vector<int64_t>> ints(unsigned i, StringRef what) const {
    const HostTensor &t = at(i);
    if (!isInteger(t.dtype))
      return setError(what + " must be an integer tensor, not " +
                      dtypeName(t.dtype));
    if (t.rank() > 1)
      return setError(what + " must be 1-D, got shape " + fmt(t.shape));
    return t.toInts();
  }

  /// Integer scalar held by input `i` (rank 0, or 1-D with one element).
  std::optional<int64_t> intScalar(unsigned i, StringRef what) const {
    std::optional<std::vector<int64_t>> v = ints(i, what);
    if (!v)
      return std::nullopt;
    if (v->size() != 1)
      return setError(what + " must be a scalar");
    return v->front();
  }

  /// The list given by input `i` when present, else by attribute `name`;
  /// false (with the error recorded) if the input is malformed.
  bool listInputOrAttr(unsigned i, StringRef name,
                       std::optional<std::vector<int64_t>> &out) const {
    if (opt(i)) {
      out = ints(i, name);
      return out.has_value();
    }
    out = attrs.getInts(name);
    return true;
  }
};

/// A result holding the single output `t`.
FoldResult done(HostTensor t);

/// An error message if `t` is not a well-formed tensor of a held type; an
/// empty string if it is; "unsupported" for element types not held.
std::string checkTensor(const HostTensor &t);

/// Copies `n` elements (same element type) from `src` at `si` to `dst` at `di`.
void copyElems(HostTensor &dst, int64_t di, const HostTensor &src, int64_t si,
               int64_t n = 1);

/// `t` with its shape replaced by `shape` (same number of elements).
HostTensor reshaped(const HostTensor &t, ArrayRef<int64_t> shape);

/// Calls fn(index, flat) for each multi-index of `shape` in row-major order.
template <typename Fn> void forEachIndex(ArrayRef<int64_t> shape, Fn fn) {
  int64_t n = product(shape);
  Shape idx(shape.size(), 0);
  for (int64_t flat = 0; flat < n; ++flat) {
    fn(ArrayRef<int64_t>(idx), flat);
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1;
         d >= 0 && ++idx[d] == shape[d]; --d)
      idx[d] = 0;
  }
}

/// A tensor of `shape` whose element at multi-index `idx` is `x`'s element
/// at coordinates `source(idx, d)` (d = 0 .. rank-1): Slice, Tile.
template <typename Fn>
FoldResult copyFromCoordinates(const Ctx &c, const HostTensor &x,
                               ArrayRef<int64_t> shape, Fn source) {
  std::optional<HostTensor> out = c.alloc(x.dtype, shape);
  if (!out)
    return c.tooLarge();
  Shape strides = stridesOf(x.shape);
  forEachIndex(shape, [&](ArrayRef<int64_t> idx, int64_t flat) {
    int64_t src = 0;
    for (size_t d = 0; d < idx.size(); ++d)
      src += source(idx, d) * strides[d];
    copyElems(*out, flat, x, src);
  });
  return done(std::move(*out));
}

/// Inner product of two index vectors of the same length.
int64_t dot(ArrayRef<int64_t> a, ArrayRef<int64_t> b);

//===----------------------------------------------------------------------===//
// Elementwise machinery
//===----------------------------------------------------------------------===//

/// Broadcasts `ins` (and `base`) together, allocates an output of `outType`
/// and calls fn(out, flat, srcIndices) for every output element.
template <typename Fn>
FoldResult mapBroadcast(const Ctx &c, ArrayRef<const HostTensor *> ins,
                        DType outType, Fn fn, ArrayRef<int64_t> base = {}) {
  Shape shape(base.begin(), base.end());
  for (const HostTensor *t : ins) {
    std::optional<Shape> s = broadcastShapes(shape, t->shape);
    if (!s)
      return c.error("shapes " + fmt(shape) + " and " + fmt(t->shape) +
                     " are not broadcastable");
    shape = *s;
  }
  std::optional<HostTensor> out = c.alloc(outType, shape);
  if (!out)
    return c.tooLarge();
  SmallVector<Shape> strides;
  for (const HostTensor *t : ins) {
    Shape s(shape.size(), 0), own = stridesOf(t->shape);
    size_t off = shape.size() - t->shape.size();
    for (size_t d = 0; d < t->shape.size(); ++d)
      s[off + d] = t->shape[d] == 1 ? 0 : own[d];
    strides.push_back(std::move(s));
  }
  Shape src(ins.size());
  forEachIndex(shape, [&](ArrayRef<int64_t> idx, int64_t flat) {
    for (size_t k = 0; k < ins.size(); ++k)
      src[k] = dot(idx, strides[k]);
    fn(*out, flat, ArrayRef<int64_t>(src));
  });
  return done(std::move(*out));
}

/// Calls fn with a value of the computation type of `t`: double for floats,
/// uint64_t for unsigned integers and bool, int64_t otherwise.
template <typename Fn> auto byKind(DType t, Fn &&fn) {
  if (isFloat(t))
    return fn(double());
  if (isUnsigned(t) || t == DType::Bool)
    return fn(uint64_t());
  return fn(int64_t());
}

template <typename T> constexpr bool isFP = std::is_floating_point_v<T>;

template <typename T> T load(const HostTensor &t, int64_t i) {
  if constexpr (isFP<T>)
    return t.getDouble(i);
  else
    return static_cast<T>(t.getInt(i));
}

template <typename T> void store(HostTensor &t, int64_t i, T v) {
  if constexpr (isFP<T>)
    t.setDouble(i, v);
  else
    t.setInt(i, static_cast<int64_t>(v));
}

// Integer arithmetic wraps (done in uint64_t to avoid signed overflow).
template <typename T> T addW(T a, T b) {
  if constexpr (isFP<T>)
    return a + b;
  else
    return static_cast<T>(uint64_t(a) + uint64_t(b));
}
template <typename T> T subW(T a, T b) {
  if constexpr (isFP<T>)
    return a - b;
  else
    return static_cast<T>(uint64_t(a) - uint64_t(b));
}
template <typename T> T mulW(T a, T b) {
  if constexpr (isFP<T>)
    return a * b;
  else
    return static_cast<T>(uint64_t(a) * uint64_t(b));
}
template <typename T> T negW(T a) { return subW(T(0), a); }

/// Max / min propagating NaN.
template <typename T> T maxOp(T a, T b) { return (a < b || b != b) ? b : a; }
template <typename T> T minOp(T a, T b) { return (b < a || b != b) ? b : a; }

//===----------------------------------------------------------------------===//
// The op table
//===----------------------------------------------------------------------===//

/// Evaluates one node; see foldNode.
using Handler = FoldResult (*)(const Ctx &);

struct OpInfo {
  Handler fn;
  /// Inputs that must be present; the handler may read them with at().
  unsigned minInputs;
};

/// Op type -> evaluator, for the default ONNX domain.
using OpTable = llvm::StringMap<OpInfo>;

/// Arithmetic, logic, comparisons, Where and unary math
/// (HostEvalElementwise.cpp).
void registerElementwiseOps(OpTable &table);
/// Casts, shape queries and data movement: Concat, Split, Slice, Reshape,
/// Transpose, ... (HostEvalShape.cpp).
void registerShapeOps(OpTable &table);
/// Gathers, ScatterND and NonZero (HostEvalIndexing.cpp).
void registerIndexingOps(OpTable &table);
/// Constant, ConstantOfShape, Range and Trilu (HostEvalGenerate.cpp).
void registerGenerateOps(OpTable &table);
/// MatMul and Einsum (HostEvalLinalg.cpp).
void registerLinalgOps(OpTable &table);
/// Reduce*, ArgMax, ArgMin and CumSum (HostEvalReduce.cpp).
void registerReduceOps(OpTable &table);

} // namespace txc::onnx_import::hosteval

#endif // TXC_LIB_FRONTEND_ONNX_HOSTEVALIMPL_H
