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

/// `rounded`: the kernel rounds the activations to int8.
Reference reference(bool rounded, const std::vector<float> &x,
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
      ref.round[i * n + j] = rounded ? round : 0.0;
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
  const int64_t ms[] = {1, 2, 3, 4, 5, 7, 16, 33};
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
        Reference ref = reference(!isFloat(type), x, wd, m, n, k);
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

//===----------------------------------------------------------------------===//
// Planar formats
//===----------------------------------------------------------------------===//

/// A code kind, a scale kind and whether the weight has zero points.
struct PlanarKind {
  int32_t code, scale;
  bool zeros;
};

const PlanarKind kPlanarKinds[] = {
    {TXC_QCODE_INT8, TXC_QSCALE_F32, false},
    {TXC_QCODE_INT8, TXC_QSCALE_F16, true},
    {TXC_QCODE_INT8, TXC_QSCALE_BF16, false},
    {TXC_QCODE_INT8, TXC_QSCALE_BF16, true},
    {TXC_QCODE_INT4, TXC_QSCALE_F32, true},
    {TXC_QCODE_INT4, TXC_QSCALE_F16, false},
    {TXC_QCODE_INT4, TXC_QSCALE_F16, true},
    {TXC_QCODE_INT4, TXC_QSCALE_BF16, false},
    {TXC_QCODE_INT2, TXC_QSCALE_F32, false},
    {TXC_QCODE_INT2, TXC_QSCALE_F16, true},
    {TXC_QCODE_INT2, TXC_QSCALE_BF16, true},
    {TXC_QCODE_FP8_E4M3, TXC_QSCALE_F32, false},
    {TXC_QCODE_FP8_E4M3, TXC_QSCALE_F16, false},
    {TXC_QCODE_FP8_E4M3, TXC_QSCALE_F8_E8M0, false},
    {TXC_QCODE_FP4_E2M1, TXC_QSCALE_F8_E4M3, false},
    {TXC_QCODE_FP4_E2M1, TXC_QSCALE_F8_E8M0, false},
    {TXC_QCODE_FP4_E2M1, TXC_QSCALE_F16, false},
};

int planarBits(int32_t code) {
  return code == TXC_QCODE_INT8 || code == TXC_QCODE_FP8_E4M3 ? 8
         : code == TXC_QCODE_INT2                             ? 2
                                                              : 4;
}

int scaleBytes(int32_t scale) {
  return scale == TXC_QSCALE_F32                               ? 4
         : scale == TXC_QSCALE_F16 || scale == TXC_QSCALE_BF16 ? 2
                                                               : 1;
}

std::string planarName(const PlanarKind &kind) {
  static const char *codes[] = {"INT8", "INT4", "INT2", "FP8", "FP4"};
  static const char *scales[] = {"F32", "F16", "BF16", "E4M3", "E8M0"};
  return std::string(codes[kind.code]) + "_" + scales[kind.scale] +
         (kind.zeros ? "_zeros" : "");
}

/// A random planar weight [n, k] with `group` (codes, scales, zeros).
struct PlanarWeight {
  PlanarKind kind;
  int64_t n, k, group;
  float tensorScale = 0.75f;
  std::vector<uint8_t> codes, scales, zeros;

  PlanarWeight(const PlanarKind &kind, int64_t n, int64_t k, int64_t group,
               std::mt19937 &rng)
      : kind(kind), n(n), k(k), group(group) {
    int64_t groups = (k + group - 1) / group;
    codes.resize((n * k * planarBits(kind.code) + 7) / 8);
    for (auto &b : codes) {
      b = static_cast<uint8_t>(rng());
      // fp8 weights never hold the NaN codes.
      if (kind.code == TXC_QCODE_FP8_E4M3 && (b & 0x7f) == 0x7f)
        b ^= 1;
    }
    scales.resize(n * groups * scaleBytes(kind.scale));
    std::uniform_real_distribution<float> uni(0.01f, 0.1f);
    for (int64_t g = 0; g < n * groups; ++g) {
      uint8_t *p = scales.data() + g * scaleBytes(kind.scale);
      float v = (rng() & 1) ? uni(rng) : -uni(rng);
      uint32_t bits;
      std::memcpy(&bits, &v, 4);
      switch (kind.scale) {
      case TXC_QSCALE_F32:
        std::memcpy(p, &v, 4);
        break;
      case TXC_QSCALE_F16:
        putU16(p, randomHalf(rng, true));
        break;
      case TXC_QSCALE_BF16:
        putU16(p, static_cast<uint16_t>(bits >> 16));
        break;
      case TXC_QSCALE_F8_E4M3: // exponent field 1..5: [2^-6, 2^-1)
        *p = static_cast<uint8_t>((1 + rng() % 5) << 3 | (rng() & 7));
        break;
      default: // 2^-10 .. 2^0
        *p = static_cast<uint8_t>(117 + rng() % 11);
        break;
      }
    }
    if (kind.zeros) {
      zeros.resize(n * groups);
      for (auto &z : zeros)
        z = static_cast<uint8_t>(rng() & ((1u << planarBits(kind.code)) - 1));
    }
  }

  const uint8_t *zeroData() const {
    return kind.zeros ? zeros.data() : nullptr;
  }

  std::vector<float> dequantize() const {
    std::vector<float> out(n * k);
    for (int64_t j = 0; j < n; ++j)
      txc_qplanar_dequantize_row(kind.code, kind.scale, codes.data(),
                                 scales.data(), zeroData(), tensorScale, j, k,
                                 group, out.data() + j * k);
    return out;
  }

  std::vector<float> matmul(const std::vector<float> &x, int64_t m) const {
    std::vector<float> y(m * n, -12345.0f);
    txc_qmatmul_planar(kind.code, kind.scale,
                       reinterpret_cast<intptr_t>(x.data()),
                       reinterpret_cast<intptr_t>(codes.data()),
                       reinterpret_cast<intptr_t>(scales.data()),
                       reinterpret_cast<intptr_t>(zeroData()), tensorScale,
                       reinterpret_cast<intptr_t>(y.data()), m, n, k, group);
    return y;
  }

  /// Whether the kernel rounds the activations to int8 (the fast path of
  /// the integer and fp4 codes).
  bool rounded() const {
    bool fast = k * planarBits(kind.code) % 8 == 0 &&
                (group >= k || group % 32 == 0 || group == 16);
    return fast && kind.code != TXC_QCODE_FP8_E4M3;
  }
};

/// Activations for the planar tests: normal, with a block of zeros.
std::vector<float> planarActivations(int64_t m, int64_t k, std::mt19937 &rng) {
  std::vector<float> x = randomActivations(m, k, rng);
  if (k >= 40)
    std::fill(x.begin() + 8, x.begin() + 40, 0.0f);
  return x;
}

class QuantPlanar
    : public QuantKernel,
      public ::testing::WithParamInterface<std::tuple<PlanarKind, QuantIsa>> {};

// (a) Against "dequantize with txc_qplanar_dequantize_row, multiply in
// double", and (b) against the scalar path.
TEST_P(QuantPlanar, MatchesDequantizedReferenceAndScalar) {
  auto [kind, isa] = GetParam();
  if (!useIsa(isa))
    GTEST_SKIP() << "CPU lacks this instruction set";
  ASSERT_EQ(txc_qplanar_supported(kind.code, kind.scale), 1);
  std::mt19937 rng(4321 + kind.code * 16 + kind.scale);
  struct Shape {
    int64_t k, group;
  };
  const Shape shapes[] = {
      {32, 32},   {96, 32},   {48, 32},   // K not a multiple of the group
      {576, 128}, {256, 64},  {64, 16},   // groups of 16: two per unit
      {48, 16},   {40, 40},   {40, 1000}, // K % 32 != 0, group >= K
      {7, 7},     {256, 256},             // per channel
      {192, 96},                          // 3 units per group
      {72, 24},   {37, 37},   {50, 5},    // generic groups; odd K
  };
  const int64_t ms[] = {1, 3, 5, 17};
  const int64_t ns[] = {1, 19};
  for (const Shape &shape : shapes)
    for (int64_t n : ns) {
      PlanarWeight w(kind, n, shape.k, shape.group, rng);
      std::vector<float> wd = w.dequantize();
      for (int64_t m : ms) {
        SCOPED_TRACE("m=" + std::to_string(m) + " n=" + std::to_string(n) +
                     " k=" + std::to_string(shape.k) +
                     " group=" + std::to_string(shape.group));
        std::vector<float> x = planarActivations(m, shape.k, rng);
        Reference ref = reference(w.rounded(), x, wd, m, n, shape.k);
        ASSERT_TRUE(useIsa(isa));
        std::vector<float> y = w.matmul(x, m);
        setQuantIsa(QuantIsa::Scalar);
        std::vector<float> ys = w.matmul(x, m);
        for (int64_t i = 0; i < m * n; ++i) {
          double tol = 1.01 * ref.round[i] + 2e-5 * ref.mag[i] + 1e-30;
          ASSERT_NEAR(y[i], ref.y[i], tol) << "element " << i;
          ASSERT_NEAR(y[i], ys[i], 1e-5 * ref.mag[i] + 1e-30)
              << "element " << i;
        }
      }
    }
}

INSTANTIATE_TEST_SUITE_P(
    AllKinds, QuantPlanar,
    ::testing::Combine(::testing::ValuesIn(kPlanarKinds),
                       ::testing::Values(QuantIsa::Scalar, QuantIsa::Avx2,
                                         QuantIsa::Avx512)),
    [](const auto &info) {
      QuantIsa isa = std::get<1>(info.param);
      return planarName(std::get<0>(info.param)) +
             (isa == QuantIsa::Scalar ? "_scalar"
              : isa == QuantIsa::Avx2 ? "_avx2"
                                      : "_avx512");
    });

class QuantPlanarThreads : public QuantKernel,
                           public ::testing::WithParamInterface<PlanarKind> {};

// (c) One thread against two: the same bits.
TEST_P(QuantPlanarThreads, OneAndTwoThreadsAgreeBitwise) {
  PlanarKind kind = GetParam();
  std::mt19937 rng(77 + kind.code * 16 + kind.scale);
  struct Shape {
    int64_t m, n, k, group;
  };
  const Shape shapes[] = {{1, 300, 576, 128},
                          {3, 1000, 256, 32},
                          {64, 17, 512, 16},
                          {33, 96, 72, 24},
                          {64, 200, 40, 40}};
  for (const Shape &s : shapes) {
    SCOPED_TRACE("m=" + std::to_string(s.m) + " n=" + std::to_string(s.n) +
                 " k=" + std::to_string(s.k) +
                 " group=" + std::to_string(s.group));
    PlanarWeight w(kind, s.n, s.k, s.group, rng);
    std::vector<float> x = planarActivations(s.m, s.k, rng);
    setNumThreads(1);
    std::vector<float> y1 = w.matmul(x, s.m);
    setNumThreads(2);
    std::vector<float> y2 = w.matmul(x, s.m);
    ASSERT_EQ(0, std::memcmp(y1.data(), y2.data(), y1.size() * sizeof(float)));
  }
}

INSTANTIATE_TEST_SUITE_P(AllKinds, QuantPlanarThreads,
                         ::testing::ValuesIn(kPlanarKinds),
                         [](const auto &info) {
                           return planarName(info.param);
                         });

class QuantPlanarGroup : public QuantKernel,
                         public ::testing::WithParamInterface<PlanarKind> {};

// (e) txc_qmatmul_planar_group: each member's result equals its own
// txc_qmatmul_planar call bit for bit (members of different N, each its own
// tensor scale and zero points; decode and prefill shapes; 1 and 2
// threads), unused member slots are not touched.
TEST_P(QuantPlanarGroup, MembersMatchSingleCallsBitwise) {
  PlanarKind kind = GetParam();
  std::mt19937 rng(99 + kind.code * 16 + kind.scale);
  struct Shape {
    int64_t m, k, group;
  };
  const Shape shapes[] = {
      {1, 576, 32}, {1, 256, 128}, {5, 96, 32}, {9, 64, 16}, {2, 72, 24}};
  const int64_t ns[] = {40, 17, 64};
  for (const Shape &s : shapes)
    for (int threads : {1, 2}) {
      SCOPED_TRACE("m=" + std::to_string(s.m) + " k=" + std::to_string(s.k) +
                   " group=" + std::to_string(s.group) +
                   " threads=" + std::to_string(threads));
      setNumThreads(threads);
      std::vector<PlanarWeight> ws;
      for (int i = 0; i < 3; ++i) {
        ws.emplace_back(kind, ns[i], s.k, s.group, rng);
        ws.back().tensorScale = 0.5f + 0.25f * static_cast<float>(i);
      }
      std::vector<float> x = planarActivations(s.m, s.k, rng);
      std::vector<std::vector<float>> ys;
      for (auto &w : ws)
        ys.emplace_back(s.m * w.n, -777.0f);
      auto ptr = [](const void *p) { return reinterpret_cast<intptr_t>(p); };
      txc_qmatmul_planar_group(
          kind.code, kind.scale, s.group, ptr(x.data()), s.m, s.k, 3,
          ptr(ws[0].codes.data()), ptr(ws[0].scales.data()),
          ptr(ws[0].zeroData()), ws[0].tensorScale, ptr(ys[0].data()), ws[0].n,
          ptr(ws[1].codes.data()), ptr(ws[1].scales.data()),
          ptr(ws[1].zeroData()), ws[1].tensorScale, ptr(ys[1].data()), ws[1].n,
          ptr(ws[2].codes.data()), ptr(ws[2].scales.data()),
          ptr(ws[2].zeroData()), ws[2].tensorScale, ptr(ys[2].data()), ws[2].n,
          0, 0, 0, 0.0f, 0, 0);
      for (int i = 0; i < 3; ++i) {
        std::vector<float> want = ws[i].matmul(x, s.m);
        ASSERT_EQ(0, std::memcmp(want.data(), ys[i].data(),
                                 want.size() * sizeof(float)))
            << "member " << i;
      }
    }
}

INSTANTIATE_TEST_SUITE_P(AllKinds, QuantPlanarGroup,
                         ::testing::ValuesIn(kPlanarKinds),
                         [](const auto &info) {
                           return planarName(info.param);
                         });

/// Row 0 of a planar weight dequantized by the reference.
std::vector<float> planarRow(int32_t code, int32_t scale,
                             const std::vector<uint8_t> &codes,
                             const std::vector<uint8_t> &scales,
                             const uint8_t *zeros, int64_t k, int64_t group,
                             float tensorScale = 1.0f) {
  std::vector<float> y(k, -42.0f);
  txc_qplanar_dequantize_row(code, scale, codes.data(), scales.data(), zeros,
                             tensorScale, 0, k, group, y.data());
  return y;
}

/// fp8 e4m3 from its bit fields (NaN for 0x7f / 0xff).
double fp8Value(int b) {
  int e = (b >> 3) & 15, m = b & 7;
  if (e == 15 && m == 7)
    return std::nan("");
  double mag =
      e == 0 ? std::ldexp(m / 8.0, -6) : std::ldexp(1 + m / 8.0, e - 7);
  return b & 0x80 ? -mag : mag;
}

/// fp4 e2m1 from its bit fields.
double fp4Value(int c) {
  int e = (c >> 1) & 3, m = c & 1;
  double mag = e == 0 ? m * 0.5 : std::ldexp(1 + m / 2.0, e - 1);
  return c & 8 ? -mag : mag;
}

void expectSameValue(double want, float got, int code) {
  if (std::isnan(want))
    EXPECT_TRUE(std::isnan(got)) << "code " << code;
  else
    EXPECT_EQ(static_cast<double>(got), want) << "code " << code;
}

// (d) Every fp8 code, fp4 code, e8m0 and e4m3 scale through the reference
// against values computed here from the bit fields.
TEST_F(QuantKernel, PlanarSpecialValuesExact) {
  std::vector<uint8_t> one(4);
  float f1 = 1.0f;
  std::memcpy(one.data(), &f1, 4);
  { // All 256 fp8 codes, scale 1.
    std::vector<uint8_t> codes(256);
    for (int b = 0; b < 256; ++b)
      codes[b] = static_cast<uint8_t>(b);
    auto y = planarRow(TXC_QCODE_FP8_E4M3, TXC_QSCALE_F32, codes, one, nullptr,
                       256, 256);
    for (int b = 0; b < 256; ++b)
      expectSameValue(fp8Value(b), y[b], b);
    EXPECT_EQ(y[0x7e], 448.0f);
    EXPECT_EQ(y[0x01], std::ldexp(1.0f, -9));
    EXPECT_TRUE(std::signbit(y[0x80]));
  }
  { // All 16 fp4 codes, two per byte, low nibble first.
    std::vector<uint8_t> codes(8);
    for (int c = 0; c < 16; c += 2)
      codes[c / 2] = static_cast<uint8_t>(c | (c + 1) << 4);
    auto y = planarRow(TXC_QCODE_FP4_E2M1, TXC_QSCALE_F32, codes, one, nullptr,
                       16, 16);
    for (int c = 0; c < 16; ++c)
      expectSameValue(fp4Value(c), y[c], c);
    EXPECT_EQ(y[7], 6.0f);
    EXPECT_EQ(y[15], -6.0f);
  }
  { // All 256 e8m0 scales (group 1) on the fp4 code 1.0 (2).
    std::vector<uint8_t> codes(128, 0x22), scales(256);
    for (int e = 0; e < 256; ++e)
      scales[e] = static_cast<uint8_t>(e);
    auto y = planarRow(TXC_QCODE_FP4_E2M1, TXC_QSCALE_F8_E8M0, codes, scales,
                       nullptr, 256, 1);
    for (int e = 0; e < 256; ++e)
      expectSameValue(e == 255 ? std::nan("") : std::ldexp(1.0, e - 127), y[e],
                      e);
  }
  { // All 256 e4m3 scales (group 1) on the fp8 code 1.0 (0x38).
    std::vector<uint8_t> codes(256, 0x38), scales(256);
    for (int b = 0; b < 256; ++b)
      scales[b] = static_cast<uint8_t>(b);
    auto y = planarRow(TXC_QCODE_FP8_E4M3, TXC_QSCALE_F8_E4M3, codes, scales,
                       nullptr, 256, 1);
    for (int b = 0; b < 256; ++b)
      expectSameValue(fp8Value(b), y[b], b);
  }
}

// Every code of the integer kinds, with and without zero points, and the
// f16 / bf16 scales and the tensor scale.
TEST_F(QuantKernel, PlanarIntegerCodesExact) {
  // Scales 0.5 (f16) and -2 (bf16).
  std::vector<uint8_t> half(2), bf(2);
  putU16(half.data(), 0x3800);
  putU16(bf.data(), 0xc000);
  { // int8: 256 codes, default zero 128.
    std::vector<uint8_t> codes(256);
    for (int q = 0; q < 256; ++q)
      codes[q] = static_cast<uint8_t>(q);
    auto y = planarRow(TXC_QCODE_INT8, TXC_QSCALE_F16, codes, half, nullptr,
                       256, 256, 4.0f);
    for (int q = 0; q < 256; ++q)
      EXPECT_EQ(y[q], (q - 128) * 2.0f) << q;
    uint8_t z = 3;
    y = planarRow(TXC_QCODE_INT8, TXC_QSCALE_BF16, codes, bf, &z, 256, 256);
    for (int q = 0; q < 256; ++q)
      EXPECT_EQ(y[q], (q - 3) * -2.0f) << q;
  }
  { // int4: 16 codes, default zero 8, then zero point 5.
    std::vector<uint8_t> codes(8);
    for (int c = 0; c < 16; c += 2)
      codes[c / 2] = static_cast<uint8_t>(c | (c + 1) << 4);
    auto y =
        planarRow(TXC_QCODE_INT4, TXC_QSCALE_F16, codes, half, nullptr, 16, 16);
    for (int q = 0; q < 16; ++q)
      EXPECT_EQ(y[q], (q - 8) * 0.5f) << q;
    uint8_t z = 5;
    y = planarRow(TXC_QCODE_INT4, TXC_QSCALE_F16, codes, half, &z, 16, 16);
    for (int q = 0; q < 16; ++q)
      EXPECT_EQ(y[q], (q - 5) * 0.5f) << q;
  }
  { // int2: value 4t + u in bits 2u of byte t; default zero 2.
    std::vector<uint8_t> codes = {0xe4, 0x1b}; // 0 1 2 3, 3 2 1 0
    auto y =
        planarRow(TXC_QCODE_INT2, TXC_QSCALE_BF16, codes, bf, nullptr, 8, 8);
    const float want[] = {4, 2, 0, -2, -2, 0, 2, 4};
    for (int i = 0; i < 8; ++i)
      EXPECT_EQ(y[i], want[i]) << i;
  }
  { // A ragged last group: k = 5, group 2 -> groups {0, 1}, {2, 3}, {4}.
    std::vector<uint8_t> codes = {130, 130, 130, 130, 130};
    std::vector<uint8_t> scales(12);
    const float s[] = {1.0f, 2.0f, 3.0f};
    std::memcpy(scales.data(), s, 12);
    auto y =
        planarRow(TXC_QCODE_INT8, TXC_QSCALE_F32, codes, scales, nullptr, 5, 2);
    const float want[] = {2, 2, 4, 4, 6};
    for (int i = 0; i < 5; ++i)
      EXPECT_EQ(y[i], want[i]) << i;
  }
}

// The activation rounding is the same integers and scales on every ISA
// (the vector code reimplements quantizeRow): random rows, exact ties at
// +-0.5 steps, zeros, NaN and infinities.
TEST_F(QuantKernel, ActivationRoundingSameOnEveryIsa) {
  const int64_t m = 5, k = 96;
  std::vector<float> x(m * k);
  std::mt19937 gen(7);
  std::normal_distribution<float> dist(0.0f, 3.0f);
  for (float &v : x)
    v = dist(gen);
  // Row 1: amax 127 makes the scale 1, so half-integers are exact ties.
  for (int64_t i = 0; i < k; ++i)
    x[k + i] = i % 32 == 0 ? 127.0f : 0.5f * static_cast<float>(i % 64 - 32);
  std::fill(x.begin() + 2 * k, x.begin() + 2 * k + 32, 0.0f); // zero unit
  x[3 * k + 5] = std::numeric_limits<float>::quiet_NaN();
  x[3 * k + 40] = std::numeric_limits<float>::infinity();
  x[3 * k + 70] = -std::numeric_limits<float>::infinity();
  x[4 * k + 1] = -1e30f;
  const int64_t units = m * k / 32;
  auto run = [&](QuantIsa isa, std::vector<int8_t> &q, std::vector<float> &d,
                 std::vector<int32_t> &sums) {
    useIsa(isa);
    q.assign(m * k, 0);
    d.assign(units, 0.0f);
    sums.assign(2 * units, 0);
    roundActivations(x.data(), m, k, q.data(), d.data(), sums.data());
  };
  std::vector<int8_t> q0, q1;
  std::vector<float> d0, d1;
  std::vector<int32_t> s0, s1;
  run(QuantIsa::Scalar, q0, d0, s0);
  // Ties round to even, the zero unit has scale 0, NaN codes are 0.
  EXPECT_EQ(q0[k + 1], -16); // -15.5
  EXPECT_EQ(q0[k + 3], -14); // -14.5
  EXPECT_EQ(d0[2 * k / 32], 0.0f);
  EXPECT_EQ(q0[3 * k + 5], 0);
  for (QuantIsa isa : {QuantIsa::Avx2, QuantIsa::Avx512}) {
    if (!useIsa(isa))
      continue;
    run(isa, q1, d1, s1);
    for (int64_t i = 0; i < m * k; ++i)
      ASSERT_EQ(q0[i], q1[i]) << quantIsaName() << " value " << i;
    for (int64_t u = 0; u < units; ++u) {
      if (std::isnan(d0[u]))
        EXPECT_TRUE(std::isnan(d1[u])) << u;
      else
        EXPECT_EQ(d0[u], d1[u]) << quantIsaName() << " unit " << u;
      EXPECT_EQ(s0[2 * u], s1[2 * u]) << u;
      EXPECT_EQ(s0[2 * u + 1], s1[2 * u + 1]) << u;
    }
  }
}

// Kinds the kernels lack, and bad groups: txc_qplanar_supported says 0 and
// the product is NaN (never an out-of-bounds read).
TEST_F(QuantKernel, PlanarUnsupportedGivesNaN) {
  EXPECT_EQ(txc_qplanar_supported(TXC_QCODE_INT4, TXC_QSCALE_F8_E8M0), 0);
  EXPECT_EQ(txc_qplanar_supported(TXC_QCODE_INT8, TXC_QSCALE_F8_E4M3), 0);
  EXPECT_EQ(txc_qplanar_supported(5, TXC_QSCALE_F32), 0);
  EXPECT_EQ(txc_qplanar_supported(-1, TXC_QSCALE_F32), 0);
  EXPECT_EQ(txc_qplanar_supported(TXC_QCODE_INT4, 5), 0);
  EXPECT_EQ(txc_qplanar_supported(TXC_QCODE_FP4_E2M1, TXC_QSCALE_F8_E4M3), 1);
  EXPECT_EQ(txc_qplanar_supported(TXC_QCODE_INT2, TXC_QSCALE_BF16), 1);
  std::vector<float> x(32, 1.0f), y(2, 0.0f);
  std::vector<uint8_t> codes(64, 0), scales(64, 0);
  auto call = [&](int32_t code, int32_t scale, int64_t group) {
    std::fill(y.begin(), y.end(), 0.0f);
    txc_qmatmul_planar(code, scale, reinterpret_cast<intptr_t>(x.data()),
                       reinterpret_cast<intptr_t>(codes.data()),
                       reinterpret_cast<intptr_t>(scales.data()), 0, 1.0f,
                       reinterpret_cast<intptr_t>(y.data()), 1, 2, 32, group);
    return std::isnan(y[0]) && std::isnan(y[1]);
  };
  EXPECT_TRUE(call(TXC_QCODE_INT4, TXC_QSCALE_F8_E8M0, 32));
  EXPECT_TRUE(call(7, TXC_QSCALE_F32, 32));
  EXPECT_TRUE(call(TXC_QCODE_INT4, TXC_QSCALE_F32, 0));
  EXPECT_FALSE(call(TXC_QCODE_INT4, TXC_QSCALE_F32, 32));
  std::vector<float> row(4, 0.0f);
  txc_qplanar_dequantize_row(TXC_QCODE_INT2, TXC_QSCALE_F8_E4M3, codes.data(),
                             scales.data(), nullptr, 1.0f, 0, 4, 4, row.data());
  EXPECT_TRUE(std::isnan(row[0]) && std::isnan(row[3]));
}

} // namespace
