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
  // A ragged last group (group does not divide K): codes stay [N, K] and
  // the scales are read at (n, k floordiv group).
  bool ragged = k % group != 0;
  unsigned rank = ragged ? 2 : 3;
  SmallVector<int64_t> groupedShape = ragged ? SmallVector<int64_t>{n, k}
                                             : SmallVector<int64_t>{n, groups, group};
  SmallVector<ReassociationIndices> reassociation = {{0}, {1, 2}};
  Value codes = pack.getCodes();
  if (!ragged)
    codes = tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get(groupedShape, weightType.getCodeType()),
        codes, reassociation);
  SmallVector<Value> inputs = {codes, pack.getScales()};
  AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, ctx);
  AffineMap perGroup =
      ragged ? AffineMap::get(2, 0,
                              {getAffineDimExpr(0, ctx),
                               getAffineDimExpr(1, ctx).floorDiv(group)},
                              ctx)
             : getProjection(ctx, 3, {0, 1});
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
  Value scaleTable;
  if (auto scaleType = dyn_cast<FloatType>(weightType.getScaleType());
      scaleType && scaleType.getWidth() == 8)
    scaleTable = buildDecodeTable(b, loc, scaleType, elementType);
  Value init = createEmpty(b, loc, groupedShape, elementType);
  std::optional<APFloat> tensorScale = pack.getTensorScale();
  auto dequant = linalg::GenericOp::create(
      b, loc, init.getType(), inputs, ValueRange{init}, maps,
      getIterators(rank),
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
        Value scale;
        if (scaleTable) { // 8-bit float scales: decoded through a table
          Value pattern =
              arith::BitcastOp::create(nb, l, nb.getI8Type(), args[1]);
          Value index =
              arith::IndexCastUIOp::create(nb, l, nb.getIndexType(), pattern);
          scale = tensor::ExtractOp::create(nb, l, scaleTable, ValueRange{index});
        } else {
          scale = castFloat(nb, l, args[1], elementType);
        }
        if (tensorScale)
          scale = arith::MulFOp::create(
              nb, l, scale,
              arith::ConstantOp::create(
                  nb, l, nb.getFloatAttr(elementType,
                                         tensorScale->convertToDouble())));
        linalg::YieldOp::create(
            nb, l, arith::MulFOp::create(nb, l, value, scale).getResult());
      });
  if (ragged)
    return dequant.getResult(0);
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
    if (succeeded(lowerPlanar(op, pack, rewriter)))
      return success();
    Location loc = op.getLoc();
    auto elementType = cast<FloatType>(op.getType().getElementType());
    Value weight = buildDequant(rewriter, loc, pack, elementType);
    rewriter.replaceOp(op, buildLinear(rewriter, loc, op.getInput(), weight,
                                       op.getBias(), op.getType()));
    return success();
  }

  /// The kernels' number of a code type (TXC_QCODE_*), or -1.
  static int32_t codeKind(tx::QWeightType type) {
    switch (type.getKind()) {
    case tx::QuantKind::int8:
      return 0;
    case tx::QuantKind::int4:
      return 1;
    case tx::QuantKind::int2:
      return 2;
    case tx::QuantKind::fp8_e4m3:
      return 3;
    case tx::QuantKind::fp4_e2m1:
      return 4;
    default:
      return -1;
    }
  }

  /// The kernels' number of a scale type (TXC_QSCALE_*), or -1.
  static int32_t scaleKind(Type t) {
    return t.isF32()                    ? 0
           : t.isF16()                  ? 1
           : t.isBF16()                 ? 2
           : isa<Float8E4M3FNType>(t)   ? 3
           : isa<Float8E8M0FNUType>(t)  ? 4
                                        : -1;
  }

  /// `codes` as the bytes the kernel reads: byte codes as they are,
  /// sub-byte codes of a tx.weight as that weight's packed bytes (a second
  /// tx.weight of the same name marked `tx.packed`); null otherwise.
  static Value codeBytes(PatternRewriter &rewriter, Value codes,
                         unsigned bits) {
    if (bits == 8)
      return codes;
    auto weight = tx::lookThroughLayerArgs(codes).getDefiningOp<tx::WeightOp>();
    auto type = cast<RankedTensorType>(codes.getType());
    if (!weight || type.getRank() != 2 || type.getDimSize(1) * bits % 8 != 0)
      return {};
    auto bytesType = RankedTensorType::get(
        {type.getDimSize(0), type.getDimSize(1) * bits / 8},
        rewriter.getI8Type());
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointAfter(weight);
    auto packed = tx::WeightOp::create(rewriter, weight.getLoc(), bytesType,
                                       weight.getNameAttr());
    packed->setAttr(tx::TxDialect::PackedAttrHelper::getNameStr(),
                    TypeAttr::get(type));
    return packed;
  }

  /// x [..., K] -> [M, K] -> txcpu.qmatmul_planar [M, N] (+ bias) ->
  /// [..., N]; fails (leaving the IR alone) for what the kernels do not
  /// read: non-f32 activations, sub-byte codes that are not a stored weight.
  static LogicalResult lowerPlanar(tx::QLinearOp op, tx::QPackOp pack,
                                   PatternRewriter &rewriter) {
    tx::QWeightType type = pack.getType();
    int32_t code = codeKind(type), scale = scaleKind(type.getScaleType());
    // The kernels read integer codes with f32/f16/bf16 scales only.
    if (code < 0 || scale < 0 || (type.isInteger() && scale > 2) ||
        !op.getType().getElementType().isF32() ||
        !op.getInput().getType().getElementType().isF32())
      return failure();
    Value codes = codeBytes(rewriter, pack.getCodes(), type.getBits());
    if (!codes)
      return failure();
    Location loc = op.getLoc();
    Value zeros = pack.getZeroPoints();
    if (zeros && !cast<RankedTensorType>(zeros.getType())
                      .getElementType()
                      .isInteger(8)) {
      // Zero points of the code type (MatMulNBits) widened to bytes.
      auto zt = cast<RankedTensorType>(zeros.getType());
      Type i8 = rewriter.getI8Type();
      Value out = createEmpty(rewriter, loc, zt.getShape(), i8);
      MLIRContext *ctx = rewriter.getContext();
      SmallVector<AffineMap> maps(2, AffineMap::getMultiDimIdentityMap(2, ctx));
      zeros = linalg::GenericOp::create(
                  rewriter, loc, out.getType(), ValueRange{zeros},
                  ValueRange{out}, maps, getIterators(2),
                  [&](OpBuilder &b, Location l, ValueRange args) {
                    linalg::YieldOp::create(
                        b, l, arith::ExtUIOp::create(b, l, i8, args[0])
                                  .getResult());
                  })
                  .getResult(0);
    }
    Value x = toMatrix(rewriter, loc, op.getInput());
    int64_t m = cast<RankedTensorType>(x.getType()).getDimSize(0);
    int64_t n = type.getOutFeatures();
    Type f32 = rewriter.getF32Type();
    Value init = createEmpty(rewriter, loc, {m, n}, f32);
    float tensorScale = 1.0f;
    if (std::optional<APFloat> t = pack.getTensorScale())
      tensorScale = t->convertToFloat();
    Value y = txcpu::QMatmulPlanarOp::create(
                  rewriter, loc, init.getType(), x, codes, pack.getScales(),
                  zeros, init, rewriter.getI32IntegerAttr(code),
                  rewriter.getI32IntegerAttr(scale),
                  rewriter.getI64IntegerAttr(type.getGroup()),
                  rewriter.getI64IntegerAttr(type.getInFeatures()),
                  rewriter.getF32FloatAttr(tensorScale))
                  .getResult();
    if (Value bias = op.getBias())
      y = addBias(rewriter, loc, y, bias);
    rewriter.replaceOp(op, fromMatrix(rewriter, loc, y, op.getType()));
    return success();
  }

  /// y [M, N] + bias [N].
  static Value addBias(PatternRewriter &rewriter, Location loc, Value y,
                       Value bias) {
    auto type = cast<RankedTensorType>(y.getType());
    MLIRContext *ctx = rewriter.getContext();
    SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(2, ctx),
                                   getProjection(ctx, 2, {1}),
                                   AffineMap::getMultiDimIdentityMap(2, ctx)};
    Value out = createEmpty(rewriter, loc, type.getShape(),
                            type.getElementType());
    return linalg::GenericOp::create(
               rewriter, loc, out.getType(), ValueRange{y, bias},
               ValueRange{out}, maps, getIterators(2),
               [](OpBuilder &b, Location l, ValueRange args) {
                 linalg::YieldOp::create(
                     b, l,
                     arith::AddFOp::create(b, l, args[0], args[1]).getResult());
               })
        .getResult(0);
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
    if (Value bias = op.getBias())
      y = addBias(rewriter, loc, y, bias);
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
