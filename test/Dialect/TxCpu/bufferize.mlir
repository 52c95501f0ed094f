// RUN: tx-opt %s --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" | FileCheck %s

// txcpu.attention bufferizes destination-style: its result is the buffer of
// `init`, which is only written, so an empty init becomes a plain
// allocation and nothing is copied.
// CHECK-LABEL: func.func @empty_init
// CHECK-SAME: (%[[Q:[^:]+]]: memref<1x8x16x64xf32>, %[[K:[^:]+]]: memref<1x2x16x64xf32>, %[[M:[^:]+]]: memref<1x1x16x16xi1>)
// CHECK: %[[OUT:.+]] = memref.alloc() {{.*}} : memref<1x8x16x64xf32>
// CHECK-NOT: memref.copy
// CHECK: txcpu.attention mask(causal) ins(%[[Q]], %[[K]], %[[K]] : memref<1x8x16x64xf32>, memref<1x2x16x64xf32>, memref<1x2x16x64xf32>) explicit_mask(%[[M]] : memref<1x1x16x16xi1>) outs(%[[OUT]] : memref<1x8x16x64xf32>) {scale = 1.250000e-01 : f64}
// CHECK-NEXT: return %[[OUT]]
func.func @empty_init(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf32>, %m: tensor<1x1x16x16xi1>) -> tensor<1x8x16x64xf32> {
  %init = tensor.empty() : tensor<1x8x16x64xf32>
  %o = txcpu.attention mask(causal) ins(%q, %k, %k : tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32>)
      explicit_mask(%m : tensor<1x1x16x16xi1>) outs(%init : tensor<1x8x16x64xf32>) {scale = 0.125 : f64} -> tensor<1x8x16x64xf32>
  return %o : tensor<1x8x16x64xf32>
}

// Writing into a function argument that is read afterwards needs a fresh
// buffer, still without a copy of its old contents.
// CHECK-LABEL: func.func @init_read_later
// CHECK-SAME: (%[[Q:[^:]+]]: memref<1x2x4x8xf32>)
// CHECK: %[[OUT:.+]] = memref.alloc() {{.*}} : memref<1x2x4x8xf32>
// CHECK-NOT: memref.copy
// CHECK: txcpu.attention mask(none) {{.*}} outs(%[[OUT]] : memref<1x2x4x8xf32>)
func.func @init_read_later(%q: tensor<1x2x4x8xf32>) -> (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) {
  %o = txcpu.attention mask(none) ins(%q, %q, %q : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>)
      outs(%q : tensor<1x2x4x8xf32>) {scale = 1.0 : f64} -> tensor<1x2x4x8xf32>
  return %o, %q : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>
}

// An input used as `init` is read while the op writes: the output gets a
// fresh buffer even when the input is dead afterwards.
// CHECK-LABEL: func.func @input_as_init
// CHECK: linalg.copy ins(%{{.+}} : memref<1x2x4x8xf32>) outs(%[[IN:.+]] : memref<1x2x4x8xf32>)
// CHECK: %[[OUT:.+]] = memref.alloc() {{.*}} : memref<1x2x4x8xf32>
// CHECK: txcpu.attention mask(none) ins(%[[IN]], %[[IN]], %[[IN]] : {{.*}}) outs(%[[OUT]] : memref<1x2x4x8xf32>)
// CHECK-NEXT: return %[[OUT]]
func.func @input_as_init() -> tensor<1x2x4x8xf32> {
  %c = arith.constant dense<1.0> : tensor<1x2x4x8xf32>
  %e = tensor.empty() : tensor<1x2x4x8xf32>
  %q = linalg.copy ins(%c : tensor<1x2x4x8xf32>) outs(%e : tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  %o = txcpu.attention mask(none) ins(%q, %q, %q : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>)
      outs(%q : tensor<1x2x4x8xf32>) {scale = 1.0 : f64} -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// txcpu.qmatmul and txcpu.qembed bufferize the same way: the weight bytes,
// input and ids are read where they are, the empty init becomes the output
// allocation, nothing is copied.
// CHECK-LABEL: func.func @qmatmul_qembed
// CHECK-SAME: (%[[X:[^:]+]]: memref<4x64xf32>, %[[W:[^:]+]]: memref<8x36xi8>, %[[IDS:[^:]+]]: memref<4xi64>)
// CHECK-NOT: memref.copy
// CHECK: %[[Y:.+]] = memref.alloc() {{.*}} : memref<4x8xf32>
// CHECK: txcpu.qmatmul ins(%[[X]], %[[W]] : memref<4x64xf32>, memref<8x36xi8>) outs(%[[Y]] : memref<4x8xf32>) {ggml_type = 2 : i32, in_features = 64 : i64}
// CHECK: %[[E:.+]] = memref.alloc() {{.*}} : memref<4x64xf32>
// CHECK: txcpu.qembed ins(%[[W]], %[[IDS]] : memref<8x36xi8>, memref<4xi64>) outs(%[[E]] : memref<4x64xf32>) {ggml_type = 2 : i32, in_features = 64 : i64}
// CHECK-NOT: memref.copy
// CHECK: return %[[Y]], %[[E]]
func.func @qmatmul_qembed(%x: tensor<4x64xf32>, %w: tensor<8x36xi8>, %ids: tensor<4xi64>) -> (tensor<4x8xf32>, tensor<4x64xf32>) {
  %init = tensor.empty() : tensor<4x8xf32>
  %y = txcpu.qmatmul ins(%x, %w : tensor<4x64xf32>, tensor<8x36xi8>) outs(%init : tensor<4x8xf32>)
      {ggml_type = 2 : i32, in_features = 64 : i64} -> tensor<4x8xf32>
  %init2 = tensor.empty() : tensor<4x64xf32>
  %e = txcpu.qembed ins(%w, %ids : tensor<8x36xi8>, tensor<4xi64>) outs(%init2 : tensor<4x64xf32>)
      {ggml_type = 2 : i32, in_features = 64 : i64} -> tensor<4x64xf32>
  return %y, %e : tensor<4x8xf32>, tensor<4x64xf32>
}
