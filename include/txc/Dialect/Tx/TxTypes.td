//===- TxTypes.td - tx types -------------------------------*- tablegen -*-===//

#ifndef TXC_DIALECT_TX_TXTYPES_TD
#define TXC_DIALECT_TX_TXTYPES_TD

include "txc/Dialect/Tx/TxAttrs.td"
include "mlir/IR/BuiltinTypeInterfaces.td"

class Tx_Type<string name, string typeMnemonic, list<Trait> traits = []>
    : TypeDef<Tx_Dialect, name, traits> {
  let mnemonic = typeMnemonic;
}

def Tx_KVCacheType : Tx_Type<"KVCache", "kv_cache"> {
  let summary = "an in-place key/value cache of fixed capacity";
  let description = [{
    A handle to the KV cache of a whole model, owned by the runtime. For each
    of `layers` layers it holds keys and values of shape
    `[batch, kv_heads, capacity, head_dim]`. `element` is the element type the
    cache hands out (`tx.kv_view`) and accepts (`tx.kv_append`); an optional
    `#tx.kv_format` says how elements are stored when they are quantized.

    The layout is `contiguous` (one slab per layer) or `paged<B>` (blocks of
    `B` tokens; `capacity` must be a multiple of `B`).

    ```mlir
    !tx.kv_cache<layers = 2, kv_heads = 4, capacity = 2048, head_dim = 64, f32>
    !tx.kv_cache<layers = 32, kv_heads = 8, capacity = 8192, head_dim = 128, f16, paged<16>>
    !tx.kv_cache<layers = 2, kv_heads = 4, capacity = 2048, head_dim = 64, f32,
                 contiguous, #tx.kv_format<int8, group = 64, per_token>>
    ```
  }];
  let parameters = (ins "int64_t":$layers, "int64_t":$kvHeads,
                        "int64_t":$capacity, "int64_t":$headDim,
                        "::mlir::Type":$elementType,
                        EnumParameter<Tx_KVLayout>:$layout,
                        "int64_t":$blockSize,
                        OptionalParameter<"::txc::tx::KVFormatAttr">:$format);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let builders = [
    TypeBuilderWithInferredContext<(ins "int64_t":$layers, "int64_t":$kvHeads,
        "int64_t":$capacity, "int64_t":$headDim, "::mlir::Type":$elementType), [{
      return $_get(elementType.getContext(), layers, kvHeads, capacity, headDim,
                   elementType, KVLayout::contiguous, 0, KVFormatAttr());
    }]>
  ];
}

def Tx_QWeightType : Tx_Type<"QWeight", "qweight"> {
  let summary = "a quantized weight matrix with group-wise scales";
  let description = [{
    A `[N, K]` weight matrix (out_features x in_features) stored in a
    quantized format. Every `group` consecutive values along K share one scale
    of type `scale` (the last group of a row may be shorter when `group` does
    not divide K: there are `ceil(K / group)` groups); integer formats may
    also carry a zero point per group.

    Dequantization (`w` the real value, `q` the stored code, `s` the group's
    scale, `z` its zero point, `t` the weight's tensor scale, 1 unless its
    `tx.qpack` gives one):

    * `int8`, `int4`, `int2`: codes are unsigned (`0 .. 2^bits-1`);
      `w = (q - z) * s * t`, with `z = 2^(bits-1)` when there is no zero
      point (the ONNX `MatMulNBits` / GPTQ convention);
    * `fp8_e4m3`, `fp4_e2m1`: `w = q * s * t` (no zero points). NVFP4 is
      `fp4_e2m1` with `group = 16`, `scale = f8E4M3FN` and a tensor scale;
      MXFP4 is `fp4_e2m1` with `group = 32` and `scale = f8E8M0FNU`.
    * GGUF block formats `f16`, `bf16`, `q4_0`, `q4_1`, `q5_0`, `q5_1`,
      `q8_0`, `q4_k`, `q5_k`, `q6_k`: each row of K values is stored as
      ggml stores it (K / group blocks of a fixed byte size, each with its
      own scale(s) inside), so the weight is its file bytes `[N, row_bytes]`
      (built by `tx.qblocks`). `group` is the block size (1 for f16/bf16,
      32 for q4_0 .. q8_0, 256 for the k-quants), `scale` is `f16`, and
      there are no zero points (q4_1, q5_1 and the k-quants carry a min
      inside their blocks). The formulas are ggml's (docs/dialect.md).

    ```mlir
    !tx.qweight<4096x4096, int4, group = 128, scale = f16, zero_point>
    !tx.qweight<1024x1024, fp8_e4m3, group = 1024, scale = f32>
    !tx.qweight<1536x576, q4_1, group = 32, scale = f16>
    ```
  }];
  let parameters = (ins ArrayRefParameter<"int64_t">:$shape,
                        EnumParameter<Tx_QuantKind>:$kind,
                        "int64_t":$group,
                        "::mlir::Type":$scaleType,
                        "bool":$hasZeroPoint);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    int64_t getOutFeatures() const { return getShape()[0]; }
    int64_t getInFeatures() const { return getShape()[1]; }
    /// Number of groups along K (the last may be shorter than `group`).
    int64_t getNumGroups() const {
      return (getShape()[1] + getGroup() - 1) / getGroup();
    }
    /// Bits per stored code.
    unsigned getBits() const;
    /// The element type of the code tensor this type is packed from
    /// (i8, i4, i2, f8E4M3FN or f4E2M1FN).
    ::mlir::Type getCodeType() const;
    /// True for int8/int4/int2.
    bool isInteger() const;
    /// True for the GGUF block formats (f16 .. q6_k).
    bool isBlockFormat() const;
    /// Block formats: ggml's type number (GGMLType), bytes of one block and
    /// of one row of in_features values.
    uint32_t getGGMLType() const;
    int64_t getBlockBytes() const;
    int64_t getRowBytes() const;
  }];
}

#endif // TXC_DIALECT_TX_TXTYPES_TD
