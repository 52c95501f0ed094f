//===- Quantize.cpp - round-to-nearest weight quantizers ------------------===//
//
// RTN for the tx-quantize formats. All arithmetic is f32 and every rounding
// is round-to-nearest-even (NumPy's rint), so that a NumPy implementation
// of the same rules reproduces the codes and scales bit for bit:
//
//  * integer, symmetric (bits b, z = 2^(b-1)): per group, v is the value of
//    largest magnitude (the first one on ties), s = f16(v / -z) (so v maps
//    to code 0, llama.cpp's Q4_0 rule, which uses all 2^b levels), codes
//    q = clamp(rint(w / s) + z, 0, 2^b - 1) with the stored scale;
//  * integer with zero points: lo = min(min w, 0), hi = max(max w, 0),
//    s = f16((hi - lo) / (2^b - 1)), z = clamp(rint(-lo / s), 0, 2^b - 1),
//    q = clamp(rint(w / s) + z, 0, 2^b - 1);
//  * fp8 e4m3: s = f32(amax / 448) per group (per row by default),
//    q = e4m3(w / s);
//  * NVFP4: t = amax(W) / (448 * 6) over the whole tensor, per 16 values
//    s = e4m3(amax / 6 / t), q = e2m1(w / (s * t));
//  * MXFP4: per 32 values, E = floor(log2 amax) - 2 clamped to
//    [-127, 127] (the OCP MX rule; E = -127 for an all-zero block),
//    s = 2^E stored as the byte E + 127, q = e2m1(w / s), saturating.
// A group whose scale is 0 (all zeros) gets the zero point as its codes.
//
//===----------------------------------------------------------------------===//

#include "txc/Support/Quantize.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

using namespace txc;
using namespace txc::quant;

namespace {

struct FormatName {
  Format format;
  const char *name;
};
constexpr FormatName kFormats[] = {
    {Format::F32, "f32"},     {Format::F16, "f16"},     {Format::BF16, "bf16"},
    {Format::Int8, "int8"},   {Format::Int4, "int4"},   {Format::Int2, "int2"},
    {Format::FP8, "fp8"},     {Format::NVFP4, "nvfp4"}, {Format::MXFP4, "mxfp4"}};

uint32_t bitsOf(float v) {
  uint32_t b;
  std::memcpy(&b, &v, 4);
  return b;
}
float floatOf(uint32_t b) {
  float v;
  std::memcpy(&v, &b, 4);
  return v;
}

bool isInteger(Format f) {
  return f == Format::Int8 || f == Format::Int4 || f == Format::Int2;
}

/// Stores code `c` (of `bits` bits) as element `i` of the packed array.
void putCode(std::vector<uint8_t> &codes, int64_t i, unsigned bits,
             uint8_t c) {
  if (bits == 8) {
    codes[i] = c;
    return;
  }
  int64_t bit = i * bits;
  codes[bit / 8] |= static_cast<uint8_t>((c & ((1u << bits) - 1)) << (bit % 8));
}

uint8_t getCode(const std::vector<uint8_t> &codes, int64_t i, unsigned bits) {
  if (bits == 8)
    return codes[i];
  int64_t bit = i * bits;
  return (codes[bit / 8] >> (bit % 8)) & ((1u << bits) - 1);
}

void putHalf(std::vector<uint8_t> &out, int64_t i, uint16_t h) {
  std::memcpy(out.data() + 2 * i, &h, 2);
}
uint16_t getHalf(const std::vector<uint8_t> &in, int64_t i) {
  uint16_t h;
  std::memcpy(&h, in.data() + 2 * i, 2);
  return h;
}

} // namespace

std::optional<Format> txc::quant::parseFormat(llvm::StringRef name) {
  for (const FormatName &f : kFormats)
    if (name == f.name)
      return f.format;
  return std::nullopt;
}

llvm::StringRef txc::quant::formatName(Format format) {
  for (const FormatName &f : kFormats)
    if (f.format == format)
      return f.name;
  return "?";
}

std::string txc::quant::formatNames() {
  std::string text;
  for (const FormatName &f : kFormats)
    text += (text.empty() ? "" : ", ") + std::string(f.name);
  return text;
}

unsigned txc::quant::codeBits(Format format) {
  switch (format) {
  case Format::F32:
    return 32;
  case Format::F16:
  case Format::BF16:
    return 16;
  case Format::Int8:
  case Format::FP8:
    return 8;
  case Format::Int4:
  case Format::NVFP4:
  case Format::MXFP4:
    return 4;
  case Format::Int2:
    return 2;
  }
  return 32;
}

bool txc::quant::isPlanar(Format format) {
  return format != Format::F32 && format != Format::F16 &&
         format != Format::BF16;
}

int64_t txc::quant::effectiveGroup(const Scheme &scheme, int64_t k) {
  if (scheme.format == Format::NVFP4)
    return 16;
  if (scheme.format == Format::MXFP4)
    return 32;
  if (scheme.group <= 0 || scheme.group >= k)
    return k;
  return scheme.group;
}

PlanarLayout txc::quant::planarLayout(Format format) {
  switch (format) {
  case Format::Int8:
    return {"I8", "F16"};
  case Format::Int4:
  case Format::Int2:
    return {"U8", "F16"};
  case Format::FP8:
    return {"F8_E4M3", "F32"};
  case Format::NVFP4:
    return {"U8", "F8_E4M3"};
  case Format::MXFP4:
    return {"U8", "F8_E8M0"};
  default:
    return {"", ""};
  }
}

//===----------------------------------------------------------------------===//
// Scalar conversions
//===----------------------------------------------------------------------===//

uint16_t txc::quant::floatToHalf(float v) {
  uint32_t b = bitsOf(v);
  uint16_t sign = static_cast<uint16_t>((b >> 16) & 0x8000);
  uint32_t abs = b & 0x7fffffff;
  if (abs >= 0x7f800000) // inf or NaN
    return sign | (abs > 0x7f800000 ? 0x7e00 : 0x7c00);
  if (abs >= 0x477ff000) // rounds to >= 65520: infinity
    return sign | 0x7c00;
  if (abs < 0x38800000) { // below the smallest normal half: subnormal
    // value * 2^24 rounded to an integer (the subnormal's mantissa).
    float scaled = floatOf(abs) * 16777216.0f;
    return sign | static_cast<uint16_t>(std::nearbyint(scaled));
  }
  // Normal: drop 13 mantissa bits with round to nearest even.
  uint32_t rounded = abs + 0xfff + ((abs >> 13) & 1);
  return sign | static_cast<uint16_t>((rounded - 0x38000000) >> 13);
}

float txc::quant::halfToFloat(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f, man = h & 0x3ff;
  if (exp == 0x1f)
    return floatOf(sign | 0x7f800000 | man << 13);
  if (exp != 0)
    return floatOf(sign | (exp + 112) << 23 | man << 13);
  float v = static_cast<float>(man) * 5.9604644775390625e-8f;
  return sign ? -v : v;
}

uint16_t txc::quant::floatToBF16(float v) {
  uint32_t b = bitsOf(v);
  if ((b & 0x7fffffff) > 0x7f800000)
    return static_cast<uint16_t>((b >> 16) | 0x40);
  return static_cast<uint16_t>((b + 0x7fff + ((b >> 16) & 1)) >> 16);
}

float txc::quant::bf16ToFloat(uint16_t h) {
  return floatOf(static_cast<uint32_t>(h) << 16);
}

float txc::quant::e4m3ToFloat(uint8_t code) {
  int sign = code >> 7, exp = (code >> 3) & 15, man = code & 7;
  if (exp == 15 && man == 7)
    return std::numeric_limits<float>::quiet_NaN();
  float v = exp ? std::ldexp(1.0f + man / 8.0f, exp - 7)
                : std::ldexp(man / 8.0f, -6);
  return sign ? -v : v;
}

uint8_t txc::quant::floatToE4M3(float v) {
  if (std::isnan(v))
    return 0x7f;
  uint8_t sign = std::signbit(v) ? 0x80 : 0;
  float a = std::min(std::fabs(v), 448.0f);
  if (a < std::ldexp(1.0f, -6)) {
    // Subnormal: multiples of 2^-9 (8 of them reach the smallest normal).
    int m = static_cast<int>(std::nearbyint(std::ldexp(a, 9)));
    return sign | static_cast<uint8_t>(m); // m == 8 is exponent 1, mantissa 0
  }
  int e;
  std::frexp(a, &e); // a = f * 2^e, f in [0.5, 1)
  int exp = e - 1;   // a in [2^exp, 2^(exp+1))
  float m = std::nearbyint(std::ldexp(a, 3 - exp)) - 8.0f; // 0 .. 8
  if (m >= 8.0f) {
    m = 0.0f;
    ++exp;
  }
  return sign | static_cast<uint8_t>((exp + 7) << 3) |
         static_cast<uint8_t>(m);
}

float txc::quant::e2m1ToFloat(uint8_t code) {
  static constexpr float kValues[8] = {0.0f, 0.5f, 1.0f, 1.5f,
                                       2.0f, 3.0f, 4.0f, 6.0f};
  float v = kValues[code & 7];
  return code & 8 ? -v : v;
}

uint8_t txc::quant::floatToE2M1(float v) {
  static constexpr float kValues[8] = {0.0f, 0.5f, 1.0f, 1.5f,
                                       2.0f, 3.0f, 4.0f, 6.0f};
  uint8_t sign = std::signbit(v) ? 8 : 0;
  float a = std::fabs(v);
  if (!(a == a))
    return 0;
  uint8_t best = 7;
  for (uint8_t c = 0; c < 7; ++c) {
    float mid = 0.5f * (kValues[c] + kValues[c + 1]);
    if (a < mid || (a == mid && c % 2 == 0)) {
      best = c;
      break;
    }
  }
  return sign | best;
}

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

Quantized txc::quant::quantizeRTN(const float *w, int64_t n, int64_t k,
                                  const Scheme &scheme) {
  Format f = scheme.format;
  Quantized q;
  if (f == Format::F16 || f == Format::BF16 || f == Format::F32) {
    unsigned bytes = codeBits(f) / 8;
    q.codes.assign(n * k * bytes, 0);
    for (int64_t i = 0; i < n * k; ++i) {
      if (f == Format::F32)
        std::memcpy(q.codes.data() + 4 * i, &w[i], 4);
      else
        putHalf(q.codes, i,
                f == Format::F16 ? floatToHalf(w[i]) : floatToBF16(w[i]));
    }
    return q;
  }
  unsigned bits = codeBits(f);
  int64_t group = effectiveGroup(scheme, k);
  int64_t groups = (k + group - 1) / group;
  q.group = group;
  q.codes.assign(n * k * bits / 8, 0);
  bool zeros = isInteger(f) && !scheme.symmetric;
  if (zeros)
    q.zeros.assign(n * groups, 0);
  unsigned scaleBytes = f == Format::FP8 ? 4 : f == Format::Int8 ||
                                                    f == Format::Int4 ||
                                                    f == Format::Int2
                                                ? 2
                                                : 1;
  q.scales.assign(n * groups * scaleBytes, 0);

  if (f == Format::NVFP4) {
    float amax = 0.0f;
    for (int64_t i = 0; i < n * k; ++i)
      amax = std::max(amax, std::fabs(w[i]));
    q.tensorScale = amax > 0.0f ? amax / (448.0f * 6.0f) : 1.0f;
  }

  int32_t levels = (1 << bits) - 1, mid = 1 << (bits - 1);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t g = 0; g < groups; ++g) {
      int64_t i0 = r * k + g * group, len = std::min(group, k - g * group);
      const float *x = w + i0;
      int64_t si = r * groups + g;
      if (isInteger(f)) {
        float s;
        int32_t z = mid;
        if (scheme.symmetric) {
          float v = 0.0f;
          for (int64_t i = 0; i < len; ++i)
            if (std::fabs(x[i]) > std::fabs(v))
              v = x[i];
          uint16_t h = floatToHalf(v / static_cast<float>(-mid));
          putHalf(q.scales, si, h);
          s = halfToFloat(h);
        } else {
          float lo = 0.0f, hi = 0.0f;
          for (int64_t i = 0; i < len; ++i) {
            lo = std::min(lo, x[i]);
            hi = std::max(hi, x[i]);
          }
          uint16_t h = floatToHalf((hi - lo) / static_cast<float>(levels));
          putHalf(q.scales, si, h);
          s = halfToFloat(h);
          z = s != 0.0f ? static_cast<int32_t>(std::clamp(
                              std::nearbyint(-lo / s), 0.0f,
                              static_cast<float>(levels)))
                        : 0;
          q.zeros[si] = static_cast<uint8_t>(z);
        }
        for (int64_t i = 0; i < len; ++i) {
          float c = s != 0.0f && std::isfinite(s)
                        ? std::clamp(std::nearbyint(x[i] / s) +
                                         static_cast<float>(z),
                                     0.0f, static_cast<float>(levels))
                        : static_cast<float>(z);
          putCode(q.codes, i0 + i, bits, static_cast<uint8_t>(c));
        }
        continue;
      }
      float amax = 0.0f;
      for (int64_t i = 0; i < len; ++i)
        amax = std::max(amax, std::fabs(x[i]));
      float s;
      if (f == Format::FP8) {
        s = amax / 448.0f;
        std::memcpy(q.scales.data() + 4 * si, &s, 4);
      } else if (f == Format::NVFP4) {
        uint8_t e = floatToE4M3(amax / 6.0f / q.tensorScale);
        q.scales[si] = e;
        s = e4m3ToFloat(e) * q.tensorScale;
      } else { // MXFP4
        int exp = -127;
        if (amax > 0.0f) {
          int e;
          std::frexp(amax, &e);
          exp = std::clamp(e - 1 - 2, -127, 127);
        }
        q.scales[si] = static_cast<uint8_t>(exp + 127);
        s = std::ldexp(1.0f, exp);
      }
      for (int64_t i = 0; i < len; ++i) {
        float v = s != 0.0f ? x[i] / s : 0.0f;
        uint8_t c = f == Format::FP8 ? floatToE4M3(v) : floatToE2M1(v);
        putCode(q.codes, i0 + i, bits, c);
      }
    }
  return q;
}

std::vector<float> txc::quant::dequantize(const Quantized &q, Format f,
                                          int64_t n, int64_t k) {
  std::vector<float> out(n * k);
  if (f == Format::F32) {
    std::memcpy(out.data(), q.codes.data(), 4 * n * k);
    return out;
  }
  if (f == Format::F16 || f == Format::BF16) {
    for (int64_t i = 0; i < n * k; ++i)
      out[i] = f == Format::F16 ? halfToFloat(getHalf(q.codes, i))
                                : bf16ToFloat(getHalf(q.codes, i));
    return out;
  }
  unsigned bits = codeBits(f);
  int64_t group = q.group, groups = (k + group - 1) / group;
  int32_t mid = 1 << (bits - 1);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t i = 0; i < k; ++i) {
      int64_t si = r * groups + i / group;
      uint8_t c = getCode(q.codes, r * k + i, bits);
      float v;
      if (isInteger(f)) {
        int32_t z = q.zeros.empty() ? mid : q.zeros[si];
        v = static_cast<float>(static_cast<int32_t>(c) - z) *
            halfToFloat(getHalf(q.scales, si));
      } else if (f == Format::FP8) {
        float s;
        std::memcpy(&s, q.scales.data() + 4 * si, 4);
        v = e4m3ToFloat(c) * s;
      } else if (f == Format::NVFP4) {
        v = e2m1ToFloat(c) * e4m3ToFloat(q.scales[si]) * q.tensorScale;
      } else {
        v = e2m1ToFloat(c) * std::ldexp(1.0f, q.scales[si] - 127);
      }
      out[r * k + i] = v;
    }
  return out;
}

Quantized txc::quant::quantizeAWQ(const float *w, int64_t n, int64_t k,
                                  const Scheme &scheme,
                                  llvm::ArrayRef<float> absMean,
                                  llvm::ArrayRef<float> sqMean,
                                  std::vector<float> &inverseScale,
                                  AWQReport *report) {
  std::vector<float> scaled(n * k), s(k);
  auto candidate = [&](double alpha, Quantized &q) {
    float hi = 0.0f, lo = std::numeric_limits<float>::max();
    for (int64_t j = 0; j < k; ++j) {
      float m = std::max(absMean[j], 1e-8f);
      s[j] = alpha == 0.0 ? 1.0f
                          : static_cast<float>(std::pow(m, alpha));
      hi = std::max(hi, s[j]);
      lo = std::min(lo, s[j]);
    }
    float norm = std::sqrt(hi * lo);
    for (int64_t j = 0; j < k; ++j)
      s[j] = alpha == 0.0 ? 1.0f : s[j] / norm;
    for (int64_t r = 0; r < n; ++r)
      for (int64_t j = 0; j < k; ++j)
        scaled[r * k + j] = w[r * k + j] * s[j];
    q = quantizeRTN(scaled.data(), n, k, scheme);
    std::vector<float> back = dequantize(q, scheme.format, n, k);
    double error = 0;
    for (int64_t r = 0; r < n; ++r)
      for (int64_t j = 0; j < k; ++j) {
        double d = back[r * k + j] / s[j] - w[r * k + j];
        error += static_cast<double>(sqMean[j]) * d * d;
      }
    return error;
  };
  Quantized best;
  double bestError = candidate(0.0, best), bestAlpha = 0.0;
  std::vector<float> bestScale(s);
  if (report)
    report->rtnError = bestError;
  for (int step = 1; step <= 20; ++step) {
    Quantized q;
    double alpha = step * 0.05, error = candidate(alpha, q);
    if (error < bestError) {
      bestError = error;
      bestAlpha = alpha;
      best = std::move(q);
      bestScale = s;
    }
  }
  inverseScale.resize(k);
  for (int64_t j = 0; j < k; ++j)
    inverseScale[j] = 1.0f / bestScale[j];
  if (report) {
    report->alpha = bestAlpha;
    report->error = bestError;
  }
  return best;
}
