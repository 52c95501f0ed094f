//===- metadata-fuzzer.cpp - libFuzzer target for model metadata ----------===//
//
// Parses arbitrary bytes as the JSON metadata a compiled model returns from
// txc_model_metadata() (parseModelMetadata, private to libtxrt, whose source
// is compiled into this fuzzer). A failure must say why and return
// NOT_A_MODEL or VERSION; a success must describe tensors the runtime can
// trust: non-empty unique names, non-negative dimensions, byte sizes that
// match dtype and shape, and generation roles that index the right lists.
//
//   scripts/fuzz metadata [SECONDS]
//
//===----------------------------------------------------------------------===//

#include "Metadata.h"
#include "txc-c/txc_model_format.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringSet.h"

#include <cstddef>
#include <cstdint>
#include <string>

using namespace txc::runtime;

/// As in the other fuzzers: Debian's LLVM is uninstrumented, so container
/// annotations in our code would give false reports.
extern "C" const char *__asan_default_options() {
  return "allow_user_poisoning=0";
}

namespace {

void checkList(const std::vector<TensorDesc> &list, bool weights) {
  llvm::StringSet<> names;
  for (const TensorDesc &t : list) {
    if (t.name.empty() || !names.insert(t.name).second)
      __builtin_trap();
    if (!parseDType(dtypeName(t.dtype)) ||
        *parseDType(dtypeName(t.dtype)) != t.dtype)
      __builtin_trap();
    const txc::format::DTypeInfo *info = txc::format::dtypeByValue(t.dtype);
    if (!info)
      __builtin_trap();
    unsigned perByte = info->perByte();
    if (perByte > 1 && !weights)
      __builtin_trap();
    uint64_t elements = 1;
    for (int64_t d : t.shape) {
      if (d < 0)
        __builtin_trap();
      elements *= static_cast<uint64_t>(d);
    }
    uint64_t bytes = perByte > 1 ? elements / perByte
                                 : elements * dtypeAlignment(t.dtype);
    if (t.byteSize != bytes)
      __builtin_trap();
    if (t.gemmPacked &&
        (!weights || t.dtype != TXRT_DTYPE_F32 || t.shape.size() != 2))
      __builtin_trap();
    // The helpers the runtime calls on every weight.
    std::vector<int64_t> stored = storedShape(t.dtype, t.shape);
    if (stored.size() != t.shape.size() || safetensorsDType(t.dtype).empty() ||
        formatShape(t.shape).empty())
      __builtin_trap();
  }
}

void checkRole(int index, size_t size, bool required) {
  if ((required && index < 0) || index < -1 ||
      (index >= 0 && size_t(index) >= size))
    __builtin_trap();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  ModelMetadata metadata;
  std::string error;
  txrt_status status = parseModelMetadata(text, metadata, error);
  if (status != TXRT_OK) {
    if (error.empty() ||
        (status != TXRT_ERROR_NOT_A_MODEL && status != TXRT_ERROR_VERSION))
      __builtin_trap();
    return 0;
  }
  checkList(metadata.inputs, /*weights=*/false);
  checkList(metadata.weights, /*weights=*/true);
  checkList(metadata.outputs, /*weights=*/false);
  if (metadata.weightsFile && metadata.weightsFile->empty())
    __builtin_trap();
  if (metadata.tokenizerFile && metadata.tokenizerFile->empty())
    __builtin_trap();
  if (const std::optional<GenerationDesc> &g = metadata.generation) {
    size_t inputs = metadata.inputs.size(), outputs = metadata.outputs.size();
    checkRole(g->tokens, inputs, true);
    checkRole(g->positions, inputs, false);
    checkRole(g->cache, inputs, true);
    checkRole(g->cachePosition, inputs, true);
    checkRole(g->blockTable, inputs, g->paged);
    checkRole(g->logits, outputs, true);
    if (g->batch < 1 || g->step < 1 || g->layers < 1 || g->kvHeads < 1 ||
        g->capacity < 1 || g->headDim < 1 || g->vocab < 1 ||
        (g->paged && (g->blockSize < 1 || g->capacity % g->blockSize)))
      __builtin_trap();
    const TensorDesc &tokens = metadata.inputs[g->tokens];
    if (tokens.dtype != TXRT_DTYPE_I64 || tokens.shape.size() != 2 ||
        tokens.shape[0] != g->batch || tokens.shape[1] != g->step)
      __builtin_trap();
    // f32 caches hold floats; int8, fp8 and int4 caches bytes, int4 in the
    // slots of txc_model_format.h.
    const TensorDesc &cache = metadata.inputs[g->cache];
    const bool quantized = g->kvFormat != "f32";
    if (cache.dtype != (quantized ? TXRT_DTYPE_I8 : TXRT_DTYPE_F32) ||
        cache.shape.size() != 6)
      __builtin_trap();
    if (g->kvFormat == "int4" &&
        (g->paged || g->kvGroup < 2 || g->kvBuffer < g->kvResidual + g->kvGroup ||
         cache.shape[4] != TXC_KV_INT4_SLOTS(g->capacity, g->headDim,
                                             g->kvGroup, g->kvBuffer) ||
         cache.shape[5] != TXC_KV_INT4_ROW(g->headDim, g->kvGroup)))
      __builtin_trap();
    const TensorDesc &logits = metadata.outputs[g->logits];
    if (logits.shape.size() != 3 || logits.shape[2] != g->vocab)
      __builtin_trap();
  }
  return 0;
}
