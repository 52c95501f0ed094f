//===- LayerSkip.cpp - static layer skipping (tx-layer-skip) --------------===//
//
// Unified Layer Skipping: drop a fixed, evenly spread subset of tx.layer
// regions chosen from a target speed-up ratio. See Passes.td for the rule.
//
//===----------------------------------------------------------------------===//

#include "txc/Dialect/Tx/TxOps.h"
#include "txc/Passes/Passes.h"
#include "txc/Support/Safetensors.h"

#include "LayerUtils.h"

#include <set>

#include <cmath>
#include <cstring>

namespace txc {
#define GEN_PASS_DEF_LAYERSKIPPASS
#include "txc/Passes/Passes.h.inc"
} // namespace txc

using namespace mlir;
using namespace txc;
using namespace txc::tx;

llvm::SmallVector<int64_t> txc::computeKeptLayers(int64_t numLayers,
                                                  double speedup) {
  llvm::SmallVector<int64_t> kept;
  if (numLayers <= 0)
    return kept;
  int64_t k = std::llround(static_cast<double>(numLayers) / speedup);
  k = std::clamp<int64_t>(k, 1, numLayers);
  if (k == 1) {
    kept.push_back(0);
    return kept;
  }
  double stride = static_cast<double>(numLayers - 1) / (k - 1);
  for (int64_t i = 0; i < k; ++i) {
    int64_t idx = std::llround(i * stride);
    if (kept.empty() || kept.back() != idx)
      kept.push_back(idx);
  }
  return kept;
}

namespace {

struct LayerSkipPass : public txc::impl::LayerSkipPassBase<LayerSkipPass> {
  using LayerSkipPassBase::LayerSkipPassBase;

  void runOnOperation() override {
    if (!(speedup >= 1.0) || !std::isfinite(speedup)) {
      getOperation()->emitError()
          << "tx-layer-skip: 'speedup' must be a finite number >= 1, got "
          << speedup.getValue();
      return signalPassFailure();
    }
    if (!skipLayers.empty() && speedup != 1.0) {
      getOperation()->emitError() << "tx-layer-skip: give either 'speedup' or "
                                     "'skip-layers', not both";
      return signalPassFailure();
    }
    // Calibrated ranking: only with a speed-up (the statistics file may
    // also serve other passes, so it is ignored otherwise).
    if (!calibration.empty() && speedup != 1.0) {
      stats = depth::openCalibration(getOperation(), "tx-layer-skip",
                                     calibration);
      if (!stats)
        return signalPassFailure();
    }

    // Layers are grouped by the block that holds them (one stack per
    // function body), in program order.
    auto stacks = depth::collectLayerStacks(getOperation());

    // Explicit indices must name a layer somewhere under the pass's root.
    // (std::set: layer indices may take any int64 value.)
    std::set<int64_t> present;
    for (auto &entry : stacks)
      for (LayerOp layer : entry.second)
        present.insert(layer.getIndexAttr().getInt());
    for (int64_t index : skipLayers)
      if (!present.count(index)) {
        getOperation()->emitError()
            << "tx-layer-skip: 'skip-layers' names layer " << index
            << ", which does not exist";
        return signalPassFailure();
      }

    for (auto &entry : stacks)
      if (failed(processStack(entry.second)))
        return signalPassFailure();
  }

  /// `ordered`: one stack, by layer index; the position in it decides what
  /// is kept.
  LogicalResult processStack(MutableArrayRef<LayerOp> ordered) {
    std::set<size_t> skipPositions;
    if (!skipLayers.empty()) {
      std::set<int64_t> skip(skipLayers.begin(), skipLayers.end());
      for (auto [pos, layer] : llvm::enumerate(ordered))
        if (skip.count(layer.getIndexAttr().getInt()))
          skipPositions.insert(pos);
    } else if (stats) {
      // Calibrated: skip the L - K layers whose output is most like their
      // input (highest mean cosine; ties to the lower index).
      const int64_t l = ordered.size();
      const int64_t k = computeKeptLayers(l, speedup).size();
      SmallVector<std::pair<float, size_t>> ranked;
      for (auto [pos, layer] : llvm::enumerate(ordered)) {
        std::string name =
            "layer." + std::to_string(layer.getIndexAttr().getInt()) +
            ".cos_mean";
        const SafetensorsEntry *e = stats->lookup(name);
        if (!e || e->dtype != "F32" || e->data.size() != sizeof(float))
          return layer.emitError()
                 << "tx-layer-skip: the calibration statistics have no "
                    "f32 '"
                 << name << "' (write them with `txc calibrate` of this "
                 << "model)";
        float cos;
        std::memcpy(&cos, e->data.data(), sizeof cos);
        ranked.push_back({cos, pos});
      }
      llvm::stable_sort(ranked, [](const auto &a, const auto &b) {
        return a.first > b.first;
      });
      for (int64_t i = 0; i < l - k; ++i)
        skipPositions.insert(ranked[i].second);
    } else {
      std::set<int64_t> kept;
      for (int64_t pos : computeKeptLayers(ordered.size(), speedup))
        kept.insert(pos);
      for (size_t pos = 0; pos < ordered.size(); ++pos)
        if (!kept.count(pos))
          skipPositions.insert(pos);
    }

    for (auto [pos, layer] : llvm::enumerate(ordered)) {
      if (!skipPositions.count(pos)) {
        ++numLayersKept;
        continue;
      }
      if (failed(bypass(layer)))
        return failure();
      ++numLayersSkipped;
    }
    return success();
  }

  std::shared_ptr<SafetensorsFile> stats;

  /// Replaces the layer's results by its inputs and erases it.
  static LogicalResult bypass(LayerOp layer) {
    if (layer.getNumResults() > layer.getInputs().size())
      return layer.emitOpError()
             << "cannot be skipped: it has " << layer.getNumResults()
             << " results but only " << layer.getInputs().size()
             << " inputs to pass through";
    for (auto [i, result] : llvm::enumerate(layer.getResults()))
      if (result.getType() != layer.getInputs()[i].getType())
        return layer.emitOpError()
               << "cannot be skipped: result #" << i << " has type "
               << result.getType() << " but input #" << i << " has type "
               << layer.getInputs()[i].getType();
    for (auto [i, result] : llvm::enumerate(layer.getResults()))
      result.replaceAllUsesWith(layer.getInputs()[i]);
    layer.erase();
    return success();
  }
};

} // namespace
