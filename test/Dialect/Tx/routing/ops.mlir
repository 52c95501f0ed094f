// RUN: tx-opt %s | tx-opt | FileCheck %s
// RUN: tx-opt %s --mlir-print-op-generic | tx-opt | FileCheck %s

// Round trip of the mixture-of-depths routing ops: tx.route (every
// weighting), tx.gather_tokens and tx.scatter_tokens.

// weighting(one) with capacity == S: the dense limit.
// CHECK-LABEL: func.func @route_one
// CHECK-SAME: (%[[S:[^:]+]]: tensor<1x16xf32>)
func.func @route_one(%scores: tensor<1x16xf32>) -> (tensor<1x16xi64>, tensor<1x16xf32>) {
  // CHECK: %[[I:[^,]+]], %[[W:[^ ]+]] = tx.route %[[S]] capacity(16) weighting(one) : tensor<1x16xf32> -> tensor<1x16xi64>, tensor<1x16xf32>
  // CHECK-NEXT: return %[[I]], %[[W]]
  %idx, %w = tx.route %scores capacity(16) weighting(one)
      : tensor<1x16xf32> -> tensor<1x16xi64>, tensor<1x16xf32>
  return %idx, %w : tensor<1x16xi64>, tensor<1x16xf32>
}

// A run-time limit and a threshold (Mixture-of-Depths' causal decision).
// CHECK-LABEL: func.func @route_limit_threshold
// CHECK-SAME: (%[[S:[^:]+]]: tensor<1x16xf32>, %[[N:[^:]+]]: index)
func.func @route_limit_threshold(%scores: tensor<1x16xf32>, %n: index) -> (tensor<1x16xi64>, tensor<1x16xf32>) {
  // CHECK: tx.route %[[S]] capacity(16) limit(%[[N]]) weighting(one) {threshold = 5.000000e-01 : f64} : tensor<1x16xf32> -> tensor<1x16xi64>, tensor<1x16xf32>
  %idx, %w = tx.route %scores capacity(16) limit(%n) weighting(one) {threshold = 0.5 : f64}
      : tensor<1x16xf32> -> tensor<1x16xi64>, tensor<1x16xf32>
  return %idx, %w : tensor<1x16xi64>, tensor<1x16xf32>
}

// CHECK-LABEL: func.func @route_score
// CHECK-SAME: (%[[S:[^:]+]]: tensor<2x16xf32>)
func.func @route_score(%scores: tensor<2x16xf32>) -> (tensor<2x4xi64>, tensor<2x4xf32>) {
  // CHECK: tx.route %[[S]] capacity(4) weighting(score) : tensor<2x16xf32> -> tensor<2x4xi64>, tensor<2x4xf32>
  %idx, %w = tx.route %scores capacity(4) weighting(score)
      : tensor<2x16xf32> -> tensor<2x4xi64>, tensor<2x4xf32>
  return %idx, %w : tensor<2x4xi64>, tensor<2x4xf32>
}

// weighting(sigmoid) with dynamic batch and sequence, i32 indices, f16.
// CHECK-LABEL: func.func @route_sigmoid
// CHECK-SAME: (%[[S:[^:]+]]: tensor<?x?xf16>)
func.func @route_sigmoid(%scores: tensor<?x?xf16>) -> (tensor<?x8xi32>, tensor<?x8xf16>) {
  // CHECK: tx.route %[[S]] capacity(8) weighting(sigmoid) : tensor<?x?xf16> -> tensor<?x8xi32>, tensor<?x8xf16>
  %idx, %w = tx.route %scores capacity(8) weighting(sigmoid)
      : tensor<?x?xf16> -> tensor<?x8xi32>, tensor<?x8xf16>
  return %idx, %w : tensor<?x8xi32>, tensor<?x8xf16>
}

// weighting(tanh) takes alpha and beta.
// CHECK-LABEL: func.func @route_tanh
// CHECK-SAME: (%[[S:[^:]+]]: tensor<1x16xf32>)
func.func @route_tanh(%scores: tensor<1x16xf32>) -> (tensor<1x4xi64>, tensor<1x4xf32>) {
  // CHECK: tx.route %[[S]] capacity(4) weighting(tanh) {alpha = 2.500000e-01 : f64, beta = 1.000000e+00 : f64} : tensor<1x16xf32> -> tensor<1x4xi64>, tensor<1x4xf32>
  %idx, %w = tx.route %scores capacity(4) weighting(tanh) {alpha = 0.25 : f64, beta = 1.0 : f64}
      : tensor<1x16xf32> -> tensor<1x4xi64>, tensor<1x4xf32>
  return %idx, %w : tensor<1x4xi64>, tensor<1x4xf32>
}

// CHECK-LABEL: func.func @gather_tokens
// CHECK-SAME: (%[[H:[^:]+]]: tensor<1x16x64xf32>, %[[I:[^:]+]]: tensor<1x4xi64>, %[[HD:[^:]+]]: tensor<?x?x64xbf16>, %[[ID:[^:]+]]: tensor<?x?xindex>)
func.func @gather_tokens(%h: tensor<1x16x64xf32>, %idx: tensor<1x4xi64>, %hd: tensor<?x?x64xbf16>, %idxd: tensor<?x?xindex>)
    -> (tensor<1x4x64xf32>, tensor<?x?x64xbf16>) {
  // CHECK: tx.gather_tokens %[[H]], %[[I]] : tensor<1x16x64xf32>, tensor<1x4xi64> -> tensor<1x4x64xf32>
  %x = tx.gather_tokens %h, %idx : tensor<1x16x64xf32>, tensor<1x4xi64> -> tensor<1x4x64xf32>
  // CHECK: tx.gather_tokens %[[HD]], %[[ID]] : tensor<?x?x64xbf16>, tensor<?x?xindex> -> tensor<?x?x64xbf16>
  %xd = tx.gather_tokens %hd, %idxd : tensor<?x?x64xbf16>, tensor<?x?xindex> -> tensor<?x?x64xbf16>
  return %x, %xd : tensor<1x4x64xf32>, tensor<?x?x64xbf16>
}

// CHECK-LABEL: func.func @scatter_tokens
// CHECK-SAME: (%[[H:[^:]+]]: tensor<1x16x64xf32>, %[[U:[^:]+]]: tensor<1x4x64xf32>, %[[I:[^:]+]]: tensor<1x4xi64>, %[[W:[^:]+]]: tensor<1x4xf32>)
func.func @scatter_tokens(%h: tensor<1x16x64xf32>, %upd: tensor<1x4x64xf32>, %idx: tensor<1x4xi64>, %w: tensor<1x4xf32>)
    -> (tensor<1x16x64xf32>, tensor<1x16x64xf32>) {
  // With weights.
  // CHECK: tx.scatter_tokens %[[H]], %[[U]], %[[I]] weights(%[[W]] : tensor<1x4xf32>) : tensor<1x16x64xf32>, tensor<1x4x64xf32>, tensor<1x4xi64> -> tensor<1x16x64xf32>
  %y = tx.scatter_tokens %h, %upd, %idx weights(%w : tensor<1x4xf32>)
      : tensor<1x16x64xf32>, tensor<1x4x64xf32>, tensor<1x4xi64> -> tensor<1x16x64xf32>
  // Without weights (unit weights: the rows are replaced).
  // CHECK: tx.scatter_tokens %[[H]], %[[U]], %[[I]] : tensor<1x16x64xf32>, tensor<1x4x64xf32>, tensor<1x4xi64> -> tensor<1x16x64xf32>
  %y2 = tx.scatter_tokens %h, %upd, %idx
      : tensor<1x16x64xf32>, tensor<1x4x64xf32>, tensor<1x4xi64> -> tensor<1x16x64xf32>
  return %y, %y2 : tensor<1x16x64xf32>, tensor<1x16x64xf32>
}

// CHECK-LABEL: func.func @scatter_tokens_dynamic
func.func @scatter_tokens_dynamic(%h: tensor<?x?x32xf16>, %upd: tensor<?x?x32xf16>, %idx: tensor<?x?xi32>, %w: tensor<?x?xf16>) -> tensor<?x?x32xf16> {
  // CHECK: tx.scatter_tokens %{{.+}}, %{{.+}}, %{{.+}} weights(%{{.+}} : tensor<?x?xf16>) : tensor<?x?x32xf16>, tensor<?x?x32xf16>, tensor<?x?xi32> -> tensor<?x?x32xf16>
  %y = tx.scatter_tokens %h, %upd, %idx weights(%w : tensor<?x?xf16>)
      : tensor<?x?x32xf16>, tensor<?x?x32xf16>, tensor<?x?xi32> -> tensor<?x?x32xf16>
  return %y : tensor<?x?x32xf16>
}

// A mixture-of-depths block: route, gather, run the block on the kept
// tokens, scatter back weighted by the router.
// CHECK-LABEL: func.func @mod_block
// CHECK-SAME: (%[[H:[^:]+]]: tensor<1x16x64xf32>, %[[R:[^:]+]]: tensor<1x16xf32>, %[[G:[^:]+]]: tensor<64xf32>)
func.func @mod_block(%h: tensor<1x16x64xf32>, %router: tensor<1x16xf32>, %g: tensor<64xf32>) -> tensor<1x16x64xf32> {
  // CHECK: %[[I:[^,]+]], %[[W:[^ ]+]] = tx.route %[[R]] capacity(8) weighting(sigmoid)
  %idx, %w = tx.route %router capacity(8) weighting(sigmoid)
      : tensor<1x16xf32> -> tensor<1x8xi64>, tensor<1x8xf32>
  // CHECK-NEXT: %[[X:.+]] = tx.gather_tokens %[[H]], %[[I]]
  %x = tx.gather_tokens %h, %idx : tensor<1x16x64xf32>, tensor<1x8xi64> -> tensor<1x8x64xf32>
  // CHECK-NEXT: %[[N:.+]] = tx.rms_norm %[[X]], %[[G]]
  %n = tx.rms_norm %x, %g : tensor<1x8x64xf32>, tensor<64xf32> -> tensor<1x8x64xf32>
  // CHECK-NEXT: %[[Y:.+]] = tx.scatter_tokens %[[H]], %[[N]], %[[I]] weights(%[[W]] : tensor<1x8xf32>) : tensor<1x16x64xf32>, tensor<1x8x64xf32>, tensor<1x8xi64> -> tensor<1x16x64xf32>
  %y = tx.scatter_tokens %h, %n, %idx weights(%w : tensor<1x8xf32>)
      : tensor<1x16x64xf32>, tensor<1x8x64xf32>, tensor<1x8xi64> -> tensor<1x16x64xf32>
  // CHECK-NEXT: return %[[Y]]
  return %y : tensor<1x16x64xf32>
}
