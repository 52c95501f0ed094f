//===- HostEvalSupport.cpp - attributes, broadcasting, element copies -----===//
//
// The pieces of the host evaluator that are not specific to one op family:
// decoded node attributes, ONNX multidirectional broadcasting of shapes,
// tensor well-formedness checks and raw element copies.
//
//===----------------------------------------------------------------------===//

#include "HostEvalImpl.h"

#include <algorithm>
#include <cstring>
#include <limits>

using llvm::ArrayRef;
using llvm::SmallVector;
using llvm::StringRef;

namespace txc::onnx_import {

int64_t NodeAttrs::getInt(StringRef name, int64_t def) const {
  auto it = ints.find(name.str());
  return it == ints.end() ? def : it->second;
}

double NodeAttrs::getFloat(StringRef name, double def) const {
  auto it = floats.find(name.str());
  return it == floats.end() ? def : it->second;
}

std::optional<std::vector<int64_t>> NodeAttrs::getInts(StringRef name) const {
  auto it = intLists.find(name.str());
  if (it == intLists.end())
    return std::nullopt;
  return it->second;
}

std::string NodeAttrs::getString(StringRef name, StringRef def) const {
  auto it = strings.find(name.str());
  return it == strings.end() ? def.str() : it->second;
}

const HostTensor *NodeAttrs::getTensor(StringRef name) const {
  auto it = tensors.find(name.str());
  return it == tensors.end() ? nullptr : &it->second;
}

std::optional<SmallVector<int64_t>> broadcastShapes(ArrayRef<int64_t> a,
                                                    ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    size_t ia = i + a.size(), ib = i + b.size();
    int64_t x = ia < rank ? 1 : a[ia - rank];
    int64_t y = ib < rank ? 1 : b[ib - rank];
    if (x == y || y == 1)
      out[i] = x;
    else if (x == 1 || x == -1)
      out[i] = y;
    else if (y == -1)
      out[i] = x;
    else
      return std::nullopt;
  }
  return out;
}

} // namespace txc::onnx_import

namespace txc::onnx_import::hosteval {

std::string fmt(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

FoldResult done(HostTensor t) {
  FoldResult r;
  r.outputs.push_back(std::move(t));
  return r;
}

/// An error message if `t` is not a well-formed tensor of a held type; an
/// empty string if it is; "unsupported" for element types not held.
std::string checkTensor(const HostTensor &t) {
  if (dtypeSize(t.dtype) == 0)
    return "unsupported";
  for (int64_t d : t.shape)
    if (d < 0)
      return "negative dimension in shape " + fmt(t.shape);
  int64_t n = product(t.shape);
  if (n == std::numeric_limits<int64_t>::max() ||
      t.bytes.size() != static_cast<uint64_t>(n) * dtypeSize(t.dtype))
    return "tensor of shape " + fmt(t.shape) + " and type " +
           dtypeName(t.dtype).str() + " has " + std::to_string(t.bytes.size()) +
           " bytes";
  return "";
}

/// Copies `n` elements (same element type) from `src` at `si` to `dst` at `di`.
void copyElems(HostTensor &dst, int64_t di, const HostTensor &src, int64_t si,
               int64_t n) {
  if (n <= 0)
    return;
  size_t size = dtypeSize(src.dtype);
  std::memcpy(dst.bytes.data() + di * size, src.bytes.data() + si * size,
              n * size);
}

HostTensor reshaped(const HostTensor &t, ArrayRef<int64_t> shape) {
  HostTensor r = t;
  r.shape.assign(shape.begin(), shape.end());
  return r;
}

int64_t dot(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  int64_t s = 0;
  for (size_t i = 0; i < a.size(); ++i)
    s += a[i] * b[i];
  return s;
}

} // namespace txc::onnx_import::hosteval
