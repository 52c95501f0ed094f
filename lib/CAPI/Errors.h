//===- Errors.h - The C API's per-thread last error --------------*- C++
//-*-===//
//
// Internal to lib/CAPI: every failing entry point of txc's C API records
// its message here; txcLastError (txc-c/Support.h) returns it.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_LIB_CAPI_ERRORS_H
#define TXC_LIB_CAPI_ERRORS_H

#include "mlir-c/Support.h"
#include "llvm/ADT/Twine.h"

namespace txc::capi {

/// Records `message` as the calling thread's last error and returns
/// failure, so that entry points can `return fail(...)`.
MlirLogicalResult fail(const llvm::Twine &message);

} // namespace txc::capi

#endif // TXC_LIB_CAPI_ERRORS_H
