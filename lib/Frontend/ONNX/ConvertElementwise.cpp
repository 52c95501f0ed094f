//===- ConvertElementwise.cpp - elementwise ONNX ops ----------------------===//
//
// Unary, binary (with ONNX broadcasting), comparison, logical, Where, Cast
// and the Gelu family. Operands are broadcast explicitly (Emit.h) and the op
// is an arith/math op on tensors (tosa.sigmoid for Sigmoid).
//
//===----------------------------------------------------------------------===//

#include "Emit.h"
#include "Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"

#include <cmath>

using namespace mlir;
using namespace txc::onnx_import;

namespace {

/// Broadcasts `operands` to their common shape; fails on incompatible shapes.
FailureOr<SmallVector<Value>> broadcastAll(NodeContext &ctx,
                                           ArrayRef<Value> operands) {
  SmallVector<int64_t> shape = shapeOf(operands[0]);
  for (Value v : operands.drop_front()) {
    auto merged = broadcastShapes(shape, shapeOf(v));
    if (!merged)
      return failure();
    shape = *merged;
  }
  // Dynamic result dims: keep the dynamic marker MLIR uses.
  for (int64_t &d : shape)
    if (d < 0)
      d = ShapedType::kDynamic;
  SmallVector<Value> result;
  for (Value v : operands) {
    result.push_back(broadcastTo(ctx.b, ctx.loc, v, shape, operands));
    if (!result.back())
      return failure();
  }
  return result;
}

LogicalResult shapeError(NodeContext &ctx) {
  std::string shapes;
  for (unsigned i = 0; i < ctx.numInputs(); ++i)
    if (ctx.hasInput(i)) {
      llvm::raw_string_ostream os(shapes);
      os << (shapes.empty() ? "" : " and ") << ctx.inputType(i);
    }
  return ctx.fail("operands cannot be broadcast together: " + shapes);
}

bool isFloatTensor(Value v) {
  return isa<FloatType>(cast<RankedTensorType>(v.getType()).getElementType());
}

enum class Binary { Add, Sub, Mul, Div, Pow, Max, Min };

Value emitBinary(OpBuilder &b, Location loc, Binary kind, Value x, Value y,
                 bool isUnsigned) {
  if (isFloatTensor(x)) {
    switch (kind) {
    case Binary::Add:
      return arith::AddFOp::create(b, loc, x, y);
    case Binary::Sub:
      return arith::SubFOp::create(b, loc, x, y);
    case Binary::Mul:
      return arith::MulFOp::create(b, loc, x, y);
    case Binary::Div:
      return arith::DivFOp::create(b, loc, x, y);
    case Binary::Pow:
      return math::PowFOp::create(b, loc, x, y);
    case Binary::Max:
      return arith::MaximumFOp::create(b, loc, x, y);
    case Binary::Min:
      return arith::MinimumFOp::create(b, loc, x, y);
    }
  }
  switch (kind) {
  case Binary::Add:
    return arith::AddIOp::create(b, loc, x, y);
  case Binary::Sub:
    return arith::SubIOp::create(b, loc, x, y);
  case Binary::Mul:
    return arith::MulIOp::create(b, loc, x, y);
  case Binary::Div:
    return isUnsigned ? Value(arith::DivUIOp::create(b, loc, x, y))
                      : Value(arith::DivSIOp::create(b, loc, x, y));
  case Binary::Pow:
    return math::IPowIOp::create(b, loc, x, y);
  case Binary::Max:
    return isUnsigned ? Value(arith::MaxUIOp::create(b, loc, x, y))
                      : Value(arith::MaxSIOp::create(b, loc, x, y));
  case Binary::Min:
    return isUnsigned ? Value(arith::MinUIOp::create(b, loc, x, y))
                      : Value(arith::MinSIOp::create(b, loc, x, y));
  }
  llvm_unreachable("unknown binary op");
}

template <Binary kind>
LogicalResult convertBinary(NodeContext &ctx) {
  // Max/Min/Sum are variadic; the others take exactly two inputs.
  SmallVector<Value> operands;
  for (unsigned i = 0; i < ctx.numInputs(); ++i)
    if (ctx.hasInput(i))
      operands.push_back(ctx.input(i));
  if (operands.empty())
    return ctx.fail("expects at least one input");
  DType dtype = ctx.inputDType(0);
  if (kind == Binary::Pow && operands.size() == 2) {
    // The exponent may have another type: compute in the base's type.
    Type elem = cast<RankedTensorType>(operands[0].getType()).getElementType();
    operands[1] = convertElementType(ctx.b, ctx.loc, operands[1], elem,
                                     isUnsigned(ctx.inputDType(1)),
                                     isUnsigned(dtype));
  }
  for (Value v : operands)
    if (cast<RankedTensorType>(v.getType()).getElementType() !=
        cast<RankedTensorType>(operands[0].getType()).getElementType())
      return ctx.fail("operands have different element types");
  auto bcast = broadcastAll(ctx, operands);
  if (failed(bcast))
    return shapeError(ctx);
  Value result = (*bcast)[0];
  for (Value v : ArrayRef<Value>(*bcast).drop_front())
    result = emitBinary(ctx.b, ctx.loc, kind, result, v, isUnsigned(dtype));
  ctx.setOutput(0, result, dtype);
  return success();
}

enum class Compare { Eq, Lt, Le, Gt, Ge };

template <Compare kind>
LogicalResult convertCompare(NodeContext &ctx) {
  Value x = ctx.input(0), y = ctx.input(1);
  if (!x || !y)
    return ctx.fail("expects two inputs");
  auto bcast = broadcastAll(ctx, {x, y});
  if (failed(bcast))
    return shapeError(ctx);
  x = (*bcast)[0];
  y = (*bcast)[1];
  Value result;
  if (isFloatTensor(x)) {
    arith::CmpFPredicate pred = kind == Compare::Eq   ? arith::CmpFPredicate::OEQ
                                : kind == Compare::Lt ? arith::CmpFPredicate::OLT
                                : kind == Compare::Le ? arith::CmpFPredicate::OLE
                                : kind == Compare::Gt ? arith::CmpFPredicate::OGT
                                                      : arith::CmpFPredicate::OGE;
    result = arith::CmpFOp::create(ctx.b, ctx.loc, pred, x, y);
  } else {
    bool u = isUnsigned(ctx.inputDType(0));
    arith::CmpIPredicate pred =
        kind == Compare::Eq   ? arith::CmpIPredicate::eq
        : kind == Compare::Lt ? (u ? arith::CmpIPredicate::ult : arith::CmpIPredicate::slt)
        : kind == Compare::Le ? (u ? arith::CmpIPredicate::ule : arith::CmpIPredicate::sle)
        : kind == Compare::Gt ? (u ? arith::CmpIPredicate::ugt : arith::CmpIPredicate::sgt)
                              : (u ? arith::CmpIPredicate::uge : arith::CmpIPredicate::sge);
    result = arith::CmpIOp::create(ctx.b, ctx.loc, pred, x, y);
  }
  ctx.setOutput(0, result, DType::Bool);
  return success();
}

enum class Logic { And, Or, Xor };

template <Logic kind>
LogicalResult convertLogic(NodeContext &ctx) {
  auto bcast = broadcastAll(ctx, {ctx.input(0), ctx.input(1)});
  if (failed(bcast))
    return shapeError(ctx);
  Value x = (*bcast)[0], y = (*bcast)[1], result;
  if (kind == Logic::And)
    result = arith::AndIOp::create(ctx.b, ctx.loc, x, y);
  else if (kind == Logic::Or)
    result = arith::OrIOp::create(ctx.b, ctx.loc, x, y);
  else
    result = arith::XOrIOp::create(ctx.b, ctx.loc, x, y);
  ctx.setOutput(0, result, DType::Bool);
  return success();
}

/// A constant with the type of `like` (splat when static).
Value constantLike(NodeContext &ctx, Value like, double value) {
  auto type = cast<RankedTensorType>(like.getType());
  if (type.hasStaticShape())
    return splatConstant(ctx.b, ctx.loc, type, value);
  return filledTensor(ctx.b, ctx.loc, type.getShape(), type.getElementType(),
                      value, {like});
}

LogicalResult convertNot(NodeContext &ctx) {
  Value x = ctx.input(0);
  Value ones = constantLike(ctx, x, 1.0);
  ctx.setOutput(0, arith::XOrIOp::create(ctx.b, ctx.loc, x, ones),
                DType::Bool);
  return success();
}

enum class Unary {
  Sqrt, Reciprocal, Neg, Erf, Tanh, Sigmoid, Cos, Sin, Exp, Log, Abs, IsNaN,
  Relu, Identity, Floor, Ceil
};

template <Unary kind>
LogicalResult convertUnary(NodeContext &ctx) {
  Value x = ctx.input(0);
  if (!x)
    return ctx.fail("expects one input");
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  DType dtype = ctx.inputDType(0);
  bool isFloat = isFloatTensor(x);
  if (!isFloat && kind != Unary::Neg && kind != Unary::Abs &&
      kind != Unary::Identity && kind != Unary::Relu)
    return ctx.fail("expects a floating-point input");
  Value r;
  switch (kind) {
  case Unary::Sqrt:
    r = math::SqrtOp::create(b, loc, x);
    break;
  case Unary::Reciprocal:
    r = arith::DivFOp::create(b, loc, constantLike(ctx, x, 1.0), x);
    break;
  case Unary::Neg:
    r = isFloat ? Value(arith::NegFOp::create(b, loc, x))
                : Value(arith::SubIOp::create(b, loc, constantLike(ctx, x, 0), x));
    break;
  case Unary::Erf:
    r = math::ErfOp::create(b, loc, x);
    break;
  case Unary::Tanh:
    r = math::TanhOp::create(b, loc, x);
    break;
  case Unary::Sigmoid:
    r = tosa::SigmoidOp::create(b, loc, x.getType(), x);
    break;
  case Unary::Cos:
    r = math::CosOp::create(b, loc, x);
    break;
  case Unary::Sin:
    r = math::SinOp::create(b, loc, x);
    break;
  case Unary::Exp:
    r = math::ExpOp::create(b, loc, x);
    break;
  case Unary::Log:
    r = math::LogOp::create(b, loc, x);
    break;
  case Unary::Abs:
    r = isFloat ? Value(math::AbsFOp::create(b, loc, x))
                : Value(math::AbsIOp::create(b, loc, x));
    break;
  case Unary::IsNaN:
    r = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, x, x);
    dtype = DType::Bool;
    break;
  case Unary::Relu:
    r = isFloat ? Value(arith::MaximumFOp::create(b, loc, x,
                                                  constantLike(ctx, x, 0.0)))
                : Value(arith::MaxSIOp::create(b, loc, x,
                                               constantLike(ctx, x, 0.0)));
    break;
  case Unary::Identity:
    r = x;
    break;
  case Unary::Floor:
    r = math::FloorOp::create(b, loc, x);
    break;
  case Unary::Ceil:
    r = math::CeilOp::create(b, loc, x);
    break;
  }
  ctx.setOutput(0, r, dtype);
  return success();
}

/// gelu(x) exact: 0.5 x (1 + erf(x / sqrt 2)); tanh: 0.5 x (1 + tanh(
/// sqrt(2/pi) (x + 0.044715 x^3))).
Value emitGelu(NodeContext &ctx, Value x, bool tanhApprox) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Value inner;
  if (tanhApprox) {
    Value x3 = arith::MulFOp::create(b, loc, x,
                                     arith::MulFOp::create(b, loc, x, x));
    Value t = arith::AddFOp::create(
        b, loc, x,
        arith::MulFOp::create(b, loc, x3, constantLike(ctx, x, 0.044715)));
    inner = math::TanhOp::create(
        b, loc,
        arith::MulFOp::create(b, loc, t,
                              constantLike(ctx, x, std::sqrt(2.0 / M_PI))));
  } else {
    inner = math::ErfOp::create(
        b, loc,
        arith::MulFOp::create(b, loc, x, constantLike(ctx, x, M_SQRT1_2)));
  }
  Value onePlus = arith::AddFOp::create(b, loc, inner, constantLike(ctx, x, 1.0));
  Value half = arith::MulFOp::create(b, loc, x, constantLike(ctx, x, 0.5));
  return arith::MulFOp::create(b, loc, half, onePlus);
}

LogicalResult convertGelu(NodeContext &ctx) {
  std::string approx = ctx.attrs.getString("approximate", "none");
  if (approx != "none" && approx != "tanh")
    return ctx.fail("unknown approximate='" + approx + "'");
  ctx.setOutput(0, emitGelu(ctx, ctx.input(0), approx == "tanh"),
                ctx.inputDType(0));
  return success();
}

/// com.microsoft BiasGelu (exact) and FastGelu (tanh), with optional bias.
template <bool tanhApprox>
LogicalResult convertBiasGelu(NodeContext &ctx) {
  Value x = ctx.input(0);
  if (ctx.hasInput(1)) {
    auto bcast = broadcastAll(ctx, {x, ctx.input(1)});
    if (failed(bcast))
      return shapeError(ctx);
    x = arith::AddFOp::create(ctx.b, ctx.loc, (*bcast)[0], (*bcast)[1]);
  }
  ctx.setOutput(0, emitGelu(ctx, x, tanhApprox), ctx.inputDType(0));
  return success();
}

LogicalResult convertWhere(NodeContext &ctx) {
  Value cond = ctx.input(0), x = ctx.input(1), y = ctx.input(2);
  if (!cond || !x || !y)
    return ctx.fail("expects three inputs");
  auto bcast = broadcastAll(ctx, {cond, x, y});
  if (failed(bcast))
    return shapeError(ctx);
  ctx.setOutput(0,
                arith::SelectOp::create(ctx.b, ctx.loc, (*bcast)[0],
                                        (*bcast)[1], (*bcast)[2]),
                ctx.inputDType(1));
  return success();
}

LogicalResult convertCast(NodeContext &ctx) {
  std::optional<DType> to = dtypeFromONNX(ctx.attrs.getInt("to", 0));
  if (!to || !toMLIRType(*to, ctx.b.getContext()))
    return ctx.fail("unsupported target type " +
                    std::to_string(ctx.attrs.getInt("to", 0)));
  Value x = ctx.input(0);
  ctx.setOutput(0,
                convertElementType(ctx.b, ctx.loc, x,
                                   toMLIRType(*to, ctx.b.getContext()),
                                   isUnsigned(ctx.inputDType(0)),
                                   isUnsigned(*to)),
                *to);
  return success();
}

LogicalResult convertCastLike(NodeContext &ctx) {
  DType to = ctx.inputDType(1);
  ctx.setOutput(0,
                convertElementType(ctx.b, ctx.loc, ctx.input(0),
                                   toMLIRType(to, ctx.b.getContext()),
                                   isUnsigned(ctx.inputDType(0)),
                                   isUnsigned(to)),
                to);
  return success();
}

/// Clip(x, min, max): bounds are optional scalar inputs (attributes before
/// opset 11).
LogicalResult convertClip(NodeContext &ctx) {
  Value x = ctx.input(0);
  auto type = cast<RankedTensorType>(x.getType());
  bool isFloatElem = isa<FloatType>(type.getElementType());
  auto bound = [&](unsigned input, StringRef attr) -> Value {
    if (ctx.opset < 11) {
      auto it = ctx.attrs.floats.find(attr.str());
      return it == ctx.attrs.floats.end() ? Value()
                                          : constantLike(ctx, x, it->second);
    }
    if (!ctx.hasInput(input))
      return {};
    Value b = ctx.input(input);
    auto bt = cast<RankedTensorType>(b.getType());
    if (bt.getNumElements() != 1)
      return {};
    return broadcastTo(ctx.b, ctx.loc,
                       reshapeTensor(ctx.b, ctx.loc, b, {}), type.getShape(),
                       {x});
  };
  Value lo = bound(1, "min"), hi = bound(2, "max"), r = x;
  if (lo)
    r = isFloatElem ? Value(arith::MaximumFOp::create(ctx.b, ctx.loc, r, lo))
                    : Value(arith::MaxSIOp::create(ctx.b, ctx.loc, r, lo));
  if (hi)
    r = isFloatElem ? Value(arith::MinimumFOp::create(ctx.b, ctx.loc, r, hi))
                    : Value(arith::MinSIOp::create(ctx.b, ctx.loc, r, hi));
  ctx.setOutput(0, r, ctx.inputDType(0));
  return success();
}

/// Mod: fmod=1 (or floats) is C fmod; integer fmod=0 takes the divisor's sign.
LogicalResult convertMod(NodeContext &ctx) {
  auto bcast = broadcastAll(ctx, {ctx.input(0), ctx.input(1)});
  if (failed(bcast))
    return shapeError(ctx);
  Value x = (*bcast)[0], y = (*bcast)[1], r;
  if (isFloatTensor(x)) {
    if (!ctx.attrs.getInt("fmod", 0))
      return ctx.fail("floating-point Mod needs fmod=1");
    r = arith::RemFOp::create(ctx.b, ctx.loc, x, y);
  } else if (ctx.attrs.getInt("fmod", 0) || isUnsigned(ctx.inputDType(0))) {
    r = isUnsigned(ctx.inputDType(0))
            ? Value(arith::RemUIOp::create(ctx.b, ctx.loc, x, y))
            : Value(arith::RemSIOp::create(ctx.b, ctx.loc, x, y));
  } else {
    r = arith::FloorDivSIOp::create(ctx.b, ctx.loc, x, y);
    r = arith::SubIOp::create(ctx.b, ctx.loc, x,
                              arith::MulIOp::create(ctx.b, ctx.loc, r, y));
  }
  ctx.setOutput(0, r, ctx.inputDType(0));
  return success();
}

LogicalResult convertSign(NodeContext &ctx) {
  Value x = ctx.input(0);
  if (!isFloatTensor(x))
    return ctx.fail("expects a floating-point input");
  Value zero = constantLike(ctx, x, 0.0), one = constantLike(ctx, x, 1.0),
        minusOne = constantLike(ctx, x, -1.0);
  Value pos = arith::CmpFOp::create(ctx.b, ctx.loc, arith::CmpFPredicate::OGT,
                                    x, zero);
  Value neg = arith::CmpFOp::create(ctx.b, ctx.loc, arith::CmpFPredicate::OLT,
                                    x, zero);
  Value r = arith::SelectOp::create(
      ctx.b, ctx.loc, pos, one,
      arith::SelectOp::create(ctx.b, ctx.loc, neg, minusOne, zero));
  ctx.setOutput(0, r, ctx.inputDType(0));
  return success();
}

} // namespace

void txc::onnx_import::registerElementwiseConverters(ConverterMap &map) {
  auto &onnx = map[""];
  onnx["Add"] = {convertBinary<Binary::Add>, 1, 2};
  onnx["Sub"] = {convertBinary<Binary::Sub>, 1, 2};
  onnx["Mul"] = {convertBinary<Binary::Mul>, 1, 2};
  onnx["Div"] = {convertBinary<Binary::Div>, 1, 2};
  onnx["Pow"] = {convertBinary<Binary::Pow>, 1, 2};
  onnx["Max"] = {convertBinary<Binary::Max>, 1};
  onnx["Min"] = {convertBinary<Binary::Min>, 1};
  onnx["Sum"] = {convertBinary<Binary::Add>, 1};
  onnx["Equal"] = {convertCompare<Compare::Eq>, 1, 2};
  onnx["Less"] = {convertCompare<Compare::Lt>, 1, 2};
  onnx["LessOrEqual"] = {convertCompare<Compare::Le>, 12, 2};
  onnx["Greater"] = {convertCompare<Compare::Gt>, 1, 2};
  onnx["GreaterOrEqual"] = {convertCompare<Compare::Ge>, 12, 2};
  onnx["And"] = {convertLogic<Logic::And>, 1, 2};
  onnx["Or"] = {convertLogic<Logic::Or>, 1, 2};
  onnx["Xor"] = {convertLogic<Logic::Xor>, 1, 2};
  onnx["Not"] = {convertNot, 1};
  onnx["Sqrt"] = {convertUnary<Unary::Sqrt>, 1};
  onnx["Reciprocal"] = {convertUnary<Unary::Reciprocal>, 1};
  onnx["Neg"] = {convertUnary<Unary::Neg>, 1};
  onnx["Erf"] = {convertUnary<Unary::Erf>, 9};
  onnx["Tanh"] = {convertUnary<Unary::Tanh>, 1};
  onnx["Sigmoid"] = {convertUnary<Unary::Sigmoid>, 1};
  onnx["Cos"] = {convertUnary<Unary::Cos>, 7};
  onnx["Sin"] = {convertUnary<Unary::Sin>, 7};
  onnx["Exp"] = {convertUnary<Unary::Exp>, 1};
  onnx["Log"] = {convertUnary<Unary::Log>, 1};
  onnx["Abs"] = {convertUnary<Unary::Abs>, 1};
  onnx["IsNaN"] = {convertUnary<Unary::IsNaN>, 9};
  onnx["Relu"] = {convertUnary<Unary::Relu>, 1};
  onnx["Identity"] = {convertUnary<Unary::Identity>, 1};
  onnx["Floor"] = {convertUnary<Unary::Floor>, 1};
  onnx["Ceil"] = {convertUnary<Unary::Ceil>, 1};
  onnx["Gelu"] = {convertGelu, 20};
  onnx["Where"] = {convertWhere, 9, 3};
  onnx["Cast"] = {convertCast, 1};
  onnx["Clip"] = {convertClip, 6};
  onnx["Mod"] = {convertMod, 10, 2};
  onnx["Sign"] = {convertSign, 9};
  onnx["CastLike"] = {convertCastLike, 15, 2};
  auto &ms = map["com.microsoft"];
  ms["BiasGelu"] = {convertBiasGelu<false>, 1};
  ms["FastGelu"] = {convertBiasGelu<true>, 1};
  ms["Gelu"] = {convertBiasGelu<false>, 1};
}
