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
// Weights of a GGUF block format (tx.qblocks) stay in their blocks: a
// tx.qlinear on one becomes txcpu.qmatmul (the runtime's txc_qmatmul, with
// the bias added after), and a tx.embedding of one txcpu.qembed.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "txc/Codegen/TxCpuOps.h"
#include "txc/Dialect/Tx/TxOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <numeric>

using namespace mlir;
using namespace txc;
using namespace txc::cpu;

Operation *txc::cpu::findQWeightDef(Value weight) {
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
    Operation *def = weight.getDefiningOp();
    return isa_and_present<tx::QPackOp, tx::QBlocksOp>(def) ? def : nullptr;
  }
}

tx::QPackOp txc::cpu::findQPack(Value weight) {
  return dyn_cast_if_present<tx::QPackOp>(findQWeightDef(weight));
}

tx::QBlocksOp txc::cpu::findQBlocks(Value weight) {
  return dyn_cast_if_present<tx::QBlocksOp>(findQWeightDef(weight));
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
    if (tx::QBlocksOp blocks = findQBlocks(op.getWeight()))
      return lowerBlocks(op, blocks, rewriter);
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

  /// x [..., K] -> [M, K] -> txcpu.qmatmul [M, N] (+ bias) -> [..., N].
  static LogicalResult lowerBlocks(tx::QLinearOp op, tx::QBlocksOp blocks,
                                   PatternRewriter &rewriter) {
    Location loc = op.getLoc();
    tx::QWeightType weightType = blocks.getType();
    RankedTensorType resultType = op.getType();
    if (!resultType.getElementType().isF32() ||
        !op.getInput().getType().getElementType().isF32())
      return rewriter.notifyMatchFailure(op, "block formats need f32");
    Value x = toMatrix(rewriter, loc, op.getInput());
    int64_t m = cast<RankedTensorType>(x.getType()).getDimSize(0);
    int64_t n = weightType.getOutFeatures();
    Type f32 = rewriter.getF32Type();
    Value init = createEmpty(rewriter, loc, {m, n}, f32);
    Value y = txcpu::QMatmulOp::create(
                  rewriter, loc, init.getType(), x, blocks.getBytes(), init,
                  rewriter.getI32IntegerAttr(weightType.getGGMLType()),
                  rewriter.getI64IntegerAttr(weightType.getInFeatures()))
                  .getResult();
    if (Value bias = op.getBias()) {
      MLIRContext *ctx = rewriter.getContext();
      SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(2, ctx),
                                     getProjection(ctx, 2, {1}),
                                     AffineMap::getMultiDimIdentityMap(2, ctx)};
      Value out = createEmpty(rewriter, loc, {m, n}, f32);
      y = linalg::GenericOp::create(
              rewriter, loc, out.getType(), ValueRange{y, bias},
              ValueRange{out}, maps, getIterators(2),
              [](OpBuilder &b, Location l, ValueRange args) {
                linalg::YieldOp::create(
                    b, l, arith::AddFOp::create(b, l, args[0], args[1])
                              .getResult());
              })
              .getResult(0);
    }
    rewriter.replaceOp(op, fromMatrix(rewriter, loc, y, resultType));
    return success();
  }
};

/// tx.embedding of a block-format table -> txcpu.qembed on the flattened
/// ids (as i64), reshaped to ids.shape + [hidden].
struct LowerBlockEmbedding : public OpRewritePattern<tx::EmbeddingOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tx::EmbeddingOp op,
                                PatternRewriter &rewriter) const override {
    if (!isa<tx::QWeightType>(op.getTable().getType()))
      return failure();
    tx::QBlocksOp blocks = findQBlocks(op.getTable());
    if (!blocks)
      return rewriter.notifyMatchFailure(op, "table not built by tx.qblocks");
    Location loc = op.getLoc();
    tx::QWeightType tableType = blocks.getType();
    auto idsType = op.getIds().getType();
    int64_t count = idsType.getNumElements();
    Value ids = op.getIds();
    // Flatten the ids to [count].
    auto flatType = RankedTensorType::get({count}, idsType.getElementType());
    if (idsType.getRank() != 1) {
      ReassociationIndices all(idsType.getRank());
      std::iota(all.begin(), all.end(), 0);
      ids = idsType.getRank() == 0
                ? tensor::ExpandShapeOp::create(rewriter, loc, flatType, ids,
                                                ArrayRef<ReassociationIndices>{})
                      .getResult()
                : tensor::CollapseShapeOp::create(rewriter, loc, ids,
                                                  ArrayRef{all})
                      .getResult();
    }
    if (!idsType.getElementType().isInteger(64)) {
      Type i64 = rewriter.getI64Type();
      Value out = createEmpty(rewriter, loc, {count}, i64);
      MLIRContext *ctx = rewriter.getContext();
      SmallVector<AffineMap> maps(2, AffineMap::getMultiDimIdentityMap(1, ctx));
      ids = linalg::GenericOp::create(
                rewriter, loc, out.getType(), ValueRange{ids}, ValueRange{out},
                maps, getIterators(1),
                [&](OpBuilder &b, Location l, ValueRange args) {
                  linalg::YieldOp::create(
                      b, l, arith::ExtSIOp::create(b, l, i64, args[0])
                                .getResult());
                })
                .getResult(0);
    }
    int64_t hidden = tableType.getInFeatures();
    Value init = createEmpty(rewriter, loc, {count, hidden},
                             rewriter.getF32Type());
    Value rows = txcpu::QEmbedOp::create(
                     rewriter, loc, init.getType(), blocks.getBytes(), ids,
                     init, rewriter.getI32IntegerAttr(tableType.getGGMLType()),
                     rewriter.getI64IntegerAttr(hidden))
                     .getResult();
    RankedTensorType resultType = op.getType();
    if (idsType.getRank() == 0) {
      // One id: [1, hidden] -> [hidden].
      rows = tensor::CollapseShapeOp::create(
          rewriter, loc, resultType, rows,
          ArrayRef<ReassociationIndices>{{0, 1}});
    } else if (resultType.getRank() != 2) {
      ReassociationIndices leading(idsType.getRank());
      std::iota(leading.begin(), leading.end(), 0);
      SmallVector<ReassociationIndices> groups = {
          leading, ReassociationIndices{idsType.getRank()}};
      rows = tensor::ExpandShapeOp::create(rewriter, loc, resultType, rows,
                                           groups);
    }
    rewriter.replaceOp(op, rows);
    return success();
  }
};

} // namespace

void txc::cpu::populateQuantLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerDequant, LowerQLinear, LowerBlockEmbedding>(
      patterns.getContext());
}
