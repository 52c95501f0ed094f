//===- HostEvalEinsum.cpp - Einsum equation parsing -----------------------===//
//
// Parses an Einsum equation into one label per dimension of each operand
// and of the result, expanding ellipses, and sizes the labels from the
// operand shapes. Shared by the host evaluator (HostEvalLinalg.cpp) and the
// Einsum converter (ConvertLinalg.cpp).
//
//===----------------------------------------------------------------------===//

#include "HostEval.h"

#include <algorithm>
#include <set>

using llvm::ArrayRef;
using llvm::SmallVector;
using llvm::StringRef;

namespace txc::onnx_import {

std::string parseEinsum(StringRef equation, ArrayRef<int64_t> ranks,
                        EinsumSpec &spec) {
  std::string eq;
  for (char ch : equation)
    if (ch != ' ')
      eq += ch;
  StringRef lhs = eq, rhs;
  bool explicitOutput = StringRef(eq).contains("->");
  if (explicitOutput)
    std::tie(lhs, rhs) = StringRef(eq).split("->");
  SmallVector<StringRef> terms;
  lhs.split(terms, ',');
  if (terms.size() != ranks.size())
    return "equation '" + equation.str() + "' has " +
           std::to_string(terms.size()) + " operands, the node " +
           std::to_string(ranks.size());
  auto letterLabel = [](char ch) -> int {
    if (ch >= 'a' && ch <= 'z')
      return ch - 'a';
    if (ch >= 'A' && ch <= 'Z')
      return 26 + ch - 'A';
    return -1;
  };
  // Letters of each term, with the position of its ellipsis (or -1).
  std::vector<std::vector<int>> letters(terms.size());
  std::vector<int> ellipsisAt(terms.size(), -1);
  int64_t ellipsisRank = 0;
  auto parseTerm = [&](StringRef term, std::vector<int> &out,
                       int &at) -> std::string {
    for (size_t i = 0; i < term.size(); ++i) {
      if (term.substr(i).starts_with("...")) {
        if (at >= 0)
          return "more than one ellipsis in '" + term.str() + "'";
        at = out.size();
        i += 2;
        continue;
      }
      int label = letterLabel(term[i]);
      if (label < 0)
        return std::string("unexpected character '") + term[i] +
               "' in equation '" + equation.str() + "'";
      out.push_back(label);
    }
    return "";
  };
  for (size_t t = 0; t < terms.size(); ++t) {
    if (std::string err = parseTerm(terms[t], letters[t], ellipsisAt[t]);
        !err.empty())
      return err;
    int64_t extra = ranks[t] - static_cast<int64_t>(letters[t].size());
    if (extra < 0 || (extra > 0 && ellipsisAt[t] < 0))
      return "operand " + std::to_string(t) + " has rank " +
             std::to_string(ranks[t]) + " but '" + terms[t].str() + "' names " +
             std::to_string(letters[t].size()) + " dimensions";
    ellipsisRank = std::max(ellipsisRank, extra);
  }
  auto expand = [&](const std::vector<int> &ls, int at, int64_t extra) {
    std::vector<int> out;
    for (size_t i = 0; i <= ls.size(); ++i) {
      if (static_cast<int>(i) == at)
        for (int64_t k = 0; k < extra; ++k)
          out.push_back(52 + (ellipsisRank - extra) + k);
      if (i < ls.size())
        out.push_back(ls[i]);
    }
    return out;
  };
  spec.inputs.clear();
  std::map<int, int> counts;
  for (size_t t = 0; t < terms.size(); ++t) {
    spec.inputs.push_back(
        expand(letters[t], ellipsisAt[t], ranks[t] - letters[t].size()));
    for (int l : letters[t])
      ++counts[l];
  }
  spec.output.clear();
  if (explicitOutput) {
    std::vector<int> outLetters;
    int at = -1;
    if (std::string err = parseTerm(rhs, outLetters, at); !err.empty())
      return err;
    if (at < 0 && ellipsisRank > 0)
      at = 0; // ONNX: the broadcast dimensions lead an output without "..."
    spec.output = expand(outLetters, at, at < 0 ? 0 : ellipsisRank);
    for (int l : outLetters)
      if (!counts.count(l))
        return "an output label of '" + equation.str() +
               "' does not appear in the inputs";
  } else {
    for (int64_t k = 0; k < ellipsisRank; ++k)
      spec.output.push_back(52 + k);
    for (auto [label, count] : counts)
      if (count == 1)
        spec.output.push_back(label);
  }
  std::set<int> seen(spec.output.begin(), spec.output.end());
  if (seen.size() != spec.output.size())
    return "the output of '" + equation.str() + "' repeats a label";
  spec.loops = spec.output;
  for (const std::vector<int> &in : spec.inputs)
    for (int l : in)
      if (seen.insert(l).second)
        spec.loops.push_back(l);
  return "";
}

std::string einsumSizes(const EinsumSpec &spec,
                        ArrayRef<ArrayRef<int64_t>> shapes,
                        std::map<int, int64_t> &sizes) {
  sizes.clear();
  for (size_t t = 0; t < spec.inputs.size(); ++t)
    for (size_t d = 0; d < spec.inputs[t].size(); ++d) {
      int64_t n = shapes[t][d];
      auto [it, inserted] = sizes.try_emplace(spec.inputs[t][d], n);
      if (inserted || it->second == n || n == 1)
        continue;
      if (it->second == 1) {
        it->second = n;
        continue;
      }
      return "dimension " + std::to_string(d) + " of operand " +
             std::to_string(t) + " is " + std::to_string(n) +
             ", another use of its label is " + std::to_string(it->second);
    }
  return "";
}

} // namespace txc::onnx_import
