//===- KernelsTest.cpp - the kernels compiled models call -----------------===//
//
// txc_sgemm and txc_sgemm_packed against a plain triple loop, on edge
// shapes: a single row (a decode step), odd sizes, partial panels, B plain
// and transposed, accumulation into C; the packed kernel on each
// instruction set, and bit-identical for 1 and 2 threads.
//
//===----------------------------------------------------------------------===//

#include "Gemm.h"
#include "Parallel.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace {

std::vector<float> random(size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(gen);
  return v;
}

/// C + A * op(B) in double precision.
std::vector<float> reference(const std::vector<float> &a,
                             const std::vector<float> &b,
                             const std::vector<float> &c, int64_t m, int64_t n,
                             int64_t k, bool transB) {
  std::vector<float> expected = c;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double acc = expected[i * n + j];
      for (int64_t p = 0; p < k; ++p)
        acc += double(a[i * k + p]) *
               double(transB ? b[j * k + p] : b[p * n + j]);
      expected[i * n + j] = static_cast<float>(acc);
    }
  return expected;
}

void checkGemm(int64_t m, int64_t n, int64_t k, bool transB) {
  std::vector<float> a = random(m * k, 1), b = random(k * n, 2),
                     c = random(m * n, 3);
  std::vector<float> expected = reference(a, b, c, m, n, k, transB);
  txc_sgemm(reinterpret_cast<intptr_t>(a.data()),
            reinterpret_cast<intptr_t>(b.data()),
            reinterpret_cast<intptr_t>(c.data()), m, n, k, transB);
  for (int64_t i = 0; i < m * n; ++i)
    ASSERT_NEAR(c[i], expected[i], 1e-4 * std::sqrt(double(k)))
        << "m=" << m << " n=" << n << " k=" << k << " transB=" << transB
        << " at " << i;
}

TEST(Kernels, SgemmMatchesReference) {
  for (bool transB : {false, true})
    for (auto [m, n, k] : {std::tuple<int64_t, int64_t, int64_t>{1, 1, 1},
                           {1, 768, 768},
                           {7, 13, 5},
                           {33, 65, 17},
                           {128, 96, 80},
                           {3, 2048, 128}})
      checkGemm(m, n, k, transB);
}

/// Runs txc_sgemm_packed on C = c and returns C.
std::vector<float> packedGemm(const std::vector<float> &a,
                              const std::vector<float> &b,
                              std::vector<float> c, int64_t m, int64_t n,
                              int64_t k, bool transB, bool overwrite = false) {
  std::vector<float> packed(txc_gemm_packed_size(n, k), -7.0f);
  txc_gemm_pack_b(b.data(), packed.data(), n, k, transB);
  txc_sgemm_packed(reinterpret_cast<intptr_t>(a.data()),
                   reinterpret_cast<intptr_t>(packed.data()),
                   reinterpret_cast<intptr_t>(c.data()), m, n, k,
                   overwrite);
  return c;
}

using Shape = std::tuple<int64_t, int64_t, int64_t>;
const Shape kPackedShapes[] = {
    {1, 1, 1},       // everything partial
    {1, 768, 768},   // decode step
    {7, 13, 5},      // odd, one partial panel
    {13, 33, 300},   // rows past one micro-kernel, K past one K block
    {33, 65, 17},    // two full panels and one column
    {128, 96, 80},   // whole micro-kernels, several panels
    {3, 2048, 520},  // many panels (split between threads), K blocks
    {200, 64, 33}};  // few panels: threads split the rows

TEST(Kernels, PackedSgemmMatchesReferenceOnEveryIsa) {
  using txc::kernels::GemmIsa;
  for (GemmIsa isa : {GemmIsa::Avx512, GemmIsa::Avx2, GemmIsa::Scalar}) {
    if ((isa == GemmIsa::Avx512 && !__builtin_cpu_supports("avx512f")) ||
        (isa == GemmIsa::Avx2 && !__builtin_cpu_supports("avx2")))
      continue;
    txc::kernels::setGemmIsa(isa);
    for (bool transB : {false, true})
      for (auto [m, n, k] : kPackedShapes) {
        std::vector<float> a = random(m * k, 4), b = random(k * n, 5),
                           c = random(m * n, 6);
        std::vector<float> expected = reference(a, b, c, m, n, k, transB);
        std::vector<float> got = packedGemm(a, b, c, m, n, k, transB);
        for (int64_t i = 0; i < m * n; ++i)
          ASSERT_NEAR(got[i], expected[i], 1e-4 * std::sqrt(double(k)))
              << "isa=" << static_cast<int>(isa) << " m=" << m << " n=" << n
              << " k=" << k << " transB=" << transB << " at " << i;
        // Overwriting ignores C's contents: same as accumulating into 0.
        std::vector<float> zero(m * n, 0.0f);
        std::vector<float> product = reference(a, b, zero, m, n, k, transB);
        got = packedGemm(a, b, c, m, n, k, transB, /*overwrite=*/true);
        for (int64_t i = 0; i < m * n; ++i)
          ASSERT_NEAR(got[i], product[i], 1e-4 * std::sqrt(double(k)))
              << "overwrite: isa=" << static_cast<int>(isa) << " m=" << m
              << " n=" << n << " k=" << k << " at " << i;
      }
  }
  txc::kernels::setGemmIsa(GemmIsa::Auto);
}

TEST(Kernels, PackedSgemmIsDeterministicAcrossThreadCounts) {
  for (auto [m, n, k] : kPackedShapes) {
    std::vector<float> a = random(m * k, 7), b = random(k * n, 8),
                       c = random(m * n, 9);
    txc::kernels::setNumThreads(1);
    std::vector<float> one = packedGemm(a, b, c, m, n, k, true);
    txc::kernels::setNumThreads(2);
    std::vector<float> two = packedGemm(a, b, c, m, n, k, true);
    ASSERT_EQ(one, two) << "m=" << m << " n=" << n << " k=" << k;
  }
}

TEST(Kernels, PackedGroupMatchesSeparateProducts) {
  // Query/key/value-like members sharing A; odd sizes and a partial panel;
  // rows enough for the row split too (few panels).
  for (int64_t m : {1, 5, 40})
    for (std::vector<int64_t> ns :
         {std::vector<int64_t>{96, 32, 32}, {7, 45}, {64, 33, 1, 100}}) {
      int64_t k = 37;
      std::vector<float> a = random(m * k, 10);
      std::vector<std::vector<float>> packed, c, expected, bs;
      for (size_t i = 0; i < ns.size(); ++i) {
        bs.push_back(random(ns[i] * k, 11 + i));
        const std::vector<float> &b = bs.back();
        packed.emplace_back(txc_gemm_packed_size(ns[i], k));
        txc_gemm_pack_b(b.data(), packed.back().data(), ns[i], k, 1);
        c.push_back(random(m * ns[i], 20 + i));
        expected.push_back(reference(a, b, c.back(), m, ns[i], k, true));
      }
      intptr_t args[4][3] = {};
      for (size_t i = 0; i < ns.size(); ++i) {
        args[i][0] = reinterpret_cast<intptr_t>(packed[i].data());
        args[i][1] = reinterpret_cast<intptr_t>(c[i].data());
        args[i][2] = ns[i];
      }
      // Member 1 overwrites its C (expected: the product alone).
      if (ns.size() > 1) {
        std::fill(c[1].begin(), c[1].end(), 0.0f);
        expected[1] = reference(a, bs[1], c[1], m, ns[1], k, true);
        std::vector<float> garbage = random(m * ns[1], 30);
        std::copy(garbage.begin(), garbage.end(), c[1].begin());
      }
      txc_sgemm_packed_group(reinterpret_cast<intptr_t>(a.data()), m, k,
                             ns.size(), /*overwrite=*/2, args[0][0], args[0][1], args[0][2],
                             args[1][0], args[1][1], args[1][2], args[2][0],
                             args[2][1], args[2][2], args[3][0], args[3][1],
                             args[3][2]);
      for (size_t i = 0; i < ns.size(); ++i)
        for (int64_t j = 0; j < m * ns[i]; ++j)
          ASSERT_NEAR(c[i][j], expected[i][j], 1e-4 * std::sqrt(double(k)))
              << "m=" << m << " member " << i << " at " << j;
    }
}

TEST(Kernels, ParallelForCoversTheRangeOnce) {
  for (int threads : {1, 2, 3}) {
    txc::kernels::setNumThreads(threads);
    for (int64_t n : {0, 1, 2, 5, 1000}) {
      std::vector<int> hits(n, 0);
      txc::kernels::parallelFor(n, 1, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i)
          ++hits[i];
      });
      for (int64_t i = 0; i < n; ++i)
        ASSERT_EQ(hits[i], 1) << "threads=" << threads << " n=" << n;
    }
  }
}

} // namespace
