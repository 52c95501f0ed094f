//===- ModelLoader.cpp - parse ONNX protobufs into host data --------------===//

#include "ModelLoader.h"
#include "txc/Support/Files.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <google/protobuf/io/coded_stream.h>

#include <climits>
#include <cstring>

using namespace llvm;

namespace txc::onnx_import {

StringRef canonicalDomain(StringRef domain) {
  return domain == "ai.onnx" ? StringRef() : domain;
}

std::string LoadedModel::parse(StringRef bytes) {
  if (bytes.size() > static_cast<size_t>(INT_MAX))
    return "the model file is larger than 2 GiB; store its weights as "
           "external data";
  google::protobuf::io::CodedInputStream stream(
      reinterpret_cast<const uint8_t *>(bytes.data()),
      static_cast<int>(bytes.size()));
  stream.SetTotalBytesLimit(INT_MAX);
  if (!proto.ParseFromCodedStream(&stream) || !stream.ConsumedEntireMessage())
    return "not a valid ONNX model (the protobuf does not parse; the file may "
           "be truncated or not an ONNX file)";
  if (!proto.has_graph() || proto.ir_version() <= 0)
    return "not a valid ONNX model (no graph or no IR version)";
  opsets.clear();
  for (const auto &op : proto.opset_import())
    opsets[canonicalDomain(op.domain()).str()] = op.version();
  if (!opsets.count(""))
    return "the model does not import the default ONNX domain";
  return {};
}

int64_t LoadedModel::opset(StringRef domain) const {
  auto it = opsets.find(canonicalDomain(domain).str());
  return it == opsets.end() ? 0 : it->second;
}

/// Copies typed repeated fields into `out`, converting to its dtype.
template <typename Field>
static void copyTyped(const Field &field, HostTensor &out, bool asInt) {
  for (int i = 0, e = field.size(); i < e; ++i) {
    if (asInt)
      out.setInt(i, static_cast<int64_t>(field.Get(i)));
    else
      out.setDouble(i, static_cast<double>(field.Get(i)));
  }
}

std::string LoadedModel::readTensor(const onnx::TensorProto &t,
                                    HostTensor &out) {
  std::optional<DType> dtype = dtypeFromONNX(t.data_type());
  if (!dtype || dtypeSize(*dtype) == 0)
    return "tensor '" + t.name() + "' has unsupported element type " +
           std::to_string(t.data_type());
  SmallVector<int64_t> shape;
  for (int64_t d : t.dims()) {
    if (d < 0)
      return "tensor '" + t.name() + "' has a negative dimension";
    shape.push_back(d);
  }
  int64_t n = product(shape);
  if (n < 0 || n > (int64_t(1) << 40))
    return "tensor '" + t.name() + "' is too large";
  out = HostTensor(*dtype, shape);
  size_t expectedBytes = out.bytes.size();
  // 4-bit types pack two elements per byte in ONNX.
  bool packed4 = *dtype == DType::U4 || *dtype == DType::I4;

  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    std::string location;
    int64_t offset = 0, length = -1;
    for (const auto &kv : t.external_data()) {
      if (kv.key() == "location")
        location = kv.value();
      else if (kv.key() == "offset")
        offset = std::strtoll(kv.value().c_str(), nullptr, 10);
      else if (kv.key() == "length")
        length = std::strtoll(kv.value().c_str(), nullptr, 10);
    }
    if (location.empty())
      return "tensor '" + t.name() + "' has external data without a location";
    if (sys::path::is_absolute(location))
      return "tensor '" + t.name() + "': external data location '" +
             location + "' must be relative to the model";
    // Inside the model's folder: no '..' component (as onnxruntime).
    for (auto it = sys::path::begin(location), e = sys::path::end(location);
         it != e; ++it)
      if (*it == "..")
        return "tensor '" + t.name() + "': external data location '" +
               location + "' leaves the model's folder ('..')";
    SmallString<256> path(baseDir);
    sys::path::append(path, location);
    auto &file = externalFiles[path];
    if (!file) {
      auto buf = readRegularFile(path);
      if (!buf)
        return "tensor '" + t.name() + "': external data: " +
               toString(buf.takeError());
      file = std::move(*buf);
    }
    size_t want = packed4 ? (n + 1) / 2 : expectedBytes;
    if (length >= 0 && static_cast<size_t>(length) != want)
      return "tensor '" + t.name() + "': external data length " +
             std::to_string(length) + " does not match its shape";
    if (offset < 0 || static_cast<size_t>(offset) + want > file->getBufferSize())
      return "tensor '" + t.name() + "': external data range lies outside '" +
             std::string(path) + "'";
    StringRef raw = file->getBuffer().substr(offset, want);
    if (packed4) {
      for (int64_t i = 0; i < n; ++i) {
        uint8_t byte = static_cast<uint8_t>(raw[i / 2]);
        out.bytes[i] = static_cast<char>(i % 2 ? byte >> 4 : byte & 0xf);
      }
    } else {
      std::memcpy(out.bytes.data(), raw.data(), want);
    }
    return {};
  }

  if (t.has_raw_data()) {
    const std::string &raw = t.raw_data();
    size_t want = packed4 ? (n + 1) / 2 : expectedBytes;
    if (raw.size() != want)
      return "tensor '" + t.name() + "' has " + std::to_string(raw.size()) +
             " bytes of raw data, expected " + std::to_string(want);
    if (packed4) {
      for (int64_t i = 0; i < n; ++i) {
        uint8_t byte = static_cast<uint8_t>(raw[i / 2]);
        out.bytes[i] = static_cast<char>(i % 2 ? byte >> 4 : byte & 0xf);
      }
    } else {
      std::memcpy(out.bytes.data(), raw.data(), want);
    }
    return {};
  }

  auto sizeMismatch = [&](int64_t have) {
    return "tensor '" + t.name() + "' has " + std::to_string(have) +
           " elements, expected " + std::to_string(n);
  };
  // Typed fields: check the element count, then convert.
  auto copyField = [&](const auto &field, bool asInt) -> std::string {
    if (field.size() != n)
      return sizeMismatch(field.size());
    copyTyped(field, out, asInt);
    return {};
  };
  switch (*dtype) {
  case DType::F32:
    return copyField(t.float_data(), false);
  case DType::F64:
    return copyField(t.double_data(), false);
  case DType::I64:
    return copyField(t.int64_data(), true);
  case DType::U32:
  case DType::U64:
    return copyField(t.uint64_data(), true);
  case DType::F16:
  case DType::BF16:
    // Stored as raw 16-bit patterns in int32_data.
    if (t.int32_data_size() != n)
      return sizeMismatch(t.int32_data_size());
    for (int64_t i = 0; i < n; ++i) {
      uint16_t bits = static_cast<uint16_t>(t.int32_data(i));
      std::memcpy(out.bytes.data() + 2 * i, &bits, 2);
    }
    return {};
  default:
    // int32, int16, int8, uint8, uint16, bool, fp8, int4: int32_data.
    if (packed4 ? t.int32_data_size() != (n + 1) / 2
                : t.int32_data_size() != n)
      return sizeMismatch(t.int32_data_size());
    if (packed4) {
      for (int64_t i = 0; i < n; ++i) {
        uint8_t byte = static_cast<uint8_t>(t.int32_data(i / 2));
        out.bytes[i] = static_cast<char>(i % 2 ? byte >> 4 : byte & 0xf);
      }
    } else if (*dtype == DType::F8E4M3FN) {
      for (int64_t i = 0; i < n; ++i)
        out.bytes[i] = static_cast<char>(t.int32_data(i));
    } else {
      copyTyped(t.int32_data(), out, true);
    }
    return {};
  }
}

std::string LoadedModel::readAttributes(const onnx::NodeProto &node,
                                        NodeAttrs &out) {
  for (const onnx::AttributeProto &a : node.attribute()) {
    const std::string &name = a.name();
    switch (a.type()) {
    case onnx::AttributeProto::INT:
      out.ints[name] = a.i();
      break;
    case onnx::AttributeProto::FLOAT:
      out.floats[name] = a.f();
      break;
    case onnx::AttributeProto::STRING:
      out.strings[name] = a.s();
      break;
    case onnx::AttributeProto::INTS:
      out.intLists[name].assign(a.ints().begin(), a.ints().end());
      break;
    case onnx::AttributeProto::FLOATS:
      out.floatLists[name].assign(a.floats().begin(), a.floats().end());
      break;
    case onnx::AttributeProto::TENSOR: {
      HostTensor t;
      if (std::string err = readTensor(a.t(), t); !err.empty())
        return "attribute '" + name + "': " + err;
      out.tensors[name] = std::move(t);
      break;
    }
    default:
      // Graph, sparse-tensor and type attributes are not used by the ops the
      // importer supports; an op that needs one reports it.
      break;
    }
  }
  return {};
}

} // namespace txc::onnx_import
