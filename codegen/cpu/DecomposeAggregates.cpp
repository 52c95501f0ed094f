//===- DecomposeAggregates.cpp - decompose linalg.softmax and friends -----===//

#include "txc/Codegen/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

namespace txc {
#define GEN_PASS_DEF_DECOMPOSEAGGREGATESPASS
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
} // namespace
