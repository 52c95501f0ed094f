//===- PendingOutputs.cpp - outputs that appear only on success -----------===//
//
// Temporary names beside the final paths, removed on failure and on
// signals, renamed into place by commit().
//
//===----------------------------------------------------------------------===//

#include "PendingOutputs.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Signals.h"

using namespace llvm;

txc::PendingOutputs::~PendingOutputs() {
  for (const std::string &path : temporaries) {
    sys::fs::remove(path);
    sys::DontRemoveFileOnSignal(path);
  }
}

std::string txc::PendingOutputs::output(StringRef path) {
  std::string temporary =
      (path + ".txc-partial-" + Twine(sys::Process::getProcessId())).str();
  track(temporary);
  renames.emplace_back(temporary, path.str());
  return temporary;
}

void txc::PendingOutputs::track(StringRef path) {
  sys::RemoveFileOnSignal(path);
  temporaries.push_back(path.str());
}

bool txc::PendingOutputs::commit(std::string &error) {
  for (auto it = renames.rbegin(); it != renames.rend(); ++it) {
    if (!sys::fs::exists(it->first))
      continue;
    if (std::error_code ec = sys::fs::rename(it->first, it->second)) {
      error = "cannot write '" + it->second + "': " + ec.message();
      return false;
    }
    done.push_back(it->second);
  }
  return true;
}
