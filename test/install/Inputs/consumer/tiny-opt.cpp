//===- tiny-opt.cpp - an out-of-tree mlir-opt with txc's passes -----------===//
//
// Part of the out-of-tree consumer of the installed TXC package
// (install.test): another compiler's `mlir-opt`-style driver. It links
// TXC::TxcPipelines (no frontend), registers the tx dialect (with the
// upstream dialects tx IR mixes with) and the tx passes into its own
// registry through txc's public registration functions, and hands over to
// MlirOptMain. Upstream passes are not registered: only what txc provides
// is available.
//
//===----------------------------------------------------------------------===//

#include "txc/Compiler/Registration.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  txc::registerTxcDialects(registry);
  txc::registerTxcPasses();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "tiny-opt: tx passes in an out-of-tree tool\n", registry));
}
