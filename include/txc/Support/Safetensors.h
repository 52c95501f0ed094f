//===- Safetensors.h - read and write safetensors weight files --*- C++ -*-===//
//
// The weights of a compiled model live in one safetensors file: an 8-byte
// little-endian header length, a JSON header mapping each tensor name to its
// dtype, shape and byte range, then the tensor bytes. txc writes it at import
// and reads it (memory-mapped) wherever weight values are needed.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_SUPPORT_SAFETENSORS_H
#define TXC_SUPPORT_SAFETENSORS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace txc {

/// One tensor of a safetensors file. `dtype` uses safetensors' names (F32,
/// F16, BF16, F64, I64, I32, I16, I8, U8, BOOL, F8_E4M3, ...).
struct SafetensorsEntry {
  std::string dtype;
  llvm::SmallVector<int64_t> shape;
  llvm::ArrayRef<char> data;
};

/// Collects tensors and writes them as one safetensors file. Tensors are
/// written in insertion order, each aligned to 64 bytes.
class SafetensorsWriter {
public:
  /// Adds a tensor; `data` is copied. Fails on a duplicate name or a byte
  /// size that does not match dtype and shape.
  llvm::Error add(llvm::StringRef name, llvm::StringRef dtype,
                  llvm::ArrayRef<int64_t> shape, llvm::ArrayRef<char> data);
  bool contains(llvm::StringRef name) const { return index.count(name); }
  /// The tensor called `name` (its data stays valid until the writer
  /// changes), or null.
  std::optional<SafetensorsEntry> lookup(llvm::StringRef name) const;
  /// Drops every tensor for which `keep` returns false.
  void retain(llvm::function_ref<bool(llvm::StringRef)> keep);
  size_t size() const { return tensors.size(); }
  /// Sets a `__metadata__` entry (values are strings, as safetensors
  /// requires). Without any, the file says {"format": "pt", "producer":
  /// "txc"}; an entry replaces the default of the same key.
  void setMetadata(llvm::StringRef key, llvm::StringRef value);
  /// Writes the file atomically (temporary file + rename; the temporary is
  /// removed when writing fails).
  llvm::Error write(llvm::StringRef path) const;

private:
  struct Tensor {
    std::string name, dtype;
    llvm::SmallVector<int64_t> shape;
    std::vector<char> bytes;
  };
  std::vector<Tensor> tensors;
  llvm::StringMap<size_t> index;
  std::vector<std::pair<std::string, std::string>> metadata;
};

/// A memory-mapped safetensors file.
class SafetensorsFile {
public:
  /// Opens and validates `path` (header well-formed, byte ranges inside the
  /// file and consistent with dtype and shape).
  static llvm::Expected<std::unique_ptr<SafetensorsFile>>
  open(llvm::StringRef path);
  /// Validates a file already in memory (the fuzzer and tests); takes the
  /// buffer. Errors name the buffer's identifier.
  static llvm::Expected<std::unique_ptr<SafetensorsFile>>
  parse(std::unique_ptr<llvm::MemoryBuffer> buffer);

  /// The tensor called `name`, or null.
  const SafetensorsEntry *lookup(llvm::StringRef name) const;
  const llvm::StringMap<SafetensorsEntry> &entries() const { return tensors; }
  /// The `__metadata__` entries whose values are strings.
  const llvm::StringMap<std::string> &metadata() const { return meta; }
  /// The whole file's bytes (header and data).
  llvm::StringRef bytes() const { return buffer->getBuffer(); }

private:
  std::unique_ptr<llvm::MemoryBuffer> buffer;
  llvm::StringMap<SafetensorsEntry> tensors;
  llvm::StringMap<std::string> meta;
};

/// Bytes per element of a safetensors dtype, or 0 if unknown.
unsigned safetensorsDTypeSize(llvm::StringRef dtype);

} // namespace txc

#endif // TXC_SUPPORT_SAFETENSORS_H
