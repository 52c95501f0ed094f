//===- RaiseNorms.cpp - Raises RMSNorm and LayerNorm decompositions to tx.rms_norm / tx.layer_norm ===//

#include "RaiseUtils.h"
#include "txc/Dialect/Tx/TxOps.h"
#include "txc/Passes/Passes.h"

namespace txc {
#define GEN_PASS_DEF_RAISENORMSPASS
#include "txc/Passes/Passes.h.inc"
} // namespace txc

using namespace mlir;
using namespace txc;

namespace {
struct RaiseNormsPass : public txc::impl::RaiseNormsPassBase<RaiseNormsPass> {
  using RaiseNormsPassBase::RaiseNormsPassBase;
  void runOnOperation() override {}
};
} // namespace
