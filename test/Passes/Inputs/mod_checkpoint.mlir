// The model of tx-mod-prune-checkpoint.test: two pre-norm layers of 8
// tokens (h = x + attention, out = h + MLP(norm(h))).
module attributes {tx.weights = "WEIGHTS"} {
func.func @main(%x: tensor<1x8x16xf32>) -> tensor<1x8x16xf32> {
  %g = arith.constant dense<1.0> : tensor<16xf32>
  %w = arith.constant dense<0.5> : tensor<16x16xf32>
  %h0 = tx.layer 0 (%x) : (tensor<1x8x16xf32>) -> tensor<1x8x16xf32> {
  ^bb0(%a: tensor<1x8x16xf32>):
    %r = arith.addf %a, %a : tensor<1x8x16xf32>
    tx.yield %r : tensor<1x8x16xf32>
  }
  %h1 = tx.layer 1 (%h0) : (tensor<1x8x16xf32>) -> tensor<1x8x16xf32> {
  ^bb0(%a: tensor<1x8x16xf32>):
    %n = tx.rms_norm %a, %g {epsilon = 1.0e-5 : f64} : tensor<1x8x16xf32>, tensor<16xf32> -> tensor<1x8x16xf32>
    %q = tensor.expand_shape %n [[0], [1, 2], [3]] output_shape [1, 1, 8, 16] : tensor<1x8x16xf32> into tensor<1x1x8x16xf32>
    %o = tx.attention %q, %q, %q mask(causal) : tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32> -> tensor<1x1x8x16xf32>
    %y = tensor.collapse_shape %o [[0], [1, 2], [3]] : tensor<1x1x8x16xf32> into tensor<1x8x16xf32>
    %h = arith.addf %a, %y : tensor<1x8x16xf32>
    %n2 = tx.rms_norm %h, %g {epsilon = 1.0e-5 : f64} : tensor<1x8x16xf32>, tensor<16xf32> -> tensor<1x8x16xf32>
    %m = tx.linear %n2, %w : tensor<1x8x16xf32>, tensor<16x16xf32> -> tensor<1x8x16xf32>
    %out = arith.addf %h, %m : tensor<1x8x16xf32>
    tx.yield %out : tensor<1x8x16xf32>
  }
  return %h1 : tensor<1x8x16xf32>
}
}
