// RUN: tx-opt %s --split-input-file --verify-diagnostics --tx-mod-prune="capacity=0.5"
// RUN: not tx-opt %s --split-input-file --tx-mod-prune="capacity=0" 2>&1 | FileCheck %s --check-prefix=CHECK-CAP
// RUN: not tx-opt %s --split-input-file --tx-mod-prune="schedule=linear" 2>&1 | FileCheck %s --check-prefix=CHECK-SCHED
// RUN: not tx-opt %s --split-input-file --tx-mod-prune="router=random" 2>&1 | FileCheck %s --check-prefix=CHECK-ROUTER
// RUN: not tx-opt %s --split-input-file --tx-mod-prune="router=probe" 2>&1 | FileCheck %s --check-prefix=CHECK-NOSTATS
// RUN: not tx-opt %s --split-input-file --tx-mod-prune="router=probe calibration=%t.missing" 2>&1 | FileCheck %s --check-prefix=CHECK-UNREADABLE
// RUN: %python %S/../tools/Inputs/layer_skip_check.py --write-empty %t.empty
// RUN: not tx-opt %s --split-input-file --tx-mod-prune="capacity=0.5 router=probe calibration=%t.empty" 2>&1 | FileCheck %s --check-prefix=CHECK-NOPROBE
// RUN: not tx-opt %s --split-input-file --tx-mod-prune="r-min=0.9 r-max=0.5" 2>&1 | FileCheck %s --check-prefix=CHECK-RANGE
// RUN: not tx-opt %s --split-input-file --tx-mod-prune="from=0" 2>&1 | FileCheck %s --check-prefix=CHECK-FROM
// RUN: not tx-opt %s --split-input-file --tx-mod-prune="decision=sample" 2>&1 | FileCheck %s --check-prefix=CHECK-DECISION
// RUN: not tx-opt %s --split-input-file --tx-mod-prune="router=checkpoint weighting=string" 2>&1 | FileCheck %s --check-prefix=CHECK-WEIGHTING
// RUN: not tx-opt %s --split-input-file --tx-mod-prune="weighting=pmod" 2>&1 | FileCheck %s --check-prefix=CHECK-WNEEDS
// CHECK-WEIGHTING: error: tx-mod-prune: 'weighting' must be none, mod (x + r f(x)) or pmod (TanhNorm and STRing), got 'string'
// CHECK-WNEEDS: error: tx-mod-prune: weighting=pmod scales by the router a checkpoint was trained with: it needs router=checkpoint
// CHECK-DECISION: error: tx-mod-prune: 'decision' must be topk (the top tokens of the step) or threshold (each token by its own score), got 'sample'
// CHECK-CAP: error: tx-mod-prune: 'capacity' must be in (0, 1], got 0
// CHECK-SCHED: error: tx-mod-prune: 'schedule' must be constant or pmod, got 'linear'
// CHECK-ROUTER: error: tx-mod-prune: 'router' must be update (the size of each token's update in the previous layer), probe (fitted by txc calibrate) or checkpoint (blk.I.mod_router from the model's weights), got 'random'
// CHECK-NOSTATS: error: tx-mod-prune: router=probe needs 'calibration', a txc calibrate statistics file with layer.I.probe
// CHECK-UNREADABLE: error: tx-mod-prune: cannot read the calibration statistics '{{.*}}.missing': 
// CHECK-NOPROBE: error: 'tx.layer' op tx-mod-prune: the calibration statistics have no f32 'layer.1.probe' of 9 values (write them with `txc calibrate` of this model)
// CHECK-RANGE: error: tx-mod-prune: need 0 < r-min <= r-max <= 1, got r-min 0.9, r-max 0.5
// CHECK-FROM: error: tx-mod-prune: 'from' must be >= 1 (the router reads the previous layer's update), got 0

// A routed layer over a KV cache.
!cache = !tx.kv_cache<layers = 2, kv_heads = 1, capacity = 16, head_dim = 8, f32>
func.func @cache(%x: tensor<1x1x4x8xf32>, %c: !cache, %p: index) -> tensor<1x1x4x8xf32> {
  %h0 = tx.layer 0 (%x) : (tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32> {
  ^bb0(%a: tensor<1x1x4x8xf32>):
    tx.yield %a : tensor<1x1x4x8xf32>
  }
  // expected-error @below {{'tx.layer' op tx-mod-prune: a routed layer and the one before it must take the residual stream [batch, tokens, hidden] (static) as their only input, and the routed layer return one value of that type}}
  %h1 = tx.layer 1 (%h0) : (tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32> {
  ^bb0(%a: tensor<1x1x4x8xf32>):
    tx.yield %a : tensor<1x1x4x8xf32>
  }
  return %h1 : tensor<1x1x4x8xf32>
}

// -----

// Layers over a KV cache are routed only in a generation step (the
// function tx-use-kv-cache marks), which gets the per-layer lengths.
!cache = !tx.kv_cache<layers = 2, kv_heads = 1, capacity = 16, head_dim = 8, f32>
func.func @kv(%x: tensor<1x4x8xf32>, %c: !cache, %p: index) -> tensor<1x4x8xf32> {
  %h0 = tx.layer 0 (%x) : (tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
  ^bb0(%a: tensor<1x4x8xf32>):
    tx.yield %a : tensor<1x4x8xf32>
  }
  // expected-error @below {{'tx.layer' op tx-mod-prune: routed layers over a KV cache must be in the entry block of a generation step (tx-use-kv-cache's tx.generation function)}}
  %h1 = tx.layer 1 (%h0) : (tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
  ^bb0(%a: tensor<1x4x8xf32>):
    %k = tensor.expand_shape %a [[0], [1, 2], [3]] output_shape [1, 1, 4, 8] : tensor<1x4x8xf32> into tensor<1x1x4x8xf32>
    tx.kv_append %c[1], %k, %k at %p : !cache, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>
    tx.yield %a : tensor<1x4x8xf32>
  }
  return %h1 : tensor<1x4x8xf32>
}

// -----

// A sliding-window attention cannot be routed (distances change).
func.func @window(%x: tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
  %h0 = tx.layer 0 (%x) : (tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
  ^bb0(%a: tensor<1x4x8xf32>):
    tx.yield %a : tensor<1x4x8xf32>
  }
  %h1 = tx.layer 1 (%h0) : (tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
  ^bb0(%a: tensor<1x4x8xf32>):
    %q = tensor.expand_shape %a [[0], [1, 2], [3]] output_shape [1, 1, 4, 8] : tensor<1x4x8xf32> into tensor<1x1x4x8xf32>
    // expected-error @below {{'tx.attention' op tx-mod-prune: cannot route layer 1: only attention without a mask or causal, without a window or sinks, can be routed}}
    %o = tx.attention %q, %q, %q mask(sliding_window) {window = 2 : i64} : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32> -> tensor<1x1x4x8xf32>
    %y = tensor.collapse_shape %o [[0], [1, 2], [3]] : tensor<1x1x4x8xf32> into tensor<1x4x8xf32>
    tx.yield %y : tensor<1x4x8xf32>
  }
  return %h1 : tensor<1x4x8xf32>
}

// -----

// A value shaped by the tokens that comes from outside the layer.
func.func @outside(%x: tensor<1x4x8xf32>, %bias: tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
  %h0 = tx.layer 0 (%x) : (tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
  ^bb0(%a: tensor<1x4x8xf32>):
    tx.yield %a : tensor<1x4x8xf32>
  }
  %h1 = tx.layer 1 (%h0) : (tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
  ^bb0(%a: tensor<1x4x8xf32>):
    // expected-error @below {{'arith.addf' op tx-mod-prune: cannot route layer 1: an operand shaped by the tokens comes from outside the layer}}
    %y = arith.addf %a, %bias : tensor<1x4x8xf32>
    tx.yield %y : tensor<1x4x8xf32>
  }
  return %h1 : tensor<1x4x8xf32>
}

// -----

// The cache keeps one length per layer, not per batch row.
!cache = !tx.kv_cache<layers = 2, kv_heads = 1, capacity = 16, head_dim = 8, f32>
func.func @kv_batch(%x: tensor<2x4x8xf32>, %c: !cache, %p: index) -> tensor<2x4x8xf32> attributes {tx.generation = {}} {
  %h0 = tx.layer 0 (%x) : (tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
  ^bb0(%a: tensor<2x4x8xf32>):
    tx.yield %a : tensor<2x4x8xf32>
  }
  // expected-error @below {{'tx.layer' op tx-mod-prune: routed layers over a KV cache need batch 1 (the cache's per-layer lengths are one per layer)}}
  %h1 = tx.layer 1 (%h0) : (tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
  ^bb0(%a: tensor<2x4x8xf32>):
    %k = tensor.expand_shape %a [[0], [1, 2], [3]] output_shape [2, 1, 4, 8] : tensor<2x4x8xf32> into tensor<2x1x4x8xf32>
    tx.kv_append %c[1], %k, %k at %p : !cache, tensor<2x1x4x8xf32>, tensor<2x1x4x8xf32>
    tx.yield %a : tensor<2x4x8xf32>
  }
  return %h1 : tensor<2x4x8xf32>
}

// -----

// A routed layer's tokens go to one cache layer.
!cache = !tx.kv_cache<layers = 2, kv_heads = 1, capacity = 16, head_dim = 8, f32>
func.func @kv_two(%x: tensor<1x4x8xf32>, %c: !cache, %p: index) -> tensor<1x4x8xf32> attributes {tx.generation = {}} {
  %h0 = tx.layer 0 (%x) : (tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
  ^bb0(%a: tensor<1x4x8xf32>):
    tx.yield %a : tensor<1x4x8xf32>
  }
  // expected-error @below {{'tx.layer' op tx-mod-prune: a routed layer over a KV cache must append to exactly one cache layer}}
  %h1 = tx.layer 1 (%h0) : (tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
  ^bb0(%a: tensor<1x4x8xf32>):
    %k = tensor.expand_shape %a [[0], [1, 2], [3]] output_shape [1, 1, 4, 8] : tensor<1x4x8xf32> into tensor<1x1x4x8xf32>
    tx.kv_append %c[0], %k, %k at %p : !cache, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>
    tx.kv_append %c[1], %k, %k at %p : !cache, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>
    tx.yield %a : tensor<1x4x8xf32>
  }
  return %h1 : tensor<1x4x8xf32>
}
