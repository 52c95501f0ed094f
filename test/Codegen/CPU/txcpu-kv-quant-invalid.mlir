// Verifier errors of txcpu.attention over a quantized cache and of
// txcpu.kv_quant_append.
// RUN: tx-opt %s --split-input-file --verify-diagnostics

func.func @no_format(%q: tensor<1x2x1x8xf32>, %k: tensor<1x2x16x12xi8>, %n: index) -> tensor<1x2x1x8xf32> {
  // expected-error @+1 {{expects i8 keys and values exactly when 'kv_format' is set}}
  %o = txcpu.attention mask(causal) ins(%q, %k, %k : tensor<1x2x1x8xf32>, tensor<1x2x16x12xi8>, tensor<1x2x16x12xi8>) kv_length(%n)
      outs(%q : tensor<1x2x1x8xf32>) {scale = 1.0 : f64} -> tensor<1x2x1x8xf32>
  return %o : tensor<1x2x1x8xf32>
}

// -----

func.func @bad_format(%q: tensor<1x2x1x8xf32>, %k: tensor<1x2x16x12xi8>, %n: index) -> tensor<1x2x1x8xf32> {
  // expected-error @+1 {{expects 'kv_format' 1 (int8), 2 (fp8) or an int4 format word (txc_model_format.h), got 3}}
  %o = txcpu.attention mask(causal) ins(%q, %k, %k : tensor<1x2x1x8xf32>, tensor<1x2x16x12xi8>, tensor<1x2x16x12xi8>) kv_length(%n)
      outs(%q : tensor<1x2x1x8xf32>) {kv_format = 3 : i32, scale = 1.0 : f64} -> tensor<1x2x1x8xf32>
  return %o : tensor<1x2x1x8xf32>
}

// -----

func.func @no_length(%q: tensor<1x2x1x8xf32>, %k: tensor<1x2x16x12xi8>) -> tensor<1x2x1x8xf32> {
  // expected-error @+1 {{expects kv_length with a quantized cache}}
  %o = txcpu.attention mask(causal) ins(%q, %k, %k : tensor<1x2x1x8xf32>, tensor<1x2x16x12xi8>, tensor<1x2x16x12xi8>)
      outs(%q : tensor<1x2x1x8xf32>) {kv_format = 1 : i32, scale = 1.0 : f64} -> tensor<1x2x1x8xf32>
  return %o : tensor<1x2x1x8xf32>
}

// -----

func.func @row_bytes(%q: tensor<1x2x1x8xf32>, %k: tensor<1x2x16x8xi8>, %n: index) -> tensor<1x2x1x8xf32> {
  // expected-error @+1 {{expects query [B, H, Sq, D], key [B, Hkv, Sk, D], value [B, Hkv, Sk, Dv] and init [B, H, Sq, Dv]}}
  %o = txcpu.attention mask(causal) ins(%q, %k, %k : tensor<1x2x1x8xf32>, tensor<1x2x16x8xi8>, tensor<1x2x16x8xi8>) kv_length(%n)
      outs(%q : tensor<1x2x1x8xf32>) {kv_format = 1 : i32, scale = 1.0 : f64} -> tensor<1x2x1x8xf32>
  return %o : tensor<1x2x1x8xf32>
}

// -----

func.func @append_mixed(%k: tensor<1x2x1x8xf32>, %c: memref<1x2x1x2x16x12xi8>, %p: index) {
  // expected-error @+1 {{expects all operands to be tensors or all to be memrefs}}
  txcpu.kv_quant_append ins(%k : tensor<1x2x1x8xf32>) position(%p) outs(%c : memref<1x2x1x2x16x12xi8>) {kv = 0 : i64, kv_format = 1 : i32, layer = 0 : i64}
  return
}

// -----

func.func @append_result(%k: memref<1x2x1x8xf32>, %c: memref<1x2x1x2x16x12xi8>, %p: index) {
  // expected-error @+1 {{expects one result of the type of 'cache' with tensor operands and none with memref operands}}
  %r = txcpu.kv_quant_append ins(%k : memref<1x2x1x8xf32>) position(%p) outs(%c : memref<1x2x1x2x16x12xi8>) {kv = 0 : i64, kv_format = 1 : i32, layer = 0 : i64} -> tensor<1x2x1x2x16x12xi8>
  return
}

// -----

func.func @append_shape(%k: tensor<1x2x1x8xf32>, %c: tensor<1x2x1x2x16x8xi8>, %p: index) -> tensor<1x2x1x2x16x8xi8> {
  // expected-error @+1 {{expects a static source [B, Hkv, S, D] and cache [layers, 2, B or blocks, Hkv, positions, D + 4] (int4: slots of TXC_KV_INT4_ROW bytes)}}
  %r = txcpu.kv_quant_append ins(%k : tensor<1x2x1x8xf32>) position(%p) outs(%c : tensor<1x2x1x2x16x8xi8>) {kv = 0 : i64, kv_format = 1 : i32, layer = 0 : i64} -> tensor<1x2x1x2x16x8xi8>
  return %r : tensor<1x2x1x2x16x8xi8>
}

// -----

func.func @append_layer(%k: tensor<1x2x1x8xf32>, %c: tensor<1x2x1x2x16x12xi8>, %p: index) -> tensor<1x2x1x2x16x12xi8> {
  // expected-error @+1 {{expects a layer of the cache and kv 0 or 1}}
  %r = txcpu.kv_quant_append ins(%k : tensor<1x2x1x8xf32>) position(%p) outs(%c : tensor<1x2x1x2x16x12xi8>) {kv = 2 : i64, kv_format = 1 : i32, layer = 0 : i64} -> tensor<1x2x1x2x16x12xi8>
  return %r : tensor<1x2x1x2x16x12xi8>
}

// -----

func.func @append_format(%k: tensor<1x2x1x8xf32>, %c: tensor<1x2x1x2x16x12xi8>, %p: index) -> tensor<1x2x1x2x16x12xi8> {
  // expected-error @+1 {{expects 'kv_format' 1 (int8), 2 (fp8) or an int4 format word (txc_model_format.h), got 0}}
  %r = txcpu.kv_quant_append ins(%k : tensor<1x2x1x8xf32>) position(%p) outs(%c : tensor<1x2x1x2x16x12xi8>) {kv = 0 : i64, kv_format = 0 : i32, layer = 0 : i64} -> tensor<1x2x1x2x16x12xi8>
  return %r : tensor<1x2x1x2x16x12xi8>
}

// -----

func.func @append_table(%k: tensor<1x2x1x8xf32>, %c: tensor<1x2x4x2x4x12xi8>, %p: index, %t: tensor<1x4xi32>) -> tensor<1x2x4x2x4x12xi8> {
  // expected-error @+1 {{expects a positive 'block_size' exactly with a block table}}
  %r = txcpu.kv_quant_append ins(%k : tensor<1x2x1x8xf32>) position(%p) block_table(%t : tensor<1x4xi32>) outs(%c : tensor<1x2x4x2x4x12xi8>) {kv = 0 : i64, kv_format = 1 : i32, layer = 0 : i64} -> tensor<1x2x4x2x4x12xi8>
  return %r : tensor<1x2x4x2x4x12xi8>
}

// -----

// int4 (format word 4194595: group 4, residual 4, buffer 16): slots of
// D / 2 + 8 D / group = 20 bytes, not D + 4.
func.func @int4_slot_bytes(%q: tensor<1x2x1x8xf32>, %k: tensor<1x2x42x12xi8>, %n: index) -> tensor<1x2x1x8xf32> {
  // expected-error @+1 {{expects int4 key and value slots of TXC_KV_INT4_ROW(D, group) bytes}}
  %o = txcpu.attention mask(causal) ins(%q, %k, %k : tensor<1x2x1x8xf32>, tensor<1x2x42x12xi8>, tensor<1x2x42x12xi8>) kv_length(%n)
      outs(%q : tensor<1x2x1x8xf32>) {kv_format = 4194595 : i32, scale = 1.0 : f64} -> tensor<1x2x1x8xf32>
  return %o : tensor<1x2x1x8xf32>
}

// -----

func.func @int4_paged(%q: tensor<1x2x1x8xf32>, %k: tensor<4x2x4x20xi8>, %n: index, %t: tensor<1x4xi32>) -> tensor<1x2x1x8xf32> {
  // expected-error @+1 {{expects no block table with an int4 cache}}
  %o = txcpu.attention mask(causal) ins(%q, %k, %k : tensor<1x2x1x8xf32>, tensor<4x2x4x20xi8>, tensor<4x2x4x20xi8>) kv_length(%n) block_table(%t : tensor<1x4xi32>)
      outs(%q : tensor<1x2x1x8xf32>) {block_size = 4 : i64, kv_format = 4194595 : i32, scale = 1.0 : f64} -> tensor<1x2x1x8xf32>
  return %o : tensor<1x2x1x8xf32>
}

// -----

func.func @int4_append_paged(%k: tensor<1x2x1x8xf32>, %c: tensor<1x2x4x2x4x20xi8>, %p: index, %t: tensor<1x4xi32>) -> tensor<1x2x4x2x4x20xi8> {
  // expected-error @+1 {{expects no block table with an int4 cache}}
  %r = txcpu.kv_quant_append ins(%k : tensor<1x2x1x8xf32>) position(%p) block_table(%t : tensor<1x4xi32>) outs(%c : tensor<1x2x4x2x4x20xi8>) {block_size = 4 : i64, kv = 0 : i64, kv_format = 4194595 : i32, layer = 0 : i64} -> tensor<1x2x4x2x4x20xi8>
  return %r : tensor<1x2x4x2x4x20xi8>
}
