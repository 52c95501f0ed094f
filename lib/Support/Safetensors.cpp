//===- Safetensors.cpp - read and write safetensors weight files ----------===//

#include "txc/Support/Safetensors.h"
#include "txc/Support/Files.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

namespace txc {

unsigned safetensorsDTypeSize(StringRef dtype) {
  return StringSwitch<unsigned>(dtype)
      .Cases({"F64", "I64", "U64"}, 8)
      .Cases({"F32", "I32", "U32"}, 4)
      .Cases({"F16", "BF16", "I16", "U16"}, 2)
      .Cases({"I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2"}, 1)
      .Default(0);
}

/// Number of elements, or -1 on a negative dimension or overflow.
static int64_t numElements(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0 || (d != 0 && n > INT64_MAX / d))
      return -1;
    n *= d;
  }
  return n;
}

/// Deepest nesting of JSON arrays and objects in `text` (strings skipped).
/// llvm::json::parse recurses once per level, so a header of a million '['
/// would overflow the stack: the reader checks the depth first.
static unsigned jsonNestingDepth(StringRef text) {
  unsigned depth = 0, deepest = 0;
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (inString) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        inString = false;
    } else if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

Error SafetensorsWriter::add(StringRef name, StringRef dtype,
                             ArrayRef<int64_t> shape, ArrayRef<char> data) {
  if (index.count(name))
    return createStringError("duplicate tensor name '%s'", name.str().c_str());
  unsigned elt = safetensorsDTypeSize(dtype);
  if (!elt)
    return createStringError("unknown safetensors dtype '%s'",
                             dtype.str().c_str());
  int64_t n = numElements(shape);
  if (n < 0 || static_cast<uint64_t>(n) * elt != data.size())
    return createStringError("tensor '%s': %zu bytes do not match its shape",
                             name.str().c_str(), data.size());
  index[name] = tensors.size();
  tensors.push_back({name.str(), dtype.str(), SmallVector<int64_t>(shape),
                     std::vector<char>(data.begin(), data.end())});
  return Error::success();
}

Error SafetensorsWriter::write(StringRef path) const {
  constexpr uint64_t kAlign = 64;
  json::Object header;
  uint64_t offset = 0;
  for (const Tensor &t : tensors) {
    offset = alignTo(offset, kAlign);
    json::Array shape;
    for (int64_t d : t.shape)
      shape.push_back(d);
    header[t.name] = json::Object{
        {"dtype", t.dtype},
        {"shape", std::move(shape)},
        {"data_offsets", json::Array{offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  header["__metadata__"] = json::Object{{"format", "pt"}, {"producer", "txc"}};
  std::string text;
  raw_string_ostream os(text);
  os << json::Value(std::move(header));
  // Pad the header with spaces so the data starts 8-byte aligned.
  text.append(alignTo(text.size() + 8, 8) - (text.size() + 8), ' ');

  SmallString<128> tmp(path);
  tmp += ".tmp";
  std::error_code ec;
  raw_fd_ostream out(tmp, ec, sys::fs::OF_None);
  if (ec)
    return createStringError(ec, "cannot write '%s': %s", tmp.c_str(),
                             ec.message().c_str());
  uint64_t size = text.size();
  char len[8];
  for (int i = 0; i < 8; ++i)
    len[i] = static_cast<char>((size >> (8 * i)) & 0xff);
  out.write(len, 8);
  out << text;
  uint64_t written = 0;
  for (const Tensor &t : tensors) {
    uint64_t aligned = alignTo(written, kAlign);
    out.write_zeros(aligned - written);
    out.write(t.bytes.data(), t.bytes.size());
    written = aligned + t.bytes.size();
  }
  out.close();
  if (out.has_error())
    return createStringError(out.error(), "cannot write '%s'", tmp.c_str());
  if (std::error_code rc = sys::fs::rename(tmp, path))
    return createStringError(rc, "cannot rename '%s' to '%s'", tmp.c_str(),
                             path.str().c_str());
  return Error::success();
}

Expected<std::unique_ptr<SafetensorsFile>>
SafetensorsFile::open(StringRef path) {
  auto bufferOr = readRegularFile(path);
  if (!bufferOr)
    return bufferOr.takeError();
  return parse(std::move(*bufferOr));
}

Expected<std::unique_ptr<SafetensorsFile>>
SafetensorsFile::parse(std::unique_ptr<MemoryBuffer> buffer) {
  auto file = std::unique_ptr<SafetensorsFile>(new SafetensorsFile());
  file->buffer = std::move(buffer);
  StringRef bytes = file->buffer->getBuffer();
  StringRef path = file->buffer->getBufferIdentifier();
  auto bad = [&](const Twine &why) {
    return createStringError("'%s' is not a valid safetensors file: %s",
                             path.str().c_str(), why.str().c_str());
  };
  if (bytes.size() < 8)
    return bad("shorter than its 8-byte header length");
  uint64_t headerSize = 0;
  for (int i = 0; i < 8; ++i)
    headerSize |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[i]))
                  << (8 * i);
  if (headerSize > bytes.size() - 8)
    return bad("header length exceeds the file size");
  // A real header nests 3 deep (entries, then shapes and offsets).
  constexpr unsigned kMaxDepth = 32;
  if (jsonNestingDepth(bytes.substr(8, headerSize)) > kMaxDepth)
    return bad("header nests JSON deeper than " + Twine(kMaxDepth) + " levels");
  Expected<json::Value> header = json::parse(bytes.substr(8, headerSize));
  if (!header)
    return bad("header is not JSON: " + toString(header.takeError()));
  json::Object *object = header->getAsObject();
  if (!object)
    return bad("header is not a JSON object");
  StringRef data = bytes.substr(8 + headerSize);
  for (auto &[key, value] : *object) {
    if (key == "__metadata__")
      continue;
    json::Object *entry = value.getAsObject();
    if (!entry)
      return bad("entry '" + key.str() + "' is not an object");
    std::optional<StringRef> dtype = entry->getString("dtype");
    json::Array *shape = entry->getArray("shape");
    json::Array *offsets = entry->getArray("data_offsets");
    if (!dtype || !shape || !offsets || offsets->size() != 2)
      return bad("entry '" + key.str() + "' lacks dtype, shape or data_offsets");
    SafetensorsEntry e;
    e.dtype = dtype->str();
    for (json::Value &d : *shape) {
      std::optional<int64_t> dim = d.getAsInteger();
      if (!dim || *dim < 0)
        return bad("entry '" + key.str() + "' has a bad shape");
      e.shape.push_back(*dim);
    }
    std::optional<int64_t> begin = (*offsets)[0].getAsInteger(),
                           end = (*offsets)[1].getAsInteger();
    unsigned elt = safetensorsDTypeSize(e.dtype);
    int64_t n = numElements(e.shape);
    if (!begin || !end || *begin < 0 || *end < *begin ||
        static_cast<uint64_t>(*end) > data.size())
      return bad("entry '" + key.str() + "' has byte range outside the file");
    if (!elt)
      return bad("entry '" + key.str() + "' has unknown dtype '" + e.dtype +
                 "'");
    // Compare by division: n * elt can wrap around for huge shapes.
    uint64_t size = static_cast<uint64_t>(*end - *begin);
    if (n < 0 || static_cast<uint64_t>(n) > size / elt ||
        static_cast<uint64_t>(n) * elt != size)
      return bad("entry '" + key.str() +
                 "' has a byte range that does not match its dtype and shape");
    e.data = ArrayRef<char>(data.data() + *begin, *end - *begin);
    file->tensors[key] = std::move(e);
  }
  return std::move(file);
}

const SafetensorsEntry *SafetensorsFile::lookup(StringRef name) const {
  auto it = tensors.find(name);
  return it == tensors.end() ? nullptr : &it->second;
}

} // namespace txc
