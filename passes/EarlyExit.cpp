//===- EarlyExit.cpp - per-token dynamic early exit (tx-early-exit) -------===//
//
// MuE-style early exit on the saturation of the residual stream. See
// Passes.td for the contract; in short, for a stack of layers 0 .. L-1 and
// the first test after position m:
//
//   h_{m+1} = layer_m(h_m)
//   e       = cos(h_m, h_{m+1}) >= threshold          (per token row)
//   for p in m+1 .. L-1:
//     all = and(e)                                     (scalar)
//     out = layer_p(h_p) {                             (the region, rewritten)
//             kv ops: norm, K/V projections, rope, tx.kv_append
//             scf.if all { yield x } else { q, attention, MLP; yield y }
//           }
//     h_{p+1} = select(e, h_p, out)                    (exited rows keep h)
//     e       = e | cos(h_p, h_{p+1}) >= threshold     (p < L-1)
//
//===----------------------------------------------------------------------===//

#include "txc/Dialect/Tx/TxOps.h"
#include "txc/Passes/Passes.h"

#include "LayerUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/SetVector.h"

#include <cmath>

namespace txc {
#define GEN_PASS_DEF_EARLYEXITPASS
#include "txc/Passes/Passes.h.inc"
} // namespace txc

using namespace mlir;
using namespace txc;
using namespace txc::tx;

namespace {

/// The leading (token row) shape of a residual tensor `[..., D]`.
RankedTensorType rowType(Value residual, Type element) {
  auto type = cast<RankedTensorType>(residual.getType());
  return RankedTensorType::get(type.getShape().drop_back(), element);
}

/// Identity maps of rank `rank` and the map of the leading dimensions.
AffineMap leadingMap(int64_t rank, MLIRContext *ctx) {
  SmallVector<AffineExpr> exprs;
  for (int64_t i = 0; i + 1 < rank; ++i)
    exprs.push_back(getAffineDimExpr(i, ctx));
  return AffineMap::get(rank, 0, exprs, ctx);
}

/// One elementwise linalg.generic over tensors of one shape: `inputs` in,
/// a fresh `element` tensor of that shape out, `body` computing it.
Value buildElementwise(
    OpBuilder &b, Location loc, ValueRange inputs, Type element,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  auto shape = cast<RankedTensorType>(inputs.front().getType()).getShape();
  const int64_t rank = shape.size();
  AffineMap id = AffineMap::getMultiDimIdentityMap(rank, b.getContext());
  SmallVector<AffineMap> maps(inputs.size() + 1, id);
  Value init = tensor::EmptyOp::create(b, loc, shape, element);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{RankedTensorType::get(shape, element)}, inputs,
             ValueRange{init}, maps, iterators,
             [&](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(nb, l, body(nb, l, args));
             })
      .getResult(0);
}

/// `exited | cos(x, y) >= threshold` per token row as an i1 tensor of the
/// leading shape (`exited` may be null: no row has exited yet).
Value buildExitTest(OpBuilder &b, Location loc, Value x, Value y,
                    Value exited, double threshold) {
  depth::RowDots rows = depth::buildRowDots(b, loc, x, y);
  SmallVector<Value> inputs = {rows.dot, rows.xx, rows.yy};
  if (exited)
    inputs.push_back(exited);
  return buildElementwise(
      b, loc, inputs, b.getI1Type(),
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        Value cos = depth::buildCosine(nb, l, args[0], args[1], args[2]);
        Value tau = arith::ConstantOp::create(
            nb, l, nb.getF32FloatAttr(static_cast<float>(threshold)));
        Value saturated =
            arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OGE, cos, tau);
        if (exited)
          saturated = arith::OrIOp::create(nb, l, saturated, args[3]);
        return saturated;
      });
}

/// `count + exited` (as f32; `count` null: zeros) per row.
Value buildCount(OpBuilder &b, Location loc, Value exited, Value count) {
  SmallVector<Value> inputs = {exited};
  if (count)
    inputs.push_back(count);
  return buildElementwise(
      b, loc, inputs, b.getF32Type(),
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        Value one = depth::castToF32(nb, l, args[0]);
        return count ? Value(arith::AddFOp::create(nb, l, one, args[1])) : one;
      });
}

/// Whether every row of the i1 tensor `exited` is set, as an i1 scalar.
Value buildAllExited(OpBuilder &b, Location loc, Value exited) {
  auto type = cast<RankedTensorType>(exited.getType());
  const int64_t rank = type.getRank();
  MLIRContext *ctx = b.getContext();
  auto scalar = RankedTensorType::get({}, b.getI1Type());
  Value empty = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{},
                                        b.getI1Type());
  Value yes = arith::ConstantOp::create(b, loc, b.getBoolAttr(true));
  Value init = linalg::FillOp::create(b, loc, yes, empty).getResult(0);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::reduction);
  Value all =
      linalg::GenericOp::create(
          b, loc, TypeRange{scalar}, ValueRange{exited}, ValueRange{init},
          {AffineMap::getMultiDimIdentityMap(rank, ctx),
           AffineMap::get(rank, 0, ctx)},
          iterators,
          [&](OpBuilder &nb, Location l, ValueRange args) {
            linalg::YieldOp::create(
                nb, l, ValueRange{arith::AndIOp::create(nb, l, args[0],
                                                        args[1])});
          })
          .getResult(0);
  return tensor::ExtractOp::create(b, loc, all, ValueRange{});
}

/// `exited[row] ? kept : computed` over the residual `[..., D]`.
Value buildSelectRows(OpBuilder &b, Location loc, Value exited, Value kept,
                      Value computed) {
  auto type = cast<RankedTensorType>(kept.getType());
  const int64_t rank = type.getRank();
  MLIRContext *ctx = b.getContext();
  AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
  Value init = tensor::EmptyOp::create(b, loc, type.getShape(),
                                       type.getElementType());
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{type}, ValueRange{exited, kept, computed},
             ValueRange{init},
             ArrayRef<AffineMap>{leadingMap(rank, ctx), id, id, id},
             iterators,
             [&](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(
                   nb, l,
                   ValueRange{arith::SelectOp::create(nb, l, args[0], args[1],
                                                      args[2])});
             })
      .getResult(0);
}

struct EarlyExitPass : public txc::impl::EarlyExitPassBase<EarlyExitPass> {
  using EarlyExitPassBase::EarlyExitPassBase;

  void runOnOperation() override {
    if (std::isnan(threshold.getValue())) {
      getOperation()->emitError()
          << "tx-early-exit: 'threshold' must be a number, got NaN";
      return signalPassFailure();
    }
    if (from < 0) {
      getOperation()->emitError()
          << "tx-early-exit: 'from' must be >= 0, got " << from.getValue();
      return signalPassFailure();
    }
    for (auto &entry : depth::collectLayerStacks(getOperation()))
      if (failed(processStack(entry.second)))
        return signalPassFailure();
  }

  LogicalResult processStack(MutableArrayRef<LayerOp> ordered) {
    const int64_t l = ordered.size();
    if (from > l - 2)
      return ordered.front().emitError()
             << "tx-early-exit: 'from' is " << from.getValue()
             << ", but a stack of " << l
             << " layers has no layer after position " << l - 2
             << " to skip";
    for (LayerOp layer : ordered.drop_front(from)) {
      Type residual = layer.getInputs().empty()
                          ? Type()
                          : layer.getInputs().front().getType();
      auto tensor = dyn_cast_if_present<RankedTensorType>(residual);
      if (layer.getNumResults() != 1 || layer.getResult(0).getType() != residual ||
          !tensor || tensor.getRank() < 2 || !tensor.hasStaticShape() ||
          !isa<FloatType>(tensor.getElementType()))
        return layer.emitOpError()
               << "tx-early-exit: a layer a token may skip must return one "
                  "value of its first input's type (the residual stream, a "
                  "static float tensor of rank >= 2)";
    }

    Value exited, skipped;
    for (int64_t pos = from; pos < l; ++pos) {
      LayerOp layer = ordered[pos];
      Value h = layer.getInputs().front();
      Value out = layer.getResult(0);
      Location loc = layer.getLoc();
      OpBuilder b(layer);
      Value next = out;
      if (exited) {
        // Only while some row is active do attention and MLP run; exited
        // rows keep their state.
        skipped = buildCount(b, loc, exited, skipped);
        Value all = buildAllExited(b, loc, exited);
        if (depth::makeConditional(layer, all))
          ++numConditional;
        b.setInsertionPointAfter(layer);
        next = buildSelectRows(b, loc, exited, h, out);
        out.replaceAllUsesExcept(next, next.getDefiningOp());
      }
      if (pos < l - 1) {
        b.setInsertionPointAfterValue(next);
        exited = buildExitTest(b, loc, h, next, exited, threshold);
        ++numTests;
      }
    }
    if (depthOutput)
      addDepthResult(ordered.back(), skipped, l);
    return success();
  }

  /// Returns `L - skipped` as the function result `layers_run`, when the
  /// stack is in a function body that returns.
  void addDepthResult(LayerOp last, Value skipped, int64_t layers) {
    auto func = dyn_cast<func::FuncOp>(last->getParentOp());
    auto ret = func ? dyn_cast<func::ReturnOp>(
                          last->getBlock()->getTerminator())
                    : func::ReturnOp();
    if (!ret)
      return;
    OpBuilder b(ret);
    Location loc = last.getLoc();
    RankedTensorType type =
        rowType(last.getInputs().front(), b.getF32Type());
    Value total = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(type, static_cast<float>(layers)));
    Value depth = skipped ? arith::SubFOp::create(b, loc, total, skipped)
                          : total;
    ret->insertOperands(ret->getNumOperands(), depth);
    SmallVector<Type> results(func.getResultTypes());
    results.push_back(type);
    func.setType(FunctionType::get(func.getContext(), func.getArgumentTypes(),
                                   results));
    func.setResultAttr(results.size() - 1, "tx.name",
                       b.getStringAttr("layers_run"));
  }
};

} // namespace
