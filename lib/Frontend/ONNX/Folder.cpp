//===- Folder.cpp - constant evaluation of ONNX nodes ---------------------===//
//
// A table maps each supported op type to a handler working on HostTensors.
// Elementwise ops share one broadcasting loop and compute in double for
// floating-point element types, int64 for signed and uint64 for unsigned
// integers (integer overflow wraps). Data-movement ops copy raw elements.
//
//===----------------------------------------------------------------------===//

#include "Folder.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>
#include <limits>
#include <numeric>
#include <type_traits>

using llvm::ArrayRef;
using llvm::SmallVector;
using llvm::StringRef;
using llvm::Twine;

namespace txc::onnx_import {

int64_t NodeAttrs::getInt(StringRef name, int64_t def) const {
  auto it = ints.find(name.str());
  return it == ints.end() ? def : it->second;
}

double NodeAttrs::getFloat(StringRef name, double def) const {
  auto it = floats.find(name.str());
  return it == floats.end() ? def : it->second;
}

std::optional<std::vector<int64_t>> NodeAttrs::getInts(StringRef name) const {
  auto it = intLists.find(name.str());
  if (it == intLists.end())
    return std::nullopt;
  return it->second;
}

std::string NodeAttrs::getString(StringRef name, StringRef def) const {
  auto it = strings.find(name.str());
  return it == strings.end() ? def.str() : it->second;
}

const HostTensor *NodeAttrs::getTensor(StringRef name) const {
  auto it = tensors.find(name.str());
  return it == tensors.end() ? nullptr : &it->second;
}

std::optional<SmallVector<int64_t>> broadcastShapes(ArrayRef<int64_t> a,
                                                    ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    size_t ia = i + a.size(), ib = i + b.size();
    int64_t x = ia < rank ? 1 : a[ia - rank];
    int64_t y = ib < rank ? 1 : b[ib - rank];
    if (x == y || y == 1)
      out[i] = x;
    else if (x == 1 || x == -1)
      out[i] = y;
    else if (y == -1)
      out[i] = x;
    else
      return std::nullopt;
  }
  return out;
}

std::string parseEinsum(StringRef equation, ArrayRef<int64_t> ranks,
                        EinsumSpec &spec) {
  std::string eq;
  for (char ch : equation)
    if (ch != ' ')
      eq += ch;
  StringRef lhs = eq, rhs;
  bool explicitOutput = StringRef(eq).contains("->");
  if (explicitOutput)
    std::tie(lhs, rhs) = StringRef(eq).split("->");
  SmallVector<StringRef> terms;
  lhs.split(terms, ',');
  if (terms.size() != ranks.size())
    return "equation '" + equation.str() + "' has " +
           std::to_string(terms.size()) + " operands, the node " +
           std::to_string(ranks.size());
  auto letterLabel = [](char ch) -> int {
    if (ch >= 'a' && ch <= 'z')
      return ch - 'a';
    if (ch >= 'A' && ch <= 'Z')
      return 26 + ch - 'A';
    return -1;
  };
  // Letters of each term, with the position of its ellipsis (or -1).
  std::vector<std::vector<int>> letters(terms.size());
  std::vector<int> ellipsisAt(terms.size(), -1);
  int64_t ellipsisRank = 0;
  auto parseTerm = [&](StringRef term, std::vector<int> &out,
                       int &at) -> std::string {
    for (size_t i = 0; i < term.size(); ++i) {
      if (term.substr(i).starts_with("...")) {
        if (at >= 0)
          return "more than one ellipsis in '" + term.str() + "'";
        at = out.size();
        i += 2;
        continue;
      }
      int label = letterLabel(term[i]);
      if (label < 0)
        return std::string("unexpected character '") + term[i] +
               "' in equation '" + equation.str() + "'";
      out.push_back(label);
    }
    return "";
  };
  for (size_t t = 0; t < terms.size(); ++t) {
    if (std::string err = parseTerm(terms[t], letters[t], ellipsisAt[t]);
        !err.empty())
      return err;
    int64_t extra = ranks[t] - static_cast<int64_t>(letters[t].size());
    if (extra < 0 || (extra > 0 && ellipsisAt[t] < 0))
      return "operand " + std::to_string(t) + " has rank " +
             std::to_string(ranks[t]) + " but '" + terms[t].str() +
             "' names " + std::to_string(letters[t].size()) + " dimensions";
    ellipsisRank = std::max(ellipsisRank, extra);
  }
  auto expand = [&](const std::vector<int> &ls, int at, int64_t extra) {
    std::vector<int> out;
    for (size_t i = 0; i <= ls.size(); ++i) {
      if (static_cast<int>(i) == at)
        for (int64_t k = 0; k < extra; ++k)
          out.push_back(52 + (ellipsisRank - extra) + k);
      if (i < ls.size())
        out.push_back(ls[i]);
    }
    return out;
  };
  spec.inputs.clear();
  std::map<int, int> counts;
  for (size_t t = 0; t < terms.size(); ++t) {
    spec.inputs.push_back(expand(letters[t], ellipsisAt[t],
                                 ranks[t] - letters[t].size()));
    for (int l : letters[t])
      ++counts[l];
  }
  spec.output.clear();
  if (explicitOutput) {
    std::vector<int> outLetters;
    int at = -1;
    if (std::string err = parseTerm(rhs, outLetters, at); !err.empty())
      return err;
    if (at < 0 && ellipsisRank > 0)
      at = 0; // ONNX: the broadcast dimensions lead an output without "..."
    spec.output = expand(outLetters, at, at < 0 ? 0 : ellipsisRank);
    for (int l : outLetters)
      if (!counts.count(l))
        return "an output label of '" + equation.str() +
               "' does not appear in the inputs";
  } else {
    for (int64_t k = 0; k < ellipsisRank; ++k)
      spec.output.push_back(52 + k);
    for (auto [label, count] : counts)
      if (count == 1)
        spec.output.push_back(label);
  }
  std::set<int> seen(spec.output.begin(), spec.output.end());
  if (seen.size() != spec.output.size())
    return "the output of '" + equation.str() + "' repeats a label";
  spec.loops = spec.output;
  for (const std::vector<int> &in : spec.inputs)
    for (int l : in)
      if (seen.insert(l).second)
        spec.loops.push_back(l);
  return "";
}

std::string einsumSizes(const EinsumSpec &spec,
                        ArrayRef<ArrayRef<int64_t>> shapes,
                        std::map<int, int64_t> &sizes) {
  sizes.clear();
  for (size_t t = 0; t < spec.inputs.size(); ++t)
    for (size_t d = 0; d < spec.inputs[t].size(); ++d) {
      int64_t n = shapes[t][d];
      auto [it, inserted] = sizes.try_emplace(spec.inputs[t][d], n);
      if (inserted || it->second == n || n == 1)
        continue;
      if (it->second == 1) {
        it->second = n;
        continue;
      }
      return "dimension " + std::to_string(d) + " of operand " +
             std::to_string(t) + " is " + std::to_string(n) +
             ", another use of its label is " + std::to_string(it->second);
    }
  return "";
}

} // namespace txc::onnx_import

using namespace txc::onnx_import;

namespace {

using Shape = SmallVector<int64_t>;

std::string fmt(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

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

  std::optional<int64_t> normAxis(int64_t axis, int64_t rank) const {
    if (axis < -rank || axis >= rank)
      return setError("axis " + Twine(axis) + " out of range for rank " +
                      Twine(rank));
    return axis < 0 ? axis + rank : axis;
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

FoldResult done(HostTensor t) {
  FoldResult r;
  r.outputs.push_back(std::move(t));
  return r;
}

/// An error message if `t` is not a well-formed tensor of a held type; an
/// empty string if it is; "unsupported" for element types not held.
std::string checkTensor(const HostTensor &t) {
  if (dtypeSize(t.dtype) == 0)
    return "unsupported";
  for (int64_t d : t.shape)
    if (d < 0)
      return "negative dimension in shape " + fmt(t.shape);
  int64_t n = product(t.shape);
  if (n == std::numeric_limits<int64_t>::max() ||
      t.bytes.size() != static_cast<uint64_t>(n) * dtypeSize(t.dtype))
    return "tensor of shape " + fmt(t.shape) + " and type " +
           dtypeName(t.dtype).str() + " has " + std::to_string(t.bytes.size()) +
           " bytes";
  return "";
}

/// Copies `n` elements (same element type) from `src` at `si` to `dst` at `di`.
void copyElems(HostTensor &dst, int64_t di, const HostTensor &src, int64_t si,
               int64_t n = 1) {
  if (n <= 0)
    return;
  size_t size = dtypeSize(src.dtype);
  std::memcpy(dst.bytes.data() + di * size, src.bytes.data() + si * size,
              n * size);
}

HostTensor reshaped(const HostTensor &t, ArrayRef<int64_t> shape) {
  HostTensor r = t;
  r.shape.assign(shape.begin(), shape.end());
  return r;
}

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

int64_t dot(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  int64_t s = 0;
  for (size_t i = 0; i < a.size(); ++i)
    s += a[i] * b[i];
  return s;
}

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

/// `v` in the computation type T (integers truncate and saturate).
template <typename T> T fromDouble(double v) {
  if constexpr (isFP<T>)
    return v;
  else
    return static_cast<T>(HostTensor::scalarDouble(
                              std::is_signed_v<T> ? DType::I64 : DType::U64, v)
                              .getInt(0));
}

/// Applies a rounding function to floats; integers are already integral.
template <typename T, typename Fn> T rounded(T x, Fn fn) {
  if constexpr (isFP<T>)
    return fn(x);
  else
    return x;
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

/// Division; integers truncate toward zero (zero divisors are refused
/// before this is reached).
template <typename T> T divOp(T a, T b) {
  if constexpr (isFP<T>) {
    return a / b;
  } else {
    if (b == 0)
      return 0;
    if constexpr (std::is_signed_v<T>)
      if (b == -1)
        return negW(a);
    return a / b;
  }
}

/// Remainder: with `fmod` truncated (C), otherwise with the divisor's sign.
template <typename T> T modOp(T a, T b, bool fmod) {
  T r;
  if constexpr (isFP<T>) {
    r = std::fmod(a, b);
  } else {
    if (b == 0)
      return 0;
    if constexpr (std::is_signed_v<T>)
      if (b == -1)
        return 0;
    r = a % b;
  }
  if (!fmod && r != 0 && ((r < 0) != (b < 0)))
    r += b;
  return r;
}

/// Max / min propagating NaN.
template <typename T> T maxOp(T a, T b) { return (a < b || b != b) ? b : a; }
template <typename T> T minOp(T a, T b) { return (b < a || b != b) ? b : a; }

/// Elementwise op on two inputs of the same element type. `fn` gets both
/// values in the computation type; a bool result makes a bool output.
template <typename Fn>
FoldResult binary(const Ctx &c, const HostTensor &a, const HostTensor &b,
                  Fn fn) {
  if (a.dtype != b.dtype)
    return c.error("operands have different element types " +
                   dtypeName(a.dtype) + " and " + dtypeName(b.dtype));
  return byKind(a.dtype, [&](auto tag) {
    using T = decltype(tag);
    using R = decltype(fn(T(), T()));
    DType outType = std::is_same_v<R, bool> ? DType::Bool : a.dtype;
    return mapBroadcast(c, {&a, &b}, outType,
                        [&](HostTensor &out, int64_t i, ArrayRef<int64_t> s) {
                          store(out, i, fn(load<T>(a, s[0]), load<T>(b, s[1])));
                        });
  });
}

template <typename Fn> FoldResult binary(const Ctx &c, Fn fn) {
  return binary(c, c.at(0), c.at(1), fn);
}

/// Binary op on bool inputs only.
template <typename Fn> FoldResult logical(const Ctx &c, Fn fn) {
  for (unsigned i = 0; i < 2; ++i)
    if (c.at(i).dtype != DType::Bool)
      return c.error("expects bool inputs, got " + dtypeName(c.at(i).dtype));
  return binary(c, [&](auto a, auto b) -> bool { return fn(a != 0, b != 0); });
}

/// Left fold of a variadic elementwise op; `mean` divides by the count.
template <typename Fn>
FoldResult variadic(const Ctx &c, Fn fn, bool mean = false) {
  for (const HostTensor *t : c.in)
    if (!t)
      return c.error("inputs may not be omitted");
  HostTensor acc = c.at(0);
  for (unsigned i = 1; i < c.in.size(); ++i) {
    FoldResult r = binary(c, acc, c.at(i), fn);
    if (!r.ok())
      return r;
    acc = std::move(r.outputs[0]);
  }
  if (mean)
    byKind(acc.dtype, [&](auto tag) {
      using T = decltype(tag);
      T n = static_cast<T>(c.in.size());
      for (int64_t i = 0, e = acc.numElements(); i < e; ++i)
        store(acc, i, divOp(load<T>(acc, i), n));
      return 0;
    });
  return done(std::move(acc));
}

/// Elementwise op on one input; `fn` gets the value in the computation type
/// and its result is stored converted (a bool result makes a bool output).
template <typename Fn> FoldResult unary(const Ctx &c, Fn fn) {
  const HostTensor &x = c.at(0);
  return byKind(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    using R = decltype(fn(T()));
    std::optional<HostTensor> out =
        c.alloc(std::is_same_v<R, bool> ? DType::Bool : x.dtype, x.shape);
    if (!out)
      return c.tooLarge();
    for (int64_t i = 0, e = x.numElements(); i < e; ++i)
      store(*out, i, fn(load<T>(x, i)));
    return done(std::move(*out));
  });
}

/// Unary op evaluated in double whatever the element type.
template <typename Fn> FoldResult math(const Ctx &c, Fn fn) {
  return unary(c, [&](auto x) -> double { return fn(double(x)); });
}

FoldResult foldDivOrMod(const Ctx &c, bool isMod) {
  const HostTensor &b = c.at(1);
  if (!isFloat(b.dtype))
    for (int64_t i = 0, e = b.numElements(); i < e; ++i)
      if (b.getInt(i) == 0)
        return c.refuse("integer division by zero");
  bool fmod = c.attrs.getInt("fmod", 0) != 0;
  if (isMod)
    return binary(c, [&](auto x, auto y) { return modOp(x, y, fmod); });
  return binary(c, [](auto x, auto y) { return divOp(x, y); });
}

FoldResult foldPow(const Ctx &c) {
  const HostTensor &a = c.at(0), &b = c.at(1);
  return mapBroadcast(c, {&a, &b}, a.dtype,
                      [&](HostTensor &out, int64_t i, ArrayRef<int64_t> s) {
                        double e = b.getDouble(s[1]);
                        if (isFloat(a.dtype) || e < 0 || e != std::floor(e)) {
                          out.setDouble(i, std::pow(a.getDouble(s[0]), e));
                          return;
                        }
                        uint64_t base = a.getInt(s[0]), r = 1;
                        for (uint64_t n = e >= 64 ? 64 : uint64_t(e); n;
                             n >>= 1) {
                          if (n & 1)
                            r *= base;
                          base *= base;
                        }
                        // Exponents >= 64 only matter for bases -1, 0, 1.
                        if (e >= 64 && a.getInt(s[0]) == -1)
                          r = std::fmod(e, 2.0) == 0 ? 1 : uint64_t(-1);
                        out.setInt(i, static_cast<int64_t>(r));
                      });
}

FoldResult foldWhere(const Ctx &c) {
  const HostTensor &cond = c.at(0), &x = c.at(1), &y = c.at(2);
  if (cond.dtype != DType::Bool)
    return c.error("condition must be bool, not " + dtypeName(cond.dtype));
  if (x.dtype != y.dtype)
    return c.error("X and Y have different element types " +
                   dtypeName(x.dtype) + " and " + dtypeName(y.dtype));
  return mapBroadcast(c, {&cond, &x, &y}, x.dtype,
                      [&](HostTensor &out, int64_t i, ArrayRef<int64_t> s) {
                        if (cond.getInt(s[0]))
                          copyElems(out, i, x, s[1]);
                        else
                          copyElems(out, i, y, s[2]);
                      });
}

FoldResult foldClip(const Ctx &c) {
  const HostTensor *lo = c.opt(1), *hi = c.opt(2);
  for (const HostTensor *b : {lo, hi})
    if (b && b->numElements() != 1)
      return c.error("min and max must be scalars");
  bool oldAttrs = c.opset < 11;
  return unary(c, [&](auto v) {
    using T = decltype(v);
    if (lo)
      v = maxOp(v, load<T>(*lo, 0));
    else if (oldAttrs && c.attrs.floats.count("min"))
      v = maxOp(v, fromDouble<T>(c.attrs.getFloat("min", 0)));
    if (hi)
      v = minOp(v, load<T>(*hi, 0));
    else if (oldAttrs && c.attrs.floats.count("max"))
      v = minOp(v, fromDouble<T>(c.attrs.getFloat("max", 0)));
    return v;
  });
}

FoldResult foldIsInf(const Ctx &c) {
  bool neg = c.attrs.getInt("detect_negative", 1) != 0;
  bool pos = c.attrs.getInt("detect_positive", 1) != 0;
  return unary(c, [&](auto x) -> bool {
    double d = double(x);
    return std::isinf(d) && (d > 0 ? pos : neg);
  });
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

FoldResult foldCast(const Ctx &c, DType to) {
  const HostTensor &x = c.at(0);
  if (dtypeSize(to) == 0)
    return c.refuse(("unsupported element type " + dtypeName(to)).str());
  std::optional<HostTensor> out = c.alloc(to, x.shape);
  if (!out)
    return c.tooLarge();
  bool viaDouble = isFloat(x.dtype) || isFloat(to);
  for (int64_t i = 0, e = x.numElements(); i < e; ++i) {
    if (viaDouble)
      out->setDouble(i, x.getDouble(i));
    else
      out->setInt(i, x.getInt(i));
  }
  return done(std::move(*out));
}

FoldResult foldCastAttr(const Ctx &c) {
  if (!c.attrs.ints.count("to"))
    return c.error("missing attribute 'to'");
  int64_t to = c.attrs.getInt("to", 0);
  std::optional<DType> t =
      to >= 0 && to <= INT32_MAX ? dtypeFromONNX(int32_t(to)) : std::nullopt;
  if (!t)
    return c.error("unknown element type " + Twine(to));
  return foldCast(c, *t);
}

FoldResult foldShape(const Ctx &c) {
  int64_t rank = c.at(0).rank();
  auto clampDim = [&](int64_t v) {
    return std::clamp<int64_t>(v < 0 ? v + rank : v, 0, rank);
  };
  int64_t start = clampDim(c.attrs.getInt("start", 0));
  int64_t end = clampDim(c.attrs.getInt("end", rank));
  ArrayRef<int64_t> dims(c.at(0).shape);
  return done(HostTensor::fromInts(start < end ? dims.slice(start, end - start)
                                               : ArrayRef<int64_t>()));
}

FoldResult foldConstant(const Ctx &c) {
  const NodeAttrs &a = c.attrs;
  if (const HostTensor *t = a.getTensor("value")) {
    std::string bad = checkTensor(*t);
    if (bad == "unsupported")
      return c.refuse(
          ("unsupported element type " + dtypeName(t->dtype)).str());
    if (!bad.empty())
      return c.error("attribute 'value': " + bad);
    if (t->numElements() > c.maxElements)
      return c.tooLarge();
    return done(*t);
  }
  if (a.floats.count("value_float"))
    return done(
        HostTensor::scalarDouble(DType::F32, a.getFloat("value_float", 0)));
  if (a.ints.count("value_int"))
    return done(HostTensor::scalarInt(DType::I64, a.getInt("value_int", 0)));
  if (std::optional<std::vector<int64_t>> v = a.getInts("value_ints"))
    return done(HostTensor::fromInts(*v));
  auto fl = a.floatLists.find("value_floats");
  if (fl != a.floatLists.end()) {
    HostTensor t(DType::F32, {static_cast<int64_t>(fl->second.size())});
    for (size_t i = 0; i < fl->second.size(); ++i)
      t.setDouble(i, fl->second[i]);
    return done(std::move(t));
  }
  if (a.strings.count("value_string") || a.strings.count("value_strings"))
    return c.refuse("unsupported constant kind");
  return c.error("no supported value attribute");
}

FoldResult foldConstantOfShape(const Ctx &c) {
  std::optional<std::vector<int64_t>> shape = c.ints(0, "shape");
  if (!shape)
    return c.fail();
  if (llvm::any_of(*shape, [](int64_t d) { return d < 0; }))
    return c.error("negative dimension in shape " + fmt(*shape));
  HostTensor value = HostTensor::scalarDouble(DType::F32, 0);
  if (const HostTensor *v = c.attrs.getTensor("value")) {
    std::string bad = checkTensor(*v);
    if (bad == "unsupported")
      return c.refuse(
          ("unsupported element type " + dtypeName(v->dtype)).str());
    if (!bad.empty() || v->numElements() != 1)
      return c.error("attribute 'value' must be a one-element tensor");
    value = *v;
  }
  std::optional<HostTensor> out = c.alloc(value.dtype, *shape);
  if (!out)
    return c.tooLarge();
  for (int64_t i = 0, e = out->numElements(); i < e; ++i)
    copyElems(*out, i, value, 0);
  return done(std::move(*out));
}

FoldResult foldGather(const Ctx &c) {
  const HostTensor &data = c.at(0), &ind = c.at(1);
  if (data.rank() == 0)
    return c.error("data must have rank >= 1");
  if (!isInteger(ind.dtype))
    return c.error("indices must be integers");
  std::optional<int64_t> axis =
      c.normAxis(c.attrs.getInt("axis", 0), data.rank());
  if (!axis)
    return c.fail();
  ArrayRef<int64_t> ds(data.shape);
  int64_t dim = ds[*axis];
  Shape shape(ds.take_front(*axis));
  shape.append(ind.shape.begin(), ind.shape.end());
  shape.append(ds.begin() + *axis + 1, ds.end());
  std::optional<HostTensor> out = c.alloc(data.dtype, shape);
  if (!out)
    return c.tooLarge();
  std::vector<int64_t> idx = ind.toInts();
  for (int64_t &k : idx) {
    if (k < -dim || k >= dim)
      return c.error("index " + Twine(k) + " out of range for dimension " +
                     Twine(dim));
    k = k < 0 ? k + dim : k;
  }
  int64_t outer = product(ds.take_front(*axis));
  int64_t inner = product(ds.drop_front(*axis + 1));
  int64_t n = idx.size();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < n; ++j)
      copyElems(*out, (o * n + j) * inner, data, (o * dim + idx[j]) * inner,
                inner);
  return done(std::move(*out));
}

FoldResult foldGatherElements(const Ctx &c) {
  const HostTensor &data = c.at(0), &ind = c.at(1);
  if (!isInteger(ind.dtype))
    return c.error("indices must be integers");
  if (data.rank() == 0 || data.rank() != ind.rank())
    return c.error("data and indices must have the same rank >= 1");
  std::optional<int64_t> axis =
      c.normAxis(c.attrs.getInt("axis", 0), data.rank());
  if (!axis)
    return c.fail();
  for (int64_t d = 0; d < data.rank(); ++d)
    if (d != *axis && ind.shape[d] > data.shape[d])
      return c.error("indices shape " + fmt(ind.shape) +
                     " exceeds data shape " + fmt(data.shape));
  int64_t dim = data.shape[*axis];
  std::vector<int64_t> idx = ind.toInts();
  for (int64_t k : idx)
    if (k < -dim || k >= dim)
      return c.error("index " + Twine(k) + " out of range for dimension " +
                     Twine(dim));
  std::optional<HostTensor> out = c.alloc(data.dtype, ind.shape);
  if (!out)
    return c.tooLarge();
  Shape strides = stridesOf(data.shape);
  forEachIndex(ind.shape, [&](ArrayRef<int64_t> pos, int64_t flat) {
    int64_t k = idx[flat] < 0 ? idx[flat] + dim : idx[flat];
    int64_t src = dot(pos, strides) + (k - pos[*axis]) * strides[*axis];
    copyElems(*out, flat, data, src);
  });
  return done(std::move(*out));
}

FoldResult foldGatherND(const Ctx &c) {
  const HostTensor &data = c.at(0), &ind = c.at(1);
  if (!isInteger(ind.dtype))
    return c.error("indices must be integers");
  int64_t r = data.rank(), q = ind.rank();
  int64_t b = c.attrs.getInt("batch_dims", 0);
  if (r < 1 || q < 1 || b < 0 || b >= std::min(q, r))
    return c.error("needs data and indices of rank >= 1 and 0 <= batch_dims "
                   "< min(ranks)");
  ArrayRef<int64_t> ds(data.shape), is(ind.shape);
  int64_t m = is.back();
  if (m > r - b)
    return c.error("index tuples of length " + Twine(m) + " for data rank " +
                   Twine(r) + " with batch_dims " + Twine(b));
  if (ds.take_front(b) != is.take_front(b))
    return c.error("batch dimensions of data " + fmt(ds) + " and indices " +
                   fmt(is) + " differ");
  Shape shape(is.drop_back());
  shape.append(ds.begin() + b + m, ds.end());
  std::optional<HostTensor> out = c.alloc(data.dtype, shape);
  if (!out)
    return c.tooLarge();
  std::vector<int64_t> idx = ind.toInts();
  for (size_t j = 0; j < idx.size(); ++j) {
    int64_t dim = ds[b + j % m];
    if (idx[j] < -dim || idx[j] >= dim)
      return c.error("index " + Twine(idx[j]) + " out of range for dimension " +
                     Twine(dim));
    idx[j] = idx[j] < 0 ? idx[j] + dim : idx[j];
  }
  Shape strides = stridesOf(ds);
  int64_t tuples = product(is.drop_back());
  int64_t perBatch = product(is.slice(b, q - 1 - b));
  int64_t batchStride = product(ds.drop_front(b));
  int64_t slice = product(ds.drop_front(b + m));
  for (int64_t t = 0; t < tuples; ++t) {
    int64_t src = (t / perBatch) * batchStride;
    for (int64_t k = 0; k < m; ++k)
      src += idx[t * m + k] * strides[b + k];
    copyElems(*out, t * slice, data, src, slice);
  }
  return done(std::move(*out));
}

FoldResult foldConcat(const Ctx &c) {
  for (const HostTensor *t : c.in)
    if (!t)
      return c.error("inputs may not be omitted");
  if (!c.attrs.ints.count("axis"))
    return c.error("missing attribute 'axis'");
  const HostTensor &first = c.at(0);
  if (first.rank() == 0)
    return c.error("inputs must have rank >= 1");
  std::optional<int64_t> axis =
      c.normAxis(c.attrs.getInt("axis", 0), first.rank());
  if (!axis)
    return c.fail();
  Shape shape = first.shape;
  shape[*axis] = 0;
  for (const HostTensor *t : c.in) {
    bool same = t->rank() == first.rank() && t->dtype == first.dtype;
    for (int64_t d = 0; same && d < t->rank(); ++d)
      same = d == *axis || t->shape[d] == first.shape[d];
    if (!same)
      return c.error("cannot concatenate " + dtypeName(t->dtype) +
                     fmt(t->shape) + " with " + dtypeName(first.dtype) +
                     fmt(first.shape) + " on axis " + Twine(*axis));
    shape[*axis] += t->shape[*axis];
  }
  std::optional<HostTensor> out = c.alloc(first.dtype, shape);
  if (!out)
    return c.tooLarge();
  int64_t outer = product(ArrayRef<int64_t>(shape).take_front(*axis));
  int64_t inner = product(ArrayRef<int64_t>(shape).drop_front(*axis + 1));
  int64_t pos = 0;
  for (int64_t o = 0; o < outer; ++o)
    for (const HostTensor *t : c.in) {
      int64_t chunk = t->shape[*axis] * inner;
      copyElems(*out, pos, *t, o * chunk, chunk);
      pos += chunk;
    }
  return done(std::move(*out));
}

/// The `len` entries of `t` from `start` along `axis`.
HostTensor sliceAxis(const HostTensor &t, int64_t axis, int64_t start,
                     int64_t len) {
  Shape shape = t.shape;
  shape[axis] = len;
  HostTensor out(t.dtype, shape);
  int64_t dim = t.shape[axis];
  int64_t inner = product(ArrayRef<int64_t>(shape).drop_front(axis + 1));
  int64_t outer = product(ArrayRef<int64_t>(shape).take_front(axis));
  for (int64_t o = 0; o < outer; ++o)
    copyElems(out, o * len * inner, t, (o * dim + start) * inner, len * inner);
  return out;
}

FoldResult foldSplit(const Ctx &c) {
  const HostTensor &x = c.at(0);
  if (x.rank() == 0)
    return c.error("input must have rank >= 1");
  std::optional<int64_t> axis = c.normAxis(c.attrs.getInt("axis", 0), x.rank());
  if (!axis)
    return c.fail();
  int64_t dim = x.shape[*axis];
  int64_t n = c.numOutputs;
  std::optional<std::vector<int64_t>> sizes;
  if (!c.listInputOrAttr(1, "split", sizes))
    return c.fail();
  if (sizes) {
    int64_t total = 0;
    for (int64_t s : *sizes) {
      if (s < 0 || s > dim - total)
        return c.error("split " + fmt(*sizes) + " does not fit dimension " +
                       Twine(dim));
      total += s;
    }
    if (total != dim || static_cast<int64_t>(sizes->size()) != n)
      return c.error("split " + fmt(*sizes) + " does not divide dimension " +
                     Twine(dim) + " into " + Twine(n) + " outputs");
  } else {
    bool hasNum = c.attrs.ints.count("num_outputs");
    if (hasNum && c.attrs.getInt("num_outputs", 0) != n)
      return c.error("num_outputs does not match the node's output count");
    if (n <= 0 || (!hasNum && dim % n))
      return c.error("cannot split dimension " + Twine(dim) + " into " +
                     Twine(n) + " equal parts");
    int64_t chunk = (dim + n - 1) / n;
    if (chunk * (n - 1) > dim)
      return c.error("cannot split dimension " + Twine(dim) + " into " +
                     Twine(n) + " parts");
    sizes = std::vector<int64_t>(n, chunk);
    sizes->back() = dim - chunk * (n - 1);
  }
  FoldResult r;
  int64_t start = 0;
  for (int64_t s : *sizes) {
    r.outputs.push_back(sliceAxis(x, *axis, start, s));
    start += s;
  }
  return r;
}

FoldResult foldSlice(const Ctx &c) {
  const HostTensor &x = c.at(0);
  std::optional<std::vector<int64_t>> starts, ends, axes, steps;
  if (c.opset < 10) {
    starts = c.attrs.getInts("starts");
    ends = c.attrs.getInts("ends");
    axes = c.attrs.getInts("axes");
  } else {
    if (!c.opt(1) || !c.opt(2))
      return c.error("starts and ends are required");
    if (!(starts = c.ints(1, "starts")) || !(ends = c.ints(2, "ends")) ||
        !c.listInputOrAttr(3, "axes", axes) ||
        !c.listInputOrAttr(4, "steps", steps))
      return c.fail();
  }
  if (!starts || !ends || starts->size() != ends->size() ||
      (axes && axes->size() != starts->size()) ||
      (steps && steps->size() != starts->size()))
    return c.error("starts, ends, axes and steps must have the same length");
  std::vector<int64_t> allAxes(starts->size());
  if (axes)
    allAxes = *axes;
  else
    std::iota(allAxes.begin(), allAxes.end(), 0);
  std::optional<Shape> normAxes = c.normAxes(allAxes, x.rank());
  if (!normAxes)
    return c.fail();
  Shape begin(x.rank(), 0), step(x.rank(), 1), shape = x.shape;
  for (size_t i = 0; i < normAxes->size(); ++i) {
    int64_t a = (*normAxes)[i], dim = x.shape[a];
    int64_t s = (*starts)[i], e = (*ends)[i];
    int64_t st = steps ? (*steps)[i] : 1;
    if (st == 0)
      return c.error("step must not be 0");
    st = std::max(st, -std::numeric_limits<int64_t>::max());
    begin[a] = 0;
    step[a] = st;
    if (dim == 0) {
      shape[a] = 0;
      continue;
    }
    s = s < 0 ? s + dim : s;
    e = e < 0 ? e + dim : e;
    int64_t diff;
    if (st > 0) {
      s = std::clamp<int64_t>(s, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
      diff = e - s;
    } else {
      s = std::clamp<int64_t>(s, 0, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
      diff = s - e;
    }
    int64_t mag = st > 0 ? st : -st;
    begin[a] = s;
    shape[a] = diff <= 0 ? 0 : (diff - 1) / mag + 1;
  }
  std::optional<HostTensor> out = c.alloc(x.dtype, shape);
  if (!out)
    return c.tooLarge();
  Shape strides = stridesOf(x.shape);
  forEachIndex(shape, [&](ArrayRef<int64_t> idx, int64_t flat) {
    int64_t src = 0;
    for (size_t d = 0; d < idx.size(); ++d)
      src += (begin[d] + idx[d] * step[d]) * strides[d];
    copyElems(*out, flat, x, src);
  });
  return done(std::move(*out));
}

FoldResult foldSqueeze(const Ctx &c) {
  const HostTensor &x = c.at(0);
  std::optional<std::vector<int64_t>> axes;
  if (!c.listInputOrAttr(1, "axes", axes))
    return c.fail();
  Shape drop;
  if (axes) {
    std::optional<Shape> n = c.normAxes(*axes, x.rank());
    if (!n)
      return c.fail();
    drop = *n;
    for (int64_t a : drop)
      if (x.shape[a] != 1)
        return c.error("cannot squeeze axis " + Twine(a) + " of shape " +
                       fmt(x.shape));
  } else {
    for (int64_t d = 0; d < x.rank(); ++d)
      if (x.shape[d] == 1)
        drop.push_back(d);
  }
  Shape shape;
  for (int64_t d = 0; d < x.rank(); ++d)
    if (!llvm::is_contained(drop, d))
      shape.push_back(x.shape[d]);
  return done(reshaped(x, shape));
}

FoldResult foldUnsqueeze(const Ctx &c) {
  const HostTensor &x = c.at(0);
  std::optional<std::vector<int64_t>> axes;
  if (!c.listInputOrAttr(1, "axes", axes))
    return c.fail();
  if (!axes)
    return c.error("axes are required");
  int64_t rank = x.rank() + axes->size();
  std::optional<Shape> n = c.normAxes(*axes, rank);
  if (!n)
    return c.fail();
  Shape shape;
  auto dims = x.shape.begin();
  for (int64_t d = 0; d < rank; ++d)
    shape.push_back(llvm::is_contained(*n, d) ? 1 : *dims++);
  return done(reshaped(x, shape));
}

FoldResult foldEinsum(const Ctx &c) {
  EinsumSpec spec;
  SmallVector<int64_t> ranks;
  SmallVector<ArrayRef<int64_t>> shapes;
  for (const HostTensor *t : c.in) {
    if (!t)
      return c.error("missing operand");
    if (t->dtype != c.at(0).dtype)
      return c.error("operands have different element types");
    ranks.push_back(t->rank());
    shapes.push_back(t->shape);
  }
  std::string eq = c.attrs.getString("equation", "");
  if (std::string err = parseEinsum(eq, ranks, spec); !err.empty())
    return c.error(err);
  std::map<int, int64_t> sizes;
  if (std::string err = einsumSizes(spec, shapes, sizes); !err.empty())
    return c.error(err);
  Shape loopShape, outShape;
  for (int l : spec.loops)
    loopShape.push_back(sizes[l]);
  for (int l : spec.output)
    outShape.push_back(sizes[l]);
  if (product(loopShape) > c.maxElements)
    return c.tooLarge();
  std::optional<HostTensor> out = c.alloc(c.at(0).dtype, outShape);
  if (!out)
    return c.tooLarge();
  // Stride of each loop in each operand (0 where it does not index it or
  // the operand broadcasts) and in the output.
  auto loopStrides = [&](const std::vector<int> &labels,
                         ArrayRef<int64_t> shape) {
    Shape own = stridesOf(shape), strides(spec.loops.size(), 0);
    for (size_t d = 0; d < labels.size(); ++d) {
      size_t loop = llvm::find(spec.loops, labels[d]) - spec.loops.begin();
      if (shape[d] != 1)
        strides[loop] += own[d];
    }
    return strides;
  };
  std::vector<Shape> inStrides;
  for (size_t t = 0; t < spec.inputs.size(); ++t)
    inStrides.push_back(loopStrides(spec.inputs[t], shapes[t]));
  Shape outStrides = loopStrides(spec.output, outShape);
  bool isInt = isInteger(c.at(0).dtype);
  std::vector<double> acc(out->numElements(), 0.0);
  std::vector<int64_t> iacc(out->numElements(), 0);
  forEachIndex(loopShape, [&](ArrayRef<int64_t> idx, int64_t) {
    double p = 1.0;
    int64_t ip = 1;
    for (size_t t = 0; t < c.in.size(); ++t) {
      int64_t off = dot(idx, inStrides[t]);
      if (isInt)
        ip *= c.in[t]->getInt(off);
      else
        p *= c.in[t]->getDouble(off);
    }
    int64_t o = dot(idx, outStrides);
    if (isInt)
      iacc[o] += ip;
    else
      acc[o] += p;
  });
  for (int64_t i = 0, n = out->numElements(); i < n; ++i)
    isInt ? out->setInt(i, iacc[i]) : out->setDouble(i, acc[i]);
  return done(std::move(*out));
}

FoldResult foldScatterND(const Ctx &c) {
  const HostTensor &data = c.at(0), &ind = c.at(1), &upd = c.at(2);
  if (!isInteger(ind.dtype))
    return c.error("indices must be integers");
  if (upd.dtype != data.dtype)
    return c.error("updates and data have different element types");
  std::string reduction = c.attrs.getString("reduction", "none");
  if (reduction != "none" && reduction != "add" && reduction != "mul" &&
      reduction != "max" && reduction != "min")
    return c.error("unknown reduction '" + reduction + "'");
  int64_t r = data.rank(), q = ind.rank();
  if (q < 1 || ind.shape.back() > r)
    return c.error("indices of shape " + fmt(ind.shape) +
                   " do not index data of rank " + Twine(r));
  int64_t m = ind.shape.back();
  Shape expected(ind.shape.begin(), ind.shape.end() - 1);
  expected.append(data.shape.begin() + m, data.shape.end());
  if (ArrayRef<int64_t>(upd.shape) != ArrayRef<int64_t>(expected))
    return c.error("updates have shape " + fmt(upd.shape) + ", expected " +
                   fmt(expected));
  std::optional<HostTensor> out = c.alloc(data.dtype, data.shape);
  if (!out)
    return c.tooLarge();
  *out = data;
  Shape strides = stridesOf(data.shape);
  int64_t slice = product(ArrayRef<int64_t>(data.shape).drop_front(m));
  std::vector<int64_t> idx = ind.toInts();
  bool isInt = isInteger(data.dtype);
  for (int64_t t = 0, n = product(expected) / std::max<int64_t>(slice, 1);
       t < n && slice > 0; ++t) {
    int64_t dst = 0;
    for (int64_t k = 0; k < m; ++k) {
      int64_t i = idx[t * m + k], dim = data.shape[k];
      if (i < -dim || i >= dim)
        return c.error("index " + Twine(i) + " out of range for dimension " +
                       Twine(dim));
      dst += (i < 0 ? i + dim : i) * strides[k];
    }
    if (reduction == "none") {
      copyElems(*out, dst, upd, t * slice, slice);
      continue;
    }
    for (int64_t e = 0; e < slice; ++e) {
      int64_t o = dst + e, u = t * slice + e;
      if (isInt) {
        int64_t a = out->getInt(o), b = upd.getInt(u);
        out->setInt(o, reduction == "add"   ? a + b
                       : reduction == "mul" ? a * b
                       : reduction == "max" ? std::max(a, b)
                                            : std::min(a, b));
      } else {
        double a = out->getDouble(o), b = upd.getDouble(u);
        out->setDouble(o, reduction == "add"   ? a + b
                          : reduction == "mul" ? a * b
                          : reduction == "max" ? std::max(a, b)
                                               : std::min(a, b));
      }
    }
  }
  return done(std::move(*out));
}

/// Flatten: [d0 .. d(axis-1)] and [d(axis) ..] each become one dimension.
FoldResult foldFlatten(const Ctx &c) {
  const HostTensor &x = c.at(0);
  int64_t axis = c.attrs.getInt("axis", 1);
  if (axis < 0)
    axis += x.rank();
  if (axis < 0 || axis > x.rank())
    return c.error("axis " + Twine(c.attrs.getInt("axis", 1)) +
                   " is out of range for rank " + Twine(x.rank()));
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < x.rank(); ++d)
    (d < axis ? outer : inner) *= x.shape[d];
  return done(reshaped(x, Shape{outer, inner}));
}

FoldResult foldReshape(const Ctx &c) {
  const HostTensor &x = c.at(0);
  std::optional<std::vector<int64_t>> target;
  if (!c.listInputOrAttr(1, "shape", target))
    return c.fail();
  if (!target)
    return c.error("shape is required");
  bool allowZero = c.attrs.getInt("allowzero", 0) != 0;
  Shape shape(target->begin(), target->end());
  int64_t inferred = -1, known = 1;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 0 && !allowZero) {
      if (static_cast<int64_t>(d) >= x.rank())
        return c.error("0 at position " + Twine(d) + " of shape " + fmt(shape) +
                       " but the input has rank " + Twine(x.rank()));
      shape[d] = x.shape[d];
    }
    if (shape[d] == -1) {
      if (inferred >= 0)
        return c.error("more than one -1 in shape " + fmt(shape));
      inferred = d;
    } else if (shape[d] < 0) {
      return c.error("invalid dimension in shape " + fmt(*target));
    } else if (llvm::MulOverflow(known, shape[d], known)) {
      return c.error("shape " + fmt(*target) + " overflows");
    }
  }
  int64_t total = x.numElements();
  if (inferred >= 0) {
    if (known == 0 || total % known)
      return c.error("cannot infer -1 in shape " + fmt(*target) +
                     " for input shape " + fmt(x.shape));
    shape[inferred] = total / known;
  } else if (known != total) {
    return c.error("cannot reshape " + fmt(x.shape) + " to " + fmt(*target));
  }
  return done(reshaped(x, shape));
}

FoldResult foldExpand(const Ctx &c) {
  const HostTensor &x = c.at(0);
  std::optional<std::vector<int64_t>> shape = c.ints(1, "shape");
  if (!shape)
    return c.fail();
  if (llvm::any_of(*shape, [](int64_t d) { return d < 0; }))
    return c.error("negative dimension in shape " + fmt(*shape));
  return mapBroadcast(
      c, {&x}, x.dtype,
      [&](HostTensor &out, int64_t i, ArrayRef<int64_t> s) {
        copyElems(out, i, x, s[0]);
      },
      *shape);
}

FoldResult foldTranspose(const Ctx &c) {
  const HostTensor &x = c.at(0);
  std::vector<int64_t> perm(x.rank());
  for (int64_t d = 0; d < x.rank(); ++d)
    perm[d] = x.rank() - 1 - d;
  if (std::optional<std::vector<int64_t>> p = c.attrs.getInts("perm"))
    perm = *p;
  Shape sorted(perm.begin(), perm.end());
  llvm::sort(sorted);
  bool valid = static_cast<int64_t>(sorted.size()) == x.rank();
  for (int64_t d = 0; valid && d < x.rank(); ++d)
    valid = sorted[d] == d;
  if (!valid)
    return c.error("perm " + fmt(perm) + " is not a permutation of rank " +
                   Twine(x.rank()));
  Shape shape, inStrides = stridesOf(x.shape), strides;
  for (int64_t p : perm) {
    shape.push_back(x.shape[p]);
    strides.push_back(inStrides[p]);
  }
  HostTensor out(x.dtype, shape);
  forEachIndex(shape, [&](ArrayRef<int64_t> idx, int64_t flat) {
    copyElems(out, flat, x, dot(idx, strides));
  });
  return done(std::move(out));
}

/// MatMul with numpy semantics (1-D operands promoted, batch dimensions
/// broadcast); computed in double (int64 for integers).
FoldResult foldMatMul(const Ctx &c) {
  HostTensor a = c.at(0), b = c.at(1);
  if (a.rank() == 0 || b.rank() == 0)
    return c.error("MatMul operands must have rank >= 1");
  if (a.dtype != b.dtype)
    return c.error("MatMul operands have different element types");
  bool aVec = a.rank() == 1, bVec = b.rank() == 1;
  if (aVec)
    a = reshaped(a, {1, a.shape[0]});
  if (bVec)
    b = reshaped(b, {b.shape[0], 1});
  int64_t m = a.shape[a.rank() - 2], k = a.shape.back(),
          n = b.shape.back();
  if (b.shape[b.rank() - 2] != k)
    return c.error("MatMul inner dimensions differ: " + fmt(a.shape) +
                   " and " + fmt(b.shape));
  Shape aBatch(a.shape.begin(), a.shape.end() - 2),
      bBatch(b.shape.begin(), b.shape.end() - 2);
  std::optional<SmallVector<int64_t>> batch = broadcastShapes(aBatch, bBatch);
  if (!batch)
    return c.error("MatMul batch dimensions do not broadcast: " +
                   fmt(a.shape) + " and " + fmt(b.shape));
  Shape outShape(batch->begin(), batch->end());
  outShape.append({m, n});
  // Bound the work as well as the result size.
  if (product(outShape) > c.maxElements / std::max<int64_t>(k, 1))
    return c.tooLarge();
  std::optional<HostTensor> out = c.alloc(a.dtype, outShape);
  if (!out)
    return c.tooLarge();
  // Right-aligned batch offsets of each operand (size-1 dims broadcast).
  auto batchOffset = [&](const Shape &opBatch, ArrayRef<int64_t> idx,
                         int64_t matrix) {
    int64_t off = 0, stride = matrix;
    for (int64_t d = static_cast<int64_t>(opBatch.size()) - 1; d >= 0; --d) {
      int64_t i = idx[idx.size() - opBatch.size() + d];
      off += (opBatch[d] == 1 ? 0 : i) * stride;
      stride *= opBatch[d];
    }
    return off;
  };
  bool isInt = isInteger(a.dtype);
  int64_t flat = 0;
  forEachIndex(*batch, [&](ArrayRef<int64_t> idx, int64_t) {
    int64_t ao = batchOffset(aBatch, idx, m * k),
            bo = batchOffset(bBatch, idx, k * n);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j, ++flat) {
        if (isInt) {
          int64_t acc = 0;
          for (int64_t p = 0; p < k; ++p)
            acc += a.getInt(ao + i * k + p) * b.getInt(bo + p * n + j);
          out->setInt(flat, acc);
        } else {
          double acc = 0;
          for (int64_t p = 0; p < k; ++p)
            acc += a.getDouble(ao + i * k + p) * b.getDouble(bo + p * n + j);
          out->setDouble(flat, acc);
        }
      }
  });
  Shape finalShape(batch->begin(), batch->end());
  if (!aVec)
    finalShape.push_back(m);
  if (!bVec)
    finalShape.push_back(n);
  return done(reshaped(*out, finalShape));
}

FoldResult foldTile(const Ctx &c) {
  const HostTensor &x = c.at(0);
  std::optional<std::vector<int64_t>> reps = c.ints(1, "repeats");
  if (!reps)
    return c.fail();
  if (static_cast<int64_t>(reps->size()) != x.rank())
    return c.error("repeats " + fmt(*reps) + " do not match rank " +
                   Twine(x.rank()));
  Shape shape(x.rank());
  for (int64_t d = 0; d < x.rank(); ++d) {
    if ((*reps)[d] < 0)
      return c.error("negative repeat");
    if (llvm::MulOverflow(x.shape[d], (*reps)[d], shape[d]))
      return c.tooLarge();
  }
  std::optional<HostTensor> out = c.alloc(x.dtype, shape);
  if (!out)
    return c.tooLarge();
  Shape strides = stridesOf(x.shape);
  forEachIndex(shape, [&](ArrayRef<int64_t> idx, int64_t flat) {
    int64_t src = 0;
    for (int64_t d = 0; d < x.rank(); ++d)
      src += (idx[d] % x.shape[d]) * strides[d];
    copyElems(*out, flat, x, src);
  });
  return done(std::move(*out));
}

FoldResult foldRange(const Ctx &c) {
  const HostTensor &start = c.at(0), &limit = c.at(1), &delta = c.at(2);
  for (const HostTensor *t : {&start, &limit, &delta})
    if (t->numElements() != 1 || t->dtype != start.dtype)
      return c.error("start, limit and delta must be scalars of one type");
  int64_t n;
  if (isFloat(start.dtype)) {
    double s = start.getDouble(0), d = delta.getDouble(0);
    if (d == 0)
      return c.error("delta must be non-zero");
    double count = std::ceil((limit.getDouble(0) - s) / d);
    if (std::isnan(count))
      return c.error("start, limit and delta must be finite");
    if (count > static_cast<double>(c.maxElements))
      return c.tooLarge();
    n = count > 0 ? static_cast<int64_t>(count) : 0;
    std::optional<HostTensor> out = c.alloc(start.dtype, {n});
    if (!out)
      return c.tooLarge();
    for (int64_t i = 0; i < n; ++i)
      out->setDouble(i, s + i * d);
    return done(std::move(*out));
  }
  int64_t s = start.getInt(0), d = delta.getInt(0), diff;
  if (d == 0)
    return c.error("delta must be non-zero");
  if (llvm::SubOverflow(limit.getInt(0), s, diff))
    return c.tooLarge();
  if (d > 0)
    n = diff <= 0 ? 0 : (diff - 1) / d + 1;
  else
    n = diff >= 0 ? 0 : (diff + 1) / d + 1;
  std::optional<HostTensor> out = c.alloc(start.dtype, {n});
  if (!out)
    return c.tooLarge();
  for (int64_t i = 0; i < n; ++i)
    out->setInt(i, addW(s, mulW(i, d)));
  return done(std::move(*out));
}

FoldResult foldTrilu(const Ctx &c) {
  const HostTensor &x = c.at(0);
  if (x.rank() < 2)
    return c.error("input must have rank >= 2");
  int64_t k = 0;
  if (c.opt(1)) {
    std::optional<int64_t> v = c.intScalar(1, "k");
    if (!v)
      return c.fail();
    k = *v;
  }
  bool upper = c.attrs.getInt("upper", 1) != 0;
  HostTensor out = x;
  size_t size = dtypeSize(x.dtype);
  int64_t rows = x.shape[x.rank() - 2], cols = x.shape[x.rank() - 1];
  for (int64_t i = 0, e = x.numElements(); i < e; ++i) {
    int64_t col = i % cols, row = (i / cols) % rows;
    bool keep = upper ? col - row >= k : col - row <= k;
    if (!keep)
      std::memset(out.bytes.data() + i * size, 0, size);
  }
  return done(std::move(out));
}

FoldResult foldCumSum(const Ctx &c) {
  const HostTensor &x = c.at(0);
  std::optional<int64_t> a = c.intScalar(1, "axis");
  if (!a)
    return c.fail();
  std::optional<int64_t> axis = c.normAxis(*a, std::max<int64_t>(x.rank(), 1));
  if (!axis)
    return c.fail();
  bool exclusive = c.attrs.getInt("exclusive", 0) != 0;
  bool reverse = c.attrs.getInt("reverse", 0) != 0;
  ArrayRef<int64_t> xs(x.shape);
  int64_t dim = x.rank() ? xs[*axis] : 1;
  int64_t outer = x.rank() ? product(xs.take_front(*axis)) : 1;
  int64_t inner = x.rank() ? product(xs.drop_front(*axis + 1)) : 1;
  HostTensor out(x.dtype, x.shape);
  byKind(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t k = 0; k < inner; ++k) {
        T acc = 0;
        for (int64_t j = 0; j < dim; ++j) {
          int64_t pos = (o * dim + (reverse ? dim - 1 - j : j)) * inner + k;
          T v = load<T>(x, pos);
          if (!exclusive)
            acc = addW(acc, v);
          store(out, pos, acc);
          if (exclusive)
            acc = addW(acc, v);
        }
      }
    return 0;
  });
  return done(std::move(out));
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

enum class Reduce {
  Sum,
  Mean,
  Max,
  Min,
  Prod,
  L1,
  L2,
  SumSquare,
  LogSum,
  LogSumExp
};

/// Smallest or largest value of an integer element type, as stored bits.
int64_t intLimit(DType t, bool max) {
  if (t == DType::Bool)
    return max;
  unsigned bits = 8 * dtypeSize(t);
  if (isUnsigned(t))
    return max ? static_cast<int64_t>(bits == 64 ? ~uint64_t(0)
                                                 : (uint64_t(1) << bits) - 1)
               : 0;
  int64_t hi = bits == 64 ? std::numeric_limits<int64_t>::max()
                          : (int64_t(1) << (bits - 1)) - 1;
  return max ? hi : -hi - 1;
}

FoldResult foldReduce(const Ctx &c, Reduce kind) {
  const HostTensor &x = c.at(0);
  std::optional<std::vector<int64_t>> axes;
  if (!c.listInputOrAttr(1, "axes", axes))
    return c.fail();
  bool keepDims = c.attrs.getInt("keepdims", 1) != 0;
  if (!axes || axes->empty()) {
    if (c.attrs.getInt("noop_with_empty_axes", 0))
      return done(x);
    axes = std::vector<int64_t>(x.rank());
    std::iota(axes->begin(), axes->end(), 0);
  }
  std::optional<Shape> red = c.normAxes(*axes, x.rank());
  if (!red)
    return c.fail();
  Shape shape, outStrides(x.rank(), 0), kept;
  int64_t count = 1;
  for (int64_t d = 0; d < x.rank(); ++d) {
    bool reduced = llvm::is_contained(*red, d);
    if (reduced)
      count *= x.shape[d];
    else
      kept.push_back(d);
    if (!reduced || keepDims)
      shape.push_back(reduced ? 1 : x.shape[d]);
  }
  Shape keptDims;
  for (int64_t d : kept)
    keptDims.push_back(x.shape[d]);
  Shape keptStrides = stridesOf(keptDims);
  for (size_t i = 0; i < kept.size(); ++i)
    outStrides[kept[i]] = keptStrides[i];
  std::optional<HostTensor> out = c.alloc(x.dtype, shape);
  if (!out)
    return c.tooLarge();
  int64_t n = out->numElements();
  bool inDouble = kind == Reduce::L2 || kind == Reduce::LogSum ||
                  kind == Reduce::LogSumExp || kind == Reduce::Mean;
  auto run = [&](auto tag) {
    using T = decltype(tag);
    bool isMax = kind == Reduce::Max, extremum = isMax || kind == Reduce::Min;
    if (extremum && count == 0) {
      for (int64_t i = 0; i < n; ++i) {
        if (isFloat(x.dtype))
          out->setDouble(i, isMax ? -INFINITY : INFINITY);
        else
          out->setInt(i, intLimit(x.dtype, !isMax));
      }
      return 0;
    }
    std::vector<T> acc(n, kind == Reduce::Prod ? T(1) : T(0));
    std::vector<char> seen(n, 0);
    forEachIndex(x.shape, [&](ArrayRef<int64_t> idx, int64_t flat) {
      int64_t o = dot(idx, outStrides);
      T v = load<T>(x, flat), &a = acc[o];
      switch (kind) {
      case Reduce::Max:
        a = seen[o] ? maxOp(a, v) : v;
        break;
      case Reduce::Min:
        a = seen[o] ? minOp(a, v) : v;
        break;
      case Reduce::Prod:
        a = mulW(a, v);
        break;
      case Reduce::L1:
        a = addW(a, v < 0 ? negW(v) : v);
        break;
      case Reduce::L2:
      case Reduce::SumSquare:
        a = addW(a, mulW(v, v));
        break;
      case Reduce::LogSumExp:
        a = addW(a, T(std::exp(double(v))));
        break;
      default:
        a = addW(a, v);
      }
      seen[o] = 1;
    });
    for (int64_t i = 0; i < n; ++i) {
      double a = double(acc[i]);
      switch (kind) {
      case Reduce::Mean:
        out->setDouble(i, a / double(count));
        break;
      case Reduce::L2:
        out->setDouble(i, std::sqrt(a));
        break;
      case Reduce::LogSum:
      case Reduce::LogSumExp:
        out->setDouble(i, std::log(a));
        break;
      default:
        store(*out, i, acc[i]);
      }
    }
    return 0;
  };
  if (inDouble)
    run(double());
  else
    byKind(x.dtype, run);
  return done(std::move(*out));
}

FoldResult foldArgExtremum(const Ctx &c, bool isMax) {
  const HostTensor &x = c.at(0);
  if (x.rank() == 0)
    return c.error("input must have rank >= 1");
  std::optional<int64_t> axis = c.normAxis(c.attrs.getInt("axis", 0), x.rank());
  if (!axis)
    return c.fail();
  bool keepDims = c.attrs.getInt("keepdims", 1) != 0;
  bool last = c.attrs.getInt("select_last_index", 0) != 0;
  ArrayRef<int64_t> xs(x.shape);
  int64_t dim = xs[*axis];
  if (dim == 0)
    return c.error("cannot reduce an empty axis");
  Shape shape(xs.take_front(*axis));
  if (keepDims)
    shape.push_back(1);
  shape.append(xs.begin() + *axis + 1, xs.end());
  HostTensor out(DType::I64, shape);
  int64_t outer = product(xs.take_front(*axis));
  int64_t inner = product(xs.drop_front(*axis + 1));
  byKind(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t k = 0; k < inner; ++k) {
        int64_t best = 0;
        T bv = load<T>(x, o * dim * inner + k);
        for (int64_t j = 1; j < dim; ++j) {
          T v = load<T>(x, (o * dim + j) * inner + k);
          if ((isMax ? v > bv : v < bv) || (last && v == bv)) {
            best = j;
            bv = v;
          }
        }
        out.setInt(o * inner + k, best);
      }
    return 0;
  });
  return done(std::move(out));
}

FoldResult foldNonZero(const Ctx &c) {
  const HostTensor &x = c.at(0);
  std::vector<int64_t> hits;
  for (int64_t i = 0, e = x.numElements(); i < e; ++i)
    if (isFloat(x.dtype) ? x.getDouble(i) != 0 : x.getInt(i) != 0)
      hits.push_back(i);
  int64_t rank = std::max<int64_t>(x.rank(), 1), nnz = hits.size();
  std::optional<HostTensor> out = c.alloc(DType::I64, {rank, nnz});
  if (!out)
    return c.tooLarge();
  Shape strides = stridesOf(x.shape);
  for (int64_t j = 0; j < nnz; ++j)
    for (int64_t d = 0; d < x.rank(); ++d)
      out->setInt(d * nnz + j, (hits[j] / strides[d]) % x.shape[d]);
  return done(std::move(*out));
}

//===----------------------------------------------------------------------===//
// The op table
//===----------------------------------------------------------------------===//

using Handler = FoldResult (*)(const Ctx &);

struct OpInfo {
  Handler fn;
  /// Inputs that must be present; the handler may read them with at().
  unsigned minInputs;
};

const llvm::StringMap<OpInfo> &opTable() {
  static const llvm::StringMap<OpInfo> table = {
      // Arithmetic.
      {"Add",
       {[](const Ctx &c) {
          return binary(c, [](auto a, auto b) { return addW(a, b); });
        },
        2}},
      {"Sub",
       {[](const Ctx &c) {
          return binary(c, [](auto a, auto b) { return subW(a, b); });
        },
        2}},
      {"Mul",
       {[](const Ctx &c) {
          return binary(c, [](auto a, auto b) { return mulW(a, b); });
        },
        2}},
      {"Div", {[](const Ctx &c) { return foldDivOrMod(c, false); }, 2}},
      {"Mod", {[](const Ctx &c) { return foldDivOrMod(c, true); }, 2}},
      {"Pow", {foldPow, 2}},
      {"Max",
       {[](const Ctx &c) {
          return variadic(c, [](auto a, auto b) { return maxOp(a, b); });
        },
        1}},
      {"Min",
       {[](const Ctx &c) {
          return variadic(c, [](auto a, auto b) { return minOp(a, b); });
        },
        1}},
      {"Sum",
       {[](const Ctx &c) {
          return variadic(c, [](auto a, auto b) { return addW(a, b); });
        },
        1}},
      {"Mean",
       {[](const Ctx &c) {
          return variadic(
              c, [](auto a, auto b) { return addW(a, b); }, true);
        },
        1}},
      {"Clip", {foldClip, 1}},
      // Logic and comparisons.
      {"And",
       {[](const Ctx &c) {
          return logical(c, [](bool a, bool b) { return a && b; });
        },
        2}},
      {"Or",
       {[](const Ctx &c) {
          return logical(c, [](bool a, bool b) { return a || b; });
        },
        2}},
      {"Xor",
       {[](const Ctx &c) {
          return logical(c, [](bool a, bool b) { return a != b; });
        },
        2}},
      {"Not",
       {[](const Ctx &c) {
          if (c.at(0).dtype != DType::Bool)
            return c.error("expects a bool input");
          return unary(c, [](auto x) -> bool { return x == 0; });
        },
        1}},
      {"Equal",
       {[](const Ctx &c) {
          return binary(c, [](auto a, auto b) { return a == b; });
        },
        2}},
      {"Less",
       {[](const Ctx &c) {
          return binary(c, [](auto a, auto b) { return a < b; });
        },
        2}},
      {"LessOrEqual",
       {[](const Ctx &c) {
          return binary(c, [](auto a, auto b) { return a <= b; });
        },
        2}},
      {"Greater",
       {[](const Ctx &c) {
          return binary(c, [](auto a, auto b) { return a > b; });
        },
        2}},
      {"GreaterOrEqual",
       {[](const Ctx &c) {
          return binary(c, [](auto a, auto b) { return a >= b; });
        },
        2}},
      {"Where", {foldWhere, 3}},
      // Unary.
      {"Neg",
       {[](const Ctx &c) { return unary(c, [](auto x) { return negW(x); }); },
        1}},
      {"Abs",
       {[](const Ctx &c) {
          return unary(c, [](auto x) { return x < 0 ? negW(x) : x; });
        },
        1}},
      {"Relu",
       {[](const Ctx &c) {
          return unary(c, [](auto x) { return x < 0 ? decltype(x)(0) : x; });
        },
        1}},
      {"Sign",
       {[](const Ctx &c) {
          return unary(c, [](auto x) {
            using T = decltype(x);
            return x != x ? x : T(x > 0) - T(x < 0);
          });
        },
        1}},
      {"IsNaN",
       {[](const Ctx &c) {
          return unary(c, [](auto x) -> bool { return x != x; });
        },
        1}},
      {"IsInf", {foldIsInf, 1}},
      {"Sqrt",
       {[](const Ctx &c) {
          return math(c, [](double x) { return std::sqrt(x); });
        },
        1}},
      {"Reciprocal",
       {[](const Ctx &c) { return math(c, [](double x) { return 1 / x; }); },
        1}},
      {"Exp",
       {[](const Ctx &c) {
          return math(c, [](double x) { return std::exp(x); });
        },
        1}},
      {"Log",
       {[](const Ctx &c) {
          return math(c, [](double x) { return std::log(x); });
        },
        1}},
      {"Cos",
       {[](const Ctx &c) {
          return math(c, [](double x) { return std::cos(x); });
        },
        1}},
      {"Sin",
       {[](const Ctx &c) {
          return math(c, [](double x) { return std::sin(x); });
        },
        1}},
      {"Tanh",
       {[](const Ctx &c) {
          return math(c, [](double x) { return std::tanh(x); });
        },
        1}},
      {"Sigmoid",
       {[](const Ctx &c) {
          return math(c, [](double x) { return 1 / (1 + std::exp(-x)); });
        },
        1}},
      {"Erf",
       {[](const Ctx &c) {
          return math(c, [](double x) { return std::erf(x); });
        },
        1}},
      {"Floor",
       {[](const Ctx &c) {
          return unary(c, [](auto x) {
            return rounded(x, [](double v) { return std::floor(v); });
          });
        },
        1}},
      {"Ceil",
       {[](const Ctx &c) {
          return unary(c, [](auto x) {
            return rounded(x, [](double v) { return std::ceil(v); });
          });
        },
        1}},
      {"Round",
       {[](const Ctx &c) {
          return unary(c, [](auto x) {
            return rounded(x, [](double v) { return std::nearbyint(v); });
          });
        },
        1}},
      // Data movement.
      {"Identity", {[](const Ctx &c) { return done(c.at(0)); }, 1}},
      {"Cast", {foldCastAttr, 1}},
      {"CastLike",
       {[](const Ctx &c) { return foldCast(c, c.at(1).dtype); }, 2}},
      {"Shape", {foldShape, 1}},
      {"Size",
       {[](const Ctx &c) {
          return done(HostTensor::scalarInt(DType::I64, c.at(0).numElements()));
        },
        1}},
      {"Constant", {foldConstant, 0}},
      {"ConstantOfShape", {foldConstantOfShape, 1}},
      {"Gather", {foldGather, 2}},
      {"GatherElements", {foldGatherElements, 2}},
      {"GatherND", {foldGatherND, 2}},
      {"Concat", {foldConcat, 1}},
      {"Split", {foldSplit, 1}},
      {"Slice", {foldSlice, 1}},
      {"Squeeze", {foldSqueeze, 1}},
      {"Unsqueeze", {foldUnsqueeze, 1}},
      {"Reshape", {foldReshape, 1}},
      {"Flatten", {foldFlatten, 1}},
      {"Einsum", {foldEinsum, 1}},
      {"ScatterND", {foldScatterND, 3}},
      {"Expand", {foldExpand, 2}},
      {"Transpose", {foldTranspose, 1}},
      {"MatMul", {foldMatMul, 2}},
      {"Tile", {foldTile, 2}},
      {"Range", {foldRange, 3}},
      {"Trilu", {foldTrilu, 1}},
      {"CumSum", {foldCumSum, 2}},
      {"NonZero", {foldNonZero, 1}},
      {"ArgMax", {[](const Ctx &c) { return foldArgExtremum(c, true); }, 1}},
      {"ArgMin", {[](const Ctx &c) { return foldArgExtremum(c, false); }, 1}},
      // Reductions.
      {"ReduceSum",
       {[](const Ctx &c) { return foldReduce(c, Reduce::Sum); }, 1}},
      {"ReduceMean",
       {[](const Ctx &c) { return foldReduce(c, Reduce::Mean); }, 1}},
      {"ReduceMax",
       {[](const Ctx &c) { return foldReduce(c, Reduce::Max); }, 1}},
      {"ReduceMin",
       {[](const Ctx &c) { return foldReduce(c, Reduce::Min); }, 1}},
      {"ReduceProd",
       {[](const Ctx &c) { return foldReduce(c, Reduce::Prod); }, 1}},
      {"ReduceL1", {[](const Ctx &c) { return foldReduce(c, Reduce::L1); }, 1}},
      {"ReduceL2", {[](const Ctx &c) { return foldReduce(c, Reduce::L2); }, 1}},
      {"ReduceSumSquare",
       {[](const Ctx &c) { return foldReduce(c, Reduce::SumSquare); }, 1}},
      {"ReduceLogSum",
       {[](const Ctx &c) { return foldReduce(c, Reduce::LogSum); }, 1}},
      {"ReduceLogSumExp",
       {[](const Ctx &c) { return foldReduce(c, Reduce::LogSumExp); }, 1}},
  };
  return table;
}

} // namespace

namespace txc::onnx_import {

bool canFold(StringRef opType) { return opTable().count(opType); }

FoldResult foldNode(StringRef opType, int64_t opset,
                    ArrayRef<const HostTensor *> inputs, const NodeAttrs &attrs,
                    unsigned numOutputs, int64_t maxElements) {
  Ctx c{opset, inputs, attrs, numOutputs, maxElements, {}};
  auto it = opTable().find(opType);
  if (it == opTable().end())
    return c.refuse("unsupported op " + opType);
  const OpInfo &info = it->second;
  for (unsigned i = 0; i < info.minInputs; ++i)
    if (i >= inputs.size() || !inputs[i])
      return c.error("expects at least " + Twine(info.minInputs) + " inputs");
  for (const HostTensor *t : inputs) {
    if (!t)
      continue;
    std::string bad = checkTensor(*t);
    if (bad == "unsupported")
      return c.refuse(
          ("unsupported element type " + dtypeName(t->dtype)).str());
    if (!bad.empty())
      return c.error("malformed input: " + bad);
  }
  FoldResult r = info.fn(c);
  if (!r.ok())
    return r;
  if (r.outputs.size() < numOutputs)
    return c.error("produces " + Twine(r.outputs.size()) +
                   " outputs, the node has " + Twine(numOutputs));
  r.outputs.resize(numOutputs);
  for (const HostTensor &t : r.outputs)
    if (t.numElements() > maxElements)
      return c.tooLarge();
  return r;
}

} // namespace txc::onnx_import
