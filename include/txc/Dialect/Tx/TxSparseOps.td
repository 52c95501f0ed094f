//===- TxSparseOps.td - block-sparse attention selection ---*- tablegen -*-===//

#ifndef TXC_DIALECT_TX_TXSPARSEOPS_TD
#define TXC_DIALECT_TX_TXSPARSEOPS_TD

include "txc/Dialect/Tx/TxTypes.td"

def Tx_BlockSummaryOp : Tx_Op<"block_summary", [Pure]> {
  let summary = "per-block summaries of keys for block selection";
  let description = [{
    Splits the sequence axis of `key` (`[B, Hkv, S, D]`) into blocks of
    `block_size` tokens (the last block may be partial) and summarizes each
    block per channel. Results are `[B, Hkv, ceil(S / block_size), D]`:

    * `minmax`: two results, the channel-wise maximum and minimum of the
      block's keys (Quest / LServe page summaries);
    * `mean`: one result, the block's mean key (ShadowKV landmarks).

    ```mlir
    %kmax, %kmin = tx.block_summary %k kind(minmax) block_size(16)
        : tensor<1x2x64x64xf32> -> tensor<1x2x4x64xf32>, tensor<1x2x4x64xf32>
    ```
  }];
  let arguments = (ins Tx_FloatTensor:$key, Tx_SummaryKindAttr:$kind,
                       I64Attr:$block_size);
  let results = (outs Variadic<Tx_FloatTensor>:$summaries);
  let assemblyFormat = [{
    $key `kind` `(` custom<EnumKeyword>($kind) `)` `block_size` `(` $block_size `)` attr-dict
    `:` type($key) `->` type($summaries)
  }];
  let hasVerifier = 1;
}

def Tx_BlockSelectOp : Tx_Op<"block_select", [Pure]> {
  let summary = "chooses the key blocks each query head attends to";
  let description = [{
    For `query` (`[B, H, Sq, D]`) and block summaries of the keys
    (`[B, Hkv, NB, D]`; two for `minmax`, one for `mean`, as produced by
    `tx.block_summary` with the same `block_size`), selects for every query
    head and every query block (`block_size` consecutive queries) the key
    blocks it will attend to:

    * the first `sinks` blocks, and the `local` blocks ending at the query
      block's own (last visible) key block, always;
    * for retrieval heads, the `top_k` further visible blocks with the highest
      score. With `minmax` the score of a key block is
      `max over the block's queries of sum_d max(q_d * kmax_d, q_d * kmin_d)`
      (an upper bound of `q . k`); with `mean` it is `q . mean`;
    * heads listed in `streaming_heads` take no top-k blocks (sink + local
      only, the static Λ pattern).

    A key block is visible to a query block when it is not after the query
    block's last position (queries sit at the end of the keys, as in
    `tx.attention`). The result is `[B, H, ceil(Sq / block_size),
    sinks + local + top_k]` (`i64`), block indices in increasing order padded
    with -1. With `top_k` at least the number of blocks, every visible block is
    selected: the dense limit.

    ```mlir
    %blocks = tx.block_select %q, %kmax, %kmin block_size(16) {sinks = 1, local = 2, top_k = 4}
        : tensor<1x8x1x64xf32>, tensor<1x2x64x64xf32>, tensor<1x2x64x64xf32> -> tensor<1x8x1x7xi64>
    ```
  }];
  let arguments = (ins Tx_FloatTensor:$query, Variadic<Tx_FloatTensor>:$summaries,
                       I64Attr:$block_size,
                       DefaultValuedAttr<I64Attr, "0">:$sinks,
                       DefaultValuedAttr<I64Attr, "1">:$local,
                       I64Attr:$top_k,
                       OptionalAttr<DenseI64ArrayAttr>:$streaming_heads);
  let results = (outs Tx_IntTensor:$blocks);
  let assemblyFormat = [{
    $query `,` $summaries `block_size` `(` $block_size `)` attr-dict
    `:` type($query) `,` type($summaries) `->` type($blocks)
  }];
  let hasVerifier = 1;
}

#endif // TXC_DIALECT_TX_TXSPARSEOPS_TD
