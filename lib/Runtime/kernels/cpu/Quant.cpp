//===- Quant.cpp - matrix products on quantized weights -------------------===//
//
// Y = X * W^T with W in a GGUF block format or a planar format (Quant.h),
// the decode and prefill products of models whose weights stay quantized
// in memory.
//
// Numerics. For the integer formats (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K,
// Q5_K, Q6_K) each call first rounds every 32 consecutive activations of a
// row to int8: scale d_x = max|x| / 127, q = round-to-nearest-even(x / d_x)
// clamped to [-127, 127], plus the exact integer sums of q over each
// 16-value half (what the formats' offsets and mins multiply). A weight
// unit of 32 values (a block, or a K-format sub-block) is w = s * code + c
// (Q6_K: s * sc_h * (code - 32) with an integer scale per 16 values), with
// the codes unsigned (Q8_0: signed) integers, so its dot product with the
// activations is
//   d_x * s * sum(code * q) + c * d_x * sum(q),
// where the integer sums are exact in i32 and only the two scale products
// and the accumulation over units are f32. Compared with the exact product
// of the dequantized weights, the error is the activation rounding (at most
// d_x / 2 per element, so per unit d_x / 2 * sum|w|) plus f32 rounding.
// F32, F16 and BF16 rows are multiplied in f32 with FMA (no activation
// rounding).
//
// Planar formats (codes, group scales and zero points in separate arrays)
// use the same scheme when every full 32-value unit of a row lies in one
// group (two for groups of 16): the unit's codes are decoded to bytes in
// value order, unsigned (int4, int2; bias c = -z s) or signed (int8 as
// q - 128 with c = (128 - z) s; fp4 e2m1 as twice its value, scale s / 2),
// and the two halves of a group-16 unit get their own scales. fp8 e4m3
// codes are read as f16 (value / 2^8, the 2^8 in the scale) and multiplied
// with the f32 activations. The K % 32 values after the last unit, and
// every value under other group sizes, are dequantized by the reference
// and multiplied in f32.
//
// Instruction sets: AVX2 (maddubs / madd for the unsigned x signed byte
// products, F16C for the scales), AVX-512 VNNI (the same code on 256-bit
// vectors with vpdpbusd), and scalar code doing the same integer
// arithmetic; the code for each is QuantImpl.inc, included once per set.
// Every ISA computes the same integers, so results differ between ISAs only
// by the order of the f32 accumulation. A CPU with AVX-512 but no VNNI runs
// the AVX2 code ("avx512" in quantIsaName).
//
// Blocking and threads: a pass keeps kRowTile activation rows in registers
// against one weight row, so each weight block is decoded once per tile of
// rows; the weight rows are taken kRowChunk at a time (they stay in L1
// while a block of row tiles, about kActBytes of activations kept in L2,
// passes). Threads split the weight rows, or the row tiles when the weight
// rows are too few. Each output element is
// computed by the same sequence of operations whatever the split, so
// results do not depend on the thread count.
//
//===----------------------------------------------------------------------===//

#include "Quant.h"
#include "Parallel.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include <immintrin.h>

using namespace txc::kernels;

#define TXC_QINLINE inline __attribute__((always_inline))

namespace {

/// Activation rows held against one weight row per pass.
constexpr int kRowTile = 4;
/// Weight rows per pass over the activation row tiles.
constexpr int64_t kRowChunk = 16;
/// Bytes of activations (quantized or f32) per pass over the weight rows.
constexpr int64_t kActBytes = 256 << 10;
/// Bytes ahead of the unit being read that a one-row planar pass (decode)
/// prefetches: with the decoding work between loads the hardware
/// prefetcher alone falls behind (1 thread, int4 LM head 32000 x 768:
/// best of runs 1.82 ms without, 1.68 ms at 1024 or 2048 bytes).
constexpr int64_t kPlanarPrefetch = 1024;

/// IEEE half to float (exact; any CPU).
float halfToFloat(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f, man = h & 0x3ff;
  uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | man << 13;
  } else if (exp != 0) {
    bits = sign | (exp + 112) << 23 | man << 13;
  } else if (man == 0) {
    bits = sign;
  } else { // subnormal: man * 2^-24
    float v = static_cast<float>(man) * 5.9604644775390625e-8f;
    std::memcpy(&bits, &v, 4);
    bits |= sign;
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

float bf16ToFloat(uint16_t h) {
  uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

/// One 32-value weight unit's scales (see the file comment): w = s * code
/// + c, or for Q6_K s * sc0 / sc1 * (code - 32) with c = -32 s.
struct UnitParams {
  float s, c;
  int32_t sc0, sc1;
};

/// 32 activations rounded to int8: x ~ d * q; ds = d * (s0 + s1), s0 and
/// s1 the sums of q over the two 16-value halves.
struct alignas(16) ActBlock {
  int8_t q[32];
  float d, ds;
  int32_t s0, s1;
};

/// A planar weight (Quant.h, "Planar formats") and the path that runs it.
struct Planar {
  int32_t code, scale;
  const uint8_t *codes, *scales, *zeros; // zeros: null for the default
  float tensorScale;
  int64_t k, group, groups; // groups = ceil(k / group)
  int bits;                 // 8, 4 or 2
  /// The integer code subtracted before scaling, when `zeros` is null.
  int32_t defaultZero;
  /// Fast path: each full 32-value unit lies in one group (`two`: in two
  /// groups of 16) and rows start on a byte; else the generic path.
  bool fast, two;
  /// Fast path of 4-bit codes in one group per unit: the activations come
  /// in even-odd order (permuteEvenOdd), so the low nibbles of a unit's 16
  /// bytes meet values 0, 2, .., 30 and the high nibbles 1, 3, .., 31 and
  /// the codes need no interleaving.
  bool evenOdd;
  /// Fast path, one group per unit: unit u is in group u >> unitShift of
  /// its row; -1 when a group's units are not a power of two.
  int unitShift;
};

/// One call of txc_qmatmul or txc_qmatmul_planar.
struct Job {
  int32_t type;
  const uint8_t *w;
  int64_t rowBytes;
  const float *x;      // f32 activations (float formats, planar tails)
  const ActBlock *act; // quantized activations, k / 32 per row
  float *y;
  int64_t m, n, k;
  const Planar *planar; // null for the ggml block formats
};

//===----------------------------------------------------------------------===//
// Planar decoding shared by every ISA
//===----------------------------------------------------------------------===//

constexpr int32_t kCodeInt8 = TXC_QCODE_INT8, kCodeInt4 = TXC_QCODE_INT4,
                  kCodeInt2 = TXC_QCODE_INT2, kCodeFp8 = TXC_QCODE_FP8_E4M3,
                  kCodeFp4 = TXC_QCODE_FP4_E2M1;
/// The 4-bit code kinds read against even-odd activations (Planar::evenOdd;
/// kernel template arguments only, never a Planar::code).
constexpr int32_t kCodeInt4EvenOdd = 16, kCodeFp4EvenOdd = 17;
constexpr int32_t kScaleF32 = TXC_QSCALE_F32, kScaleF16 = TXC_QSCALE_F16,
                  kScaleBF16 = TXC_QSCALE_BF16,
                  kScaleF8E4M3 = TXC_QSCALE_F8_E4M3,
                  kScaleF8E8M0 = TXC_QSCALE_F8_E8M0;

/// 256 floats indexed by a byte.
struct ByteTable {
  float v[256];
};

/// 2^e for small integer e, exactly (float subnormals included).
constexpr float exp2i(int e) {
  float v = 1.0f;
  for (; e > 0; --e)
    v *= 2.0f;
  for (; e < 0; ++e)
    v *= 0.5f;
  return v;
}

/// The value of an OCP fp8 e4m3 (fn) code times `factor`; NaN for 0x7f /
/// 0xff when `withNaN`, else the value the exponent and mantissa bits spell
/// (480).
constexpr float fp8E4M3Value(int b, bool withNaN, float factor) {
  int e = (b >> 3) & 15, m = b & 7;
  if (withNaN && e == 15 && m == 7)
    return std::numeric_limits<float>::quiet_NaN();
  float mag = e == 0 ? static_cast<float>(m) * exp2i(-9)
                     : static_cast<float>(8 + m) * exp2i(e - 10);
  return (b & 0x80 ? -mag : mag) * factor;
}

/// fp8E4M3Value of every byte.
constexpr ByteTable makeFp8Table(bool withNaN, float factor) {
  ByteTable t{};
  for (int b = 0; b < 256; ++b)
    t.v[b] = fp8E4M3Value(b, withNaN, factor);
  return t;
}

/// The e8m0 value of every byte.
constexpr ByteTable makeE8M0Table() {
  ByteTable t{};
  for (int e = 0; e < 255; ++e)
    t.v[e] = exp2i(e - 127);
  t.v[255] = std::numeric_limits<float>::quiet_NaN();
  return t;
}

/// fp8 e4m3 values (NaN codes NaN): the scales and the reference.
constexpr ByteTable kFp8Values = makeFp8Table(true, 1.0f);
/// fp8 e4m3 codes as the kernels read them: value / 2^8 (what the f16
/// conversion of the vector code gives; the 2^8 is in the scale), and no
/// NaN (weights never hold one).
constexpr ByteTable kFp8Codes = makeFp8Table(false, exp2i(-8));
/// e8m0 scales: 2^(e - 127), e = 255 NaN.
constexpr ByteTable kE8M0Values = makeE8M0Table();
/// fp4 e2m1 codes as twice their value (integers).
constexpr int8_t kFp4Twice[16] = {0, 1,  2,  3,  4,  6,  8,  12,
                                  0, -1, -2, -3, -4, -6, -8, -12};

/// The factor the kernels fold into the group scales: fp4 codes are read
/// as twice their value, fp8 codes as value / 2^8.
float codeFactor(int32_t code) {
  return code == kCodeFp4 ? 0.5f : code == kCodeFp8 ? 256.0f : 1.0f;
}

/// Bytes of one scale of `kind`.
int scaleBytes(int32_t kind) {
  return kind == kScaleF32 ? 4 : kind <= kScaleBF16 ? 2 : 1;
}

/// Floats of scratch the fast path needs for `rows` weight rows: their
/// group scales and bias coefficients, and one row's spread to units.
int64_t planarScratchFloats(const Planar &p, int64_t rows) {
  return 2 * (rows * p.groups + p.k / 32) + 8;
}

/// A per-thread buffer of at least `count` floats.
float *planarScratch(int64_t count) {
  thread_local std::vector<float> buf;
  if (static_cast<int64_t>(buf.size()) < count)
    buf.resize(count);
  return buf.data();
}

/// Values [i0, i1) of row `row` of a planar weight, dequantized (the
/// reference; any group, any k).
void dequantizePlanar(const Planar &p, int64_t row, int64_t i0, int64_t i1,
                      float *dst);

} // namespace

// --- the instruction sets ------------------------------------------------

#if defined(__clang__) && defined(__x86_64__)
#define TXC_QUANT_HAVE_X86 1
#define TXC_QUANT_VECTOR 1

#pragma clang attribute push(                                                  \
    __attribute__((                                                            \
        target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni"))),        \
    apply_to = function)
namespace {
namespace vnni {
static TXC_QINLINE __m256i qdot(__m256i u, __m256i s) {
  return _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, s);
}
#include "QuantImpl.inc"
} // namespace vnni
} // namespace
#pragma clang attribute pop

#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))),         \
                             apply_to = function)
namespace {
namespace avx2 {
static TXC_QINLINE __m256i qdot(__m256i u, __m256i s) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}
#include "QuantImpl.inc"
} // namespace avx2
} // namespace
#pragma clang attribute pop

#undef TXC_QUANT_VECTOR
#endif

#define TXC_QUANT_VECTOR 0
namespace {
namespace scalar {
#include "QuantImpl.inc"
} // namespace scalar
} // namespace
#undef TXC_QUANT_VECTOR

namespace {

//===----------------------------------------------------------------------===//
// Formats and the reference dequantization
//===----------------------------------------------------------------------===//

/// Values and bytes per block of a supported type; false otherwise.
bool blockLayout(int32_t type, int64_t &values, int64_t &bytes) {
  switch (type) {
  case 0:
    values = 1, bytes = 4;
    return true;
  case 1:
  case 30:
    values = 1, bytes = 2;
    return true;
  case 2:
    values = 32, bytes = 18;
    return true;
  case 3:
    values = 32, bytes = 20;
    return true;
  case 6:
    values = 32, bytes = 22;
    return true;
  case 7:
    values = 32, bytes = 24;
    return true;
  case 8:
    values = 32, bytes = 34;
    return true;
  case 12:
    values = 256, bytes = 144;
    return true;
  case 13:
    values = 256, bytes = 176;
    return true;
  case 14:
    values = 256, bytes = 210;
    return true;
  default:
    return false;
  }
}

bool isFloatType(int32_t type) { return type == 0 || type == 1 || type == 30; }

float loadHalf(const uint8_t *p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return halfToFloat(h);
}

/// The sub-block scale and min j of a Q4_K / Q5_K block's 12 bytes `s`.
void scaleMinK(const uint8_t *s, int j, int &sc, int &mn) {
  if (j < 4) {
    sc = s[j] & 63;
    mn = s[j + 4] & 63;
  } else {
    sc = (s[j + 4] & 15) | (s[j - 4] >> 6) << 4;
    mn = (s[j + 4] >> 4) | (s[j] >> 6) << 4;
  }
}

/// Dequantizes one block of `type` at `b` into `y` (ggml's formulas).
void dequantizeBlock(int32_t type, const uint8_t *b, float *y) {
  switch (type) {
  case 2: { // Q4_0
    float d = loadHalf(b);
    for (int i = 0; i < 16; ++i) {
      y[i] = d * static_cast<float>((b[2 + i] & 15) - 8);
      y[i + 16] = d * static_cast<float>((b[2 + i] >> 4) - 8);
    }
    return;
  }
  case 3: { // Q4_1
    float d = loadHalf(b), m = loadHalf(b + 2);
    for (int i = 0; i < 16; ++i) {
      y[i] = d * static_cast<float>(b[4 + i] & 15) + m;
      y[i + 16] = d * static_cast<float>(b[4 + i] >> 4) + m;
    }
    return;
  }
  case 6:
  case 7: { // Q5_0, Q5_1
    bool one = type == 7;
    float d = loadHalf(b), m = one ? loadHalf(b + 2) : 0.0f;
    const uint8_t *qh = b + (one ? 4 : 2), *qs = b + (one ? 8 : 6);
    uint32_t bits =
        static_cast<uint32_t>(qh[0]) | static_cast<uint32_t>(qh[1]) << 8 |
        static_cast<uint32_t>(qh[2]) << 16 | static_cast<uint32_t>(qh[3]) << 24;
    for (int i = 0; i < 16; ++i) {
      int lo = (qs[i] & 15) | ((bits >> i) & 1) << 4;
      int hi = (qs[i] >> 4) | ((bits >> (i + 16)) & 1) << 4;
      if (one) {
        y[i] = d * static_cast<float>(lo) + m;
        y[i + 16] = d * static_cast<float>(hi) + m;
      } else {
        y[i] = d * static_cast<float>(lo - 16);
        y[i + 16] = d * static_cast<float>(hi - 16);
      }
    }
    return;
  }
  case 8: { // Q8_0
    float d = loadHalf(b);
    for (int i = 0; i < 32; ++i)
      y[i] = d * static_cast<float>(static_cast<int8_t>(b[2 + i]));
    return;
  }
  case 12:
  case 13: { // Q4_K, Q5_K
    bool five = type == 13;
    float d = loadHalf(b), dmin = loadHalf(b + 2);
    const uint8_t *qh = b + 16, *qs = b + (five ? 48 : 16);
    for (int j = 0; j < 8; ++j) {
      int sc, mn;
      scaleMinK(b + 4, j, sc, mn);
      float scale = d * static_cast<float>(sc);
      float min = dmin * static_cast<float>(mn);
      const uint8_t *q = qs + 32 * (j / 2);
      for (int i = 0; i < 32; ++i) {
        int v = (q[i] >> (4 * (j & 1))) & 15;
        if (five)
          v |= ((qh[i] >> j) & 1) << 4;
        y[32 * j + i] = scale * static_cast<float>(v) - min;
      }
    }
    return;
  }
  case 14: { // Q6_K
    float d = loadHalf(b + 208);
    const int8_t *sc = reinterpret_cast<const int8_t *>(b + 192);
    for (int h = 0; h < 2; ++h) {
      const uint8_t *ql = b + 64 * h, *qh = b + 128 + 32 * h;
      for (int i = 0; i < 32; ++i) {
        int q1 = ((ql[i] & 15) | (qh[i] & 3) << 4) - 32;
        int q2 = ((ql[i + 32] & 15) | ((qh[i] >> 2) & 3) << 4) - 32;
        int q3 = ((ql[i] >> 4) | ((qh[i] >> 4) & 3) << 4) - 32;
        int q4 = ((ql[i + 32] >> 4) | ((qh[i] >> 6) & 3) << 4) - 32;
        const int8_t *s = sc + 8 * h + i / 16;
        float *o = y + 128 * h + i;
        o[0] = d * static_cast<float>(s[0]) * static_cast<float>(q1);
        o[32] = d * static_cast<float>(s[2]) * static_cast<float>(q2);
        o[64] = d * static_cast<float>(s[4]) * static_cast<float>(q3);
        o[96] = d * static_cast<float>(s[6]) * static_cast<float>(q4);
      }
    }
    return;
  }
  default:
    return;
  }
}

/// The value of one scale of `kind` at `p` (NaN codes NaN).
float scaleValue(int32_t kind, const uint8_t *p) {
  switch (kind) {
  case kScaleF32: {
    float v;
    std::memcpy(&v, p, 4);
    return v;
  }
  case kScaleF16:
    return loadHalf(p);
  case kScaleBF16: {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return bf16ToFloat(h);
  }
  case kScaleF8E4M3:
    return kFp8Values.v[*p];
  default:
    return kE8M0Values.v[*p];
  }
}

void dequantizePlanar(const Planar &p, int64_t row, int64_t i0, int64_t i1,
                      float *dst) {
  const int64_t sb = scaleBytes(p.scale);
  const uint8_t *scales = p.scales + row * p.groups * sb;
  const uint8_t *zeros = p.zeros ? p.zeros + row * p.groups : nullptr;
  const unsigned mask = (1u << p.bits) - 1;
  // Value i of the tensor is at bit i * bits of the codes.
  const uint64_t rowBit = static_cast<uint64_t>(row) * p.k * p.bits;
  for (int64_t i = i0; i < i1;) {
    int64_t g = i / p.group, end = std::min(i1, (g + 1) * p.group);
    float s = scaleValue(p.scale, scales + g * sb);
    int32_t z = zeros ? zeros[g] : p.defaultZero;
    for (; i < end; ++i) {
      uint64_t bit = rowBit + static_cast<uint64_t>(i) * p.bits;
      int q = (p.codes[bit / 8] >> (bit % 8)) & mask;
      float v;
      if (p.code == kCodeFp8)
        v = kFp8Values.v[q];
      else if (p.code == kCodeFp4)
        v = 0.5f * static_cast<float>(kFp4Twice[q]);
      else
        v = static_cast<float>(q - z);
      dst[i - i0] = v * s * p.tensorScale;
    }
  }
}

//===----------------------------------------------------------------------===//
// Activations
//===----------------------------------------------------------------------===//

/// Rounds the k activations of a row to k / 32 ActBlocks (file comment).
/// The same code serves every ISA, so all see the same integers.
void quantizeRow(const float *x, int64_t k, ActBlock *out) {
  for (int64_t b = 0; b < k / 32; ++b, x += 32) {
    float amax = 0.0f;
    for (int i = 0; i < 32; ++i)
      amax = std::max(amax, std::fabs(x[i]));
    ActBlock &a = out[b];
    a.d = amax / 127.0f;
    float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
    int32_t s[2] = {0, 0};
    for (int i = 0; i < 32; ++i) {
      float v = x[i] * inv;
      // NaN and out-of-range values (inf activations) stay in int8 range;
      // d carries the non-finite value into the result.
      v = v >= -127.0f ? (v <= 127.0f ? std::nearbyint(v) : 127.0f)
                       : (v < -127.0f ? -127.0f : 0.0f);
      a.q[i] = static_cast<int8_t>(v);
      s[i / 16] += a.q[i];
    }
    a.s0 = s[0];
    a.s1 = s[1];
    a.ds = a.d * static_cast<float>(s[0] + s[1]);
  }
}

//===----------------------------------------------------------------------===//
// Dispatch
//===----------------------------------------------------------------------===//

using RowsFn = void (*)(const Job &, int64_t, int64_t, int64_t, int);

enum class Level { Scalar, Avx2, Avx512, Avx512Vnni };

Level bestLevel() {
#if TXC_QUANT_HAVE_X86
  static const Level best = [] {
    bool avx2 = __builtin_cpu_supports("avx2") &&
                __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    if (!avx2)
      return Level::Scalar;
    if (!__builtin_cpu_supports("avx512f"))
      return Level::Avx2;
    if (__builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512vnni"))
      return Level::Avx512Vnni;
    return Level::Avx512;
  }();
  return best;
#else
  return Level::Scalar;
#endif
}

Level forcedLevel = Level::Scalar;
bool forced = false;

Level currentLevel() {
  Level best = bestLevel();
  return forced ? std::min(forcedLevel, best) : best;
}

/// Reorders each block's 32 codes to values 0, 2, .., 30, then 1, 3, ..,
/// 31 (s0 and s1 then no longer hold the halves' sums; the paths that read
/// them do not use this order). A dot product with codes in the same order
/// is unchanged: its integer sum is exact in any order.
void permuteEvenOdd(ActBlock *a, int64_t count) {
  for (int64_t b = 0; b < count; ++b) {
    int8_t q[32];
    for (int i = 0; i < 16; ++i) {
      q[i] = a[b].q[2 * i];
      q[16 + i] = a[b].q[2 * i + 1];
    }
    std::memcpy(a[b].q, q, 32);
  }
}

/// The m rows of x rounded to k / 32 ActBlocks each, in a per-thread
/// buffer that lives until the next call on this thread (in even-odd order
/// with `evenOdd`). The vector code computes the same integers and scales
/// as quantizeRow (PlanarActivations tests check it), so the ISA does not
/// change a result.
const ActBlock *quantizeActivations(const float *x, int64_t m, int64_t k,
                                    bool evenOdd = false) {
  thread_local std::vector<ActBlock> act;
  int64_t units = k / 32;
  act.resize(std::max<int64_t>(1, m * units));
  ActBlock *dst = act.data();
  void (*rowFn)(const float *, int64_t, ActBlock *) = quantizeRow;
#if TXC_QUANT_HAVE_X86
  if (currentLevel() == Level::Avx512Vnni)
    rowFn = vnni::quantizeRowVector;
  else if (currentLevel() != Level::Scalar)
    rowFn = avx2::quantizeRowVector;
#endif
  if (units > 0)
    parallelFor(m, std::max<int64_t>(1, 8192 / k), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        rowFn(x + r * k, k, dst + r * units);
        if (evenOdd)
          permuteEvenOdd(dst + r * units, units);
      }
    });
  return dst;
}

RowsFn rowsFn() {
  switch (currentLevel()) {
#if TXC_QUANT_HAVE_X86
  case Level::Avx512Vnni:
    return vnni::rowsKernel;
  case Level::Avx512:
  case Level::Avx2:
    return avx2::rowsKernel;
#endif
  default:
    return scalar::rowsKernel;
  }
}

RowsFn planarRowsFn() {
  switch (currentLevel()) {
#if TXC_QUANT_HAVE_X86
  case Level::Avx512Vnni:
    return vnni::planarRowsKernel;
  case Level::Avx512:
  case Level::Avx2:
    return avx2::planarRowsKernel;
#endif
  default:
    return scalar::planarRowsKernel;
  }
}

/// Runs `count` jobs with `fn` (jobs of one call: the same activations, M
/// and K, e.g. the members of txc_qmatmul_planar_group): threads split the
/// weight rows of all of them, taken as one range, in whole chunks, or the
/// row tiles when there are too few weight rows to go round.
void runJobs(const Job *jobs, int count, RowsFn fn) {
  const Job &first = jobs[0];
  int64_t tiles = (first.m + kRowTile - 1) / kRowTile;
  // Row tiles per block: their activations (about kActBytes) stay in L2
  // while the weight rows pass.
  int64_t tileBytes =
      kRowTile * (first.act ? first.k / 32 * int64_t{sizeof(ActBlock)}
                            : first.k * int64_t{sizeof(float)});
  int64_t tileBlock =
      std::max<int64_t>(1, kActBytes / std::max<int64_t>(1, tileBytes));
  auto pass = [&](const Job &job, int64_t n0, int64_t n1, int64_t t0,
                  int64_t t1) {
    for (int64_t tb = t0; tb < t1; tb += tileBlock)
      for (int64_t nb = n0; nb < n1; nb += kRowChunk)
        for (int64_t t = tb; t < std::min(t1, tb + tileBlock); ++t) {
          int64_t r0 = t * kRowTile;
          fn(job, nb, std::min(n1, nb + kRowChunk), r0,
             static_cast<int>(std::min<int64_t>(kRowTile, job.m - r0)));
        }
  };
  int64_t total = 0;
  for (int i = 0; i < count; ++i)
    total += jobs[i].n;
  // About 16K multiply-adds per task at least, so small products stay on
  // the calling thread.
  int64_t perRow = std::max<int64_t>(1, first.k * first.m);
  int64_t grain = std::max<int64_t>(1, (int64_t{1} << 14) / perRow);
  int threads = numThreads();
  if (total >= 2 * threads * std::max<int64_t>(grain, kRowChunk) ||
      tiles < 2 * threads) {
    // [g0, g1) of the members' rows laid end to end.
    parallelFor(total, grain, [&](int64_t g0, int64_t g1) {
      int64_t at = 0;
      for (int i = 0; i < count && at < g1; at += jobs[i].n, ++i) {
        int64_t lo = std::max(g0, at), hi = std::min(g1, at + jobs[i].n);
        if (lo < hi)
          pass(jobs[i], lo - at, hi - at, 0, tiles);
      }
    });
    return;
  }
  parallelFor(tiles, 1, [&](int64_t t0, int64_t t1) {
    for (int i = 0; i < count; ++i)
      pass(jobs[i], 0, jobs[i].n, t0, t1);
  });
}

void runJob(const Job &job, RowsFn fn) { runJobs(&job, 1, fn); }

} // namespace

void txc::kernels::setQuantIsa(QuantIsa isa) {
  forced = isa != QuantIsa::Auto;
  forcedLevel = isa == QuantIsa::Avx512 ? Level::Avx512Vnni
                : isa == QuantIsa::Avx2 ? Level::Avx2
                                        : Level::Scalar;
  // An AVX-512 request on a CPU with AVX-512 but no VNNI gets "avx512".
}

void txc::kernels::roundActivations(const float *x, int64_t m, int64_t k,
                                    int8_t *q, float *d, int32_t *sums) {
  const ActBlock *act = quantizeActivations(x, m, k);
  for (int64_t u = 0; u < m * (k / 32); ++u) {
    std::memcpy(q + 32 * u, act[u].q, 32);
    d[u] = act[u].d;
    sums[2 * u] = act[u].s0;
    sums[2 * u + 1] = act[u].s1;
  }
}

const char *txc::kernels::quantIsaName() {
  switch (currentLevel()) {
  case Level::Avx512Vnni:
    return "avx512-vnni";
  case Level::Avx512:
    return "avx512";
  case Level::Avx2:
    return "avx2";
  default:
    return "scalar";
  }
}

extern "C" {

int32_t txc_qtype_supported(int32_t type) {
  int64_t values, bytes;
  return blockLayout(type, values, bytes) ? 1 : 0;
}

int64_t txc_qblock_values(int32_t type) {
  int64_t values, bytes;
  return blockLayout(type, values, bytes) ? values : 0;
}

int64_t txc_qrow_bytes(int32_t type, int64_t k) {
  int64_t values, bytes;
  if (!blockLayout(type, values, bytes) || k < 0 || k % values != 0)
    return -1;
  return k / values * bytes;
}

void txc_qdequantize_row(int32_t type, const void *src, float *dst, int64_t k) {
  int64_t values, bytes;
  if (!blockLayout(type, values, bytes) || k <= 0 || k % values != 0)
    return;
  const uint8_t *p = static_cast<const uint8_t *>(src);
  switch (type) {
  case 0:
    std::memcpy(dst, p, sizeof(float) * k);
    return;
  case 1:
    for (int64_t i = 0; i < k; ++i)
      dst[i] = loadHalf(p + 2 * i);
    return;
  case 30:
    for (int64_t i = 0; i < k; ++i) {
      uint16_t h;
      std::memcpy(&h, p + 2 * i, 2);
      dst[i] = bf16ToFloat(h);
    }
    return;
  default:
    for (int64_t b = 0; b < k / values; ++b)
      dequantizeBlock(type, p + b * bytes, dst + b * values);
  }
}

void txc_qmatmul(int32_t type, intptr_t x, intptr_t w, intptr_t y, int64_t m,
                 int64_t n, int64_t k) {
  if (m <= 0 || n <= 0)
    return;
  float *out = reinterpret_cast<float *>(y);
  int64_t rowBytes = txc_qrow_bytes(type, k);
  if (rowBytes < 0 || k == 0) {
    // Unsupported type or k (the compiler checks both): NaN, not garbage.
    std::fill(out, out + m * n,
              k == 0 && rowBytes == 0
                  ? 0.0f
                  : std::numeric_limits<float>::quiet_NaN());
    return;
  }
  Job job;
  job.type = type;
  job.w = reinterpret_cast<const uint8_t *>(w);
  job.rowBytes = rowBytes;
  job.x = reinterpret_cast<const float *>(x);
  job.act = isFloatType(type) ? nullptr : quantizeActivations(job.x, m, k);
  job.y = out;
  job.m = m;
  job.n = n;
  job.k = k;
  job.planar = nullptr;
  runJob(job, rowsFn());
}

void txc_qembed(int32_t type, intptr_t table, int64_t rows, int64_t k,
                intptr_t ids, int64_t count, intptr_t out) {
  float *dst = reinterpret_cast<float *>(out);
  const int64_t *id = reinterpret_cast<const int64_t *>(ids);
  const uint8_t *base = reinterpret_cast<const uint8_t *>(table);
  int64_t rowBytes = txc_qrow_bytes(type, k);
  if (k <= 0 || count <= 0)
    return;
  for (int64_t i = 0; i < count; ++i) {
    float *o = dst + i * k;
    if (rowBytes < 0 || id[i] < 0 || id[i] >= rows)
      std::fill(o, o + k, 0.0f);
    else
      txc_qdequantize_row(type, base + id[i] * rowBytes, o, k);
  }
}

int32_t txc_qplanar_supported(int32_t codeKind, int32_t scaleKind) {
  if (codeKind < kCodeInt8 || codeKind > kCodeFp4 || scaleKind < kScaleF32 ||
      scaleKind > kScaleF8E8M0)
    return 0;
  // The fp8 scales go with the float codes (NVFP4, MXFP4, MXFP8).
  bool integer = codeKind <= kCodeInt2;
  return !integer || scaleKind <= kScaleBF16 ? 1 : 0;
}

} // extern "C"

namespace {

/// The planar weight of a call, after txc_qplanar_supported and k, group
/// >= 1 were checked.
Planar makePlanar(int32_t codeKind, int32_t scaleKind, const void *codes,
                  const void *scales, const void *zeros, float tensorScale,
                  int64_t k, int64_t group) {
  Planar p;
  p.code = codeKind;
  p.scale = scaleKind;
  p.codes = static_cast<const uint8_t *>(codes);
  p.scales = static_cast<const uint8_t *>(scales);
  p.zeros = static_cast<const uint8_t *>(zeros);
  p.tensorScale = tensorScale;
  p.k = k;
  p.group = group;
  p.groups = (k + group - 1) / group;
  p.bits = codeKind == kCodeInt8 || codeKind == kCodeFp8 ? 8
           : codeKind == kCodeInt2                       ? 2
                                                         : 4;
  p.defaultZero = codeKind == kCodeInt8   ? 128
                  : codeKind == kCodeInt4 ? 8
                  : codeKind == kCodeInt2 ? 2
                                          : 0;
  p.fast =
      k * p.bits % 8 == 0 && (group >= k || group % 32 == 0 || group == 16);
  p.two = p.fast && group == 16 && group < k;
  p.evenOdd = p.fast && !p.two && (codeKind == kCodeInt4 || codeKind == kCodeFp4);
  p.unitShift = 0;
  if (p.fast && !p.two && group >= k) {
    p.unitShift = 62; // every unit in group 0
  } else if (p.fast && !p.two) {
    int64_t per = group / 32;
    p.unitShift = (per & (per - 1)) == 0 ? __builtin_ctzll(per) : -1;
  }
  return p;
}

} // namespace

extern "C" {

void txc_qmatmul_planar(int32_t codeKind, int32_t scaleKind, intptr_t x,
                        intptr_t codes, intptr_t scales, intptr_t zeros,
                        float tensorScale, intptr_t y, int64_t m, int64_t n,
                        int64_t k, int64_t group) {
  txc_qmatmul_planar_group(codeKind, scaleKind, group, x, m, k, 1, codes,
                           scales, zeros, tensorScale, y, n, 0, 0, 0, 0.0f, 0,
                           0, 0, 0, 0, 0.0f, 0, 0, 0, 0, 0, 0.0f, 0, 0);
}

void txc_qmatmul_planar_group(int32_t codeKind, int32_t scaleKind,
                              int64_t group, intptr_t x, int64_t m, int64_t k,
                              int64_t count, intptr_t codes0, intptr_t scales0,
                              intptr_t zeros0, float tensorScale0, intptr_t y0,
                              int64_t n0, intptr_t codes1, intptr_t scales1,
                              intptr_t zeros1, float tensorScale1, intptr_t y1,
                              int64_t n1, intptr_t codes2, intptr_t scales2,
                              intptr_t zeros2, float tensorScale2, intptr_t y2,
                              int64_t n2, intptr_t codes3, intptr_t scales3,
                              intptr_t zeros3, float tensorScale3, intptr_t y3,
                              int64_t n3) {
  struct Member {
    intptr_t codes, scales, zeros;
    float tensorScale;
    intptr_t y;
    int64_t n;
  };
  const Member all[4] = {{codes0, scales0, zeros0, tensorScale0, y0, n0},
                         {codes1, scales1, zeros1, tensorScale1, y1, n1},
                         {codes2, scales2, zeros2, tensorScale2, y2, n2},
                         {codes3, scales3, zeros3, tensorScale3, y3, n3}};
  if (m <= 0 || count < 1)
    return;
  count = std::min<int64_t>(count, 4);
  bool bad = !txc_qplanar_supported(codeKind, scaleKind) || k < 0 || group < 1;
  Planar planars[4];
  Job jobs[4];
  int used = 0;
  for (int64_t i = 0; i < count; ++i) {
    const Member &mb = all[i];
    float *out = reinterpret_cast<float *>(mb.y);
    if (mb.n <= 0)
      continue;
    if (bad || k == 0) {
      // The compiler checks the kinds, K and the group: NaN, not garbage.
      std::fill(out, out + m * mb.n,
                bad ? std::numeric_limits<float>::quiet_NaN() : 0.0f);
      continue;
    }
    Planar &p = planars[used];
    p = makePlanar(codeKind, scaleKind, reinterpret_cast<void *>(mb.codes),
                   reinterpret_cast<void *>(mb.scales),
                   reinterpret_cast<void *>(mb.zeros), mb.tensorScale, k,
                   group);
    Job &job = jobs[used++];
    job.type = -1;
    job.w = p.codes;
    job.rowBytes = k * p.bits / 8;
    job.x = reinterpret_cast<const float *>(x);
    job.act = nullptr;
    job.y = out;
    job.m = m;
    job.n = mb.n;
    job.k = k;
    job.planar = &p;
  }
  if (used == 0)
    return;
  // Every member has the same kinds and group, so the same path: the
  // activations are rounded once for all of them.
  if (planars[0].fast && codeKind != kCodeFp8) {
    const ActBlock *act = quantizeActivations(
        reinterpret_cast<const float *>(x), m, k, planars[0].evenOdd);
    for (int i = 0; i < used; ++i)
      jobs[i].act = act;
  }
  runJobs(jobs, used, planarRowsFn());
}

void txc_qplanar_dequantize_row(int32_t codeKind, int32_t scaleKind,
                                const void *codes, const void *scales,
                                const void *zeros, float tensorScale,
                                int64_t row, int64_t k, int64_t group,
                                float *dst) {
  if (k <= 0)
    return;
  if (!txc_qplanar_supported(codeKind, scaleKind) || group < 1 || row < 0) {
    std::fill(dst, dst + k, std::numeric_limits<float>::quiet_NaN());
    return;
  }
  Planar p = makePlanar(codeKind, scaleKind, codes, scales, zeros, tensorScale,
                        k, group);
  dequantizePlanar(p, row, 0, k, dst);
}
}
