//===- TxTreeOps.td - draft trees for speculative decoding -*- tablegen -*-===//

#ifndef TXC_DIALECT_TX_TXTREEOPS_TD
#define TXC_DIALECT_TX_TXTREEOPS_TD

include "txc/Dialect/Tx/TxTypes.td"

def Tx_TreeMaskOp : Tx_Op<"tree_mask", [Pure]> {
  let summary = "the ancestor mask of a draft tree";
  let description = [{
    Produces an `[N, N]` `i1` tensor for an `N`-node tree whose element
    `[i, j]` is true when node `j` is node `i` or one of its ancestors, i.e.
    when draft token `i` may attend to draft token `j`. Folds to a constant.

    ```mlir
    %m = tx.tree_mask #tx.tree<parents = [-1, 0, 0, 1]> -> tensor<4x4xi1>
    ```
  }];
  let arguments = (ins Tx_TreeAttr:$tree);
  let results = (outs StaticShapeTensorOf<[I1]>:$result);
  let assemblyFormat = "qualified($tree) attr-dict `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Tx_TreeVerifyOp : Tx_Op<"tree_verify", [Pure]> {
  let summary = "accepts the longest draft path the target model agrees with";
  let description = [{
    `tokens` (`[B, N]`) holds the draft token at each node of `tree` (node 0
    is the last accepted token); `logits` (`[B, N, V]`) holds the target
    model's next-token logits computed at each node. Starting at the root, the
    walk moves to a child whose token is accepted given the logits at the
    current node, until no child is accepted:

    * `greedy`: a child is accepted when its token is the argmax of the
      current node's logits (exact: the output equals plain greedy decoding);
    * `typical`: a child is accepted when its token's probability exceeds
      `min(epsilon, delta * exp(-H))`, `H` the entropy of the current node's
      distribution (Medusa-style typical acceptance; lossy). Among several
      accepted children the most probable one is taken.

    Results: `path` (`[B, N]`, the accepted nodes in root-to-leaf order
    starting with 0, padded with -1), `length` (`[B]`, number of valid
    entries in `path`, at least 1) and `next_token` (`[B]`, the argmax of the
    logits at the last accepted node: the bonus token).

    ```mlir
    %path, %len, %next = tx.tree_verify %tokens, %logits tree(#tx.tree<parents = [-1, 0, 0, 1]>) mode(greedy)
        : tensor<1x4xi64>, tensor<1x4x32000xf32> -> tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>
    ```
  }];
  let arguments = (ins Tx_IntTensor:$tokens, Tx_FloatTensor:$logits,
                       Tx_TreeAttr:$tree, Tx_AcceptModeAttr:$mode,
                       OptionalAttr<F64Attr>:$epsilon,
                       OptionalAttr<F64Attr>:$delta);
  let results = (outs Tx_IntTensor:$path, Tx_IntTensor:$length,
                      Tx_IntTensor:$next_token);
  let assemblyFormat = [{
    $tokens `,` $logits `tree` `(` qualified($tree) `)` `mode` `(` custom<EnumKeyword>($mode) `)` attr-dict
    `:` type($tokens) `,` type($logits) `->` type($path) `,` type($length) `,` type($next_token)
  }];
  let hasVerifier = 1;
}

#endif // TXC_DIALECT_TX_TXTREEOPS_TD
