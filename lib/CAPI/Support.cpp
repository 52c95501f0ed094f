//===- Support.cpp - The C API's per-thread last error --------------------===//
//
// Holds the text of the most recent failure of a txc C API call, one per
// thread, behind txcLastError.
//
//===----------------------------------------------------------------------===//

#include "txc-c/Support.h"

#include "Errors.h"

#include <string>

namespace {
/// The last error of the calling thread.
thread_local std::string lastError;
} // namespace

MlirLogicalResult txc::capi::fail(const llvm::Twine &message) {
  lastError = message.str();
  return mlirLogicalResultFailure();
}

const char *txcLastError(void) { return lastError.c_str(); }
