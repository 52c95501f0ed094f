// A small hand-written 2-layer Llama-style decoder in the tx dialect.
//
// Prefill of 8 tokens: hidden 64, 4 query heads and 2 KV heads (GQA) of
// dim 16, SwiGLU MLP of width 128, vocabulary 256. Weights are function
// arguments ([out_features, in_features]); each layer writes its keys and
// values into the KV cache. The queries are pre-divided by sqrt(head_dim)
// the way exporters emit it, and attention's scale is set to 1: the
// canonicalizer folds the division into the scale.
//
// Run the default pipeline on it:  build/bin/tx-opt --tx-default-pipeline examples/decoder2.mlir

func.func @decoder(%ids: tensor<1x8xi64>,
                    %embed: tensor<256x64xf32>,
                    %cos: tensor<8x8xf32>,
                    %sin: tensor<8x8xf32>,
                    %cache: !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 128, head_dim = 16, f32>,
                    %ln1_0: tensor<64xf32>,
                    %wq_0: tensor<64x64xf32>,
                    %wk_0: tensor<32x64xf32>,
                    %wv_0: tensor<32x64xf32>,
                    %wo_0: tensor<64x64xf32>,
                    %ln2_0: tensor<64xf32>,
                    %wg_0: tensor<128x64xf32>,
                    %wu_0: tensor<128x64xf32>,
                    %wd_0: tensor<64x128xf32>,
                    %ln1_1: tensor<64xf32>,
                    %wq_1: tensor<64x64xf32>,
                    %wk_1: tensor<32x64xf32>,
                    %wv_1: tensor<32x64xf32>,
                    %wo_1: tensor<64x64xf32>,
                    %ln2_1: tensor<64xf32>,
                    %wg_1: tensor<128x64xf32>,
                    %wu_1: tensor<128x64xf32>,
                    %wd_1: tensor<64x128xf32>,
                    %lnf: tensor<64xf32>,
                    %lm_head: tensor<256x64xf32>)
    -> tensor<1x8x256xf32> {
  %c0 = arith.constant 0 : index
  %h0 = tx.embedding %embed, %ids : tensor<256x64xf32>, tensor<1x8xi64> -> tensor<1x8x64xf32>
  %h1 = tx.layer 0 (%h0, %cos, %sin) : (tensor<1x8x64xf32>, tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<1x8x64xf32> {
  ^bb0(%x: tensor<1x8x64xf32>, %c: tensor<8x8xf32>, %s: tensor<8x8xf32>):
    %n1 = tx.rms_norm %x, %ln1_0 {epsilon = 1.0e-05 : f64} : tensor<1x8x64xf32>, tensor<64xf32> -> tensor<1x8x64xf32>
    %q = tx.linear %n1, %wq_0 : tensor<1x8x64xf32>, tensor<64x64xf32> -> tensor<1x8x64xf32>
    %k = tx.linear %n1, %wk_0 : tensor<1x8x64xf32>, tensor<32x64xf32> -> tensor<1x8x32xf32>
    %v = tx.linear %n1, %wv_0 : tensor<1x8x64xf32>, tensor<32x64xf32> -> tensor<1x8x32xf32>
    %q4 = tensor.expand_shape %q [[0], [1], [2, 3]] output_shape [1, 8, 4, 16] : tensor<1x8x64xf32> into tensor<1x8x4x16xf32>
    %qe = tensor.empty() : tensor<1x4x8x16xf32>
    %qt = linalg.transpose ins(%q4 : tensor<1x8x4x16xf32>) outs(%qe : tensor<1x4x8x16xf32>) permutation = [0, 2, 1, 3]
    %k4 = tensor.expand_shape %k [[0], [1], [2, 3]] output_shape [1, 8, 2, 16] : tensor<1x8x32xf32> into tensor<1x8x2x16xf32>
    %ke = tensor.empty() : tensor<1x2x8x16xf32>
    %kt = linalg.transpose ins(%k4 : tensor<1x8x2x16xf32>) outs(%ke : tensor<1x2x8x16xf32>) permutation = [0, 2, 1, 3]
    %v4 = tensor.expand_shape %v [[0], [1], [2, 3]] output_shape [1, 8, 2, 16] : tensor<1x8x32xf32> into tensor<1x8x2x16xf32>
    %ve = tensor.empty() : tensor<1x2x8x16xf32>
    %vt = linalg.transpose ins(%v4 : tensor<1x8x2x16xf32>) outs(%ve : tensor<1x2x8x16xf32>) permutation = [0, 2, 1, 3]
    %qr = tx.rope %qt, %c, %s : tensor<1x4x8x16xf32>, tensor<8x8xf32>, tensor<8x8xf32> -> tensor<1x4x8x16xf32>
    %kr = tx.rope %kt, %c, %s : tensor<1x2x8x16xf32>, tensor<8x8xf32>, tensor<8x8xf32> -> tensor<1x2x8x16xf32>
    tx.kv_append %cache[0], %kr, %vt at %c0 : !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 128, head_dim = 16, f32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
    %sqrt_d = arith.constant dense<4.0> : tensor<1x4x8x16xf32>
    %qs = arith.divf %qr, %sqrt_d : tensor<1x4x8x16xf32>
    %a = tx.attention %qs, %kr, %vt mask(causal) {scale = 1.0 : f64} : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
    %ae = tensor.empty() : tensor<1x8x4x16xf32>
    %at = linalg.transpose ins(%a : tensor<1x4x8x16xf32>) outs(%ae : tensor<1x8x4x16xf32>) permutation = [0, 2, 1, 3]
    %a2 = tensor.collapse_shape %at [[0], [1], [2, 3]] : tensor<1x8x4x16xf32> into tensor<1x8x64xf32>
    %o = tx.linear %a2, %wo_0 : tensor<1x8x64xf32>, tensor<64x64xf32> -> tensor<1x8x64xf32>
    %r1 = arith.addf %x, %o : tensor<1x8x64xf32>
    %n2 = tx.rms_norm %r1, %ln2_0 {epsilon = 1.0e-05 : f64} : tensor<1x8x64xf32>, tensor<64xf32> -> tensor<1x8x64xf32>
    %g = tx.linear %n2, %wg_0 : tensor<1x8x64xf32>, tensor<128x64xf32> -> tensor<1x8x128xf32>
    %u = tx.linear %n2, %wu_0 : tensor<1x8x64xf32>, tensor<128x64xf32> -> tensor<1x8x128xf32>
    %sg = tosa.sigmoid %g : (tensor<1x8x128xf32>) -> tensor<1x8x128xf32>
    %silu = arith.mulf %g, %sg : tensor<1x8x128xf32>
    %gu = arith.mulf %silu, %u : tensor<1x8x128xf32>
    %d = tx.linear %gu, %wd_0 : tensor<1x8x128xf32>, tensor<64x128xf32> -> tensor<1x8x64xf32>
    %r2 = arith.addf %r1, %d : tensor<1x8x64xf32>
    tx.yield %r2 : tensor<1x8x64xf32>
  }
  %h2 = tx.layer 1 (%h1, %cos, %sin) : (tensor<1x8x64xf32>, tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<1x8x64xf32> {
  ^bb0(%x: tensor<1x8x64xf32>, %c: tensor<8x8xf32>, %s: tensor<8x8xf32>):
    %n1 = tx.rms_norm %x, %ln1_1 {epsilon = 1.0e-05 : f64} : tensor<1x8x64xf32>, tensor<64xf32> -> tensor<1x8x64xf32>
    %q = tx.linear %n1, %wq_1 : tensor<1x8x64xf32>, tensor<64x64xf32> -> tensor<1x8x64xf32>
    %k = tx.linear %n1, %wk_1 : tensor<1x8x64xf32>, tensor<32x64xf32> -> tensor<1x8x32xf32>
    %v = tx.linear %n1, %wv_1 : tensor<1x8x64xf32>, tensor<32x64xf32> -> tensor<1x8x32xf32>
    %q4 = tensor.expand_shape %q [[0], [1], [2, 3]] output_shape [1, 8, 4, 16] : tensor<1x8x64xf32> into tensor<1x8x4x16xf32>
    %qe = tensor.empty() : tensor<1x4x8x16xf32>
    %qt = linalg.transpose ins(%q4 : tensor<1x8x4x16xf32>) outs(%qe : tensor<1x4x8x16xf32>) permutation = [0, 2, 1, 3]
    %k4 = tensor.expand_shape %k [[0], [1], [2, 3]] output_shape [1, 8, 2, 16] : tensor<1x8x32xf32> into tensor<1x8x2x16xf32>
    %ke = tensor.empty() : tensor<1x2x8x16xf32>
    %kt = linalg.transpose ins(%k4 : tensor<1x8x2x16xf32>) outs(%ke : tensor<1x2x8x16xf32>) permutation = [0, 2, 1, 3]
    %v4 = tensor.expand_shape %v [[0], [1], [2, 3]] output_shape [1, 8, 2, 16] : tensor<1x8x32xf32> into tensor<1x8x2x16xf32>
    %ve = tensor.empty() : tensor<1x2x8x16xf32>
    %vt = linalg.transpose ins(%v4 : tensor<1x8x2x16xf32>) outs(%ve : tensor<1x2x8x16xf32>) permutation = [0, 2, 1, 3]
    %qr = tx.rope %qt, %c, %s : tensor<1x4x8x16xf32>, tensor<8x8xf32>, tensor<8x8xf32> -> tensor<1x4x8x16xf32>
    %kr = tx.rope %kt, %c, %s : tensor<1x2x8x16xf32>, tensor<8x8xf32>, tensor<8x8xf32> -> tensor<1x2x8x16xf32>
    tx.kv_append %cache[1], %kr, %vt at %c0 : !tx.kv_cache<layers = 2, kv_heads = 2, capacity = 128, head_dim = 16, f32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
    %sqrt_d = arith.constant dense<4.0> : tensor<1x4x8x16xf32>
    %qs = arith.divf %qr, %sqrt_d : tensor<1x4x8x16xf32>
    %a = tx.attention %qs, %kr, %vt mask(causal) {scale = 1.0 : f64} : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
    %ae = tensor.empty() : tensor<1x8x4x16xf32>
    %at = linalg.transpose ins(%a : tensor<1x4x8x16xf32>) outs(%ae : tensor<1x8x4x16xf32>) permutation = [0, 2, 1, 3]
    %a2 = tensor.collapse_shape %at [[0], [1], [2, 3]] : tensor<1x8x4x16xf32> into tensor<1x8x64xf32>
    %o = tx.linear %a2, %wo_1 : tensor<1x8x64xf32>, tensor<64x64xf32> -> tensor<1x8x64xf32>
    %r1 = arith.addf %x, %o : tensor<1x8x64xf32>
    %n2 = tx.rms_norm %r1, %ln2_1 {epsilon = 1.0e-05 : f64} : tensor<1x8x64xf32>, tensor<64xf32> -> tensor<1x8x64xf32>
    %g = tx.linear %n2, %wg_1 : tensor<1x8x64xf32>, tensor<128x64xf32> -> tensor<1x8x128xf32>
    %u = tx.linear %n2, %wu_1 : tensor<1x8x64xf32>, tensor<128x64xf32> -> tensor<1x8x128xf32>
    %sg = tosa.sigmoid %g : (tensor<1x8x128xf32>) -> tensor<1x8x128xf32>
    %silu = arith.mulf %g, %sg : tensor<1x8x128xf32>
    %gu = arith.mulf %silu, %u : tensor<1x8x128xf32>
    %d = tx.linear %gu, %wd_1 : tensor<1x8x128xf32>, tensor<64x128xf32> -> tensor<1x8x64xf32>
    %r2 = arith.addf %r1, %d : tensor<1x8x64xf32>
    tx.yield %r2 : tensor<1x8x64xf32>
  }
  %nf = tx.rms_norm %h2, %lnf {epsilon = 1.0e-05 : f64} : tensor<1x8x64xf32>, tensor<64xf32> -> tensor<1x8x64xf32>
  %logits = tx.linear %nf, %lm_head : tensor<1x8x64xf32>, tensor<256x64xf32> -> tensor<1x8x256xf32>
  return %logits : tensor<1x8x256xf32>
}
