// RUN: tx-opt %s --tx-weights-to-arguments | FileCheck %s

// Weights become arguments after the inputs (one per distinct name, in
// first-use order); the entry is renamed and made private; the signature is
// recorded with the ONNX names.
// CHECK-LABEL: module attributes
// CHECK-SAME: tx.signature = "{\22format\22:\22txc-model\22,\22inputs\22:[{\22dtype\22:\22i64\22,\22name\22:\22input_ids\22,\22shape\22:[1,4]}],\22outputs\22:[{\22dtype\22:\22f32\22,\22name\22:\22logits\22,\22shape\22:[1,4,8]}],\22version\22:2,\22weights\22:[{\22dtype\22:\22f32\22,\22name\22:\22embed\22,\22shape\22:[8,8]},{\22dtype\22:\22f32\22,\22name\22:\22head\22,\22shape\22:[8,8]}],\22weights_file\22:\22m.safetensors\22}"
// CHECK: func.func private @txc_main(%[[IDS:.+]]: tensor<1x4xi64>, %[[E:.+]]: tensor<8x8xf32>, %[[H:.+]]: tensor<8x8xf32>) -> tensor<1x4x8xf32>
// CHECK-NOT: tx.weight
// CHECK: %[[X:.+]] = tx.embedding %[[E]], %[[IDS]]
// CHECK: tx.linear %[[X]], %[[H]]
module attributes {tx.weights = "m.safetensors"} {
  func.func @main(%ids: tensor<1x4xi64> {tx.name = "input_ids"}) -> (tensor<1x4x8xf32> {tx.name = "logits"}) {
    %e = tx.weight "embed" : tensor<8x8xf32>
    %x = tx.embedding %e, %ids : tensor<8x8xf32>, tensor<1x4xi64> -> tensor<1x4x8xf32>
    %h = tx.weight "head" : tensor<8x8xf32>
    %h2 = tx.weight "head" : tensor<8x8xf32>
    %y = tx.linear %x, %h : tensor<1x4x8xf32>, tensor<8x8xf32> -> tensor<1x4x8xf32>
    %z = tx.linear %y, %h2 : tensor<1x4x8xf32>, tensor<8x8xf32> -> tensor<1x4x8xf32>
    return %z : tensor<1x4x8xf32>
  }
}
