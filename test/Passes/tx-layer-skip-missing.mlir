// skip-layers must name a layer that exists somewhere under the pass's root;
// a function that lacks it is fine as long as another one has it.

// RUN: not tx-opt %s --tx-layer-skip="skip-layers=1" 2>&1 | FileCheck %s --check-prefix=CHECK-MISSING
// CHECK-MISSING: error: tx-layer-skip: 'skip-layers' names layer 1, which does not exist

// RUN: tx-opt %s --tx-layer-skip="skip-layers=2" | FileCheck %s

// CHECK-LABEL: func.func @a
// CHECK: tx.layer 0
// CHECK-NOT: tx.layer 2
// CHECK: tx.layer 3
func.func @a(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = tx.layer 0 (%x) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    tx.yield %a : tensor<4xf32>
  }
  %1 = tx.layer 2 (%0) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    tx.yield %a : tensor<4xf32>
  }
  %2 = tx.layer 3 (%1) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    tx.yield %a : tensor<4xf32>
  }
  return %2 : tensor<4xf32>
}

// @b has no layer 2: left as is.
// CHECK-LABEL: func.func @b
// CHECK: tx.layer 0
// CHECK: tx.layer 3
func.func @b(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = tx.layer 0 (%x) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    tx.yield %a : tensor<4xf32>
  }
  %1 = tx.layer 3 (%0) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    tx.yield %a : tensor<4xf32>
  }
  return %1 : tensor<4xf32>
}
