//===- RaiseRope.cpp - Raises rotary position embedding patterns to tx.rope ===//

#include "RaiseUtils.h"
#include "txc/Dialect/Tx/TxOps.h"
#include "txc/Passes/Passes.h"

namespace txc {
#define GEN_PASS_DEF_RAISEROPEPASS
#include "txc/Passes/Passes.h.inc"
} // namespace txc

using namespace mlir;
using namespace txc;

namespace {
struct RaiseRopePass : public txc::impl::RaiseRopePassBase<RaiseRopePass> {
  using RaiseRopePassBase::RaiseRopePassBase;
  void runOnOperation() override {}
};
} // namespace
