// Errors of the tx-layer-skip pass.
//
// Bad options are rejected whatever the input.
// RUN: not tx-opt %s --tx-layer-skip="speedup=0.5" --mlir-print-op-on-diagnostic=false 2>&1 | FileCheck %s --check-prefix=CHECK-LOW
// RUN: not tx-opt %s --tx-layer-skip="speedup=0" --mlir-print-op-on-diagnostic=false 2>&1 | FileCheck %s --check-prefix=CHECK-ZERO
// RUN: not tx-opt %s --tx-layer-skip="speedup=-2.0" --mlir-print-op-on-diagnostic=false 2>&1 | FileCheck %s --check-prefix=CHECK-NEG
// RUN: not tx-opt %s --tx-layer-skip="speedup=inf" --mlir-print-op-on-diagnostic=false 2>&1 | FileCheck %s --check-prefix=CHECK-INF
// RUN: not tx-opt %s --tx-layer-skip="speedup=2.0 skip-layers=1" --mlir-print-op-on-diagnostic=false 2>&1 | FileCheck %s --check-prefix=CHECK-BOTH
// RUN: not tx-opt %s --pass-pipeline="builtin.module(tx-layer-skip{skip-layers=1 speedup=3})" --mlir-print-op-on-diagnostic=false 2>&1 | FileCheck %s --check-prefix=CHECK-BOTH
//
// CHECK-LOW: error: tx-layer-skip: 'speedup' must be a finite number >= 1, got 5.000000e-01
// CHECK-ZERO: error: tx-layer-skip: 'speedup' must be a finite number >= 1, got 0.000000e+00
// CHECK-NEG: error: tx-layer-skip: 'speedup' must be a finite number >= 1, got -2.000000e+00
// CHECK-INF: error: tx-layer-skip: 'speedup' must be a finite number >= 1, got INF
// CHECK-BOTH: error: tx-layer-skip: give either 'speedup' or 'skip-layers', not both
//
// Errors that depend on the layers, checked with skip-layers=1 (every case
// below names or reaches layer 1).
// RUN: tx-opt %s --split-input-file --verify-diagnostics --tx-layer-skip="skip-layers=1" --mlir-print-op-on-diagnostic=false
//
// The same layers, reached through speedup: with two layers in a function,
// r = 2 keeps only layer 0 (K = 1) and so skips layer 1.
// RUN: not tx-opt %s --split-input-file --tx-layer-skip="speedup=2.0" --mlir-print-op-on-diagnostic=false 2>&1 | FileCheck %s --check-prefix=CHECK-RATIO
// CHECK-RATIO-NOT: error: {{'tx.layer'|tx-layer-skip}}
// CHECK-RATIO: error: 'tx.layer' op cannot be skipped: result #0 has type 'tensor<1x4x16xf32>' but input #0 has type 'tensor<1x4x8xf32>'
// CHECK-RATIO-NOT: error: {{'tx.layer'|tx-layer-skip}}
// CHECK-RATIO: error: 'tx.layer' op cannot be skipped: it has 2 results but only 1 inputs to pass through
// CHECK-RATIO-NOT: error: {{'tx.layer'|tx-layer-skip}}

// A layer whose result type differs from its input type cannot be bypassed.
func.func @type_change(%x: tensor<1x4x8xf32>, %w: tensor<16x8xf32>) -> tensor<1x4x16xf32> {
  %0 = tx.layer 0 (%x) : (tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
  ^bb0(%a: tensor<1x4x8xf32>):
    tx.yield %a : tensor<1x4x8xf32>
  }
  // expected-error @below {{'tx.layer' op cannot be skipped: result #0 has type 'tensor<1x4x16xf32>' but input #0 has type 'tensor<1x4x8xf32>'}}
  %1 = tx.layer 1 (%0) : (tensor<1x4x8xf32>) -> tensor<1x4x16xf32> {
  ^bb0(%a: tensor<1x4x8xf32>):
    %y = tx.linear %a, %w : tensor<1x4x8xf32>, tensor<16x8xf32> -> tensor<1x4x16xf32>
    tx.yield %y : tensor<1x4x16xf32>
  }
  return %1 : tensor<1x4x16xf32>
}

// -----

// A layer with more results than inputs cannot be bypassed.
func.func @more_results(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %0 = tx.layer 0 (%x) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    tx.yield %a : tensor<4xf32>
  }
  // expected-error @below {{'tx.layer' op cannot be skipped: it has 2 results but only 1 inputs to pass through}}
  %1:2 = tx.layer 1 (%0) : (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  ^bb0(%a: tensor<4xf32>):
    %y = arith.negf %a : tensor<4xf32>
    tx.yield %a, %y : tensor<4xf32>, tensor<4xf32>
  }
  return %1#0, %1#1 : tensor<4xf32>, tensor<4xf32>
}
