// Dynamic early exit (tx-early-exit).
//
// RUN: tx-opt %s --split-input-file --tx-early-exit | FileCheck %s
// RUN: tx-opt %s --split-input-file --tx-early-exit="threshold=0.9 from=1" | FileCheck %s --check-prefix=FROM1
// RUN: tx-opt %s --split-input-file --tx-early-exit="depth-output=false" | FileCheck %s --check-prefix=NODEPTH
// NODEPTH-LABEL: func.func @stack3
// NODEPTH-SAME: -> tensor<1x2x8xf32>
// NODEPTH-NOT: layers_run

// Three layers that write the KV cache. From position 0: a test after
// layers 0 and 1; layers 1 and 2 keep their K/V fill (norm, key
// projection, kv_append) outside the scf.if and run the rest (the view,
// the attention stand-in, the residual add) only while a row is active;
// exited rows keep their input.
// CHECK-LABEL: func.func @stack3
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x2x8xf32>
// CHECK-SAME: -> (tensor<1x2x8xf32>, tensor<1x2xf32> {tx.name = "layers_run"})
// CHECK: %[[L0:.+]] = tx.layer 0 (%[[X]])
// CHECK-NOT: scf.if
// CHECK: tx.yield
// The test after layer 0: x.y, x.x, y.y per row, then cos >= 2.0.
// CHECK: %[[D0:.+]]:3 = linalg.generic {{.*}} ins(%[[X]], %[[L0]] : tensor<1x2x8xf32>, tensor<1x2x8xf32>) outs({{.*}}) {
// CHECK: %[[E0:.+]] = linalg.generic {{.*}} ins(%[[D0]]#0, %[[D0]]#1, %[[D0]]#2 : {{.*}}) outs({{.*}} : tensor<1x2xi1>)
// CHECK: math.sqrt
// CHECK: arith.minimumf
// CHECK: arith.maximumf
// CHECK: arith.cmpf oge, %{{.*}}, %cst{{.*}} : f32
// CHECK: linalg.generic {{.*}} ins(%[[E0]] : tensor<1x2xi1>) outs({{.*}} : tensor<i1>)
// CHECK: arith.andi
// CHECK: %[[ALL1:.+]] = tensor.extract %{{.*}}[] : tensor<i1>
// CHECK: %[[L1:.+]] = tx.layer 1 (%[[L0]])
// CHECK-NEXT: ^bb0(%[[A1:.+]]: tensor<1x2x8xf32>):
// CHECK-NEXT: tx.rms_norm %[[A1]]
// CHECK-NEXT: tx.linear
// CHECK-NEXT: tensor.expand_shape
// CHECK-NEXT: tx.kv_append %{{.*}}[1]
// CHECK-NEXT: %[[R1:.+]] = scf.if %[[ALL1]] -> (tensor<1x2x8xf32>) {
// CHECK-NEXT: tensor.empty() : tensor<1x2x8xf32>
// CHECK-NEXT: scf.yield
// CHECK-NEXT: } else {
// CHECK-NEXT: tx.kv_view %{{.*}}[1]
// CHECK: arith.addf %[[A1]]
// CHECK-NEXT: scf.yield
// CHECK-NEXT: }
// CHECK-NEXT: tx.yield %[[R1]]
// Exited rows keep the layer's input.
// CHECK: %[[H1:.+]] = linalg.generic {{.*}} ins(%[[E0]], %[[L0]], %[[L1]] : tensor<1x2xi1>, tensor<1x2x8xf32>, tensor<1x2x8xf32>)
// CHECK: arith.select
// The test after layer 1 adds to the exits of layer 0.
// CHECK: linalg.generic {{.*}} ins(%[[L0]], %[[H1]] : {{.*}})
// CHECK: %[[E1:.+]] = linalg.generic {{.*}} ins(%{{.*}}#0, %{{.*}}#1, %{{.*}}#2, %[[E0]] : {{.*}})
// CHECK: arith.ori
// CHECK: %[[L2:.+]] = tx.layer 2 (%[[H1]])
// CHECK: tx.kv_append %{{.*}}[2]
// CHECK-NEXT: scf.if
// No test after the last layer: its selected result is returned, and the
// layers each token ran: 3 minus the layers it skipped (the rows exited
// before layers 1 and 2).
// CHECK: %[[H2:.+]] = linalg.generic {{.*}} ins(%[[E1]], %[[H1]], %[[L2]] : {{.*}})
// CHECK: %[[DEPTH:.+]] = arith.subf %cst{{.*}}, %[[SKIP:.+]] : tensor<1x2xf32>
// CHECK: return %[[H2]], %[[DEPTH]] : tensor<1x2x8xf32>, tensor<1x2xf32>

// From position 1: layer 0 and 1 run unconditionally, one test (after 1).
// FROM1-LABEL: func.func @stack3
// FROM1: tx.layer 0
// FROM1-NOT: scf.if
// FROM1: tx.layer 1
// FROM1-NOT: scf.if
// FROM1: arith.constant 0.899999976 : f32
// FROM1: tx.layer 2
// FROM1: scf.if
// FROM1-NOT: tx.layer
// FROM1: return

!cache = !tx.kv_cache<layers = 3, kv_heads = 1, capacity = 16, head_dim = 8, f32>
func.func @stack3(%x: tensor<1x2x8xf32>, %cache: !cache, %pos: index,
                  %len: index) -> tensor<1x2x8xf32> {
  %g = arith.constant dense<1.0> : tensor<8xf32>
  %w = arith.constant dense<0.5> : tensor<8x8xf32>
  %h0 = tx.layer 0 (%x) : (tensor<1x2x8xf32>) -> tensor<1x2x8xf32> {
  ^bb0(%a: tensor<1x2x8xf32>):
    %n = tx.rms_norm %a, %g {epsilon = 1.0e-5 : f64} : tensor<1x2x8xf32>, tensor<8xf32> -> tensor<1x2x8xf32>
    %k = tx.linear %n, %w : tensor<1x2x8xf32>, tensor<8x8xf32> -> tensor<1x2x8xf32>
    %k4 = tensor.expand_shape %k [[0], [1, 2], [3]] output_shape [1, 1, 2, 8] : tensor<1x2x8xf32> into tensor<1x1x2x8xf32>
    tx.kv_append %cache[0], %k4, %k4 at %pos : !cache, tensor<1x1x2x8xf32>, tensor<1x1x2x8xf32>
    %kv, %vv = tx.kv_view %cache[0] length %len : !cache -> tensor<1x1x16x8xf32>, tensor<1x1x16x8xf32>
    %y = arith.addf %a, %n : tensor<1x2x8xf32>
    tx.yield %y : tensor<1x2x8xf32>
  }
  %h1 = tx.layer 1 (%h0) : (tensor<1x2x8xf32>) -> tensor<1x2x8xf32> {
  ^bb0(%a: tensor<1x2x8xf32>):
    %n = tx.rms_norm %a, %g {epsilon = 1.0e-5 : f64} : tensor<1x2x8xf32>, tensor<8xf32> -> tensor<1x2x8xf32>
    %k = tx.linear %n, %w : tensor<1x2x8xf32>, tensor<8x8xf32> -> tensor<1x2x8xf32>
    %k4 = tensor.expand_shape %k [[0], [1, 2], [3]] output_shape [1, 1, 2, 8] : tensor<1x2x8xf32> into tensor<1x1x2x8xf32>
    tx.kv_append %cache[1], %k4, %k4 at %pos : !cache, tensor<1x1x2x8xf32>, tensor<1x1x2x8xf32>
    %kv, %vv = tx.kv_view %cache[1] length %len : !cache -> tensor<1x1x16x8xf32>, tensor<1x1x16x8xf32>
    %y = arith.addf %a, %n : tensor<1x2x8xf32>
    tx.yield %y : tensor<1x2x8xf32>
  }
  %h2 = tx.layer 2 (%h1) : (tensor<1x2x8xf32>) -> tensor<1x2x8xf32> {
  ^bb0(%a: tensor<1x2x8xf32>):
    %n = tx.rms_norm %a, %g {epsilon = 1.0e-5 : f64} : tensor<1x2x8xf32>, tensor<8xf32> -> tensor<1x2x8xf32>
    %k = tx.linear %n, %w : tensor<1x2x8xf32>, tensor<8x8xf32> -> tensor<1x2x8xf32>
    %k4 = tensor.expand_shape %k [[0], [1, 2], [3]] output_shape [1, 1, 2, 8] : tensor<1x2x8xf32> into tensor<1x1x2x8xf32>
    tx.kv_append %cache[2], %k4, %k4 at %pos : !cache, tensor<1x1x2x8xf32>, tensor<1x1x2x8xf32>
    %kv, %vv = tx.kv_view %cache[2] length %len : !cache -> tensor<1x1x16x8xf32>, tensor<1x1x16x8xf32>
    %y = arith.addf %a, %n : tensor<1x2x8xf32>
    tx.yield %y : tensor<1x2x8xf32>
  }
  return %h2 : tensor<1x2x8xf32>
}

// -----

// Without a KV cache (an encoder) the whole layer is conditional.
// CHECK-LABEL: func.func @encoder
// CHECK: tx.layer 0
// CHECK: %[[ALL:.+]] = tensor.extract
// CHECK: tx.layer 1
// CHECK-NEXT: ^bb0
// CHECK-NEXT: scf.if %[[ALL]]
// CHECK: } else {
// CHECK-NEXT: arith.mulf
// FROM1-LABEL: func.func @encoder
func.func @encoder(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %h0 = tx.layer 0 (%x) : (tensor<4x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>):
    %y = arith.mulf %a, %a : tensor<4x8xf32>
    tx.yield %y : tensor<4x8xf32>
  }
  %h1 = tx.layer 1 (%h0) : (tensor<4x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>):
    %y = arith.mulf %a, %a : tensor<4x8xf32>
    tx.yield %y : tensor<4x8xf32>
  }
  %h2 = tx.layer 2 (%h1) : (tensor<4x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>):
    %y = arith.mulf %a, %a : tensor<4x8xf32>
    tx.yield %y : tensor<4x8xf32>
  }
  return %h2 : tensor<4x8xf32>
}
