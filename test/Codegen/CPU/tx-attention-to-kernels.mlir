// RUN: tx-opt %s --split-input-file --tx-attention-to-kernels --canonicalize | FileCheck %s --implicit-check-not=txcpu.attention

// (--canonicalize folds the static metadata and hoists the constants.)

// Dense memrefs: pointers; sizes B, H, Hkv, Sq, Sk, D, Dv; the strides of q,
// k, v and out from the types; the scale, mask kind 1 (causal), window and
// sinks 0; no explicit mask (null pointer, kind 0, zero strides).
// CHECK: func.func private @txc_attention_f32(i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, f32, i32, i64, i64, i64, i32, i64, i64, i64, i64, i64, i64, i64)
// CHECK-LABEL: func.func @causal_gqa
// CHECK-SAME: (%[[Q:[^:]+]]: memref<1x8x16x64xf32>, %[[K:[^:]+]]: memref<1x2x16x64xf32>, %[[V:[^:]+]]: memref<1x2x16x32xf32>, %[[O:[^:]+]]: memref<1x8x16x32xf32>)
// CHECK-DAG: %[[C0_32:.+]] = arith.constant 0 : i32
// CHECK-DAG: %[[C1_32:.+]] = arith.constant 1 : i32
// CHECK-DAG: %[[C0:.+]] = arith.constant 0 : i64
// CHECK-DAG: %[[C1:.+]] = arith.constant 1 : i64
// CHECK-DAG: %[[C2:.+]] = arith.constant 2 : i64
// CHECK-DAG: %[[C8:.+]] = arith.constant 8 : i64
// CHECK-DAG: %[[C16:.+]] = arith.constant 16 : i64
// CHECK-DAG: %[[C32:.+]] = arith.constant 32 : i64
// CHECK-DAG: %[[C64:.+]] = arith.constant 64 : i64
// CHECK-DAG: %[[C512:.+]] = arith.constant 512 : i64
// CHECK-DAG: %[[C1024:.+]] = arith.constant 1024 : i64
// CHECK-DAG: %[[C2048:.+]] = arith.constant 2048 : i64
// CHECK-DAG: %[[C4096:.+]] = arith.constant 4096 : i64
// CHECK-DAG: %[[C8192:.+]] = arith.constant 8192 : i64
// CHECK-DAG: %[[SCALE:.+]] = arith.constant 1.250000e-01 : f32
// CHECK: %[[QB:.+]], %{{.+}}, %{{.+}}:4, %{{.+}}:4 = memref.extract_strided_metadata %[[Q]]
// CHECK: %[[QI:.+]] = memref.extract_aligned_pointer_as_index %[[QB]]
// CHECK: %[[QP:.+]] = arith.index_cast %[[QI]] : index to i64
// CHECK: memref.extract_strided_metadata %[[K]]
// CHECK: %[[KP:.+]] = arith.index_cast
// CHECK: memref.extract_strided_metadata %[[V]]
// CHECK: %[[VP:.+]] = arith.index_cast
// CHECK: memref.extract_strided_metadata %[[O]]
// CHECK: %[[OP:.+]] = arith.index_cast
// CHECK: call @txc_attention_f32(%[[QP]], %[[KP]], %[[VP]], %[[OP]], %[[C1]], %[[C8]], %[[C2]], %[[C16]], %[[C16]], %[[C64]], %[[C32]], %[[C8192]], %[[C1024]], %[[C64]], %[[C1]], %[[C2048]], %[[C1024]], %[[C64]], %[[C1]], %[[C1024]], %[[C512]], %[[C32]], %[[C1]], %[[C4096]], %[[C512]], %[[C32]], %[[C1]], %[[SCALE]], %[[C1_32]], %[[C0]], %[[C0]], %[[C0]], %[[C0_32]], %[[C0]], %[[C0]], %[[C0]], %[[C0]], %[[C0]], %[[C0]], %[[C0]])
func.func @causal_gqa(%q: memref<1x8x16x64xf32>, %k: memref<1x2x16x64xf32>, %v: memref<1x2x16x32xf32>, %out: memref<1x8x16x32xf32>) {
  txcpu.attention mask(causal) ins(%q, %k, %v : memref<1x8x16x64xf32>, memref<1x2x16x64xf32>, memref<1x2x16x32xf32>)
      outs(%out : memref<1x8x16x32xf32>) {scale = 0.125 : f64}
  return
}

// -----

// Sliding window: mask kind 2, window and sinks.
// CHECK-LABEL: func.func @window
// CHECK-DAG: %[[KIND:.+]] = arith.constant 2 : i32
// CHECK-DAG: %[[WINDOW:.+]] = arith.constant 32 : i64
// CHECK-DAG: %[[SINKS:.+]] = arith.constant 5 : i64
// CHECK: call @txc_attention_f32({{(%[^,]+, ){28}()}}%[[KIND]], %[[WINDOW]], %[[SINKS]],
func.func @window(%q: memref<2x4x3x16xf32>, %k: memref<2x1x40x16xf32>, %v: memref<2x1x40x8xf32>, %out: memref<2x4x3x8xf32>) {
  txcpu.attention mask(sliding_window) ins(%q, %k, %v : memref<2x4x3x16xf32>, memref<2x1x40x16xf32>, memref<2x1x40x8xf32>)
      outs(%out : memref<2x4x3x8xf32>) {scale = 0.25 : f64, window = 32 : i64, sinks = 5 : i64}
  return
}

// -----

// A transposed view ([B, S, H, D] seen as [B, H, S, D]) passes its strides;
// its static offset moves the pointer by 3 f32 (12 bytes). An i1 mask [1, 1,
// 1, Sk] is kind 1 with stride 0 for its broadcast dimensions.
// CHECK-LABEL: func.func @strided_and_bool_mask
// CHECK-SAME: (%[[Q:[^:]+]]: memref<1x4x8x16xf32, strided<[512, 16, 64, 1], offset: 3>>, %{{[^:]+}}: memref<1x4x8x16xf32>, %[[M:[^:]+]]: memref<1x1x1x8xi1>
// CHECK-DAG: %[[C12:.+]] = arith.constant 12 : index
// CHECK-DAG: %[[BOOL:.+]] = arith.constant 1 : i32
// CHECK-DAG: %[[C0:.+]] = arith.constant 0 : i64
// CHECK-DAG: %[[C1:.+]] = arith.constant 1 : i64
// CHECK-DAG: %[[C16:.+]] = arith.constant 16 : i64
// CHECK-DAG: %[[C64:.+]] = arith.constant 64 : i64
// CHECK-DAG: %[[C512:.+]] = arith.constant 512 : i64
// CHECK: %[[QB:.+]], %{{.+}}, %{{.+}}:4, %{{.+}}:4 = memref.extract_strided_metadata %[[Q]]
// CHECK: %[[QI:.+]] = memref.extract_aligned_pointer_as_index %[[QB]]
// CHECK: %[[QA:.+]] = arith.addi %[[QI]], %[[C12]] : index
// CHECK: %[[QP:.+]] = arith.index_cast %[[QA]] : index to i64
// CHECK: %[[MB:.+]], %{{.+}}, %{{.+}}:4, %{{.+}}:4 = memref.extract_strided_metadata %[[M]]
// CHECK: %[[MI:.+]] = memref.extract_aligned_pointer_as_index %[[MB]] : memref<i1> -> index
// CHECK: %[[MP:.+]] = arith.index_cast %[[MI]] : index to i64
// CHECK: call @txc_attention_f32(%[[QP]], {{(%[^,]+, ){10}()}}%[[C512]], %[[C16]], %[[C64]], %[[C1]], {{(%[^,]+, ){16}()}}%[[MP]], %[[BOOL]], %[[C0]], %[[C0]], %[[C0]], %[[C1]], %[[C0]], %[[C0]], %[[C0]])
func.func @strided_and_bool_mask(%q: memref<1x4x8x16xf32, strided<[512, 16, 64, 1], offset: 3>>, %k: memref<1x4x8x16xf32>, %m: memref<1x1x1x8xi1>, %out: memref<1x4x8x16xf32>) {
  txcpu.attention mask(none) ins(%q, %k, %k : memref<1x4x8x16xf32, strided<[512, 16, 64, 1], offset: 3>>, memref<1x4x8x16xf32>, memref<1x4x8x16xf32>)
      explicit_mask(%m : memref<1x1x1x8xi1>) outs(%out : memref<1x4x8x16xf32>) {scale = 0.25 : f64}
  return
}

// -----

// Dynamic layouts (as function arguments get with fully dynamic layouts)
// and sizes come from memref.extract_strided_metadata; a float mask is kind
// 2, and its size-1 dimensions still have stride 0.
// CHECK-LABEL: func.func @dynamic_float_mask
// CHECK-SAME: (%[[Q:[^:]+]]: memref<?x2x4x8xf32, strided<[?, ?, ?, ?], offset: ?>>
// CHECK-DAG: %[[C4:.+]] = arith.constant 4 : index
// CHECK-DAG: %[[FLOAT:.+]] = arith.constant 2 : i32
// CHECK-DAG: %[[C0:.+]] = arith.constant 0 : i64
// CHECK: %[[QB:.+]], %[[QOFF:.+]], %[[QSIZES:.+]]:4, %[[QSTRIDES:.+]]:4 = memref.extract_strided_metadata %[[Q]]
// CHECK: %[[QI:.+]] = memref.extract_aligned_pointer_as_index %[[QB]]
// CHECK: %[[OFFB:.+]] = arith.muli %[[QOFF]], %[[C4]] : index
// CHECK: %[[QA:.+]] = arith.addi %[[QI]], %[[OFFB]] : index
// CHECK: %[[QP:.+]] = arith.index_cast %[[QA]] : index to i64
// CHECK: %[[S0:.+]] = arith.index_cast %[[QSTRIDES]]#0 : index to i64
// CHECK: %[[S1:.+]] = arith.index_cast %[[QSTRIDES]]#1 : index to i64
// CHECK: %[[S2:.+]] = arith.index_cast %[[QSTRIDES]]#2 : index to i64
// CHECK: %[[S3:.+]] = arith.index_cast %[[QSTRIDES]]#3 : index to i64
// CHECK: %[[B:.+]] = arith.index_cast %[[QSIZES]]#0 : index to i64
// CHECK: %{{.+}}, %{{.+}}, %{{.+}}:4, %[[MSTRIDES:.+]]:4 = memref.extract_strided_metadata %{{.+}} : memref<?x1x4x4xf32
// CHECK: %[[MS0:.+]] = arith.index_cast %[[MSTRIDES]]#0 : index to i64
// CHECK: %[[MS2:.+]] = arith.index_cast %[[MSTRIDES]]#2 : index to i64
// CHECK: %[[MS3:.+]] = arith.index_cast %[[MSTRIDES]]#3 : index to i64
// CHECK: call @txc_attention_f32(%[[QP]], {{(%[^,]+, ){3}()}}%[[B]], {{(%[^,]+, ){6}()}}%[[S0]], %[[S1]], %[[S2]], %[[S3]], {{(%[^,]+, ){17}()}}%[[FLOAT]], %[[MS0]], %[[C0]], %[[MS2]], %[[MS3]],
func.func @dynamic_float_mask(%q: memref<?x2x4x8xf32, strided<[?, ?, ?, ?], offset: ?>>, %m: memref<?x1x4x4xf32, strided<[?, ?, ?, ?], offset: ?>>, %out: memref<?x2x4x8xf32>) {
  txcpu.attention mask(none) ins(%q, %q, %q : memref<?x2x4x8xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x2x4x8xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x2x4x8xf32, strided<[?, ?, ?, ?], offset: ?>>)
      explicit_mask(%m : memref<?x1x4x4xf32, strided<[?, ?, ?, ?], offset: ?>>) outs(%out : memref<?x2x4x8xf32>) {scale = 0.25 : f64}
  return
}

// -----

// With kv_length, the kernel gets it as the number of keys; the strides
// stay those of the whole cache.
// CHECK-LABEL: func.func @kv_length
// CHECK-SAME: %[[N:[^:]+]]: index
// CHECK-DAG: %[[KEYS:.+]] = arith.index_cast %[[N]] : index to i64
// CHECK-DAG: %[[KV:.+]] = arith.constant 2 : i64
// CHECK-DAG: %[[ONE:.+]] = arith.constant 1 : i64
// CHECK-DAG: %[[EIGHT:.+]] = arith.constant 8 : i64
// CHECK: call @txc_attention_f32({{(%[^,]+, ){4}()}}%[[ONE]], %[[EIGHT]], %[[KV]], %[[ONE]], %[[KEYS]],
func.func @kv_length(%q: memref<1x8x1x64xf32>, %k: memref<1x2x256x64xf32>, %n: index, %o: memref<1x8x1x64xf32>) {
  txcpu.attention mask(causal) ins(%q, %k, %k : memref<1x8x1x64xf32>, memref<1x2x256x64xf32>, memref<1x2x256x64xf32>)
      kv_length(%n) outs(%o : memref<1x8x1x64xf32>) {scale = 0.125 : f64}
  return
}

// -----

// A paged cache: key and value are block pools; the kernel gets the block
// table's pointer, the block size and the table's row stride (the pool's
// block stride stands where the batch stride would).
// CHECK-LABEL: func.func @paged
// CHECK-SAME: %[[T:[^:]+]]: memref<1x4xi32>
// CHECK-DAG: %[[BS:.+]] = arith.constant 16 : i64
// CHECK-DAG: %[[BLOCK:.+]] = arith.constant 2048 : i64
// CHECK-DAG: %[[ROW:.+]] = arith.constant 4 : i64
// CHECK: call @txc_attention_f32({{(%[^,]+, ){15}()}}%[[BLOCK]], {{(%[^,]+, ){21}()}}%{{[^,]+}}, %[[BS]], %[[ROW]])
func.func @paged(%q: memref<1x8x1x64xf32>, %k: memref<4x2x16x64xf32>, %n: index, %t: memref<1x4xi32>, %o: memref<1x8x1x64xf32>) {
  txcpu.attention mask(causal) ins(%q, %k, %k : memref<1x8x1x64xf32>, memref<4x2x16x64xf32>, memref<4x2x16x64xf32>)
      kv_length(%n) block_table(%t : memref<1x4xi32>) outs(%o : memref<1x8x1x64xf32>) {block_size = 16 : i64, scale = 0.125 : f64}
  return
}
