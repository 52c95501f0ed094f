// RUN: tx-opt %s -split-input-file -verify-diagnostics

func.func @append_layer_out_of_range(%cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x16x64xf32>, %pos: index) {
  // expected-error @+1 {{'tx.kv_append' op layer 2 is out of range for a cache with 2 layers}}
  tx.kv_append %cache[2], %k, %v at %pos : !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32>
  return
}

// -----

func.func @append_layer_negative(%cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x16x64xf32>, %pos: index) {
  // expected-error @+1 {{'tx.kv_append' op layer -1 is out of range for a cache with 2 layers}}
  tx.kv_append %cache[-1], %k, %v at %pos : !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32>
  return
}

// -----

func.func @append_key_rank(%cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, %k: tensor<2x16x64xf32>, %v: tensor<1x2x16x64xf32>, %pos: index) {
  // expected-error @+1 {{'tx.kv_append' op 'key' must have rank 4 ([batch, kv_heads, seq, head_dim]), got rank 3}}
  tx.kv_append %cache[0], %k, %v at %pos : !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, tensor<2x16x64xf32>, tensor<1x2x16x64xf32>
  return
}

// -----

func.func @append_value_rank(%cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x1x2x16x64xf32>, %pos: index) {
  // expected-error @+1 {{'tx.kv_append' op 'value' must have rank 4 ([batch, kv_heads, seq, head_dim]), got rank 5}}
  tx.kv_append %cache[0], %k, %v at %pos : !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, tensor<1x2x16x64xf32>, tensor<1x1x2x16x64xf32>
  return
}

// -----

func.func @append_key_heads(%cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, %k: tensor<1x4x16x64xf32>, %v: tensor<1x2x16x64xf32>, %pos: index) {
  // expected-error @+1 {{'tx.kv_append' op KV heads mismatch: 'key' heads is 4 but the cache's kv_heads is 2}}
  tx.kv_append %cache[0], %k, %v at %pos : !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, tensor<1x4x16x64xf32>, tensor<1x2x16x64xf32>
  return
}

// -----

func.func @append_value_heads(%cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x1x16x64xf32>, %pos: index) {
  // expected-error @+1 {{'tx.kv_append' op KV heads mismatch: 'value' heads is 1 but the cache's kv_heads is 2}}
  tx.kv_append %cache[0], %k, %v at %pos : !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, tensor<1x2x16x64xf32>, tensor<1x1x16x64xf32>
  return
}

// -----

func.func @append_key_head_dim(%cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, %k: tensor<1x2x16x128xf32>, %v: tensor<1x2x16x64xf32>, %pos: index) {
  // expected-error @+1 {{'tx.kv_append' op head_dim mismatch: 'key' head_dim is 128 but the cache's head_dim is 64}}
  tx.kv_append %cache[0], %k, %v at %pos : !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, tensor<1x2x16x128xf32>, tensor<1x2x16x64xf32>
  return
}

// -----

func.func @append_value_head_dim(%cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x16x32xf32>, %pos: index) {
  // expected-error @+1 {{'tx.kv_append' op head_dim mismatch: 'value' head_dim is 32 but the cache's head_dim is 64}}
  tx.kv_append %cache[0], %k, %v at %pos : !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, tensor<1x2x16x64xf32>, tensor<1x2x16x32xf32>
  return
}

// -----

func.func @append_key_capacity(%cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, %k: tensor<1x2x512x64xf32>, %v: tensor<1x2x512x64xf32>, %pos: index) {
  // expected-error @+1 {{'tx.kv_append' op 'key' holds 512 positions, more than the cache capacity 256}}
  tx.kv_append %cache[0], %k, %v at %pos : !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, tensor<1x2x512x64xf32>, tensor<1x2x512x64xf32>
  return
}

// -----

func.func @append_value_capacity(%cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x257x64xf32>, %pos: index) {
  // expected-error @+1 {{'tx.kv_append' op 'value' holds 257 positions, more than the cache capacity 256}}
  tx.kv_append %cache[0], %k, %v at %pos : !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, tensor<1x2x16x64xf32>, tensor<1x2x257x64xf32>
  return
}

// -----

func.func @append_key_element_type(%cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, %k: tensor<1x2x16x64xf16>, %v: tensor<1x2x16x64xf32>, %pos: index) {
  // expected-error @+1 {{'tx.kv_append' op 'key' element type 'f16' differs from the cache element type 'f32'}}
  tx.kv_append %cache[0], %k, %v at %pos : !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, tensor<1x2x16x64xf16>, tensor<1x2x16x64xf32>
  return
}

// -----

func.func @append_value_element_type(%cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x16x64xbf16>, %pos: index) {
  // expected-error @+1 {{'tx.kv_append' op 'value' element type 'bf16' differs from the cache element type 'f32'}}
  tx.kv_append %cache[0], %k, %v at %pos : !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xbf16>
  return
}

// -----

func.func @append_key_value_type(%cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x2x8x64xf32>, %pos: index) {
  // expected-error @+1 {{'tx.kv_append' op 'key' and 'value' must have the same type, got 'tensor<1x2x16x64xf32>' and 'tensor<1x2x8x64xf32>'}}
  tx.kv_append %cache[0], %k, %v at %pos : !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, tensor<1x2x16x64xf32>, tensor<1x2x8x64xf32>
  return
}

// -----

func.func @view_layer_out_of_range(%cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, %n: index) -> (tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>) {
  // expected-error @+1 {{'tx.kv_view' op layer 5 is out of range for a cache with 2 layers}}
  %k, %v = tx.kv_view %cache[5] length %n : !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32> -> tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>
  return %k, %v : tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>
}

// -----

func.func @view_key_rank(%cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, %n: index) -> (tensor<2x?x64xf32>, tensor<1x2x?x64xf32>) {
  // expected-error @+1 {{'tx.kv_view' op 'key' must have rank 4 ([batch, kv_heads, seq, head_dim]), got rank 3}}
  %k, %v = tx.kv_view %cache[0] length %n : !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32> -> tensor<2x?x64xf32>, tensor<1x2x?x64xf32>
  return %k, %v : tensor<2x?x64xf32>, tensor<1x2x?x64xf32>
}

// -----

func.func @view_value_rank(%cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, %n: index) -> (tensor<1x2x?x64xf32>, tensor<1x2x?xf32>) {
  // expected-error @+1 {{'tx.kv_view' op 'value' must have rank 4 ([batch, kv_heads, seq, head_dim]), got rank 3}}
  %k, %v = tx.kv_view %cache[0] length %n : !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32> -> tensor<1x2x?x64xf32>, tensor<1x2x?xf32>
  return %k, %v : tensor<1x2x?x64xf32>, tensor<1x2x?xf32>
}

// -----

func.func @view_key_heads(%cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, %n: index) -> (tensor<1x8x?x64xf32>, tensor<1x2x?x64xf32>) {
  // expected-error @+1 {{'tx.kv_view' op KV heads mismatch: 'key' heads is 8 but the cache's kv_heads is 2}}
  %k, %v = tx.kv_view %cache[0] length %n : !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32> -> tensor<1x8x?x64xf32>, tensor<1x2x?x64xf32>
  return %k, %v : tensor<1x8x?x64xf32>, tensor<1x2x?x64xf32>
}

// -----

func.func @view_value_head_dim(%cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, %n: index) -> (tensor<1x2x?x64xf32>, tensor<1x2x?x16xf32>) {
  // expected-error @+1 {{'tx.kv_view' op head_dim mismatch: 'value' head_dim is 16 but the cache's head_dim is 64}}
  %k, %v = tx.kv_view %cache[0] length %n : !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32> -> tensor<1x2x?x64xf32>, tensor<1x2x?x16xf32>
  return %k, %v : tensor<1x2x?x64xf32>, tensor<1x2x?x16xf32>
}

// -----

func.func @view_capacity(%cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, %n: index) -> (tensor<1x2x300x64xf32>, tensor<1x2x300x64xf32>) {
  // expected-error @+1 {{'tx.kv_view' op 'key' holds 300 positions, more than the cache capacity 256}}
  %k, %v = tx.kv_view %cache[0] length %n : !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32> -> tensor<1x2x300x64xf32>, tensor<1x2x300x64xf32>
  return %k, %v : tensor<1x2x300x64xf32>, tensor<1x2x300x64xf32>
}

// -----

func.func @view_element_type(%cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, %n: index) -> (tensor<1x2x?x64xf16>, tensor<1x2x?x64xf16>) {
  // expected-error @+1 {{'tx.kv_view' op 'key' element type 'f16' differs from the cache element type 'f32'}}
  %k, %v = tx.kv_view %cache[0] length %n : !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32> -> tensor<1x2x?x64xf16>, tensor<1x2x?x64xf16>
  return %k, %v : tensor<1x2x?x64xf16>, tensor<1x2x?x64xf16>
}

// -----

func.func @view_key_value_type(%cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, %n: index) -> (tensor<1x2x?x64xf32>, tensor<2x2x?x64xf32>) {
  // expected-error @+1 {{'tx.kv_view' op 'key' and 'value' must have the same type, got 'tensor<1x2x?x64xf32>' and 'tensor<2x2x?x64xf32>'}}
  %k, %v = tx.kv_view %cache[0] length %n : !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32> -> tensor<1x2x?x64xf32>, tensor<2x2x?x64xf32>
  return %k, %v : tensor<1x2x?x64xf32>, tensor<2x2x?x64xf32>
}

// -----

func.func @commit_path_rank(%cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, %path: tensor<4xi64>, %base: index) {
  // expected-error @+1 {{'tx.kv_commit' op 'path' must have rank 2 ([batch, path_length]), got rank 1}}
  tx.kv_commit %cache, %path at %base : !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, tensor<4xi64>
  return
}

// -----

func.func @commit_path_length(%cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, %path: tensor<1x300xi64>, %base: index) {
  // expected-error @+1 {{'tx.kv_commit' op path length 300 exceeds the cache capacity 256}}
  tx.kv_commit %cache, %path at %base : !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32>, tensor<1x300xi64>
  return
}

// -----

// expected-error @+1 {{kv_cache 'layers' must be positive, got 0}}
func.func @cache_layers(%cache: !tx.kv_cache<layers = 0, kv_heads = 2, capacity = 256, head_dim = 64, f32>) {
  return
}

// -----

// expected-error @+1 {{kv_cache 'kv_heads' must be positive, got -2}}
func.func @cache_kv_heads(%cache: !tx.kv_cache<layers = 2, kv_heads = -2, capacity = 256, head_dim = 64, f32>) {
  return
}

// -----

// expected-error @+1 {{kv_cache 'capacity' must be positive, got 0}}
func.func @cache_capacity(%cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 0, head_dim = 64, f32>) {
  return
}

// -----

// expected-error @+1 {{kv_cache 'head_dim' must be positive, got -64}}
func.func @cache_head_dim(%cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = -64, f32>) {
  return
}

// -----

// expected-error @+1 {{kv_cache element type must be a float type, got 'i8'}}
func.func @cache_element_type(%cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, i8>) {
  return
}

// -----

// expected-error @+1 {{kv_cache page size must be positive, got 0}}
func.func @cache_page_size_zero(%cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f16, paged<0>>) {
  return
}

// -----

// expected-error @+1 {{kv_cache page size must be positive, got -16}}
func.func @cache_page_size_negative(%cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f16, paged<-16>>) {
  return
}

// -----

// expected-error @+1 {{kv_cache capacity 250 is not a multiple of the page size 16}}
func.func @cache_capacity_not_paged(%cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 250, head_dim = 64, f16, paged<16>>) {
  return
}

// -----

// expected-error @+1 {{kv_format group 48 does not divide the head_dim 64}}
func.func @cache_format_per_token(%cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32, contiguous, #tx.kv_format<int8, group = 48, per_token>>) {
  return
}

// -----

// expected-error @+1 {{kv_format group 32 does not divide the capacity 200}}
func.func @cache_format_per_channel(%cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 200, head_dim = 64, f32, #tx.kv_format<int4, group = 32, per_channel>>) {
  return
}

// -----

// expected-error @+1 {{kv_format residual must not be negative, got -1}}
func.func @format_residual_negative() attributes {format = #tx.kv_format<int4, group = 32, per_channel, residual = -1>} {
  return
}

// -----

// expected-error @+1 {{kv_format buffer 150 is smaller than residual + group (160)}}
func.func @format_buffer_small() attributes {format = #tx.kv_format<int4, group = 32, per_channel, residual = 128, buffer = 150>} {
  return
}

// -----

// expected-error @+1 {{kv_format group 128 does not divide the head_dim 64}}
func.func @cache_format_paged(%cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f16, paged<16>, #tx.kv_format<fp8_e4m3, group = 128, per_token>>) {
  return
}

// -----

// expected-error @+1 {{expected 'contiguous', 'paged<N>' or a #tx.kv_format attribute}}
func.func @cache_bad_trailing_attr(%cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32, #tx.tree<parents = [-1]>>) {
  return
}

// -----

// expected-error @+1 {{expected 'contiguous', 'paged<N>' or a #tx.kv_format attribute}}
func.func @cache_bad_trailing_int(%cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32, 16 : i64>) {
  return
}

// -----

// expected-error @+1 {{kv_format group size must be positive, got 0}}
func.func @format_group_zero(%cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32, #tx.kv_format<int8, group = 0, per_token>>) {
  return
}

// -----

// expected-error @+1 {{kv_format group size must be positive, got -32}}
func.func @format_group_negative() attributes {format = #tx.kv_format<int4, group = -32, per_channel>} {
  return
}

// -----

// GGUF block formats are weight formats, not KV element formats.
// expected-error @+1 {{kv_format kind must be int8, int4, fp8_e4m3 or fp4_e2m1, got q8_0 (GGUF block formats are for weights)}}
func.func @format_block_kind() attributes {format = #tx.kv_format<q8_0, group = 32, per_token>} {
  return
}

// -----

// expected-error @+1 {{kv_cache layout given twice}}
func.func @cache_layout_twice(%cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32, paged<16>, contiguous>) {
  return
}

// -----

// expected-error @+1 {{kv_cache format given twice}}
func.func @cache_format_twice(%cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 256, head_dim = 64, f32, #tx.kv_format<int8, group = 64, per_token>, #tx.kv_format<int4, group = 32, per_token>>) {
  return
}
