// Layer indices are ordinary int64 values, including the largest one.
// RUN: tx-opt %s --tx-layer-skip="skip-layers=9223372036854775807" | FileCheck %s
// RUN: tx-opt %s --tx-layer-skip="speedup=1.5" | FileCheck %s --check-prefix=RATIO

// CHECK-LABEL: func.func @big
// CHECK: tx.layer 0
// CHECK-NOT: tx.layer 9223372036854775807
// RATIO-LABEL: func.func @big
// RATIO: tx.layer 0
// RATIO-NOT: tx.layer 5
// RATIO: tx.layer 9223372036854775807
func.func @big(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = tx.layer 0 (%x) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    tx.yield %a : tensor<4xf32>
  }
  %1 = tx.layer 5 (%0) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    tx.yield %a : tensor<4xf32>
  }
  %2 = tx.layer 9223372036854775807 (%1) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    tx.yield %a : tensor<4xf32>
  }
  return %2 : tensor<4xf32>
}
