//===- TxDialect.h - the tx dialect -----------------------------*- C++ -*-===//
//
// Declares the tx dialect. Include TxOps.h for ops, types and attributes.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_DIALECT_TX_TXDIALECT_H
#define TXC_DIALECT_TX_TXDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Dialect.h"
#include "txc/Dialect/Tx/WeightStore.h"

#include "txc/Dialect/Tx/TxDialect.h.inc"

#endif // TXC_DIALECT_TX_TXDIALECT_H
