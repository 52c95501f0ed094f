// RUN: tx-opt %s --tx-attention-to-kernels -verify-diagnostics

// The pass needs buffers: txcpu.kv_quant_append on tensors is an error.
// expected-error @+1 {{tx-attention-to-kernels: txcpu.kv_quant_append on tensors; run it after bufferization}}
module {
  func.func @tensors(%k: tensor<1x2x1x8xf32>, %c: tensor<1x2x1x2x16x12xi8>, %p: index) -> tensor<1x2x1x2x16x12xi8> {
    %r = txcpu.kv_quant_append ins(%k : tensor<1x2x1x8xf32>) position(%p) outs(%c : tensor<1x2x1x2x16x12xi8>) {kv = 0 : i64, kv_format = 1 : i32, layer = 0 : i64} -> tensor<1x2x1x2x16x12xi8>
    return %r : tensor<1x2x1x2x16x12xi8>
  }
}
