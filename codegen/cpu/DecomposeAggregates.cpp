//===- DecomposeAggregates.cpp - upstream ops upstream lowering misses ----===//
//
// tx-decompose-aggregates: linalg.softmax and other aggregated ops into
// generics; tx-lower-strided-copies: strided memref.copy into linalg.copy;
// tx-fuse-elementwise: elementwise fusion without reshape propagation;
// tx-inline-helpers: generated helpers over dynamic memrefs inlined.
//
//===----------------------------------------------------------------------===//

#include "txc/Codegen/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Transforms/Inliner.h"
#include "mlir/Transforms/InliningUtils.h"

namespace txc {
#define GEN_PASS_DEF_DECOMPOSEAGGREGATESPASS
#define GEN_PASS_DEF_LOWERSTRIDEDCOPIESPASS
#define GEN_PASS_DEF_FUSEELEMENTWISEPASS
#define GEN_PASS_DEF_INLINEHELPERSPASS
#include "txc/Codegen/Passes.h.inc"
} // namespace txc

using namespace mlir;

namespace {
struct DecomposeAggregatesPass
    : public txc::impl::DecomposeAggregatesPassBase<DecomposeAggregatesPass> {
  using DecomposeAggregatesPassBase::DecomposeAggregatesPassBase;

  void runOnOperation() override {
    SmallVector<linalg::AggregatedOpInterface> ops;
    getOperation()->walk(
        [&](linalg::AggregatedOpInterface op) { ops.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (linalg::AggregatedOpInterface op : ops) {
      rewriter.setInsertionPoint(op);
      // An op that cannot be decomposed stays; lowering to loops then
      // reports it.
      FailureOr<SmallVector<Value>> results = op.decomposeOperation(rewriter);
      if (succeeded(results))
        rewriter.replaceOp(op, *results);
    }
  }
};

struct FuseElementwisePass
    : public txc::impl::FuseElementwisePassBase<FuseElementwisePass> {
  using FuseElementwisePassBase::FuseElementwisePassBase;

  void duplicateSharedFills();

  void runOnOperation() override {
    duplicateSharedFills();
    RewritePatternSet patterns(&getContext());
    linalg::populateElementwiseOpsFusionPatterns(
        patterns, [](OpOperand *operand) {
          Operation *producer = operand->get().getDefiningOp();
          return producer && producer->hasOneUse();
        });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

/// A fill of an empty tensor used by several ops (the zeros two matmuls
/// accumulate into) bufferizes to one buffer plus a copy for every user
/// but one; recomputing the fill per user is cheaper than the copies.
void FuseElementwisePass::duplicateSharedFills() {
  SmallVector<linalg::FillOp> fills;
  getOperation()->walk([&](linalg::FillOp fill) {
    if (fill.hasPureTensorSemantics() && !fill->hasOneUse() &&
        fill.getOutputs()[0].getDefiningOp<tensor::EmptyOp>())
      fills.push_back(fill);
  });
  OpBuilder b(&getContext());
  for (linalg::FillOp fill : fills) {
    auto empty = fill.getOutputs()[0].getDefiningOp<tensor::EmptyOp>();
    SmallVector<OpOperand *> uses;
    for (OpOperand &use : fill->getResult(0).getUses())
      uses.push_back(&use);
    for (OpOperand *use : llvm::drop_begin(uses)) {
      b.setInsertionPoint(use->getOwner());
      Operation *init = b.clone(*empty);
      IRMapping mapping;
      mapping.map(empty.getResult(), init->getResult(0));
      use->set(b.clone(*fill, mapping)->getResult(0));
    }
  }
}

struct LowerStridedCopiesPass
    : public txc::impl::LowerStridedCopiesPassBase<LowerStridedCopiesPass> {
  using LowerStridedCopiesPassBase::LowerStridedCopiesPassBase;

  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation()->walk([&](memref::CopyOp copy) {
      auto src = cast<MemRefType>(copy.getSource().getType());
      auto dst = cast<MemRefType>(copy.getTarget().getType());
      if (!src.getLayout().isIdentity() || !dst.getLayout().isIdentity())
        copies.push_back(copy);
    });
    IRRewriter rewriter(&getContext());
    for (memref::CopyOp copy : copies) {
      rewriter.setInsertionPoint(copy);
      rewriter.replaceOpWithNewOp<linalg::CopyOp>(copy, copy.getSource(),
                                                  copy.getTarget());
    }
  }
};
struct InlineHelpersPass
    : public txc::impl::InlineHelpersPassBase<InlineHelpersPass> {
  using InlineHelpersPassBase::InlineHelpersPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto dynamicMemRef = [](Type type) {
      auto memref = dyn_cast<MemRefType>(type);
      return memref && !memref.hasStaticShape();
    };
    SmallVector<func::CallOp> calls;
    module.walk([&](func::CallOp call) { calls.push_back(call); });
    InlinerInterface interface(&getContext());
    InlinerConfig config;
    llvm::SetVector<func::FuncOp> inlined;
    for (func::CallOp call : calls) {
      auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
      if (!callee || callee.isExternal() || !callee.isPrivate() ||
          !llvm::any_of(callee.getArgumentTypes(), dynamicMemRef))
        continue;
      if (failed(inlineCall(interface, config.getCloneCallback(), call,
                            callee, &callee.getBody()))) {
        call.emitError() << "tx-inline-helpers: cannot inline the call to @"
                         << callee.getSymName();
        return signalPassFailure();
      }
      call.erase();
      inlined.insert(callee);
    }
    for (func::FuncOp callee : inlined)
      if (SymbolTable::symbolKnownUseEmpty(callee, module))
        callee.erase();
  }
};
} // namespace
