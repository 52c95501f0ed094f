//===- HostTensor.h - tensors held in host memory by the importer -*- C++ -*-===//
//
// The ONNX importer keeps initializers and constant-folded values as
// HostTensors: an element type, a shape and the bytes in row-major order
// (little-endian, one byte per bool). Shape-computation subgraphs are
// evaluated on them (HostEval.h) so that they never reach the IR.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_LIB_FRONTEND_ONNX_HOSTTENSOR_H
#define TXC_LIB_FRONTEND_ONNX_HOSTTENSOR_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace txc::onnx_import {

/// Element types, numbered as ONNX's TensorProto.DataType.
enum class DType : int32_t {
  Undefined = 0,
  F32 = 1,
  U8 = 2,
  I8 = 3,
  U16 = 4,
  I16 = 5,
  I32 = 6,
  I64 = 7,
  String = 8,
  Bool = 9,
  F16 = 10,
  F64 = 11,
  U32 = 12,
  U64 = 13,
  BF16 = 16,
  F8E4M3FN = 17,
  U4 = 21,
  I4 = 22,
};

/// Bytes per element (0 for types the importer does not hold in memory).
unsigned dtypeSize(DType t);
/// ONNX's name for the type ("float", "int64", ...).
llvm::StringRef dtypeName(DType t);
bool isFloat(DType t);
bool isInteger(DType t); // signed or unsigned, not bool
bool isUnsigned(DType t);
/// Maps an ONNX TensorProto.DataType number; nullopt if unknown.
std::optional<DType> dtypeFromONNX(int32_t value);

struct HostTensor {
  DType dtype = DType::Undefined;
  llvm::SmallVector<int64_t> shape;
  std::vector<char> bytes;

  HostTensor() = default;
  /// Zero-filled tensor.
  HostTensor(DType dtype, llvm::ArrayRef<int64_t> shape);

  int64_t numElements() const;
  int64_t rank() const { return shape.size(); }
  bool isScalar() const { return shape.empty(); }

  /// Element `i` (row-major) converted to double / int64 (floats truncate
  /// toward zero; bool is 0 or 1).
  double getDouble(int64_t i) const;
  int64_t getInt(int64_t i) const;
  /// Stores `v` into element `i`, converting to the element type (floats to
  /// integers truncate; to bool: v != 0).
  void setDouble(int64_t i, double v);
  void setInt(int64_t i, int64_t v);

  /// All elements as int64 (for shape vectors, axes, ...).
  std::vector<int64_t> toInts() const;

  /// Scalar or 1-element tensors.
  static HostTensor scalarInt(DType dtype, int64_t v);
  static HostTensor scalarDouble(DType dtype, double v);
  /// 1-D int64 tensor.
  static HostTensor fromInts(llvm::ArrayRef<int64_t> values);
  /// True when every element equals the first.
  bool isSplat() const;
};

/// Row-major strides of `shape`.
llvm::SmallVector<int64_t> stridesOf(llvm::ArrayRef<int64_t> shape);
/// Number of elements of `shape` (1 for a scalar).
int64_t product(llvm::ArrayRef<int64_t> shape);

/// fp16 / bf16 <-> float conversions.
float halfToFloat(uint16_t h);
uint16_t floatToHalf(float f);
float bf16ToFloat(uint16_t h);
uint16_t floatToBF16(float f);

} // namespace txc::onnx_import

#endif // TXC_LIB_FRONTEND_ONNX_HOSTTENSOR_H
