//===- Passes.h - Register txc's passes through the C API ---------*- C -*-===//
//
// Registers the tx passes (tx-raise-*, tx-layer-skip, tx-use-kv-cache, ...),
// the CPU code generation passes and txc's pipelines (tx-raise-pipeline,
// tx-default-pipeline) with MLIR's global pass registry, so that textual
// pipelines given to mlirParsePassPipeline or mlirOpPassManagerAddPipeline
// can name them. Upstream passes (canonicalize, cse, ...) are registered by
// MLIR's own C API (mlirRegisterAllPasses in mlir-c/RegisterEverything.h,
// or mlirRegisterTransformsPasses in mlir-c/Transforms.h).
//
//===----------------------------------------------------------------------===//

#ifndef TXC_C_PASSES_H
#define TXC_C_PASSES_H

#include "txc-c/Support.h"

#ifdef __cplusplus
extern "C" {
#endif

/// Registers txc's passes and pass pipelines. Safe to call more than once
/// and from several threads; only the first call registers.
TXC_CAPI_EXPORTED void txcRegisterPasses(void);

#ifdef __cplusplus
}
#endif

#endif // TXC_C_PASSES_H
