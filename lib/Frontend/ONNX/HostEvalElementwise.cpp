//===- HostEvalElementwise.cpp - elementwise ops --------------------------===//
//
// Arithmetic, logic, comparisons, Where and unary math. Every op broadcasts
// its inputs (mapBroadcast) and computes in the computation type of its
// element type (byKind): double for floats, int64 for signed and uint64 for
// unsigned integers, with wrapping integer arithmetic.
//
//===----------------------------------------------------------------------===//

#include "HostEvalImpl.h"

#include "llvm/Support/MathExtras.h"

#include <cmath>

using namespace txc::onnx_import;
using namespace txc::onnx_import::hosteval;

namespace {

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

} // namespace

/// Registers the elementwise ops.
void hosteval::registerElementwiseOps(OpTable &table) {
  table.insert({
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
  });
}
