//===- ModelLoader.h - parse ONNX protobufs into host data ------*- C++ -*-===//

#ifndef TXC_LIB_FRONTEND_ONNX_MODELLOADER_H
#define TXC_LIB_FRONTEND_ONNX_MODELLOADER_H

#include "HostEval.h"
#include "HostTensor.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/MemoryBuffer.h"

// ONNX_ML and ONNX_NAMESPACE come from the onnx_proto CMake target.
#include "onnx/onnx_pb.h"

#include <map>
#include <memory>
#include <string>

namespace txc::onnx_import {

/// A parsed model plus what is needed to resolve external data.
class LoadedModel {
public:
  onnx::ModelProto proto;
  std::string baseDir;
  std::string displayName;

  /// Parses `bytes`; returns an empty string or an error message.
  std::string parse(llvm::StringRef bytes);

  /// Opset version imported for `domain` ("" and "ai.onnx" are the default
  /// domain); 0 when the model does not import the domain.
  int64_t opset(llvm::StringRef domain) const;

  /// Decodes a tensor, reading external data relative to baseDir.
  std::string readTensor(const onnx::TensorProto &proto, HostTensor &out);

  /// Decodes the attributes of a node.
  std::string readAttributes(const onnx::NodeProto &node, NodeAttrs &out);

private:
  std::map<std::string, int64_t> opsets;
  llvm::StringMap<std::unique_ptr<llvm::MemoryBuffer>> externalFiles;
};

/// Canonical domain name: "" for the default ONNX domain.
llvm::StringRef canonicalDomain(llvm::StringRef domain);

} // namespace txc::onnx_import

#endif // TXC_LIB_FRONTEND_ONNX_MODELLOADER_H
