// RUN: tx-opt %s --split-input-file --tx-calibration-taps | FileCheck %s
// The instrumented model lowers through the CPU backend's first half.
// RUN: tx-opt %s --split-input-file --tx-calibration-taps --tx-cpu-linalg-pipeline | FileCheck %s --check-prefix=LINALG

// An encoder layer with a padding mask: q and k read the same value and
// share one reduction (returned once per weight), o reads another; the
// sums leave the tx.layer as new results after its own. Per layer: the
// cosine sum, the layer's input rows (the driver scores a sample of them
// with the fitted probe) and the probe's sums (txc calibrate fits layer.I.probe from
// them). Every position is
// weighted by the mask, and calib.tokens is the mask's sum. The pooler reads
// one row per sequence: unweighted, with a row count.

// CHECK-LABEL: func.func @main
// CHECK-SAME: -> (tensor<1x4x8xf32> {tx.name = "out"}, tensor<1x8xf32> {tx.name = "pooled"},
// CHECK-SAME: tensor<8xf32> {tx.name = "calib.q.weight.abs_sum"}, tensor<8xf32> {tx.name = "calib.q.weight.sq_sum"},
// CHECK-SAME: tensor<8xf32> {tx.name = "calib.k.weight.abs_sum"}, tensor<8xf32> {tx.name = "calib.k.weight.sq_sum"},
// CHECK-SAME: tensor<8xf32> {tx.name = "calib.o.weight.abs_sum"}, tensor<8xf32> {tx.name = "calib.o.weight.sq_sum"},
// CHECK-SAME: tensor<8xf32> {tx.name = "calib.pool.weight.abs_sum"}, tensor<8xf32> {tx.name = "calib.pool.weight.sq_sum"}, tensor<1xf32> {tx.name = "calib.pool.weight.count"},
// CHECK-SAME: tensor<1xf32> {tx.name = "calib.layer.0.cos_sum"},
// CHECK-SAME: tensor<1x4x8xf32> {tx.name = "calib.layer.0.rows"},
// CHECK-SAME: tensor<8x8xf32> {tx.name = "calib.layer.0.probe_xx"}, tensor<8xf32> {tx.name = "calib.layer.0.probe_x"},
// CHECK-SAME: tensor<8xf32> {tx.name = "calib.layer.0.probe_xt"}, tensor<1xf32> {tx.name = "calib.layer.0.probe_t"},
// CHECK-SAME: tensor<1xf32> {tx.name = "calib.tokens"})
// CHECK: %[[L:.+]]:5 = tx.layer 0 (%{{.+}}) : (tensor<1x4x8xf32>) -> (tensor<1x4x8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>)
// CHECK: ^bb0(%[[X:.+]]: tensor<1x4x8xf32>):
// CHECK: %[[S1:.+]]:2 = linalg.generic {{.+}} iterator_types = ["reduction", "reduction", "parallel"]} ins(%[[X]], %[[MASK:arg1]] : tensor<1x4x8xf32>, tensor<1x4xi64>)
// CHECK: math.absf
// CHECK: arith.sitofp
// CHECK: arith.select
// CHECK: tx.linear %[[X]]
// CHECK: tx.linear %[[X]]
// CHECK: %[[S2:.+]]:2 = linalg.generic
// CHECK: tx.yield %{{.+}}, %[[S1]]#0, %[[S1]]#1, %[[S2]]#0, %[[S2]]#1
// The layer's residual input and output: per token x.y, x.x and y.y, then
// the mask-weighted sum of x.y / sqrt(x.x y.y) (calib.layer.0.cos_sum).
// CHECK: %[[C:.+]]:3 = linalg.generic {{.+}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.+}}, %[[L]]#0 : tensor<1x4x8xf32>, tensor<1x4x8xf32>)
// CHECK: %[[COS:.+]] = linalg.generic {{.+}} iterator_types = ["reduction", "reduction"]} ins(%[[C]]#0, %[[C]]#1, %[[C]]#2, %arg1 : tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xi64>)
// CHECK: math.sqrt
// CHECK: arith.divf
// The probe's sums: t = 1 - cos per token (0 where the mask is 0) with the
// row weights, then sum w x x^T, sum w x and sum t x, and sum t.
// CHECK: %[[C2:.+]]:3 = linalg.generic {{.+}} ins(%{{.+}}, %[[L]]#0 : tensor<1x4x8xf32>, tensor<1x4x8xf32>)
// CHECK: %[[TW:.+]]:2 = linalg.generic {{.+}} ins(%[[C2]]#0, %[[C2]]#1, %[[C2]]#2, %arg1 : {{.+}}) outs({{.+}}) {
// CHECK: arith.subf
// CHECK: %[[XX:.+]] = linalg.generic {{.+}} iterator_types = ["reduction", "reduction", "parallel", "parallel"]} ins(%{{.+}}, %{{.+}}, %[[TW]]#1 : tensor<1x4x8xf32>, tensor<1x4x8xf32>, tensor<1x4xf32>) outs(%{{.+}} : tensor<8x8xf32>)
// CHECK: %[[SX:.+]]:2 = linalg.generic {{.+}} iterator_types = ["reduction", "reduction", "parallel"]} ins(%{{.+}}, %[[TW]]#1, %[[TW]]#0 : tensor<1x4x8xf32>, tensor<1x4xf32>, tensor<1x4xf32>)
// CHECK: %[[ST:.+]] = linalg.generic {{.+}} ins(%[[TW]]#0 : tensor<1x4xf32>) outs(%{{.+}} : tensor<1xf32>)
// CHECK: %[[P:.+]]:2 = linalg.generic {{.+}} iterator_types = ["reduction", "parallel"]} ins(%{{.+}} : tensor<1x8xf32>)
// CHECK: %[[ROWS:.+]] = arith.constant dense<1.000000e+00> : tensor<1xf32>
// CHECK: %[[T:.+]] = linalg.generic {{.+}} ins(%arg1 : tensor<1x4xi64>)
// CHECK: %[[TOK:.+]] = tensor.from_elements
// CHECK: return %{{.+}}, %{{.+}}, %[[L]]#1, %[[L]]#2, %[[L]]#1, %[[L]]#2, %[[L]]#3, %[[L]]#4, %[[P]]#0, %[[P]]#1, %[[ROWS]], %[[COS]], %{{.+}}, %[[XX]], %[[SX]]#0, %[[SX]]#1, %[[ST]], %[[TOK]]

// LINALG: \22name\22:\22calib.layer.0.cos_sum\22,\22shape\22:[1]},{\22dtype\22:\22f32\22,\22name\22:\22calib.layer.0.rows\22,\22shape\22:[1,4,8]},{\22dtype\22:\22f32\22,\22name\22:\22calib.layer.0.probe_xx\22,\22shape\22:[8,8]}
// LINALG-SAME: \22name\22:\22calib.tokens\22
// LINALG: func.func private @txc_main
// LINALG-NOT: {{ tx\.}}
// LINALG: return

func.func @main(%ids: tensor<1x4xi64> {tx.name = "input_ids", tx.role = #tx.input_role<token_ids>},
                %mask: tensor<1x4xi64> {tx.name = "attention_mask", tx.role = #tx.input_role<attention_mask>})
    -> (tensor<1x4x8xf32> {tx.name = "out"}, tensor<1x8xf32> {tx.name = "pooled"}) {
  %emb = tx.weight "emb" : tensor<16x8xf32>
  %wq = tx.weight "q.weight" : tensor<8x8xf32>
  %wk = tx.weight "k.weight" : tensor<8x8xf32>
  %wo = tx.weight "o.weight" : tensor<8x8xf32>
  %wp = tx.weight "pool.weight" : tensor<8x8xf32>
  %h = tx.embedding %emb, %ids : tensor<16x8xf32>, tensor<1x4xi64> -> tensor<1x4x8xf32>
  %r = tx.layer 0 (%h) : (tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
  ^bb0(%x: tensor<1x4x8xf32>):
    %q = tx.linear %x, %wq : tensor<1x4x8xf32>, tensor<8x8xf32> -> tensor<1x4x8xf32>
    %k = tx.linear %x, %wk : tensor<1x4x8xf32>, tensor<8x8xf32> -> tensor<1x4x8xf32>
    %s = arith.addf %q, %k : tensor<1x4x8xf32>
    %o = tx.linear %s, %wo : tensor<1x4x8xf32>, tensor<8x8xf32> -> tensor<1x4x8xf32>
    tx.yield %o : tensor<1x4x8xf32>
  }
  %first = tensor.extract_slice %r[0, 0, 0] [1, 1, 8] [1, 1, 1] : tensor<1x4x8xf32> to tensor<1x8xf32>
  %p = tx.linear %first, %wp : tensor<1x8xf32>, tensor<8x8xf32> -> tensor<1x8xf32>
  return %r, %p : tensor<1x4x8xf32>, tensor<1x8xf32>
}

// -----

// No mask: nothing is weighted and calib.tokens is batch * seq. A weight
// multiplied by two distinct inputs (shared layers) gets a second set of
// results, W#1. A computed weight is not tapped. Leading dimensions
// flattened to [batch * seq] still count as tokens. tx.qlinear reads the
// name of the tx.weight its tx.qpack is built from.

// CHECK-LABEL: func.func @shared
// CHECK-SAME: tensor<8xf32> {tx.name = "calib.w.abs_sum"}, tensor<8xf32> {tx.name = "calib.w.sq_sum"},
// CHECK-SAME: tensor<8xf32> {tx.name = "calib.w#1.abs_sum"}, tensor<8xf32> {tx.name = "calib.w#1.sq_sum"},
// CHECK-SAME: tensor<64xf32> {tx.name = "calib.codes.abs_sum"}, tensor<64xf32> {tx.name = "calib.codes.sq_sum"},
// CHECK-SAME: tensor<1xf32> {tx.name = "calib.tokens"})
// CHECK-NOT: calib.computed
// CHECK-NOT: arith.sitofp
// CHECK: %[[T:.+]] = arith.constant dense<6.000000e+00> : tensor<1xf32>
// CHECK: return {{.+}}, %[[T]] :
// LINALG: \22name\22:\22calib.w#1.abs_sum\22
// LINALG: func.func private @txc_main
// LINALG-NOT: {{ tx\.}}
// LINALG: return
func.func @shared(%ids: tensor<2x3xi64> {tx.role = #tx.input_role<token_ids>},
                  %x: tensor<2x3x8xf32>, %c: tensor<8x8xf32>)
    -> (tensor<2x3x8xf32>, tensor<6x8xf32>, tensor<2x3x8xf32>, tensor<2x3x128xf32>) {
  %w = tx.weight "w" : tensor<8x8xf32>
  %y = tx.linear %x, %w : tensor<2x3x8xf32>, tensor<8x8xf32> -> tensor<2x3x8xf32>
  %flat = tensor.collapse_shape %y [[0, 1], [2]] : tensor<2x3x8xf32> into tensor<6x8xf32>
  %z = tx.linear %flat, %w : tensor<6x8xf32>, tensor<8x8xf32> -> tensor<6x8xf32>
  %cw = arith.addf %c, %c : tensor<8x8xf32>
  %u = tx.linear %x, %cw : tensor<2x3x8xf32>, tensor<8x8xf32> -> tensor<2x3x8xf32>
  %codes = tx.weight "codes" : tensor<128x64xi8>
  %scales = tx.weight "scales" : tensor<128x2xf16>
  %q = tx.qpack %codes, %scales : tensor<128x64xi8>, tensor<128x2xf16> -> !tx.qweight<128x64, int8, group = 32, scale = f16>
  %wide = tensor.empty() : tensor<2x3x64xf32>
  %v = tx.qlinear %wide, %q : tensor<2x3x64xf32>, !tx.qweight<128x64, int8, group = 32, scale = f16> -> tensor<2x3x128xf32>
  return %y, %z, %u, %v : tensor<2x3x8xf32>, tensor<6x8xf32>, tensor<2x3x8xf32>, tensor<2x3x128xf32>
}

// -----

// f16 activations are widened to f32 in the reduction.

// CHECK-LABEL: func.func @half
// CHECK-SAME: tensor<4xf32> {tx.name = "calib.h.abs_sum"}
// CHECK: arith.extf %{{.+}} : f16 to f32
// LINALG: func.func private @txc_main
// LINALG-NOT: {{ tx\.}}
// LINALG: return
func.func @half(%ids: tensor<1x2xi64> {tx.role = #tx.input_role<token_ids>},
                %x: tensor<1x2x4xf16>) -> tensor<1x2x4xf16> {
  %w = tx.weight "h" : tensor<4x4xf16>
  %y = tx.linear %x, %w : tensor<1x2x4xf16>, tensor<4x4xf16> -> tensor<1x2x4xf16>
  return %y : tensor<1x2x4xf16>
}
