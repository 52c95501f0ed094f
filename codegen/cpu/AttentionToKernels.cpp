//===- AttentionToKernels.cpp - txcpu.attention to the kernel call --------===//
//
// tx-attention-to-kernels: after bufferization, each txcpu.attention on
// memrefs becomes a call of txc_attention_f32 (lib/Runtime/kernels/cpu/
// Attention.h) with element pointers (base + offset), sizes and strides
// taken from the memrefs' types where they are static and from
// memref.extract_strided_metadata where not. A size-1 dimension of the
// explicit mask is broadcast: its stride is passed as 0. Over a quantized
// KV cache (i8 keys and values with `kv_format`) the call is
// txc_attention_kvq, the same arguments (strides in bytes) and the format;
// txcpu.kv_quant_append becomes a call of txc_kv_quant_append
// (lib/Runtime/kernels/cpu/KVQuant.h).
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
static constexpr llvm::StringLiteral kAttentionKVQ = "txc_attention_kvq";
static constexpr llvm::StringLiteral kKVQuantAppend = "txc_kv_quant_append";

namespace {

struct AttentionToKernelsPass
    : public txc::impl::AttentionToKernelsPassBase<AttentionToKernelsPass> {
  using AttentionToKernelsPassBase::AttentionToKernelsPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<txcpu::AttentionOp> ops;
    SmallVector<txcpu::KVQuantAppendOp> appends;
    StringRef tensorOp;
    module.walk([&](Operation *op) {
      if (auto attention = dyn_cast<txcpu::AttentionOp>(op)) {
        if (attention.hasBufferSemantics())
          ops.push_back(attention);
        else
          tensorOp = "txcpu.attention";
      } else if (auto append = dyn_cast<txcpu::KVQuantAppendOp>(op)) {
        if (append.hasBufferSemantics())
          appends.push_back(append);
        else if (tensorOp.empty())
          tensorOp = "txcpu.kv_quant_append";
      }
    });
    if (!tensorOp.empty()) {
      module.emitError() << "tx-attention-to-kernels: " << tensorOp
                         << " on tensors; run it after bufferization";
      return signalPassFailure();
    }
    OpBuilder b(&getContext());
    Type i64 = b.getI64Type(), i32 = b.getI32Type(), f32 = b.getF32Type();
    lowerAppends(module, b, appends);
    if (ops.empty())
      return;

    // Pointers q, k, v, out; 7 sizes; 4 x 4 strides; scale, mask kind,
    // window, sinks; explicit mask pointer, kind and 4 strides.
    SmallVector<Type> inputs(4 + 7 + 16, i64);
    inputs.append({f32, i32, i64, i64, i64, i32, i64, i64, i64, i64});
    // Paged cache: block table pointer, block size, table row stride.
    inputs.append({i64, i64, i64});
    bool plain = false, quantized = false;
    for (txcpu::AttentionOp op : ops)
      (op.getKvFormat() ? quantized : plain) = true;
    if (plain)
      txc::cpu::declareKernel(module, kAttention,
                              b.getFunctionType(inputs, {}));
    if (quantized) {
      SmallVector<Type> kvq(inputs);
      kvq.push_back(i32); // the cache's KVFormat
      txc::cpu::declareKernel(module, kAttentionKVQ,
                              b.getFunctionType(kvq, {}));
    }

    for (txcpu::AttentionOp op : ops) {
      b.setInsertionPoint(op);
      CallBuilder c(b, op.getLoc());
      MemRefArgs q = c.describe(op.getQuery()), k = c.describe(op.getKey()),
                 v = c.describe(op.getValue()), o = c.describe(op.getInit());
      SmallVector<Value> args = {q.pointer, k.pointer, v.pointer, o.pointer};
      // batch, heads, kvHeads, queries, keys, headDim, valueDim
      // With kv_length, the keys are the cache's first kv_length entries
      // (the strides stay those of the whole cache). A quantized cache's
      // value rows hold valueDim codes and a scale: valueDim is the
      // output's.
      Value keys = c.size(k, 2);
      if (Value length = op.getKvLength())
        keys = arith::IndexCastOp::create(b, op.getLoc(), b.getI64Type(),
                                          length);
      args.append({c.size(q, 0), c.size(q, 1), c.size(k, 1), c.size(q, 2), keys,
                   c.size(q, 3),
                   op.getKvFormat() ? c.size(o, 3) : c.size(v, 3)});
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
      if (std::optional<int32_t> format = op.getKvFormat())
        args.push_back(c.i32(*format));
      func::CallOp::create(b, op.getLoc(),
                           op.getKvFormat() ? kAttentionKVQ : kAttention,
                           TypeRange{}, args);
      op.erase();
      ++numKernelCalls;
    }
  }

  /// txcpu.kv_quant_append (memrefs) to calls of txc_kv_quant_append.
  void lowerAppends(ModuleOp module, OpBuilder &b,
                    ArrayRef<txcpu::KVQuantAppendOp> appends) {
    if (appends.empty())
      return;
    Type i64 = b.getI64Type(), i32 = b.getI32Type();
    // Source pointer, 4 sizes, 4 strides; cache pointer, 5 strides, layer,
    // kv, position; format; block table pointer, block size, table stride.
    SmallVector<Type> inputs(1 + 4 + 4 + 1 + 5 + 3, i64);
    inputs.append({i32, i64, i64, i64});
    txc::cpu::declareKernel(module, kKVQuantAppend,
                            b.getFunctionType(inputs, {}));
    for (txcpu::KVQuantAppendOp op : appends) {
      b.setInsertionPoint(op);
      CallBuilder c(b, op.getLoc());
      MemRefArgs src = c.describe(op.getSource()),
                 cache = c.describe(op.getCache());
      SmallVector<Value> args = {src.pointer};
      for (unsigned d = 0; d < 4; ++d)
        args.push_back(c.size(src, d));
      args.append(src.strides.begin(), src.strides.end());
      args.push_back(cache.pointer);
      args.append(cache.strides.begin(), cache.strides.begin() + 5);
      args.append({c.i64(op.getLayer()), c.i64(op.getKv()),
                   c.toI64(op.getPosition()), c.i32(op.getKvFormat())});
      if (Value table = op.getBlockTable()) {
        MemRefArgs t = c.describe(table);
        args.append({t.pointer, c.i64(*op.getBlockSize()), t.strides[0]});
      } else {
        args.append({c.i64(0), c.i64(0), c.i64(0)});
      }
      func::CallOp::create(b, op.getLoc(), kKVQuantAppend, TypeRange{}, args);
      op.erase();
      ++numKernelCalls;
    }
  }
};

} // namespace
