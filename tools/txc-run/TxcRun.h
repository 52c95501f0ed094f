//===- TxcRun.h - helpers shared by txc-run's commands ----------*- C++ -*-===//

#ifndef TXC_TOOLS_TXC_RUN_TXCRUN_H
#define TXC_TOOLS_TXC_RUN_TXCRUN_H

#include "txc-c/txrt.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <string>

namespace txcrun {

/// Prints "txc-run: error: MESSAGE" and returns the exit status for errors.
inline int error(const llvm::Twine &message) {
  llvm::errs() << "txc-run: error: " << message << "\n";
  return 1;
}

/// Owns a loaded model.
struct ModelDeleter {
  void operator()(txrt_model *model) const { txrt_model_free(model); }
};

/// The number of threads requested by --threads or TXC_NUM_THREADS, 0 for
/// none; an error message on a bad value.
inline std::string threadsRequested(const llvm::cl::opt<int> &flag,
                                    int &threads) {
  threads = 0;
  if (flag.getNumOccurrences()) {
    if (flag < 1)
      return "--threads must be at least 1, got " + std::to_string(flag);
    threads = flag;
    return "";
  }
  std::optional<std::string> env =
      llvm::sys::Process::GetEnv("TXC_NUM_THREADS");
  if (!env || env->empty())
    return "";
  if (llvm::StringRef(*env).getAsInteger(10, threads) || threads < 1)
    return "TXC_NUM_THREADS must be a positive integer, got '" + *env + "'";
  return "";
}

/// `txc-run MODEL.so generate ...` (Generate.cpp).
int runGenerate(int argc, char **argv);

} // namespace txcrun

#endif // TXC_TOOLS_TXC_RUN_TXCRUN_H
