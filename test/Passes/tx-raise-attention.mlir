// Raising softmax(Q K^T) V chains to tx.attention (tx-raise-attention).
// The inputs are written in the ONNX importer's style: linalg.contract for
// the matmuls, linalg.transpose / linalg.broadcast / reshapes for layout,
// arith ops with splat constants for scaling and masks. Chains that look
// like attention but are not raised get a remark saying why.
// RUN: tx-opt %s --split-input-file --tx-raise-attention --verify-diagnostics | FileCheck %s

// Causal multi-head attention: K^T by linalg.transpose, scores scaled by
// 1/sqrt(D) (the default scale, so no attribute), additive causal constant.
// CHECK-LABEL: func.func @causal_mha
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x2x4x8xf32>, %[[K:[^:]+]]: tensor<1x2x4x8xf32>, %[[V:[^:]+]]: tensor<1x2x4x8xf32>)
// CHECK-NOT: linalg
// CHECK: %[[O:.+]] = tx.attention %[[Q]], %[[K]], %[[V]] mask(causal) : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
// CHECK-NOT: linalg
// CHECK: return %[[O]]
func.func @causal_mha(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %e1 = tensor.empty() : tensor<1x2x8x4xf32>
  %tr2 = linalg.transpose ins(%k : tensor<1x2x4x8xf32>) outs(%e1 : tensor<1x2x8x4xf32>) permutation = [0, 1, 3, 2]
  %e3 = tensor.empty() : tensor<1x2x4x4xf32>
  %z4 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %mm5 = linalg.contract indexing_maps = [affine_map<(b, h, i, j, d) -> (b, h, i, d)>, affine_map<(b, h, i, j, d) -> (b, h, d, j)>, affine_map<(b, h, i, j, d) -> (b, h, i, j)>] ins(%q, %tr2 : tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) outs(%z4 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %c6 = arith.constant dense<0.35355339059327373> : tensor<1x2x4x4xf32>
  %s7 = arith.mulf %mm5, %c6 : tensor<1x2x4x4xf32>
  %c8 = arith.constant dense<[[0.0, -1.000000e+09, -1.000000e+09, -1.000000e+09], [0.0, 0.0, -1.000000e+09, -1.000000e+09], [0.0, 0.0, 0.0, -1.000000e+09], [0.0, 0.0, 0.0, 0.0]]> : tensor<4x4xf32>
  %e9 = tensor.empty() : tensor<1x2x4x4xf32>
  %b10 = linalg.broadcast ins(%c8 : tensor<4x4xf32>) outs(%e9 : tensor<1x2x4x4xf32>) dimensions = [0, 1]
  %s11 = arith.addf %s7, %b10 : tensor<1x2x4x4xf32>
  %e12 = tensor.empty() : tensor<1x2x4x4xf32>
  %p13 = linalg.softmax dimension(3) ins(%s11 : tensor<1x2x4x4xf32>) outs(%e12 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %e14 = tensor.empty() : tensor<1x2x4x8xf32>
  %z15 = linalg.fill ins(%zero : f32) outs(%e14 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  %mm16 = linalg.contract indexing_maps = [affine_map<(b, h, i, e, j) -> (b, h, i, j)>, affine_map<(b, h, i, e, j) -> (b, h, j, e)>, affine_map<(b, h, i, e, j) -> (b, h, i, e)>] ins(%p13, %v : tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) outs(%z15 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %mm16 : tensor<1x2x4x8xf32>
}

// -----

// Grouped-query attention: repeat_kv (broadcast after the KV-head dim +
// collapse) is stripped, so tx.attention reads the 2 KV heads directly.
// CHECK-LABEL: func.func @gqa_repeat_kv
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x4x4x8xf32>, %[[K:[^:]+]]: tensor<1x2x4x8xf32>, %[[V:[^:]+]]: tensor<1x2x4x8xf32>)
// CHECK-NOT: linalg.broadcast
// CHECK: %[[O:.+]] = tx.attention %[[Q]], %[[K]], %[[V]] mask(causal) : tensor<1x4x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x4x4x8xf32>
// CHECK-NEXT: return %[[O]]
func.func @gqa_repeat_kv(%q: tensor<1x4x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x4x4x8xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %e1 = tensor.empty() : tensor<1x2x2x4x8xf32>
  %b2 = linalg.broadcast ins(%k : tensor<1x2x4x8xf32>) outs(%e1 : tensor<1x2x2x4x8xf32>) dimensions = [2]
  %rep3 = tensor.collapse_shape %b2 [[0], [1, 2], [3], [4]] : tensor<1x2x2x4x8xf32> into tensor<1x4x4x8xf32>
  %e4 = tensor.empty() : tensor<1x2x2x4x8xf32>
  %b5 = linalg.broadcast ins(%v : tensor<1x2x4x8xf32>) outs(%e4 : tensor<1x2x2x4x8xf32>) dimensions = [2]
  %rep6 = tensor.collapse_shape %b5 [[0], [1, 2], [3], [4]] : tensor<1x2x2x4x8xf32> into tensor<1x4x4x8xf32>
  %e7 = tensor.empty() : tensor<1x4x8x4xf32>
  %tr8 = linalg.transpose ins(%rep3 : tensor<1x4x4x8xf32>) outs(%e7 : tensor<1x4x8x4xf32>) permutation = [0, 1, 3, 2]
  %e9 = tensor.empty() : tensor<1x4x4x4xf32>
  %z10 = linalg.fill ins(%zero : f32) outs(%e9 : tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %mm11 = linalg.contract indexing_maps = [affine_map<(b, h, i, j, d) -> (b, h, i, d)>, affine_map<(b, h, i, j, d) -> (b, h, d, j)>, affine_map<(b, h, i, j, d) -> (b, h, i, j)>] ins(%q, %tr8 : tensor<1x4x4x8xf32>, tensor<1x4x8x4xf32>) outs(%z10 : tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %c12 = arith.constant dense<0.35355339059327373> : tensor<1x4x4x4xf32>
  %s13 = arith.mulf %mm11, %c12 : tensor<1x4x4x4xf32>
  %c14 = arith.constant dense<[[0.0, -1.000000e+09, -1.000000e+09, -1.000000e+09], [0.0, 0.0, -1.000000e+09, -1.000000e+09], [0.0, 0.0, 0.0, -1.000000e+09], [0.0, 0.0, 0.0, 0.0]]> : tensor<4x4xf32>
  %e15 = tensor.empty() : tensor<1x4x4x4xf32>
  %b16 = linalg.broadcast ins(%c14 : tensor<4x4xf32>) outs(%e15 : tensor<1x4x4x4xf32>) dimensions = [0, 1]
  %s17 = arith.addf %s13, %b16 : tensor<1x4x4x4xf32>
  %e18 = tensor.empty() : tensor<1x4x4x4xf32>
  %p19 = linalg.softmax dimension(3) ins(%s17 : tensor<1x4x4x4xf32>) outs(%e18 : tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %e20 = tensor.empty() : tensor<1x4x4x8xf32>
  %z21 = linalg.fill ins(%zero : f32) outs(%e20 : tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  %mm22 = linalg.contract indexing_maps = [affine_map<(b, h, i, e, j) -> (b, h, i, j)>, affine_map<(b, h, i, e, j) -> (b, h, j, e)>, affine_map<(b, h, i, e, j) -> (b, h, i, e)>] ins(%p19, %rep6 : tensor<1x4x4x4xf32>, tensor<1x4x4x8xf32>) outs(%z21 : tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  return %mm22 : tensor<1x4x4x8xf32>
}

// -----

// A repetition broadcast before the KV-head dim makes head h read KV head
// h % Hkv, which is not GQA: the repeated 4-head K and V are kept.
// CHECK-LABEL: func.func @repeat_not_grouped
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x4x4x8xf32>, %[[K:[^:]+]]: tensor<1x2x4x8xf32>, %[[V:[^:]+]]: tensor<1x2x4x8xf32>)
// CHECK: %[[RK:.+]] = tensor.collapse_shape
// CHECK: %[[RV:.+]] = tensor.collapse_shape
// CHECK: %[[O:.+]] = tx.attention %[[Q]], %[[RK]], %[[RV]] mask(causal) : tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32> -> tensor<1x4x4x8xf32>
// CHECK-NEXT: return %[[O]]
func.func @repeat_not_grouped(%q: tensor<1x4x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x4x4x8xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %e1 = tensor.empty() : tensor<1x2x2x4x8xf32>
  %b2 = linalg.broadcast ins(%k : tensor<1x2x4x8xf32>) outs(%e1 : tensor<1x2x2x4x8xf32>) dimensions = [1]
  %rep3 = tensor.collapse_shape %b2 [[0], [1, 2], [3], [4]] : tensor<1x2x2x4x8xf32> into tensor<1x4x4x8xf32>
  %e4 = tensor.empty() : tensor<1x2x2x4x8xf32>
  %b5 = linalg.broadcast ins(%v : tensor<1x2x4x8xf32>) outs(%e4 : tensor<1x2x2x4x8xf32>) dimensions = [1]
  %rep6 = tensor.collapse_shape %b5 [[0], [1, 2], [3], [4]] : tensor<1x2x2x4x8xf32> into tensor<1x4x4x8xf32>
  %e7 = tensor.empty() : tensor<1x4x8x4xf32>
  %tr8 = linalg.transpose ins(%rep3 : tensor<1x4x4x8xf32>) outs(%e7 : tensor<1x4x8x4xf32>) permutation = [0, 1, 3, 2]
  %e9 = tensor.empty() : tensor<1x4x4x4xf32>
  %z10 = linalg.fill ins(%zero : f32) outs(%e9 : tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %mm11 = linalg.contract indexing_maps = [affine_map<(b, h, i, j, d) -> (b, h, i, d)>, affine_map<(b, h, i, j, d) -> (b, h, d, j)>, affine_map<(b, h, i, j, d) -> (b, h, i, j)>] ins(%q, %tr8 : tensor<1x4x4x8xf32>, tensor<1x4x8x4xf32>) outs(%z10 : tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %c12 = arith.constant dense<0.35355339059327373> : tensor<1x4x4x4xf32>
  %s13 = arith.mulf %mm11, %c12 : tensor<1x4x4x4xf32>
  %c14 = arith.constant dense<[[0.0, -1.000000e+09, -1.000000e+09, -1.000000e+09], [0.0, 0.0, -1.000000e+09, -1.000000e+09], [0.0, 0.0, 0.0, -1.000000e+09], [0.0, 0.0, 0.0, 0.0]]> : tensor<4x4xf32>
  %e15 = tensor.empty() : tensor<1x4x4x4xf32>
  %b16 = linalg.broadcast ins(%c14 : tensor<4x4xf32>) outs(%e15 : tensor<1x4x4x4xf32>) dimensions = [0, 1]
  %s17 = arith.addf %s13, %b16 : tensor<1x4x4x4xf32>
  %e18 = tensor.empty() : tensor<1x4x4x4xf32>
  %p19 = linalg.softmax dimension(3) ins(%s17 : tensor<1x4x4x4xf32>) outs(%e18 : tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %e20 = tensor.empty() : tensor<1x4x4x8xf32>
  %z21 = linalg.fill ins(%zero : f32) outs(%e20 : tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  %mm22 = linalg.contract indexing_maps = [affine_map<(b, h, i, e, j) -> (b, h, i, j)>, affine_map<(b, h, i, e, j) -> (b, h, j, e)>, affine_map<(b, h, i, e, j) -> (b, h, i, e)>] ins(%p19, %rep6 : tensor<1x4x4x4xf32>, tensor<1x4x4x8xf32>) outs(%z21 : tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  return %mm22 : tensor<1x4x4x8xf32>
}

// -----

// torch SDPA decomposition: q and k^T both multiplied by sqrt(1/sqrt(D)),
// D = 16: the product is the default scale.
// CHECK-LABEL: func.func @sdpa_sqrt_scale
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x2x4x16xf32>, %[[K:[^:]+]]: tensor<1x2x4x16xf32>, %[[V:[^:]+]]: tensor<1x2x4x16xf32>)
// CHECK: %[[O:.+]] = tx.attention %[[Q]], %[[K]], %[[V]] mask(causal) :
// CHECK-NOT: scale
// CHECK-NOT: arith.mulf
// CHECK: return %[[O]]
func.func @sdpa_sqrt_scale(%q: tensor<1x2x4x16xf32>, %k: tensor<1x2x4x16xf32>, %v: tensor<1x2x4x16xf32>) -> tensor<1x2x4x16xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %c1 = arith.constant dense<0.5> : tensor<1x2x4x16xf32>
  %s2 = arith.mulf %q, %c1 : tensor<1x2x4x16xf32>
  %e3 = tensor.empty() : tensor<1x2x16x4xf32>
  %tr4 = linalg.transpose ins(%k : tensor<1x2x4x16xf32>) outs(%e3 : tensor<1x2x16x4xf32>) permutation = [0, 1, 3, 2]
  %c5 = arith.constant dense<0.5> : tensor<1x2x16x4xf32>
  %s6 = arith.mulf %tr4, %c5 : tensor<1x2x16x4xf32>
  %e7 = tensor.empty() : tensor<1x2x4x4xf32>
  %z8 = linalg.fill ins(%zero : f32) outs(%e7 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %mm9 = linalg.contract indexing_maps = [affine_map<(b, h, i, j, d) -> (b, h, i, d)>, affine_map<(b, h, i, j, d) -> (b, h, d, j)>, affine_map<(b, h, i, j, d) -> (b, h, i, j)>] ins(%s2, %s6 : tensor<1x2x4x16xf32>, tensor<1x2x16x4xf32>) outs(%z8 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %c10 = arith.constant dense<[[0.0, -1.000000e+09, -1.000000e+09, -1.000000e+09], [0.0, 0.0, -1.000000e+09, -1.000000e+09], [0.0, 0.0, 0.0, -1.000000e+09], [0.0, 0.0, 0.0, 0.0]]> : tensor<4x4xf32>
  %e11 = tensor.empty() : tensor<1x2x4x4xf32>
  %b12 = linalg.broadcast ins(%c10 : tensor<4x4xf32>) outs(%e11 : tensor<1x2x4x4xf32>) dimensions = [0, 1]
  %s13 = arith.addf %mm9, %b12 : tensor<1x2x4x4xf32>
  %e14 = tensor.empty() : tensor<1x2x4x4xf32>
  %p15 = linalg.softmax dimension(3) ins(%s13 : tensor<1x2x4x4xf32>) outs(%e14 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %e16 = tensor.empty() : tensor<1x2x4x16xf32>
  %z17 = linalg.fill ins(%zero : f32) outs(%e16 : tensor<1x2x4x16xf32>) -> tensor<1x2x4x16xf32>
  %mm18 = linalg.contract indexing_maps = [affine_map<(b, h, i, e, j) -> (b, h, i, j)>, affine_map<(b, h, i, e, j) -> (b, h, j, e)>, affine_map<(b, h, i, e, j) -> (b, h, i, e)>] ins(%p15, %v : tensor<1x2x4x4xf32>, tensor<1x2x4x16xf32>) outs(%z17 : tensor<1x2x4x16xf32>) -> tensor<1x2x4x16xf32>
  return %mm18 : tensor<1x2x4x16xf32>
}

// -----

// Scale factors on q, k^T and the scores multiply: 0.5 * 0.5 * 2.0 = 0.5,
// not 1/sqrt(8), so it is kept as the scale attribute.
// CHECK-LABEL: func.func @custom_scale
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x2x4x8xf32>, %[[K:[^:]+]]: tensor<1x2x4x8xf32>, %[[V:[^:]+]]: tensor<1x2x4x8xf32>)
// CHECK: %[[O:.+]] = tx.attention %[[Q]], %[[K]], %[[V]] mask(none) {scale = 5.000000e-01 : f64} :
// CHECK-NEXT: return %[[O]]
func.func @custom_scale(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %c1 = arith.constant dense<0.5> : tensor<1x2x4x8xf32>
  %s2 = arith.mulf %q, %c1 : tensor<1x2x4x8xf32>
  %e3 = tensor.empty() : tensor<1x2x8x4xf32>
  %tr4 = linalg.transpose ins(%k : tensor<1x2x4x8xf32>) outs(%e3 : tensor<1x2x8x4xf32>) permutation = [0, 1, 3, 2]
  %c5 = arith.constant dense<0.5> : tensor<1x2x8x4xf32>
  %s6 = arith.mulf %tr4, %c5 : tensor<1x2x8x4xf32>
  %e7 = tensor.empty() : tensor<1x2x4x4xf32>
  %z8 = linalg.fill ins(%zero : f32) outs(%e7 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %mm9 = linalg.contract indexing_maps = [affine_map<(b, h, i, j, d) -> (b, h, i, d)>, affine_map<(b, h, i, j, d) -> (b, h, d, j)>, affine_map<(b, h, i, j, d) -> (b, h, i, j)>] ins(%s2, %s6 : tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) outs(%z8 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %c10 = arith.constant dense<2.0> : tensor<1x2x4x4xf32>
  %s11 = arith.mulf %mm9, %c10 : tensor<1x2x4x4xf32>
  %e12 = tensor.empty() : tensor<1x2x4x4xf32>
  %p13 = linalg.softmax dimension(3) ins(%s11 : tensor<1x2x4x4xf32>) outs(%e12 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %e14 = tensor.empty() : tensor<1x2x4x8xf32>
  %z15 = linalg.fill ins(%zero : f32) outs(%e14 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  %mm16 = linalg.contract indexing_maps = [affine_map<(b, h, i, e, j) -> (b, h, i, j)>, affine_map<(b, h, i, e, j) -> (b, h, j, e)>, affine_map<(b, h, i, e, j) -> (b, h, i, e)>] ins(%p13, %v : tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) outs(%z15 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %mm16 : tensor<1x2x4x8xf32>
}

// -----

// BERT/GPT-2 style: scores divided by sqrt(D); K^T folded into the
// contraction's indexing map.
// CHECK-LABEL: func.func @div_sqrt_d
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x2x4x8xf32>, %[[K:[^:]+]]: tensor<1x2x4x8xf32>, %[[V:[^:]+]]: tensor<1x2x4x8xf32>)
// CHECK: %[[O:.+]] = tx.attention %[[Q]], %[[K]], %[[V]] mask(none) :
// CHECK-NOT: scale
// CHECK: return %[[O]]
func.func @div_sqrt_d(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %e1 = tensor.empty() : tensor<1x2x4x4xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %mm3 = linalg.contract indexing_maps = [affine_map<(b, h, i, j, d) -> (b, h, i, d)>, affine_map<(b, h, i, j, d) -> (b, h, j, d)>, affine_map<(b, h, i, j, d) -> (b, h, i, j)>] ins(%q, %k : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) outs(%z2 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %c4 = arith.constant dense<2.8284271247461903> : tensor<1x2x4x4xf32>
  %s5 = arith.divf %mm3, %c4 : tensor<1x2x4x4xf32>
  %e6 = tensor.empty() : tensor<1x2x4x4xf32>
  %p7 = linalg.softmax dimension(3) ins(%s5 : tensor<1x2x4x4xf32>) outs(%e6 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %e8 = tensor.empty() : tensor<1x2x4x8xf32>
  %z9 = linalg.fill ins(%zero : f32) outs(%e8 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  %mm10 = linalg.contract indexing_maps = [affine_map<(b, h, i, e, j) -> (b, h, i, j)>, affine_map<(b, h, i, e, j) -> (b, h, j, e)>, affine_map<(b, h, i, e, j) -> (b, h, i, e)>] ins(%p7, %v : tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) outs(%z9 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %mm10 : tensor<1x2x4x8xf32>
}

// -----

// Sliding window of 3 keys (Mistral).
// CHECK-LABEL: func.func @sliding_window
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x2x6x8xf32>, %[[K:[^:]+]]: tensor<1x2x6x8xf32>, %[[V:[^:]+]]: tensor<1x2x6x8xf32>)
// CHECK: %[[O:.+]] = tx.attention %[[Q]], %[[K]], %[[V]] mask(sliding_window) {window = 3 : i64} :
// CHECK-NEXT: return %[[O]]
func.func @sliding_window(%q: tensor<1x2x6x8xf32>, %k: tensor<1x2x6x8xf32>, %v: tensor<1x2x6x8xf32>) -> tensor<1x2x6x8xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %e1 = tensor.empty() : tensor<1x2x8x6xf32>
  %tr2 = linalg.transpose ins(%k : tensor<1x2x6x8xf32>) outs(%e1 : tensor<1x2x8x6xf32>) permutation = [0, 1, 3, 2]
  %e3 = tensor.empty() : tensor<1x2x6x6xf32>
  %z4 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<1x2x6x6xf32>) -> tensor<1x2x6x6xf32>
  %mm5 = linalg.contract indexing_maps = [affine_map<(b, h, i, j, d) -> (b, h, i, d)>, affine_map<(b, h, i, j, d) -> (b, h, d, j)>, affine_map<(b, h, i, j, d) -> (b, h, i, j)>] ins(%q, %tr2 : tensor<1x2x6x8xf32>, tensor<1x2x8x6xf32>) outs(%z4 : tensor<1x2x6x6xf32>) -> tensor<1x2x6x6xf32>
  %c6 = arith.constant dense<0.35355339059327373> : tensor<1x2x6x6xf32>
  %s7 = arith.mulf %mm5, %c6 : tensor<1x2x6x6xf32>
  %c8 = arith.constant dense<[[0.0, -1.000000e+09, -1.000000e+09, -1.000000e+09, -1.000000e+09, -1.000000e+09], [0.0, 0.0, -1.000000e+09, -1.000000e+09, -1.000000e+09, -1.000000e+09], [0.0, 0.0, 0.0, -1.000000e+09, -1.000000e+09, -1.000000e+09], [-1.000000e+09, 0.0, 0.0, 0.0, -1.000000e+09, -1.000000e+09], [-1.000000e+09, -1.000000e+09, 0.0, 0.0, 0.0, -1.000000e+09], [-1.000000e+09, -1.000000e+09, -1.000000e+09, 0.0, 0.0, 0.0]]> : tensor<6x6xf32>
  %e9 = tensor.empty() : tensor<1x2x6x6xf32>
  %b10 = linalg.broadcast ins(%c8 : tensor<6x6xf32>) outs(%e9 : tensor<1x2x6x6xf32>) dimensions = [0, 1]
  %s11 = arith.addf %s7, %b10 : tensor<1x2x6x6xf32>
  %e12 = tensor.empty() : tensor<1x2x6x6xf32>
  %p13 = linalg.softmax dimension(3) ins(%s11 : tensor<1x2x6x6xf32>) outs(%e12 : tensor<1x2x6x6xf32>) -> tensor<1x2x6x6xf32>
  %e14 = tensor.empty() : tensor<1x2x6x8xf32>
  %z15 = linalg.fill ins(%zero : f32) outs(%e14 : tensor<1x2x6x8xf32>) -> tensor<1x2x6x8xf32>
  %mm16 = linalg.contract indexing_maps = [affine_map<(b, h, i, e, j) -> (b, h, i, j)>, affine_map<(b, h, i, e, j) -> (b, h, j, e)>, affine_map<(b, h, i, e, j) -> (b, h, i, e)>] ins(%p13, %v : tensor<1x2x6x6xf32>, tensor<1x2x6x8xf32>) outs(%z15 : tensor<1x2x6x8xf32>) -> tensor<1x2x6x8xf32>
  return %mm16 : tensor<1x2x6x8xf32>
}

// -----

// Sliding window of 2 keys plus 1 attention sink, masked with -inf.
// CHECK-LABEL: func.func @window_sinks
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x2x8x8xf32>, %[[K:[^:]+]]: tensor<1x2x8x8xf32>, %[[V:[^:]+]]: tensor<1x2x8x8xf32>)
// CHECK: %[[O:.+]] = tx.attention %[[Q]], %[[K]], %[[V]] mask(sliding_window) {sinks = 1 : i64, window = 2 : i64} :
// CHECK-NEXT: return %[[O]]
func.func @window_sinks(%q: tensor<1x2x8x8xf32>, %k: tensor<1x2x8x8xf32>, %v: tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %e1 = tensor.empty() : tensor<1x2x8x8xf32>
  %tr2 = linalg.transpose ins(%k : tensor<1x2x8x8xf32>) outs(%e1 : tensor<1x2x8x8xf32>) permutation = [0, 1, 3, 2]
  %e3 = tensor.empty() : tensor<1x2x8x8xf32>
  %z4 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %mm5 = linalg.contract indexing_maps = [affine_map<(b, h, i, j, d) -> (b, h, i, d)>, affine_map<(b, h, i, j, d) -> (b, h, d, j)>, affine_map<(b, h, i, j, d) -> (b, h, i, j)>] ins(%q, %tr2 : tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>) outs(%z4 : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %c6 = arith.constant dense<0.35355339059327373> : tensor<1x2x8x8xf32>
  %s7 = arith.mulf %mm5, %c6 : tensor<1x2x8x8xf32>
  %c8 = arith.constant dense<[[0.0, 0xFF800000, 0xFF800000, 0xFF800000, 0xFF800000, 0xFF800000, 0xFF800000, 0xFF800000], [0.0, 0.0, 0xFF800000, 0xFF800000, 0xFF800000, 0xFF800000, 0xFF800000, 0xFF800000], [0.0, 0.0, 0.0, 0xFF800000, 0xFF800000, 0xFF800000, 0xFF800000, 0xFF800000], [0.0, 0xFF800000, 0.0, 0.0, 0xFF800000, 0xFF800000, 0xFF800000, 0xFF800000], [0.0, 0xFF800000, 0xFF800000, 0.0, 0.0, 0xFF800000, 0xFF800000, 0xFF800000], [0.0, 0xFF800000, 0xFF800000, 0xFF800000, 0.0, 0.0, 0xFF800000, 0xFF800000], [0.0, 0xFF800000, 0xFF800000, 0xFF800000, 0xFF800000, 0.0, 0.0, 0xFF800000], [0.0, 0xFF800000, 0xFF800000, 0xFF800000, 0xFF800000, 0xFF800000, 0.0, 0.0]]> : tensor<8x8xf32>
  %e9 = tensor.empty() : tensor<1x2x8x8xf32>
  %b10 = linalg.broadcast ins(%c8 : tensor<8x8xf32>) outs(%e9 : tensor<1x2x8x8xf32>) dimensions = [0, 1]
  %s11 = arith.addf %s7, %b10 : tensor<1x2x8x8xf32>
  %e12 = tensor.empty() : tensor<1x2x8x8xf32>
  %p13 = linalg.softmax dimension(3) ins(%s11 : tensor<1x2x8x8xf32>) outs(%e12 : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %e14 = tensor.empty() : tensor<1x2x8x8xf32>
  %z15 = linalg.fill ins(%zero : f32) outs(%e14 : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %mm16 = linalg.contract indexing_maps = [affine_map<(b, h, i, e, j) -> (b, h, i, j)>, affine_map<(b, h, i, e, j) -> (b, h, j, e)>, affine_map<(b, h, i, e, j) -> (b, h, i, e)>] ins(%p13, %v : tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>) outs(%z15 : tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  return %mm16 : tensor<1x2x8x8xf32>
}

// -----

// Two queries at the end of four keys (chunked prefill / decode): query i
// sees keys j <= 2 + i, which is causal.
// CHECK-LABEL: func.func @causal_offset
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x2x2x8xf32>, %[[K:[^:]+]]: tensor<1x2x4x8xf32>, %[[V:[^:]+]]: tensor<1x2x4x8xf32>)
// CHECK: %[[O:.+]] = tx.attention %[[Q]], %[[K]], %[[V]] mask(causal) : tensor<1x2x2x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x2x8xf32>
func.func @causal_offset(%q: tensor<1x2x2x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x2x8xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %e1 = tensor.empty() : tensor<1x2x8x4xf32>
  %tr2 = linalg.transpose ins(%k : tensor<1x2x4x8xf32>) outs(%e1 : tensor<1x2x8x4xf32>) permutation = [0, 1, 3, 2]
  %e3 = tensor.empty() : tensor<1x2x2x4xf32>
  %z4 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<1x2x2x4xf32>) -> tensor<1x2x2x4xf32>
  %mm5 = linalg.contract indexing_maps = [affine_map<(b, h, i, j, d) -> (b, h, i, d)>, affine_map<(b, h, i, j, d) -> (b, h, d, j)>, affine_map<(b, h, i, j, d) -> (b, h, i, j)>] ins(%q, %tr2 : tensor<1x2x2x8xf32>, tensor<1x2x8x4xf32>) outs(%z4 : tensor<1x2x2x4xf32>) -> tensor<1x2x2x4xf32>
  %c6 = arith.constant dense<0.35355339059327373> : tensor<1x2x2x4xf32>
  %s7 = arith.mulf %mm5, %c6 : tensor<1x2x2x4xf32>
  %c8 = arith.constant dense<[[0.0, 0.0, 0.0, -1.000000e+09], [0.0, 0.0, 0.0, 0.0]]> : tensor<2x4xf32>
  %e9 = tensor.empty() : tensor<1x2x2x4xf32>
  %b10 = linalg.broadcast ins(%c8 : tensor<2x4xf32>) outs(%e9 : tensor<1x2x2x4xf32>) dimensions = [0, 1]
  %s11 = arith.addf %s7, %b10 : tensor<1x2x2x4xf32>
  %e12 = tensor.empty() : tensor<1x2x2x4xf32>
  %p13 = linalg.softmax dimension(3) ins(%s11 : tensor<1x2x2x4xf32>) outs(%e12 : tensor<1x2x2x4xf32>) -> tensor<1x2x2x4xf32>
  %e14 = tensor.empty() : tensor<1x2x2x8xf32>
  %z15 = linalg.fill ins(%zero : f32) outs(%e14 : tensor<1x2x2x8xf32>) -> tensor<1x2x2x8xf32>
  %mm16 = linalg.contract indexing_maps = [affine_map<(b, h, i, e, j) -> (b, h, i, j)>, affine_map<(b, h, i, e, j) -> (b, h, j, e)>, affine_map<(b, h, i, e, j) -> (b, h, i, e)>] ins(%p13, %v : tensor<1x2x2x4xf32>, tensor<1x2x4x8xf32>) outs(%z15 : tensor<1x2x2x8xf32>) -> tensor<1x2x2x8xf32>
  return %mm16 : tensor<1x2x2x8xf32>
}

// -----

// An all-zero additive mask allows everything: mask(none), no explicit mask.
// CHECK-LABEL: func.func @zero_mask
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x2x4x8xf32>, %[[K:[^:]+]]: tensor<1x2x4x8xf32>, %[[V:[^:]+]]: tensor<1x2x4x8xf32>)
// CHECK: %[[O:.+]] = tx.attention %[[Q]], %[[K]], %[[V]] mask(none) :
// CHECK-NOT: explicit_mask
func.func @zero_mask(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %e1 = tensor.empty() : tensor<1x2x8x4xf32>
  %tr2 = linalg.transpose ins(%k : tensor<1x2x4x8xf32>) outs(%e1 : tensor<1x2x8x4xf32>) permutation = [0, 1, 3, 2]
  %e3 = tensor.empty() : tensor<1x2x4x4xf32>
  %z4 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %mm5 = linalg.contract indexing_maps = [affine_map<(b, h, i, j, d) -> (b, h, i, d)>, affine_map<(b, h, i, j, d) -> (b, h, d, j)>, affine_map<(b, h, i, j, d) -> (b, h, i, j)>] ins(%q, %tr2 : tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) outs(%z4 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %c6 = arith.constant dense<0.35355339059327373> : tensor<1x2x4x4xf32>
  %s7 = arith.mulf %mm5, %c6 : tensor<1x2x4x4xf32>
  %c8 = arith.constant dense<[[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]> : tensor<4x4xf32>
  %e9 = tensor.empty() : tensor<1x2x4x4xf32>
  %b10 = linalg.broadcast ins(%c8 : tensor<4x4xf32>) outs(%e9 : tensor<1x2x4x4xf32>) dimensions = [0, 1]
  %s11 = arith.addf %s7, %b10 : tensor<1x2x4x4xf32>
  %e12 = tensor.empty() : tensor<1x2x4x4xf32>
  %p13 = linalg.softmax dimension(3) ins(%s11 : tensor<1x2x4x4xf32>) outs(%e12 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %e14 = tensor.empty() : tensor<1x2x4x8xf32>
  %z15 = linalg.fill ins(%zero : f32) outs(%e14 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  %mm16 = linalg.contract indexing_maps = [affine_map<(b, h, i, e, j) -> (b, h, i, j)>, affine_map<(b, h, i, e, j) -> (b, h, j, e)>, affine_map<(b, h, i, e, j) -> (b, h, i, e)>] ins(%p13, %v : tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) outs(%z15 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %mm16 : tensor<1x2x4x8xf32>
}

// -----

// Runtime padding mask ([B, 1, 1, Sk], additive) broadcast over heads and
// queries: kept as a float explicit mask of shape [B, 1, Sq, Sk].
// CHECK-LABEL: func.func @padding_mask
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<2x2x4x8xf32>, %[[K:[^:]+]]: tensor<2x2x4x8xf32>, %[[V:[^:]+]]: tensor<2x2x4x8xf32>, %[[PAD:[^:]+]]: tensor<2x1x1x4xf32>)
// CHECK: %[[FLAT:.+]] = tensor.collapse_shape %[[PAD]] {{\[}}[0, 1, 2], [3]]
// CHECK: %[[M:.+]] = linalg.broadcast ins(%[[FLAT]] : tensor<2x4xf32>) outs(%{{.+}} : tensor<2x1x4x4xf32>) dimensions = [1, 2]
// CHECK: %[[O:.+]] = tx.attention %[[Q]], %[[K]], %[[V]] mask(none) explicit_mask(%[[M]] : tensor<2x1x4x4xf32>) :
// CHECK-NEXT: return %[[O]]
func.func @padding_mask(%q: tensor<2x2x4x8xf32>, %k: tensor<2x2x4x8xf32>, %v: tensor<2x2x4x8xf32>, %pad: tensor<2x1x1x4xf32>) -> tensor<2x2x4x8xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %e1 = tensor.empty() : tensor<2x2x8x4xf32>
  %tr2 = linalg.transpose ins(%k : tensor<2x2x4x8xf32>) outs(%e1 : tensor<2x2x8x4xf32>) permutation = [0, 1, 3, 2]
  %e3 = tensor.empty() : tensor<2x2x4x4xf32>
  %z4 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<2x2x4x4xf32>) -> tensor<2x2x4x4xf32>
  %mm5 = linalg.contract indexing_maps = [affine_map<(b, h, i, j, d) -> (b, h, i, d)>, affine_map<(b, h, i, j, d) -> (b, h, d, j)>, affine_map<(b, h, i, j, d) -> (b, h, i, j)>] ins(%q, %tr2 : tensor<2x2x4x8xf32>, tensor<2x2x8x4xf32>) outs(%z4 : tensor<2x2x4x4xf32>) -> tensor<2x2x4x4xf32>
  %c6 = arith.constant dense<2.8284271247461903> : tensor<2x2x4x4xf32>
  %s7 = arith.divf %mm5, %c6 : tensor<2x2x4x4xf32>
  %pm8 = tensor.collapse_shape %pad [[0, 1, 2], [3]] : tensor<2x1x1x4xf32> into tensor<2x4xf32>
  %e9 = tensor.empty() : tensor<2x2x4x4xf32>
  %b10 = linalg.broadcast ins(%pm8 : tensor<2x4xf32>) outs(%e9 : tensor<2x2x4x4xf32>) dimensions = [1, 2]
  %s11 = arith.addf %s7, %b10 : tensor<2x2x4x4xf32>
  %e12 = tensor.empty() : tensor<2x2x4x4xf32>
  %p13 = linalg.softmax dimension(3) ins(%s11 : tensor<2x2x4x4xf32>) outs(%e12 : tensor<2x2x4x4xf32>) -> tensor<2x2x4x4xf32>
  %e14 = tensor.empty() : tensor<2x2x4x8xf32>
  %z15 = linalg.fill ins(%zero : f32) outs(%e14 : tensor<2x2x4x8xf32>) -> tensor<2x2x4x8xf32>
  %mm16 = linalg.contract indexing_maps = [affine_map<(b, h, i, e, j) -> (b, h, i, j)>, affine_map<(b, h, i, e, j) -> (b, h, j, e)>, affine_map<(b, h, i, e, j) -> (b, h, i, e)>] ins(%p13, %v : tensor<2x2x4x4xf32>, tensor<2x2x4x8xf32>) outs(%z15 : tensor<2x2x4x8xf32>) -> tensor<2x2x4x8xf32>
  return %mm16 : tensor<2x2x4x8xf32>
}

// -----

// select(causal AND padding, 0, -max) added to the scores: the constant
// causal part becomes mask(causal), the runtime padding part stays as an i1
// explicit mask (reusing the existing [B, 1, Sq, Sk] broadcast).
// CHECK-LABEL: func.func @causal_and_padding
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<2x2x4x8xf32>, %[[K:[^:]+]]: tensor<2x2x4x8xf32>, %[[V:[^:]+]]: tensor<2x2x4x8xf32>, %[[PAD:[^:]+]]: tensor<2x1x1x4xi1>)
// CHECK: %[[FLAT:.+]] = tensor.collapse_shape %[[PAD]]
// CHECK: %[[M:.+]] = linalg.broadcast ins(%[[FLAT]] : tensor<2x1x4xi1>) outs(%{{.+}} : tensor<2x1x4x4xi1>) dimensions = [2]
// CHECK: %[[O:.+]] = tx.attention %[[Q]], %[[K]], %[[V]] mask(causal) explicit_mask(%[[M]] : tensor<2x1x4x4xi1>) :
// CHECK-NOT: arith.andi
// CHECK: return %[[O]]
func.func @causal_and_padding(%q: tensor<2x2x4x8xf32>, %k: tensor<2x2x4x8xf32>, %v: tensor<2x2x4x8xf32>, %pad: tensor<2x1x1x4xi1>) -> tensor<2x2x4x8xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %e1 = tensor.empty() : tensor<2x2x8x4xf32>
  %tr2 = linalg.transpose ins(%k : tensor<2x2x4x8xf32>) outs(%e1 : tensor<2x2x8x4xf32>) permutation = [0, 1, 3, 2]
  %e3 = tensor.empty() : tensor<2x2x4x4xf32>
  %z4 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<2x2x4x4xf32>) -> tensor<2x2x4x4xf32>
  %mm5 = linalg.contract indexing_maps = [affine_map<(b, h, i, j, d) -> (b, h, i, d)>, affine_map<(b, h, i, j, d) -> (b, h, d, j)>, affine_map<(b, h, i, j, d) -> (b, h, i, j)>] ins(%q, %tr2 : tensor<2x2x4x8xf32>, tensor<2x2x8x4xf32>) outs(%z4 : tensor<2x2x4x4xf32>) -> tensor<2x2x4x4xf32>
  %c6 = arith.constant dense<0.35355339059327373> : tensor<2x2x4x4xf32>
  %s7 = arith.mulf %mm5, %c6 : tensor<2x2x4x4xf32>
  %c8 = arith.constant dense<[[true, false, false, false], [true, true, false, false], [true, true, true, false], [true, true, true, true]]> : tensor<4x4xi1>
  %e9 = tensor.empty() : tensor<2x1x4x4xi1>
  %b10 = linalg.broadcast ins(%c8 : tensor<4x4xi1>) outs(%e9 : tensor<2x1x4x4xi1>) dimensions = [0, 1]
  %pm11 = tensor.collapse_shape %pad [[0], [1], [2, 3]] : tensor<2x1x1x4xi1> into tensor<2x1x4xi1>
  %e12 = tensor.empty() : tensor<2x1x4x4xi1>
  %b13 = linalg.broadcast ins(%pm11 : tensor<2x1x4xi1>) outs(%e12 : tensor<2x1x4x4xi1>) dimensions = [2]
  %and14 = arith.andi %b10, %b13 : tensor<2x1x4x4xi1>
  %c15 = arith.constant dense<0.0> : tensor<2x1x4x4xf32>
  %c16 = arith.constant dense<-3.40282347E+38> : tensor<2x1x4x4xf32>
  %sel17 = arith.select %and14, %c15, %c16 : tensor<2x1x4x4xi1>, tensor<2x1x4x4xf32>
  %mc18 = tensor.collapse_shape %sel17 [[0], [1, 2], [3]] : tensor<2x1x4x4xf32> into tensor<2x4x4xf32>
  %e19 = tensor.empty() : tensor<2x2x4x4xf32>
  %b20 = linalg.broadcast ins(%mc18 : tensor<2x4x4xf32>) outs(%e19 : tensor<2x2x4x4xf32>) dimensions = [1]
  %s21 = arith.addf %s7, %b20 : tensor<2x2x4x4xf32>
  %e22 = tensor.empty() : tensor<2x2x4x4xf32>
  %p23 = linalg.softmax dimension(3) ins(%s21 : tensor<2x2x4x4xf32>) outs(%e22 : tensor<2x2x4x4xf32>) -> tensor<2x2x4x4xf32>
  %e24 = tensor.empty() : tensor<2x2x4x8xf32>
  %z25 = linalg.fill ins(%zero : f32) outs(%e24 : tensor<2x2x4x8xf32>) -> tensor<2x2x4x8xf32>
  %mm26 = linalg.contract indexing_maps = [affine_map<(b, h, i, e, j) -> (b, h, i, j)>, affine_map<(b, h, i, e, j) -> (b, h, j, e)>, affine_map<(b, h, i, e, j) -> (b, h, i, e)>] ins(%p23, %v : tensor<2x2x4x4xf32>, tensor<2x2x4x8xf32>) outs(%z25 : tensor<2x2x4x8xf32>) -> tensor<2x2x4x8xf32>
  return %mm26 : tensor<2x2x4x8xf32>
}

// -----

// A constant that is not 0 / large-negative (an ALiBi-style bias) is kept
// as a float explicit mask [1, 1, Sq, Sk].
// CHECK-LABEL: func.func @float_bias_mask
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x2x4x8xf32>, %[[K:[^:]+]]: tensor<1x2x4x8xf32>, %[[V:[^:]+]]: tensor<1x2x4x8xf32>)
// CHECK: %[[M:.+]] = arith.constant dense<{{\[}}[{{\[}}[0.000000e+00, -1.000000e+09, -1.000000e+09, -1.000000e+09], [-5.000000e-01, 0.000000e+00, -1.000000e+09, -1.000000e+09]
// CHECK-SAME: tensor<1x1x4x4xf32>
// CHECK: %[[O:.+]] = tx.attention %[[Q]], %[[K]], %[[V]] mask(none) explicit_mask(%[[M]] : tensor<1x1x4x4xf32>) :
func.func @float_bias_mask(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %e1 = tensor.empty() : tensor<1x2x8x4xf32>
  %tr2 = linalg.transpose ins(%k : tensor<1x2x4x8xf32>) outs(%e1 : tensor<1x2x8x4xf32>) permutation = [0, 1, 3, 2]
  %e3 = tensor.empty() : tensor<1x2x4x4xf32>
  %z4 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %mm5 = linalg.contract indexing_maps = [affine_map<(b, h, i, j, d) -> (b, h, i, d)>, affine_map<(b, h, i, j, d) -> (b, h, d, j)>, affine_map<(b, h, i, j, d) -> (b, h, i, j)>] ins(%q, %tr2 : tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) outs(%z4 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %c6 = arith.constant dense<0.35355339059327373> : tensor<1x2x4x4xf32>
  %s7 = arith.mulf %mm5, %c6 : tensor<1x2x4x4xf32>
  %c8 = arith.constant dense<[[0.0, -1.000000e+09, -1.000000e+09, -1.000000e+09], [-5.000000e-01, 0.0, -1.000000e+09, -1.000000e+09], [-1.0, -5.000000e-01, 0.0, -1.000000e+09], [-1.500000e+00, -1.0, -5.000000e-01, 0.0]]> : tensor<4x4xf32>
  %e9 = tensor.empty() : tensor<1x2x4x4xf32>
  %b10 = linalg.broadcast ins(%c8 : tensor<4x4xf32>) outs(%e9 : tensor<1x2x4x4xf32>) dimensions = [0, 1]
  %s11 = arith.addf %s7, %b10 : tensor<1x2x4x4xf32>
  %e12 = tensor.empty() : tensor<1x2x4x4xf32>
  %p13 = linalg.softmax dimension(3) ins(%s11 : tensor<1x2x4x4xf32>) outs(%e12 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %e14 = tensor.empty() : tensor<1x2x4x8xf32>
  %z15 = linalg.fill ins(%zero : f32) outs(%e14 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  %mm16 = linalg.contract indexing_maps = [affine_map<(b, h, i, e, j) -> (b, h, i, j)>, affine_map<(b, h, i, e, j) -> (b, h, j, e)>, affine_map<(b, h, i, e, j) -> (b, h, i, e)>] ins(%p13, %v : tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) outs(%z15 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %mm16 : tensor<1x2x4x8xf32>
}

// -----

// A 0 / -big constant with no structure (upper triangular) is kept as an
// i1 explicit mask (true = attend).
// CHECK-LABEL: func.func @unstructured_mask
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x2x4x8xf32>, %[[K:[^:]+]]: tensor<1x2x4x8xf32>, %[[V:[^:]+]]: tensor<1x2x4x8xf32>)
// CHECK: %[[M:.+]] = arith.constant dense<{{\[}}[{{\[}}[true, true, true, true], [false, true, true, true], [false, false, true, true], [false, false, false, true]]]]> : tensor<1x1x4x4xi1>
// CHECK: %[[O:.+]] = tx.attention %[[Q]], %[[K]], %[[V]] mask(none) explicit_mask(%[[M]] : tensor<1x1x4x4xi1>) :
func.func @unstructured_mask(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %e1 = tensor.empty() : tensor<1x2x8x4xf32>
  %tr2 = linalg.transpose ins(%k : tensor<1x2x4x8xf32>) outs(%e1 : tensor<1x2x8x4xf32>) permutation = [0, 1, 3, 2]
  %e3 = tensor.empty() : tensor<1x2x4x4xf32>
  %z4 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %mm5 = linalg.contract indexing_maps = [affine_map<(b, h, i, j, d) -> (b, h, i, d)>, affine_map<(b, h, i, j, d) -> (b, h, d, j)>, affine_map<(b, h, i, j, d) -> (b, h, i, j)>] ins(%q, %tr2 : tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) outs(%z4 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %c6 = arith.constant dense<0.35355339059327373> : tensor<1x2x4x4xf32>
  %s7 = arith.mulf %mm5, %c6 : tensor<1x2x4x4xf32>
  %c8 = arith.constant dense<[[0.0, 0.0, 0.0, 0.0], [-1.000000e+09, 0.0, 0.0, 0.0], [-1.000000e+09, -1.000000e+09, 0.0, 0.0], [-1.000000e+09, -1.000000e+09, -1.000000e+09, 0.0]]> : tensor<4x4xf32>
  %e9 = tensor.empty() : tensor<1x2x4x4xf32>
  %b10 = linalg.broadcast ins(%c8 : tensor<4x4xf32>) outs(%e9 : tensor<1x2x4x4xf32>) dimensions = [0, 1]
  %s11 = arith.addf %s7, %b10 : tensor<1x2x4x4xf32>
  %e12 = tensor.empty() : tensor<1x2x4x4xf32>
  %p13 = linalg.softmax dimension(3) ins(%s11 : tensor<1x2x4x4xf32>) outs(%e12 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %e14 = tensor.empty() : tensor<1x2x4x8xf32>
  %z15 = linalg.fill ins(%zero : f32) outs(%e14 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  %mm16 = linalg.contract indexing_maps = [affine_map<(b, h, i, e, j) -> (b, h, i, j)>, affine_map<(b, h, i, e, j) -> (b, h, j, e)>, affine_map<(b, h, i, e, j) -> (b, h, i, e)>] ins(%p13, %v : tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) outs(%z15 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %mm16 : tensor<1x2x4x8xf32>
}

// -----

// A constant mask that differs between heads (head 0 causal, head 1 full)
// is no structured kind: i1 explicit mask [1, H, Sq, Sk].
// CHECK-LABEL: func.func @per_head_mask
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x2x4x8xf32>, %[[K:[^:]+]]: tensor<1x2x4x8xf32>, %[[V:[^:]+]]: tensor<1x2x4x8xf32>)
// CHECK: %[[M:.+]] = arith.constant dense<{{.+}}> : tensor<1x2x4x4xi1>
// CHECK: tx.attention %[[Q]], %[[K]], %[[V]] mask(none) explicit_mask(%[[M]] : tensor<1x2x4x4xi1>) :
func.func @per_head_mask(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %e1 = tensor.empty() : tensor<1x2x8x4xf32>
  %tr2 = linalg.transpose ins(%k : tensor<1x2x4x8xf32>) outs(%e1 : tensor<1x2x8x4xf32>) permutation = [0, 1, 3, 2]
  %e3 = tensor.empty() : tensor<1x2x4x4xf32>
  %z4 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %mm5 = linalg.contract indexing_maps = [affine_map<(b, h, i, j, d) -> (b, h, i, d)>, affine_map<(b, h, i, j, d) -> (b, h, d, j)>, affine_map<(b, h, i, j, d) -> (b, h, i, j)>] ins(%q, %tr2 : tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) outs(%z4 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %c6 = arith.constant dense<0.35355339059327373> : tensor<1x2x4x4xf32>
  %s7 = arith.mulf %mm5, %c6 : tensor<1x2x4x4xf32>
  %c8 = arith.constant dense<[[[0.0, -1.000000e+09, -1.000000e+09, -1.000000e+09], [0.0, 0.0, -1.000000e+09, -1.000000e+09], [0.0, 0.0, 0.0, -1.000000e+09], [0.0, 0.0, 0.0, 0.0]], [[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]]> : tensor<2x4x4xf32>
  %e9 = tensor.empty() : tensor<1x2x4x4xf32>
  %b10 = linalg.broadcast ins(%c8 : tensor<2x4x4xf32>) outs(%e9 : tensor<1x2x4x4xf32>) dimensions = [0]
  %s11 = arith.addf %s7, %b10 : tensor<1x2x4x4xf32>
  %e12 = tensor.empty() : tensor<1x2x4x4xf32>
  %p13 = linalg.softmax dimension(3) ins(%s11 : tensor<1x2x4x4xf32>) outs(%e12 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %e14 = tensor.empty() : tensor<1x2x4x8xf32>
  %z15 = linalg.fill ins(%zero : f32) outs(%e14 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  %mm16 = linalg.contract indexing_maps = [affine_map<(b, h, i, e, j) -> (b, h, i, j)>, affine_map<(b, h, i, e, j) -> (b, h, j, e)>, affine_map<(b, h, i, e, j) -> (b, h, i, e)>] ins(%p13, %v : tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) outs(%z15 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %mm16 : tensor<1x2x4x8xf32>
}

// -----

// GPT-2: select(causal bias, scores, -1e4) after dividing by sqrt(D).
// CHECK-LABEL: func.func @select_mask
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x2x4x8xf32>, %[[K:[^:]+]]: tensor<1x2x4x8xf32>, %[[V:[^:]+]]: tensor<1x2x4x8xf32>)
// CHECK: %[[O:.+]] = tx.attention %[[Q]], %[[K]], %[[V]] mask(causal) :
// CHECK-NOT: arith.select
// CHECK: return %[[O]]
func.func @select_mask(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %e1 = tensor.empty() : tensor<1x2x8x4xf32>
  %tr2 = linalg.transpose ins(%k : tensor<1x2x4x8xf32>) outs(%e1 : tensor<1x2x8x4xf32>) permutation = [0, 1, 3, 2]
  %e3 = tensor.empty() : tensor<1x2x4x4xf32>
  %z4 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %mm5 = linalg.contract indexing_maps = [affine_map<(b, h, i, j, d) -> (b, h, i, d)>, affine_map<(b, h, i, j, d) -> (b, h, d, j)>, affine_map<(b, h, i, j, d) -> (b, h, i, j)>] ins(%q, %tr2 : tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) outs(%z4 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %c6 = arith.constant dense<2.8284271247461903> : tensor<1x2x4x4xf32>
  %s7 = arith.divf %mm5, %c6 : tensor<1x2x4x4xf32>
  %c8 = arith.constant dense<[[true, false, false, false], [true, true, false, false], [true, true, true, false], [true, true, true, true]]> : tensor<4x4xi1>
  %e9 = tensor.empty() : tensor<1x2x4x4xi1>
  %b10 = linalg.broadcast ins(%c8 : tensor<4x4xi1>) outs(%e9 : tensor<1x2x4x4xi1>) dimensions = [0, 1]
  %c11 = arith.constant dense<-1.000000e+04> : tensor<1x2x4x4xf32>
  %sel12 = arith.select %b10, %s7, %c11 : tensor<1x2x4x4xi1>, tensor<1x2x4x4xf32>
  %e13 = tensor.empty() : tensor<1x2x4x4xf32>
  %p14 = linalg.softmax dimension(3) ins(%sel12 : tensor<1x2x4x4xf32>) outs(%e13 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %e15 = tensor.empty() : tensor<1x2x4x8xf32>
  %z16 = linalg.fill ins(%zero : f32) outs(%e15 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  %mm17 = linalg.contract indexing_maps = [affine_map<(b, h, i, e, j) -> (b, h, i, j)>, affine_map<(b, h, i, e, j) -> (b, h, j, e)>, affine_map<(b, h, i, e, j) -> (b, h, i, e)>] ins(%p14, %v : tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) outs(%z16 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %mm17 : tensor<1x2x4x8xf32>
}

// -----

// select(masked, -1e4, scores): the condition is true where keys are masked.
// CHECK-LABEL: func.func @select_inverted
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x2x4x8xf32>, %[[K:[^:]+]]: tensor<1x2x4x8xf32>, %[[V:[^:]+]]: tensor<1x2x4x8xf32>)
// CHECK: %[[O:.+]] = tx.attention %[[Q]], %[[K]], %[[V]] mask(causal) :
func.func @select_inverted(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %e1 = tensor.empty() : tensor<1x2x8x4xf32>
  %tr2 = linalg.transpose ins(%k : tensor<1x2x4x8xf32>) outs(%e1 : tensor<1x2x8x4xf32>) permutation = [0, 1, 3, 2]
  %e3 = tensor.empty() : tensor<1x2x4x4xf32>
  %z4 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %mm5 = linalg.contract indexing_maps = [affine_map<(b, h, i, j, d) -> (b, h, i, d)>, affine_map<(b, h, i, j, d) -> (b, h, d, j)>, affine_map<(b, h, i, j, d) -> (b, h, i, j)>] ins(%q, %tr2 : tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) outs(%z4 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %c6 = arith.constant dense<2.8284271247461903> : tensor<1x2x4x4xf32>
  %s7 = arith.divf %mm5, %c6 : tensor<1x2x4x4xf32>
  %c8 = arith.constant dense<[[false, true, true, true], [false, false, true, true], [false, false, false, true], [false, false, false, false]]> : tensor<4x4xi1>
  %e9 = tensor.empty() : tensor<1x2x4x4xi1>
  %b10 = linalg.broadcast ins(%c8 : tensor<4x4xi1>) outs(%e9 : tensor<1x2x4x4xi1>) dimensions = [0, 1]
  %c11 = arith.constant dense<-1.000000e+04> : tensor<1x2x4x4xf32>
  %sel12 = arith.select %b10, %c11, %s7 : tensor<1x2x4x4xi1>, tensor<1x2x4x4xf32>
  %e13 = tensor.empty() : tensor<1x2x4x4xf32>
  %p14 = linalg.softmax dimension(3) ins(%sel12 : tensor<1x2x4x4xf32>) outs(%e13 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %e15 = tensor.empty() : tensor<1x2x4x8xf32>
  %z16 = linalg.fill ins(%zero : f32) outs(%e15 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  %mm17 = linalg.contract indexing_maps = [affine_map<(b, h, i, e, j) -> (b, h, i, j)>, affine_map<(b, h, i, e, j) -> (b, h, j, e)>, affine_map<(b, h, i, e, j) -> (b, h, i, e)>] ins(%p14, %v : tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) outs(%z16 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %mm17 : tensor<1x2x4x8xf32>
}

// -----

// GPT-2 / BERT: K^T is one transpose [0, 2, 3, 1] of the [B, S, H, D]
// projection. tx.attention needs K as [B, H, S, D]: a transpose [0, 2, 1, 3]
// of the projection replaces the old one.
// CHECK-LABEL: func.func @kt_from_heads
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x2x4x8xf32>, %[[K:[^:]+]]: tensor<1x4x2x8xf32>, %[[V:[^:]+]]: tensor<1x2x4x8xf32>)
// CHECK: %[[KT:.+]] = linalg.transpose ins(%[[K]] : tensor<1x4x2x8xf32>) outs(%{{.+}} : tensor<1x2x4x8xf32>) permutation = [0, 2, 1, 3]
// CHECK-NEXT: %[[O:.+]] = tx.attention %[[Q]], %[[KT]], %[[V]] mask(none) :
// CHECK-NEXT: return %[[O]]
func.func @kt_from_heads(%q: tensor<1x2x4x8xf32>, %k: tensor<1x4x2x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %e1 = tensor.empty() : tensor<1x2x8x4xf32>
  %tr2 = linalg.transpose ins(%k : tensor<1x4x2x8xf32>) outs(%e1 : tensor<1x2x8x4xf32>) permutation = [0, 2, 3, 1]
  %e3 = tensor.empty() : tensor<1x2x4x4xf32>
  %z4 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %mm5 = linalg.contract indexing_maps = [affine_map<(b, h, i, j, d) -> (b, h, i, d)>, affine_map<(b, h, i, j, d) -> (b, h, d, j)>, affine_map<(b, h, i, j, d) -> (b, h, i, j)>] ins(%q, %tr2 : tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) outs(%z4 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %c6 = arith.constant dense<2.82842712> : tensor<1x2x4x4xf32>
  %s7 = arith.divf %mm5, %c6 : tensor<1x2x4x4xf32>
  %e8 = tensor.empty() : tensor<1x2x4x4xf32>
  %p9 = linalg.softmax dimension(3) ins(%s7 : tensor<1x2x4x4xf32>) outs(%e8 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %e10 = tensor.empty() : tensor<1x2x4x8xf32>
  %z11 = linalg.fill ins(%zero : f32) outs(%e10 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  %mm12 = linalg.contract indexing_maps = [affine_map<(b, h, i, e, j) -> (b, h, i, j)>, affine_map<(b, h, i, e, j) -> (b, h, j, e)>, affine_map<(b, h, i, e, j) -> (b, h, i, e)>] ins(%p9, %v : tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) outs(%z11 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %mm12 : tensor<1x2x4x8xf32>
}

// -----

// The probabilities are also returned: the softmax and Q K^T stay for that
// use, only the PV contraction is replaced.
// CHECK-LABEL: func.func @probs_used
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x2x4x8xf32>, %[[K:[^:]+]]: tensor<1x2x4x8xf32>, %[[V:[^:]+]]: tensor<1x2x4x8xf32>)
// CHECK: %[[P:.+]] = linalg.softmax
// CHECK: %[[O:.+]] = tx.attention %[[Q]], %[[K]], %[[V]] mask(causal) :
// CHECK-NOT: linalg.contract
// CHECK: return %[[O]], %[[P]]
func.func @probs_used(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> (tensor<1x2x4x8xf32>, tensor<1x2x4x4xf32>) {
  %zero = arith.constant 0.000000e+00 : f32
  %e1 = tensor.empty() : tensor<1x2x8x4xf32>
  %tr2 = linalg.transpose ins(%k : tensor<1x2x4x8xf32>) outs(%e1 : tensor<1x2x8x4xf32>) permutation = [0, 1, 3, 2]
  %e3 = tensor.empty() : tensor<1x2x4x4xf32>
  %z4 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %mm5 = linalg.contract indexing_maps = [affine_map<(b, h, i, j, d) -> (b, h, i, d)>, affine_map<(b, h, i, j, d) -> (b, h, d, j)>, affine_map<(b, h, i, j, d) -> (b, h, i, j)>] ins(%q, %tr2 : tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) outs(%z4 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %c6 = arith.constant dense<0.35355339059327373> : tensor<1x2x4x4xf32>
  %s7 = arith.mulf %mm5, %c6 : tensor<1x2x4x4xf32>
  %c8 = arith.constant dense<[[0.0, -1.000000e+09, -1.000000e+09, -1.000000e+09], [0.0, 0.0, -1.000000e+09, -1.000000e+09], [0.0, 0.0, 0.0, -1.000000e+09], [0.0, 0.0, 0.0, 0.0]]> : tensor<4x4xf32>
  %e9 = tensor.empty() : tensor<1x2x4x4xf32>
  %b10 = linalg.broadcast ins(%c8 : tensor<4x4xf32>) outs(%e9 : tensor<1x2x4x4xf32>) dimensions = [0, 1]
  %s11 = arith.addf %s7, %b10 : tensor<1x2x4x4xf32>
  %e12 = tensor.empty() : tensor<1x2x4x4xf32>
  %p13 = linalg.softmax dimension(3) ins(%s11 : tensor<1x2x4x4xf32>) outs(%e12 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %e14 = tensor.empty() : tensor<1x2x4x8xf32>
  %z15 = linalg.fill ins(%zero : f32) outs(%e14 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  %mm16 = linalg.contract indexing_maps = [affine_map<(b, h, i, e, j) -> (b, h, i, j)>, affine_map<(b, h, i, e, j) -> (b, h, j, e)>, affine_map<(b, h, i, e, j) -> (b, h, i, e)>] ins(%p13, %v : tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) outs(%z15 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %mm16, %p13 : tensor<1x2x4x8xf32>, tensor<1x2x4x4xf32>
}

// -----

// Softmax over the query axis is not attention over the keys: not raised,
// with a remark.
// CHECK-LABEL: func.func @softmax_wrong_axis
// CHECK: linalg.softmax dimension(2)
// CHECK: linalg.contract
// CHECK-NOT: tx.attention
func.func @softmax_wrong_axis(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %e1 = tensor.empty() : tensor<1x2x8x4xf32>
  %tr2 = linalg.transpose ins(%k : tensor<1x2x4x8xf32>) outs(%e1 : tensor<1x2x8x4xf32>) permutation = [0, 1, 3, 2]
  %e3 = tensor.empty() : tensor<1x2x4x4xf32>
  %z4 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %mm5 = linalg.contract indexing_maps = [affine_map<(b, h, i, j, d) -> (b, h, i, d)>, affine_map<(b, h, i, j, d) -> (b, h, d, j)>, affine_map<(b, h, i, j, d) -> (b, h, i, j)>] ins(%q, %tr2 : tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) outs(%z4 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %c6 = arith.constant dense<0.35355339059327373> : tensor<1x2x4x4xf32>
  %s7 = arith.mulf %mm5, %c6 : tensor<1x2x4x4xf32>
  %e8 = tensor.empty() : tensor<1x2x4x4xf32>
  // expected-remark @below {{not raised to tx.attention: the softmax is over dimension 2, not over the keys (dimension 3)}}
  %p9 = linalg.softmax dimension(2) ins(%s7 : tensor<1x2x4x4xf32>) outs(%e8 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %e10 = tensor.empty() : tensor<1x2x4x8xf32>
  %z11 = linalg.fill ins(%zero : f32) outs(%e10 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  %mm12 = linalg.contract indexing_maps = [affine_map<(b, h, i, e, j) -> (b, h, i, j)>, affine_map<(b, h, i, e, j) -> (b, h, j, e)>, affine_map<(b, h, i, e, j) -> (b, h, i, e)>] ins(%p9, %v : tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) outs(%z11 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %mm12 : tensor<1x2x4x8xf32>
}

// -----

// The probabilities are contracted over the query axis (P^T V): shapes
// only line up because Sq == Sk. Not raised.
// CHECK-LABEL: func.func @pv_wrong_axis
// CHECK-NOT: tx.attention
func.func @pv_wrong_axis(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %e1 = tensor.empty() : tensor<1x2x8x4xf32>
  %tr2 = linalg.transpose ins(%k : tensor<1x2x4x8xf32>) outs(%e1 : tensor<1x2x8x4xf32>) permutation = [0, 1, 3, 2]
  %e3 = tensor.empty() : tensor<1x2x4x4xf32>
  %z4 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %mm5 = linalg.contract indexing_maps = [affine_map<(b, h, i, j, d) -> (b, h, i, d)>, affine_map<(b, h, i, j, d) -> (b, h, d, j)>, affine_map<(b, h, i, j, d) -> (b, h, i, j)>] ins(%q, %tr2 : tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) outs(%z4 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %c6 = arith.constant dense<0.35355339059327373> : tensor<1x2x4x4xf32>
  %s7 = arith.mulf %mm5, %c6 : tensor<1x2x4x4xf32>
  %e8 = tensor.empty() : tensor<1x2x4x4xf32>
  // expected-remark @below {{not raised to tx.attention: the probabilities are contracted over a dimension other than the keys}}
  %p9 = linalg.softmax dimension(3) ins(%s7 : tensor<1x2x4x4xf32>) outs(%e8 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %e10 = tensor.empty() : tensor<1x2x4x8xf32>
  %z11 = linalg.fill ins(%zero : f32) outs(%e10 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  %mm12 = linalg.contract indexing_maps = [affine_map<(b, h, i, e, j) -> (b, h, j, i)>, affine_map<(b, h, i, e, j) -> (b, h, j, e)>, affine_map<(b, h, i, e, j) -> (b, h, i, e)>] ins(%p9, %v : tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) outs(%z11 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %mm12 : tensor<1x2x4x8xf32>
}

// -----

// Scaling after the additive mask would scale the mask too. Not raised.
// CHECK-LABEL: func.func @scaled_after_mask
// CHECK-NOT: tx.attention
func.func @scaled_after_mask(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %e1 = tensor.empty() : tensor<1x2x4x4xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %mm3 = linalg.contract indexing_maps = [affine_map<(b, h, i, j, d) -> (b, h, i, d)>, affine_map<(b, h, i, j, d) -> (b, h, j, d)>, affine_map<(b, h, i, j, d) -> (b, h, i, j)>] ins(%q, %k : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) outs(%z2 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %c4 = arith.constant dense<[[0.0, -1.000000e+09, -1.000000e+09, -1.000000e+09], [0.0, 0.0, -1.000000e+09, -1.000000e+09], [0.0, 0.0, 0.0, -1.000000e+09], [0.0, 0.0, 0.0, 0.0]]> : tensor<4x4xf32>
  %e5 = tensor.empty() : tensor<1x2x4x4xf32>
  %b6 = linalg.broadcast ins(%c4 : tensor<4x4xf32>) outs(%e5 : tensor<1x2x4x4xf32>) dimensions = [0, 1]
  %s7 = arith.addf %mm3, %b6 : tensor<1x2x4x4xf32>
  %c8 = arith.constant dense<0.353553385> : tensor<1x2x4x4xf32>
  %s9 = arith.mulf %s7, %c8 : tensor<1x2x4x4xf32>
  %e10 = tensor.empty() : tensor<1x2x4x4xf32>
  // expected-remark @below {{not raised to tx.attention: the scores are scaled after the mask is added}}
  %p11 = linalg.softmax dimension(3) ins(%s9 : tensor<1x2x4x4xf32>) outs(%e10 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %e12 = tensor.empty() : tensor<1x2x4x8xf32>
  %z13 = linalg.fill ins(%zero : f32) outs(%e12 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  %mm14 = linalg.contract indexing_maps = [affine_map<(b, h, i, e, j) -> (b, h, i, j)>, affine_map<(b, h, i, e, j) -> (b, h, j, e)>, affine_map<(b, h, i, e, j) -> (b, h, i, e)>] ins(%p11, %v : tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) outs(%z13 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %mm14 : tensor<1x2x4x8xf32>
}

// -----

// A select that replaces scores by -1 is not a mask. Not raised.
// CHECK-LABEL: func.func @select_not_mask
// CHECK-NOT: tx.attention
func.func @select_not_mask(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %e1 = tensor.empty() : tensor<1x2x8x4xf32>
  %tr2 = linalg.transpose ins(%k : tensor<1x2x4x8xf32>) outs(%e1 : tensor<1x2x8x4xf32>) permutation = [0, 1, 3, 2]
  %e3 = tensor.empty() : tensor<1x2x4x4xf32>
  %z4 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %mm5 = linalg.contract indexing_maps = [affine_map<(b, h, i, j, d) -> (b, h, i, d)>, affine_map<(b, h, i, j, d) -> (b, h, d, j)>, affine_map<(b, h, i, j, d) -> (b, h, i, j)>] ins(%q, %tr2 : tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) outs(%z4 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %c6 = arith.constant dense<2.8284271247461903> : tensor<1x2x4x4xf32>
  %s7 = arith.divf %mm5, %c6 : tensor<1x2x4x4xf32>
  %c8 = arith.constant dense<[[true, false, false, false], [true, true, false, false], [true, true, true, false], [true, true, true, true]]> : tensor<4x4xi1>
  %e9 = tensor.empty() : tensor<1x2x4x4xi1>
  %b10 = linalg.broadcast ins(%c8 : tensor<4x4xi1>) outs(%e9 : tensor<1x2x4x4xi1>) dimensions = [0, 1]
  %c11 = arith.constant dense<-1.000000e+00> : tensor<1x2x4x4xf32>
  %sel12 = arith.select %b10, %s7, %c11 : tensor<1x2x4x4xi1>, tensor<1x2x4x4xf32>
  %e13 = tensor.empty() : tensor<1x2x4x4xf32>
  // expected-remark @below {{not raised to tx.attention: a select on the scores does not mask with a large negative constant}}
  %p14 = linalg.softmax dimension(3) ins(%sel12 : tensor<1x2x4x4xf32>) outs(%e13 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %e15 = tensor.empty() : tensor<1x2x4x8xf32>
  %z16 = linalg.fill ins(%zero : f32) outs(%e15 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  %mm17 = linalg.contract indexing_maps = [affine_map<(b, h, i, e, j) -> (b, h, i, j)>, affine_map<(b, h, i, e, j) -> (b, h, j, e)>, affine_map<(b, h, i, e, j) -> (b, h, i, e)>] ins(%p14, %v : tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) outs(%z16 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %mm17 : tensor<1x2x4x8xf32>
}

// -----

// Heads folded into the batch ([B*H, S, D]): out of scope, with a remark.
// CHECK-LABEL: func.func @attention_3d
// CHECK-NOT: tx.attention
func.func @attention_3d(%q: tensor<2x4x8xf32>, %k: tensor<2x4x8xf32>, %v: tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %e1 = tensor.empty() : tensor<2x4x4xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %mm3 = linalg.contract indexing_maps = [affine_map<(b, i, j, d) -> (b, i, d)>, affine_map<(b, i, j, d) -> (b, j, d)>, affine_map<(b, i, j, d) -> (b, i, j)>] ins(%q, %k : tensor<2x4x8xf32>, tensor<2x4x8xf32>) outs(%z2 : tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %e4 = tensor.empty() : tensor<2x4x4xf32>
  // expected-remark @below {{not raised to tx.attention: the scores are not 4-D [batch, heads, q_seq, k_seq]}}
  %p5 = linalg.softmax dimension(2) ins(%mm3 : tensor<2x4x4xf32>) outs(%e4 : tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %e6 = tensor.empty() : tensor<2x4x8xf32>
  %z7 = linalg.fill ins(%zero : f32) outs(%e6 : tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  %mm8 = linalg.contract indexing_maps = [affine_map<(b, i, e, j) -> (b, i, j)>, affine_map<(b, i, e, j) -> (b, j, e)>, affine_map<(b, i, e, j) -> (b, i, e)>] ins(%p5, %v : tensor<2x4x4xf32>, tensor<2x4x8xf32>) outs(%z7 : tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return %mm8 : tensor<2x4x8xf32>
}

// -----

// A plain rank-2 softmax (a classifier head) is not attention: no remark.
// CHECK-LABEL: func.func @classifier_softmax
// CHECK: linalg.softmax
func.func @classifier_softmax(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %e = tensor.empty() : tensor<2x8xf32>
  %p = linalg.softmax dimension(1) ins(%x : tensor<2x8xf32>) outs(%e : tensor<2x8xf32>) -> tensor<2x8xf32>
  return %p : tensor<2x8xf32>
}

// -----

// torch's SDPA decomposition guards the probabilities with
// where(isnan(p), 0, p); a row whose keys are all masked then gives zeros,
// as tx.attention does, so the guard is part of the raised op.
// CHECK-LABEL: func.func @nan_guard
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x2x4x8xf32>, %[[K:[^:]+]]: tensor<1x2x4x8xf32>, %[[V:[^:]+]]: tensor<1x2x4x8xf32>)
// CHECK-NOT: arith.cmpf
// CHECK-NOT: arith.select
// CHECK: %[[O:.+]] = tx.attention %[[Q]], %[[K]], %[[V]] mask(none) : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
// CHECK-NEXT: return %[[O]]
func.func @nan_guard(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %e3 = tensor.empty() : tensor<1x2x4x4xf32>
  %z4 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %mm5 = linalg.contract indexing_maps = [affine_map<(b, h, i, j, d) -> (b, h, i, d)>, affine_map<(b, h, i, j, d) -> (b, h, j, d)>, affine_map<(b, h, i, j, d) -> (b, h, i, j)>] ins(%q, %k : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) outs(%z4 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %c6 = arith.constant dense<0.35355339059327373> : tensor<1x2x4x4xf32>
  %s7 = arith.mulf %mm5, %c6 : tensor<1x2x4x4xf32>
  %e12 = tensor.empty() : tensor<1x2x4x4xf32>
  %p13 = linalg.softmax dimension(3) ins(%s7 : tensor<1x2x4x4xf32>) outs(%e12 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %nan = arith.cmpf uno, %p13, %p13 : tensor<1x2x4x4xf32>
  %zeros = arith.constant dense<0.000000e+00> : tensor<1x2x4x4xf32>
  %g = arith.select %nan, %zeros, %p13 : tensor<1x2x4x4xi1>, tensor<1x2x4x4xf32>
  %e14 = tensor.empty() : tensor<1x2x4x8xf32>
  %z15 = linalg.fill ins(%zero : f32) outs(%e14 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  %mm16 = linalg.contract indexing_maps = [affine_map<(b, h, i, e, j) -> (b, h, i, j)>, affine_map<(b, h, i, e, j) -> (b, h, j, e)>, affine_map<(b, h, i, e, j) -> (b, h, i, e)>] ins(%g, %v : tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) outs(%z15 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %mm16 : tensor<1x2x4x8xf32>
}

// -----

// A select on the probabilities that is not the NaN guard (here it puts 1
// where p is NaN) is not attention's.
func.func @not_a_nan_guard(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %e3 = tensor.empty() : tensor<1x2x4x4xf32>
  %z4 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %mm5 = linalg.contract indexing_maps = [affine_map<(b, h, i, j, d) -> (b, h, i, d)>, affine_map<(b, h, i, j, d) -> (b, h, j, d)>, affine_map<(b, h, i, j, d) -> (b, h, i, j)>] ins(%q, %k : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) outs(%z4 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %e12 = tensor.empty() : tensor<1x2x4x4xf32>
  // expected-remark @+1 {{not raised to tx.attention: the softmax result does not feed a contraction with V}}
  %p13 = linalg.softmax dimension(3) ins(%mm5 : tensor<1x2x4x4xf32>) outs(%e12 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %nan = arith.cmpf uno, %p13, %p13 : tensor<1x2x4x4xf32>
  %ones = arith.constant dense<1.000000e+00> : tensor<1x2x4x4xf32>
  %g = arith.select %nan, %ones, %p13 : tensor<1x2x4x4xi1>, tensor<1x2x4x4xf32>
  %e14 = tensor.empty() : tensor<1x2x4x8xf32>
  %z15 = linalg.fill ins(%zero : f32) outs(%e14 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  %mm16 = linalg.contract indexing_maps = [affine_map<(b, h, i, e, j) -> (b, h, i, j)>, affine_map<(b, h, i, e, j) -> (b, h, j, e)>, affine_map<(b, h, i, e, j) -> (b, h, i, e)>] ins(%g, %v : tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) outs(%z15 : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %mm16 : tensor<1x2x4x8xf32>
}

// -----

// torch's SDPA decomposition with GQA: the repeated keys [B, Hkv, n_rep, S,
// D] are flattened to [B*H, S, D], transposed in 3-D and reshaped to
// [B, H, D, S]; the values are the usual repeat_kv. Both repetitions are
// stripped: tx.attention reads the 2 KV heads.
// CHECK-LABEL: func.func @sdpa_3d_keys_gqa
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x4x4x8xf32>, %[[K:[^:]+]]: tensor<1x2x4x8xf32>, %[[V:[^:]+]]: tensor<1x2x4x8xf32>)
// CHECK-NOT: linalg.contract
// CHECK: %[[O:.+]] = tx.attention %[[Q]], %[[K]], %[[V]] mask(none) : tensor<1x4x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x4x4x8xf32>
// CHECK-NEXT: return %[[O]]
func.func @sdpa_3d_keys_gqa(%q: tensor<1x4x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x4x4x8xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %e1 = tensor.empty() : tensor<1x2x2x4x8xf32>
  %bk = linalg.broadcast ins(%k : tensor<1x2x4x8xf32>) outs(%e1 : tensor<1x2x2x4x8xf32>) dimensions = [2]
  %k3 = tensor.collapse_shape %bk [[0, 1, 2], [3], [4]] : tensor<1x2x2x4x8xf32> into tensor<4x4x8xf32>
  %e2 = tensor.empty() : tensor<4x8x4xf32>
  %kt3 = linalg.transpose ins(%k3 : tensor<4x4x8xf32>) outs(%e2 : tensor<4x8x4xf32>) permutation = [0, 2, 1]
  %kt = tensor.expand_shape %kt3 [[0, 1], [2], [3]] output_shape [1, 4, 8, 4] : tensor<4x8x4xf32> into tensor<1x4x8x4xf32>
  %c = arith.constant dense<0.594603553> : tensor<1x4x8x4xf32>
  %kts = arith.mulf %kt, %c : tensor<1x4x8x4xf32>
  %cq = arith.constant dense<0.594603553> : tensor<1x4x4x8xf32>
  %qs = arith.mulf %q, %cq : tensor<1x4x4x8xf32>
  %bv = linalg.broadcast ins(%v : tensor<1x2x4x8xf32>) outs(%e1 : tensor<1x2x2x4x8xf32>) dimensions = [2]
  %rv = tensor.collapse_shape %bv [[0], [1, 2], [3], [4]] : tensor<1x2x2x4x8xf32> into tensor<1x4x4x8xf32>
  %e3 = tensor.empty() : tensor<1x4x4x4xf32>
  %z4 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %mm5 = linalg.contract indexing_maps = [affine_map<(b, h, i, j, d) -> (b, h, i, d)>, affine_map<(b, h, i, j, d) -> (b, h, d, j)>, affine_map<(b, h, i, j, d) -> (b, h, i, j)>] ins(%qs, %kts : tensor<1x4x4x8xf32>, tensor<1x4x8x4xf32>) outs(%z4 : tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %e12 = tensor.empty() : tensor<1x4x4x4xf32>
  %p13 = linalg.softmax dimension(3) ins(%mm5 : tensor<1x4x4x4xf32>) outs(%e12 : tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %e14 = tensor.empty() : tensor<1x4x4x8xf32>
  %z15 = linalg.fill ins(%zero : f32) outs(%e14 : tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  %mm16 = linalg.contract indexing_maps = [affine_map<(b, h, i, e, j) -> (b, h, i, j)>, affine_map<(b, h, i, e, j) -> (b, h, j, e)>, affine_map<(b, h, i, e, j) -> (b, h, i, e)>] ins(%p13, %rv : tensor<1x4x4x4xf32>, tensor<1x4x4x8xf32>) outs(%z15 : tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  return %mm16 : tensor<1x4x4x8xf32>
}

// -----

// The same 3-D key path without GQA (GPT-2, BERT): K [B, H, S, D] flattened
// to [B*H, S, D], transposed, reshaped to [B, H, D, S].
// CHECK-LABEL: func.func @sdpa_3d_keys_mha
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<2x2x4x8xf32>, %[[K:[^:]+]]: tensor<2x2x4x8xf32>, %[[V:[^:]+]]: tensor<2x2x4x8xf32>)
// CHECK: %[[O:.+]] = tx.attention %[[Q]], %[[K]], %[[V]] mask(none) : tensor<2x2x4x8xf32>, tensor<2x2x4x8xf32>, tensor<2x2x4x8xf32> -> tensor<2x2x4x8xf32>
// CHECK-NEXT: return %[[O]]
func.func @sdpa_3d_keys_mha(%q: tensor<2x2x4x8xf32>, %k: tensor<2x2x4x8xf32>, %v: tensor<2x2x4x8xf32>) -> tensor<2x2x4x8xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %k3 = tensor.collapse_shape %k [[0, 1], [2], [3]] : tensor<2x2x4x8xf32> into tensor<4x4x8xf32>
  %e2 = tensor.empty() : tensor<4x8x4xf32>
  %kt3 = linalg.transpose ins(%k3 : tensor<4x4x8xf32>) outs(%e2 : tensor<4x8x4xf32>) permutation = [0, 2, 1]
  %kt = tensor.expand_shape %kt3 [[0, 1], [2], [3]] output_shape [2, 2, 8, 4] : tensor<4x8x4xf32> into tensor<2x2x8x4xf32>
  %c = arith.constant dense<0.35355339059327373> : tensor<2x2x8x4xf32>
  %kts = arith.mulf %kt, %c : tensor<2x2x8x4xf32>
  %e3 = tensor.empty() : tensor<2x2x4x4xf32>
  %z4 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<2x2x4x4xf32>) -> tensor<2x2x4x4xf32>
  %mm5 = linalg.contract indexing_maps = [affine_map<(b, h, i, j, d) -> (b, h, i, d)>, affine_map<(b, h, i, j, d) -> (b, h, d, j)>, affine_map<(b, h, i, j, d) -> (b, h, i, j)>] ins(%q, %kts : tensor<2x2x4x8xf32>, tensor<2x2x8x4xf32>) outs(%z4 : tensor<2x2x4x4xf32>) -> tensor<2x2x4x4xf32>
  %e12 = tensor.empty() : tensor<2x2x4x4xf32>
  %p13 = linalg.softmax dimension(3) ins(%mm5 : tensor<2x2x4x4xf32>) outs(%e12 : tensor<2x2x4x4xf32>) -> tensor<2x2x4x4xf32>
  %e14 = tensor.empty() : tensor<2x2x4x8xf32>
  %z15 = linalg.fill ins(%zero : f32) outs(%e14 : tensor<2x2x4x8xf32>) -> tensor<2x2x4x8xf32>
  %mm16 = linalg.contract indexing_maps = [affine_map<(b, h, i, e, j) -> (b, h, i, j)>, affine_map<(b, h, i, e, j) -> (b, h, j, e)>, affine_map<(b, h, i, e, j) -> (b, h, i, e)>] ins(%p13, %v : tensor<2x2x4x4xf32>, tensor<2x2x4x8xf32>) outs(%z15 : tensor<2x2x4x8xf32>) -> tensor<2x2x4x8xf32>
  return %mm16 : tensor<2x2x4x8xf32>
}
