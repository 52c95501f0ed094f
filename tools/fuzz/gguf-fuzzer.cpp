//===- gguf-fuzzer.cpp - libFuzzer target for the GGUF reader -------------===//
//
// Parses arbitrary bytes as a GGUF file and, when they parse, touches every
// metadata value (strings byte by byte), every tensor's bytes and every
// typed getter, so that ASan sees any read the validation let through. Any
// crash, sanitizer report or hang is a bug: bad input must be an error.
//
//   scripts/fuzz gguf [SECONDS]
//
//===----------------------------------------------------------------------===//

#include "txc/Support/GGUF.h"

#include <cstddef>
#include <cstdint>
#include <cstring>

/// LLVM comes from Debian's uninstrumented libraries while its headers'
/// containers may annotate capacity in our instrumented code; the mix
/// reports false errors. Manual poisoning is off (as in import-fuzzer.cpp).
extern "C" const char *__asan_default_options() {
  return "allow_user_poisoning=0";
}

namespace {

/// Folds every byte a value refers to into `sum`.
void touch(const txc::GGUFValue &value, uint64_t &sum) {
  // The real's bits: converting a negative or huge double to an integer
  // is undefined.
  uint64_t realBits;
  static_assert(sizeof(value.real) == sizeof(realBits));
  std::memcpy(&realBits, &value.real, sizeof(realBits));
  sum += static_cast<uint64_t>(value.integer) + realBits;
  for (char c : value.string)
    sum += static_cast<unsigned char>(c);
  for (const txc::GGUFValue &element : value.array)
    touch(element, sum);
}

template <typename T> void consume(llvm::Expected<T> value, uint64_t &sum) {
  if (value)
    sum += 1;
  else
    llvm::consumeError(value.takeError());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  // No copy: the fuzzer's exactly-sized allocation lets ASan catch reads
  // one past the end.
  auto file = txc::GGUFFile::parse(llvm::MemoryBuffer::getMemBuffer(
      bytes, "fuzz.gguf", /*RequiresNullTerminator=*/false));
  if (!file) {
    llvm::consumeError(file.takeError());
    return 0;
  }
  const txc::GGUFFile &g = **file;
  uint64_t sum = g.version() + g.alignment() + g.dataOffset();
  for (const auto &[key, value] : g.metadata()) {
    touch(value, sum);
    if (g.lookup(key) != &value)
      __builtin_trap();
    consume(g.getInteger(key), sum);
    consume(g.getFloat(key), sum);
    consume(g.getString(key), sum);
    consume(g.getBool(key), sum);
    consume(g.getStringArray(key), sum);
  }
  for (const txc::GGUFTensor &t : g.tensors()) {
    if (g.findTensor(t.name) != &t)
      __builtin_trap();
    sum += static_cast<uint64_t>(t.numElements()) +
           static_cast<uint64_t>(t.rowBytes()) +
           txc::ggmlTypeName(t.type).size();
    // The data must be exactly the tensor's size and inside the file.
    auto layout = txc::ggmlBlockLayout(t.type);
    if (!layout || t.data.size() != static_cast<uint64_t>(t.numElements()) /
                                        layout->first * layout->second)
      __builtin_trap();
    for (char c : t.data)
      sum += static_cast<unsigned char>(c);
  }
  // Keep the sums from being optimized away.
  asm volatile("" : : "r"(sum));
  return 0;
}
