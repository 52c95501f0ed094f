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
