//===- HostEvalShape.cpp - casts and data movement ------------------------===//
//
// Casts, shape queries and the ops that only move elements: Concat, Split,
// Slice, Squeeze, Unsqueeze, Reshape, Flatten, Expand, Transpose and Tile.
//
//===----------------------------------------------------------------------===//

#include "HostEvalImpl.h"

#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <limits>
#include <numeric>

using namespace txc::onnx_import;
using namespace txc::onnx_import::hosteval;

namespace {

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
  return copyFromCoordinates(c, x, shape, [&](ArrayRef<int64_t> idx, size_t d) {
    return begin[d] + idx[d] * step[d];
  });
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

/// Flatten: [d0 .. d(axis-1)] and [d(axis) ..] each become one dimension.
FoldResult foldFlatten(const Ctx &c) {
  const HostTensor &x = c.at(0);
  int64_t attr = c.attrs.getInt("axis", 1);
  std::optional<int64_t> axis = txc::normalizedSplitAxis(attr, x.rank());
  if (!axis)
    return c.error("axis " + Twine(attr) + " is out of range for rank " +
                   Twine(x.rank()));
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < x.rank(); ++d)
    (d < *axis ? outer : inner) *= x.shape[d];
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
  return copyFromCoordinates(c, x, shape, [&](ArrayRef<int64_t> idx, size_t d) {
    return idx[d] % x.shape[d];
  });
}

} // namespace

/// Registers casts, shape queries and data movement.
void hosteval::registerShapeOps(OpTable &table) {
  table.insert({
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
      {"Concat", {foldConcat, 1}},
      {"Split", {foldSplit, 1}},
      {"Slice", {foldSlice, 1}},
      {"Squeeze", {foldSqueeze, 1}},
      {"Unsqueeze", {foldUnsqueeze, 1}},
      {"Reshape", {foldReshape, 1}},
      {"Flatten", {foldFlatten, 1}},
      {"Expand", {foldExpand, 2}},
      {"Transpose", {foldTranspose, 1}},
      {"Tile", {foldTile, 2}},
  });
}
