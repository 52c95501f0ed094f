// RUN: tx-opt %s --split-input-file --tx-lower-to-linalg | FileCheck %s --implicit-check-not="tx."

// GGUF block-format weights (tx.qblocks) stay in their blocks: tx.qlinear
// becomes txcpu.qmatmul on the row bytes and tx.embedding of such a table
// txcpu.qembed (the runtime's txc_qmatmul / txc_qembed after
// tx-quant-to-kernels). The tx.qblocks disappears.

// q4_0 (ggml type 2): rows of 64 values in 2 blocks of 18 bytes.
// CHECK-LABEL: func.func @qlinear
// CHECK-SAME: (%[[X:[^:]+]]: tensor<4x64xf32>, %[[B:[^:]+]]: tensor<8x36xi8>)
// CHECK: %[[INIT:.+]] = tensor.empty() : tensor<4x8xf32>
// CHECK: %[[Y:.+]] = txcpu.qmatmul ins(%[[X]], %[[B]] : tensor<4x64xf32>, tensor<8x36xi8>) outs(%[[INIT]] : tensor<4x8xf32>) {ggml_type = 2 : i32, in_features = 64 : i64} -> tensor<4x8xf32>
// CHECK-NEXT: return %[[Y]]
func.func @qlinear(%x: tensor<4x64xf32>, %bytes: tensor<8x36xi8>) -> tensor<4x8xf32> {
  %w = tx.qblocks %bytes : tensor<8x36xi8> -> !tx.qweight<8x64, q4_0, group = 32, scale = f16>
  %y = tx.qlinear %x, %w : tensor<4x64xf32>, !tx.qweight<8x64, q4_0, group = 32, scale = f16> -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// 3-D input with bias, q6_k (ggml type 14, 210 bytes per 256 values): the
// input collapsed to [M, K], the bias added by a generic broadcasting it
// over the rows, the result expanded back.
// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[COL:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @qlinear_bias_3d
// CHECK-SAME: (%[[X:[^:]+]]: tensor<2x3x256xf32>, %[[B:[^:]+]]: tensor<16x210xi8>, %[[BIAS:[^:]+]]: tensor<16xf32>)
// CHECK: %[[XM:.+]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1], [2]] : tensor<2x3x256xf32> into tensor<6x256xf32>
// CHECK: %[[INIT:.+]] = tensor.empty() : tensor<6x16xf32>
// CHECK: %[[Y:.+]] = txcpu.qmatmul ins(%[[XM]], %[[B]] : tensor<6x256xf32>, tensor<16x210xi8>) outs(%[[INIT]] : tensor<6x16xf32>) {ggml_type = 14 : i32, in_features = 256 : i64} -> tensor<6x16xf32>
// CHECK: %[[YB:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[COL]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[Y]], %[[BIAS]] : tensor<6x16xf32>, tensor<16xf32>) outs(%{{.+}} : tensor<6x16xf32>)
// CHECK: arith.addf
// CHECK: %[[R:.+]] = tensor.expand_shape %[[YB]] {{\[}}[0, 1], [2]] output_shape [2, 3, 16] : tensor<6x16xf32> into tensor<2x3x16xf32>
// CHECK-NEXT: return %[[R]]
func.func @qlinear_bias_3d(%x: tensor<2x3x256xf32>, %bytes: tensor<16x210xi8>, %bias: tensor<16xf32>) -> tensor<2x3x16xf32> {
  %w = tx.qblocks %bytes : tensor<16x210xi8> -> !tx.qweight<16x256, q6_k, group = 256, scale = f16>
  %y = tx.qlinear %x, %w bias(%bias : tensor<16xf32>)
      : tensor<2x3x256xf32>, !tx.qweight<16x256, q6_k, group = 256, scale = f16> -> tensor<2x3x16xf32>
  return %y : tensor<2x3x16xf32>
}

// -----

// A vector input is one row; the weight reaches the product through a
// tx.layer argument (f16, ggml type 1: 2 bytes per value).
// CHECK-LABEL: func.func @qlinear_vector_in_layer
// CHECK-SAME: (%[[X:[^:]+]]: tensor<64xf32>, %[[B:[^:]+]]: tensor<8x128xi8>)
// CHECK: %[[XM:.+]] = tensor.expand_shape %[[X]] {{\[}}[0, 1]] output_shape [1, 64] : tensor<64xf32> into tensor<1x64xf32>
// CHECK: %[[Y:.+]] = txcpu.qmatmul ins(%[[XM]], %[[B]] : tensor<1x64xf32>, tensor<8x128xi8>) outs(%{{.+}} : tensor<1x8xf32>) {ggml_type = 1 : i32, in_features = 64 : i64} -> tensor<1x8xf32>
// CHECK: %[[R:.+]] = tensor.collapse_shape %[[Y]] {{\[}}[0, 1]] : tensor<1x8xf32> into tensor<8xf32>
// CHECK-NEXT: return %[[R]]
func.func @qlinear_vector_in_layer(%x: tensor<64xf32>, %bytes: tensor<8x128xi8>) -> tensor<8xf32> {
  %w = tx.qblocks %bytes : tensor<8x128xi8> -> !tx.qweight<8x64, f16, group = 1, scale = f16>
  %r = tx.layer 0 (%x, %w) : (tensor<64xf32>, !tx.qweight<8x64, f16, group = 1, scale = f16>) -> tensor<8xf32> {
  ^bb0(%xa: tensor<64xf32>, %wa: !tx.qweight<8x64, f16, group = 1, scale = f16>):
    %y = tx.qlinear %xa, %wa : tensor<64xf32>, !tx.qweight<8x64, f16, group = 1, scale = f16> -> tensor<8xf32>
    tx.yield %y : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}

// -----

// tx.embedding of a q8_0 table (ggml type 8) with 2-D ids: the ids
// flattened to [count], one txcpu.qembed, the rows expanded to
// ids.shape + [hidden].
// CHECK-LABEL: func.func @embedding_2d
// CHECK-SAME: (%[[B:[^:]+]]: tensor<100x68xi8>, %[[IDS:[^:]+]]: tensor<2x3xi64> {tx.index_range = array<i64: 0, 100>})
// CHECK: %[[FLAT:.+]] = tensor.collapse_shape %[[IDS]] {{\[}}[0, 1]] : tensor<2x3xi64> into tensor<6xi64>
// CHECK: %[[INIT:.+]] = tensor.empty() : tensor<6x64xf32>
// CHECK: %[[ROWS:.+]] = txcpu.qembed ins(%[[B]], %[[FLAT]] : tensor<100x68xi8>, tensor<6xi64>) outs(%[[INIT]] : tensor<6x64xf32>) {ggml_type = 8 : i32, in_features = 64 : i64} -> tensor<6x64xf32>
// CHECK: %[[R:.+]] = tensor.expand_shape %[[ROWS]] {{\[}}[0, 1], [2]] output_shape [2, 3, 64] : tensor<6x64xf32> into tensor<2x3x64xf32>
// CHECK-NEXT: return %[[R]]
func.func @embedding_2d(%bytes: tensor<100x68xi8>, %ids: tensor<2x3xi64>) -> tensor<2x3x64xf32> {
  %w = tx.qblocks %bytes : tensor<100x68xi8> -> !tx.qweight<100x64, q8_0, group = 32, scale = f16>
  %e = tx.embedding %w, %ids : !tx.qweight<100x64, q8_0, group = 32, scale = f16>, tensor<2x3xi64> -> tensor<2x3x64xf32>
  return %e : tensor<2x3x64xf32>
}

// -----

// i32 ids are sign-extended to i64 first (q4_k, ggml type 12).
// CHECK-LABEL: func.func @embedding_i32
// CHECK-SAME: (%[[B:[^:]+]]: tensor<100x144xi8>, %[[IDS:[^:]+]]: tensor<5xi32> {tx.index_range = array<i64: 0, 100>})
// CHECK: %[[IDS64:.+]] = linalg.generic {{.*}} ins(%[[IDS]] : tensor<5xi32>) outs(%{{.+}} : tensor<5xi64>)
// CHECK: arith.extsi %{{.+}} : i32 to i64
// CHECK: %[[ROWS:.+]] = txcpu.qembed ins(%[[B]], %[[IDS64]] : tensor<100x144xi8>, tensor<5xi64>) outs(%{{.+}} : tensor<5x256xf32>) {ggml_type = 12 : i32, in_features = 256 : i64} -> tensor<5x256xf32>
// CHECK-NEXT: return %[[ROWS]]
func.func @embedding_i32(%bytes: tensor<100x144xi8>, %ids: tensor<5xi32>) -> tensor<5x256xf32> {
  %w = tx.qblocks %bytes : tensor<100x144xi8> -> !tx.qweight<100x256, q4_k, group = 256, scale = f16>
  %e = tx.embedding %w, %ids : !tx.qweight<100x256, q4_k, group = 256, scale = f16>, tensor<5xi32> -> tensor<5x256xf32>
  return %e : tensor<5x256xf32>
}

// -----

// One id (rank 0): a single row, [1, hidden] collapsed to [hidden].
// CHECK-LABEL: func.func @embedding_scalar
// CHECK-SAME: (%[[B:[^:]+]]: tensor<100x68xi8>, %[[ID:[^:]+]]: tensor<i64> {tx.index_range = array<i64: 0, 100>})
// CHECK: %[[ONE:.+]] = tensor.expand_shape %[[ID]] [] output_shape [1] : tensor<i64> into tensor<1xi64>
// CHECK: %[[ROW:.+]] = txcpu.qembed ins(%[[B]], %[[ONE]] : tensor<100x68xi8>, tensor<1xi64>) outs(%{{.+}} : tensor<1x64xf32>) {ggml_type = 8 : i32, in_features = 64 : i64} -> tensor<1x64xf32>
// CHECK: %[[R:.+]] = tensor.collapse_shape %[[ROW]] {{\[}}[0, 1]] : tensor<1x64xf32> into tensor<64xf32>
// CHECK-NEXT: return %[[R]]
func.func @embedding_scalar(%bytes: tensor<100x68xi8>, %id: tensor<i64>) -> tensor<64xf32> {
  %w = tx.qblocks %bytes : tensor<100x68xi8> -> !tx.qweight<100x64, q8_0, group = 32, scale = f16>
  %e = tx.embedding %w, %id : !tx.qweight<100x64, q8_0, group = 32, scale = f16>, tensor<i64> -> tensor<64xf32>
  return %e : tensor<64xf32>
}

// -----

// A tied table: the same q8_0 bytes feed the embedding and the LM head.
// CHECK-LABEL: func.func @tied
// CHECK-SAME: (%[[B:[^:]+]]: tensor<100x68xi8>, %[[IDS:[^:]+]]: tensor<4xi64> {tx.index_range = array<i64: 0, 100>})
// CHECK: %[[H:.+]] = txcpu.qembed ins(%[[B]], %[[IDS]] : tensor<100x68xi8>, tensor<4xi64>) outs(%{{.+}} : tensor<4x64xf32>)
// CHECK: %[[L:.+]] = txcpu.qmatmul ins(%[[H]], %[[B]] : tensor<4x64xf32>, tensor<100x68xi8>) outs(%{{.+}} : tensor<4x100xf32>) {ggml_type = 8 : i32, in_features = 64 : i64}
// CHECK-NEXT: return %[[L]]
func.func @tied(%bytes: tensor<100x68xi8>, %ids: tensor<4xi64>) -> tensor<4x100xf32> {
  %w = tx.qblocks %bytes : tensor<100x68xi8> -> !tx.qweight<100x64, q8_0, group = 32, scale = f16>
  %h = tx.embedding %w, %ids : !tx.qweight<100x64, q8_0, group = 32, scale = f16>, tensor<4xi64> -> tensor<4x64xf32>
  %l = tx.qlinear %h, %w : tensor<4x64xf32>, !tx.qweight<100x64, q8_0, group = 32, scale = f16> -> tensor<4x100xf32>
  return %l : tensor<4x100xf32>
}
