//===- HostEvalReduce.cpp - reductions and scans --------------------------===//
//
// The Reduce* ops over a set of axes, ArgMax / ArgMin along one axis, and
// CumSum. Sums and products use the elementwise computation types; Mean,
// L2, LogSum and LogSumExp accumulate in double.
//
//===----------------------------------------------------------------------===//

#include "HostEvalImpl.h"

#include "llvm/Support/MathExtras.h"

#include <cmath>
#include <limits>
#include <numeric>

using namespace txc::onnx_import;
using namespace txc::onnx_import::hosteval;

namespace {

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

} // namespace

/// Registers the reductions, ArgMax, ArgMin and CumSum.
void hosteval::registerReduceOps(OpTable &table) {
  table.insert({
      {"ArgMax", {[](const Ctx &c) { return foldArgExtremum(c, true); }, 1}},
      {"ArgMin", {[](const Ctx &c) { return foldArgExtremum(c, false); }, 1}},
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
      {"CumSum", {foldCumSum, 2}},
  });
}
