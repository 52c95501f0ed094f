// RUN: tx-opt %s --split-input-file --tx-quant-to-kernels --canonicalize | FileCheck %s --implicit-check-not=txcpu.

// (--canonicalize folds the static metadata and hoists the constants.)

// txcpu.qmatmul on dense memrefs: txc_qmatmul(type, x, w, y, M, N, K) with
// element pointers (aligned base as i64), q4_0 = ggml type 2.
// CHECK-DAG: func.func private @txc_qmatmul(i32, i64, i64, i64, i64, i64, i64)
// CHECK-DAG: func.func private @txc_qembed(i32, i64, i64, i64, i64, i64, i64)
// CHECK-LABEL: func.func @qmatmul
// CHECK-SAME: (%[[X:[^:]+]]: memref<4x64xf32>, %[[W:[^:]+]]: memref<8x36xi8>, %[[Y:[^:]+]]: memref<4x8xf32>)
// CHECK-DAG: %[[TYPE:.+]] = arith.constant 2 : i32
// CHECK-DAG: %[[M:.+]] = arith.constant 4 : i64
// CHECK-DAG: %[[N:.+]] = arith.constant 8 : i64
// CHECK-DAG: %[[K:.+]] = arith.constant 64 : i64
// CHECK: %[[XB:.+]], %{{.+}}, %{{.+}}:2, %{{.+}}:2 = memref.extract_strided_metadata %[[X]]
// CHECK: %[[XI:.+]] = memref.extract_aligned_pointer_as_index %[[XB]]
// CHECK: %[[XP:.+]] = arith.index_cast %[[XI]] : index to i64
// CHECK: memref.extract_strided_metadata %[[W]]
// CHECK: %[[WP:.+]] = arith.index_cast
// CHECK: memref.extract_strided_metadata %[[Y]]
// CHECK: %[[YP:.+]] = arith.index_cast
// CHECK: call @txc_qmatmul(%[[TYPE]], %[[XP]], %[[WP]], %[[YP]], %[[M]], %[[N]], %[[K]]) : (i32, i64, i64, i64, i64, i64, i64) -> ()
// CHECK-NEXT: return
func.func @qmatmul(%x: memref<4x64xf32>, %w: memref<8x36xi8>, %y: memref<4x8xf32>) {
  txcpu.qmatmul ins(%x, %w : memref<4x64xf32>, memref<8x36xi8>) outs(%y : memref<4x8xf32>)
      {ggml_type = 2 : i32, in_features = 64 : i64}
  return
}

// -----

// txcpu.qembed: txc_qembed(type, table, rows, K, ids, count, out), q8_0 =
// ggml type 8.
// CHECK-LABEL: func.func @qembed
// CHECK-SAME: (%[[T:[^:]+]]: memref<100x68xi8>, %[[IDS:[^:]+]]: memref<6xi64>, %[[O:[^:]+]]: memref<6x64xf32>)
// CHECK-DAG: %[[TYPE:.+]] = arith.constant 8 : i32
// CHECK-DAG: %[[ROWS:.+]] = arith.constant 100 : i64
// CHECK-DAG: %[[K:.+]] = arith.constant 64 : i64
// CHECK-DAG: %[[COUNT:.+]] = arith.constant 6 : i64
// CHECK: memref.extract_strided_metadata %[[T]]
// CHECK: %[[TP:.+]] = arith.index_cast
// CHECK: memref.extract_strided_metadata %[[IDS]]
// CHECK: %[[IP:.+]] = arith.index_cast
// CHECK: memref.extract_strided_metadata %[[O]]
// CHECK: %[[OP:.+]] = arith.index_cast
// CHECK: call @txc_qembed(%[[TYPE]], %[[TP]], %[[ROWS]], %[[K]], %[[IP]], %[[COUNT]], %[[OP]]) : (i32, i64, i64, i64, i64, i64, i64) -> ()
// CHECK-NEXT: return
func.func @qembed(%t: memref<100x68xi8>, %ids: memref<6xi64>, %out: memref<6x64xf32>) {
  txcpu.qembed ins(%t, %ids : memref<100x68xi8>, memref<6xi64>) outs(%out : memref<6x64xf32>)
      {ggml_type = 8 : i32, in_features = 64 : i64}
  return
}

// -----

// A strided input (every other row of a [8, 64] buffer) is copied into a
// contiguous buffer, passed to the kernel and freed after the call.
// CHECK-LABEL: func.func @strided_input
// CHECK-SAME: (%[[X:[^:]+]]: memref<4x64xf32, strided<[128, 1]>>, %[[W:[^:]+]]: memref<8x36xi8>, %[[Y:[^:]+]]: memref<4x8xf32>)
// CHECK: %[[COPY:.+]] = memref.alloc() : memref<4x64xf32>
// CHECK-NEXT: memref.copy %[[X]], %[[COPY]] : memref<4x64xf32, strided<[128, 1]>> to memref<4x64xf32>
// CHECK: memref.extract_strided_metadata %[[COPY]]
// CHECK: %[[XP:.+]] = arith.index_cast
// CHECK: call @txc_qmatmul(%{{.+}}, %[[XP]], %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}})
// CHECK-NEXT: memref.dealloc %[[COPY]] : memref<4x64xf32>
// CHECK-NEXT: return
func.func @strided_input(%x: memref<4x64xf32, strided<[128, 1]>>, %w: memref<8x36xi8>, %y: memref<4x8xf32>) {
  txcpu.qmatmul ins(%x, %w : memref<4x64xf32, strided<[128, 1]>>, memref<8x36xi8>) outs(%y : memref<4x8xf32>)
      {ggml_type = 2 : i32, in_features = 64 : i64}
  return
}

// -----

// Contiguous views with an offset are read in place: the pointer moves by
// the offset in bytes (64 f32 = 256 bytes; a dynamic offset times 4).
// CHECK-LABEL: func.func @offsets
// CHECK-SAME: (%[[X:[^:]+]]: memref<4x64xf32, strided<[64, 1], offset: 64>>, %[[W:[^:]+]]: memref<8x36xi8>, %[[Y:[^:]+]]: memref<4x8xf32, strided<[8, 1], offset: ?>>)
// CHECK-NOT: memref.copy
// CHECK-DAG: %[[C256:.+]] = arith.constant 256 : index
// CHECK-DAG: %[[C4:.+]] = arith.constant 4 : index
// CHECK: %[[XB:.+]], %{{.+}}, %{{.+}}:2, %{{.+}}:2 = memref.extract_strided_metadata %[[X]]
// CHECK: %[[XI:.+]] = memref.extract_aligned_pointer_as_index %[[XB]]
// CHECK: %[[XA:.+]] = arith.addi %[[XI]], %[[C256]] : index
// CHECK: %[[XP:.+]] = arith.index_cast %[[XA]] : index to i64
// CHECK: %[[YB:.+]], %[[YOFF:.+]], %{{.+}}:2, %{{.+}}:2 = memref.extract_strided_metadata %[[Y]]
// CHECK: %[[YI:.+]] = memref.extract_aligned_pointer_as_index %[[YB]]
// CHECK: %[[YBYTES:.+]] = arith.muli %[[YOFF]], %[[C4]] : index
// CHECK: %[[YA:.+]] = arith.addi %[[YI]], %[[YBYTES]] : index
// CHECK: %[[YP:.+]] = arith.index_cast %[[YA]] : index to i64
// CHECK: call @txc_qmatmul(%{{.+}}, %[[XP]], %{{.+}}, %[[YP]], %{{.+}}, %{{.+}}, %{{.+}})
// CHECK-NOT: memref.dealloc
func.func @offsets(%x: memref<4x64xf32, strided<[64, 1], offset: 64>>, %w: memref<8x36xi8>, %y: memref<4x8xf32, strided<[8, 1], offset: ?>>) {
  txcpu.qmatmul ins(%x, %w : memref<4x64xf32, strided<[64, 1], offset: 64>>, memref<8x36xi8>) outs(%y : memref<4x8xf32, strided<[8, 1], offset: ?>>)
      {ggml_type = 2 : i32, in_features = 64 : i64}
  return
}

// -----

// Dynamic sizes come from the metadata; a table with dynamic strides and
// strided ids are copied (allocations sized by memref.dim).
// CHECK-LABEL: func.func @dynamic
// CHECK-SAME: (%[[X:[^:]+]]: memref<?x64xf32>, %[[W:[^:]+]]: memref<8x36xi8>, %[[Y:[^:]+]]: memref<?x8xf32>, %[[T:[^:]+]]: memref<?x68xi8, strided<[?, 1]>>, %[[IDS:[^:]+]]: memref<?xi64, strided<[2]>>, %[[O:[^:]+]]: memref<?x64xf32>)
// CHECK: %{{.+}}, %{{.+}}, %[[XS:.+]]:2, %{{.+}}:2 = memref.extract_strided_metadata %[[X]]
// CHECK: %[[M:.+]] = arith.index_cast %[[XS]]#0 : index to i64
// CHECK: call @txc_qmatmul(%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %[[M]], %{{.+}}, %{{.+}})
// CHECK: %[[TD:.+]] = memref.dim %[[T]], %{{.+}} : memref<?x68xi8, strided<[?, 1]>>
// CHECK: %[[TC:.+]] = memref.alloc(%[[TD]]) : memref<?x68xi8>
// CHECK: memref.copy %[[T]], %[[TC]]
// CHECK: %{{.+}}, %{{.+}}, %[[TS:.+]]:2, %{{.+}}:2 = memref.extract_strided_metadata %[[TC]]
// CHECK: %[[ID:.+]] = memref.dim %[[IDS]], %{{.+}} : memref<?xi64, strided<[2]>>
// CHECK: %[[IC:.+]] = memref.alloc(%[[ID]]) : memref<?xi64>
// CHECK: memref.copy %[[IDS]], %[[IC]]
// CHECK: %{{.+}}, %{{.+}}, %[[IS:.+]], %{{.+}} = memref.extract_strided_metadata %[[IC]]
// CHECK: %[[ROWS:.+]] = arith.index_cast %[[TS]]#0 : index to i64
// CHECK: %[[COUNT:.+]] = arith.index_cast %[[IS]] : index to i64
// CHECK: call @txc_qembed(%{{.+}}, %{{.+}}, %[[ROWS]], %{{.+}}, %{{.+}}, %[[COUNT]], %{{.+}})
// CHECK-NEXT: memref.dealloc %[[TC]]
// CHECK-NEXT: memref.dealloc %[[IC]]
func.func @dynamic(%x: memref<?x64xf32>, %w: memref<8x36xi8>, %y: memref<?x8xf32>,
                   %t: memref<?x68xi8, strided<[?, 1]>>, %ids: memref<?xi64, strided<[2]>>, %o: memref<?x64xf32>) {
  txcpu.qmatmul ins(%x, %w : memref<?x64xf32>, memref<8x36xi8>) outs(%y : memref<?x8xf32>)
      {ggml_type = 2 : i32, in_features = 64 : i64}
  txcpu.qembed ins(%t, %ids : memref<?x68xi8, strided<[?, 1]>>, memref<?xi64, strided<[2]>>) outs(%o : memref<?x64xf32>)
      {ggml_type = 8 : i32, in_features = 64 : i64}
  return
}

// -----

// Nothing to do: no kernels are declared.
// CHECK-LABEL: func.func @none
// CHECK-NOT: txc_q
func.func @none() {
  return
}

// -----

// From tx IR: tx-lower-to-linalg, bufferization, then the kernel calls.
// RUN: tx-opt %s --split-input-file --tx-lower-to-linalg --eliminate-empty-tensors --empty-tensor-to-alloc-tensor --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --tx-quant-to-kernels | FileCheck %s --check-prefix=PIPE
// PIPE-LABEL: func.func @from_tx
// PIPE: call @txc_qembed
// PIPE: call @txc_qmatmul
// PIPE-NOT: txcpu.
// PIPE: return
func.func @from_tx(%bytes: tensor<100x68xi8>, %ids: tensor<1x4xi64>) -> tensor<1x4x100xf32> {
  %w = tx.qblocks %bytes : tensor<100x68xi8> -> !tx.qweight<100x64, q8_0, group = 32, scale = f16>
  %h = tx.embedding %w, %ids : !tx.qweight<100x64, q8_0, group = 32, scale = f16>, tensor<1x4xi64> -> tensor<1x4x64xf32>
  %l = tx.qlinear %h, %w : tensor<1x4x64xf32>, !tx.qweight<100x64, q8_0, group = 32, scale = f16> -> tensor<1x4x100xf32>
  return %l : tensor<1x4x100xf32>
}

// -----

// txcpu.qmatmul_planar: txc_qmatmul_planar(code_kind, scale_kind, x, codes,
// scales, zeros, tensor_scale, y, M, N, K, group); zeros 0 without zero
// points.
// CHECK-DAG: func.func private @txc_qmatmul_planar(i32, i32, i64, i64, i64, i64, f32, i64, i64, i64, i64, i64)
// CHECK-LABEL: func.func @qmatmul_planar
// CHECK-DAG: %[[CODE:.+]] = arith.constant 4 : i32
// CHECK-DAG: %[[SCALE:.+]] = arith.constant 3 : i32
// CHECK-DAG: %[[NOZ:.+]] = arith.constant 0 : i64
// CHECK-DAG: %[[T:.+]] = arith.constant 2.500000e-01 : f32
// CHECK-DAG: %[[G:.+]] = arith.constant 16 : i64
// CHECK: call @txc_qmatmul_planar(%[[CODE]], %[[SCALE]], %{{.+}}, %{{.+}}, %{{.+}}, %[[NOZ]], %[[T]], %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %[[G]])
func.func @qmatmul_planar(%x: memref<4x64xf32>, %c: memref<8x32xi8>, %s: memref<8x4xf8E4M3FN>, %y: memref<4x8xf32>) {
  txcpu.qmatmul_planar ins(%x, %c, %s : memref<4x64xf32>, memref<8x32xi8>, memref<8x4xf8E4M3FN>) outs(%y : memref<4x8xf32>)
      {code_kind = 4 : i32, scale_kind = 3 : i32, group = 16 : i64, in_features = 64 : i64, tensor_scale = 0.25 : f32}
  return
}

// -----

// CHECK-LABEL: func.func @qmatmul_planar_zeros
// CHECK: %[[ZB:.+]], %{{.+}}, %{{.+}}:2, %{{.+}}:2 = memref.extract_strided_metadata %arg3
// CHECK: %[[ZI:.+]] = memref.extract_aligned_pointer_as_index %[[ZB]]
// CHECK: %[[ZP:.+]] = arith.index_cast %[[ZI]] : index to i64
// CHECK: call @txc_qmatmul_planar(%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %[[ZP]],
func.func @qmatmul_planar_zeros(%x: memref<4x64xf32>, %c: memref<8x32xi8>, %s: memref<8x2xf16>, %z: memref<8x2xi8>, %y: memref<4x8xf32>) {
  txcpu.qmatmul_planar ins(%x, %c, %s zeros %z : memref<4x64xf32>, memref<8x32xi8>, memref<8x2xf16>, memref<8x2xi8>) outs(%y : memref<4x8xf32>)
      {code_kind = 1 : i32, scale_kind = 1 : i32, group = 32 : i64, in_features = 64 : i64, tensor_scale = 1.0 : f32}
  return
}

// -----

// Planar products reading the same input in the same format (query, key,
// value) become one txc_qmatmul_planar_group call at the last of them:
// (code, scale, group, x, M, K, count, then per member codes, scales,
// zeros, tensor_scale, y, N; unused members all zero).
// CHECK-DAG: func.func private @txc_qmatmul_planar_group(i32, i32, i64, i64, i64, i64, i64, i64, i64, i64, f32, i64, i64, i64, i64, i64, f32, i64, i64, i64, i64, i64, f32, i64, i64, i64, i64, i64, f32, i64, i64)
// CHECK-LABEL: func.func @planar_group
// CHECK-DAG: %[[CODE:.+]] = arith.constant 1 : i32
// CHECK-DAG: %[[THREE:.+]] = arith.constant 3 : i64
// CHECK-DAG: %[[ZERO:.+]] = arith.constant 0 : i64
// CHECK-DAG: %[[ONE:.+]] = arith.constant 1.000000e+00 : f32
// CHECK-DAG: %[[FZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG: %[[N8:.+]] = arith.constant 8 : i64
// CHECK-DAG: %[[N4:.+]] = arith.constant 4 : i64
// CHECK-NOT: call
// CHECK: call @txc_qmatmul_planar_group(%[[CODE]], %[[CODE]], %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %[[THREE]], %{{.+}}, %{{.+}}, %[[ZERO]], %[[ONE]], %{{.+}}, %[[N8]], %{{.+}}, %{{.+}}, %[[ZERO]], %[[ONE]], %{{.+}}, %[[N4]], %{{.+}}, %{{.+}}, %[[ZERO]], %[[ONE]], %{{.+}}, %[[N4]], %[[ZERO]], %[[ZERO]], %[[ZERO]], %[[FZERO]], %[[ZERO]], %[[ZERO]])
// CHECK-NEXT: return
func.func @planar_group(%x: memref<2x64xf32>, %cq: memref<8x32xi8>, %sq: memref<8x2xf16>,
                        %ck: memref<4x32xi8>, %sk: memref<4x2xf16>, %cv: memref<4x32xi8>, %sv: memref<4x2xf16>,
                        %q: memref<2x8xf32>, %k: memref<2x4xf32>, %v: memref<2x4xf32>) {
  txcpu.qmatmul_planar ins(%x, %cq, %sq : memref<2x64xf32>, memref<8x32xi8>, memref<8x2xf16>) outs(%q : memref<2x8xf32>)
      {code_kind = 1 : i32, scale_kind = 1 : i32, group = 32 : i64, in_features = 64 : i64, tensor_scale = 1.0 : f32}
  txcpu.qmatmul_planar ins(%x, %ck, %sk : memref<2x64xf32>, memref<4x32xi8>, memref<4x2xf16>) outs(%k : memref<2x4xf32>)
      {code_kind = 1 : i32, scale_kind = 1 : i32, group = 32 : i64, in_features = 64 : i64, tensor_scale = 1.0 : f32}
  txcpu.qmatmul_planar ins(%x, %cv, %sv : memref<2x64xf32>, memref<4x32xi8>, memref<4x2xf16>) outs(%v : memref<2x4xf32>)
      {code_kind = 1 : i32, scale_kind = 1 : i32, group = 32 : i64, in_features = 64 : i64, tensor_scale = 1.0 : f32}
  return
}

// -----

// Not grouped: the second product's result is read before the third
// product (which reads the same input), products with another scale type
// or group, and a write of the input in between.
// CHECK-LABEL: func.func @planar_no_group
// CHECK-NOT: txc_qmatmul_planar_group
// CHECK: call @txc_qmatmul_planar(
// CHECK: call @txc_qmatmul_planar(
// CHECK: memref.copy
// CHECK: call @txc_qmatmul_planar(
// CHECK: call @txc_qmatmul_planar(
// CHECK: linalg.fill
// CHECK: call @txc_qmatmul_planar(
// CHECK-NOT: txc_qmatmul_planar_group
func.func @planar_no_group(%x: memref<2x64xf32>, %c: memref<4x32xi8>, %s: memref<4x2xf16>, %s8: memref<4x2xf32>, %s4: memref<4x4xf16>,
                           %a: memref<2x4xf32>, %b: memref<2x4xf32>, %d: memref<2x4xf32>, %e: memref<2x4xf32>, %f: memref<2x4xf32>,
                           %copy: memref<2x4xf32>) {
  txcpu.qmatmul_planar ins(%x, %c, %s : memref<2x64xf32>, memref<4x32xi8>, memref<4x2xf16>) outs(%a : memref<2x4xf32>)
      {code_kind = 1 : i32, scale_kind = 1 : i32, group = 32 : i64, in_features = 64 : i64, tensor_scale = 1.0 : f32}
  txcpu.qmatmul_planar ins(%x, %c, %s8 : memref<2x64xf32>, memref<4x32xi8>, memref<4x2xf32>) outs(%b : memref<2x4xf32>)
      {code_kind = 1 : i32, scale_kind = 0 : i32, group = 32 : i64, in_features = 64 : i64, tensor_scale = 1.0 : f32}
  memref.copy %a, %copy : memref<2x4xf32> to memref<2x4xf32>
  txcpu.qmatmul_planar ins(%x, %c, %s : memref<2x64xf32>, memref<4x32xi8>, memref<4x2xf16>) outs(%d : memref<2x4xf32>)
      {code_kind = 1 : i32, scale_kind = 1 : i32, group = 32 : i64, in_features = 64 : i64, tensor_scale = 1.0 : f32}
  %zero = arith.constant 0.0 : f32
  txcpu.qmatmul_planar ins(%x, %c, %s4 : memref<2x64xf32>, memref<4x32xi8>, memref<4x4xf16>) outs(%e : memref<2x4xf32>)
      {code_kind = 1 : i32, scale_kind = 1 : i32, group = 16 : i64, in_features = 64 : i64, tensor_scale = 1.0 : f32}
  linalg.fill ins(%zero : f32) outs(%x : memref<2x64xf32>)
  txcpu.qmatmul_planar ins(%x, %c, %s : memref<2x64xf32>, memref<4x32xi8>, memref<4x2xf16>) outs(%f : memref<2x4xf32>)
      {code_kind = 1 : i32, scale_kind = 1 : i32, group = 32 : i64, in_features = 64 : i64, tensor_scale = 1.0 : f32}
  return
}
