// RUN: tx-opt %s --split-input-file --tx-lower-to-linalg="attention-kernel=false" | FileCheck %s --implicit-check-not="tx."
// RUN: tx-opt %s --split-input-file --tx-lower-to-linalg | FileCheck %s --check-prefix=KERNEL

// The linalg lowering of tx.attention: what f32 attention lowers to with
// attention-kernel=false, and attention of other element types always.
// With the kernel (the default), f32 attention becomes txcpu.attention.

// tx.attention, causal GQA (8 query heads on 2 KV heads): queries grouped as
// [B, Hkv, G, Sq, D]; QK^T, scale and causal mask, row max, exp (0 for empty
// rows), row sum, PV, normalization (0 for empty rows).
// CHECK-DAG: #[[Q6:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d5)>
// CHECK-DAG: #[[K6:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d4, d5)>
// CHECK-DAG: #[[V6:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d5, d4)>
// CHECK-LABEL: func.func @attention_causal_gqa
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x8x16x64xf32>, %[[K:[^:]+]]: tensor<1x2x16x64xf32>, %[[V:[^:]+]]: tensor<1x2x16x64xf32>)
// CHECK-DAG: %[[SCALE:.+]] = arith.constant 1.250000e-01 : f32
// CHECK-DAG: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG: %[[NEG_INF:.+]] = arith.constant 0xFF800000 : f32
// CHECK: %[[QG:.+]] = tensor.expand_shape %[[Q]] {{\[}}[0], [1, 2], [3], [4]] output_shape [1, 2, 4, 16, 64]
// CHECK: %[[QK:.+]] = linalg.generic {indexing_maps = [#[[Q6]], #[[K6]], #{{.+}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%[[QG]], %[[K]] : tensor<1x2x4x16x64xf32>, tensor<1x2x16x64xf32>) outs(%{{.+}} : tensor<1x2x4x16x16xf32>)
// CHECK: %[[MASKED:.+]] = linalg.generic {{.*}} ins(%[[QK]] : tensor<1x2x4x16x16xf32>)
// CHECK: arith.mulf %{{.+}}, %[[SCALE]] : f32
// CHECK: %[[I:.+]] = linalg.index 3 : index
// CHECK: %[[J:.+]] = linalg.index 4 : index
// CHECK: %[[VIS:.+]] = arith.cmpi sle, %[[J]], %[[I]] : index
// CHECK: arith.select %[[VIS]], %{{.+}}, %[[NEG_INF]] : f32
// CHECK: %[[MAX:.+]] = linalg.generic {{.*}} ins(%[[MASKED]] : tensor<1x2x4x16x16xf32>) outs(%{{.+}} : tensor<1x2x4x16xf32>)
// CHECK: arith.maximumf
// CHECK: %[[E:.+]] = linalg.generic {{.*}} ins(%[[MASKED]], %[[MAX]] :
// CHECK: math.exp
// CHECK: arith.cmpf oeq, %{{.+}}, %[[NEG_INF]] : f32
// CHECK: arith.select %{{.+}}, %[[ZERO]], %{{.+}} : f32
// CHECK: %[[SUM:.+]] = linalg.generic {{.*}} ins(%[[E]] : tensor<1x2x4x16x16xf32>) outs(%{{.+}} : tensor<1x2x4x16xf32>)
// CHECK: %[[PV:.+]] = linalg.generic {indexing_maps = [#[[Q6]], #[[V6]], #{{.+}}], {{.*}} ins(%[[E]], %[[V]] : tensor<1x2x4x16x16xf32>, tensor<1x2x16x64xf32>) outs(%{{.+}} : tensor<1x2x4x16x64xf32>)
// CHECK: %[[OUT:.+]] = linalg.generic {{.*}} ins(%[[PV]], %[[SUM]] :
// CHECK: arith.divf
// CHECK: arith.cmpf ogt, %{{.+}}, %[[ZERO]] : f32
// CHECK: %[[R:.+]] = tensor.collapse_shape %[[OUT]] {{\[}}[0], [1, 2], [3], [4]] : tensor<1x2x4x16x64xf32> into tensor<1x8x16x64xf32>
// CHECK: return %[[R]]
// KERNEL-LABEL: func.func @attention_causal_gqa
// KERNEL: txcpu.attention mask(causal)
// KERNEL-NOT: linalg.generic
func.func @attention_causal_gqa(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x16x64xf32>) -> tensor<1x8x16x64xf32> {
  %o = tx.attention %q, %k, %v mask(causal) : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// -----

// Sliding window with sinks, decode (1 query at position 31).
// CHECK-LABEL: func.func @attention_window_sinks
// CHECK-DAG: %[[P:.+]] = arith.constant 31 : index
// CHECK-DAG: %[[SINKS:.+]] = arith.constant 4 : index
// CHECK-DAG: %[[WINDOW:.+]] = arith.constant 8 : index
// CHECK-DAG: %[[SCALE:.+]] = arith.constant 1.250000e-01 : f32
// CHECK: arith.mulf %{{.+}}, %[[SCALE]] : f32
// CHECK: %[[J:.+]] = linalg.index 4 : index
// CHECK: %[[CAUSAL:.+]] = arith.cmpi sle, %[[J]], %[[P]] : index
// CHECK: %[[DIST:.+]] = arith.subi %[[P]], %[[J]] : index
// CHECK: %[[IN_WINDOW:.+]] = arith.cmpi slt, %[[DIST]], %[[WINDOW]] : index
// CHECK: %[[SINK:.+]] = arith.cmpi slt, %[[J]], %[[SINKS]] : index
// CHECK: %[[KEEP:.+]] = arith.ori %[[IN_WINDOW]], %[[SINK]] : i1
// CHECK: %[[VIS:.+]] = arith.andi %[[CAUSAL]], %[[KEEP]] : i1
// CHECK: arith.select %[[VIS]]
// KERNEL-LABEL: func.func @attention_window_sinks
// KERNEL: txcpu.attention mask(sliding_window)
// KERNEL-SAME: {scale = 1.250000e-01 : f64, sinks = 4 : i64, window = 8 : i64}
func.func @attention_window_sinks(%q: tensor<1x4x1x64xf32>, %k: tensor<1x4x32x64xf32>, %v: tensor<1x4x32x64xf32>) -> tensor<1x4x1x64xf32> {
  %o = tx.attention %q, %k, %v mask(sliding_window) {window = 8, sinks = 4, scale = 0.125 : f64}
      : tensor<1x4x1x64xf32>, tensor<1x4x32x64xf32>, tensor<1x4x32x64xf32> -> tensor<1x4x1x64xf32>
  return %o : tensor<1x4x1x64xf32>
}

// -----

// Explicit masks: an i1 padding mask [B, 1, 1, Sk] loses its broadcast
// dimensions and selects; a float mask [1, H, Sq, Sk] has its heads split
// into [Hkv, G] and is added.
// CHECK-DAG: #[[PADDING:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d4)>
// CHECK-DAG: #[[PER_HEAD:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d1, d2, d3, d4)>
// CHECK-LABEL: func.func @attention_masks
// CHECK-SAME: %[[M:[^:]+]]: tensor<2x1x1x8xi1>, %[[F:[^:]+]]: tensor<1x4x8x8xf32>)
// CHECK: %[[M2:.+]] = tensor.collapse_shape %[[M]] {{\[}}[0], [1, 2, 3]] : tensor<2x1x1x8xi1> into tensor<2x8xi1>
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[PADDING]], #{{.+}}], {{.*}} ins(%{{.+}}, %[[M2]] : tensor<2x2x2x8x8xf32>, tensor<2x8xi1>)
// CHECK: ^bb0(%{{.+}}: f32, %[[VIS:.+]]: i1, %{{.+}}: f32):
// CHECK: %[[SCALED:.+]] = arith.mulf
// CHECK: arith.select %[[VIS]], %[[SCALED]], %{{.+}} : f32
// CHECK: %[[F3:.+]] = tensor.collapse_shape %[[F]] {{\[}}[0, 1], [2], [3]] : tensor<1x4x8x8xf32> into tensor<4x8x8xf32>
// CHECK: %[[F4:.+]] = tensor.expand_shape %[[F3]] {{\[}}[0, 1], [2], [3]] output_shape [2, 2, 8, 8] : tensor<4x8x8xf32> into tensor<2x2x8x8xf32>
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[PER_HEAD]], #{{.+}}], {{.*}} ins(%{{.+}}, %[[F4]] : tensor<2x2x2x8x8xf32>, tensor<2x2x8x8xf32>)
// CHECK: ^bb0(%{{.+}}: f32, %[[ADD:.+]]: f32, %{{.+}}: f32):
// CHECK: %[[SCALED:.+]] = arith.mulf
// CHECK-NEXT: %[[SUM:.+]] = arith.addf %[[SCALED]], %[[ADD]] : f32
// CHECK-NEXT: linalg.yield %[[SUM]] : f32
// KERNEL-LABEL: func.func @attention_masks
// KERNEL-COUNT-2: txcpu.attention mask(none)
// KERNEL-NOT: linalg.generic
func.func @attention_masks(%q: tensor<2x4x8x16xf32>, %k: tensor<2x2x8x16xf32>, %m: tensor<2x1x1x8xi1>, %f: tensor<1x4x8x8xf32>) -> (tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>) {
  %o = tx.attention %q, %k, %k mask(none) explicit_mask(%m : tensor<2x1x1x8xi1>)
      : tensor<2x4x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32> -> tensor<2x4x8x16xf32>
  %o2 = tx.attention %q, %k, %k mask(none) explicit_mask(%f : tensor<1x4x8x8xf32>)
      : tensor<2x4x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32> -> tensor<2x4x8x16xf32>
  return %o, %o2 : tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>
}

// -----

// f16 attention has no kernel: the linalg lowering (in f16) with either
// setting of attention-kernel.
// CHECK-LABEL: func.func @attention_f16
// CHECK: linalg.generic {{.*}} outs(%{{.+}} : tensor<1x1x2x4x4xf16>)
// CHECK: math.exp %{{.+}} : f16
// KERNEL-LABEL: func.func @attention_f16
// KERNEL-NOT: txcpu.attention
// KERNEL: math.exp %{{.+}} : f16
// KERNEL-NOT: txcpu.attention
func.func @attention_f16(%q: tensor<1x2x4x8xf16>, %k: tensor<1x1x4x8xf16>) -> tensor<1x2x4x8xf16> {
  %o = tx.attention %q, %k, %k mask(causal) : tensor<1x2x4x8xf16>, tensor<1x1x4x8xf16>, tensor<1x1x4x8xf16> -> tensor<1x2x4x8xf16>
  return %o : tensor<1x2x4x8xf16>
}
