// RUN: tx-opt %s | tx-opt | FileCheck %s
// RUN: tx-opt %s --mlir-print-op-generic | tx-opt | FileCheck %s

// Round trip of the block-sparse selection ops: tx.block_summary (minmax and
// mean) and tx.block_select (one or two summaries, defaults, streaming heads).

// CHECK-LABEL: func.func @block_summary_minmax
// CHECK-SAME: (%[[K:[^:]+]]: tensor<1x2x64x64xf32>)
func.func @block_summary_minmax(%k: tensor<1x2x64x64xf32>) -> (tensor<1x2x4x64xf32>, tensor<1x2x4x64xf32>) {
  // CHECK: %[[S:.+]]:2 = tx.block_summary %[[K]] kind(minmax) block_size(16) : tensor<1x2x64x64xf32> -> tensor<1x2x4x64xf32>, tensor<1x2x4x64xf32>
  // CHECK-NEXT: return %[[S]]#0, %[[S]]#1
  %kmax, %kmin = tx.block_summary %k kind(minmax) block_size(16)
      : tensor<1x2x64x64xf32> -> tensor<1x2x4x64xf32>, tensor<1x2x4x64xf32>
  return %kmax, %kmin : tensor<1x2x4x64xf32>, tensor<1x2x4x64xf32>
}

// mean, with a partial last block (60 keys in blocks of 16: 4 blocks).
// CHECK-LABEL: func.func @block_summary_mean
// CHECK-SAME: (%[[K:[^:]+]]: tensor<1x2x60x64xf16>)
func.func @block_summary_mean(%k: tensor<1x2x60x64xf16>) -> tensor<1x2x4x64xf16> {
  // CHECK: %[[S:.+]] = tx.block_summary %[[K]] kind(mean) block_size(16) : tensor<1x2x60x64xf16> -> tensor<1x2x4x64xf16>
  // CHECK-NEXT: return %[[S]]
  %m = tx.block_summary %k kind(mean) block_size(16) : tensor<1x2x60x64xf16> -> tensor<1x2x4x64xf16>
  return %m : tensor<1x2x4x64xf16>
}

// Dynamic sequence length (dynamic number of blocks).
// CHECK-LABEL: func.func @block_summary_dynamic
func.func @block_summary_dynamic(%k: tensor<?x8x?x128xbf16>) -> (tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16>) {
  // CHECK: tx.block_summary %{{.+}} kind(minmax) block_size(64) : tensor<?x8x?x128xbf16> -> tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16>
  %kmax, %kmin = tx.block_summary %k kind(minmax) block_size(64)
      : tensor<?x8x?x128xbf16> -> tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16>
  return %kmax, %kmin : tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16>
}

// Two summaries (minmax), decode (one query), all of sinks/local/top_k given.
// CHECK-LABEL: func.func @block_select_minmax
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x8x1x64xf32>, %[[MAX:[^:]+]]: tensor<1x2x64x64xf32>, %[[MIN:[^:]+]]: tensor<1x2x64x64xf32>)
func.func @block_select_minmax(%q: tensor<1x8x1x64xf32>, %kmax: tensor<1x2x64x64xf32>, %kmin: tensor<1x2x64x64xf32>) -> tensor<1x8x1x7xi64> {
  // CHECK: %[[B:.+]] = tx.block_select %[[Q]], %[[MAX]], %[[MIN]] block_size(16) {local = 2 : i64, sinks = 1 : i64, top_k = 4 : i64} : tensor<1x8x1x64xf32>, tensor<1x2x64x64xf32>, tensor<1x2x64x64xf32> -> tensor<1x8x1x7xi64>
  // CHECK-NEXT: return %[[B]]
  %blocks = tx.block_select %q, %kmax, %kmin block_size(16) {sinks = 1, local = 2, top_k = 4}
      : tensor<1x8x1x64xf32>, tensor<1x2x64x64xf32>, tensor<1x2x64x64xf32> -> tensor<1x8x1x7xi64>
  return %blocks : tensor<1x8x1x7xi64>
}

// One summary (mean); sinks (default 0) and local (default 1) are not printed
// when they have their default values, whether given or not.
// CHECK-LABEL: func.func @block_select_mean_defaults
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x8x64x64xf32>, %[[M:[^:]+]]: tensor<1x2x3x64xf32>)
func.func @block_select_mean_defaults(%q: tensor<1x8x64x64xf32>, %mean: tensor<1x2x3x64xf32>) -> (tensor<1x8x3x3xi64>, tensor<1x8x3x3xi64>) {
  // CHECK: tx.block_select %[[Q]], %[[M]] block_size(24) {top_k = 2 : i64} : tensor<1x8x64x64xf32>, tensor<1x2x3x64xf32> -> tensor<1x8x3x3xi64>
  %b = tx.block_select %q, %mean block_size(24) {top_k = 2}
      : tensor<1x8x64x64xf32>, tensor<1x2x3x64xf32> -> tensor<1x8x3x3xi64>
  // CHECK-NEXT: tx.block_select %[[Q]], %[[M]] block_size(24) {top_k = 2 : i64} : tensor<1x8x64x64xf32>, tensor<1x2x3x64xf32> -> tensor<1x8x3x3xi64>
  %b2 = tx.block_select %q, %mean block_size(24) {sinks = 0, local = 1, top_k = 2}
      : tensor<1x8x64x64xf32>, tensor<1x2x3x64xf32> -> tensor<1x8x3x3xi64>
  return %b, %b2 : tensor<1x8x3x3xi64>, tensor<1x8x3x3xi64>
}

// top_k = 0 (sink + local only), i32 result.
// CHECK-LABEL: func.func @block_select_no_topk
func.func @block_select_no_topk(%q: tensor<1x4x32x16xf32>, %mean: tensor<1x4x2x16xf32>) -> tensor<1x4x2x3xi32> {
  // CHECK: tx.block_select %{{.+}}, %{{.+}} block_size(16) {local = 2 : i64, sinks = 1 : i64, top_k = 0 : i64} : tensor<1x4x32x16xf32>, tensor<1x4x2x16xf32> -> tensor<1x4x2x3xi32>
  %b = tx.block_select %q, %mean block_size(16) {sinks = 1, local = 2, top_k = 0}
      : tensor<1x4x32x16xf32>, tensor<1x4x2x16xf32> -> tensor<1x4x2x3xi32>
  return %b : tensor<1x4x2x3xi32>
}

// Streaming heads take sink + local blocks only.
// CHECK-LABEL: func.func @block_select_streaming_heads
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x8x64x64xf32>, %[[MAX:[^:]+]]: tensor<1x2x4x64xf32>, %[[MIN:[^:]+]]: tensor<1x2x4x64xf32>)
func.func @block_select_streaming_heads(%q: tensor<1x8x64x64xf32>, %kmax: tensor<1x2x4x64xf32>, %kmin: tensor<1x2x4x64xf32>) -> tensor<1x8x4x4xi64> {
  // CHECK: tx.block_select %[[Q]], %[[MAX]], %[[MIN]] block_size(16) {sinks = 1 : i64, streaming_heads = array<i64: 0, 3, 7>, top_k = 2 : i64} : tensor<1x8x64x64xf32>, tensor<1x2x4x64xf32>, tensor<1x2x4x64xf32> -> tensor<1x8x4x4xi64>
  %b = tx.block_select %q, %kmax, %kmin block_size(16) {sinks = 1, local = 1, top_k = 2, streaming_heads = array<i64: 0, 3, 7>}
      : tensor<1x8x64x64xf32>, tensor<1x2x4x64xf32>, tensor<1x2x4x64xf32> -> tensor<1x8x4x4xi64>
  return %b : tensor<1x8x4x4xi64>
}

// Dynamic batch, query length and number of key blocks.
// CHECK-LABEL: func.func @block_select_dynamic
func.func @block_select_dynamic(%q: tensor<?x8x?x64xf16>, %mean: tensor<?x2x?x64xf16>) -> tensor<?x8x?x5xi64> {
  // CHECK: tx.block_select %{{.+}}, %{{.+}} block_size(32) {streaming_heads = array<i64: 1>, top_k = 4 : i64} : tensor<?x8x?x64xf16>, tensor<?x2x?x64xf16> -> tensor<?x8x?x5xi64>
  %b = tx.block_select %q, %mean block_size(32) {top_k = 4, streaming_heads = array<i64: 1>}
      : tensor<?x8x?x64xf16>, tensor<?x2x?x64xf16> -> tensor<?x8x?x5xi64>
  return %b : tensor<?x8x?x5xi64>
}

// Quest-style pipeline: summarize keys, select blocks, attend block-sparsely.
// CHECK-LABEL: func.func @quest_pipeline
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x8x1x64xf32>, %[[K:[^:]+]]: tensor<1x2x64x64xf32>, %[[V:[^:]+]]: tensor<1x2x64x64xf32>)
func.func @quest_pipeline(%q: tensor<1x8x1x64xf32>, %k: tensor<1x2x64x64xf32>, %v: tensor<1x2x64x64xf32>) -> tensor<1x8x1x64xf32> {
  // CHECK: %[[S:.+]]:2 = tx.block_summary %[[K]] kind(minmax) block_size(16)
  %kmax, %kmin = tx.block_summary %k kind(minmax) block_size(16)
      : tensor<1x2x64x64xf32> -> tensor<1x2x4x64xf32>, tensor<1x2x4x64xf32>
  // CHECK-NEXT: %[[B:.+]] = tx.block_select %[[Q]], %[[S]]#0, %[[S]]#1 block_size(16) {top_k = 2 : i64}
  %blocks = tx.block_select %q, %kmax, %kmin block_size(16) {top_k = 2}
      : tensor<1x8x1x64xf32>, tensor<1x2x4x64xf32>, tensor<1x2x4x64xf32> -> tensor<1x8x1x3xi64>
  // CHECK-NEXT: %[[O:.+]] = tx.attention %[[Q]], %[[K]], %[[V]] mask(block_sparse) blocks(%[[B]] : tensor<1x8x1x3xi64>) {block_size = 16 : i64}
  %o = tx.attention %q, %k, %v mask(block_sparse) blocks(%blocks : tensor<1x8x1x3xi64>) {block_size = 16}
      : tensor<1x8x1x64xf32>, tensor<1x2x64x64xf32>, tensor<1x2x64x64xf32> -> tensor<1x8x1x64xf32>
  // CHECK-NEXT: return %[[O]]
  return %o : tensor<1x8x1x64xf32>
}
