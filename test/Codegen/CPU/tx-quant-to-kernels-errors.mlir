// RUN: tx-opt %s --split-input-file --tx-quant-to-kernels -verify-diagnostics

// The pass needs buffers: txcpu.qmatmul or txcpu.qembed on tensors is an
// error.
// expected-error @+1 {{tx-quant-to-kernels: txcpu.qmatmul, txcpu.qmatmul_planar or txcpu.qembed on tensors; run it after bufferization}}
module {
  func.func @tensors(%x: tensor<4x64xf32>, %w: tensor<8x36xi8>, %init: tensor<4x8xf32>) -> tensor<4x8xf32> {
    %y = txcpu.qmatmul ins(%x, %w : tensor<4x64xf32>, tensor<8x36xi8>) outs(%init : tensor<4x8xf32>)
        {ggml_type = 2 : i32, in_features = 64 : i64} -> tensor<4x8xf32>
    return %y : tensor<4x8xf32>
  }
}

// -----

// expected-error @+1 {{tx-quant-to-kernels: txcpu.qmatmul, txcpu.qmatmul_planar or txcpu.qembed on tensors; run it after bufferization}}
module {
  func.func @qembed_tensors(%t: tensor<100x68xi8>, %ids: tensor<4xi64>, %init: tensor<4x64xf32>) -> tensor<4x64xf32> {
    %e = txcpu.qembed ins(%t, %ids : tensor<100x68xi8>, tensor<4xi64>) outs(%init : tensor<4x64xf32>)
        {ggml_type = 8 : i32, in_features = 64 : i64} -> tensor<4x64xf32>
    return %e : tensor<4x64xf32>
  }
}

// -----

// The kernels write dense rows: a strided destination (columns 0..7 of a
// [4, 16] buffer) is an error, not a silent copy back.
module {
  func.func @strided_destination(%x: memref<4x64xf32>, %w: memref<8x36xi8>, %y: memref<4x8xf32, strided<[16, 1]>>) {
    // expected-error @+1 {{tx-quant-to-kernels: the destination of the kernel call is not a contiguous buffer}}
    txcpu.qmatmul ins(%x, %w : memref<4x64xf32>, memref<8x36xi8>) outs(%y : memref<4x8xf32, strided<[16, 1]>>)
        {ggml_type = 2 : i32, in_features = 64 : i64}
    return
  }
}

// -----

module {
  func.func @dynamic_stride_destination(%t: memref<100x68xi8>, %ids: memref<4xi64>, %o: memref<4x64xf32, strided<[?, 1]>>) {
    // expected-error @+1 {{tx-quant-to-kernels: the destination of the kernel call is not a contiguous buffer}}
    txcpu.qembed ins(%t, %ids : memref<100x68xi8>, memref<4xi64>) outs(%o : memref<4x64xf32, strided<[?, 1]>>)
        {ggml_type = 8 : i32, in_features = 64 : i64}
    return
  }
}

// -----

// expected-error @+1 {{tx-quant-to-kernels: txcpu.qmatmul, txcpu.qmatmul_planar or txcpu.qembed on tensors; run it after bufferization}}
module {
  func.func @planar_tensors(%x: tensor<4x64xf32>, %c: tensor<8x32xi8>, %s: tensor<8x2xf16>, %init: tensor<4x8xf32>) -> tensor<4x8xf32> {
    %y = txcpu.qmatmul_planar ins(%x, %c, %s : tensor<4x64xf32>, tensor<8x32xi8>, tensor<8x2xf16>) outs(%init : tensor<4x8xf32>)
        {code_kind = 1 : i32, scale_kind = 1 : i32, group = 32 : i64, in_features = 64 : i64, tensor_scale = 1.0 : f32} -> tensor<4x8xf32>
    return %y : tensor<4x8xf32>
  }
}
