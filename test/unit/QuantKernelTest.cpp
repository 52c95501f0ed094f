//===- QuantKernelTest.cpp - tests of the quantized-weight kernels --------===//
//
// txc_qmatmul on random weights of every supported ggml format, for every
// instruction set the CPU has, against "dequantize W with
// txc_qdequantize_row, multiply in double"; the ISAs against the scalar
// path; one thread against two; txc_qembed; and one hand-made block per
// format dequantized to values worked out by hand.
//
//===----------------------------------------------------------------------===//

#include "Parallel.h"
#include "Quant.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using namespace txc::kernels;

namespace {

constexpr int32_t kF32 = 0, kF16 = 1, kQ4_0 = 2, kQ4_1 = 3, kQ5_0 = 6,
                  kQ5_1 = 7, kQ8_0 = 8, kQ4_K = 12, kQ5_K = 13, kQ6_K = 14,
                  kBF16 = 30;
const int32_t kTypes[] = {kF32,  kF16,  kBF16, kQ4_0, kQ4_1, kQ5_0,
                          kQ5_1, kQ8_0, kQ4_K, kQ5_K, kQ6_K};

bool isFloat(int32_t t) { return t == kF32 || t == kF16 || t == kBF16; }

void putU16(uint8_t *p, uint16_t v) { std::memcpy(p, &v, 2); }

/// A finite half: |v| in [2^-6, 2^-1), random sign when `sign`.
uint16_t randomHalf(std::mt19937 &rng, bool sign) {
  uint16_t exp = static_cast<uint16_t>(9 + rng() % 5);
  uint16_t h = static_cast<uint16_t>(exp << 10 | (rng() & 0x3ff));
  if (sign && (rng() & 1))
    h |= 0x8000;
  return h;
}

/// Random rows of `type`: random code bytes, finite scales.
std::vector<uint8_t> randomWeights(int32_t type, int64_t n, int64_t k,
                                   std::mt19937 &rng) {
  int64_t rowBytes = txc_qrow_bytes(type, k);
  std::vector<uint8_t> w(n * rowBytes);
  for (auto &b : w)
    b = static_cast<uint8_t>(rng());
  std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
  if (type == kF32) {
    for (int64_t i = 0; i < n * k; ++i) {
      float v = uni(rng);
      std::memcpy(w.data() + 4 * i, &v, 4);
    }
    return w;
  }
  if (type == kF16) {
    for (int64_t i = 0; i < n * k; ++i)
      putU16(w.data() + 2 * i, randomHalf(rng, true));
    return w;
  }
  if (type == kBF16) {
    for (int64_t i = 0; i < n * k; ++i) {
      float v = uni(rng);
      uint32_t bits;
      std::memcpy(&bits, &v, 4);
      putU16(w.data() + 2 * i, static_cast<uint16_t>(bits >> 16));
    }
    return w;
  }
  int64_t blockBytes = rowBytes / (k / txc_qblock_values(type));
  for (uint8_t *b = w.data(); b < w.data() + w.size(); b += blockBytes) {
    switch (type) {
    case kQ4_0:
    case kQ5_0:
    case kQ8_0:
      putU16(b, randomHalf(rng, true));
      break;
    case kQ4_1:
    case kQ5_1:
    case kQ4_K:
    case kQ5_K:
      putU16(b, randomHalf(rng, true));
      putU16(b + 2, randomHalf(rng, true));
      break;
    case kQ6_K:
      putU16(b + 208, randomHalf(rng, true));
      break;
    }
  }
  return w;
}

std::vector<float> randomActivations(int64_t m, int64_t k, std::mt19937 &rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(m * k);
  for (auto &v : x)
    v = normal(rng);
  // A block of zeros (scale 0) in the last row.
  if (k >= 64)
    std::fill(x.end() - 32, x.end(), 0.0f);
  return x;
}

std::vector<float> dequantize(int32_t type, const std::vector<uint8_t> &w,
                              int64_t n, int64_t k) {
  std::vector<float> out(n * k);
  int64_t rowBytes = txc_qrow_bytes(type, k);
  for (int64_t j = 0; j < n; ++j)
    txc_qdequantize_row(type, w.data() + j * rowBytes, out.data() + j * k, k);
  return out;
}

std::vector<float> qmatmul(int32_t type, const std::vector<float> &x,
                           const std::vector<uint8_t> &w, int64_t m, int64_t n,
                           int64_t k) {
  std::vector<float> y(m * n, -12345.0f);
  txc_qmatmul(type, reinterpret_cast<intptr_t>(x.data()),
              reinterpret_cast<intptr_t>(w.data()),
              reinterpret_cast<intptr_t>(y.data()), m, n, k);
  return y;
}

/// The reference product and two error scales per output: `round`, a
/// bound on the effect of rounding the activations to int8 (per 32-block
/// of x, |x - d q| <= d / 2 with d = max|x| / 127, times sum|w| there; 0
/// for the float formats), and `mag`, sum over 32-blocks of sum|x| *
/// max|w|, which bounds every f32 term the kernels add up.
struct Reference {
  std::vector<double> y, round, mag;
};

Reference reference(int32_t type, const std::vector<float> &x,
                    const std::vector<float> &wd, int64_t m, int64_t n,
                    int64_t k) {
  Reference ref;
  ref.y.assign(m * n, 0.0);
  ref.round.assign(m * n, 0.0);
  ref.mag.assign(m * n, 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double acc = 0, round = 0, mag = 0;
      for (int64_t b = 0; b < k; b += 32) {
        double amax = 0, sumX = 0, sumW = 0, maxW = 0;
        for (int64_t q = b; q < std::min(k, b + 32); ++q) {
          double xv = x[i * k + q], wv = wd[j * k + q];
          acc += xv * wv;
          amax = std::max(amax, std::fabs(xv));
          sumX += std::fabs(xv);
          sumW += std::fabs(wv);
          maxW = std::max(maxW, std::fabs(wv));
        }
        round += amax / 127.0 / 2.0 * sumW;
        mag += sumX * maxW;
      }
      ref.y[i * n + j] = acc;
      ref.round[i * n + j] = isFloat(type) ? 0.0 : round;
      ref.mag[i * n + j] = mag;
    }
  return ref;
}

std::string typeName(int32_t t) {
  switch (t) {
  case kF32:
    return "F32";
  case kF16:
    return "F16";
  case kBF16:
    return "BF16";
  case kQ4_0:
    return "Q4_0";
  case kQ4_1:
    return "Q4_1";
  case kQ5_0:
    return "Q5_0";
  case kQ5_1:
    return "Q5_1";
  case kQ8_0:
    return "Q8_0";
  case kQ4_K:
    return "Q4_K";
  case kQ5_K:
    return "Q5_K";
  default:
    return "Q6_K";
  }
}

/// Sets the ISA; false when the CPU lacks it (the kernels fell back).
bool useIsa(QuantIsa isa) {
  setQuantIsa(isa);
  std::string name = quantIsaName();
  switch (isa) {
  case QuantIsa::Avx512:
    return name.rfind("avx512", 0) == 0;
  case QuantIsa::Avx2:
    return name == "avx2";
  default:
    return true;
  }
}

/// Restores the automatic ISA and the thread count after each test.
class QuantKernel : public ::testing::Test {
protected:
  void SetUp() override { threads = numThreads(); }
  void TearDown() override {
    setQuantIsa(QuantIsa::Auto);
    setNumThreads(threads);
  }
  int threads = 1;
};

class QuantMatmul
    : public QuantKernel,
      public ::testing::WithParamInterface<std::tuple<int32_t, QuantIsa>> {};

TEST_P(QuantMatmul, MatchesDequantizedReferenceAndScalar) {
  auto [type, isa] = GetParam();
  if (!useIsa(isa))
    GTEST_SKIP() << "CPU lacks this instruction set";
  std::mt19937 rng(1234 + type);
  const int64_t ms[] = {1, 2, 3, 4, 5, 7, 16, 33, 64};
  const int64_t ns[] = {1, 3, 17, 64, 96};
  const int64_t ks[] = {32, 96, 256, 512, 576};
  int64_t block = txc_qblock_values(type);
  for (int64_t k : ks) {
    if (k % block != 0)
      continue;
    for (int64_t n : ns) {
      std::vector<uint8_t> w = randomWeights(type, n, k, rng);
      std::vector<float> wd = dequantize(type, w, n, k);
      for (int64_t m : ms) {
        SCOPED_TRACE("m=" + std::to_string(m) + " n=" + std::to_string(n) +
                     " k=" + std::to_string(k));
        std::vector<float> x = randomActivations(m, k, rng);
        Reference ref = reference(type, x, wd, m, n, k);
        ASSERT_TRUE(useIsa(isa));
        std::vector<float> y = qmatmul(type, x, w, m, n, k);
        setQuantIsa(QuantIsa::Scalar);
        std::vector<float> ys = qmatmul(type, x, w, m, n, k);
        for (int64_t i = 0; i < m * n; ++i) {
          // (a) Activation rounding plus f32 accumulation (a few dozen
          // roundings of terms bounded by `mag`).
          double tol = 1.01 * ref.round[i] + 2e-5 * ref.mag[i] + 1e-30;
          ASSERT_NEAR(y[i], ref.y[i], tol) << "element " << i;
          // (b) The same integers on every ISA: only the f32 order differs.
          ASSERT_NEAR(y[i], ys[i], 1e-5 * ref.mag[i] + 1e-30)
              << "element " << i;
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllFormats, QuantMatmul,
    ::testing::Combine(::testing::ValuesIn(kTypes),
                       ::testing::Values(QuantIsa::Scalar, QuantIsa::Avx2,
                                         QuantIsa::Avx512)),
    [](const auto &info) {
      QuantIsa isa = std::get<1>(info.param);
      return typeName(std::get<0>(info.param)) +
             (isa == QuantIsa::Scalar ? "_scalar"
              : isa == QuantIsa::Avx2 ? "_avx2"
                                      : "_avx512");
    });

class QuantThreads : public QuantKernel,
                     public ::testing::WithParamInterface<int32_t> {};

// (c) The split of the weight rows (decode) and of the row tiles
// (prefill with few weight rows) does not change any bit.
TEST_P(QuantThreads, OneAndTwoThreadsAgreeBitwise) {
  int32_t type = GetParam();
  std::mt19937 rng(99 + type);
  struct Shape {
    int64_t m, n, k;
  };
  const Shape shapes[] = {{1, 300, 256},
                          {3, 1000, 512},
                          {64, 17, 512},
                          {33, 96, 256},
                          {64, 200, 256}};
  for (const Shape &s : shapes) {
    SCOPED_TRACE("m=" + std::to_string(s.m) + " n=" + std::to_string(s.n) +
                 " k=" + std::to_string(s.k));
    std::vector<uint8_t> w = randomWeights(type, s.n, s.k, rng);
    std::vector<float> x = randomActivations(s.m, s.k, rng);
    setNumThreads(1);
    std::vector<float> y1 = qmatmul(type, x, w, s.m, s.n, s.k);
    setNumThreads(2);
    std::vector<float> y2 = qmatmul(type, x, w, s.m, s.n, s.k);
    ASSERT_EQ(0, std::memcmp(y1.data(), y2.data(), y1.size() * sizeof(float)));
  }
}

INSTANTIATE_TEST_SUITE_P(AllFormats, QuantThreads, ::testing::ValuesIn(kTypes),
                         [](const auto &info) { return typeName(info.param); });

// (d) Rows gathered and dequantized; ids out of range give zeros.
TEST_F(QuantKernel, EmbedGathersDequantizedRows) {
  std::mt19937 rng(7);
  for (int32_t type : kTypes) {
    SCOPED_TRACE(typeName(type));
    const int64_t rows = 5, k = 512;
    std::vector<uint8_t> table = randomWeights(type, rows, k, rng);
    std::vector<float> wd = dequantize(type, table, rows, k);
    const int64_t ids[] = {3, 0, -1, 5, 4, 3, 1000};
    const int64_t count = 7;
    std::vector<float> out(count * k, 42.0f);
    txc_qembed(type, reinterpret_cast<intptr_t>(table.data()), rows, k,
               reinterpret_cast<intptr_t>(ids), count,
               reinterpret_cast<intptr_t>(out.data()));
    for (int64_t i = 0; i < count; ++i)
      for (int64_t q = 0; q < k; ++q) {
        float want = ids[i] >= 0 && ids[i] < rows ? wd[ids[i] * k + q] : 0.0f;
        ASSERT_EQ(out[i * k + q], want) << "id index " << i << " value " << q;
      }
  }
}

TEST_F(QuantKernel, Layouts) {
  EXPECT_EQ(txc_qrow_bytes(kQ4_0, 64), 36);
  EXPECT_EQ(txc_qrow_bytes(kQ4_1, 32), 20);
  EXPECT_EQ(txc_qrow_bytes(kQ5_0, 32), 22);
  EXPECT_EQ(txc_qrow_bytes(kQ5_1, 32), 24);
  EXPECT_EQ(txc_qrow_bytes(kQ8_0, 576), 18 * 34);
  EXPECT_EQ(txc_qrow_bytes(kQ4_K, 512), 288);
  EXPECT_EQ(txc_qrow_bytes(kQ5_K, 256), 176);
  EXPECT_EQ(txc_qrow_bytes(kQ6_K, 256), 210);
  EXPECT_EQ(txc_qrow_bytes(kBF16, 3), 6);
  EXPECT_EQ(txc_qrow_bytes(kQ4_K, 32), -1);
  EXPECT_EQ(txc_qtype_supported(10), 0);
  EXPECT_EQ(txc_qtype_supported(kQ6_K), 1);
  EXPECT_EQ(txc_qblock_values(kQ6_K), 256);
  EXPECT_EQ(txc_qblock_values(kF16), 1);
}

// (e) One hand-made block per format.
std::vector<float> dequantizeBlock(int32_t type, const std::vector<uint8_t> &b,
                                   int64_t k) {
  std::vector<float> y(k);
  txc_qdequantize_row(type, b.data(), y.data(), k);
  return y;
}

TEST_F(QuantKernel, HandMadeBlocks) {
  const uint16_t kOne = 0x3c00, kHalf = 0x3800, kQuarter = 0x3400,
                 kMinusOne = 0xbc00, kTwo = 0x4000;
  { // Q4_0: w = d (q - 8); byte 0 holds values 0 (low) and 16 (high).
    std::vector<uint8_t> b(18, 0x88);
    putU16(b.data(), kHalf);
    b[2] = 0x3a;
    auto y = dequantizeBlock(kQ4_0, b, 32);
    EXPECT_EQ(y[0], 1.0f);
    EXPECT_EQ(y[16], -2.5f);
    EXPECT_EQ(y[1], 0.0f);
  }
  { // Q4_1: w = d q + m.
    std::vector<uint8_t> b(20, 0);
    putU16(b.data(), kHalf);
    putU16(b.data() + 2, kMinusOne);
    b[4 + 1] = 0xf0;
    auto y = dequantizeBlock(kQ4_1, b, 32);
    EXPECT_EQ(y[1], -1.0f);
    EXPECT_EQ(y[17], 6.5f);
  }
  { // Q5_0: bit i of qh is the fifth bit of value i; w = d (q - 16).
    std::vector<uint8_t> b(22, 0);
    putU16(b.data(), kOne);
    uint32_t qh = 1u | 1u << 17;
    std::memcpy(b.data() + 2, &qh, 4);
    b[6] = 0x21;
    b[7] = 0x43;
    auto y = dequantizeBlock(kQ5_0, b, 32);
    EXPECT_EQ(y[0], 1.0f);
    EXPECT_EQ(y[16], -14.0f);
    EXPECT_EQ(y[1], -13.0f);
    EXPECT_EQ(y[17], 4.0f);
  }
  { // Q5_1: w = d q + m.
    std::vector<uint8_t> b(24, 0);
    putU16(b.data(), kHalf);
    putU16(b.data() + 2, kTwo);
    uint32_t qh = 1u << 31;
    std::memcpy(b.data() + 4, &qh, 4);
    b[8 + 15] = 0xf7;
    auto y = dequantizeBlock(kQ5_1, b, 32);
    EXPECT_EQ(y[15], 5.5f);
    EXPECT_EQ(y[31], 17.5f);
    EXPECT_EQ(y[0], 2.0f);
  }
  { // Q8_0: w = d q.
    std::vector<uint8_t> b(34, 0);
    putU16(b.data(), kQuarter);
    b[2] = 0x80;
    b[33] = 127;
    auto y = dequantizeBlock(kQ8_0, b, 32);
    EXPECT_EQ(y[0], -32.0f);
    EXPECT_EQ(y[31], 31.75f);
  }
  // Q4_K / Q5_K scales: sub-block 1 has scale s[1] & 63 = 3 and min
  // s[5] & 63 = 4; sub-block 6 has scale (s[10] & 15) | (s[2] >> 6) << 4 =
  // 17 and min (s[10] >> 4) | (s[6] >> 6) << 4 = 34.
  auto kScales = [](uint8_t *s) {
    s[1] = 3;
    s[5] = 4;
    s[10] = 0x21;
    s[2] = 0x40;
    s[6] = 0x80;
  };
  { // Q4_K: w = d sc q - dmin m; sub-block 1 is the high nibbles of qs[0..32).
    std::vector<uint8_t> b(144, 0);
    putU16(b.data(), kOne);
    putU16(b.data() + 2, kHalf);
    kScales(b.data() + 4);
    b[16 + 0] = 0x50;  // value 32: q = 5 -> 3 * 5 - 0.5 * 4
    b[16 + 96] = 0x02; // value 192 (sub-block 6): q = 2 -> 17 * 2 - 0.5 * 34
    auto y = dequantizeBlock(kQ4_K, b, 256);
    EXPECT_EQ(y[32], 13.0f);
    EXPECT_EQ(y[192], 17.0f);
    EXPECT_EQ(y[0], 0.0f); // sub-block 0: scale 0, min 0
  }
  { // Q5_K: as Q4_K, bit j of qh[i] adds 16 to value i of sub-block j.
    std::vector<uint8_t> b(176, 0);
    putU16(b.data(), kOne);
    putU16(b.data() + 2, kHalf);
    kScales(b.data() + 4);
    b[16 + 0] = 0x02;  // qh[0]: bit 1
    b[48 + 0] = 0x50;  // value 32: q = 5 + 16 -> 3 * 21 - 2
    b[48 + 96] = 0x02; // value 192: q = 2 -> 17
    auto y = dequantizeBlock(kQ5_K, b, 256);
    EXPECT_EQ(y[32], 61.0f);
    EXPECT_EQ(y[192], 17.0f);
  }
  { // Q6_K: w = d sc (q - 32), q = low nibble | two bits of qh << 4.
    std::vector<uint8_t> b(210, 0);
    putU16(b.data() + 208, kHalf);
    b[96] = 0x0a;  // value 160: ql[64 + 32] low nibble
    b[160] = 0x08; // qh[32 + 0] bits 2-3 = 2 -> q = 42
    b[192 + 10] = static_cast<uint8_t>(-3);
    b[192 + 11] = 2;
    auto y = dequantizeBlock(kQ6_K, b, 256);
    EXPECT_EQ(y[160], -15.0f); // 0.5 * -3 * (42 - 32)
    EXPECT_EQ(y[176], -32.0f); // 0.5 * 2 * (0 - 32)
    EXPECT_EQ(y[0], 0.0f);     // scale 0
  }
  { // F16 and BF16.
    std::vector<uint8_t> h(4), bf(4);
    putU16(h.data(), kOne);
    putU16(h.data() + 2, 0x0001); // smallest subnormal 2^-24
    putU16(bf.data(), 0x3f80);
    putU16(bf.data() + 2, 0xc000);
    auto yh = dequantizeBlock(kF16, h, 2);
    auto yb = dequantizeBlock(kBF16, bf, 2);
    EXPECT_EQ(yh[0], 1.0f);
    EXPECT_EQ(yh[1], std::ldexp(1.0f, -24));
    EXPECT_EQ(yb[0], 1.0f);
    EXPECT_EQ(yb[1], -2.0f);
  }
}

// Bad shapes and types never read out of bounds: Y becomes NaN.
TEST_F(QuantKernel, UnsupportedTypeGivesNaN) {
  std::vector<float> x(32, 1.0f), y(2, 0.0f);
  std::vector<uint8_t> w(64, 0);
  txc_qmatmul(10, reinterpret_cast<intptr_t>(x.data()),
              reinterpret_cast<intptr_t>(w.data()),
              reinterpret_cast<intptr_t>(y.data()), 1, 2, 32);
  EXPECT_TRUE(std::isnan(y[0]) && std::isnan(y[1]));
  txc_qmatmul(kQ4_K, reinterpret_cast<intptr_t>(x.data()),
              reinterpret_cast<intptr_t>(w.data()),
              reinterpret_cast<intptr_t>(y.data()), 1, 2, 32);
  EXPECT_TRUE(std::isnan(y[0]) && std::isnan(y[1]));
}

} // namespace
