// RUN: tx-opt %s --split-input-file --tx-lower-to-linalg | FileCheck %s
// One-shot bufferization keeps the quantized cache in place (no copy of it),
// and tx-attention-to-kernels calls txc_kv_quant_append for each append and
// txc_attention_kvq (strides in bytes, the format last) for the attention.
// RUN: tx-opt %s --split-input-file --tx-lower-to-linalg | tx-opt --split-input-file --eliminate-empty-tensors --empty-tensor-to-alloc-tensor --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" | FileCheck %s --check-prefix=BUF
// RUN: tx-opt %s --split-input-file --tx-lower-to-linalg | tx-opt --split-input-file --eliminate-empty-tensors --empty-tensor-to-alloc-tensor --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" | tx-opt --split-input-file --tx-attention-to-kernels --canonicalize | FileCheck %s --check-prefix=CALL
// BUF-LABEL: func.func @int8(
// BUF-SAME: %[[C:[^:]+]]: memref<2x2x1x2x16x12xi8>
// BUF-NOT: memref.alloc() {{.*}} memref<2x2x1x2x16x12xi8>
// BUF-NOT: memref.copy
// BUF: txcpu.kv_quant_append ins(%{{.+}} : memref<1x2x1x8xf32>) position(%{{.+}}) outs(%[[C]] : memref<2x2x1x2x16x12xi8>) {kv = 0 : i64, kv_format = 1 : i32, layer = 1 : i64}
// BUF: txcpu.kv_quant_append ins(%{{.+}} : memref<1x2x1x8xf32>) position(%{{.+}}) outs(%[[C]] : memref<2x2x1x2x16x12xi8>) {kv = 1 : i64, kv_format = 1 : i32, layer = 1 : i64}
// BUF: %[[KS:.+]] = memref.subview %[[C]][1, 0, 0, 0, 0, 0] [1, 1, 1, 2, 16, 12]
// BUF: txcpu.attention mask(causal) ins(%{{.+}}, %[[KS]], %{{.+}} : {{.*}}) kv_length
// BUF-NOT: memref.copy
// BUF-LABEL: func.func @fp8_paged(
// BUF-NOT: memref.alloc() {{.*}} memref<1x2x8x2x4x12xi8>
// CALL-DAG: func.func private @txc_attention_kvq({{.*}}i64, i64, i64, i32)
// CALL-DAG: func.func private @txc_kv_quant_append(i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i32, i64, i64, i64)
// CALL-LABEL: func.func @int8(
// CALL: call @txc_kv_quant_append(%{{[^,]+}}, %c1_i64, %c2_i64, %c1_i64, %c8_i64, %c16_i64, %c8_i64, %c8_i64, %c1_i64, %{{[^,]+}}, %c768_i64, %c384_i64, %c384_i64, %c192_i64, %c12_i64, %c1_i64, %c0_i64, %{{[^,]+}}, %c1_i32, %c0_i64, %c0_i64, %c0_i64)
// CALL: call @txc_kv_quant_append({{.*}}, %c12_i64, %c1_i64, %c1_i64, %{{[^,]+}}, %c1_i32, %c0_i64, %c0_i64, %c0_i64)
// CALL: call @txc_attention_kvq({{.*}}, %c768_i64, %c192_i64, %c12_i64, %c1_i64, %c768_i64, %c192_i64, %c12_i64, %c1_i64, {{.*}}, %c1_i32)
// CALL-NOT: txc_attention_f32
// CALL-LABEL: func.func @fp8_paged(
// CALL: call @txc_kv_quant_append({{.*}}, %c2_i32, %{{[^,]+}}, %c4_i64, %c4_i64)
// CALL: call @txc_attention_kvq({{.*}}, %c4_i64, %c4_i64, %c2_i32)
// CALL-LABEL: func.func @int4(
// CALL: call @txc_kv_quant_append({{.*}}, %c4194595_i32, %c0_i64, %c0_i64, %c0_i64)
// CALL: call @txc_attention_kvq({{.*}}, %c840_i64, %c20_i64, %c1_i64, {{.*}}, %c4194595_i32)

// int8, contiguous: the cache is [layers, 2, B, Hkv, capacity, D + 4] i8
// (D codes and a 4-byte scale per row); each append quantizes into it, the
// attention reads the layer's i8 slices with kv_format.
// CHECK-LABEL: func.func @int8
// CHECK-SAME: %[[CACHE:[^:]+]]: tensor<2x2x1x2x16x12xi8>
// CHECK-SAME: %[[P:[^:]+]]: index
// CHECK: %[[C1:.+]] = txcpu.kv_quant_append ins(%{{.+}} : tensor<1x2x1x8xf32>) position(%[[P]]) outs(%[[CACHE]] : tensor<2x2x1x2x16x12xi8>) {kv = 0 : i64, kv_format = 1 : i32, layer = 1 : i64} -> tensor<2x2x1x2x16x12xi8>
// CHECK: %[[C2:.+]] = txcpu.kv_quant_append ins(%{{.+}} : tensor<1x2x1x8xf32>) position(%[[P]]) outs(%[[C1]] : tensor<2x2x1x2x16x12xi8>) {kv = 1 : i64, kv_format = 1 : i32, layer = 1 : i64}
// CHECK: %[[KV:.+]] = tensor.extract_slice %[[C2]][1, 0, 0, 0, 0, 0] [1, 1, 1, 2, 16, 12] [1, 1, 1, 1, 1, 1] : tensor<2x2x1x2x16x12xi8> to tensor<1x2x16x12xi8>
// CHECK: %[[VV:.+]] = tensor.extract_slice %[[C2]][1, 1, 0, 0, 0, 0]
// CHECK: txcpu.attention mask(causal) ins(%{{.+}}, %[[KV]], %[[VV]] : tensor<1x4x1x8xf32>, tensor<1x2x16x12xi8>, tensor<1x2x16x12xi8>) kv_length(%{{.+}}) outs(%{{.+}} : tensor<1x4x1x8xf32>) {kv_format = 1 : i32
func.func @int8(%cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 16, head_dim = 8, f32, #tx.kv_format<int8, group = 8, per_token>>,
                %p: index, %n: index, %q: tensor<1x4x1x8xf32>, %k: tensor<1x2x1x8xf32>, %v: tensor<1x2x1x8xf32>) -> tensor<1x4x1x8xf32> {
  tx.kv_append %cache[1], %k, %v at %p
      : !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 16, head_dim = 8, f32, #tx.kv_format<int8, group = 8, per_token>>, tensor<1x2x1x8xf32>, tensor<1x2x1x8xf32>
  %kk, %vv = tx.kv_view %cache[1] length %n
      : !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 16, head_dim = 8, f32, #tx.kv_format<int8, group = 8, per_token>> -> tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>
  %o = tx.attention %q, %kk, %vv mask(causal) kv_length(%n) : tensor<1x4x1x8xf32>, tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32> -> tensor<1x4x1x8xf32>
  return %o : tensor<1x4x1x8xf32>
}

// -----

// fp8, paged (blocks of 4): i8 block pools [layers, 2, blocks, Hkv, 4,
// D + 4], the appends and the attention go through the block table.
// CHECK-LABEL: func.func @fp8_paged
// CHECK-SAME: %[[CACHE:[^:]+]]: tensor<1x2x8x2x4x12xi8>
// CHECK-SAME: %[[TABLE:[^:]+]]: tensor<2x4xi32> {tx.name = "block_table"}
// CHECK: %[[C1:.+]] = txcpu.kv_quant_append ins(%{{.+}} : tensor<2x2x3x8xf32>) position(%{{.+}}) block_table(%[[TABLE]] : tensor<2x4xi32>) outs(%[[CACHE]] : tensor<1x2x8x2x4x12xi8>) {block_size = 4 : i64, kv = 0 : i64, kv_format = 2 : i32, layer = 0 : i64}
// CHECK: %[[C2:.+]] = txcpu.kv_quant_append {{.*}} outs(%[[C1]]
// CHECK: %[[KP:.+]] = tensor.extract_slice %[[C2]][0, 0, 0, 0, 0, 0] [1, 1, 8, 2, 4, 12] {{.*}} to tensor<8x2x4x12xi8>
// CHECK: txcpu.attention mask(causal) ins(%{{.+}}, %[[KP]], %{{.+}} : {{.*}}) kv_length(%{{.+}}) block_table(%[[TABLE]] : tensor<2x4xi32>) outs({{.*}}) {block_size = 4 : i64, kv_format = 2 : i32
func.func @fp8_paged(%cache: !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 16, head_dim = 8, f32, paged<4>, #tx.kv_format<fp8_e4m3, group = 8, per_token>>,
                     %p: index, %n: index, %q: tensor<2x4x3x8xf32>, %k: tensor<2x2x3x8xf32>) -> tensor<2x4x3x8xf32> {
  tx.kv_append %cache[0], %k, %k at %p
      : !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 16, head_dim = 8, f32, paged<4>, #tx.kv_format<fp8_e4m3, group = 8, per_token>>, tensor<2x2x3x8xf32>, tensor<2x2x3x8xf32>
  %kk, %vv = tx.kv_view %cache[0] length %n
      : !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 16, head_dim = 8, f32, paged<4>, #tx.kv_format<fp8_e4m3, group = 8, per_token>> -> tensor<2x2x16x8xf32>, tensor<2x2x16x8xf32>
  %o = tx.attention %q, %kk, %vv mask(causal) kv_length(%n) : tensor<2x4x3x8xf32>, tensor<2x2x16x8xf32>, tensor<2x2x16x8xf32> -> tensor<2x4x3x8xf32>
  return %o : tensor<2x4x3x8xf32>
}

// -----

// int4 (KIVI), group 4, residual 4, buffer 16: slots of 8 / 2 + 8 * 8 / 4
// = 20 bytes, 16 positions after the f32 buffer's ceil(16 * 8 * 4 / 20) =
// 26 slots; the kernels get the format word 3 | log2(4) << 4 | (4 / 4) << 8
// | (16 / 4) << 20 = 4194595.
// CHECK-LABEL: func.func @int4
// CHECK-SAME: %[[CACHE:[^:]+]]: tensor<1x2x1x2x42x20xi8>
// CHECK: txcpu.kv_quant_append ins(%{{.+}} : tensor<1x2x1x8xf32>) position(%{{.+}}) outs(%[[CACHE]] : tensor<1x2x1x2x42x20xi8>) {kv = 0 : i64, kv_format = 4194595 : i32, layer = 0 : i64}
// CHECK: txcpu.attention mask(causal) ins(%{{.+}}, %{{.+}}, %{{.+}} : tensor<1x4x1x8xf32>, tensor<1x2x42x20xi8>, tensor<1x2x42x20xi8>) kv_length(%{{.+}}) outs(%{{.+}} : tensor<1x4x1x8xf32>) {kv_format = 4194595 : i32
func.func @int4(%cache: !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 16, head_dim = 8, f32, #tx.kv_format<int4, group = 4, per_channel, residual = 4, buffer = 16>>,
                %p: index, %n: index, %q: tensor<1x4x1x8xf32>, %k: tensor<1x2x1x8xf32>) -> tensor<1x4x1x8xf32> {
  tx.kv_append %cache[0], %k, %k at %p
      : !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 16, head_dim = 8, f32, #tx.kv_format<int4, group = 4, per_channel, residual = 4, buffer = 16>>, tensor<1x2x1x8xf32>, tensor<1x2x1x8xf32>
  %kk, %vv = tx.kv_view %cache[0] length %n
      : !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 16, head_dim = 8, f32, #tx.kv_format<int4, group = 4, per_channel, residual = 4, buffer = 16>> -> tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>
  %o = tx.attention %q, %kk, %vv mask(causal) kv_length(%n) : tensor<1x4x1x8xf32>, tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32> -> tensor<1x4x1x8xf32>
  return %o : tensor<1x4x1x8xf32>
}
