//===- PromptIds.h - parse txc-run's token-id prompts -----------*- C++ -*-===//
//
// Token ids given on txc-run's command line (--prompt-ids, tokenize --text):
// a list of integers, rows of a batch separated by ';', or a .npy file of
// int64 or int32 ids. No model or runtime is needed, so that the parser can
// be fuzzed on its own (tools/fuzz/prompt-ids-fuzzer.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef TXC_TOOLS_TXC_RUN_PROMPTIDS_H
#define TXC_TOOLS_TXC_RUN_PROMPTIDS_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>
#include <vector>

namespace txcrun {

/// Parses whitespace- or comma-separated token ids, appending them to `ids`;
/// a message naming `flag` and the bad word on failure.
std::string parseIds(llvm::StringRef text, llvm::StringRef flag,
                     std::vector<int64_t> &ids);

/// Reads a --prompt-ids value: a .npy file (any existing file, or a name
/// ending in .npy) of int64 or int32 ids of shape [P] or [rows, P], else a
/// list of ids with rows separated by ';'. One row is repeated for every row
/// of `batch`. On success `tokens` holds batch * `length` ids row-major and
/// `length` > 0; on failure returns a message (the flag, the file or the
/// problem).
std::string readPromptIds(llvm::StringRef value, int64_t batch,
                          std::vector<int64_t> &tokens, int64_t &length);

} // namespace txcrun

#endif // TXC_TOOLS_TXC_RUN_PROMPTIDS_H
