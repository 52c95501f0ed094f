//===- TxRoutingOps.td - mixture-of-depths token routing ---*- tablegen -*-===//

#ifndef TXC_DIALECT_TX_TXROUTINGOPS_TD
#define TXC_DIALECT_TX_TXROUTINGOPS_TD

include "txc/Dialect/Tx/TxTypes.td"

def Tx_RouteOp : Tx_Op<"route", [Pure]> {
  let summary = "selects the top-capacity tokens by router score";
  let description = [{
    For each batch row of `scores` (`[B, S]`), picks the `capacity` tokens with
    the highest score and returns their indices in increasing order
    (`[B, capacity]`, so kept tokens keep their relative order) and a weight
    per kept token (`[B, capacity]`), computed from its score `r` by
    `weighting`:

    * `one`: 1 (plain top-k selection);
    * `score`: `r` (Mixture-of-Depths: the router value scales the block output);
    * `sigmoid`: `sigmoid(r)`;
    * `tanh`: `alpha * tanh(r) + beta` (p-MoD's TanhNorm; `alpha`, `beta` required).

    Ties go to the lower index. `capacity == S` with weighting `one` keeps
    every token with weight 1: the dense limit.

    Two optional restrictions keep fewer tokens than `capacity`, the static
    number of slots:

    * `limit(%n)` (an `index`, known at run time): at most `n` tokens, the
      `n` best (e.g. a short last prefill chunk keeps its own share);
    * `threshold` (an f64 attribute): only tokens whose score is at least
      `threshold` (Mixture-of-Depths' causal decision: each token is kept
      or not by its own score, with no look at later tokens).

    Slots left over (after the kept tokens, which stay first and in order)
    get index `-1` and weight 0; `tx.gather_tokens` reads zeros for them
    and `tx.scatter_tokens` skips them. A score that is NaN is never kept
    under a threshold.

    ```mlir
    %idx, %w = tx.route %scores capacity(4) weighting(tanh) {alpha = 0.2 : f64, beta = 1.0 : f64}
        : tensor<1x16xf32> -> tensor<1x4xi64>, tensor<1x4xf32>
    %idx, %w = tx.route %scores capacity(16) limit(%n) weighting(one) {threshold = 0.5 : f64}
        : tensor<1x16xf32> -> tensor<1x16xi64>, tensor<1x16xf32>
    ```
  }];
  let arguments = (ins Tx_FloatTensor:$scores, I64Attr:$capacity,
                       Optional<Index>:$limit,
                       Tx_RouteWeightingAttr:$weighting,
                       OptionalAttr<F64Attr>:$alpha,
                       OptionalAttr<F64Attr>:$beta,
                       OptionalAttr<F64Attr>:$threshold);
  let results = (outs Tx_IntTensor:$indices, Tx_FloatTensor:$weights);
  let assemblyFormat = [{
    $scores `capacity` `(` $capacity `)` (`limit` `(` $limit^ `)`)?
    `weighting` `(` custom<EnumKeyword>($weighting) `)` attr-dict
    `:` type($scores) `->` type($indices) `,` type($weights)
  }];
  let hasVerifier = 1;
}

def Tx_GatherTokensOp : Tx_Op<"gather_tokens", [Pure]> {
  let summary = "gathers the routed tokens of a hidden-state tensor";
  let description = [{
    `result[b, j, :] = input[b, indices[b, j], :]` for `input` `[B, S, D]`
    and `indices` `[B, K]`; the result is `[B, K, D]`. An index below 0 (a
    slot `tx.route` left empty) gives a row of zeros.

    ```mlir
    %x = tx.gather_tokens %h, %idx : tensor<1x16x64xf32>, tensor<1x4xi64> -> tensor<1x4x64xf32>
    ```
  }];
  let arguments = (ins Tx_FloatTensor:$input, Tx_IntTensor:$indices);
  let results = (outs Tx_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $indices attr-dict `:` type($input) `,` type($indices) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Tx_ScatterTokensOp : Tx_Op<"scatter_tokens", [Pure]> {
  let summary = "writes routed-token results back into the residual stream";
  let description = [{
    Starts from `residual` (`[B, S, D]`) and, for every routed token `j`
    (`indices` `[B, K]`, `updates` `[B, K, D]` = the block's output for the
    gathered tokens), sets

    `result[b, i, :] = residual[b, i, :] + w[b, j] * (updates[b, j, :] - residual[b, i, :])`

    with `i = indices[b, j]` and `w` the optional `weights` (`[B, K]`, default
    1, which simply replaces the rows). Rows that were not routed pass through
    unchanged; indices below 0 (slots `tx.route` left empty) are skipped.
    With all tokens routed and unit weights the result is `updates`.

    ```mlir
    %y = tx.scatter_tokens %h, %upd, %idx weights(%w : tensor<1x4xf32>)
        : tensor<1x16x64xf32>, tensor<1x4x64xf32>, tensor<1x4xi64> -> tensor<1x16x64xf32>
    ```
  }];
  let arguments = (ins Tx_FloatTensor:$residual, Tx_FloatTensor:$updates,
                       Tx_IntTensor:$indices, Optional<Tx_FloatTensor>:$weights);
  let results = (outs Tx_FloatTensor:$result);
  let assemblyFormat = [{
    $residual `,` $updates `,` $indices (`weights` `(` $weights^ `:` type($weights) `)`)?
    attr-dict `:` type($residual) `,` type($updates) `,` type($indices) `->` type($result)
  }];
  let hasVerifier = 1;
}

#endif // TXC_DIALECT_TX_TXROUTINGOPS_TD
