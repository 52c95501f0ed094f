//===- PromptIds.cpp - parse txc-run's token-id prompts -------------------===//
//
// The id lists and .npy prompts of txc-run generate --prompt-ids and
// txc-run tokenize --text. Rows are checked against the model's batch before
// any row is copied, so a file's shape cannot make txc-run allocate more
// than the ids it holds.
//
//===----------------------------------------------------------------------===//

#include "PromptIds.h"

#include "txc/Support/Npy.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"

#include <cstring>

using namespace llvm;

std::string txcrun::parseIds(StringRef text, StringRef flag,
                             std::vector<int64_t> &ids) {
  SmallVector<StringRef> words;
  SplitString(text, words, " ,\t\r\n");
  for (StringRef word : words) {
    int64_t id;
    if (word.getAsInteger(10, id))
      return (flag + ": '" + word + "' is not a token id").str();
    ids.push_back(id);
  }
  return "";
}

std::string txcrun::readPromptIds(StringRef value, int64_t batch,
                                  std::vector<int64_t> &tokens,
                                  int64_t &length) {
  auto rowCount = [&](size_t rows) {
    return "the prompt has " + std::to_string(rows) +
           " rows but the model generates batches of " + std::to_string(batch);
  };
  std::vector<std::vector<int64_t>> rows;
  if (value.ends_with(".npy") || sys::fs::is_regular_file(value)) {
    Expected<txc::NpyArray> array = txc::readNpy(value);
    if (!array)
      return "--prompt-ids: " + toString(array.takeError());
    bool i64 = array->dtype == "<i8", i32 = array->dtype == "<i4";
    if (!i64 && !i32)
      return "--prompt-ids: '" + value.str() +
             "' must hold int64 or int32 ids, got dtype " + array->dtype;
    if (array->shape.empty() || array->shape.size() > 2) {
      std::string shape;
      for (int64_t d : array->shape)
        shape += (shape.empty() ? "" : ", ") + std::to_string(d);
      return "--prompt-ids: '" + value.str() +
             "' must have shape [P] or [batch, P], got [" + shape + "] (rank " +
             std::to_string(array->shape.size()) + ")";
    }
    int64_t r = array->shape.size() == 2 ? array->shape[0] : 1;
    int64_t p = array->shape.back();
    // A shape such as [2^40, 0] holds no data; check it before making rows.
    if (p == 0)
      return "the prompt is empty";
    if (r != 1 && r != batch)
      return rowCount(r);
    unsigned size = i64 ? 8 : 4;
    for (int64_t i = 0; i < r; ++i) {
      std::vector<int64_t> row;
      for (int64_t j = 0; j < p; ++j) {
        const char *element = array->data.data() + (i * p + j) * size;
        int64_t v = 0;
        if (i64) {
          std::memcpy(&v, element, 8);
        } else {
          int32_t w;
          std::memcpy(&w, element, 4);
          v = w;
        }
        row.push_back(v);
      }
      rows.push_back(std::move(row));
    }
  } else {
    SmallVector<StringRef> parts;
    value.split(parts, ';');
    for (StringRef part : parts) {
      std::vector<int64_t> row;
      if (std::string message = parseIds(part, "--prompt-ids", row);
          !message.empty())
        return message;
      rows.push_back(std::move(row));
    }
  }
  if (rows.size() == 1 && batch > 1)
    rows.assign(batch, rows.front());
  if (int64_t(rows.size()) != batch)
    return rowCount(rows.size());
  length = rows.front().size();
  if (length == 0)
    return "the prompt is empty";
  for (const auto &row : rows)
    if (int64_t(row.size()) != length)
      return "the prompt's rows differ in length (the model's rows advance "
             "together)";
  tokens.clear();
  for (const auto &row : rows)
    tokens.insert(tokens.end(), row.begin(), row.end());
  return "";
}
