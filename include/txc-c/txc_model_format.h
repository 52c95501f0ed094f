/*===- txc_model_format.h - the compiled-model contract -----------*- C -*-===*\
|*                                                                            *|
|* What a model library compiled by txc and the runtime (libtxrt) agree on,   *|
|* written once and included by both sides: the versions, the entry-point     *|
|* symbols, the `.txc_manifest` record, the metadata JSON keys, the dtype     *|
|* table and the layout names. Plain C (macros, an X-macro table); a C++17    *|
|* section adds constexpr look-ups. No MLIR or LLVM. docs/runtime.md          *|
|* describes the contract and the compatibility policy.                       *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef TXC_C_TXC_MODEL_FORMAT_H
#define TXC_C_TXC_MODEL_FORMAT_H

#include <stdint.h> /* the casts of the KV format word macros */

/*===-- Versions ----------------------------------------------------------===*/

/** The txc release that writes and reads this contract. */
#define TXC_VERSION_STRING "0.1.0"

/** The format of compiled model libraries: the manifest record, the
 *  metadata document and the entry points. txc writes it into the
 *  manifest's version field and the metadata's "version"; bumped whenever a
 *  runtime reading the previous format would misread a new model. */
#define TXC_MODEL_FORMAT_VERSION 2
/* History: 2 added the generation roles layer_lengths, step_length and
 * layer_kept (mixture-of-depths over the KV cache), which a format-1
 * runtime would ignore and so run such a model wrong. */
/** The oldest format this runtime still reads (the range is
 *  [TXC_MODEL_FORMAT_MIN_VERSION, TXC_MODEL_FORMAT_VERSION]). */
#define TXC_MODEL_FORMAT_MIN_VERSION 1

/** The C ABI of libtxrt (include/txc-c/txrt.h, lib/Runtime/txrt.map):
 *  bumped on an incompatible change of a function, type or enumerator
 *  value; adding functions does not bump it. */
#define TXC_RUNTIME_ABI_VERSION 1

/*===-- Entry points of a model library -----------------------------------===*/

/** const char *txc_model_metadata(void): the metadata JSON document. */
#define TXC_SYM_MODEL_METADATA "txc_model_metadata"
/** void txc_model_run(void **buffers): inputs, weights, outputs. */
#define TXC_SYM_MODEL_RUN "txc_model_run"
/** void txc_model_set_num_threads(int) (optional). */
#define TXC_SYM_MODEL_SET_NUM_THREADS "txc_model_set_num_threads"
/** The prefill step of a generation model (optional, both or neither). */
#define TXC_SYM_PREFILL_METADATA "txc_prefill_metadata"
#define TXC_SYM_PREFILL_RUN "txc_prefill_run"
/** The prefixes txc gives the two steps' entry points (PREFIX_run,
 *  PREFIX_metadata). */
#define TXC_SYM_MODEL_PREFIX "txc_model"
#define TXC_SYM_PREFILL_PREFIX "txc_prefill"
/** Packing of "gemm-b-panels32" weights, from the model's kernel library:
 *  int64_t txc_gemm_packed_size(int64_t n, int64_t k) and
 *  void txc_gemm_pack_b(const float *, float *, int64_t n, int64_t k,
 *  int32_t transposed). */
#define TXC_SYM_GEMM_PACKED_SIZE "txc_gemm_packed_size"
#define TXC_SYM_GEMM_PACK_B "txc_gemm_pack_b"

/*===-- The manifest record -----------------------------------------------===*/

/** A section of TXC_MANIFEST_SIZE bytes, little-endian: the 8-byte magic,
 *  u32 format version, u32 flags, u64 library size, u64 weights size,
 *  u64 sampled weights hash, u64 full weights hash (XXH3-64). */
#define TXC_MANIFEST_SECTION ".txc_manifest"
/** The global txc emits into that section. */
#define TXC_MANIFEST_SYMBOL "txc_model_manifest"
#define TXC_MANIFEST_MAGIC "TXCMANI1"
#define TXC_MANIFEST_SIZE 48
#define TXC_MANIFEST_OFFSET_VERSION 8
#define TXC_MANIFEST_OFFSET_FLAGS 12
#define TXC_MANIFEST_OFFSET_LIBRARY_SIZE 16
#define TXC_MANIFEST_OFFSET_WEIGHTS_SIZE 24
#define TXC_MANIFEST_OFFSET_SAMPLE_HASH 32
#define TXC_MANIFEST_OFFSET_FULL_HASH 40

/*===-- Metadata document -------------------------------------------------===*/

/** Top-level keys. */
#define TXC_META_FORMAT "format"
/** The value of "format". */
#define TXC_META_FORMAT_NAME "txc-model"
#define TXC_META_VERSION "version"
#define TXC_META_INPUTS "inputs"
#define TXC_META_WEIGHTS "weights"
#define TXC_META_OUTPUTS "outputs"
#define TXC_META_WEIGHTS_FILE "weights_file"
#define TXC_META_TOKENIZER_FILE "tokenizer_file"
#define TXC_META_GENERATION "generation"

/** Keys of one tensor of "inputs", "weights" or "outputs". */
#define TXC_META_NAME "name"
#define TXC_META_DTYPE "dtype"
#define TXC_META_SHAPE "shape"
#define TXC_META_LAYOUT "layout"
#define TXC_META_TRANSPOSED "transposed"
#define TXC_META_INDEX_RANGE "index_range"

/** Keys of "generation": sizes, then the roles (tensor names). */
#define TXC_GEN_BATCH "batch"
#define TXC_GEN_STEP "step"
#define TXC_GEN_LAYERS "layers"
#define TXC_GEN_KV_HEADS "kv_heads"
#define TXC_GEN_CAPACITY "capacity"
#define TXC_GEN_HEAD_DIM "head_dim"
#define TXC_GEN_BLOCK_SIZE "block_size"
#define TXC_GEN_LAYOUT "layout"
#define TXC_GEN_TOKENS "tokens"
#define TXC_GEN_POSITIONS "positions"
#define TXC_GEN_CACHE "cache"
#define TXC_GEN_CACHE_POSITION "cache_position"
#define TXC_GEN_BLOCK_TABLE "block_table"
#define TXC_GEN_LOGITS "logits"
/** Per-layer cache lengths (mixture-of-depths over a KV cache: a token that
 *  skips a routed layer writes no keys or values there, so each layer's
 *  cache holds its own number of positions); optional, all three or none.
 *  "layer_lengths" names an input i64 [layers]: the positions each layer's
 *  cache holds before the step (each in [0, cache_position]);
 *  "step_length" an input i64 [1]: the step's real tokens per row (in
 *  [1, step]; the rest is the padding of a short last prefill chunk);
 *  "layer_kept" an output i64 [layers]: the positions the step appended to
 *  each layer's cache, which the runtime adds to that layer's length. */
#define TXC_GEN_LAYER_LENGTHS "layer_lengths"
#define TXC_GEN_STEP_LENGTH "step_length"
#define TXC_GEN_LAYER_KEPT "layer_kept"
/** How the cache stores keys and values: "f32" (the default when absent:
 *  an f32 cache of the shape above), "int8" / "fp8" (an i8 cache whose
 *  last dimension is head_dim + 4: each row of head_dim codes followed by
 *  its f32 scale; docs/backend-cpu.md), or "int4" (below). */
#define TXC_GEN_KV_FORMAT "kv_format"
/** "int4" only (KIVI-style): the tokens a key group spans, which is also the
 *  channels a value group spans (a power of two dividing head_dim), the
 *  most recent tokens kept in f32 (the "residual", a multiple of the
 *  group), and the rows of the f32 ring that holds the recent tokens (the
 *  "buffer": residual + group + the longest step, rounded up to a multiple
 *  of the group, so that a padded prefill chunk can be partly taken back).
 *  The cache is i8 of shape [layers, 2, batch, kv_heads,
 *  TXC_KV_INT4_SLOTS(capacity, head_dim, group, buffer),
 *  TXC_KV_INT4_ROW(head_dim, group)]: per (layer, keys or values, batch
 *  row, head) first the ring (buffer rows of head_dim floats, position j in
 *  row j % buffer), then one slot per position (key groups of `group`
 *  tokens: group x head_dim / 2 code bytes, then head_dim f32 scales and
 *  head_dim f32 minimums per channel; value slots: head_dim / 2 code bytes,
 *  then an f32 scale and minimum per group of channels).
 *  docs/backend-cpu.md has the details. */
#define TXC_GEN_KV_GROUP "kv_group"
#define TXC_GEN_KV_RESIDUAL "kv_residual"
#define TXC_GEN_KV_BUFFER "kv_buffer"
/** The format word a compiled model passes to txc_kv_quant_append and
 *  txc_attention_kvq: the kind (1 int8, 2 fp8, 3 int4) in bits 0-3; for
 *  int4 also log2(group) in bits 4-7, residual / group in bits 8-19 and
 *  buffer / group in bits 20-31. */
#define TXC_KV_FORMAT_INT8 1
#define TXC_KV_FORMAT_FP8 2
#define TXC_KV_FORMAT_INT4 3
#define TXC_KV_INT4_WORD(log2Group, residualGroups, bufferGroups)            \
  (TXC_KV_FORMAT_INT4 | ((log2Group) << 4) | ((residualGroups) << 8) |       \
   ((bufferGroups) << 20))
/** The fields of a format word: the kind, and for int4 the group, the
 *  residual and the buffer (in values, not groups). */
#define TXC_KV_FORMAT_KIND(word) ((word) & 15)
#define TXC_KV_INT4_GROUP(word) ((int64_t)1 << (((word) >> 4) & 15))
#define TXC_KV_INT4_RESIDUAL(word)                                            \
  ((int64_t)(((word) >> 8) & 4095) * TXC_KV_INT4_GROUP(word))
#define TXC_KV_INT4_BUFFER(word)                                              \
  ((int64_t)(((uint32_t)(word) >> 20) & 4095) * TXC_KV_INT4_GROUP(word))
/** Bytes of one slot of an int4 cache. */
#define TXC_KV_INT4_ROW(headDim, group) ((headDim) / 2 + 8 * (headDim) / (group))
/** Whether the kernels take an int4 cache of these sizes (1) or not (0):
 *  a power-of-two group from 2 to 16384 dividing head_dim (a multiple of 8)
 *  and the capacity, residual and buffer multiples of it with
 *  residual + group <= buffer <= 4095 groups, and sizes whose products fit
 *  (capacity <= 2^40, head_dim <= 2^20). The compiler's lowering and the
 *  runtime's metadata check both ask this. */
static inline int txc_kv_int4_supported(int64_t headDim, int64_t capacity,
                                        int64_t group, int64_t residual,
                                        int64_t buffer) {
  return group >= 2 && group <= (1 << 14) && (group & (group - 1)) == 0 &&
         headDim > 0 && headDim <= (1 << 20) && headDim % 8 == 0 &&
         headDim % group == 0 && capacity > 0 &&
         capacity <= ((int64_t)1 << 40) && capacity % group == 0 &&
         residual >= 0 && residual % group == 0 && buffer % group == 0 &&
         buffer >= residual + group && buffer / group <= 4095;
}
/** Slots per (layer, keys or values, batch row, head): the ring of
 *  `buffer` f32 rows, rounded up to whole slots, and one per position. */
#define TXC_KV_INT4_SLOTS(capacity, headDim, group, buffer)                   \
  ((capacity) + ((buffer) * 4 * (headDim) + TXC_KV_INT4_ROW(headDim, group) - \
                 1) / TXC_KV_INT4_ROW(headDim, group))

/*===-- Layouts -----------------------------------------------------------===*/

/** A 2-D f32 weight the runtime packs for txc_sgemm_packed at load. */
#define TXC_LAYOUT_GEMM_B_PANELS32 "gemm-b-panels32"
/** The KV cache of a generation model ("generation" "layout"). */
#define TXC_KV_LAYOUT_CONTIGUOUS "contiguous"
#define TXC_KV_LAYOUT_PAGED "paged"

/*===-- Element types -----------------------------------------------------===*/

/** One row per dtype: X(suffix, value, metadata name, safetensors name,
 *  bits per element). `value` is the txrt_dtype enumerator TXRT_DTYPE_suffix
 *  (txrt.h; part of the C ABI, never renumbered). The sub-byte types (i4,
 *  i2, f4e2m1) are stored in safetensors as U8 bytes, packed along the last
 *  dimension, the first element in the lowest bits; only weights have
 *  them. */
#define TXC_DTYPE_TABLE(X)                                                     \
  X(F32, 0, "f32", "F32", 32)                                                  \
  X(F16, 1, "f16", "F16", 16)                                                  \
  X(BF16, 2, "bf16", "BF16", 16)                                               \
  X(F64, 3, "f64", "F64", 64)                                                  \
  X(I64, 4, "i64", "I64", 64)                                                  \
  X(I32, 5, "i32", "I32", 32)                                                  \
  X(I16, 6, "i16", "I16", 16)                                                  \
  X(I8, 7, "i8", "I8", 8)                                                      \
  X(U8, 8, "u8", "U8", 8)                                                      \
  X(BOOL, 9, "bool", "BOOL", 8)                                                \
  X(I4, 10, "i4", "U8", 4)                                                     \
  X(I2, 11, "i2", "U8", 2)                                                     \
  X(F8E4M3, 12, "f8e4m3", "F8_E4M3", 8)                                        \
  X(F8E8M0, 13, "f8e8m0", "F8_E8M0", 8)                                        \
  X(F4E2M1, 14, "f4e2m1", "U8", 4)

/** The table's values as C enumerators, TXC_DTYPE_F32 = 0, ... (the same
 *  values as txrt.h's TXRT_DTYPE_*). */
#define TXC_DTYPE_ENUMERATOR(suffix, value, name, safetensors, bits)           \
  TXC_DTYPE_##suffix = value,
typedef enum txc_model_dtype {
  TXC_DTYPE_TABLE(TXC_DTYPE_ENUMERATOR)
} txc_model_dtype;
#undef TXC_DTYPE_ENUMERATOR

/** Safetensors storage types that no model tensor has (a weights file may
 *  still hold them): X(safetensors name, bytes per element). */
#define TXC_SAFETENSORS_EXTRA_DTYPE_TABLE(X)                                   \
  X("U64", 8)                                                                  \
  X("U32", 4)                                                                  \
  X("U16", 2)                                                                  \
  X("F8_E5M2", 1)

#if defined(__cplusplus) && __cplusplus >= 201703L

#include <cstdint>
#include <string_view>

namespace txc::format {

/// One row of TXC_DTYPE_TABLE.
struct DTypeInfo {
  int value;
  const char *name;
  const char *safetensors;
  unsigned bits;
  /// Bytes per element; 0 for the sub-byte types (i4, i2, f4e2m1).
  constexpr unsigned bytes() const { return bits % 8 ? 0 : bits / 8; }
  /// Elements per byte of a sub-byte type (2 or 4); 1 otherwise.
  constexpr unsigned perByte() const { return bits < 8 ? 8 / bits : 1; }
};

#define TXC_DTYPE_ROW(suffix, value, name, safetensors, bits)                  \
  DTypeInfo{value, name, safetensors, bits},
inline constexpr DTypeInfo kDTypes[] = {TXC_DTYPE_TABLE(TXC_DTYPE_ROW)};
#undef TXC_DTYPE_ROW

/// The row of the dtype with enumerator value `value`, or null.
constexpr const DTypeInfo *dtypeByValue(int value) {
  for (const DTypeInfo &info : kDTypes)
    if (info.value == value)
      return &info;
  return nullptr;
}

/// The row of the dtype called `name` in metadata ("f32"), or null.
constexpr const DTypeInfo *dtypeByName(std::string_view name) {
  for (const DTypeInfo &info : kDTypes)
    if (name == info.name)
      return &info;
  return nullptr;
}

/// Bytes per element of a safetensors dtype ("F32", "F8_E4M3"), or 0.
constexpr unsigned safetensorsDTypeBytes(std::string_view name) {
  for (const DTypeInfo &info : kDTypes)
    if (name == info.safetensors && info.bytes())
      return info.bytes();
#define TXC_SAFETENSORS_ROW(st, bytes)                                         \
  if (name == st)                                                              \
    return bytes;
  TXC_SAFETENSORS_EXTRA_DTYPE_TABLE(TXC_SAFETENSORS_ROW)
#undef TXC_SAFETENSORS_ROW
  return 0;
}

/// Whether this runtime reads models of format `version`.
constexpr bool readsModelFormat(int64_t version) {
  return version >= TXC_MODEL_FORMAT_MIN_VERSION &&
         version <= TXC_MODEL_FORMAT_VERSION;
}

} // namespace txc::format

#endif /* C++17 */

#endif /* TXC_C_TXC_MODEL_FORMAT_H */
