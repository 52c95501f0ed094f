//===- Quant.h - matrix products on ggml block-quantized weights -*- C++ -*-===//
//
// Kernels linked into compiled models for weights kept in the block formats
// of GGUF files (docs/backend-cpu.md, "Quantized weights"). A weight
// W[N, K] is N rows, each K values stored as K / blockValues consecutive
// blocks of the format (ggml's layout, byte for byte as in the file), rows
// back to back (row stride txc_qrow_bytes(type, K)). Types are ggml's
// numbers (txc::GGMLType in include/txc/Support/GGUF.h): F32 0, F16 1,
// Q4_0 2, Q4_1 3, Q5_0 6, Q5_1 7, Q8_0 8, Q4_K 12, Q5_K 13, Q6_K 14, BF16 30.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_RUNTIME_KERNELS_CPU_QUANT_H
#define TXC_RUNTIME_KERNELS_CPU_QUANT_H

#include <cstdint>

namespace txc::kernels {

enum class QuantIsa { Auto, Avx512, Avx2, Scalar };
/// Forces the code paths of one instruction set (tests, benchmarks); Auto
/// picks the best the CPU supports. Asking for one the CPU lacks falls back
/// to the next lower.
void setQuantIsa(QuantIsa isa);
/// The instruction set the kernels use now ("avx512-vnni", "avx512",
/// "avx2", "scalar").
const char *quantIsaName();

} // namespace txc::kernels

extern "C" {
/// Whether the kernels handle ggml type `type` (1) or not (0).
int32_t txc_qtype_supported(int32_t type);
/// Values per block of `type` (32 or 256; 1 for F32/F16/BF16).
int64_t txc_qblock_values(int32_t type);
/// Bytes of one row of `k` values of `type` (`k` a multiple of the block).
int64_t txc_qrow_bytes(int32_t type, int64_t k);
/// Y[M, N] = X[M, K] * W^T with W as above; X and Y dense row-major f32.
/// Threads split N (and M for large M) on the kernels' OpenMP threads.
void txc_qmatmul(int32_t type, intptr_t x, intptr_t w, intptr_t y, int64_t m,
                 int64_t n, int64_t k);
/// out[i, :] = row ids[i] of the table W[rows, K] dequantized to f32, for i
/// in [0, count); an id outside [0, rows) gives a row of zeros.
void txc_qembed(int32_t type, intptr_t table, int64_t rows, int64_t k,
                intptr_t ids, int64_t count, intptr_t out);
/// Dequantizes one row of `k` values (the reference the tests compare with).
void txc_qdequantize_row(int32_t type, const void *src, float *dst, int64_t k);
}

#endif // TXC_RUNTIME_KERNELS_CPU_QUANT_H
