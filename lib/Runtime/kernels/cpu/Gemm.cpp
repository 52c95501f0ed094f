//===- Gemm.cpp - GEMM kernels linked into compiled models ----------------===//
//
// Compiled models call these for the matrix products of tx.linear (see the
// tx-matmul-to-kernels pass). Pointers arrive as integers so that one symbol
// serves every shape.
//
// * txc_sgemm_packed: C += A * op(B) where op(B) is a weight the runtime
//   packed once at load time (txc_gemm_pack_b) into panels of kPanel
//   columns: packed[p][k][j] = op(B)[k][p * kPanel + j], zero past N. The
//   micro-kernels keep an MR x 32 block of C in registers and stream A
//   row-wise (no packing of the activations), K in blocks of kKBlock so a
//   panel slice stays in L1. AVX-512, AVX2 and scalar paths are chosen at
//   run time. Threads split the panels (or the rows, when panels are few);
//   each element of C is computed by the same sequence of operations
//   whatever the split, so results do not depend on the thread count.
// * txc_sgemm: any other f32 product; forwards to OpenBLAS.
//
//===----------------------------------------------------------------------===//

#include "Gemm.h"
#include "Parallel.h"

#include <cblas.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include <immintrin.h>

using namespace txc::kernels;

namespace {

constexpr int64_t kPanel = kGemmPanel;
/// K per pass over a panel: a 256 x 32 slice (32 KB) stays in L1.
constexpr int64_t kKBlock = 256;

struct Tile {
  const float *a; // A[i0:i0+MR, k0:k0+kc] packed k-major: a[k * MR + r]
  const float *b; // packed panel at row k0 (stride kPanel)
  float *c;       // C[i0, j0], row stride ldc
  int64_t ldc, kc;
  int cols;        // valid columns of the panel (<= kPanel)
  bool accumulate; // C += product; otherwise C = product
};

//===----------------------------------------------------------------------===//
// AVX-512: MR rows x 32 columns, two zmm per row.
//===----------------------------------------------------------------------===//

template <int MR>
__attribute__((target("avx512f"))) void microAvx512(const Tile &t) {
  __m512 acc0[MR], acc1[MR];
  for (int r = 0; r < MR; ++r) {
    acc0[r] = _mm512_setzero_ps();
    acc1[r] = _mm512_setzero_ps();
  }
  const float *b = t.b;
  const float *a = t.a;
#pragma clang loop unroll_count(4)
  for (int64_t k = 0; k < t.kc; ++k, b += kPanel, a += MR) {
    __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
    for (int r = 0; r < MR; ++r) {
      __m512 x = _mm512_set1_ps(a[r]);
      acc0[r] = _mm512_fmadd_ps(x, b0, acc0[r]);
      acc1[r] = _mm512_fmadd_ps(x, b1, acc1[r]);
    }
  }
  if (t.cols == kPanel) {
    for (int r = 0; r < MR; ++r) {
      float *c = t.c + r * t.ldc;
      if (t.accumulate) {
        acc0[r] = _mm512_add_ps(_mm512_loadu_ps(c), acc0[r]);
        acc1[r] = _mm512_add_ps(_mm512_loadu_ps(c + 16), acc1[r]);
      }
      _mm512_storeu_ps(c, acc0[r]);
      _mm512_storeu_ps(c + 16, acc1[r]);
    }
    return;
  }
  __mmask16 m0 = static_cast<__mmask16>(
      t.cols >= 16 ? 0xffff : (1u << t.cols) - 1);
  __mmask16 m1 = static_cast<__mmask16>(
      t.cols <= 16 ? 0 : (1u << (t.cols - 16)) - 1);
  for (int r = 0; r < MR; ++r) {
    float *c = t.c + r * t.ldc;
    if (t.accumulate) {
      acc0[r] = _mm512_add_ps(_mm512_maskz_loadu_ps(m0, c), acc0[r]);
      acc1[r] = _mm512_add_ps(_mm512_maskz_loadu_ps(m1, c + 16), acc1[r]);
    }
    _mm512_mask_storeu_ps(c, m0, acc0[r]);
    _mm512_mask_storeu_ps(c + 16, m1, acc1[r]);
  }
}

//===----------------------------------------------------------------------===//
// AVX2: MR rows x 16 columns (half a panel), two ymm per row.
//===----------------------------------------------------------------------===//

template <int MR>
__attribute__((target("avx2,fma"))) void halfAvx2(const Tile &t, int half) {
  __m256 acc0[MR], acc1[MR];
  for (int r = 0; r < MR; ++r) {
    acc0[r] = _mm256_setzero_ps();
    acc1[r] = _mm256_setzero_ps();
  }
  const float *b = t.b + half * 16;
  const float *a = t.a;
  for (int64_t k = 0; k < t.kc; ++k, b += kPanel, a += MR) {
    __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
    for (int r = 0; r < MR; ++r) {
      __m256 x = _mm256_broadcast_ss(a + r);
      acc0[r] = _mm256_fmadd_ps(x, b0, acc0[r]);
      acc1[r] = _mm256_fmadd_ps(x, b1, acc1[r]);
    }
  }
  int cols = std::min(16, t.cols - half * 16);
  for (int r = 0; r < MR; ++r) {
    float *c = t.c + r * t.ldc + half * 16;
    if (cols == 16) {
      if (t.accumulate) {
        acc0[r] = _mm256_add_ps(_mm256_loadu_ps(c), acc0[r]);
        acc1[r] = _mm256_add_ps(_mm256_loadu_ps(c + 8), acc1[r]);
      }
      _mm256_storeu_ps(c, acc0[r]);
      _mm256_storeu_ps(c + 8, acc1[r]);
      continue;
    }
    alignas(32) float tmp[16];
    _mm256_store_ps(tmp, acc0[r]);
    _mm256_store_ps(tmp + 8, acc1[r]);
    for (int j = 0; j < cols; ++j)
      c[j] = t.accumulate ? c[j] + tmp[j] : tmp[j];
  }
}

template <int MR>
__attribute__((target("avx2,fma"))) void microAvx2(const Tile &t) {
  halfAvx2<MR>(t, 0);
  if (t.cols > 16)
    halfAvx2<MR>(t, 1);
}

//===----------------------------------------------------------------------===//
// Scalar: any CPU.
//===----------------------------------------------------------------------===//

template <int MR> void microScalar(const Tile &t) {
  for (int r = 0; r < MR; ++r) {
    float acc[kPanel] = {};
    for (int64_t k = 0; k < t.kc; ++k) {
      float x = t.a[k * MR + r];
      for (int j = 0; j < kPanel; ++j)
        acc[j] += x * t.b[k * kPanel + j];
    }
    for (int j = 0; j < t.cols; ++j)
      t.c[r * t.ldc + j] = t.accumulate ? t.c[r * t.ldc + j] + acc[j] : acc[j];
  }
}

//===----------------------------------------------------------------------===//
// Dispatch
//===----------------------------------------------------------------------===//

using Micro = void (*)(const Tile &);

/// Micro-kernels for 1..kMaxRows rows of one ISA.
constexpr int kMaxRows = 12;
struct Kernels {
  int rows; // the full-height micro-kernel
  Micro byRows[kMaxRows + 1];
};

template <template <int> class K, int... R>
constexpr Kernels makeKernels(int rows, std::integer_sequence<int, R...>) {
  return Kernels{rows, {nullptr, K<R + 1>::fn...}};
}

template <int MR> struct Avx512K {
  static constexpr Micro fn = microAvx512<MR>;
};
template <int MR> struct Avx2K {
  static constexpr Micro fn = microAvx2<MR>;
};
template <int MR> struct ScalarK {
  static constexpr Micro fn = microScalar<MR>;
};

const Kernels kAvx512 =
    makeKernels<Avx512K>(12, std::make_integer_sequence<int, kMaxRows>{});
const Kernels kAvx2 =
    makeKernels<Avx2K>(6, std::make_integer_sequence<int, kMaxRows>{});
const Kernels kScalar =
    makeKernels<ScalarK>(4, std::make_integer_sequence<int, kMaxRows>{});

GemmIsa forcedIsa = GemmIsa::Auto;

const Kernels &kernels() {
  GemmIsa isa = forcedIsa;
  if (isa == GemmIsa::Auto) {
    static const GemmIsa best = __builtin_cpu_supports("avx512f")
                                    ? GemmIsa::Avx512
                                : (__builtin_cpu_supports("avx2") &&
                                   __builtin_cpu_supports("fma"))
                                    ? GemmIsa::Avx2
                                    : GemmIsa::Scalar;
    isa = best;
  }
  return isa == GemmIsa::Avx512 ? kAvx512
         : isa == GemmIsa::Avx2 ? kAvx2
                                : kScalar;
}

/// Row blocks of at most this many rows do not prefetch B (gemmBlock).
constexpr int64_t kNoPrefetchRows = 4;

/// Bytes of packed A kept per thread (in L2 with room for a panel).
constexpr int64_t kABytes = 1 << 20;

/// Copies A[m0:m1, :] into `dst` as consecutive micro-kernel blocks of
/// `rows` rows; each block is K-blocked and k-major within a K block
/// (block + k0 * h + (k - k0) * h + r, h = the block's height), so the tile
/// for (row block, K block) is contiguous.
void packA(const float *a, int64_t k, int64_t m0, int64_t m1, int rows,
           float *dst) {
  for (int64_t i = m0; i < m1; i += rows) {
    int h = static_cast<int>(std::min<int64_t>(rows, m1 - i));
    const float *src = a + i * k;
    // Stores in order; the h source rows are h sequential streams.
    for (int64_t q = 0; q < k; ++q)
      for (int r = 0; r < h; ++r)
        dst[q * h + r] = src[r * k + q];
    dst += h * k;
  }
}

/// One product of a group: C[M, n] += A * op(B), B packed.
struct Member {
  const float *packed;
  float *c;
  int64_t n;
  int64_t firstPanel; // index of its first panel in the group
  bool overwrite;     // C = A * op(B): C's old contents are ignored
};

/// C[m0:m1, ...] += A[m0:m1, :] * panels u0:u1 of the group (panels of
/// all members, in order). For each panel, K blocks outermost so the
/// panel's slice stays in L1 while every row block of A passes; C's tile
/// stays in cache across the K blocks.
void gemmBlock(const Kernels &ks, const float *a, const Member *members,
               int count, int64_t k, int64_t m0, int64_t m1, int64_t u0,
               int64_t u1) {
  int64_t mc = std::max<int64_t>(ks.rows, kABytes / (4 * k) / ks.rows * ks.rows);
  thread_local std::vector<float> aPacked;
  aPacked.resize(std::min(mc, m1 - m0) * k);
  for (int64_t mb = m0; mb < m1; mb += mc) {
    int64_t me = std::min(m1, mb + mc);
    packA(a, k, mb, me, ks.rows, aPacked.data());
    int member = 0;
    for (int64_t u = u0; u < u1; ++u) {
      while (member + 1 < count && members[member + 1].firstPanel <= u)
        ++member;
      const Member &g = members[member];
      int64_t p = u - g.firstPanel;
      Tile t;
      t.ldc = g.n;
      t.cols = static_cast<int>(std::min(kPanel, g.n - p * kPanel));
      for (int64_t k0 = 0; k0 < k; k0 += kKBlock) {
        t.kc = std::min(kKBlock, k - k0);
        t.accumulate = k0 > 0 || !g.overwrite;
        t.b = g.packed + (p * k + k0) * kPanel;
        // The weights stream from memory: while the row blocks use this
        // slice, fetch the next one (it follows in the packed layout) into
        // L2, a share per row block.
        const char *next = reinterpret_cast<const char *>(t.b + t.kc * kPanel);
        const char *end = reinterpret_cast<const char *>(
            g.packed + (g.n + kPanel - 1) / kPanel * k * kPanel);
        // A few rows (decode steps) stream B at memory speed already: the
        // hardware prefetcher keeps up and explicit prefetches only queue.
        int64_t lines =
            me - mb <= kNoPrefetchRows
                ? 0
                : std::max<int64_t>(
                      0, std::min<int64_t>(kKBlock * kPanel * 4, end - next) /
                             64);
        int64_t blocks = (me - mb + ks.rows - 1) / ks.rows;
        int64_t share = (lines + blocks - 1) / std::max<int64_t>(1, blocks);
        const float *ablock = aPacked.data();
        for (int64_t i = mb; i < me; i += ks.rows) {
          int rows = static_cast<int>(std::min<int64_t>(ks.rows, me - i));
          for (int64_t l = 0; l < share && lines > 0; ++l, --lines, next += 64)
            _mm_prefetch(next, _MM_HINT_T1);
          t.a = ablock + k0 * rows;
          t.c = g.c + i * g.n + p * kPanel;
          ks.byRows[rows](t);
          ablock += rows * k;
        }
      }
    }
  }
}

/// C_i += A * op(B_i) for each member: the threads split the panels of all
/// members (each reads its own part of the weights) unless there are too
/// few to go round; then they split the rows, in whole micro-kernel
/// heights.
void groupGemm(const float *a, int64_t m, int64_t k, Member *members,
               int count) {
  int64_t panels = 0;
  for (int i = 0; i < count; ++i) {
    members[i].firstPanel = panels;
    panels += (members[i].n + kPanel - 1) / kPanel;
  }
  if (m <= 0 || k <= 0 || panels == 0)
    return;
  const Kernels &ks = kernels();
  if (panels >= 2 * numThreads() || m < 2 * ks.rows) {
    parallelFor(panels, 1, [&](int64_t u0, int64_t u1) {
      gemmBlock(ks, a, members, count, k, 0, m, u0, u1);
    });
    return;
  }
  int64_t rowBlocks = (m + ks.rows - 1) / ks.rows;
  parallelFor(rowBlocks, 1, [&](int64_t r0, int64_t r1) {
    gemmBlock(ks, a, members, count, k, r0 * ks.rows,
              std::min(m, r1 * ks.rows), 0, panels);
  });
}

} // namespace

void txc::kernels::setGemmIsa(GemmIsa isa) { forcedIsa = isa; }

extern "C" {

int64_t txc_gemm_packed_size(int64_t n, int64_t k) {
  return (n + kPanel - 1) / kPanel * k * kPanel;
}

void txc_gemm_pack_b(const float *b, float *packed, int64_t n, int64_t k,
                     int32_t transB) {
  int64_t panels = (n + kPanel - 1) / kPanel;
  parallelFor(panels, 8, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      float *dst = packed + p * k * kPanel;
      int64_t j0 = p * kPanel, cols = std::min(kPanel, n - j0);
      if (cols < kPanel)
        std::memset(dst, 0, sizeof(float) * k * kPanel);
      if (transB) { // B[n, k]: transpose 32 x 16 tiles through registers
        const float *rows = b + j0 * k;
        for (int64_t q0 = 0; q0 < k; q0 += 16) {
          int64_t qe = std::min(k, q0 + 16);
          for (int64_t j = 0; j < cols; ++j)
            for (int64_t q = q0; q < qe; ++q)
              dst[q * kPanel + j] = rows[j * k + q];
        }
      } else { // B[k, n]
        for (int64_t q = 0; q < k; ++q)
          std::memcpy(dst + q * kPanel, b + q * n + j0, sizeof(float) * cols);
      }
    }
  });
}

void txc_sgemm_packed(intptr_t a, intptr_t b, intptr_t c, int64_t m,
                      int64_t n, int64_t k, int32_t overwrite) {
  Member member{reinterpret_cast<const float *>(b),
                reinterpret_cast<float *>(c), n, 0, overwrite != 0};
  if (n > 0)
    groupGemm(reinterpret_cast<const float *>(a), m, k, &member, 1);
}

void txc_sgemm_packed_group(intptr_t a, int64_t m, int64_t k, int64_t count,
                            int64_t overwrite, intptr_t b0, intptr_t c0,
                            int64_t n0, intptr_t b1, intptr_t c1, int64_t n1,
                            intptr_t b2, intptr_t c2, int64_t n2, intptr_t b3,
                            intptr_t c3, int64_t n3) {
  intptr_t bs[4] = {b0, b1, b2, b3}, cs[4] = {c0, c1, c2, c3};
  int64_t ns[4] = {n0, n1, n2, n3};
  Member members[4];
  int used = 0;
  for (int i = 0; i < std::min<int64_t>(count, 4); ++i)
    if (ns[i] > 0)
      members[used++] = Member{reinterpret_cast<const float *>(bs[i]),
                               reinterpret_cast<float *>(cs[i]), ns[i], 0,
                               ((overwrite >> i) & 1) != 0};
  groupGemm(reinterpret_cast<const float *>(a), m, k, members, used);
}

/// C[M, N] += A[M, K] * op(B), op(B) = B[K, N] or, with transB, B[N, K]^T.
/// All matrices are dense row-major.
void txc_sgemm(intptr_t a, intptr_t b, intptr_t c, int64_t m, int64_t n,
               int64_t k, int32_t transB) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
              static_cast<blasint>(m), static_cast<blasint>(n),
              static_cast<blasint>(k), 1.0f,
              reinterpret_cast<const float *>(a), static_cast<blasint>(k),
              reinterpret_cast<const float *>(b),
              static_cast<blasint>(transB ? k : n), 1.0f,
              reinterpret_cast<float *>(c), static_cast<blasint>(n));
}

/// Called by the runtime (txrt_set_num_threads) when present.
void txc_model_set_num_threads(int threads) {
  if (threads <= 0)
    return;
  openblas_set_num_threads(threads);
  txc::kernels::setNumThreads(threads);
}
}
