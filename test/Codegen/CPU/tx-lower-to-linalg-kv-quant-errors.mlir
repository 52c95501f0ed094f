// Errors of the quantized KV cache in the CPU backend: formats it does not
// implement, views not read by the attention kernel, malformed txcpu ops.
// RUN: tx-opt %s --split-input-file --verify-diagnostics --tx-lower-to-linalg -o /dev/null

// expected-error @+1 {{tx-lower-to-linalg: the CPU backend supports quantized KV caches of kind int8 or fp8_e4m3 with one scale per (token, head) row (group = head_dim, per_token), and contiguous int4 caches with keys per channel (per_channel, a power-of-two group dividing head_dim, head_dim a multiple of 8, residual and buffer multiples of the group, the buffer at most 4095 groups), got #tx.kv_format<int4, group = 4, per_channel, residual = 6>}}
func.func @int4_residual(%cache: !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 16, head_dim = 8, f32, #tx.kv_format<int4, group = 4, per_channel, residual = 6>>,
                %p: index, %k: tensor<1x2x1x8xf32>) {
  tx.kv_append %cache[0], %k, %k at %p
      : !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 16, head_dim = 8, f32, #tx.kv_format<int4, group = 4, per_channel, residual = 6>>, tensor<1x2x1x8xf32>, tensor<1x2x1x8xf32>
  return
}

// -----

// expected-error @+1 {{got #tx.kv_format<int4, group = 4, per_channel> on a paged cache}}
func.func @int4_paged(%cache: !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 16, head_dim = 8, f32, paged<4>, #tx.kv_format<int4, group = 4, per_channel>>,
                %p: index, %k: tensor<1x2x1x8xf32>) {
  tx.kv_append %cache[0], %k, %k at %p
      : !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 16, head_dim = 8, f32, paged<4>, #tx.kv_format<int4, group = 4, per_channel>>, tensor<1x2x1x8xf32>, tensor<1x2x1x8xf32>
  return
}

// -----

// The int8 / fp8 kinds need one scale per row (group = head_dim).
// expected-error @+1 {{got #tx.kv_format<int8, group = 4, per_token>}}
func.func @int8_group(%cache: !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 16, head_dim = 8, f32, #tx.kv_format<int8, group = 4, per_token>>,
                %p: index, %k: tensor<1x2x1x8xf32>) {
  tx.kv_append %cache[0], %k, %k at %p
      : !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 16, head_dim = 8, f32, #tx.kv_format<int8, group = 4, per_token>>, tensor<1x2x1x8xf32>, tensor<1x2x1x8xf32>
  return
}

// -----

func.func @view_not_attention(%cache: !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 16, head_dim = 8, f32, #tx.kv_format<int8, group = 8, per_token>>,
                              %n: index) -> tensor<1x2x16x8xf32> {
  // expected-error @+1 {{tx-lower-to-linalg: a quantized kv_view can only be read by an attention with kv_length (keys and values of one view)}}
  %kk, %vv = tx.kv_view %cache[0] length %n
      : !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 16, head_dim = 8, f32, #tx.kv_format<int8, group = 8, per_token>> -> tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>
  return %kk : tensor<1x2x16x8xf32>
}
