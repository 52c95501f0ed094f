//===- ConvertLinalg.cpp - MatMul, Gemm, Softmax, reductions, norms -------===//
//
// MatMul and Gemm with a constant 2-D weight become tx.linear (the weight is
// stored [out, in]), or tx.qlinear when the weight is a DequantizeLinear of
// integer codes (ConvertQuant.cpp); other products become linalg.contract.
// Softmax is linalg.softmax, reductions linalg.reduce, LayerNormalization
// tx.layer_norm, and CumSum / Trilu on run-time values a contraction with,
// or a select by, a constant triangular matrix.
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

#include <cmath>
#include <cstring>
#include <map>

using namespace mlir;
using namespace txc;
using namespace txc::onnx_import;

namespace {

/// The [N, K] weight of a linear layer given the ONNX [K, N] matrix `b` (or
/// [N, K] already when `transposed`), stored under `name`.
Value linearWeight(NodeContext &ctx, const HostTensor &b, bool transposed,
                   StringRef name) {
  if (transposed)
    return ctx.weight(b, name);
  int64_t k = b.shape[0], n = b.shape[1];
  HostTensor t(b.dtype, {n, k});
  unsigned size = dtypeSize(b.dtype);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < n; ++j)
      std::memcpy(t.bytes.data() + (j * k + i) * size,
                  b.bytes.data() + (i * n + j) * size, size);
  return ctx.weight(t, (name + ".T").str());
}

/// linalg.contract of a [..., M, K] by b [..., K, N] with broadcast batch
/// dimensions.
FailureOr<Value> batchedMatmul(NodeContext &ctx, Value a, Value b) {
  auto at = cast<RankedTensorType>(a.getType());
  auto bt = cast<RankedTensorType>(b.getType());
  bool aVec = at.getRank() == 1, bVec = bt.getRank() == 1;
  if (aVec)
    a = reshapeTensor(ctx.b, ctx.loc, a, {1, at.getDimSize(0)});
  if (bVec)
    b = reshapeTensor(ctx.b, ctx.loc, b, {bt.getDimSize(0), 1});
  SmallVector<int64_t> as = shapeOf(a), bs = shapeOf(b);
  int64_t m = as[as.size() - 2], k = as.back(), n = bs.back();
  if (!ShapedType::isDynamic(k) && !ShapedType::isDynamic(bs[bs.size() - 2]) &&
      k != bs[bs.size() - 2])
    return failure();
  ArrayRef<int64_t> aBatch = ArrayRef<int64_t>(as).drop_back(2),
                    bBatch = ArrayRef<int64_t>(bs).drop_back(2);
  auto batch = broadcastShapes(aBatch, bBatch);
  if (!batch)
    return failure();
  for (int64_t &d : *batch)
    if (d < 0)
      d = ShapedType::kDynamic;
  int64_t nb = batch->size();
  // Make both operands carry the full batch shape (no-op when they do).
  SmallVector<int64_t> aFull(*batch), bFull(*batch);
  aFull.append({m, k});
  bFull.append({bs[bs.size() - 2], n});
  Value a0 = a;
  a = broadcastTo(ctx.b, ctx.loc, a, aFull, {b});
  b = a ? broadcastTo(ctx.b, ctx.loc, b, bFull, {a0}) : Value();
  if (!a || !b)
    return failure();
  MLIRContext *mctx = ctx.b.getContext();
  // Iteration space: batch..., m, n, k.
  auto dim = [&](int64_t i) { return getAffineDimExpr(i, mctx); };
  SmallVector<AffineExpr> aExprs, bExprs, cExprs;
  for (int64_t i = 0; i < nb; ++i) {
    aExprs.push_back(dim(i));
    bExprs.push_back(dim(i));
    cExprs.push_back(dim(i));
  }
  aExprs.append({dim(nb), dim(nb + 2)});
  bExprs.append({dim(nb + 2), dim(nb + 1)});
  cExprs.append({dim(nb), dim(nb + 1)});
  int64_t dims = nb + 3;
  SmallVector<int64_t> outShape(*batch);
  outShape.append({m, n});
  Type elem = at.getElementType();
  // Dynamic sizes: batch and m from a, n from b.
  SmallVector<Value> dyn;
  for (int64_t i = 0; i < nb + 2; ++i)
    if (ShapedType::isDynamic(outShape[i]))
      dyn.push_back(tensor::DimOp::create(ctx.b, ctx.loc, i == nb + 1 ? b : a,
                                          i == nb + 1 ? nb + 1 : i));
  Value empty = tensor::EmptyOp::create(ctx.b, ctx.loc, outShape, elem, dyn);
  Value zero = arith::ConstantOp::create(ctx.b, ctx.loc,
                                         ctx.b.getZeroAttr(elem));
  Value init = linalg::FillOp::create(ctx.b, ctx.loc, zero, empty).getResult(0);
  auto maps = ctx.b.getAffineMapArrayAttr(
      {AffineMap::get(dims, 0, aExprs, mctx),
       AffineMap::get(dims, 0, bExprs, mctx),
       AffineMap::get(dims, 0, cExprs, mctx)});
  Value result = linalg::ContractOp::create(ctx.b, ctx.loc,
                                            TypeRange{init.getType()},
                                            ValueRange{a, b}, ValueRange{init},
                                            maps)
                     .getResult(0);
  // Drop the dimensions added for vector operands.
  if (aVec || bVec) {
    SmallVector<int64_t> finalShape(*batch);
    if (!aVec)
      finalShape.push_back(m);
    if (!bVec)
      finalShape.push_back(n);
    result = reshapeTensor(ctx.b, ctx.loc, result, finalShape);
  }
  return result;
}

/// Constant 2-D float weight behind input `i` (possibly a folded transpose
/// of an initializer); sets `transposed` when the data is already [N, K].
const HostTensor *constantWeight(NodeContext &ctx, unsigned i,
                                 bool &transposed, std::string &name) {
  if (!ctx.hasInput(i))
    return nullptr;
  auto it = ctx.importer.values.find(ctx.node.input(i));
  const ValueState &state = it->second;
  if (!state.transposeOf.empty()) {
    // B = Transpose(W): the linear weight is W itself.
    auto src = ctx.importer.values.find(state.transposeOf);
    if (src != ctx.importer.values.end() && src->second.constant &&
        isFloat(src->second.constant->dtype)) {
      transposed = true;
      name = src->second.initializer.empty() ? state.transposeOf
                                             : src->second.initializer;
      return &*src->second.constant;
    }
    return nullptr;
  }
  const HostTensor *t = ctx.constInput(i);
  if (!t || t->rank() != 2 || !isFloat(t->dtype))
    return nullptr;
  transposed = false;
  name = state.initializer.empty() ? ("folded:" + ctx.node.input(i))
                                   : state.initializer;
  return t;
}

LogicalResult convertMatMul(NodeContext &ctx) {
  Value a = ctx.input(0);
  auto at = cast<RankedTensorType>(a.getType());
  if (at.getRank() == 0)
    return ctx.fail("operands must have rank >= 1");
  // A DequantizeLinear weight stays quantized: tx.qlinear.
  if (Value q = quantizedWeight(ctx, 1, /*transB=*/false);
      q && at.getElementType().isF32()) {
    auto qt = cast<tx::QWeightType>(q.getType());
    if (!ShapedType::isDynamic(at.getShape().back()) &&
        at.getShape().back() != qt.getInFeatures())
      return ctx.fail("inner dimensions differ: input has " +
                      std::to_string(at.getShape().back()) +
                      ", weight has " + std::to_string(qt.getInFeatures()));
    SmallVector<int64_t> shape(at.getShape());
    shape.back() = qt.getOutFeatures();
    auto type = RankedTensorType::get(shape, at.getElementType());
    ctx.setOutput(0,
                  tx::QLinearOp::create(ctx.b, ctx.loc, type, a, q, Value()),
                  ctx.inputDType(0));
    return success();
  }
  // A constant weight is not materialized as is (tx.linear reads it
  // transposed), so its rank is checked by constantWeight, not inputType.
  bool transposed;
  std::string name;
  if (const HostTensor *w = constantWeight(ctx, 1, transposed, name);
      w && at.getRank() >= 1 &&
      toMLIRType(w->dtype, ctx.b.getContext()) == at.getElementType()) {
    int64_t k = transposed ? w->shape[1] : w->shape[0];
    int64_t n = transposed ? w->shape[0] : w->shape[1];
    if (!ShapedType::isDynamic(at.getShape().back()) &&
        at.getShape().back() != k)
      return ctx.fail("inner dimensions differ: input has " +
                      std::to_string(at.getShape().back()) +
                      ", weight has " + std::to_string(k));
    Value weight = linearWeight(ctx, *w, transposed, name);
    SmallVector<int64_t> shape(at.getShape());
    shape.back() = n;
    auto type = RankedTensorType::get(shape, at.getElementType());
    ctx.setOutput(0,
                  tx::LinearOp::create(ctx.b, ctx.loc, type, a, weight,
                                       Value()),
                  ctx.inputDType(0));
    return success();
  }
  if (ctx.inputType(1).getRank() == 0)
    return ctx.fail("operands must have rank >= 1");
  auto result = batchedMatmul(ctx, a, ctx.input(1));
  if (failed(result))
    return ctx.fail("operand shapes are incompatible");
  ctx.setOutput(0, *result, ctx.inputDType(0));
  return success();
}

LogicalResult convertGemm(NodeContext &ctx) {
  Value a = ctx.input(0);
  bool transA = ctx.attrs.getInt("transA", 0),
       transB = ctx.attrs.getInt("transB", 0);
  double alpha = ctx.attrs.getFloat("alpha", 1.0),
         beta = ctx.attrs.getFloat("beta", 1.0);
  if (cast<RankedTensorType>(a.getType()).getRank() != 2)
    return ctx.fail("A must be a matrix");
  if (transA)
    a = transposeTensor(ctx.b, ctx.loc, a, {1, 0});
  auto at = cast<RankedTensorType>(a.getType());
  Value result;
  bool wTransposed;
  std::string name;
  Value q = quantizedWeight(ctx, 1, transB);
  if (q && !at.getElementType().isF32())
    q = Value();
  const HostTensor *w =
      q ? nullptr : constantWeight(ctx, 1, wTransposed, name);
  if (q || w) {
    // Gemm's B is [K, N], or [N, K] with transB.
    Value weight = q ? q : linearWeight(ctx, *w, transB != wTransposed, name);
    if (q && at.getDimSize(1) !=
                 cast<tx::QWeightType>(q.getType()).getInFeatures())
      return ctx.fail("A has " + std::to_string(at.getDimSize(1)) +
                      " columns but the quantized B has " +
                      std::to_string(cast<tx::QWeightType>(q.getType())
                                         .getInFeatures()) +
                      " input features");
    int64_t n = q ? cast<tx::QWeightType>(q.getType()).getOutFeatures()
                  : cast<RankedTensorType>(weight.getType()).getDimSize(0);
    auto type = RankedTensorType::get({at.getDimSize(0), n},
                                      at.getElementType());
    // A [N] bias with unit factors becomes the linear's own bias.
    Value bias;
    if (ctx.hasInput(2) && alpha == 1.0 && beta == 1.0) {
      auto ct = cast<RankedTensorType>(ctx.input(2).getType());
      if (ct.getRank() == 1 && ct.getDimSize(0) == n)
        bias = ctx.input(2);
    }
    if (q)
      result = tx::QLinearOp::create(ctx.b, ctx.loc, type, a, weight, bias);
    else
      result = tx::LinearOp::create(ctx.b, ctx.loc, type, a, weight, bias);
    if (bias) {
      ctx.setOutput(0, result, ctx.inputDType(0));
      return success();
    }
  } else {
    Value b = ctx.input(1);
    if (transB)
      b = transposeTensor(ctx.b, ctx.loc, b, {1, 0});
    auto r = batchedMatmul(ctx, a, b);
    if (failed(r))
      return ctx.fail("operand shapes are incompatible");
    result = *r;
  }
  auto rt = cast<RankedTensorType>(result.getType());
  if (alpha != 1.0)
    result = arith::MulFOp::create(ctx.b, ctx.loc, result,
                                   splatConstant(ctx.b, ctx.loc, rt, alpha));
  if (ctx.hasInput(2) && beta != 0.0) {
    Value c = ctx.input(2);
    if (beta != 1.0)
      c = arith::MulFOp::create(
          ctx.b, ctx.loc, c,
          splatConstant(ctx.b, ctx.loc,
                        cast<RankedTensorType>(c.getType()), beta));
    c = broadcastTo(ctx.b, ctx.loc, c, rt.getShape(), {result});
    if (!c)
      return ctx.fail("C does not broadcast to the product's shape");
    result = arith::AddFOp::create(ctx.b, ctx.loc, result, c);
  }
  ctx.setOutput(0, result, ctx.inputDType(0));
  return success();
}

/// Einsum as one linalg.generic: a loop per label (the output's parallel,
/// the others summed), each operand indexed by its labels (size-1
/// dimensions that broadcast by the constant 0).
LogicalResult convertEinsum(NodeContext &ctx) {
  SmallVector<Value> operands;
  SmallVector<int64_t> ranks;
  SmallVector<ArrayRef<int64_t>> shapes;
  Type elementType;
  for (unsigned i = 0; i < ctx.numInputs(); ++i) {
    if (!ctx.hasInput(i))
      return ctx.fail("operand #" + std::to_string(i) + " is missing");
    operands.push_back(ctx.input(i));
    auto type = cast<RankedTensorType>(operands.back().getType());
    if (!type.hasStaticShape())
      return ctx.fail("dynamic shapes are not supported; specialize with "
                      "--shape");
    if (elementType && type.getElementType() != elementType)
      return ctx.fail("operands have different element types");
    elementType = type.getElementType();
    ranks.push_back(type.getRank());
  }
  for (Value v : operands)
    shapes.push_back(cast<RankedTensorType>(v.getType()).getShape());
  EinsumSpec spec;
  std::string equation = ctx.attrs.getString("equation", "");
  if (std::string err = parseEinsum(equation, ranks, spec); !err.empty())
    return ctx.fail(err);
  std::map<int, int64_t> sizes;
  if (std::string err = einsumSizes(spec, shapes, sizes); !err.empty())
    return ctx.fail(err);
  MLIRContext *mctx = ctx.b.getContext();
  int64_t numLoops = spec.loops.size();
  auto loopOf = [&](int label) {
    return static_cast<unsigned>(llvm::find(spec.loops, label) -
                                 spec.loops.begin());
  };
  SmallVector<AffineMap> maps;
  for (auto [t, labels] : llvm::enumerate(spec.inputs)) {
    SmallVector<AffineExpr> exprs;
    for (auto [d, label] : llvm::enumerate(labels))
      exprs.push_back(shapes[t][d] == 1 && sizes[label] != 1
                          ? getAffineConstantExpr(0, mctx)
                          : getAffineDimExpr(loopOf(label), mctx));
    maps.push_back(AffineMap::get(numLoops, 0, exprs, mctx));
  }
  SmallVector<AffineExpr> outExprs;
  SmallVector<int64_t> outShape;
  for (int label : spec.output) {
    outExprs.push_back(getAffineDimExpr(loopOf(label), mctx));
    outShape.push_back(sizes[label]);
  }
  maps.push_back(AffineMap::get(numLoops, 0, outExprs, mctx));
  SmallVector<utils::IteratorType> iters(numLoops,
                                         utils::IteratorType::reduction);
  for (size_t i = 0; i < spec.output.size(); ++i)
    iters[i] = utils::IteratorType::parallel;
  bool isFloat = isa<FloatType>(elementType);
  if (!isFloat && !isa<IntegerType>(elementType))
    return ctx.fail("unsupported element type");
  Value init = filledTensor(ctx.b, ctx.loc, outShape, elementType, 0.0);
  auto generic = linalg::GenericOp::create(
      ctx.b, ctx.loc, init.getType(), operands, ValueRange{init}, maps, iters,
      [&](OpBuilder &b, Location loc, ValueRange args) {
        Value product = args[0];
        for (Value v : args.drop_front().drop_back())
          product = isFloat ? Value(arith::MulFOp::create(b, loc, product, v))
                            : Value(arith::MulIOp::create(b, loc, product, v));
        Value acc = args.back();
        Value sum = isFloat ? Value(arith::AddFOp::create(b, loc, acc, product))
                            : Value(arith::AddIOp::create(b, loc, acc, product));
        linalg::YieldOp::create(b, loc, sum);
      });
  ctx.setOutput(0, generic.getResult(0), ctx.inputDType(0));
  return success();
}

LogicalResult convertSoftmax(NodeContext &ctx) {
  Value x = ctx.input(0);
  auto type = cast<RankedTensorType>(x.getType());
  int64_t axis = ctx.attrs.getInt("axis", ctx.opset >= 13 ? -1 : 1);
  if (!normalizeAxis(axis, type.getRank()))
    return ctx.fail("axis out of range");
  if (ctx.opset < 13 && axis != type.getRank() - 1)
    return ctx.fail("opset < 13 Softmax over several axes is not supported");
  Value init = emptyTensor(ctx.b, ctx.loc, type.getShape(),
                           type.getElementType(), {x});
  ctx.setOutput(0,
                linalg::SoftmaxOp::create(ctx.b, ctx.loc, type, x, init, axis)
                    .getResult()[0],
                ctx.inputDType(0));
  return success();
}

enum class Reduce { Sum, Mean, Max, Min };

template <Reduce kind>
LogicalResult convertReduce(NodeContext &ctx) {
  Value x = ctx.input(0);
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  int64_t axesAsInputSince = kind == Reduce::Sum ? 13 : 18;
  std::optional<std::vector<int64_t>> axes;
  if (ctx.opset >= axesAsInputSince) {
    if (ctx.hasInput(1)) {
      const HostTensor *t = ctx.constInput(1);
      if (!t)
        return ctx.failNotConstant(1, "the axes");
      axes = t->toInts();
    }
  } else {
    axes = ctx.attrs.getInts("axes");
  }
  bool keepDims = ctx.attrs.getInt("keepdims", 1);
  if (!axes || axes->empty()) {
    if (ctx.attrs.getInt("noop_with_empty_axes", 0)) {
      ctx.setOutput(0, x, ctx.inputDType(0));
      return success();
    }
    axes = std::vector<int64_t>();
    for (int64_t i = 0; i < rank; ++i)
      axes->push_back(i);
  }
  for (int64_t &a : *axes)
    if (!normalizeAxis(a, rank))
      return ctx.fail("axis out of range");
  llvm::sort(*axes);
  axes->erase(std::unique(axes->begin(), axes->end()), axes->end());
  SmallVector<int64_t> reducedShape, keptShape;
  int64_t count = 1;
  for (int64_t i = 0; i < rank; ++i) {
    if (llvm::is_contained(*axes, i)) {
      if (type.isDynamicDim(i) && kind == Reduce::Mean)
        return ctx.fail("mean over a dynamic dimension is not supported");
      count *= type.getDimSize(i);
      keptShape.push_back(1);
    } else {
      reducedShape.push_back(type.getDimSize(i));
      keptShape.push_back(type.getDimSize(i));
    }
  }
  Type elem = type.getElementType();
  bool isFloatElem = isa<FloatType>(elem);
  double initValue = 0.0;
  if (kind == Reduce::Max)
    initValue = isFloatElem ? -INFINITY : double(INT64_MIN);
  if (kind == Reduce::Min)
    initValue = isFloatElem ? INFINITY : double(INT64_MAX);
  // Dynamic sizes of the reduced result come from x's kept dims.
  SmallVector<Value> dyn;
  for (int64_t i = 0; i < rank; ++i)
    if (!llvm::is_contained(*axes, i) && type.isDynamicDim(i))
      dyn.push_back(tensor::DimOp::create(ctx.b, ctx.loc, x, i));
  Value init = tensor::EmptyOp::create(ctx.b, ctx.loc, reducedShape, elem, dyn);
  Value scalar = arith::ConstantOp::create(
      ctx.b, ctx.loc,
      isFloatElem ? TypedAttr(ctx.b.getFloatAttr(elem, initValue))
                  : TypedAttr(ctx.b.getIntegerAttr(elem, int64_t(initValue))));
  init = linalg::FillOp::create(ctx.b, ctx.loc, scalar, init).getResult(0);
  Value result =
      linalg::ReduceOp::create(
          ctx.b, ctx.loc, ValueRange{x}, ValueRange{init}, *axes,
          [&](OpBuilder &b, Location loc, ValueRange args) {
            Value r;
            if (kind == Reduce::Sum || kind == Reduce::Mean)
              r = isFloatElem ? Value(arith::AddFOp::create(b, loc, args[0],
                                                            args[1]))
                              : Value(arith::AddIOp::create(b, loc, args[0],
                                                            args[1]));
            else if (kind == Reduce::Max)
              r = isFloatElem ? Value(arith::MaximumFOp::create(b, loc, args[0],
                                                                args[1]))
                              : Value(arith::MaxSIOp::create(b, loc, args[0],
                                                             args[1]));
            else
              r = isFloatElem ? Value(arith::MinimumFOp::create(b, loc, args[0],
                                                                args[1]))
                              : Value(arith::MinSIOp::create(b, loc, args[0],
                                                             args[1]));
            linalg::YieldOp::create(b, loc, r);
          })
          .getResult(0);
  if (kind == Reduce::Mean) {
    if (!isFloatElem)
      return ctx.fail("ReduceMean needs a floating-point input");
    auto rt = cast<RankedTensorType>(result.getType());
    Value divisor =
        rt.hasStaticShape()
            ? splatConstant(ctx.b, ctx.loc, rt, double(count))
            : filledTensor(ctx.b, ctx.loc, rt.getShape(), elem, double(count),
                           {result});
    result = arith::DivFOp::create(ctx.b, ctx.loc, result, divisor);
  }
  if (keepDims) {
    auto keptType = RankedTensorType::get(keptShape, elem);
    auto groups = getReassociationIndicesForReshape(
        cast<ShapedType>(result.getType()), keptType);
    if (!groups)
      return ctx.fail("cannot keep the reduced dimensions");
    result = tensor::ExpandShapeOp::create(ctx.b, ctx.loc, keptType, result,
                                           *groups);
  }
  ctx.setOutput(0, result, ctx.inputDType(0));
  return success();
}

LogicalResult convertLayerNorm(NodeContext &ctx) {
  Value x = ctx.input(0);
  auto type = cast<RankedTensorType>(x.getType());
  int64_t axis = ctx.attrs.getInt("axis", -1);
  if (!normalizeAxis(axis, type.getRank()) || axis != type.getRank() - 1)
    return ctx.fail("only normalization over the last axis is supported");
  for (unsigned i = 1; i < ctx.numOutputs(); ++i)
    if (ctx.hasOutput(i))
      return ctx.fail("the Mean and InvStdDev outputs are not supported");
  Value scale = ctx.input(1);
  Value bias = ctx.hasInput(2) ? ctx.input(2) : Value();
  int64_t d = type.getShape().back();
  auto flat = [&](Value v) {
    return reshapeTensor(ctx.b, ctx.loc, v, {d});
  };
  double eps = ctx.attrs.getFloat("epsilon", 1e-5);
  auto op = tx::LayerNormOp::create(ctx.b, ctx.loc, type, x, flat(scale),
                                    bias ? flat(bias) : Value(),
                                    ctx.b.getF64FloatAttr(eps));
  ctx.setOutput(0, op, ctx.inputDType(0));
  return success();
}

/// Constant [n, n] lower (or upper) triangle, with diagonal offset `k`.
HostTensor triangle(DType dtype, int64_t rows, int64_t cols, bool upper,
                    int64_t k) {
  HostTensor t(dtype, {rows, cols});
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      t.setInt(i * cols + j, upper ? (j - i >= k) : (j - i <= k));
  return t;
}

LogicalResult convertCumSum(NodeContext &ctx) {
  Value x = ctx.input(0);
  auto type = cast<RankedTensorType>(x.getType());
  const HostTensor *axisT = ctx.constInput(1);
  if (!axisT || axisT->numElements() != 1)
    return ctx.fail("axis must be a known scalar");
  int64_t axis = axisT->getInt(0);
  if (!normalizeAxis(axis, type.getRank()))
    return ctx.fail("axis out of range");
  int64_t n = type.getDimSize(axis);
  if (ShapedType::isDynamic(n))
    return ctx.fail("cumulative sum over a dynamic dimension is not "
                    "supported; specialize with --shape");
  bool exclusive = ctx.attrs.getInt("exclusive", 0),
       reverse = ctx.attrs.getInt("reverse", 0);
  // out[.., i, ..] = sum_j x[.., j, ..] * T[j, i], T[j, i] = j <= i (or the
  // reversed/exclusive variants).
  HostTensor tri(ctx.inputDType(0), {n, n});
  for (int64_t j = 0; j < n; ++j)
    for (int64_t i = 0; i < n; ++i) {
      bool on = reverse ? (exclusive ? j > i : j >= i)
                        : (exclusive ? j < i : j <= i);
      tri.setInt(j * n + i, on);
    }
  Value t = arith::ConstantOp::create(ctx.b, ctx.loc,
                                      toDenseAttr(tri, ctx.b.getContext()));
  int64_t rank = type.getRank();
  MLIRContext *mctx = ctx.b.getContext();
  // Iteration dims: x's dims, plus a reduction dim `rank` for j.
  SmallVector<AffineExpr> xExprs, tExprs, oExprs;
  for (int64_t d = 0; d < rank; ++d) {
    xExprs.push_back(getAffineDimExpr(d == axis ? rank : d, mctx));
    oExprs.push_back(getAffineDimExpr(d, mctx));
  }
  tExprs = {getAffineDimExpr(rank, mctx), getAffineDimExpr(axis, mctx)};
  Value init = filledTensor(ctx.b, ctx.loc, type.getShape(),
                            type.getElementType(), 0.0, {x});
  auto maps = ctx.b.getAffineMapArrayAttr(
      {AffineMap::get(rank + 1, 0, xExprs, mctx),
       AffineMap::get(rank + 1, 0, tExprs, mctx),
       AffineMap::get(rank + 1, 0, oExprs, mctx)});
  Value result = linalg::ContractOp::create(ctx.b, ctx.loc, TypeRange{type},
                                            ValueRange{x, t}, ValueRange{init},
                                            maps)
                     .getResult(0);
  ctx.setOutput(0, result, ctx.inputDType(0));
  return success();
}

LogicalResult convertTrilu(NodeContext &ctx) {
  Value x = ctx.input(0);
  auto type = cast<RankedTensorType>(x.getType());
  if (type.getRank() < 2 || !type.hasStaticShape())
    return ctx.fail("Trilu on run-time values needs a static matrix shape");
  int64_t k = 0;
  if (ctx.hasInput(1)) {
    const HostTensor *kt = ctx.constInput(1);
    if (!kt)
      return ctx.failNotConstant(1, "k");
    k = kt->getInt(0);
  }
  bool upper = ctx.attrs.getInt("upper", 1);
  int64_t rows = type.getDimSize(type.getRank() - 2),
          cols = type.getDimSize(type.getRank() - 1);
  HostTensor mask = triangle(DType::Bool, rows, cols, upper, k);
  Value m = arith::ConstantOp::create(ctx.b, ctx.loc,
                                      toDenseAttr(mask, ctx.b.getContext()));
  m = broadcastTo(ctx.b, ctx.loc, m, type.getShape());
  if (!m)
    return ctx.fail("cannot broadcast the triangle mask");
  Value zero = splatConstant(ctx.b, ctx.loc, type, 0.0);
  ctx.setOutput(0, arith::SelectOp::create(ctx.b, ctx.loc, m, x, zero),
                ctx.inputDType(0));
  return success();
}

} // namespace

void txc::onnx_import::registerLinalgConverters(ConverterMap &map) {
  auto &onnx = map[""];
  onnx["MatMul"] = {convertMatMul, 1, 2};
  onnx["Gemm"] = {convertGemm, 7, 2};
  onnx["Einsum"] = {convertEinsum, 12, 1};
  onnx["Softmax"] = {convertSoftmax, 1};
  onnx["ReduceSum"] = {convertReduce<Reduce::Sum>, 1};
  onnx["ReduceMean"] = {convertReduce<Reduce::Mean>, 1};
  onnx["ReduceMax"] = {convertReduce<Reduce::Max>, 1};
  onnx["ReduceMin"] = {convertReduce<Reduce::Min>, 1};
  onnx["LayerNormalization"] = {convertLayerNorm, 17, 2};
  onnx["CumSum"] = {convertCumSum, 11, 2};
  onnx["Trilu"] = {convertTrilu, 14};
}
