//===- LayerUtils.cpp - helpers of the depth passes -----------------------===//

#include "LayerUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace txc;
using namespace txc::tx;

llvm::MapVector<Block *, SmallVector<tx::LayerOp>>
depth::collectLayerStacks(Operation *root) {
  llvm::MapVector<Block *, SmallVector<tx::LayerOp>> stacks;
  root->walk(
      [&](tx::LayerOp layer) { stacks[layer->getBlock()].push_back(layer); });
  for (auto &entry : stacks)
    llvm::stable_sort(entry.second, [](tx::LayerOp a, tx::LayerOp b) {
      return a.getIndexAttr().getInt() < b.getIndexAttr().getInt();
    });
  return stacks;
}

Value depth::castToF32(OpBuilder &b, Location loc, Value value) {
  Type f32 = b.getF32Type();
  Type type = value.getType();
  if (type == f32)
    return value;
  if (auto fp = dyn_cast<FloatType>(type))
    return fp.getWidth() < 32
               ? Value(arith::ExtFOp::create(b, loc, f32, value))
               : Value(arith::TruncFOp::create(b, loc, f32, value));
  if (type.isInteger(1))
    return arith::UIToFPOp::create(b, loc, f32, value);
  return arith::SIToFPOp::create(b, loc, f32, value);
}

depth::RowDots depth::buildRowDots(OpBuilder &b, Location loc, Value x,
                                   Value y) {
  auto type = cast<RankedTensorType>(x.getType());
  const int64_t rank = type.getRank();
  MLIRContext *ctx = b.getContext();
  Type f32 = b.getF32Type();
  SmallVector<int64_t> leading(type.getShape().drop_back());
  SmallVector<AffineExpr> leadingExprs;
  for (int64_t i = 0; i + 1 < rank; ++i)
    leadingExprs.push_back(getAffineDimExpr(i, ctx));
  auto rowType = RankedTensorType::get(leading, f32);
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
  Value empty = tensor::EmptyOp::create(b, loc, leading, f32);
  Value init =
      linalg::FillOp::create(b, loc, ValueRange{zero}, ValueRange{empty})
          .getResult(0);
  AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
  AffineMap rowMap = AffineMap::get(rank, 0, leadingExprs, ctx);
  SmallVector<utils::IteratorType> iterators(rank - 1,
                                             utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  auto rows = linalg::GenericOp::create(
      b, loc, TypeRange{rowType, rowType, rowType}, ValueRange{x, y},
      ValueRange{init, init, init},
      ArrayRef<AffineMap>{id, id, rowMap, rowMap, rowMap}, iterators,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value a = castToF32(nb, l, args[0]), c = castToF32(nb, l, args[1]);
        Value dot = arith::AddFOp::create(nb, l, args[2],
                                          arith::MulFOp::create(nb, l, a, c));
        Value aa = arith::AddFOp::create(nb, l, args[3],
                                         arith::MulFOp::create(nb, l, a, a));
        Value cc = arith::AddFOp::create(nb, l, args[4],
                                         arith::MulFOp::create(nb, l, c, c));
        linalg::YieldOp::create(nb, l, ValueRange{dot, aa, cc});
      });
  return {rows.getResult(0), rows.getResult(1), rows.getResult(2)};
}

Value depth::buildCosine(OpBuilder &b, Location loc, Value dot, Value xx,
                         Value yy) {
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0));
  Value one = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(1));
  Value minusOne = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(-1));
  Value denom =
      math::SqrtOp::create(b, loc, arith::MulFOp::create(b, loc, xx, yy));
  Value positive =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, denom, zero);
  Value cos = arith::DivFOp::create(b, loc, dot, denom);
  cos = arith::MinimumFOp::create(b, loc, cos, one);
  cos = arith::MaximumFOp::create(b, loc, cos, minusOne);
  return arith::SelectOp::create(b, loc, positive, cos, zero);
}

std::shared_ptr<SafetensorsFile>
depth::openCalibration(Operation *op, StringRef pass, StringRef path) {
  llvm::Expected<std::unique_ptr<SafetensorsFile>> file =
      SafetensorsFile::open(path);
  if (!file) {
    op->emitError() << pass << ": cannot read the calibration statistics '"
                    << path << "': " << llvm::toString(file.takeError());
    return nullptr;
  }
  const auto &meta = (*file)->metadata();
  auto format = meta.find("format");
  if (format == meta.end() || format->second != "txc-calibration") {
    op->emitError() << pass << ": '" << path
                    << "' is not a txc calibrate statistics file";
    return nullptr;
  }
  return std::move(*file);
}

llvm::SetVector<Operation *> txc::depth::kvFillSlice(Block &body) {
  llvm::SetVector<Operation *> slice;
  SmallVector<Operation *> work;
  for (Operation &op : body)
    if (isa<KVAppendOp>(op))
      work.push_back(&op);
  while (!work.empty()) {
    Operation *op = work.pop_back_val();
    if (!slice.insert(op))
      continue;
    op->walk([&](Operation *nested) {
      for (Value operand : nested->getOperands())
        if (Operation *def = operand.getDefiningOp();
            def && def->getBlock() == &body)
          work.push_back(def);
    });
  }
  return slice;
}

bool txc::depth::makeConditional(LayerOp layer, Value allExited) {
  Block &body = layer.getBody().front();
  YieldOp yield = layer.getYield();
  llvm::SetVector<Operation *> fill = kvFillSlice(body);
  SmallVector<Operation *> rest;
  for (Operation &op : body)
    if (&op != yield.getOperation() && !fill.contains(&op))
      rest.push_back(&op);
  if (rest.empty())
    return false;
  OpBuilder b(yield);
  Location loc = layer.getLoc();
  Value input = body.getArgument(0);
  Value result = yield.getValues()[0];
  auto branch = scf::IfOp::create(b, loc, TypeRange{result.getType()},
                                  allExited, /*withElseRegion=*/true);
  // Skipped: what follows the layer (tx-early-exit's select, or
  // tx-mod-prune's scatter of no token) keeps every row of its input, so
  // the branch's value is never read. A fresh tensor (not the
  // input itself) keeps the two branches' buffers of one kind for the
  // bufferization's deallocation.
  OpBuilder thenBuilder = OpBuilder::atBlockEnd(branch.thenBlock());
  auto type = cast<RankedTensorType>(input.getType());
  Value unused = tensor::EmptyOp::create(thenBuilder, loc, type.getShape(),
                                         type.getElementType());
  scf::YieldOp::create(thenBuilder, loc, ValueRange{unused});
  OpBuilder elseBuilder = OpBuilder::atBlockEnd(branch.elseBlock());
  auto elseYield = scf::YieldOp::create(elseBuilder, loc, ValueRange{result});
  for (Operation *op : rest)
    op->moveBefore(elseYield);
  yield->setOperand(0, branch.getResult(0));
  return true;
}
