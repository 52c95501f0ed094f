//===- HostEvalIndexing.cpp - gathers and scatters ------------------------===//
//
// Gather, GatherElements, GatherND, ScatterND and NonZero: ops whose
// element positions come from an index tensor (or produce one). Indices
// are range-checked; a negative index counts from the back.
//
//===----------------------------------------------------------------------===//

#include "HostEvalImpl.h"

#include "llvm/Support/MathExtras.h"

#include <algorithm>

using namespace txc::onnx_import;
using namespace txc::onnx_import::hosteval;

namespace {

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

} // namespace

/// Registers the gathers, ScatterND and NonZero.
void hosteval::registerIndexingOps(OpTable &table) {
  table.insert({
      {"Gather", {foldGather, 2}},
      {"GatherElements", {foldGatherElements, 2}},
      {"GatherND", {foldGatherND, 2}},
      {"ScatterND", {foldScatterND, 3}},
      {"NonZero", {foldNonZero, 1}},
  });
}
