//===- Status.h - error reporting of the libtxrt C API ----------*- C++ -*-===//

#ifndef TXC_RUNTIME_STATUS_H
#define TXC_RUNTIME_STATUS_H

#include "txc-c/txrt.h"

#include "llvm/ADT/Twine.h"

namespace txc::runtime {

/// Records `message` as this thread's last error and returns `status`.
txrt_status fail(txrt_status status, const llvm::Twine &message);

/// This thread's last error (empty before any).
const char *lastErrorText();

} // namespace txc::runtime

#endif // TXC_RUNTIME_STATUS_H
