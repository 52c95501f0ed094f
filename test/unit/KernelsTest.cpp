//===- KernelsTest.cpp - the kernels compiled models call -----------------===//
//
// txc_sgemm against a plain triple loop, on edge shapes: a single row (a
// decode step), odd sizes, B plain and transposed, accumulation into C.
//
//===----------------------------------------------------------------------===//

#include "gtest/gtest.h"

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

extern "C" void txc_sgemm(intptr_t a, intptr_t b, intptr_t c, int64_t m,
                          int64_t n, int64_t k, int32_t transB);

namespace {

std::vector<float> random(size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(gen);
  return v;
}

void checkGemm(int64_t m, int64_t n, int64_t k, bool transB) {
  std::vector<float> a = random(m * k, 1), b = random(k * n, 2),
                     c = random(m * n, 3);
  std::vector<float> expected = c;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double acc = expected[i * n + j];
      for (int64_t p = 0; p < k; ++p)
        acc += double(a[i * k + p]) *
               double(transB ? b[j * k + p] : b[p * n + j]);
      expected[i * n + j] = static_cast<float>(acc);
    }
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

} // namespace
