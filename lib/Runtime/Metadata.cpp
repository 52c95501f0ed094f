//===- Metadata.cpp - parse a compiled model's metadata -------------------===//
//
// Validation is strict: anything the runtime would have to guess about
// (unknown dtype, dynamic or negative dimension, duplicate name, a byte size
// that overflows) is an error naming the field, so that a bad model fails at
// load rather than corrupting memory at run time.
//
//===----------------------------------------------------------------------===//

#include "Metadata.h"

#include "txc/Support/RuntimeSupport.h"

#include <nlohmann/json.hpp>

#include <cstring>
#include <set>

using nlohmann::json;
using txc::rt::jsonInteger;

namespace txc::runtime {

namespace {

using txc::format::DTypeInfo;
using txc::format::kDTypes;

// txrt.h's enumerators are the table's values (part of the C ABI).
#define TXC_CHECK_DTYPE(suffix, value, name, safetensors, bits)                \
  static_assert(TXRT_DTYPE_##suffix == value, "txrt_dtype " #suffix);
TXC_DTYPE_TABLE(TXC_CHECK_DTYPE)
#undef TXC_CHECK_DTYPE

const DTypeInfo *lookupValue(int value) {
  return txc::format::dtypeByValue(value);
}

const DTypeInfo *lookup(txrt_dtype dtype) {
  return lookupValue(static_cast<int>(dtype));
}

/// Optional accessors of a JSON object, like llvm::json::Object's.
const json *member(const json &object, const char *key) {
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}
std::optional<std::string_view> getString(const json &object, const char *key) {
  const json *v = member(object, key);
  if (!v || !v->is_string())
    return std::nullopt;
  return std::string_view(v->get_ref<const std::string &>());
}
std::optional<int64_t> getInteger(const json &object, const char *key) {
  const json *v = member(object, key);
  return v ? jsonInteger(*v) : std::nullopt;
}
const json *getArray(const json &object, const char *key) {
  const json *v = member(object, key);
  return v && v->is_array() ? v : nullptr;
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
bool parseTensor(const json &object, Role role, const std::string &where,
                 TensorDesc &out, std::string &error) {
  if (!object.is_object()) {
    error = where + " is not an object";
    return false;
  }
  std::optional<std::string_view> name = getString(object, TXC_META_NAME);
  if (!name || name->empty()) {
    error = where + " has no \"name\" (a non-empty string)";
    return false;
  }
  out.name = std::string(*name);
  std::string label = where + " ('" + out.name + "')";

  std::optional<std::string_view> dtypeText = getString(object, TXC_META_DTYPE);
  if (!dtypeText) {
    error = label + " has no \"dtype\" string";
    return false;
  }
  std::optional<txrt_dtype> dtype = parseDType(*dtypeText);
  if (!dtype) {
    error = label + " has unknown dtype '" + std::string(*dtypeText) +
            "' (expected one of " + dtypeList() + ")";
    return false;
  }
  if (lookup(*dtype)->perByte() > 1 && role != Role::Weight) {
    error = label + " has dtype " + std::string(*dtypeText) +
            ", which only weights may have";
    return false;
  }
  out.dtype = *dtype;

  const json *shape = getArray(object, TXC_META_SHAPE);
  if (!shape) {
    error = label + " has no \"shape\" array";
    return false;
  }
  out.shape.clear();
  for (const json &dim : *shape) {
    std::optional<int64_t> d = jsonInteger(dim);
    if (!d || *d < 0) {
      error = label + " has dimension " + dim.dump() +
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
  if (unsigned perByte = lookup(out.dtype)->perByte(); perByte > 1) {
    if (out.shape.empty() || out.shape.back() % perByte != 0) {
      error = label + " has dtype " + std::string(*dtypeText) + " and shape " +
              formatShape(out.shape) + "; packing " + std::to_string(perByte) +
              " codes per byte needs a last dimension that is a multiple of " +
              std::to_string(perByte);
      return false;
    }
    out.byteSize = elements / perByte;
  } else {
    out.byteSize = elements * lookup(out.dtype)->bytes();
  }
  if (out.byteSize > SIZE_MAX) {
    error = label + " is too large to address";
    return false;
  }

  out.gemmPacked = false;
  if (std::optional<std::string_view> layout =
          getString(object, TXC_META_LAYOUT)) {
    if (role != Role::Weight || *layout != TXC_LAYOUT_GEMM_B_PANELS32) {
      error = label + " has layout '" + std::string(*layout) +
              "'; only weights may have a layout, and the only one is "
              "'" TXC_LAYOUT_GEMM_B_PANELS32 "'";
      return false;
    }
    if (out.dtype != TXRT_DTYPE_F32 || out.shape.size() != 2) {
      error = label + " has layout '" TXC_LAYOUT_GEMM_B_PANELS32
                      "', which needs a 2-D f32 weight";
      return false;
    }
    out.gemmPacked = true;
    const json *transposed = member(object, TXC_META_TRANSPOSED);
    out.transposed =
        transposed && transposed->is_boolean() && transposed->get<bool>();
  }

  // Inputs that index a table (token ids): the values they may hold.
  out.indexRange.reset();
  if (const json *range = member(object, TXC_META_INDEX_RANGE)) {
    std::optional<int64_t> lo, hi;
    if (range->is_array() && range->size() == 2) {
      lo = jsonInteger((*range)[0]);
      hi = jsonInteger((*range)[1]);
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
bool parseTensorList(const json &root, const char *key, Role role,
                     std::vector<TensorDesc> &out, std::string &error) {
  const json *value = member(root, key);
  if (!value) {
    if (role == Role::Weight)
      return true;
    error = std::string("has no \"") + key + "\" array";
    return false;
  }
  if (!value->is_array()) {
    error = std::string("\"") + key + "\" is not an array";
    return false;
  }
  std::set<std::string> names;
  for (size_t i = 0, e = value->size(); i < e; ++i) {
    TensorDesc desc;
    std::string where = key + ("[" + std::to_string(i) + "]");
    if (!parseTensor((*value)[i], role, where, desc, error))
      return false;
    if (!names.insert(desc.name).second) {
      error =
          where + ": name '" + desc.name + "' appears twice in \"" + key + "\"";
      return false;
    }
    out.push_back(std::move(desc));
  }
  return true;
}

/// `a * b` into `out` unless it overflows (both non-negative).
bool multiply(int64_t a, int64_t b, int64_t &out) {
  return !__builtin_mul_overflow(a, b, &out);
}

} // namespace

std::optional<txrt_dtype> parseDType(std::string_view name) {
  if (const DTypeInfo *info = txc::format::dtypeByName(name))
    return static_cast<txrt_dtype>(info->value);
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

std::string safetensorsDType(txrt_dtype dtype) {
  const DTypeInfo *info = lookup(dtype);
  return info ? info->safetensors : "";
}

std::vector<int64_t> storedShape(txrt_dtype dtype,
                                 const std::vector<int64_t> &shape) {
  std::vector<int64_t> stored(shape);
  const DTypeInfo *info = lookup(dtype);
  if (info && info->perByte() > 1 && !stored.empty())
    stored.back() /= info->perByte();
  return stored;
}

unsigned dtypeAlignment(txrt_dtype dtype) {
  const DTypeInfo *info = lookup(dtype);
  return info && info->bytes() ? info->bytes() : 1;
}

std::string formatShape(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

/// Parses and checks the "generation" section against the tensor lists.
static bool parseGeneration(const json &gen, ModelMetadata &out,
                            std::string &error) {
  if (!gen.is_object()) {
    error = "has a \"generation\" that is not an object";
    return false;
  }
  GenerationDesc g;
  auto integer = [&](const char *key, int64_t &field, int64_t min) {
    std::optional<int64_t> v = getInteger(gen, key);
    if (!v || *v < min) {
      error = std::string("has no \"generation\" \"") + key +
              "\" integer >= " + std::to_string(min);
      return false;
    }
    field = *v;
    return true;
  };
  if (!integer(TXC_GEN_BATCH, g.batch, 1) ||
      !integer(TXC_GEN_STEP, g.step, 1) ||
      !integer(TXC_GEN_LAYERS, g.layers, 1) ||
      !integer(TXC_GEN_KV_HEADS, g.kvHeads, 1) ||
      !integer(TXC_GEN_CAPACITY, g.capacity, 1) ||
      !integer(TXC_GEN_HEAD_DIM, g.headDim, 1) ||
      !integer(TXC_GEN_BLOCK_SIZE, g.blockSize, 0))
    return false;
  std::optional<std::string_view> layout = getString(gen, TXC_GEN_LAYOUT);
  if (!layout ||
      (*layout != TXC_KV_LAYOUT_CONTIGUOUS && *layout != TXC_KV_LAYOUT_PAGED)) {
    error = "has a \"generation\" \"layout\" that is neither "
            "'" TXC_KV_LAYOUT_CONTIGUOUS "' nor '" TXC_KV_LAYOUT_PAGED "'";
    return false;
  }
  g.paged = *layout == TXC_KV_LAYOUT_PAGED;
  if (std::optional<std::string_view> format =
          getString(gen, TXC_GEN_KV_FORMAT))
    g.kvFormat = std::string(*format);
  if (g.kvFormat != "f32" && g.kvFormat != "int8" && g.kvFormat != "fp8" &&
      g.kvFormat != "int4") {
    error = "has a \"generation\" \"" TXC_GEN_KV_FORMAT "\" '" + g.kvFormat +
            "' that is not f32, int8, fp8 or int4";
    return false;
  }
  // A quantized cache's rows: head_dim codes and a 4-byte scale; int4:
  // the KIVI slots and the ring before them (txc_model_format.h).
  const bool quantized = g.kvFormat != "f32";
  int64_t row = quantized ? g.headDim + 4 : g.headDim, slots = g.capacity;
  if (g.kvFormat == "int4") {
    if (!integer(TXC_GEN_KV_GROUP, g.kvGroup, 2) ||
        !integer(TXC_GEN_KV_RESIDUAL, g.kvResidual, 0) ||
        !integer(TXC_GEN_KV_BUFFER, g.kvBuffer, 1))
      return false;
    if (g.paged || !txc_kv_int4_supported(g.headDim, g.capacity, g.kvGroup,
                                          g.kvResidual, g.kvBuffer)) {
      error = "has an int4 KV cache whose group, residual, head_dim, "
              "capacity or layout the kernels do not support";
      return false;
    }
    row = TXC_KV_INT4_ROW(g.headDim, g.kvGroup);
    slots = TXC_KV_INT4_SLOTS(g.capacity, g.headDim, g.kvGroup, g.kvBuffer);
  }
  if (g.paged && (g.blockSize < 1 || g.capacity % g.blockSize != 0)) {
    error = "has a paged cache whose block size does not divide its capacity";
    return false;
  }
  // Sizes whose products (cache shape, byte size) do not fit are refused
  // before they are multiplied.
  int64_t product = 1;
  for (int64_t v : {g.layers, int64_t(2), g.batch, g.kvHeads, g.capacity,
                    g.headDim, g.step, g.vocab})
    if (v < 0 || (v > 0 && !multiply(product, v, product))) {
      error = "has \"generation\" sizes too large to address";
      return false;
    }
  // A role names a tensor of the expected dtype and shape.
  auto find = [&](const char *key, const std::vector<TensorDesc> &list,
                  bool required, txrt_dtype dtype,
                  const std::vector<int64_t> &shape, int &index) {
    std::optional<std::string_view> name = getString(gen, key);
    if (!name) {
      if (required)
        error = std::string("has no \"generation\" \"") + key + "\"";
      return !required;
    }
    for (size_t i = 0; i < list.size(); ++i)
      if (list[i].name == *name) {
        if (list[i].dtype != dtype ||
            (!shape.empty() && list[i].shape != shape)) {
          error = std::string("has a generation \"") + key + "\" tensor '" +
                  std::string(*name) +
                  "' of another dtype or shape than its role needs";
          return false;
        }
        index = int(i);
        return true;
      }
    error = std::string("names generation \"") + key + "\" '" +
            std::string(*name) + "', which is not in its tensor list";
    return false;
  };
  std::vector<int64_t> cacheShape =
      g.paged ? std::vector<int64_t>{g.layers,
                                     2,
                                     g.batch * g.capacity / g.blockSize,
                                     g.kvHeads,
                                     g.blockSize,
                                     row}
              : std::vector<int64_t>{g.layers,  2,     g.batch,
                                     g.kvHeads, slots, row};
  if (!find(TXC_GEN_TOKENS, out.inputs, true, TXRT_DTYPE_I64, {g.batch, g.step},
            g.tokens) ||
      !find(TXC_GEN_POSITIONS, out.inputs, false, TXRT_DTYPE_I64,
            {g.batch, g.step}, g.positions) ||
      !find(TXC_GEN_CACHE, out.inputs, true,
            quantized ? TXRT_DTYPE_I8 : TXRT_DTYPE_F32, cacheShape,
            g.cache) ||
      !find(TXC_GEN_CACHE_POSITION, out.inputs, true, TXRT_DTYPE_I64, {1},
            g.cachePosition) ||
      !find(TXC_GEN_BLOCK_TABLE, out.inputs, g.paged, TXRT_DTYPE_I32,
            {g.batch, g.paged ? g.capacity / g.blockSize : 0}, g.blockTable) ||
      !find(TXC_GEN_LOGITS, out.outputs, true, TXRT_DTYPE_F32, {}, g.logits) ||
      !find(TXC_GEN_LAYER_LENGTHS, out.inputs, false, TXRT_DTYPE_I64,
            {g.layers}, g.layerLengths) ||
      !find(TXC_GEN_STEP_LENGTH, out.inputs, false, TXRT_DTYPE_I64, {1},
            g.stepLength) ||
      !find(TXC_GEN_LAYER_KEPT, out.outputs, false, TXRT_DTYPE_I64, {g.layers},
            g.layerKept))
    return false;
  // The per-layer lengths only work as a set: without "layer_kept" the
  // runtime could not keep "layer_lengths" up to date, and without
  // "step_length" the step could not tell a padded chunk's real tokens.
  std::vector<std::string> present, absent;
  for (auto [key, index] : {std::pair{TXC_GEN_LAYER_LENGTHS, g.layerLengths},
                            std::pair{TXC_GEN_STEP_LENGTH, g.stepLength},
                            std::pair{TXC_GEN_LAYER_KEPT, g.layerKept}})
    (index >= 0 ? present : absent).push_back('"' + std::string(key) + '"');
  // One or two of each.
  auto joined = [](const std::vector<std::string> &keys) {
    return keys.size() == 1 ? keys[0] : keys[0] + " and " + keys[1];
  };
  if (!present.empty() && !absent.empty()) {
    error = "has generation " + joined(present) + " without " + joined(absent) +
            " (per-layer cache lengths need all three)";
    return false;
  }
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

txrt_status parseModelMetadata(std::string_view text, ModelMetadata &out,
                               std::string &error) {
  // A real document nests 4 deep (generation roles aside, tensor shapes).
  constexpr unsigned kMaxDepth = 32;
  if (txc::rt::jsonNestingDepth(text) > kMaxDepth) {
    error = "is not valid JSON: it nests deeper than " +
            std::to_string(kMaxDepth) + " levels";
    return TXRT_ERROR_NOT_A_MODEL;
  }
  json root;
  std::string why;
  if (!txc::rt::parseJson(text, root, why)) {
    error = "is not valid JSON: " + why;
    return TXRT_ERROR_NOT_A_MODEL;
  }
  if (!root.is_object()) {
    error = "is not a JSON object";
    return TXRT_ERROR_NOT_A_MODEL;
  }
  std::optional<std::string_view> format = getString(root, TXC_META_FORMAT);
  if (format != std::string_view(TXC_META_FORMAT_NAME)) {
    error =
        "has \"format\" " +
        (format ? "'" + std::string(*format) + "'" : std::string("missing")) +
        ", expected '" TXC_META_FORMAT_NAME "'";
    return TXRT_ERROR_NOT_A_MODEL;
  }
  std::optional<int64_t> version = getInteger(root, TXC_META_VERSION);
  if (!version) {
    error = "has no integer \"version\"";
    return TXRT_ERROR_NOT_A_MODEL;
  }
  if (!txc::format::readsModelFormat(*version)) {
    error = "has model format " + std::to_string(*version) +
            ", but this runtime reads formats " +
            std::to_string(TXC_MODEL_FORMAT_MIN_VERSION) + ".." +
            std::to_string(TXC_MODEL_FORMAT_VERSION) +
            " (txc " TXC_VERSION_STRING ")";
    return TXRT_ERROR_VERSION;
  }
  out = ModelMetadata();
  for (auto [key, field] :
       {std::make_pair(TXC_META_WEIGHTS_FILE, &out.weightsFile),
        std::make_pair(TXC_META_TOKENIZER_FILE, &out.tokenizerFile)}) {
    const json *file = member(root, key);
    if (!file)
      continue;
    if (!file->is_string() || file->get_ref<const std::string &>().empty()) {
      error =
          std::string("has a \"") + key + "\" that is not a non-empty string";
      return TXRT_ERROR_NOT_A_MODEL;
    }
    *field = file->get<std::string>();
  }
  if (!parseTensorList(root, TXC_META_INPUTS, Role::Input, out.inputs, error) ||
      !parseTensorList(root, TXC_META_WEIGHTS, Role::Weight, out.weights,
                       error) ||
      !parseTensorList(root, TXC_META_OUTPUTS, Role::Output, out.outputs,
                       error))
    return TXRT_ERROR_NOT_A_MODEL;
  if (const json *gen = member(root, TXC_META_GENERATION))
    if (!parseGeneration(*gen, out, error))
      return TXRT_ERROR_NOT_A_MODEL;
  return TXRT_OK;
}

} // namespace txc::runtime
