//===- QuantToKernels.cpp - txcpu.qmatmul / qembed to kernel calls --------===//
//
// tx-quant-to-kernels: after bufferization, each txcpu.qmatmul becomes a
// call of txc_qmatmul, each txcpu.qmatmul_planar one of txc_qmatmul_planar
// and each txcpu.qembed a call of txc_qembed
// (lib/Runtime/kernels/cpu/Quant.h). The kernels take dense row-major
// operands; a read operand with another layout is copied into a fresh
// contiguous buffer, a destination with another layout is an error.
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

    for (Operation *op : ops) {
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
