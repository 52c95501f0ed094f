//===- ConvertShape.cpp - data-movement ONNX ops on run-time values -------===//
//
// Reshape, Transpose, Concat, Split, Slice, Squeeze, Unsqueeze, Expand,
// Gather (tx.embedding for row lookups), GatherElements and GatherND. Shape
// operands (target shapes, axes, starts/ends, split sizes) must be known at
// import time; they are after folding when the model's shapes are static or
// specialized with --shape.
//
//===----------------------------------------------------------------------===//

#include "Emit.h"
#include "Importer.h"

#include "txc/Dialect/Tx/TxOps.h"
#include "txc/Support/Axis.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"

using namespace mlir;
using namespace txc;
using namespace txc::onnx_import;

namespace {

/// The constant int vector of input `i`, or failure with a message.
FailureOr<std::vector<int64_t>> constInts(NodeContext &ctx, unsigned i,
                                          StringRef what) {
  const HostTensor *t = ctx.constInput(i);
  if (!t) {
    (void)ctx.failNotConstant(i, Twine("the ") + what);
    return failure();
  }
  return t->toInts();
}

/// Axes from the attribute (older opsets) or input `inputIndex` (newer).
FailureOr<std::optional<std::vector<int64_t>>>
axesOf(NodeContext &ctx, unsigned inputIndex, int64_t inputSinceOpset) {
  if (ctx.opset >= inputSinceOpset) {
    if (!ctx.hasInput(inputIndex))
      return std::optional<std::vector<int64_t>>();
    auto axes = constInts(ctx, inputIndex, "axes");
    if (failed(axes))
      return failure();
    return std::optional<std::vector<int64_t>>(*axes);
  }
  return ctx.attrs.getInts("axes");
}

LogicalResult convertReshape(NodeContext &ctx) {
  Value x = ctx.input(0);
  auto shape = constInts(ctx, 1, "target shape");
  if (failed(shape))
    return failure();
  ArrayRef<int64_t> in = cast<RankedTensorType>(x.getType()).getShape();
  bool allowZero = ctx.attrs.getInt("allowzero", 0);
  SmallVector<int64_t> out;
  int64_t inferred = -1, known = 1;
  for (auto [i, d] : llvm::enumerate(*shape)) {
    if (d == 0 && !allowZero) {
      if (i >= in.size())
        return ctx.fail("target shape copies dimension " + std::to_string(i) +
                        " of a rank-" + std::to_string(in.size()) + " input");
      d = in[i];
    }
    if (d == -1) {
      if (inferred >= 0)
        return ctx.fail("target shape has more than one -1");
      inferred = i;
    } else if (d < 0 && !ShapedType::isDynamic(d)) {
      return ctx.fail("target shape has a negative dimension");
    } else if (!ShapedType::isDynamic(d)) {
      known *= d;
    }
    out.push_back(d);
  }
  int64_t total = 1;
  bool dynamic = false;
  for (int64_t d : in)
    ShapedType::isDynamic(d) ? dynamic = true : total *= d;
  for (int64_t d : out)
    dynamic |= ShapedType::isDynamic(d);
  if (inferred >= 0) {
    if (dynamic)
      out[inferred] = ShapedType::kDynamic;
    else if (known == 0 || total % known != 0)
      return ctx.fail("cannot infer the -1 dimension");
    else
      out[inferred] = total / known;
  } else if (!dynamic && known != total) {
    return ctx.fail("target shape holds " + std::to_string(known) +
                    " elements but the input holds " + std::to_string(total));
  }
  if (llvm::any_of(out, ShapedType::isDynamic) && inferred < 0 && !dynamic)
    return ctx.fail("unsupported dynamic reshape");
  if (llvm::any_of(out, ShapedType::isDynamic))
    return ctx.fail("reshape to a shape with a dynamic dimension is not "
                    "supported yet; specialize with --shape");
  ctx.setOutput(0, reshapeTensor(ctx.b, ctx.loc, x, out), ctx.inputDType(0));
  return success();
}

LogicalResult convertFlatten(NodeContext &ctx) {
  Value x = ctx.input(0);
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  int64_t attr = ctx.attrs.getInt("axis", 1);
  std::optional<int64_t> split = normalizedSplitAxis(attr, rank);
  if (!split)
    return ctx.fail("axis " + std::to_string(attr) +
                    " is out of range for a rank-" + std::to_string(rank) +
                    " input");
  int64_t axis = *split;
  if (!type.hasStaticShape())
    return ctx.fail("flattening a tensor with dynamic dimensions is not "
                    "supported; specialize with --shape");
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < rank; ++d)
    (d < axis ? outer : inner) *= type.getDimSize(d);
  ctx.setOutput(0, reshapeTensor(ctx.b, ctx.loc, x, {outer, inner}),
                ctx.inputDType(0));
  return success();
}

LogicalResult convertTranspose(NodeContext &ctx) {
  Value x = ctx.input(0);
  int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
  std::vector<int64_t> perm;
  if (auto p = ctx.attrs.getInts("perm"))
    perm = *p;
  else
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
  if (static_cast<int64_t>(perm.size()) != rank)
    return ctx.fail("perm has " + std::to_string(perm.size()) +
                    " entries for a rank-" + std::to_string(rank) + " input");
  std::vector<bool> seen(rank, false);
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || seen[p])
      return ctx.fail("perm is not a permutation");
    seen[p] = true;
  }
  ctx.setOutput(0, transposeTensor(ctx.b, ctx.loc, x, perm),
                ctx.inputDType(0));
  return success();
}

LogicalResult convertConcat(NodeContext &ctx) {
  SmallVector<Value> inputs;
  for (unsigned i = 0; i < ctx.numInputs(); ++i)
    if (ctx.hasInput(i)) {
      Value v = ctx.input(i);
      // Zero-sized pieces contribute nothing.
      if (llvm::is_contained(cast<RankedTensorType>(v.getType()).getShape(), 0))
        continue;
      inputs.push_back(v);
    }
  if (inputs.empty())
    return ctx.fail("all inputs are empty");
  int64_t rank = cast<RankedTensorType>(inputs[0].getType()).getRank();
  int64_t axis = ctx.attrs.getInt("axis", 0);
  if (!normalizeAxis(axis, rank))
    return ctx.fail("axis out of range");
  if (inputs.size() == 1) {
    ctx.setOutput(0, inputs[0], ctx.inputDType(0));
    return success();
  }
  for (Value v : inputs)
    if (cast<RankedTensorType>(v.getType()).getRank() != rank)
      return ctx.fail("inputs have different ranks");
  ctx.setOutput(0, tensor::ConcatOp::create(ctx.b, ctx.loc, axis, inputs),
                ctx.inputDType(0));
  return success();
}

/// extract_slice of `x` along `axis` from `start` (size `size`, stride 1).
Value sliceAxis(NodeContext &ctx, Value x, int64_t axis, int64_t start,
                int64_t size, int64_t stride = 1) {
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<OpFoldResult> offsets, sizes, strides;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    offsets.push_back(ctx.b.getIndexAttr(d == axis ? start : 0));
    strides.push_back(ctx.b.getIndexAttr(d == axis ? stride : 1));
    if (d == axis)
      sizes.push_back(ctx.b.getIndexAttr(size));
    else if (type.isDynamicDim(d))
      sizes.push_back(
          tensor::DimOp::create(ctx.b, ctx.loc, x, d).getResult());
    else
      sizes.push_back(ctx.b.getIndexAttr(type.getDimSize(d)));
  }
  return tensor::ExtractSliceOp::create(ctx.b, ctx.loc, x, offsets, sizes,
                                        strides);
}

LogicalResult convertSplit(NodeContext &ctx) {
  Value x = ctx.input(0);
  auto type = cast<RankedTensorType>(x.getType());
  int64_t axis = ctx.attrs.getInt("axis", 0);
  if (!normalizeAxis(axis, type.getRank()))
    return ctx.fail("axis out of range");
  int64_t dim = type.getDimSize(axis);
  if (ShapedType::isDynamic(dim))
    return ctx.fail("splitting a dynamic dimension is not supported");
  std::vector<int64_t> sizes;
  if (ctx.opset >= 13 && ctx.hasInput(1)) {
    auto s = constInts(ctx, 1, "split sizes");
    if (failed(s))
      return failure();
    sizes = *s;
  } else if (auto s = ctx.attrs.getInts("split"); s && ctx.opset < 13) {
    sizes = *s;
  } else {
    int64_t n = ctx.attrs.getInt("num_outputs", ctx.numOutputs());
    if (n <= 0)
      return ctx.fail("num_outputs must be positive");
    int64_t chunk = (dim + n - 1) / n;
    for (int64_t i = 0; i < n; ++i)
      sizes.push_back(std::min(chunk, dim - i * chunk));
  }
  int64_t sum = 0;
  for (int64_t s : sizes)
    sum += s;
  if (sum != dim || sizes.size() != ctx.numOutputs())
    return ctx.fail("split sizes do not cover the axis");
  int64_t offset = 0;
  for (auto [i, s] : llvm::enumerate(sizes)) {
    ctx.setOutput(i, sliceAxis(ctx, x, axis, offset, s), ctx.inputDType(0));
    offset += s;
  }
  return success();
}

LogicalResult convertSlice(NodeContext &ctx) {
  Value x = ctx.input(0);
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  std::vector<int64_t> starts, ends, axes, steps;
  if (ctx.opset < 10) {
    starts = ctx.attrs.getInts("starts").value_or(std::vector<int64_t>{});
    ends = ctx.attrs.getInts("ends").value_or(std::vector<int64_t>{});
    axes = ctx.attrs.getInts("axes").value_or(std::vector<int64_t>{});
  } else {
    auto s = constInts(ctx, 1, "slice starts");
    auto e = constInts(ctx, 2, "slice ends");
    if (failed(s) || failed(e))
      return failure();
    starts = *s;
    ends = *e;
    if (ctx.hasInput(3)) {
      auto a = constInts(ctx, 3, "slice axes");
      if (failed(a))
        return failure();
      axes = *a;
    }
    if (ctx.hasInput(4)) {
      auto st = constInts(ctx, 4, "slice steps");
      if (failed(st))
        return failure();
      steps = *st;
    }
  }
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(i);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (starts.size() != ends.size() || axes.size() != starts.size() ||
      steps.size() != starts.size())
    return ctx.fail("starts, ends, axes and steps differ in length");
  SmallVector<OpFoldResult> offsets, sizes, strides;
  SmallVector<int64_t> outShape(type.getShape());
  for (int64_t d = 0; d < rank; ++d) {
    offsets.push_back(ctx.b.getIndexAttr(0));
    strides.push_back(ctx.b.getIndexAttr(1));
    sizes.push_back(type.isDynamicDim(d)
                        ? OpFoldResult(tensor::DimOp::create(ctx.b, ctx.loc,
                                                             x, d)
                                           .getResult())
                        : OpFoldResult(ctx.b.getIndexAttr(type.getDimSize(d))));
  }
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t axis = axes[i];
    if (!normalizeAxis(axis, rank))
      return ctx.fail("axis out of range");
    int64_t dim = type.getDimSize(axis);
    if (ShapedType::isDynamic(dim))
      return ctx.fail("slicing a dynamic dimension is not supported; "
                      "specialize it with --shape");
    int64_t step = steps[i];
    if (step <= 0)
      return ctx.fail("only positive slice steps are supported on run-time "
                      "values");
    int64_t start = starts[i], end = ends[i];
    if (start < 0)
      start += dim;
    if (end < 0)
      end += dim;
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
    int64_t size = end > start ? (end - start + step - 1) / step : 0;
    offsets[axis] = ctx.b.getIndexAttr(start);
    sizes[axis] = ctx.b.getIndexAttr(size);
    strides[axis] = ctx.b.getIndexAttr(step);
    outShape[axis] = size;
  }
  Value result = tensor::ExtractSliceOp::create(ctx.b, ctx.loc, x, offsets,
                                                sizes, strides);
  ctx.setOutput(0, result, ctx.inputDType(0));
  return success();
}

template <bool unsqueeze>
LogicalResult convertSqueezeLike(NodeContext &ctx) {
  Value x = ctx.input(0);
  auto type = cast<RankedTensorType>(x.getType());
  auto axesOr = axesOf(ctx, 1, 13);
  if (failed(axesOr))
    return failure();
  SmallVector<int64_t> shape(type.getShape());
  if (unsqueeze) {
    if (!*axesOr)
      return ctx.fail("Unsqueeze needs axes");
    int64_t outRank = shape.size() + (*axesOr)->size();
    std::vector<int64_t> axes = **axesOr;
    for (int64_t &a : axes)
      if (!normalizeAxis(a, outRank))
        return ctx.fail("axis out of range");
    llvm::sort(axes);
    for (int64_t a : axes)
      shape.insert(shape.begin() + a, 1);
  } else {
    std::vector<bool> drop(shape.size(), false);
    if (*axesOr) {
      for (int64_t a : **axesOr) {
        if (!normalizeAxis(a, shape.size()))
          return ctx.fail("axis out of range");
        if (shape[a] != 1)
          return ctx.fail("cannot squeeze dimension " + std::to_string(a) +
                          " of size " + std::to_string(shape[a]));
        drop[a] = true;
      }
    } else {
      for (size_t a = 0; a < shape.size(); ++a)
        drop[a] = shape[a] == 1;
    }
    SmallVector<int64_t> kept;
    for (size_t a = 0; a < shape.size(); ++a)
      if (!drop[a])
        kept.push_back(shape[a]);
    shape = kept;
  }
  if (llvm::any_of(shape, ShapedType::isDynamic) && !type.hasStaticShape()) {
    // expand/collapse handle dynamic dims when the grouping is unambiguous.
    auto resultType = RankedTensorType::get(shape, type.getElementType());
    auto groups = getReassociationIndicesForReshape(type, resultType);
    if (!groups)
      return ctx.fail("cannot reshape a dynamic tensor here");
    Value r = shape.size() > type.getShape().size()
                  ? Value(tensor::ExpandShapeOp::create(ctx.b, ctx.loc,
                                                        resultType, x, *groups))
                  : Value(tensor::CollapseShapeOp::create(ctx.b, ctx.loc,
                                                          resultType, x,
                                                          *groups));
    ctx.setOutput(0, r, ctx.inputDType(0));
    return success();
  }
  ctx.setOutput(0, reshapeTensor(ctx.b, ctx.loc, x, shape), ctx.inputDType(0));
  return success();
}

LogicalResult convertExpand(NodeContext &ctx) {
  Value x = ctx.input(0);
  auto target = constInts(ctx, 1, "target shape");
  if (failed(target))
    return failure();
  SmallVector<int64_t> t(target->begin(), target->end());
  if (llvm::any_of(t, [](int64_t d) { return d < 0; }))
    return ctx.fail("the target shape has a negative dimension");
  auto shape = broadcastShapes(shapeOf(x), t);
  if (!shape)
    return ctx.fail("cannot expand to the target shape");
  for (int64_t &d : *shape)
    if (d < 0)
      d = ShapedType::kDynamic;
  Value r = broadcastTo(ctx.b, ctx.loc, x, *shape);
  if (!r)
    return ctx.fail("cannot expand to the target shape");
  ctx.setOutput(0, r, ctx.inputDType(0));
  return success();
}

/// Index value (as index type) of integer `v`, wrapped by `dim` if negative.
Value normalizedIndex(OpBuilder &b, Location loc, Value v, Value dim) {
  Value idx = arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value isNeg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, idx,
                                      zero);
  Value wrapped = arith::AddIOp::create(b, loc, idx, dim);
  Value normalized = arith::SelectOp::create(b, loc, isNeg, wrapped, idx);
  // Indices computed at run time are clamped into [0, dim): never a read
  // outside the data. (Indices read from a model input are range-checked by
  // the runtime before the run, see tx::recordIndexRange.)
  Value last = arith::SubIOp::create(
      b, loc, dim, arith::ConstantIndexOp::create(b, loc, 1));
  Value low = arith::MaxSIOp::create(b, loc, normalized, zero);
  return arith::MinSIOp::create(b, loc, low, last);
}

/// Largest gather output whose source offsets are computed at import time.
constexpr int64_t kMaxViewElements = int64_t(1) << 20;

/// When a gather with constant indices reads every element of `data` once,
/// in row-major order, and repeats that along some output dimensions -- the
/// index grids exporters build for padding masks (`mask[b, kv]` gathered to
/// `[B, 1, 1, S]`) -- returns that reshape and broadcast of `data`, else
/// null. `offsets[i]` is the row-major offset into `data` that output
/// element `i` reads (-1 when out of range).
Value gatherAsView(NodeContext &ctx, Value data, ArrayRef<int64_t> outShape,
                   ArrayRef<int64_t> offsets) {
  auto dataType = cast<RankedTensorType>(data.getType());
  int64_t rank = outShape.size();
  if (offsets.empty() || offsets.front() != 0)
    return {};
  // The stride of each output dimension, from one step along it.
  SmallVector<int64_t> strides(rank, 0), outStrides(rank, 1);
  for (int64_t d = rank - 2; d >= 0; --d)
    outStrides[d] = outStrides[d + 1] * outShape[d + 1];
  for (int64_t d = 0; d < rank; ++d)
    if (outShape[d] > 1)
      strides[d] = offsets[outStrides[d]];
  // Every element must follow them.
  SmallVector<int64_t> index(rank, 0);
  for (int64_t i = 0, n = offsets.size(); i < n; ++i) {
    int64_t expected = 0;
    for (int64_t d = 0; d < rank; ++d)
      expected += strides[d] * index[d];
    if (offsets[i] != expected)
      return {};
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++index[d] < outShape[d])
        break;
      index[d] = 0;
    }
  }
  // The dimensions that move through data must do so in row-major order and
  // cover all of it; the others repeat it.
  SmallVector<int64_t> viewShape(rank, 1);
  int64_t expected = 1;
  for (int64_t d = rank - 1; d >= 0; --d) {
    if (strides[d] == 0)
      continue;
    if (strides[d] != expected)
      return {};
    viewShape[d] = outShape[d];
    expected *= outShape[d];
  }
  if (expected != dataType.getNumElements())
    return {};
  Value view = reshapeTensor(ctx.b, ctx.loc, data, viewShape);
  if (ArrayRef<int64_t>(viewShape) != outShape)
    view = broadcastTo(ctx.b, ctx.loc, view, outShape);
  return view;
}

/// `index` made non-negative for a dimension of `size`; -1 when out of range.
int64_t normalizedConstIndex(int64_t index, int64_t size) {
  if (index < 0)
    index += size;
  return index < 0 || index >= size ? -1 : index;
}

/// The offsets gatherAsView needs for Gather, or nothing when the indices are
/// not constant (or the output is too large to enumerate).
std::optional<SmallVector<int64_t>>
gatherOffsets(NodeContext &ctx, RankedTensorType dataType, int64_t axis) {
  const HostTensor *indices = ctx.constInput(1);
  if (!indices || !dataType.hasStaticShape())
    return std::nullopt;
  ArrayRef<int64_t> shape = dataType.getShape();
  int64_t outer = 1, inner = 1, n = shape[axis];
  for (int64_t d = 0; d < axis; ++d)
    outer *= shape[d];
  for (int64_t d = axis + 1; d < dataType.getRank(); ++d)
    inner *= shape[d];
  std::vector<int64_t> idx = indices->toInts();
  if (outer * static_cast<int64_t>(idx.size()) * inner > kMaxViewElements)
    return std::nullopt;
  SmallVector<int64_t> offsets;
  for (int64_t a = 0; a < outer; ++a)
    for (int64_t i : idx) {
      int64_t row = normalizedConstIndex(i, n);
      for (int64_t p = 0; p < inner; ++p)
        offsets.push_back(row < 0 ? -1 : (a * n + row) * inner + p);
    }
  return offsets;
}

LogicalResult convertGather(NodeContext &ctx) {
  Value data = ctx.input(0), indices = ctx.input(1);
  auto dataType = cast<RankedTensorType>(data.getType());
  auto idxType = cast<RankedTensorType>(indices.getType());
  int64_t axis = ctx.attrs.getInt("axis", 0);
  if (!normalizeAxis(axis, dataType.getRank()))
    return ctx.fail("axis out of range");
  if (!isa<IntegerType>(idxType.getElementType()))
    return ctx.fail("the indices '" + ctx.node.input(1) + "' are " +
                    std::string(dtypeName(ctx.inputDType(1))) +
                    "; Gather needs int64 or int32 indices" +
                    (isa<BlockArgument>(indices)
                         ? " (it is an input of the model: give it an "
                           "integer type)"
                         : ""));
  // Constant indices must address the data (a --shape longer than a
  // position table gives positions past its end).
  int64_t axisSize = dataType.getDimSize(axis);
  if (const HostTensor *constIdx = ctx.constInput(1);
      constIdx && !ShapedType::isDynamic(axisSize))
    for (int64_t i : constIdx->toInts())
      if (i < -axisSize || i >= axisSize)
        return ctx.fail(
            "index " + std::to_string(i) + " is out of range for the " +
            std::to_string(axisSize) + " entries of axis " +
            std::to_string(axis) + " of '" + ctx.node.input(0) +
            "' (a position table read past its end: is --shape or --max-seq "
            "longer than the model's positions?)");
  // Row lookup in a 2-D table: an embedding (whose ids the CPU backend
  // records for the runtime to check).
  if (axis == 0 && dataType.getRank() == 2 &&
      isa<FloatType>(dataType.getElementType()) && idxType.getRank() >= 1) {
    SmallVector<int64_t> shape(idxType.getShape());
    shape.push_back(dataType.getDimSize(1));
    auto type = RankedTensorType::get(shape, dataType.getElementType());
    ctx.setOutput(0,
                  tx::EmbeddingOp::create(ctx.b, ctx.loc, type, data, indices),
                  ctx.inputDType(0));
    return success();
  }
  // Indices read at run time from an input: the runtime checks them.
  if (!ShapedType::isDynamic(axisSize))
    tx::recordIndexRange(indices, -axisSize, axisSize);
  // General gather: linalg.generic reading data with tensor.extract.
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < axis; ++d)
    shape.push_back(dataType.getDimSize(d));
  for (int64_t d : idxType.getShape())
    shape.push_back(d);
  for (int64_t d = axis + 1; d < dataType.getRank(); ++d)
    shape.push_back(dataType.getDimSize(d));
  if (llvm::any_of(shape, ShapedType::isDynamic))
    return ctx.fail("gather with dynamic shapes is not supported; specialize "
                    "with --shape");
  if (auto offsets = gatherOffsets(ctx, dataType, axis))
    if (Value view = gatherAsView(ctx, data, shape, *offsets)) {
      ctx.setOutput(0, view, ctx.inputDType(0));
      return success();
    }
  // Constant consecutive indices (x[:, 0], x[:, 2:5]): a slice.
  if (const HostTensor *constIdx = ctx.constInput(1);
      constIdx && dataType.hasStaticShape()) {
    std::vector<int64_t> idx = constIdx->toInts();
    int64_t n = dataType.getDimSize(axis);
    int64_t first = idx.empty() ? -1 : normalizedConstIndex(idx[0], n);
    bool consecutive = first >= 0;
    for (size_t i = 0; consecutive && i < idx.size(); ++i)
      consecutive = normalizedConstIndex(idx[i], n) == first + int64_t(i);
    if (consecutive) {
      int64_t rank = dataType.getRank();
      SmallVector<OpFoldResult> offsets(rank, ctx.b.getIndexAttr(0)),
          strides(rank, ctx.b.getIndexAttr(1)), sizes;
      for (int64_t d = 0; d < rank; ++d)
        sizes.push_back(ctx.b.getIndexAttr(dataType.getDimSize(d)));
      offsets[axis] = ctx.b.getIndexAttr(first);
      sizes[axis] = ctx.b.getIndexAttr(idx.size());
      Value slice = tensor::ExtractSliceOp::create(ctx.b, ctx.loc, data,
                                                   offsets, sizes, strides);
      ctx.setOutput(0, reshapeTensor(ctx.b, ctx.loc, slice, shape),
                    ctx.inputDType(0));
      return success();
    }
  }
  int64_t outRank = shape.size(), idxRank = idxType.getRank();
  Value init = emptyTensor(ctx.b, ctx.loc, shape, dataType.getElementType());
  MLIRContext *mctx = ctx.b.getContext();
  SmallVector<AffineExpr> idxExprs;
  for (int64_t d = 0; d < idxRank; ++d)
    idxExprs.push_back(getAffineDimExpr(axis + d, mctx));
  SmallVector<AffineMap> maps = {
      AffineMap::get(outRank, 0, idxExprs, mctx),
      AffineMap::getMultiDimIdentityMap(outRank, mctx)};
  SmallVector<utils::IteratorType> iters(outRank,
                                         utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      ctx.b, ctx.loc, init.getType(), ValueRange{indices}, ValueRange{init},
      maps, iters, [&](OpBuilder &b, Location loc, ValueRange args) {
        SmallVector<Value> coords;
        for (int64_t d = 0; d < axis; ++d)
          coords.push_back(linalg::IndexOp::create(b, loc, d));
        Value dim = tensor::DimOp::create(b, loc, data, axis);
        coords.push_back(normalizedIndex(b, loc, args[0], dim));
        for (int64_t d = axis + 1; d < dataType.getRank(); ++d)
          coords.push_back(
              linalg::IndexOp::create(b, loc, d - 1 + idxRank));
        Value v = tensor::ExtractOp::create(b, loc, data, coords);
        linalg::YieldOp::create(b, loc, v);
      });
  ctx.setOutput(0, generic.getResult(0), ctx.inputDType(0));
  return success();
}

LogicalResult convertGatherElements(NodeContext &ctx) {
  Value data = ctx.input(0), indices = ctx.input(1);
  auto dataType = cast<RankedTensorType>(data.getType());
  auto idxType = cast<RankedTensorType>(indices.getType());
  int64_t axis = ctx.attrs.getInt("axis", 0);
  if (!normalizeAxis(axis, dataType.getRank()) ||
      idxType.getRank() != dataType.getRank())
    return ctx.fail("indices must have the rank of data and a valid axis");
  if (!idxType.hasStaticShape())
    return ctx.fail("dynamic shapes are not supported; specialize with "
                    "--shape");
  if (int64_t n = dataType.getDimSize(axis); !ShapedType::isDynamic(n))
    tx::recordIndexRange(indices, -n, n);
  int64_t rank = idxType.getRank();
  Value init = emptyTensor(ctx.b, ctx.loc, idxType.getShape(),
                           dataType.getElementType());
  MLIRContext *mctx = ctx.b.getContext();
  SmallVector<AffineMap> maps(2, AffineMap::getMultiDimIdentityMap(rank, mctx));
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      ctx.b, ctx.loc, init.getType(), ValueRange{indices}, ValueRange{init},
      maps, iters, [&](OpBuilder &b, Location loc, ValueRange args) {
        SmallVector<Value> coords;
        for (int64_t d = 0; d < rank; ++d)
          coords.push_back(d == axis ? normalizedIndex(
                                           b, loc, args[0],
                                           tensor::DimOp::create(b, loc, data,
                                                                 axis))
                                     : Value(linalg::IndexOp::create(b, loc, d)));
        linalg::YieldOp::create(b, loc,
                                tensor::ExtractOp::create(b, loc, data, coords)
                                    .getResult());
      });
  ctx.setOutput(0, generic.getResult(0), ctx.inputDType(0));
  return success();
}

LogicalResult convertGatherND(NodeContext &ctx) {
  Value data = ctx.input(0), indices = ctx.input(1);
  auto dataType = cast<RankedTensorType>(data.getType());
  auto idxType = cast<RankedTensorType>(indices.getType());
  int64_t batchDims = ctx.attrs.getInt("batch_dims", 0);
  if (!dataType.hasStaticShape() || !idxType.hasStaticShape())
    return ctx.fail("dynamic shapes are not supported; specialize with "
                    "--shape");
  int64_t q = idxType.getRank(), r = dataType.getRank();
  if (q < 1 || r < 1)
    return ctx.fail("data and indices must have rank >= 1");
  int64_t k = idxType.getShape().back();
  if (batchDims < 0 || batchDims >= q || k < 1 || k > r - batchDims)
    return ctx.fail("bad indices shape or batch_dims");
  SmallVector<int64_t> shape(idxType.getShape().drop_back());
  for (int64_t d = batchDims + k; d < r; ++d)
    shape.push_back(dataType.getDimSize(d));
  int64_t outRank = shape.size();
  // Constant index grids (batch_dims = 0) that only rearrange data.
  if (const HostTensor *constIdx = ctx.constInput(1);
      constIdx && batchDims == 0 && product(shape) <= kMaxViewElements) {
    std::vector<int64_t> idx = constIdx->toInts();
    ArrayRef<int64_t> dataShape = dataType.getShape();
    int64_t inner = 1;
    for (int64_t d = k; d < r; ++d)
      inner *= dataShape[d];
    SmallVector<int64_t> offsets;
    for (size_t t = 0; t < idx.size(); t += k) {
      int64_t row = 0;
      for (int64_t j = 0; j < k && row >= 0; ++j) {
        int64_t i = normalizedConstIndex(idx[t + j], dataShape[j]);
        row = i < 0 ? -1 : row * dataShape[j] + i;
      }
      for (int64_t p = 0; p < inner; ++p)
        offsets.push_back(row < 0 ? -1 : row * inner + p);
    }
    if (Value view = gatherAsView(ctx, data, shape, offsets)) {
      ctx.setOutput(0, view, ctx.inputDType(0));
      return success();
    }
  }
  Value init = emptyTensor(ctx.b, ctx.loc, shape, dataType.getElementType());
  SmallVector<utils::IteratorType> iters(outRank,
                                         utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      ctx.b, ctx.loc, init.getType(), ValueRange{}, ValueRange{init},
      SmallVector<AffineMap>{
          AffineMap::getMultiDimIdentityMap(outRank, ctx.b.getContext())},
      iters, [&](OpBuilder &b, Location loc, ValueRange) {
        SmallVector<Value> coords, idxCoords;
        for (int64_t d = 0; d < q - 1; ++d)
          idxCoords.push_back(linalg::IndexOp::create(b, loc, d));
        for (int64_t d = 0; d < batchDims; ++d)
          coords.push_back(idxCoords[d]);
        for (int64_t j = 0; j < k; ++j) {
          SmallVector<Value> at(idxCoords);
          at.push_back(arith::ConstantIndexOp::create(b, loc, j));
          Value raw = tensor::ExtractOp::create(b, loc, indices, at);
          Value dim = arith::ConstantIndexOp::create(
              b, loc, dataType.getDimSize(batchDims + j));
          coords.push_back(normalizedIndex(b, loc, raw, dim));
        }
        for (int64_t d = q - 1; d < outRank; ++d)
          coords.push_back(linalg::IndexOp::create(b, loc, d));
        linalg::YieldOp::create(
            b, loc, tensor::ExtractOp::create(b, loc, data, coords).getResult());
      });
  ctx.setOutput(0, generic.getResult(0), ctx.inputDType(0));
  return success();
}

/// ScatterND with constant indices (reduction none): an insert_slice when the
/// updates fill a box of data in row-major order, else a select between data
/// and the update each element receives (last write wins).
LogicalResult convertScatterND(NodeContext &ctx) {
  Value data = ctx.input(0), updates = ctx.input(2);
  auto dataType = cast<RankedTensorType>(data.getType());
  auto updType = cast<RankedTensorType>(updates.getType());
  if (ctx.attrs.getString("reduction", "none") != "none")
    return ctx.fail("only reduction 'none' is supported on run-time values");
  if (!dataType.hasStaticShape() || !updType.hasStaticShape())
    return ctx.fail("dynamic shapes are not supported; specialize with "
                    "--shape");
  if (dataType.getElementType() != updType.getElementType())
    return ctx.fail("updates and data have different element types");
  const HostTensor *indices = ctx.constInput(1);
  if (!indices)
    return ctx.failNotConstant(1, "the indices");
  int64_t r = dataType.getRank(), q = indices->rank();
  if (q < 1 || indices->shape.back() > r)
    return ctx.fail("indices do not index data of rank " + std::to_string(r));
  int64_t m = indices->shape.back();
  SmallVector<int64_t> expected(indices->shape.begin(),
                                indices->shape.end() - 1);
  expected.append(dataType.getShape().begin() + m, dataType.getShape().end());
  if (updType.getShape() != ArrayRef<int64_t>(expected))
    return ctx.fail("updates do not have the shape the indices select");
  ArrayRef<int64_t> shape = dataType.getShape();
  int64_t numElements = dataType.getNumElements();
  if (numElements > kMaxViewElements)
    return ctx.fail("data is too large to scatter into with constant indices");
  // Which update element each data element receives (-1: none).
  SmallVector<int64_t> strides(r, 1);
  for (int64_t d = r - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  int64_t slice = r == m ? 1 : strides[m - 1];
  if (m == 0)
    slice = numElements;
  std::vector<int64_t> idx = indices->toInts();
  std::vector<int64_t> source(numElements, -1);
  int64_t tuples = product(ArrayRef<int64_t>(indices->shape).drop_back());
  for (int64_t t = 0; t < tuples; ++t) {
    int64_t dst = 0;
    for (int64_t k = 0; k < m; ++k) {
      int64_t i = normalizedConstIndex(idx[t * m + k], shape[k]);
      if (i < 0)
        return ctx.fail("index " + std::to_string(idx[t * m + k]) +
                        " is out of range for dimension " +
                        std::to_string(k));
      dst += i * strides[k];
    }
    for (int64_t e = 0; e < slice; ++e)
      source[dst + e] = t * slice + e;
  }
  // A box [lo, hi) per dimension, filled in row-major order?
  SmallVector<int64_t> lo(r, std::numeric_limits<int64_t>::max()), hi(r, -1);
  int64_t written = 0;
  for (int64_t i = 0; i < numElements; ++i) {
    if (source[i] < 0)
      continue;
    ++written;
    for (int64_t d = 0, rest = i; d < r; ++d) {
      int64_t c = rest / strides[d];
      rest %= strides[d];
      lo[d] = std::min(lo[d], c);
      hi[d] = std::max(hi[d], c + 1);
    }
  }
  bool box = written > 0;
  SmallVector<int64_t> boxShape;
  for (int64_t d = 0; box && d < r; ++d)
    boxShape.push_back(hi[d] - lo[d]);
  if (box && product(boxShape) == written) {
    int64_t expect = 0;
    SmallVector<int64_t> at(r, 0);
    for (int64_t n = 0; box && n < written; ++n) {
      int64_t flat = 0;
      for (int64_t d = 0; d < r; ++d)
        flat += (lo[d] + at[d]) * strides[d];
      box = source[flat] == expect++;
      for (int64_t d = r - 1; d >= 0; --d) {
        if (++at[d] < boxShape[d])
          break;
        at[d] = 0;
      }
    }
  } else {
    box = false;
  }
  if (box) {
    SmallVector<OpFoldResult> offsets, sizes,
        unit(r, ctx.b.getIndexAttr(1));
    for (int64_t d = 0; d < r; ++d) {
      offsets.push_back(ctx.b.getIndexAttr(lo[d]));
      sizes.push_back(ctx.b.getIndexAttr(boxShape[d]));
    }
    Value block = reshapeTensor(ctx.b, ctx.loc, updates, boxShape);
    ctx.setOutput(0,
                  tensor::InsertSliceOp::create(ctx.b, ctx.loc, block, data,
                                                offsets, sizes, unit),
                  ctx.inputDType(0));
    return success();
  }
  // General case: out[i] = source[i] < 0 ? data[i] : updates.flat[source[i]].
  auto i64 = ctx.b.getI64Type();
  auto sourceType = RankedTensorType::get(shape, i64);
  Value sourceMap = arith::ConstantOp::create(
      ctx.b, ctx.loc,
      DenseElementsAttr::get(sourceType, ArrayRef<int64_t>(source)));
  Value flatUpdates = reshapeTensor(ctx.b, ctx.loc, updates,
                                    {updType.getNumElements()});
  MLIRContext *mctx = ctx.b.getContext();
  SmallVector<AffineMap> maps(3, AffineMap::getMultiDimIdentityMap(r, mctx));
  SmallVector<utils::IteratorType> iters(r, utils::IteratorType::parallel);
  Value init = emptyTensor(ctx.b, ctx.loc, shape, dataType.getElementType());
  auto generic = linalg::GenericOp::create(
      ctx.b, ctx.loc, init.getType(), ValueRange{data, sourceMap},
      ValueRange{init}, maps, iters,
      [&](OpBuilder &b, Location loc, ValueRange args) {
        Value zero = arith::ConstantIntOp::create(b, loc, 0, 64);
        Value none = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                           args[1], zero);
        Value at = arith::IndexCastOp::create(
            b, loc, b.getIndexType(),
            arith::MaxSIOp::create(b, loc, args[1], zero));
        Value update = tensor::ExtractOp::create(b, loc, flatUpdates, at);
        linalg::YieldOp::create(
            b, loc,
            arith::SelectOp::create(b, loc, none, args[0], update).getResult());
      });
  ctx.setOutput(0, generic.getResult(0), ctx.inputDType(0));
  return success();
}

} // namespace

void txc::onnx_import::registerShapeConverters(ConverterMap &map) {
  auto &onnx = map[""];
  onnx["Reshape"] = {convertReshape, 5, 2};
  onnx["Transpose"] = {convertTranspose, 1};
  onnx["Flatten"] = {convertFlatten, 1};
  onnx["Concat"] = {convertConcat, 4};
  onnx["Split"] = {convertSplit, 2};
  onnx["Slice"] = {convertSlice, 1};
  onnx["Squeeze"] = {convertSqueezeLike<false>, 1};
  onnx["Unsqueeze"] = {convertSqueezeLike<true>, 1};
  onnx["Expand"] = {convertExpand, 8, 2};
  onnx["Gather"] = {convertGather, 1, 2};
  onnx["GatherElements"] = {convertGatherElements, 11, 2};
  onnx["GatherND"] = {convertGatherND, 11, 2};
  onnx["ScatterND"] = {convertScatterND, 11, 3};
}
