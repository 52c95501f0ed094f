//===- safetensors-fuzzer.cpp - libFuzzer target for the safetensors reader
//===//
//
// Parses arbitrary bytes as a safetensors file and, when they parse, reads
// every tensor's bytes and checks that they match its dtype and shape, so
// that ASan sees any read the validation let through. Any crash, sanitizer
// report or hang is a bug: bad input must be an error.
//
//   scripts/fuzz safetensors [SECONDS]
//
//===----------------------------------------------------------------------===//

#include "txc/Support/Safetensors.h"

#include <cstddef>
#include <cstdint>

/// LLVM comes from Debian's uninstrumented libraries while its headers'
/// containers may annotate capacity in our instrumented code; the mix
/// reports false errors. Manual poisoning is off (as in import-fuzzer.cpp).
extern "C" const char *__asan_default_options() {
  return "allow_user_poisoning=0";
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  // No copy: the fuzzer's exactly-sized allocation lets ASan catch reads
  // one past the end.
  auto file = txc::SafetensorsFile::parse(llvm::MemoryBuffer::getMemBuffer(
      bytes, "fuzz.safetensors", /*RequiresNullTerminator=*/false));
  if (!file) {
    llvm::consumeError(file.takeError());
    return 0;
  }
  uint64_t sum = 0;
  for (const auto &entry : (*file)->entries()) {
    const txc::SafetensorsEntry &e = entry.getValue();
    if ((*file)->lookup(entry.getKey()) != &e)
      __builtin_trap();
    // The byte range must be exactly elements * element size.
    uint64_t elements = 1;
    for (int64_t d : e.shape) {
      if (d < 0)
        __builtin_trap();
      elements *= static_cast<uint64_t>(d);
    }
    unsigned elt = txc::safetensorsDTypeSize(e.dtype);
    if (!elt || (elements && e.data.size() / elt != elements) ||
        e.data.size() % elt || (!elements && !e.data.empty()))
      __builtin_trap();
    for (char c : e.data)
      sum += static_cast<unsigned char>(c);
  }
  asm volatile("" : : "r"(sum));
  return 0;
}
