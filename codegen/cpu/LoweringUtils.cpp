//===- LoweringUtils.cpp - shared tx-to-linalg builders -------------------===//
//
// Implementation of the builders declared in LoweringUtils.h.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

#include <limits>
#include <numeric>

using namespace mlir;

namespace txc::cpu {

Value createEmpty(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                  Type elementType) {
  return tensor::EmptyOp::create(b, loc, shape, elementType);
}

Value createFilled(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                   Value value) {
  Value empty = createEmpty(b, loc, shape, value.getType());
  return linalg::FillOp::create(b, loc, ValueRange{value}, ValueRange{empty})
      .getResult(0);
}

Value createFloat(OpBuilder &b, Location loc, Type type, double value) {
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, value));
}

Value createNegInfinity(OpBuilder &b, Location loc, Type type) {
  return createFloat(b, loc, type, -std::numeric_limits<double>::infinity());
}

Value castFloat(OpBuilder &b, Location loc, Value value, Type to) {
  Type from = value.getType();
  if (from == to)
    return value;
  unsigned fromWidth = from.getIntOrFloatBitWidth();
  unsigned toWidth = to.getIntOrFloatBitWidth();
  if (fromWidth < toWidth)
    return arith::ExtFOp::create(b, loc, to, value);
  if (fromWidth > toWidth)
    return arith::TruncFOp::create(b, loc, to, value);
  // Same width, other format (f16 <-> bf16): go through f32.
  Value wide = arith::ExtFOp::create(b, loc, b.getF32Type(), value);
  return arith::TruncFOp::create(b, loc, to, wide);
}

Value castToIndex(OpBuilder &b, Location loc, Value value) {
  if (value.getType().isIndex())
    return value;
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), value);
}

SmallVector<utils::IteratorType> getIterators(unsigned numParallel,
                                              unsigned numReduction) {
  SmallVector<utils::IteratorType> iterators(numParallel,
                                             utils::IteratorType::parallel);
  iterators.append(numReduction, utils::IteratorType::reduction);
  return iterators;
}

AffineMap getProjection(MLIRContext *ctx, unsigned numDims,
                        ArrayRef<unsigned> dims) {
  SmallVector<AffineExpr> results;
  for (unsigned dim : dims)
    results.push_back(getAffineDimExpr(dim, ctx));
  return AffineMap::get(numDims, /*symbolCount=*/0, results, ctx);
}

AffineMap getDropLastMap(MLIRContext *ctx, unsigned rank) {
  SmallVector<unsigned> leading(rank - 1);
  std::iota(leading.begin(), leading.end(), 0);
  return getProjection(ctx, rank, leading);
}

AffineMap getLastDimMap(MLIRContext *ctx, unsigned rank) {
  return getProjection(ctx, rank, {rank - 1});
}

Value gatherRows(OpBuilder &b, Location loc, Value table, Value ids) {
  auto tableType = cast<RankedTensorType>(table.getType());
  auto idsType = cast<RankedTensorType>(ids.getType());
  unsigned rank = idsType.getRank() + 1;
  SmallVector<int64_t> shape(idsType.getShape());
  shape.push_back(tableType.getDimSize(1));
  Value init = createEmpty(b, loc, shape, tableType.getElementType());

  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps = {getDropLastMap(ctx, rank),
                                 AffineMap::getMultiDimIdentityMap(rank, ctx)};
  auto gather = linalg::GenericOp::create(
      b, loc, init.getType(), ValueRange{ids}, ValueRange{init}, maps,
      getIterators(rank), [&](OpBuilder &nb, Location nloc, ValueRange args) {
        // Clamped into the table: ids computed at run time can never read
        // outside it (ids from a model input are range-checked by the
        // runtime before the run).
        Value row = castToIndex(nb, nloc, args[0]);
        Value zero = arith::ConstantIndexOp::create(nb, nloc, 0);
        Value rows =
            tableType.isDynamicDim(0)
                ? Value(tensor::DimOp::create(nb, nloc, table, 0))
                : Value(arith::ConstantIndexOp::create(
                      nb, nloc, tableType.getDimSize(0)));
        Value last = arith::SubIOp::create(
            nb, nloc, rows, arith::ConstantIndexOp::create(nb, nloc, 1));
        row = arith::MinSIOp::create(
            nb, nloc, arith::MaxSIOp::create(nb, nloc, row, zero), last);
        Value col = linalg::IndexOp::create(nb, nloc, rank - 1);
        Value element =
            tensor::ExtractOp::create(nb, nloc, table, ValueRange{row, col});
        linalg::YieldOp::create(nb, nloc, element);
      });
  return gather.getResult(0);
}

Value toMatrix(OpBuilder &b, Location loc, Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  int64_t k = type.getShape().back();
  if (rank == 2)
    return x;
  if (rank == 1) {
    auto matrixType = RankedTensorType::get({1, k}, type.getElementType());
    return tensor::ExpandShapeOp::create(b, loc, matrixType, x,
                                         {ReassociationIndices{0, 1}});
  }
  ReassociationIndices leading(rank - 1);
  std::iota(leading.begin(), leading.end(), 0);
  return tensor::CollapseShapeOp::create(
      b, loc, x, {leading, ReassociationIndices{rank - 1}});
}

Value fromMatrix(OpBuilder &b, Location loc, Value y,
                        RankedTensorType type) {
  int64_t rank = type.getRank();
  if (rank == 2)
    return y;
  if (rank == 1)
    return tensor::CollapseShapeOp::create(b, loc, type, y,
                                           {ReassociationIndices{0, 1}});
  ReassociationIndices leading(rank - 1);
  std::iota(leading.begin(), leading.end(), 0);
  return tensor::ExpandShapeOp::create(
      b, loc, type, y, {leading, ReassociationIndices{rank - 1}});
}

Value buildLinear(OpBuilder &b, Location loc, Value x, Value w, Value bias,
                  RankedTensorType resultType) {
  Value matrix = toMatrix(b, loc, x);
  int64_t m = cast<RankedTensorType>(matrix.getType()).getDimSize(0);
  int64_t n = cast<RankedTensorType>(w.getType()).getDimSize(0);
  Type elementType = resultType.getElementType();

  // The product accumulates into the bias broadcast over the rows, or zeros.
  Value acc;
  if (bias) {
    Value empty = createEmpty(b, loc, {m, n}, elementType);
    acc = linalg::BroadcastOp::create(b, loc, bias, empty,
                                      /*dimensions=*/ArrayRef<int64_t>{0})
              .getResult()[0];
  } else {
    acc = createFilled(b, loc, {m, n}, createFloat(b, loc, elementType, 0.0));
  }
  auto matmul = linalg::MatmulTransposeBOp::create(
      b, loc, TypeRange{acc.getType()}, ValueRange{matrix, w}, ValueRange{acc});
  return fromMatrix(b, loc, matmul.getResult(0), resultType);
}

} // namespace txc::cpu

void txc::cpu::declareKernel(ModuleOp module, StringRef name,
                             FunctionType type) {
  if (module.lookupSymbol<func::FuncOp>(name))
    return;
  OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
  func::FuncOp::create(b, module.getLoc(), name, type).setPrivate();
}

//===----------------------------------------------------------------------===//
// Buffers and grouped kernel calls
//===----------------------------------------------------------------------===//

Value txc::cpu::rootBuffer(Value v) {
  while (auto view = v.getDefiningOp<ViewLikeOpInterface>())
    v = view.getViewSource();
  return v;
}

bool txc::cpu::touchesAny(Operation *op, const llvm::DenseSet<Value> &roots) {
  WalkResult result = op->walk([&](Operation *nested) {
    for (Value v : nested->getOperands())
      if (isa<MemRefType>(v.getType()) && roots.count(rootBuffer(v)))
        return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return result.wasInterrupted();
}

/// Whether ops between `from` and `to` (same block, both excluded, and
/// skipping `skip`) may write `inputRoot` or touch any buffer of `avoid`.
static bool interferes(Operation *from, Operation *to, Value inputRoot,
                       const llvm::DenseSet<Value> &avoid,
                       const llvm::DenseSet<Operation *> &skip) {
  for (Operation *op = from->getNextNode(); op && op != to;
       op = op->getNextNode()) {
    // Views (pure) access no data; their uses are caught through
    // rootBuffer.
    if (skip.count(op) || isMemoryEffectFree(op))
      continue;
    if (txc::cpu::touchesAny(op, avoid))
      return true;
    if (!inputRoot)
      continue;
    auto iface = dyn_cast<MemoryEffectOpInterface>(op);
    if (!iface)
      return true;
    SmallVector<MemoryEffects::EffectInstance> effects;
    iface.getEffects(effects);
    for (auto &e : effects)
      if (isa<MemoryEffects::Write, MemoryEffects::Free>(e.getEffect()) &&
          (!e.getValue() || txc::cpu::rootBuffer(e.getValue()) == inputRoot))
        return true;
  }
  return false;
}

bool txc::cpu::canDelay(ArrayRef<Operation *> members, Operation *last,
                        Value input) {
  llvm::DenseSet<Operation *> memberOps(members.begin(), members.end());
  memberOps.insert(last);
  if (interferes(members.front(), last, rootBuffer(input), {}, memberOps))
    return false;
  for (Operation *m : members) {
    auto dps = cast<DestinationStyleOpInterface>(m);
    llvm::DenseSet<Value> result = {rootBuffer(dps.getDpsInits()[0])};
    if (interferes(m, last, Value(), result, memberOps))
      return false;
  }
  return true;
}
