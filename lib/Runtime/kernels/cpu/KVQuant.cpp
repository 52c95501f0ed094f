//===- KVQuant.cpp - quantized KV-cache rows ------------------------------===//
//
// Writes new keys and values into an int8 or fp8 KV cache (see KVQuant.h
// for the row format and the rounding rules). A decode step appends
// 2 x layers x batch x kv_heads rows of head_dim values, a prefill chunk
// that many times its length; rows are independent, so a large append is
// split over the kernels' pool. The loops are plain C++ (the compiler
// vectorizes the int8 rounding, which uses the add-1.5*2^23 trick instead
// of a library call); the append is a small share of a step next to the
// attention that reads the whole cache. An int4 (KIVI) append quantizes
// whole key groups as they leave the residual window, in parallel over
// (batch row, head, group), and copies the new recent rows into the ring.
//
//===----------------------------------------------------------------------===//

#include "KVQuant.h"
#include "Parallel.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

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

KVInt4Scale txc::kernels::kvInt4Range(const float *x, int64_t stride,
                                      int64_t count) {
  float lo = x[0], hi = x[0];
  for (int64_t i = 1; i < count; ++i) {
    lo = std::min(lo, x[i * stride]);
    hi = std::max(hi, x[i * stride]);
  }
  return {(hi - lo) / 15.0f, lo};
}

uint8_t txc::kernels::kvInt4Code(float x, KVInt4Scale s) {
  if (!(s.scale > 0.0f))
    return 0;
  float q = roundEven((x - s.min) / s.scale);
  return static_cast<uint8_t>(std::min(15.0f, std::max(0.0f, q)));
}

namespace {

/// kvQuantizeAppend for an int4 cache (contiguous).
void appendInt4(const KVAppendParams &p) {
  const int64_t d = p.headDim, g = p.group;
  const KVInt4Layout layout{d, g, p.residual, p.buffer};
  const int64_t ringRows = layout.ringRows(), ringSlots = layout.ringSlots();
  const int64_t pos = p.position, n = p.position + p.seq;
  const int64_t q0 = layout.quantizedEnd(pos), q1 = layout.quantizedEnd(n);
  auto slab = [&](int64_t b, int64_t h) {
    return p.dst + b * p.dstStrides[0] + h * p.dstStrides[1];
  };
  // Element x of position j's f32 row: the ring before the append, else
  // the new rows.
  auto source = [&](int64_t b, int64_t h, int64_t j, int64_t &stride) {
    if (j < pos) {
      stride = 1;
      return reinterpret_cast<const float *>(slab(b, h)) + j % ringRows * d;
    }
    stride = p.srcStrides[3];
    return p.src + b * p.srcStrides[0] + h * p.srcStrides[1] +
           (j - pos) * p.srcStrides[2];
  };
  const int64_t groups = (q1 - q0) / g;
  auto quantize = [&](int64_t begin, int64_t end) {
    std::vector<float> tile(g * d);
    for (int64_t t = begin; t < end; ++t) {
      const int64_t unit = t % groups, h = (t / groups) % p.kvHeads,
                    b = t / (groups * p.kvHeads);
      const int64_t j0 = q0 + unit * g;
      // The group's f32 rows [g tokens, d channels].
      for (int64_t i = 0; i < g; ++i) {
        int64_t stride;
        const float *row = source(b, h, j0 + i, stride);
        for (int64_t x = 0; x < d; ++x)
          tile[i * d + x] = row[x * stride];
      }
      uint8_t *base = slab(b, h) + (ringSlots + j0) * p.dstStrides[2];
      if (!p.values) {
        // Keys: one range per channel over the group's tokens.
        uint8_t *codes = base;
        float *scales = reinterpret_cast<float *>(base + g * d / 2);
        std::memset(codes, 0, g * d / 2);
        for (int64_t x = 0; x < d; ++x) {
          KVInt4Scale s = kvInt4Range(tile.data() + x, d, g);
          std::memcpy(scales + x, &s.scale, sizeof(float));
          std::memcpy(scales + d + x, &s.min, sizeof(float));
          for (int64_t i = 0; i < g; ++i)
            codes[i * d / 2 + x / 2] |= kvInt4Code(tile[i * d + x], s)
                                        << (x % 2 * 4);
        }
        continue;
      }
      // Values: each token's slot, one range per group of channels.
      for (int64_t i = 0; i < g; ++i) {
        uint8_t *codes = base + i * p.dstStrides[2];
        uint8_t *scales = codes + d / 2;
        std::memset(codes, 0, d / 2);
        for (int64_t x0 = 0; x0 < d; x0 += g) {
          KVInt4Scale s = kvInt4Range(tile.data() + i * d + x0, 1, g);
          std::memcpy(scales + x0 / g * 8, &s.scale, sizeof(float));
          std::memcpy(scales + x0 / g * 8 + 4, &s.min, sizeof(float));
          for (int64_t x = x0; x < x0 + g; ++x)
            codes[x / 2] |= kvInt4Code(tile[i * d + x], s) << (x % 2 * 4);
        }
      }
    }
  };
  const int64_t tasks = p.batch * p.kvHeads * groups;
  if (tasks * g * d < (1 << 15))
    quantize(0, tasks);
  else
    parallelFor(tasks, 1, [&](int64_t b, int64_t e) { quantize(b, e); });
  // The new rows go to the ring (after the groups above have read it), the
  // last `buffer` of them: also those already in groups, which a later
  // append that takes back padding may quantize again.
  for (int64_t b = 0; b < p.batch; ++b)
    for (int64_t h = 0; h < p.kvHeads; ++h)
      for (int64_t j = std::max(pos, n - ringRows); j < n; ++j) {
        int64_t stride;
        const float *row = source(b, h, j, stride);
        float *dst = reinterpret_cast<float *>(slab(b, h)) + j % ringRows * d;
        for (int64_t x = 0; x < d; ++x)
          dst[x] = row[x * stride];
      }
}

} // namespace

void txc::kernels::kvQuantizeAppend(const KVAppendParams &p) {
  if (p.batch <= 0 || p.kvHeads <= 0 || p.seq <= 0 || p.headDim <= 0)
    return;
  if (p.format == KVFormat::Int4)
    return appendInt4(p);
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
  p.format = kvFormatKind(format);
  p.group = kvFormatGroup(format);
  p.residual = kvFormatResidual(format);
  p.buffer = kvFormatBuffer(format);
  p.values = kv != 0;
  p.blockTable = reinterpret_cast<const int32_t *>(blockTable);
  p.blockSize = blockSize;
  p.tableStride = tableStride;
  kvQuantizeAppend(p);
}
