// RUN: tx-opt %s -split-input-file -verify-diagnostics

func.func @route_scores_rank(%scores: tensor<16xf32>) -> (tensor<1x4xi64>, tensor<1x4xf32>) {
  // expected-error @+1 {{'tx.route' op 'scores' must have rank 2 ([batch, seq]), got rank 1}}
  %idx, %w = tx.route %scores capacity(4) weighting(score) : tensor<16xf32> -> tensor<1x4xi64>, tensor<1x4xf32>
  return %idx, %w : tensor<1x4xi64>, tensor<1x4xf32>
}

// -----

func.func @route_capacity_zero(%scores: tensor<1x16xf32>) -> (tensor<1x0xi64>, tensor<1x0xf32>) {
  // expected-error @+1 {{'tx.route' op capacity must be positive, got 0}}
  %idx, %w = tx.route %scores capacity(0) weighting(score) : tensor<1x16xf32> -> tensor<1x0xi64>, tensor<1x0xf32>
  return %idx, %w : tensor<1x0xi64>, tensor<1x0xf32>
}

// -----

func.func @route_capacity_negative(%scores: tensor<1x16xf32>) -> (tensor<1x4xi64>, tensor<1x4xf32>) {
  // expected-error @+1 {{'tx.route' op capacity must be positive, got -4}}
  %idx, %w = tx.route %scores capacity(-4) weighting(score) : tensor<1x16xf32> -> tensor<1x4xi64>, tensor<1x4xf32>
  return %idx, %w : tensor<1x4xi64>, tensor<1x4xf32>
}

// -----

func.func @route_capacity_exceeds_seq(%scores: tensor<1x16xf32>) -> (tensor<1x32xi64>, tensor<1x32xf32>) {
  // expected-error @+1 {{'tx.route' op capacity 32 exceeds the 16 tokens of the sequence}}
  %idx, %w = tx.route %scores capacity(32) weighting(score) : tensor<1x16xf32> -> tensor<1x32xi64>, tensor<1x32xf32>
  return %idx, %w : tensor<1x32xi64>, tensor<1x32xf32>
}

// -----

func.func @route_indices_shape(%scores: tensor<1x16xf32>) -> (tensor<1x8xi64>, tensor<1x4xf32>) {
  // expected-error @+1 {{'tx.route' op 'indices' must have shape [1, 4], got [1, 8]}}
  %idx, %w = tx.route %scores capacity(4) weighting(score) : tensor<1x16xf32> -> tensor<1x8xi64>, tensor<1x4xf32>
  return %idx, %w : tensor<1x8xi64>, tensor<1x4xf32>
}

// -----

func.func @route_indices_batch(%scores: tensor<2x16xf32>) -> (tensor<1x4xi64>, tensor<2x4xf32>) {
  // expected-error @+1 {{'tx.route' op 'indices' must have shape [2, 4], got [1, 4]}}
  %idx, %w = tx.route %scores capacity(4) weighting(score) : tensor<2x16xf32> -> tensor<1x4xi64>, tensor<2x4xf32>
  return %idx, %w : tensor<1x4xi64>, tensor<2x4xf32>
}

// -----

func.func @route_weights_shape(%scores: tensor<1x16xf32>) -> (tensor<1x4xi64>, tensor<4xf32>) {
  // expected-error @+1 {{'tx.route' op 'weights' must have shape [1, 4], got [4]}}
  %idx, %w = tx.route %scores capacity(4) weighting(score) : tensor<1x16xf32> -> tensor<1x4xi64>, tensor<4xf32>
  return %idx, %w : tensor<1x4xi64>, tensor<4xf32>
}

// -----

func.func @route_tanh_missing_beta(%scores: tensor<1x16xf32>) -> (tensor<1x4xi64>, tensor<1x4xf32>) {
  // expected-error @+1 {{'tx.route' op tanh weighting needs both 'alpha' and 'beta'}}
  %idx, %w = tx.route %scores capacity(4) weighting(tanh) {alpha = 0.2 : f64} : tensor<1x16xf32> -> tensor<1x4xi64>, tensor<1x4xf32>
  return %idx, %w : tensor<1x4xi64>, tensor<1x4xf32>
}

// -----

func.func @route_tanh_missing_both(%scores: tensor<1x16xf32>) -> (tensor<1x4xi64>, tensor<1x4xf32>) {
  // expected-error @+1 {{'tx.route' op tanh weighting needs both 'alpha' and 'beta'}}
  %idx, %w = tx.route %scores capacity(4) weighting(tanh) : tensor<1x16xf32> -> tensor<1x4xi64>, tensor<1x4xf32>
  return %idx, %w : tensor<1x4xi64>, tensor<1x4xf32>
}

// -----

func.func @route_params_without_tanh(%scores: tensor<1x16xf32>) -> (tensor<1x4xi64>, tensor<1x4xf32>) {
  // expected-error @+1 {{'tx.route' op 'alpha' and 'beta' are only valid with tanh weighting}}
  %idx, %w = tx.route %scores capacity(4) weighting(sigmoid) {alpha = 0.2 : f64, beta = 1.0 : f64} : tensor<1x16xf32> -> tensor<1x4xi64>, tensor<1x4xf32>
  return %idx, %w : tensor<1x4xi64>, tensor<1x4xf32>
}

// -----

func.func @route_beta_without_tanh(%scores: tensor<1x16xf32>) -> (tensor<1x4xi64>, tensor<1x4xf32>) {
  // expected-error @+1 {{'tx.route' op 'alpha' and 'beta' are only valid with tanh weighting}}
  %idx, %w = tx.route %scores capacity(4) weighting(one) {beta = 1.0 : f64} : tensor<1x16xf32> -> tensor<1x4xi64>, tensor<1x4xf32>
  return %idx, %w : tensor<1x4xi64>, tensor<1x4xf32>
}

// -----

func.func @gather_input_rank(%h: tensor<16x64xf32>, %idx: tensor<1x4xi64>) -> tensor<1x4x64xf32> {
  // expected-error @+1 {{'tx.gather_tokens' op 'input' must have rank 3 ([batch, seq, hidden]), got rank 2}}
  %x = tx.gather_tokens %h, %idx : tensor<16x64xf32>, tensor<1x4xi64> -> tensor<1x4x64xf32>
  return %x : tensor<1x4x64xf32>
}

// -----

func.func @gather_indices_rank(%h: tensor<1x16x64xf32>, %idx: tensor<4xi64>) -> tensor<1x4x64xf32> {
  // expected-error @+1 {{'tx.gather_tokens' op 'indices' must have rank 2 ([batch, kept]), got rank 1}}
  %x = tx.gather_tokens %h, %idx : tensor<1x16x64xf32>, tensor<4xi64> -> tensor<1x4x64xf32>
  return %x : tensor<1x4x64xf32>
}

// -----

func.func @gather_batch(%h: tensor<1x16x64xf32>, %idx: tensor<2x4xi64>) -> tensor<1x4x64xf32> {
  // expected-error @+1 {{'tx.gather_tokens' op batch mismatch: input batch is 1 but indices batch is 2}}
  %x = tx.gather_tokens %h, %idx : tensor<1x16x64xf32>, tensor<2x4xi64> -> tensor<1x4x64xf32>
  return %x : tensor<1x4x64xf32>
}

// -----

func.func @gather_result_shape(%h: tensor<1x16x64xf32>, %idx: tensor<1x4xi64>) -> tensor<1x4x32xf32> {
  // expected-error @+1 {{'tx.gather_tokens' op 'result' must have shape [1, 4, 64], got [1, 4, 32]}}
  %x = tx.gather_tokens %h, %idx : tensor<1x16x64xf32>, tensor<1x4xi64> -> tensor<1x4x32xf32>
  return %x : tensor<1x4x32xf32>
}

// -----

func.func @gather_result_kept(%h: tensor<1x16x64xf32>, %idx: tensor<1x4xi64>) -> tensor<1x8x64xf32> {
  // expected-error @+1 {{'tx.gather_tokens' op 'result' must have shape [1, 4, 64], got [1, 8, 64]}}
  %x = tx.gather_tokens %h, %idx : tensor<1x16x64xf32>, tensor<1x4xi64> -> tensor<1x8x64xf32>
  return %x : tensor<1x8x64xf32>
}

// -----

func.func @gather_result_element_type(%h: tensor<1x16x64xf32>, %idx: tensor<1x4xi64>) -> tensor<1x4x64xf16> {
  // expected-error @+1 {{'tx.gather_tokens' op element type mismatch: 'result' has 'f16' but 'input' has 'f32'}}
  %x = tx.gather_tokens %h, %idx : tensor<1x16x64xf32>, tensor<1x4xi64> -> tensor<1x4x64xf16>
  return %x : tensor<1x4x64xf16>
}

// -----

func.func @scatter_residual_rank(%h: tensor<16x64xf32>, %upd: tensor<1x4x64xf32>, %idx: tensor<1x4xi64>) -> tensor<16x64xf32> {
  // expected-error @+1 {{'tx.scatter_tokens' op 'residual' must have rank 3 ([batch, seq, hidden]), got rank 2}}
  %y = tx.scatter_tokens %h, %upd, %idx : tensor<16x64xf32>, tensor<1x4x64xf32>, tensor<1x4xi64> -> tensor<16x64xf32>
  return %y : tensor<16x64xf32>
}

// -----

func.func @scatter_updates_rank(%h: tensor<1x16x64xf32>, %upd: tensor<4x64xf32>, %idx: tensor<1x4xi64>) -> tensor<1x16x64xf32> {
  // expected-error @+1 {{'tx.scatter_tokens' op 'updates' must have rank 3 ([batch, kept, hidden]), got rank 2}}
  %y = tx.scatter_tokens %h, %upd, %idx : tensor<1x16x64xf32>, tensor<4x64xf32>, tensor<1x4xi64> -> tensor<1x16x64xf32>
  return %y : tensor<1x16x64xf32>
}

// -----

func.func @scatter_indices_rank(%h: tensor<1x16x64xf32>, %upd: tensor<1x4x64xf32>, %idx: tensor<1x1x4xi64>) -> tensor<1x16x64xf32> {
  // expected-error @+1 {{'tx.scatter_tokens' op 'indices' must have rank 2 ([batch, kept]), got rank 3}}
  %y = tx.scatter_tokens %h, %upd, %idx : tensor<1x16x64xf32>, tensor<1x4x64xf32>, tensor<1x1x4xi64> -> tensor<1x16x64xf32>
  return %y : tensor<1x16x64xf32>
}

// -----

func.func @scatter_updates_shape(%h: tensor<1x16x64xf32>, %upd: tensor<1x4x32xf32>, %idx: tensor<1x4xi64>) -> tensor<1x16x64xf32> {
  // expected-error @+1 {{'tx.scatter_tokens' op 'updates' must have shape [1, 4, 64], got [1, 4, 32]}}
  %y = tx.scatter_tokens %h, %upd, %idx : tensor<1x16x64xf32>, tensor<1x4x32xf32>, tensor<1x4xi64> -> tensor<1x16x64xf32>
  return %y : tensor<1x16x64xf32>
}

// -----

func.func @scatter_updates_kept(%h: tensor<1x16x64xf32>, %upd: tensor<1x8x64xf32>, %idx: tensor<1x4xi64>) -> tensor<1x16x64xf32> {
  // expected-error @+1 {{'tx.scatter_tokens' op 'updates' must have shape [1, 4, 64], got [1, 8, 64]}}
  %y = tx.scatter_tokens %h, %upd, %idx : tensor<1x16x64xf32>, tensor<1x8x64xf32>, tensor<1x4xi64> -> tensor<1x16x64xf32>
  return %y : tensor<1x16x64xf32>
}

// -----

func.func @scatter_batch(%h: tensor<2x16x64xf32>, %upd: tensor<2x4x64xf32>, %idx: tensor<1x4xi64>) -> tensor<2x16x64xf32> {
  // expected-error @+1 {{'tx.scatter_tokens' op batch mismatch: indices batch is 1 but residual batch is 2}}
  %y = tx.scatter_tokens %h, %upd, %idx : tensor<2x16x64xf32>, tensor<2x4x64xf32>, tensor<1x4xi64> -> tensor<2x16x64xf32>
  return %y : tensor<2x16x64xf32>
}

// -----

func.func @scatter_updates_element_type(%h: tensor<1x16x64xf32>, %upd: tensor<1x4x64xbf16>, %idx: tensor<1x4xi64>) -> tensor<1x16x64xf32> {
  // expected-error @+1 {{'tx.scatter_tokens' op element type mismatch: 'updates' has 'bf16' but 'residual' has 'f32'}}
  %y = tx.scatter_tokens %h, %upd, %idx : tensor<1x16x64xf32>, tensor<1x4x64xbf16>, tensor<1x4xi64> -> tensor<1x16x64xf32>
  return %y : tensor<1x16x64xf32>
}

// -----

func.func @scatter_too_many_tokens(%h: tensor<1x4x64xf32>, %upd: tensor<1x8x64xf32>, %idx: tensor<1x8xi64>) -> tensor<1x4x64xf32> {
  // expected-error @+1 {{'tx.scatter_tokens' op scatters 8 tokens into a sequence of 4}}
  %y = tx.scatter_tokens %h, %upd, %idx : tensor<1x4x64xf32>, tensor<1x8x64xf32>, tensor<1x8xi64> -> tensor<1x4x64xf32>
  return %y : tensor<1x4x64xf32>
}

// -----

func.func @scatter_weights_shape(%h: tensor<1x16x64xf32>, %upd: tensor<1x4x64xf32>, %idx: tensor<1x4xi64>, %w: tensor<1x8xf32>) -> tensor<1x16x64xf32> {
  // expected-error @+1 {{'tx.scatter_tokens' op 'weights' must have shape [1, 4], got [1, 8]}}
  %y = tx.scatter_tokens %h, %upd, %idx weights(%w : tensor<1x8xf32>) : tensor<1x16x64xf32>, tensor<1x4x64xf32>, tensor<1x4xi64> -> tensor<1x16x64xf32>
  return %y : tensor<1x16x64xf32>
}

// -----

func.func @scatter_result_type(%h: tensor<1x16x64xf32>, %upd: tensor<1x4x64xf32>, %idx: tensor<1x4xi64>) -> tensor<1x16x64xf16> {
  // expected-error @+1 {{'tx.scatter_tokens' op result type 'tensor<1x16x64xf16>' must equal the residual type 'tensor<1x16x64xf32>'}}
  %y = tx.scatter_tokens %h, %upd, %idx : tensor<1x16x64xf32>, tensor<1x4x64xf32>, tensor<1x4xi64> -> tensor<1x16x64xf16>
  return %y : tensor<1x16x64xf16>
}

// -----

func.func @scatter_result_shape(%h: tensor<1x16x64xf32>, %upd: tensor<1x4x64xf32>, %idx: tensor<1x4xi64>, %w: tensor<1x4xf32>) -> tensor<1x4x64xf32> {
  // expected-error @+1 {{'tx.scatter_tokens' op result type 'tensor<1x4x64xf32>' must equal the residual type 'tensor<1x16x64xf32>'}}
  %y = tx.scatter_tokens %h, %upd, %idx weights(%w : tensor<1x4xf32>) : tensor<1x16x64xf32>, tensor<1x4x64xf32>, tensor<1x4xi64> -> tensor<1x4x64xf32>
  return %y : tensor<1x4x64xf32>
}

// -----

func.func @route_threshold_nan(%scores: tensor<1x16xf32>) -> (tensor<1x16xi64>, tensor<1x16xf32>) {
  // expected-error @+1 {{'tx.route' op 'threshold' must be a number, got NaN}}
  %idx, %w = tx.route %scores capacity(16) weighting(one) {threshold = 0x7FF8000000000000 : f64} : tensor<1x16xf32> -> tensor<1x16xi64>, tensor<1x16xf32>
  return %idx, %w : tensor<1x16xi64>, tensor<1x16xf32>
}
