//===- HostTensor.cpp - tensors held in host memory by the importer -------===//
//
// Element access with conversions between the stored element type and
// double / int64, and the 16-bit and 8-bit float encodings.
//
//===----------------------------------------------------------------------===//

#include "HostTensor.h"

#include "llvm/ADT/bit.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>
#include <cstring>
#include <limits>

using llvm::ArrayRef;
using llvm::SmallVector;
using llvm::StringRef;

namespace txc::onnx_import {

unsigned dtypeSize(DType t) {
  switch (t) {
  // 4-bit values are held unpacked, one per byte (ONNX packs them in files).
  case DType::U4:
  case DType::I4:
  case DType::Bool:
  case DType::U8:
  case DType::I8:
  case DType::F8E4M3FN:
    return 1;
  case DType::U16:
  case DType::I16:
  case DType::F16:
  case DType::BF16:
    return 2;
  case DType::F32:
  case DType::I32:
  case DType::U32:
    return 4;
  case DType::F64:
  case DType::I64:
  case DType::U64:
    return 8;
  default:
    return 0;
  }
}

StringRef dtypeName(DType t) {
  switch (t) {
  case DType::Undefined:
    return "undefined";
  case DType::F32:
    return "float";
  case DType::U8:
    return "uint8";
  case DType::I8:
    return "int8";
  case DType::U16:
    return "uint16";
  case DType::I16:
    return "int16";
  case DType::I32:
    return "int32";
  case DType::I64:
    return "int64";
  case DType::String:
    return "string";
  case DType::Bool:
    return "bool";
  case DType::F16:
    return "float16";
  case DType::F64:
    return "double";
  case DType::U32:
    return "uint32";
  case DType::U64:
    return "uint64";
  case DType::BF16:
    return "bfloat16";
  case DType::F8E4M3FN:
    return "float8e4m3fn";
  case DType::U4:
    return "uint4";
  case DType::I4:
    return "int4";
  }
  return "unknown";
}

bool isFloat(DType t) {
  return t == DType::F32 || t == DType::F64 || t == DType::F16 ||
         t == DType::BF16 || t == DType::F8E4M3FN;
}

bool isUnsigned(DType t) {
  return t == DType::U8 || t == DType::U16 || t == DType::U32 ||
         t == DType::U64 || t == DType::U4;
}

bool isInteger(DType t) {
  return isUnsigned(t) || t == DType::I8 || t == DType::I16 ||
         t == DType::I32 || t == DType::I64 || t == DType::I4;
}

std::optional<DType> dtypeFromONNX(int32_t value) {
  switch (value) {
  case 1:
  case 2:
  case 3:
  case 4:
  case 5:
  case 6:
  case 7:
  case 8:
  case 9:
  case 10:
  case 11:
  case 12:
  case 13:
  case 16:
  case 17:
  case 21:
  case 22:
    return static_cast<DType>(value);
  default:
    return std::nullopt;
  }
}

//===----------------------------------------------------------------------===//
// Float encodings
//===----------------------------------------------------------------------===//

float halfToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  if (exp == 0) {
    float mag = std::ldexp(static_cast<float>(mant), -24);
    return sign ? -mag : mag;
  }
  if (exp == 0x1f)
    return llvm::bit_cast<float>(sign | 0x7f800000u | (mant << 13));
  return llvm::bit_cast<float>(sign | ((exp + 112) << 23) | (mant << 13));
}

uint16_t floatToHalf(float f) {
  uint32_t x = llvm::bit_cast<uint32_t>(f);
  uint16_t sign = (x >> 16) & 0x8000;
  uint32_t ax = x & 0x7fffffff;
  if (ax > 0x7f800000) // NaN: keep it quiet.
    return sign | 0x7e00;
  if (ax >= 0x477ff000) // >= 65520 rounds to infinity.
    return sign | 0x7c00;
  if (ax < 0x38800000) { // Below 2^-14: subnormal, in units of 2^-24.
    float units = std::nearbyint(llvm::bit_cast<float>(ax) * 16777216.0f);
    return sign | static_cast<uint16_t>(units);
  }
  uint32_t h = (((ax >> 23) - 112) << 10) | ((ax >> 13) & 0x3ff);
  uint32_t rest = ax & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (h & 1)))
    ++h; // A carry into the exponent is the correct rounding.
  return sign | static_cast<uint16_t>(h);
}

float bf16ToFloat(uint16_t h) {
  return llvm::bit_cast<float>(static_cast<uint32_t>(h) << 16);
}

uint16_t floatToBF16(float f) {
  uint32_t x = llvm::bit_cast<uint32_t>(f);
  if ((x & 0x7fffffff) > 0x7f800000)
    return static_cast<uint16_t>((x >> 16) | 0x40);
  x += 0x7fff + ((x >> 16) & 1);
  return static_cast<uint16_t>(x >> 16);
}

/// float8 e4m3fn: bias 7, no infinities, 0x7f / 0xff are NaN, max 448.
static double f8e4m3fnToDouble(uint8_t v) {
  unsigned exp = (v >> 3) & 0xf, mant = v & 7;
  if (exp == 0xf && mant == 7)
    return std::numeric_limits<double>::quiet_NaN();
  double mag = exp == 0 ? std::ldexp(double(mant), -9)
                        : std::ldexp(double(8 + mant), int(exp) - 10);
  return (v & 0x80) ? -mag : mag;
}

/// Round-to-nearest-even encoding, saturating to +-448 (ONNX's default).
static uint8_t doubleToF8E4M3FN(double d) {
  if (std::isnan(d))
    return 0x7f;
  uint8_t sign = std::signbit(d) ? 0x80 : 0;
  double a = std::fabs(d);
  if (a >= 448)
    return sign | 0x7e;
  // Largest code whose value is <= a, by bisection over the monotonic codes.
  unsigned lo = 0, hi = 0x7e;
  while (lo < hi) {
    unsigned mid = (lo + hi + 1) / 2;
    if (f8e4m3fnToDouble(mid) <= a)
      lo = mid;
    else
      hi = mid - 1;
  }
  double below = a - f8e4m3fnToDouble(lo);
  double above = f8e4m3fnToDouble(lo + 1) - a;
  if (above < below || (above == below && (lo & 1)))
    ++lo;
  return sign | static_cast<uint8_t>(lo);
}

//===----------------------------------------------------------------------===//
// HostTensor
//===----------------------------------------------------------------------===//

int64_t product(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    if (llvm::MulOverflow(n, d, n))
      return std::numeric_limits<int64_t>::max();
  return n;
}

SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

HostTensor::HostTensor(DType dtype, ArrayRef<int64_t> shape)
    : dtype(dtype), shape(shape.begin(), shape.end()) {
  int64_t n = numElements();
  if (n > 0)
    bytes.assign(static_cast<size_t>(n) * dtypeSize(dtype), 0);
}

int64_t HostTensor::numElements() const { return product(shape); }

template <typename T> static T load(const std::vector<char> &bytes, int64_t i) {
  T v;
  std::memcpy(&v, bytes.data() + i * sizeof(T), sizeof(T));
  return v;
}

template <typename T>
static void storeRaw(std::vector<char> &bytes, int64_t i, T v) {
  std::memcpy(bytes.data() + i * sizeof(T), &v, sizeof(T));
}

/// Truncates toward zero, saturating to the int64 range (NaN gives 0).
static int64_t truncToInt64(double v) {
  if (std::isnan(v))
    return 0;
  if (v >= 9223372036854775808.0)
    return std::numeric_limits<int64_t>::max();
  if (v < -9223372036854775808.0)
    return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(v);
}

double HostTensor::getDouble(int64_t i) const {
  switch (dtype) {
  case DType::F32:
    return load<float>(bytes, i);
  case DType::F64:
    return load<double>(bytes, i);
  case DType::F16:
    return halfToFloat(load<uint16_t>(bytes, i));
  case DType::BF16:
    return bf16ToFloat(load<uint16_t>(bytes, i));
  case DType::F8E4M3FN:
    return f8e4m3fnToDouble(load<uint8_t>(bytes, i));
  case DType::U64:
    return static_cast<double>(load<uint64_t>(bytes, i));
  default:
    return static_cast<double>(getInt(i));
  }
}

int64_t HostTensor::getInt(int64_t i) const {
  switch (dtype) {
  case DType::Bool:
    return load<uint8_t>(bytes, i) != 0;
  case DType::U8:
    return load<uint8_t>(bytes, i);
  case DType::U4:
    return load<uint8_t>(bytes, i) & 0xf;
  case DType::I4:
    // Sign-extend the low nibble.
    return static_cast<int8_t>(load<uint8_t>(bytes, i) << 4) >> 4;
  case DType::I8:
    return load<int8_t>(bytes, i);
  case DType::U16:
    return load<uint16_t>(bytes, i);
  case DType::I16:
    return load<int16_t>(bytes, i);
  case DType::U32:
    return load<uint32_t>(bytes, i);
  case DType::I32:
    return load<int32_t>(bytes, i);
  case DType::I64:
    return load<int64_t>(bytes, i);
  case DType::U64:
    return static_cast<int64_t>(load<uint64_t>(bytes, i));
  default:
    return isFloat(dtype) ? truncToInt64(getDouble(i)) : 0;
  }
}

void HostTensor::setDouble(int64_t i, double v) {
  switch (dtype) {
  case DType::F32:
    return storeRaw<float>(bytes, i, static_cast<float>(v));
  case DType::F64:
    return storeRaw<double>(bytes, i, v);
  case DType::F16:
    return storeRaw<uint16_t>(bytes, i, floatToHalf(static_cast<float>(v)));
  case DType::BF16:
    return storeRaw<uint16_t>(bytes, i, floatToBF16(static_cast<float>(v)));
  case DType::F8E4M3FN:
    return storeRaw<uint8_t>(bytes, i, doubleToF8E4M3FN(v));
  case DType::Bool:
    return storeRaw<uint8_t>(bytes, i, v != 0);
  case DType::U64:
    if (v >= 9223372036854775808.0) {
      uint64_t u = v >= 18446744073709551616.0
                       ? std::numeric_limits<uint64_t>::max()
                       : static_cast<uint64_t>(v);
      return storeRaw<uint64_t>(bytes, i, u);
    }
    return setInt(i, truncToInt64(v));
  default:
    return setInt(i, truncToInt64(v));
  }
}

void HostTensor::setInt(int64_t i, int64_t v) {
  switch (dtype) {
  case DType::Bool:
    return storeRaw<uint8_t>(bytes, i, v != 0);
  case DType::U8:
    return storeRaw<uint8_t>(bytes, i, static_cast<uint8_t>(v));
  case DType::U4:
  case DType::I4:
    return storeRaw<uint8_t>(bytes, i, static_cast<uint8_t>(v & 0xf));
  case DType::I8:
    return storeRaw<int8_t>(bytes, i, static_cast<int8_t>(v));
  case DType::U16:
    return storeRaw<uint16_t>(bytes, i, static_cast<uint16_t>(v));
  case DType::I16:
    return storeRaw<int16_t>(bytes, i, static_cast<int16_t>(v));
  case DType::U32:
    return storeRaw<uint32_t>(bytes, i, static_cast<uint32_t>(v));
  case DType::I32:
    return storeRaw<int32_t>(bytes, i, static_cast<int32_t>(v));
  case DType::I64:
    return storeRaw<int64_t>(bytes, i, v);
  case DType::U64:
    return storeRaw<uint64_t>(bytes, i, static_cast<uint64_t>(v));
  default:
    if (isFloat(dtype))
      setDouble(i, static_cast<double>(v));
    return;
  }
}

std::vector<int64_t> HostTensor::toInts() const {
  std::vector<int64_t> out;
  int64_t n = numElements();
  out.reserve(n);
  for (int64_t i = 0; i < n; ++i)
    out.push_back(getInt(i));
  return out;
}

HostTensor HostTensor::scalarInt(DType dtype, int64_t v) {
  HostTensor t(dtype, {});
  t.setInt(0, v);
  return t;
}

HostTensor HostTensor::scalarDouble(DType dtype, double v) {
  HostTensor t(dtype, {});
  t.setDouble(0, v);
  return t;
}

HostTensor HostTensor::fromInts(ArrayRef<int64_t> values) {
  HostTensor t(DType::I64, {static_cast<int64_t>(values.size())});
  for (size_t i = 0; i < values.size(); ++i)
    t.setInt(i, values[i]);
  return t;
}

bool HostTensor::isSplat() const {
  size_t size = dtypeSize(dtype);
  int64_t n = numElements();
  if (n <= 0 || size == 0 || bytes.size() != static_cast<size_t>(n) * size)
    return false;
  for (int64_t i = 1; i < n; ++i)
    if (std::memcmp(bytes.data(), bytes.data() + i * size, size) != 0)
      return false;
  return true;
}

} // namespace txc::onnx_import
