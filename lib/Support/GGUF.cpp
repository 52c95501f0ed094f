//===- GGUF.cpp - read GGUF model files (llama.cpp's format) --------------===//
//
// The parser walks the file with a bounds-checked cursor: every fixed-size
// read checks the bytes left, every length or count read from the file is
// compared with the bytes left before anything is allocated, and array
// nesting and the total number of metadata values are capped. Tensor
// descriptors are checked (known type, dimensions positive and without
// overflow, rows whole blocks, offset aligned) and each tensor's byte range
// must lie inside the file. Errors name the file and the key or tensor.
//
//===----------------------------------------------------------------------===//

#include "txc/Support/GGUF.h"
#include "txc/Support/Files.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MathExtras.h"

#include <cstring>
#include <iterator>

using namespace llvm;

namespace txc {

namespace {

/// Deepest array nesting accepted (an array of arrays is depth 2).
constexpr unsigned kMaxArrayDepth = 8;
/// Most metadata values (array elements included) in one file. Real files
/// hold about a million at most (Gemma 3's 262k-token vocabulary with its
/// scores and token types is under 800k; Llama 3's with its merges about
/// 540k); the cap bounds the memory a hostile file can make the parser
/// allocate (about 72 bytes per value).
constexpr uint64_t kMaxMetadataValues = uint64_t(1) << 22;
/// Smallest encoding of a key/value pair: empty key, type, one byte value.
constexpr uint64_t kMinKeyValueBytes = 8 + 4 + 1;
/// Smallest encoding of a tensor descriptor: empty name, n_dims, one
/// dimension, type, offset.
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 8 + 4 + 8;
/// The supported versions.
constexpr uint32_t kMinVersion = 2, kMaxVersion = 3;

const char *valueTypeName(uint32_t type) {
  switch (static_cast<GGUFValueType>(type)) {
  case GGUFValueType::U8:
    return "u8";
  case GGUFValueType::I8:
    return "i8";
  case GGUFValueType::U16:
    return "u16";
  case GGUFValueType::I16:
    return "i16";
  case GGUFValueType::U32:
    return "u32";
  case GGUFValueType::I32:
    return "i32";
  case GGUFValueType::F32:
    return "f32";
  case GGUFValueType::Bool:
    return "bool";
  case GGUFValueType::String:
    return "string";
  case GGUFValueType::Array:
    return "array";
  case GGUFValueType::U64:
    return "u64";
  case GGUFValueType::I64:
    return "i64";
  case GGUFValueType::F64:
    return "f64";
  }
  return "unknown";
}

/// Encoded size of a scalar value type; 0 for strings, arrays and unknown
/// types.
uint64_t scalarSize(GGUFValueType type) {
  switch (type) {
  case GGUFValueType::U8:
  case GGUFValueType::I8:
  case GGUFValueType::Bool:
    return 1;
  case GGUFValueType::U16:
  case GGUFValueType::I16:
    return 2;
  case GGUFValueType::U32:
  case GGUFValueType::I32:
  case GGUFValueType::F32:
    return 4;
  case GGUFValueType::U64:
  case GGUFValueType::I64:
  case GGUFValueType::F64:
    return 8;
  case GGUFValueType::String:
  case GGUFValueType::Array:
    return 0;
  }
  return 0;
}

/// Smallest encoding of one value of `type` (a string is at least its
/// length, an array its element type and count); 0 for unknown types.
uint64_t minEncodedSize(uint32_t type) {
  if (type > static_cast<uint32_t>(GGUFValueType::F64))
    return 0;
  auto t = static_cast<GGUFValueType>(type);
  if (t == GGUFValueType::String)
    return 8;
  if (t == GGUFValueType::Array)
    return 4 + 8;
  return scalarSize(t);
}

/// Describes a value's type for error messages ("u32", "array of string").
std::string describeType(const GGUFValue &v) {
  if (v.type != GGUFValueType::Array)
    return valueTypeName(static_cast<uint32_t>(v.type));
  return std::string("array of ") +
         valueTypeName(static_cast<uint32_t>(v.elementType));
}

/// A bounds-checked little-endian cursor over the file, producing errors
/// that name the file.
class Parser {
public:
  Parser(StringRef bytes, StringRef path) : bytes(bytes), path(path) {}

  uint64_t offset() const { return pos; }
  uint64_t remaining() const { return bytes.size() - pos; }

  /// An error "GGUF 'path': <context>: <message>".
  Error error(const Twine &context, const Twine &message) const {
    std::string text = "GGUF '" + path.str() + "': ";
    if (!context.isTriviallyEmpty())
      text += context.str() + ": ";
    text += message.str();
    return createStringError(inconvertibleErrorCode(), text);
  }

  /// Reads `n` raw bytes, or fails naming `what`.
  Error readBytes(uint64_t n, StringRef &out, const Twine &context,
                  StringRef what) {
    if (n > remaining())
      return error(context, "truncated: " + what + " needs " + Twine(n) +
                                " bytes at offset " + Twine(pos) +
                                " but the file is " + Twine(bytes.size()) +
                                " bytes");
    out = bytes.substr(pos, n);
    pos += n;
    return Error::success();
  }

  template <typename T>
  Error read(T &out, const Twine &context, StringRef what) {
    StringRef raw;
    if (Error e = readBytes(sizeof(T), raw, context, what))
      return e;
    // The file is little-endian; so are the hosts txc runs on.
    std::memcpy(&out, raw.data(), sizeof(T));
    return Error::success();
  }

  /// A GGUF string: u64 length, then that many bytes.
  Error readString(StringRef &out, const Twine &context, StringRef what) {
    uint64_t length = 0;
    if (Error e = read(length, context, (what + " length").str()))
      return e;
    if (length > remaining())
      return error(context, what + " length " + Twine(length) + " at offset " +
                                Twine(pos - 8) + " exceeds the " +
                                Twine(remaining()) + " bytes left in the file");
    return readBytes(length, out, context, what);
  }

  /// One value of type `type` (its type field already read).
  Error readValue(uint32_t type, GGUFValue &out, const Twine &context,
                  unsigned depth, uint64_t &budget);

private:
  StringRef bytes;
  StringRef path;
  uint64_t pos = 0;
};

Error Parser::readValue(uint32_t type, GGUFValue &out, const Twine &context,
                        unsigned depth, uint64_t &budget) {
  if (budget == 0)
    return error(context, "more than " + Twine(kMaxMetadataValues) +
                              " metadata values in the file");
  --budget;
  if (type > static_cast<uint32_t>(GGUFValueType::F64))
    return error(context, "unknown value type " + Twine(type));
  out.type = static_cast<GGUFValueType>(type);
  switch (out.type) {
  case GGUFValueType::U8: {
    uint8_t v;
    if (Error e = read(v, context, "u8 value"))
      return e;
    out.integer = v;
    return Error::success();
  }
  case GGUFValueType::I8: {
    int8_t v;
    if (Error e = read(v, context, "i8 value"))
      return e;
    out.integer = v;
    return Error::success();
  }
  case GGUFValueType::U16: {
    uint16_t v;
    if (Error e = read(v, context, "u16 value"))
      return e;
    out.integer = v;
    return Error::success();
  }
  case GGUFValueType::I16: {
    int16_t v;
    if (Error e = read(v, context, "i16 value"))
      return e;
    out.integer = v;
    return Error::success();
  }
  case GGUFValueType::U32: {
    uint32_t v;
    if (Error e = read(v, context, "u32 value"))
      return e;
    out.integer = v;
    return Error::success();
  }
  case GGUFValueType::I32: {
    int32_t v;
    if (Error e = read(v, context, "i32 value"))
      return e;
    out.integer = v;
    return Error::success();
  }
  case GGUFValueType::U64: {
    uint64_t v;
    if (Error e = read(v, context, "u64 value"))
      return e;
    out.integer = static_cast<int64_t>(v);
    return Error::success();
  }
  case GGUFValueType::I64: {
    int64_t v;
    if (Error e = read(v, context, "i64 value"))
      return e;
    out.integer = v;
    return Error::success();
  }
  case GGUFValueType::F32: {
    float v;
    if (Error e = read(v, context, "f32 value"))
      return e;
    out.real = v;
    return Error::success();
  }
  case GGUFValueType::F64: {
    double v;
    if (Error e = read(v, context, "f64 value"))
      return e;
    out.real = v;
    return Error::success();
  }
  case GGUFValueType::Bool: {
    uint8_t v;
    if (Error e = read(v, context, "bool value"))
      return e;
    if (v > 1)
      return error(context, "bool value " + Twine(unsigned(v)) + " at offset " +
                                Twine(pos - 1) + " is neither 0 nor 1");
    out.integer = v;
    return Error::success();
  }
  case GGUFValueType::String:
    return readString(out.string, context, "string value");
  case GGUFValueType::Array:
    break;
  }

  // Arrays: element type, count, elements.
  if (depth >= kMaxArrayDepth)
    return error(context,
                 "arrays nested more than " + Twine(kMaxArrayDepth) + " deep");
  uint32_t elementType = 0;
  uint64_t count = 0;
  if (Error e = read(elementType, context, "array element type"))
    return e;
  if (Error e = read(count, context, "array length"))
    return e;
  uint64_t minSize = minEncodedSize(elementType);
  if (minSize == 0)
    return error(context, "array of unknown value type " + Twine(elementType));
  out.elementType = static_cast<GGUFValueType>(elementType);
  if (count > remaining() / minSize)
    return error(context, "array of " + Twine(count) + " " +
                              valueTypeName(elementType) +
                              " values at offset " + Twine(pos - 12) +
                              " needs at least " + Twine(minSize) +
                              " bytes each but only " + Twine(remaining()) +
                              " bytes are left");
  if (count > budget)
    return error(context, "more than " + Twine(kMaxMetadataValues) +
                              " metadata values in the file");
  out.array.resize(count);
  for (uint64_t i = 0; i < count; ++i)
    if (Error e = readValue(elementType, out.array[i],
                            context + " [" + Twine(i) + "]", depth + 1, budget))
      return e;
  return Error::success();
}

} // namespace

std::string ggmlTypeName(uint32_t type) {
  // All types ggml has numbered, so that an unsupported one is named.
  static const char *const names[] = {
      "F32",        "F16",        "Q4_0",       "Q4_1",     "Q4_2",    "Q4_3",
      "Q5_0",       "Q5_1",       "Q8_0",       "Q8_1",     "Q2_K",    "Q3_K",
      "Q4_K",       "Q5_K",       "Q6_K",       "Q8_K",     "IQ2_XXS", "IQ2_XS",
      "IQ3_XXS",    "IQ1_S",      "IQ4_NL",     "IQ3_S",    "IQ2_S",   "IQ4_XS",
      "I8",         "I16",        "I32",        "I64",      "F64",     "IQ1_M",
      "BF16",       "Q4_0_4_4",   "Q4_0_4_8",   "Q4_0_8_8", "TQ1_0",   "TQ2_0",
      "IQ4_NL_4_4", "IQ4_NL_4_8", "IQ4_NL_8_8", "MXFP4",    "NVFP4",   "Q1_0"};
  if (type < std::size(names))
    return names[type];
  return "type " + std::to_string(type);
}

std::optional<std::pair<int64_t, int64_t>> ggmlBlockLayout(uint32_t type) {
  using Layout = std::pair<int64_t, int64_t>;
  switch (static_cast<GGMLType>(type)) {
  case GGMLType::F32:
    return Layout{1, 4};
  case GGMLType::F16:
  case GGMLType::BF16:
    return Layout{1, 2};
  case GGMLType::F64:
    return Layout{1, 8};
  case GGMLType::I8:
    return Layout{1, 1};
  case GGMLType::I16:
    return Layout{1, 2};
  case GGMLType::I32:
    return Layout{1, 4};
  case GGMLType::I64:
    return Layout{1, 8};
  case GGMLType::Q4_0:
    return Layout{32, 18};
  case GGMLType::Q4_1:
    return Layout{32, 20};
  case GGMLType::Q5_0:
    return Layout{32, 22};
  case GGMLType::Q5_1:
    return Layout{32, 24};
  case GGMLType::Q8_0:
    return Layout{32, 34};
  case GGMLType::Q8_1:
    return Layout{32, 36};
  case GGMLType::Q2_K:
    return Layout{256, 84};
  case GGMLType::Q3_K:
    return Layout{256, 110};
  case GGMLType::Q4_K:
    return Layout{256, 144};
  case GGMLType::Q5_K:
    return Layout{256, 176};
  case GGMLType::Q6_K:
    return Layout{256, 210};
  case GGMLType::Q8_K:
    return Layout{256, 292};
  }
  return std::nullopt;
}

bool GGUFValue::isInteger() const {
  switch (type) {
  case GGUFValueType::U8:
  case GGUFValueType::I8:
  case GGUFValueType::U16:
  case GGUFValueType::I16:
  case GGUFValueType::U32:
  case GGUFValueType::I32:
  case GGUFValueType::U64:
  case GGUFValueType::I64:
    return true;
  default:
    return false;
  }
}

int64_t GGUFTensor::numElements() const {
  // The parser checked that the product does not overflow.
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d;
  return n;
}

int64_t GGUFTensor::rowBytes() const {
  auto layout = ggmlBlockLayout(type);
  if (!layout || dims.empty())
    return 0;
  return dims[0] / layout->first * layout->second;
}

Expected<std::unique_ptr<GGUFFile>> GGUFFile::open(StringRef path) {
  auto bufferOr = readRegularFile(path);
  if (!bufferOr)
    return bufferOr.takeError();
  return parse(std::move(*bufferOr));
}

Expected<std::unique_ptr<GGUFFile>>
GGUFFile::parse(std::unique_ptr<MemoryBuffer> buffer) {
  auto file = std::unique_ptr<GGUFFile>(new GGUFFile());
  file->buffer = std::move(buffer);
  StringRef bytes = file->buffer->getBuffer();
  StringRef path = file->buffer->getBufferIdentifier();
  Parser p(bytes, path);

  // Header.
  StringRef magic;
  if (Error e = p.readBytes(4, magic, "header", "the magic"))
    return std::move(e);
  if (magic != "GGUF")
    return p.error("", "not a GGUF file (the magic is '" +
                           (isPrint(magic[0]) && isPrint(magic[1]) &&
                                    isPrint(magic[2]) && isPrint(magic[3])
                                ? magic.str()
                                : "0x" + toHex(magic)) +
                           "', expected 'GGUF')");
  uint32_t version = 0;
  if (Error e = p.read(version, "header", "the version"))
    return std::move(e);
  if (version < kMinVersion || version > kMaxVersion) {
    if (byteswap(version) >= kMinVersion && byteswap(version) <= kMaxVersion)
      return p.error("", "big-endian GGUF files are not supported (version " +
                             Twine(byteswap(version)) + " stored big-endian)");
    if (version == 1)
      return p.error("", "GGUF version 1 is not supported (it predates "
                         "64-bit counts); convert the model to version 3");
    return p.error("", "unsupported GGUF version " + Twine(version) +
                           " (txc reads versions 2 and 3)");
  }
  file->fileVersion = version;
  uint64_t tensorCount = 0, kvCount = 0;
  if (Error e = p.read(tensorCount, "header", "the tensor count"))
    return std::move(e);
  if (Error e = p.read(kvCount, "header", "the metadata count"))
    return std::move(e);
  if (kvCount > p.remaining() / kMinKeyValueBytes)
    return p.error("header", "metadata count " + Twine(kvCount) +
                                 " cannot fit in the " + Twine(p.remaining()) +
                                 " bytes left in the file");
  if (tensorCount > p.remaining() / kMinTensorInfoBytes)
    return p.error("header", "tensor count " + Twine(tensorCount) +
                                 " cannot fit in the " + Twine(p.remaining()) +
                                 " bytes left in the file");

  // Metadata.
  uint64_t budget = kMaxMetadataValues;
  file->keyValues.reserve(kvCount);
  for (uint64_t i = 0; i < kvCount; ++i) {
    StringRef key;
    std::string context = "metadata entry " + std::to_string(i);
    if (Error e = p.readString(key, context, "key"))
      return std::move(e);
    context = "key '" + key.str() + "'";
    if (key.empty())
      return p.error("metadata entry " + Twine(i), "empty key");
    if (file->keyIndex.count(key))
      return p.error(context, "duplicate key");
    uint32_t type = 0;
    if (Error e = p.read(type, context, "value type"))
      return std::move(e);
    GGUFValue value;
    if (Error e = p.readValue(type, value, context, 0, budget))
      return std::move(e);
    file->keyIndex[key] = file->keyValues.size();
    file->keyValues.emplace_back(key.str(), std::move(value));
  }
  if (const GGUFValue *align = file->lookup("general.alignment")) {
    if (align->type != GGUFValueType::U32)
      return p.error("key 'general.alignment'",
                     "expected a u32, got " + describeType(*align));
    if (!isPowerOf2_64(static_cast<uint64_t>(align->integer)))
      return p.error("key 'general.alignment'", "alignment " +
                                                    Twine(align->integer) +
                                                    " is not a power of two");
    file->dataAlignment = static_cast<uint64_t>(align->integer);
  }

  // Tensor descriptors.
  file->tensorList.reserve(tensorCount);
  for (uint64_t i = 0; i < tensorCount; ++i) {
    StringRef name;
    std::string context = "tensor " + std::to_string(i);
    if (Error e = p.readString(name, context, "name"))
      return std::move(e);
    if (name.empty())
      return p.error(context, "empty tensor name");
    context = "tensor '" + name.str() + "'";
    if (file->tensorIndex.count(name))
      return p.error(context, "duplicate tensor name");
    GGUFTensor t;
    t.name = name.str();
    uint32_t nDims = 0;
    if (Error e = p.read(nDims, context, "the number of dimensions"))
      return std::move(e);
    if (nDims < 1 || nDims > 4)
      return p.error(context,
                     Twine(nDims) + " dimensions (ggml tensors have 1 to 4)");
    int64_t elements = 1;
    for (uint32_t d = 0; d < nDims; ++d) {
      uint64_t dim = 0;
      if (Error e = p.read(dim, context, "a dimension"))
        return std::move(e);
      if (dim == 0 || dim > static_cast<uint64_t>(INT64_MAX))
        return p.error(context, "dimension " + Twine(d) + " is " + Twine(dim) +
                                    " (must be positive)");
      if (static_cast<uint64_t>(elements) > INT64_MAX / dim)
        return p.error(context, "the number of elements overflows (dimension " +
                                    Twine(d) + " is " + Twine(dim) + ")");
      elements *= static_cast<int64_t>(dim);
      t.dims.push_back(static_cast<int64_t>(dim));
    }
    if (Error e = p.read(t.type, context, "the ggml type"))
      return std::move(e);
    if (Error e = p.read(t.offset, context, "the data offset"))
      return std::move(e);
    auto layout = ggmlBlockLayout(t.type);
    if (!layout) {
      std::string name = ggmlTypeName(t.type);
      if (StringRef(name).starts_with("type "))
        return p.error(context, "unknown ggml type " + Twine(t.type));
      return p.error(context, "unsupported ggml type " + name + " (" +
                                  Twine(t.type) + ")");
    }
    if (t.dims[0] % layout->first)
      return p.error(context, "first dimension " + Twine(t.dims[0]) +
                                  " is not a multiple of the " +
                                  ggmlTypeName(t.type) + " block size " +
                                  Twine(layout->first));
    file->tensorIndex[name] = file->tensorList.size();
    file->tensorList.push_back(std::move(t));
  }

  // Data section and each tensor's bytes.
  file->dataStart = alignTo(p.offset(), file->dataAlignment);
  uint64_t fileSize = bytes.size();
  uint64_t dataSize =
      file->dataStart <= fileSize ? fileSize - file->dataStart : 0;
  for (GGUFTensor &t : file->tensorList) {
    std::string context = "tensor '" + t.name + "'";
    auto layout = *ggmlBlockLayout(t.type);
    uint64_t blocks = static_cast<uint64_t>(t.numElements()) /
                      static_cast<uint64_t>(layout.first);
    uint64_t blockBytes = static_cast<uint64_t>(layout.second);
    if (blocks > UINT64_MAX / blockBytes)
      return p.error(context, "byte size overflows");
    uint64_t size = blocks * blockBytes;
    if (t.offset % file->dataAlignment)
      return p.error(context, "data offset " + Twine(t.offset) +
                                  " is not a multiple of the alignment " +
                                  Twine(file->dataAlignment));
    if (t.offset > dataSize || size > dataSize - t.offset) {
      // Print the end without overflowing for absurd offsets.
      std::string end = t.offset > UINT64_MAX - size
                            ? "overflow"
                            : std::to_string(t.offset + size);
      return p.error(context, "data [" + Twine(t.offset) + ", " + end +
                                  ") extends past the end of the file (" +
                                  Twine(fileSize) + " bytes, data section at " +
                                  Twine(file->dataStart) + ")");
    }
    t.data = ArrayRef<char>(bytes.data() + file->dataStart + t.offset, size);
  }
  return std::move(file);
}

const GGUFValue *GGUFFile::lookup(StringRef key) const {
  auto it = keyIndex.find(key);
  return it == keyIndex.end() ? nullptr : &keyValues[it->second].second;
}

/// "GGUF 'path': key 'k': <message>".
static Error keyError(const GGUFFile &file, StringRef key,
                      const Twine &message) {
  return createStringError(inconvertibleErrorCode(),
                           "GGUF '" + file.identifier() + "': key '" + key +
                               "': " + message);
}

Expected<int64_t> GGUFFile::getInteger(StringRef key) const {
  const GGUFValue *v = lookup(key);
  if (!v)
    return keyError(*this, key, "missing");
  if (!v->isInteger())
    return keyError(*this, key, "expected an integer, got " + describeType(*v));
  if (v->type == GGUFValueType::U64 && v->integer < 0)
    return keyError(*this, key,
                    "value " + Twine(static_cast<uint64_t>(v->integer)) +
                        " does not fit in a signed 64-bit integer");
  return v->integer;
}

Expected<bool> GGUFFile::getBool(StringRef key) const {
  const GGUFValue *v = lookup(key);
  if (!v)
    return keyError(*this, key, "missing");
  if (v->type != GGUFValueType::Bool)
    return keyError(*this, key, "expected a bool, got " + describeType(*v));
  return v->integer != 0;
}

Expected<double> GGUFFile::getFloat(StringRef key) const {
  const GGUFValue *v = lookup(key);
  if (!v)
    return keyError(*this, key, "missing");
  if (v->isFloat())
    return v->real;
  if (v->isInteger())
    return v->type == GGUFValueType::U64
               ? static_cast<double>(static_cast<uint64_t>(v->integer))
               : static_cast<double>(v->integer);
  return keyError(*this, key, "expected a number, got " + describeType(*v));
}

Expected<StringRef> GGUFFile::getString(StringRef key) const {
  const GGUFValue *v = lookup(key);
  if (!v)
    return keyError(*this, key, "missing");
  if (v->type != GGUFValueType::String)
    return keyError(*this, key, "expected a string, got " + describeType(*v));
  return v->string;
}

Expected<std::vector<StringRef>> GGUFFile::getStringArray(StringRef key) const {
  const GGUFValue *v = lookup(key);
  if (!v)
    return keyError(*this, key, "missing");
  if (v->type != GGUFValueType::Array ||
      v->elementType != GGUFValueType::String)
    return keyError(*this, key,
                    "expected an array of string, got " + describeType(*v));
  std::vector<StringRef> out;
  out.reserve(v->array.size());
  for (const GGUFValue &s : v->array)
    out.push_back(s.string);
  return out;
}

const GGUFTensor *GGUFFile::findTensor(StringRef name) const {
  auto it = tensorIndex.find(name);
  return it == tensorIndex.end() ? nullptr : &tensorList[it->second];
}

} // namespace txc
