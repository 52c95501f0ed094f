//===- Passes.cpp - Register txc's passes through the C API ---------------===//
//
// txcRegisterPasses: txc's passes and pipelines in MLIR's global pass
// registry, once per process.
//
//===----------------------------------------------------------------------===//

#include "txc-c/Passes.h"

#include "txc/Compiler/Registration.h"

#include <mutex>

void txcRegisterPasses(void) {
  // Registering a pipeline name twice is an error in MLIR's registry, so
  // only the first call registers.
  static std::once_flag once;
  std::call_once(once, [] { txc::registerTxcPasses(); });
}
