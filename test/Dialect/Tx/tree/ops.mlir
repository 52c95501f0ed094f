// RUN: tx-opt %s | tx-opt | FileCheck %s
// RUN: tx-opt %s --mlir-print-op-generic | tx-opt | FileCheck %s

// Round trip of the draft-tree ops (tx.tree_mask, tx.tree_verify) and of the
// #tx.tree attribute.

// CHECK-LABEL: func.func @tree_mask
func.func @tree_mask() -> (tensor<4x4xi1>, tensor<1x1xi1>, tensor<7x7xi1>) {
  // CHECK: tx.tree_mask #tx.tree<parents = [-1, 0, 0, 1]> -> tensor<4x4xi1>
  %m = tx.tree_mask #tx.tree<parents = [-1, 0, 0, 1]> -> tensor<4x4xi1>
  // A single node: the root alone.
  // CHECK: tx.tree_mask #tx.tree<parents = [-1]> -> tensor<1x1xi1>
  %m1 = tx.tree_mask #tx.tree<parents = [-1]> -> tensor<1x1xi1>
  // A wider, deeper tree.
  // CHECK: tx.tree_mask #tx.tree<parents = [-1, 0, 0, 1, 1, 2, 5]> -> tensor<7x7xi1>
  %m7 = tx.tree_mask #tx.tree<parents = [-1, 0, 0, 1, 1, 2, 5]> -> tensor<7x7xi1>
  return %m, %m1, %m7 : tensor<4x4xi1>, tensor<1x1xi1>, tensor<7x7xi1>
}

// A chain (plain speculative decoding with one draft sequence), with a
// discardable attribute.
// CHECK-LABEL: func.func @tree_mask_chain
func.func @tree_mask_chain() -> tensor<5x5xi1> {
  // CHECK: tx.tree_mask #tx.tree<parents = [-1, 0, 1, 2, 3]> {note = "chain"} -> tensor<5x5xi1>
  %m = tx.tree_mask #tx.tree<parents = [-1, 0, 1, 2, 3]> {note = "chain"} -> tensor<5x5xi1>
  return %m : tensor<5x5xi1>
}

// CHECK-LABEL: func.func @tree_verify_greedy
// CHECK-SAME: (%[[T:[^:]+]]: tensor<1x4xi64>, %[[L:[^:]+]]: tensor<1x4x32000xf32>)
func.func @tree_verify_greedy(%tokens: tensor<1x4xi64>, %logits: tensor<1x4x32000xf32>)
    -> (tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>) {
  // CHECK: %[[P:[^,]+]], %[[N:[^,]+]], %[[X:[^ ]+]] = tx.tree_verify %[[T]], %[[L]] tree(#tx.tree<parents = [-1, 0, 0, 1]>) mode(greedy) : tensor<1x4xi64>, tensor<1x4x32000xf32> -> tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>
  // CHECK-NEXT: return %[[P]], %[[N]], %[[X]]
  %path, %len, %next = tx.tree_verify %tokens, %logits tree(#tx.tree<parents = [-1, 0, 0, 1]>) mode(greedy)
      : tensor<1x4xi64>, tensor<1x4x32000xf32> -> tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>
  return %path, %len, %next : tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>
}

// Typical acceptance takes epsilon and delta; dynamic batch and vocabulary,
// i32 tokens, f16 logits.
// CHECK-LABEL: func.func @tree_verify_typical
// CHECK-SAME: (%[[T:[^:]+]]: tensor<?x7xi32>, %[[L:[^:]+]]: tensor<?x7x?xf16>)
func.func @tree_verify_typical(%tokens: tensor<?x7xi32>, %logits: tensor<?x7x?xf16>)
    -> (tensor<?x7xi32>, tensor<?xi32>, tensor<?xi32>) {
  // CHECK: tx.tree_verify %[[T]], %[[L]] tree(#tx.tree<parents = [-1, 0, 0, 1, 1, 2, 5]>) mode(typical) {delta = 5.000000e-01 : f64, epsilon = 2.500000e-01 : f64} : tensor<?x7xi32>, tensor<?x7x?xf16> -> tensor<?x7xi32>, tensor<?xi32>, tensor<?xi32>
  %path, %len, %next = tx.tree_verify %tokens, %logits tree(#tx.tree<parents = [-1, 0, 0, 1, 1, 2, 5]>) mode(typical) {epsilon = 0.25 : f64, delta = 0.5 : f64}
      : tensor<?x7xi32>, tensor<?x7x?xf16> -> tensor<?x7xi32>, tensor<?xi32>, tensor<?xi32>
  return %path, %len, %next : tensor<?x7xi32>, tensor<?xi32>, tensor<?xi32>
}

// Single-node tree (nothing drafted: only the bonus token), batch 2.
// CHECK-LABEL: func.func @tree_verify_single_node
func.func @tree_verify_single_node(%tokens: tensor<2x1xi64>, %logits: tensor<2x1x128xbf16>)
    -> (tensor<2x1xi64>, tensor<2xi64>, tensor<2xi64>) {
  // CHECK: tx.tree_verify %{{.+}}, %{{.+}} tree(#tx.tree<parents = [-1]>) mode(greedy) : tensor<2x1xi64>, tensor<2x1x128xbf16> -> tensor<2x1xi64>, tensor<2xi64>, tensor<2xi64>
  %path, %len, %next = tx.tree_verify %tokens, %logits tree(#tx.tree<parents = [-1]>) mode(greedy)
      : tensor<2x1xi64>, tensor<2x1x128xbf16> -> tensor<2x1xi64>, tensor<2xi64>, tensor<2xi64>
  return %path, %len, %next : tensor<2x1xi64>, tensor<2xi64>, tensor<2xi64>
}

// One speculative step: tree attention over the drafted nodes, then verify
// and commit the accepted path to the cache.
// CHECK-LABEL: func.func @speculative_step
// CHECK-SAME: (%[[C:[^:]+]]: !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 64, head_dim = 16, f32>, %[[Q:[^:]+]]: tensor<1x4x4x16xf32>, %[[K:[^:]+]]: tensor<1x2x12x16xf32>, %[[T:[^:]+]]: tensor<1x4xi64>, %[[L:[^:]+]]: tensor<1x4x100xf32>, %[[BASE:[^:]+]]: index)
func.func @speculative_step(%cache: !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 64, head_dim = 16, f32>,
                            %q: tensor<1x4x4x16xf32>, %k: tensor<1x2x12x16xf32>,
                            %tokens: tensor<1x4xi64>, %logits: tensor<1x4x100xf32>, %base: index)
    -> (tensor<1x4x4x16xf32>, tensor<1xi64>) {
  // CHECK: %[[O:.+]] = tx.attention %[[Q]], %[[K]], %[[K]] mask(tree) {tree = #tx.tree<parents = [-1, 0, 0, 2]>}
  %o = tx.attention %q, %k, %k mask(tree) {tree = #tx.tree<parents = [-1, 0, 0, 2]>}
      : tensor<1x4x4x16xf32>, tensor<1x2x12x16xf32>, tensor<1x2x12x16xf32> -> tensor<1x4x4x16xf32>
  // CHECK-NEXT: %[[P:[^,]+]], %{{[^,]+}}, %[[X:[^ ]+]] = tx.tree_verify %[[T]], %[[L]] tree(#tx.tree<parents = [-1, 0, 0, 2]>) mode(greedy)
  %path, %len, %next = tx.tree_verify %tokens, %logits tree(#tx.tree<parents = [-1, 0, 0, 2]>) mode(greedy)
      : tensor<1x4xi64>, tensor<1x4x100xf32> -> tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>
  // CHECK-NEXT: tx.kv_commit %[[C]], %[[P]] at %[[BASE]] : !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 64, head_dim = 16, f32>, tensor<1x4xi64>
  tx.kv_commit %cache, %path at %base
      : !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 64, head_dim = 16, f32>, tensor<1x4xi64>
  // CHECK-NEXT: return %[[O]], %[[X]]
  return %o, %next : tensor<1x4x4x16xf32>, tensor<1xi64>
}
