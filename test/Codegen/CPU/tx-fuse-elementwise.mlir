// RUN: tx-opt %s --tx-fuse-elementwise | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>

// Two elementwise generics fuse into one; the matmul stays a named op even
// when reshapes surround it (upstream's fusion would generalize it).
// CHECK-LABEL: func.func @chain
// CHECK: %[[M:.+]] = linalg.matmul
// CHECK: %[[G:.+]] = linalg.generic {{.+}} ins(%[[M]] :
// CHECK:   arith.mulf
// CHECK:   arith.addf
// CHECK-NOT: linalg.generic
// CHECK: tensor.expand_shape %[[G]]
func.func @chain(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>, %c: tensor<4x16xf32>) -> tensor<2x2x16xf32> {
  %m = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x16xf32>) outs(%c : tensor<4x16xf32>) -> tensor<4x16xf32>
  %e = tensor.empty() : tensor<4x16xf32>
  %x = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%m : tensor<4x16xf32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.mulf %in, %in : f32
    linalg.yield %s : f32
  } -> tensor<4x16xf32>
  %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<4x16xf32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %in : f32
    linalg.yield %s : f32
  } -> tensor<4x16xf32>
  %r = tensor.expand_shape %y [[0, 1], [2]] output_shape [2, 2, 16] : tensor<4x16xf32> into tensor<2x2x16xf32>
  return %r : tensor<2x2x16xf32>
}

// A zero fill two matmuls accumulate into: each gets its own fill of its
// own empty tensor, so bufferization writes each in place instead of
// copying one filled buffer.
// CHECK-LABEL: func.func @shared_fill
// CHECK: %[[E1:.+]] = tensor.empty() : tensor<4x16xf32>
// CHECK: %[[F1:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%[[E1]] :
// CHECK: %[[E2:.+]] = tensor.empty() : tensor<4x16xf32>
// CHECK: %[[F2:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%[[E2]] :
// CHECK-DAG: linalg.matmul {{.+}} outs(%[[F1]] :
// CHECK-DAG: linalg.matmul {{.+}} outs(%[[F2]] :
func.func @shared_fill(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>, %c: tensor<8x16xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x16xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %m1 = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x16xf32>) outs(%f : tensor<4x16xf32>) -> tensor<4x16xf32>
  %m2 = linalg.matmul ins(%a, %c : tensor<4x8xf32>, tensor<8x16xf32>) outs(%f : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %m1, %m2 : tensor<4x16xf32>, tensor<4x16xf32>
}
