//===- HostEvalGenerate.cpp - constants, ranges, Trilu --------------------===//
//
// Ops that produce a tensor from attributes or scalars: Constant,
// ConstantOfShape and Range, and Trilu, which zeroes one triangle of its
// input (the causal masks of exported models are built from these).
//
//===----------------------------------------------------------------------===//

#include "HostEvalImpl.h"

#include "llvm/Support/MathExtras.h"

#include <cmath>
#include <cstring>

using namespace txc::onnx_import;
using namespace txc::onnx_import::hosteval;

namespace {

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

} // namespace

/// Registers Constant, ConstantOfShape, Range and Trilu.
void hosteval::registerGenerateOps(OpTable &table) {
  table.insert({
      {"Constant", {foldConstant, 0}},
      {"ConstantOfShape", {foldConstantOfShape, 1}},
      {"Range", {foldRange, 3}},
      {"Trilu", {foldTrilu, 1}},
  });
}
