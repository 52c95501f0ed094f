// The default graph pipeline: canonicalize, static layer skipping,
// canonicalize, CSE.
// RUN: tx-opt %s --tx-default-pipeline | FileCheck %s --check-prefixes=CHECK,DENSE
// RUN: tx-opt %s --tx-default-pipeline="layer-skip-speedup=1.0" | FileCheck %s --check-prefixes=CHECK,DENSE
// RUN: tx-opt %s --tx-default-pipeline="layer-skip-speedup=2.0" | FileCheck %s --check-prefixes=CHECK,SKIP
// RUN: tx-opt %s --pass-pipeline="builtin.module(tx-default-pipeline{layer-skip-speedup=2.0})" | FileCheck %s --check-prefixes=CHECK,SKIP
// RUN: not tx-opt %s --tx-default-pipeline="layer-skip-speedup=0.5" 2>&1 | FileCheck %s --check-prefix=CHECK-BAD

// CHECK-BAD: error: tx-layer-skip: 'speedup' must be a finite number >= 1, got 5.000000e-01

// A 4-layer stack. Layer 1 scales its query by a constant (folded into the
// attention scale by canonicalization) and computes the same norm twice
// (merged by CSE). A constant used only by layer 2 dies with it when the
// layer is skipped.
//
// With layer-skip-speedup=2.0, K = round(4 / 2) = 2 layers are kept: the
// first and the last (0 and 3), and layer 3 reads layer 0's result.

// CHECK-LABEL: func.func @stack4
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x4x8xf32>, %[[G:[^:]+]]: tensor<8xf32>, %[[W:[^:]+]]: tensor<8x8xf32>)

// DENSE-NEXT: %[[B:.+]] = arith.constant dense<5.000000e-01> : tensor<1x4x8xf32>
// DENSE-NOT: arith.constant
// DENSE: %[[L0:.+]] = tx.layer 0 (%[[X]])
// DENSE: %[[L1:.+]] = tx.layer 1 (%[[L0]])
// DENSE-NEXT: ^bb0(%[[A1:.+]]: tensor<1x4x8xf32>):
// DENSE-NEXT: %[[N:.+]] = tx.rms_norm %[[A1]], %[[G]]
// DENSE-NEXT: %[[S:.+]] = arith.addf %[[N]], %[[N]]
// DENSE-NEXT: %[[Q:.+]] = tensor.expand_shape %[[S]]
// DENSE-NEXT: %[[O:.+]] = tx.attention %[[Q]], %[[Q]], %[[Q]] mask(causal) {scale = 1.000000e+00 : f64}
// DENSE-NEXT: tensor.collapse_shape %[[O]]
// DENSE-NOT: arith.mulf
// DENSE-NOT: tx.rms_norm
// DENSE: %[[L2:.+]] = tx.layer 2 (%[[L1]])
// DENSE-NEXT: ^bb0(%[[A2:.+]]: tensor<1x4x8xf32>):
// DENSE-NEXT: arith.mulf %[[A2]], %[[B]]
// DENSE: %[[L3:.+]] = tx.layer 3 (%[[L2]])
// DENSE: return %[[L3]]

// SKIP-NOT: arith.constant
// SKIP: %[[L0:.+]] = tx.layer 0 (%[[X]])
// SKIP-NOT: tx.layer
// SKIP-NOT: arith.constant
// SKIP: %[[L3:.+]] = tx.layer 3 (%[[L0]])
// SKIP-NOT: tx.layer
// SKIP: return %[[L3]]
func.func @stack4(%x: tensor<1x4x8xf32>, %g: tensor<8xf32>, %w: tensor<8x8xf32>) -> tensor<1x4x8xf32> {
  %half = arith.constant dense<0.5> : tensor<1x4x8xf32>
  %two = arith.constant dense<2.0> : tensor<1x1x4x8xf32>
  %h0 = tx.layer 0 (%x) : (tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
  ^bb0(%a: tensor<1x4x8xf32>):
    %n = tx.rms_norm %a, %g : tensor<1x4x8xf32>, tensor<8xf32> -> tensor<1x4x8xf32>
    %y = tx.linear %n, %w : tensor<1x4x8xf32>, tensor<8x8xf32> -> tensor<1x4x8xf32>
    %r = arith.addf %a, %y : tensor<1x4x8xf32>
    tx.yield %r : tensor<1x4x8xf32>
  }
  %h1 = tx.layer 1 (%h0) : (tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
  ^bb0(%a: tensor<1x4x8xf32>):
    %n1 = tx.rms_norm %a, %g : tensor<1x4x8xf32>, tensor<8xf32> -> tensor<1x4x8xf32>
    %n2 = tx.rms_norm %a, %g : tensor<1x4x8xf32>, tensor<8xf32> -> tensor<1x4x8xf32>
    %s = arith.addf %n1, %n2 : tensor<1x4x8xf32>
    %q = tensor.expand_shape %s [[0, 1], [2], [3]] output_shape [1, 1, 4, 8]
        : tensor<1x4x8xf32> into tensor<1x1x4x8xf32>
    // q * 2 with an explicit scale of 0.5: scale 1.0 after canonicalization.
    %q2 = arith.mulf %q, %two : tensor<1x1x4x8xf32>
    %o = tx.attention %q2, %q, %q mask(causal) {scale = 0.5 : f64}
        : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32> -> tensor<1x1x4x8xf32>
    %r = tensor.collapse_shape %o [[0, 1], [2], [3]] : tensor<1x1x4x8xf32> into tensor<1x4x8xf32>
    tx.yield %r : tensor<1x4x8xf32>
  }
  %h2 = tx.layer 2 (%h1) : (tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
  ^bb0(%a: tensor<1x4x8xf32>):
    %y = arith.mulf %a, %half : tensor<1x4x8xf32>
    tx.yield %y : tensor<1x4x8xf32>
  }
  %h3 = tx.layer 3 (%h2) : (tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
  ^bb0(%a: tensor<1x4x8xf32>):
    %n = tx.rms_norm %a, %g : tensor<1x4x8xf32>, tensor<8xf32> -> tensor<1x4x8xf32>
    tx.yield %n : tensor<1x4x8xf32>
  }
  return %h3 : tensor<1x4x8xf32>
}
