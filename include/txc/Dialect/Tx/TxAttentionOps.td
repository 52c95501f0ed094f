//===- TxAttentionOps.td - attention -----------------------*- tablegen -*-===//

#ifndef TXC_DIALECT_TX_TXATTENTIONOPS_TD
#define TXC_DIALECT_TX_TXATTENTIONOPS_TD

include "txc/Dialect/Tx/TxTypes.td"

def Tx_AttentionOp : Tx_Op<"attention", [Pure, AttrSizedOperandSegments]> {
  let summary = "scaled dot-product attention with GQA and structured masks";
  let description = [{
    `out = softmax(scale * Q K^T + M) V`, per batch and query head.

    * `query`: `[B, H, Sq, D]`; `key`: `[B, Hkv, Sk, D]`; `value`:
      `[B, Hkv, Sk, Dv]`; result `[B, H, Sq, Dv]`. `H` must be a multiple of
      `Hkv` (grouped-query attention): query head `h` reads KV head
      `h / (H / Hkv)`.
    * `scale` defaults to `1/sqrt(D)`.
    * Queries sit at the end of the key sequence: query `i` has position
      `p(i) = Sk - Sq + i` (so a decode step with a cache of `Sk` keys and
      one query is at position `Sk - 1`).

    The structured mask `mask(...)` says which keys each query may see:

    | kind | query `i` sees key `j` when | attributes |
    | --- | --- | --- |
    | `none` | always | |
    | `causal` | `j <= p(i)` | |
    | `sliding_window` | `j <= p(i)` and (`p(i) - j < window` or `j < sinks`) | `window`, optional `sinks` |
    | `tree` | `j < Sk - Sq` (the prefix), or key `j` is draft-tree node `t = j - (Sk - Sq)` and `t` is an ancestor of (or is) query node `i` | `tree` (with `Sq` nodes) |
    | `block_sparse` | `j <= p(i)` and key block `j / block_size` is listed in `blocks[b, h, i / block_size, :]` (`blocks` is `[B, H, ceil(Sq / block_size), n]`; entries `< 0` are padding) | `blocks` operand, `block_size` |

    An optional `kv_length` (an `index`, e.g. a decode step's cache length)
    says that only the first `kv_length` keys and values are valid: `key`
    and `value` may then be a whole fixed-capacity cache (`Sk` its
    capacity), keys `j >= kv_length` are never visible, and query `i` sits
    at position `p(i) = kv_length - Sq + i`. `Sq <= kv_length <= Sk` must
    hold at run time. Only mask kinds `none`, `causal` and `sliding_window`
    take it.

    An optional `explicit_mask` (`[B|1, H|1, Sq|1, Sk]`, size-1 dimensions broadcast; `i1` where true means
    "may attend", or a float tensor added to the scores) further restricts any
    kind, e.g. to drop padding tokens. A query that sees no key produces zeros.

    ```mlir
    %o = tx.attention %q, %k, %v mask(causal)
        : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
    %o = tx.attention %q, %k, %v mask(sliding_window) {window = 4096, sinks = 4, scale = 0.125 : f64}
        : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
    %o = tx.attention %q, %kc, %vc mask(causal) kv_length(%n)
        : tensor<1x8x1x64xf32>, tensor<1x2x4096x64xf32>, tensor<1x2x4096x64xf32> -> tensor<1x8x1x64xf32>
    %o = tx.attention %q, %k, %v mask(none) explicit_mask(%m : tensor<1x1x16x16xi1>)
        : tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32> -> tensor<1x8x16x64xf32>
    ```
  }];
  let arguments = (ins Tx_FloatTensor:$query, Tx_FloatTensor:$key,
                       Tx_FloatTensor:$value,
                       Optional<Tx_BoolOrFloatTensor>:$explicit_mask,
                       Optional<Tx_IntTensor>:$blocks,
                       Optional<Index>:$kv_length,
                       Tx_MaskKindAttr:$mask,
                       OptionalAttr<F64Attr>:$scale,
                       OptionalAttr<I64Attr>:$window,
                       OptionalAttr<I64Attr>:$sinks,
                       OptionalAttr<Tx_TreeAttr>:$tree,
                       OptionalAttr<I64Attr>:$block_size);
  let results = (outs Tx_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value `mask` `(` custom<EnumKeyword>($mask) `)`
    (`explicit_mask` `(` $explicit_mask^ `:` type($explicit_mask) `)`)?
    (`blocks` `(` $blocks^ `:` type($blocks) `)`)?
    (`kv_length` `(` $kv_length^ `)`)?
    attr-dict `:` type($query) `,` type($key) `,` type($value) `->` type($result)
  }];
  let builders = [
    // The optional operands and attributes by name (AttentionOptions.h).
    OpBuilder<(ins "::mlir::Type":$resultType, "::mlir::Value":$query,
                   "::mlir::Value":$key, "::mlir::Value":$value,
                   CArg<"const ::txc::tx::AttentionOptions &", "{}">:$options),
    [{
      auto i64 = [&](std::optional<int64_t> v) {
        return v ? $_builder.getI64IntegerAttr(*v) : ::mlir::IntegerAttr();
      };
      build($_builder, $_state, resultType, query, key, value,
            options.explicitMask, options.blocks, options.kvLength,
            MaskKindAttr::get($_builder.getContext(), options.mask),
            options.scale ? $_builder.getF64FloatAttr(*options.scale)
                          : ::mlir::FloatAttr(),
            i64(options.window), i64(options.sinks), options.tree,
            i64(options.blockSize));
    }]>
  ];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
  let extraClassDeclaration = [{
    /// The scale actually applied: the `scale` attribute, or 1/sqrt(D).
    double getEffectiveScale();
    /// Query heads per KV head.
    int64_t getGroupSize();
  }];
}

#endif // TXC_DIALECT_TX_TXATTENTIONOPS_TD
