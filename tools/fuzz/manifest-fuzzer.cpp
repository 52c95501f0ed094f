//===- manifest-fuzzer.cpp - libFuzzer target for the library check -------===//
//
// Feeds arbitrary bytes to findManifest, the ELF reader the runtime runs on a
// model library before dlopen (lib/Support/ModelManifest.cpp). When it
// accepts the bytes, the manifest it found must lie inside them with room
// for the whole 48-byte record. Any crash or sanitizer report is a bug: a
// truncated or foreign file must be an error.
//
//   scripts/fuzz manifest [SECONDS]
//
//===----------------------------------------------------------------------===//

#include "txc/Support/ModelManifest.h"

#include "llvm/ADT/StringRef.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

/// As in the other fuzzers: Debian's LLVM is uninstrumented, so container
/// annotations in our code would give false reports.
extern "C" const char *__asan_default_options() {
  return "allow_user_poisoning=0";
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  llvm::Expected<uint64_t> at = txc::findManifest(bytes, "input");
  if (!at) {
    if (llvm::toString(at.takeError()).empty())
      abort(); // every refusal says why
    return 0;
  }
  if (*at > size || size - *at < txc::kManifestSize)
    abort();
  // Reading the record must stay inside the input.
  volatile char sink = 0;
  for (size_t i = 0; i < txc::kManifestSize; ++i)
    sink = sink ^ bytes[*at + i];
  return 0;
}
