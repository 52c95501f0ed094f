//===- DecomposeAggregates.cpp - upstream ops upstream lowering misses ----===//
//
// tx-decompose-aggregates: linalg.softmax and other aggregated ops into
// generics; tx-lower-strided-copies: strided memref.copy into linalg.copy;
// tx-fuse-elementwise: elementwise fusion without reshape propagation.
//
//===----------------------------------------------------------------------===//

#include "txc/Codegen/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/IR/PatternMatch.h"

namespace txc {
#define GEN_PASS_DEF_DECOMPOSEAGGREGATESPASS
#define GEN_PASS_DEF_LOWERSTRIDEDCOPIESPASS
#define GEN_PASS_DEF_FUSEELEMENTWISEPASS
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

  void runOnOperation() override {
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
} // namespace
