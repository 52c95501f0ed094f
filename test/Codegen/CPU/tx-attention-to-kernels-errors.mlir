// RUN: tx-opt %s --tx-attention-to-kernels -verify-diagnostics

// The pass needs buffers: txcpu.attention on tensors is an error.
// expected-error @+1 {{tx-attention-to-kernels: txcpu.attention on tensors; run it after bufferization}}
module {
  func.func @tensors(%q: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
    %o = txcpu.attention mask(none) ins(%q, %q, %q : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>)
        outs(%q : tensor<1x2x4x8xf32>) {scale = 1.0 : f64} -> tensor<1x2x4x8xf32>
    return %o : tensor<1x2x4x8xf32>
  }
}
