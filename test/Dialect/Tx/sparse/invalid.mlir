// RUN: tx-opt %s -split-input-file -verify-diagnostics

func.func @summary_key_rank(%k: tensor<2x64x64xf32>) -> (tensor<1x2x4x64xf32>, tensor<1x2x4x64xf32>) {
  // expected-error @+1 {{'tx.block_summary' op 'key' must have rank 4 ([batch, kv_heads, seq, head_dim]), got rank 3}}
  %s0, %s1 = tx.block_summary %k kind(minmax) block_size(16) : tensor<2x64x64xf32> -> tensor<1x2x4x64xf32>, tensor<1x2x4x64xf32>
  return %s0, %s1 : tensor<1x2x4x64xf32>, tensor<1x2x4x64xf32>
}

// -----

func.func @summary_block_size_zero(%k: tensor<1x2x64x64xf32>) -> (tensor<1x2x4x64xf32>, tensor<1x2x4x64xf32>) {
  // expected-error @+1 {{'tx.block_summary' op block_size must be positive, got 0}}
  %s0, %s1 = tx.block_summary %k kind(minmax) block_size(0) : tensor<1x2x64x64xf32> -> tensor<1x2x4x64xf32>, tensor<1x2x4x64xf32>
  return %s0, %s1 : tensor<1x2x4x64xf32>, tensor<1x2x4x64xf32>
}

// -----

func.func @summary_block_size_negative(%k: tensor<1x2x64x64xf32>) -> (tensor<1x2x4x64xf32>) {
  // expected-error @+1 {{'tx.block_summary' op block_size must be positive, got -16}}
  %s0 = tx.block_summary %k kind(mean) block_size(-16) : tensor<1x2x64x64xf32> -> tensor<1x2x4x64xf32>
  return %s0 : tensor<1x2x4x64xf32>
}

// -----

func.func @summary_minmax_one_result(%k: tensor<1x2x64x64xf32>) -> (tensor<1x2x4x64xf32>) {
  // expected-error @+1 {{'tx.block_summary' op kind minmax produces 2 results, got 1}}
  %s0 = tx.block_summary %k kind(minmax) block_size(16) : tensor<1x2x64x64xf32> -> tensor<1x2x4x64xf32>
  return %s0 : tensor<1x2x4x64xf32>
}

// -----

func.func @summary_mean_two_results(%k: tensor<1x2x64x64xf32>) -> (tensor<1x2x4x64xf32>, tensor<1x2x4x64xf32>) {
  // expected-error @+1 {{'tx.block_summary' op kind mean produces 1 result, got 2}}
  %s0, %s1 = tx.block_summary %k kind(mean) block_size(16) : tensor<1x2x64x64xf32> -> tensor<1x2x4x64xf32>, tensor<1x2x4x64xf32>
  return %s0, %s1 : tensor<1x2x4x64xf32>, tensor<1x2x4x64xf32>
}

// -----

func.func @summary_mean_no_result(%k: tensor<1x2x64x64xf32>) {
  // expected-error @+1 {{'tx.block_summary' op kind mean produces 1 result, got 0}}
  "tx.block_summary"(%k) <{kind = #tx<summary_kind mean>, block_size = 16 : i64}> : (tensor<1x2x64x64xf32>) -> ()
  return
}

// -----

func.func @summary_shape(%k: tensor<1x2x64x64xf32>) -> (tensor<1x2x4x64xf32>, tensor<1x2x8x64xf32>) {
  // expected-error @+1 {{'tx.block_summary' op 'summary' must have shape [1, 2, 4, 64], got [1, 2, 8, 64]}}
  %s0, %s1 = tx.block_summary %k kind(minmax) block_size(16) : tensor<1x2x64x64xf32> -> tensor<1x2x4x64xf32>, tensor<1x2x8x64xf32>
  return %s0, %s1 : tensor<1x2x4x64xf32>, tensor<1x2x8x64xf32>
}

// -----

func.func @summary_shape_partial_block(%k: tensor<1x2x65x64xf32>) -> (tensor<1x2x4x64xf32>) {
  // expected-error @+1 {{'tx.block_summary' op 'summary' must have shape [1, 2, 5, 64], got [1, 2, 4, 64]}}
  %s0 = tx.block_summary %k kind(mean) block_size(16) : tensor<1x2x65x64xf32> -> tensor<1x2x4x64xf32>
  return %s0 : tensor<1x2x4x64xf32>
}

// -----

func.func @summary_element_type(%k: tensor<1x2x64x64xf32>) -> (tensor<1x2x4x64xf16>) {
  // expected-error @+1 {{'tx.block_summary' op element type mismatch: 'summary' has 'f16' but 'key' has 'f32'}}
  %s0 = tx.block_summary %k kind(mean) block_size(16) : tensor<1x2x64x64xf32> -> tensor<1x2x4x64xf16>
  return %s0 : tensor<1x2x4x64xf16>
}

// -----

func.func @select_query_rank(%q: tensor<8x1x64xf32>, %s0: tensor<1x2x64x64xf32>, %s1: tensor<1x2x64x64xf32>) -> tensor<1x8x1x7xi64> {
  // expected-error @+1 {{'tx.block_select' op 'query' must have rank 4 ([batch, heads, seq, head_dim]), got rank 3}}
  %b = tx.block_select %q, %s0, %s1 block_size(16) {sinks = 1, local = 2, top_k = 4} : tensor<8x1x64xf32>, tensor<1x2x64x64xf32>, tensor<1x2x64x64xf32> -> tensor<1x8x1x7xi64>
  return %b : tensor<1x8x1x7xi64>
}

// -----

func.func @select_three_summaries(%q: tensor<1x8x1x64xf32>, %s0: tensor<1x2x64x64xf32>, %s1: tensor<1x2x64x64xf32>, %s2: tensor<1x2x64x64xf32>) -> tensor<1x8x1x7xi64> {
  // expected-error @+1 {{'tx.block_select' op expects 1 (mean) or 2 (max, min) summaries, got 3}}
  %b = tx.block_select %q, %s0, %s1, %s2 block_size(16) {sinks = 1, local = 2, top_k = 4} : tensor<1x8x1x64xf32>, tensor<1x2x64x64xf32>, tensor<1x2x64x64xf32>, tensor<1x2x64x64xf32> -> tensor<1x8x1x7xi64>
  return %b : tensor<1x8x1x7xi64>
}

// -----

func.func @select_no_summaries(%q: tensor<1x8x1x64xf32>) -> tensor<1x8x1x7xi64> {
  // expected-error @+1 {{'tx.block_select' op expects 1 (mean) or 2 (max, min) summaries, got 0}}
  %b = "tx.block_select"(%q) <{block_size = 16 : i64, sinks = 1 : i64, local = 2 : i64, top_k = 4 : i64}> : (tensor<1x8x1x64xf32>) -> tensor<1x8x1x7xi64>
  return %b : tensor<1x8x1x7xi64>
}

// -----

func.func @select_summary_types_differ(%q: tensor<1x8x1x64xf32>, %s0: tensor<1x2x64x64xf32>, %s1: tensor<1x2x64x64xf16>) -> tensor<1x8x1x7xi64> {
  // expected-error @+1 {{'tx.block_select' op the max and min summaries must have the same type}}
  %b = tx.block_select %q, %s0, %s1 block_size(16) {sinks = 1, local = 2, top_k = 4} : tensor<1x8x1x64xf32>, tensor<1x2x64x64xf32>, tensor<1x2x64x64xf16> -> tensor<1x8x1x7xi64>
  return %b : tensor<1x8x1x7xi64>
}

// -----

func.func @select_summary_rank(%q: tensor<1x8x1x64xf32>, %s0: tensor<2x64x64xf32>) -> tensor<1x8x1x7xi64> {
  // expected-error @+1 {{'tx.block_select' op 'summary' must have rank 4 ([batch, kv_heads, blocks, head_dim]), got rank 3}}
  %b = tx.block_select %q, %s0 block_size(16) {sinks = 1, local = 2, top_k = 4} : tensor<1x8x1x64xf32>, tensor<2x64x64xf32> -> tensor<1x8x1x7xi64>
  return %b : tensor<1x8x1x7xi64>
}

// -----

func.func @select_batch(%q: tensor<1x8x1x64xf32>, %s0: tensor<2x2x64x64xf32>, %s1: tensor<2x2x64x64xf32>) -> tensor<1x8x1x7xi64> {
  // expected-error @+1 {{'tx.block_select' op batch mismatch: query batch is 1 but summary batch is 2}}
  %b = tx.block_select %q, %s0, %s1 block_size(16) {sinks = 1, local = 2, top_k = 4} : tensor<1x8x1x64xf32>, tensor<2x2x64x64xf32>, tensor<2x2x64x64xf32> -> tensor<1x8x1x7xi64>
  return %b : tensor<1x8x1x7xi64>
}

// -----

func.func @select_head_dim(%q: tensor<1x8x1x64xf32>, %s0: tensor<1x2x64x128xf32>) -> tensor<1x8x1x7xi64> {
  // expected-error @+1 {{'tx.block_select' op head_dim mismatch: query head_dim is 64 but summary head_dim is 128}}
  %b = tx.block_select %q, %s0 block_size(16) {sinks = 1, local = 2, top_k = 4} : tensor<1x8x1x64xf32>, tensor<1x2x64x128xf32> -> tensor<1x8x1x7xi64>
  return %b : tensor<1x8x1x7xi64>
}

// -----

func.func @select_heads_multiple(%q: tensor<1x8x1x64xf32>, %s0: tensor<1x3x64x64xf32>) -> tensor<1x8x1x7xi64> {
  // expected-error @+1 {{'tx.block_select' op query heads (8) must be a multiple of KV heads (3)}}
  %b = tx.block_select %q, %s0 block_size(16) {sinks = 1, local = 2, top_k = 4} : tensor<1x8x1x64xf32>, tensor<1x3x64x64xf32> -> tensor<1x8x1x7xi64>
  return %b : tensor<1x8x1x7xi64>
}

// -----

func.func @select_zero_kv_heads(%q: tensor<1x8x1x64xf32>, %s0: tensor<1x0x64x64xf32>) -> tensor<1x8x1x7xi64> {
  // expected-error @+1 {{'tx.block_select' op query heads (8) must be a multiple of KV heads (0)}}
  %b = tx.block_select %q, %s0 block_size(16) {sinks = 1, local = 2, top_k = 4} : tensor<1x8x1x64xf32>, tensor<1x0x64x64xf32> -> tensor<1x8x1x7xi64>
  return %b : tensor<1x8x1x7xi64>
}

// -----

func.func @select_block_size_zero(%q: tensor<1x8x1x64xf32>, %s0: tensor<1x2x64x64xf32>, %s1: tensor<1x2x64x64xf32>) -> tensor<1x8x1x7xi64> {
  // expected-error @+1 {{'tx.block_select' op block_size must be positive, got 0}}
  %b = tx.block_select %q, %s0, %s1 block_size(0) {sinks = 1, local = 2, top_k = 4} : tensor<1x8x1x64xf32>, tensor<1x2x64x64xf32>, tensor<1x2x64x64xf32> -> tensor<1x8x1x7xi64>
  return %b : tensor<1x8x1x7xi64>
}

// -----

func.func @select_sinks_negative(%q: tensor<1x8x1x64xf32>, %s0: tensor<1x2x64x64xf32>, %s1: tensor<1x2x64x64xf32>) -> tensor<1x8x1x7xi64> {
  // expected-error @+1 {{'tx.block_select' op 'sinks' must be non-negative, got -1}}
  %b = tx.block_select %q, %s0, %s1 block_size(16) {sinks = -1, local = 2, top_k = 4} : tensor<1x8x1x64xf32>, tensor<1x2x64x64xf32>, tensor<1x2x64x64xf32> -> tensor<1x8x1x7xi64>
  return %b : tensor<1x8x1x7xi64>
}

// -----

func.func @select_local_negative(%q: tensor<1x8x1x64xf32>, %s0: tensor<1x2x64x64xf32>, %s1: tensor<1x2x64x64xf32>) -> tensor<1x8x1x7xi64> {
  // expected-error @+1 {{'tx.block_select' op 'local' must be non-negative, got -2}}
  %b = tx.block_select %q, %s0, %s1 block_size(16) {local = -2, top_k = 4} : tensor<1x8x1x64xf32>, tensor<1x2x64x64xf32>, tensor<1x2x64x64xf32> -> tensor<1x8x1x7xi64>
  return %b : tensor<1x8x1x7xi64>
}

// -----

func.func @select_top_k_negative(%q: tensor<1x8x1x64xf32>, %s0: tensor<1x2x64x64xf32>, %s1: tensor<1x2x64x64xf32>) -> tensor<1x8x1x7xi64> {
  // expected-error @+1 {{'tx.block_select' op 'top_k' must be non-negative, got -4}}
  %b = tx.block_select %q, %s0, %s1 block_size(16) {sinks = 1, top_k = -4} : tensor<1x8x1x64xf32>, tensor<1x2x64x64xf32>, tensor<1x2x64x64xf32> -> tensor<1x8x1x7xi64>
  return %b : tensor<1x8x1x7xi64>
}

// -----

func.func @select_nothing(%q: tensor<1x8x1x64xf32>, %s0: tensor<1x2x64x64xf32>) -> tensor<1x8x1x0xi64> {
  // expected-error @+1 {{'tx.block_select' op selects no blocks: sinks + local + top_k is 0}}
  %b = tx.block_select %q, %s0 block_size(16) {sinks = 0, local = 0, top_k = 0} : tensor<1x8x1x64xf32>, tensor<1x2x64x64xf32> -> tensor<1x8x1x0xi64>
  return %b : tensor<1x8x1x0xi64>
}

// -----

func.func @select_streaming_head_too_large(%q: tensor<1x8x1x64xf32>, %s0: tensor<1x2x64x64xf32>, %s1: tensor<1x2x64x64xf32>) -> tensor<1x8x1x7xi64> {
  // expected-error @+1 {{'tx.block_select' op streaming head 8 is out of range for 8 query heads}}
  %b = tx.block_select %q, %s0, %s1 block_size(16) {sinks = 1, local = 2, top_k = 4, streaming_heads = array<i64: 1, 8>} : tensor<1x8x1x64xf32>, tensor<1x2x64x64xf32>, tensor<1x2x64x64xf32> -> tensor<1x8x1x7xi64>
  return %b : tensor<1x8x1x7xi64>
}

// -----

func.func @select_streaming_head_negative(%q: tensor<1x8x1x64xf32>, %s0: tensor<1x2x64x64xf32>, %s1: tensor<1x2x64x64xf32>) -> tensor<1x8x1x7xi64> {
  // expected-error @+1 {{'tx.block_select' op streaming head -1 is out of range for 8 query heads}}
  %b = tx.block_select %q, %s0, %s1 block_size(16) {sinks = 1, local = 2, top_k = 4, streaming_heads = array<i64: -1>} : tensor<1x8x1x64xf32>, tensor<1x2x64x64xf32>, tensor<1x2x64x64xf32> -> tensor<1x8x1x7xi64>
  return %b : tensor<1x8x1x7xi64>
}

// -----

func.func @select_streaming_heads_not_increasing(%q: tensor<1x8x1x64xf32>, %s0: tensor<1x2x64x64xf32>, %s1: tensor<1x2x64x64xf32>) -> tensor<1x8x1x7xi64> {
  // expected-error @+1 {{'tx.block_select' op 'streaming_heads' must be strictly increasing}}
  %b = tx.block_select %q, %s0, %s1 block_size(16) {sinks = 1, local = 2, top_k = 4, streaming_heads = array<i64: 3, 1>} : tensor<1x8x1x64xf32>, tensor<1x2x64x64xf32>, tensor<1x2x64x64xf32> -> tensor<1x8x1x7xi64>
  return %b : tensor<1x8x1x7xi64>
}

// -----

func.func @select_streaming_heads_duplicate(%q: tensor<1x8x1x64xf32>, %s0: tensor<1x2x64x64xf32>, %s1: tensor<1x2x64x64xf32>) -> tensor<1x8x1x7xi64> {
  // expected-error @+1 {{'tx.block_select' op 'streaming_heads' must be strictly increasing}}
  %b = tx.block_select %q, %s0, %s1 block_size(16) {sinks = 1, local = 2, top_k = 4, streaming_heads = array<i64: 2, 2>} : tensor<1x8x1x64xf32>, tensor<1x2x64x64xf32>, tensor<1x2x64x64xf32> -> tensor<1x8x1x7xi64>
  return %b : tensor<1x8x1x7xi64>
}

// -----

func.func @select_result_selected(%q: tensor<1x8x1x64xf32>, %s0: tensor<1x2x64x64xf32>, %s1: tensor<1x2x64x64xf32>) -> tensor<1x8x1x4xi64> {
  // expected-error @+1 {{'tx.block_select' op 'result' must have shape [1, 8, 1, 7], got [1, 8, 1, 4]}}
  %b = tx.block_select %q, %s0, %s1 block_size(16) {sinks = 1, local = 2, top_k = 4} : tensor<1x8x1x64xf32>, tensor<1x2x64x64xf32>, tensor<1x2x64x64xf32> -> tensor<1x8x1x4xi64>
  return %b : tensor<1x8x1x4xi64>
}

// -----

func.func @select_result_query_blocks(%q: tensor<1x8x33x64xf32>, %s0: tensor<1x2x64x64xf32>, %s1: tensor<1x2x64x64xf32>) -> tensor<1x8x2x7xi64> {
  // expected-error @+1 {{'tx.block_select' op 'result' must have shape [1, 8, 3, 7], got [1, 8, 2, 7]}}
  %b = tx.block_select %q, %s0, %s1 block_size(16) {sinks = 1, local = 2, top_k = 4} : tensor<1x8x33x64xf32>, tensor<1x2x64x64xf32>, tensor<1x2x64x64xf32> -> tensor<1x8x2x7xi64>
  return %b : tensor<1x8x2x7xi64>
}

// -----

func.func @select_result_default_local(%q: tensor<1x8x1x64xf32>, %s0: tensor<1x2x64x64xf32>) -> tensor<1x8x1x4xi64> {
  // expected-error @+1 {{'tx.block_select' op 'result' must have shape [1, 8, 1, 5], got [1, 8, 1, 4]}}
  %b = tx.block_select %q, %s0 block_size(16) {top_k = 4} : tensor<1x8x1x64xf32>, tensor<1x2x64x64xf32> -> tensor<1x8x1x4xi64>
  return %b : tensor<1x8x1x4xi64>
}

// -----

func.func @select_missing_top_k(%q: tensor<1x8x1x64xf32>, %s0: tensor<1x2x64x64xf32>) -> tensor<1x8x1x7xi64> {
  // expected-error @+1 {{'tx.block_select' op requires attribute 'top_k'}}
  %b = tx.block_select %q, %s0 block_size(16) : tensor<1x8x1x64xf32>, tensor<1x2x64x64xf32> -> tensor<1x8x1x7xi64>
  return %b : tensor<1x8x1x7xi64>
}
