//===- AttentionToKernels.cpp - txcpu.attention to the kernel call --------===//
//
// tx-attention-to-kernels: after bufferization, each txcpu.attention on
// memrefs becomes a call of txc_attention_f32 (lib/Runtime/kernels/cpu/
// Attention.h) with element pointers (base + offset), sizes and strides
// taken from the memrefs' types where they are static and from
// memref.extract_strided_metadata where not. A size-1 dimension of the
// explicit mask is broadcast: its stride is passed as 0.
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
#define GEN_PASS_DEF_ATTENTIONTOKERNELSPASS
#include "txc/Codegen/Passes.h.inc"
} // namespace txc

using namespace mlir;
using namespace txc;
using txc::cpu::CallBuilder;
using txc::cpu::MemRefArgs;

static constexpr llvm::StringLiteral kAttention = "txc_attention_f32";

namespace {

struct AttentionToKernelsPass
    : public txc::impl::AttentionToKernelsPassBase<AttentionToKernelsPass> {
  using AttentionToKernelsPassBase::AttentionToKernelsPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<txcpu::AttentionOp> ops;
    bool tensors = false;
    module.walk([&](txcpu::AttentionOp op) {
      if (op.hasBufferSemantics())
        ops.push_back(op);
      else
        tensors = true;
    });
    if (tensors) {
      module.emitError() << "tx-attention-to-kernels: txcpu.attention on "
                            "tensors; run it after bufferization";
      return signalPassFailure();
    }
    if (ops.empty())
      return;

    OpBuilder b(&getContext());
    Type i64 = b.getI64Type(), i32 = b.getI32Type(), f32 = b.getF32Type();
    // Pointers q, k, v, out; 7 sizes; 4 x 4 strides; scale, mask kind,
    // window, sinks; explicit mask pointer, kind and 4 strides.
    SmallVector<Type> inputs(4 + 7 + 16, i64);
    inputs.append({f32, i32, i64, i64, i64, i32, i64, i64, i64, i64});
    // Paged cache: block table pointer, block size, table row stride.
    inputs.append({i64, i64, i64});
    txc::cpu::declareKernel(module, kAttention, b.getFunctionType(inputs, {}));

    for (txcpu::AttentionOp op : ops) {
      b.setInsertionPoint(op);
      CallBuilder c(b, op.getLoc());
      MemRefArgs q = c.describe(op.getQuery()), k = c.describe(op.getKey()),
                 v = c.describe(op.getValue()), o = c.describe(op.getInit());
      SmallVector<Value> args = {q.pointer, k.pointer, v.pointer, o.pointer};
      // batch, heads, kvHeads, queries, keys, headDim, valueDim
      // With kv_length, the keys are the cache's first kv_length entries
      // (the strides stay those of the whole cache).
      Value keys = c.size(k, 2);
      if (Value length = op.getKvLength())
        keys = arith::IndexCastOp::create(b, op.getLoc(), b.getI64Type(),
                                          length);
      args.append({c.size(q, 0), c.size(q, 1), c.size(k, 1), c.size(q, 2),
                   keys, c.size(q, 3), c.size(v, 3)});
      for (MemRefArgs *m : {&q, &k, &v, &o})
        args.append(m->strides.begin(), m->strides.end());

      args.push_back(
          arith::ConstantOp::create(b, op.getLoc(),
                                    b.getF32FloatAttr(static_cast<float>(
                                        op.getScale().convertToDouble()))));
      int64_t kind = op.getMask() == tx::MaskKind::causal           ? 1
                     : op.getMask() == tx::MaskKind::sliding_window ? 2
                                                                    : 0;
      args.push_back(c.i32(kind));
      args.push_back(c.i64(op.getWindow().value_or(0)));
      args.push_back(c.i64(op.getSinks().value_or(0)));

      if (Value mask = op.getExplicitMask()) {
        MemRefArgs m = c.describe(mask, /*broadcastUnitDims=*/true);
        bool isBool =
            cast<MemRefType>(mask.getType()).getElementType().isInteger(1);
        args.push_back(m.pointer);
        args.push_back(c.i32(isBool ? 1 : 2));
        args.append(m.strides.begin(), m.strides.end());
      } else {
        args.push_back(c.i64(0));
        args.push_back(c.i32(0));
        for (int d = 0; d < 4; ++d)
          args.push_back(c.i64(0));
      }
      if (Value table = op.getBlockTable()) {
        MemRefArgs t = c.describe(table);
        args.push_back(t.pointer);
        args.push_back(c.i64(*op.getBlockSize()));
        args.push_back(t.strides[0]);
      } else {
        for (int d = 0; d < 3; ++d)
          args.push_back(c.i64(0));
      }
      func::CallOp::create(b, op.getLoc(), kAttention, TypeRange{}, args);
      op.erase();
      ++numKernelCalls;
    }
  }
};

} // namespace
