//===- Safetensors.cpp - read and write safetensors weight files ----------===//
//
// The reader is the runtime's (RuntimeSupport.cpp: nlohmann-json, no LLVM),
// adapted to LLVM containers; the writer, used by txc only, keeps
// llvm::json.
//
//===----------------------------------------------------------------------===//

#include "txc/Support/Safetensors.h"
#include "txc/Support/Files.h"
#include "txc/Support/RuntimeSupport.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

namespace txc {

unsigned safetensorsDTypeSize(StringRef dtype) {
  return rt::safetensorsDTypeSize(dtype);
}

Error SafetensorsWriter::add(StringRef name, StringRef dtype,
                             ArrayRef<int64_t> shape, ArrayRef<char> data) {
  if (index.count(name))
    return createStringError("duplicate tensor name '%s'", name.str().c_str());
  unsigned elt = safetensorsDTypeSize(dtype);
  if (!elt)
    return createStringError("unknown safetensors dtype '%s'",
                             dtype.str().c_str());
  int64_t n = rt::numElements(shape.data(), shape.size());
  if (n < 0 || static_cast<uint64_t>(n) * elt != data.size())
    return createStringError("tensor '%s': %zu bytes do not match its shape",
                             name.str().c_str(), data.size());
  index[name] = tensors.size();
  tensors.push_back({name.str(), dtype.str(), SmallVector<int64_t>(shape),
                     std::vector<char>(data.begin(), data.end())});
  return Error::success();
}

std::optional<SafetensorsEntry>
SafetensorsWriter::lookup(StringRef name) const {
  auto it = index.find(name);
  if (it == index.end())
    return std::nullopt;
  const Tensor &t = tensors[it->second];
  return SafetensorsEntry{t.dtype, t.shape, t.bytes};
}

void SafetensorsWriter::retain(function_ref<bool(StringRef)> keep) {
  std::vector<Tensor> kept;
  index.clear();
  for (Tensor &t : tensors)
    if (keep(t.name)) {
      index[t.name] = kept.size();
      kept.push_back(std::move(t));
    }
  tensors = std::move(kept);
}

void SafetensorsWriter::setMetadata(StringRef key, StringRef value) {
  for (auto &[k, v] : metadata)
    if (k == key) {
      v = value.str();
      return;
    }
  metadata.emplace_back(key.str(), value.str());
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
  json::Object meta{{"format", "pt"}, {"producer", "txc"}};
  for (const auto &[key, value] : metadata)
    meta[key] = value;
  header["__metadata__"] = std::move(meta);
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
  if (out.has_error()) {
    std::error_code error = out.error();
    out.clear_error();
    sys::fs::remove(tmp);
    return createStringError(error, "cannot write '%s': %s", tmp.c_str(),
                             error.message().c_str());
  }
  if (std::error_code rc = sys::fs::rename(tmp, path)) {
    sys::fs::remove(tmp);
    return createStringError(rc, "cannot rename '%s' to '%s': %s", tmp.c_str(),
                             path.str().c_str(), rc.message().c_str());
  }
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
  std::vector<rt::SafetensorsTensor> tensors;
  std::string error;
  if (!rt::parseSafetensors(file->buffer->getBuffer(),
                            file->buffer->getBufferIdentifier().str(), tensors,
                            error))
    return createStringError(inconvertibleErrorCode(), error);
  for (rt::SafetensorsTensor &t : tensors) {
    SafetensorsEntry e;
    e.dtype = std::move(t.dtype);
    e.shape.assign(t.shape.begin(), t.shape.end());
    e.data = ArrayRef<char>(t.data, t.size);
    file->tensors[t.name] = std::move(e);
  }
  // The header was validated above; only its string metadata is kept.
  StringRef bytes = file->buffer->getBuffer();
  uint64_t length = 0;
  for (int i = 0; i < 8; ++i)
    length |= uint64_t(static_cast<uint8_t>(bytes[i])) << (8 * i);
  if (Expected<json::Value> header = json::parse(bytes.substr(8, length))) {
    if (const json::Object *root = header->getAsObject())
      if (const json::Object *meta = root->getObject("__metadata__"))
        for (const auto &[key, value] : *meta)
          if (std::optional<StringRef> text = value.getAsString())
            file->meta[key.str()] = text->str();
  } else {
    consumeError(header.takeError());
  }
  return std::move(file);
}

const SafetensorsEntry *SafetensorsFile::lookup(StringRef name) const {
  auto it = tensors.find(name);
  return it == tensors.end() ? nullptr : &it->second;
}

} // namespace txc
