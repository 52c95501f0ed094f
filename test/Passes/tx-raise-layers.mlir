// RUN: tx-opt %s --tx-raise-layers 2>&1 | FileCheck %s

// A GPT-2 decode step: the Conv1D projections read the residual stream
// through a reshape to [B*S, D] (a collapse with S = 1) after the pre-norm.
// The layer is still found: its input is the stream before the reshape and
// the norm, its output the residual add.
// CHECK-NOT: remark
// CHECK-LABEL: func.func @gpt2_step
// CHECK: %[[L:.+]] = tx.layer 0 (%{{.+}}) : (tensor<1x1x64xf32>) -> tensor<1x1x64xf32> {
// CHECK: tx.layer_norm
// CHECK: tensor.collapse_shape
// CHECK: tx.attention
// CHECK: arith.addf
// CHECK: tx.yield
// CHECK: return %[[L]]
func.func @gpt2_step(%x: tensor<1x1x64xf32>, %w: tensor<64x64xf32>, %g: tensor<64xf32>,
                     %k: tensor<1x4x6x16xf32>) -> tensor<1x1x64xf32> {
  %n = tx.layer_norm %x, %g {epsilon = 1.0e-05 : f64} : tensor<1x1x64xf32>, tensor<64xf32> -> tensor<1x1x64xf32>
  %c = tensor.collapse_shape %n [[0], [1, 2]] : tensor<1x1x64xf32> into tensor<1x64xf32>
  %q = tx.linear %c, %w : tensor<1x64xf32>, tensor<64x64xf32> -> tensor<1x64xf32>
  %qe = tensor.expand_shape %q [[0], [1, 2, 3]] output_shape [1, 4, 1, 16] : tensor<1x64xf32> into tensor<1x4x1x16xf32>
  %o = tx.attention %qe, %k, %k mask(none) : tensor<1x4x1x16xf32>, tensor<1x4x6x16xf32>, tensor<1x4x6x16xf32> -> tensor<1x4x1x16xf32>
  %oc = tensor.collapse_shape %o [[0], [1, 2, 3]] : tensor<1x4x1x16xf32> into tensor<1x64xf32>
  %p = tx.linear %oc, %w : tensor<1x64xf32>, tensor<64x64xf32> -> tensor<1x64xf32>
  %pe = tensor.expand_shape %p [[0], [1, 2]] output_shape [1, 1, 64] : tensor<1x64xf32> into tensor<1x1x64xf32>
  %r = arith.addf %pe, %x : tensor<1x1x64xf32>
  return %r : tensor<1x1x64xf32>
}
