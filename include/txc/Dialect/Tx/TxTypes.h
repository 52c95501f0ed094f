//===- TxTypes.h - tx enums, attributes and types ---------------*- C++ -*-===//

#ifndef TXC_DIALECT_TX_TXTYPES_H
#define TXC_DIALECT_TX_TXTYPES_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/Types.h"

#include "txc/Dialect/Tx/TxEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "txc/Dialect/Tx/TxAttrs.h.inc"

#define GET_TYPEDEF_CLASSES
#include "txc/Dialect/Tx/TxTypes.h.inc"

#endif // TXC_DIALECT_TX_TXTYPES_H
