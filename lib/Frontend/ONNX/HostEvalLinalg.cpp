//===- HostEvalLinalg.cpp - MatMul and Einsum -----------------------------===//
//
// Contractions: MatMul with numpy semantics and Einsum (equations parsed by
// HostEvalEinsum.cpp). Both accumulate in double, or int64 for integers,
// and refuse work beyond the element limit.
//
//===----------------------------------------------------------------------===//

#include "HostEvalImpl.h"

#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <map>

using namespace txc::onnx_import;
using namespace txc::onnx_import::hosteval;

namespace {

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
  int64_t m = a.shape[a.rank() - 2], k = a.shape.back(), n = b.shape.back();
  if (b.shape[b.rank() - 2] != k)
    return c.error("MatMul inner dimensions differ: " + fmt(a.shape) + " and " +
                   fmt(b.shape));
  Shape aBatch(a.shape.begin(), a.shape.end() - 2),
      bBatch(b.shape.begin(), b.shape.end() - 2);
  std::optional<SmallVector<int64_t>> batch = broadcastShapes(aBatch, bBatch);
  if (!batch)
    return c.error("MatMul batch dimensions do not broadcast: " + fmt(a.shape) +
                   " and " + fmt(b.shape));
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

} // namespace

/// Registers MatMul and Einsum.
void hosteval::registerLinalgOps(OpTable &table) {
  table.insert({
      {"MatMul", {foldMatMul, 2}},
      {"Einsum", {foldEinsum, 1}},
  });
}
