//===- RaiseLayers.cpp - Groups each transformer block into a tx.layer region
//===//

#include "RaiseUtils.h"
#include "txc/Dialect/Tx/TxOps.h"
#include "txc/Passes/Passes.h"

namespace txc {
#define GEN_PASS_DEF_RAISELAYERSPASS
#include "txc/Passes/Passes.h.inc"
} // namespace txc

using namespace mlir;
using namespace txc;

namespace {
struct RaiseLayersPass
    : public txc::impl::RaiseLayersPassBase<RaiseLayersPass> {
  using RaiseLayersPassBase::RaiseLayersPassBase;
  void runOnOperation() override {}
};
} // namespace
