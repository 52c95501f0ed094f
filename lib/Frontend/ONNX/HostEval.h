//===- HostEval.h - host-side evaluation of ONNX nodes ----------*- C++ -*-===//
//
// A small ONNX interpreter over HostTensors: evaluates a node whose inputs
// are all known at import time. Used for shape-computation subgraphs (Shape
// -> Gather -> Concat -> Reshape, ...) and, once shapes are specialized, for
// mask subgraphs (Range, comparisons, Where, Trilu, ...), so that what
// reaches the IR is a constant the raising passes can inspect.
//
// The evaluators live in one file per op family (HostEval<Family>.cpp), each
// registering its ops into the table that foldNode dispatches on
// (HostEvalImpl.h); Einsum equations are parsed in HostEvalEinsum.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_LIB_FRONTEND_ONNX_HOSTEVAL_H
#define TXC_LIB_FRONTEND_ONNX_HOSTEVAL_H

#include "HostTensor.h"

#include "llvm/ADT/StringRef.h"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <variant>

namespace txc::onnx_import {

/// The attributes of a node, already decoded.
struct NodeAttrs {
  std::map<std::string, int64_t> ints;
  std::map<std::string, double> floats;
  std::map<std::string, std::vector<int64_t>> intLists;
  std::map<std::string, std::vector<double>> floatLists;
  std::map<std::string, std::string> strings;
  std::map<std::string, HostTensor> tensors;

  int64_t getInt(llvm::StringRef name, int64_t def) const;
  double getFloat(llvm::StringRef name, double def) const;
  std::optional<std::vector<int64_t>> getInts(llvm::StringRef name) const;
  std::string getString(llvm::StringRef name, llvm::StringRef def) const;
  const HostTensor *getTensor(llvm::StringRef name) const;
};

/// Outcome of folding a node: the output tensors, or the reason folding was
/// not possible (unsupported op, element limit, malformed input). A reason
/// starting with "error: " means the node is malformed and import must fail.
struct FoldResult {
  std::vector<HostTensor> outputs;
  std::string reason;
  bool ok() const { return reason.empty(); }
};

/// Folds `opType` (default ONNX domain) at `opset` on `inputs` (a null entry
/// is an omitted optional input), producing `numOutputs` outputs. Refuses
/// results larger than `maxElements`.
FoldResult foldNode(llvm::StringRef opType, int64_t opset,
                    llvm::ArrayRef<const HostTensor *> inputs,
                    const NodeAttrs &attrs, unsigned numOutputs,
                    int64_t maxElements);

/// The arity check shared by foldNode and the converters: an op needing its
/// first `minInputs` inputs, where `present(i)` says whether input `i` is
/// given. Returns the message naming the first missing input, or an empty
/// string when all are there.
template <typename Present>
std::string checkMinInputs(unsigned minInputs, Present present) {
  for (unsigned i = 0; i < minInputs; ++i)
    if (!present(i))
      return "expects at least " + std::to_string(minInputs) +
             " inputs, input #" + std::to_string(i) + " is missing";
  return "";
}

/// True if foldNode knows `opType`.
bool canFold(llvm::StringRef opType);

/// Broadcast shape of two shapes under ONNX multidirectional broadcasting
/// (-1 = dynamic, allowed on input and output); nullopt if incompatible.
std::optional<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b);

/// An Einsum equation with its ellipses expanded: one label per dimension of
/// each operand and of the result. Letters are labels 0..51; the dimensions
/// an ellipsis stands for are labels 52 and up, right-aligned across the
/// operands (so they broadcast like ONNX elementwise operands).
struct EinsumSpec {
  std::vector<std::vector<int>> inputs;
  std::vector<int> output;
  /// Labels of all loops: the output's, then the summed ones.
  std::vector<int> loops;
};

/// Parses `equation` for operands of the given ranks (explicit `->` output,
/// or the implicit one: ellipsis, then the letters used once, sorted).
/// Returns an error message, or an empty string on success.
std::string parseEinsum(llvm::StringRef equation, llvm::ArrayRef<int64_t> ranks,
                        EinsumSpec &spec);

/// Size of each label of `spec` for operands of the given shapes (size-1
/// dimensions broadcast); an error message, or an empty string.
std::string einsumSizes(const EinsumSpec &spec,
                        llvm::ArrayRef<llvm::ArrayRef<int64_t>> shapes,
                        std::map<int, int64_t> &sizes);

} // namespace txc::onnx_import

#endif // TXC_LIB_FRONTEND_ONNX_HOSTEVAL_H
