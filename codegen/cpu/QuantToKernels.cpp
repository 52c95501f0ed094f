//===- QuantToKernels.cpp - txcpu.qmatmul / qembed to kernel calls --------===//
//
// tx-quant-to-kernels: after bufferization, each txcpu.qmatmul becomes a
// call of txc_qmatmul, each txcpu.qmatmul_planar one of txc_qmatmul_planar
// and each txcpu.qembed a call of txc_qembed
// (lib/Runtime/kernels/cpu/Quant.h). Planar products that read the same
// input with the same format (a layer's query, key and value projections;
// gate and up) become one call of txc_qmatmul_planar_group at the last of
// them, when nothing in between reads their results or writes the input:
// the input is rounded once and one parallel region covers them all. The
// kernels take dense row-major operands; a read operand with another
// layout is copied into a fresh contiguous buffer, a destination with
// another layout is an error.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "txc/Codegen/Passes.h"
#include "txc/Codegen/TxCpuOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"

namespace txc {
#define GEN_PASS_DEF_QUANTTOKERNELSPASS
#include "txc/Codegen/Passes.h.inc"
} // namespace txc

using namespace mlir;
using namespace txc;
using txc::cpu::CallBuilder;
using txc::cpu::MemRefArgs;

static constexpr llvm::StringLiteral kQMatmul = "txc_qmatmul";
static constexpr llvm::StringLiteral kQEmbed = "txc_qembed";
static constexpr llvm::StringLiteral kQMatmulPlanar = "txc_qmatmul_planar";
static constexpr llvm::StringLiteral kQMatmulPlanarGroup =
    "txc_qmatmul_planar_group";
/// Most products one grouped call takes.
static constexpr unsigned kMaxGroup = 4;

namespace {

/// True for a memref with an identity (or equivalent contiguous row-major)
/// layout; any offset is fine, the element pointer passed includes it.
bool isContiguous(Value v) {
  auto type = cast<MemRefType>(v.getType());
  if (type.getLayout().isIdentity())
    return true;
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)) ||
      !type.hasStaticShape())
    return false;
  int64_t expected = 1;
  for (int64_t d = type.getRank() - 1; d >= 0; --d) {
    if (type.getDimSize(d) != 1 && strides[d] != expected)
      return false;
    expected *= type.getDimSize(d);
  }
  return true;
}

/// `v`, or a contiguous copy of it when its layout is not contiguous (added
/// to `copies`, which the caller frees after the call).
Value contiguous(OpBuilder &b, Location loc, Value v,
                 SmallVectorImpl<Value> &copies) {
  if (isContiguous(v))
    return v;
  auto type = cast<MemRefType>(v.getType());
  SmallVector<Value> sizes;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.isDynamicDim(d))
      sizes.push_back(memref::DimOp::create(b, loc, v, d));
  auto copyType = MemRefType::get(type.getShape(), type.getElementType());
  Value copy = memref::AllocOp::create(b, loc, copyType, sizes);
  memref::CopyOp::create(b, loc, v, copy);
  copies.push_back(copy);
  return copy;
}

/// Whether two planar products may share one grouped call: the same input
/// value and format, every read operand already contiguous.
bool sameGroupFormat(txcpu::QMatmulPlanarOp a, txcpu::QMatmulPlanarOp b) {
  return a.getInput() == b.getInput() && a.getCodeKind() == b.getCodeKind() &&
         a.getScaleKind() == b.getScaleKind() && a.getGroup() == b.getGroup() &&
         a.getInFeatures() == b.getInFeatures() &&
         a->getBlock() == b->getBlock();
}

bool groupable(txcpu::QMatmulPlanarOp op) {
  return isContiguous(op.getInput()) && isContiguous(op.getCodes()) &&
         isContiguous(op.getScales()) &&
         (!op.getZeros() || isContiguous(op.getZeros())) &&
         isContiguous(op.getDpsInits()[0]);
}

/// Runs of up to kMaxGroup planar products (in program order) that read the
/// same input in the same format and may all run at their last member.
SmallVector<SmallVector<txcpu::QMatmulPlanarOp>>
groupByInput(ArrayRef<Operation *> ops) {
  SmallVector<SmallVector<txcpu::QMatmulPlanarOp>> groups;
  llvm::DenseMap<Value, unsigned> open; // input -> its growing group
  for (Operation *op : ops) {
    auto p = dyn_cast<txcpu::QMatmulPlanarOp>(op);
    if (!p || !groupable(p))
      continue;
    auto it = open.find(p.getInput());
    if (it != open.end()) {
      SmallVector<txcpu::QMatmulPlanarOp> &g = groups[it->second];
      SmallVector<Operation *> members(g.begin(), g.end());
      if (g.size() < kMaxGroup && sameGroupFormat(g.front(), p) &&
          txc::cpu::canDelay(members, p, p.getInput())) {
        g.push_back(p);
        continue;
      }
    }
    open[p.getInput()] = groups.size();
    groups.push_back({p});
  }
  return groups;
}

struct QuantToKernelsPass
    : public txc::impl::QuantToKernelsPassBase<QuantToKernelsPass> {
  using QuantToKernelsPassBase::QuantToKernelsPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<Operation *> ops;
    bool tensors = false;
    module.walk([&](Operation *op) {
      if (auto m = dyn_cast<txcpu::QMatmulOp>(op))
        (m.hasBufferSemantics() ? ops.push_back(op) : (void)(tensors = true));
      else if (auto p = dyn_cast<txcpu::QMatmulPlanarOp>(op))
        (p.hasBufferSemantics() ? ops.push_back(op) : (void)(tensors = true));
      else if (auto e = dyn_cast<txcpu::QEmbedOp>(op))
        (e.hasBufferSemantics() ? ops.push_back(op) : (void)(tensors = true));
    });
    if (tensors) {
      module.emitError() << "tx-quant-to-kernels: txcpu.qmatmul, "
                            "txcpu.qmatmul_planar or txcpu.qembed on "
                            "tensors; run it after bufferization";
      return signalPassFailure();
    }
    if (ops.empty())
      return;

    OpBuilder b(&getContext());
    Type i64 = b.getI64Type(), i32 = b.getI32Type();
    // (type, x, w, y, m, n, k) and (type, table, rows, k, ids, count, out).
    txc::cpu::declareKernel(
        module, kQMatmul,
        b.getFunctionType({i32, i64, i64, i64, i64, i64, i64}, {}));
    txc::cpu::declareKernel(
        module, kQEmbed,
        b.getFunctionType({i32, i64, i64, i64, i64, i64, i64}, {}));
    // (codeKind, scaleKind, x, codes, scales, zeros, tensorScale, y, m, n,
    // k, group).
    txc::cpu::declareKernel(
        module, kQMatmulPlanar,
        b.getFunctionType({i32, i32, i64, i64, i64, i64, b.getF32Type(), i64,
                           i64, i64, i64, i64},
                          {}));

    // Grouped planar products: one call at the last member.
    llvm::DenseSet<Operation *> grouped;
    bool declaredGroup = false;
    for (auto &group : groupByInput(ops)) {
      if (group.size() < 2)
        continue;
      if (!declaredGroup) {
        // (codeKind, scaleKind, group, x, m, k, count, then per member
        // codes, scales, zeros, tensorScale, y, n).
        SmallVector<Type> types = {i32, i32, i64, i64, i64, i64, i64};
        for (unsigned i = 0; i < kMaxGroup; ++i)
          types.append({i64, i64, i64, b.getF32Type(), i64, i64});
        txc::cpu::declareKernel(module, kQMatmulPlanarGroup,
                                b.getFunctionType(types, {}));
        declaredGroup = true;
      }
      txcpu::QMatmulPlanarOp last = group.back();
      b.setInsertionPoint(last);
      Location loc = last.getLoc();
      CallBuilder c(b, loc);
      MemRefArgs x = c.describe(last.getInput());
      SmallVector<Value> args = {c.i32(last.getCodeKind()),
                                 c.i32(last.getScaleKind()),
                                 c.i64(last.getGroup()),
                                 x.pointer,
                                 c.size(x, 0),
                                 c.i64(last.getInFeatures()),
                                 c.i64(group.size())};
      Value zeroF = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
      for (unsigned i = 0; i < kMaxGroup; ++i) {
        if (i >= group.size()) {
          args.append(
              {c.i64(0), c.i64(0), c.i64(0), zeroF, c.i64(0), c.i64(0)});
          continue;
        }
        txcpu::QMatmulPlanarOp p = group[i];
        MemRefArgs codes = c.describe(p.getCodes());
        MemRefArgs scales = c.describe(p.getScales());
        Value zeros = c.i64(0);
        if (Value z = p.getZeros())
          zeros = c.describe(z).pointer;
        MemRefArgs y = c.describe(p.getDpsInits()[0]);
        args.append(
            {codes.pointer, scales.pointer, zeros,
             arith::ConstantOp::create(
                 b, loc,
                 b.getF32FloatAttr(p.getTensorScale().convertToFloat())),
             y.pointer, c.size(codes, 0)});
      }
      func::CallOp::create(b, loc, kQMatmulPlanarGroup, TypeRange{}, args);
      for (txcpu::QMatmulPlanarOp p : group) {
        grouped.insert(p);
        ++numKernelCalls;
      }
    }

    for (Operation *op : ops) {
      if (grouped.count(op)) {
        op->erase();
        continue;
      }
      b.setInsertionPoint(op);
      Location loc = op->getLoc();
      CallBuilder c(b, loc);
      SmallVector<Value> copies;
      auto dps = cast<DestinationStyleOpInterface>(op);
      Value init = dps.getDpsInits()[0];
      if (!isContiguous(init)) {
        op->emitError() << "tx-quant-to-kernels: the destination of the "
                           "kernel call is not a contiguous buffer";
        return signalPassFailure();
      }
      if (auto m = dyn_cast<txcpu::QMatmulOp>(op)) {
        MemRefArgs x = c.describe(contiguous(b, loc, m.getInput(), copies));
        MemRefArgs w = c.describe(contiguous(b, loc, m.getWeight(), copies));
        MemRefArgs y = c.describe(init);
        func::CallOp::create(
            b, loc, kQMatmul, TypeRange{},
            ValueRange{c.i32(m.getGgmlType()), x.pointer, w.pointer,
                       y.pointer, c.size(x, 0), c.size(w, 0),
                       c.i64(m.getInFeatures())});
      } else if (auto p = dyn_cast<txcpu::QMatmulPlanarOp>(op)) {
        MemRefArgs x = c.describe(contiguous(b, loc, p.getInput(), copies));
        MemRefArgs codes = c.describe(contiguous(b, loc, p.getCodes(), copies));
        MemRefArgs scales =
            c.describe(contiguous(b, loc, p.getScales(), copies));
        Value zeros = c.i64(0);
        if (Value z = p.getZeros())
          zeros = c.describe(contiguous(b, loc, z, copies)).pointer;
        MemRefArgs y = c.describe(init);
        Value tensorScale = arith::ConstantOp::create(
            b, loc, b.getF32FloatAttr(p.getTensorScale().convertToFloat()));
        func::CallOp::create(
            b, loc, kQMatmulPlanar, TypeRange{},
            ValueRange{c.i32(p.getCodeKind()), c.i32(p.getScaleKind()),
                       x.pointer, codes.pointer, scales.pointer, zeros,
                       tensorScale, y.pointer, c.size(x, 0), c.size(codes, 0),
                       c.i64(p.getInFeatures()), c.i64(p.getGroup())});
      } else {
        auto e = cast<txcpu::QEmbedOp>(op);
        MemRefArgs table = c.describe(contiguous(b, loc, e.getTable(), copies));
        MemRefArgs ids = c.describe(contiguous(b, loc, e.getIds(), copies));
        MemRefArgs out = c.describe(init);
        func::CallOp::create(
            b, loc, kQEmbed, TypeRange{},
            ValueRange{c.i32(e.getGgmlType()), table.pointer,
                       c.size(table, 0), c.i64(e.getInFeatures()),
                       ids.pointer, c.size(ids, 0), out.pointer});
      }
      for (Value copy : copies)
        memref::DeallocOp::create(b, loc, copy);
      op->erase();
      ++numKernelCalls;
    }
  }
};

} // namespace
