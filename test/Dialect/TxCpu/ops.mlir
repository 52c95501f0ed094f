// RUN: tx-opt %s | tx-opt | FileCheck %s
// RUN: tx-opt %s --mlir-print-op-generic | tx-opt | FileCheck %s

// Round trip of txcpu.attention on tensors and on memrefs (strided views,
// broadcast explicit masks, dynamic dimensions), and of txcpu.qmatmul and
// txcpu.qembed on tensors and on memrefs.

// CHECK-LABEL: func.func @tensors
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x8x16x64xf32>, %[[K:[^:]+]]: tensor<1x2x16x64xf32>, %[[V:[^:]+]]: tensor<1x2x16x32xf32>, %[[I:[^:]+]]: tensor<1x8x16x32xf32>)
// CHECK: %[[O:.+]] = txcpu.attention mask(causal) ins(%[[Q]], %[[K]], %[[V]] : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x32xf32>) outs(%[[I]] : tensor<1x8x16x32xf32>) {scale = 1.250000e-01 : f64} -> tensor<1x8x16x32xf32>
// CHECK-NEXT: return %[[O]]
func.func @tensors(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x16x32xf32>, %init: tensor<1x8x16x32xf32>) -> tensor<1x8x16x32xf32> {
  %o = txcpu.attention mask(causal) ins(%q, %k, %v : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x32xf32>)
      outs(%init : tensor<1x8x16x32xf32>) {scale = 0.125 : f64} -> tensor<1x8x16x32xf32>
  return %o : tensor<1x8x16x32xf32>
}

// CHECK-LABEL: func.func @tensors_window_mask
// CHECK: txcpu.attention mask(sliding_window) ins(%{{.+}}, %{{.+}}, %{{.+}} : tensor<2x4x1x16xf32>, tensor<2x4x9x16xf32>, tensor<2x4x9x16xf32>) explicit_mask(%{{.+}} : tensor<2x1x1x9xi1>) outs(%{{.+}} : tensor<2x4x1x16xf32>) {scale = 2.500000e-01 : f64, sinks = 2 : i64, window = 4 : i64} -> tensor<2x4x1x16xf32>
func.func @tensors_window_mask(%q: tensor<2x4x1x16xf32>, %k: tensor<2x4x9x16xf32>, %m: tensor<2x1x1x9xi1>, %init: tensor<2x4x1x16xf32>) -> tensor<2x4x1x16xf32> {
  %o = txcpu.attention mask(sliding_window) ins(%q, %k, %k : tensor<2x4x1x16xf32>, tensor<2x4x9x16xf32>, tensor<2x4x9x16xf32>)
      explicit_mask(%m : tensor<2x1x1x9xi1>) outs(%init : tensor<2x4x1x16xf32>)
      {scale = 0.25 : f64, window = 4 : i64, sinks = 2 : i64} -> tensor<2x4x1x16xf32>
  return %o : tensor<2x4x1x16xf32>
}

// Memrefs: a [B, S, H, D] buffer viewed as [B, H, S, D], a float mask, and
// no result.
// CHECK-LABEL: func.func @memrefs
// CHECK: txcpu.attention mask(none) ins(%{{.+}}, %{{.+}}, %{{.+}} : memref<1x4x8x16xf32, strided<[512, 16, 64, 1]>>, memref<1x4x8x16xf32>, memref<1x4x8x16xf32>) explicit_mask(%{{.+}} : memref<1x4x8x8xf32>) outs(%{{.+}} : memref<1x4x8x16xf32>) {scale = 2.500000e-01 : f64}
// CHECK-NEXT: return
func.func @memrefs(%q: memref<1x4x8x16xf32, strided<[512, 16, 64, 1]>>, %k: memref<1x4x8x16xf32>, %m: memref<1x4x8x8xf32>, %out: memref<1x4x8x16xf32>) {
  txcpu.attention mask(none) ins(%q, %k, %k : memref<1x4x8x16xf32, strided<[512, 16, 64, 1]>>, memref<1x4x8x16xf32>, memref<1x4x8x16xf32>)
      explicit_mask(%m : memref<1x4x8x8xf32>) outs(%out : memref<1x4x8x16xf32>) {scale = 0.25 : f64}
  return
}

// CHECK-LABEL: func.func @dynamic
// CHECK: txcpu.attention mask(causal) {{.*}} : memref<?x8x?x64xf32>, memref<?x2x?x64xf32>, memref<?x2x?x64xf32>) outs(%{{.+}} : memref<?x8x?x64xf32>)
func.func @dynamic(%q: memref<?x8x?x64xf32>, %k: memref<?x2x?x64xf32>, %out: memref<?x8x?x64xf32>) {
  txcpu.attention mask(causal) ins(%q, %k, %k : memref<?x8x?x64xf32>, memref<?x2x?x64xf32>, memref<?x2x?x64xf32>)
      outs(%out : memref<?x8x?x64xf32>) {scale = 0.125 : f64}
  return
}

// CHECK-LABEL: func.func @kv_length
// CHECK: txcpu.attention mask(causal) ins(%{{.+}}, %{{.+}}, %{{.+}} : memref<1x8x1x64xf32>, memref<1x2x256x64xf32>, memref<1x2x256x64xf32>) kv_length(%{{.+}}) outs(%{{.+}} : memref<1x8x1x64xf32>) {scale = 1.250000e-01 : f64}
func.func @kv_length(%q: memref<1x8x1x64xf32>, %k: memref<1x2x256x64xf32>, %n: index, %o: memref<1x8x1x64xf32>) {
  txcpu.attention mask(causal) ins(%q, %k, %k : memref<1x8x1x64xf32>, memref<1x2x256x64xf32>, memref<1x2x256x64xf32>)
      kv_length(%n) outs(%o : memref<1x8x1x64xf32>) {scale = 0.125 : f64}
  return
}

// txcpu.qmatmul: q4_1 (ggml type 3), 64 values per row in 2 blocks of 20
// bytes.
// CHECK-LABEL: func.func @qmatmul_tensors
// CHECK-SAME: (%[[X:[^:]+]]: tensor<4x64xf32>, %[[W:[^:]+]]: tensor<8x40xi8>, %[[I:[^:]+]]: tensor<4x8xf32>)
// CHECK: %[[Y:.+]] = txcpu.qmatmul ins(%[[X]], %[[W]] : tensor<4x64xf32>, tensor<8x40xi8>) outs(%[[I]] : tensor<4x8xf32>) {ggml_type = 3 : i32, in_features = 64 : i64} -> tensor<4x8xf32>
// CHECK-NEXT: return %[[Y]]
func.func @qmatmul_tensors(%x: tensor<4x64xf32>, %w: tensor<8x40xi8>, %init: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y = txcpu.qmatmul ins(%x, %w : tensor<4x64xf32>, tensor<8x40xi8>) outs(%init : tensor<4x8xf32>)
      {ggml_type = 3 : i32, in_features = 64 : i64} -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// Memrefs (q6_k, ggml type 14: 210 bytes per 256 values), a strided input
// and dynamic rows.
// CHECK-LABEL: func.func @qmatmul_memrefs
// CHECK: txcpu.qmatmul ins(%{{.+}}, %{{.+}} : memref<4x256xf32, strided<[512, 1]>>, memref<16x210xi8>) outs(%{{.+}} : memref<4x16xf32>) {ggml_type = 14 : i32, in_features = 256 : i64}
// CHECK-NEXT: txcpu.qmatmul ins(%{{.+}}, %{{.+}} : memref<?x256xf32>, memref<16x210xi8>) outs(%{{.+}} : memref<?x16xf32>) {ggml_type = 14 : i32, in_features = 256 : i64}
// CHECK-NEXT: return
func.func @qmatmul_memrefs(%x: memref<4x256xf32, strided<[512, 1]>>, %w: memref<16x210xi8>, %out: memref<4x16xf32>,
                           %xd: memref<?x256xf32>, %outd: memref<?x16xf32>) {
  txcpu.qmatmul ins(%x, %w : memref<4x256xf32, strided<[512, 1]>>, memref<16x210xi8>) outs(%out : memref<4x16xf32>)
      {ggml_type = 14 : i32, in_features = 256 : i64}
  txcpu.qmatmul ins(%xd, %w : memref<?x256xf32>, memref<16x210xi8>) outs(%outd : memref<?x16xf32>)
      {ggml_type = 14 : i32, in_features = 256 : i64}
  return
}

// txcpu.qembed: q8_0 (ggml type 8), rows of 64 values in 2 blocks of 34
// bytes.
// CHECK-LABEL: func.func @qembed_tensors
// CHECK-SAME: (%[[T:[^:]+]]: tensor<1000x68xi8>, %[[IDS:[^:]+]]: tensor<16xi64>, %[[I:[^:]+]]: tensor<16x64xf32>)
// CHECK: %[[E:.+]] = txcpu.qembed ins(%[[T]], %[[IDS]] : tensor<1000x68xi8>, tensor<16xi64>) outs(%[[I]] : tensor<16x64xf32>) {ggml_type = 8 : i32, in_features = 64 : i64} -> tensor<16x64xf32>
// CHECK-NEXT: return %[[E]]
func.func @qembed_tensors(%table: tensor<1000x68xi8>, %ids: tensor<16xi64>, %init: tensor<16x64xf32>) -> tensor<16x64xf32> {
  %e = txcpu.qembed ins(%table, %ids : tensor<1000x68xi8>, tensor<16xi64>) outs(%init : tensor<16x64xf32>)
      {ggml_type = 8 : i32, in_features = 64 : i64} -> tensor<16x64xf32>
  return %e : tensor<16x64xf32>
}

// Memrefs, bf16 (ggml type 30: 2 bytes per value).
// CHECK-LABEL: func.func @qembed_memrefs
// CHECK: txcpu.qembed ins(%{{.+}}, %{{.+}} : memref<1000x128xi8>, memref<3xi64>) outs(%{{.+}} : memref<3x64xf32>) {ggml_type = 30 : i32, in_features = 64 : i64}
// CHECK-NEXT: return
func.func @qembed_memrefs(%table: memref<1000x128xi8>, %ids: memref<3xi64>, %out: memref<3x64xf32>) {
  txcpu.qembed ins(%table, %ids : memref<1000x128xi8>, memref<3xi64>) outs(%out : memref<3x64xf32>)
      {ggml_type = 30 : i32, in_features = 64 : i64}
  return
}
