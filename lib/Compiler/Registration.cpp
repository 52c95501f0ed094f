//===- Registration.cpp - register txc dialects and passes ----------------===//

#include "txc/Compiler/Registration.h"
#include "txc/Compiler/Pipelines.h"
#include "txc/Dialect/Tx/TxDialect.h"
#include "txc/Codegen/Passes.h"
#include "txc/Codegen/TxCpuOps.h"
#include "txc/Passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/DialectRegistry.h"

#include <mutex>

void txc::registerTxcDialects(mlir::DialectRegistry &registry) {
  registry.insert<tx::TxDialect, mlir::func::FuncDialect,
                  mlir::arith::ArithDialect, mlir::math::MathDialect,
                  mlir::tensor::TensorDialect, mlir::linalg::LinalgDialect,
                  mlir::tosa::TosaDialect, mlir::scf::SCFDialect,
                  txcpu::TxCpuDialect>();
  txcpu::registerBufferizableOpInterfaceExternalModels(registry);
}

void txc::registerTxcPasses() {
  // Once per process: a pass or pipeline registered twice is an error in
  // MLIR builds with assertions, and every client (tx-opt, the compiler
  // API, the C API) calls this.
  static std::once_flag once;
  std::call_once(once, [] {
    registerTxPasses();
    registerTxCodegenPasses();
    registerPipelines();
  });
}
