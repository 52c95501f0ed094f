// RUN: tx-opt %s | tx-opt | FileCheck %s
// RUN: tx-opt %s --mlir-print-op-generic | tx-opt | FileCheck %s

// Round trip of the KV cache type (contiguous and paged layouts, quantized
// storage formats, element types) and of tx.kv_append, tx.kv_view and
// tx.kv_commit.

// Contiguous f32 cache: append, view, commit.
// CHECK-LABEL: func.func @contiguous_f32
// CHECK-SAME: (%[[C:[^:]+]]: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, %[[K:[^:]+]]: tensor<1x2x16x64xf32>, %[[V:[^:]+]]: tensor<1x2x16x64xf32>, %[[POS:[^:]+]]: index, %[[PATH:[^:]+]]: tensor<1x4xi64>)
func.func @contiguous_f32(%cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>,
                          %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x16x64xf32>, %pos: index,
                          %path: tensor<1x4xi64>) -> (tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>) {
  // CHECK: tx.kv_append %[[C]][0], %[[K]], %[[V]] at %[[POS]] : !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32>
  tx.kv_append %cache[0], %k, %v at %pos
      : !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>,
        tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32>
  // CHECK-NEXT: %[[KK:[^,]+]], %[[VV:[^ ]+]] = tx.kv_view %[[C]][1] length %[[POS]] : !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32> -> tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>
  %kk, %vv = tx.kv_view %cache[1] length %pos
      : !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>
        -> tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>
  // CHECK-NEXT: tx.kv_commit %[[C]], %[[PATH]] at %[[POS]] : !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, tensor<1x4xi64>
  tx.kv_commit %cache, %path at %pos
      : !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, tensor<1x4xi64>
  // CHECK-NEXT: return %[[KK]], %[[VV]] :
  return %kk, %vv : tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>
}

// An explicit `contiguous` is the default layout and is not printed.
// CHECK-LABEL: func.func @contiguous_explicit
// CHECK-SAME: !tx.kv_cache<layers = 1, kv_heads = 1, capacity = 16, head_dim = 8, bf16>,
func.func @contiguous_explicit(%cache: !tx.kv_cache<layers = 1, kv_heads = 1, capacity = 16, head_dim = 8, bf16, contiguous>,
                               %n: index) -> tensor<1x1x?x8xbf16> {
  // CHECK: tx.kv_view %{{.+}}[0] length %{{.+}} : !tx.kv_cache<layers = 1, kv_heads = 1, capacity = 16, head_dim = 8, bf16> -> tensor<1x1x?x8xbf16>, tensor<1x1x?x8xbf16>
  %k, %v = tx.kv_view %cache[0] length %n
      : !tx.kv_cache<layers = 1, kv_heads = 1, capacity = 16, head_dim = 8, bf16, contiguous>
        -> tensor<1x1x?x8xbf16>, tensor<1x1x?x8xbf16>
  return %k : tensor<1x1x?x8xbf16>
}

// Paged f16 cache, dynamic batch and sequence, i32 path.
// CHECK-LABEL: func.func @paged_f16
// CHECK-SAME: (%[[C:[^:]+]]: !tx.kv_cache<layers = 32, kv_heads = 8, capacity = 8192, head_dim = 128, f16, paged<16>>, %[[K:[^:]+]]: tensor<?x8x?x128xf16>, %[[POS:[^:]+]]: index, %[[PATH:[^:]+]]: tensor<?x?xi32>)
func.func @paged_f16(%cache: !tx.kv_cache<layers = 32, kv_heads = 8, capacity = 8192, head_dim = 128, f16, paged<16>>,
                     %k: tensor<?x8x?x128xf16>, %pos: index, %path: tensor<?x?xi32>) {
  // CHECK: tx.kv_append %[[C]][31], %[[K]], %[[K]] at %[[POS]] : !tx.kv_cache<layers = 32, kv_heads = 8, capacity = 8192, head_dim = 128, f16, paged<16>>, tensor<?x8x?x128xf16>, tensor<?x8x?x128xf16>
  tx.kv_append %cache[31], %k, %k at %pos
      : !tx.kv_cache<layers = 32, kv_heads = 8, capacity = 8192, head_dim = 128, f16, paged<16>>,
        tensor<?x8x?x128xf16>, tensor<?x8x?x128xf16>
  // CHECK-NEXT: tx.kv_view %[[C]][0] length %[[POS]] : !tx.kv_cache<layers = 32, kv_heads = 8, capacity = 8192, head_dim = 128, f16, paged<16>> -> tensor<?x8x?x128xf16>, tensor<?x8x?x128xf16>
  %kk, %vv = tx.kv_view %cache[0] length %pos
      : !tx.kv_cache<layers = 32, kv_heads = 8, capacity = 8192, head_dim = 128, f16, paged<16>>
        -> tensor<?x8x?x128xf16>, tensor<?x8x?x128xf16>
  // CHECK-NEXT: tx.kv_commit %[[C]], %[[PATH]] at %[[POS]] : !tx.kv_cache<layers = 32, kv_heads = 8, capacity = 8192, head_dim = 128, f16, paged<16>>, tensor<?x?xi32>
  tx.kv_commit %cache, %path at %pos
      : !tx.kv_cache<layers = 32, kv_heads = 8, capacity = 8192, head_dim = 128, f16, paged<16>>, tensor<?x?xi32>
  return
}

// Page size equal to the capacity (a single page).
// CHECK-LABEL: func.func @paged_single_page
// CHECK-SAME: !tx.kv_cache<layers = 1, kv_heads = 4, capacity = 64, head_dim = 32, f32, paged<64>>
func.func @paged_single_page(%cache: !tx.kv_cache<layers = 1, kv_heads = 4, capacity = 64, head_dim = 32, f32, paged<64>>,
                             %k: tensor<2x4x1x32xf32>, %pos: index) {
  // CHECK: tx.kv_append %{{.+}}[0], %[[K:.+]], %[[K]] at %{{.+}} : !tx.kv_cache<layers = 1, kv_heads = 4, capacity = 64, head_dim = 32, f32, paged<64>>, tensor<2x4x1x32xf32>, tensor<2x4x1x32xf32>
  tx.kv_append %cache[0], %k, %k at %pos
      : !tx.kv_cache<layers = 1, kv_heads = 4, capacity = 64, head_dim = 32, f32, paged<64>>,
        tensor<2x4x1x32xf32>, tensor<2x4x1x32xf32>
  return
}

//===----------------------------------------------------------------------===//
// Quantized storage formats (#tx.kv_format)
//===----------------------------------------------------------------------===//

// int8, per_token, f32 elements; an explicit `contiguous` is dropped.
// CHECK-LABEL: func.func @format_int8_per_token_f32
// CHECK-SAME: (%[[C:[^:]+]]: !tx.kv_cache<layers = 2, kv_heads = 4, capacity = 2048, head_dim = 64, f32, #tx.kv_format<int8, group = 64, per_token>>,
func.func @format_int8_per_token_f32(
    %cache: !tx.kv_cache<layers = 2, kv_heads = 4, capacity = 2048, head_dim = 64, f32,
                         contiguous, #tx.kv_format<int8, group = 64, per_token>>,
    %k: tensor<1x4x8x64xf32>, %pos: index) -> tensor<1x4x?x64xf32> {
  // CHECK: tx.kv_append %[[C]][1], %{{.+}}, %{{.+}} at %{{.+}} : !tx.kv_cache<layers = 2, kv_heads = 4, capacity = 2048, head_dim = 64, f32, #tx.kv_format<int8, group = 64, per_token>>, tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>
  tx.kv_append %cache[1], %k, %k at %pos
      : !tx.kv_cache<layers = 2, kv_heads = 4, capacity = 2048, head_dim = 64, f32,
                     #tx.kv_format<int8, group = 64, per_token>>,
        tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>
  // CHECK-NEXT: tx.kv_view %[[C]][1] length %{{.+}} : !tx.kv_cache<layers = 2, kv_heads = 4, capacity = 2048, head_dim = 64, f32, #tx.kv_format<int8, group = 64, per_token>> -> tensor<1x4x?x64xf32>, tensor<1x4x?x64xf32>
  %kk, %vv = tx.kv_view %cache[1] length %pos
      : !tx.kv_cache<layers = 2, kv_heads = 4, capacity = 2048, head_dim = 64, f32,
                     #tx.kv_format<int8, group = 64, per_token>>
        -> tensor<1x4x?x64xf32>, tensor<1x4x?x64xf32>
  return %kk : tensor<1x4x?x64xf32>
}

// int8, per_channel (groups along the sequence), f16 elements.
// CHECK-LABEL: func.func @format_int8_per_channel_f16
// CHECK-SAME: !tx.kv_cache<layers = 2, kv_heads = 4, capacity = 2048, head_dim = 64, f16, #tx.kv_format<int8, group = 64, per_channel>>
func.func @format_int8_per_channel_f16(
    %cache: !tx.kv_cache<layers = 2, kv_heads = 4, capacity = 2048, head_dim = 64, f16,
                         #tx.kv_format<int8, group = 64, per_channel>>,
    %n: index) -> tensor<1x4x?x64xf16> {
  // CHECK: tx.kv_view %{{.+}}[0] length %{{.+}} : !tx.kv_cache<layers = 2, kv_heads = 4, capacity = 2048, head_dim = 64, f16, #tx.kv_format<int8, group = 64, per_channel>> -> tensor<1x4x?x64xf16>, tensor<1x4x?x64xf16>
  %kk, %vv = tx.kv_view %cache[0] length %n
      : !tx.kv_cache<layers = 2, kv_heads = 4, capacity = 2048, head_dim = 64, f16,
                     #tx.kv_format<int8, group = 64, per_channel>>
        -> tensor<1x4x?x64xf16>, tensor<1x4x?x64xf16>
  return %vv : tensor<1x4x?x64xf16>
}

// int4, per_channel, bf16 elements, paged layout.
// CHECK-LABEL: func.func @format_int4_per_channel_paged_bf16
// CHECK-SAME: (%[[C:[^:]+]]: !tx.kv_cache<layers = 2, kv_heads = 4, capacity = 2048, head_dim = 64, bf16, paged<64>, #tx.kv_format<int4, group = 32, per_channel, residual = 128, buffer = 224>>,
func.func @format_int4_per_channel_paged_bf16(
    %cache: !tx.kv_cache<layers = 2, kv_heads = 4, capacity = 2048, head_dim = 64, bf16,
                         paged<64>, #tx.kv_format<int4, group = 32, per_channel, residual = 128, buffer = 224>>,
    %k: tensor<1x4x?x64xbf16>, %pos: index, %path: tensor<1x8xi64>) {
  // CHECK: tx.kv_append %[[C]][0], %{{.+}}, %{{.+}} at %{{.+}} : !tx.kv_cache<layers = 2, kv_heads = 4, capacity = 2048, head_dim = 64, bf16, paged<64>, #tx.kv_format<int4, group = 32, per_channel, residual = 128, buffer = 224>>, tensor<1x4x?x64xbf16>, tensor<1x4x?x64xbf16>
  tx.kv_append %cache[0], %k, %k at %pos
      : !tx.kv_cache<layers = 2, kv_heads = 4, capacity = 2048, head_dim = 64, bf16,
                     paged<64>, #tx.kv_format<int4, group = 32, per_channel, residual = 128, buffer = 224>>,
        tensor<1x4x?x64xbf16>, tensor<1x4x?x64xbf16>
  // CHECK-NEXT: tx.kv_commit %[[C]], %{{.+}} at %{{.+}} : !tx.kv_cache<layers = 2, kv_heads = 4, capacity = 2048, head_dim = 64, bf16, paged<64>, #tx.kv_format<int4, group = 32, per_channel, residual = 128, buffer = 224>>, tensor<1x8xi64>
  tx.kv_commit %cache, %path at %pos
      : !tx.kv_cache<layers = 2, kv_heads = 4, capacity = 2048, head_dim = 64, bf16,
                     paged<64>, #tx.kv_format<int4, group = 32, per_channel, residual = 128, buffer = 224>>, tensor<1x8xi64>
  return
}

// int4, per_token, f32 elements.
// CHECK-LABEL: func.func @format_int4_per_token_f32
// CHECK-SAME: !tx.kv_cache<layers = 4, kv_heads = 2, capacity = 512, head_dim = 128, f32, #tx.kv_format<int4, group = 32, per_token>>
func.func @format_int4_per_token_f32(
    %cache: !tx.kv_cache<layers = 4, kv_heads = 2, capacity = 512, head_dim = 128, f32,
                         #tx.kv_format<int4, group = 32, per_token>>,
    %n: index) -> tensor<1x2x?x128xf32> {
  // CHECK: tx.kv_view %{{.+}}[3] length %{{.+}} : !tx.kv_cache<layers = 4, kv_heads = 2, capacity = 512, head_dim = 128, f32, #tx.kv_format<int4, group = 32, per_token>> -> tensor<1x2x?x128xf32>, tensor<1x2x?x128xf32>
  %kk, %vv = tx.kv_view %cache[3] length %n
      : !tx.kv_cache<layers = 4, kv_heads = 2, capacity = 512, head_dim = 128, f32,
                     #tx.kv_format<int4, group = 32, per_token>>
        -> tensor<1x2x?x128xf32>, tensor<1x2x?x128xf32>
  return %kk : tensor<1x2x?x128xf32>
}

// fp8_e4m3, per_token, f16 elements (layout defaults to contiguous).
// CHECK-LABEL: func.func @format_fp8_per_token_f16
// CHECK-SAME: !tx.kv_cache<layers = 2, kv_heads = 4, capacity = 2048, head_dim = 64, f16, #tx.kv_format<fp8_e4m3, group = 64, per_token>>
func.func @format_fp8_per_token_f16(
    %cache: !tx.kv_cache<layers = 2, kv_heads = 4, capacity = 2048, head_dim = 64, f16,
                         #tx.kv_format<fp8_e4m3, group = 64, per_token>>,
    %k: tensor<1x4x1x64xf16>, %pos: index) {
  // CHECK: tx.kv_append %{{.+}}[0], %{{.+}}, %{{.+}} at %{{.+}} : !tx.kv_cache<layers = 2, kv_heads = 4, capacity = 2048, head_dim = 64, f16, #tx.kv_format<fp8_e4m3, group = 64, per_token>>, tensor<1x4x1x64xf16>, tensor<1x4x1x64xf16>
  tx.kv_append %cache[0], %k, %k at %pos
      : !tx.kv_cache<layers = 2, kv_heads = 4, capacity = 2048, head_dim = 64, f16,
                     #tx.kv_format<fp8_e4m3, group = 64, per_token>>,
        tensor<1x4x1x64xf16>, tensor<1x4x1x64xf16>
  return
}

// fp8_e4m3, per_channel, bf16 elements, paged.
// CHECK-LABEL: func.func @format_fp8_per_channel_paged_bf16
// CHECK-SAME: !tx.kv_cache<layers = 1, kv_heads = 8, capacity = 4096, head_dim = 128, bf16, paged<256>, #tx.kv_format<fp8_e4m3, group = 4096, per_channel>>
func.func @format_fp8_per_channel_paged_bf16(
    %cache: !tx.kv_cache<layers = 1, kv_heads = 8, capacity = 4096, head_dim = 128, bf16,
                         paged<256>, #tx.kv_format<fp8_e4m3, group = 4096, per_channel>>,
    %path: tensor<4x5xi64>, %base: index) {
  // CHECK: tx.kv_commit %{{.+}}, %{{.+}} at %{{.+}} : !tx.kv_cache<layers = 1, kv_heads = 8, capacity = 4096, head_dim = 128, bf16, paged<256>, #tx.kv_format<fp8_e4m3, group = 4096, per_channel>>, tensor<4x5xi64>
  tx.kv_commit %cache, %path at %base
      : !tx.kv_cache<layers = 1, kv_heads = 8, capacity = 4096, head_dim = 128, bf16,
                     paged<256>, #tx.kv_format<fp8_e4m3, group = 4096, per_channel>>, tensor<4x5xi64>
  return
}

// A decode step: append one token, view the cache up to the new length and
// attend over it.
// CHECK-LABEL: func.func @decode_step
// CHECK-SAME: (%[[C:[^:]+]]: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, %[[Q:[^:]+]]: tensor<1x8x1x64xf32>, %[[K:[^:]+]]: tensor<1x2x1x64xf32>, %[[V:[^:]+]]: tensor<1x2x1x64xf32>, %[[POS:[^:]+]]: index)
func.func @decode_step(%cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>,
                       %q: tensor<1x8x1x64xf32>, %k: tensor<1x2x1x64xf32>, %v: tensor<1x2x1x64xf32>,
                       %pos: index) -> tensor<1x8x1x64xf32> {
  // CHECK: tx.kv_append %[[C]][0], %[[K]], %[[V]] at %[[POS]]
  tx.kv_append %cache[0], %k, %v at %pos
      : !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>,
        tensor<1x2x1x64xf32>, tensor<1x2x1x64xf32>
  // CHECK-NEXT: %[[C1:.+]] = arith.constant 1 : index
  // CHECK-NEXT: %[[LEN:.+]] = arith.addi %[[POS]], %[[C1]] : index
  %c1 = arith.constant 1 : index
  %len = arith.addi %pos, %c1 : index
  // CHECK-NEXT: %[[KK:[^,]+]], %[[VV:[^ ]+]] = tx.kv_view %[[C]][0] length %[[LEN]]
  %kk, %vv = tx.kv_view %cache[0] length %len
      : !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>
        -> tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>
  // CHECK-NEXT: %[[O:.+]] = tx.attention %[[Q]], %[[KK]], %[[VV]] mask(causal) : tensor<1x8x1x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32> -> tensor<1x8x1x64xf32>
  %o = tx.attention %q, %kk, %vv mask(causal)
      : tensor<1x8x1x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32> -> tensor<1x8x1x64xf32>
  // CHECK-NEXT: return %[[O]]
  return %o : tensor<1x8x1x64xf32>
}
