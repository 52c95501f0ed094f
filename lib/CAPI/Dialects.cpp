//===- Dialects.cpp - Register txc's dialects through the C API -----------===//
//
// The tx dialect handle (mlirGetDialectHandle__tx__) and the registration
// of every dialect a txc compilation needs into a C API registry or
// context.
//
//===----------------------------------------------------------------------===//

#include "txc-c/Dialects.h"

#include "Errors.h"
#include "txc/Compiler/Compiler.h"
#include "txc/Dialect/Tx/TxDialect.h"

#include "mlir/CAPI/IR.h"
#include "mlir/CAPI/Registration.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"

MLIR_DEFINE_CAPI_DIALECT_REGISTRATION(Tx, tx, txc::tx::TxDialect)

MlirLogicalResult txcRegisterDialects(MlirDialectRegistry registry) {
  if (mlirDialectRegistryIsNull(registry))
    return txc::capi::fail("txcRegisterDialects: the registry is null");
  txc::registerCompilerDialects(*unwrap(registry));
  return mlirLogicalResultSuccess();
}

MlirLogicalResult txcContextRegisterDialects(MlirContext context) {
  if (mlirContextIsNull(context))
    return txc::capi::fail("txcContextRegisterDialects: the context is null");
  mlir::MLIRContext *ctx = unwrap(context);
  mlir::DialectRegistry registry;
  txc::registerCompilerDialects(registry);
  ctx->appendDialectRegistry(registry);
  ctx->getOrLoadDialect<txc::tx::TxDialect>();
  return mlirLogicalResultSuccess();
}
