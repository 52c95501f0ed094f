//===- Gemm.h - GEMM kernels linked into compiled models --------*- C++ -*-===//
//
// The C entry points compiled models and the runtime call, and a test hook
// that forces one instruction set.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_RUNTIME_KERNELS_CPU_GEMM_H
#define TXC_RUNTIME_KERNELS_CPU_GEMM_H

#include <cstdint>

namespace txc::kernels {

/// Columns per panel of a packed GEMM weight.
constexpr int64_t kGemmPanel = 32;

enum class GemmIsa { Auto, Avx512, Avx2, Scalar };
/// Forces the micro-kernels of one instruction set (tests); Auto picks the
/// best the CPU supports.
void setGemmIsa(GemmIsa isa);

} // namespace txc::kernels

extern "C" {
/// Floats a packed copy of op(B) (N columns, K rows) takes.
int64_t txc_gemm_packed_size(int64_t n, int64_t k);
/// Packs op(B) = B[K, N] or, with transB, B[N, K]^T into `packed`.
void txc_gemm_pack_b(const float *b, float *packed, int64_t n, int64_t k,
                     int32_t transB);
/// C[M, N] += A[M, K] * op(B) with op(B) packed by txc_gemm_pack_b; with
/// `overwrite`, C = A * op(B) (C's old contents are ignored).
void txc_sgemm_packed(intptr_t a, intptr_t packed, intptr_t c, int64_t m,
                      int64_t n, int64_t k, int32_t overwrite);
/// C_i[M, n_i] += A[M, K] * op(B_i) for the first `count` (<= 4) members,
/// each B_i packed by txc_gemm_pack_b: one pass over A for products that
/// share it (the query, key and value projections), the threads splitting
/// the panels of all of them. Bit i of `overwrite` makes member i
/// C_i = A * op(B_i).
void txc_sgemm_packed_group(intptr_t a, int64_t m, int64_t k, int64_t count,
                            int64_t overwrite, intptr_t b0, intptr_t c0,
                            int64_t n0, intptr_t b1, intptr_t c1, int64_t n1,
                            intptr_t b2, intptr_t c2, int64_t n2, intptr_t b3,
                            intptr_t c3, int64_t n3);
/// C[M, N] += A[M, K] * op(B), any dense row-major operands.
void txc_sgemm(intptr_t a, intptr_t b, intptr_t c, int64_t m, int64_t n,
               int64_t k, int32_t transB);
void txc_model_set_num_threads(int threads);
}

#endif // TXC_RUNTIME_KERNELS_CPU_GEMM_H
