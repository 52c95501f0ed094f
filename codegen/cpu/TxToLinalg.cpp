//===- TxToLinalg.cpp - decompose tx ops into upstream dialects -----------===//

#include "txc/Codegen/Passes.h"
#include "txc/Dialect/Tx/TxOps.h"

namespace txc {
#define GEN_PASS_DEF_TXLOWERTOLINALGPASS
#include "txc/Codegen/Passes.h.inc"
} // namespace txc

using namespace mlir;

namespace {
struct TxLowerToLinalgPass
    : public txc::impl::TxLowerToLinalgPassBase<TxLowerToLinalgPass> {
  using TxLowerToLinalgPassBase::TxLowerToLinalgPassBase;
  void runOnOperation() override {}
};
} // namespace
