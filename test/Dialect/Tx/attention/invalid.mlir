// RUN: tx-opt %s -split-input-file -verify-diagnostics

func.func @query_rank(%q: tensor<8x16x64xf32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x16x64xf32>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.attention' op 'query' must have rank 4 ([batch, heads, seq, head_dim]), got rank 3}}
  %o = tx.attention %q, %k, %v mask(causal) : tensor<8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// -----

func.func @key_rank(%q: tensor<1x8x16x64xf32>, %k: tensor<2x16x64xf32>, %v: tensor<1x2x16x64xf32>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.attention' op 'key' must have rank 4 ([batch, heads, seq, head_dim]), got rank 3}}
  %o = tx.attention %q, %k, %v mask(causal) : tensor<1x8x16x64xf32>, tensor<2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// -----

func.func @value_rank(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x1x2x16x64xf32>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.attention' op 'value' must have rank 4 ([batch, heads, seq, head_dim]), got rank 5}}
  %o = tx.attention %q, %k, %v mask(causal) : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x1x2x16x64xf32> -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// -----

func.func @key_element_type(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf16>, %v: tensor<1x2x16x64xf32>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.attention' op element type mismatch: 'key' has 'f16' but 'query' has 'f32'}}
  %o = tx.attention %q, %k, %v mask(causal) : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf16>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// -----

func.func @value_element_type(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x16x64xbf16>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.attention' op element type mismatch: 'value' has 'bf16' but 'query' has 'f32'}}
  %o = tx.attention %q, %k, %v mask(causal) : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xbf16> -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// -----

func.func @key_batch(%q: tensor<1x8x16x64xf32>, %k: tensor<2x2x16x64xf32>, %v: tensor<1x2x16x64xf32>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.attention' op batch mismatch: query batch is 1 but key batch is 2}}
  %o = tx.attention %q, %k, %v mask(causal) : tensor<1x8x16x64xf32>, tensor<2x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// -----

func.func @value_batch(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf32>, %v: tensor<3x2x16x64xf32>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.attention' op batch mismatch: query batch is 1 but value batch is 3}}
  %o = tx.attention %q, %k, %v mask(causal) : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<3x2x16x64xf32> -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// -----

func.func @key_head_dim(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x128xf32>, %v: tensor<1x2x16x64xf32>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.attention' op head_dim mismatch: query head_dim is 64 but key head_dim is 128}}
  %o = tx.attention %q, %k, %v mask(causal) : tensor<1x8x16x64xf32>, tensor<1x2x16x128xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// -----

func.func @value_heads(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x4x16x64xf32>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.attention' op KV heads mismatch: key heads is 2 but value heads is 4}}
  %o = tx.attention %q, %k, %v mask(causal) : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x4x16x64xf32> -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// -----

func.func @value_seq(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x32x64xf32>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.attention' op key length mismatch: key seq is 16 but value seq is 32}}
  %o = tx.attention %q, %k, %v mask(causal) : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x32x64xf32> -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// -----

func.func @gqa_not_multiple(%q: tensor<1x8x16x64xf32>, %k: tensor<1x3x16x64xf32>, %v: tensor<1x3x16x64xf32>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.attention' op query heads (8) must be a multiple of KV heads (3)}}
  %o = tx.attention %q, %k, %v mask(causal) : tensor<1x8x16x64xf32>, tensor<1x3x16x64xf32>, tensor<1x3x16x64xf32> -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// -----

func.func @gqa_zero_kv_heads(%q: tensor<1x8x16x64xf32>, %k: tensor<1x0x16x64xf32>, %v: tensor<1x0x16x64xf32>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.attention' op query heads (8) must be a multiple of KV heads (0)}}
  %o = tx.attention %q, %k, %v mask(causal) : tensor<1x8x16x64xf32>, tensor<1x0x16x64xf32>, tensor<1x0x16x64xf32> -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// -----

func.func @result_shape(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x16x32xf32>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.attention' op 'result' must have shape [1, 8, 16, 32], got [1, 8, 16, 64]}}
  %o = tx.attention %q, %k, %v mask(causal) : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x32xf32> -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// -----

func.func @result_shape_dynamic(%q: tensor<?x8x?x64xf32>, %k: tensor<?x2x?x64xf32>, %v: tensor<?x2x?x64xf32>) -> tensor<?x4x?x64xf32> {
  // expected-error @+1 {{'tx.attention' op 'result' must have shape [?, 8, ?, 64], got [?, 4, ?, 64]}}
  %o = tx.attention %q, %k, %v mask(none) : tensor<?x8x?x64xf32>, tensor<?x2x?x64xf32>, tensor<?x2x?x64xf32> -> tensor<?x4x?x64xf32>
  return %o : tensor<?x4x?x64xf32>
}

// -----

func.func @result_element_type(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x16x64xf32>) -> tensor<1x8x16x64xf16> {
  // expected-error @+1 {{'tx.attention' op element type mismatch: 'result' has 'f16' but 'query' has 'f32'}}
  %o = tx.attention %q, %k, %v mask(causal) : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf16>
  return %o : tensor<1x8x16x64xf16>
}

// -----

func.func @scale_zero(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x16x64xf32>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.attention' op scale must be a positive finite number, got 0.000000e+00}}
  %o = tx.attention %q, %k, %v mask(causal) {scale = 0.0 : f64} : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// -----

func.func @scale_negative(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x16x64xf32>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.attention' op scale must be a positive finite number, got -1.250000e-01}}
  %o = tx.attention %q, %k, %v mask(causal) {scale = -0.125 : f64} : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// -----

func.func @scale_infinite(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x16x64xf32>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.attention' op scale must be a positive finite number, got INF}}
  %o = tx.attention %q, %k, %v mask(causal) {scale = 0x7FF0000000000000 : f64} : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// -----

func.func @window_missing(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x16x64xf32>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.attention' op 'window' is required for mask kind sliding_window}}
  %o = tx.attention %q, %k, %v mask(sliding_window) : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// -----

func.func @window_wrong_kind(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x16x64xf32>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.attention' op 'window' is only valid with mask kind sliding_window, not causal}}
  %o = tx.attention %q, %k, %v mask(causal) {window = 128} : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// -----

func.func @tree_missing(%q: tensor<1x8x4x64xf32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x16x64xf32>) -> tensor<1x8x4x64xf32> {
  // expected-error @+1 {{'tx.attention' op 'tree' is required for mask kind tree}}
  %o = tx.attention %q, %k, %v mask(tree) : tensor<1x8x4x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x4x64xf32>
  return %o : tensor<1x8x4x64xf32>
}

// -----

func.func @tree_wrong_kind(%q: tensor<1x8x4x64xf32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x16x64xf32>) -> tensor<1x8x4x64xf32> {
  // expected-error @+1 {{'tx.attention' op 'tree' is only valid with mask kind tree, not none}}
  %o = tx.attention %q, %k, %v mask(none) {tree = #tx.tree<parents = [-1, 0, 0, 1]>} : tensor<1x8x4x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x4x64xf32>
  return %o : tensor<1x8x4x64xf32>
}

// -----

func.func @blocks_missing(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x16x64xf32>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.attention' op 'blocks' is required for mask kind block_sparse}}
  %o = tx.attention %q, %k, %v mask(block_sparse) {block_size = 16} : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// -----

func.func @blocks_wrong_kind(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x16x64xf32>, %b: tensor<1x8x1x2xi64>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.attention' op 'blocks' is only valid with mask kind block_sparse, not causal}}
  %o = tx.attention %q, %k, %v mask(causal) blocks(%b : tensor<1x8x1x2xi64>) : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// -----

func.func @block_size_missing(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x16x64xf32>, %b: tensor<1x8x1x2xi64>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.attention' op 'block_size' is required for mask kind block_sparse}}
  %o = tx.attention %q, %k, %v mask(block_sparse) blocks(%b : tensor<1x8x1x2xi64>) : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// -----

func.func @block_size_wrong_kind(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x16x64xf32>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.attention' op 'block_size' is only valid with mask kind block_sparse, not sliding_window}}
  %o = tx.attention %q, %k, %v mask(sliding_window) {window = 4, block_size = 16} : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// -----

func.func @sinks_wrong_kind(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x16x64xf32>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.attention' op 'sinks' is only valid with mask kind sliding_window, not causal}}
  %o = tx.attention %q, %k, %v mask(causal) {sinks = 4} : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// -----

func.func @window_zero(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x16x64xf32>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.attention' op 'window' must be positive, got 0}}
  %o = tx.attention %q, %k, %v mask(sliding_window) {window = 0} : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// -----

func.func @window_negative(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x16x64xf32>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.attention' op 'window' must be positive, got -8}}
  %o = tx.attention %q, %k, %v mask(sliding_window) {window = -8} : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// -----

func.func @sinks_negative(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x16x64xf32>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.attention' op 'sinks' must be non-negative, got -1}}
  %o = tx.attention %q, %k, %v mask(sliding_window) {window = 4, sinks = -1} : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// -----

func.func @fewer_keys_than_queries(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x8x64xf32>, %v: tensor<1x2x8x64xf32>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.attention' op mask kind causal needs at least as many keys as queries, got 8 keys for 16 queries}}
  %o = tx.attention %q, %k, %v mask(causal) : tensor<1x8x16x64xf32>, tensor<1x2x8x64xf32>, tensor<1x2x8x64xf32> -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// -----

func.func @fewer_keys_than_queries_window(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x8x64xf32>, %v: tensor<1x2x8x64xf32>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.attention' op mask kind sliding_window needs at least as many keys as queries, got 8 keys for 16 queries}}
  %o = tx.attention %q, %k, %v mask(sliding_window) {window = 4} : tensor<1x8x16x64xf32>, tensor<1x2x8x64xf32>, tensor<1x2x8x64xf32> -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// -----

func.func @tree_size(%q: tensor<1x8x3x64xf32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x16x64xf32>) -> tensor<1x8x3x64xf32> {
  // expected-error @+1 {{'tx.attention' op tree has 4 nodes but the query has 3 positions}}
  %o = tx.attention %q, %k, %v mask(tree) {tree = #tx.tree<parents = [-1, 0, 0, 1]>} : tensor<1x8x3x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x3x64xf32>
  return %o : tensor<1x8x3x64xf32>
}

// -----

func.func @block_size_zero(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x16x64xf32>, %b: tensor<1x8x1x2xi64>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.attention' op 'block_size' must be positive, got 0}}
  %o = tx.attention %q, %k, %v mask(block_sparse) blocks(%b : tensor<1x8x1x2xi64>) {block_size = 0} : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// -----

func.func @blocks_rank(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x16x64xf32>, %b: tensor<8x1x2xi64>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.attention' op 'blocks' must have rank 4 ([batch, heads, query_blocks, selected]), got rank 3}}
  %o = tx.attention %q, %k, %v mask(block_sparse) blocks(%b : tensor<8x1x2xi64>) {block_size = 16} : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// -----

func.func @blocks_query_blocks(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x16x64xf32>, %b: tensor<1x8x1x3xi64>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.attention' op 'blocks' must have shape [1, 8, 2, 3], got [1, 8, 1, 3]}}
  %o = tx.attention %q, %k, %v mask(block_sparse) blocks(%b : tensor<1x8x1x3xi64>) {block_size = 8} : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// -----

func.func @blocks_heads(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x16x64xf32>, %b: tensor<1x2x1x3xi64>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.attention' op 'blocks' must have shape [1, 8, 1, 3], got [1, 2, 1, 3]}}
  %o = tx.attention %q, %k, %v mask(block_sparse) blocks(%b : tensor<1x2x1x3xi64>) {block_size = 16} : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// -----

func.func @explicit_mask_rank(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x16x64xf32>, %m: tensor<16x16xi1>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.attention' op 'explicit_mask' must have rank 4 ([batch|1, heads|1, q_seq|1, k_seq]), got rank 2}}
  %o = tx.attention %q, %k, %v mask(none) explicit_mask(%m : tensor<16x16xi1>) : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// -----

func.func @explicit_mask_batch(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x16x64xf32>, %v: tensor<2x2x16x64xf32>, %m: tensor<3x1x16x16xi1>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'tx.attention' op explicit_mask dimension 0 must be 1 or 2, got 3}}
  %o = tx.attention %q, %k, %v mask(none) explicit_mask(%m : tensor<3x1x16x16xi1>) : tensor<2x8x16x64xf32>, tensor<2x2x16x64xf32>, tensor<2x2x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @explicit_mask_heads(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x16x64xf32>, %m: tensor<1x2x16x16xf32>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.attention' op explicit_mask dimension 1 must be 1 or 8, got 2}}
  %o = tx.attention %q, %k, %v mask(none) explicit_mask(%m : tensor<1x2x16x16xf32>) : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// -----

func.func @explicit_mask_queries(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x16x64xf32>, %m: tensor<1x1x2x16xi1>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.attention' op explicit_mask dimension 2 must be 1 or 16, got 2}}
  %o = tx.attention %q, %k, %v mask(causal) explicit_mask(%m : tensor<1x1x2x16xi1>) : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// -----

func.func @explicit_mask_keys(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x32x64xf32>, %v: tensor<1x2x32x64xf32>, %m: tensor<1x1x16x16xi1>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.attention' op explicit_mask dimension 3 must be 32, got 16}}
  %o = tx.attention %q, %k, %v mask(causal) explicit_mask(%m : tensor<1x1x16x16xi1>) : tensor<1x8x16x64xf32>, tensor<1x2x32x64xf32>, tensor<1x2x32x64xf32> -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// -----

func.func @explicit_mask_int_type(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x16x64xf32>, %m: tensor<1x1x16x16xi8>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.attention' op operand #3 must be ranked tensor of 1-bit signless integer or floating-point values, but got 'tensor<1x1x16x16xi8>'}}
  %o = tx.attention %q, %k, %v mask(none) explicit_mask(%m : tensor<1x1x16x16xi8>) : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// -----

func.func @kv_length_tree(%q: tensor<1x2x3x8xf32>, %k: tensor<1x2x16x8xf32>, %n: index) -> tensor<1x2x3x8xf32> {
  // expected-error @+1 {{'kv_length' is only valid with mask kinds none, causal and sliding_window, not tree}}
  %o = tx.attention %q, %k, %k mask(tree) kv_length(%n) {tree = #tx.tree<parents = [-1, 0, 0]>}
      : tensor<1x2x3x8xf32>, tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32> -> tensor<1x2x3x8xf32>
  return %o : tensor<1x2x3x8xf32>
}
