//===- Attention.h - flash-style attention kernel ---------------*- C++ -*-===//
//
// The f32 attention kernel compiled models call for tx.attention (mask kinds
// none, causal and sliding_window, with or without an explicit mask); see
// Attention.cpp for the algorithm and docs/backend-cpu.md for how the
// compiler reaches it. This header is the C++ interface the unit tests use;
// compiled models call the C entry points txc_attention_f32 and, over an
// int8 or fp8 KV cache (KVQuant.h), txc_attention_kvq.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_RUNTIME_KERNELS_CPU_ATTENTION_H
#define TXC_RUNTIME_KERNELS_CPU_ATTENTION_H

#include "KVQuant.h"

#include <cstdint>

namespace txc::kernels {

/// The structured mask (tx.attention's mask kinds the kernel supports).
/// Query i sits at position p(i) = keys - queries + i.
enum class AttentionMask : int32_t {
  None = 0,          ///< every key is visible
  Causal = 1,        ///< key j is visible when j <= p(i)
  SlidingWindow = 2, ///< j <= p(i) and (p(i) - j < window or j < sinks)
};

/// The element type of the optional explicit mask.
enum class AttentionExplicitMask : int32_t {
  None = 0,
  Bool = 1,  ///< one byte per element, nonzero = may attend
  Float = 2, ///< f32, added to the scaled scores
};

/// The instruction sets the kernel has code for.
enum class AttentionIsa : int32_t {
  Auto = 0,
  Scalar = 1,
  Avx2 = 2,
  Avx512 = 3
};

/// One attention call. Strides are in elements, in the order of the
/// dimensions: query/key/value/out [batch, head, position, channel], the
/// explicit mask [batch, head, query, key]. A broadcast (size-1) mask
/// dimension has stride 0. Any stride is accepted (transposed views too).
struct AttentionParams {
  const float *query = nullptr; ///< [batch, heads, queries, headDim]
  const float *key = nullptr;   ///< [batch, kvHeads, keys, headDim]
  const float *value = nullptr; ///< [batch, kvHeads, keys, valueDim]
  float *out = nullptr;         ///< [batch, heads, queries, valueDim]
  int64_t batch = 0, heads = 0, kvHeads = 0, queries = 0, keys = 0, headDim = 0,
          valueDim = 0;
  int64_t queryStrides[4] = {}, keyStrides[4] = {}, valueStrides[4] = {},
          outStrides[4] = {};
  float scale = 1.0f;
  AttentionMask mask = AttentionMask::None;
  int64_t window = 0, sinks = 0; ///< SlidingWindow only
  const void *explicitMask = nullptr;
  AttentionExplicitMask explicitKind = AttentionExplicitMask::None;
  int64_t explicitStrides[4] = {};
  /// Paged KV cache: when set, `key` and `value` are block pools and key
  /// position j of batch row b lies in block blockTable[b * tableStride +
  /// j / blockSize], row j % blockSize; keyStrides[0] / valueStrides[0] are
  /// then the strides between blocks (not batch rows).
  const int32_t *blockTable = nullptr;
  int64_t blockSize = 0, tableStride = 0;
  /// Quantized KV cache (KVQuant.h): with Int8 or Fp8, keys and values are
  /// read from `keyCodes` / `valueCodes` (rows of headDim / valueDim codes
  /// followed by their f32 scale, codes contiguous), `key` and `value` are
  /// unused and keyStrides / valueStrides are in bytes (their last element
  /// is ignored).
  KVFormat kvFormat = KVFormat::F32;
  const uint8_t *keyCodes = nullptr, *valueCodes = nullptr;
  /// Int4 (contiguous caches only): the KIVI group, residual and ring rows
  /// (KVInt4Layout); keyStrides[2] / valueStrides[2] are the slot size, and
  /// `keys` is the number of positions the cache holds.
  int64_t kvGroup = 1, kvResidual = 0, kvBuffer = 0;
};

/// Whether this CPU can run the code for `isa` (Auto and Scalar: always).
bool attentionIsaSupported(AttentionIsa isa);

/// The instruction set Auto stands for: TXC_ATTENTION_ISA (scalar, avx2,
/// avx512) when set and supported, else the best the CPU supports.
AttentionIsa attentionDefaultIsa();

/// Runs attention, threaded over (batch, KV head, query block) with
/// parallelFor. `isa` forces one code path (tests); an unsupported one
/// falls back to attentionDefaultIsa(). Results do not depend on the thread
/// count.
void attentionF32(const AttentionParams &params,
                  AttentionIsa isa = AttentionIsa::Auto);

/// y[i] = exp(x[i]) with the exponential the softmax of `isa` uses
/// (for x <= 0; exposed for the unit tests).
void attentionExp(AttentionIsa isa, const float *x, float *y, int64_t n);

} // namespace txc::kernels

extern "C" {
/// The entry point compiled models call (pointers as integers, as for
/// txc_sgemm): the fields of AttentionParams in order; `maskKind` and
/// `explicitKind` are the enum values above; `blockTable` 0 for a
/// contiguous cache.
void txc_attention_f32(
    int64_t query, int64_t key, int64_t value, int64_t out, int64_t batch,
    int64_t heads, int64_t kvHeads, int64_t queries, int64_t keys,
    int64_t headDim, int64_t valueDim, int64_t qStrideB, int64_t qStrideH,
    int64_t qStrideS, int64_t qStrideD, int64_t kStrideB, int64_t kStrideH,
    int64_t kStrideS, int64_t kStrideD, int64_t vStrideB, int64_t vStrideH,
    int64_t vStrideS, int64_t vStrideD, int64_t oStrideB, int64_t oStrideH,
    int64_t oStrideS, int64_t oStrideD, float scale, int32_t maskKind,
    int64_t window, int64_t sinks, int64_t explicitMask, int32_t explicitKind,
    int64_t mStrideB, int64_t mStrideH, int64_t mStrideQ, int64_t mStrideK,
    int64_t blockTable, int64_t blockSize, int64_t tableStride);

/// The same over a quantized KV cache: `key` and `value` point at rows of
/// codes and scales (AttentionParams::keyCodes / valueCodes), their strides
/// are in bytes, and `kvFormat` is a format word (kvFormatWord: int8, fp8,
/// int4 with its group and residual; 0 f32 is txc_attention_f32, which calls
/// this).
void txc_attention_kvq(
    int64_t query, int64_t key, int64_t value, int64_t out, int64_t batch,
    int64_t heads, int64_t kvHeads, int64_t queries, int64_t keys,
    int64_t headDim, int64_t valueDim, int64_t qStrideB, int64_t qStrideH,
    int64_t qStrideS, int64_t qStrideD, int64_t kStrideB, int64_t kStrideH,
    int64_t kStrideS, int64_t kStrideD, int64_t vStrideB, int64_t vStrideH,
    int64_t vStrideS, int64_t vStrideD, int64_t oStrideB, int64_t oStrideH,
    int64_t oStrideS, int64_t oStrideD, float scale, int32_t maskKind,
    int64_t window, int64_t sinks, int64_t explicitMask, int32_t explicitKind,
    int64_t mStrideB, int64_t mStrideH, int64_t mStrideQ, int64_t mStrideK,
    int64_t blockTable, int64_t blockSize, int64_t tableStride,
    int32_t kvFormat);
}

#endif // TXC_RUNTIME_KERNELS_CPU_ATTENTION_H
