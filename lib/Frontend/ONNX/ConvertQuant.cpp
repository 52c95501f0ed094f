//===- ConvertQuant.cpp - QuantizeLinear / DequantizeLinear to tx ---------===//
//
// ONNX's QDQ form: DequantizeLinear (y = (x - zero_point) * scale) and
// QuantizeLinear (y = saturate(round_half_even(x / scale) + zero_point)),
// with a scale per tensor, per slice along `axis`, or per block of
// `block_size` values along `axis` (opset 21).
//
// A DequantizeLinear whose inputs are all constants is not computed when it
// is imported (ValueState::dequant): a MatMul or Gemm that reads it as its
// weight -- directly or through a Transpose -- gets the integer codes as a
// `!tx.qweight` and becomes a tx.qlinear when the scales fit the type's
// groups along K (per tensor, per output row, or blocks along K); any other
// reader gets the dequantized values, computed on the host exactly as ONNX
// defines them. A DequantizeLinear of run-time values (activations) and
// every QuantizeLinear become elementwise arith/math ops with ONNX's exact
// semantics; a QuantizeLinear -> DequantizeLinear pair (static activation
// quantization) is the fake quantization it stands for.
//
//===----------------------------------------------------------------------===//

#include "Emit.h"
#include "Importer.h"

#include "txc/Dialect/Tx/TxOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace txc;
using namespace txc::onnx_import;

namespace {

/// How a scale (and zero point) maps onto the quantized tensor.
struct QuantLayout {
  enum Mode { PerTensor, PerAxis, Blocked } mode = PerTensor;
  /// Normalized axis (PerAxis, Blocked) and block size (Blocked).
  int64_t axis = 0, block = 0;
};

std::string shapeText(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (auto [i, d] : llvm::enumerate(shape))
    s += (i ? ", " : "") + std::to_string(d);
  return s + "]";
}

/// Checks a scale of `scaleShape` against data of `shape` (static) for the
/// node's `axis` / `block_size`; returns the layout or fails with a message.
FailureOr<QuantLayout> quantLayout(NodeContext &ctx, ArrayRef<int64_t> shape,
                                   ArrayRef<int64_t> scaleShape) {
  QuantLayout layout;
  int64_t rank = shape.size();
  int64_t axis = ctx.attrs.getInt("axis", 1);
  int64_t block = ctx.opset >= 21 ? ctx.attrs.getInt("block_size", 0) : 0;
  int64_t scaleElems = product(scaleShape);
  if (block < 0) {
    (void)ctx.fail("block_size must be >= 0, got " + std::to_string(block));
    return failure();
  }
  if (block == 0 && scaleShape.size() <= 1 && scaleElems == 1)
    return layout; // per tensor
  if (axis < -rank || axis >= rank) {
    (void)ctx.fail("axis " + std::to_string(axis) +
                   " is out of range for input of rank " +
                   std::to_string(rank));
    return failure();
  }
  layout.axis = axis < 0 ? axis + rank : axis;
  if (block == 0) {
    if (scaleShape.size() != 1 || scaleShape[0] != shape[layout.axis]) {
      (void)ctx.fail("the scale has shape " + shapeText(scaleShape) +
                     "; per-axis quantization of an input of shape " +
                     shapeText(shape) + " along axis " +
                     std::to_string(layout.axis) + " needs [" +
                     std::to_string(shape[layout.axis]) + "]");
      return failure();
    }
    layout.mode = QuantLayout::PerAxis;
    return layout;
  }
  SmallVector<int64_t> want(shape);
  want[layout.axis] = (shape[layout.axis] + block - 1) / block;
  if (SmallVector<int64_t>(scaleShape) != want) {
    (void)ctx.fail("the scale has shape " + shapeText(scaleShape) +
                   "; blocks of " + std::to_string(block) + " along axis " +
                   std::to_string(layout.axis) + " of an input of shape " +
                   shapeText(shape) + " need " + shapeText(want));
    return failure();
  }
  layout.mode = QuantLayout::Blocked;
  layout.block = block;
  return layout;
}

/// quantLayout for a run-time input `x` (Quantize/DequantizeLinear of
/// values): per-axis and blocked scales need its static shape.
FailureOr<QuantLayout> runtimeLayout(NodeContext &ctx, Value x,
                                     const HostTensor &scale) {
  SmallVector<int64_t> shape = shapeOf(x);
  if (llvm::any_of(shape, ShapedType::isDynamic) && product(scale.shape) != 1)
    return ctx.fail("per-axis and blocked scales need a static input shape");
  return quantLayout(ctx, shape, scale.shape);
}

/// Index into the scale of the element at `index` of the data.
int64_t paramIndex(const QuantLayout &layout, ArrayRef<int64_t> index,
                   ArrayRef<int64_t> shape) {
  switch (layout.mode) {
  case QuantLayout::PerTensor:
    return 0;
  case QuantLayout::PerAxis:
    return index[layout.axis];
  case QuantLayout::Blocked: {
    int64_t flat = 0;
    for (size_t d = 0; d < shape.size(); ++d) {
      int64_t size = d == size_t(layout.axis)
                         ? (shape[d] + layout.block - 1) / layout.block
                         : shape[d];
      int64_t i = d == size_t(layout.axis) ? index[d] / layout.block : index[d];
      flat = flat * size + i;
    }
    return flat;
  }
  }
  return 0;
}

/// Every index of `shape` in row-major order.
template <typename Fn> void forEachIndex(ArrayRef<int64_t> shape, Fn fn) {
  int64_t n = product(shape);
  SmallVector<int64_t> index(shape.size(), 0);
  for (int64_t i = 0; i < n; ++i) {
    fn(i, ArrayRef<int64_t>(index));
    for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
      if (++index[d] < shape[d])
        break;
      index[d] = 0;
    }
  }
}

bool isQuantizedType(DType t) {
  return t == DType::I8 || t == DType::U8 || t == DType::I4 || t == DType::U4 ||
         t == DType::I16 || t == DType::U16 || t == DType::I32;
}

/// Saturation range of a quantized type.
std::pair<int64_t, int64_t> quantRange(DType t) {
  switch (t) {
  case DType::I8:
    return {-128, 127};
  case DType::U8:
    return {0, 255};
  case DType::I4:
    return {-8, 7};
  case DType::U4:
    return {0, 15};
  case DType::I16:
    return {-32768, 32767};
  case DType::U16:
    return {0, 65535};
  default:
    return {INT32_MIN, INT32_MAX};
  }
}

/// Checks the scale and zero point of a (De)QuantizeLinear: float scale,
/// zero point of `dataType` with the scale's shape.
LogicalResult checkScaleAndZero(NodeContext &ctx, DType dataType) {
  DType scaleType = ctx.inputDType(1);
  if (scaleType != DType::F32 && scaleType != DType::F16 &&
      scaleType != DType::BF16)
    return ctx.fail("the scale must be float, float16 or bfloat16, got " +
                    dtypeName(scaleType).str());
  if (ctx.hasInput(2)) {
    if (ctx.inputDType(2) != dataType)
      return ctx.fail("the zero point has type " +
                      dtypeName(ctx.inputDType(2)).str() + " but the " +
                      "quantized values have type " +
                      dtypeName(dataType).str());
    const HostTensor *s = ctx.constInput(1), *z = ctx.constInput(2);
    if (s && z && SmallVector<int64_t>(s->shape) != z->shape)
      return ctx.fail("the zero point has shape " + shapeText(z->shape) +
                      " but the scale has shape " + shapeText(s->shape));
    if (dataType == DType::I32)
      return ctx.fail("int32 data takes no zero point");
  }
  return success();
}

/// `param` (scale or zero point, as f32) in a form that broadcasts against
/// data of `shape` by ONNX rules: a scalar, [1, .., n, .., 1] or, for
/// blocks, expanded to the data's shape.
HostTensor broadcastableParam(const HostTensor &param, const QuantLayout &l,
                              ArrayRef<int64_t> shape) {
  if (l.mode == QuantLayout::PerTensor)
    return HostTensor::scalarDouble(DType::F32, param.getDouble(0));
  if (l.mode == QuantLayout::PerAxis) {
    SmallVector<int64_t> s(shape.size(), 1);
    s[l.axis] = shape[l.axis];
    HostTensor t(DType::F32, s);
    for (int64_t i = 0; i < shape[l.axis]; ++i)
      t.setDouble(i, param.getDouble(i));
    return t;
  }
  HostTensor t(DType::F32, shape);
  forEachIndex(shape, [&](int64_t i, ArrayRef<int64_t> index) {
    t.setDouble(i, param.getDouble(paramIndex(l, index, shape)));
  });
  return t;
}

Value broadcastParam(NodeContext &ctx, const HostTensor &param,
                     const QuantLayout &l, Value data, StringRef what) {
  SmallVector<int64_t> shape = shapeOf(data);
  HostTensor t = broadcastableParam(param, l, shape);
  Value v = ctx.importer.weight(
      t, ("folded:" + ctx.node.output(0) + "." + what).str(), ctx.loc,
      /*fromModel=*/false);
  return broadcastTo(ctx.b, ctx.loc, v, shape, {data});
}

/// The element type a DequantizeLinear produces: opset 23's output_dtype,
/// else the scale's.
DType dequantOutType(NodeContext &ctx) {
  int64_t out = ctx.attrs.getInt("output_dtype", 0);
  if (out != 0)
    if (std::optional<DType> t = dtypeFromONNX(out))
      return *t;
  return ctx.inputDType(1);
}

LogicalResult convertDequantizeLinear(NodeContext &ctx) {
  DType dataType = ctx.inputDType(0);
  if (!isQuantizedType(dataType))
    return ctx.fail("quantized values of type " + dtypeName(dataType).str() +
                    " are not supported (int8, uint8, int4, uint4, int16, "
                    "uint16, int32)");
  if (failed(checkScaleAndZero(ctx, dataType)))
    return failure();
  DType outType = dequantOutType(ctx);
  if (outType != DType::F32 && outType != DType::F16 && outType != DType::BF16)
    return ctx.fail("output type " + dtypeName(outType).str() +
                    " is not supported (float, float16, bfloat16)");
  const HostTensor *scale = ctx.constInput(1);
  const HostTensor *zero = ctx.hasInput(2) ? ctx.constInput(2) : nullptr;
  if (!scale)
    return ctx.failNotConstant(1, "the scale");
  if (ctx.hasInput(2) && !zero)
    return ctx.failNotConstant(2, "the zero point");
  if (const HostTensor *data = ctx.constInput(0)) {
    // Constants: computed when (and as) a reader needs them.
    if (failed(quantLayout(ctx, data->shape, scale->shape)))
      return failure();
    DequantSpec spec;
    spec.data = ctx.node.input(0);
    spec.scale = ctx.node.input(1);
    spec.zeroPoint = ctx.hasInput(2) ? ctx.node.input(2) : "";
    spec.node = ctx.node.name().empty() ? ctx.node.output(0) : ctx.node.name();
    int64_t rank = data->rank();
    int64_t axis = ctx.attrs.getInt("axis", 1);
    spec.axis = rank == 0 ? 0 : (axis < 0 ? axis + rank : axis);
    spec.blockSize = ctx.opset >= 21 ? ctx.attrs.getInt("block_size", 0) : 0;
    spec.outType = outType;
    ValueState &state = ctx.importer.values[ctx.node.output(0)];
    state.dtype = outType;
    state.dequant = std::move(spec);
    return success();
  }
  Value x = ctx.input(0);
  FailureOr<QuantLayout> layout = runtimeLayout(ctx, x, *scale);
  if (failed(layout))
    return failure();
  Type f32 = ctx.b.getF32Type();
  Value xf;
  auto producer = ctx.importer.values.find(ctx.node.input(0));
  if (producer != ctx.importer.values.end() && producer->second.codesAsFloat)
    xf = producer->second.codesAsFloat;
  else
    xf =
        convertElementType(ctx.b, ctx.loc, x, f32, isUnsigned(dataType), false);
  if (zero) {
    Value z = broadcastParam(ctx, *zero, *layout, xf, "zero_point");
    xf = arith::SubFOp::create(ctx.b, ctx.loc, xf, z);
  }
  Value s = broadcastParam(ctx, *scale, *layout, xf, "scale");
  Value y = arith::MulFOp::create(ctx.b, ctx.loc, xf, s);
  y = convertElementType(ctx.b, ctx.loc, y,
                         toMLIRType(outType, ctx.b.getContext()), false, false);
  ctx.setOutput(0, y, outType);
  return success();
}

LogicalResult convertQuantizeLinear(NodeContext &ctx) {
  DType inType = ctx.inputDType(0);
  if (inType != DType::F32 && inType != DType::F16 && inType != DType::BF16)
    return ctx.fail("the input must be float, float16 or bfloat16, got " +
                    dtypeName(inType).str());
  DType outType = DType::U8;
  if (ctx.hasInput(2))
    outType = ctx.inputDType(2);
  else if (int64_t t = ctx.attrs.getInt("output_dtype", 0))
    outType = dtypeFromONNX(t).value_or(DType::Undefined);
  if (!isQuantizedType(outType) || outType == DType::I32)
    return ctx.fail("quantizing to " + dtypeName(outType).str() +
                    " is not supported (int8, uint8, int4, uint4, int16, "
                    "uint16)");
  if (failed(checkScaleAndZero(ctx, outType)))
    return failure();
  const HostTensor *scale = ctx.constInput(1);
  const HostTensor *zero = ctx.hasInput(2) ? ctx.constInput(2) : nullptr;
  if (!scale)
    return ctx.failNotConstant(1, "the scale");
  if (ctx.hasInput(2) && !zero)
    return ctx.failNotConstant(2, "the zero point");
  Value x = ctx.input(0);
  FailureOr<QuantLayout> layout = runtimeLayout(ctx, x, *scale);
  if (failed(layout))
    return failure();
  Type f32 = ctx.b.getF32Type();
  Value xf = convertElementType(ctx.b, ctx.loc, x, f32, false, false);
  Value s = broadcastParam(ctx, *scale, *layout, xf, "scale");
  // round_half_even(x / scale) + zero_point, saturated to the type.
  Value q = arith::DivFOp::create(ctx.b, ctx.loc, xf, s);
  q = math::RoundEvenOp::create(ctx.b, ctx.loc, q);
  if (zero) {
    Value z = broadcastParam(ctx, *zero, *layout, xf, "zero_point");
    q = arith::AddFOp::create(ctx.b, ctx.loc, q, z);
  }
  auto [lo, hi] = quantRange(outType);
  auto type = cast<RankedTensorType>(q.getType());
  Value loV =
      broadcastTo(ctx.b, ctx.loc,
                  arith::ConstantOp::create(
                      ctx.b, ctx.loc,
                      DenseElementsAttr::get(RankedTensorType::get({}, f32),
                                             ctx.b.getF32FloatAttr(float(lo)))),
                  type.getShape(), {q});
  Value hiV =
      broadcastTo(ctx.b, ctx.loc,
                  arith::ConstantOp::create(
                      ctx.b, ctx.loc,
                      DenseElementsAttr::get(RankedTensorType::get({}, f32),
                                             ctx.b.getF32FloatAttr(float(hi)))),
                  type.getShape(), {q});
  q = arith::MaximumFOp::create(ctx.b, ctx.loc, q, loV);
  q = arith::MinimumFOp::create(ctx.b, ctx.loc, q, hiV);
  Value codes = convertElementType(ctx.b, ctx.loc, q,
                                   toMLIRType(outType, ctx.b.getContext()),
                                   false, isUnsigned(outType));
  ctx.setOutput(0, codes, outType);
  ctx.importer.values[ctx.node.output(0)].codesAsFloat = q;
  return success();
}

} // namespace

//===----------------------------------------------------------------------===//
// Pending DequantizeLinear of constants
//===----------------------------------------------------------------------===//

void txc::onnx_import::resolveDequantized(GraphImporter &importer,
                                          StringRef name) {
  auto it = importer.values.find(name);
  if (it == importer.values.end() || !it->second.dequant)
    return;
  DequantSpec spec = *it->second.dequant;
  const HostTensor &data = *importer.values[spec.data].constant;
  const HostTensor &scale = *importer.values[spec.scale].constant;
  const HostTensor *zero = spec.zeroPoint.empty()
                               ? nullptr
                               : &*importer.values[spec.zeroPoint].constant;
  QuantLayout layout;
  if (product(scale.shape) != 1 || spec.blockSize > 0) {
    layout.mode =
        spec.blockSize > 0 ? QuantLayout::Blocked : QuantLayout::PerAxis;
    layout.axis = spec.axis;
    layout.block = spec.blockSize;
  }
  HostTensor out(spec.outType, data.shape);
  forEachIndex(data.shape, [&](int64_t i, ArrayRef<int64_t> index) {
    int64_t p = paramIndex(layout, index, data.shape);
    // ONNX: (x - zero_point) * scale in float.
    float x = float(data.getInt(i) - (zero ? zero->getInt(p) : 0));
    out.setDouble(i, double(x * float(scale.getDouble(p))));
  });
  ValueState &state = importer.values[name];
  const ValueState &source = importer.values[spec.data];
  state.initializer =
      (source.initializer.empty() ? spec.data : source.initializer) +
      ".dequantized";
  state.constant = std::move(out);
  state.dequant.reset();
}

Value txc::onnx_import::quantizedWeight(NodeContext &ctx, unsigned i,
                                        bool transB) {
  if (!ctx.hasInput(i))
    return {};
  GraphImporter &imp = ctx.importer;
  std::string name = ctx.node.input(i);
  bool transposed = false;
  if (!imp.values[name].transposeOf.empty()) {
    name = imp.values[name].transposeOf;
    transposed = true;
  }
  if (!imp.values[name].dequant)
    return {};
  DequantSpec spec = *imp.values[name].dequant;
  const HostTensor &data = *imp.values[spec.data].constant;
  const HostTensor &scale = *imp.values[spec.scale].constant;
  const HostTensor *zero =
      spec.zeroPoint.empty() ? nullptr : &*imp.values[spec.zeroPoint].constant;

  // The data is [N, K] when the operand is (Gemm's transB) and it is not
  // transposed on the way, or the other way round.
  bool isNK = transB != transposed;
  std::string why;
  int64_t n = 0, k = 0, kAxis = isNK ? 1 : 0, nAxis = 1 - kAxis;
  int64_t group = 0;
  bool perTensor = product(scale.shape) == 1 && spec.blockSize == 0;
  if (data.rank() != 2) {
    why = "the quantized values are not a matrix";
  } else {
    n = data.shape[nAxis];
    k = data.shape[kAxis];
    if (perTensor || (spec.blockSize == 0 && spec.axis == nAxis))
      group = k;
    else if (spec.blockSize > 0 && spec.axis == kAxis)
      group = spec.blockSize;
    else
      why = spec.blockSize > 0
                ? "its blocks run along the output features (axis " +
                      std::to_string(spec.axis) + ")"
                : "its scales run along the input features (axis " +
                      std::to_string(spec.axis) + ")";
  }
  DType dt = data.dtype;
  unsigned bits = dt == DType::I8 || dt == DType::U8   ? 8
                  : dt == DType::I4 || dt == DType::U4 ? 4
                                                       : 0;
  if (why.empty() && bits == 0)
    why = "its values have type " + dtypeName(dt).str() +
          " (int8, uint8, int4 and uint4 stay quantized)";
  if (why.empty() && bits == 4 && k % 2 != 0)
    why = "4-bit codes need an even number of input features, got " +
          std::to_string(k);
  if (why.empty() && spec.outType != scale.dtype)
    why = "its output type differs from its scale's";
  if (!why.empty()) {
    emitWarning(ctx.loc) << "DequantizeLinear '" << spec.node << "' feeding '"
                         << ctx.node.name() << "' (" << ctx.node.op_type()
                         << ") does not fit a quantized weight: " << why
                         << "; it is dequantized to floats";
    resolveDequantized(imp, name);
    return {};
  }

  // Codes as unsigned with tx.qweight's implicit zero point 2^(bits-1):
  // signed values are shifted by it (q + 2^(bits-1) - 2^(bits-1) = q), so
  // zero points are only stored when they differ from it.
  int64_t offset = (dt == DType::I8 || dt == DType::I4) ? (1 << (bits - 1)) : 0;
  int64_t implicitZero = 1 << (bits - 1);
  int64_t groups = (k + group - 1) / group;
  // 8-bit codes and zero points are stored as I8 (tx.qpack's element type;
  // the kernels read the bytes as unsigned).
  HostTensor codes(bits == 4 ? DType::U4 : DType::I8, {n, k});
  HostTensor scales(scale.dtype, {n, groups});
  HostTensor zeros(DType::I8, {n, groups});
  unsigned scaleSize = dtypeSize(scale.dtype);
  bool needZeros = false;
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t c = 0; c < k; ++c) {
      int64_t src = isNK ? r * k + c : c * n + r;
      codes.bytes[r * k + c] = static_cast<char>(data.getInt(src) + offset);
    }
    for (int64_t g = 0; g < groups; ++g) {
      int64_t p = 0;
      if (!perTensor)
        p = group == k && spec.blockSize == 0
                ? r
                : (isNK ? r * groups + g : g * n + r);
      std::memcpy(scales.bytes.data() + (r * groups + g) * scaleSize,
                  scale.bytes.data() + p * scaleSize, scaleSize);
      int64_t z = (zero ? zero->getInt(p) : 0) + offset;
      zeros.bytes[r * groups + g] = static_cast<char>(z);
      needZeros |= z != implicitZero;
    }
  }
  const ValueState &source = imp.values[spec.data];
  std::string base =
      (source.initializer.empty() ? spec.data : source.initializer) +
      (isNK ? "" : ".T");
  MLIRContext *mctx = ctx.b.getContext();
  auto store = [&](const HostTensor &t, StringRef suffix) {
    return imp.weight(t, base + suffix.str(), ctx.loc, /*fromModel=*/true,
                      /*alwaysStore=*/true);
  };
  Value codesV = store(codes, ".codes");
  Value scalesV = store(scales, ".scales");
  Value zerosV = needZeros ? store(zeros, ".zeros") : Value();
  auto type = tx::QWeightType::get(
      mctx, {n, k}, bits == 4 ? tx::QuantKind::int4 : tx::QuantKind::int8,
      group, toMLIRType(scale.dtype, mctx), needZeros);
  return tx::QPackOp::create(ctx.b, ctx.loc, type, codesV, scalesV, zerosV,
                             FloatAttr());
}

void txc::onnx_import::registerQuantConverters(ConverterMap &map) {
  auto &onnx = map[""];
  onnx["DequantizeLinear"] = {convertDequantizeLinear, 10, 2};
  onnx["QuantizeLinear"] = {convertQuantizeLinear, 10, 2};
}
