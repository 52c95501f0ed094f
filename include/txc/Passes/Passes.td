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

//===----------------------------------------------------------------------===//
// Generation: the in-place KV cache
//===----------------------------------------------------------------------===//

def UseKVCachePass : Pass<"tx-use-kv-cache", "::mlir::ModuleOp"> {
  let summary = "Puts every attention's keys and values on an in-place KV cache";
  let description = [{
    Turns a decoder into one step of autoregressive generation over an
    in-place `!tx.kv_cache` of fixed capacity:

    * the entry function gets two new inputs: `kv_cache` (the cache, owned by
      the runtime and written in place) and `cache_position` (`tensor<1xi64>`,
      how many positions the cache already holds);
    * each `tx.attention` with a positional mask (`none`, `causal`,
      `sliding_window`), in program order, becomes layer `l` of the cache: its
      new keys and values are written with `tx.kv_append` at
      `cache_position`, and it attends to `tx.kv_view` of the whole capacity
      with `kv_length(cache_position + S)`;
    * keys and values that are `tensor.concat(past, new)` along the sequence
      axis with `past` an input of the function (a past/present export, or
      GroupQueryAttention with past inputs) use `new`: the past inputs, the
      present outputs (the concatenations returned) and inputs left unused
      (e.g. an attention_mask only GroupQueryAttention read) are removed;
    * otherwise (a single-pass export) the keys and values themselves are
      the new entries;
    * an explicit mask computed only from an input `attention_mask` (a
      padding mask) is dropped with that input: generation runs rows
      without padding, where it masks nothing.

    Positions: constant positions counting up from the past length
    (`[past, past + S)` in every row) at a `tx.rope` position operand or
    the indices of a `tx.embedding`, which exports compute from their
    shapes, become `cache_position + i`.

    Requirements, each with an error naming the op or input: an input
    `input_ids` of rank 2 (`[batch, S]`); an input `position_ids` unless
    positions were recognized as above (other constant rotary positions, and
    rotary tables folded for the export's positions, are rejected); every attention
    without explicit mask, with the same batch, KV heads, head size and
    element type; `S <= capacity`. `block-size` > 0 makes the cache paged
    (`paged<block-size>`, a divisor of `capacity`).

    The function's attribute `tx.generation` records the roles of the inputs
    and outputs for the runtime.
  }];
  let options = [
    Option<"capacity", "capacity", "int64_t", /*default=*/"0",
           "Positions the cache holds (txc --max-seq)">,
    Option<"blockSize", "block-size", "int64_t", /*default=*/"0",
           "Paged layout with blocks of this many positions; 0: contiguous "
           "(txc --kv-block)">
  ];
  let dependentDialects = ["::txc::tx::TxDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect"];
}

//===----------------------------------------------------------------------===//
// Raising: exporter patterns to tx ops
//===----------------------------------------------------------------------===//

def RaiseNormsPass : Pass<"tx-raise-norms"> {
  let summary = "Raises RMSNorm and LayerNorm decompositions to tx.rms_norm / tx.layer_norm";
  let description = [{
    Recognizes the elementwise decompositions exporters emit for RMSNorm
    (`w * (x * rsqrt(mean(x^2) + eps))`) and LayerNorm
    (`(x - mean(x)) / sqrt(mean((x - mean(x))^2) + eps) * w + b`) over the
    last dimension, and replaces each with one op.

    Accepted forms: the inverse square root as `1 / sqrt(s)`, `y / sqrt(s)`,
    `rsqrt(s)` or `pow(s, -0.5)`; the square as `pow(y, 2)` or `y * y`; the
    mean as a `linalg.reduce` sum over the last dimension divided by its
    size D (or multiplied by 1/D); broadcasting and keepdims through
    `linalg.broadcast` and unit-dimension reshapes, which must broadcast the
    statistics along the last dimension only. The epsilon is the splat
    constant added to the mean (0 when there is none), stored as the shortest
    decimal that reads back as the same value of the element type. The
    weight and bias are any values broadcast from `[D]` (constants,
    `tx.weight`, run-time values), multiplied / added on either side, and
    passed un-broadcast; without a weight the op gets a constant of ones.

    All ops of a match have one element type: `arith.extf` / `arith.truncf`
    end a match and stay in place, so an fp16 model normalizing in fp32
    raises to an fp32 op between its casts (and a weight multiply done after
    the truncation stays separate). A mulf/divf that divides by the root of a
    mean but cannot be raised (wrong axis or divisor, non-splat epsilon,
    another value squared) gets a remark with the reason.
  }];
  let statistics = [
    Statistic<"numRMSNorms", "rms-norms", "RMSNorm decompositions raised">,
    Statistic<"numLayerNorms", "layer-norms", "LayerNorm decompositions raised">
  ];
  let dependentDialects = ["::txc::tx::TxDialect"];
}

def RaiseRopePass : Pass<"tx-raise-rope"> {
  let summary = "Raises rotary position embedding patterns to tx.rope";
  let description = [{
    Recognizes `x * cos + rotate(x) * sin` on `[B, H, S, D]` tensors, where
    rotate is rotate-half (`concat(-x[..., D/2:], x[..., :D/2])`) or the
    interleaved pair rotation (`flatten(stack(-x[..., 1::2], x[..., ::2]))`,
    raised with `interleaved`), and replaces it with `tx.rope`.

    `cos` and `sin` must be broadcasts of tables `[.., S, D]` (varying along
    batch and sequence only) that hold every value twice: equal halves
    (equal pairs when interleaved), checked element by element for
    constants and from the ops that compute run-time tables (e.g.
    `cos(concat(f, f))`). Constant tables become new `[S, D/2]` (or
    `[B, S, D/2]`) constants; run-time ones are sliced and reshaped to that
    shape; tables gathered by position (`tx.embedding(table, ids)`) become
    `[P, D/2]` tables with `positions(ids)`. A partial rotary embedding,
    `concat(tx.rope(x[..., :R]), x[..., R:])`, becomes `tx.rope(x)` with the
    `[.., R/2]` tables. A rotation whose tables cannot be used gets a remark
    with the reason.
  }];
  let statistics = [
    Statistic<"numRopes", "ropes", "Rotary embeddings raised">
  ];
  let dependentDialects = ["::txc::tx::TxDialect"];
}

def RaiseAttentionPass : Pass<"tx-raise-attention"> {
  let summary = "Raises matmul-softmax-matmul chains to tx.attention";
  let description = [{
    Recognizes `softmax(scale * Q K^T + mask) V` as exporters emit it and
    replaces the final contraction with `tx.attention`:

    * Q K^T and P V are `linalg.contract`s over `[B, H, S, D]` tensors; the
      transpose of K may be a `linalg.transpose` or folded into the indexing
      maps. Transposes that leave Q, K or V in another layout are composed
      into one.
    * Multiplications by splat constants (on Q, on K^T or on the scores,
      before the mask) and divisions by them fold into `scale`, which is left
      implicit when it equals `1/sqrt(D)`.
    * GQA repetition of K and V (`repeat_kv`: broadcast right after the KV
      head dimension, then a collapse of the two) is stripped, so the op gets
      the `[B, Hkv, S, D]` tensors. Keys transposed in 3-D as torch's SDPA
      decomposition does it (`[B*H, S, D]`, transposed, reshaped to
      `[B, H, D, S]`) are read through, repetition included.
    * `select(isnan(P), 0, P)` on the probabilities (SDPA's guard for rows
      whose keys are all masked) is part of the pattern: tx.attention gives
      zeros for such rows too.
    * The mask is an added float tensor, `select(cond, scores, c)` or
      `select(cond, c, scores)` with `c <= -1e4`, or a sum / conjunction of
      such terms. Constant terms are combined and classified (an entry is
      allowed when 0 or `true`, masked when `<= -1e4` or `false`): identical
      over batch and heads and all-allowed, causal or sliding window (with
      sinks) gives that mask kind; anything else stays as an `explicit_mask`
      (`i1` when binary). One runtime term (e.g. padding) becomes the
      `explicit_mask` of shape `[B|1, H|1, Sq, Sk]`.

    Ops of the chain with other users are kept. A softmax that looks like
    attention (rank >= 3, next to a contraction) but is not raised gets a
    remark saying why.
  }];
  let statistics = [
    Statistic<"numAttention", "attention", "Attention patterns raised">
  ];
  let dependentDialects = ["::txc::tx::TxDialect"];
}

def RaiseLayersPass : Pass<"tx-raise-layers"> {
  let summary = "Groups each transformer block into a tx.layer region";
  let description = [{
    Finds the residual stream around each `tx.attention` and moves the ops of
    each block (attention, MLP, norms, residual adds) into a `tx.layer`
    region whose operand is the block's residual input and whose first result
    is its residual output. Layers are numbered from 0 in program order.
  }];
  let statistics = [
    Statistic<"numLayers", "layers", "Layers formed">
  ];
  let dependentDialects = ["::txc::tx::TxDialect"];
}

#endif // TXC_PASSES_PASSES_TD
