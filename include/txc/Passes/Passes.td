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

    With `calibration=STATS` (a `txc calibrate` file holding
    `layer.I.cos_mean`, the mean over tokens of the cosine similarity of
    layer I's residual input and output) and a speed-up, the same number of
    layers is removed, but the ones that change the residual stream least:
    the `L - K` highest `cos_mean` (ties to the lower index). A layer
    without that statistic is an error.

    `speedup=1.0` (the default) removes nothing: the dense limit.

    Layers are counted per function; functions without tx.layer ops are left
    alone.
  }];
  let options = [
    Option<"speedup", "speedup", "double", /*default=*/"1.0",
           "Target speed-up ratio r >= 1; K = round(L / r) layers are kept">,
    ListOption<"skipLayers", "skip-layers", "int64_t",
               "Explicit layer indices to remove (instead of speedup)">,
    Option<"calibration", "calibration", "std::string", /*default=*/"",
           "txc calibrate statistics: with a speed-up, remove the layers "
           "with the highest layer.I.cos_mean instead of the even spread">
  ];
  let statistics = [
    Statistic<"numLayersSkipped", "layers-skipped", "Number of layers removed">,
    Statistic<"numLayersKept", "layers-kept", "Number of layers kept">
  ];
  let dependentDialects = ["::txc::tx::TxDialect"];
}

def EarlyExitPass : Pass<"tx-early-exit"> {
  let summary = "Per-token dynamic early exit on the residual stream's saturation";
  let description = [{
    MuE-style early exit, decided per token (per row of the residual stream
    `[..., D]`, so per batch row and position): after layer `l` the cosine
    similarity of the layer's residual input and output is compared with
    `threshold`; a token whose similarity reaches it has *exited*, and every
    later layer passes its residual row through unchanged. The final norm and
    LM head then read the state the token exited with. The test is applied
    after the layers at stack positions `from` .. `L - 2` (position = rank by
    layer index, counted from 0), so a token runs at least `from + 1` layers.

    The KV cache: later tokens still attend, in the layers an exited token
    skipped, to that token's keys and values. They are computed from its exit
    state (the CALM / LayerSkip practice): every layer after the first test
    keeps, unconditionally, the ops its `tx.kv_append`s depend on (the
    attention norm, the key and value projections, RoPE and the append
    itself), and moves everything else (the query projection, attention,
    output projection, MLP) into an `scf.if` that runs only while some token
    of the step is still active. An exited row's input is its exit state, so
    what the layer appends for it is exactly that fill. In a one-token decode
    step the skipped layers cost their K/V projections only; with several
    rows (prefill, batch) a layer runs on all rows while any is active and
    the exited rows keep their state (`arith.select`), which gives the same
    values as running it on the active rows alone. Layers without a KV cache
    (an encoder, a forward pass without `--max-seq`) move whole into the
    `scf.if`.

    With `depth-output` (the default), a stack in a function body adds a
    result `layers_run` (`tx.name`), f32 in the residual's leading shape:
    the layers each token ran (`L` minus those it skipped), which the
    runtime averages (`txrt_session_layers_run`).

    Must run after `tx-use-kv-cache` (the appends stay outside the `scf.if`).
    Every layer of a stack from position `from` on must return exactly one
    value, of its first input's type (the residual stream, rank >= 2, float).

    `threshold > 1` never lets a token exit (the cosine is clamped to
    [-1, 1]): the control flow is in place but the result is the dense
    model's, bit for bit. That is the default.
  }];
  let options = [
    Option<"threshold", "threshold", "double", /*default=*/"2.0",
           "A token exits after a layer whose input and output have cosine "
           "similarity >= threshold (> 1: never)">,
    Option<"from", "from", "int64_t", /*default=*/"0",
           "The stack position of the first layer after which a token may "
           "exit">,
    Option<"depthOutput", "depth-output", "bool", /*default=*/"true",
           "Return the layers each token ran (f32, the residual's leading "
           "shape) as a new function result named layers_run">
  ];
  let statistics = [
    Statistic<"numTests", "exit-tests", "Layers followed by an exit test">,
    Statistic<"numConditional", "conditional-layers",
              "Layers whose attention and MLP run only for active tokens">
  ];
  let dependentDialects = ["::txc::tx::TxDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect"];
}

def ModPrunePass : Pass<"tx-mod-prune"> {
  let summary = "Mixture-of-depths token routing: routed layers run on the top tokens only";
  let description = [{
    Mixture-of-Depths (ALGORITHMS.md B2) and p-MoD's schedule (B1): in a
    routed layer only the `k` highest-scoring tokens of each batch row run
    the layer (attention among themselves, MLP); the other tokens pass on
    the residual stream unchanged. The layer is rebuilt for `k` tokens
    between `tx.route` (top-`k`, kept in their order), `tx.gather_tokens`
    and `tx.scatter_tokens`; rotary embeddings get the kept tokens' original
    positions, and causal attention among the kept tokens in their order is
    causal in the original positions.

    Capacity per layer: `schedule=constant` keeps `floor(capacity * S)`
    tokens (at least 1) in every layer from stack position `from`;
    `schedule=pmod` uses p-MoD's shifted cosine around the mean ratio
    `capacity`: `R_l = capacity + cos(pi * l / (L - 1)) / 2`, layers with
    `R_l > r-max` stay dense, the others keep `max(R_l, r-min)`.

    Routers, both known before the layer runs: `router=update`
    (training-free), the squared size of the token's update in the previous
    layer, `||h_l - h_{l-1}||^2`; `router=probe` (with `calibration=STATS`),
    a linear probe on the layer's input, `w . h_l + b`, fitted by
    `txc calibrate` in closed form (ridge regression) to predict how much the
    layer changes the token, `1 - cos(h_l, layer(h_l))` (`layer.I.probe`, D
    weights then the bias); `router=checkpoint`, the router a checkpoint
    trained for routing ships per layer (`blk.I.mod_router.weight` [D] and
    optional `.bias` [1] in the model's weights: the compiler's weight
    store, or the module's `tx.weights` file), `r = w . h_l + b`.
    Composition (`weighting`, checkpoint router only): `none` replaces kept
    rows by the layer's output; `mod` (Mixture-of-Depths) gives kept tokens
    `x + r * (layer(x) - x)`; `pmod` (p-MoD's TanhNorm and STRing) computes
    `g = tanh-alpha * tanh(r) + tanh-beta`, kept tokens get
    `h + g * MLP(norm(h))` (h = x + attention: the layer's last residual
    add is scaled) and skipped tokens `g * x`. The checkpoint router's
    causal decision is `r >= 0` (MoD's `sigmoid(r) > 1/2`).

    Decisions: `decision=topk` keeps the top `k` tokens of the step (this
    looks at later tokens of a prompt); `decision=threshold` keeps every
    token whose score reaches the layer's threshold (at most all of them),
    each by its own score: Mixture-of-Depths' causal rule. The threshold is
    the `(1 - r)` quantile of the router's score on calibration text
    (`layer.I.update_quantiles` / `layer.I.probe_quantiles` from `txc
    calibrate`, 101 percentiles, interpolated; ratio 1 keeps every token),
    so that the layer keeps about the share `r` of tokens; a routed
    calibration's `layer.I.route_threshold` (measured under routing at
    this capacity, schedule and router, named in the file's metadata)
    replaces it when the metadata matches.

    Over a KV cache (run after `tx-use-kv-cache`, batch 1): a token that
    skips a routed layer writes no K/V there, so each cache layer has its
    own length. The step gets two inputs, `layer_lengths` (`[layers]` i64,
    each cache layer's length before the step) and `step_length`
    (`tensor<1xi64>`, the real tokens of the step; the rest is padding and
    is never routed), and returns `layer_kept` (`[layers]` i64, what each
    cache layer appended; the step length for layers not routed), all three
    named in `tx.generation`. A routed layer appends its kept tokens' K/V at
    its own length and attends to its own entries (`kv_length` = length +
    slots). Decode steps (one token) always decide by threshold; the
    layer's attention and MLP sit in an `scf.if` that skips them when the
    token is not kept (its K/V projections still run, into the slot past
    the layer's length, which the next step overwrites). Prefill steps
    follow `decision`; with `topk` a short last chunk of `n` real tokens
    keeps `max(1, floor(r * n))`.

    Scope: attention masks none and causal without windows or sinks.

    `capacity=1` with `schedule=constant` routes every token of every
    routed layer: the dense model's result (the machinery in place), with
    or without a cache (with `weighting=pmod` also `tanh-alpha=0`, p-MoD's
    dense limit).
  }];
  let options = [
    Option<"capacity", "capacity", "double", /*default=*/"1.0",
           "Fraction of the tokens a routed layer runs on (constant), or "
           "the mean ratio of p-MoD's schedule (pmod)">,
    Option<"schedule", "schedule", "std::string", /*default=*/"\"constant\"",
           "constant or pmod (shifted cosine decay over the depth)">,
    Option<"router", "router", "std::string", /*default=*/"\"update\"",
           "How tokens are scored: update (||h_l - h_{l-1}||^2), probe "
           "(layer.I.probe from calibration) or checkpoint "
           "(blk.I.mod_router in the model's weights)">,
    Option<"calibration", "calibration", "std::string", /*default=*/"",
           "router=probe: the txc calibrate statistics holding layer.I.probe">,
    Option<"rMax", "r-max", "double", /*default=*/"0.85",
           "pmod: layers whose ratio exceeds this stay dense">,
    Option<"rMin", "r-min", "double", /*default=*/"0.15",
           "pmod: the smallest ratio">,
    Option<"from", "from", "int64_t", /*default=*/"1",
           "The first routed stack position (>= 1)">,
    Option<"weighting", "weighting", "std::string", /*default=*/"\"none\"",
           "router=checkpoint: how the router's value enters the layer: "
           "none (kept rows replaced), mod (x + r f(x)) or pmod (TanhNorm g "
           "and STRing)">,
    Option<"tanhAlpha", "tanh-alpha", "double", /*default=*/"0.2",
           "weighting=pmod: TanhNorm's alpha (g = alpha tanh(r) + beta)">,
    Option<"tanhBeta", "tanh-beta", "double", /*default=*/"1.0",
           "weighting=pmod: TanhNorm's beta">,
    Option<"decision", "decision", "std::string", /*default=*/"\"topk\"",
           "How steps of several tokens choose: topk (the top share of the "
           "step) or threshold (each token against the calibrated "
           "threshold; decode steps always do)">
  ];
  let statistics = [
    Statistic<"numRouted", "layers-routed", "Routed layers">,
    Statistic<"keptTokens", "tokens-kept", "Tokens the routed layers run on">,
    Statistic<"totalTokens", "tokens-total", "Tokens the routed layers see">
  ];
  let dependentDialects = ["::txc::tx::TxDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect"];
}

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

def QuantizePass : Pass<"tx-quantize", "::mlir::ModuleOp"> {
  let summary = "Quantizes the weights of linear layers (tx.linear -> tx.qlinear)";
  let description = [{
    Rewrites every `tx.linear` and `tx.qlinear` whose weight is a
    `tx.weight` (dense, or a GGUF block weight / `tx.qpack` built from
    `tx.weight`s) into a `tx.qlinear` on a weight in `format`:

    * `int8`, `int4`, `int2`: `tx.qpack` of unsigned codes and f16 scales per
      `group` values along K (`group=0`: one scale per output row), with
      u8 zero points when `symmetric=false`;
    * `fp8`: e4m3 codes, one f32 scale per `group` (default per row);
    * `nvfp4`: e2m1 codes, e4m3 scales per 16 values and an f32 tensor
      scale; `mxfp4`: e2m1 codes, e8m0 scales per 32 values;
    * `f16`, `bf16`: the weight's values rounded to half precision, kept as
      a block weight of that type; `f32`: the dense values (`tx.linear`).

    The method is round to nearest (`method=rtn`; the rules are in
    docs/quantization.md and the codes and scales equal the NumPy reference
    quantizer's, test/Passes/Inputs/rtn_reference.py) or activation-aware
    scaling (`method=awq` with `calibration=STATS` from `txc calibrate`):
    per input channel j a scale s_j = mean|x_j|^alpha, alpha searched on
    0, 0.05, .., 1 to minimize the output error weighted by mean x_j^2, the
    weight quantized as W diag(s) and the linear's input multiplied by 1/s
    (a linalg.generic before the tx.qlinear). alpha = 0 is RTN. Linears
    the statistics do not cover get RTN, with a warning. A quantized weight
    arriving in another format is dequantized first, so a GGUF or
    MatMulNBits model can be re-quantized to any format.

    `keep` names linears left as they are: a glob over weight names
    (`*.attn_v.*`) or `lm-head` (the linears whose result is a result of the
    entry function). `override` gives single linears another format:
    `GLOB=FORMAT` (the first match wins; `f32` dequantizes). A linear whose
    K does not fill whole bytes of codes (K * bits % 8 != 0) keeps its
    weight, with a warning.

    `mixed=F` (with `calibration`) is a mixed-precision plan from a
    sensitivity measurement: for every weight no keep/override rule names,
    the output error of RTN in the base format and in `mixed-format`
    (default int8) is estimated as sum over (n, k) of (w - q(w))^2 times
    the input channel's mean square from the statistics; weights are
    ranked by the error moving them removes per extra byte and moved, best
    first, while the moved ones hold at most the fraction F of those
    weights' parameters (one that does not fit is skipped; a remark lists
    the moved ones). `mixed=0` is the plain base format; `mixed=1`
    gives every such weight `mixed-format`.

    New tensors go to the weight store attached to the context (the
    compiler's); without one the pass reads the module's `tx.weights` file
    and writes the weights the module then uses, old and new, to
    `weights-out`, which becomes the module's `tx.weights`. Weights the
    module no longer uses are not written. `format=f32` with only dense
    weights changes nothing: the exact mode.
  }];
  let options = [
    Option<"format", "format", "std::string", /*default=*/"\"int4\"",
           "Weight format: f32, f16, bf16, int8, int4, int2, fp8, nvfp4, mxfp4">,
    Option<"group", "group", "int64_t", /*default=*/"32",
           "Values per scale along K for int8/int4/int2/fp8 (0: one per row)">,
    Option<"symmetric", "symmetric", "bool", /*default=*/"true",
           "Integer formats: no zero points (default zero point 2^(bits-1))">,
    Option<"method", "method", "std::string", /*default=*/"\"rtn\"",
           "Quantization method: rtn, or awq (needs calibration)">,
    Option<"calibration", "calibration", "std::string", /*default=*/"",
           "Calibration statistics (txc calibrate) for method=awq">,
    ListOption<"keep", "keep", "std::string",
               "Linears to leave as they are: weight-name globs or lm-head">,
    ListOption<"overrides", "override", "std::string",
               "GLOB=FORMAT: another format for the matching linears">,
    Option<"mixed", "mixed", "double", /*default=*/"0.0",
           "Mixed-precision plan: the fraction (0..1) of the parameters of "
           "the linears in the base format moved to mixed-format, the most "
           "sensitive first (needs calibration)">,
    Option<"mixedFormat", "mixed-format", "std::string", /*default=*/"\"int8\"",
           "The format the mixed plan moves linears to">,
    Option<"weightsOut", "weights-out", "std::string", /*default=*/"",
           "Without a weight store: the safetensors file to write">
  ];
  let statistics = [
    Statistic<"numQuantized", "linears-quantized", "Linears rewritten">,
    Statistic<"numKept", "linears-kept", "Linears left as they were">,
    Statistic<"numMixed", "weights-mixed", "Weights the mixed plan moved to mixed-format">,
    Statistic<"bytesBefore", "weight-bytes-before", "Bytes of the rewritten weights before">,
    Statistic<"bytesAfter", "weight-bytes-after", "Bytes of the rewritten weights after">
  ];
  let dependentDialects = ["::txc::tx::TxDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

//===----------------------------------------------------------------------===//
// Calibration
//===----------------------------------------------------------------------===//

def CalibrationTapsPass : Pass<"tx-calibration-taps", "::mlir::ModuleOp"> {
  let summary = "Returns activation statistics of every linear's input (txc calibrate)";
  let description = [{
    Instruments the entry function (`@main`, else the only public function)
    for `txc calibrate` (docs/calibration.md). For every `tx.linear` and
    `tx.qlinear` that multiplies by a stored weight `W` (`tx.weight`, or the
    `tx.weight` a `tx.qblocks` / `tx.qpack` is built from, through tx.layer
    arguments), the input `x` (`[..., K]`) is reduced over its leading
    dimensions into two f32 `[K]` sums, appended as function results named
    (`tx.name`) `calib.W.abs_sum` (sum of |x|) and `calib.W.sq_sum` (sum of
    x^2). Linears reading the same value share one reduction, returned once
    per weight. A reduction inside a `tx.layer` leaves it as new results of
    the layer (after the existing ones), so the pass runs after
    `tx-layer-skip`.

    Tokens: when the function has an input with role `attention_mask`
    (`[batch, seq]`), every position's contribution is multiplied by its
    mask value (padding adds nothing) and the last new result,
    `calib.tokens` (`tensor<1xf32>`), is the mask's sum; otherwise it is
    the constant `batch * seq` of the `token_ids` input. An input whose
    leading dimensions do not hold one row per token (BERT's pooler reads
    only the first position) is summed unweighted and gets a third result
    `calib.W.count` (the rows summed). A weight multiplied by several
    distinct inputs (layers sharing weights) gets one set of results per
    input, the later ones named `calib.W#1.*`, `calib.W#2.*`: the driver
    adds them.

    Requirements, each with an error: an entry `func.func` with one block
    and no result already named `calib.*`; an input with role `token_ids`
    or `attention_mask` of static shape; linear inputs of float type and
    static shape, defined in the function body or a `tx.layer` region. A
    function without such linears is left alone, with a warning.
  }];
  let statistics = [
    Statistic<"numWeights", "weights-tapped", "Weights whose linears were tapped">,
    Statistic<"numReductions", "reductions", "Distinct inputs reduced">
  ];
  let dependentDialects = ["::txc::tx::TxDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::tensor::TensorDialect"];
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
    (`paged<block-size>`, a divisor of `capacity`). `kv-quant` = `int8` or
    `fp8` gives the cache type `#tx.kv_format<int8 | fp8_e4m3, group =
    head_dim, per_token>`: every (token, KV head) row of keys and values is
    stored as codes with one scale (docs/quantization.md, "KV cache").
    `kv-quant` = `int4` is KIVI's layout, `#tx.kv_format<int4, group =
    kv-quant-group, per_channel, residual = kv-quant-residual>` (group 0:
    the largest power of two up to 32 dividing head_dim and the capacity):
    keys
    quantized per channel over groups of tokens, values per token over
    groups of channels, the most recent tokens kept in f32 (in a buffer of
    `kv-quant-buffer` rows; 0: residual + group + the step length, rounded
    up to a multiple of the group). The group must be a power of two
    dividing head_dim and the capacity, the residual and buffer multiples of
    it, head_dim a multiple of 8, and the cache contiguous.

    The function's attribute `tx.generation` records the roles of the inputs
    and outputs for the runtime.
  }];
  let options = [
    Option<"capacity", "capacity", "int64_t", /*default=*/"0",
           "Positions the cache holds (txc --max-seq)">,
    Option<"blockSize", "block-size", "int64_t", /*default=*/"0",
           "Paged layout with blocks of this many positions; 0: contiguous "
           "(txc --kv-block)">,
    Option<"kvQuant", "kv-quant", "std::string", /*default=*/"\"f32\"",
           "How the cache stores keys and values: f32, or int8 / fp8 (e4m3) "
           "codes with one f32 scale per (token, head) row, or int4 "
           "(KIVI: keys per channel, values per token, recent tokens in "
           "f32) (txc --kv-quant)">,
    Option<"kvQuantGroup", "kv-quant-group", "int64_t", /*default=*/"0",
           "kv-quant=int4: tokens per key group and channels per value group; "
           "0: the largest power of two up to 32 dividing head_dim and the "
           "capacity (txc --kv-quant-group)">,
    Option<"kvQuantResidual", "kv-quant-residual", "int64_t",
           /*default=*/"128",
           "kv-quant=int4: the most recent tokens kept in f32 (txc "
           "--kv-quant-residual)">,
    Option<"kvQuantBuffer", "kv-quant-buffer", "int64_t", /*default=*/"0",
           "kv-quant=int4: rows of the f32 buffer of recent tokens; 0: "
           "residual + group + the step length, rounded up to the group "
           "(txc sets it from --prefill-chunk)">
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
