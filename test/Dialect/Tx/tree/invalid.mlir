// RUN: tx-opt %s -split-input-file -verify-diagnostics

func.func @tree_mask_result_shape() -> tensor<3x3xi1> {
  // expected-error @+1 {{'tx.tree_mask' op 'result' must have shape [4, 4], got [3, 3]}}
  %m = tx.tree_mask #tx.tree<parents = [-1, 0, 0, 1]> -> tensor<3x3xi1>
  return %m : tensor<3x3xi1>
}

// -----

func.func @tree_mask_result_rank() -> tensor<16xi1> {
  // expected-error @+1 {{'tx.tree_mask' op 'result' must have shape [4, 4], got [16]}}
  %m = tx.tree_mask #tx.tree<parents = [-1, 0, 0, 1]> -> tensor<16xi1>
  return %m : tensor<16xi1>
}

// -----

func.func @tokens_rank(%tokens: tensor<4xi64>, %logits: tensor<1x4x32000xf32>) -> (tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>) {
  // expected-error @+1 {{'tx.tree_verify' op 'tokens' must have rank 2 ([batch, tree_nodes]), got rank 1}}
  %path, %len, %next = tx.tree_verify %tokens, %logits tree(#tx.tree<parents = [-1, 0, 0, 1]>) mode(greedy) : tensor<4xi64>, tensor<1x4x32000xf32> -> tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>
  return %path, %len, %next : tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>
}

// -----

func.func @logits_rank(%tokens: tensor<1x4xi64>, %logits: tensor<4x32000xf32>) -> (tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>) {
  // expected-error @+1 {{'tx.tree_verify' op 'logits' must have rank 3 ([batch, tree_nodes, vocab]), got rank 2}}
  %path, %len, %next = tx.tree_verify %tokens, %logits tree(#tx.tree<parents = [-1, 0, 0, 1]>) mode(greedy) : tensor<1x4xi64>, tensor<4x32000xf32> -> tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>
  return %path, %len, %next : tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>
}

// -----

func.func @tokens_node_count(%tokens: tensor<1x5xi64>, %logits: tensor<1x4x32000xf32>) -> (tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>) {
  // expected-error @+1 {{'tx.tree_verify' op tree size mismatch: tokens' node count is 5 but the tree's node count is 4}}
  %path, %len, %next = tx.tree_verify %tokens, %logits tree(#tx.tree<parents = [-1, 0, 0, 1]>) mode(greedy) : tensor<1x5xi64>, tensor<1x4x32000xf32> -> tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>
  return %path, %len, %next : tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>
}

// -----

func.func @logits_node_count(%tokens: tensor<1x4xi64>, %logits: tensor<1x3x32000xf32>) -> (tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>) {
  // expected-error @+1 {{'tx.tree_verify' op tree size mismatch: logits' node count is 3 but the tree's node count is 4}}
  %path, %len, %next = tx.tree_verify %tokens, %logits tree(#tx.tree<parents = [-1, 0, 0, 1]>) mode(greedy) : tensor<1x4xi64>, tensor<1x3x32000xf32> -> tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>
  return %path, %len, %next : tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>
}

// -----

func.func @batch(%tokens: tensor<1x4xi64>, %logits: tensor<2x4x32000xf32>) -> (tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>) {
  // expected-error @+1 {{'tx.tree_verify' op batch mismatch: tokens batch is 1 but logits batch is 2}}
  %path, %len, %next = tx.tree_verify %tokens, %logits tree(#tx.tree<parents = [-1, 0, 0, 1]>) mode(greedy) : tensor<1x4xi64>, tensor<2x4x32000xf32> -> tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>
  return %path, %len, %next : tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>
}

// -----

func.func @path_shape(%tokens: tensor<1x4xi64>, %logits: tensor<1x4x32000xf32>) -> (tensor<1x3xi64>, tensor<1xi64>, tensor<1xi64>) {
  // expected-error @+1 {{'tx.tree_verify' op 'path' must have shape [1, 4], got [1, 3]}}
  %path, %len, %next = tx.tree_verify %tokens, %logits tree(#tx.tree<parents = [-1, 0, 0, 1]>) mode(greedy) : tensor<1x4xi64>, tensor<1x4x32000xf32> -> tensor<1x3xi64>, tensor<1xi64>, tensor<1xi64>
  return %path, %len, %next : tensor<1x3xi64>, tensor<1xi64>, tensor<1xi64>
}

// -----

func.func @length_shape(%tokens: tensor<1x4xi64>, %logits: tensor<1x4x32000xf32>) -> (tensor<1x4xi64>, tensor<1x1xi64>, tensor<1xi64>) {
  // expected-error @+1 {{'tx.tree_verify' op 'length' must have shape [1], got [1, 1]}}
  %path, %len, %next = tx.tree_verify %tokens, %logits tree(#tx.tree<parents = [-1, 0, 0, 1]>) mode(greedy) : tensor<1x4xi64>, tensor<1x4x32000xf32> -> tensor<1x4xi64>, tensor<1x1xi64>, tensor<1xi64>
  return %path, %len, %next : tensor<1x4xi64>, tensor<1x1xi64>, tensor<1xi64>
}

// -----

func.func @next_token_shape(%tokens: tensor<2x4xi64>, %logits: tensor<2x4x32000xf32>) -> (tensor<2x4xi64>, tensor<2xi64>, tensor<1xi64>) {
  // expected-error @+1 {{'tx.tree_verify' op 'next_token' must have shape [2], got [1]}}
  %path, %len, %next = tx.tree_verify %tokens, %logits tree(#tx.tree<parents = [-1, 0, 0, 1]>) mode(greedy) : tensor<2x4xi64>, tensor<2x4x32000xf32> -> tensor<2x4xi64>, tensor<2xi64>, tensor<1xi64>
  return %path, %len, %next : tensor<2x4xi64>, tensor<2xi64>, tensor<1xi64>
}

// -----

func.func @typical_missing_delta(%tokens: tensor<1x4xi64>, %logits: tensor<1x4x32000xf32>) -> (tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>) {
  // expected-error @+1 {{'tx.tree_verify' op typical acceptance needs both 'epsilon' and 'delta'}}
  %path, %len, %next = tx.tree_verify %tokens, %logits tree(#tx.tree<parents = [-1, 0, 0, 1]>) mode(typical) {epsilon = 0.3 : f64} : tensor<1x4xi64>, tensor<1x4x32000xf32> -> tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>
  return %path, %len, %next : tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>
}

// -----

func.func @typical_missing_both(%tokens: tensor<1x4xi64>, %logits: tensor<1x4x32000xf32>) -> (tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>) {
  // expected-error @+1 {{'tx.tree_verify' op typical acceptance needs both 'epsilon' and 'delta'}}
  %path, %len, %next = tx.tree_verify %tokens, %logits tree(#tx.tree<parents = [-1, 0, 0, 1]>) mode(typical) : tensor<1x4xi64>, tensor<1x4x32000xf32> -> tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>
  return %path, %len, %next : tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>
}

// -----

func.func @greedy_with_params(%tokens: tensor<1x4xi64>, %logits: tensor<1x4x32000xf32>) -> (tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>) {
  // expected-error @+1 {{'tx.tree_verify' op 'epsilon' and 'delta' are only valid with typical acceptance}}
  %path, %len, %next = tx.tree_verify %tokens, %logits tree(#tx.tree<parents = [-1, 0, 0, 1]>) mode(greedy) {delta = 0.09 : f64} : tensor<1x4xi64>, tensor<1x4x32000xf32> -> tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>
  return %path, %len, %next : tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>
}

// -----

func.func @epsilon_zero(%tokens: tensor<1x4xi64>, %logits: tensor<1x4x32000xf32>) -> (tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>) {
  // expected-error @+1 {{'tx.tree_verify' op 'epsilon' must be in (0, 1], got 0.000000e+00}}
  %path, %len, %next = tx.tree_verify %tokens, %logits tree(#tx.tree<parents = [-1, 0, 0, 1]>) mode(typical) {epsilon = 0.0 : f64, delta = 0.09 : f64} : tensor<1x4xi64>, tensor<1x4x32000xf32> -> tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>
  return %path, %len, %next : tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>
}

// -----

func.func @epsilon_above_one(%tokens: tensor<1x4xi64>, %logits: tensor<1x4x32000xf32>) -> (tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>) {
  // expected-error @+1 {{'tx.tree_verify' op 'epsilon' must be in (0, 1], got 1.500000e+00}}
  %path, %len, %next = tx.tree_verify %tokens, %logits tree(#tx.tree<parents = [-1, 0, 0, 1]>) mode(typical) {epsilon = 1.5 : f64, delta = 0.09 : f64} : tensor<1x4xi64>, tensor<1x4x32000xf32> -> tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>
  return %path, %len, %next : tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>
}

// -----

func.func @delta_negative(%tokens: tensor<1x4xi64>, %logits: tensor<1x4x32000xf32>) -> (tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>) {
  // expected-error @+1 {{'tx.tree_verify' op 'delta' must be a positive finite number, got -1.000000e+00}}
  %path, %len, %next = tx.tree_verify %tokens, %logits tree(#tx.tree<parents = [-1, 0, 0, 1]>) mode(typical) {epsilon = 0.3 : f64, delta = -1.0 : f64} : tensor<1x4xi64>, tensor<1x4x32000xf32> -> tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>
  return %path, %len, %next : tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>
}

// -----

func.func @delta_infinite(%tokens: tensor<1x4xi64>, %logits: tensor<1x4x32000xf32>) -> (tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>) {
  // expected-error @+1 {{'tx.tree_verify' op 'delta' must be a positive finite number, got INF}}
  %path, %len, %next = tx.tree_verify %tokens, %logits tree(#tx.tree<parents = [-1, 0, 0, 1]>) mode(typical) {epsilon = 0.3 : f64, delta = 0x7FF0000000000000 : f64} : tensor<1x4xi64>, tensor<1x4x32000xf32> -> tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>
  return %path, %len, %next : tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>
}

// -----

func.func @tokens_float(%tokens: tensor<1x4xf32>, %logits: tensor<1x4x32000xf32>) -> (tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>) {
  // expected-error @+1 {{'tx.tree_verify' op operand #0 must be ranked tensor of signless integer or index values, but got 'tensor<1x4xf32>'}}
  %path, %len, %next = tx.tree_verify %tokens, %logits tree(#tx.tree<parents = [-1, 0, 0, 1]>) mode(greedy) : tensor<1x4xf32>, tensor<1x4x32000xf32> -> tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>
  return %path, %len, %next : tensor<1x4xi64>, tensor<1xi64>, tensor<1xi64>
}

// -----

// expected-error @+1 {{tree node 0 is the root and must have parent -1, got 0}}
func.func @tree_root_parent() attributes {tree = #tx.tree<parents = [0, 0, 1]>} {
  return
}

// -----

// expected-error @+1 {{tree node 2 has parent 2; a node's parent must precede it (0 <= parent < 2)}}
func.func @tree_parent_not_preceding() attributes {tree = #tx.tree<parents = [-1, 0, 2]>} {
  return
}

// -----

// expected-error @+1 {{tree node 1 has parent 3; a node's parent must precede it (0 <= parent < 1)}}
func.func @tree_parent_later() attributes {tree = #tx.tree<parents = [-1, 3, 0, 0]>} {
  return
}

// -----

// expected-error @+1 {{tree node 2 has parent -1; a node's parent must precede it (0 <= parent < 2)}}
func.func @tree_second_root() attributes {tree = #tx.tree<parents = [-1, 0, -1]>} {
  return
}

// -----

func.func @tree_invalid_in_op() -> tensor<2x2xi1> {
  // expected-error @+1 {{tree node 0 is the root and must have parent -1, got 1}}
  %m = tx.tree_mask #tx.tree<parents = [1, 0]> -> tensor<2x2xi1>
  return %m : tensor<2x2xi1>
}
