//===- HostEval.cpp - dispatch of ONNX nodes to the host evaluators -------===//
//
// The op table, filled once by the family files' register*Ops functions,
// and foldNode: it checks the required inputs and their well-formedness,
// runs the op's evaluator and checks the outputs against the node and the
// element limit.
//
//===----------------------------------------------------------------------===//

#include "HostEvalImpl.h"

using namespace txc::onnx_import;
using namespace txc::onnx_import::hosteval;

/// Every op the evaluator knows, by type.
static const OpTable &opTable() {
  static const OpTable table = [] {
    OpTable t;
    registerElementwiseOps(t);
    registerShapeOps(t);
    registerIndexingOps(t);
    registerGenerateOps(t);
    registerLinalgOps(t);
    registerReduceOps(t);
    return t;
  }();
  return table;
}

namespace txc::onnx_import {

bool canFold(StringRef opType) { return opTable().count(opType); }

FoldResult foldNode(StringRef opType, int64_t opset,
                    ArrayRef<const HostTensor *> inputs, const NodeAttrs &attrs,
                    unsigned numOutputs, int64_t maxElements) {
  Ctx c{opset, inputs, attrs, numOutputs, maxElements, {}};
  auto it = opTable().find(opType);
  if (it == opTable().end())
    return c.refuse("unsupported op " + opType);
  const OpInfo &info = it->second;
  std::string missing = checkMinInputs(info.minInputs, [&](unsigned i) {
    return i < inputs.size() && inputs[i];
  });
  if (!missing.empty())
    return c.error(missing);
  for (const HostTensor *t : inputs) {
    if (!t)
      continue;
    std::string bad = checkTensor(*t);
    if (bad == "unsupported")
      return c.refuse(
          ("unsupported element type " + dtypeName(t->dtype)).str());
    if (!bad.empty())
      return c.error("malformed input: " + bad);
  }
  FoldResult r = info.fn(c);
  if (!r.ok())
    return r;
  if (r.outputs.size() < numOutputs)
    return c.error("produces " + Twine(r.outputs.size()) +
                   " outputs, the node has " + Twine(numOutputs));
  r.outputs.resize(numOutputs);
  for (const HostTensor &t : r.outputs)
    if (t.numElements() > maxElements)
      return c.tooLarge();
  return r;
}

} // namespace txc::onnx_import
