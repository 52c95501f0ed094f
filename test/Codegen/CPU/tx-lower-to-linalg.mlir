// RUN: tx-opt %s --split-input-file --tx-lower-to-linalg | FileCheck %s --implicit-check-not="tx."

// Structure of the reference lowering of tx ops to linalg / tensor / arith /
// math on tensors. No tx op is left but tx.weight (the implicit check-not).
// The numerics are checked by numerics.test.

// tx.layer: the region is inlined; block arguments become the operands and
// the results the yielded values (here the second one is an argument).
// CHECK-LABEL: func.func @layer
// CHECK-SAME: (%[[X:[^:]+]]: tensor<2x8xf32>, %[[Y:[^:]+]]: tensor<2x8xf32>, %[[G:[^:]+]]: tensor<8xf32>)
// CHECK: %[[SS:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<2x8xf32>)
// CHECK: %[[N:.+]] = linalg.generic {{.*}} ins(%[[X]], %[[SS]], %[[G]] :
// CHECK: %[[S:.+]] = arith.addf %[[X]], %[[N]] : tensor<2x8xf32>
// CHECK-NEXT: return %[[S]], %[[Y]] : tensor<2x8xf32>, tensor<2x8xf32>
func.func @layer(%x: tensor<2x8xf32>, %y: tensor<2x8xf32>, %g: tensor<8xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>) {
  %h, %e = tx.layer 0 (%x, %y) : (tensor<2x8xf32>, tensor<2x8xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>) {
  ^bb0(%a: tensor<2x8xf32>, %b: tensor<2x8xf32>):
    %n = tx.rms_norm %a, %g : tensor<2x8xf32>, tensor<8xf32> -> tensor<2x8xf32>
    %s = arith.addf %a, %n : tensor<2x8xf32>
    tx.yield %s, %b : tensor<2x8xf32>, tensor<2x8xf32>
  }
  return %h, %e : tensor<2x8xf32>, tensor<2x8xf32>
}

// -----

// tx.linear: leading dimensions collapsed, one matmul with W read transposed
// accumulating into the broadcast bias, result expanded back.
// CHECK-DAG: #[[MAP_A:.+]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[MAP_B:.+]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[MAP_C:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @linear_bias
// CHECK-SAME: (%[[X:[^:]+]]: tensor<2x3x16xf32>, %[[W:[^:]+]]: tensor<8x16xf32>, %[[B:[^:]+]]: tensor<8xf32>)
// CHECK: %[[X2:.+]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1], [2]] : tensor<2x3x16xf32> into tensor<6x16xf32>
// CHECK: %[[E:.+]] = tensor.empty() : tensor<6x8xf32>
// CHECK: %[[ACC:.+]] = linalg.broadcast ins(%[[B]] : tensor<8xf32>) outs(%[[E]] : tensor<6x8xf32>) dimensions = [0]
// CHECK: %[[Y:.+]] = linalg.matmul indexing_maps = [#[[MAP_A]], #[[MAP_B]], #[[MAP_C]]] ins(%[[X2]], %[[W]] : tensor<6x16xf32>, tensor<8x16xf32>) outs(%[[ACC]] : tensor<6x8xf32>)
// CHECK: %[[R:.+]] = tensor.expand_shape %[[Y]] {{\[}}[0, 1], [2]] output_shape [2, 3, 8] : tensor<6x8xf32> into tensor<2x3x8xf32>
// CHECK: return %[[R]]
func.func @linear_bias(%x: tensor<2x3x16xf32>, %w: tensor<8x16xf32>, %b: tensor<8xf32>) -> tensor<2x3x8xf32> {
  %y = tx.linear %x, %w bias(%b : tensor<8xf32>) : tensor<2x3x16xf32>, tensor<8x16xf32> -> tensor<2x3x8xf32>
  return %y : tensor<2x3x8xf32>
}

// -----

// tx.weight stays; without a bias the matmul accumulates into zeros.
// CHECK: module attributes {tx.weights = "model.safetensors"}
// CHECK-LABEL: func.func @linear_weight
// CHECK-DAG: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG: %[[W:.+]] = tx.weight "proj.weight" : tensor<8x16xf32>
// CHECK: %[[ACC:.+]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.+}} : tensor<4x8xf32>)
// CHECK: linalg.matmul {{.*}} ins(%{{.+}}, %[[W]] : tensor<4x16xf32>, tensor<8x16xf32>) outs(%[[ACC]] : tensor<4x8xf32>)
module attributes {tx.weights = "model.safetensors"} {
  func.func @linear_weight(%x: tensor<4x16xf32>) -> tensor<4x8xf32> {
    %w = tx.weight "proj.weight" : tensor<8x16xf32>
    %y = tx.linear %x, %w : tensor<4x16xf32>, tensor<8x16xf32> -> tensor<4x8xf32>
    return %y : tensor<4x8xf32>
  }
}

// -----

// tx.rms_norm: sum of squares over the last dimension, then
// x / sqrt(ss / D + eps) * w.
// CHECK-LABEL: func.func @rms_norm
// CHECK-DAG: %[[D:.+]] = arith.constant 6.400000e+01 : f32
// CHECK-DAG: %[[EPS:.+]] = arith.constant 9.99999997E-7 : f32
// CHECK: %[[SS:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.+}} : tensor<2x4x64xf32>) outs(%{{.+}} : tensor<2x4xf32>)
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: linalg.generic {{.*}} ins(%{{.+}}, %[[SS]], %{{.+}} : tensor<2x4x64xf32>, tensor<2x4xf32>, tensor<64xf32>)
// CHECK: %[[MEAN:.+]] = arith.divf %{{.+}}, %[[D]] : f32
// CHECK: %[[SHIFTED:.+]] = arith.addf %[[MEAN]], %[[EPS]] : f32
// CHECK: %[[RMS:.+]] = math.sqrt %[[SHIFTED]] : f32
// CHECK: %[[NORMED:.+]] = arith.divf %{{.+}}, %[[RMS]] : f32
// CHECK: arith.mulf %[[NORMED]], %{{.+}} : f32
func.func @rms_norm(%x: tensor<2x4x64xf32>, %g: tensor<64xf32>) -> tensor<2x4x64xf32> {
  %y = tx.rms_norm %x, %g {epsilon = 1.0e-06 : f64} : tensor<2x4x64xf32>, tensor<64xf32> -> tensor<2x4x64xf32>
  return %y : tensor<2x4x64xf32>
}

// -----

// tx.layer_norm (f16, computed in f16): sum, centered sum of squares, then
// (x - mean) / sqrt(var + eps) * w + b.
// CHECK-LABEL: func.func @layer_norm
// CHECK: %[[SUM:.+]] = linalg.generic {{.*}} ins(%{{.+}} : tensor<4x64xf16>) outs(%{{.+}} : tensor<4xf16>)
// CHECK: %[[VAR:.+]] = linalg.generic {{.*}} ins(%{{.+}}, %[[SUM]] : tensor<4x64xf16>, tensor<4xf16>) outs(%{{.+}} : tensor<4xf16>)
// CHECK: arith.subf
// CHECK: arith.mulf
// CHECK: linalg.generic {{.*}} ins(%{{.+}}, %[[SUM]], %[[VAR]], %{{.+}}, %{{.+}} : tensor<4x64xf16>, tensor<4xf16>, tensor<4xf16>, tensor<64xf16>, tensor<64xf16>)
// CHECK: math.sqrt %{{.+}} : f16
// CHECK: arith.divf
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @layer_norm(%x: tensor<4x64xf16>, %g: tensor<64xf16>, %b: tensor<64xf16>) -> tensor<4x64xf16> {
  %y = tx.layer_norm %x, %g bias(%b : tensor<64xf16>) : tensor<4x64xf16>, tensor<64xf16> -> tensor<4x64xf16>
  return %y : tensor<4x64xf16>
}

// -----

// tx.rope, rotate-half: channels split as [2, R/2], the partner read through
// t -> 1 - t, the tables through (s, i).
// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>
// CHECK-DAG: #[[PARTNER:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, -d3 + 1, d4)>
// CHECK-DAG: #[[TABLE:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d2, d4)>
// CHECK-LABEL: func.func @rope
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x8x16x64xf32>, %[[COS:[^:]+]]: tensor<16x32xf32>, %[[SIN:[^:]+]]: tensor<16x32xf32>)
// CHECK: %[[PAIRS:.+]] = tensor.expand_shape %[[Q]] {{\[}}[0], [1], [2], [3, 4]] output_shape [1, 8, 16, 2, 32]
// CHECK: %[[ROT:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[PARTNER]], #[[TABLE]], #[[TABLE]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%[[PAIRS]], %[[PAIRS]], %[[COS]], %[[SIN]] :
// CHECK: linalg.index 3 : index
// CHECK: arith.negf
// CHECK: arith.select
// CHECK: %[[R:.+]] = tensor.collapse_shape %[[ROT]] {{\[}}[0], [1], [2], [3, 4]] : tensor<1x8x16x2x32xf32> into tensor<1x8x16x64xf32>
// CHECK: return %[[R]]
func.func @rope(%q: tensor<1x8x16x64xf32>, %cos: tensor<16x32xf32>, %sin: tensor<16x32xf32>) -> tensor<1x8x16x64xf32> {
  %y = tx.rope %q, %cos, %sin : tensor<1x8x16x64xf32>, tensor<16x32xf32>, tensor<16x32xf32> -> tensor<1x8x16x64xf32>
  return %y : tensor<1x8x16x64xf32>
}

// -----

// tx.rope, interleaved, partial (R = 32 of 64), tables gathered by
// [B, S] positions: channels split as [R/2, 2]; channels R.. pass through.
// CHECK-DAG: #[[PARTNER:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, -d4 + 1)>
// CHECK-DAG: #[[TABLE:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d3)>
// CHECK-LABEL: func.func @rope_partial_interleaved_positions
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<2x8x1x64xf32>, %[[COS:[^:]+]]: tensor<4096x16xf32>, %[[SIN:[^:]+]]: tensor<4096x16xf32>, %[[P:[^:]+]]: tensor<2x1xi64>)
// CHECK: %[[C:.+]] = linalg.generic {{.*}} ins(%[[P]] : tensor<2x1xi64>) outs(%{{.+}} : tensor<2x1x16xf32>)
// CHECK: tensor.extract %[[COS]]
// CHECK: %[[S:.+]] = linalg.generic {{.*}} ins(%[[P]] : tensor<2x1xi64>) outs(%{{.+}} : tensor<2x1x16xf32>)
// CHECK: tensor.extract %[[SIN]]
// CHECK: %[[SLICE:.+]] = tensor.extract_slice %[[Q]][0, 0, 0, 0] [2, 8, 1, 32] [1, 1, 1, 1]
// CHECK: %[[PAIRS:.+]] = tensor.expand_shape %[[SLICE]] {{\[}}[0], [1], [2], [3, 4]] output_shape [2, 8, 1, 16, 2]
// CHECK: %[[ROT:.+]] = linalg.generic {indexing_maps = [#{{.+}}, #[[PARTNER]], #[[TABLE]], #[[TABLE]], #{{.+}}], {{.*}} ins(%[[PAIRS]], %[[PAIRS]], %[[C]], %[[S]] :
// CHECK: linalg.index 4 : index
// CHECK: %[[FLAT:.+]] = tensor.collapse_shape %[[ROT]]
// CHECK: %[[R:.+]] = tensor.insert_slice %[[FLAT]] into %[[Q]][0, 0, 0, 0] [2, 8, 1, 32] [1, 1, 1, 1]
// CHECK: return %[[R]]
func.func @rope_partial_interleaved_positions(%q: tensor<2x8x1x64xf32>, %cos: tensor<4096x16xf32>, %sin: tensor<4096x16xf32>, %p: tensor<2x1xi64>) -> tensor<2x8x1x64xf32> {
  %y = tx.rope %q, %cos, %sin positions(%p : tensor<2x1xi64>) {interleaved}
      : tensor<2x8x1x64xf32>, tensor<4096x16xf32>, tensor<4096x16xf32> -> tensor<2x8x1x64xf32>
  return %y : tensor<2x8x1x64xf32>
}

// -----

// tx.embedding: a generic over the result gathering table rows, each id
// clamped into the table; the ids argument records its valid range for the
// runtime (tx.index_range).
// CHECK-LABEL: func.func @embedding
// CHECK-SAME: (%[[T:[^:]+]]: tensor<1000x64xf32>, %[[IDS:[^:]+]]: tensor<1x16xi64> {tx.index_range = array<i64: 0, 1000>})
// CHECK: linalg.generic {{.*}} ins(%[[IDS]] : tensor<1x16xi64>) outs(%{{.+}} : tensor<1x16x64xf32>)
// CHECK: %[[RAW:.+]] = arith.index_cast %{{.+}} : i64 to index
// CHECK: %[[LOW:.+]] = arith.maxsi %[[RAW]], %{{.+}} : index
// CHECK: %[[ROW:.+]] = arith.minsi %[[LOW]], %{{.+}} : index
// CHECK: %[[COL:.+]] = linalg.index 2 : index
// CHECK: tensor.extract %[[T]][%[[ROW]], %[[COL]]] : tensor<1000x64xf32>
func.func @embedding(%table: tensor<1000x64xf32>, %ids: tensor<1x16xi64>) -> tensor<1x16x64xf32> {
  %h = tx.embedding %table, %ids : tensor<1000x64xf32>, tensor<1x16xi64> -> tensor<1x16x64xf32>
  return %h : tensor<1x16x64xf32>
}

// -----

// tx.attention, f32: txcpu.attention into an empty tensor, with the
// effective scale (1/sqrt(64)) and the mask kind; window and sinks carried
// over (decode: one query at position 31).
// CHECK-LABEL: func.func @attention_causal_gqa
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x8x16x64xf32>, %[[K:[^:]+]]: tensor<1x2x16x64xf32>, %[[V:[^:]+]]: tensor<1x2x16x64xf32>)
// CHECK: %[[INIT:.+]] = tensor.empty() : tensor<1x8x16x64xf32>
// CHECK: %[[O:.+]] = txcpu.attention mask(causal) ins(%[[Q]], %[[K]], %[[V]] : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32>) outs(%[[INIT]] : tensor<1x8x16x64xf32>) {scale = 1.250000e-01 : f64} -> tensor<1x8x16x64xf32>
// CHECK: return %[[O]]
func.func @attention_causal_gqa(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x16x64xf32>) -> tensor<1x8x16x64xf32> {
  %o = tx.attention %q, %k, %v mask(causal) : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// -----

// CHECK-LABEL: func.func @attention_window_sinks
// CHECK: txcpu.attention mask(sliding_window) {{.*}} {scale = 5.000000e-01 : f64, sinks = 4 : i64, window = 8 : i64} -> tensor<1x4x1x64xf32>
func.func @attention_window_sinks(%q: tensor<1x4x1x64xf32>, %k: tensor<1x4x32x64xf32>, %v: tensor<1x4x32x64xf32>) -> tensor<1x4x1x64xf32> {
  %o = tx.attention %q, %k, %v mask(sliding_window) {window = 8, sinks = 4, scale = 0.5 : f64}
      : tensor<1x4x1x64xf32>, tensor<1x4x32x64xf32>, tensor<1x4x32x64xf32> -> tensor<1x4x1x64xf32>
  return %o : tensor<1x4x1x64xf32>
}

// -----

// Explicit masks: i1 and f32 pass as they are, other float masks are
// converted to f32 first.
// CHECK-LABEL: func.func @attention_masks
// CHECK-SAME: %[[M:[^:]+]]: tensor<2x1x1x8xi1>, %[[F:[^:]+]]: tensor<1x4x8x8xf32>, %[[H:[^:]+]]: tensor<1x1x8x8xf16>)
// CHECK: txcpu.attention mask(none) {{.*}} explicit_mask(%[[M]] : tensor<2x1x1x8xi1>)
// CHECK: txcpu.attention mask(none) {{.*}} explicit_mask(%[[F]] : tensor<1x4x8x8xf32>)
// CHECK: %[[H32:.+]] = arith.extf %[[H]] : tensor<1x1x8x8xf16> to tensor<1x1x8x8xf32>
// CHECK: txcpu.attention mask(causal) {{.*}} explicit_mask(%[[H32]] : tensor<1x1x8x8xf32>)
func.func @attention_masks(%q: tensor<2x4x8x16xf32>, %k: tensor<2x2x8x16xf32>, %m: tensor<2x1x1x8xi1>, %f: tensor<1x4x8x8xf32>, %h: tensor<1x1x8x8xf16>) -> (tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>) {
  %o = tx.attention %q, %k, %k mask(none) explicit_mask(%m : tensor<2x1x1x8xi1>)
      : tensor<2x4x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32> -> tensor<2x4x8x16xf32>
  %o2 = tx.attention %q, %k, %k mask(none) explicit_mask(%f : tensor<1x4x8x8xf32>)
      : tensor<2x4x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32> -> tensor<2x4x8x16xf32>
  %o3 = tx.attention %q, %k, %k mask(causal) explicit_mask(%h : tensor<1x1x8x8xf16>)
      : tensor<2x4x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32> -> tensor<2x4x8x16xf32>
  return %o, %o2, %o3 : tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>
}

// -----

// tx.qlinear, int4 with zero points and f16 scales: codes grouped as
// [N, K / group, group], (q - z) in i32 times the scale, then the matmul.
// The tx.qpack disappears.
// CHECK-DAG: #[[GROUP:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @qlinear_int4
// CHECK-SAME: (%[[X:[^:]+]]: tensor<2x64xf32>, %[[C:[^:]+]]: tensor<8x64xi4>, %[[S:[^:]+]]: tensor<8x2xf16>, %[[Z:[^:]+]]: tensor<8x2xi4>)
// CHECK: %[[C3:.+]] = tensor.expand_shape %[[C]] {{\[}}[0], [1, 2]] output_shape [8, 2, 32] : tensor<8x64xi4> into tensor<8x2x32xi4>
// CHECK: %[[DQ:.+]] = linalg.generic {indexing_maps = [#{{.+}}, #[[GROUP]], #[[GROUP]], #{{.+}}], {{.*}} ins(%[[C3]], %[[S]], %[[Z]] : tensor<8x2x32xi4>, tensor<8x2xf16>, tensor<8x2xi4>) outs(%{{.+}} : tensor<8x2x32xf32>)
// CHECK: %[[Q:.+]] = arith.extui %{{.+}} : i4 to i32
// CHECK: %[[ZP:.+]] = arith.extui %{{.+}} : i4 to i32
// CHECK: %[[D:.+]] = arith.subi %[[Q]], %[[ZP]] : i32
// CHECK: %[[F:.+]] = arith.sitofp %[[D]] : i32 to f32
// CHECK: %[[SCALE:.+]] = arith.extf %{{.+}} : f16 to f32
// CHECK: arith.mulf %[[F]], %[[SCALE]] : f32
// CHECK: %[[W:.+]] = tensor.collapse_shape %[[DQ]] {{\[}}[0], [1, 2]] : tensor<8x2x32xf32> into tensor<8x64xf32>
// CHECK: linalg.matmul {{.*}} ins(%[[X]], %[[W]] : tensor<2x64xf32>, tensor<8x64xf32>)
func.func @qlinear_int4(%x: tensor<2x64xf32>, %c: tensor<8x64xi4>, %s: tensor<8x2xf16>, %z: tensor<8x2xi4>) -> tensor<2x8xf32> {
  %w = tx.qpack %c, %s zero_points(%z : tensor<8x2xi4>)
      : tensor<8x64xi4>, tensor<8x2xf16> -> !tx.qweight<8x64, int4, group = 32, scale = f16, zero_point>
  %y = tx.qlinear %x, %w : tensor<2x64xf32>, !tx.qweight<8x64, int4, group = 32, scale = f16, zero_point> -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// tx.dequant, int8 without zero points: z = 128.
// CHECK-LABEL: func.func @dequant_int8
// CHECK: %[[Z:.+]] = arith.constant 128 : i32
// CHECK: %[[Q:.+]] = arith.extui %{{.+}} : i8 to i32
// CHECK: arith.subi %[[Q]], %[[Z]] : i32
func.func @dequant_int8(%c: tensor<8x64xi8>, %s: tensor<8x1xf32>) -> tensor<8x64xf32> {
  %w = tx.qpack %c, %s : tensor<8x64xi8>, tensor<8x1xf32> -> !tx.qweight<8x64, int8, group = 64, scale = f32>
  %d = tx.dequant %w : !tx.qweight<8x64, int8, group = 64, scale = f32> -> tensor<8x64xf32>
  return %d : tensor<8x64xf32>
}

// -----

// tx.dequant, fp8_e4m3: the code's bit pattern indexes a constant table of
// the 256 code values.
// CHECK-LABEL: func.func @dequant_fp8
// CHECK: %[[TABLE:.+]] = arith.constant dense<"0x{{[0-9A-F]+}}"> : tensor<256xf32>
// CHECK: ^bb0(%[[CODE:.+]]: f8E4M3FN, %[[SCALE:.+]]: f32, %{{.+}}: f32):
// CHECK: %[[BITS:.+]] = arith.bitcast %[[CODE]] : f8E4M3FN to i8
// CHECK: %[[IDX:.+]] = arith.index_castui %[[BITS]] : i8 to index
// CHECK: %[[VALUE:.+]] = tensor.extract %[[TABLE]][%[[IDX]]] : tensor<256xf32>
// CHECK: arith.mulf %[[VALUE]], %[[SCALE]] : f32
func.func @dequant_fp8(%c: tensor<8x64xf8E4M3FN>, %s: tensor<8x2xf32>) -> tensor<8x64xf32> {
  %w = tx.qpack %c, %s : tensor<8x64xf8E4M3FN>, tensor<8x2xf32> -> !tx.qweight<8x64, fp8_e4m3, group = 32, scale = f32>
  %d = tx.dequant %w : !tx.qweight<8x64, fp8_e4m3, group = 32, scale = f32> -> tensor<8x64xf32>
  return %d : tensor<8x64xf32>
}

// -----

// tx.tree_mask: the constant ancestor matrix.
// CHECK-LABEL: func.func @tree_mask
// CHECK: %[[M:.+]] = arith.constant dense<{{\[}}[true, false, false, false], [true, true, false, false], [true, false, true, false], [true, true, false, true]]> : tensor<4x4xi1>
// CHECK: return %[[M]]
func.func @tree_mask() -> tensor<4x4xi1> {
  %m = tx.tree_mask #tx.tree<parents = [-1, 0, 0, 1]> -> tensor<4x4xi1>
  return %m : tensor<4x4xi1>
}

// -----

// tx.route: rank and slot counts (reductions over the other tokens), the kept
// token of each slot (-1 for a slot nobody fills), and its tanh weight (0
// for an empty slot).
// CHECK-LABEL: func.func @route
// CHECK-SAME: (%[[S:[^:]+]]: tensor<1x16xf32>)
// CHECK: %[[RANK:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[S]], %[[S]] : tensor<1x16xf32>, tensor<1x16xf32>) outs(%{{.+}} : tensor<1x16xi64>)
// CHECK: %[[SLOT:.+]] = linalg.generic {{.*}} ins(%[[RANK]], %[[S]] : tensor<1x16xi64>, tensor<1x16xf32>) outs(%{{.+}} : tensor<1x16xi64>)
// CHECK: %[[IDX:.+]] = linalg.generic {{.*}} ins(%[[RANK]], %[[S]], %[[SLOT]] : tensor<1x16xi64>, tensor<1x16xf32>, tensor<1x16xi64>) outs(%{{.+}} : tensor<1x4xi64>)
// CHECK: %[[W:.+]] = linalg.generic {{.*}} ins(%[[IDX]] : tensor<1x4xi64>) outs(%{{.+}} : tensor<1x4xf32>)
// CHECK: tensor.extract %[[S]]
// CHECK: math.tanh
// CHECK: return %[[IDX]], %[[W]]
func.func @route(%scores: tensor<1x16xf32>) -> (tensor<1x4xi64>, tensor<1x4xf32>) {
  %idx, %w = tx.route %scores capacity(4) weighting(tanh) {alpha = 0.2 : f64, beta = 1.0 : f64}
      : tensor<1x16xf32> -> tensor<1x4xi64>, tensor<1x4xf32>
  return %idx, %w : tensor<1x4xi64>, tensor<1x4xf32>
}

// -----

// tx.route with a run-time limit and a threshold: a token is kept when its
// rank is below min(capacity, limit) and its score reaches the threshold.
// CHECK-LABEL: func.func @route_limit_threshold
// CHECK-SAME: (%[[S:[^:]+]]: tensor<1x16xf32>, %[[N:[^:]+]]: index)
// CHECK: %[[LIMIT:.+]] = arith.index_cast %[[N]] : index to i64
// CHECK: %[[CAP:.+]] = arith.minsi {{.*}}%[[LIMIT]]{{.*}} : i64
// CHECK: linalg.generic
// CHECK: linalg.generic
// CHECK: arith.cmpi slt, %{{.+}}, %[[CAP]] : i64
// CHECK: arith.cmpf oge, %{{.+}}, %{{.+}} : f32
// CHECK: %[[IDX:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<1x16xi64>)
// CHECK: return %[[IDX]]
func.func @route_limit_threshold(%scores: tensor<1x16xf32>, %n: index) -> tensor<1x16xi64> {
  %idx, %w = tx.route %scores capacity(16) limit(%n) weighting(one) {threshold = 0.5 : f64}
      : tensor<1x16xf32> -> tensor<1x16xi64>, tensor<1x16xf32>
  return %idx : tensor<1x16xi64>
}

// -----

// tx.gather_tokens extracts the routed rows; tx.scatter_tokens finds the
// routed token of each row, then updates the routed rows.
// CHECK-LABEL: func.func @gather_scatter
// CHECK-SAME: (%[[H:[^:]+]]: tensor<1x16x64xf32>, %[[IDX:[^:]+]]: tensor<1x4xi64>, %[[W:[^:]+]]: tensor<1x4xf32>)
// CHECK: %[[X:.+]] = linalg.generic {{.*}} ins(%[[IDX]] : tensor<1x4xi64>) outs(%{{.+}} : tensor<1x4x64xf32>)
// CHECK: tensor.extract %[[H]]
// CHECK: %[[SRC:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[IDX]] : tensor<1x4xi64>) outs(%{{.+}} : tensor<1x16xi64>)
// CHECK: %[[R:.+]] = linalg.generic {{.*}} ins(%[[H]], %[[SRC]] : tensor<1x16x64xf32>, tensor<1x16xi64>) outs(%{{.+}} : tensor<1x16x64xf32>)
// CHECK: tensor.extract %[[X]]
// CHECK: tensor.extract %[[W]]
// CHECK: return %[[R]]
func.func @gather_scatter(%h: tensor<1x16x64xf32>, %idx: tensor<1x4xi64>, %w: tensor<1x4xf32>) -> tensor<1x16x64xf32> {
  %x = tx.gather_tokens %h, %idx : tensor<1x16x64xf32>, tensor<1x4xi64> -> tensor<1x4x64xf32>
  %y = tx.scatter_tokens %h, %x, %idx weights(%w : tensor<1x4xf32>)
      : tensor<1x16x64xf32>, tensor<1x4x64xf32>, tensor<1x4xi64> -> tensor<1x16x64xf32>
  return %y : tensor<1x16x64xf32>
}
