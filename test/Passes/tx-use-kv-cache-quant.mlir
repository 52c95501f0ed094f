// tx-use-kv-cache kv-quant: int8 and fp8 give the cache a #tx.kv_format with
// one scale per (token, head) row (group = head_dim, per_token), also in the
// tx.generation record the runtime reads; f32 (the default) none. A value
// other than f32, int8 and fp8 is an error naming the option.
// RUN: tx-opt %s --tx-use-kv-cache="capacity=32" | FileCheck %s --check-prefix=F32
// RUN: tx-opt %s --tx-use-kv-cache="capacity=32 kv-quant=f32" | FileCheck %s --check-prefix=F32
// RUN: tx-opt %s --tx-use-kv-cache="capacity=32 kv-quant=int8" | FileCheck %s --check-prefix=INT8
// RUN: tx-opt %s --tx-use-kv-cache="capacity=32 block-size=8 kv-quant=fp8" | FileCheck %s --check-prefix=FP8
// RUN: not tx-opt %s --tx-use-kv-cache="capacity=32 kv-quant=int3" 2>&1 | FileCheck %s --check-prefix=BAD
// int4 (KIVI): per_channel with the group, the residual and a buffer of
// residual + group + the step (4 tokens) rounded up to the group; given
// explicitly, kv-quant-buffer is kept. Bad groups, residuals, buffers, head
// sizes and a paged int4 cache are errors naming the option.
// RUN: tx-opt %s --tx-use-kv-cache="capacity=32 kv-quant=int4 kv-quant-group=8 kv-quant-residual=8" | FileCheck %s --check-prefix=INT4
// RUN: tx-opt %s --tx-use-kv-cache="capacity=32 kv-quant=int4 kv-quant-group=4 kv-quant-residual=0 kv-quant-buffer=40" | FileCheck %s --check-prefix=INT4B
// RUN: not tx-opt %s --tx-use-kv-cache="capacity=32 kv-quant=int4 kv-quant-group=6" 2>&1 | FileCheck %s --check-prefix=GROUP
// RUN: not tx-opt %s --tx-use-kv-cache="capacity=32 kv-quant=int4 kv-quant-group=8 kv-quant-residual=12" 2>&1 | FileCheck %s --check-prefix=RESIDUAL
// RUN: not tx-opt %s --tx-use-kv-cache="capacity=32 kv-quant=int4 kv-quant-group=8 kv-quant-residual=8 kv-quant-buffer=8" 2>&1 | FileCheck %s --check-prefix=BUFFER
// RUN: not tx-opt %s --tx-use-kv-cache="capacity=36 kv-quant=int4 kv-quant-group=8" 2>&1 | FileCheck %s --check-prefix=CAPACITY
// RUN: not tx-opt %s --tx-use-kv-cache="capacity=32 kv-quant=int4 kv-quant-group=16" 2>&1 | FileCheck %s --check-prefix=HEAD
// RUN: not tx-opt %s --tx-use-kv-cache="capacity=32 block-size=8 kv-quant=int4 kv-quant-group=8" 2>&1 | FileCheck %s --check-prefix=PAGED
// RUN: not tx-opt %s --tx-use-kv-cache="capacity=32 kv-quant=int4 kv-quant-group=2 kv-quant-residual=0 kv-quant-buffer=10000" 2>&1 | FileCheck %s --check-prefix=BIG
// Group 0 (the default) picks the largest power of two up to 32 dividing
// head_dim (8) and the capacity: 8 here, 4 with a capacity of 36.
// RUN: tx-opt %s --tx-use-kv-cache="capacity=32 kv-quant=int4 kv-quant-residual=16" | FileCheck %s --check-prefix=AUTO
// RUN: tx-opt %s --tx-use-kv-cache="capacity=36 kv-quant=int4 kv-quant-residual=16" | FileCheck %s --check-prefix=AUTO4
// AUTO: #tx.kv_format<int4, group = 8, per_channel, residual = 16, buffer = 32>
// AUTO4: #tx.kv_format<int4, group = 4, per_channel, residual = 16, buffer = 24>
// INT4: !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 32, head_dim = 8, f32, #tx.kv_format<int4, group = 8, per_channel, residual = 8, buffer = 24>> {tx.name = "kv_cache"}
// INT4B: #tx.kv_format<int4, group = 4, per_channel, buffer = 40>
// GROUP: error: tx-use-kv-cache: kv-quant-group must be a power of two from 2 to 16384 (or 0: chosen), got 6 (txc --kv-quant-group)
// RESIDUAL: error: tx-use-kv-cache: kv-quant-residual must be a multiple of kv-quant-group (8) from 0 to 4000 groups, got 12 (txc --kv-quant-residual)
// BUFFER: error: tx-use-kv-cache: kv-quant-buffer must be from residual + group to 4095 groups, got 8
// CAPACITY: error: tx-use-kv-cache: kv-quant=int4 needs a capacity (36) that is a multiple of kv-quant-group (8) (txc --max-seq)
// HEAD: error: tx-use-kv-cache: kv-quant=int4 needs a head size that is a multiple of 8 and of kv-quant-group (16), got 8 (txc --kv-quant-group)
// PAGED: error: tx-use-kv-cache: kv-quant=int4 needs a contiguous cache; it cannot be combined with block-size (txc --kv-block)
// BIG: error: tx-use-kv-cache: kv-quant-buffer must be from residual + group to 4095 groups, got 10000
// F32: %{{[^:]+}}: !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 32, head_dim = 8, f32> {tx.name = "kv_cache"}
// F32-NOT: kv_format
// INT8: %{{[^:]+}}: !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 32, head_dim = 8, f32, #tx.kv_format<int8, group = 8, per_token>> {tx.name = "kv_cache"}
// INT8-SAME: cache_type = !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 32, head_dim = 8, f32, #tx.kv_format<int8, group = 8, per_token>>
// INT8: tx.kv_append
// FP8: !tx.kv_cache<layers = 1, kv_heads = 2, capacity = 32, head_dim = 8, f32, paged<8>, #tx.kv_format<fp8_e4m3, group = 8, per_token>> {tx.name = "kv_cache"}
// BAD: error: tx-use-kv-cache: kv-quant must be f32, int8, fp8 or int4, got 'int3' (txc --kv-quant)

func.func @main(%ids: tensor<1x4xi64> {tx.name = "input_ids", tx.role = #tx.input_role<token_ids>},
                %pos: tensor<1x4xi64> {tx.name = "position_ids", tx.role = #tx.input_role<positions>},
                %q: tensor<1x4x4x8xf32>, %k: tensor<1x2x4x8xf32>) -> (tensor<1x4x4x8xf32> {tx.name = "logits"}) {
  %o = tx.attention %q, %k, %k mask(causal) : tensor<1x4x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x4x4x8xf32>
  return %o : tensor<1x4x4x8xf32>
}
