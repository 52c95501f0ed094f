// tx-use-kv-cache kv-quant: int8 and fp8 give the cache a #tx.kv_format with
// one scale per (token, head) row (group = head_dim, per_token), also in the
// tx.generation record the runtime reads; f32 (the default) none. A value
// other than f32, int8 and fp8 is an error naming the option.
// RUN: tx-opt %s --tx-use-kv-cache="capacity=32" | FileCheck %s --check-prefix=F32
// RUN: tx-opt %s --tx-use-kv-cache="capacity=32 kv-quant=f32" | FileCheck %s --check-prefix=F32
// RUN: tx-opt %s --tx-use-kv-cache="capacity=32 kv-quant=int8" | FileCheck %s --check-prefix=INT8
// RUN: tx-opt %s --tx-use-kv-cache="capacity=32 block-size=8 kv-quant=fp8" | FileCheck %s --check-prefix=FP8
// RUN: not tx-opt %s --tx-use-kv-cache="capacity=32 kv-quant=int3" 2>&1 | FileCheck %s --check-prefix=BAD
// F32: %{{[^:]+}}: !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 32, head_dim = 8, f32> {tx.name = "kv_cache"}
// F32-NOT: kv_format
// INT8: %{{[^:]+}}: !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 32, head_dim = 8, f32, #tx.kv_format<int8, group = 8, per_token>> {tx.name = "kv_cache"}
// INT8-SAME: cache_type = !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 32, head_dim = 8, f32, #tx.kv_format<int8, group = 8, per_token>>
// INT8: tx.kv_append
// FP8: !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 32, head_dim = 8, f32, paged<8>, #tx.kv_format<fp8_e4m3, group = 8, per_token>> {tx.name = "kv_cache"}
// BAD: error: tx-use-kv-cache: kv-quant must be f32, int8 or fp8, got 'int3' (txc --kv-quant)

func.func @main(%ids: tensor<1x4xi64> {tx.name = "input_ids", tx.role = #tx.input_role<token_ids>},
                %pos: tensor<1x4xi64> {tx.name = "position_ids", tx.role = #tx.input_role<positions>},
                %q: tensor<1x4x4x8xf32>, %k: tensor<1x2x4x8xf32>) -> (tensor<1x4x4x8xf32> {tx.name = "logits"}) {
  %o = tx.attention %q, %k, %k mask(causal) : tensor<1x4x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x4x4x8xf32>
  return %o : tensor<1x4x4x8xf32>
}
