//===- Quant.h - matrix products on quantized weights -----------*- C++ -*-===//
//
// Kernels linked into compiled models for weights kept in the block formats
// of GGUF files or in the planar formats of tx-quantize (at the end of this
// file; docs/backend-cpu.md, "Quantized weights"). A block-format weight
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
/// The activation rounding of the integer paths (Quant.cpp, "Numerics")
/// with the current instruction set, for the tests: the m rows of x (k
/// values each, k a multiple of 32) to int8 codes q[m * k], and for each
/// 32-value unit u its scale d[u] and the integer sums of its two halves
/// sums[2u], sums[2u + 1].
void roundActivations(const float *x, int64_t m, int64_t k, int8_t *q, float *d,
                      int32_t *sums);

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

//===----------------------------------------------------------------------===//
// Planar formats (what tx-quantize writes; docs/backend-cpu.md)
//===----------------------------------------------------------------------===//
//
// A weight W[N, K] kept as three arrays, as `tx.qpack` holds it:
//  * codes: row-major [N, K] codes of `codeKind`, sub-byte codes packed
//    little-end first (value i of the tensor in bits (i * bits) % 8 of byte
//    i * bits / 8), so row n starts at byte n * K * bits / 8 (the compiler
//    guarantees K * bits is a multiple of 8; otherwise the kernels take the
//    slow generic path, which reads codes by bit position);
//  * scales: [N, G] of `scaleKind`, G = ceil(K / group): value i of row n
//    uses scale [n, i / group] (the last group may be shorter);
//  * zeros: [N, G] unsigned bytes (the zero point z of each group), or 0
//    for the default zero point of the integer kinds (0 for float kinds).
// Dequantization: integer kinds w = (q - z) * s * tensorScale with q the
// unsigned code; float kinds w = value(q) * s * tensorScale.

/// Code kinds of the planar formats.
enum {
  TXC_QCODE_INT8 = 0,     ///< u8, default zero point 128
  TXC_QCODE_INT4 = 1,     ///< u4, two per byte, default zero point 8
  TXC_QCODE_INT2 = 2,     ///< u2, four per byte, default zero point 2
  TXC_QCODE_FP8_E4M3 = 3, ///< OCP fp8 e4m3 (fn: no infinities, 0x7f NaN)
  TXC_QCODE_FP4_E2M1 = 4, ///< OCP fp4 e2m1, two per byte
};
/// Scale kinds of the planar formats.
enum {
  TXC_QSCALE_F32 = 0,
  TXC_QSCALE_F16 = 1,
  TXC_QSCALE_BF16 = 2,
  TXC_QSCALE_F8_E4M3 = 3, ///< NVFP4's block scales
  TXC_QSCALE_F8_E8M0 = 4, ///< MXFP4's power-of-two scales: 2^(e - 127)
};
/// Whether the planar kernels handle (codeKind, scaleKind) (1) or not (0):
/// the integer codes take f32, f16 and bf16 scales, the float codes also
/// the fp8 scale kinds.
int32_t txc_qplanar_supported(int32_t codeKind, int32_t scaleKind);
/// Y[M, N] = X[M, K] * W^T with W planar as above; X and Y dense row-major
/// f32. Any K >= 1 and group >= 1; the fast paths need group a multiple of
/// 32, group == 16, or group >= K, and use the activations rounded to int8
/// per 32 values as txc_qmatmul does (integer and fp4 codes; fp8 multiplies
/// in f32). Weights must not hold the fp8 NaN code (the fast path reads it
/// as 480). An unsupported kind pair, K < 0 or group < 1 gives Y = NaN.
void txc_qmatmul_planar(int32_t codeKind, int32_t scaleKind, intptr_t x,
                        intptr_t codes, intptr_t scales, intptr_t zeros,
                        float tensorScale, intptr_t y, int64_t m, int64_t n,
                        int64_t k, int64_t group);
/// Y_i[M, n_i] = X[M, K] * W_i^T for the first `count` (1 to 4) members,
/// planar weights of one code kind, scale kind and group, each with its
/// own codes, scales, zeros (0: default), tensor scale, Y_i and n_i: the
/// products that share their input (query, key and value; gate and up) as
/// one call, which rounds X once and lets the threads split the rows of all
/// members as one range. Each Y_i equals what txc_qmatmul_planar gives for
/// that member, bit for bit (txc_qmatmul_planar is this with count 1).
void txc_qmatmul_planar_group(int32_t codeKind, int32_t scaleKind,
                              int64_t group, intptr_t x, int64_t m, int64_t k,
                              int64_t count, intptr_t codes0, intptr_t scales0,
                              intptr_t zeros0, float tensorScale0, intptr_t y0,
                              int64_t n0, intptr_t codes1, intptr_t scales1,
                              intptr_t zeros1, float tensorScale1, intptr_t y1,
                              int64_t n1, intptr_t codes2, intptr_t scales2,
                              intptr_t zeros2, float tensorScale2, intptr_t y2,
                              int64_t n2, intptr_t codes3, intptr_t scales3,
                              intptr_t zeros3, float tensorScale3, intptr_t y3,
                              int64_t n3);
/// Dequantizes row `row` of a planar weight into dst[0, k) (the reference;
/// fp8 NaN codes and the e8m0 scale 255 give NaN; an unsupported kind pair
/// or group < 1 fills dst with NaN).
void txc_qplanar_dequantize_row(int32_t codeKind, int32_t scaleKind,
                                const void *codes, const void *scales,
                                const void *zeros, float tensorScale,
                                int64_t row, int64_t k, int64_t group,
                                float *dst);
}

#endif // TXC_RUNTIME_KERNELS_CPU_QUANT_H
