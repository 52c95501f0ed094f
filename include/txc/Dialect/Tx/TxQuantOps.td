//===- TxQuantOps.td - quantized weights -------------------*- tablegen -*-===//

#ifndef TXC_DIALECT_TX_TXQUANTOPS_TD
#define TXC_DIALECT_TX_TXQUANTOPS_TD

include "txc/Dialect/Tx/TxTypes.td"

def Tx_QPackOp : Tx_Op<"qpack", [Pure]> {
  let summary = "bundles codes, scales and zero points into a quantized weight";
  let description = [{
    Forms a `!tx.qweight` from its parts: `codes` `[N, K]` with the element
    type of the format (`i8` for int8, `i4` for int4, `i2` for int2,
    `f8E4M3FN` for fp8_e4m3, `f4E2M1FN` for fp4_e2m1), `scales`
    `[N, ceil(K / group)]` of the type's scale element type, and, for
    integer formats with `zero_point`, `zero_points` `[N, ceil(K / group)]`
    with the code element type or `i8` (read as unsigned). `tensor_scale`
    multiplies every value (NVFP4's per-tensor scale; 1 when absent). The
    physical packing (two int4 codes per byte, …) is a lowering decision,
    not part of the IR.

    ```mlir
    %w = tx.qpack %codes, %scales zero_points(%zp : tensor<128x2xi4>)
        : tensor<128x64xi4>, tensor<128x2xf16> -> !tx.qweight<128x64, int4, group = 32, scale = f16, zero_point>
    ```
  }];
  let arguments = (ins RankedTensorOf<[AnyType]>:$codes, Tx_FloatTensor:$scales,
                       Optional<Tx_IntTensor>:$zero_points,
                       OptionalAttr<F32Attr>:$tensor_scale);
  let results = (outs Tx_QWeightType:$result);
  let assemblyFormat = [{
    $codes `,` $scales (`zero_points` `(` $zero_points^ `:` type($zero_points) `)`)?
    attr-dict `:` type($codes) `,` type($scales) `->` qualified(type($result))
  }];
  let hasVerifier = 1;
}

def Tx_QBlocksOp : Tx_Op<"qblocks", [Pure]> {
  let summary = "views the row bytes of a GGUF block-format weight as a quantized weight";
  let description = [{
    Forms a `!tx.qweight` of a GGUF block format (`f16`, `bf16`, `q4_0`,
    `q4_1`, `q5_0`, `q5_1`, `q8_0`, `q4_k`, `q5_k`, `q6_k`) from its bytes:
    `bytes` is `[N, row_bytes]` `i8`, each row the `K / group` blocks of one
    output feature exactly as ggml stores them (scales inside the blocks).
    Frontends build it from a `tx.weight` holding a GGUF tensor's data; the
    kernels read the blocks as they are.

    ```mlir
    %b = tx.weight "blk.0.ffn_up.weight" : tensor<1536x360xi8>
    %w = tx.qblocks %b : tensor<1536x360xi8> -> !tx.qweight<1536x576, q4_1, group = 32, scale = f16>
    ```
  }];
  let arguments = (ins RankedTensorOf<[I8]>:$bytes);
  let results = (outs Tx_QWeightType:$result);
  let assemblyFormat = [{
    $bytes attr-dict `:` type($bytes) `->` qualified(type($result))
  }];
  let hasVerifier = 1;
}

def Tx_DequantOp : Tx_Op<"dequant", [Pure]> {
  let summary = "expands a quantized weight to a float tensor";
  let description = [{
    Returns the `[N, K]` real values of a quantized weight (see
    `!tx.qweight` for the formulas) in the result's float element type. Used
    by reference lowerings and to undo quantization.

    ```mlir
    %f = tx.dequant %w : !tx.qweight<128x64, int4, group = 32, scale = f16> -> tensor<128x64xf32>
    ```
  }];
  let arguments = (ins Tx_QWeightType:$weight);
  let results = (outs Tx_FloatTensor:$result);
  let assemblyFormat = "$weight attr-dict `:` qualified(type($weight)) `->` type($result)";
  let hasVerifier = 1;
}

def Tx_QLinearOp : Tx_Op<"qlinear", [Pure]> {
  let summary = "linear layer with a quantized weight";
  let description = [{
    Same as `tx.linear` (`y = x * W^T + b`, `x` `[..., K]`, result
    `[..., N]`) with `W` a `!tx.qweight<NxK, ...>`. Kernels dequantize on the
    fly; the result equals `tx.linear` on `tx.dequant` of the weight up to
    float summation order.

    ```mlir
    %y = tx.qlinear %x, %w
        : tensor<1x16x64xf32>, !tx.qweight<128x64, int4, group = 32, scale = f16> -> tensor<1x16x128xf32>
    ```
  }];
  let arguments = (ins Tx_FloatTensor:$input, Tx_QWeightType:$weight,
                       Optional<Tx_FloatTensor>:$bias);
  let results = (outs Tx_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`bias` `(` $bias^ `:` type($bias) `)`)? attr-dict
    `:` type($input) `,` qualified(type($weight)) `->` type($result)
  }];
  let hasVerifier = 1;
}

#endif // TXC_DIALECT_TX_TXQUANTOPS_TD
