// A tx.layer whose yield does not match its result type (errors.c).
func.func @bad(%x: tensor<4xf32>) -> tensor<4xf32> {
  %h = tx.layer 0 (%x) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %y = arith.constant dense<1.0> : tensor<8xf32>
    tx.yield %y : tensor<8xf32>
  }
  return %h : tensor<4xf32>
}
