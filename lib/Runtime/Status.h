//===- Status.h - error reporting of the libtxrt C API ----------*- C++ -*-===//
//
// Every failing C API call records a sentence in a thread-local string and
// returns its status (txrt_last_error reads it back).
//
//===----------------------------------------------------------------------===//

#ifndef TXC_RUNTIME_STATUS_H
#define TXC_RUNTIME_STATUS_H

#include "txc-c/txrt.h"

#include <string>

namespace txc::runtime {

/// Records `message` as this thread's last error and returns `status`.
txrt_status fail(txrt_status status, std::string message);

/// This thread's last error (empty before any).
const char *lastErrorText();

} // namespace txc::runtime

#endif // TXC_RUNTIME_STATUS_H
