//===- Metadata.cpp - parse a compiled model's metadata -------------------===//
//
// Validation is strict: anything the runtime would have to guess about
// (unknown dtype, dynamic or negative dimension, duplicate name, a byte size
// that overflows) is an error naming the field, so that a bad model fails at
// load rather than corrupting memory at run time.
//
//===----------------------------------------------------------------------===//

#include "Metadata.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace llvm;

namespace txc::runtime {

namespace {

/// Static facts about one dtype.
struct DTypeInfo {
  txrt_dtype dtype;
  const char *name;
  const char *safetensors;
  /// Bytes per element; 0 for i4 (half a byte).
  unsigned bytes;
};

constexpr DTypeInfo kDTypes[] = {
    {TXRT_DTYPE_F32, "f32", "F32", 4},    {TXRT_DTYPE_F16, "f16", "F16", 2},
    {TXRT_DTYPE_BF16, "bf16", "BF16", 2}, {TXRT_DTYPE_F64, "f64", "F64", 8},
    {TXRT_DTYPE_I64, "i64", "I64", 8},    {TXRT_DTYPE_I32, "i32", "I32", 4},
    {TXRT_DTYPE_I16, "i16", "I16", 2},    {TXRT_DTYPE_I8, "i8", "I8", 1},
    {TXRT_DTYPE_U8, "u8", "U8", 1},       {TXRT_DTYPE_BOOL, "bool", "BOOL", 1},
    {TXRT_DTYPE_I4, "i4", "U8", 0},
};

const DTypeInfo *lookupValue(int value) {
  for (const DTypeInfo &info : kDTypes)
    if (static_cast<int>(info.dtype) == value)
      return &info;
  return nullptr;
}

const DTypeInfo *lookup(txrt_dtype dtype) {
  return lookupValue(static_cast<int>(dtype));
}

/// The names of every dtype, for error messages.
std::string dtypeList() {
  std::string list;
  for (const DTypeInfo &info : kDTypes) {
    if (!list.empty())
      list += ", ";
    list += info.name;
  }
  return list;
}

/// Which list a tensor belongs to; i4 is allowed for weights only.
enum class Role { Input, Weight, Output };

/// Parses one entry of `inputs`, `weights` or `outputs`. `where` names it in
/// errors ("inputs[2]").
bool parseTensor(const json::Value &value, Role role, const std::string &where,
                 TensorDesc &out, std::string &error) {
  const json::Object *object = value.getAsObject();
  if (!object) {
    error = where + " is not an object";
    return false;
  }
  std::optional<StringRef> name = object->getString("name");
  if (!name || name->empty()) {
    error = where + " has no \"name\" (a non-empty string)";
    return false;
  }
  out.name = name->str();
  std::string label = where + " ('" + out.name + "')";

  std::optional<StringRef> dtypeText = object->getString("dtype");
  if (!dtypeText) {
    error = label + " has no \"dtype\" string";
    return false;
  }
  std::optional<txrt_dtype> dtype = parseDType(*dtypeText);
  if (!dtype) {
    error = label + " has unknown dtype '" + dtypeText->str() +
            "' (expected one of " + dtypeList() + ")";
    return false;
  }
  if (*dtype == TXRT_DTYPE_I4 && role != Role::Weight) {
    error = label + " has dtype i4, which only weights may have";
    return false;
  }
  out.dtype = *dtype;

  const json::Array *shape = object->getArray("shape");
  if (!shape) {
    error = label + " has no \"shape\" array";
    return false;
  }
  out.shape.clear();
  for (const json::Value &dim : *shape) {
    std::optional<int64_t> d = dim.getAsInteger();
    if (!d || *d < 0) {
      std::string text;
      raw_string_ostream(text) << dim;
      error = label + " has dimension " + text +
              " in its shape; dimensions must be non-negative integers "
              "(shapes are static)";
      return false;
    }
    out.shape.push_back(*d);
  }

  // Byte size, guarding against overflow. An i4 tensor halves its last
  // dimension, which must therefore be even.
  uint64_t elements = 1;
  for (int64_t d : out.shape) {
    if (d != 0 && elements > (UINT64_MAX >> 4) / static_cast<uint64_t>(d)) {
      error = label + " has shape " + formatShape(out.shape) +
              ", too large to address";
      return false;
    }
    elements *= static_cast<uint64_t>(d);
  }
  if (out.dtype == TXRT_DTYPE_I4) {
    if (out.shape.empty() || out.shape.back() % 2 != 0) {
      error = label + " has dtype i4 and shape " + formatShape(out.shape) +
              "; packing two codes per byte needs a last dimension of even "
              "size";
      return false;
    }
    out.byteSize = elements / 2;
  } else {
    out.byteSize = elements * lookup(out.dtype)->bytes;
  }
  if (out.byteSize > SIZE_MAX) {
    error = label + " is too large to address";
    return false;
  }

  out.gemmPacked = false;
  if (std::optional<StringRef> layout = object->getString("layout")) {
    if (role != Role::Weight || *layout != "gemm-b-panels32") {
      error = label + " has layout '" + layout->str() +
              "'; only weights may have a layout, and the only one is "
              "'gemm-b-panels32'";
      return false;
    }
    if (out.dtype != TXRT_DTYPE_F32 || out.shape.size() != 2) {
      error = label + " has layout 'gemm-b-panels32', which needs a 2-D f32 "
                      "weight";
      return false;
    }
    out.gemmPacked = true;
    out.transposed = object->getBoolean("transposed").value_or(false);
  }

  // Inputs that index a table (token ids): the values they may hold.
  out.indexRange.reset();
  if (const json::Value *range = object->get("index_range")) {
    const json::Array *bounds = range->getAsArray();
    std::optional<int64_t> lo, hi;
    if (bounds && bounds->size() == 2) {
      lo = (*bounds)[0].getAsInteger();
      hi = (*bounds)[1].getAsInteger();
    }
    bool integer = out.dtype == TXRT_DTYPE_I64 || out.dtype == TXRT_DTYPE_I32 ||
                   out.dtype == TXRT_DTYPE_I16 || out.dtype == TXRT_DTYPE_I8 ||
                   out.dtype == TXRT_DTYPE_U8;
    if (role != Role::Input || !integer || !lo || !hi || *lo >= *hi) {
      error = label + " has a malformed \"index_range\" (an integer input's "
                      "[low, high) with low < high)";
      return false;
    }
    out.indexRange = std::make_pair(*lo, *hi);
  }
  return true;
}

/// Parses the array `key` of `root` into `out`; a missing `weights` array
/// means no weights.
bool parseTensorList(const json::Object &root, StringRef key, Role role,
                     std::vector<TensorDesc> &out, std::string &error) {
  const json::Value *value = root.get(key);
  if (!value) {
    if (role == Role::Weight)
      return true;
    error = "has no \"" + key.str() + "\" array";
    return false;
  }
  const json::Array *array = value->getAsArray();
  if (!array) {
    error = "\"" + key.str() + "\" is not an array";
    return false;
  }
  StringSet<> names;
  for (size_t i = 0, e = array->size(); i < e; ++i) {
    TensorDesc desc;
    std::string where = (key + "[" + Twine(i) + "]").str();
    if (!parseTensor((*array)[i], role, where, desc, error))
      return false;
    if (!names.insert(desc.name).second) {
      error = where + ": name '" + desc.name + "' appears twice in \"" +
              key.str() + "\"";
      return false;
    }
    out.push_back(std::move(desc));
  }
  return true;
}

} // namespace

std::optional<txrt_dtype> parseDType(StringRef name) {
  for (const DTypeInfo &info : kDTypes)
    if (name == info.name)
      return info.dtype;
  return std::nullopt;
}

const char *dtypeName(txrt_dtype dtype) {
  const DTypeInfo *info = lookup(dtype);
  return info ? info->name : "unknown";
}

const char *dtypeNameOfValue(int value) {
  const DTypeInfo *info = lookupValue(value);
  return info ? info->name : "unknown";
}

StringRef safetensorsDType(txrt_dtype dtype) {
  const DTypeInfo *info = lookup(dtype);
  return info ? info->safetensors : "";
}

SmallVector<int64_t> storedShape(txrt_dtype dtype, ArrayRef<int64_t> shape) {
  SmallVector<int64_t> stored(shape);
  if (dtype == TXRT_DTYPE_I4 && !stored.empty())
    stored.back() /= 2;
  return stored;
}

unsigned dtypeAlignment(txrt_dtype dtype) {
  const DTypeInfo *info = lookup(dtype);
  return info && info->bytes ? info->bytes : 1;
}

std::string formatShape(ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

/// Parses and checks the "generation" section against the tensor lists.
static bool parseGeneration(const json::Value &value, ModelMetadata &out,
                     std::string &error) {
  const json::Object *gen = value.getAsObject();
  if (!gen) {
    error = "has a \"generation\" that is not an object";
    return false;
  }
  GenerationDesc g;
  auto integer = [&](StringRef key, int64_t &field, int64_t min) {
    std::optional<int64_t> v = gen->getInteger(key);
    if (!v || *v < min) {
      error = ("has no \"generation\" \"" + key + "\" integer >= " +
               Twine(min))
                  .str();
      return false;
    }
    field = *v;
    return true;
  };
  if (!integer("batch", g.batch, 1) || !integer("step", g.step, 1) ||
      !integer("layers", g.layers, 1) || !integer("kv_heads", g.kvHeads, 1) ||
      !integer("capacity", g.capacity, 1) ||
      !integer("head_dim", g.headDim, 1) ||
      !integer("block_size", g.blockSize, 0))
    return false;
  std::optional<StringRef> layout = gen->getString("layout");
  if (!layout || (*layout != "contiguous" && *layout != "paged")) {
    error = "has a \"generation\" \"layout\" that is neither 'contiguous' "
            "nor 'paged'";
    return false;
  }
  g.paged = *layout == "paged";
  if (g.paged && (g.blockSize < 1 || g.capacity % g.blockSize != 0)) {
    error = "has a paged cache whose block size does not divide its capacity";
    return false;
  }
  // Sizes whose products (cache shape, byte size) do not fit are refused
  // before they are multiplied.
  int64_t product = 1;
  for (int64_t v : {g.layers, int64_t(2), g.batch, g.kvHeads, g.capacity,
                    g.headDim, g.step, g.vocab})
    if (v < 0 || (v > 0 && llvm::MulOverflow(product, v, product))) {
      error = "has \"generation\" sizes too large to address";
      return false;
    }
  // A role names a tensor of the expected dtype and shape.
  auto find = [&](StringRef key, const std::vector<TensorDesc> &list,
                  bool required, txrt_dtype dtype,
                  SmallVector<int64_t> shape, int &index) {
    std::optional<StringRef> name = gen->getString(key);
    if (!name) {
      if (required)
        error = ("has no \"generation\" \"" + key + "\"").str();
      return !required;
    }
    for (size_t i = 0; i < list.size(); ++i)
      if (list[i].name == *name) {
        if (list[i].dtype != dtype ||
            (!shape.empty() && ArrayRef<int64_t>(list[i].shape) !=
                                   ArrayRef<int64_t>(shape))) {
          error = ("has a generation \"" + key + "\" tensor '" + *name +
                   "' of another dtype or shape than its role needs")
                      .str();
          return false;
        }
        index = int(i);
        return true;
      }
    error = ("names generation \"" + key + "\" '" + *name +
             "', which is not in its tensor list")
                .str();
    return false;
  };
  SmallVector<int64_t> cacheShape =
      g.paged ? SmallVector<int64_t>{g.layers, 2, g.batch * g.capacity / g.blockSize,
                                     g.kvHeads, g.blockSize, g.headDim}
              : SmallVector<int64_t>{g.layers, 2, g.batch, g.kvHeads,
                                     g.capacity, g.headDim};
  if (!find("tokens", out.inputs, true, TXRT_DTYPE_I64, {g.batch, g.step},
            g.tokens) ||
      !find("positions", out.inputs, false, TXRT_DTYPE_I64, {g.batch, g.step},
            g.positions) ||
      !find("cache", out.inputs, true, TXRT_DTYPE_F32, cacheShape, g.cache) ||
      !find("cache_position", out.inputs, true, TXRT_DTYPE_I64, {1},
            g.cachePosition) ||
      !find("block_table", out.inputs, g.paged, TXRT_DTYPE_I32,
            {g.batch, g.paged ? g.capacity / g.blockSize : 0}, g.blockTable) ||
      !find("logits", out.outputs, true, TXRT_DTYPE_F32, {}, g.logits))
    return false;
  const TensorDesc &logits = out.outputs[g.logits];
  if (logits.shape.size() != 3 || logits.shape[0] != g.batch ||
      (logits.shape[1] != g.step && logits.shape[1] != 1) ||
      logits.shape[2] < 1) {
    error = "has generation logits '" + logits.name +
            "' that are not [batch, step or 1, vocab]";
    return false;
  }
  g.vocab = logits.shape[2];
  out.generation = g;
  return true;
}

txrt_status parseModelMetadata(StringRef text, ModelMetadata &out,
                               std::string &error) {
  Expected<json::Value> parsed = json::parse(text);
  if (!parsed) {
    error = "is not valid JSON: " + toString(parsed.takeError());
    return TXRT_ERROR_NOT_A_MODEL;
  }
  const json::Object *root = parsed->getAsObject();
  if (!root) {
    error = "is not a JSON object";
    return TXRT_ERROR_NOT_A_MODEL;
  }
  std::optional<StringRef> format = root->getString("format");
  if (format != StringRef("txc-model")) {
    error = "has \"format\" " +
            (format ? "'" + format->str() + "'" : std::string("missing")) +
            ", expected 'txc-model'";
    return TXRT_ERROR_NOT_A_MODEL;
  }
  std::optional<int64_t> version = root->getInteger("version");
  if (!version) {
    error = "has no integer \"version\"";
    return TXRT_ERROR_NOT_A_MODEL;
  }
  if (*version != kMetadataVersion) {
    error = "has version " + std::to_string(*version) +
            ", but this runtime reads version " +
            std::to_string(kMetadataVersion);
    return TXRT_ERROR_VERSION;
  }
  out = ModelMetadata();
  if (const json::Value *file = root->get("weights_file")) {
    std::optional<StringRef> name = file->getAsString();
    if (!name || name->empty()) {
      error = "has a \"weights_file\" that is not a non-empty string";
      return TXRT_ERROR_NOT_A_MODEL;
    }
    out.weightsFile = name->str();
  }
  if (const json::Value *file = root->get("tokenizer_file")) {
    std::optional<StringRef> name = file->getAsString();
    if (!name || name->empty()) {
      error = "has a \"tokenizer_file\" that is not a non-empty string";
      return TXRT_ERROR_NOT_A_MODEL;
    }
    out.tokenizerFile = name->str();
  }
  if (!parseTensorList(*root, "inputs", Role::Input, out.inputs, error) ||
      !parseTensorList(*root, "weights", Role::Weight, out.weights, error) ||
      !parseTensorList(*root, "outputs", Role::Output, out.outputs, error))
    return TXRT_ERROR_NOT_A_MODEL;
  if (const json::Value *gen = root->get("generation"))
    if (!parseGeneration(*gen, out, error))
      return TXRT_ERROR_NOT_A_MODEL;
  return TXRT_OK;
}

} // namespace txc::runtime
