// RUN: tx-opt %s --split-input-file --tx-matmul-to-kernels | FileCheck %s

// Dense f32 matmuls (B plain or transposed, as tx.linear lowers) become
// calls of the runtime's GEMM kernel, accumulating into C.
// CHECK: func.func private @txc_sgemm(i64, i64, i64, i64, i64, i64, i32)
// CHECK-LABEL: func.func @plain
// CHECK-SAME: (%[[A:.+]]: memref<4x8xf32>, %[[B:.+]]: memref<8x16xf32>, %[[C:.+]]: memref<4x16xf32>)
// CHECK-DAG: %[[PA:.+]] = memref.extract_aligned_pointer_as_index %[[A]]
// CHECK-DAG: %[[PB:.+]] = memref.extract_aligned_pointer_as_index %[[B]]
// CHECK-DAG: %[[PC:.+]] = memref.extract_aligned_pointer_as_index %[[C]]
// CHECK-DAG: %[[M:.+]] = arith.constant 4 : i64
// CHECK-DAG: %[[N:.+]] = arith.constant 16 : i64
// CHECK-DAG: %[[K:.+]] = arith.constant 8 : i64
// CHECK-DAG: %[[T:.+]] = arith.constant 0 : i32
// CHECK: call @txc_sgemm(%{{.+}}, %{{.+}}, %{{.+}}, %[[M]], %[[N]], %[[K]], %[[T]])
// CHECK-NOT: linalg.matmul
func.func @plain(%a: memref<4x8xf32>, %b: memref<8x16xf32>, %c: memref<4x16xf32>) {
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
  return
}

// CHECK-LABEL: func.func @transposed_b
// CHECK: %[[T1:.+]] = arith.constant 1 : i32
// CHECK: call @txc_sgemm({{.+}}, %[[T1]])
func.func @transposed_b(%a: memref<4x8xf32>, %b: memref<16x8xf32>, %c: memref<4x16xf32>) {
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%a, %b : memref<4x8xf32>, memref<16x8xf32>) outs(%c : memref<4x16xf32>)
  return
}

// Not dense (a strided view), not f32, or on tensors: left alone.
// CHECK-LABEL: func.func @left_alone
// CHECK-COUNT-3: linalg.matmul
func.func @left_alone(%a: memref<4x8xf32, strided<[16, 1]>>, %b: memref<8x16xf32>, %c: memref<4x16xf32>,
                      %ah: memref<4x8xf16>, %bh: memref<8x16xf16>, %ch: memref<4x16xf16>,
                      %at: tensor<4x8xf32>, %bt: tensor<8x16xf32>, %ct: tensor<4x16xf32>) -> tensor<4x16xf32> {
  linalg.matmul ins(%a, %b : memref<4x8xf32, strided<[16, 1]>>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
  linalg.matmul ins(%ah, %bh : memref<4x8xf16>, memref<8x16xf16>) outs(%ch : memref<4x16xf16>)
  %r = linalg.matmul ins(%at, %bt : tensor<4x8xf32>, tensor<8x16xf32>) outs(%ct : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

// In a model entry (txc_main and its tx.signature), a weight used only as
// B of matmuls of one orientation is multiplied packed: the runtime packs it
// at load time, as its signature entry now says. A weight also used
// elsewhere (%w2) keeps the plain call. (The two products of %w1 share A,
// so they become one grouped call.)
// CHECK-LABEL: module attributes
// CHECK-SAME: \22name\22:\22w1\22,\22shape\22:[16,8],\22transposed\22:true
// CHECK-NOT: \22name\22:\22w2\22,{{[^}]*}}layout
// CHECK-DAG: func.func private @txc_sgemm(i64, i64, i64, i64, i64, i64, i32)
// CHECK-LABEL: func.func @txc_main
// CHECK: call @txc_sgemm_packed_group({{[^,]+}}, {{[^,]+}}, {{[^,]+}}, %c2_i64,
// CHECK: call @txc_sgemm(
module attributes {tx.signature = "{\"format\":\"txc-model\",\"inputs\":[{\"dtype\":\"f32\",\"name\":\"x\",\"shape\":[4,8]}],\"outputs\":[],\"version\":1,\"weights\":[{\"dtype\":\"f32\",\"name\":\"w1\",\"shape\":[16,8]},{\"dtype\":\"f32\",\"name\":\"w2\",\"shape\":[8,16]}]}"} {
  func.func @txc_main(%a: memref<4x8xf32>, %w1: memref<16x8xf32>, %w2: memref<8x16xf32>, %c: memref<4x16xf32>, %d: memref<4x16xf32>) {
    linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
        ins(%a, %w1 : memref<4x8xf32>, memref<16x8xf32>) outs(%c : memref<4x16xf32>)
    linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
        ins(%a, %w1 : memref<4x8xf32>, memref<16x8xf32>) outs(%d : memref<4x16xf32>)
    linalg.matmul ins(%a, %w2 : memref<4x8xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
    memref.copy %w2, %w2 : memref<8x16xf32> to memref<8x16xf32>
    return
  }
}

// -----

// Packed products reading the same A become one grouped call at the last
// of them; a write to A in between (the second A content) starts a new
// group, and a read of an earlier member's result in between keeps that
// member out.
// The zero fill right before the second product goes: that member
// overwrites its C (bit 1 of the mask) instead of accumulating.
// CHECK-LABEL: func.func @txc_main({{.*}}%arg9: memref<4x16xf32>)
// CHECK-NOT: linalg.fill ins(%{{.+}} : f32) outs(%arg6
// CHECK: call @txc_sgemm_packed_group({{[^,]+}}, {{[^,]+}}, {{[^,]+}}, %c2_i64{{[_0-9]*}}, %c2_i64{{[_0-9]*}},
// CHECK: linalg.fill ins(%{{.+}} : f32) outs(%arg0
// CHECK: call @txc_sgemm_packed(
// CHECK: memref.copy %arg7, %arg9
// CHECK: call @txc_sgemm_packed(
// CHECK-NOT: call
// CHECK: return
module attributes {tx.signature = "{\"format\":\"txc-model\",\"inputs\":[{\"dtype\":\"f32\",\"name\":\"x\",\"shape\":[4,8]}],\"outputs\":[],\"version\":1,\"weights\":[{\"dtype\":\"f32\",\"name\":\"q\",\"shape\":[16,8]},{\"dtype\":\"f32\",\"name\":\"k\",\"shape\":[16,8]},{\"dtype\":\"f32\",\"name\":\"g\",\"shape\":[16,8]},{\"dtype\":\"f32\",\"name\":\"u\",\"shape\":[16,8]}]}"} {
  func.func @txc_main(%a: memref<4x8xf32>, %q: memref<16x8xf32>, %k: memref<16x8xf32>, %g: memref<16x8xf32>, %u: memref<16x8xf32>,
                      %c1: memref<4x16xf32>, %c2: memref<4x16xf32>, %c3: memref<4x16xf32>, %c4: memref<4x16xf32>, %d: memref<4x16xf32>) {
    %zero = arith.constant 0.0 : f32
    linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
        ins(%a, %q : memref<4x8xf32>, memref<16x8xf32>) outs(%c1 : memref<4x16xf32>)
    linalg.fill ins(%zero : f32) outs(%c2 : memref<4x16xf32>)
    linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
        ins(%a, %k : memref<4x8xf32>, memref<16x8xf32>) outs(%c2 : memref<4x16xf32>)
    linalg.fill ins(%zero : f32) outs(%a : memref<4x8xf32>)
    linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
        ins(%a, %g : memref<4x8xf32>, memref<16x8xf32>) outs(%c3 : memref<4x16xf32>)
    memref.copy %c3, %d : memref<4x16xf32> to memref<4x16xf32>
    linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
        ins(%a, %u : memref<4x8xf32>, memref<16x8xf32>) outs(%c4 : memref<4x16xf32>)
    return
  }
}
