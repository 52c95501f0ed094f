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
  let extraClassDeclaration = [{
  private:
    void registerTypes();
    void registerAttributes();
  public:
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
