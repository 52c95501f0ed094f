// Attention over a fixed-capacity cache of 32 positions, of which only the
// first `len` are valid (a decode or chunked-prefill step): kv-length.test
// compiles it with txc and checks it against NumPy.
func.func @main(%q: tensor<1x4x3x16xf32> {tx.name = "q"},
                %k: tensor<1x2x32x16xf32> {tx.name = "k"},
                %v: tensor<1x2x32x16xf32> {tx.name = "v"},
                %len: tensor<i64> {tx.name = "len"})
    -> (tensor<1x4x3x16xf32> {tx.name = "causal"},
        tensor<1x4x3x16xf32> {tx.name = "window"}) {
  %l = tensor.extract %len[] : tensor<i64>
  %n = arith.index_cast %l : i64 to index
  %c = tx.attention %q, %k, %v mask(causal) kv_length(%n)
      : tensor<1x4x3x16xf32>, tensor<1x2x32x16xf32>, tensor<1x2x32x16xf32> -> tensor<1x4x3x16xf32>
  %w = tx.attention %q, %k, %v mask(sliding_window) kv_length(%n) {window = 4, sinks = 1}
      : tensor<1x4x3x16xf32>, tensor<1x2x32x16xf32>, tensor<1x2x32x16xf32> -> tensor<1x4x3x16xf32>
  return %c, %w : tensor<1x4x3x16xf32>, tensor<1x4x3x16xf32>
}
