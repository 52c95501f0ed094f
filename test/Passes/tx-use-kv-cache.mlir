// RUN: tx-opt %s --split-input-file --tx-use-kv-cache="capacity=64" | FileCheck %s
// RUN: tx-opt %s --split-input-file --tx-use-kv-cache="capacity=64 block-size=16" | FileCheck %s --check-prefix=PAGED

// A past/present decode step: the past inputs and the present outputs go,
// each attention appends its new keys and values at cache_position and reads
// the whole cache up to cache_position + S. Inputs nothing reads any more
// (the attention mask) go too; the layer drops the results that only
// carried the presents.
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%{{[^:]+}}: tensor<1x1xi64> {tx.name = "input_ids", tx.role = #tx.input_role<token_ids>}, %{{[^:]+}}: tensor<1x1xi64> {tx.name = "position_ids", tx.role = #tx.input_role<positions>},
// CHECK-SAME: %[[CACHE:[^:]+]]: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 64, head_dim = 8, f32> {tx.name = "kv_cache"}, %[[START:[^:]+]]: tensor<1xi64> {tx.name = "cache_position"})
// CHECK-SAME: -> (tensor<1x1x32xf32> {tx.name = "logits"})
// CHECK-SAME: tx.generation = {batch = 1 : i64, cache = "kv_cache", cache_position = "cache_position", cache_type = !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 64, head_dim = 8, f32>, logits = "logits", positions = "position_ids", step = 1 : i64, tokens = "input_ids"}
// CHECK: %[[P64:.+]] = tensor.extract %[[START]]
// CHECK: %[[P:.+]] = arith.index_cast %[[P64]] : i64 to index
// CHECK: %[[N:.+]] = arith.addi %[[P]], %c1
// CHECK: tx.layer 0
// CHECK-SAME: -> tensor<1x1x32xf32>
// CHECK: tx.kv_append %[[CACHE]][0], %{{[^,]+}}, %{{[^ ]+}} at %[[P]] :
// CHECK: %[[KV0:.+]], %[[VV0:.+]] = tx.kv_view %[[CACHE]][0] length %[[N]] {{.*}} -> tensor<1x2x64x8xf32>, tensor<1x2x64x8xf32>
// CHECK: tx.attention %{{.+}}, %[[KV0]], %[[VV0]] mask(causal) kv_length(%[[N]])
// CHECK: tx.yield %{{[^,]+}} : tensor<1x1x32xf32>
// CHECK: tx.kv_append %[[CACHE]][1]
// CHECK: tx.kv_view %[[CACHE]][1] length %[[N]]
// CHECK: tx.attention {{.*}} mask(sliding_window) kv_length(%[[N]]) {window = 4 : i64}
// CHECK-NOT: tensor.concat
// CHECK: return %{{[^,]+}} : tensor<1x1x32xf32>
// PAGED-LABEL: func.func @main
// PAGED-SAME: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 64, head_dim = 8, f32, paged<16>>
func.func @main(%ids: tensor<1x1xi64> {tx.name = "input_ids", tx.role = #tx.input_role<token_ids>},
                %mask: tensor<1x5xi64> {tx.name = "attention_mask", tx.role = #tx.input_role<attention_mask>},
                %pos: tensor<1x1xi64> {tx.name = "position_ids", tx.role = #tx.input_role<positions>},
                %pk0: tensor<1x2x4x8xf32> {tx.name = "past_key_values.0.key", tx.role = #tx.input_role<past_key_value>},
                %pv0: tensor<1x2x4x8xf32> {tx.name = "past_key_values.0.value", tx.role = #tx.input_role<past_key_value>},
                %pk1: tensor<1x2x4x8xf32> {tx.name = "past_key_values.1.key", tx.role = #tx.input_role<past_key_value>},
                %pv1: tensor<1x2x4x8xf32> {tx.name = "past_key_values.1.value", tx.role = #tx.input_role<past_key_value>},
                %q: tensor<1x4x1x8xf32>, %k: tensor<1x2x1x8xf32>, %x: tensor<1x1x32xf32>)
    -> (tensor<1x1x32xf32> {tx.name = "logits"},
        tensor<1x2x5x8xf32> {tx.name = "present.0.key"}, tensor<1x2x5x8xf32> {tx.name = "present.0.value"},
        tensor<1x2x5x8xf32> {tx.name = "present.1.key"}, tensor<1x2x5x8xf32> {tx.name = "present.1.value"}) {
  %h, %ck0, %cv0 = tx.layer 0 (%x) : (tensor<1x1x32xf32>) -> (tensor<1x1x32xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>) {
  ^bb0(%in: tensor<1x1x32xf32>):
    %kk = tensor.concat dim(2) %pk0, %k : (tensor<1x2x4x8xf32>, tensor<1x2x1x8xf32>) -> tensor<1x2x5x8xf32>
    %vv = tensor.concat dim(2) %pv0, %k : (tensor<1x2x4x8xf32>, tensor<1x2x1x8xf32>) -> tensor<1x2x5x8xf32>
    %o = tx.attention %q, %kk, %vv mask(causal) : tensor<1x4x1x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32> -> tensor<1x4x1x8xf32>
    tx.yield %in, %kk, %vv : tensor<1x1x32xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>
  }
  %kk1 = tensor.concat dim(2) %pk1, %k : (tensor<1x2x4x8xf32>, tensor<1x2x1x8xf32>) -> tensor<1x2x5x8xf32>
  %vv1 = tensor.concat dim(2) %pv1, %k : (tensor<1x2x4x8xf32>, tensor<1x2x1x8xf32>) -> tensor<1x2x5x8xf32>
  %o1 = tx.attention %q, %kk1, %vv1 mask(sliding_window) {window = 4 : i64} : tensor<1x4x1x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32> -> tensor<1x4x1x8xf32>
  return %h, %ck0, %cv0, %kk1, %vv1 : tensor<1x1x32xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>
}

// -----

// A single-pass export (no past): the attention's own keys and values are
// the new cache entries of a prefill step of 4 tokens.
// CHECK-LABEL: func.func @main
// CHECK-SAME: tx.generation = {{{.*}}step = 4 : i64
// CHECK: %[[N:.+]] = arith.addi %{{.+}}, %c4
// CHECK: tx.kv_append %{{.+}}[0], %[[K:[^,]+]], %[[K]] at
// CHECK: tx.kv_view %{{.+}}[0] length %[[N]]
// CHECK: tx.attention {{.*}} mask(causal) kv_length(%[[N]])
func.func @main(%ids: tensor<1x4xi64> {tx.name = "input_ids", tx.role = #tx.input_role<token_ids>}, %pos: tensor<1x4xi64> {tx.name = "position_ids", tx.role = #tx.input_role<positions>},
                %q: tensor<1x4x4x8xf32>, %k: tensor<1x2x4x8xf32>) -> (tensor<1x4x4x8xf32> {tx.name = "logits"}) {
  %o = tx.attention %q, %k, %k mask(causal) : tensor<1x4x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x4x4x8xf32>
  return %o : tensor<1x4x4x8xf32>
}

// -----

// A padding mask computed from an attention_mask input masks nothing when
// rows carry no padding, which is how generation runs them: it is dropped,
// and with it the input.
// CHECK-LABEL: func.func @main
// CHECK-NOT: attention_mask
// CHECK: tx.attention %{{[^,]+}}, %{{[^,]+}}, %{{[^ ]+}} mask(none) kv_length
// CHECK-NOT: explicit_mask
func.func @main(%ids: tensor<1x1xi64> {tx.name = "input_ids", tx.role = #tx.input_role<token_ids>}, %am: tensor<1x5xi64> {tx.name = "attention_mask", tx.role = #tx.input_role<attention_mask>},
                %pos: tensor<1x1xi64> {tx.name = "position_ids", tx.role = #tx.input_role<positions>},
                %pk: tensor<1x2x4x8xf32> {tx.name = "past_key_values.0.key", tx.role = #tx.input_role<past_key_value>}, %pv: tensor<1x2x4x8xf32> {tx.name = "past_key_values.0.value", tx.role = #tx.input_role<past_key_value>},
                %q: tensor<1x4x1x8xf32>, %k: tensor<1x2x1x8xf32>) -> (tensor<1x4x1x8xf32> {tx.name = "logits"}) {
  %zero = arith.constant dense<0> : tensor<1x5xi64>
  %keep = arith.cmpi ne, %am, %zero : tensor<1x5xi64>
  %m = tensor.expand_shape %keep [[0], [1, 2, 3]] output_shape [1, 1, 1, 5] : tensor<1x5xi1> into tensor<1x1x1x5xi1>
  %kk = tensor.concat dim(2) %pk, %k : (tensor<1x2x4x8xf32>, tensor<1x2x1x8xf32>) -> tensor<1x2x5x8xf32>
  %vv = tensor.concat dim(2) %pv, %k : (tensor<1x2x4x8xf32>, tensor<1x2x1x8xf32>) -> tensor<1x2x5x8xf32>
  %o = tx.attention %q, %kk, %vv mask(none) explicit_mask(%m : tensor<1x1x1x5xi1>) : tensor<1x4x1x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32> -> tensor<1x4x1x8xf32>
  return %o : tensor<1x4x1x8xf32>
}

// -----

// Positions an export computed from its shapes (constants counting up from
// the past length, here 4: rotary positions of GroupQueryAttention's
// do_rotary, a position-embedding lookup) become cache_position + i. No
// position_ids input is needed then. Other constant lookups stay.
// CHECK-LABEL: func.func @main
// CHECK: %[[START:.+]] = arith.index_cast %{{.+}} : i64 to index
// CHECK: %[[GEN:.+]] = tensor.generate
// CHECK: ^bb0(%{{.+}}: index, %[[I:.+]]: index):
// CHECK: %[[AT:.+]] = arith.addi %[[START]], %[[I]] : index
// CHECK: arith.index_cast %[[AT]] : index to i64
// CHECK: tx.embedding %{{.+}}, %{{.+}} : tensor<8x32xf32>, tensor<1x1xi64>
// CHECK: tx.embedding %{{.+}}, %[[GEN2:[^ ]+]] : tensor<64x32xf32>
// CHECK: tx.rope %{{.+}}, %{{.+}}, %{{.+}} positions(%[[GEN3:[^ ]+]] :
func.func @main(%ids: tensor<1x1xi64> {tx.name = "input_ids", tx.role = #tx.input_role<token_ids>},
                %pk: tensor<1x2x4x8xf32> {tx.name = "past_key_values.0.key", tx.role = #tx.input_role<past_key_value>}, %pv: tensor<1x2x4x8xf32> {tx.name = "past_key_values.0.value", tx.role = #tx.input_role<past_key_value>},
                %q: tensor<1x4x1x8xf32>, %k: tensor<1x2x1x8xf32>, %wpe: tensor<64x32xf32>, %tt: tensor<8x32xf32>, %cos: tensor<64x4xf32>)
    -> (tensor<1x4x1x8xf32> {tx.name = "logits"}, tensor<1x1x32xf32>, tensor<1x1x32xf32>) {
  %zero = arith.constant dense<0> : tensor<1x1xi64>
  %p = arith.constant dense<4> : tensor<1x1xi64>
  %type = tx.embedding %tt, %zero : tensor<8x32xf32>, tensor<1x1xi64> -> tensor<1x1x32xf32>
  %pe = tx.embedding %wpe, %p : tensor<64x32xf32>, tensor<1x1xi64> -> tensor<1x1x32xf32>
  %qr = tx.rope %q, %cos, %cos positions(%p : tensor<1x1xi64>) : tensor<1x4x1x8xf32>, tensor<64x4xf32>, tensor<64x4xf32> -> tensor<1x4x1x8xf32>
  %kk = tensor.concat dim(2) %pk, %k : (tensor<1x2x4x8xf32>, tensor<1x2x1x8xf32>) -> tensor<1x2x5x8xf32>
  %vv = tensor.concat dim(2) %pv, %k : (tensor<1x2x4x8xf32>, tensor<1x2x1x8xf32>) -> tensor<1x2x5x8xf32>
  %o = tx.attention %qr, %kk, %vv mask(causal) : tensor<1x4x1x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32> -> tensor<1x4x1x8xf32>
  return %o, %type, %pe : tensor<1x4x1x8xf32>, tensor<1x1x32xf32>, tensor<1x1x32xf32>
}
