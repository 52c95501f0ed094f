// Errors of tx-use-kv-cache, each naming what the model lacks.
// RUN: tx-opt %s --split-input-file --verify-diagnostics --tx-use-kv-cache="capacity=16" -o /dev/null
// RUN: not tx-opt %s --split-input-file --tx-use-kv-cache="capacity=0" 2>&1 | FileCheck %s --check-prefix=ZERO
// RUN: not tx-opt %s --split-input-file --tx-use-kv-cache="capacity=16 block-size=5" 2>&1 | FileCheck %s --check-prefix=BLOCK
// RUN: not tx-opt %s --split-input-file --tx-use-kv-cache="capacity=2" 2>&1 | FileCheck %s --check-prefix=SMALL
// ZERO: error: tx-use-kv-cache: capacity must be positive (txc --max-seq N)
// BLOCK: error: tx-use-kv-cache: the block size (5) must divide the capacity (16)
// SMALL: error: tx-use-kv-cache: a step of 4 tokens does not fit a cache of capacity 2

// expected-error @+1 {{tx-use-kv-cache: the model has no token ids input (an argument with tx.role = #tx.input_role<token_ids>, [batch, sequence])}}
func.func @main(%q: tensor<1x4x4x8xf32>, %k: tensor<1x2x4x8xf32>) -> tensor<1x4x4x8xf32> {
  %o = tx.attention %q, %k, %k mask(causal) : tensor<1x4x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x4x4x8xf32>
  return %o : tensor<1x4x4x8xf32>
}

// -----

// expected-error @+1 {{tx-use-kv-cache: input 'input_ids' (the token ids) must be [batch, sequence] integers with static sizes (specialize with --shape), got tensor<1x?xi64>}}
func.func @main(%ids: tensor<1x?xi64> {tx.name = "input_ids", tx.role = #tx.input_role<token_ids>}) {
  return
}

// -----

// expected-error @+1 {{tx-use-kv-cache: the model has no input 'position_ids': its positions were computed from the export's shapes, which the cache replaces; export it with position_ids as an input}}
func.func @main(%ids: tensor<1x4xi64> {tx.name = "input_ids", tx.role = #tx.input_role<token_ids>}, %q: tensor<1x4x4x8xf32>, %k: tensor<1x2x4x8xf32>) -> tensor<1x4x4x8xf32> {
  %o = tx.attention %q, %k, %k mask(causal) : tensor<1x4x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x4x4x8xf32>
  return %o : tensor<1x4x4x8xf32>
}

// -----

func.func @main(%ids: tensor<1x4xi64> {tx.name = "input_ids", tx.role = #tx.input_role<token_ids>}, %pos: tensor<1x4xi64> {tx.name = "position_ids", tx.role = #tx.input_role<positions>},
                %q: tensor<1x4x4x8xf32>, %k: tensor<1x2x4x8xf32>, %m: tensor<1x1x4x4xi1>) -> tensor<1x4x4x8xf32> {
  // expected-error @+1 {{tx-use-kv-cache: this attention cannot read the KV cache: only mask kinds none, causal and sliding_window without explicit mask (e.g. from an attention_mask input) or kv_length are supported}}
  %o = tx.attention %q, %k, %k mask(causal) explicit_mask(%m : tensor<1x1x4x4xi1>) : tensor<1x4x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x4x4x8xf32>
  return %o : tensor<1x4x4x8xf32>
}

// -----

func.func @main(%ids: tensor<1x4xi64> {tx.name = "input_ids", tx.role = #tx.input_role<token_ids>}, %pos: tensor<1x4xi64> {tx.name = "position_ids", tx.role = #tx.input_role<positions>},
                %q: tensor<1x4x4x8xf32>, %cos: tensor<16x4xf32>) -> tensor<1x4x4x8xf32> {
  %p = arith.constant dense<[[0, 2, 4, 6]]> : tensor<1x4xi64>
  // expected-error @+1 {{tx-use-kv-cache: tx.rope takes constant positions (computed from the export's shapes) that do not count up from the past length 0; generation needs a model whose positions come from an input (position_ids)}}
  %r = tx.rope %q, %cos, %cos positions(%p : tensor<1x4xi64>) : tensor<1x4x4x8xf32>, tensor<16x4xf32>, tensor<16x4xf32> -> tensor<1x4x4x8xf32>
  %o = tx.attention %r, %r, %r mask(causal) : tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32> -> tensor<1x4x4x8xf32>
  return %o : tensor<1x4x4x8xf32>
}

// -----

// expected-error @+1 {{tx-use-kv-cache: the model has no attention to put on a KV cache}}
func.func @main(%ids: tensor<1x4xi64> {tx.name = "input_ids", tx.role = #tx.input_role<token_ids>}, %pos: tensor<1x4xi64> {tx.name = "position_ids", tx.role = #tx.input_role<positions>}) {
  return
}

// -----

func.func @main(%ids: tensor<1x1xi64> {tx.name = "input_ids", tx.role = #tx.input_role<token_ids>}, %pos: tensor<1x1xi64> {tx.name = "position_ids", tx.role = #tx.input_role<positions>},
                %pk: tensor<1x2x4x8xf32> {tx.name = "past.key", tx.role = #tx.input_role<past_key_value>},
                %q: tensor<1x4x1x8xf32>, %k: tensor<1x2x1x8xf32>, %v: tensor<1x2x5x8xf32>) -> tensor<1x4x1x8xf32> {
  %kk = tensor.concat dim(2) %pk, %k : (tensor<1x2x4x8xf32>, tensor<1x2x1x8xf32>) -> tensor<1x2x5x8xf32>
  // expected-error @+1 {{tx-use-kv-cache: only one of the keys and values continues a past input}}
  %o = tx.attention %q, %kk, %v mask(causal) : tensor<1x4x1x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32> -> tensor<1x4x1x8xf32>
  return %o : tensor<1x4x1x8xf32>
}

// -----

func.func @main(%ids: tensor<1x1xi64> {tx.name = "input_ids", tx.role = #tx.input_role<token_ids>}, %pos: tensor<1x1xi64> {tx.name = "position_ids", tx.role = #tx.input_role<positions>},
                %q: tensor<1x4x1x8xf32>, %k: tensor<1x2x1x8xf32>, %k2: tensor<1x2x1x16xf32>, %q2: tensor<1x4x1x16xf32>) -> tensor<1x4x1x16xf32> {
  %o = tx.attention %q, %k, %k mask(causal) : tensor<1x4x1x8xf32>, tensor<1x2x1x8xf32>, tensor<1x2x1x8xf32> -> tensor<1x4x1x8xf32>
  // expected-error @+1 {{tx-use-kv-cache: keys and values of every attention must be [batch, kv_heads, S, head_dim] of one type (tensor<1x2x1x8xf32> with S the input_ids length 1), got tensor<1x2x1x16xf32>}}
  %o2 = tx.attention %q2, %k2, %k2 mask(causal) : tensor<1x4x1x16xf32>, tensor<1x2x1x16xf32>, tensor<1x2x1x16xf32> -> tensor<1x4x1x16xf32>
  return %o2 : tensor<1x4x1x16xf32>
}

// -----

// expected-error @+1 {{tx-use-kv-cache: past input 'past.key' is read by something other than the concatenation with the new keys or values}}
func.func @main(%ids: tensor<1x1xi64> {tx.name = "input_ids", tx.role = #tx.input_role<token_ids>}, %pos: tensor<1x1xi64> {tx.name = "position_ids", tx.role = #tx.input_role<positions>},
                %pk: tensor<1x2x4x8xf32> {tx.name = "past.key", tx.role = #tx.input_role<past_key_value>}, %pv: tensor<1x2x4x8xf32> {tx.name = "past.value", tx.role = #tx.input_role<past_key_value>},
                %q: tensor<1x4x1x8xf32>, %k: tensor<1x2x1x8xf32>) -> (tensor<1x4x1x8xf32>, tensor<1x2x4x8xf32>) {
  %kk = tensor.concat dim(2) %pk, %k : (tensor<1x2x4x8xf32>, tensor<1x2x1x8xf32>) -> tensor<1x2x5x8xf32>
  %vv = tensor.concat dim(2) %pv, %k : (tensor<1x2x4x8xf32>, tensor<1x2x1x8xf32>) -> tensor<1x2x5x8xf32>
  %o = tx.attention %q, %kk, %vv mask(causal) : tensor<1x4x1x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32> -> tensor<1x4x1x8xf32>
  return %o, %pk : tensor<1x4x1x8xf32>, tensor<1x2x4x8xf32>
}

// -----

// expected-error @+1 {{tx-use-kv-cache: every output of the model is a present key/value: nothing is left to return (logits)}}
func.func @main(%ids: tensor<1x1xi64> {tx.name = "input_ids", tx.role = #tx.input_role<token_ids>}, %pos: tensor<1x1xi64> {tx.name = "position_ids", tx.role = #tx.input_role<positions>},
                %pk: tensor<1x2x4x8xf32> {tx.name = "past.key", tx.role = #tx.input_role<past_key_value>}, %pv: tensor<1x2x4x8xf32> {tx.name = "past.value", tx.role = #tx.input_role<past_key_value>},
                %q: tensor<1x4x1x8xf32>, %k: tensor<1x2x1x8xf32>) -> tensor<1x2x5x8xf32> {
  %kk = tensor.concat dim(2) %pk, %k : (tensor<1x2x4x8xf32>, tensor<1x2x1x8xf32>) -> tensor<1x2x5x8xf32>
  %vv = tensor.concat dim(2) %pv, %k : (tensor<1x2x4x8xf32>, tensor<1x2x1x8xf32>) -> tensor<1x2x5x8xf32>
  %o = tx.attention %q, %kk, %vv mask(causal) : tensor<1x4x1x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32> -> tensor<1x4x1x8xf32>
  return %kk : tensor<1x2x5x8xf32>
}

// -----

func.func @main(%ids: tensor<1x4xi64> {tx.name = "input_ids", tx.role = #tx.input_role<token_ids>}, %pos: tensor<1x4xi64> {tx.name = "position_ids", tx.role = #tx.input_role<positions>},
                %q: tensor<1x4x4x8xf32>, %k: tensor<1x2x4x8xf32>) -> tensor<1x4x4x8xf32> {
  %o = tx.attention %q, %k, %k mask(causal) : tensor<1x4x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x4x4x8xf32>
  return %o : tensor<1x4x4x8xf32>
}

// -----

func.func @main(%ids: tensor<1x4xi64> {tx.name = "input_ids", tx.role = #tx.input_role<token_ids>}, %pos: tensor<1x4xi64> {tx.name = "position_ids", tx.role = #tx.input_role<positions>},
                %q: tensor<1x4x4x8xf32>, %k: tensor<1x2x4x8xf32>) -> tensor<1x4x4x8xf32> {
  %cos = arith.constant dense<1.0> : tensor<4x4xf32>
  // expected-error @+1 {{tx-use-kv-cache: tx.rope applies constant rotary tables computed for the export's positions; generation needs a model whose positions come from an input (position_ids)}}
  %r = tx.rope %q, %cos, %cos : tensor<1x4x4x8xf32>, tensor<4x4xf32>, tensor<4x4xf32> -> tensor<1x4x4x8xf32>
  %o = tx.attention %r, %k, %k mask(causal) : tensor<1x4x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x4x4x8xf32>
  return %o : tensor<1x4x4x8xf32>
}

// -----

func.func @main(%ids: tensor<1x1xi64> {tx.name = "input_ids", tx.role = #tx.input_role<token_ids>}, %pos: tensor<1x1xi64> {tx.name = "position_ids", tx.role = #tx.input_role<positions>},
                %q: tensor<1x4x1x8xf32>, %k: tensor<1x2x1x8xf32>, %cos: tensor<8x4xf32>) -> tensor<1x4x1x8xf32> {
  // expected-error @+1 {{tx-use-kv-cache: the cache capacity 16 exceeds the model's 8 positions (rows of this position table); compile with --max-seq 8 or less}}
  %r = tx.rope %q, %cos, %cos positions(%pos : tensor<1x1xi64>) : tensor<1x4x1x8xf32>, tensor<8x4xf32>, tensor<8x4xf32> -> tensor<1x4x1x8xf32>
  %o = tx.attention %r, %k, %k mask(causal) : tensor<1x4x1x8xf32>, tensor<1x2x1x8xf32>, tensor<1x2x1x8xf32> -> tensor<1x4x1x8xf32>
  return %o : tensor<1x4x1x8xf32>
}

// -----

// A model whose layers route tokens (tx-mod-prune) cannot use the cache yet.
// expected-error @+1 {{tx-use-kv-cache: the model routes tokens already: run tx-mod-prune after tx-use-kv-cache, so that routed layers keep their own cache lengths}}
func.func @main(%s: tensor<1x4xf32>) -> tensor<1x2xi64> {
  %idx, %w = tx.route %s capacity(2) weighting(one) : tensor<1x4xf32> -> tensor<1x2xi64>, tensor<1x2xf32>
  return %idx : tensor<1x2xi64>
}
