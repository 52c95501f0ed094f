// RUN: tx-opt %s --split-input-file --tx-lower-to-linalg --verify-diagnostics -o /dev/null

// Ops the CPU backend cannot lower yet are reported, each with its own error,
// before anything is rewritten.

func.func @tree_verify(%tokens: tensor<1x4xi64>, %logits: tensor<1x4x32xf32>)
    -> (tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>) {
  // expected-error @below {{tx-lower-to-linalg: tx.tree_verify is not supported by the CPU backend yet}}
  %path, %len, %next = tx.tree_verify %tokens, %logits tree(#tx.tree<parents = [-1, 0, 0, 1]>) mode(greedy)
      : tensor<1x4xi64>, tensor<1x4x32xf32> -> tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>
  return %path, %len, %next : tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>
}

// -----

// tx.kv_commit (draft-tree acceptance) is not lowered yet.
func.func @kv_commit(%cache: !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 16, head_dim = 8, f32>,
                     %pos: index, %path: tensor<1x4xi64>) {
  // expected-error @below {{tx-lower-to-linalg: tx.kv_commit is not supported by the CPU backend yet}}
  tx.kv_commit %cache, %path at %pos
      : !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 16, head_dim = 8, f32>, tensor<1x4xi64>
  return
}

// -----

// An append inside a region cannot thread the cache in place (views may:
// tx-early-exit puts them in an scf.if).
func.func @kv_region(%cache: !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 16, head_dim = 8, f32>,
                     %k: tensor<1x2x1x8xf32>, %pos: index, %c: i1) {
  scf.if %c {
    // expected-error @below {{tx-lower-to-linalg: KV cache ops must use the entry function's !tx.kv_cache argument, and appends must be outside any region}}
    tx.kv_append %cache[0], %k, %k at %pos
        : !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 16, head_dim = 8, f32>,
          tensor<1x2x1x8xf32>, tensor<1x2x1x8xf32>
  }
  return
}

// -----

// The view must cover the whole capacity (its consumer masks with kv_length).
func.func @kv_short_view(%cache: !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 16, head_dim = 8, f32>,
                         %pos: index) -> tensor<1x2x8x8xf32> {
  // expected-error @below {{tx-lower-to-linalg: kv_view must read the whole capacity [batch, kv_heads, capacity, head_dim] (the consumer limits it with kv_length)}}
  %k, %v = tx.kv_view %cache[0] length %pos
      : !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 16, head_dim = 8, f32>
        -> tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>
  return %k : tensor<1x2x8x8xf32>
}

// -----

// expected-error @+1 {{tx-lower-to-linalg: only f32 KV caches are supported by the CPU backend yet, got '!tx.kv_cache<layers = 1, kv_heads = 2, capacity = 16, head_dim = 8, f16>'}}
func.func @kv_f16(%cache: !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 16, head_dim = 8, f16>,
                  %pos: index) -> tensor<1x2x16x8xf16> {
  %k, %v = tx.kv_view %cache[0] length %pos
      : !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 16, head_dim = 8, f16>
        -> tensor<1x2x16x8xf16>, tensor<1x2x16x8xf16>
  return %k : tensor<1x2x16x8xf16>
}

// -----

// expected-error @+1 {{tx-lower-to-linalg: more than one !tx.kv_cache argument}}
func.func @two_caches(%a: !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 16, head_dim = 8, f32>,
                      %b: !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 16, head_dim = 8, f32>) {
  return
}

// -----

// expected-error @+1 {{tx-lower-to-linalg: the !tx.kv_cache argument is never appended to or viewed}}
func.func @unused_cache(%a: !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 16, head_dim = 8, f32>) {
  return
}

// -----

func.func @two_batches(%cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 16, head_dim = 8, f32>,
                       %k1: tensor<1x2x1x8xf32>, %k2: tensor<2x2x1x8xf32>, %pos: index) {
  tx.kv_append %cache[0], %k1, %k1 at %pos
      : !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 16, head_dim = 8, f32>, tensor<1x2x1x8xf32>, tensor<1x2x1x8xf32>
  // expected-error @+1 {{tx-lower-to-linalg: kv_append needs static [batch, kv_heads, S, head_dim] with one batch size}}
  tx.kv_append %cache[1], %k2, %k2 at %pos
      : !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 16, head_dim = 8, f32>, tensor<2x2x1x8xf32>, tensor<2x2x1x8xf32>
  return
}

// -----

func.func @paged_view_returned(%cache: !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 16, head_dim = 8, f32, paged<4>>,
                               %pos: index) -> tensor<1x2x16x8xf32> {
  // expected-error @+1 {{tx-lower-to-linalg: a paged kv_view can only be read by an attention with kv_length (keys and values of one view)}}
  %k, %v = tx.kv_view %cache[0] length %pos
      : !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 16, head_dim = 8, f32, paged<4>> -> tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>
  return %k : tensor<1x2x16x8xf32>
}

// -----

func.func @block_selection(%q: tensor<1x8x1x64xf32>, %k: tensor<1x2x64x64xf32>) -> tensor<1x8x1x7xi64> {
  // expected-error @below {{tx-lower-to-linalg: tx.block_summary is not supported by the CPU backend yet}}
  %kmax, %kmin = tx.block_summary %k kind(minmax) block_size(16)
      : tensor<1x2x64x64xf32> -> tensor<1x2x4x64xf32>, tensor<1x2x4x64xf32>
  // expected-error @below {{tx-lower-to-linalg: tx.block_select is not supported by the CPU backend yet}}
  %blocks = tx.block_select %q, %kmax, %kmin block_size(16) {sinks = 1, local = 2, top_k = 4}
      : tensor<1x8x1x64xf32>, tensor<1x2x4x64xf32>, tensor<1x2x4x64xf32> -> tensor<1x8x1x7xi64>
  return %blocks : tensor<1x8x1x7xi64>
}

// -----

func.func @attention_tree(%q: tensor<1x8x4x64xf32>, %k: tensor<1x2x32x64xf32>, %v: tensor<1x2x32x64xf32>) -> tensor<1x8x4x64xf32> {
  // expected-error @below {{tx-lower-to-linalg: tx.attention with mask kind tree is not supported by the CPU backend yet}}
  %o = tx.attention %q, %k, %v mask(tree) {tree = #tx.tree<parents = [-1, 0, 0, 1]>}
      : tensor<1x8x4x64xf32>, tensor<1x2x32x64xf32>, tensor<1x2x32x64xf32> -> tensor<1x8x4x64xf32>
  return %o : tensor<1x8x4x64xf32>
}

// -----

func.func @attention_block_sparse(%q: tensor<1x8x32x64xf32>, %k: tensor<1x2x128x64xf32>, %v: tensor<1x2x128x64xf32>, %blocks: tensor<1x8x2x4xi64>) -> tensor<1x8x32x64xf32> {
  // expected-error @below {{tx-lower-to-linalg: tx.attention with mask kind block_sparse is not supported by the CPU backend yet}}
  %o = tx.attention %q, %k, %v mask(block_sparse) blocks(%blocks : tensor<1x8x2x4xi64>) {block_size = 16}
      : tensor<1x8x32x64xf32>, tensor<1x2x128x64xf32>, tensor<1x2x128x64xf32> -> tensor<1x8x32x64xf32>
  return %o : tensor<1x8x32x64xf32>
}

// -----

// An unsupported op inside a tx.layer is reported too.
func.func @inside_layer(%tokens: tensor<1x4xi64>, %logits: tensor<1x4x32xf32>) -> tensor<1x4xi64> {
  %r = tx.layer 0 (%tokens) : (tensor<1x4xi64>) -> tensor<1x4xi64> {
  ^bb0(%t: tensor<1x4xi64>):
    // expected-error @below {{tx-lower-to-linalg: tx.tree_verify is not supported by the CPU backend yet}}
    %path, %len, %next = tx.tree_verify %t, %logits tree(#tx.tree<parents = [-1, 0, 0, 1]>) mode(greedy)
        : tensor<1x4xi64>, tensor<1x4x32xf32> -> tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>
    tx.yield %path : tensor<1x4xi64>
  }
  return %r : tensor<1x4xi64>
}

// -----

// Dynamic dimensions.
func.func @dynamic(%x: tensor<?x64xf32>, %w: tensor<128x64xf32>) -> tensor<?x128xf32> {
  // expected-error @below {{tx-lower-to-linalg: dynamic shapes are not supported by the CPU backend yet, got 'tensor<?x64xf32>'}}
  %y = tx.linear %x, %w : tensor<?x64xf32>, tensor<128x64xf32> -> tensor<?x128xf32>
  return %y : tensor<?x128xf32>
}

// -----

// Quantized weights are lowered from the tx.qpack or tx.qblocks that
// builds them.
func.func @qweight_argument(%x: tensor<2x64xf32>,
    %w: !tx.qweight<8x64, int4, group = 32, scale = f16>) -> tensor<2x8xf32> {
  // expected-error @below {{tx-lower-to-linalg: the quantized weight must be built by tx.qpack or tx.qblocks}}
  %y = tx.qlinear %x, %w
      : tensor<2x64xf32>, !tx.qweight<8x64, int4, group = 32, scale = f16> -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// ... also through a tx.layer argument.
func.func @qweight_argument_in_layer(%x: tensor<2x64xf32>,
    %w: !tx.qweight<8x64, int8, group = 64, scale = f32>) -> tensor<8x64xf32> {
  %r = tx.layer 0 (%w) : (!tx.qweight<8x64, int8, group = 64, scale = f32>) -> tensor<8x64xf32> {
  ^bb0(%wq: !tx.qweight<8x64, int8, group = 64, scale = f32>):
    // expected-error @below {{tx-lower-to-linalg: tx.dequant needs a weight built by tx.qpack (block-format weights are only multiplied and looked up, by the kernels)}}
    %d = tx.dequant %wq : !tx.qweight<8x64, int8, group = 64, scale = f32> -> tensor<8x64xf32>
    tx.yield %d : tensor<8x64xf32>
  }
  return %r : tensor<8x64xf32>
}

// -----

// A quantized weight that leaves the function cannot be lowered.
func.func @qweight_returned(%codes: tensor<8x64xi8>, %scales: tensor<8x1xf32>)
    -> !tx.qweight<8x64, int8, group = 64, scale = f32> {
  // expected-error @below {{tx-lower-to-linalg: a quantized weight can only be used by tx.dequant, tx.qlinear and tx.embedding}}
  %w = tx.qpack %codes, %scales
      : tensor<8x64xi8>, tensor<8x1xf32> -> !tx.qweight<8x64, int8, group = 64, scale = f32>
  return %w : !tx.qweight<8x64, int8, group = 64, scale = f32>
}

// -----

// ... also one built by tx.qblocks.
func.func @qblocks_returned(%bytes: tensor<8x68xi8>)
    -> !tx.qweight<8x64, q8_0, group = 32, scale = f16> {
  // expected-error @below {{tx-lower-to-linalg: a quantized weight can only be used by tx.dequant, tx.qlinear and tx.embedding}}
  %w = tx.qblocks %bytes : tensor<8x68xi8> -> !tx.qweight<8x64, q8_0, group = 32, scale = f16>
  return %w : !tx.qweight<8x64, q8_0, group = 32, scale = f16>
}

// -----

// GGUF block-format weights are only multiplied and looked up (by the
// kernels), never expanded.
func.func @dequant_qblocks(%bytes: tensor<8x68xi8>) -> tensor<8x64xf32> {
  %w = tx.qblocks %bytes : tensor<8x68xi8> -> !tx.qweight<8x64, q8_0, group = 32, scale = f16>
  // expected-error @below {{tx-lower-to-linalg: tx.dequant needs a weight built by tx.qpack (block-format weights are only multiplied and looked up, by the kernels)}}
  %d = tx.dequant %w : !tx.qweight<8x64, q8_0, group = 32, scale = f16> -> tensor<8x64xf32>
  return %d : tensor<8x64xf32>
}

// -----

// The block kernels compute in f32.
func.func @qlinear_qblocks_f16(%x: tensor<2x64xf16>, %bytes: tensor<8x36xi8>) -> tensor<2x8xf16> {
  %w = tx.qblocks %bytes : tensor<8x36xi8> -> !tx.qweight<8x64, q4_0, group = 32, scale = f16>
  // expected-error @below {{tx-lower-to-linalg: tx.qlinear on a GGUF block-format weight needs f32 input and result}}
  %y = tx.qlinear %x, %w : tensor<2x64xf16>, !tx.qweight<8x64, q4_0, group = 32, scale = f16> -> tensor<2x8xf16>
  return %y : tensor<2x8xf16>
}

// -----

// A quantized embedding table must be of a block format (tx.qblocks) ...
func.func @embedding_qpack(%codes: tensor<100x64xi8>, %scales: tensor<100x2xf16>, %ids: tensor<4xi64>) -> tensor<4x64xf32> {
  %w = tx.qpack %codes, %scales : tensor<100x64xi8>, tensor<100x2xf16> -> !tx.qweight<100x64, int8, group = 32, scale = f16>
  // expected-error @below {{tx-lower-to-linalg: tx.embedding of a quantized table needs a GGUF block-format table (tx.qblocks) and an f32 result}}
  %e = tx.embedding %w, %ids : !tx.qweight<100x64, int8, group = 32, scale = f16>, tensor<4xi64> -> tensor<4x64xf32>
  return %e : tensor<4x64xf32>
}

// -----

// ... and the rows f32.
func.func @embedding_qblocks_f16(%bytes: tensor<100x68xi8>, %ids: tensor<4xi64>) -> tensor<4x64xf16> {
  %w = tx.qblocks %bytes : tensor<100x68xi8> -> !tx.qweight<100x64, q8_0, group = 32, scale = f16>
  // expected-error @below {{tx-lower-to-linalg: tx.embedding of a quantized table needs a GGUF block-format table (tx.qblocks) and an f32 result}}
  %e = tx.embedding %w, %ids : !tx.qweight<100x64, q8_0, group = 32, scale = f16>, tensor<4xi64> -> tensor<4x64xf16>
  return %e : tensor<4x64xf16>
}

// -----

// Only the attention kernel reads a cache up to a run-time length; f16
// attention lowers to loops, which cannot.
func.func @kv_length_f16(%q: tensor<1x2x1x8xf16>, %k: tensor<1x2x16x8xf16>, %n: index) -> tensor<1x2x1x8xf16> {
  // expected-error @below {{tx-lower-to-linalg: tx.attention with kv_length needs the attention kernel (f32 query, key and value, attention-kernel=true)}}
  %o = tx.attention %q, %k, %k mask(causal) kv_length(%n)
      : tensor<1x2x1x8xf16>, tensor<1x2x16x8xf16>, tensor<1x2x16x8xf16> -> tensor<1x2x1x8xf16>
  return %o : tensor<1x2x1x8xf16>
}
