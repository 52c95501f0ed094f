//===- Quantize.h - round-to-nearest weight quantizers -----------*- C++ -*-===//
//
// The quantizers behind tx-quantize (docs/quantization.md): a [N, K] f32
// weight in, the planar codes, scales and zero points of one format out,
// as the kernels (txc_qmatmul_planar) and `tx.qpack` read them. Every
// format's rules are written out in docs/quantization.md; the NumPy
// reference in test/Passes/Inputs/rtn_reference.py implements the same
// rules independently and the lit tests compare the two bit for bit.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_SUPPORT_QUANTIZE_H
#define TXC_SUPPORT_QUANTIZE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace txc::quant {

/// The formats of `txc --quantize`.
enum class Format { F32, F16, BF16, Int8, Int4, Int2, FP8, NVFP4, MXFP4 };

/// "int4" -> Format::Int4, ...; nullopt for an unknown name.
std::optional<Format> parseFormat(llvm::StringRef name);
/// The --quantize spelling of `format`.
llvm::StringRef formatName(Format format);
/// The accepted names, for diagnostics ("f32, f16, ...").
std::string formatNames();
/// Bits of one code (32 for f32, 16 for f16/bf16).
unsigned codeBits(Format format);
/// Whether `format` is a planar format (codes + scales: int*, fp8, *fp4).
bool isPlanar(Format format);

/// How one weight is quantized.
struct Scheme {
  Format format = Format::Int4;
  /// Values per scale along K; 0 or >= K: one scale per output row.
  /// NVFP4 and MXFP4 have fixed groups (16, 32).
  int64_t group = 32;
  /// Integer formats: symmetric (default zero point 2^(bits-1)) or with a
  /// zero point per group.
  bool symmetric = true;
};

/// The group a scheme really uses for a row of `k` values.
int64_t effectiveGroup(const Scheme &scheme, int64_t k);

/// Element types of the stored arrays, as safetensors names them.
struct PlanarLayout {
  /// "I8" (int8), "U8" (packed int4, int2, fp4), "F8_E4M3" (fp8).
  const char *codeDType;
  /// "F16" (integer formats), "F32" (fp8), "F8_E4M3" (NVFP4), "F8_E8M0"
  /// (MXFP4).
  const char *scaleDType;
};
PlanarLayout planarLayout(Format format);

/// A quantized [N, K] weight. `codes` holds N rows of K codes packed
/// little-end first (K * bits / 8 bytes per row), `scales` N * G scales of
/// the layout's scale type (G = ceil(K / group)), `zeros` N * G unsigned
/// zero points (empty when symmetric), `tensorScale` the scale every value
/// is multiplied by (NVFP4; 1 otherwise). For F16/BF16, `codes` holds the
/// N * K half values and there are no scales.
struct Quantized {
  std::vector<uint8_t> codes, scales, zeros;
  float tensorScale = 1.0f;
  int64_t group = 0;
};

/// Round-to-nearest quantization of `w` ([n, k] row-major) in `scheme`.
/// Requires k * codeBits % 8 == 0 (checked by the caller).
Quantized quantizeRTN(const float *w, int64_t n, int64_t k,
                      const Scheme &scheme);

/// Activation-aware scaling (AWQ-style; docs/quantization.md): searches
/// `alpha` in 0, 0.05, .., 1 for per-input-channel scales s_j =
/// absMean_j^alpha (normalized so that max * min = 1) minimizing
/// sum_j sqMean_j * sum_n (W_nj - Q(W diag(s))_nj / s_j)^2 -- the expected
/// output error when input channels are uncorrelated, with absMean and
/// sqMean the calibration text's mean |x_j| and x_j^2 -- and returns
/// Q(W diag(s)); `inverseScale` gets 1 / s (what the inputs are multiplied
/// by). alpha = 0 is RTN, so the result is never worse than RTN on that
/// error. `report` (optional) gets the chosen alpha and the errors of RTN
/// and of the result.
struct AWQReport {
  double alpha = 0, rtnError = 0, error = 0;
};
Quantized quantizeAWQ(const float *w, int64_t n, int64_t k,
                      const Scheme &scheme, llvm::ArrayRef<float> absMean,
                      llvm::ArrayRef<float> sqMean,
                      std::vector<float> &inverseScale,
                      AWQReport *report = nullptr);

/// The N * K values `q` stands for (what the kernels multiply with).
std::vector<float> dequantize(const Quantized &q, Format format, int64_t n,
                              int64_t k);

/// Scalar conversions, round to nearest even (exposed for the tests).
uint16_t floatToHalf(float v);
float halfToFloat(uint16_t h);
uint16_t floatToBF16(float v);
float bf16ToFloat(uint16_t h);
/// OCP fp8 e4m3 (saturating at +-448; NaN to 0x7f).
uint8_t floatToE4M3(float v);
float e4m3ToFloat(uint8_t code);
/// OCP fp4 e2m1 code (sign in bit 3), saturating at +-6.
uint8_t floatToE2M1(float v);
float e2m1ToFloat(uint8_t code);

} // namespace txc::quant

#endif // TXC_SUPPORT_QUANTIZE_H
