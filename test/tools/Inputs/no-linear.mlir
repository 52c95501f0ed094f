// A model without linear layers (an embedding lookup): txc calibrate has
// nothing to measure. Its weights file is written by the test.
module attributes {tx.weights = "no-linear.safetensors"} {
  func.func @main(%ids: tensor<1x4xi64> {tx.name = "input_ids", tx.role = #tx.input_role<token_ids>})
      -> (tensor<1x4x8xf32> {tx.name = "hidden"}) {
    %e = tx.weight "emb" : tensor<320x8xf32>
    %h = tx.embedding %e, %ids : tensor<320x8xf32>, tensor<1x4xi64> -> tensor<1x4x8xf32>
    return %h : tensor<1x4x8xf32>
  }
}
