//===- Status.cpp - error reporting of the libtxrt C API ------------------===//

#include "Status.h"

#include <string>

namespace {
thread_local std::string lastError;
} // namespace

txrt_status txc::runtime::fail(txrt_status status, const llvm::Twine &message) {
  lastError = message.str();
  return status;
}

const char *txc::runtime::lastErrorText() { return lastError.c_str(); }
