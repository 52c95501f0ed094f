//===- CalibrationTaps.cpp - tx-calibration-taps: activation statistics ---===//
//
// Instruments the entry function for `txc calibrate`: for every tx.linear
// and tx.qlinear that multiplies by a stored weight W, the sums over all
// token positions of |x| and x^2 of its input x ([..., K] -> [K], f32) become
// new function results `calib.W.abs_sum` and `calib.W.sq_sum`, weighted by
// the attention mask when the function has one, and `calib.tokens` counts
// the tokens summed. Linears reading the same value share one reduction
// (its result is returned once per weight). A reduction computed inside a
// tx.layer leaves it as a new result of the layer. The contract with the
// driver is in Passes.td and docs/calibration.md.
//
//===----------------------------------------------------------------------===//

#include "txc/Dialect/Tx/TxOps.h"
#include "txc/Passes/Passes.h"

#include "LayerUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringMap.h"

#include <array>

namespace txc {
#define GEN_PASS_DEF_CALIBRATIONTAPSPASS
#include "txc/Passes/Passes.h.inc"
} // namespace txc

using namespace mlir;
using namespace txc;

namespace {

/// The prefix of every result the pass adds.
constexpr llvm::StringLiteral kPrefix = "calib.";

/// One reduction: the value it reads, the weights that read it, and the
/// sums (and, for inputs that are not one row per token, the row count)
/// once built.
struct Tap {
  Value input;
  llvm::SmallVector<std::string> weights;
  /// Whether the leading dimensions of the input are the token positions
  /// (weighted by the mask, counted by calib.tokens).
  bool perToken = false;
  int64_t rows = 1;
  Value absSum, sqSum;
};

/// A [K] f32 tensor of zeros.
Value zeros(OpBuilder &b, Location loc, int64_t k) {
  Value empty = tensor::EmptyOp::create(b, loc, {k}, b.getF32Type());
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
  return linalg::FillOp::create(b, loc, zero, empty).getResult(0);
}

/// The mask reshaped to `leading` (whose element count is the mask's):
/// itself when the shapes agree, else collapsed to 1-D and expanded.
Value maskAs(OpBuilder &b, Location loc, Value mask,
             ArrayRef<int64_t> leading) {
  auto type = cast<RankedTensorType>(mask.getType());
  if (type.getShape() == leading)
    return mask;
  int64_t total = type.getNumElements();
  Value flat = mask;
  if (type.getRank() != 1) {
    ReassociationIndices all;
    for (int64_t i = 0; i < type.getRank(); ++i)
      all.push_back(i);
    flat = tensor::CollapseShapeOp::create(
        b, loc, RankedTensorType::get({total}, type.getElementType()), mask,
        ArrayRef<ReassociationIndices>{all});
  }
  if (leading.size() == 1)
    return flat;
  ReassociationIndices all;
  for (size_t i = 0; i < leading.size(); ++i)
    all.push_back(i);
  return tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(leading, type.getElementType()), flat,
      ArrayRef<ReassociationIndices>{all});
}

/// Builds sum(|x| * w) and sum(x^2 * w) over the leading dimensions of `x`
/// ([..., K] -> [K] each); `weight` (the mask shaped like the leading
/// dimensions) may be null.
std::pair<Value, Value> buildSums(OpBuilder &b, Location loc, Value x,
                                  Value weight) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  int64_t k = type.getDimSize(rank - 1);
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx)};
  SmallVector<Value> inputs = {x};
  if (weight) {
    SmallVector<AffineExpr> leading;
    for (int64_t i = 0; i + 1 < rank; ++i)
      leading.push_back(getAffineDimExpr(i, ctx));
    maps.push_back(AffineMap::get(rank, 0, leading, ctx));
    inputs.push_back(weight);
  }
  AffineMap last = AffineMap::get(rank, 0, getAffineDimExpr(rank - 1, ctx));
  maps.push_back(last);
  maps.push_back(last);
  SmallVector<utils::IteratorType> iterators(rank - 1,
                                             utils::IteratorType::reduction);
  iterators.push_back(utils::IteratorType::parallel);
  Type f32 = b.getF32Type();
  auto sumType = RankedTensorType::get({k}, f32);
  auto sums = linalg::GenericOp::create(
      b, loc, TypeRange{sumType, sumType}, inputs,
      ValueRange{zeros(b, loc, k), zeros(b, loc, k)}, maps, iterators,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value v = args[0];
        if (v.getType() != f32)
          v = depth::castToF32(nb, l, v);
        Value abs = math::AbsFOp::create(nb, l, v);
        Value sq = arith::MulFOp::create(nb, l, v, v);
        if (weight) {
          // Masked positions add exactly nothing, even where a padded
          // row's activations are not finite.
          Value w = depth::castToF32(nb, l, args[1]);
          Value zero = arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(0));
          Value counted =
              arith::CmpFOp::create(nb, l, arith::CmpFPredicate::UNE, w, zero);
          abs = arith::SelectOp::create(
              nb, l, counted, arith::MulFOp::create(nb, l, abs, w), zero);
          sq = arith::SelectOp::create(
              nb, l, counted, arith::MulFOp::create(nb, l, sq, w), zero);
        }
        size_t acc = weight ? 2 : 1;
        Value absAcc = arith::AddFOp::create(nb, l, args[acc], abs);
        Value sqAcc = arith::AddFOp::create(nb, l, args[acc + 1], sq);
        linalg::YieldOp::create(nb, l, ValueRange{absAcc, sqAcc});
      });
  return {sums.getResult(0), sums.getResult(1)};
}

/// sum over the token rows of w * cos(x_row, y_row) as tensor<1xf32>, for a
/// layer's residual input x and output y ([..., D]); `weight` (the mask
/// shaped like the leading dimensions) may be null. A row with a zero
/// vector adds 0.
Value buildCosineSum(OpBuilder &b, Location loc, Value x, Value y,
                     Value weight) {
  MLIRContext *ctx = b.getContext();
  depth::RowDots rows = depth::buildRowDots(b, loc, x, y);
  // Sum over the rows of w * cos (depth::buildCosine: 0 for a zero row).
  const int64_t lr = cast<RankedTensorType>(x.getType()).getRank() - 1;
  AffineMap lid = AffineMap::getMultiDimIdentityMap(lr, ctx);
  AffineMap scalar = AffineMap::get(lr, 0, getAffineConstantExpr(0, ctx), ctx);
  SmallVector<Value> inputs = {rows.dot, rows.xx, rows.yy};
  SmallVector<AffineMap> maps = {lid, lid, lid};
  if (weight) {
    inputs.push_back(weight);
    maps.push_back(lid);
  }
  maps.push_back(scalar);
  SmallVector<utils::IteratorType> sumIters(lr,
                                            utils::IteratorType::reduction);
  auto sum = linalg::GenericOp::create(
      b, loc, TypeRange{RankedTensorType::get({1}, b.getF32Type())}, inputs,
      ValueRange{zeros(b, loc, 1)}, maps, sumIters,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value cos = depth::buildCosine(nb, l, args[0], args[1], args[2]);
        if (weight) {
          Value z = arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(0));
          Value w = depth::castToF32(nb, l, args[3]);
          Value counted =
              arith::CmpFOp::create(nb, l, arith::CmpFPredicate::UNE, w, z);
          cos = arith::SelectOp::create(
              nb, l, counted, arith::MulFOp::create(nb, l, cos, w), z);
        }
        linalg::YieldOp::create(
            nb, l, ValueRange{arith::AddFOp::create(nb, l, args.back(), cos)});
      });
  return sum.getResult(0);
}

/// Per token row of `before` and `x` ([..., D]): ||x - before||^2 (f32,
/// the leading shape), tx-mod-prune's update score of the layer reading x.
Value buildUpdateRows(OpBuilder &b, Location loc, Value before, Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  const int64_t rank = type.getRank();
  MLIRContext *ctx = b.getContext();
  SmallVector<int64_t> leading(type.getShape().drop_back());
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0));
  Value init = linalg::FillOp::create(
                   b, loc, zero,
                   tensor::EmptyOp::create(b, loc, leading, b.getF32Type())
                       .getResult())
                   .getResult(0);
  AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
  SmallVector<AffineExpr> lead;
  for (int64_t i = 0; i + 1 < rank; ++i)
    lead.push_back(getAffineDimExpr(i, ctx));
  AffineMap rows = AffineMap::get(rank, 0, lead, ctx);
  SmallVector<utils::IteratorType> iterators(rank - 1,
                                             utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  return linalg::GenericOp::create(
             b, loc, TypeRange{init.getType()}, ValueRange{before, x},
             ValueRange{init}, ArrayRef<AffineMap>{id, id, rows}, iterators,
             [&](OpBuilder &nb, Location l, ValueRange args) {
               Value d = arith::SubFOp::create(
                   nb, l, depth::castToF32(nb, l, args[1]),
                   depth::castToF32(nb, l, args[0]));
               Value sq = arith::MulFOp::create(nb, l, d, d);
               linalg::YieldOp::create(
                   nb, l, ValueRange{arith::AddFOp::create(nb, l, args[2], sq)});
             })
      .getResult(0);
}

/// The sums a linear probe from a layer's input x ([..., D]) to how much
/// the layer changes each token, t = 1 - cos(x, y), is fitted from (the
/// driver solves the ridge regression): sum x x^T [D, D], sum x [D],
/// sum t x [D] and sum t [1], over the token rows weighted by `weight`
/// (null: all 1; a row of weight 0 adds exactly nothing).
std::array<Value, 4> buildProbeSums(OpBuilder &b, Location loc, Value x,
                                    Value y, Value weight) {
  auto type = cast<RankedTensorType>(x.getType());
  const int64_t rank = type.getRank(), lr = rank - 1,
                d = type.getShape().back();
  MLIRContext *ctx = b.getContext();
  Type f32 = b.getF32Type();
  // t per row, 0 where the row does not count.
  depth::RowDots rows = depth::buildRowDots(b, loc, x, y);
  SmallVector<int64_t> leading(type.getShape().drop_back());
  AffineMap lid = AffineMap::getMultiDimIdentityMap(lr, ctx);
  SmallVector<Value> tIn = {rows.dot, rows.xx, rows.yy};
  if (weight)
    tIn.push_back(weight);
  SmallVector<AffineMap> tMaps(tIn.size() + 2, lid);
  Value tInit = tensor::EmptyOp::create(b, loc, leading, f32);
  SmallVector<utils::IteratorType> par(lr, utils::IteratorType::parallel);
  auto t = linalg::GenericOp::create(
      b, loc, TypeRange{RankedTensorType::get(leading, f32),
                        RankedTensorType::get(leading, f32)},
      tIn, ValueRange{tInit, tInit}, tMaps, par,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value one = arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(1));
        Value z = arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(0));
        Value cos = depth::buildCosine(nb, l, args[0], args[1], args[2]);
        Value change = arith::SubFOp::create(nb, l, one, cos);
        Value w = one;
        if (weight) {
          Value raw = depth::castToF32(nb, l, args[3]);
          Value counted =
              arith::CmpFOp::create(nb, l, arith::CmpFPredicate::UNE, raw, z);
          w = arith::SelectOp::create(nb, l, counted, raw, z);
          change = arith::SelectOp::create(
              nb, l, counted, arith::MulFOp::create(nb, l, change, raw), z);
        }
        linalg::YieldOp::create(nb, l, ValueRange{change, w});
      });
  Value tw = t.getResult(0), w = t.getResult(1);
  // sum w x_i x_j: rows reduced, (i, j) parallel.
  auto dim = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineExpr> lead;
  for (int64_t i = 0; i < lr; ++i)
    lead.push_back(dim(i));
  auto with = [&](int64_t total, ArrayRef<AffineExpr> tail) {
    SmallVector<AffineExpr> e(lead);
    e.append(tail.begin(), tail.end());
    return AffineMap::get(total, 0, e, ctx);
  };
  SmallVector<utils::IteratorType> red(lr, utils::IteratorType::reduction);
  auto zerosOf = [&](ArrayRef<int64_t> shape) {
    Value empty = tensor::EmptyOp::create(b, loc, shape, f32);
    Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0));
    return linalg::FillOp::create(b, loc, zero, empty).getResult(0);
  };
  SmallVector<utils::IteratorType> itXX(red);
  itXX.append(2, utils::IteratorType::parallel);
  const int64_t nXX = lr + 2;
  auto xx = linalg::GenericOp::create(
      b, loc, TypeRange{RankedTensorType::get({d, d}, f32)},
      ValueRange{x, x, w}, ValueRange{zerosOf({d, d})},
      ArrayRef<AffineMap>{with(nXX, {dim(lr)}), with(nXX, {dim(lr + 1)}),
                          with(nXX, {}),
                          AffineMap::get(nXX, 0, {dim(lr), dim(lr + 1)},
                                         ctx)},
      itXX, [&](OpBuilder &nb, Location l, ValueRange args) {
        Value a = depth::castToF32(nb, l, args[0]);
        Value c = depth::castToF32(nb, l, args[1]);
        Value p = arith::MulFOp::create(
            nb, l, arith::MulFOp::create(nb, l, a, c), args[2]);
        linalg::YieldOp::create(
            nb, l, ValueRange{arith::AddFOp::create(nb, l, args[3], p)});
      });
  // sum w x_i and sum t x_i: rows reduced, i parallel.
  SmallVector<utils::IteratorType> itX(red);
  itX.push_back(utils::IteratorType::parallel);
  const int64_t nX = lr + 1;
  auto vec = RankedTensorType::get({d}, f32);
  auto sums = linalg::GenericOp::create(
      b, loc, TypeRange{vec, vec}, ValueRange{x, w, tw},
      ValueRange{zerosOf({d}), zerosOf({d})},
      ArrayRef<AffineMap>{with(nX, {dim(lr)}), with(nX, {}), with(nX, {}),
                          AffineMap::get(nX, 0, {dim(lr)}, ctx),
                          AffineMap::get(nX, 0, {dim(lr)}, ctx)},
      itX, [&](OpBuilder &nb, Location l, ValueRange args) {
        Value a = depth::castToF32(nb, l, args[0]);
        Value sx = arith::AddFOp::create(
            nb, l, args[3], arith::MulFOp::create(nb, l, a, args[1]));
        Value sxt = arith::AddFOp::create(
            nb, l, args[4], arith::MulFOp::create(nb, l, a, args[2]));
        linalg::YieldOp::create(nb, l, ValueRange{sx, sxt});
      });
  // sum t.
  auto st = linalg::GenericOp::create(
      b, loc, TypeRange{RankedTensorType::get({1}, f32)}, ValueRange{tw},
      ValueRange{zerosOf({1})},
      ArrayRef<AffineMap>{lid, AffineMap::get(lr, 0,
                                              getAffineConstantExpr(0, ctx),
                                              ctx)},
      red, [&](OpBuilder &nb, Location l, ValueRange args) {
        linalg::YieldOp::create(
            nb, l, ValueRange{arith::AddFOp::create(nb, l, args[1], args[0])});
      });
  return {xx.getResult(0), sums.getResult(0), sums.getResult(1),
          st.getResult(0)};
}

/// sum(mask) as tensor<1xf32>.
Value buildTokenCount(OpBuilder &b, Location loc, Value mask) {
  auto type = cast<RankedTensorType>(mask.getType());
  int64_t rank = type.getRank();
  MLIRContext *ctx = b.getContext();
  Type f32 = b.getF32Type();
  Value empty = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{}, f32);
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
  Value init = linalg::FillOp::create(b, loc, zero, empty).getResult(0);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::reduction);
  auto sum = linalg::GenericOp::create(
      b, loc, TypeRange{RankedTensorType::get({}, f32)}, ValueRange{mask},
      ValueRange{init},
      {AffineMap::getMultiDimIdentityMap(rank, ctx),
       AffineMap::get(rank, 0, ctx)},
      iterators, [&](OpBuilder &nb, Location l, ValueRange args) {
        Value w = depth::castToF32(nb, l, args[0]);
        linalg::YieldOp::create(
            nb, l, ValueRange{arith::AddFOp::create(nb, l, args[1], w)});
      });
  Value scalar =
      tensor::ExtractOp::create(b, loc, sum.getResult(0), ValueRange{});
  return tensor::FromElementsOp::create(b, loc, RankedTensorType::get({1}, f32),
                                        ValueRange{scalar});
}

/// A tensor<1xf32> constant.
Value countConstant(OpBuilder &b, Location loc, int64_t count) {
  auto type = RankedTensorType::get({1}, b.getF32Type());
  return arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(type, static_cast<float>(count)));
}

struct CalibrationTapsPass
    : public txc::impl::CalibrationTapsPassBase<CalibrationTapsPass> {
  using CalibrationTapsPassBase::CalibrationTapsPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    FunctionOpInterface entry = tx::findEntryFunction(module);
    auto func = dyn_cast_if_present<func::FuncOp>(entry.getOperation());
    if (!func) {
      module.emitError() << "tx-calibration-taps: no entry function (@main "
                            "or the only public func.func with a body)";
      return signalPassFailure();
    }
    for (unsigned i = 0, e = func.getNumResults(); i < e; ++i)
      if (auto name = func.getResultAttrOfType<StringAttr>(i, "tx.name"))
        if (name.getValue().starts_with(kPrefix)) {
          func.emitError() << "tx-calibration-taps: result #" << i
                           << " is already named '" << name.getValue()
                           << "' (the function is instrumented already)";
          return signalPassFailure();
        }
    if (!func.getBody().hasOneBlock()) {
      func.emitError()
          << "tx-calibration-taps: the entry function has more than one block";
      return signalPassFailure();
    }

    // The token positions: the mask's shape, else the token ids'.
    int maskIndex = tx::findInputRole(func, tx::InputRole::attention_mask);
    int idsIndex = tx::findInputRole(func, tx::InputRole::token_ids);
    int refIndex = maskIndex >= 0 ? maskIndex : idsIndex;
    if (refIndex < 0) {
      func.emitError() << "tx-calibration-taps: the entry function has no "
                          "input with role token_ids or attention_mask to "
                          "count tokens by";
      return signalPassFailure();
    }
    auto refType =
        dyn_cast<RankedTensorType>(func.getArgument(refIndex).getType());
    if (!refType || !refType.hasStaticShape() ||
        (maskIndex >= 0 &&
         !isa<IntegerType, FloatType>(refType.getElementType()))) {
      func.emitError() << "tx-calibration-taps: input #" << refIndex << " (the "
                       << (maskIndex >= 0 ? "attention mask" : "token ids")
                       << ") must be a tensor of static shape, got "
                       << func.getArgument(refIndex).getType();
      return signalPassFailure();
    }
    int64_t tokens = refType.getNumElements();
    Value mask = maskIndex >= 0 ? func.getArgument(maskIndex) : Value();

    // One tap per distinct input value, in program order.
    llvm::MapVector<Value, Tap> taps;
    WalkResult walk = func.walk([&](Operation *op) {
      if (!isa<tx::LinearOp, tx::QLinearOp>(op))
        return WalkResult::advance();
      std::string weight = storedWeightName(op);
      if (weight.empty())
        return WalkResult::advance();
      Value x = op->getOperand(0);
      auto type = dyn_cast<RankedTensorType>(x.getType());
      if (!type || !type.hasStaticShape() || type.getRank() < 1 ||
          !isa<FloatType>(type.getElementType())) {
        op->emitError() << "tx-calibration-taps: the input of the linear "
                           "reading '"
                        << weight
                        << "' must be a float tensor of static shape, got "
                        << x.getType();
        return WalkResult::interrupt();
      }
      Tap &tap = taps[x];
      if (tap.weights.empty()) {
        tap.input = x;
        for (int64_t i = 0; i + 1 < type.getRank(); ++i)
          tap.rows *= type.getDimSize(i);
        tap.perToken = tap.rows == tokens;
      }
      if (!llvm::is_contained(tap.weights, weight))
        tap.weights.push_back(weight);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    if (taps.empty()) {
      func.emitWarning() << "tx-calibration-taps: no linear layer multiplies "
                            "by a stored weight; nothing to tap";
      return;
    }

    // The reductions, each right after its input is defined.
    OpBuilder b(func.getContext());
    llvm::MapVector<tx::LayerOp, SmallVector<Tap *>> inLayers;
    for (auto &[x, tap] : taps) {
      Block *block = x.getParentBlock();
      Operation *parent = block->getParentOp();
      auto layer = dyn_cast<tx::LayerOp>(parent);
      if (parent != func.getOperation() &&
          !(layer && layer->getParentOp() == func.getOperation())) {
        Operation *user = *llvm::find_if(x.getUsers(), [](Operation *u) {
          return isa<tx::LinearOp, tx::QLinearOp>(u);
        });
        user->emitError() << "tx-calibration-taps: the input of the linear "
                             "reading '"
                          << tap.weights.front() << "' is defined inside '"
                          << parent->getName()
                          << "'; only the function body and tx.layer "
                             "regions can be tapped";
        return signalPassFailure();
      }
      if (Operation *def = x.getDefiningOp())
        b.setInsertionPointAfter(def);
      else
        b.setInsertionPointToStart(block);
      Location loc = x.getLoc();
      auto type = cast<RankedTensorType>(x.getType());
      Value weight;
      if (mask && tap.perToken)
        weight = maskAs(b, loc, mask, type.getShape().drop_back());
      std::tie(tap.absSum, tap.sqSum) = buildSums(b, loc, x, weight);
      if (layer)
        inLayers[layer].push_back(&tap);
    }

    // Sums computed inside a layer leave it as new results.
    for (auto &[layer, layerTaps] : inLayers) {
      auto yield = layer.getYield();
      SmallVector<Value> yielded(yield.getValues());
      SmallVector<Type> types(layer.getResultTypes());
      for (Tap *tap : layerTaps)
        for (Value v : {tap->absSum, tap->sqSum}) {
          yielded.push_back(v);
          types.push_back(v.getType());
        }
      b.setInsertionPoint(layer);
      auto grown = tx::LayerOp::create(b, layer.getLoc(), types,
                                       layer.getIndexAttr(), layer.getInputs());
      grown->setAttrs(layer->getAttrs());
      grown.getBody().takeBody(layer.getBody());
      yield->setOperands(yielded);
      unsigned old = layer.getNumResults();
      layer.replaceAllUsesWith(grown.getResults().take_front(old));
      unsigned next = old;
      for (Tap *tap : layerTaps) {
        tap->absSum = grown.getResult(next++);
        tap->sqSum = grown.getResult(next++);
      }
      layer.erase();
    }

    // The new results: per weight its two sums (and row count), then the
    // token count.
    auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
    b.setInsertionPoint(ret);
    Location loc = func.getLoc();
    SmallVector<Value> results(ret.getOperands());
    SmallVector<std::string> names;
    llvm::StringMap<unsigned> seen;
    for (auto &[x, tap] : taps)
      for (const std::string &w : tap.weights) {
        // A weight multiplied by several distinct inputs (shared layers):
        // the later taps are named W#1, W#2, ... and the driver adds them.
        std::string base = (kPrefix + w).str();
        if (unsigned n = seen[w]++)
          base += "#" + std::to_string(n);
        results.push_back(tap.absSum);
        names.push_back(base + ".abs_sum");
        results.push_back(tap.sqSum);
        names.push_back(base + ".sq_sum");
        if (!tap.perToken) {
          results.push_back(countConstant(b, loc, tap.rows));
          names.push_back(base + ".count");
        }
        ++numWeights;
      }
    numReductions += taps.size();

    // Per layer of the function body whose first result replaces its first
    // input (the residual stream, one row per token): the summed cosine
    // similarity of the two, for depth pruning (tx-layer-skip calibration).
    SmallVector<std::pair<int64_t, Value>> cosines, updates, rows;
    SmallVector<std::pair<int64_t, std::array<Value, 4>>> probes;
    // The previous layer's input: tx-mod-prune's update router scores a
    // layer's tokens by ||x_l - x_{l-1}||^2, whose distribution the driver
    // turns into thresholds.
    Value previous;
    for (Operation &op : llvm::make_early_inc_range(func.getBody().front())) {
      auto layer = dyn_cast<tx::LayerOp>(&op);
      if (!layer || layer.getInputs().empty() || layer.getNumResults() == 0)
        continue;
      Value x = layer.getInputs()[0], y = layer.getResult(0);
      auto type = dyn_cast<RankedTensorType>(x.getType());
      if (!type || y.getType() != type || !type.hasStaticShape() ||
          type.getRank() < 2 || !isa<FloatType>(type.getElementType()) ||
          type.getNumElements() / type.getShape().back() != tokens)
        continue;
      OpBuilder lb(layer.getContext());
      lb.setInsertionPointAfter(layer);
      Value weight;
      if (mask)
        weight = maskAs(lb, layer.getLoc(), mask, type.getShape().drop_back());
      cosines.push_back({layer.getIndexAttr().getInt(),
                         buildCosineSum(lb, layer.getLoc(), x, y, weight)});
      probes.push_back({layer.getIndexAttr().getInt(),
                        buildProbeSums(lb, layer.getLoc(), x, y, weight)});
      if (previous && previous.getType() == type)
        updates.push_back({layer.getIndexAttr().getInt(),
                           buildUpdateRows(lb, layer.getLoc(), previous, x)});
      // The layer's input rows themselves, from which the driver samples
      // tokens to score with the fitted probe (its score's percentiles).
      if (type.getElementType().isF32())
        rows.push_back({layer.getIndexAttr().getInt(), x});
      previous = x;
    }
    for (auto &[index, value] : cosines) {
      results.push_back(value);
      names.push_back((kPrefix + "layer." + Twine(index) + ".cos_sum").str());
    }
    for (auto &[index, value] : updates) {
      results.push_back(value);
      names.push_back(
          (kPrefix + "layer." + Twine(index) + ".route_update").str());
    }
    for (auto &[index, value] : rows) {
      results.push_back(value);
      names.push_back((kPrefix + "layer." + Twine(index) + ".rows").str());
    }
    static const char *const kProbeParts[] = {"probe_xx", "probe_x",
                                              "probe_xt", "probe_t"};
    for (auto &[index, values] : probes)
      for (auto [part, value] : llvm::zip(kProbeParts, values)) {
        results.push_back(value);
        names.push_back(
            (kPrefix + "layer." + Twine(index) + "." + part).str());
      }
    // Routed layers (tx-mod-prune before the taps, txc calibrate
    // --mod-capacity): each route's scores and kept indices, named by the
    // layer its gather feeds.
    for (Operation &op : func.getBody().front()) {
      auto route = dyn_cast<tx::RouteOp>(&op);
      if (!route)
        continue;
      std::optional<int64_t> index;
      for (Operation *user : route.getIndices().getUsers())
        if (isa<tx::GatherTokensOp>(user))
          for (Operation *gatherUser : user->getResult(0).getUsers())
            if (auto layer = dyn_cast<tx::LayerOp>(gatherUser))
              index = layer.getIndexAttr().getInt();
      if (!index || !route.getScores().getType().getElementType().isF32())
        continue;
      results.push_back(route.getScores());
      names.push_back(
          (kPrefix + "route." + Twine(*index) + ".scores").str());
      results.push_back(route.getIndices());
      names.push_back(
          (kPrefix + "route." + Twine(*index) + ".indices").str());
    }
    results.push_back(mask ? buildTokenCount(b, loc, mask)
                           : countConstant(b, loc, tokens));
    names.push_back((kPrefix + "tokens").str());

    unsigned first = func.getNumResults();
    SmallVector<Type> resultTypes(func.getResultTypes());
    for (size_t i = first; i < results.size(); ++i)
      resultTypes.push_back(results[i].getType());
    SmallVector<DictionaryAttr> resultAttrs;
    func.getAllResultAttrs(resultAttrs);
    resultAttrs.resize(first);
    for (const std::string &name : names)
      resultAttrs.push_back(b.getDictionaryAttr(
          b.getNamedAttr("tx.name", b.getStringAttr(name))));
    func.setType(FunctionType::get(func.getContext(), func.getArgumentTypes(),
                                   resultTypes));
    func.setAllResultAttrs(resultAttrs);
    ret->setOperands(results);
  }
};

} // namespace
