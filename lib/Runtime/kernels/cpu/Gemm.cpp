//===- Gemm.cpp - GEMM kernel linked into compiled models -----------------===//
//
// Compiled models call txc_sgemm for the matrix products of tx.linear (see
// the tx-matmul-to-kernels pass); it forwards to OpenBLAS, Debian's BLAS
// (docs/decisions.md says why). Pointers arrive as integers so that one
// symbol serves every shape.
//
//===----------------------------------------------------------------------===//

#include "Parallel.h"

#include <cblas.h>

#include <cstdint>

extern "C" {

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
