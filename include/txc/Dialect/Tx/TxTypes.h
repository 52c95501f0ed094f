//===- TxTypes.h - tx enums, attributes and types ---------------*- C++ -*-===//

#ifndef TXC_DIALECT_TX_TXTYPES_H
#define TXC_DIALECT_TX_TXTYPES_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/Types.h"

#include "txc/Dialect/Tx/TxEnums.h.inc"

#include <optional>

namespace txc::tx {
/// The layout of a GGUF block format of !tx.qweight: ggml's type number,
/// values per block and bytes per block.
struct BlockLayout {
  uint32_t ggmlType;
  int64_t values, bytes;
};
/// The layout of `kind`, or nullopt when it is not a block format.
std::optional<BlockLayout> blockLayout(QuantKind kind);
/// The block format stored as ggml type `ggmlType`, if txc has one.
std::optional<QuantKind> quantKindForGGMLType(uint32_t ggmlType);
} // namespace txc::tx

#define GET_ATTRDEF_CLASSES
#include "txc/Dialect/Tx/TxAttrs.h.inc"

#define GET_TYPEDEF_CLASSES
#include "txc/Dialect/Tx/TxTypes.h.inc"

#endif // TXC_DIALECT_TX_TXTYPES_H
