// Mixture-of-depths token routing (tx-mod-prune).
//
// RUN: tx-opt %s --split-input-file --tx-mod-prune="capacity=0.5" | FileCheck %s
// RUN: tx-opt %s --split-input-file --tx-mod-prune="capacity=0.5 schedule=pmod" | FileCheck %s --check-prefix=PMOD
// RUN: tx-opt %s --split-input-file --tx-mod-prune | FileCheck %s --check-prefix=DENSE

// Three layers of 8 tokens. Layer 0 stays dense (the router reads the
// previous layer's update); layers 1 and 2 keep floor(0.5 * 8) = 4 tokens
// scored by ||h_l - h_{l-1}||^2 and run on [1, 4, 16]: projections,
// reshapes and transposes follow the token dimension, rope reads the kept
// tokens' positions, causal attention runs among them; the scatter puts
// their rows back.
// CHECK-LABEL: func.func @stack3
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x8x16xf32>, %[[POS:[^:]+]]: tensor<1x8xi64>
// CHECK: %[[L0:.+]] = tx.layer 0 (%[[X]]) : (tensor<1x8x16xf32>) -> tensor<1x8x16xf32>
// CHECK: %[[S1:.+]] = linalg.generic {{.*}} ins(%[[X]], %[[L0]] : tensor<1x8x16xf32>, tensor<1x8x16xf32>) outs(%{{.*}} : tensor<1x8xf32>)
// CHECK: arith.subf
// CHECK: arith.mulf
// CHECK: %[[IDX:.+]], %{{.*}} = tx.route %[[S1]] capacity(4) weighting(one) : tensor<1x8xf32> -> tensor<1x4xi64>, tensor<1x4xf32>
// CHECK: %[[G:.+]] = tx.gather_tokens %[[L0]], %[[IDX]] : tensor<1x8x16xf32>, tensor<1x4xi64> -> tensor<1x4x16xf32>
// CHECK: %[[L1:.+]] = tx.layer 1 (%[[G]]) : (tensor<1x4x16xf32>) -> tensor<1x4x16xf32>
// CHECK: tx.rms_norm {{.*}} -> tensor<1x4x16xf32>
// CHECK: tx.linear {{.*}} -> tensor<1x4x16xf32>
// CHECK: tensor.expand_shape {{.*}} output_shape [1, 4, 2, 8] : tensor<1x4x16xf32> into tensor<1x4x2x8xf32>
// CHECK: linalg.transpose ins(%{{.*}} : tensor<1x4x2x8xf32>) outs(%{{.*}} : tensor<1x2x4x8xf32>)
// CHECK: %[[KP:.+]] = linalg.generic {{.*}} ins(%[[IDX]] : tensor<1x4xi64>) outs(%{{.*}} : tensor<1x4xi64>)
// CHECK: tensor.extract %[[POS]]
// CHECK: tx.rope %{{.*}}, %{{.*}}, %{{.*}} positions(%[[KP]] : tensor<1x4xi64>) : tensor<1x2x4x8xf32>
// CHECK: tx.attention {{.*}} mask(causal) {{.*}} -> tensor<1x2x4x8xf32>
// CHECK: tensor.collapse_shape {{.*}} into tensor<1x4x16xf32>
// CHECK: arith.mulf {{.*}} : tensor<1x4x16xf32>
// CHECK: tx.yield {{.*}} : tensor<1x4x16xf32>
// CHECK: %[[H1:.+]] = tx.scatter_tokens %[[L0]], %[[L1]], %[[IDX]] : tensor<1x8x16xf32>, tensor<1x4x16xf32>, tensor<1x4xi64> -> tensor<1x8x16xf32>
// The next router compares layer 2's input with layer 1's; a token layer 1
// did not run has no update there (exactly 0) and keeps its layer-1 score.
// CHECK: %[[U2:.+]] = linalg.generic {{.*}} ins(%[[L0]], %[[H1]] : tensor<1x8x16xf32>, tensor<1x8x16xf32>)
// CHECK: %[[S2:.+]] = linalg.generic {{.*}} ins(%[[U2]], %[[S1]] : tensor<1x8xf32>, tensor<1x8xf32>)
// CHECK: arith.cmpf oeq
// CHECK: arith.select
// CHECK: tx.route %[[S2]] capacity(4)
// CHECK: tx.layer 2 ({{.*}}) : (tensor<1x4x16xf32>) -> tensor<1x4x16xf32>
// CHECK: %[[H2:.+]] = tx.scatter_tokens %[[H1]]
// CHECK: return %[[H2]]

// pmod around 0.5 over 3 layers: layer 1's ratio is 0.5 + cos(pi / 2) / 2
// = 0.5 (4 tokens), layer 2's 0.5 + cos(pi) / 2 = 0, raised to r-min 0.15
// (1 token).
// PMOD-LABEL: func.func @stack3
// PMOD: tx.route {{.*}} capacity(4)
// PMOD: tx.route {{.*}} capacity(1)

// capacity 1 (the default): every token of layers 1 and 2 is routed.
// DENSE-LABEL: func.func @stack3
// DENSE: tx.route {{.*}} capacity(8)
// DENSE: tx.layer 1 ({{.*}}) : (tensor<1x8x16xf32>) -> tensor<1x8x16xf32>
// DENSE: tx.route {{.*}} capacity(8)

func.func @stack3(%x: tensor<1x8x16xf32>, %pos: tensor<1x8xi64>) -> tensor<1x8x16xf32> {
  %g = arith.constant dense<1.0> : tensor<16xf32>
  %w = arith.constant dense<0.5> : tensor<16x16xf32>
  %table = arith.constant dense<0.25> : tensor<32x4xf32>
  %half = arith.constant dense<0.5> : tensor<1x8x16xf32>
  %h0 = tx.layer 0 (%x) : (tensor<1x8x16xf32>) -> tensor<1x8x16xf32> {
  ^bb0(%a: tensor<1x8x16xf32>):
    %y = arith.mulf %a, %half : tensor<1x8x16xf32>
    tx.yield %y : tensor<1x8x16xf32>
  }
  %h1 = tx.layer 1 (%h0) : (tensor<1x8x16xf32>) -> tensor<1x8x16xf32> {
  ^bb0(%a: tensor<1x8x16xf32>):
    %n = tx.rms_norm %a, %g {epsilon = 1.0e-5 : f64} : tensor<1x8x16xf32>, tensor<16xf32> -> tensor<1x8x16xf32>
    %q = tx.linear %n, %w : tensor<1x8x16xf32>, tensor<16x16xf32> -> tensor<1x8x16xf32>
    %q4 = tensor.expand_shape %q [[0], [1], [2, 3]] output_shape [1, 8, 2, 8] : tensor<1x8x16xf32> into tensor<1x8x2x8xf32>
    %e = tensor.empty() : tensor<1x2x8x8xf32>
    %qt = linalg.transpose ins(%q4 : tensor<1x8x2x8xf32>) outs(%e : tensor<1x2x8x8xf32>) permutation = [0, 2, 1, 3]
    %qr = tx.rope %qt, %table, %table positions(%pos : tensor<1x8xi64>) : tensor<1x2x8x8xf32>, tensor<32x4xf32>, tensor<32x4xf32> -> tensor<1x2x8x8xf32>
    %att = tx.attention %qr, %qr, %qt mask(causal) : tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32> -> tensor<1x2x8x8xf32>
    %e2 = tensor.empty() : tensor<1x8x2x8xf32>
    %back = linalg.transpose ins(%att : tensor<1x2x8x8xf32>) outs(%e2 : tensor<1x8x2x8xf32>) permutation = [0, 2, 1, 3]
    %flat = tensor.collapse_shape %back [[0], [1], [2, 3]] : tensor<1x8x2x8xf32> into tensor<1x8x16xf32>
    %s = arith.mulf %flat, %half : tensor<1x8x16xf32>
    %y = arith.addf %a, %s : tensor<1x8x16xf32>
    tx.yield %y : tensor<1x8x16xf32>
  }
  %h2 = tx.layer 2 (%h1) : (tensor<1x8x16xf32>) -> tensor<1x8x16xf32> {
  ^bb0(%a: tensor<1x8x16xf32>):
    %n = tx.rms_norm %a, %g {epsilon = 1.0e-5 : f64} : tensor<1x8x16xf32>, tensor<16xf32> -> tensor<1x8x16xf32>
    %y = arith.addf %a, %n : tensor<1x8x16xf32>
    tx.yield %y : tensor<1x8x16xf32>
  }
  return %h2 : tensor<1x8x16xf32>
}
