// RUN: tx-opt %s --split-input-file --tx-raise-norms | FileCheck %s
// RUN: tx-opt %s --split-input-file --tx-raise-norms --verify-diagnostics -o /dev/null

// Decomposed RMSNorm and LayerNorm as the ONNX importer emits them (keepdims
// as tensor.expand_shape, broadcasting as linalg.broadcast) raise to one op;
// near misses stay decomposed and say why in a remark.

// Llama (torch export): pow 2, ReduceMean, add eps, sqrt, reciprocal, mul,
// weight on the left.
// CHECK-LABEL: func.func @rms_pow_reciprocal
// CHECK-SAME: (%[[X:[^:]+]]: tensor<2x4x8xf32>, %[[W:[^:]+]]: tensor<8xf32>)
// CHECK-NEXT: %[[N:.+]] = tx.rms_norm %[[X]], %[[W]] {epsilon = 1.000000e-05 : f64} : tensor<2x4x8xf32>, tensor<8xf32> -> tensor<2x4x8xf32>
// CHECK-NEXT: return %[[N]]
func.func @rms_pow_reciprocal(%x: tensor<2x4x8xf32>, %w: tensor<8xf32>) -> tensor<2x4x8xf32> {
  %two = arith.constant dense<2.0> : tensor<2x4x8xf32>
  %zero = arith.constant 0.0 : f32
  %d = arith.constant dense<8.0> : tensor<2x4xf32>
  %eps = arith.constant dense<1.0e-5> : tensor<2x4x1xf32>
  %one = arith.constant dense<1.0> : tensor<2x4x1xf32>
  %sq = math.powf %x, %two : tensor<2x4x8xf32>
  %e0 = tensor.empty() : tensor<2x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e0 : tensor<2x4xf32>) -> tensor<2x4xf32>
  %sum = linalg.reduce ins(%sq : tensor<2x4x8xf32>) outs(%init : tensor<2x4xf32>) dimensions = [2]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  %mean = arith.divf %sum, %d : tensor<2x4xf32>
  %mk = tensor.expand_shape %mean [[0], [1, 2]] output_shape [2, 4, 1] : tensor<2x4xf32> into tensor<2x4x1xf32>
  %var = arith.addf %mk, %eps : tensor<2x4x1xf32>
  %std = math.sqrt %var : tensor<2x4x1xf32>
  %inv = arith.divf %one, %std : tensor<2x4x1xf32>
  %invc = tensor.collapse_shape %inv [[0], [1, 2]] : tensor<2x4x1xf32> into tensor<2x4xf32>
  %e1 = tensor.empty() : tensor<2x4x8xf32>
  %invb = linalg.broadcast ins(%invc : tensor<2x4xf32>) outs(%e1 : tensor<2x4x8xf32>) dimensions = [2]
  %n = arith.mulf %x, %invb : tensor<2x4x8xf32>
  %e2 = tensor.empty() : tensor<2x4x8xf32>
  %wb = linalg.broadcast ins(%w : tensor<8xf32>) outs(%e2 : tensor<2x4x8xf32>) dimensions = [0, 1]
  %y = arith.mulf %wb, %n : tensor<2x4x8xf32>
  return %y : tensor<2x4x8xf32>
}

// -----

// x * x, sum * (1/D), eps first in the add, rsqrt, weight on the right.
// CHECK-LABEL: func.func @rms_mul_rsqrt
// CHECK-SAME: (%[[X:[^:]+]]: tensor<2x4x8xf32>, %[[W:[^:]+]]: tensor<8xf32>)
// CHECK-NEXT: %[[N:.+]] = tx.rms_norm %[[X]], %[[W]] {epsilon = 2.500000e-03 : f64}
// CHECK-NEXT: return %[[N]]
func.func @rms_mul_rsqrt(%x: tensor<2x4x8xf32>, %w: tensor<8xf32>) -> tensor<2x4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %inv_d = arith.constant dense<0.125> : tensor<2x4xf32>
  %eps = arith.constant dense<2.5e-3> : tensor<2x4xf32>
  %sq = arith.mulf %x, %x : tensor<2x4x8xf32>
  %e0 = tensor.empty() : tensor<2x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e0 : tensor<2x4xf32>) -> tensor<2x4xf32>
  %sum = linalg.reduce ins(%sq : tensor<2x4x8xf32>) outs(%init : tensor<2x4xf32>) dimensions = [2]
    (%in: f32, %acc: f32) {
      %s = arith.addf %acc, %in : f32
      linalg.yield %s : f32
    }
  %mean = arith.mulf %inv_d, %sum : tensor<2x4xf32>
  %var = arith.addf %eps, %mean : tensor<2x4xf32>
  %inv = math.rsqrt %var : tensor<2x4xf32>
  %e1 = tensor.empty() : tensor<2x4x8xf32>
  %invb = linalg.broadcast ins(%inv : tensor<2x4xf32>) outs(%e1 : tensor<2x4x8xf32>) dimensions = [2]
  %n = arith.mulf %invb, %x : tensor<2x4x8xf32>
  %e2 = tensor.empty() : tensor<2x4x8xf32>
  %wb = linalg.broadcast ins(%w : tensor<8xf32>) outs(%e2 : tensor<2x4x8xf32>) dimensions = [0, 1]
  %y = arith.mulf %n, %wb : tensor<2x4x8xf32>
  return %y : tensor<2x4x8xf32>
}

// -----

// x / sqrt(..) without a weight: a weight of ones. The epsilon comes from
// the f32 splat as the shortest decimal that reads back as it (1e-6, not
// 9.99999997e-7), and equals the op's default, which is not printed.
// CHECK-LABEL: func.func @rms_div_sqrt_no_weight
// CHECK-SAME: (%[[X:[^:]+]]: tensor<3x8xf32>)
// CHECK-NEXT: %[[ONES:.+]] = arith.constant dense<1.000000e+00> : tensor<8xf32>
// CHECK-NEXT: %[[N:.+]] = tx.rms_norm %[[X]], %[[ONES]] : tensor<3x8xf32>, tensor<8xf32> -> tensor<3x8xf32>
// CHECK-NEXT: return %[[N]]
func.func @rms_div_sqrt_no_weight(%x: tensor<3x8xf32>) -> tensor<3x8xf32> {
  %two = arith.constant dense<2.0> : tensor<3x8xf32>
  %zero = arith.constant 0.0 : f32
  %d = arith.constant dense<8.0> : tensor<3xf32>
  %eps = arith.constant dense<1.0e-6> : tensor<3xf32>
  %sq = math.powf %x, %two : tensor<3x8xf32>
  %e0 = tensor.empty() : tensor<3xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e0 : tensor<3xf32>) -> tensor<3xf32>
  %sum = linalg.reduce ins(%sq : tensor<3x8xf32>) outs(%init : tensor<3xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  %mean = arith.divf %sum, %d : tensor<3xf32>
  %var = arith.addf %mean, %eps : tensor<3xf32>
  %std = math.sqrt %var : tensor<3xf32>
  %e1 = tensor.empty() : tensor<3x8xf32>
  %stdb = linalg.broadcast ins(%std : tensor<3xf32>) outs(%e1 : tensor<3x8xf32>) dimensions = [1]
  %n = arith.divf %x, %stdb : tensor<3x8xf32>
  return %n : tensor<3x8xf32>
}

// -----

// A [1, 1, D] constant weight (broadcast through unit reshapes) is passed as
// a [D] constant with the same values; batch 1 with the statistics collapsed
// to [S] and broadcast along dimensions 0 and 2.
// CHECK-LABEL: func.func @rms_constant_weight
// CHECK-SAME: (%[[X:[^:]+]]: tensor<1x4x4xf32>)
// CHECK-DAG: %[[W:.+]] = arith.constant dense<[5.000000e-01, 1.500000e+00, 2.000000e+00, -1.000000e+00]> : tensor<4xf32>
// CHECK-DAG: %[[N:.+]] = tx.rms_norm %[[X]], %[[W]] {epsilon = 1.000000e-05 : f64}
// CHECK: return %[[N]]
func.func @rms_constant_weight(%x: tensor<1x4x4xf32>) -> tensor<1x4x4xf32> {
  %w = arith.constant dense<[[[0.5, 1.5, 2.0, -1.0]]]> : tensor<1x1x4xf32>
  %two = arith.constant dense<2.0> : tensor<1x4x4xf32>
  %zero = arith.constant 0.0 : f32
  %d = arith.constant dense<4.0> : tensor<1x4xf32>
  %eps = arith.constant dense<1.0e-5> : tensor<1x4xf32>
  %sq = math.powf %x, %two : tensor<1x4x4xf32>
  %e0 = tensor.empty() : tensor<1x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e0 : tensor<1x4xf32>) -> tensor<1x4xf32>
  %sum = linalg.reduce ins(%sq : tensor<1x4x4xf32>) outs(%init : tensor<1x4xf32>) dimensions = [2]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  %mean = arith.divf %sum, %d : tensor<1x4xf32>
  %var = arith.addf %mean, %eps : tensor<1x4xf32>
  %inv = math.rsqrt %var : tensor<1x4xf32>
  %invc = tensor.collapse_shape %inv [[0, 1]] : tensor<1x4xf32> into tensor<4xf32>
  %e1 = tensor.empty() : tensor<1x4x4xf32>
  %invb = linalg.broadcast ins(%invc : tensor<4xf32>) outs(%e1 : tensor<1x4x4xf32>) dimensions = [0, 2]
  %n = arith.mulf %x, %invb : tensor<1x4x4xf32>
  %wc = tensor.collapse_shape %w [[0, 1, 2]] : tensor<1x1x4xf32> into tensor<4xf32>
  %e2 = tensor.empty() : tensor<1x4x4xf32>
  %wb = linalg.broadcast ins(%wc : tensor<4xf32>) outs(%e2 : tensor<1x4x4xf32>) dimensions = [0, 1]
  %y = arith.mulf %n, %wb : tensor<1x4x4xf32>
  return %y : tensor<1x4x4xf32>
}

// -----

// A tx.weight weight; a second user of the normalization keeps the weight
// multiply separate (the raised op has a weight of ones).
// CHECK-LABEL: func.func @rms_weight_op_shared
// CHECK-SAME: (%[[X:[^:]+]]: tensor<2x8xf32>)
// CHECK-DAG: %[[ONES:.+]] = arith.constant dense<1.000000e+00> : tensor<8xf32>
// CHECK-DAG: %[[W:.+]] = tx.weight "model.norm.weight" : tensor<8xf32>
// CHECK: %[[N:.+]] = tx.rms_norm %[[X]], %[[ONES]] {epsilon = 1.000000e-05 : f64}
// CHECK: %[[WB:.+]] = linalg.broadcast ins(%[[W]] : tensor<8xf32>)
// CHECK: %[[Y:.+]] = arith.mulf %[[N]], %[[WB]]
// CHECK: return %[[Y]], %[[N]]
func.func @rms_weight_op_shared(%x: tensor<2x8xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>) {
  %w = tx.weight "model.norm.weight" : tensor<8xf32>
  %zero = arith.constant 0.0 : f32
  %d = arith.constant dense<8.0> : tensor<2xf32>
  %eps = arith.constant dense<1.0e-5> : tensor<2xf32>
  %sq = arith.mulf %x, %x : tensor<2x8xf32>
  %e0 = tensor.empty() : tensor<2xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e0 : tensor<2xf32>) -> tensor<2xf32>
  %sum = linalg.reduce ins(%sq : tensor<2x8xf32>) outs(%init : tensor<2xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  %mean = arith.divf %sum, %d : tensor<2xf32>
  %var = arith.addf %mean, %eps : tensor<2xf32>
  %inv = math.rsqrt %var : tensor<2xf32>
  %e1 = tensor.empty() : tensor<2x8xf32>
  %invb = linalg.broadcast ins(%inv : tensor<2xf32>) outs(%e1 : tensor<2x8xf32>) dimensions = [1]
  %n = arith.mulf %x, %invb : tensor<2x8xf32>
  %e2 = tensor.empty() : tensor<2x8xf32>
  %wb = linalg.broadcast ins(%w : tensor<8xf32>) outs(%e2 : tensor<2x8xf32>) dimensions = [0]
  %y = arith.mulf %n, %wb : tensor<2x8xf32>
  return %y, %n : tensor<2x8xf32>, tensor<2x8xf32>
}

// -----

// Hugging Face's fp16 LlamaRMSNorm: w * truncf(n(extf(x))). The fp32 core is
// raised between the casts (weight of ones); the fp16 weight multiply after
// the truncation stays.
// CHECK-LABEL: func.func @rms_fp16_casts
// CHECK-SAME: (%[[X:[^:]+]]: tensor<2x8xf16>, %[[W:[^:]+]]: tensor<8xf16>)
// CHECK-DAG: %[[ONES:.+]] = arith.constant dense<1.000000e+00> : tensor<8xf32>
// CHECK-DAG: %[[XF:.+]] = arith.extf %[[X]] : tensor<2x8xf16> to tensor<2x8xf32>
// CHECK: %[[N:.+]] = tx.rms_norm %[[XF]], %[[ONES]] {epsilon = 1.000000e-05 : f64} : tensor<2x8xf32>, tensor<8xf32> -> tensor<2x8xf32>
// CHECK-NEXT: %[[T:.+]] = arith.truncf %[[N]] : tensor<2x8xf32> to tensor<2x8xf16>
// CHECK: %[[WB:.+]] = linalg.broadcast ins(%[[W]] : tensor<8xf16>)
// CHECK-NEXT: %[[Y:.+]] = arith.mulf %[[WB]], %[[T]] : tensor<2x8xf16>
// CHECK-NEXT: return %[[Y]]
func.func @rms_fp16_casts(%x16: tensor<2x8xf16>, %w: tensor<8xf16>) -> tensor<2x8xf16> {
  %x = arith.extf %x16 : tensor<2x8xf16> to tensor<2x8xf32>
  %two = arith.constant dense<2.0> : tensor<2x8xf32>
  %zero = arith.constant 0.0 : f32
  %d = arith.constant dense<8.0> : tensor<2xf32>
  %eps = arith.constant dense<1.0e-5> : tensor<2xf32>
  %sq = math.powf %x, %two : tensor<2x8xf32>
  %e0 = tensor.empty() : tensor<2xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e0 : tensor<2xf32>) -> tensor<2xf32>
  %sum = linalg.reduce ins(%sq : tensor<2x8xf32>) outs(%init : tensor<2xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  %mean = arith.divf %sum, %d : tensor<2xf32>
  %var = arith.addf %mean, %eps : tensor<2xf32>
  %inv = math.rsqrt %var : tensor<2xf32>
  %e1 = tensor.empty() : tensor<2x8xf32>
  %invb = linalg.broadcast ins(%inv : tensor<2xf32>) outs(%e1 : tensor<2x8xf32>) dimensions = [1]
  %n = arith.mulf %x, %invb : tensor<2x8xf32>
  %n16 = arith.truncf %n : tensor<2x8xf32> to tensor<2x8xf16>
  %e2 = tensor.empty() : tensor<2x8xf16>
  %wb = linalg.broadcast ins(%w : tensor<8xf16>) outs(%e2 : tensor<2x8xf16>) dimensions = [0]
  %y = arith.mulf %wb, %n16 : tensor<2x8xf16>
  return %y : tensor<2x8xf16>
}

// -----

// GPT-2 / BERT decomposed LayerNorm: ReduceMean, Sub, Pow 2, ReduceMean, Add
// eps, Sqrt, Div, Mul gamma, Add beta.
// CHECK-LABEL: func.func @layer_norm_bias
// CHECK-SAME: (%[[X:[^:]+]]: tensor<2x4x8xf32>, %[[G:[^:]+]]: tensor<8xf32>, %[[B:[^:]+]]: tensor<8xf32>)
// CHECK-NEXT: %[[N:.+]] = tx.layer_norm %[[X]], %[[G]] bias(%[[B]] : tensor<8xf32>) {epsilon = 9.9999999999999998E-13 : f64} : tensor<2x4x8xf32>, tensor<8xf32> -> tensor<2x4x8xf32>
// CHECK-NEXT: return %[[N]]
func.func @layer_norm_bias(%x: tensor<2x4x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<2x4x8xf32> {
  %two = arith.constant dense<2.0> : tensor<2x4x8xf32>
  %zero = arith.constant 0.0 : f32
  %d = arith.constant dense<8.0> : tensor<2x4xf32>
  %eps = arith.constant dense<1.0e-12> : tensor<2x4x1xf32>
  %e0 = tensor.empty() : tensor<2x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e0 : tensor<2x4xf32>) -> tensor<2x4xf32>
  %sum = linalg.reduce ins(%x : tensor<2x4x8xf32>) outs(%init : tensor<2x4xf32>) dimensions = [2]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  %mean = arith.divf %sum, %d : tensor<2x4xf32>
  %e1 = tensor.empty() : tensor<2x4x8xf32>
  %meanb = linalg.broadcast ins(%mean : tensor<2x4xf32>) outs(%e1 : tensor<2x4x8xf32>) dimensions = [2]
  %c = arith.subf %x, %meanb : tensor<2x4x8xf32>
  %sq = math.powf %c, %two : tensor<2x4x8xf32>
  %init2 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<2x4xf32>) -> tensor<2x4xf32>
  %sum2 = linalg.reduce ins(%sq : tensor<2x4x8xf32>) outs(%init2 : tensor<2x4xf32>) dimensions = [2]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  %var = arith.divf %sum2, %d : tensor<2x4xf32>
  %vk = tensor.expand_shape %var [[0], [1, 2]] output_shape [2, 4, 1] : tensor<2x4xf32> into tensor<2x4x1xf32>
  %ve = arith.addf %vk, %eps : tensor<2x4x1xf32>
  %std = math.sqrt %ve : tensor<2x4x1xf32>
  %stdc = tensor.collapse_shape %std [[0], [1, 2]] : tensor<2x4x1xf32> into tensor<2x4xf32>
  %e2 = tensor.empty() : tensor<2x4x8xf32>
  %stdb = linalg.broadcast ins(%stdc : tensor<2x4xf32>) outs(%e2 : tensor<2x4x8xf32>) dimensions = [2]
  %n = arith.divf %c, %stdb : tensor<2x4x8xf32>
  %e3 = tensor.empty() : tensor<2x4x8xf32>
  %gb = linalg.broadcast ins(%g : tensor<8xf32>) outs(%e3 : tensor<2x4x8xf32>) dimensions = [0, 1]
  %y = arith.mulf %n, %gb : tensor<2x4x8xf32>
  %e4 = tensor.empty() : tensor<2x4x8xf32>
  %bb = linalg.broadcast ins(%b : tensor<8xf32>) outs(%e4 : tensor<2x4x8xf32>) dimensions = [0, 1]
  %z = arith.addf %bb, %y : tensor<2x4x8xf32>
  return %z : tensor<2x4x8xf32>
}

// -----

// LayerNorm without weight or bias: a weight of ones, no bias. The centered
// value is computed twice (no CSE); the copies are recognized as equal.
// CHECK-LABEL: func.func @layer_norm_plain
// CHECK-SAME: (%[[X:[^:]+]]: tensor<4x8xf32>)
// CHECK-NEXT: %[[ONES:.+]] = arith.constant dense<1.000000e+00> : tensor<8xf32>
// CHECK-NEXT: %[[N:.+]] = tx.layer_norm %[[X]], %[[ONES]] {epsilon = 1.000000e-03 : f64} : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x8xf32>
// CHECK-NEXT: return %[[N]]
func.func @layer_norm_plain(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %d = arith.constant dense<8.0> : tensor<4xf32>
  %eps = arith.constant dense<1.0e-3> : tensor<4xf32>
  %e0 = tensor.empty() : tensor<4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e0 : tensor<4xf32>) -> tensor<4xf32>
  %sum = linalg.reduce ins(%x : tensor<4x8xf32>) outs(%init : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  %mean = arith.divf %sum, %d : tensor<4xf32>
  %e1 = tensor.empty() : tensor<4x8xf32>
  %meanb = linalg.broadcast ins(%mean : tensor<4xf32>) outs(%e1 : tensor<4x8xf32>) dimensions = [1]
  %c = arith.subf %x, %meanb : tensor<4x8xf32>
  %c2 = arith.subf %x, %meanb : tensor<4x8xf32>
  %sq = arith.mulf %c2, %c2 : tensor<4x8xf32>
  %sum2 = linalg.reduce ins(%sq : tensor<4x8xf32>) outs(%init : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  %var = arith.divf %sum2, %d : tensor<4xf32>
  %ve = arith.addf %var, %eps : tensor<4xf32>
  %inv = math.rsqrt %ve : tensor<4xf32>
  %e2 = tensor.empty() : tensor<4x8xf32>
  %invb = linalg.broadcast ins(%inv : tensor<4xf32>) outs(%e2 : tensor<4x8xf32>) dimensions = [1]
  %n = arith.mulf %c, %invb : tensor<4x8xf32>
  return %n : tensor<4x8xf32>
}

// -----

// LayerNorm with a bias but no weight.
// CHECK-LABEL: func.func @layer_norm_bias_only
// CHECK-SAME: (%[[X:[^:]+]]: tensor<4x8xf32>, %[[B:[^:]+]]: tensor<8xf32>)
// CHECK-NEXT: %[[ONES:.+]] = arith.constant dense<1.000000e+00> : tensor<8xf32>
// CHECK-NEXT: %[[N:.+]] = tx.layer_norm %[[X]], %[[ONES]] bias(%[[B]] : tensor<8xf32>) : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x8xf32>
// CHECK-NEXT: return %[[N]]
func.func @layer_norm_bias_only(%x: tensor<4x8xf32>, %b: tensor<8xf32>) -> tensor<4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %d = arith.constant dense<8.0> : tensor<4xf32>
  %eps = arith.constant dense<1.0e-5> : tensor<4xf32>
  %e0 = tensor.empty() : tensor<4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e0 : tensor<4xf32>) -> tensor<4xf32>
  %sum = linalg.reduce ins(%x : tensor<4x8xf32>) outs(%init : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  %mean = arith.divf %sum, %d : tensor<4xf32>
  %e1 = tensor.empty() : tensor<4x8xf32>
  %meanb = linalg.broadcast ins(%mean : tensor<4xf32>) outs(%e1 : tensor<4x8xf32>) dimensions = [1]
  %c = arith.subf %x, %meanb : tensor<4x8xf32>
  %sq = arith.mulf %c, %c : tensor<4x8xf32>
  %sum2 = linalg.reduce ins(%sq : tensor<4x8xf32>) outs(%init : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  %var = arith.divf %sum2, %d : tensor<4xf32>
  %ve = arith.addf %var, %eps : tensor<4xf32>
  %std = math.sqrt %ve : tensor<4xf32>
  %e2 = tensor.empty() : tensor<4x8xf32>
  %stdb = linalg.broadcast ins(%std : tensor<4xf32>) outs(%e2 : tensor<4x8xf32>) dimensions = [1]
  %n = arith.divf %c, %stdb : tensor<4x8xf32>
  %e3 = tensor.empty() : tensor<4x8xf32>
  %bb = linalg.broadcast ins(%b : tensor<8xf32>) outs(%e3 : tensor<4x8xf32>) dimensions = [0]
  %y = arith.addf %n, %bb : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// A dynamic batch, the divisor a linalg.fill of a scalar constant, no
// epsilon (0).
// CHECK-LABEL: func.func @rms_dynamic_no_eps
// CHECK-SAME: (%[[X:[^:]+]]: tensor<?x8xf32>, %[[W:[^:]+]]: tensor<8xf32>)
// CHECK-NEXT: %[[N:.+]] = tx.rms_norm %[[X]], %[[W]] {epsilon = 0.000000e+00 : f64} : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x8xf32>
// CHECK-NEXT: return %[[N]]
func.func @rms_dynamic_no_eps(%x: tensor<?x8xf32>, %w: tensor<8xf32>) -> tensor<?x8xf32> {
  %c0 = arith.constant 0 : index
  %n0 = tensor.dim %x, %c0 : tensor<?x8xf32>
  %zero = arith.constant 0.0 : f32
  %sq = arith.mulf %x, %x : tensor<?x8xf32>
  %e0 = tensor.empty(%n0) : tensor<?xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e0 : tensor<?xf32>) -> tensor<?xf32>
  %sum = linalg.reduce ins(%sq : tensor<?x8xf32>) outs(%init : tensor<?xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  %d = arith.constant 8.0 : f32
  %de = tensor.empty(%n0) : tensor<?xf32>
  %dd = linalg.fill ins(%d : f32) outs(%de : tensor<?xf32>) -> tensor<?xf32>
  %mean = arith.divf %sum, %dd : tensor<?xf32>
  %inv = math.rsqrt %mean : tensor<?xf32>
  %e1 = tensor.empty(%n0) : tensor<?x8xf32>
  %invb = linalg.broadcast ins(%inv : tensor<?xf32>) outs(%e1 : tensor<?x8xf32>) dimensions = [1]
  %n = arith.mulf %x, %invb : tensor<?x8xf32>
  %e2 = tensor.empty(%n0) : tensor<?x8xf32>
  %wb = linalg.broadcast ins(%w : tensor<8xf32>) outs(%e2 : tensor<?x8xf32>) dimensions = [0]
  %y = arith.mulf %n, %wb : tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// A weight that is not a [D] broadcast (a full [N, D] tensor) is not folded.
// CHECK-LABEL: func.func @rms_full_shape_multiplier
// CHECK-SAME: (%[[X:[^:]+]]: tensor<2x8xf32>, %[[M:[^:]+]]: tensor<2x8xf32>)
// CHECK: %[[N:.+]] = tx.rms_norm %[[X]], %{{.+}} {epsilon = 1.000000e-05 : f64}
// CHECK-NEXT: %[[Y:.+]] = arith.mulf %[[N]], %[[M]]
// CHECK-NEXT: return %[[Y]]
func.func @rms_full_shape_multiplier(%x: tensor<2x8xf32>, %m: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %zero = arith.constant 0.0 : f32
  %d = arith.constant dense<8.0> : tensor<2xf32>
  %eps = arith.constant dense<1.0e-5> : tensor<2xf32>
  %sq = arith.mulf %x, %x : tensor<2x8xf32>
  %e0 = tensor.empty() : tensor<2xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e0 : tensor<2xf32>) -> tensor<2xf32>
  %sum = linalg.reduce ins(%sq : tensor<2x8xf32>) outs(%init : tensor<2xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  %mean = arith.divf %sum, %d : tensor<2xf32>
  %var = arith.addf %mean, %eps : tensor<2xf32>
  %inv = math.rsqrt %var : tensor<2xf32>
  %e1 = tensor.empty() : tensor<2x8xf32>
  %invb = linalg.broadcast ins(%inv : tensor<2xf32>) outs(%e1 : tensor<2x8xf32>) dimensions = [1]
  %n = arith.mulf %x, %invb : tensor<2x8xf32>
  %y = arith.mulf %n, %m : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// Negative: the mean is taken over a dimension that is not the last one.
// CHECK-LABEL: func.func @not_last_axis
// CHECK-NOT: tx.rms_norm
// CHECK: linalg.reduce
// CHECK: return
func.func @not_last_axis(%x: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %zero = arith.constant 0.0 : f32
  %d = arith.constant dense<8.0> : tensor<8xf32>
  %eps = arith.constant dense<1.0e-5> : tensor<8xf32>
  %sq = arith.mulf %x, %x : tensor<8x8xf32>
  %e0 = tensor.empty() : tensor<8xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e0 : tensor<8xf32>) -> tensor<8xf32>
  %sum = linalg.reduce ins(%sq : tensor<8x8xf32>) outs(%init : tensor<8xf32>) dimensions = [0]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  %mean = arith.divf %sum, %d : tensor<8xf32>
  %var = arith.addf %mean, %eps : tensor<8xf32>
  %inv = math.rsqrt %var : tensor<8xf32>
  %e1 = tensor.empty() : tensor<8x8xf32>
  %invb = linalg.broadcast ins(%inv : tensor<8xf32>) outs(%e1 : tensor<8x8xf32>) dimensions = [1]
  // expected-remark @+1 {{normalization not raised: the reduction is not over the last dimension only}}
  %n = arith.mulf %x, %invb : tensor<8x8xf32>
  return %n : tensor<8x8xf32>
}

// -----

// Negative: the row statistics are broadcast along rows (dimension 0), not
// along the last dimension.
// CHECK-LABEL: func.func @wrong_broadcast
// CHECK-NOT: tx.rms_norm
// CHECK: return
func.func @wrong_broadcast(%x: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %zero = arith.constant 0.0 : f32
  %d = arith.constant dense<8.0> : tensor<8xf32>
  %eps = arith.constant dense<1.0e-5> : tensor<8xf32>
  %sq = arith.mulf %x, %x : tensor<8x8xf32>
  %e0 = tensor.empty() : tensor<8xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e0 : tensor<8xf32>) -> tensor<8xf32>
  %sum = linalg.reduce ins(%sq : tensor<8x8xf32>) outs(%init : tensor<8xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  %mean = arith.divf %sum, %d : tensor<8xf32>
  %var = arith.addf %mean, %eps : tensor<8xf32>
  %inv = math.rsqrt %var : tensor<8xf32>
  %e1 = tensor.empty() : tensor<8x8xf32>
  %invb = linalg.broadcast ins(%inv : tensor<8xf32>) outs(%e1 : tensor<8x8xf32>) dimensions = [0]
  // expected-remark @+1 {{normalization not raised: the statistics are not broadcast along the last dimension}}
  %n = arith.mulf %x, %invb : tensor<8x8xf32>
  return %n : tensor<8x8xf32>
}

// -----

// Negative: the sum is divided by 4, not by the reduced size 8.
// CHECK-LABEL: func.func @wrong_divisor
// CHECK-NOT: tx.rms_norm
// CHECK: return
func.func @wrong_divisor(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %zero = arith.constant 0.0 : f32
  %d = arith.constant dense<4.0> : tensor<2xf32>
  %eps = arith.constant dense<1.0e-5> : tensor<2xf32>
  %sq = arith.mulf %x, %x : tensor<2x8xf32>
  %e0 = tensor.empty() : tensor<2xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e0 : tensor<2xf32>) -> tensor<2xf32>
  %sum = linalg.reduce ins(%sq : tensor<2x8xf32>) outs(%init : tensor<2xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  %mean = arith.divf %sum, %d : tensor<2xf32>
  %var = arith.addf %mean, %eps : tensor<2xf32>
  %inv = math.rsqrt %var : tensor<2xf32>
  %e1 = tensor.empty() : tensor<2x8xf32>
  %invb = linalg.broadcast ins(%inv : tensor<2xf32>) outs(%e1 : tensor<2x8xf32>) dimensions = [1]
  // expected-remark @+1 {{normalization not raised: the sum is not divided by the size of the last dimension (8)}}
  %n = arith.mulf %x, %invb : tensor<2x8xf32>
  return %n : tensor<2x8xf32>
}

// -----

// Negative: the epsilon is not a splat (one value per row).
// CHECK-LABEL: func.func @eps_not_splat
// CHECK-NOT: tx.rms_norm
// CHECK: return
func.func @eps_not_splat(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %zero = arith.constant 0.0 : f32
  %d = arith.constant dense<8.0> : tensor<2xf32>
  %eps = arith.constant dense<[1.0e-5, 1.0e-6]> : tensor<2xf32>
  %sq = arith.mulf %x, %x : tensor<2x8xf32>
  %e0 = tensor.empty() : tensor<2xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e0 : tensor<2xf32>) -> tensor<2xf32>
  %sum = linalg.reduce ins(%sq : tensor<2x8xf32>) outs(%init : tensor<2xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  %mean = arith.divf %sum, %d : tensor<2xf32>
  %var = arith.addf %mean, %eps : tensor<2xf32>
  %inv = math.rsqrt %var : tensor<2xf32>
  %e1 = tensor.empty() : tensor<2x8xf32>
  %invb = linalg.broadcast ins(%inv : tensor<2xf32>) outs(%e1 : tensor<2x8xf32>) dimensions = [1]
  // expected-remark @+1 {{normalization not raised: epsilon is not a splat constant}}
  %n = arith.mulf %x, %invb : tensor<2x8xf32>
  return %n : tensor<2x8xf32>
}

// -----

// Negative: the mean of the squares of y normalizes a different value x.
// CHECK-LABEL: func.func @other_value_squared
// CHECK-NOT: tx.rms_norm
// CHECK: return
func.func @other_value_squared(%x: tensor<2x8xf32>, %y: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %zero = arith.constant 0.0 : f32
  %d = arith.constant dense<8.0> : tensor<2xf32>
  %eps = arith.constant dense<1.0e-5> : tensor<2xf32>
  %sq = arith.mulf %y, %y : tensor<2x8xf32>
  %e0 = tensor.empty() : tensor<2xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e0 : tensor<2xf32>) -> tensor<2xf32>
  %sum = linalg.reduce ins(%sq : tensor<2x8xf32>) outs(%init : tensor<2xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  %mean = arith.divf %sum, %d : tensor<2xf32>
  %var = arith.addf %mean, %eps : tensor<2xf32>
  %inv = math.rsqrt %var : tensor<2xf32>
  %e1 = tensor.empty() : tensor<2x8xf32>
  %invb = linalg.broadcast ins(%inv : tensor<2xf32>) outs(%e1 : tensor<2x8xf32>) dimensions = [1]
  // expected-remark @+1 {{normalization not raised: the squared value is not the normalized value}}
  %n = arith.mulf %x, %invb : tensor<2x8xf32>
  return %n : tensor<2x8xf32>
}

// -----

// Negative for LayerNorm: the subtracted mean is over the wrong axis, so
// the value is not centered; what remains is the RMSNorm of x - m, which is
// raised as such.
// CHECK-LABEL: func.func @layer_norm_bad_center
// CHECK-SAME: (%[[X:[^:]+]]: tensor<8x8xf32>)
// CHECK-NOT: tx.layer_norm
// CHECK: %[[C:.+]] = arith.subf %[[X]]
// CHECK: tx.rms_norm %[[C]]
func.func @layer_norm_bad_center(%x: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %zero = arith.constant 0.0 : f32
  %d = arith.constant dense<8.0> : tensor<8xf32>
  %eps = arith.constant dense<1.0e-5> : tensor<8xf32>
  %e0 = tensor.empty() : tensor<8xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e0 : tensor<8xf32>) -> tensor<8xf32>
  %sum = linalg.reduce ins(%x : tensor<8x8xf32>) outs(%init : tensor<8xf32>) dimensions = [0]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  %mean = arith.divf %sum, %d : tensor<8xf32>
  %e1 = tensor.empty() : tensor<8x8xf32>
  %meanb = linalg.broadcast ins(%mean : tensor<8xf32>) outs(%e1 : tensor<8x8xf32>) dimensions = [1]
  %c = arith.subf %x, %meanb : tensor<8x8xf32>
  %sq = arith.mulf %c, %c : tensor<8x8xf32>
  %sum2 = linalg.reduce ins(%sq : tensor<8x8xf32>) outs(%init : tensor<8xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  %var = arith.divf %sum2, %d : tensor<8xf32>
  %ve = arith.addf %var, %eps : tensor<8xf32>
  %inv = math.rsqrt %ve : tensor<8xf32>
  %e2 = tensor.empty() : tensor<8x8xf32>
  %invb = linalg.broadcast ins(%inv : tensor<8xf32>) outs(%e2 : tensor<8x8xf32>) dimensions = [1]
  %n = arith.mulf %c, %invb : tensor<8x8xf32>
  return %n : tensor<8x8xf32>
}
