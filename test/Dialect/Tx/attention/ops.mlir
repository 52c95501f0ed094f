// RUN: tx-opt %s | tx-opt | FileCheck %s
// RUN: tx-opt %s --mlir-print-op-generic | tx-opt | FileCheck %s

// Round trip of tx.attention: every mask kind, explicit masks of both kinds,
// default and explicit scale, GQA grouping and dynamic dimensions.

// mask(none), default scale (no attribute printed), GQA with 4 query heads
// per KV head (H = 8, Hkv = 2).
// CHECK-LABEL: func.func @mask_none_gqa4
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x8x16x64xf32>, %[[K:[^:]+]]: tensor<1x2x16x64xf32>, %[[V:[^:]+]]: tensor<1x2x16x64xf32>)
func.func @mask_none_gqa4(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x16x64xf32>) -> tensor<1x8x16x64xf32> {
  // CHECK: %[[O:.+]] = tx.attention %[[Q]], %[[K]], %[[V]] mask(none) : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
  // CHECK-NEXT: return %[[O]]
  %o = tx.attention %q, %k, %v mask(none)
      : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// mask(causal), GQA group 1 (H = Hkv: plain multi-head attention).
// CHECK-LABEL: func.func @mask_causal_gqa1
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<2x4x16x32xf16>, %[[K:[^:]+]]: tensor<2x4x16x32xf16>, %[[V:[^:]+]]: tensor<2x4x16x32xf16>)
func.func @mask_causal_gqa1(%q: tensor<2x4x16x32xf16>, %k: tensor<2x4x16x32xf16>, %v: tensor<2x4x16x32xf16>) -> tensor<2x4x16x32xf16> {
  // CHECK: tx.attention %[[Q]], %[[K]], %[[V]] mask(causal) : tensor<2x4x16x32xf16>, tensor<2x4x16x32xf16>, tensor<2x4x16x32xf16> -> tensor<2x4x16x32xf16>
  %o = tx.attention %q, %k, %v mask(causal)
      : tensor<2x4x16x32xf16>, tensor<2x4x16x32xf16>, tensor<2x4x16x32xf16> -> tensor<2x4x16x32xf16>
  return %o : tensor<2x4x16x32xf16>
}

// Explicit scale.
// CHECK-LABEL: func.func @explicit_scale
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x8x16x64xf32>, %[[K:[^:]+]]: tensor<1x2x16x64xf32>, %[[V:[^:]+]]: tensor<1x2x16x64xf32>)
func.func @explicit_scale(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x16x64xf32>) -> (tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32>) {
  // CHECK: tx.attention %[[Q]], %[[K]], %[[V]] mask(causal) {scale = 1.250000e-01 : f64} : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
  %o = tx.attention %q, %k, %v mask(causal) {scale = 0.125 : f64}
      : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
  // CHECK: tx.attention %[[Q]], %[[K]], %[[V]] mask(none) {scale = 2.000000e+00 : f64} : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
  %o2 = tx.attention %q, %k, %v mask(none) {scale = 2.0 : f64}
      : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
  return %o, %o2 : tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32>
}

// mask(sliding_window) with only a window.
// CHECK-LABEL: func.func @mask_sliding_window
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x8x16x64xf32>, %[[K:[^:]+]]: tensor<1x2x128x64xf32>, %[[V:[^:]+]]: tensor<1x2x128x64xf32>)
func.func @mask_sliding_window(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x128x64xf32>, %v: tensor<1x2x128x64xf32>) -> tensor<1x8x16x64xf32> {
  // CHECK: tx.attention %[[Q]], %[[K]], %[[V]] mask(sliding_window) {window = 32 : i64} : tensor<1x8x16x64xf32>, tensor<1x2x128x64xf32>, tensor<1x2x128x64xf32> -> tensor<1x8x16x64xf32>
  %o = tx.attention %q, %k, %v mask(sliding_window) {window = 32}
      : tensor<1x8x16x64xf32>, tensor<1x2x128x64xf32>, tensor<1x2x128x64xf32> -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// mask(sliding_window) with attention sinks and an explicit scale.
// CHECK-LABEL: func.func @mask_sliding_window_sinks
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x8x16x64xf32>, %[[K:[^:]+]]: tensor<1x2x16x64xf32>, %[[V:[^:]+]]: tensor<1x2x16x64xf32>)
func.func @mask_sliding_window_sinks(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x16x64xf32>) -> (tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32>) {
  // CHECK: tx.attention %[[Q]], %[[K]], %[[V]] mask(sliding_window) {scale = 1.250000e-01 : f64, sinks = 4 : i64, window = 4096 : i64} : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
  %o = tx.attention %q, %k, %v mask(sliding_window) {window = 4096, sinks = 4, scale = 0.125 : f64}
      : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
  // sinks = 0 is kept as written.
  // CHECK: tx.attention %[[Q]], %[[K]], %[[V]] mask(sliding_window) {sinks = 0 : i64, window = 1 : i64} : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
  %o2 = tx.attention %q, %k, %v mask(sliding_window) {window = 1, sinks = 0}
      : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
  return %o, %o2 : tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32>
}

// mask(tree): 4 draft-tree nodes after a prefix of 28 keys.
// CHECK-LABEL: func.func @mask_tree
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x8x4x64xf32>, %[[K:[^:]+]]: tensor<1x2x32x64xf32>, %[[V:[^:]+]]: tensor<1x2x32x64xf32>)
func.func @mask_tree(%q: tensor<1x8x4x64xf32>, %k: tensor<1x2x32x64xf32>, %v: tensor<1x2x32x64xf32>) -> tensor<1x8x4x64xf32> {
  // CHECK: tx.attention %[[Q]], %[[K]], %[[V]] mask(tree) {tree = #tx.tree<parents = [-1, 0, 0, 1]>} : tensor<1x8x4x64xf32>, tensor<1x2x32x64xf32>, tensor<1x2x32x64xf32> -> tensor<1x8x4x64xf32>
  %o = tx.attention %q, %k, %v mask(tree) {tree = #tx.tree<parents = [-1, 0, 0, 1]>}
      : tensor<1x8x4x64xf32>, tensor<1x2x32x64xf32>, tensor<1x2x32x64xf32> -> tensor<1x8x4x64xf32>
  return %o : tensor<1x8x4x64xf32>
}

// mask(tree) with a single-node tree and an explicit scale.
// CHECK-LABEL: func.func @mask_tree_single_node
func.func @mask_tree_single_node(%q: tensor<1x8x1x64xf32>, %k: tensor<1x8x9x64xf32>) -> tensor<1x8x1x64xf32> {
  // CHECK: tx.attention %{{.+}}, %[[K:.+]], %[[K]] mask(tree) {scale = 5.000000e-01 : f64, tree = #tx.tree<parents = [-1]>} : tensor<1x8x1x64xf32>, tensor<1x8x9x64xf32>, tensor<1x8x9x64xf32> -> tensor<1x8x1x64xf32>
  %o = tx.attention %q, %k, %k mask(tree) {tree = #tx.tree<parents = [-1]>, scale = 0.5 : f64}
      : tensor<1x8x1x64xf32>, tensor<1x8x9x64xf32>, tensor<1x8x9x64xf32> -> tensor<1x8x1x64xf32>
  return %o : tensor<1x8x1x64xf32>
}

// mask(block_sparse): blocks [B, H, ceil(Sq / block_size), n].
// CHECK-LABEL: func.func @mask_block_sparse
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x8x32x64xf32>, %[[K:[^:]+]]: tensor<1x2x128x64xf32>, %[[V:[^:]+]]: tensor<1x2x128x64xf32>, %[[B:[^:]+]]: tensor<1x8x2x4xi64>)
func.func @mask_block_sparse(%q: tensor<1x8x32x64xf32>, %k: tensor<1x2x128x64xf32>, %v: tensor<1x2x128x64xf32>, %blocks: tensor<1x8x2x4xi64>) -> tensor<1x8x32x64xf32> {
  // CHECK: tx.attention %[[Q]], %[[K]], %[[V]] mask(block_sparse) blocks(%[[B]] : tensor<1x8x2x4xi64>) {block_size = 16 : i64} : tensor<1x8x32x64xf32>, tensor<1x2x128x64xf32>, tensor<1x2x128x64xf32> -> tensor<1x8x32x64xf32>
  %o = tx.attention %q, %k, %v mask(block_sparse) blocks(%blocks : tensor<1x8x2x4xi64>) {block_size = 16}
      : tensor<1x8x32x64xf32>, tensor<1x2x128x64xf32>, tensor<1x2x128x64xf32> -> tensor<1x8x32x64xf32>
  return %o : tensor<1x8x32x64xf32>
}

// mask(block_sparse), decode step (one query), i32 block indices and a
// partial query block.
// CHECK-LABEL: func.func @mask_block_sparse_decode
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x8x1x64xf32>, %[[K:[^:]+]]: tensor<1x2x100x64xf32>, %[[B:[^:]+]]: tensor<1x8x1x7xi32>)
func.func @mask_block_sparse_decode(%q: tensor<1x8x1x64xf32>, %k: tensor<1x2x100x64xf32>, %blocks: tensor<1x8x1x7xi32>) -> tensor<1x8x1x64xf32> {
  // CHECK: tx.attention %[[Q]], %[[K]], %[[K]] mask(block_sparse) blocks(%[[B]] : tensor<1x8x1x7xi32>) {block_size = 16 : i64} : tensor<1x8x1x64xf32>, tensor<1x2x100x64xf32>, tensor<1x2x100x64xf32> -> tensor<1x8x1x64xf32>
  %o = tx.attention %q, %k, %k mask(block_sparse) blocks(%blocks : tensor<1x8x1x7xi32>) {block_size = 16}
      : tensor<1x8x1x64xf32>, tensor<1x2x100x64xf32>, tensor<1x2x100x64xf32> -> tensor<1x8x1x64xf32>
  return %o : tensor<1x8x1x64xf32>
}

// explicit_mask i1, broadcast over batch and heads.
// CHECK-LABEL: func.func @explicit_mask_i1
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<2x8x16x64xf32>, %[[K:[^:]+]]: tensor<2x8x16x64xf32>, %[[V:[^:]+]]: tensor<2x8x16x64xf32>, %[[M:[^:]+]]: tensor<1x1x16x16xi1>)
func.func @explicit_mask_i1(%q: tensor<2x8x16x64xf32>, %k: tensor<2x8x16x64xf32>, %v: tensor<2x8x16x64xf32>, %m: tensor<1x1x16x16xi1>) -> tensor<2x8x16x64xf32> {
  // CHECK: tx.attention %[[Q]], %[[K]], %[[V]] mask(none) explicit_mask(%[[M]] : tensor<1x1x16x16xi1>) : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  %o = tx.attention %q, %k, %v mask(none) explicit_mask(%m : tensor<1x1x16x16xi1>)
      : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// explicit_mask float (additive), full [B, H, Sq, Sk], combined with causal
// and an explicit scale.
// CHECK-LABEL: func.func @explicit_mask_float
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<2x8x16x64xf16>, %[[K:[^:]+]]: tensor<2x2x24x64xf16>, %[[V:[^:]+]]: tensor<2x2x24x64xf16>, %[[M:[^:]+]]: tensor<2x8x16x24xf16>)
func.func @explicit_mask_float(%q: tensor<2x8x16x64xf16>, %k: tensor<2x2x24x64xf16>, %v: tensor<2x2x24x64xf16>, %m: tensor<2x8x16x24xf16>) -> tensor<2x8x16x64xf16> {
  // CHECK: tx.attention %[[Q]], %[[K]], %[[V]] mask(causal) explicit_mask(%[[M]] : tensor<2x8x16x24xf16>) {scale = 1.250000e-01 : f64} : tensor<2x8x16x64xf16>, tensor<2x2x24x64xf16>, tensor<2x2x24x64xf16> -> tensor<2x8x16x64xf16>
  %o = tx.attention %q, %k, %v mask(causal) explicit_mask(%m : tensor<2x8x16x24xf16>) {scale = 0.125 : f64}
      : tensor<2x8x16x64xf16>, tensor<2x2x24x64xf16>, tensor<2x2x24x64xf16> -> tensor<2x8x16x64xf16>
  return %o : tensor<2x8x16x64xf16>
}

// explicit_mask (f32, broadcast batch, per head) combined with every
// structured mask kind, including block_sparse where both optional operands
// are present.
// CHECK-LABEL: func.func @explicit_mask_with_kinds
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x4x4x16xf32>, %[[K:[^:]+]]: tensor<1x4x8x16xf32>, %[[M:[^:]+]]: tensor<1x4x4x8xf32>, %[[B:[^:]+]]: tensor<1x4x1x2xi64>)
func.func @explicit_mask_with_kinds(%q: tensor<1x4x4x16xf32>, %k: tensor<1x4x8x16xf32>, %m: tensor<1x4x4x8xf32>, %b: tensor<1x4x1x2xi64>) {
  // CHECK: tx.attention %[[Q]], %[[K]], %[[K]] mask(sliding_window) explicit_mask(%[[M]] : tensor<1x4x4x8xf32>) {sinks = 1 : i64, window = 2 : i64}
  %0 = tx.attention %q, %k, %k mask(sliding_window) explicit_mask(%m : tensor<1x4x4x8xf32>) {window = 2, sinks = 1}
      : tensor<1x4x4x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x4x16xf32>
  // CHECK: tx.attention %[[Q]], %[[K]], %[[K]] mask(tree) explicit_mask(%[[M]] : tensor<1x4x4x8xf32>) {tree = #tx.tree<parents = [-1, 0, 1, 2]>}
  %1 = tx.attention %q, %k, %k mask(tree) explicit_mask(%m : tensor<1x4x4x8xf32>) {tree = #tx.tree<parents = [-1, 0, 1, 2]>}
      : tensor<1x4x4x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x4x16xf32>
  // CHECK: tx.attention %[[Q]], %[[K]], %[[K]] mask(block_sparse) explicit_mask(%[[M]] : tensor<1x4x4x8xf32>) blocks(%[[B]] : tensor<1x4x1x2xi64>) {block_size = 4 : i64, scale = 2.500000e-01 : f64} : tensor<1x4x4x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x4x16xf32>
  %2 = tx.attention %q, %k, %k mask(block_sparse) explicit_mask(%m : tensor<1x4x4x8xf32>) blocks(%b : tensor<1x4x1x2xi64>) {block_size = 4, scale = 0.25 : f64}
      : tensor<1x4x4x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x4x16xf32>
  return
}

// Value head_dim (Dv) different from the query/key head_dim, bf16.
// CHECK-LABEL: func.func @value_head_dim
func.func @value_head_dim(%q: tensor<1x4x8x64xbf16>, %k: tensor<1x4x8x64xbf16>, %v: tensor<1x4x8x32xbf16>) -> tensor<1x4x8x32xbf16> {
  // CHECK: tx.attention %{{.+}}, %{{.+}}, %{{.+}} mask(causal) : tensor<1x4x8x64xbf16>, tensor<1x4x8x64xbf16>, tensor<1x4x8x32xbf16> -> tensor<1x4x8x32xbf16>
  %o = tx.attention %q, %k, %v mask(causal)
      : tensor<1x4x8x64xbf16>, tensor<1x4x8x64xbf16>, tensor<1x4x8x32xbf16> -> tensor<1x4x8x32xbf16>
  return %o : tensor<1x4x8x32xbf16>
}

// Dynamic batch and sequence lengths (prefill and decode against a cache view).
// CHECK-LABEL: func.func @dynamic_dims
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<?x8x?x64xf32>, %[[K:[^:]+]]: tensor<?x2x?x64xf32>, %[[V:[^:]+]]: tensor<?x2x?x64xf32>, %[[M:[^:]+]]: tensor<?x1x?x?xi1>, %[[B:[^:]+]]: tensor<?x8x?x?xi64>)
func.func @dynamic_dims(%q: tensor<?x8x?x64xf32>, %k: tensor<?x2x?x64xf32>, %v: tensor<?x2x?x64xf32>, %m: tensor<?x1x?x?xi1>, %b: tensor<?x8x?x?xi64>) {
  // CHECK: tx.attention %[[Q]], %[[K]], %[[V]] mask(causal) : tensor<?x8x?x64xf32>, tensor<?x2x?x64xf32>, tensor<?x2x?x64xf32> -> tensor<?x8x?x64xf32>
  %0 = tx.attention %q, %k, %v mask(causal)
      : tensor<?x8x?x64xf32>, tensor<?x2x?x64xf32>, tensor<?x2x?x64xf32> -> tensor<?x8x?x64xf32>
  // CHECK: tx.attention %[[Q]], %[[K]], %[[V]] mask(none) explicit_mask(%[[M]] : tensor<?x1x?x?xi1>) : tensor<?x8x?x64xf32>, tensor<?x2x?x64xf32>, tensor<?x2x?x64xf32> -> tensor<?x8x?x64xf32>
  %1 = tx.attention %q, %k, %v mask(none) explicit_mask(%m : tensor<?x1x?x?xi1>)
      : tensor<?x8x?x64xf32>, tensor<?x2x?x64xf32>, tensor<?x2x?x64xf32> -> tensor<?x8x?x64xf32>
  // CHECK: tx.attention %[[Q]], %[[K]], %[[V]] mask(sliding_window) {window = 128 : i64} : tensor<?x8x?x64xf32>, tensor<?x2x?x64xf32>, tensor<?x2x?x64xf32> -> tensor<?x8x?x64xf32>
  %2 = tx.attention %q, %k, %v mask(sliding_window) {window = 128}
      : tensor<?x8x?x64xf32>, tensor<?x2x?x64xf32>, tensor<?x2x?x64xf32> -> tensor<?x8x?x64xf32>
  // CHECK: tx.attention %[[Q]], %[[K]], %[[V]] mask(block_sparse) blocks(%[[B]] : tensor<?x8x?x?xi64>) {block_size = 64 : i64} : tensor<?x8x?x64xf32>, tensor<?x2x?x64xf32>, tensor<?x2x?x64xf32> -> tensor<?x8x?x64xf32>
  %3 = tx.attention %q, %k, %v mask(block_sparse) blocks(%b : tensor<?x8x?x?xi64>) {block_size = 64}
      : tensor<?x8x?x64xf32>, tensor<?x2x?x64xf32>, tensor<?x2x?x64xf32> -> tensor<?x8x?x64xf32>
  return
}

// Dynamic heads and head_dim (the default scale is then resolved later).
// CHECK-LABEL: func.func @dynamic_heads_head_dim
func.func @dynamic_heads_head_dim(%q: tensor<1x?x16x?xf32>, %k: tensor<1x?x16x?xf32>) -> tensor<1x?x16x?xf32> {
  // CHECK: tx.attention %{{.+}}, %[[K:.+]], %[[K]] mask(causal) : tensor<1x?x16x?xf32>, tensor<1x?x16x?xf32>, tensor<1x?x16x?xf32> -> tensor<1x?x16x?xf32>
  %o = tx.attention %q, %k, %k mask(causal)
      : tensor<1x?x16x?xf32>, tensor<1x?x16x?xf32>, tensor<1x?x16x?xf32> -> tensor<1x?x16x?xf32>
  return %o : tensor<1x?x16x?xf32>
}

// A padding mask broadcast over the queries.
// CHECK-LABEL: func.func @padding_mask_broadcast
// CHECK: tx.attention %{{.*}}, %{{.*}}, %{{.*}} mask(none) explicit_mask(%{{.*}} : tensor<2x1x1x16xi1>)
func.func @padding_mask_broadcast(%q: tensor<2x4x16x8xf32>, %k: tensor<2x4x16x8xf32>, %v: tensor<2x4x16x8xf32>, %m: tensor<2x1x1x16xi1>) -> tensor<2x4x16x8xf32> {
  %o = tx.attention %q, %k, %v mask(none) explicit_mask(%m : tensor<2x1x1x16xi1>) : tensor<2x4x16x8xf32>, tensor<2x4x16x8xf32>, tensor<2x4x16x8xf32> -> tensor<2x4x16x8xf32>
  return %o : tensor<2x4x16x8xf32>
}

// A decode step over a fixed-capacity cache: only the first %n keys count.
// CHECK-LABEL: func.func @kv_length
// CHECK: tx.attention %{{.+}}, %{{.+}}, %{{.+}} mask(causal) kv_length(%{{.+}}) : tensor<1x8x1x64xf32>, tensor<1x2x256x64xf32>, tensor<1x2x256x64xf32> -> tensor<1x8x1x64xf32>
func.func @kv_length(%q: tensor<1x8x1x64xf32>, %k: tensor<1x2x256x64xf32>, %v: tensor<1x2x256x64xf32>, %n: index) -> tensor<1x8x1x64xf32> {
  %o = tx.attention %q, %k, %v mask(causal) kv_length(%n)
      : tensor<1x8x1x64xf32>, tensor<1x2x256x64xf32>, tensor<1x2x256x64xf32> -> tensor<1x8x1x64xf32>
  return %o : tensor<1x8x1x64xf32>
}
