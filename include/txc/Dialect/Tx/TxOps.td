//===- TxOps.td - all tx ops, grouped by family ------------*- tablegen -*-===//

#ifndef TXC_DIALECT_TX_TXOPS_TD
#define TXC_DIALECT_TX_TXOPS_TD

include "txc/Dialect/Tx/TxCoreOps.td"
include "txc/Dialect/Tx/TxAttentionOps.td"
include "txc/Dialect/Tx/TxKVCacheOps.td"
include "txc/Dialect/Tx/TxTreeOps.td"
include "txc/Dialect/Tx/TxRoutingOps.td"
include "txc/Dialect/Tx/TxSparseOps.td"
include "txc/Dialect/Tx/TxQuantOps.td"

#endif // TXC_DIALECT_TX_TXOPS_TD
