// RUN: tx-opt %s -split-input-file -verify-diagnostics

func.func @mixed(%q: tensor<1x2x4x8xf32>, %k: memref<1x2x4x8xf32>, %init: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'txcpu.attention' op expects all operands to be tensors or all to be memrefs}}
  %o = txcpu.attention mask(none) ins(%q, %k, %q : tensor<1x2x4x8xf32>, memref<1x2x4x8xf32>, tensor<1x2x4x8xf32>)
      outs(%init : tensor<1x2x4x8xf32>) {scale = 1.0 : f64} -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

func.func @no_result(%q: tensor<1x2x4x8xf32>, %init: tensor<1x2x4x8xf32>) {
  // expected-error @+1 {{'txcpu.attention' op expects one result of the type of 'init' with tensor operands and none with memref operands}}
  txcpu.attention mask(none) ins(%q, %q, %q : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>)
      outs(%init : tensor<1x2x4x8xf32>) {scale = 1.0 : f64}
  return
}

// -----

func.func @memref_result(%q: memref<1x2x4x8xf32>) {
  // expected-error @+1 {{'txcpu.attention' op expects one result of the type of 'init' with tensor operands and none with memref operands}}
  %o = txcpu.attention mask(none) ins(%q, %q, %q : memref<1x2x4x8xf32>, memref<1x2x4x8xf32>, memref<1x2x4x8xf32>)
      outs(%q : memref<1x2x4x8xf32>) {scale = 1.0 : f64} -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @rank(%q: memref<2x4x8xf32>, %k: memref<1x2x4x8xf32>) {
  // expected-error @+1 {{'txcpu.attention' op expects rank-4 operands, got 'memref<2x4x8xf32>'}}
  txcpu.attention mask(none) ins(%q, %k, %k : memref<2x4x8xf32>, memref<1x2x4x8xf32>, memref<1x2x4x8xf32>)
      outs(%k : memref<1x2x4x8xf32>) {scale = 1.0 : f64}
  return
}

// -----

func.func @shapes(%q: memref<1x2x4x8xf32>, %k: memref<1x2x4x16xf32>) {
  // expected-error @+1 {{'txcpu.attention' op expects query [B, H, Sq, D], key [B, Hkv, Sk, D], value [B, Hkv, Sk, Dv] and init [B, H, Sq, Dv]}}
  txcpu.attention mask(none) ins(%q, %k, %k : memref<1x2x4x8xf32>, memref<1x2x4x16xf32>, memref<1x2x4x16xf32>)
      outs(%q : memref<1x2x4x8xf32>) {scale = 1.0 : f64}
  return
}

// -----

func.func @heads(%q: memref<1x3x4x8xf32>, %k: memref<1x2x4x8xf32>) {
  // expected-error @+1 {{'txcpu.attention' op expects the query heads (3) to be a multiple of the KV heads (2)}}
  txcpu.attention mask(none) ins(%q, %k, %k : memref<1x3x4x8xf32>, memref<1x2x4x8xf32>, memref<1x2x4x8xf32>)
      outs(%q : memref<1x3x4x8xf32>) {scale = 1.0 : f64}
  return
}

// -----

func.func @mask_shape(%q: memref<1x2x4x8xf32>, %m: memref<1x1x4x1xi1>) {
  // expected-error @+1 {{'txcpu.attention' op expects the explicit mask to be [B|1, H|1, Sq|1, Sk]}}
  txcpu.attention mask(none) ins(%q, %q, %q : memref<1x2x4x8xf32>, memref<1x2x4x8xf32>, memref<1x2x4x8xf32>)
      explicit_mask(%m : memref<1x1x4x1xi1>) outs(%q : memref<1x2x4x8xf32>) {scale = 1.0 : f64}
  return
}

// -----

func.func @mask_kind(%q: memref<1x2x4x8xf32>) {
  // expected-error @+1 {{'txcpu.attention' op supports mask kinds none, causal and sliding_window, not tree}}
  txcpu.attention mask(tree) ins(%q, %q, %q : memref<1x2x4x8xf32>, memref<1x2x4x8xf32>, memref<1x2x4x8xf32>)
      outs(%q : memref<1x2x4x8xf32>) {scale = 1.0 : f64}
  return
}

// -----

func.func @window_missing(%q: memref<1x2x4x8xf32>) {
  // expected-error @+1 {{'txcpu.attention' op expects a positive 'window' with mask kind sliding_window and none otherwise}}
  txcpu.attention mask(sliding_window) ins(%q, %q, %q : memref<1x2x4x8xf32>, memref<1x2x4x8xf32>, memref<1x2x4x8xf32>)
      outs(%q : memref<1x2x4x8xf32>) {scale = 1.0 : f64}
  return
}

// -----

func.func @window_on_causal(%q: memref<1x2x4x8xf32>) {
  // expected-error @+1 {{'txcpu.attention' op expects a positive 'window' with mask kind sliding_window and none otherwise}}
  txcpu.attention mask(causal) ins(%q, %q, %q : memref<1x2x4x8xf32>, memref<1x2x4x8xf32>, memref<1x2x4x8xf32>)
      outs(%q : memref<1x2x4x8xf32>) {scale = 1.0 : f64, window = 2 : i64}
  return
}

// -----

func.func @sinks(%q: memref<1x2x4x8xf32>) {
  // expected-error @+1 {{'txcpu.attention' op expects 'sinks' only with mask kind sliding_window, and not negative}}
  txcpu.attention mask(sliding_window) ins(%q, %q, %q : memref<1x2x4x8xf32>, memref<1x2x4x8xf32>, memref<1x2x4x8xf32>)
      outs(%q : memref<1x2x4x8xf32>) {scale = 1.0 : f64, window = 2 : i64, sinks = -1 : i64}
  return
}

// -----

func.func @scale(%q: memref<1x2x4x8xf32>) {
  // expected-error @+1 {{'txcpu.attention' op expects a positive finite scale, got 0}}
  txcpu.attention mask(none) ins(%q, %q, %q : memref<1x2x4x8xf32>, memref<1x2x4x8xf32>, memref<1x2x4x8xf32>)
      outs(%q : memref<1x2x4x8xf32>) {scale = 0.0 : f64}
  return
}

// -----

func.func @element_type(%q: memref<1x2x4x8xf16>) {
  // expected-error @+1 {{'txcpu.attention' op operand #0 must be Tensor or MemRef of 32-bit float values, but got 'memref<1x2x4x8xf16>'}}
  txcpu.attention mask(none) ins(%q, %q, %q : memref<1x2x4x8xf16>, memref<1x2x4x8xf16>, memref<1x2x4x8xf16>)
      outs(%q : memref<1x2x4x8xf16>) {scale = 1.0 : f64}
  return
}

// -----

func.func @table_without_length(%q: memref<1x8x1x64xf32>, %k: memref<4x2x16x64xf32>, %t: memref<1x4xi32>) {
  // expected-error @+1 {{'txcpu.attention' op expects kv_length and a positive 'block_size' with a block table}}
  txcpu.attention mask(causal) ins(%q, %k, %k : memref<1x8x1x64xf32>, memref<4x2x16x64xf32>, memref<4x2x16x64xf32>)
      block_table(%t : memref<1x4xi32>) outs(%q : memref<1x8x1x64xf32>) {block_size = 16 : i64, scale = 0.125 : f64}
  return
}

// -----

func.func @table_pool_shape(%q: memref<1x8x1x64xf32>, %k: memref<4x2x8x64xf32>, %t: memref<1x4xi32>, %n: index) {
  // expected-error @+1 {{'txcpu.attention' op expects a block table [B, blocks] and key and value pools [blocks, Hkv, block_size, D]}}
  txcpu.attention mask(causal) ins(%q, %k, %k : memref<1x8x1x64xf32>, memref<4x2x8x64xf32>, memref<4x2x8x64xf32>)
      kv_length(%n) block_table(%t : memref<1x4xi32>) outs(%q : memref<1x8x1x64xf32>) {block_size = 16 : i64, scale = 0.125 : f64}
  return
}

// -----

func.func @block_size_without_table(%q: memref<1x8x1x64xf32>, %k: memref<1x2x16x64xf32>, %n: index) {
  // expected-error @+1 {{'txcpu.attention' op expects 'block_size' only with a block table}}
  txcpu.attention mask(causal) ins(%q, %k, %k : memref<1x8x1x64xf32>, memref<1x2x16x64xf32>, memref<1x2x16x64xf32>)
      kv_length(%n) outs(%q : memref<1x8x1x64xf32>) {block_size = 16 : i64, scale = 0.125 : f64}
  return
}

// -----

//===----------------------------------------------------------------------===//
// txcpu.qmatmul, txcpu.qembed
//===----------------------------------------------------------------------===//

func.func @qmatmul_mixed(%x: tensor<4x64xf32>, %w: memref<8x36xi8>, %init: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'txcpu.qmatmul' op expects all operands to be tensors or all to be memrefs}}
  %y = txcpu.qmatmul ins(%x, %w : tensor<4x64xf32>, memref<8x36xi8>) outs(%init : tensor<4x8xf32>)
      {ggml_type = 2 : i32, in_features = 64 : i64} -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @qmatmul_no_result(%x: tensor<4x64xf32>, %w: tensor<8x36xi8>, %init: tensor<4x8xf32>) {
  // expected-error @+1 {{'txcpu.qmatmul' op expects one result of the type of 'init' with tensor operands and none with memref operands}}
  txcpu.qmatmul ins(%x, %w : tensor<4x64xf32>, tensor<8x36xi8>) outs(%init : tensor<4x8xf32>)
      {ggml_type = 2 : i32, in_features = 64 : i64}
  return
}

// -----

func.func @qmatmul_memref_result(%x: memref<4x64xf32>, %w: memref<8x36xi8>, %out: memref<4x8xf32>) {
  // expected-error @+1 {{'txcpu.qmatmul' op expects one result of the type of 'init' with tensor operands and none with memref operands}}
  %y = txcpu.qmatmul ins(%x, %w : memref<4x64xf32>, memref<8x36xi8>) outs(%out : memref<4x8xf32>)
      {ggml_type = 2 : i32, in_features = 64 : i64} -> tensor<4x8xf32>
  return
}

// -----

// ggml type 4 (the removed Q4_2) and 10 (Q2_K) have no kind in txc.
func.func @qmatmul_ggml_type(%x: memref<4x64xf32>, %w: memref<8x36xi8>, %out: memref<4x8xf32>) {
  // expected-error @+1 {{'txcpu.qmatmul' op ggml_type 10 is not a block format txc supports}}
  txcpu.qmatmul ins(%x, %w : memref<4x64xf32>, memref<8x36xi8>) outs(%out : memref<4x8xf32>)
      {ggml_type = 10 : i32, in_features = 64 : i64}
  return
}

// -----

func.func @qmatmul_in_features(%x: memref<4x48xf32>, %w: memref<8x36xi8>, %out: memref<4x8xf32>) {
  // expected-error @+1 {{'txcpu.qmatmul' op in_features 48 is not a positive multiple of the block (32 values)}}
  txcpu.qmatmul ins(%x, %w : memref<4x48xf32>, memref<8x36xi8>) outs(%out : memref<4x8xf32>)
      {ggml_type = 2 : i32, in_features = 48 : i64}
  return
}

// -----

func.func @qmatmul_in_features_zero(%x: memref<4x64xf32>, %w: memref<8x128xi8>, %out: memref<4x8xf32>) {
  // expected-error @+1 {{'txcpu.qmatmul' op in_features 0 is not a positive multiple of the block (1 values)}}
  txcpu.qmatmul ins(%x, %w : memref<4x64xf32>, memref<8x128xi8>) outs(%out : memref<4x8xf32>)
      {ggml_type = 1 : i32, in_features = 0 : i64}
  return
}

// -----

func.func @qmatmul_weight_rank(%x: memref<4x64xf32>, %w: memref<288xi8>, %out: memref<4x8xf32>) {
  // expected-error @+1 {{'txcpu.qmatmul' op expects 2-D weight bytes and init}}
  txcpu.qmatmul ins(%x, %w : memref<4x64xf32>, memref<288xi8>) outs(%out : memref<4x8xf32>)
      {ggml_type = 2 : i32, in_features = 64 : i64}
  return
}

// -----

// q4_0 rows of 64 values: 2 blocks of 18 bytes.
func.func @qmatmul_row_bytes(%x: memref<4x64xf32>, %w: memref<8x40xi8>, %out: memref<4x8xf32>) {
  // expected-error @+1 {{'txcpu.qmatmul' op expects rows of 36 bytes (q4_0, 64 values), got 40}}
  txcpu.qmatmul ins(%x, %w : memref<4x64xf32>, memref<8x40xi8>) outs(%out : memref<4x8xf32>)
      {ggml_type = 2 : i32, in_features = 64 : i64}
  return
}

// -----

func.func @qmatmul_input(%x: memref<4x32xf32>, %w: memref<8x36xi8>, %out: memref<4x8xf32>) {
  // expected-error @+1 {{'txcpu.qmatmul' op expects input [M, 64]}}
  txcpu.qmatmul ins(%x, %w : memref<4x32xf32>, memref<8x36xi8>) outs(%out : memref<4x8xf32>)
      {ggml_type = 2 : i32, in_features = 64 : i64}
  return
}

// -----

func.func @qmatmul_input_rank(%x: memref<1x4x64xf32>, %w: memref<8x36xi8>, %out: memref<4x8xf32>) {
  // expected-error @+1 {{'txcpu.qmatmul' op expects input [M, 64]}}
  txcpu.qmatmul ins(%x, %w : memref<1x4x64xf32>, memref<8x36xi8>) outs(%out : memref<4x8xf32>)
      {ggml_type = 2 : i32, in_features = 64 : i64}
  return
}

// -----

func.func @qmatmul_init(%x: memref<4x64xf32>, %w: memref<8x36xi8>, %out: memref<4x16xf32>) {
  // expected-error @+1 {{'txcpu.qmatmul' op expects init [M, N] for input [M, K] and weight rows N}}
  txcpu.qmatmul ins(%x, %w : memref<4x64xf32>, memref<8x36xi8>) outs(%out : memref<4x16xf32>)
      {ggml_type = 2 : i32, in_features = 64 : i64}
  return
}

// -----

func.func @qmatmul_element_type(%x: memref<4x64xf16>, %w: memref<8x36xi8>, %out: memref<4x8xf32>) {
  // expected-error @+1 {{'txcpu.qmatmul' op operand #0 must be Tensor or MemRef of 32-bit float values, but got 'memref<4x64xf16>'}}
  txcpu.qmatmul ins(%x, %w : memref<4x64xf16>, memref<8x36xi8>) outs(%out : memref<4x8xf32>)
      {ggml_type = 2 : i32, in_features = 64 : i64}
  return
}

// -----

func.func @qembed_mixed(%t: tensor<100x68xi8>, %ids: memref<4xi64>, %out: memref<4x64xf32>) {
  // expected-error @+1 {{'txcpu.qembed' op expects all operands to be tensors or all to be memrefs}}
  txcpu.qembed ins(%t, %ids : tensor<100x68xi8>, memref<4xi64>) outs(%out : memref<4x64xf32>)
      {ggml_type = 8 : i32, in_features = 64 : i64}
  return
}

// -----

func.func @qembed_no_result(%t: tensor<100x68xi8>, %ids: tensor<4xi64>, %init: tensor<4x64xf32>) {
  // expected-error @+1 {{'txcpu.qembed' op expects one result of the type of 'init' with tensor operands and none with memref operands}}
  txcpu.qembed ins(%t, %ids : tensor<100x68xi8>, tensor<4xi64>) outs(%init : tensor<4x64xf32>)
      {ggml_type = 8 : i32, in_features = 64 : i64}
  return
}

// -----

func.func @qembed_ggml_type(%t: memref<100x68xi8>, %ids: memref<4xi64>, %out: memref<4x64xf32>) {
  // expected-error @+1 {{'txcpu.qembed' op ggml_type 0 is not a block format txc supports}}
  txcpu.qembed ins(%t, %ids : memref<100x68xi8>, memref<4xi64>) outs(%out : memref<4x64xf32>)
      {ggml_type = 0 : i32, in_features = 64 : i64}
  return
}

// -----

func.func @qembed_in_features(%t: memref<100x144xi8>, %ids: memref<4xi64>, %out: memref<4x128xf32>) {
  // expected-error @+1 {{'txcpu.qembed' op in_features 128 is not a positive multiple of the block (256 values)}}
  txcpu.qembed ins(%t, %ids : memref<100x144xi8>, memref<4xi64>) outs(%out : memref<4x128xf32>)
      {ggml_type = 12 : i32, in_features = 128 : i64}
  return
}

// -----

func.func @qembed_table_rank(%t: memref<6800xi8>, %ids: memref<4xi64>, %out: memref<4x64xf32>) {
  // expected-error @+1 {{'txcpu.qembed' op expects 2-D weight bytes and init}}
  txcpu.qembed ins(%t, %ids : memref<6800xi8>, memref<4xi64>) outs(%out : memref<4x64xf32>)
      {ggml_type = 8 : i32, in_features = 64 : i64}
  return
}

// -----

func.func @qembed_row_bytes(%t: memref<100x64xi8>, %ids: memref<4xi64>, %out: memref<4x64xf32>) {
  // expected-error @+1 {{'txcpu.qembed' op expects rows of 68 bytes (q8_0, 64 values), got 64}}
  txcpu.qembed ins(%t, %ids : memref<100x64xi8>, memref<4xi64>) outs(%out : memref<4x64xf32>)
      {ggml_type = 8 : i32, in_features = 64 : i64}
  return
}

// -----

func.func @qembed_ids_rank(%t: memref<100x68xi8>, %ids: memref<1x4xi64>, %out: memref<4x64xf32>) {
  // expected-error @+1 {{'txcpu.qembed' op expects ids [count] and init [count, 64]}}
  txcpu.qembed ins(%t, %ids : memref<100x68xi8>, memref<1x4xi64>) outs(%out : memref<4x64xf32>)
      {ggml_type = 8 : i32, in_features = 64 : i64}
  return
}

// -----

func.func @qembed_init(%t: memref<100x68xi8>, %ids: memref<4xi64>, %out: memref<4x32xf32>) {
  // expected-error @+1 {{'txcpu.qembed' op expects ids [count] and init [count, 64]}}
  txcpu.qembed ins(%t, %ids : memref<100x68xi8>, memref<4xi64>) outs(%out : memref<4x32xf32>)
      {ggml_type = 8 : i32, in_features = 64 : i64}
  return
}

// -----

func.func @qembed_ids_type(%t: memref<100x68xi8>, %ids: memref<4xi32>, %out: memref<4x64xf32>) {
  // expected-error @+1 {{'txcpu.qembed' op operand #1 must be Tensor or MemRef of 64-bit signless integer values, but got 'memref<4xi32>'}}
  txcpu.qembed ins(%t, %ids : memref<100x68xi8>, memref<4xi32>) outs(%out : memref<4x64xf32>)
      {ggml_type = 8 : i32, in_features = 64 : i64}
  return
}

// -----

// txcpu.qmatmul_planar

func.func @qmatmul_planar_mixed(%x: tensor<4x64xf32>, %c: memref<8x32xi8>, %s: tensor<8x2xf16>, %init: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'txcpu.qmatmul_planar' op expects all operands to be tensors or all to be memrefs}}
  %y = txcpu.qmatmul_planar ins(%x, %c, %s : tensor<4x64xf32>, memref<8x32xi8>, tensor<8x2xf16>) outs(%init : tensor<4x8xf32>)
      {code_kind = 1 : i32, scale_kind = 1 : i32, group = 32 : i64, in_features = 64 : i64, tensor_scale = 1.0 : f32} -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @qmatmul_planar_result(%x: memref<4x64xf32>, %c: memref<8x32xi8>, %s: memref<8x2xf16>, %init: memref<4x8xf32>) {
  // expected-error @+1 {{'txcpu.qmatmul_planar' op expects one result of the type of 'init' with tensor operands and none with memref operands}}
  %y = txcpu.qmatmul_planar ins(%x, %c, %s : memref<4x64xf32>, memref<8x32xi8>, memref<8x2xf16>) outs(%init : memref<4x8xf32>)
      {code_kind = 1 : i32, scale_kind = 1 : i32, group = 32 : i64, in_features = 64 : i64, tensor_scale = 1.0 : f32} -> tensor<4x8xf32>
  return
}

// -----

func.func @qmatmul_planar_kind(%x: tensor<4x64xf32>, %c: tensor<8x32xi8>, %s: tensor<8x2xf16>, %init: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'txcpu.qmatmul_planar' op unknown code_kind 7 or scale_kind 1}}
  %y = txcpu.qmatmul_planar ins(%x, %c, %s : tensor<4x64xf32>, tensor<8x32xi8>, tensor<8x2xf16>) outs(%init : tensor<4x8xf32>)
      {code_kind = 7 : i32, scale_kind = 1 : i32, group = 32 : i64, in_features = 64 : i64, tensor_scale = 1.0 : f32} -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @qmatmul_planar_group(%x: tensor<4x64xf32>, %c: tensor<8x32xi8>, %s: tensor<8x2xf16>, %init: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'txcpu.qmatmul_planar' op expects positive in_features and group}}
  %y = txcpu.qmatmul_planar ins(%x, %c, %s : tensor<4x64xf32>, tensor<8x32xi8>, tensor<8x2xf16>) outs(%init : tensor<4x8xf32>)
      {code_kind = 1 : i32, scale_kind = 1 : i32, group = 0 : i64, in_features = 64 : i64, tensor_scale = 1.0 : f32} -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @qmatmul_planar_rank(%x: tensor<4x64xf32>, %c: tensor<256xi8>, %s: tensor<8x2xf16>, %init: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'txcpu.qmatmul_planar' op expects 2-D input, codes, scales and init}}
  %y = txcpu.qmatmul_planar ins(%x, %c, %s : tensor<4x64xf32>, tensor<256xi8>, tensor<8x2xf16>) outs(%init : tensor<4x8xf32>)
      {code_kind = 1 : i32, scale_kind = 1 : i32, group = 32 : i64, in_features = 64 : i64, tensor_scale = 1.0 : f32} -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @qmatmul_planar_input(%x: tensor<4x48xf32>, %c: tensor<8x32xi8>, %s: tensor<8x2xf16>, %init: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'txcpu.qmatmul_planar' op expects input [M, 64]}}
  %y = txcpu.qmatmul_planar ins(%x, %c, %s : tensor<4x48xf32>, tensor<8x32xi8>, tensor<8x2xf16>) outs(%init : tensor<4x8xf32>)
      {code_kind = 1 : i32, scale_kind = 1 : i32, group = 32 : i64, in_features = 64 : i64, tensor_scale = 1.0 : f32} -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @qmatmul_planar_scales(%x: tensor<4x64xf32>, %c: tensor<8x32xi8>, %s: tensor<8x3xf16>, %init: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'txcpu.qmatmul_planar' op expects scales [N, 2]}}
  %y = txcpu.qmatmul_planar ins(%x, %c, %s : tensor<4x64xf32>, tensor<8x32xi8>, tensor<8x3xf16>) outs(%init : tensor<4x8xf32>)
      {code_kind = 1 : i32, scale_kind = 1 : i32, group = 32 : i64, in_features = 64 : i64, tensor_scale = 1.0 : f32} -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @qmatmul_planar_zeros(%x: tensor<4x64xf32>, %c: tensor<8x32xi8>, %s: tensor<8x2xf16>, %z: tensor<8x4xi8>, %init: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'txcpu.qmatmul_planar' op expects zeros [N, 2]}}
  %y = txcpu.qmatmul_planar ins(%x, %c, %s zeros %z : tensor<4x64xf32>, tensor<8x32xi8>, tensor<8x2xf16>, tensor<8x4xi8>) outs(%init : tensor<4x8xf32>)
      {code_kind = 1 : i32, scale_kind = 1 : i32, group = 32 : i64, in_features = 64 : i64, tensor_scale = 1.0 : f32} -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @qmatmul_planar_init(%x: tensor<4x64xf32>, %c: tensor<8x32xi8>, %s: tensor<8x2xf16>, %init: tensor<4x9xf32>) -> tensor<4x9xf32> {
  // expected-error @+1 {{'txcpu.qmatmul_planar' op expects init [M, N] for input [M, K] and weight rows N}}
  %y = txcpu.qmatmul_planar ins(%x, %c, %s : tensor<4x64xf32>, tensor<8x32xi8>, tensor<8x2xf16>) outs(%init : tensor<4x9xf32>)
      {code_kind = 1 : i32, scale_kind = 1 : i32, group = 32 : i64, in_features = 64 : i64, tensor_scale = 1.0 : f32} -> tensor<4x9xf32>
  return %y : tensor<4x9xf32>
}
