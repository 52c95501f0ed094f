//===- TxAttrs.td - tx enums and attributes ---------------*- tablegen -*-===//

#ifndef TXC_DIALECT_TX_TXATTRS_TD
#define TXC_DIALECT_TX_TXATTRS_TD

include "txc/Dialect/Tx/TxBase.td"

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def Tx_MaskKind : I32EnumAttr<"MaskKind", "attention mask kind", [
    I32EnumAttrCase<"none", 0>,
    I32EnumAttrCase<"causal", 1>,
    I32EnumAttrCase<"sliding_window", 2>,
    I32EnumAttrCase<"tree", 3>,
    I32EnumAttrCase<"block_sparse", 4>]> {
  let cppNamespace = "::txc::tx";
  let genSpecializedAttr = 0;
}
def Tx_MaskKindAttr : EnumAttr<Tx_Dialect, Tx_MaskKind, "mask_kind"> {
  let assemblyFormat = "$value";
}

def Tx_InputRole : I32EnumAttr<"InputRole", "what a model input holds", [
    I32EnumAttrCase<"token_ids", 0>,
    I32EnumAttrCase<"positions", 1>,
    I32EnumAttrCase<"attention_mask", 2>,
    I32EnumAttrCase<"token_type_ids", 3>,
    I32EnumAttrCase<"past_key_value", 4>]> {
  let cppNamespace = "::txc::tx";
  let genSpecializedAttr = 0;
}
def Tx_InputRoleAttr : EnumAttr<Tx_Dialect, Tx_InputRole, "input_role"> {
  let summary = "the role of a model input (`tx.role` argument attribute)";
  let description = [{
    Recorded by the frontend on the entry function's arguments as
    `tx.role = #tx.input_role<token_ids>`: token ids `[batch, sequence]`,
    positions `[batch, sequence]`, a padding mask `[batch, keys]`, token
    type ids, or a past key or value `[batch, kv_heads, past, head_dim]`.
    Passes and the driver read roles, never input names.
  }];
  let assemblyFormat = "`<` $value `>`";
}

def Tx_KVLayout : I32EnumAttr<"KVLayout", "KV cache memory layout", [
    I32EnumAttrCase<"contiguous", 0>,
    I32EnumAttrCase<"paged", 1>]> {
  let cppNamespace = "::txc::tx";
  let genSpecializedAttr = 0;
}

def Tx_QuantKind : I32EnumAttr<"QuantKind", "quantized element format", [
    I32EnumAttrCase<"int8", 0>,
    I32EnumAttrCase<"int4", 1>,
    I32EnumAttrCase<"fp8_e4m3", 2>,
    I32EnumAttrCase<"fp4_e2m1", 3>,
    // Block formats of GGUF files (ggml's layouts, byte for byte): the
    // weight is kept as the file's row bytes and read by the kernels.
    I32EnumAttrCase<"f16", 4>,
    I32EnumAttrCase<"bf16", 5>,
    I32EnumAttrCase<"q4_0", 6>,
    I32EnumAttrCase<"q4_1", 7>,
    I32EnumAttrCase<"q5_0", 8>,
    I32EnumAttrCase<"q5_1", 9>,
    I32EnumAttrCase<"q8_0", 10>,
    I32EnumAttrCase<"q4_k", 11>,
    I32EnumAttrCase<"q5_k", 12>,
    I32EnumAttrCase<"q6_k", 13>,
    I32EnumAttrCase<"int2", 14>]> {
  let cppNamespace = "::txc::tx";
  let genSpecializedAttr = 0;
}

def Tx_QuantAxis : I32EnumAttr<"QuantAxis", "axis a KV quantization group runs along", [
    I32EnumAttrCase<"per_token", 0>,
    I32EnumAttrCase<"per_channel", 1>]> {
  let cppNamespace = "::txc::tx";
  let genSpecializedAttr = 0;
}

def Tx_AcceptMode : I32EnumAttr<"AcceptMode", "draft-tree acceptance rule", [
    I32EnumAttrCase<"greedy", 0>,
    I32EnumAttrCase<"typical", 1>]> {
  let cppNamespace = "::txc::tx";
  let genSpecializedAttr = 0;
}
def Tx_AcceptModeAttr : EnumAttr<Tx_Dialect, Tx_AcceptMode, "accept_mode"> {
  let assemblyFormat = "$value";
}

def Tx_RouteWeighting : I32EnumAttr<"RouteWeighting",
    "how tx.route turns router scores into the weights of kept tokens", [
    I32EnumAttrCase<"one", 0>,
    I32EnumAttrCase<"score", 1>,
    I32EnumAttrCase<"sigmoid", 2>,
    I32EnumAttrCase<"tanh", 3>]> {
  let cppNamespace = "::txc::tx";
  let genSpecializedAttr = 0;
}
def Tx_RouteWeightingAttr : EnumAttr<Tx_Dialect, Tx_RouteWeighting, "route_weighting"> {
  let assemblyFormat = "$value";
}

def Tx_SummaryKind : I32EnumAttr<"SummaryKind", "per-block key summary", [
    I32EnumAttrCase<"minmax", 0>,
    I32EnumAttrCase<"mean", 1>]> {
  let cppNamespace = "::txc::tx";
  let genSpecializedAttr = 0;
}
def Tx_SummaryKindAttr : EnumAttr<Tx_Dialect, Tx_SummaryKind, "summary_kind"> {
  let assemblyFormat = "$value";
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

def Tx_TreeAttr : AttrDef<Tx_Dialect, "Tree"> {
  let mnemonic = "tree";
  let summary = "a draft token tree given by parent indices";
  let description = [{
    A draft tree for speculative decoding. Node `i`'s parent is `parents[i]`;
    node 0 is the root (the last accepted token) and has parent `-1`. Nodes are
    listed in topological order: every other node's parent has a smaller index.

    ```mlir
    // root with two children, the first of which has one child
    #tx.tree<parents = [-1, 0, 0, 1]>
    ```
  }];
  let parameters = (ins ArrayRefParameter<"int64_t">:$parents);
  let assemblyFormat = "`<` `parents` `=` `[` $parents `]` `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Number of nodes in the tree.
    int64_t size() const { return getParents().size(); }
    /// Depth of node `i` (the root has depth 0).
    int64_t depth(int64_t i) const;
    /// True when `a` is `b` or an ancestor of `b`.
    bool isAncestorOrSelf(int64_t a, int64_t b) const;
  }];
}

def Tx_KVFormatAttr : AttrDef<Tx_Dialect, "KVFormat"> {
  let mnemonic = "kv_format";
  let summary = "storage format of quantized KV cache elements";
  let description = [{
    How a KV cache stores its elements when they are quantized. Each group of
    `group` consecutive values along `axis` shares one scale (and, for
    integer kinds, one zero point). `per_token`: keys and values along
    head_dim of one token. `per_channel`: keys along the sequence for one
    channel (`group` tokens); the CPU backend's int4 layout (KIVI) groups
    values per token over `group` channels. `residual` (default 0) keeps the most recent
    `residual` tokens (up to `residual + group - 1`, until a whole key
    group is older) in full precision, in a buffer of `buffer` rows (default
    0: `residual + group`; larger when a step appends several tokens and
    may be partly taken back, as a padded prefill chunk is).

    ```mlir
    #tx.kv_format<int8, group = 64, per_token>
    #tx.kv_format<int4, group = 32, per_channel, residual = 128, buffer = 224>
    ```
  }];
  let parameters = (ins EnumParameter<Tx_QuantKind>:$kind,
                        "int64_t":$group,
                        EnumParameter<Tx_QuantAxis>:$axis,
                        DefaultValuedParameter<"int64_t", "0">:$residual,
                        DefaultValuedParameter<"int64_t", "0">:$buffer);
  let assemblyFormat = "`<` $kind `,` `group` `=` $group `,` $axis "
                       "(`,` `residual` `=` $residual^)? "
                       "(`,` `buffer` `=` $buffer^)? `>`";
  let extraClassDeclaration = [{
    /// The rows of the full-precision buffer: `buffer`, or residual + group.
    int64_t getBufferRows() const {
      return getBuffer() > 0 ? getBuffer() : getResidual() + getGroup();
    }
  }];
  let genVerifyDecl = 1;
}

#endif // TXC_DIALECT_TX_TXATTRS_TD
