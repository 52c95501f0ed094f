//===- RaiseAttention.cpp - Raises matmul-softmax-matmul chains to tx.attention
//===//

#include "RaiseUtils.h"
#include "txc/Dialect/Tx/TxOps.h"
#include "txc/Passes/Passes.h"

namespace txc {
#define GEN_PASS_DEF_RAISEATTENTIONPASS
#include "txc/Passes/Passes.h.inc"
} // namespace txc

using namespace mlir;
using namespace txc;

namespace {
struct RaiseAttentionPass
    : public txc::impl::RaiseAttentionPassBase<RaiseAttentionPass> {
  using RaiseAttentionPassBase::RaiseAttentionPassBase;
  void runOnOperation() override {}
};
} // namespace
