//===- TxToLinalgQuant.cpp - quantized weights ----------------------------===//
//
// Lowering of tx.dequant and tx.qlinear. A !tx.qweight has no tensor
// representation of its own: the patterns read the codes, scales and zero
// points straight from the tx.qpack that builds the weight (looking through
// tx.layer block arguments), and the tx.qpack disappears once unused.
//
// Dequantization follows the !tx.qweight formulas, one linalg.generic over
// the codes reshaped to [N, K / group, group] so that the group's scale (and
// zero point) is read through a projection:
//
//  * int8 / int4: codes and zero points are unsigned; `w = (q - z) * s` with
//    the difference taken exactly in i32 and `z = 2^(bits-1)` by default;
//  * fp8_e4m3 / fp4_e2m1: `w = q * s`, the code's value read from a constant
//    table of all 2^bits code values (computed with APFloat), so that no
//    8- or 4-bit float arithmetic is left for the LLVM lowering.
//
// tx.qlinear is tx.linear on the dequantized weight.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "txc/Dialect/Tx/TxOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace txc;
using namespace txc::cpu;

tx::QPackOp txc::cpu::findQPack(Value weight) {
  while (true) {
    if (auto arg = dyn_cast<BlockArgument>(weight)) {
      auto layer =
          dyn_cast_if_present<tx::LayerOp>(arg.getOwner()->getParentOp());
      if (!layer)
        return {};
      weight = layer.getInputs()[arg.getArgNumber()];
      continue;
    }
    if (auto layer = weight.getDefiningOp<tx::LayerOp>()) {
      weight = layer.getYield()
                   .getValues()[cast<OpResult>(weight).getResultNumber()];
      continue;
    }
    return weight.getDefiningOp<tx::QPackOp>();
  }
}

namespace {

/// A constant `[2^bits]` tensor whose entry `c` is the value of the float
/// code with bit pattern `c`, converted to `elementType`.
static Value buildDecodeTable(OpBuilder &b, Location loc, FloatType codeType,
                              FloatType elementType) {
  unsigned bits = codeType.getWidth();
  SmallVector<APFloat> values;
  for (uint64_t code = 0, e = uint64_t(1) << bits; code < e; ++code) {
    APFloat value(codeType.getFloatSemantics(), APInt(bits, code));
    bool losesInfo = false;
    value.convert(elementType.getFloatSemantics(), APFloat::rmNearestTiesToEven,
                  &losesInfo);
    values.push_back(value);
  }
  auto type = RankedTensorType::get({int64_t(values.size())}, elementType);
  return arith::ConstantOp::create(
      b, loc, cast<TypedAttr>(DenseElementsAttr::get(type, values)));
}

/// The `[N, K]` values of the weight built by `pack`, in `elementType`.
static Value buildDequant(OpBuilder &b, Location loc, tx::QPackOp pack,
                          FloatType elementType) {
  tx::QWeightType weightType = pack.getType();
  int64_t n = weightType.getOutFeatures(), k = weightType.getInFeatures();
  int64_t group = weightType.getGroup(), groups = weightType.getNumGroups();
  unsigned bits = weightType.getBits();
  MLIRContext *ctx = b.getContext();

  // Codes as [N, groups, group]; scales and zero points are [N, groups].
  SmallVector<int64_t> groupedShape = {n, groups, group};
  SmallVector<ReassociationIndices> reassociation = {{0}, {1, 2}};
  Value codes = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(groupedShape, weightType.getCodeType()),
      pack.getCodes(), reassociation);
  SmallVector<Value> inputs = {codes, pack.getScales()};
  AffineMap identity = AffineMap::getMultiDimIdentityMap(3, ctx);
  AffineMap perGroup = getProjection(ctx, 3, {0, 1});
  SmallVector<AffineMap> maps = {identity, perGroup};
  if (Value zeroPoints = pack.getZeroPoints()) {
    inputs.push_back(zeroPoints);
    maps.push_back(perGroup);
  }
  maps.push_back(identity);

  Value table;
  if (!weightType.isInteger())
    table = buildDecodeTable(b, loc, cast<FloatType>(weightType.getCodeType()),
                             elementType);
  Value init = createEmpty(b, loc, groupedShape, elementType);
  auto dequant = linalg::GenericOp::create(
      b, loc, init.getType(), inputs, ValueRange{init}, maps, getIterators(3),
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value value;
        if (weightType.isInteger()) {
          Type i32 = nb.getI32Type();
          Value q = arith::ExtUIOp::create(nb, l, i32, args[0]);
          Value z =
              weightType.getHasZeroPoint()
                  ? arith::ExtUIOp::create(nb, l, i32, args[2]).getResult()
                  : arith::ConstantIntOp::create(nb, l, i32,
                                                 int64_t(1) << (bits - 1))
                        .getResult();
          Value centered = arith::SubIOp::create(nb, l, q, z);
          value = arith::SIToFPOp::create(nb, l, elementType, centered);
        } else {
          Value pattern =
              arith::BitcastOp::create(nb, l, nb.getIntegerType(bits), args[0]);
          Value index =
              arith::IndexCastUIOp::create(nb, l, nb.getIndexType(), pattern);
          value = tensor::ExtractOp::create(nb, l, table, ValueRange{index});
        }
        Value scale = castFloat(nb, l, args[1], elementType);
        linalg::YieldOp::create(
            nb, l, arith::MulFOp::create(nb, l, value, scale).getResult());
      });
  return tensor::CollapseShapeOp::create(
      b, loc, RankedTensorType::get({n, k}, elementType), dequant.getResult(0),
      reassociation);
}

/// tx.dequant -> the dequantization generic.
struct LowerDequant : public OpRewritePattern<tx::DequantOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tx::DequantOp op,
                                PatternRewriter &rewriter) const override {
    tx::QPackOp pack = findQPack(op.getWeight());
    if (!pack)
      return rewriter.notifyMatchFailure(op, "weight not built by tx.qpack");
    auto elementType = cast<FloatType>(op.getType().getElementType());
    rewriter.replaceOp(op,
                       buildDequant(rewriter, op.getLoc(), pack, elementType));
    return success();
  }
};

/// tx.qlinear -> dequantization + linalg.matmul.
struct LowerQLinear : public OpRewritePattern<tx::QLinearOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tx::QLinearOp op,
                                PatternRewriter &rewriter) const override {
    tx::QPackOp pack = findQPack(op.getWeight());
    if (!pack)
      return rewriter.notifyMatchFailure(op, "weight not built by tx.qpack");
    Location loc = op.getLoc();
    auto elementType = cast<FloatType>(op.getType().getElementType());
    Value weight = buildDequant(rewriter, loc, pack, elementType);
    rewriter.replaceOp(op, buildLinear(rewriter, loc, op.getInput(), weight,
                                       op.getBias(), op.getType()));
    return success();
  }
};

} // namespace

void txc::cpu::populateQuantLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerDequant, LowerQLinear>(patterns.getContext());
}
