//===- Npy.h - read and write NumPy .npy files ------------------*- C++ -*-===//
//
// The array files txc-run reads inputs from and writes outputs to. Only what
// a model's tensors need is supported: format versions 1.0 and 2.0,
// little-endian, C order, and the dtypes listed by npySupportedDTypes().
//
//===----------------------------------------------------------------------===//

#ifndef TXC_SUPPORT_NPY_H
#define TXC_SUPPORT_NPY_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <memory>
#include <string>

namespace txc {

/// An array read from a .npy file.
struct NpyArray {
  /// The dtype in canonical form: "<f4", "<f8", "<f2", "<i8", "<i4", "<i2",
  /// "<u2", "|i1", "|u1" or "|b1".
  std::string dtype;
  llvm::SmallVector<int64_t> shape;
  /// The elements, dense row-major, aligned at least to their size.
  llvm::ArrayRef<char> data;
  /// Owns `data`.
  std::unique_ptr<llvm::MemoryBuffer> buffer;
};

/// Bytes per element of a canonical dtype, or 0 when it is not supported.
unsigned npyDTypeSize(llvm::StringRef dtype);

/// The supported dtypes, comma-separated, for messages.
llvm::StringRef npySupportedDTypes();

/// Reads `path`. Errors name the file and say what is wrong: not a .npy file,
/// an unsupported version, Fortran order, big-endian or unsupported dtype,
/// a malformed header, or data shorter or longer than the shape needs.
llvm::Expected<NpyArray> readNpy(llvm::StringRef path);

/// Writes `data` as a .npy file of `dtype` (canonical form) and `shape`,
/// version 1.0 (2.0 when the header needs it). `data` must hold exactly the
/// bytes the shape needs.
llvm::Error writeNpy(llvm::StringRef path, llvm::StringRef dtype,
                     llvm::ArrayRef<int64_t> shape, llvm::ArrayRef<char> data);

} // namespace txc

#endif // TXC_SUPPORT_NPY_H
