// RUN: tx-opt %s --split-input-file --tx-lower-to-linalg | FileCheck %s
// One-shot bufferization writes the cache argument in place: copies of the
// new keys and values into views of it, and no copy of the cache.
// RUN: tx-opt %s --split-input-file --tx-lower-to-linalg | tx-opt --split-input-file --eliminate-empty-tensors --empty-tensor-to-alloc-tensor --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" | FileCheck %s --check-prefix=BUF
// BUF-LABEL: func.func @contiguous(
// BUF-SAME: %[[C:[^:]+]]: memref<2x2x1x2x16x8xf32>
// BUF-NOT: memref.alloc() {{.*}} memref<2x2x1x2x16x8xf32>
// BUF: %[[SV:.+]] = memref.subview %[[C]]
// BUF: memref.copy %{{.+}}, %[[SV]]
// BUF-NOT: memref.alloc() {{.*}} memref<2x2x1x2x16x8xf32>
// BUF-LABEL: func.func @paged(
// BUF-SAME: %[[P:[^:]+]]: memref<1x2x8x2x4x8xf32>
// BUF-NOT: memref.alloc() {{.*}} memref<1x2x8x2x4x8xf32>
// BUF: memref.copy %{{.+}}, %{{.+}} : memref<2x8xf32, {{.+}}> to memref<2x8xf32
// BUF-NOT: memref.alloc() {{.*}} memref<1x2x8x2x4x8xf32>
// BUF: return

// Contiguous: the cache argument becomes one tensor [layers, 2, B, Hkv,
// capacity, D]; kv_append inserts keys then values at the run-time
// position, kv_view extracts the whole capacity of a layer, and the
// attention kernel op reads it up to kv_length. The chain of inserts on the
// argument is what one-shot bufferization writes in place.
// CHECK-LABEL: func.func @contiguous
// CHECK-SAME: %[[CACHE:[^:]+]]: tensor<2x2x1x2x16x8xf32>
// CHECK-SAME: %[[P:[^:]+]]: index
// CHECK: %[[C1:.+]] = tensor.insert_slice %[[K:[^ ]+]] into %[[CACHE]][1, 0, 0, 0, %[[P]], 0] [1, 1, 1, 2, 1, 8] [1, 1, 1, 1, 1, 1] : tensor<1x2x1x8xf32> into tensor<2x2x1x2x16x8xf32>
// CHECK: %[[C2:.+]] = tensor.insert_slice %[[V:[^ ]+]] into %[[C1]][1, 1, 0, 0, %[[P]], 0]
// CHECK: %[[KV:.+]] = tensor.extract_slice %[[C2]][1, 0, 0, 0, 0, 0] [1, 1, 1, 2, 16, 8] [1, 1, 1, 1, 1, 1] : tensor<2x2x1x2x16x8xf32> to tensor<1x2x16x8xf32>
// CHECK: %[[VV:.+]] = tensor.extract_slice %[[C2]][1, 1, 0, 0, 0, 0]
// CHECK: txcpu.attention mask(causal) ins(%{{.+}}, %[[KV]], %[[VV]] : {{.*}}) kv_length(%{{.+}}) outs
func.func @contiguous(%cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 16, head_dim = 8, f32>,
                      %p: index, %n: index, %q: tensor<1x4x1x8xf32>, %k: tensor<1x2x1x8xf32>, %v: tensor<1x2x1x8xf32>) -> tensor<1x4x1x8xf32> {
  tx.kv_append %cache[1], %k, %v at %p
      : !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 16, head_dim = 8, f32>, tensor<1x2x1x8xf32>, tensor<1x2x1x8xf32>
  %kk, %vv = tx.kv_view %cache[1] length %n
      : !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 16, head_dim = 8, f32> -> tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>
  %o = tx.attention %q, %kk, %vv mask(causal) kv_length(%n) : tensor<1x4x1x8xf32>, tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32> -> tensor<1x4x1x8xf32>
  return %o : tensor<1x4x1x8xf32>
}

// -----

// Paged (blocks of 4): the cache is block pools [layers, 2, B * capacity / 4,
// Hkv, 4, D] plus a new input block_table [B, capacity / 4] i32; kv_append
// writes each row and position into the block the table names, and the
// attention reads the layer's pools through the table.
// CHECK-LABEL: func.func @paged
// CHECK-SAME: %[[CACHE:[^:]+]]: tensor<1x2x8x2x4x8xf32>
// CHECK-SAME: %[[TABLE:[^:]+]]: tensor<2x4xi32> {tx.name = "block_table"}
// CHECK: scf.for %[[B:.+]] = %c0 to %c2 step %c1 iter_args(%[[ACC:.+]] = %[[CACHE]])
// CHECK: scf.for %[[S:.+]] = %c0 to %c3 step %c1
// CHECK: %[[AT:.+]] = arith.addi %{{.+}}, %[[S]]
// CHECK: %[[WHICH:.+]] = arith.divui %[[AT]], %c4
// CHECK: %[[OFF:.+]] = arith.remui %[[AT]], %c4
// CHECK: %[[ID:.+]] = tensor.extract %[[TABLE]][%[[B]], %[[WHICH]]]
// CHECK: %[[BLK:.+]] = arith.index_cast %[[ID]] : i32 to index
// CHECK: tensor.insert_slice %{{.+}} into %{{.+}}[0, 0, %[[BLK]], 0, %[[OFF]], 0] [1, 1, 1, 2, 1, 8]
// CHECK: tensor.insert_slice %{{.+}} into %{{.+}}[0, 1, %[[BLK]], 0, %[[OFF]], 0] [1, 1, 1, 2, 1, 8]
// CHECK: %[[KP:.+]] = tensor.extract_slice %{{.+}}[0, 0, 0, 0, 0, 0] [1, 1, 8, 2, 4, 8] {{.*}} to tensor<8x2x4x8xf32>
// CHECK: %[[VP:.+]] = tensor.extract_slice %{{.+}}[0, 1, 0, 0, 0, 0] [1, 1, 8, 2, 4, 8] {{.*}} to tensor<8x2x4x8xf32>
// CHECK: txcpu.attention mask(causal) ins(%{{.+}}, %[[KP]], %[[VP]] : {{.*}}) kv_length(%{{.+}}) block_table(%[[TABLE]] : tensor<2x4xi32>) outs({{.*}}) {block_size = 4 : i64
func.func @paged(%cache: !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 16, head_dim = 8, f32, paged<4>>,
                 %p: index, %n: index, %q: tensor<2x4x3x8xf32>, %k: tensor<2x2x3x8xf32>) -> tensor<2x4x3x8xf32> {
  tx.kv_append %cache[0], %k, %k at %p
      : !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 16, head_dim = 8, f32, paged<4>>, tensor<2x2x3x8xf32>, tensor<2x2x3x8xf32>
  %kk, %vv = tx.kv_view %cache[0] length %n
      : !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 16, head_dim = 8, f32, paged<4>> -> tensor<2x2x16x8xf32>, tensor<2x2x16x8xf32>
  %o = tx.attention %q, %kk, %vv mask(causal) kv_length(%n) : tensor<2x4x3x8xf32>, tensor<2x2x16x8xf32>, tensor<2x2x16x8xf32> -> tensor<2x4x3x8xf32>
  return %o : tensor<2x4x3x8xf32>
}
