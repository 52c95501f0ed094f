//===- prompt-ids-fuzzer.cpp - libFuzzer target for txc-run's prompt ids --===//
//
// txc-run generate --prompt-ids takes a list of ids ("1 2; 3 4") or a .npy
// file of ids (tools/txc-run/PromptIds.cpp). The first input byte picks the
// form and the model's batch (1 to 4); the rest is the list's text or the
// file's bytes. A failure must say why; a success must give batch rows of
// the same non-zero length, and a list's ids must be the integers written.
//
//   scripts/fuzz prompt-ids [SECONDS]
//
//===----------------------------------------------------------------------===//

#include "PromptIds.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

/// As in the other fuzzers: Debian's LLVM is uninstrumented, so container
/// annotations in our code would give false reports.
extern "C" const char *__asan_default_options() {
  return "allow_user_poisoning=0";
}

namespace {

/// The temporary .npy file of this process, removed at exit.
struct TempFile {
  TempFile() {
    llvm::SmallString<128> name;
    if (llvm::sys::fs::createTemporaryFile("txc-prompt-fuzz", "npy", name))
      abort();
    path = std::string(name);
    remover.setFile(path);
  }
  std::string path;
  llvm::FileRemover remover;
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  bool npy = data[0] & 1;
  int64_t batch = 1 + ((data[0] >> 1) & 3);
  llvm::StringRef rest(reinterpret_cast<const char *>(data) + 1, size - 1);
  std::string value;
  if (npy) {
    static TempFile file;
    std::error_code ec;
    llvm::raw_fd_ostream out(file.path, ec);
    if (ec)
      abort();
    out << rest;
    out.close();
    value = file.path;
  } else {
    // A list that names an existing file would be read as one: keep the
    // fuzzer away from the file system.
    if (rest.ends_with(".npy") || llvm::sys::fs::exists(rest))
      return 0;
    value = rest.str();
  }
  std::vector<int64_t> tokens;
  int64_t length = -1;
  std::string message = txcrun::readPromptIds(value, batch, tokens, length);
  if (!message.empty())
    return 0;
  if (length < 1 || tokens.size() != static_cast<size_t>(batch * length))
    __builtin_trap();
  if (!npy) {
    // One row is repeated for the batch; otherwise every row is given.
    std::vector<int64_t> all;
    llvm::SmallVector<llvm::StringRef> rows;
    rest.split(rows, ';');
    for (llvm::StringRef row : rows)
      if (!txcrun::parseIds(row, "--prompt-ids", all).empty())
        __builtin_trap();
    if (rows.size() == 1) {
      if (all.size() != static_cast<size_t>(length))
        __builtin_trap();
      for (int64_t i = 0; i < batch; ++i)
        if (!std::equal(all.begin(), all.end(), tokens.begin() + i * length))
          __builtin_trap();
    } else if (all != tokens) {
      __builtin_trap();
    }
  }
  return 0;
}
