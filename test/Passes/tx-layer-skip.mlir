// Static layer skipping (tx-layer-skip).
//
// speedup=1.0 (the default) is the dense limit: the IR must not change.
// RUN: tx-opt %s --split-input-file > %t.ref
// RUN: tx-opt %s --split-input-file --tx-layer-skip > %t.default
// RUN: diff %t.ref %t.default
// RUN: tx-opt %s --split-input-file --tx-layer-skip="speedup=1.0" > %t.dense
// RUN: diff %t.ref %t.dense
// RUN: tx-opt %s --split-input-file --tx-layer-skip="speedup=1.0" | FileCheck %s --check-prefix=DENSE
//
// RUN: tx-opt %s --split-input-file --tx-layer-skip="speedup=2.0" | FileCheck %s --check-prefix=R2
// RUN: tx-opt %s --split-input-file --pass-pipeline="builtin.module(tx-layer-skip{speedup=2.0})" | FileCheck %s --check-prefix=R2
// RUN: tx-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(tx-layer-skip{speedup=2.0}))" | FileCheck %s --check-prefix=R2
// RUN: tx-opt %s --split-input-file --tx-layer-skip="speedup=3" | FileCheck %s --check-prefix=R3
// RUN: tx-opt %s --split-input-file --tx-layer-skip="skip-layers=1,2" | FileCheck %s --check-prefix=SKIP
// RUN: tx-opt %s --split-input-file --pass-pipeline="builtin.module(tx-layer-skip{skip-layers=2,1,2})" | FileCheck %s --check-prefix=SKIP

// 8 layers. r = 2: K = 4 kept at stride 7/3 -> 0, 2, 5, 7.
//           r = 3: K = 3 kept at stride 7/2 -> 0, 4, 7.
// DENSE-LABEL: func.func @stack8
// DENSE-SAME: (%[[X:[^:]+]]: tensor<4xf32>)
// DENSE-NOT: tx.layer
// DENSE: %[[L0:.+]] = tx.layer 0 (%[[X]])
// DENSE-NOT: tx.layer
// DENSE: %[[L1:.+]] = tx.layer 1 (%[[L0]])
// DENSE-NOT: tx.layer
// DENSE: %[[L2:.+]] = tx.layer 2 (%[[L1]])
// DENSE-NOT: tx.layer
// DENSE: %[[L3:.+]] = tx.layer 3 (%[[L2]])
// DENSE-NOT: tx.layer
// DENSE: %[[L4:.+]] = tx.layer 4 (%[[L3]])
// DENSE-NOT: tx.layer
// DENSE: %[[L5:.+]] = tx.layer 5 (%[[L4]])
// DENSE-NOT: tx.layer
// DENSE: %[[L6:.+]] = tx.layer 6 (%[[L5]])
// DENSE-NOT: tx.layer
// DENSE: %[[L7:.+]] = tx.layer 7 (%[[L6]])
// DENSE-NOT: tx.layer
// DENSE: return %[[L7]]
// R2-LABEL: func.func @stack8
// R2-SAME: (%[[X:[^:]+]]: tensor<4xf32>)
// R2-NOT: tx.layer
// R2: %[[L0:.+]] = tx.layer 0 (%[[X]])
// R2-NOT: tx.layer
// R2: %[[L2:.+]] = tx.layer 2 (%[[L0]])
// R2-NOT: tx.layer
// R2: %[[L5:.+]] = tx.layer 5 (%[[L2]])
// R2-NOT: tx.layer
// R2: %[[L7:.+]] = tx.layer 7 (%[[L5]])
// R2-NOT: tx.layer
// R2: return %[[L7]]
// R3-LABEL: func.func @stack8
// R3-SAME: (%[[X:[^:]+]]: tensor<4xf32>)
// R3-NOT: tx.layer
// R3: %[[L0:.+]] = tx.layer 0 (%[[X]])
// R3-NOT: tx.layer
// R3: %[[L4:.+]] = tx.layer 4 (%[[L0]])
// R3-NOT: tx.layer
// R3: %[[L7:.+]] = tx.layer 7 (%[[L4]])
// R3-NOT: tx.layer
// R3: return %[[L7]]
// SKIP-LABEL: func.func @stack8
// SKIP-SAME: (%[[X:[^:]+]]: tensor<4xf32>)
// SKIP-NOT: tx.layer
// SKIP: %[[L0:.+]] = tx.layer 0 (%[[X]])
// SKIP-NOT: tx.layer
// SKIP: %[[L3:.+]] = tx.layer 3 (%[[L0]])
// SKIP-NOT: tx.layer
// SKIP: %[[L4:.+]] = tx.layer 4 (%[[L3]])
// SKIP-NOT: tx.layer
// SKIP: %[[L5:.+]] = tx.layer 5 (%[[L4]])
// SKIP-NOT: tx.layer
// SKIP: %[[L6:.+]] = tx.layer 6 (%[[L5]])
// SKIP-NOT: tx.layer
// SKIP: %[[L7:.+]] = tx.layer 7 (%[[L6]])
// SKIP-NOT: tx.layer
// SKIP: return %[[L7]]
func.func @stack8(%x: tensor<4xf32>) -> tensor<4xf32> {
  %h0 = tx.layer 0 (%x) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %y = arith.addf %a, %a : tensor<4xf32>
    tx.yield %y : tensor<4xf32>
  }
  %h1 = tx.layer 1 (%h0) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %y = arith.addf %a, %a : tensor<4xf32>
    tx.yield %y : tensor<4xf32>
  }
  %h2 = tx.layer 2 (%h1) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %y = arith.addf %a, %a : tensor<4xf32>
    tx.yield %y : tensor<4xf32>
  }
  %h3 = tx.layer 3 (%h2) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %y = arith.addf %a, %a : tensor<4xf32>
    tx.yield %y : tensor<4xf32>
  }
  %h4 = tx.layer 4 (%h3) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %y = arith.addf %a, %a : tensor<4xf32>
    tx.yield %y : tensor<4xf32>
  }
  %h5 = tx.layer 5 (%h4) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %y = arith.addf %a, %a : tensor<4xf32>
    tx.yield %y : tensor<4xf32>
  }
  %h6 = tx.layer 6 (%h5) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %y = arith.addf %a, %a : tensor<4xf32>
    tx.yield %y : tensor<4xf32>
  }
  %h7 = tx.layer 7 (%h6) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %y = arith.addf %a, %a : tensor<4xf32>
    tx.yield %y : tensor<4xf32>
  }
  return %h7 : tensor<4xf32>
}

// -----

// 12 layers. r = 2: K = 6 kept at stride 11/5 -> 0, 2, 4, 7, 9, 11.
//            r = 3: K = 4 kept at stride 11/3 -> 0, 4, 7, 11.
// R2-LABEL: func.func @stack12
// R2-SAME: (%[[X:[^:]+]]: tensor<4xf32>)
// R2-NOT: tx.layer
// R2: %[[L0:.+]] = tx.layer 0 (%[[X]])
// R2-NOT: tx.layer
// R2: %[[L2:.+]] = tx.layer 2 (%[[L0]])
// R2-NOT: tx.layer
// R2: %[[L4:.+]] = tx.layer 4 (%[[L2]])
// R2-NOT: tx.layer
// R2: %[[L7:.+]] = tx.layer 7 (%[[L4]])
// R2-NOT: tx.layer
// R2: %[[L9:.+]] = tx.layer 9 (%[[L7]])
// R2-NOT: tx.layer
// R2: %[[L11:.+]] = tx.layer 11 (%[[L9]])
// R2-NOT: tx.layer
// R2: return %[[L11]]
// R3-LABEL: func.func @stack12
// R3-SAME: (%[[X:[^:]+]]: tensor<4xf32>)
// R3-NOT: tx.layer
// R3: %[[L0:.+]] = tx.layer 0 (%[[X]])
// R3-NOT: tx.layer
// R3: %[[L4:.+]] = tx.layer 4 (%[[L0]])
// R3-NOT: tx.layer
// R3: %[[L7:.+]] = tx.layer 7 (%[[L4]])
// R3-NOT: tx.layer
// R3: %[[L11:.+]] = tx.layer 11 (%[[L7]])
// R3-NOT: tx.layer
// R3: return %[[L11]]
// SKIP-LABEL: func.func @stack12
// SKIP-SAME: (%[[X:[^:]+]]: tensor<4xf32>)
// SKIP-NOT: tx.layer
// SKIP: %[[L0:.+]] = tx.layer 0 (%[[X]])
// SKIP-NOT: tx.layer
// SKIP: %[[L3:.+]] = tx.layer 3 (%[[L0]])
// SKIP-NOT: tx.layer
// SKIP: %[[L4:.+]] = tx.layer 4 (%[[L3]])
// SKIP-NOT: tx.layer
// SKIP: %[[L5:.+]] = tx.layer 5 (%[[L4]])
// SKIP-NOT: tx.layer
// SKIP: %[[L6:.+]] = tx.layer 6 (%[[L5]])
// SKIP-NOT: tx.layer
// SKIP: %[[L7:.+]] = tx.layer 7 (%[[L6]])
// SKIP-NOT: tx.layer
// SKIP: %[[L8:.+]] = tx.layer 8 (%[[L7]])
// SKIP-NOT: tx.layer
// SKIP: %[[L9:.+]] = tx.layer 9 (%[[L8]])
// SKIP-NOT: tx.layer
// SKIP: %[[L10:.+]] = tx.layer 10 (%[[L9]])
// SKIP-NOT: tx.layer
// SKIP: %[[L11:.+]] = tx.layer 11 (%[[L10]])
// SKIP-NOT: tx.layer
// SKIP: return %[[L11]]
func.func @stack12(%x: tensor<4xf32>) -> tensor<4xf32> {
  %h0 = tx.layer 0 (%x) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %y = arith.addf %a, %a : tensor<4xf32>
    tx.yield %y : tensor<4xf32>
  }
  %h1 = tx.layer 1 (%h0) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %y = arith.addf %a, %a : tensor<4xf32>
    tx.yield %y : tensor<4xf32>
  }
  %h2 = tx.layer 2 (%h1) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %y = arith.addf %a, %a : tensor<4xf32>
    tx.yield %y : tensor<4xf32>
  }
  %h3 = tx.layer 3 (%h2) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %y = arith.addf %a, %a : tensor<4xf32>
    tx.yield %y : tensor<4xf32>
  }
  %h4 = tx.layer 4 (%h3) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %y = arith.addf %a, %a : tensor<4xf32>
    tx.yield %y : tensor<4xf32>
  }
  %h5 = tx.layer 5 (%h4) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %y = arith.addf %a, %a : tensor<4xf32>
    tx.yield %y : tensor<4xf32>
  }
  %h6 = tx.layer 6 (%h5) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %y = arith.addf %a, %a : tensor<4xf32>
    tx.yield %y : tensor<4xf32>
  }
  %h7 = tx.layer 7 (%h6) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %y = arith.addf %a, %a : tensor<4xf32>
    tx.yield %y : tensor<4xf32>
  }
  %h8 = tx.layer 8 (%h7) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %y = arith.addf %a, %a : tensor<4xf32>
    tx.yield %y : tensor<4xf32>
  }
  %h9 = tx.layer 9 (%h8) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %y = arith.addf %a, %a : tensor<4xf32>
    tx.yield %y : tensor<4xf32>
  }
  %h10 = tx.layer 10 (%h9) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %y = arith.addf %a, %a : tensor<4xf32>
    tx.yield %y : tensor<4xf32>
  }
  %h11 = tx.layer 11 (%h10) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %y = arith.addf %a, %a : tensor<4xf32>
    tx.yield %y : tensor<4xf32>
  }
  return %h11 : tensor<4xf32>
}

// -----

// Layers with several inputs and results: result i of a skipped layer is
// replaced by its input i (the residual stream and the positions pass
// through). A layer may have fewer results than inputs.
// r = 2 keeps layers 0 and 3 (K = 2); so does skip-layers=1,2. r = 3 keeps
// only layer 0 (K = round(4 / 3) = 1).

// R2-LABEL: func.func @multi_io
// R2-SAME: (%[[H:[^:]+]]: tensor<4xf32>, %[[P:[^:]+]]: tensor<4xi64>)
// R2: %[[L0:.+]]:2 = tx.layer 0 (%[[H]], %[[P]])
// R2-NOT: tx.layer
// R2: %[[L3:.+]] = tx.layer 3 (%[[L0]]#0, %[[L0]]#1)
// R2-NOT: tx.layer
// R2: return %[[L3]], %[[L0]]#1 : tensor<4xf32>, tensor<4xi64>

// R3-LABEL: func.func @multi_io
// R3-SAME: (%[[H:[^:]+]]: tensor<4xf32>, %[[P:[^:]+]]: tensor<4xi64>)
// R3: %[[L0:.+]]:2 = tx.layer 0 (%[[H]], %[[P]])
// R3-NOT: tx.layer
// R3: return %[[L0]]#0, %[[L0]]#1 : tensor<4xf32>, tensor<4xi64>

// SKIP-LABEL: func.func @multi_io
// SKIP-SAME: (%[[H:[^:]+]]: tensor<4xf32>, %[[P:[^:]+]]: tensor<4xi64>)
// SKIP: %[[L0:.+]]:2 = tx.layer 0 (%[[H]], %[[P]])
// SKIP-NOT: tx.layer
// SKIP: %[[L3:.+]] = tx.layer 3 (%[[L0]]#0, %[[L0]]#1)
// SKIP-NOT: tx.layer
// SKIP: return %[[L3]], %[[L0]]#1 : tensor<4xf32>, tensor<4xi64>
func.func @multi_io(%h: tensor<4xf32>, %pos: tensor<4xi64>) -> (tensor<4xf32>, tensor<4xi64>) {
  %0:2 = tx.layer 0 (%h, %pos) : (tensor<4xf32>, tensor<4xi64>) -> (tensor<4xf32>, tensor<4xi64>) {
  ^bb0(%a: tensor<4xf32>, %p: tensor<4xi64>):
    %y = arith.addf %a, %a : tensor<4xf32>
    %q = arith.addi %p, %p : tensor<4xi64>
    tx.yield %y, %q : tensor<4xf32>, tensor<4xi64>
  }
  %1:2 = tx.layer 1 (%0#0, %0#1) : (tensor<4xf32>, tensor<4xi64>) -> (tensor<4xf32>, tensor<4xi64>) {
  ^bb0(%a: tensor<4xf32>, %p: tensor<4xi64>):
    %y = arith.mulf %a, %a : tensor<4xf32>
    %q = arith.muli %p, %p : tensor<4xi64>
    tx.yield %y, %q : tensor<4xf32>, tensor<4xi64>
  }
  %2 = tx.layer 2 (%1#0, %1#1) : (tensor<4xf32>, tensor<4xi64>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>, %p: tensor<4xi64>):
    %y = arith.subf %a, %a : tensor<4xf32>
    tx.yield %y : tensor<4xf32>
  }
  %3 = tx.layer 3 (%2, %1#1) : (tensor<4xf32>, tensor<4xi64>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>, %p: tensor<4xi64>):
    %y = arith.divf %a, %a : tensor<4xf32>
    tx.yield %y : tensor<4xf32>
  }
  return %3, %1#1 : tensor<4xf32>, tensor<4xi64>
}

// -----

// A skipped layer's KV cache writes disappear with it. r = 2 and
// skip-layers=1,2 keep layers 0 and 3.

// R2-LABEL: func.func @kv_writes
// R2: tx.layer 0 (
// R2-NEXT: ^bb0
// R2-NEXT: tx.kv_append %{{.+}}[0]
// R2-NOT: tx.kv_append
// R2: tx.layer 3 (
// R2-NEXT: ^bb0
// R2-NEXT: tx.kv_append %{{.+}}[3]
// R2-NOT: tx.kv_append
// R2: return

// SKIP-LABEL: func.func @kv_writes
// SKIP: tx.kv_append %{{.+}}[0]
// SKIP-NOT: tx.kv_append
// SKIP: tx.kv_append %{{.+}}[3]
// SKIP-NOT: tx.kv_append
// SKIP: return
func.func @kv_writes(%cache: !tx.kv_cache<layers = 4, kv_heads = 1, capacity = 8, head_dim = 4, f32>,
                     %h: tensor<1x1x1x4xf32>, %pos: index) -> tensor<1x1x1x4xf32> {
  %0 = tx.layer 0 (%h) : (tensor<1x1x1x4xf32>) -> tensor<1x1x1x4xf32> {
  ^bb0(%a: tensor<1x1x1x4xf32>):
    tx.kv_append %cache[0], %a, %a at %pos : !tx.kv_cache<layers = 4, kv_heads = 1, capacity = 8, head_dim = 4, f32>, tensor<1x1x1x4xf32>, tensor<1x1x1x4xf32>
    tx.yield %a : tensor<1x1x1x4xf32>
  }
  %1 = tx.layer 1 (%0) : (tensor<1x1x1x4xf32>) -> tensor<1x1x1x4xf32> {
  ^bb0(%a: tensor<1x1x1x4xf32>):
    tx.kv_append %cache[1], %a, %a at %pos : !tx.kv_cache<layers = 4, kv_heads = 1, capacity = 8, head_dim = 4, f32>, tensor<1x1x1x4xf32>, tensor<1x1x1x4xf32>
    tx.yield %a : tensor<1x1x1x4xf32>
  }
  %2 = tx.layer 2 (%1) : (tensor<1x1x1x4xf32>) -> tensor<1x1x1x4xf32> {
  ^bb0(%a: tensor<1x1x1x4xf32>):
    tx.kv_append %cache[2], %a, %a at %pos : !tx.kv_cache<layers = 4, kv_heads = 1, capacity = 8, head_dim = 4, f32>, tensor<1x1x1x4xf32>, tensor<1x1x1x4xf32>
    tx.yield %a : tensor<1x1x1x4xf32>
  }
  %3 = tx.layer 3 (%2) : (tensor<1x1x1x4xf32>) -> tensor<1x1x1x4xf32> {
  ^bb0(%a: tensor<1x1x1x4xf32>):
    tx.kv_append %cache[3], %a, %a at %pos : !tx.kv_cache<layers = 4, kv_heads = 1, capacity = 8, head_dim = 4, f32>, tensor<1x1x1x4xf32>, tensor<1x1x1x4xf32>
    tx.yield %a : tensor<1x1x1x4xf32>
  }
  return %3 : tensor<1x1x1x4xf32>
}

// -----

// Layers are counted per function: each 3-layer stack keeps its own first
// and last layer at r = 2 (K = round(1.5) = 2), and a function without
// tx.layer ops is left alone.

// R2-LABEL: func.func @first
// R2: %[[A0:.+]] = tx.layer 0 (
// R2-NOT: tx.layer
// R2: %[[A2:.+]] = tx.layer 2 (%[[A0]])
// R2-NOT: tx.layer
// R2: return %[[A2]]
// R2-LABEL: func.func @second
// R2: %[[B0:.+]] = tx.layer 0 (
// R2-NOT: tx.layer
// R2: %[[B2:.+]] = tx.layer 2 (%[[B0]])
// R2-NOT: tx.layer
// R2: return %[[B2]]
// R2-LABEL: func.func @no_layers
// R2-NEXT: arith.addf
// R2-NEXT: return

// SKIP-LABEL: func.func @first
// SKIP: %[[A0:.+]] = tx.layer 0 (
// SKIP-NOT: tx.layer
// SKIP: return %[[A0]]
// SKIP-LABEL: func.func @second
// SKIP: %[[B0:.+]] = tx.layer 0 (
// SKIP-NOT: tx.layer
// SKIP: return %[[B0]]
// SKIP-LABEL: func.func @no_layers
// SKIP-NEXT: arith.addf
// SKIP-NEXT: return
func.func @first(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = tx.layer 0 (%x) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    tx.yield %a : tensor<4xf32>
  }
  %1 = tx.layer 1 (%0) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    tx.yield %a : tensor<4xf32>
  }
  %2 = tx.layer 2 (%1) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    tx.yield %a : tensor<4xf32>
  }
  return %2 : tensor<4xf32>
}
func.func @second(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = tx.layer 0 (%x) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    tx.yield %a : tensor<4xf32>
  }
  %1 = tx.layer 1 (%0) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    tx.yield %a : tensor<4xf32>
  }
  %2 = tx.layer 2 (%1) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    tx.yield %a : tensor<4xf32>
  }
  return %2 : tensor<4xf32>
}
func.func @no_layers(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = arith.addf %x, %x : tensor<4xf32>
  return %y : tensor<4xf32>
}
