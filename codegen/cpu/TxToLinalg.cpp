//===- TxToLinalg.cpp - decompose tx ops into upstream dialects -----------===//
//
// The tx-lower-to-linalg pass: the reference lowering of tx compute ops to
// linalg, tensor, arith and math ops on tensors, which the CPU backend then
// bufferizes and lowers to LLVM. The patterns live in one file per op family
// (TxToLinalg<Family>.cpp); this file drives them:
//
//  1. every tx op is checked first, so that an op the CPU backend cannot
//     lower yet (tx.kv_commit, draft-tree verification, block-sparse selection,
//     tree and block-sparse attention masks), a dynamic shape or a quantized
//     weight that is not built by tx.qpack gets one clear error and the IR
//     is left untouched;
//  2. the patterns are applied greedily (tx.layer regions are inlined, the
//     other ops replaced);
//  3. any tx op left but tx.weight, which stays as is, is an error.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "txc/Codegen/Passes.h"
#include "txc/Dialect/Tx/TxOps.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace txc {
#define GEN_PASS_DEF_TXLOWERTOLINALGPASS
#include "txc/Codegen/Passes.h.inc"
} // namespace txc

using namespace mlir;
using namespace txc;

namespace {

/// Reports that `what` (an op name, or an op with the attribute that makes it
/// unsupported) cannot be lowered by this pass.
static LogicalResult emitNotSupported(Operation *op, const Twine &what) {
  return op->emitError() << "tx-lower-to-linalg: " << what
                         << " is not supported by the CPU backend yet";
}

/// True for the tx ops this pass lowers (or keeps, for tx.weight).
static bool isLowerable(Operation *op) {
  return isa<tx::LayerOp, tx::YieldOp, tx::LinearOp, tx::RMSNormOp,
             tx::LayerNormOp, tx::RopeOp, tx::EmbeddingOp, tx::AttentionOp,
             tx::QPackOp, tx::QBlocksOp, tx::DequantOp, tx::QLinearOp,
             tx::TreeMaskOp,
             tx::RouteOp, tx::GatherTokensOp, tx::ScatterTokensOp,
             tx::WeightOp, tx::KVAppendOp, tx::KVViewOp>(op);
}

/// Checks that the tx op `op` can be lowered, emitting an error when not.
static LogicalResult checkLowerable(Operation *op) {
  if (!isLowerable(op))
    return emitNotSupported(op, op->getName().getStringRef());
  if (auto attention = dyn_cast<tx::AttentionOp>(op)) {
    tx::MaskKind kind = attention.getMask();
    if (kind == tx::MaskKind::tree || kind == tx::MaskKind::block_sparse)
      return emitNotSupported(op, "tx.attention with mask kind " +
                                      tx::stringifyMaskKind(kind));
  }
  for (Type type :
       llvm::concat<const Type>(op->getOperandTypes(), op->getResultTypes())) {
    auto tensorType = dyn_cast<RankedTensorType>(type);
    if (tensorType && !tensorType.hasStaticShape())
      return op->emitError() << "tx-lower-to-linalg: dynamic shapes are not "
                                "supported by the CPU backend yet, got "
                             << type;
  }
  if (isa<tx::DequantOp>(op) && !cpu::findQPack(op->getOperand(0)))
    return op->emitError()
           << "tx-lower-to-linalg: tx.dequant needs a weight built by "
              "tx.qpack (block-format weights are only multiplied and "
              "looked up, by the kernels)";
  if (isa<tx::QLinearOp>(op) && !cpu::findQWeightDef(op->getOperand(1)))
    return op->emitError() << "tx-lower-to-linalg: the quantized weight "
                              "must be built by tx.qpack or tx.qblocks";
  if (auto qlinear = dyn_cast<tx::QLinearOp>(op);
      qlinear && cpu::findQBlocks(qlinear.getWeight()) &&
      (!qlinear.getType().getElementType().isF32() ||
       !qlinear.getInput().getType().getElementType().isF32()))
    return op->emitError() << "tx-lower-to-linalg: tx.qlinear on a GGUF "
                              "block-format weight needs f32 input and result";
  if (auto embedding = dyn_cast<tx::EmbeddingOp>(op);
      embedding && isa<tx::QWeightType>(embedding.getTable().getType()) &&
      (!cpu::findQBlocks(embedding.getTable()) ||
       !embedding.getType().getElementType().isF32()))
    return op->emitError()
           << "tx-lower-to-linalg: tx.embedding of a quantized table needs a "
              "GGUF block-format table (tx.qblocks) and an f32 result";
  return success();
}

struct TxLowerToLinalgPass
    : public txc::impl::TxLowerToLinalgPassBase<TxLowerToLinalgPass> {
  using TxLowerToLinalgPassBase::TxLowerToLinalgPassBase;

  void runOnOperation() override {
    Operation *root = getOperation();
    auto isTxOp = [](Operation *op) {
      return isa_and_present<tx::TxDialect>(op->getDialect());
    };

    // 1. Report every op that cannot be lowered before changing anything.
    bool lowerable = true;
    root->walk([&](Operation *op) {
      if (isTxOp(op) && failed(checkLowerable(op)))
        lowerable = false;
      // Only the kernel reads a cache up to a run-time length.
      auto attention = dyn_cast<tx::AttentionOp>(op);
      if (lowerable && attention && attention.getKvLength() &&
          (!attentionKernel ||
           !llvm::all_of(attention->getOperandTypes(), [](Type t) {
             auto tensor = dyn_cast<RankedTensorType>(t);
             return !tensor || tensor.getElementType().isF32() ||
                    tensor.getElementType().isInteger(1);
           }))) {
        op->emitError() << "tx-lower-to-linalg: tx.attention with kv_length "
                           "needs the attention kernel (f32 query, key and "
                           "value, attention-kernel=true)";
        lowerable = false;
      }
    });
    if (!lowerable)
      return signalPassFailure();

    // Inputs that index a table (token ids read by an embedding) get their
    // valid range, which the runtime checks before every run: the compiled
    // gather cannot report an error.
    root->walk([&](tx::EmbeddingOp op) {
      tx::recordIndexRange(op.getIds(), 0, op.getVocabSize());
    });

    // 2. Lower. Whether the driver converged is judged by what is left.
    RewritePatternSet patterns(&getContext());
    cpu::populateCoreLoweringPatterns(patterns);
    cpu::populateNormLoweringPatterns(patterns);
    cpu::populateRopeLoweringPatterns(patterns);
    cpu::populateAttentionLoweringPatterns(patterns, attentionKernel);
    cpu::populateQuantLoweringPatterns(patterns);
    cpu::populateRoutingLoweringPatterns(patterns);
    (void)applyPatternsGreedily(root, std::move(patterns));

    // 2b. The KV cache, now that layer regions are inlined.
    bool cacheLowered = true;
    root->walk([&](func::FuncOp func) {
      if (!func.isExternal() && failed(cpu::lowerKVCache(func)))
        cacheLowered = false;
    });
    if (!cacheLowered)
      return signalPassFailure();

    // 3. Only tx.weight may remain. A tx.qpack stays when its weight has a
    //    user other than tx.dequant / tx.qlinear (e.g. a return).
    root->walk([&](Operation *op) {
      if (!isTxOp(op) || isa<tx::WeightOp>(op))
        return;
      if (isa<tx::QPackOp, tx::QBlocksOp>(op))
        op->emitError() << "tx-lower-to-linalg: a quantized weight can only "
                           "be used by tx.dequant, tx.qlinear and "
                           "tx.embedding";
      else
        (void)emitNotSupported(op, op->getName().getStringRef());
      lowerable = false;
    });
    if (!lowerable)
      signalPassFailure();
  }
};

} // namespace
