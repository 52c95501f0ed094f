//===- GGUF.h - read GGUF model files (llama.cpp's format) ------*- C++ -*-===//
//
// A GGUF file (v2 or v3) is a header (magic "GGUF", version, tensor count,
// metadata count), typed key/value metadata, tensor descriptors (name,
// dimensions, ggml type, offset) and, after padding to the file's alignment
// (`general.alignment`, default 32), the tensor data. The reader maps the
// file, validates everything it returns (lengths, counts, offsets and sizes
// inside the file, known types) and never reads out of bounds: a malformed
// file is an llvm::Error naming what is wrong, never a crash.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_SUPPORT_GGUF_H
#define TXC_SUPPORT_GGUF_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace txc {

/// ggml tensor types (the numbering of ggml.h; the values are part of the
/// file format).
enum class GGMLType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  I8 = 24,
  I16 = 25,
  I32 = 26,
  I64 = 27,
  F64 = 28,
  BF16 = 30,
};

/// Name of a ggml type as llama.cpp spells it ("Q4_K", "F16", ...), or
/// "type N" for a number txc does not know.
std::string ggmlTypeName(uint32_t type);
/// Values per block and bytes per block of a type txc knows (F32: 1 and 4;
/// Q4_0: 32 and 18; Q4_K: 256 and 144; ...); nullopt for unknown types.
std::optional<std::pair<int64_t, int64_t>> ggmlBlockLayout(uint32_t type);

/// GGUF metadata value types (the numbering of the format).
enum class GGUFValueType : uint32_t {
  U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, Bool = 7,
  String = 8, Array = 9, U64 = 10, I64 = 11, F64 = 12,
};

/// One metadata value. Scalars are widened: integers (and bools) to
/// `integer`, floats to `real`; `string` holds a string; arrays hold their
/// element type and elements (arrays of arrays are kept as nested values).
struct GGUFValue {
  GGUFValueType type = GGUFValueType::U8;
  int64_t integer = 0; ///< also for U64 values (bit pattern) and bools
  double real = 0;
  llvm::StringRef string; ///< points into the mapped file
  GGUFValueType elementType = GGUFValueType::U8; ///< for arrays
  std::vector<GGUFValue> array;

  bool isInteger() const;
  bool isFloat() const {
    return type == GGUFValueType::F32 || type == GGUFValueType::F64;
  }
};

/// One tensor. `dims` are in ggml order (dims[0] is the innermost,
/// contiguous dimension: a [rows, cols] matrix has dims {cols, rows}).
struct GGUFTensor {
  std::string name;
  uint32_t type = 0;
  llvm::SmallVector<int64_t, 4> dims;
  uint64_t offset = 0;       ///< from the start of the data section
  llvm::ArrayRef<char> data; ///< exactly the tensor's bytes, in the file
  int64_t numElements() const;
  /// Bytes of one row (dims[0] values) in this type.
  int64_t rowBytes() const;
};

/// A memory-mapped, validated GGUF file.
class GGUFFile {
public:
  /// Maps and parses `path`.
  static llvm::Expected<std::unique_ptr<GGUFFile>> open(llvm::StringRef path);
  /// Parses a file already in memory (the fuzzer and tests); takes the
  /// buffer.
  static llvm::Expected<std::unique_ptr<GGUFFile>>
  parse(std::unique_ptr<llvm::MemoryBuffer> buffer);

  uint32_t version() const { return fileVersion; }
  uint64_t alignment() const { return dataAlignment; }

  /// Metadata, in file order.
  llvm::ArrayRef<std::pair<std::string, GGUFValue>> metadata() const {
    return keyValues;
  }
  /// The value of `key`, or null.
  const GGUFValue *lookup(llvm::StringRef key) const;
  /// Typed lookups: an llvm::Error naming the key when it is missing or has
  /// another type. Integer lookups accept any integer type whose value fits.
  llvm::Expected<int64_t> getInteger(llvm::StringRef key) const;
  llvm::Expected<double> getFloat(llvm::StringRef key) const; ///< ints too
  llvm::Expected<llvm::StringRef> getString(llvm::StringRef key) const;
  /// A bool value (only type bool is accepted).
  llvm::Expected<bool> getBool(llvm::StringRef key) const;
  /// Array of strings (e.g. tokenizer.ggml.tokens).
  llvm::Expected<std::vector<llvm::StringRef>>
  getStringArray(llvm::StringRef key) const;

  llvm::ArrayRef<GGUFTensor> tensors() const { return tensorList; }
  /// The tensor called `name`, or null.
  const GGUFTensor *findTensor(llvm::StringRef name) const;

  /// The whole file and the offset of its data section (for mapping the
  /// GGUF itself as a weights file).
  llvm::StringRef fileBytes() const { return buffer->getBuffer(); }
  uint64_t dataOffset() const { return dataStart; }
  /// The path (or buffer name) the errors use.
  llvm::StringRef identifier() const {
    return buffer->getBufferIdentifier();
  }

private:
  std::unique_ptr<llvm::MemoryBuffer> buffer;
  uint32_t fileVersion = 0;
  uint64_t dataAlignment = 32, dataStart = 0;
  std::vector<std::pair<std::string, GGUFValue>> keyValues;
  llvm::StringMap<size_t> keyIndex;
  std::vector<GGUFTensor> tensorList;
  llvm::StringMap<size_t> tensorIndex;
};

} // namespace txc

#endif // TXC_SUPPORT_GGUF_H
