//===- Attention.cpp - flash-style attention kernel -----------------------===//
//
// f32 scaled dot-product attention for tx.attention's mask kinds none,
// causal and sliding_window, with an optional explicit mask, grouped-query
// heads and queries at the end of the keys (see Attention.h).
//
// Work is split into tasks (batch, KV head, query block). A task's rows are
// the queries of its block for every query head of the KV head's group, so
// the whole group reads each key block once. A task packs (scale Q)^T, then
// for each block of kKeyBlock keys that the structured mask does not hide
// from all its rows
//
//   1. computes S^T = K (scale Q)^T with a register-blocked micro-kernel
//      (8 keys x 48 rows of accumulators with AVX-512), reading K in place,
//   2. hides masked keys (-inf) and adds a float mask, unless the block is
//      visible to every row,
//   3. updates each row's running maximum m and sum l (online softmax):
//      P = exp(S - m_new), alpha = exp(m_old - m_new), l = alpha l + sum P,
//      vectorized across rows,
//   4. accumulates O = alpha O + P V with a second micro-kernel (6 rows x
//      64 values with AVX-512),
//
// and finally writes O / l (zeros for a row that saw no key). Over an int8
// or fp8 cache (KVQuant.h) a block's codes are converted to f32 into the
// task's scratch without their scales (the K and V packing buffers, in L1),
// each key's scale multiplies its row of S^T after step 1 and each value's
// scale its row of P^T after the row sums of step 3, so the cache is read
// as codes (a quarter of the f32 bytes) and never dequantized as a whole.
// An int4 (KIVI) cache's block is decoded to f32 in the same scratch,
// scales and minimums applied, recent positions copied from its f32 ring.
// The S x S
// score matrix is never formed: per task the scratch is one key block of
// scores. The order of every reduction depends only on the shapes, so
// results are identical for any thread count.
//
// The code for one instruction set is AttentionImpl.inc, included three
// times: for AVX-512 and AVX2 inside `#pragma clang attribute` regions that
// compile every function of the inclusion for that instruction set (clang
// vector extensions, so one source serves both widths), and once as plain
// scalar code. attentionDefaultIsa picks one at run time, so the kernel
// library stays portable.
//
//===----------------------------------------------------------------------===//

#include "Attention.h"
#include "Parallel.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <vector>

#define TXC_INLINE inline __attribute__((always_inline))

namespace txc::kernels {
namespace {

/// Keys per block (the rows of S^T a task holds at a time).
constexpr int64_t kKeyBlock = 64;
/// Rows (query heads x queries) a task aims for: whole row tiles of the
/// Q K^T micro-kernel for every instruction set.
constexpr int64_t kTaskRows = 48;
/// The widest vector (floats), for the row padding of scratch arrays.
constexpr int64_t kMaxLanes = 16;

/// How a call is split; the same for every task.
struct Plan {
  int64_t group = 1;       ///< query heads per KV head
  int64_t queryBlock = 1;  ///< queries per task
  int64_t queryBlocks = 0; ///< query blocks per (batch, KV head)
  int64_t valueDimPad = 0; ///< valueDim rounded up to whole vectors
  bool packValue = false;  ///< V rows are copied (odd width or stride)
};

/// The rows one task computes.
struct TaskRange {
  int64_t batch, kvHead, i0, i1;
  /// A key split (flash-decoding): only keys [k0, k1), and instead of the
  /// output the task writes its unnormalized rows, running maxima and sums
  /// to `partial` (rows x valueDimPad floats, then rows maxima, then rows
  /// sums) for the merge.
  int64_t k0 = 0, k1 = std::numeric_limits<int64_t>::max();
  float *partial = nullptr;
};

/// Keys per segment of a key split, and the most segments: a call with
/// one query block per (batch, KV head) and at least 2 x kSplitKeys keys
/// is split into ceil(keys / kSplitKeys) segments (at most kMaxSegments),
/// which depends only on the shapes, so results do not depend on the
/// thread count.
constexpr int64_t kSplitKeys = 512, kMaxSegments = 16;

/// A task's scratch (one set per thread). Row counts are padded to whole
/// vectors ("padded rows").
struct Scratch {
  float *qt;    ///< [headDim, padded rows]: Q^T, scaled
  float *k;     ///< [kKeyBlock, headDim] when K is packed
  float *s;     ///< [kKeyBlock, padded rows]: S^T, then P^T
  float *o;     ///< [rows, valueDimPad]: unnormalized output
  float *v;     ///< [kKeyBlock, valueDimPad] when V is packed
  float *max;   ///< [padded rows] running maximum
  float *sum;   ///< [padded rows] running sum
  float *alpha; ///< [padded rows] rescaling of the current block
  float *kscale; ///< [kKeyBlock] scales of a quantized block's keys
  float *vscale; ///< [kKeyBlock] scales of a quantized block's values
};

} // namespace

// --- the instruction sets ------------------------------------------------

#if defined(__clang__) && defined(__x86_64__)
#define TXC_ATTENTION_HAVE_X86 1
#define TXC_ATTENTION_VECTOR 1

#pragma clang attribute push(                                                  \
    __attribute__((                                                            \
        target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,f16c"))),          \
    apply_to = function)
namespace {
namespace avx512 {
constexpr int W = 16;
// 8 keys x 3 zmm (48 rows) and 6 rows x 4 zmm accumulators (of 32
// registers).
constexpr int kQkKeys = 8, kQkVecs = 3, kPvRows = 6, kPvVecs = 4;
#include "AttentionImpl.inc"
} // namespace avx512
} // namespace
#pragma clang attribute pop

#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))),         \
                             apply_to = function)
namespace {
namespace avx2 {
constexpr int W = 8;
// 4 keys x 3 ymm (24 rows) and 6 rows x 2 ymm accumulators (of 16
// registers).
constexpr int kQkKeys = 4, kQkVecs = 3, kPvRows = 6, kPvVecs = 2;
#include "AttentionImpl.inc"
} // namespace avx2
} // namespace
#pragma clang attribute pop

#undef TXC_ATTENTION_VECTOR
#endif

#define TXC_ATTENTION_VECTOR 0
namespace {
namespace scalar {
constexpr int W = 1;
constexpr int kQkKeys = 4, kQkVecs = 4, kPvRows = 4, kPvVecs = 4;
using vf = float;
static TXC_INLINE float ld(const float *p) { return *p; }
static TXC_INLINE void st(float *p, float v) { *p = v; }
static TXC_INLINE float splat(float x) { return x; }
static TXC_INLINE float fmadd(float a, float b, float c) { return a * b + c; }
static TXC_INLINE float vmax(float a, float b) { return a > b ? a : b; }
static TXC_INLINE float zeroIfNegInf(float x) {
  return x == -std::numeric_limits<float>::infinity() ? 0.0f : x;
}
static TXC_INLINE float vexp(float x) { return std::exp(x); }
#include "AttentionImpl.inc"
} // namespace scalar
} // namespace
#undef TXC_ATTENTION_VECTOR

// --- dispatch and threading -------------------------------------------------

bool attentionIsaSupported(AttentionIsa isa) {
  if (isa == AttentionIsa::Auto || isa == AttentionIsa::Scalar)
    return true;
#ifdef TXC_ATTENTION_HAVE_X86
  if (isa == AttentionIsa::Avx2)
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
           __builtin_cpu_supports("f16c");
  if (isa == AttentionIsa::Avx512)
    return __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("f16c");
#endif
  return false;
}

AttentionIsa attentionDefaultIsa() {
  static const AttentionIsa chosen = [] {
    if (const char *env = std::getenv("TXC_ATTENTION_ISA")) {
      AttentionIsa wanted =
          std::strcmp(env, "scalar") == 0   ? AttentionIsa::Scalar
          : std::strcmp(env, "avx2") == 0   ? AttentionIsa::Avx2
          : std::strcmp(env, "avx512") == 0 ? AttentionIsa::Avx512
                                            : AttentionIsa::Auto;
      if (wanted != AttentionIsa::Auto && attentionIsaSupported(wanted))
        return wanted;
    }
    for (AttentionIsa isa : {AttentionIsa::Avx512, AttentionIsa::Avx2})
      if (attentionIsaSupported(isa))
        return isa;
    return AttentionIsa::Scalar;
  }();
  return chosen;
}

namespace {

/// An uninitialized float array aligned to a cache line.
struct AlignedFloats {
  explicit AlignedFloats(size_t n)
      : data(static_cast<float *>(::operator new(
            std::max<size_t>(n, 1) * sizeof(float), std::align_val_t(64)))) {}
  ~AlignedFloats() { ::operator delete(data, std::align_val_t(64)); }
  AlignedFloats(const AlignedFloats &) = delete;
  AlignedFloats &operator=(const AlignedFloats &) = delete;
  float *data;
};

using TaskFn = void (*)(const AttentionParams &, const Plan &,
                        const TaskRange &, const Scratch &);

/// Merges the segments of a key split: per row, with M the largest of the
/// segments' maxima m_s, out = sum_s e^(m_s - M) O_s / sum_s e^(m_s - M)
/// l_s (segments in order; zeros for a row that saw no key).
void mergeSegments(const AttentionParams &p, const Plan &plan,
                   int64_t segments, const float *partials,
                   int64_t partialSize) {
  const int64_t bq = p.queries, rows = plan.group * bq,
                ldo = plan.valueDimPad, dv = p.valueDim;
  const int64_t *os = p.outStrides;
  std::vector<float> acc(dv);
  for (int64_t head = 0; head < p.batch * p.kvHeads; ++head) {
    const int64_t b = head / p.kvHeads, kvHead = head % p.kvHeads;
    const float *part = partials + head * segments * partialSize;
    for (int64_t r = 0; r < rows; ++r) {
      float m = -std::numeric_limits<float>::infinity();
      for (int64_t s = 0; s < segments; ++s)
        m = std::max(m, part[s * partialSize + rows * ldo + r]);
      float l = 0.0f;
      std::fill(acc.begin(), acc.end(), 0.0f);
      for (int64_t s = 0; s < segments; ++s) {
        const float *seg = part + s * partialSize;
        const float ms = seg[rows * ldo + r], ls = seg[rows * ldo + rows + r];
        if (!(ls > 0.0f))
          continue; // no key of the row in this segment
        const float f = std::exp(ms - m);
        l += f * ls;
        for (int64_t x = 0; x < dv; ++x)
          acc[x] += f * seg[r * ldo + x];
      }
      const float inv = l > 0.0f ? 1.0f / l : 0.0f;
      const int64_t g = r / bq, i = r % bq;
      float *dst = p.out + b * os[0] + (kvHead * plan.group + g) * os[1] +
                   i * os[2];
      for (int64_t x = 0; x < dv; ++x)
        dst[x * os[3]] = acc[x] * inv;
    }
  }
}

void run(const AttentionParams &p, int lanes, TaskFn task) {
  if (p.batch <= 0 || p.heads <= 0 || p.queries <= 0 || p.valueDim <= 0)
    return;
  if (p.kvHeads <= 0 || p.heads % p.kvHeads != 0)
    return;
  Plan plan;
  plan.group = p.heads / p.kvHeads;
  plan.queryBlock =
      std::min(p.queries, std::max<int64_t>(1, kTaskRows / plan.group));
  plan.queryBlocks = (p.queries + plan.queryBlock - 1) / plan.queryBlock;
  plan.valueDimPad = (p.valueDim + lanes - 1) / lanes * lanes;
  const bool quantized = p.kvFormat != KVFormat::F32;
  plan.packValue =
      quantized || plan.valueDimPad != p.valueDim || p.valueStrides[3] != 1;

  const int64_t rows = plan.group * plan.queryBlock;
  const int64_t padded = (rows + kMaxLanes - 1) / kMaxLanes * kMaxLanes;
  const int64_t d = std::max<int64_t>(p.headDim, 1);
  const bool packKey = quantized || p.keyStrides[3] != 1;
  // Decode over many keys: (batch, KV head) tasks are few (3 for SmolLM2's
  // single sequence), so the keys are split into segments whose partial
  // softmax states are merged afterwards (flash-decoding / Lean Attention).
  int64_t segments = 1;
  if (plan.queryBlocks == 1 && p.keys >= 2 * kSplitKeys)
    segments = std::min(kMaxSegments, (p.keys + kSplitKeys - 1) / kSplitKeys);
  const int64_t heads = p.batch * p.kvHeads;
  const int64_t partialSize = rows * plan.valueDimPad + 2 * rows;
  std::vector<float> partials(segments > 1 ? heads * segments * partialSize
                                           : 0);
  const int64_t tasks = heads * plan.queryBlocks * segments;
  parallelFor(tasks, 1, [&](int64_t begin, int64_t end) {
    AlignedFloats qt(d * padded), k(packKey ? kKeyBlock * d : 0),
        s(kKeyBlock * padded), o(rows * plan.valueDimPad),
        v(plan.packValue ? kKeyBlock * plan.valueDimPad : 0),
        rowState(padded * 3 + 2 * kKeyBlock);
    Scratch w;
    w.qt = qt.data;
    w.k = k.data;
    w.s = s.data;
    w.o = o.data;
    w.v = v.data;
    w.max = rowState.data;
    w.sum = rowState.data + padded;
    w.alpha = rowState.data + 2 * padded;
    w.kscale = rowState.data + 3 * padded;
    w.vscale = w.kscale + kKeyBlock;
    for (int64_t t = begin; t < end; ++t) {
      if (segments > 1) {
        const int64_t head = t / segments, s = t % segments;
        // Segment boundaries on 64-key blocks; the last one ends at keys.
        auto cut = [&](int64_t i) {
          return i == segments ? p.keys
                               : p.keys * i / segments / kKeyBlock * kKeyBlock;
        };
        TaskRange range{head / p.kvHeads, head % p.kvHeads, 0, p.queries};
        range.k0 = cut(s);
        range.k1 = cut(s + 1);
        range.partial = partials.data() + t * partialSize;
        task(p, plan, range, w);
        continue;
      }
      // Query blocks in the order 0, last, 1, last - 1, ...: with a causal
      // mask the cost grows with the block, and contiguous chunks of tasks
      // then get similar work.
      int64_t k = t % plan.queryBlocks, head = t / plan.queryBlocks;
      int64_t block = k % 2 == 0 ? k / 2 : plan.queryBlocks - 1 - k / 2;
      TaskRange range{head / p.kvHeads, head % p.kvHeads,
                      block * plan.queryBlock,
                      std::min(p.queries, (block + 1) * plan.queryBlock)};
      task(p, plan, range, w);
    }
  });
  if (segments > 1)
    mergeSegments(p, plan, segments, partials.data(), partialSize);
}

} // namespace

void attentionF32(const AttentionParams &params, AttentionIsa isa) {
  if (isa == AttentionIsa::Auto || !attentionIsaSupported(isa))
    isa = attentionDefaultIsa();
  switch (isa) {
#ifdef TXC_ATTENTION_HAVE_X86
  case AttentionIsa::Avx512:
    return run(params, avx512::W, avx512::runTask);
  case AttentionIsa::Avx2:
    return run(params, avx2::W, avx2::runTask);
#endif
  default:
    return run(params, scalar::W, scalar::runTask);
  }
}

void attentionExp(AttentionIsa isa, const float *x, float *y, int64_t n) {
  if (isa == AttentionIsa::Auto || !attentionIsaSupported(isa))
    isa = attentionDefaultIsa();
  switch (isa) {
#ifdef TXC_ATTENTION_HAVE_X86
  case AttentionIsa::Avx512:
    return avx512::expArray(x, y, n);
  case AttentionIsa::Avx2:
    return avx2::expArray(x, y, n);
#endif
  default:
    return scalar::expArray(x, y, n);
  }
}

} // namespace txc::kernels

namespace {

/// AttentionParams from the C entry points' arguments.
txc::kernels::AttentionParams
paramsFromArgs(int64_t query, int64_t key, int64_t value, int64_t out,
               const int64_t sizes[7], const int64_t strides[4][4],
               float scale, int32_t maskKind, int64_t window, int64_t sinks,
               int64_t explicitMask, int32_t explicitKind,
               const int64_t maskStrides[4], int64_t blockTable,
               int64_t blockSize, int64_t tableStride) {
  using namespace txc::kernels;
  AttentionParams p;
  p.query = reinterpret_cast<const float *>(query);
  p.key = reinterpret_cast<const float *>(key);
  p.value = reinterpret_cast<const float *>(value);
  p.out = reinterpret_cast<float *>(out);
  p.batch = sizes[0];
  p.heads = sizes[1];
  p.kvHeads = sizes[2];
  p.queries = sizes[3];
  p.keys = sizes[4];
  p.headDim = sizes[5];
  p.valueDim = sizes[6];
  std::copy(strides[0], strides[0] + 4, p.queryStrides);
  std::copy(strides[1], strides[1] + 4, p.keyStrides);
  std::copy(strides[2], strides[2] + 4, p.valueStrides);
  std::copy(strides[3], strides[3] + 4, p.outStrides);
  p.scale = scale;
  p.mask = static_cast<AttentionMask>(maskKind);
  p.window = window;
  p.sinks = sinks;
  p.explicitMask = reinterpret_cast<const void *>(explicitMask);
  p.explicitKind = static_cast<AttentionExplicitMask>(explicitKind);
  std::copy(maskStrides, maskStrides + 4, p.explicitStrides);
  p.blockTable = reinterpret_cast<const int32_t *>(blockTable);
  p.blockSize = blockSize;
  p.tableStride = tableStride;
  return p;
}

} // namespace

extern "C" void txc_attention_f32(
    int64_t query, int64_t key, int64_t value, int64_t out, int64_t batch,
    int64_t heads, int64_t kvHeads, int64_t queries, int64_t keys,
    int64_t headDim, int64_t valueDim, int64_t qStrideB, int64_t qStrideH,
    int64_t qStrideS, int64_t qStrideD, int64_t kStrideB, int64_t kStrideH,
    int64_t kStrideS, int64_t kStrideD, int64_t vStrideB, int64_t vStrideH,
    int64_t vStrideS, int64_t vStrideD, int64_t oStrideB, int64_t oStrideH,
    int64_t oStrideS, int64_t oStrideD, float scale, int32_t maskKind,
    int64_t window, int64_t sinks, int64_t explicitMask, int32_t explicitKind,
    int64_t mStrideB, int64_t mStrideH, int64_t mStrideQ, int64_t mStrideK,
    int64_t blockTable, int64_t blockSize, int64_t tableStride) {
  txc_attention_kvq(query, key, value, out, batch, heads, kvHeads, queries,
                    keys, headDim, valueDim, qStrideB, qStrideH, qStrideS,
                    qStrideD, kStrideB, kStrideH, kStrideS, kStrideD, vStrideB,
                    vStrideH, vStrideS, vStrideD, oStrideB, oStrideH, oStrideS,
                    oStrideD, scale, maskKind, window, sinks, explicitMask,
                    explicitKind, mStrideB, mStrideH, mStrideQ, mStrideK,
                    blockTable, blockSize, tableStride,
                    static_cast<int32_t>(txc::kernels::KVFormat::F32));
}

extern "C" void txc_attention_kvq(
    int64_t query, int64_t key, int64_t value, int64_t out, int64_t batch,
    int64_t heads, int64_t kvHeads, int64_t queries, int64_t keys,
    int64_t headDim, int64_t valueDim, int64_t qStrideB, int64_t qStrideH,
    int64_t qStrideS, int64_t qStrideD, int64_t kStrideB, int64_t kStrideH,
    int64_t kStrideS, int64_t kStrideD, int64_t vStrideB, int64_t vStrideH,
    int64_t vStrideS, int64_t vStrideD, int64_t oStrideB, int64_t oStrideH,
    int64_t oStrideS, int64_t oStrideD, float scale, int32_t maskKind,
    int64_t window, int64_t sinks, int64_t explicitMask, int32_t explicitKind,
    int64_t mStrideB, int64_t mStrideH, int64_t mStrideQ, int64_t mStrideK,
    int64_t blockTable, int64_t blockSize, int64_t tableStride,
    int32_t kvFormat) {
  using namespace txc::kernels;
  const int64_t sizes[7] = {batch, heads,   kvHeads, queries,
                            keys,  headDim, valueDim};
  const int64_t strides[4][4] = {{qStrideB, qStrideH, qStrideS, qStrideD},
                                 {kStrideB, kStrideH, kStrideS, kStrideD},
                                 {vStrideB, vStrideH, vStrideS, vStrideD},
                                 {oStrideB, oStrideH, oStrideS, oStrideD}};
  const int64_t maskStrides[4] = {mStrideB, mStrideH, mStrideQ, mStrideK};
  const bool dense = kvFormat == static_cast<int32_t>(KVFormat::F32);
  AttentionParams p = paramsFromArgs(
      query, dense ? key : 0, dense ? value : 0, out, sizes, strides, scale,
      maskKind, window, sinks, explicitMask, explicitKind, maskStrides,
      blockTable, blockSize, tableStride);
  if (!dense) {
    p.kvFormat = kvFormatKind(kvFormat);
    p.kvGroup = kvFormatGroup(kvFormat);
    p.kvResidual = kvFormatResidual(kvFormat);
    p.kvBuffer = kvFormatBuffer(kvFormat);
    p.keyCodes = reinterpret_cast<const uint8_t *>(key);
    p.valueCodes = reinterpret_cast<const uint8_t *>(value);
  }
  attentionF32(p);
}
