// RUN: tx-opt %s -split-input-file -verify-diagnostics -allow-unregistered-dialect

// `-allow-unregistered-dialect` is only needed by @layer_no_yield, whose
// region ends with a terminator that is not tx.yield.

//===----------------------------------------------------------------------===//
// tx.layer / tx.yield
//===----------------------------------------------------------------------===//

func.func @layer_nested(%x: tensor<1x16x64xf32>) -> tensor<1x16x64xf32> {
  %h = tx.layer 0 (%x) : (tensor<1x16x64xf32>) -> tensor<1x16x64xf32> {
  ^bb0(%a: tensor<1x16x64xf32>):
    // expected-error @+1 {{'tx.layer' op must not be nested inside another tx.layer}}
    %i = tx.layer 1 (%a) : (tensor<1x16x64xf32>) -> tensor<1x16x64xf32> {
    ^bb0(%b: tensor<1x16x64xf32>):
      tx.yield %b : tensor<1x16x64xf32>
    }
    tx.yield %i : tensor<1x16x64xf32>
  }
  return %h : tensor<1x16x64xf32>
}

// -----

func.func @layer_duplicate_index(%x: tensor<1x16x64xf32>) -> tensor<1x16x64xf32> {
  // expected-error @+1 {{'tx.layer' op layer index 3 is used by another tx.layer in the same block}}
  %h = tx.layer 3 (%x) : (tensor<1x16x64xf32>) -> tensor<1x16x64xf32> {
  ^bb0(%a: tensor<1x16x64xf32>):
    tx.yield %a : tensor<1x16x64xf32>
  }
  %i = tx.layer 3 (%h) : (tensor<1x16x64xf32>) -> tensor<1x16x64xf32> {
  ^bb0(%a: tensor<1x16x64xf32>):
    tx.yield %a : tensor<1x16x64xf32>
  }
  return %i : tensor<1x16x64xf32>
}

// -----

func.func @layer_arg_count(%x: tensor<1x16x64xf32>) {
  // expected-error @+1 {{'tx.layer' op region has 2 arguments but the layer has 1 inputs}}
  tx.layer 0 (%x) : (tensor<1x16x64xf32>) -> () {
  ^bb0(%a: tensor<1x16x64xf32>, %b: tensor<1x16x64xf32>):
    tx.yield
  }
  return
}

// -----

func.func @layer_arg_type(%x: tensor<1x16x64xf32>, %m: tensor<1x16xi1>) {
  // expected-error @+1 {{'tx.layer' op region argument #1 has type 'tensor<1x16xi64>' but input #1 has type 'tensor<1x16xi1>'}}
  tx.layer 0 (%x, %m) : (tensor<1x16x64xf32>, tensor<1x16xi1>) -> () {
  ^bb0(%a: tensor<1x16x64xf32>, %b: tensor<1x16xi64>):
    tx.yield
  }
  return
}

// -----

func.func @layer_no_yield(%x: tensor<1x16x64xf32>) {
  // expected-error @+1 {{'tx.layer' op region must end with tx.yield}}
  tx.layer 0 (%x) : (tensor<1x16x64xf32>) -> () {
  ^bb0(%a: tensor<1x16x64xf32>):
    "test.terminator"() : () -> ()
  }
  return
}

// -----

func.func @layer_yield_count(%x: tensor<1x16x64xf32>) -> tensor<1x16x64xf32> {
  // expected-error @+1 {{'tx.layer' op tx.yield returns 0 values but the layer has 1 results}}
  %h = tx.layer 0 (%x) : (tensor<1x16x64xf32>) -> tensor<1x16x64xf32> {
  ^bb0(%a: tensor<1x16x64xf32>):
    tx.yield
  }
  return %h : tensor<1x16x64xf32>
}

// -----

func.func @layer_yield_type(%x: tensor<1x16x64xf32>) -> tensor<1x16x64xf16> {
  // expected-error @+1 {{'tx.layer' op tx.yield operand #0 has type 'tensor<1x16x64xf32>' but result #0 has type 'tensor<1x16x64xf16>'}}
  %h = tx.layer 0 (%x) : (tensor<1x16x64xf32>) -> tensor<1x16x64xf16> {
  ^bb0(%a: tensor<1x16x64xf32>):
    tx.yield %a : tensor<1x16x64xf32>
  }
  return %h : tensor<1x16x64xf16>
}

// -----

func.func @yield_outside_layer(%x: tensor<1x16x64xf32>) {
  // expected-error @+1 {{'tx.yield' op expects parent op 'tx.layer'}}
  tx.yield %x : tensor<1x16x64xf32>
}

// -----

//===----------------------------------------------------------------------===//
// tx.linear (and the shared verifyLinearShapes)
//===----------------------------------------------------------------------===//

func.func @linear_weight_rank(%x: tensor<1x16x64xf32>, %w: tensor<2x128x64xf32>) -> tensor<1x16x128xf32> {
  // expected-error @+1 {{'tx.linear' op 'weight' must have rank 2 ([out_features, in_features]), got rank 3}}
  %y = tx.linear %x, %w : tensor<1x16x64xf32>, tensor<2x128x64xf32> -> tensor<1x16x128xf32>
  return %y : tensor<1x16x128xf32>
}

// -----

func.func @linear_weight_element_type(%x: tensor<1x16x64xf32>, %w: tensor<128x64xf16>) -> tensor<1x16x128xf32> {
  // expected-error @+1 {{'tx.linear' op element type mismatch: 'weight' has 'f16' but 'input' has 'f32'}}
  %y = tx.linear %x, %w : tensor<1x16x64xf32>, tensor<128x64xf16> -> tensor<1x16x128xf32>
  return %y : tensor<1x16x128xf32>
}

// -----

func.func @linear_input_rank0(%x: tensor<f32>, %w: tensor<128x64xf32>) -> tensor<128xf32> {
  // expected-error @+1 {{'tx.linear' op 'input' must have rank >= 1}}
  %y = tx.linear %x, %w : tensor<f32>, tensor<128x64xf32> -> tensor<128xf32>
  return %y : tensor<128xf32>
}

// -----

func.func @linear_in_features(%x: tensor<1x16x32xf32>, %w: tensor<128x64xf32>) -> tensor<1x16x128xf32> {
  // expected-error @+1 {{'tx.linear' op in_features mismatch: input's last dimension is 32 but weight's in_features is 64}}
  %y = tx.linear %x, %w : tensor<1x16x32xf32>, tensor<128x64xf32> -> tensor<1x16x128xf32>
  return %y : tensor<1x16x128xf32>
}

// -----

func.func @linear_bias_shape(%x: tensor<1x16x64xf32>, %w: tensor<128x64xf32>, %b: tensor<64xf32>) -> tensor<1x16x128xf32> {
  // expected-error @+1 {{'tx.linear' op 'bias' must have shape [128], got [64]}}
  %y = tx.linear %x, %w bias(%b : tensor<64xf32>) : tensor<1x16x64xf32>, tensor<128x64xf32> -> tensor<1x16x128xf32>
  return %y : tensor<1x16x128xf32>
}

// -----

func.func @linear_bias_element_type(%x: tensor<1x16x64xf32>, %w: tensor<128x64xf32>, %b: tensor<128xbf16>) -> tensor<1x16x128xf32> {
  // expected-error @+1 {{'tx.linear' op element type mismatch: 'bias' has 'bf16' but 'input' has 'f32'}}
  %y = tx.linear %x, %w bias(%b : tensor<128xbf16>) : tensor<1x16x64xf32>, tensor<128x64xf32> -> tensor<1x16x128xf32>
  return %y : tensor<1x16x128xf32>
}

// -----

func.func @linear_result_shape(%x: tensor<1x16x64xf32>, %w: tensor<128x64xf32>) -> tensor<1x16x64xf32> {
  // expected-error @+1 {{'tx.linear' op 'result' must have shape [1, 16, 128], got [1, 16, 64]}}
  %y = tx.linear %x, %w : tensor<1x16x64xf32>, tensor<128x64xf32> -> tensor<1x16x64xf32>
  return %y : tensor<1x16x64xf32>
}

// -----

func.func @linear_result_shape_dynamic(%x: tensor<?x16x64xf32>, %w: tensor<?x64xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'tx.linear' op 'result' must have shape [?, 16, ?], got [?, 8]}}
  %y = tx.linear %x, %w : tensor<?x16x64xf32>, tensor<?x64xf32> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

func.func @linear_result_element_type(%x: tensor<1x16x64xf32>, %w: tensor<128x64xf32>) -> tensor<1x16x128xf16> {
  // expected-error @+1 {{'tx.linear' op element type mismatch: 'result' has 'f16' but 'input' has 'f32'}}
  %y = tx.linear %x, %w : tensor<1x16x64xf32>, tensor<128x64xf32> -> tensor<1x16x128xf16>
  return %y : tensor<1x16x128xf16>
}

// -----

func.func @linear_int_input(%x: tensor<1x16x64xi32>, %w: tensor<128x64xf32>) -> tensor<1x16x128xf32> {
  // ODS type constraint (generated message).
  // expected-error @+1 {{'tx.linear' op operand #0 must be ranked tensor of floating-point values}}
  %y = tx.linear %x, %w : tensor<1x16x64xi32>, tensor<128x64xf32> -> tensor<1x16x128xf32>
  return %y : tensor<1x16x128xf32>
}

// -----

//===----------------------------------------------------------------------===//
// tx.rms_norm / tx.layer_norm
//===----------------------------------------------------------------------===//

func.func @rms_norm_input_rank0(%x: tensor<f32>, %w: tensor<1xf32>) -> tensor<f32> {
  // expected-error @+1 {{'tx.rms_norm' op 'input' must have rank >= 1}}
  %y = tx.rms_norm %x, %w : tensor<f32>, tensor<1xf32> -> tensor<f32>
  return %y : tensor<f32>
}

// -----

func.func @rms_norm_negative_epsilon(%x: tensor<1x16x64xf32>, %w: tensor<64xf32>) -> tensor<1x16x64xf32> {
  // expected-error @+1 {{'tx.rms_norm' op epsilon must be a non-negative finite number, got -1.000000e-06}}
  %y = tx.rms_norm %x, %w {epsilon = -1.0e-06 : f64} : tensor<1x16x64xf32>, tensor<64xf32> -> tensor<1x16x64xf32>
  return %y : tensor<1x16x64xf32>
}

// -----

func.func @rms_norm_infinite_epsilon(%x: tensor<1x16x64xf32>, %w: tensor<64xf32>) -> tensor<1x16x64xf32> {
  // expected-error @+1 {{'tx.rms_norm' op epsilon must be a non-negative finite number, got INF}}
  %y = tx.rms_norm %x, %w {epsilon = 0x7FF0000000000000 : f64} : tensor<1x16x64xf32>, tensor<64xf32> -> tensor<1x16x64xf32>
  return %y : tensor<1x16x64xf32>
}

// -----

func.func @rms_norm_nan_epsilon(%x: tensor<1x16x64xf32>, %w: tensor<64xf32>) -> tensor<1x16x64xf32> {
  // expected-error @+1 {{'tx.rms_norm' op epsilon must be a non-negative finite number, got nan}}
  %y = tx.rms_norm %x, %w {epsilon = 0x7FF8000000000000 : f64} : tensor<1x16x64xf32>, tensor<64xf32> -> tensor<1x16x64xf32>
  return %y : tensor<1x16x64xf32>
}

// -----

func.func @rms_norm_weight_shape(%x: tensor<1x16x64xf32>, %w: tensor<32xf32>) -> tensor<1x16x64xf32> {
  // expected-error @+1 {{'tx.rms_norm' op 'weight' must have shape [64], got [32]}}
  %y = tx.rms_norm %x, %w : tensor<1x16x64xf32>, tensor<32xf32> -> tensor<1x16x64xf32>
  return %y : tensor<1x16x64xf32>
}

// -----

func.func @rms_norm_weight_rank(%x: tensor<1x16x64xf32>, %w: tensor<1x64xf32>) -> tensor<1x16x64xf32> {
  // expected-error @+1 {{'tx.rms_norm' op 'weight' must have shape [64], got [1, 64]}}
  %y = tx.rms_norm %x, %w : tensor<1x16x64xf32>, tensor<1x64xf32> -> tensor<1x16x64xf32>
  return %y : tensor<1x16x64xf32>
}

// -----

func.func @rms_norm_weight_element_type(%x: tensor<1x16x64xf32>, %w: tensor<64xf16>) -> tensor<1x16x64xf32> {
  // expected-error @+1 {{'tx.rms_norm' op element type mismatch: 'weight' has 'f16' but 'input' has 'f32'}}
  %y = tx.rms_norm %x, %w : tensor<1x16x64xf32>, tensor<64xf16> -> tensor<1x16x64xf32>
  return %y : tensor<1x16x64xf32>
}

// -----

func.func @rms_norm_result_type(%x: tensor<1x16x64xf32>, %w: tensor<64xf32>) -> tensor<1x16x64xf16> {
  // expected-error @+1 {{'tx.rms_norm' op result type 'tensor<1x16x64xf16>' must equal the input type 'tensor<1x16x64xf32>'}}
  %y = tx.rms_norm %x, %w : tensor<1x16x64xf32>, tensor<64xf32> -> tensor<1x16x64xf16>
  return %y : tensor<1x16x64xf16>
}

// -----

func.func @layer_norm_input_rank0(%x: tensor<f32>, %w: tensor<1xf32>) -> tensor<f32> {
  // expected-error @+1 {{'tx.layer_norm' op 'input' must have rank >= 1}}
  %y = tx.layer_norm %x, %w : tensor<f32>, tensor<1xf32> -> tensor<f32>
  return %y : tensor<f32>
}

// -----

func.func @layer_norm_negative_epsilon(%x: tensor<1x16x64xf32>, %w: tensor<64xf32>) -> tensor<1x16x64xf32> {
  // expected-error @+1 {{'tx.layer_norm' op epsilon must be a non-negative finite number, got -1.000000e+00}}
  %y = tx.layer_norm %x, %w {epsilon = -1.0 : f64} : tensor<1x16x64xf32>, tensor<64xf32> -> tensor<1x16x64xf32>
  return %y : tensor<1x16x64xf32>
}

// -----

func.func @layer_norm_weight_shape(%x: tensor<1x16x64xf32>, %w: tensor<128xf32>) -> tensor<1x16x64xf32> {
  // expected-error @+1 {{'tx.layer_norm' op 'weight' must have shape [64], got [128]}}
  %y = tx.layer_norm %x, %w : tensor<1x16x64xf32>, tensor<128xf32> -> tensor<1x16x64xf32>
  return %y : tensor<1x16x64xf32>
}

// -----

func.func @layer_norm_weight_element_type(%x: tensor<1x16x64xf32>, %w: tensor<64xbf16>) -> tensor<1x16x64xf32> {
  // expected-error @+1 {{'tx.layer_norm' op element type mismatch: 'weight' has 'bf16' but 'input' has 'f32'}}
  %y = tx.layer_norm %x, %w : tensor<1x16x64xf32>, tensor<64xbf16> -> tensor<1x16x64xf32>
  return %y : tensor<1x16x64xf32>
}

// -----

func.func @layer_norm_bias_shape(%x: tensor<1x16x64xf32>, %w: tensor<64xf32>, %b: tensor<63xf32>) -> tensor<1x16x64xf32> {
  // expected-error @+1 {{'tx.layer_norm' op 'bias' must have shape [64], got [63]}}
  %y = tx.layer_norm %x, %w bias(%b : tensor<63xf32>) : tensor<1x16x64xf32>, tensor<64xf32> -> tensor<1x16x64xf32>
  return %y : tensor<1x16x64xf32>
}

// -----

func.func @layer_norm_bias_element_type(%x: tensor<1x16x64xf32>, %w: tensor<64xf32>, %b: tensor<64xf16>) -> tensor<1x16x64xf32> {
  // expected-error @+1 {{'tx.layer_norm' op element type mismatch: 'bias' has 'f16' but 'input' has 'f32'}}
  %y = tx.layer_norm %x, %w bias(%b : tensor<64xf16>) : tensor<1x16x64xf32>, tensor<64xf32> -> tensor<1x16x64xf32>
  return %y : tensor<1x16x64xf32>
}

// -----

func.func @layer_norm_result_type(%x: tensor<1x16x64xf32>, %w: tensor<64xf32>) -> tensor<1x16x32xf32> {
  // expected-error @+1 {{'tx.layer_norm' op result type 'tensor<1x16x32xf32>' must equal the input type 'tensor<1x16x64xf32>'}}
  %y = tx.layer_norm %x, %w : tensor<1x16x64xf32>, tensor<64xf32> -> tensor<1x16x32xf32>
  return %y : tensor<1x16x32xf32>
}

// -----

//===----------------------------------------------------------------------===//
// tx.rope
//===----------------------------------------------------------------------===//

func.func @rope_input_rank(%x: tensor<8x16x64xf32>, %c: tensor<16x32xf32>) -> tensor<8x16x64xf32> {
  // expected-error @+1 {{'tx.rope' op 'input' must have rank 4 ([batch, heads, seq, head_dim]), got rank 3}}
  %y = tx.rope %x, %c, %c : tensor<8x16x64xf32>, tensor<16x32xf32>, tensor<16x32xf32> -> tensor<8x16x64xf32>
  return %y : tensor<8x16x64xf32>
}

// -----

func.func @rope_cos_sin_type(%x: tensor<1x8x16x64xf32>, %c: tensor<16x32xf32>, %s: tensor<16x16xf32>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.rope' op 'cos' and 'sin' must have the same type, got 'tensor<16x32xf32>' and 'tensor<16x16xf32>'}}
  %y = tx.rope %x, %c, %s : tensor<1x8x16x64xf32>, tensor<16x32xf32>, tensor<16x16xf32> -> tensor<1x8x16x64xf32>
  return %y : tensor<1x8x16x64xf32>
}

// -----

func.func @rope_cos_element_type(%x: tensor<1x8x16x64xf32>, %c: tensor<16x32xf16>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.rope' op element type mismatch: 'cos' has 'f16' but 'input' has 'f32'}}
  %y = tx.rope %x, %c, %c : tensor<1x8x16x64xf32>, tensor<16x32xf16>, tensor<16x32xf16> -> tensor<1x8x16x64xf32>
  return %y : tensor<1x8x16x64xf32>
}

// -----

func.func @rope_rotary_exceeds_head_dim(%x: tensor<1x8x16x64xf32>, %c: tensor<16x40xf32>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.rope' op rotary dimension 80 (2 x cos's last dimension) exceeds head_dim 64}}
  %y = tx.rope %x, %c, %c : tensor<1x8x16x64xf32>, tensor<16x40xf32>, tensor<16x40xf32> -> tensor<1x8x16x64xf32>
  return %y : tensor<1x8x16x64xf32>
}

// -----

func.func @rope_table_rank(%x: tensor<1x8x1x64xf32>, %c: tensor<1x4096x32xf32>, %p: tensor<1xi64>) -> tensor<1x8x1x64xf32> {
  // expected-error @+1 {{'tx.rope' op 'cos' must have rank 2 (a [max_position, rotary_dim / 2] table when positions are given), got rank 3}}
  %y = tx.rope %x, %c, %c positions(%p : tensor<1xi64>) : tensor<1x8x1x64xf32>, tensor<1x4096x32xf32>, tensor<1x4096x32xf32> -> tensor<1x8x1x64xf32>
  return %y : tensor<1x8x1x64xf32>
}

// -----

func.func @rope_positions_rank(%x: tensor<1x8x1x64xf32>, %c: tensor<4096x32xf32>, %p: tensor<1x1x1xi64>) -> tensor<1x8x1x64xf32> {
  // expected-error @+1 {{'tx.rope' op 'positions' must be [seq] or [batch, seq], got rank 3}}
  %y = tx.rope %x, %c, %c positions(%p : tensor<1x1x1xi64>) : tensor<1x8x1x64xf32>, tensor<4096x32xf32>, tensor<4096x32xf32> -> tensor<1x8x1x64xf32>
  return %y : tensor<1x8x1x64xf32>
}

// -----

func.func @rope_positions_rank0(%x: tensor<1x8x1x64xf32>, %c: tensor<4096x32xf32>, %p: tensor<i64>) -> tensor<1x8x1x64xf32> {
  // expected-error @+1 {{'tx.rope' op 'positions' must be [seq] or [batch, seq], got rank 0}}
  %y = tx.rope %x, %c, %c positions(%p : tensor<i64>) : tensor<1x8x1x64xf32>, tensor<4096x32xf32>, tensor<4096x32xf32> -> tensor<1x8x1x64xf32>
  return %y : tensor<1x8x1x64xf32>
}

// -----

func.func @rope_positions_seq(%x: tensor<1x8x4x64xf32>, %c: tensor<4096x32xf32>, %p: tensor<1x2xi64>) -> tensor<1x8x4x64xf32> {
  // expected-error @+1 {{'tx.rope' op sequence length mismatch: positions' last dimension is 2 but input's seq is 4}}
  %y = tx.rope %x, %c, %c positions(%p : tensor<1x2xi64>) : tensor<1x8x4x64xf32>, tensor<4096x32xf32>, tensor<4096x32xf32> -> tensor<1x8x4x64xf32>
  return %y : tensor<1x8x4x64xf32>
}

// -----

func.func @rope_positions_batch(%x: tensor<2x8x4x64xf32>, %c: tensor<4096x32xf32>, %p: tensor<3x4xi64>) -> tensor<2x8x4x64xf32> {
  // expected-error @+1 {{'tx.rope' op batch mismatch: positions' batch is 3 but input's batch is 2}}
  %y = tx.rope %x, %c, %c positions(%p : tensor<3x4xi64>) : tensor<2x8x4x64xf32>, tensor<4096x32xf32>, tensor<4096x32xf32> -> tensor<2x8x4x64xf32>
  return %y : tensor<2x8x4x64xf32>
}

// -----

func.func @rope_positions_float(%x: tensor<1x8x1x64xf32>, %c: tensor<4096x32xf32>, %p: tensor<1xf32>) -> tensor<1x8x1x64xf32> {
  // ODS type constraint (generated message).
  // expected-error @+1 {{'tx.rope' op operand #3 must be ranked tensor of signless integer or index values, but got 'tensor<1xf32>'}}
  %y = tx.rope %x, %c, %c positions(%p : tensor<1xf32>) : tensor<1x8x1x64xf32>, tensor<4096x32xf32>, tensor<4096x32xf32> -> tensor<1x8x1x64xf32>
  return %y : tensor<1x8x1x64xf32>
}

// -----

func.func @rope_cos_rank(%x: tensor<1x8x16x64xf32>, %c: tensor<32xf32>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.rope' op 'cos' must be [seq, rotary_dim / 2] or [batch, seq, rotary_dim / 2], got rank 1}}
  %y = tx.rope %x, %c, %c : tensor<1x8x16x64xf32>, tensor<32xf32>, tensor<32xf32> -> tensor<1x8x16x64xf32>
  return %y : tensor<1x8x16x64xf32>
}

// -----

func.func @rope_cos_seq(%x: tensor<1x8x16x64xf32>, %c: tensor<8x32xf32>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.rope' op sequence length mismatch: cos rows is 8 but input's seq is 16}}
  %y = tx.rope %x, %c, %c : tensor<1x8x16x64xf32>, tensor<8x32xf32>, tensor<8x32xf32> -> tensor<1x8x16x64xf32>
  return %y : tensor<1x8x16x64xf32>
}

// -----

func.func @rope_cos_seq_batched(%x: tensor<2x8x16x64xf32>, %c: tensor<2x12x32xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'tx.rope' op sequence length mismatch: cos rows is 12 but input's seq is 16}}
  %y = tx.rope %x, %c, %c : tensor<2x8x16x64xf32>, tensor<2x12x32xf32>, tensor<2x12x32xf32> -> tensor<2x8x16x64xf32>
  return %y : tensor<2x8x16x64xf32>
}

// -----

func.func @rope_cos_batch(%x: tensor<2x8x16x64xf32>, %c: tensor<4x16x32xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'tx.rope' op batch mismatch: cos batch is 4 but input's batch is 2}}
  %y = tx.rope %x, %c, %c : tensor<2x8x16x64xf32>, tensor<4x16x32xf32>, tensor<4x16x32xf32> -> tensor<2x8x16x64xf32>
  return %y : tensor<2x8x16x64xf32>
}

// -----

func.func @rope_result_type(%x: tensor<1x8x16x64xf32>, %c: tensor<16x32xf32>) -> tensor<1x8x16x32xf32> {
  // expected-error @+1 {{'tx.rope' op result type 'tensor<1x8x16x32xf32>' must equal the input type 'tensor<1x8x16x64xf32>'}}
  %y = tx.rope %x, %c, %c : tensor<1x8x16x64xf32>, tensor<16x32xf32>, tensor<16x32xf32> -> tensor<1x8x16x32xf32>
  return %y : tensor<1x8x16x32xf32>
}

// -----

func.func @rope_result_type_with_positions(%x: tensor<1x8x1x64xf32>, %c: tensor<4096x32xf32>, %p: tensor<1xi64>) -> tensor<1x8x1x64xf16> {
  // expected-error @+1 {{'tx.rope' op result type 'tensor<1x8x1x64xf16>' must equal the input type 'tensor<1x8x1x64xf32>'}}
  %y = tx.rope %x, %c, %c positions(%p : tensor<1xi64>) {interleaved} : tensor<1x8x1x64xf32>, tensor<4096x32xf32>, tensor<4096x32xf32> -> tensor<1x8x1x64xf16>
  return %y : tensor<1x8x1x64xf16>
}

// -----

//===----------------------------------------------------------------------===//
// tx.embedding
//===----------------------------------------------------------------------===//

func.func @embedding_table_rank(%t: tensor<32000xf32>, %ids: tensor<1x16xi64>) -> tensor<1x16x64xf32> {
  // expected-error @+1 {{'tx.embedding' op 'table' must have rank 2 ([vocab, hidden]), got rank 1}}
  %h = tx.embedding %t, %ids : tensor<32000xf32>, tensor<1x16xi64> -> tensor<1x16x64xf32>
  return %h : tensor<1x16x64xf32>
}

// -----

func.func @embedding_result_hidden(%t: tensor<32000x64xf32>, %ids: tensor<1x16xi64>) -> tensor<1x16x128xf32> {
  // expected-error @+1 {{'tx.embedding' op 'result' must have shape [1, 16, 64], got [1, 16, 128]}}
  %h = tx.embedding %t, %ids : tensor<32000x64xf32>, tensor<1x16xi64> -> tensor<1x16x128xf32>
  return %h : tensor<1x16x128xf32>
}

// -----

func.func @embedding_result_rank(%t: tensor<32000x64xf32>, %ids: tensor<1x16xi64>) -> tensor<16x64xf32> {
  // expected-error @+1 {{'tx.embedding' op 'result' must have shape [1, 16, 64], got [16, 64]}}
  %h = tx.embedding %t, %ids : tensor<32000x64xf32>, tensor<1x16xi64> -> tensor<16x64xf32>
  return %h : tensor<16x64xf32>
}

// -----

func.func @embedding_result_element_type(%t: tensor<32000x64xf32>, %ids: tensor<1x16xi64>) -> tensor<1x16x64xf16> {
  // expected-error @+1 {{'tx.embedding' op element type mismatch: 'result' has 'f16' but 'table' has 'f32'}}
  %h = tx.embedding %t, %ids : tensor<32000x64xf32>, tensor<1x16xi64> -> tensor<1x16x64xf16>
  return %h : tensor<1x16x64xf16>
}

// -----

// With a quantized table the rows have in_features (64) values.
func.func @embedding_qweight_result(%t: !tx.qweight<1000x64, q8_0, group = 32, scale = f16>, %ids: tensor<1x16xi64>) -> tensor<1x16x1000xf32> {
  // expected-error @+1 {{'tx.embedding' op 'result' must have shape [1, 16, 64], got [1, 16, 1000]}}
  %h = tx.embedding %t, %ids : !tx.qweight<1000x64, q8_0, group = 32, scale = f16>, tensor<1x16xi64> -> tensor<1x16x1000xf32>
  return %h : tensor<1x16x1000xf32>
}

// -----

func.func @layer_negative_index(%x: tensor<1x16x64xf32>) -> tensor<1x16x64xf32> {
  // expected-error @+1 {{'tx.layer' op layer index must be non-negative, got -1}}
  %h = tx.layer -1 (%x) : (tensor<1x16x64xf32>) -> tensor<1x16x64xf32> {
  ^bb0(%a: tensor<1x16x64xf32>):
    tx.yield %a : tensor<1x16x64xf32>
  }
  return %h : tensor<1x16x64xf32>
}

// -----

func.func @rope_scalar_tables(%x: tensor<1x8x16x64xf32>, %c: tensor<f32>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.rope' op 'cos' must be [seq, rotary_dim / 2] or [batch, seq, rotary_dim / 2], got rank 0}}
  %y = tx.rope %x, %c, %c : tensor<1x8x16x64xf32>, tensor<f32>, tensor<f32> -> tensor<1x8x16x64xf32>
  return %y : tensor<1x8x16x64xf32>
}

// -----

func.func @rope_scalar_tables_positions(%x: tensor<1x8x16x64xf32>, %c: tensor<f32>, %p: tensor<16xi64>) -> tensor<1x8x16x64xf32> {
  // expected-error @+1 {{'tx.rope' op 'cos' must have rank 2 (a [max_position, rotary_dim / 2] table when positions are given), got rank 0}}
  %y = tx.rope %x, %c, %c positions(%p : tensor<16xi64>) : tensor<1x8x16x64xf32>, tensor<f32>, tensor<f32> -> tensor<1x8x16x64xf32>
  return %y : tensor<1x8x16x64xf32>
}

// -----

func.func @weight_empty_name() -> tensor<4xf32> {
  // expected-error @+1 {{'tx.weight' op weight name must not be empty}}
  %w = tx.weight "" : tensor<4xf32>
  return %w : tensor<4xf32>
}

// -----

func.func @weight_dynamic() -> tensor<?xf32> {
  // expected-error @+1 {{'tx.weight' op result #0 must be statically shaped tensor of any type values}}
  %w = tx.weight "w" : tensor<?xf32>
  return %w : tensor<?xf32>
}
