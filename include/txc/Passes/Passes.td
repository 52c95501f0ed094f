//===- Passes.td - tx passes -------------------------------*- tablegen -*-===//
//
// Every tx pass, grouped by purpose. Flags are `tx-<verb-noun>`; each pass
// lives in its own file under passes/.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_PASSES_PASSES_TD
#define TXC_PASSES_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Layer skipping
//===----------------------------------------------------------------------===//

def LayerSkipPass : Pass<"tx-layer-skip"> {
  let summary = "Removes whole tx.layer regions (static layer skipping)";
  let description = [{
    Unified Layer Skipping: removes a fixed set of layers, chosen only from a
    target speed-up ratio `r`, never from the input. With `L` layers the pass
    keeps `K = max(1, round(L / r))` of them, spread evenly over the stack:
    the first and the last layer are kept and the others are kept at a stride
    of `(L - 1) / (K - 1)` (kept index `round(i * (L - 1) / (K - 1))` for
    `i = 0 .. K - 1`). `skip-layers` names the layers to remove explicitly
    instead; each index must exist in at least one function.

    A removed layer's results are replaced by its inputs (result `i` by
    input `i`): the residual stream passes through unchanged, and the layer's
    KV cache writes disappear with it. Kept layers keep their `index`.

    `speedup=1.0` (the default) removes nothing: the dense limit.

    Layers are counted per function; functions without tx.layer ops are left
    alone.
  }];
  let options = [
    Option<"speedup", "speedup", "double", /*default=*/"1.0",
           "Target speed-up ratio r >= 1; K = round(L / r) layers are kept">,
    ListOption<"skipLayers", "skip-layers", "int64_t",
               "Explicit layer indices to remove (instead of speedup)">
  ];
  let statistics = [
    Statistic<"numLayersSkipped", "layers-skipped", "Number of layers removed">,
    Statistic<"numLayersKept", "layers-kept", "Number of layers kept">
  ];
  let dependentDialects = ["::txc::tx::TxDialect"];
}

#endif // TXC_PASSES_PASSES_TD
