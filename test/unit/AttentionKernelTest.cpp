//===- AttentionKernelTest.cpp - the flash-style attention kernel ---------===//
//
// txc::kernels::attentionF32 (and its C entry point txc_attention_f32)
// against a plain double-precision reference, on every instruction set the
// machine has: single positions, odd lengths, head sizes 64/80/128 and
// small odd ones, grouped-query heads, queries at the end of the keys
// (decode, chunked prefill), sliding windows with sinks, explicit bool and
// float masks with broadcasting, rows that see no key, strided operands,
// and results that do not depend on the thread count.
//
//===----------------------------------------------------------------------===//

#include "Attention.h"
#include "Parallel.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

using namespace txc::kernels;

namespace {

/// One test problem; tensors are dense row-major unless `transposed`, which
/// stores query and output as [B, S, H, D] (the strided view a transpose
/// would give) and keys as [B, S, Hkv, D].
struct Problem {
  int64_t batch = 1, heads = 1, kvHeads = 1, queries = 1, keys = 1,
          headDim = 64, valueDim = -1; // -1: same as headDim
  AttentionMask mask = AttentionMask::Causal;
  int64_t window = 0, sinks = 0;
  AttentionExplicitMask explicitKind = AttentionExplicitMask::None;
  int64_t maskShape[4] = {1, 1, 1, 1}; ///< [B|1, H|1, Sq|1, Sk]
  bool transposed = false;
  bool hideSomeRows = false; ///< explicit mask hides every key of some rows
  double scale = 0.0;        ///< 0: 1/sqrt(headDim)
};

std::string describe(const Problem &p, AttentionIsa isa) {
  std::string s =
      "isa=" + std::to_string(int(isa)) + " B=" + std::to_string(p.batch) +
      " H=" + std::to_string(p.heads) + " Hkv=" + std::to_string(p.kvHeads) +
      " Sq=" + std::to_string(p.queries) + " Sk=" + std::to_string(p.keys) +
      " D=" + std::to_string(p.headDim) + " Dv=" + std::to_string(p.valueDim) +
      " mask=" + std::to_string(int(p.mask)) +
      " window=" + std::to_string(p.window) +
      " sinks=" + std::to_string(p.sinks) +
      " explicit=" + std::to_string(int(p.explicitKind)) + " maskShape=";
  for (int64_t d : p.maskShape)
    s += std::to_string(d) + ",";
  s += " transposed=" + std::to_string(p.transposed);
  return s;
}

std::vector<float> random(size_t n, unsigned seed, float lo = -1.0f,
                          float hi = 1.0f) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(gen);
  return v;
}

/// Strides of a [d0, d1, d2, d3] tensor stored in the dimension order
/// `order` (outermost first).
void stridesFor(const int64_t dims[4], const int order[4], int64_t out[4]) {
  int64_t stride = 1;
  for (int k = 3; k >= 0; --k) {
    out[order[k]] = stride;
    stride *= dims[order[k]];
  }
}

struct Data {
  std::vector<float> q, k, v, out, floatMask;
  std::vector<uint8_t> boolMask;
  AttentionParams params;
};

Data makeData(const Problem &pr, unsigned seed) {
  Data data;
  AttentionParams &p = data.params;
  p.batch = pr.batch;
  p.heads = pr.heads;
  p.kvHeads = pr.kvHeads;
  p.queries = pr.queries;
  p.keys = pr.keys;
  p.headDim = pr.headDim;
  p.valueDim = pr.valueDim < 0 ? pr.headDim : pr.valueDim;
  p.scale = pr.scale > 0 ? float(pr.scale)
                         : float(1.0 / std::sqrt(double(pr.headDim)));
  p.mask = pr.mask;
  p.window = pr.window;
  p.sinks = pr.sinks;

  const int dense[4] = {0, 1, 2, 3}, bshd[4] = {0, 2, 1, 3};
  const int *order = pr.transposed ? bshd : dense;
  int64_t qDims[4] = {p.batch, p.heads, p.queries, p.headDim};
  int64_t kDims[4] = {p.batch, p.kvHeads, p.keys, p.headDim};
  int64_t vDims[4] = {p.batch, p.kvHeads, p.keys, p.valueDim};
  int64_t oDims[4] = {p.batch, p.heads, p.queries, p.valueDim};
  stridesFor(qDims, order, p.queryStrides);
  stridesFor(kDims, order, p.keyStrides);
  stridesFor(vDims, dense, p.valueStrides);
  stridesFor(oDims, order, p.outStrides);

  // Scores of a few units, so that the softmax is neither flat nor one-hot.
  data.q = random(p.batch * p.heads * p.queries * p.headDim, seed, -2, 2);
  data.k = random(p.batch * p.kvHeads * p.keys * p.headDim, seed + 1, -2, 2);
  data.v = random(p.batch * p.kvHeads * p.keys * p.valueDim, seed + 2);
  data.out.assign(p.batch * p.heads * p.queries * p.valueDim,
                  std::numeric_limits<float>::quiet_NaN());
  p.query = data.q.data();
  p.key = data.k.data();
  p.value = data.v.data();
  p.out = data.out.data();

  p.explicitKind = pr.explicitKind;
  if (pr.explicitKind != AttentionExplicitMask::None) {
    int64_t m[4];
    std::copy(pr.maskShape, pr.maskShape + 4, m);
    int64_t n = m[0] * m[1] * m[2] * m[3];
    stridesFor(m, dense, p.explicitStrides);
    for (int k = 0; k < 4; ++k)
      if (m[k] == 1)
        p.explicitStrides[k] = 0;
    std::mt19937 gen(seed + 3);
    if (pr.explicitKind == AttentionExplicitMask::Bool) {
      data.boolMask.resize(n);
      for (auto &x : data.boolMask)
        x = gen() % 4 != 0; // three keys in four visible
      if (pr.hideSomeRows)
        for (int64_t row = 0; row < n / m[3]; row += 3)
          std::memset(&data.boolMask[row * m[3]], 0, m[3]);
      p.explicitMask = data.boolMask.data();
    } else {
      data.floatMask = random(n, seed + 4, -3, 1);
      for (size_t i = 0; i < data.floatMask.size(); ++i)
        if (gen() % 5 == 0)
          data.floatMask[i] = -std::numeric_limits<float>::infinity();
      if (pr.hideSomeRows)
        for (int64_t row = 0; row < n / m[3]; row += 3)
          for (int64_t j = 0; j < m[3]; ++j)
            data.floatMask[row * m[3] + j] =
                -std::numeric_limits<float>::infinity();
      p.explicitMask = data.floatMask.data();
    }
  }
  return data;
}

float at(const float *base, const int64_t strides[4], int64_t a, int64_t b,
         int64_t c, int64_t d) {
  return base[a * strides[0] + b * strides[1] + c * strides[2] +
              d * strides[3]];
}

/// The reference, in double precision; returns the result as [B, H, Sq, Dv]
/// (dense) and counts rows that see no key.
std::vector<double> reference(const AttentionParams &p, int64_t &emptyRows) {
  const int64_t group = p.heads / p.kvHeads;
  std::vector<double> out(p.batch * p.heads * p.queries * p.valueDim, 0.0);
  std::vector<double> scores(p.keys);
  std::vector<bool> visible(p.keys);
  emptyRows = 0;
  for (int64_t b = 0; b < p.batch; ++b)
    for (int64_t h = 0; h < p.heads; ++h)
      for (int64_t i = 0; i < p.queries; ++i) {
        const int64_t kh = h / group, pos = p.keys - p.queries + i;
        double mx = -INFINITY;
        for (int64_t j = 0; j < p.keys; ++j) {
          double s = 0;
          for (int64_t d = 0; d < p.headDim; ++d)
            s += double(at(p.query, p.queryStrides, b, h, i, d)) *
                 double(at(p.key, p.keyStrides, b, kh, j, d));
          s *= p.scale;
          bool vis = true;
          if (p.mask != AttentionMask::None)
            vis = j <= pos;
          if (p.mask == AttentionMask::SlidingWindow)
            vis = vis && (pos - j < p.window || j < p.sinks);
          const int64_t *ms = p.explicitStrides;
          int64_t mi = b * ms[0] + h * ms[1] + i * ms[2] + j * ms[3];
          if (p.explicitKind == AttentionExplicitMask::Bool)
            vis = vis && static_cast<const uint8_t *>(p.explicitMask)[mi];
          if (p.explicitKind == AttentionExplicitMask::Float)
            s += static_cast<const float *>(p.explicitMask)[mi];
          if (!vis)
            s = -INFINITY;
          scores[j] = s;
          mx = std::max(mx, s);
        }
        double *o = &out[((b * p.heads + h) * p.queries + i) * p.valueDim];
        if (mx == -INFINITY) {
          ++emptyRows;
          continue;
        }
        double sum = 0;
        for (int64_t j = 0; j < p.keys; ++j) {
          scores[j] = std::exp(scores[j] - mx);
          sum += scores[j];
        }
        for (int64_t j = 0; j < p.keys; ++j)
          for (int64_t d = 0; d < p.valueDim; ++d)
            o[d] += scores[j] / sum * at(p.value, p.valueStrides, b, kh, j, d);
      }
  return out;
}

std::vector<AttentionIsa> supportedIsas() {
  std::vector<AttentionIsa> isas;
  for (AttentionIsa isa :
       {AttentionIsa::Scalar, AttentionIsa::Avx2, AttentionIsa::Avx512})
    if (attentionIsaSupported(isa))
      isas.push_back(isa);
  return isas;
}

/// Runs `pr` on every supported instruction set against the reference.
void check(const Problem &pr, double tolerance = 2e-6) {
  for (AttentionIsa isa : supportedIsas()) {
    Data data = makeData(pr, 7);
    const AttentionParams &p = data.params;
    int64_t emptyRows = 0;
    std::vector<double> expected = reference(p, emptyRows);
    attentionF32(p, isa);
    if (pr.hideSomeRows)
      ASSERT_GT(emptyRows, 0) << describe(pr, isa);
    for (int64_t b = 0; b < p.batch; ++b)
      for (int64_t h = 0; h < p.heads; ++h)
        for (int64_t i = 0; i < p.queries; ++i)
          for (int64_t d = 0; d < p.valueDim; ++d) {
            double want =
                expected[((b * p.heads + h) * p.queries + i) * p.valueDim + d];
            float got = at(p.out, p.outStrides, b, h, i, d);
            ASSERT_FALSE(std::isnan(got)) << describe(pr, isa) << " at " << b
                                          << "," << h << "," << i << "," << d;
            ASSERT_NEAR(got, want, tolerance)
                << describe(pr, isa) << " at " << b << "," << h << "," << i
                << "," << d;
          }
  }
}

TEST(AttentionKernel, SinglePosition) {
  Problem p;
  p.queries = p.keys = 1;
  check(p);
  p.mask = AttentionMask::None;
  check(p);
}

TEST(AttentionKernel, OddLengthsHeadDimsAndGroups) {
  for (int64_t s : {1, 7, 33, 129})
    for (int64_t d : {64, 80, 128})
      for (int64_t group : {1, 4, 8}) {
        Problem p;
        p.kvHeads = 2;
        p.heads = 2 * group;
        p.queries = p.keys = s;
        p.headDim = d;
        check(p);
      }
}

TEST(AttentionKernel, NoMaskAndMoreQueriesThanKeys) {
  Problem p;
  p.mask = AttentionMask::None;
  p.heads = 4;
  p.kvHeads = 2;
  for (auto [sq, sk] :
       {std::pair<int64_t, int64_t>{65, 65}, {5, 3}, {1, 200}}) {
    p.queries = sq;
    p.keys = sk;
    check(p);
  }
}

TEST(AttentionKernel, SmallAndOddHeadDims) {
  for (int64_t d : {1, 3, 17, 33})
    for (int64_t dv : {1, 5, 16, 70}) {
      Problem p;
      p.heads = 3;
      p.queries = p.keys = 37;
      p.headDim = d;
      p.valueDim = dv;
      check(p);
    }
}

TEST(AttentionKernel, QueriesAtTheEndOfTheKeys) {
  // Decode steps and chunked prefill.
  for (auto [sq, sk] : {std::pair<int64_t, int64_t>{1, 1},
                        {1, 129},
                        {1, 300},
                        {33, 100},
                        {64, 257},
                        {7, 64}}) {
    Problem p;
    p.batch = 2;
    p.heads = 8;
    p.kvHeads = 2;
    p.queries = sq;
    p.keys = sk;
    check(p);
  }
}

TEST(AttentionKernel, SlidingWindow) {
  for (auto [window, sinks] : {std::pair<int64_t, int64_t>{1000, 0},
                               {129, 0},
                               {16, 0},
                               {16, 4},
                               {1, 0},
                               {1, 3},
                               {50, 70},
                               {64, 64},
                               {3, 200}})
    for (auto [sq, sk] :
         {std::pair<int64_t, int64_t>{129, 129}, {1, 200}, {40, 300}}) {
      Problem p;
      p.heads = 4;
      p.kvHeads = 1;
      p.queries = sq;
      p.keys = sk;
      p.mask = AttentionMask::SlidingWindow;
      p.window = window;
      p.sinks = sinks;
      check(p);
    }
}

TEST(AttentionKernel, ExplicitMasksWithBroadcast) {
  const int64_t b = 2, h = 4, sq = 33, sk = 70;
  for (auto kind : {AttentionExplicitMask::Bool, AttentionExplicitMask::Float})
    for (auto shape : {std::vector<int64_t>{1, 1, sq, sk},
                       {b, 1, 1, sk},
                       {1, h, sq, sk},
                       {b, h, sq, sk},
                       {b, h, 1, sk}})
      for (auto mask : {AttentionMask::None, AttentionMask::Causal,
                        AttentionMask::SlidingWindow}) {
        Problem p;
        p.batch = b;
        p.heads = h;
        p.kvHeads = 2;
        p.queries = sq;
        p.keys = sk;
        p.mask = mask;
        p.window = 20;
        p.sinks = mask == AttentionMask::SlidingWindow ? 2 : 0;
        if (mask != AttentionMask::SlidingWindow)
          p.window = 0;
        p.explicitKind = kind;
        std::copy(shape.begin(), shape.end(), p.maskShape);
        check(p);
      }
}

TEST(AttentionKernel, RowsWithoutVisibleKeysAreZero) {
  for (auto kind : {AttentionExplicitMask::Bool, AttentionExplicitMask::Float})
    for (auto mask : {AttentionMask::None, AttentionMask::Causal}) {
      Problem p;
      p.heads = 2;
      p.queries = 20;
      p.keys = 90;
      p.mask = mask;
      p.explicitKind = kind;
      int64_t shape[4] = {1, 2, 20, 90};
      std::copy(shape, shape + 4, p.maskShape);
      p.hideSomeRows = true;
      check(p);
    }
  // No keys at all.
  Problem p;
  p.mask = AttentionMask::None;
  p.queries = 3;
  p.keys = 0;
  check(p);
}

TEST(AttentionKernel, StridedOperands) {
  for (auto mask : {AttentionMask::None, AttentionMask::Causal}) {
    Problem p;
    p.batch = 2;
    p.heads = 6;
    p.kvHeads = 3;
    p.queries = p.keys = 45;
    p.headDim = 80;
    p.mask = mask;
    p.transposed = true;
    check(p);
  }
}

TEST(AttentionKernel, ExplicitScale) {
  Problem p;
  p.heads = 2;
  p.queries = p.keys = 50;
  p.scale = 0.3;
  check(p);
}

TEST(AttentionKernel, CEntryPoint) {
  Problem pr;
  pr.batch = 2;
  pr.heads = 4;
  pr.kvHeads = 2;
  pr.queries = 9;
  pr.keys = 30;
  pr.headDim = 16;
  pr.mask = AttentionMask::SlidingWindow;
  pr.window = 8;
  pr.sinks = 1;
  pr.explicitKind = AttentionExplicitMask::Bool;
  int64_t shape[4] = {2, 1, 9, 30};
  std::copy(shape, shape + 4, pr.maskShape);
  Data data = makeData(pr, 3);
  const AttentionParams &p = data.params;
  const int64_t *qs = p.queryStrides, *ks = p.keyStrides, *vs = p.valueStrides,
                *os = p.outStrides, *ms = p.explicitStrides;
  auto ptr = [](const void *x) {
    return int64_t(reinterpret_cast<intptr_t>(x));
  };
  txc_attention_f32(
      ptr(p.query), ptr(p.key), ptr(p.value), ptr(p.out), p.batch, p.heads,
      p.kvHeads, p.queries, p.keys, p.headDim, p.valueDim, qs[0], qs[1], qs[2],
      qs[3], ks[0], ks[1], ks[2], ks[3], vs[0], vs[1], vs[2], vs[3], os[0],
      os[1], os[2], os[3], p.scale, int32_t(p.mask), p.window, p.sinks,
      ptr(p.explicitMask), int32_t(p.explicitKind), ms[0], ms[1], ms[2], ms[3],
      0, 0, 0);
  int64_t emptyRows = 0;
  std::vector<double> expected = reference(p, emptyRows);
  for (size_t i = 0; i < expected.size(); ++i)
    ASSERT_NEAR(data.out[i], expected[i], 2e-6) << "at " << i;
}

/// Runs `pr` with 1, 2 and 3 threads on every instruction set: the same
/// bits each time.
void checkSameForAnyThreadCount(const Problem &pr, unsigned seed) {
  for (AttentionIsa isa : supportedIsas()) {
    Data data = makeData(pr, seed);
    const int before = numThreads();
    std::vector<std::vector<float>> results;
    for (int threads : {1, 2, 3}) {
      setNumThreads(threads);
      std::fill(data.out.begin(), data.out.end(), 0.0f);
      attentionF32(data.params, isa);
      results.push_back(data.out);
    }
    setNumThreads(before);
    for (size_t k = 1; k < results.size(); ++k)
      ASSERT_EQ(0, std::memcmp(results[0].data(), results[k].data(),
                               results[0].size() * sizeof(float)))
          << describe(pr, isa) << ": threads 1 vs " << k + 1;
  }
}

TEST(AttentionKernel, SameResultForAnyThreadCount) {
  Problem pr;
  pr.batch = 2;
  pr.heads = 12;
  pr.kvHeads = 4;
  pr.queries = pr.keys = 200;
  checkSameForAnyThreadCount(pr, 11);
}

TEST(AttentionKernel, ExpIsAccurate) {
  // The softmax's exponential over its domain (x <= 0): within 2 ulp of
  // exp in double precision down to the smallest normal result, and exactly
  // 0 for -inf.
  std::vector<float> x;
  for (int k = 0; k <= 200000; ++k)
    x.push_back(-87.0f * float(k) / 200000.0f);
  for (float v :
       {0.0f, -1e-8f, -0.34657359f, -0.34657360f, -0.6931472f, -87.33f})
    x.push_back(v);
  x.push_back(-std::numeric_limits<float>::infinity());
  std::vector<float> y(x.size());
  for (AttentionIsa isa : supportedIsas()) {
    attentionExp(isa, x.data(), y.data(), int64_t(x.size()));
    double worstUlps = 0;
    for (size_t i = 0; i + 1 < x.size(); ++i) {
      double want = std::exp(double(x[i]));
      double ulp = std::ldexp(1.0, std::ilogb(want) - 23);
      worstUlps = std::max(worstUlps, std::fabs(y[i] - want) / ulp);
    }
    EXPECT_LE(worstUlps, 2.0) << "isa " << int(isa);
    EXPECT_EQ(y.back(), 0.0f) << "isa " << int(isa);
    EXPECT_EQ(y[x.size() - 7], 1.0f) << "exp(0), isa " << int(isa);
  }
}

// A paged cache (blocks of a pool in permuted order, named by a block table)
// gives what the same keys and values laid out contiguously give, for a
// decode step and a prefill chunk, with causal and sliding-window masks.
// Decode over at least 1024 keys splits the keys into segments of about
// 512 (up to 16) whose partial softmax states are merged: against the
// reference for one and three queries, GQA, a sliding window with sinks
// that hides whole segments, explicit masks hiding every key of some rows,
// key counts that are not multiples of the 64-key block, and the cap of 16
// segments; the result does not depend on the thread count.
TEST(AttentionKernel, KeySplitDecode) {
  for (int64_t sk : {int64_t(1024), int64_t(1500), int64_t(4100),
                     int64_t(9001)})
    for (int64_t sq : {int64_t(1), int64_t(3)}) {
      Problem p;
      p.batch = 2;
      p.heads = 6;
      p.kvHeads = 2;
      p.queries = sq;
      p.keys = sk;
      check(p, 4e-6);
    }
  for (auto [window, sinks] : {std::pair<int64_t, int64_t>{700, 4},
                               {50, 600},
                               {2000, 0}}) {
    Problem p;
    p.heads = 3;
    p.kvHeads = 1;
    p.keys = 3000;
    p.mask = AttentionMask::SlidingWindow;
    p.window = window;
    p.sinks = sinks;
    check(p, 4e-6);
  }
  for (auto kind : {AttentionExplicitMask::Bool, AttentionExplicitMask::Float}) {
    Problem p;
    p.heads = 4;
    p.kvHeads = 2;
    p.queries = 2;
    p.keys = 1300;
    p.explicitKind = kind;
    int64_t shape[4] = {1, 4, 2, 1300};
    std::copy(shape, shape + 4, p.maskShape);
    p.hideSomeRows = true;
    check(p, 4e-6);
  }
  Problem pr;
  pr.heads = 9;
  pr.kvHeads = 3;
  pr.keys = 4096;
  checkSameForAnyThreadCount(pr, 12);
}

TEST(AttentionKernel, PagedCacheMatchesContiguous) {
  const int64_t batch = 2, heads = 4, kvHeads = 2, d = 16, capacity = 1200,
                blockSize = 16, blocksPerRow = capacity / blockSize;
  std::mt19937 rng(11);
  std::normal_distribution<float> normal;
  std::vector<float> k(batch * kvHeads * capacity * d),
      v(batch * kvHeads * capacity * d);
  for (float &x : k)
    x = normal(rng);
  for (float &x : v)
    x = normal(rng);
  // Pools [blocks, kvHeads, blockSize, d]; row b's block i is pool block
  // table[b][i], assigned in reverse order.
  const int64_t blocks = batch * blocksPerRow;
  std::vector<int32_t> table(blocks);
  for (int64_t i = 0; i < blocks; ++i)
    table[i] = int32_t(blocks - 1 - i);
  std::vector<float> kp(k.size()), vp(v.size());
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t h = 0; h < kvHeads; ++h)
      for (int64_t j = 0; j < capacity; ++j)
        for (int64_t x = 0; x < d; ++x) {
          int64_t blk = table[b * blocksPerRow + j / blockSize];
          int64_t dst = ((blk * kvHeads + h) * blockSize + j % blockSize) * d + x;
          int64_t src = ((b * kvHeads + h) * capacity + j) * d + x;
          kp[dst] = k[src];
          vp[dst] = v[src];
        }
  for (int64_t queries : {1, 7})
    for (AttentionMask mask : {AttentionMask::Causal, AttentionMask::SlidingWindow})
      // 1100: a decode step over a key split (segments of 512 and 588 keys,
      // cut at 64-key blocks, which cache blocks of 16 divide).
      for (int64_t length : {int64_t(7), int64_t(40), int64_t(90),
                             int64_t(1100)}) {
        std::vector<float> q(batch * heads * queries * d);
        for (float &x : q)
          x = normal(rng);
        AttentionParams p;
        p.query = q.data();
        p.batch = batch;
        p.heads = heads;
        p.kvHeads = kvHeads;
        p.queries = queries;
        p.keys = length;
        p.headDim = p.valueDim = d;
        const int64_t qs[4] = {heads * queries * d, queries * d, d, 1};
        std::copy(qs, qs + 4, p.queryStrides);
        std::copy(qs, qs + 4, p.outStrides);
        p.scale = 0.25f;
        p.mask = mask;
        p.window = mask == AttentionMask::SlidingWindow ? 20 : 0;
        std::vector<float> contiguous(q.size()), paged(q.size());
        p.key = k.data();
        p.value = v.data();
        const int64_t cs[4] = {kvHeads * capacity * d, capacity * d, d, 1};
        std::copy(cs, cs + 4, p.keyStrides);
        std::copy(cs, cs + 4, p.valueStrides);
        p.out = contiguous.data();
        attentionF32(p);
        p.key = kp.data();
        p.value = vp.data();
        const int64_t ps[4] = {kvHeads * blockSize * d, blockSize * d, d, 1};
        std::copy(ps, ps + 4, p.keyStrides);
        std::copy(ps, ps + 4, p.valueStrides);
        p.blockTable = table.data();
        p.blockSize = blockSize;
        p.tableStride = blocksPerRow;
        p.out = paged.data();
        attentionF32(p);
        for (size_t i = 0; i < q.size(); ++i)
          ASSERT_NEAR(paged[i], contiguous[i], 1e-5)
              << "queries " << queries << " mask " << int(mask) << " length "
              << length << " at " << i;
      }
}

} // namespace
