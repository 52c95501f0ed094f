// Mixture-of-depths over a KV cache (tx-mod-prune after tx-use-kv-cache):
// routed layers keep their own cache lengths.
//
// RUN: %python %S/../tools/Inputs/layer_skip_check.py --write-quantiles %t.stats 2
// RUN: tx-opt %s --split-input-file --tx-mod-prune="capacity=0.5 calibration=%t.stats" | FileCheck %s
// RUN: tx-opt %s --split-input-file --tx-mod-prune="capacity=0.5 decision=threshold calibration=%t.stats" | FileCheck %s --check-prefix=THRESHOLD
// RUN: tx-opt %s --split-input-file --tx-mod-prune="capacity=1" | FileCheck %s --check-prefix=DENSE
// RUN: not tx-opt %s --split-input-file --tx-mod-prune="capacity=0.5" 2>&1 | FileCheck %s --check-prefix=CHECK-NOSTATS

// A decode step (one token) of two layers. Layer 1 is routed: the step
// gets `layer_lengths` and `step_length`, the token is kept when its score
// reaches the threshold (percentile 100 * (1 - 0.5) = 50 of the statistics'
// quantiles, which are 0 .. 100 here), the layer appends at its own length
// (layer_lengths[1]) and attends to length + 1 entries, its attention and
// MLP sit in an scf.if skipped when the token is not kept, and the step
// returns `layer_kept` (layer 0: the step length; layer 1: the kept count).
// CHECK-LABEL: func.func @decode
// CHECK-SAME: %[[CACHE:[^:]+]]: !tx.kv_cache
// CHECK-SAME: %[[LENGTHS:[^:]+]]: tensor<2xi64> {tx.name = "layer_lengths"}, %[[STEP:[^:]+]]: tensor<1xi64> {tx.name = "step_length"})
// CHECK-SAME: -> (tensor<1x1x8xf32>, tensor<2xi64> {tx.name = "layer_kept"})
// CHECK-SAME: layer_kept = "layer_kept", layer_lengths = "layer_lengths"
// CHECK-SAME: step_length = "step_length"
// CHECK: %[[COUNT:.+]] = tensor.extract %[[STEP]]
// CHECK: %[[N:.+]] = arith.index_cast %[[COUNT]] : i64 to index
// CHECK: %[[L0:.+]] = tx.layer 0
// CHECK: tx.kv_append %[[CACHE]][0]
// CHECK: %[[L1LEN:.+]] = tensor.extract %[[LENGTHS]]
// CHECK: %[[START:.+]] = arith.index_cast %[[L1LEN]] : i64 to index
// CHECK: %[[END:.+]] = arith.addi %[[START]], %c1
// The padding of a step never routes (scores from step_length on: -inf).
// CHECK: linalg.generic
// CHECK: arith.cmpi slt, %{{.+}}, %[[N]] : index
// CHECK: %[[IDX:.+]], %{{.+}} = tx.route %{{.+}} capacity(1) limit(%[[N]]) weighting(one) {threshold = 5.000000e+01 : f64}
// CHECK: %[[KEPT:.+]] = tensor.extract
// CHECK: %[[NONE:.+]] = arith.cmpi eq, %[[KEPT]], %c0_i64
// CHECK: %[[G:.+]] = tx.gather_tokens %[[L0]], %[[IDX]]
// CHECK: %[[L1:.+]] = tx.layer 1 (%[[G]])
// CHECK: tx.kv_append %[[CACHE]][1], {{.*}} at %[[START]]
// CHECK: scf.if %[[NONE]]
// CHECK: tx.kv_view %[[CACHE]][1] length %[[END]]
// CHECK: tx.attention {{.*}} kv_length(%[[END]])
// CHECK: tx.scatter_tokens %[[L0]], %[[L1]], %[[IDX]]
// CHECK: %[[STEPS:.+]] = arith.index_cast %[[N]] : index to i64
// CHECK: %[[OUT:.+]] = tensor.from_elements %[[STEPS]], %[[KEPT]] : tensor<2xi64>
// CHECK: return %{{.+}}, %[[OUT]]

// The causal decision is what decode steps take anyway.
// THRESHOLD-LABEL: func.func @decode
// THRESHOLD: tx.route {{.*}} capacity(1) limit({{.*}}) weighting(one) {threshold = 5.000000e+01 : f64}

// Capacity 1 keeps every token (threshold -inf), no statistics needed.
// DENSE-LABEL: func.func @decode
// DENSE: tx.route {{.*}} capacity(1) limit({{.*}}) weighting(one) {threshold = 0xFFF0000000000000 : f64}

// CHECK-NOSTATS: error: 'tx.layer' op tx-mod-prune: a causal (threshold) decision at ratio 0.5 needs 'calibration' with an f32 'layer.1.update_quantiles' of 101 percentiles (write it with `txc calibrate` of this model)

!cache = !tx.kv_cache<layers = 2, kv_heads = 1, capacity = 16, head_dim = 8, f32>
func.func @decode(%x: tensor<1x1x8xf32>, %pos: tensor<1x1xi64>, %c: !cache, %cp: tensor<1xi64>) -> tensor<1x1x8xf32> attributes {tx.generation = {batch = 1 : i64, cache = "kv_cache", cache_position = "cache_position", logits = "out", positions = "position_ids", step = 1 : i64, tokens = "input_ids"}} {
  %i0 = arith.constant 0 : index
  %one = arith.constant 1 : index
  %p64 = tensor.extract %cp[%i0] : tensor<1xi64>
  %p = arith.index_cast %p64 : i64 to index
  %n = arith.addi %p, %one : index
  %h0 = tx.layer 0 (%x) : (tensor<1x1x8xf32>) -> tensor<1x1x8xf32> {
  ^bb0(%a: tensor<1x1x8xf32>):
    %e = tensor.expand_shape %a [[0], [1], [2, 3]] output_shape [1, 1, 1, 8] : tensor<1x1x8xf32> into tensor<1x1x1x8xf32>
    %t0 = tensor.empty() : tensor<1x1x1x8xf32>
    %k = linalg.transpose ins(%e : tensor<1x1x1x8xf32>) outs(%t0 : tensor<1x1x1x8xf32>) permutation = [0, 2, 1, 3]
    tx.kv_append %c[0], %k, %k at %p : !cache, tensor<1x1x1x8xf32>, tensor<1x1x1x8xf32>
    %kk, %vv = tx.kv_view %c[0] length %n : !cache -> tensor<1x1x16x8xf32>, tensor<1x1x16x8xf32>
    %o = tx.attention %k, %kk, %vv mask(causal) kv_length(%n) : tensor<1x1x1x8xf32>, tensor<1x1x16x8xf32>, tensor<1x1x16x8xf32> -> tensor<1x1x1x8xf32>
    %t1 = tensor.empty() : tensor<1x1x1x8xf32>
    %b = linalg.transpose ins(%o : tensor<1x1x1x8xf32>) outs(%t1 : tensor<1x1x1x8xf32>) permutation = [0, 2, 1, 3]
    %y = tensor.collapse_shape %b [[0], [1], [2, 3]] : tensor<1x1x1x8xf32> into tensor<1x1x8xf32>
    %r = arith.addf %a, %y : tensor<1x1x8xf32>
    tx.yield %r : tensor<1x1x8xf32>
  }
  %h1 = tx.layer 1 (%h0) : (tensor<1x1x8xf32>) -> tensor<1x1x8xf32> {
  ^bb0(%a: tensor<1x1x8xf32>):
    %e = tensor.expand_shape %a [[0], [1], [2, 3]] output_shape [1, 1, 1, 8] : tensor<1x1x8xf32> into tensor<1x1x1x8xf32>
    %t0 = tensor.empty() : tensor<1x1x1x8xf32>
    %k = linalg.transpose ins(%e : tensor<1x1x1x8xf32>) outs(%t0 : tensor<1x1x1x8xf32>) permutation = [0, 2, 1, 3]
    tx.kv_append %c[1], %k, %k at %p : !cache, tensor<1x1x1x8xf32>, tensor<1x1x1x8xf32>
    %kk, %vv = tx.kv_view %c[1] length %n : !cache -> tensor<1x1x16x8xf32>, tensor<1x1x16x8xf32>
    %o = tx.attention %k, %kk, %vv mask(causal) kv_length(%n) : tensor<1x1x1x8xf32>, tensor<1x1x16x8xf32>, tensor<1x1x16x8xf32> -> tensor<1x1x1x8xf32>
    %t1 = tensor.empty() : tensor<1x1x1x8xf32>
    %b = linalg.transpose ins(%o : tensor<1x1x1x8xf32>) outs(%t1 : tensor<1x1x1x8xf32>) permutation = [0, 2, 1, 3]
    %y = tensor.collapse_shape %b [[0], [1], [2, 3]] : tensor<1x1x1x8xf32> into tensor<1x1x8xf32>
    %r = arith.addf %a, %y : tensor<1x1x8xf32>
    tx.yield %r : tensor<1x1x8xf32>
  }
  return %h1 : tensor<1x1x8xf32>
}

// -----

// A prefill chunk of 4 tokens, decision topk: 2 slots, and a short chunk
// of n real tokens keeps clamp(floor(0.5 * n), 1, 2) (the route's limit).
// With decision=threshold every slot may be kept (capacity 4) and the
// threshold decides.
// CHECK-LABEL: func.func @prefill
// CHECK: %[[COUNT:.+]] = tensor.extract %{{.+}}[%{{.+}}] : tensor<1xi64>
// CHECK: %[[N:.+]] = arith.index_cast %[[COUNT]] : i64 to index
// CHECK: arith.sitofp
// CHECK: arith.mulf %{{.+}}, %cst
// CHECK: arith.fptosi
// CHECK: arith.maxsi
// CHECK: arith.minsi
// CHECK: %[[LIMIT:.+]] = arith.index_cast %{{.+}} : i64 to index
// CHECK: tx.route %{{.+}} capacity(2) limit(%[[LIMIT]]) weighting(one) :
// CHECK: tx.layer 1 (%{{.+}}) : (tensor<1x2x8xf32>) -> tensor<1x2x8xf32>
// CHECK: tx.kv_append {{.*}} tensor<1x1x2x8xf32>
// THRESHOLD-LABEL: func.func @prefill
// THRESHOLD: tx.route {{.*}} capacity(4) limit({{.*}}) weighting(one) {threshold = 5.000000e+01 : f64}
// DENSE-LABEL: func.func @prefill
// DENSE: tx.route {{.*}} capacity(4) limit

!cache = !tx.kv_cache<layers = 2, kv_heads = 1, capacity = 16, head_dim = 8, f32>
func.func @prefill(%x: tensor<1x4x8xf32>, %pos: tensor<1x4xi64>, %c: !cache, %cp: tensor<1xi64>) -> tensor<1x4x8xf32> attributes {tx.generation = {batch = 1 : i64, cache = "kv_cache", cache_position = "cache_position", logits = "out", positions = "position_ids", step = 4 : i64, tokens = "input_ids"}} {
  %i0 = arith.constant 0 : index
  %four = arith.constant 4 : index
  %p64 = tensor.extract %cp[%i0] : tensor<1xi64>
  %p = arith.index_cast %p64 : i64 to index
  %n = arith.addi %p, %four : index
  %h0 = tx.layer 0 (%x) : (tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
  ^bb0(%a: tensor<1x4x8xf32>):
    %r = arith.addf %a, %a : tensor<1x4x8xf32>
    tx.yield %r : tensor<1x4x8xf32>
  }
  %h1 = tx.layer 1 (%h0) : (tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
  ^bb0(%a: tensor<1x4x8xf32>):
    %e = tensor.expand_shape %a [[0], [1], [2, 3]] output_shape [1, 4, 1, 8] : tensor<1x4x8xf32> into tensor<1x4x1x8xf32>
    %t0 = tensor.empty() : tensor<1x1x4x8xf32>
    %k = linalg.transpose ins(%e : tensor<1x4x1x8xf32>) outs(%t0 : tensor<1x1x4x8xf32>) permutation = [0, 2, 1, 3]
    tx.kv_append %c[1], %k, %k at %p : !cache, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>
    %kk, %vv = tx.kv_view %c[1] length %n : !cache -> tensor<1x1x16x8xf32>, tensor<1x1x16x8xf32>
    %o = tx.attention %k, %kk, %vv mask(causal) kv_length(%n) : tensor<1x1x4x8xf32>, tensor<1x1x16x8xf32>, tensor<1x1x16x8xf32> -> tensor<1x1x4x8xf32>
    %t1 = tensor.empty() : tensor<1x4x1x8xf32>
    %b = linalg.transpose ins(%o : tensor<1x1x4x8xf32>) outs(%t1 : tensor<1x4x1x8xf32>) permutation = [0, 2, 1, 3]
    %y = tensor.collapse_shape %b [[0], [1], [2, 3]] : tensor<1x4x1x8xf32> into tensor<1x4x8xf32>
    %r = arith.addf %a, %y : tensor<1x4x8xf32>
    tx.yield %r : tensor<1x4x8xf32>
  }
  return %h1 : tensor<1x4x8xf32>
}
