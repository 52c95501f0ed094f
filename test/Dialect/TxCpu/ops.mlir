// RUN: tx-opt %s | tx-opt | FileCheck %s
// RUN: tx-opt %s --mlir-print-op-generic | tx-opt | FileCheck %s

// Round trip of txcpu.attention on tensors and on memrefs (strided views,
// broadcast explicit masks, dynamic dimensions).

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
