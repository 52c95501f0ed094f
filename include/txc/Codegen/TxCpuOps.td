//===- TxCpuOps.td - CPU kernel calls through bufferization --*- tablegen -*-===//
//
// The `txcpu` dialect: code-generation-internal, destination-style ops that
// stand for calls of the CPU kernel library (lib/Runtime/kernels) while the
// IR is bufferized, so that the call can be made on the final buffers.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_CODEGEN_TXCPUOPS_TD
#define TXC_CODEGEN_TXCPUOPS_TD

include "mlir/IR/OpBase.td"
include "mlir/Interfaces/DestinationStyleOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "txc/Dialect/Tx/TxAttrs.td"

def TxCpu_Dialect : Dialect {
  let name = "txcpu";
  let cppNamespace = "::txc::txcpu";
  let summary = "CPU kernel calls carried through bufferization";
  let description = [{
    Internal to the CPU backend. `tx-lower-to-linalg` turns a tx op that a
    hand-written kernel of the runtime's kernel library implements into the
    matching `txcpu` op on tensors; one-shot bufferization turns it into the
    same op on memrefs (the ops are destination-style and bufferizable);
    `tx-attention-to-kernels` finally replaces each memref op by a
    `func.call` of the kernel with pointers, sizes and strides. The ops
    never appear in tx IR that users write or that `txc --emit=tx` prints.
  }];
  let dependentDialects = ["::txc::tx::TxDialect"];
}

class TxCpu_Op<string mnemonic, list<Trait> traits = []>
    : Op<TxCpu_Dialect, mnemonic, traits>;

def TxCpu_AttentionOp : TxCpu_Op<"attention", [
    AttrSizedOperandSegments, DestinationStyleOpInterface,
    DeclareOpInterfaceMethods<MemoryEffectsOpInterface>]> {
  let summary = "f32 attention through the kernel txc_attention_f32";
  let description = [{
    Computes what `tx.attention` computes for mask kinds `none`, `causal` and
    `sliding_window` (same operands, attributes and semantics: GQA, queries
    at the end of the keys, explicit `i1` or `f32` mask with size-1
    dimensions broadcast, zeros for a query that sees no key) into `init`.
    `scale` is the scale actually applied. Either every shaped operand is a
    tensor and the op has one result of the type of `init`, or every operand
    is a memref (any strided layout) and the op writes `init` and has no
    result. `init` is only written, never read. `kv_length`, as in
    tx.attention, limits the valid keys to the first `kv_length` (queries
    at `kv_length - Sq + i`).

    With a `block_table` (`[B, capacity / block_size]` i32, paged KV cache)
    `key` and `value` are block pools `[blocks, Hkv, block_size, D]`: key
    position `j` of batch row `b` is row `j % block_size` of pool block
    `block_table[b, j / block_size]`. A block table needs `kv_length`.

    With `kv_format` (1: int8, 2: fp8 e4m3; the kernels' KVFormat numbers)
    `key` and `value` are `i8` rows of a quantized KV cache, `D + 4` bytes
    each (D codes, then the row's f32 scale; lib/Runtime/kernels/cpu/
    KVQuant.h), and the call is `txc_attention_kvq`. An int4 (KIVI) cache
    has the format word `TXC_KV_INT4_WORD` (txc_model_format.h: kind 3,
    the group, residual and buffer) and `[B, Hkv, slots, slot bytes]`
    pools with `slot bytes = TXC_KV_INT4_ROW(D, group)`, contiguous only.
    A quantized cache needs `kv_length`.

    ```mlir
    %o = txcpu.attention mask(causal)
        ins(%q, %k, %v : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32>)
        outs(%init : tensor<1x8x16x64xf32>) {scale = 1.250000e-01 : f64}
        -> tensor<1x8x16x64xf32>
    txcpu.attention mask(sliding_window)
        ins(%q, %k, %v : memref<1x8x16x64xf32>, memref<1x2x16x64xf32>, memref<1x2x16x64xf32>)
        explicit_mask(%m : memref<1x1x16x16xi1>)
        outs(%out : memref<1x8x16x64xf32>) {scale = 1.250000e-01 : f64, window = 4 : i64}
    ```
  }];
  let arguments = (ins TensorOrMemRef<[F32]>:$query,
                       TensorOrMemRef<[F32, I8]>:$key,
                       TensorOrMemRef<[F32, I8]>:$value,
                       Optional<TensorOrMemRef<[I1, F32]>>:$explicit_mask,
                       Optional<Index>:$kv_length,
                       Optional<TensorOrMemRef<[I32]>>:$block_table,
                       TensorOrMemRef<[F32]>:$init,
                       Tx_MaskKindAttr:$mask,
                       F64Attr:$scale,
                       OptionalAttr<I64Attr>:$window,
                       OptionalAttr<I64Attr>:$sinks,
                       OptionalAttr<I64Attr>:$block_size,
                       OptionalAttr<I32Attr>:$kv_format);
  let results = (outs Optional<AnyRankedTensor>:$result);
  let assemblyFormat = [{
    `mask` `(` custom<EnumKeyword>($mask) `)`
    `ins` `(` $query `,` $key `,` $value `:` type($query) `,` type($key) `,`
      type($value) `)`
    (`explicit_mask` `(` $explicit_mask^ `:` type($explicit_mask) `)`)?
    (`kv_length` `(` $kv_length^ `)`)?
    (`block_table` `(` $block_table^ `:` type($block_table) `)`)?
    `outs` `(` $init `:` type($init) `)`
    attr-dict (`->` type($result)^)?
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::MutableOperandRange getDpsInitsMutable() {
      return getInitMutable();
    }
    /// True when the operands are memrefs (after bufferization).
    bool hasBufferSemantics() {
      return ::mlir::isa<::mlir::MemRefType>(getInit().getType());
    }
  }];
}

def TxCpu_QMatmulOp : TxCpu_Op<"qmatmul", [
    DestinationStyleOpInterface,
    DeclareOpInterfaceMethods<MemoryEffectsOpInterface>]> {
  let summary = "f32 x GGUF block-format weight product through txc_qmatmul";
  let description = [{
    `init[M, N] = input[M, K] * W^T` where `weight` holds the row bytes
    `[N, row_bytes]` of a `!tx.qweight` of a GGUF block format: `ggml_type`
    is ggml's number of the format and `in_features` is K. `input` and
    `init` are dense row-major. Either every shaped operand is a tensor and
    the op has one result of the type of `init`, or every operand is a
    memref and the op writes `init` and has no result. `init` is only
    written, never read.

    ```mlir
    %y = txcpu.qmatmul ins(%x, %w : tensor<16x576xf32>, tensor<1536x360xi8>)
        outs(%init : tensor<16x1536xf32>) {ggml_type = 3 : i32, in_features = 576 : i64}
        -> tensor<16x1536xf32>
    ```
  }];
  let arguments = (ins TensorOrMemRef<[F32]>:$input,
                       TensorOrMemRef<[I8]>:$weight,
                       TensorOrMemRef<[F32]>:$init,
                       I32Attr:$ggml_type,
                       I64Attr:$in_features);
  let results = (outs Optional<AnyRankedTensor>:$result);
  let assemblyFormat = [{
    `ins` `(` $input `,` $weight `:` type($input) `,` type($weight) `)`
    `outs` `(` $init `:` type($init) `)` attr-dict (`->` type($result)^)?
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::MutableOperandRange getDpsInitsMutable() {
      return getInitMutable();
    }
    bool hasBufferSemantics() {
      return ::mlir::isa<::mlir::MemRefType>(getInit().getType());
    }
  }];
}

def TxCpu_QMatmulPlanarOp : TxCpu_Op<"qmatmul_planar", [
    DestinationStyleOpInterface,
    DeclareOpInterfaceMethods<MemoryEffectsOpInterface>]> {
  let summary = "f32 x planar quantized weight product through txc_qmatmul_planar";
  let description = [{
    `init[M, N] = input[M, K] * W^T` where W is a planar quantized weight
    (what `tx.qpack` holds): `codes` is its `[N, K * bits / 8]` bytes (sub-byte
    codes packed little-end first) or, for byte codes, the `[N, K]` codes;
    `scales` `[N, G]` and the optional `zeros` `[N, G]` (`i8`, read unsigned)
    with `G = ceil(K / group)`. `code_kind` and `scale_kind` are the kernels'
    TXC_QCODE_* and TXC_QSCALE_* numbers (lib/Runtime/kernels/cpu/Quant.h),
    `tensor_scale` multiplies every weight. Either every shaped operand is a
    tensor and the op has one result of the type of `init`, or every operand
    is a memref and the op writes `init` and has no result.

    ```mlir
    %y = txcpu.qmatmul_planar ins(%x, %codes, %scales : tensor<1x576xf32>, tensor<1536x288xi8>, tensor<1536x18xf16>)
        outs(%init : tensor<1x1536xf32>) {code_kind = 1 : i32, scale_kind = 1 : i32,
        group = 32 : i64, in_features = 576 : i64, tensor_scale = 1.0 : f32}
        -> tensor<1x1536xf32>
    ```
  }];
  let arguments = (ins TensorOrMemRef<[F32]>:$input,
                       AnyShaped:$codes,
                       AnyShaped:$scales,
                       Optional<TensorOrMemRef<[I8]>>:$zeros,
                       TensorOrMemRef<[F32]>:$init,
                       I32Attr:$code_kind,
                       I32Attr:$scale_kind,
                       I64Attr:$group,
                       I64Attr:$in_features,
                       F32Attr:$tensor_scale);
  let results = (outs Optional<AnyRankedTensor>:$result);
  let assemblyFormat = [{
    `ins` `(` $input `,` $codes `,` $scales (`zeros` $zeros^)? `:` type($input)
    `,` type($codes) `,` type($scales) (`,` type($zeros)^)? `)`
    `outs` `(` $init `:` type($init) `)` attr-dict (`->` type($result)^)?
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::MutableOperandRange getDpsInitsMutable() {
      return getInitMutable();
    }
    bool hasBufferSemantics() {
      return ::mlir::isa<::mlir::MemRefType>(getInit().getType());
    }
  }];
}

def TxCpu_QEmbedOp : TxCpu_Op<"qembed", [
    DestinationStyleOpInterface,
    DeclareOpInterfaceMethods<MemoryEffectsOpInterface>]> {
  let summary = "row lookup in a GGUF block-format table through txc_qembed";
  let description = [{
    `init[i, :]` = row `ids[i]` of the table whose row bytes are `table`
    (`[rows, row_bytes]`, a `!tx.qweight` of a GGUF block format),
    dequantized to f32; ids outside `[0, rows)` give zeros. Tensor or
    memref forms as for `txcpu.qmatmul`.

    ```mlir
    %h = txcpu.qembed ins(%table, %ids : tensor<49152x612xi8>, tensor<16xi64>)
        outs(%init : tensor<16x576xf32>) {ggml_type = 8 : i32, in_features = 576 : i64}
        -> tensor<16x576xf32>
    ```
  }];
  let arguments = (ins TensorOrMemRef<[I8]>:$table,
                       TensorOrMemRef<[I64]>:$ids,
                       TensorOrMemRef<[F32]>:$init,
                       I32Attr:$ggml_type,
                       I64Attr:$in_features);
  let results = (outs Optional<AnyRankedTensor>:$result);
  let assemblyFormat = [{
    `ins` `(` $table `,` $ids `:` type($table) `,` type($ids) `)`
    `outs` `(` $init `:` type($init) `)` attr-dict (`->` type($result)^)?
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::MutableOperandRange getDpsInitsMutable() {
      return getInitMutable();
    }
    bool hasBufferSemantics() {
      return ::mlir::isa<::mlir::MemRefType>(getInit().getType());
    }
  }];
}

def TxCpu_KVQuantAppendOp : TxCpu_Op<"kv_quant_append", [
    DestinationStyleOpInterface,
    DeclareOpInterfaceMethods<MemoryEffectsOpInterface>]> {
  let summary = "tx.kv_append into a quantized KV cache through "
                "txc_kv_quant_append";
  let description = [{
    Quantizes `source` (`[B, Hkv, S, D]` f32: new keys or values) row by row
    and writes the rows at positions `[position, position + S)` of slab
    (`layer`, `kv`: 0 keys, 1 values) of `cache`, the whole quantized cache
    `[layers, 2, B, Hkv, capacity, D + 4]` `i8` (paged: `[layers, 2, blocks,
    Hkv, block_size, D + 4]` with a `block_table` and `block_size`).
    `kv_format` is 1 (int8), 2 (fp8 e4m3) or an int4 format word
    (`TXC_KV_INT4_WORD`; the cache's last two dimensions are then slots of
    `TXC_KV_INT4_ROW(D, group)` bytes, no block table); the row format is
    that of lib/Runtime/kernels/cpu/KVQuant.h. Unlike the other ops, `cache` is read
    and written (only the new rows change). Tensor or memref forms as for
    `txcpu.attention`.

    ```mlir
    %c = txcpu.kv_quant_append ins(%k : tensor<1x3x1x64xf32>) position(%p)
        outs(%cache : tensor<30x2x1x3x4096x68xi8>)
        {kv = 0 : i64, kv_format = 1 : i32, layer = 0 : i64}
        -> tensor<30x2x1x3x4096x68xi8>
    ```
  }];
  let arguments = (ins TensorOrMemRef<[F32]>:$source,
                       Index:$position,
                       Optional<TensorOrMemRef<[I32]>>:$block_table,
                       TensorOrMemRef<[I8]>:$cache,
                       I64Attr:$layer,
                       I64Attr:$kv,
                       I32Attr:$kv_format,
                       OptionalAttr<I64Attr>:$block_size);
  let results = (outs Optional<AnyRankedTensor>:$result);
  let assemblyFormat = [{
    `ins` `(` $source `:` type($source) `)` `position` `(` $position `)`
    (`block_table` `(` $block_table^ `:` type($block_table) `)`)?
    `outs` `(` $cache `:` type($cache) `)` attr-dict (`->` type($result)^)?
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::MutableOperandRange getDpsInitsMutable() {
      return getCacheMutable();
    }
    bool hasBufferSemantics() {
      return ::mlir::isa<::mlir::MemRefType>(getCache().getType());
    }
  }];
}

#endif // TXC_CODEGEN_TXCPUOPS_TD
