//===- TxKVCacheOps.td - KV cache ops ----------------------*- tablegen -*-===//

#ifndef TXC_DIALECT_TX_TXKVCACHEOPS_TD
#define TXC_DIALECT_TX_TXKVCACHEOPS_TD

include "txc/Dialect/Tx/TxTypes.td"

def Tx_KVAppendOp : Tx_Op<"kv_append"> {
  let summary = "writes new keys and values into one layer of the cache";
  let description = [{
    Writes `key` and `value` (`[B, kv_heads, S, head_dim]`) into layer `layer`
    of the cache at sequence positions `position .. position + S - 1`, in
    place. `position + S` must not exceed the cache capacity (checked at run
    time; statically when `S` is static).

    ```mlir
    tx.kv_append %cache[0], %k, %v at %pos
        : !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>,
          tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32>
    ```
  }];
  let arguments = (ins Arg<Tx_KVCacheType, "the cache", [MemRead<Tx_KVCacheResource>, MemWrite<Tx_KVCacheResource>]>:$cache,
                       I64Attr:$layer, Tx_FloatTensor:$key, Tx_FloatTensor:$value,
                       Index:$position);
  let assemblyFormat = [{
    $cache `[` $layer `]` `,` $key `,` $value `at` $position attr-dict
    `:` qualified(type($cache)) `,` type($key) `,` type($value)
  }];
  let hasVerifier = 1;
}

def Tx_KVViewOp : Tx_Op<"kv_view"> {
  let summary = "reads the first `length` positions of one layer of the cache";
  let description = [{
    Returns keys and values `[B, kv_heads, length, head_dim]` of layer `layer`
    for positions `0 .. length - 1`. The result is a view: the lowering reads
    the cache where it lies and does not copy it. A static sequence
    dimension equal to the capacity views the whole cache: entries from
    `length` on are unspecified and the consumer must ignore them, e.g.
    `tx.attention ... kv_length(%n)` (what `tx-use-kv-cache` builds and the
    CPU backend lowers).

    ```mlir
    %k, %v = tx.kv_view %cache[0] length %n
        : !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>
          -> tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>
    ```
  }];
  let arguments = (ins Arg<Tx_KVCacheType, "the cache", [MemRead<Tx_KVCacheResource>]>:$cache,
                       I64Attr:$layer, Index:$length);
  let results = (outs Tx_FloatTensor:$key, Tx_FloatTensor:$value);
  let assemblyFormat = [{
    $cache `[` $layer `]` `length` $length attr-dict
    `:` qualified(type($cache)) `->` type($key) `,` type($value)
  }];
  let hasVerifier = 1;
}

def Tx_KVCommitOp : Tx_Op<"kv_commit"> {
  let summary = "keeps the accepted path of a draft tree in the cache";
  let description = [{
    After speculative verification, the cache holds one entry per draft-tree
    node at positions `base .. base + N - 1`. `path` (`[B, P]`, node indices in
    root-to-leaf order, entries `< 0` are padding) lists the accepted nodes;
    this op moves the entry of `path[b, i]` to position `base + i`, for every
    layer, so that the accepted tokens are contiguous. Entries past the
    accepted length become free.

    ```mlir
    tx.kv_commit %cache, %path at %base
        : !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, tensor<1x4xi64>
    ```
  }];
  let arguments = (ins Arg<Tx_KVCacheType, "the cache", [MemRead<Tx_KVCacheResource>, MemWrite<Tx_KVCacheResource>]>:$cache,
                       Tx_IntTensor:$path, Index:$base);
  let assemblyFormat = [{
    $cache `,` $path `at` $base attr-dict `:` qualified(type($cache)) `,` type($path)
  }];
  let hasVerifier = 1;
}

#endif // TXC_DIALECT_TX_TXKVCACHEOPS_TD
