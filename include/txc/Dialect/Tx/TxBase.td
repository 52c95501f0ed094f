//===- TxBase.td - tx dialect definition and shared bases --*- tablegen -*-===//
//
// The `tx` dialect: transformer inference ops (attention, KV cache, draft
// trees, token routing, sparse attention, quantized weights).
//
//===----------------------------------------------------------------------===//

#ifndef TXC_DIALECT_TX_TXBASE_TD
#define TXC_DIALECT_TX_TXBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"

def Tx_Dialect : Dialect {
  let name = "tx";
  let cppNamespace = "::txc::tx";
  let summary = "Transformer inference ops: attention, KV cache, draft trees, "
                "token routing, sparse attention and quantized weights";
  let description = [{
    `tx` is the graph-level dialect of txc. Its ops are the things inference
    engineers reason about: a decoder `tx.layer`, `tx.attention` with its mask
    kind and GQA grouping, an in-place KV cache (`!tx.kv_cache`), draft trees
    for speculative decoding (`#tx.tree`), mixture-of-depths token routing,
    block-sparse attention selection, and quantized weights
    (`!tx.qweight`). Generic tensor computation stays in upstream dialects
    (`arith`, `math`, `tensor`, `linalg`, `tosa`) and mixes freely with `tx`.

    Tensor layout conventions used by every op:

    * hidden states are `[batch, seq, hidden]`;
    * per-head tensors (queries, keys, values) are `[batch, heads, seq, head_dim]`;
    * linear weights are `[out_features, in_features]` (PyTorch convention).
  }];
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 1;
  let dependentDialects = ["::mlir::arith::ArithDialect"];
  // Attributes txc attaches to upstream ops (the module, the entry
  // function, its arguments and results) between import and code
  // generation; each is `tx.<name>`. The dialect gets a typed helper per
  // attribute (getNameAttrHelper(), ...); argument and result attributes
  // are read with the function's getArgAttrOfType and the helper's name.
  let discardableAttrs = (ins
    // Function argument or result: the input or output name a frontend
    // recorded (the ONNX graph's, the model builder's); it becomes the
    // tensor's "name" in the compiled model's metadata.
    "::mlir::StringAttr":$name,
    // Function argument (after tx-weights-to-arguments): the name of the
    // weight the argument carries, its key in the weights file.
    "::mlir::StringAttr":$weight,
    // Function argument: `array<i64: low, high>`, the range an input's
    // values must lie in because the model indexes a table with them
    // (metadata "index_range", checked by the runtime before every run).
    "::mlir::DenseI64ArrayAttr":$index_range,
    // Module: the safetensors file holding the weights (the metadata's
    // "weights_file", relative to the model library).
    "::mlir::StringAttr":$weights,
    // Module: the tokenizer file a frontend wrote beside the model (the
    // metadata's "tokenizer_file").
    "::mlir::StringAttr":$tokenizer,
    // Entry function of a generation model (tx-use-kv-cache): the roles of
    // its inputs and outputs (tokens, positions, cache, cache_position,
    // logits: tensor names), its batch and step, and the cache type.
    "::mlir::DictionaryAttr":$generation,
    // Module (tx-weights-to-arguments): the metadata JSON document the
    // model library returns from txc_model_metadata.
    "::mlir::StringAttr":$signature,
    // Module (tx-weights-to-arguments): the buffer slots of empty tensors,
    // which the entry point replaces by a scratch byte.
    "::mlir::DenseI64ArrayAttr":$placeholders,
    // Function argument: what a model input holds
    // (`#tx.input_role<token_ids|positions|attention_mask|token_type_ids|
    // past_key_value>`, a `::txc::tx::InputRoleAttr`; declared as Attribute
    // because the attribute classes are defined after the dialect), recorded
    // by the frontend; passes read it (tx::getInputRole) instead of input
    // names.
    "::mlir::Attribute":$role,
    // tx.weight (CPU lowering): the weight's logical type when the op reads
    // a sub-byte weight (i4, i2, f4E2M1FN) as its packed bytes, `[...,
    // last * bits / 8] x i8`; tx-weights-to-arguments describes the weight
    // by this type.
    "::mlir::TypeAttr":$packed
  );
  let extraClassDeclaration = [{
  private:
    void registerTypes();
    void registerAttributes();
  public:
    /// The weight data of tx.weight ops (WeightStore.h); null if none.
    std::shared_ptr<WeightStore> weightStore;
  }];
}

class Tx_Op<string mnemonic, list<Trait> traits = []>
    : Op<Tx_Dialect, mnemonic, traits>;

/// The KV cache is state owned by the runtime; cache ops read and write it
/// through this resource so that passes never reorder a read past a write.
def Tx_KVCacheResource : Resource<"::txc::tx::KVCacheResource">;

//===----------------------------------------------------------------------===//
// Type constraints shared by several op families
//===----------------------------------------------------------------------===//

def Tx_FloatTensor : RankedTensorOf<[AnyFloat]>;
def Tx_IntTensor : RankedTensorOf<[AnySignlessInteger, Index]>;
def Tx_BoolOrFloatTensor : RankedTensorOf<[I1, AnyFloat]>;

#endif // TXC_DIALECT_TX_TXBASE_TD
