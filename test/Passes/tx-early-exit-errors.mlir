// RUN: tx-opt %s --split-input-file --verify-diagnostics --tx-early-exit="from=1"
// RUN: not tx-opt %s --tx-early-exit="from=-1" 2>&1 | FileCheck %s --check-prefix=CHECK-NEG
// RUN: not tx-opt %s --tx-early-exit="threshold=nan" 2>&1 | FileCheck %s --check-prefix=CHECK-NAN
// CHECK-NEG: error: tx-early-exit: 'from' must be >= 0, got -1
// CHECK-NAN: error: tx-early-exit: 'threshold' must be a number, got NaN

// Two layers: nothing after position 0 to skip from position 1.
func.func @short(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @below {{tx-early-exit: 'from' is 1, but a stack of 2 layers has no layer after position 0 to skip}}
  %h0 = tx.layer 0 (%x) : (tensor<2x8xf32>) -> tensor<2x8xf32> {
  ^bb0(%a: tensor<2x8xf32>):
    tx.yield %a : tensor<2x8xf32>
  }
  %h1 = tx.layer 1 (%h0) : (tensor<2x8xf32>) -> tensor<2x8xf32> {
  ^bb0(%a: tensor<2x8xf32>):
    tx.yield %a : tensor<2x8xf32>
  }
  return %h1 : tensor<2x8xf32>
}

// -----

// A layer a token may skip must map the residual stream to itself.
func.func @two_results(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %h0 = tx.layer 0 (%x) : (tensor<2x8xf32>) -> tensor<2x8xf32> {
  ^bb0(%a: tensor<2x8xf32>):
    tx.yield %a : tensor<2x8xf32>
  }
  // expected-error @below {{'tx.layer' op tx-early-exit: a layer a token may skip must return one value of its first input's type (the residual stream, a static float tensor of rank >= 2)}}
  %h1:2 = tx.layer 1 (%h0) : (tensor<2x8xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>) {
  ^bb0(%a: tensor<2x8xf32>):
    tx.yield %a, %a : tensor<2x8xf32>, tensor<2x8xf32>
  }
  %h2 = tx.layer 2 (%h1#0) : (tensor<2x8xf32>) -> tensor<2x8xf32> {
  ^bb0(%a: tensor<2x8xf32>):
    tx.yield %a : tensor<2x8xf32>
  }
  return %h2 : tensor<2x8xf32>
}
