//===- Dialects.h - Register txc's dialects through the C API -----*- C -*-===//
//
// The tx dialect as an MLIR C API dialect handle
// (`mlirGetDialectHandle__tx__`, usable with mlirDialectHandleInsertDialect,
// mlirDialectHandleRegisterDialect and mlirDialectHandleLoadDialect), and
// `txcRegisterDialects`, which adds everything a txc compilation parses and
// lowers: tx, the internal txcpu dialect, the upstream dialects tx IR mixes
// with (func, arith, math, tensor, linalg, tosa, scf, ...) and their external
// models (bufferization, translation to LLVM IR).
//
//===----------------------------------------------------------------------===//

#ifndef TXC_C_DIALECTS_H
#define TXC_C_DIALECTS_H

#include "mlir-c/IR.h"
#include "mlir-c/Support.h"
#include "txc-c/Support.h"

#ifdef __cplusplus
extern "C" {
#endif

MLIR_DECLARE_CAPI_DIALECT_REGISTRATION(Tx, tx);

/// Adds the tx dialect, the dialects it is mixed with and lowered to, and
/// their external models to `registry`. Fails (see txcLastError) when
/// `registry` is null.
TXC_CAPI_EXPORTED MlirLogicalResult
txcRegisterDialects(MlirDialectRegistry registry);

/// Appends the dialects of txcRegisterDialects to the registry of `context`
/// and loads the tx dialect. Fails (see txcLastError) when `context` is
/// null.
TXC_CAPI_EXPORTED MlirLogicalResult
txcContextRegisterDialects(MlirContext context);

#ifdef __cplusplus
}
#endif

#endif // TXC_C_DIALECTS_H
