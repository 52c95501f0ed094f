// A layer without the pre-norm residual shape STRing scales
// (tx-mod-prune-checkpoint.test).
module attributes {tx.weights = "WEIGHTS"} {
func.func @main(%x: tensor<1x8x16xf32>) -> tensor<1x8x16xf32> {
  %h0 = tx.layer 0 (%x) : (tensor<1x8x16xf32>) -> tensor<1x8x16xf32> {
  ^bb0(%a: tensor<1x8x16xf32>):
    tx.yield %a : tensor<1x8x16xf32>
  }
  %h1 = tx.layer 1 (%h0) : (tensor<1x8x16xf32>) -> tensor<1x8x16xf32> {
  ^bb0(%a: tensor<1x8x16xf32>):
    %r = arith.mulf %a, %a : tensor<1x8x16xf32>
    tx.yield %r : tensor<1x8x16xf32>
  }
  return %h1 : tensor<1x8x16xf32>
}
}
