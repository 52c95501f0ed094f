//===- npy-fuzzer.cpp - libFuzzer target for the .npy reader --------------===//
//
// Reads arbitrary bytes as a .npy file (readNpy reads files, so each input
// is written to one temporary file first) and, when they parse, checks the
// array: a supported dtype, data exactly product(shape) * itemsize bytes,
// aligned to the element size and inside the buffer that owns it, every byte
// readable. A parsed array must also survive writeNpy and read back equal.
// Any crash, sanitizer report or hang is a bug: bad input must be an error.
//
//   scripts/fuzz npy [SECONDS]
//
//===----------------------------------------------------------------------===//

#include "txc/Support/Npy.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/raw_ostream.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

/// As in the other fuzzers: Debian's LLVM is uninstrumented, so container
/// annotations in our code would give false reports.
extern "C" const char *__asan_default_options() {
  return "allow_user_poisoning=0";
}

namespace {

/// The two temporary files of this process (the input and the round trip),
/// removed at exit.
struct TempFiles {
  TempFiles() {
    for (std::string *path : {&in, &out}) {
      llvm::SmallString<128> name;
      if (llvm::sys::fs::createTemporaryFile("txc-npy-fuzz", "npy", name))
        abort();
      *path = std::string(name);
    }
    removeIn.setFile(in);
    removeOut.setFile(out);
  }
  std::string in, out;
  llvm::FileRemover removeIn, removeOut;
};

void writeFile(const std::string &path, llvm::StringRef bytes) {
  std::error_code ec;
  llvm::raw_fd_ostream out(path, ec);
  if (ec)
    abort();
  out << bytes;
}

/// Checks a parsed array's invariants; returns the sum of its bytes.
uint64_t check(const txc::NpyArray &array) {
  unsigned elt = txc::npyDTypeSize(array.dtype);
  if (!elt || !array.buffer)
    __builtin_trap();
  uint64_t elements = 1;
  for (int64_t d : array.shape) {
    if (d < 0)
      __builtin_trap();
    if (d && elements > UINT64_MAX / static_cast<uint64_t>(d) / elt)
      __builtin_trap();
    elements *= static_cast<uint64_t>(d);
  }
  if (array.data.size() != elements * elt)
    __builtin_trap();
  const char *begin = array.buffer->getBufferStart(),
             *end = array.buffer->getBufferEnd();
  if (!array.data.empty() &&
      (array.data.data() < begin || array.data.data() > end ||
       static_cast<size_t>(end - array.data.data()) < array.data.size()))
    __builtin_trap();
  if (reinterpret_cast<uintptr_t>(array.data.data()) % elt)
    __builtin_trap();
  uint64_t sum = 0;
  for (char c : array.data)
    sum += static_cast<unsigned char>(c);
  return sum;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static TempFiles files;
  const std::string &in = files.in;
  writeFile(in, llvm::StringRef(reinterpret_cast<const char *>(data), size));
  llvm::Expected<txc::NpyArray> array = txc::readNpy(in);
  if (!array) {
    // Errors name the file.
    if (llvm::toString(array.takeError()).find(in) == std::string::npos)
      __builtin_trap();
    return 0;
  }
  uint64_t sum = check(*array);
  asm volatile("" : : "r"(sum));

  // Round trip through the writer.
  const std::string &out = files.out;
  if (llvm::Error err =
          txc::writeNpy(out, array->dtype, array->shape, array->data)) {
    llvm::consumeError(std::move(err));
    __builtin_trap();
  }
  llvm::Expected<txc::NpyArray> again = txc::readNpy(out);
  if (!again) {
    llvm::consumeError(again.takeError());
    __builtin_trap();
  }
  if (again->dtype != array->dtype || again->shape != array->shape ||
      again->data.size() != array->data.size() ||
      (!array->data.empty() &&
       std::memcmp(again->data.data(), array->data.data(),
                   array->data.size()) != 0))
    __builtin_trap();
  return 0;
}
