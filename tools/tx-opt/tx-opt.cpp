//===- tx-opt.cpp - the tx optimizer driver -------------------------------===//
//
// mlir-opt for txc: parses tx (and the upstream dialects it mixes with), runs
// passes or pipelines, prints the result.
//
//===----------------------------------------------------------------------===//

#include "txc/Compiler/Registration.h"
#include "txc/Support/Files.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"

int main(int argc, char **argv) {
  // Upstream passes too, so lowering pipelines can be run and debugged here.
  mlir::registerAllPasses();
  txc::registerTxcPasses();
  mlir::DialectRegistry registry;
  txc::registerTxcDialects(registry);
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  auto [input, output] = mlir::registerAndParseCLIOptions(
      argc, argv, "txc optimizer driver\n", registry);
  // A device or pipe named as the input could stream without end.
  if (input != "-")
    if (std::string why = txc::checkRegularFile(input); !why.empty()) {
      llvm::errs() << "tx-opt: error: " << why << "\n";
      return 1;
    }
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, input, output, registry));
}
