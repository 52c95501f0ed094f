//===- PendingOutputs.h - outputs that appear only on success ---*- C++ -*-===//
//
// A compilation writes its outputs (model library, weights, tokenizer)
// under temporary names beside their final paths and renames them into
// place only when everything succeeded, so that a failed or interrupted
// compile leaves no half-written library and no library without its
// weights. Temporaries (also the objects handed to the linker) are removed
// on failure and on SIGINT/SIGTERM.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_LIB_COMPILER_PENDINGOUTPUTS_H
#define TXC_LIB_COMPILER_PENDINGOUTPUTS_H

#include "llvm/ADT/StringRef.h"

#include <string>
#include <utility>
#include <vector>

namespace txc {

class PendingOutputs {
public:
  PendingOutputs() = default;
  PendingOutputs(const PendingOutputs &) = delete;
  PendingOutputs &operator=(const PendingOutputs &) = delete;
  /// Removes every temporary still there.
  ~PendingOutputs();

  /// A temporary name for the output `path`, renamed to it by commit().
  std::string output(llvm::StringRef path);
  /// Removes `path` at destruction and on a signal.
  void track(llvm::StringRef path);
  /// Renames every output into place, the first asked for last (the model
  /// library appears only once its weights are there). On failure, `error`
  /// says which output could not be written.
  bool commit(std::string &error);
  /// The final paths of the outputs committed.
  const std::vector<std::string> &committed() const { return done; }

private:
  std::vector<std::string> temporaries;
  std::vector<std::pair<std::string, std::string>> renames;
  std::vector<std::string> done;
};

} // namespace txc

#endif // TXC_LIB_COMPILER_PENDINGOUTPUTS_H
