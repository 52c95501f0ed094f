//===- KVQuant.h - quantized KV-cache rows ----------------------*- C++ -*-===//
//
// The row format of a quantized KV cache (txc --kv-quant=int8|fp8) and the
// kernel that writes new keys and values into it. One row is one (token,
// KV head) vector of head_dim values, stored as head_dim one-byte codes
// followed by its f32 scale (head_dim + 4 bytes): value[x] = scale *
// decode(code[x]). int8 codes are signed, scale = amax / 127, code =
// rint(x / scale); fp8 codes are OCP e4m3 (bias 7, saturating at +-448),
// scale = amax / 448, code = e4m3(x / scale) rounded to nearest even. A row
// of zeros has scale 0 and codes 0. The attention kernel (Attention.h)
// reads these rows directly. The runtime does not link LLVM, so the e4m3
// encoding here is a local copy of txc::quant::floatToE4M3 (unit-tested to
// agree on every input class).
//
// An int4 cache (txc --kv-quant=int4) follows KIVI: keys are quantized per
// channel over groups of `group` tokens, values per token over groups of
// `group` channels, both asymmetric (code = rint((x - min) / scale), 4
// bits, value = min + scale * code), and the most recent tokens stay in
// f32: with n tokens cached, positions below kvInt4QuantizedEnd(n) (whole
// key groups at least `residual` tokens old) are read from codes, the rest
// from an f32 ring. KVInt4Layout says where everything lies
// (TXC_KV_INT4_* in txc_model_format.h, shared with the compiler).
//
//===----------------------------------------------------------------------===//

#ifndef TXC_RUNTIME_KERNELS_CPU_KVQUANT_H
#define TXC_RUNTIME_KERNELS_CPU_KVQUANT_H

#include "txc-c/txc_model_format.h"

#include <cstdint>

namespace txc::kernels {

/// How the KV cache stores its elements (the attention kernel's kvFormat).
enum class KVFormat : int32_t {
  F32 = 0,  ///< f32 elements, strides in floats
  Int8 = 1, ///< rows of head_dim int8 codes + f32 scale, strides in bytes
  Fp8 = 2,  ///< rows of head_dim e4m3 codes + f32 scale, strides in bytes
  Int4 = 3, ///< KIVI groups and an f32 ring (KVInt4Layout), strides in bytes
};

/// The format word compiled models pass to the kernels (TXC_KV_INT4_WORD):
/// bits 0-3 the KVFormat; for Int4 also bits 4-7 log2(group), bits 8-19
/// residual / group and bits 20-31 buffer / group.
constexpr int32_t kvFormatWord(KVFormat format, int64_t group = 1,
                               int64_t residual = 0, int64_t buffer = 0) {
  if (format != KVFormat::Int4)
    return static_cast<int32_t>(format);
  int32_t log2 = 0;
  while ((int64_t(1) << log2) < group)
    ++log2;
  return TXC_KV_INT4_WORD(log2, static_cast<int32_t>(residual / group),
                          static_cast<int32_t>(buffer / group));
}
constexpr KVFormat kvFormatKind(int32_t word) {
  return static_cast<KVFormat>(TXC_KV_FORMAT_KIND(word));
}
constexpr int64_t kvFormatGroup(int32_t word) {
  return TXC_KV_INT4_GROUP(word);
}
constexpr int64_t kvFormatResidual(int32_t word) {
  return TXC_KV_INT4_RESIDUAL(word);
}
constexpr int64_t kvFormatBuffer(int32_t word) {
  return TXC_KV_INT4_BUFFER(word);
}

/// Where an int4 cache keeps things within one (layer, keys or values,
/// batch row, head) slab of `slot`-byte slots: the f32 ring of `buffer`
/// rows of headDim floats at byte 0 (position j in row j % buffer),
/// then position j's slot at slot ringSlots() + j. A key group g (positions
/// [g group, (g + 1) group)) fills the slots of its positions with group x
/// headDim / 2 code bytes (token-major, channels 2x and 2x + 1 in the low
/// and high nibble of byte x), then headDim f32 scales and headDim f32
/// minimums. A value slot holds headDim / 2 code bytes, then an f32 scale
/// and minimum per group of channels.
struct KVInt4Layout {
  int64_t headDim = 0, group = 1, residual = 0, buffer = 0;
  int64_t slot() const { return TXC_KV_INT4_ROW(headDim, group); }
  int64_t ringRows() const { return buffer; }
  int64_t ringSlots() const {
    return TXC_KV_INT4_SLOTS(0, headDim, group, buffer);
  }
  /// The positions [0, end) held as codes when n tokens are cached.
  int64_t quantizedEnd(int64_t n) const {
    return n > residual ? (n - residual) / group * group : 0;
  }
};

/// Bytes of one quantized row of `headDim` values.
constexpr int64_t kvRowBytes(int64_t headDim) { return headDim + 4; }

/// The e4m3 code of `v` (saturating at +-448, round to nearest even, NaN to
/// 0x7f); the same as txc::quant::floatToE4M3.
uint8_t kvFloatToE4M3(float v);
/// The value of an e4m3 code (0x7f / 0xff: NaN).
float kvE4M3ToFloat(uint8_t code);

/// Quantizes one row of `d` floats (element stride `srcStride`) into `dst`
/// (d codes, then the f32 scale).
void kvQuantizeRow(KVFormat format, const float *src, int64_t srcStride,
                   int64_t d, uint8_t *dst);

/// One tx.kv_append into a quantized cache: the new rows src [batch,
/// kvHeads, seq, headDim] (f32, strides in floats) go to positions
/// [position, position + seq) of the cache `dst` (one layer's keys or
/// values; strides in bytes over [batch or block, head, position], rows
/// contiguous). With a block table (paged cache) position j of batch row b
/// is row j % blockSize of block blockTable[b * tableStride + j /
/// blockSize], and dstStrides[0] is the stride between blocks.
struct KVAppendParams {
  const float *src = nullptr;
  int64_t batch = 0, kvHeads = 0, seq = 0, headDim = 0;
  int64_t srcStrides[4] = {};
  uint8_t *dst = nullptr;
  int64_t dstStrides[3] = {};
  int64_t position = 0;
  KVFormat format = KVFormat::Int8;
  int64_t group = 1, residual = 0, buffer = 0; ///< Int4 (contiguous only)
  bool values = false; ///< Int4: the rows are values (else keys)
  const int32_t *blockTable = nullptr;
  int64_t blockSize = 0, tableStride = 0;
};

/// Runs the append (rows in parallel when there are many). For Int4 the
/// cache must hold positions [0, position) from earlier appends (the ring
/// the recent ones): key groups that the new length moves out of the
/// residual window are quantized from the ring and the new rows, and the
/// new rows go to the ring. An append may start before the end of the
/// previous one (a padded prefill chunk taken back) by up to buffer -
/// residual - group + 1 positions.
void kvQuantizeAppend(const KVAppendParams &params);

/// The asymmetric 4-bit scale of `count` values x[i * stride]: min..max in
/// 15 steps (scale 0 when they are all equal).
struct KVInt4Scale {
  float scale, min;
};
KVInt4Scale kvInt4Range(const float *x, int64_t stride, int64_t count);
/// The 4-bit code of x under `s` (0 when the scale is 0).
uint8_t kvInt4Code(float x, KVInt4Scale s);

} // namespace txc::kernels

extern "C" {
/// The entry point compiled models call for tx.kv_append on a quantized
/// cache (pointers as integers). `cache` points at element [0, 0, 0, 0, 0,
/// 0] of the whole cache [layers, 2, batch or blocks, kvHeads, capacity or
/// blockSize, headDim + 4] (i8; Int4: [..., slots, slot bytes], see
/// KVInt4Layout) with strides c0..c5 in bytes; `layer` and `kv` (0 keys, 1
/// values) select the slab. `format` is a format word (kvFormatWord);
/// `blockTable` 0 for a contiguous cache.
void txc_kv_quant_append(int64_t src, int64_t batch, int64_t kvHeads,
                         int64_t seq, int64_t headDim, int64_t sStrideB,
                         int64_t sStrideH, int64_t sStrideS, int64_t sStrideD,
                         int64_t cache, int64_t c0, int64_t c1, int64_t c2,
                         int64_t c3, int64_t c4, int64_t layer, int64_t kv,
                         int64_t position, int32_t format, int64_t blockTable,
                         int64_t blockSize, int64_t tableStride);
}

#endif // TXC_RUNTIME_KERNELS_CPU_KVQUANT_H
