//===- KVQuant.cpp - quantized KV-cache rows ------------------------------===//
//
// Writes new keys and values into an int8 or fp8 KV cache (see KVQuant.h
// for the row format and the rounding rules). A decode step appends
// 2 x layers x batch x kv_heads rows of head_dim values, a prefill chunk
// that many times its length; rows are independent, so a large append is
// split over the kernels' pool. The loops are plain C++ (the compiler
// vectorizes the int8 rounding, which uses the add-1.5*2^23 trick instead
// of a library call); the append is a small share of a step next to the
// attention that reads the whole cache.
//
//===----------------------------------------------------------------------===//

#include "KVQuant.h"
#include "Parallel.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace txc::kernels;

namespace {

uint32_t bitsOf(float v) {
  uint32_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

/// rint(x) for |x| < 2^22 in the default rounding mode (nearest even).
inline float roundEven(float x) {
  const float magic = 12582912.0f; // 1.5 * 2^23
  return (x + magic) - magic;
}

} // namespace

uint8_t txc::kernels::kvFloatToE4M3(float v) {
  if (std::isnan(v))
    return 0x7f;
  const uint8_t sign = std::signbit(v) ? 0x80 : 0;
  const float a = std::min(std::fabs(v), 448.0f);
  if (a < 0.015625f) // 2^-6: subnormal codes m * 2^-9, m = 0..8
    return sign | static_cast<uint8_t>(std::nearbyint(a * 512.0f));
  // Round the f32 mantissa to 3 bits (nearest even; a carry moves into the
  // exponent), then rebias the exponent from 127 to 7.
  uint32_t b = bitsOf(a);
  b += 0x7ffff + ((b >> 20) & 1);
  return sign | static_cast<uint8_t>((b >> 20) - (120u << 3));
}

float txc::kernels::kvE4M3ToFloat(uint8_t code) {
  const int exp = (code >> 3) & 15, man = code & 7;
  if (exp == 15 && man == 7)
    return std::nanf("");
  float v = exp ? std::ldexp(1.0f + man / 8.0f, exp - 7)
                : std::ldexp(static_cast<float>(man), -9);
  return code & 0x80 ? -v : v;
}

void txc::kernels::kvQuantizeRow(KVFormat format, const float *src,
                                 int64_t srcStride, int64_t d, uint8_t *dst) {
  float amax = 0.0f;
  for (int64_t x = 0; x < d; ++x)
    amax = std::max(amax, std::fabs(src[x * srcStride]));
  const float scale = amax / (format == KVFormat::Int8 ? 127.0f : 448.0f);
  std::memcpy(dst + d, &scale, sizeof scale);
  if (scale == 0.0f) {
    std::memset(dst, 0, d);
    return;
  }
  if (format == KVFormat::Int8) {
    for (int64_t x = 0; x < d; ++x) {
      float q = roundEven(src[x * srcStride] / scale);
      q = std::min(127.0f, std::max(-127.0f, q));
      dst[x] = static_cast<uint8_t>(static_cast<int8_t>(q));
    }
    return;
  }
  for (int64_t x = 0; x < d; ++x)
    dst[x] = kvFloatToE4M3(src[x * srcStride] / scale);
}

void txc::kernels::kvQuantizeAppend(const KVAppendParams &p) {
  if (p.batch <= 0 || p.kvHeads <= 0 || p.seq <= 0 || p.headDim <= 0)
    return;
  const int64_t rows = p.batch * p.kvHeads * p.seq;
  auto body = [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const int64_t s = r % p.seq, h = (r / p.seq) % p.kvHeads,
                    b = r / (p.seq * p.kvHeads);
      const float *src = p.src + b * p.srcStrides[0] + h * p.srcStrides[1] +
                         s * p.srcStrides[2];
      const int64_t j = p.position + s;
      uint8_t *dst;
      if (p.blockTable) {
        const int64_t block = j / p.blockSize;
        dst = p.dst +
              p.blockTable[b * p.tableStride + block] * p.dstStrides[0] +
              h * p.dstStrides[1] + (j - block * p.blockSize) * p.dstStrides[2];
      } else {
        dst = p.dst + b * p.dstStrides[0] + h * p.dstStrides[1] +
              j * p.dstStrides[2];
      }
      kvQuantizeRow(p.format, src, p.srcStrides[3], p.headDim, dst);
    }
  };
  // A decode step's few rows are not worth waking the pool.
  if (rows * p.headDim < (1 << 15))
    body(0, rows);
  else
    parallelFor(rows, 16, [&](int64_t b, int64_t e) { body(b, e); });
}

extern "C" void txc_kv_quant_append(
    int64_t src, int64_t batch, int64_t kvHeads, int64_t seq, int64_t headDim,
    int64_t sStrideB, int64_t sStrideH, int64_t sStrideS, int64_t sStrideD,
    int64_t cache, int64_t c0, int64_t c1, int64_t c2, int64_t c3, int64_t c4,
    int64_t layer, int64_t kv, int64_t position, int32_t format,
    int64_t blockTable, int64_t blockSize, int64_t tableStride) {
  KVAppendParams p;
  p.src = reinterpret_cast<const float *>(src);
  p.batch = batch;
  p.kvHeads = kvHeads;
  p.seq = seq;
  p.headDim = headDim;
  p.srcStrides[0] = sStrideB;
  p.srcStrides[1] = sStrideH;
  p.srcStrides[2] = sStrideS;
  p.srcStrides[3] = sStrideD;
  p.dst = reinterpret_cast<uint8_t *>(cache) + layer * c0 + kv * c1;
  p.dstStrides[0] = c2;
  p.dstStrides[1] = c3;
  p.dstStrides[2] = c4;
  p.position = position;
  p.format = static_cast<KVFormat>(format);
  p.blockTable = reinterpret_cast<const int32_t *>(blockTable);
  p.blockSize = blockSize;
  p.tableStride = tableStride;
  kvQuantizeAppend(p);
}
