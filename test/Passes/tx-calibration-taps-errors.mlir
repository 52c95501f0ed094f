// Errors (and the warning) of tx-calibration-taps.
// RUN: tx-opt %s --split-input-file --verify-diagnostics --tx-calibration-taps --mlir-print-op-on-diagnostic=false
// The warning as the command line prints it.
// RUN: not tx-opt %s --split-input-file --tx-calibration-taps --mlir-print-op-on-diagnostic=false 2>&1 | FileCheck %s
// CHECK: warning: tx-calibration-taps: no linear layer multiplies by a stored weight; nothing to tap

// expected-error @below {{tx-calibration-taps: no entry function (@main or the only public func.func with a body)}}
module {
  func.func @a(%x: tensor<2xf32>) -> tensor<2xf32> {
    return %x : tensor<2xf32>
  }
  func.func @b(%x: tensor<2xf32>) -> tensor<2xf32> {
    return %x : tensor<2xf32>
  }
}

// -----

// Running the pass twice.
// expected-error @below {{tx-calibration-taps: result #1 is already named 'calib.tokens' (the function is instrumented already)}}
func.func @main(%ids: tensor<1x2xi64> {tx.role = #tx.input_role<token_ids>})
    -> (tensor<1x2xi64>, tensor<1xf32> {tx.name = "calib.tokens"}) {
  %t = arith.constant dense<2.0> : tensor<1xf32>
  return %ids, %t : tensor<1x2xi64>, tensor<1xf32>
}

// -----

// expected-error @below {{tx-calibration-taps: the entry function has more than one block}}
func.func @main(%ids: tensor<1x2xi64> {tx.role = #tx.input_role<token_ids>}) -> tensor<1x2xi64> {
  cf.br ^next
^next:
  return %ids : tensor<1x2xi64>
}

// -----

// expected-error @below {{tx-calibration-taps: the entry function has no input with role token_ids or attention_mask to count tokens by}}
func.func @main(%x: tensor<1x2x4xf32>) -> tensor<1x2x4xf32> {
  %w = tx.weight "w" : tensor<4x4xf32>
  %y = tx.linear %x, %w : tensor<1x2x4xf32>, tensor<4x4xf32> -> tensor<1x2x4xf32>
  return %y : tensor<1x2x4xf32>
}

// -----

// expected-error @below {{tx-calibration-taps: input #1 (the attention mask) must be a tensor of static shape, got 'tensor<1x?xi64>'}}
func.func @main(%ids: tensor<1x?xi64> {tx.role = #tx.input_role<token_ids>},
                %mask: tensor<1x?xi64> {tx.role = #tx.input_role<attention_mask>}) -> tensor<1x?xi64> {
  return %ids : tensor<1x?xi64>
}

// -----

func.func @main(%ids: tensor<1x2xi64> {tx.role = #tx.input_role<token_ids>},
                %x: tensor<1x?x4xf32>) -> tensor<1x?x4xf32> {
  %w = tx.weight "w" : tensor<4x4xf32>
  // expected-error @below {{tx-calibration-taps: the input of the linear reading 'w' must be a float tensor of static shape, got 'tensor<1x?x4xf32>'}}
  %y = tx.linear %x, %w : tensor<1x?x4xf32>, tensor<4x4xf32> -> tensor<1x?x4xf32>
  return %y : tensor<1x?x4xf32>
}

// -----

func.func @main(%ids: tensor<1x2xi64> {tx.role = #tx.input_role<token_ids>},
                %x: tensor<1x2x4xf32>) -> tensor<1x2x4xf32> {
  %w = tx.weight "w" : tensor<4x4xf32>
  %y = scf.execute_region -> tensor<1x2x4xf32> {
    %d = arith.addf %x, %x : tensor<1x2x4xf32>
    // expected-error @below {{tx-calibration-taps: the input of the linear reading 'w' is defined inside 'scf.execute_region'; only the function body and tx.layer regions can be tapped}}
    %l = tx.linear %d, %w : tensor<1x2x4xf32>, tensor<4x4xf32> -> tensor<1x2x4xf32>
    scf.yield %l : tensor<1x2x4xf32>
  }
  return %y : tensor<1x2x4xf32>
}

// -----

// A weight that is computed is not tapped: nothing is left.
// expected-warning @below {{tx-calibration-taps: no linear layer multiplies by a stored weight; nothing to tap}}
func.func @main(%ids: tensor<1x2xi64> {tx.role = #tx.input_role<token_ids>},
                %x: tensor<1x2x4xf32>, %w: tensor<4x4xf32>) -> tensor<1x2x4xf32> {
  %y = tx.linear %x, %w : tensor<1x2x4xf32>, tensor<4x4xf32> -> tensor<1x2x4xf32>
  return %y : tensor<1x2x4xf32>
}
