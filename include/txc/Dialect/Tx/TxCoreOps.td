//===- TxCoreOps.td - layer, linear, norms, rope, embedding -*- tablegen -*-===//

#ifndef TXC_DIALECT_TX_TXCOREOPS_TD
#define TXC_DIALECT_TX_TXCOREOPS_TD

include "txc/Dialect/Tx/TxTypes.td"

def Tx_LayerOp : Tx_Op<"layer", [
    RecursiveMemoryEffects, SingleBlock]> {
  let summary = "one transformer block, as a region";
  let description = [{
    Groups the ops of one decoder or encoder block so that passes can reason
    about whole layers and the residual stream. The operands are the values
    that flow into the block (the residual stream first, then anything else
    such as a mask or positions); they become the arguments of the single
    block of the region, and `tx.yield` gives the results. Weights and other
    values defined outside may be used directly inside the region.

    `index` is the layer's position in the stack, counted from 0; indices are
    unique within a function.

    ```mlir
    %h1 = tx.layer 0 (%h0) : (tensor<1x16x64xf32>) -> tensor<1x16x64xf32> {
    ^bb0(%x: tensor<1x16x64xf32>):
      ...
      tx.yield %y : tensor<1x16x64xf32>
    }
    ```
  }];
  let arguments = (ins I64Attr:$index, Variadic<AnyType>:$inputs);
  let results = (outs Variadic<AnyType>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $index ` ` `(` $inputs `)` attr-dict `:` functional-type($inputs, $results) $body
  }];
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    /// The op that ends the region.
    YieldOp getYield();
  }];
}

def Tx_YieldOp : Tx_Op<"yield", [
    Pure, Terminator, HasParent<"LayerOp">]> {
  let summary = "returns the results of a tx.layer";
  let description = [{
    Ends the region of a `tx.layer`; its operands become the layer's results
    and must match their types.

    ```mlir
    tx.yield %y : tensor<1x16x64xf32>
    ```
  }];
  let arguments = (ins Variadic<AnyType>:$values);
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
  let builders = [OpBuilder<(ins), [{ build($_builder, $_state, mlir::ValueRange()); }]>];
}

def Tx_LinearOp : Tx_Op<"linear", [Pure]> {
  let summary = "dense linear layer: y = x * W^T + b";
  let description = [{
    Multiplies the last dimension of `input` (`[..., K]`) by a weight of shape
    `[N, K]` (out x in, PyTorch convention) and adds an optional bias `[N]`.
    The result is `[..., N]`; leading dimensions pass through.

    ```mlir
    %y = tx.linear %x, %w bias(%b : tensor<128xf32>)
        : tensor<1x16x64xf32>, tensor<128x64xf32> -> tensor<1x16x128xf32>
    ```
  }];
  let arguments = (ins Tx_FloatTensor:$input, Tx_FloatTensor:$weight,
                       Optional<Tx_FloatTensor>:$bias);
  let results = (outs Tx_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`bias` `(` $bias^ `:` type($bias) `)`)? attr-dict
    `:` type($input) `,` type($weight) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

def Tx_RMSNormOp : Tx_Op<"rms_norm", [Pure]> {
  let summary = "root-mean-square normalization over the last dimension";
  let description = [{
    `y = x / sqrt(mean(x^2, axis=-1) + epsilon) * weight`, with `weight` of
    shape `[D]` where `D` is the last dimension of `input`.

    ```mlir
    %y = tx.rms_norm %x, %g {epsilon = 1.0e-06 : f64}
        : tensor<1x16x64xf32>, tensor<64xf32> -> tensor<1x16x64xf32>
    ```
  }];
  let arguments = (ins Tx_FloatTensor:$input, Tx_FloatTensor:$weight,
                       DefaultValuedAttr<F64Attr, "1.0e-6">:$epsilon);
  let results = (outs Tx_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight attr-dict `:` type($input) `,` type($weight) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Tx_LayerNormOp : Tx_Op<"layer_norm", [Pure]> {
  let summary = "layer normalization over the last dimension";
  let description = [{
    `y = (x - mean) / sqrt(var + epsilon) * weight + bias` over the last
    dimension, with `weight` and the optional `bias` of shape `[D]`.

    ```mlir
    %y = tx.layer_norm %x, %g bias(%b : tensor<64xf32>) {epsilon = 1.0e-05 : f64}
        : tensor<1x16x64xf32>, tensor<64xf32> -> tensor<1x16x64xf32>
    ```
  }];
  let arguments = (ins Tx_FloatTensor:$input, Tx_FloatTensor:$weight,
                       Optional<Tx_FloatTensor>:$bias,
                       DefaultValuedAttr<F64Attr, "1.0e-5">:$epsilon);
  let results = (outs Tx_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`bias` `(` $bias^ `:` type($bias) `)`)? attr-dict
    `:` type($input) `,` type($weight) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Tx_RopeOp : Tx_Op<"rope", [Pure]> {
  let summary = "rotary position embedding";
  let description = [{
    Rotates pairs of channels of `input` (`[batch, heads, seq, head_dim]`) by
    position-dependent angles. `cos` and `sin` hold `cos(theta)` and
    `sin(theta)` for the `R = 2 * cos.shape[-1]` rotated channels; channels
    `R .. head_dim-1` pass through unchanged.

    Without `positions`, `cos`/`sin` are `[seq, R/2]` or `[batch, seq, R/2]`
    and row `s` applies to sequence position `s` of `input`. With `positions`
    (`[seq]` or `[batch, seq]`, integer), `cos`/`sin` are tables
    `[max_position, R/2]` indexed by position.

    Pairing: the default is rotate-half (channel `i` pairs with `i + R/2`, as in
    Llama/GPT-NeoX); with `interleaved`, channel `2i` pairs with `2i + 1` (as in
    GPT-J).

    ```mlir
    %y = tx.rope %q, %cos, %sin
        : tensor<1x8x16x64xf32>, tensor<16x32xf32>, tensor<16x32xf32> -> tensor<1x8x16x64xf32>
    %y = tx.rope %q, %cos, %sin positions(%p : tensor<1x1xi64>) {interleaved}
        : tensor<1x8x1x64xf32>, tensor<4096x32xf32>, tensor<4096x32xf32> -> tensor<1x8x1x64xf32>
    ```
  }];
  let arguments = (ins Tx_FloatTensor:$input, Tx_FloatTensor:$cos,
                       Tx_FloatTensor:$sin, Optional<Tx_IntTensor>:$positions,
                       UnitAttr:$interleaved);
  let results = (outs Tx_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $cos `,` $sin (`positions` `(` $positions^ `:` type($positions) `)`)?
    attr-dict `:` type($input) `,` type($cos) `,` type($sin) `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Number of rotated channels (2 * cos.shape[-1]).
    int64_t getRotaryDim();
  }];
}

def Tx_EmbeddingOp : Tx_Op<"embedding", [Pure]> {
  let summary = "token embedding lookup";
  let description = [{
    Gathers rows of `table` (`[vocab, hidden]`) for each integer id in `ids`;
    the result has shape `ids.shape + [hidden]`. Ids outside `[0, vocab)` are
    undefined behaviour. The table may be a float tensor or a `!tx.qweight`
    (`[vocab, hidden]`, rows dequantized as they are gathered; a GGUF file's
    tied embedding serves both this lookup and the LM head's `tx.qlinear`).

    ```mlir
    %h = tx.embedding %table, %ids
        : tensor<32000x64xf32>, tensor<1x16xi64> -> tensor<1x16x64xf32>
    %e = tx.embedding %qtable, %ids
        : !tx.qweight<49152x576, q8_0, group = 32, scale = f16>, tensor<1x16xi64> -> tensor<1x16x576xf32>
    ```
  }];
  let arguments = (ins AnyTypeOf<[Tx_FloatTensor, Tx_QWeightType]>:$table,
                       Tx_IntTensor:$ids);
  let results = (outs Tx_FloatTensor:$result);
  let assemblyFormat = [{
    $table `,` $ids attr-dict `:` qualified(type($table)) `,` type($ids) `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Rows of the table (its first dimension).
    int64_t getVocabSize();
  }];
}

def Tx_WeightOp : Tx_Op<"weight", [Pure]> {
  let summary = "a named model weight whose data lives outside the IR";
  let description = [{
    Refers to the tensor `name` of the module's weights file (safetensors),
    named by the module attribute `tx.weights`. The IR holds only the name and
    the type, so dumps stay small and re-parse fast however large the model;
    the importer writes the file, and passes or backends that need the data
    read it from there.

    ```mlir
    module attributes {tx.weights = "model.safetensors"} {
      func.func @f() -> tensor<64x64xf32> {
        %w = tx.weight "model.layers.0.self_attn.q_proj.weight" : tensor<64x64xf32>
        return %w : tensor<64x64xf32>
      }
    }
    ```
  }];
  let arguments = (ins StrAttr:$name);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
  let hasVerifier = 1;
}

#endif // TXC_DIALECT_TX_TXCOREOPS_TD
