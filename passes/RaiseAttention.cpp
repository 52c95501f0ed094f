//===- RaiseAttention.cpp - softmax(Q K^T) V chains to tx.attention ------===//
//
// Exporters decompose scaled dot-product attention into
//
//   scores = contract(Q [* c], K^T [* c]) [* c | / c]
//   scores = scores + mask | select(cond, scores, -big)
//   out    = contract(softmax(scores, dim 3), V)
//
// with the GQA repetition of K and V (repeat_kv) as broadcast + collapse. This
// pass matches that chain from each linalg.softmax, folds the constant scale
// factors into the `scale` attribute, strips the repetition, classifies
// constant masks into tx.attention's structured mask kinds, and replaces the
// final contraction with one tx.attention. Ops of the chain that have other
// users stay; the rest are erased once dead.
//
// The stages live in RaiseAttention{Layout,Contraction,Mask,Match,Rewrite}.cpp
// (see RaiseAttention.h); this file runs them over a function.
//
//===----------------------------------------------------------------------===//

#include "RaiseAttention.h"
#include "RaiseUtils.h"
#include "txc/Passes/Passes.h"

namespace txc {
#define GEN_PASS_DEF_RAISEATTENTIONPASS
#include "txc/Passes/Passes.h.inc"
} // namespace txc

using namespace mlir;
using namespace txc;
using namespace txc::raise;
using namespace txc::raise::attention;

namespace {
struct RaiseAttentionPass
    : public txc::impl::RaiseAttentionPassBase<RaiseAttentionPass> {
  using RaiseAttentionPassBase::RaiseAttentionPassBase;

  void runOnOperation() override {
    normalizeOperandLayouts(getOperation());
    SmallVector<linalg::SoftmaxOp> softmaxes;
    getOperation()->walk(
        [&](linalg::SoftmaxOp op) { softmaxes.push_back(op); });

    llvm::SetVector<Operation *> maybeDead;
    for (linalg::SoftmaxOp softmax : softmaxes) {
      AttentionMatcher matcher(softmax);
      if (succeeded(matcher.match())) {
        matcher.rewrite(maybeDead);
        ++numAttention;
        continue;
      }
      if (matcher.looksLikeAttention())
        softmax.emitRemark()
            << "not raised to tx.attention: " << matcher.reason();
    }
    eraseDeadOps(maybeDead);
  }
};
} // namespace
