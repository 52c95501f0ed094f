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
//===----------------------------------------------------------------------===//

#ifndef TXC_RUNTIME_KERNELS_CPU_KVQUANT_H
#define TXC_RUNTIME_KERNELS_CPU_KVQUANT_H

#include <cstdint>

namespace txc::kernels {

/// How the KV cache stores its elements (the attention kernel's kvFormat).
enum class KVFormat : int32_t {
  F32 = 0,  ///< f32 elements, strides in floats
  Int8 = 1, ///< rows of head_dim int8 codes + f32 scale, strides in bytes
  Fp8 = 2,  ///< rows of head_dim e4m3 codes + f32 scale, strides in bytes
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
  const int32_t *blockTable = nullptr;
  int64_t blockSize = 0, tableStride = 0;
};

/// Runs the append (rows in parallel when there are many).
void kvQuantizeAppend(const KVAppendParams &params);

} // namespace txc::kernels

extern "C" {
/// The entry point compiled models call for tx.kv_append on a quantized
/// cache (pointers as integers). `cache` points at element [0, 0, 0, 0, 0,
/// 0] of the whole cache [layers, 2, batch or blocks, kvHeads, capacity or
/// blockSize, headDim + 4] (i8) with strides c0..c5 in bytes; `layer` and
/// `kv` (0 keys, 1 values) select the slab. `format` is a KVFormat value;
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
