//===- KVQuantKernelTest.cpp - tests of the quantized KV-cache kernels ----===//
//
// The int8 / fp8 KV-cache kernels (lib/Runtime/kernels/cpu/KVQuant.h): the
// runtime's e4m3 encoding equals txc::quant::floatToE4M3, quantized rows
// equal a plain reference quantizer code for code, appends land where a
// contiguous or paged cache keeps them, and attention over a quantized
// cache equals f32 attention over the dequantized cache on every supported
// instruction set (head sizes 64/80/96, one key, keys not a multiple of the
// key block, grouped-query heads, paged, prefill and decode).
//
//===----------------------------------------------------------------------===//

#include "../../lib/Runtime/kernels/cpu/Attention.h"
#include "../../lib/Runtime/kernels/cpu/KVQuant.h"
#include "txc/Support/Quantize.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using namespace txc::kernels;

namespace {

float scaleOf(const uint8_t *row, int64_t d) {
  float s;
  std::memcpy(&s, row + d, sizeof s);
  return s;
}

/// Dequantizes one row (reference decoding through Quantize.h for fp8).
std::vector<float> dequantize(KVFormat f, const uint8_t *row, int64_t d) {
  std::vector<float> out(d);
  float s = scaleOf(row, d);
  for (int64_t x = 0; x < d; ++x)
    out[x] = s * (f == KVFormat::Int8 ? float(int8_t(row[x]))
                                      : txc::quant::e4m3ToFloat(row[x]));
  return out;
}

std::vector<float> randomRow(std::mt19937 &rng, int64_t d, float spread) {
  std::normal_distribution<float> normal(0.0f, spread);
  std::vector<float> v(d);
  for (float &x : v)
    x = normal(rng);
  return v;
}

std::vector<AttentionIsa> supportedIsas() {
  std::vector<AttentionIsa> isas;
  for (AttentionIsa isa :
       {AttentionIsa::Scalar, AttentionIsa::Avx2, AttentionIsa::Avx512})
    if (attentionIsaSupported(isa))
      isas.push_back(isa);
  return isas;
}

} // namespace

TEST(KVQuantKernel, E4M3EncodingMatchesQuantize) {
  std::vector<float> inputs = {0.0f,   -0.0f,  448.0f, -448.0f,
                               449.0f, 464.0f, 480.0f, 1e9f,
                               -1e9f,  1e-9f,  0.001f, -0.0019531f};
  // Every code's value and the midpoints between neighbours (ties go to
  // the even code), and a little either side of them.
  for (int c = 0; c < 0x7f; ++c) {
    float a = txc::quant::e4m3ToFloat(uint8_t(c));
    float b = c + 1 < 0x7f ? txc::quant::e4m3ToFloat(uint8_t(c + 1)) : 448.0f;
    float mid = 0.5f * (a + b);
    for (float v :
         {a, mid, std::nextafter(mid, 0.0f), std::nextafter(mid, 1e9f)}) {
      inputs.push_back(v);
      inputs.push_back(-v);
    }
  }
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> exponent(-12.0f, 10.0f);
  for (int i = 0; i < 20000; ++i)
    inputs.push_back((i % 2 ? -1.0f : 1.0f) * std::exp2(exponent(rng)));
  for (float v : inputs)
    ASSERT_EQ(int(kvFloatToE4M3(v)), int(txc::quant::floatToE4M3(v)))
        << "v = " << v;
  EXPECT_EQ(kvFloatToE4M3(std::nanf("")), 0x7f);
  for (int c = 0; c < 256; ++c) {
    if ((c & 0x7f) == 0x7f)
      continue;
    EXPECT_EQ(kvE4M3ToFloat(uint8_t(c)), txc::quant::e4m3ToFloat(uint8_t(c)))
        << "code " << c;
  }
}

TEST(KVQuantKernel, RowsMatchReferenceQuantizer) {
  std::mt19937 rng(3);
  for (KVFormat f : {KVFormat::Int8, KVFormat::Fp8})
    for (int64_t d : {1, 7, 64, 80, 96, 128})
      for (float spread : {0.01f, 1.0f, 300.0f}) {
        std::vector<float> src = randomRow(rng, d, spread);
        std::vector<uint8_t> row(kvRowBytes(d));
        kvQuantizeRow(f, src.data(), 1, d, row.data());
        float amax = 0.0f;
        for (float x : src)
          amax = std::max(amax, std::fabs(x));
        const float s = amax / (f == KVFormat::Int8 ? 127.0f : 448.0f);
        ASSERT_EQ(scaleOf(row.data(), d), s);
        for (int64_t x = 0; x < d; ++x) {
          int want = f == KVFormat::Int8
                         ? int(uint8_t(int8_t(std::max(
                               -127.0f,
                               std::min(127.0f, std::nearbyint(src[x] / s))))))
                         : int(txc::quant::floatToE4M3(src[x] / s));
          ASSERT_EQ(int(row[x]), want)
              << "format " << int(f) << " d " << d << " x " << x;
        }
      }
  // A row of zeros: scale 0, codes 0.
  std::vector<float> zeros(64, 0.0f);
  std::vector<uint8_t> row(kvRowBytes(64), 0xaa);
  kvQuantizeRow(KVFormat::Fp8, zeros.data(), 1, 64, row.data());
  EXPECT_EQ(scaleOf(row.data(), 64), 0.0f);
  for (int x = 0; x < 64; ++x)
    EXPECT_EQ(row[x], 0);
}

// Appends of a prefill chunk then a decode step land at their positions,
// contiguous and paged (through the block table), through the C entry.
TEST(KVQuantKernel, AppendContiguousAndPaged) {
  const int64_t batch = 2, heads = 3, d = 16, cap = 32, bs = 8,
                rowBytes = kvRowBytes(d), layers = 2;
  std::mt19937 rng(9);
  for (bool paged : {false, true}) {
    const int64_t slab = paged ? batch * cap / bs : batch;
    const int64_t inner = paged ? bs : cap;
    // Whole cache [layers, 2, slab, heads, inner, d + 4].
    const int64_t c4 = rowBytes, c3 = inner * c4, c2 = heads * c3,
                  c1 = slab * c2, c0 = 2 * c1;
    std::vector<uint8_t> cache(layers * c0, 0);
    std::vector<int32_t> table(batch * cap / bs);
    for (size_t i = 0; i < table.size(); ++i)
      table[i] = int32_t(table.size() - 1 - i);
    for (auto [pos, seq] : {std::pair<int64_t, int64_t>{0, 11}, {11, 1}}) {
      std::vector<float> src = randomRow(rng, batch * heads * seq * d, 1.0f);
      txc_kv_quant_append(
          int64_t(reinterpret_cast<intptr_t>(src.data())), batch, heads, seq, d,
          heads * seq * d, seq * d, d, 1,
          int64_t(reinterpret_cast<intptr_t>(cache.data())), c0, c1, c2, c3, c4,
          /*layer=*/1, /*kv=*/1, pos, int32_t(KVFormat::Int8),
          paged ? int64_t(reinterpret_cast<intptr_t>(table.data())) : 0,
          paged ? bs : 0, cap / bs);
      for (int64_t b = 0; b < batch; ++b)
        for (int64_t h = 0; h < heads; ++h)
          for (int64_t s = 0; s < seq; ++s) {
            const int64_t j = pos + s;
            const int64_t outer = paged ? table[b * (cap / bs) + j / bs] : b;
            const uint8_t *got = cache.data() + c0 + c1 + outer * c2 + h * c3 +
                                 (paged ? j % bs : j) * c4;
            std::vector<uint8_t> want(rowBytes);
            kvQuantizeRow(KVFormat::Int8, &src[((b * heads + h) * seq + s) * d],
                          1, d, want.data());
            ASSERT_EQ(0, std::memcmp(got, want.data(), rowBytes))
                << "paged " << paged << " b " << b << " h " << h << " j " << j;
          }
    }
    // Nothing outside layer 1's values was written.
    for (int64_t i = 0; i < c0 + c1; ++i)
      ASSERT_EQ(cache[i], 0) << "byte " << i;
  }
}

namespace {

struct KVProblem {
  int64_t batch = 1, heads = 2, kvHeads = 2, queries = 1, keys = 1, d = 64;
  AttentionMask mask = AttentionMask::Causal;
  int64_t blockSize = 0; ///< paged when > 0
};

std::string describe(const KVProblem &pr, KVFormat f, AttentionIsa isa) {
  return "B=" + std::to_string(pr.batch) + " H=" + std::to_string(pr.heads) +
         " Hkv=" + std::to_string(pr.kvHeads) +
         " Sq=" + std::to_string(pr.queries) +
         " Sk=" + std::to_string(pr.keys) + " D=" + std::to_string(pr.d) +
         " paged=" + std::to_string(pr.blockSize) +
         " format=" + std::to_string(int(f)) +
         " isa=" + std::to_string(int(isa));
}

/// Attention over a quantized cache against attentionF32 over the same
/// cache dequantized, on every supported instruction set.
void checkAgainstDequantized(const KVProblem &pr) {
  std::mt19937 rng(17);
  const int64_t d = pr.d, rowBytes = kvRowBytes(d);
  const int64_t cap = pr.blockSize > 0 ? (pr.keys + pr.blockSize - 1) /
                                             pr.blockSize * pr.blockSize
                                       : pr.keys;
  const int64_t perRow = pr.blockSize > 0 ? cap / pr.blockSize : 0;
  const int64_t slab = pr.blockSize > 0 ? pr.batch * perRow : pr.batch;
  const int64_t inner = pr.blockSize > 0 ? pr.blockSize : cap;
  std::vector<int32_t> table(std::max<int64_t>(1, pr.batch * perRow));
  for (size_t i = 0; i < table.size(); ++i)
    table[i] = int32_t((i * 7 + 3) % table.size()); // a permutation
  for (KVFormat f : {KVFormat::Int8, KVFormat::Fp8}) {
    // Quantized pools and their dequantized f32 copy, same layout.
    std::vector<uint8_t> kq(slab * pr.kvHeads * inner * rowBytes),
        vq(kq.size());
    std::vector<float> kf(slab * pr.kvHeads * inner * d), vf(kf.size());
    for (int64_t o = 0; o < slab; ++o)
      for (int64_t h = 0; h < pr.kvHeads; ++h)
        for (int64_t j = 0; j < inner; ++j) {
          const int64_t r = (o * pr.kvHeads + h) * inner + j;
          // Keys with an outlier channel, values of another magnitude.
          std::vector<float> k = randomRow(rng, d, 1.5f),
                             v = randomRow(rng, d, 0.7f);
          k[3] *= 8.0f;
          kvQuantizeRow(f, k.data(), 1, d, &kq[r * rowBytes]);
          kvQuantizeRow(f, v.data(), 1, d, &vq[r * rowBytes]);
          std::vector<float> kd = dequantize(f, &kq[r * rowBytes], d),
                             vd = dequantize(f, &vq[r * rowBytes], d);
          std::copy(kd.begin(), kd.end(), &kf[r * d]);
          std::copy(vd.begin(), vd.end(), &vf[r * d]);
        }
    std::vector<float> q =
        randomRow(rng, pr.batch * pr.heads * pr.queries * d, 1.0f);
    AttentionParams p;
    p.query = q.data();
    p.batch = pr.batch;
    p.heads = pr.heads;
    p.kvHeads = pr.kvHeads;
    p.queries = pr.queries;
    p.keys = pr.keys;
    p.headDim = p.valueDim = d;
    const int64_t qs[4] = {pr.heads * pr.queries * d, pr.queries * d, d, 1};
    std::copy(qs, qs + 4, p.queryStrides);
    std::copy(qs, qs + 4, p.outStrides);
    p.scale = 1.0f / std::sqrt(float(d));
    p.mask = pr.mask;
    p.window = pr.mask == AttentionMask::SlidingWindow ? 5 : 0;
    p.sinks = pr.mask == AttentionMask::SlidingWindow ? 1 : 0;
    if (pr.blockSize > 0) {
      p.blockTable = table.data();
      p.blockSize = pr.blockSize;
      p.tableStride = perRow;
    }
    for (AttentionIsa isa : supportedIsas()) {
      std::vector<float> want(q.size()), got(q.size(), std::nanf(""));
      AttentionParams pf = p;
      pf.key = kf.data();
      pf.value = vf.data();
      const int64_t fs[4] = {pr.kvHeads * inner * d, inner * d, d, 1};
      std::copy(fs, fs + 4, pf.keyStrides);
      std::copy(fs, fs + 4, pf.valueStrides);
      pf.out = want.data();
      attentionF32(pf, isa);
      AttentionParams pq = p;
      pq.kvFormat = f;
      pq.keyCodes = kq.data();
      pq.valueCodes = vq.data();
      const int64_t bsr[4] = {pr.kvHeads * inner * rowBytes, inner * rowBytes,
                              rowBytes, 1};
      std::copy(bsr, bsr + 4, pq.keyStrides);
      std::copy(bsr, bsr + 4, pq.valueStrides);
      pq.out = got.data();
      attentionF32(pq, isa);
      // The scales multiply whole dot products instead of each element:
      // a few f32 roundings apart, far below the quantization error.
      for (size_t i = 0; i < want.size(); ++i)
        ASSERT_NEAR(got[i], want[i], 2e-5f + 2e-5f * std::fabs(want[i]))
            << describe(pr, f, isa) << " at " << i;
    }
  }
}

} // namespace

TEST(KVQuantKernel, AttentionMatchesDequantizedCache) {
  for (int64_t d : {64, 80, 96}) {
    KVProblem pr;
    pr.d = d;
    // One key; a decode step over keys not a multiple of the key block;
    // a prefill chunk.
    for (auto [queries, keys] :
         {std::pair<int64_t, int64_t>{1, 1}, {1, 100}, {7, 7}, {5, 130},
          {1, 1300}}) {
      pr.queries = queries;
      pr.keys = keys;
      checkAgainstDequantized(pr);
    }
  }
  KVProblem gqa;
  gqa.batch = 2;
  gqa.heads = 9;
  gqa.kvHeads = 3;
  gqa.queries = 3;
  gqa.keys = 77;
  checkAgainstDequantized(gqa);
  gqa.mask = AttentionMask::SlidingWindow;
  checkAgainstDequantized(gqa);
  gqa.mask = AttentionMask::None;
  gqa.queries = 1;
  checkAgainstDequantized(gqa);
}

TEST(KVQuantKernel, AttentionOverPagedQuantizedCache) {
  KVProblem pr;
  pr.batch = 2;
  pr.heads = 6;
  pr.kvHeads = 2;
  pr.blockSize = 16;
  pr.d = 80;
  for (auto [queries, keys] :
       {std::pair<int64_t, int64_t>{1, 1}, {1, 45}, {9, 70}}) {
    pr.queries = queries;
    pr.keys = keys;
    checkAgainstDequantized(pr);
  }
}

namespace {

/// A reference KIVI quantizer: `x` (count values at stride) replaced by
/// min + scale * code, min..max in 15 steps, ties to even.
void int4RoundTrip(float *x, int64_t stride, int64_t count) {
  float lo = x[0], hi = x[0];
  for (int64_t i = 1; i < count; ++i) {
    lo = std::min(lo, x[i * stride]);
    hi = std::max(hi, x[i * stride]);
  }
  const float scale = (hi - lo) / 15.0f;
  for (int64_t i = 0; i < count; ++i) {
    float code = 0.0f;
    if (scale > 0.0f)
      code = std::min(15.0f, std::max(0.0f, std::nearbyint(
                                                (x[i * stride] - lo) / scale)));
    x[i * stride] = code * scale + lo;
  }
}

struct Int4Case {
  int64_t batch, heads, kvHeads, d, group, residual;
  /// A prefill of 1100 tokens and four decode steps (the attention's key
  /// split) instead of the short sequence.
  bool longContext = false;
};

/// Feeds a sequence of appends (a prefill chunk, single decode steps, a
/// second chunk of which only the first 20 rows are kept: the next append
/// starts there, as after a padded prefill chunk, then more decode steps)
/// into an int4 cache and, after each, checks attention over
/// it (one query and a causal chunk of queries, every instruction set)
/// against f32 attention over a reference: the whole f32 history with the
/// key groups and value rows older than the residual window replaced by
/// their reference round trip. With a residual covering every position the
/// result must equal f32 attention bit for bit.
void checkInt4Cache(const Int4Case &c) {
  std::mt19937 rng(23);
  const int64_t d = c.d, g = c.group, cap = c.longContext ? 1120 : 160;
  // The longest append, which the ring must cover.
  const int64_t longest = c.longContext ? 1100 : 37;
  const int64_t buffer = (c.residual + g + longest + g - 1) / g * g;
  const KVInt4Layout layout{d, g, c.residual, buffer};
  const int64_t slot = layout.slot(),
                slots = TXC_KV_INT4_SLOTS(cap, d, g, buffer);
  ASSERT_EQ(slots, cap + layout.ringSlots());
  const int64_t c4 = slot, c3 = slots * c4, c2 = c.kvHeads * c3,
                c1 = c.batch * c2, c0 = 2 * c1;
  std::vector<uint8_t> cache(c0, 0xa5);
  // The f32 history [kv][batch][head][position][d].
  std::vector<float> history(2 * c.batch * c.kvHeads * cap * d);
  auto hist = [&](int kv, int64_t b, int64_t h, int64_t j) {
    return &history[(((kv * c.batch + b) * c.kvHeads + h) * cap + j) * d];
  };
  const int32_t word = kvFormatWord(KVFormat::Int4, g, c.residual, buffer);
  ASSERT_EQ(kvFormatKind(word), KVFormat::Int4);
  ASSERT_EQ(kvFormatGroup(word), g);
  ASSERT_EQ(kvFormatResidual(word), c.residual);
  ASSERT_EQ(kvFormatBuffer(word), buffer);
  std::vector<std::pair<int64_t, int64_t>> appends = {{0, longest}};
  if (c.longContext) {
    for (int64_t j = longest; j < longest + 4; ++j)
      appends.push_back({j, 1});
  } else {
    for (int64_t j = longest; j < 120; ++j)
      appends.push_back({j, 1});
    appends.push_back({120, 33});
    appends.push_back({140, 13});
    for (int64_t j = 153; j < 158; ++j)
      appends.push_back({j, 1});
  }
  for (auto [pos, seq] : appends) {
    for (int kv = 0; kv < 2; ++kv) {
      // New rows [batch, heads, seq, d], keys with an outlier channel.
      std::vector<float> src = randomRow(rng, c.batch * c.kvHeads * seq * d,
                                         kv ? 0.7f : 1.5f);
      for (int64_t b = 0; b < c.batch; ++b)
        for (int64_t h = 0; h < c.kvHeads; ++h)
          for (int64_t s = 0; s < seq; ++s) {
            float *row = &src[((b * c.kvHeads + h) * seq + s) * d];
            if (!kv)
              row[5] *= 8.0f;
            std::copy(row, row + d, hist(kv, b, h, pos + s));
          }
      txc_kv_quant_append(int64_t(reinterpret_cast<intptr_t>(src.data())),
                          c.batch, c.kvHeads, seq, d, c.kvHeads * seq * d,
                          seq * d, d, 1,
                          int64_t(reinterpret_cast<intptr_t>(cache.data())),
                          c0, c1, c2, c3, c4, /*layer=*/0, kv, pos, word, 0, 0,
                          0);
    }
    const int64_t n = pos + seq, qEnd = layout.quantizedEnd(n);
    // The reference cache [batch, head, n, d] per kv.
    std::vector<float> ref[2];
    for (int kv = 0; kv < 2; ++kv) {
      ref[kv].resize(c.batch * c.kvHeads * n * d);
      for (int64_t b = 0; b < c.batch; ++b)
        for (int64_t h = 0; h < c.kvHeads; ++h) {
          float *r = &ref[kv][(b * c.kvHeads + h) * n * d];
          std::copy(hist(kv, b, h, 0), hist(kv, b, h, n), r);
          for (int64_t j0 = 0; j0 < qEnd; j0 += g) {
            if (kv == 0) {
              for (int64_t x = 0; x < d; ++x)
                int4RoundTrip(r + j0 * d + x, d, g);
              continue;
            }
            for (int64_t j = j0; j < j0 + g; ++j)
              for (int64_t x0 = 0; x0 < d; x0 += g)
                int4RoundTrip(r + j * d + x0, 1, g);
          }
        }
    }
    if (seq == 1 && pos % 17 != 0 && pos != 119 && pos != 157 &&
        !c.longContext)
      continue; // check a sample of the decode steps
    for (int64_t queries : {int64_t(1), std::min<int64_t>(seq, 6)}) {
      std::vector<float> q =
          randomRow(rng, c.batch * c.heads * queries * d, 1.0f);
      AttentionParams p;
      p.query = q.data();
      p.batch = c.batch;
      p.heads = c.heads;
      p.kvHeads = c.kvHeads;
      p.queries = queries;
      p.keys = n;
      p.headDim = p.valueDim = d;
      const int64_t qs[4] = {c.heads * queries * d, queries * d, d, 1};
      std::copy(qs, qs + 4, p.queryStrides);
      std::copy(qs, qs + 4, p.outStrides);
      p.scale = 1.0f / std::sqrt(float(d));
      p.mask = AttentionMask::Causal;
      for (AttentionIsa isa : supportedIsas()) {
        std::vector<float> want(q.size()), got(q.size(), std::nanf(""));
        AttentionParams pf = p;
        pf.key = ref[0].data();
        pf.value = ref[1].data();
        const int64_t fs[4] = {c.kvHeads * n * d, n * d, d, 1};
        std::copy(fs, fs + 4, pf.keyStrides);
        std::copy(fs, fs + 4, pf.valueStrides);
        pf.out = want.data();
        attentionF32(pf, isa);
        AttentionParams pq = p;
        pq.kvFormat = KVFormat::Int4;
        pq.kvGroup = g;
        pq.kvResidual = c.residual;
        pq.kvBuffer = buffer;
        pq.keyCodes = cache.data();
        pq.valueCodes = cache.data() + c1;
        const int64_t bs[4] = {c2, c3, c4, 1};
        std::copy(bs, bs + 4, pq.keyStrides);
        std::copy(bs, bs + 4, pq.valueStrides);
        pq.out = got.data();
        attentionF32(pq, isa);
        std::string where = "d " + std::to_string(d) + " group " +
                            std::to_string(g) + " residual " +
                            std::to_string(c.residual) + " n " +
                            std::to_string(n) + " queries " +
                            std::to_string(queries) + " isa " +
                            std::to_string(int(isa));
        for (size_t i = 0; i < want.size(); ++i) {
          if (qEnd == 0)
            ASSERT_EQ(got[i], want[i]) << where << " at " << i;
          else
            ASSERT_NEAR(got[i], want[i], 2e-5f + 2e-5f * std::fabs(want[i]))
                << where << " at " << i;
        }
      }
    }
  }
}

} // namespace

TEST(KVQuantKernel, Int4CacheMatchesReferenceQuantizer) {
  // GQA over two batch rows; groups of 16 and 32; a small residual, none,
  // and one covering every position (exact).
  checkInt4Cache({2, 4, 2, 64, 32, 32});
  checkInt4Cache({1, 3, 1, 48, 16, 0});
  checkInt4Cache({1, 2, 2, 32, 8, 40});
  checkInt4Cache({2, 2, 1, 64, 16, 992});
  // 1100+ keys: the decode attention splits them into segments.
  Int4Case longCase{1, 3, 1, 64, 32, 128};
  longCase.longContext = true;
  checkInt4Cache(longCase);
}

TEST(KVQuantKernel, Int4FormatWordAndLayout) {
  const int32_t word = kvFormatWord(KVFormat::Int4, 32, 128, 224);
  EXPECT_EQ(kvFormatKind(word), KVFormat::Int4);
  EXPECT_EQ(kvFormatGroup(word), 32);
  EXPECT_EQ(kvFormatResidual(word), 128);
  EXPECT_EQ(kvFormatBuffer(word), 224);
  EXPECT_EQ(kvFormatWord(KVFormat::Int8), 1);
  EXPECT_EQ(kvFormatWord(KVFormat::Fp8), 2);
  // The largest fields: 4095 groups of 16384 tokens.
  const int32_t big = kvFormatWord(KVFormat::Int4, 16384, 4095 * 16384,
                                   4095 * 16384);
  EXPECT_EQ(kvFormatGroup(big), 16384);
  EXPECT_EQ(kvFormatResidual(big), 4095 * 16384);
  EXPECT_EQ(kvFormatBuffer(big), 4095 * 16384);
  // head_dim 64, group 32: 32 code bytes + 16 bytes of ranges per slot; a
  // ring of 224 f32 rows (57344 bytes) takes 1195 slots (rounded up).
  KVInt4Layout l{64, 32, 128, 224};
  EXPECT_EQ(l.slot(), 48);
  EXPECT_EQ(l.ringRows(), 224);
  EXPECT_EQ(l.ringSlots(), 1195);
  EXPECT_EQ(l.quantizedEnd(128), 0);
  EXPECT_EQ(l.quantizedEnd(159), 0);
  EXPECT_EQ(l.quantizedEnd(160), 32);
  EXPECT_EQ(l.quantizedEnd(1000), 864);
}
