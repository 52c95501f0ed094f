//===- Status.cpp - error reporting of the libtxrt C API ------------------===//
//
// See Status.h.
//
//===----------------------------------------------------------------------===//

#include "Status.h"

#include <string>

namespace {
thread_local std::string lastError;
} // namespace

txrt_status txc::runtime::fail(txrt_status status, std::string message) {
  lastError = std::move(message);
  return status;
}

const char *txc::runtime::lastErrorText() { return lastError.c_str(); }
