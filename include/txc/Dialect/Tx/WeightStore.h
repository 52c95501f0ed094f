//===- WeightStore.h - weight data for passes that rewrite weights -*- C++ -*-===//
//
// `tx.weight` ops name tensors whose data lives outside the IR. A pass that
// computes new weights from old ones (tx-quantize) reads and adds tensors
// through the WeightStore attached to the context: the compiler attaches
// the store its importer fills (so nothing goes through disk between
// stages); without one, such a pass opens the module's `tx.weights` file
// itself (openModuleWeightStore). Tensors are seen as a safetensors file
// holds them: a safetensors dtype name, the stored shape (sub-byte types
// packed along the last dimension) and the bytes.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_DIALECT_TX_WEIGHTSTORE_H
#define TXC_DIALECT_TX_WEIGHTSTORE_H

#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>

namespace txc::tx {

/// One stored tensor; `bytes` stays valid as long as the store.
struct StoredTensor {
  std::string dtype;
  llvm::SmallVector<int64_t> shape;
  llvm::ArrayRef<char> bytes;
};

class WeightStore {
public:
  virtual ~WeightStore();
  /// The tensor `name`, or an error naming it.
  virtual llvm::Expected<StoredTensor> lookup(llvm::StringRef name) = 0;
  /// Whether a tensor `name` exists.
  virtual bool contains(llvm::StringRef name) = 0;
  /// Adds a tensor (the bytes are copied). Adding a name that exists is an
  /// error.
  virtual llvm::Error add(llvm::StringRef name, llvm::StringRef dtype,
                          llvm::ArrayRef<int64_t> shape,
                          llvm::ArrayRef<char> bytes) = 0;
};

/// Attaches `store` to `context` (null detaches).
void setWeightStore(mlir::MLIRContext *context,
                    std::shared_ptr<WeightStore> store);
/// The store attached to `context`, or null.
std::shared_ptr<WeightStore> getWeightStore(mlir::MLIRContext *context);

} // namespace txc::tx

#endif // TXC_DIALECT_TX_WEIGHTSTORE_H
