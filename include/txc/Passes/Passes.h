//===- Passes.h - tx passes and their registration --------------*- C++ -*-===//

#ifndef TXC_PASSES_PASSES_H
#define TXC_PASSES_PASSES_H

#include "mlir/Pass/Pass.h"
#include "txc/Dialect/Tx/TxDialect.h"

namespace txc {

#define GEN_PASS_DECL
#include "txc/Passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "txc/Passes/Passes.h.inc"

/// Layer indices kept by unified layer skipping for `numLayers` layers at
/// speed-up ratio `speedup` (>= 1), in increasing order. Exposed for tests.
llvm::SmallVector<int64_t> computeKeptLayers(int64_t numLayers, double speedup);

/// The share of tokens tx-mod-prune's layer at stack position `pos` of
/// `layers` keeps: `capacity` from position `from` on (schedule
/// "constant"), or p-MoD's shifted cosine around it, clipped below at
/// `rMin` (schedule "pmod"); nullopt for a layer left dense.
std::optional<double> modRatio(int64_t pos, int64_t layers, double capacity,
                               llvm::StringRef schedule, double rMax,
                               double rMin, int64_t from);

/// The name of the stored weight the tx.linear or tx.qlinear `linear`
/// multiplies by (a tx.weight, or the tx.weight a tx.qblocks or tx.qpack is
/// built from, looking through tx.layer arguments), or "" when the weight is
/// computed. tx-quantize names its new tensors and finds calibration
/// statistics by it.
std::string storedWeightName(mlir::Operation *linear);

} // namespace txc

#endif // TXC_PASSES_PASSES_H
