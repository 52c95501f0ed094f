//===- Passes.td - code generation passes ------------------*- tablegen -*-===//
//
// Passes that lower tx IR towards executable code.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_CODEGEN_PASSES_TD
#define TXC_CODEGEN_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// CPU
//===----------------------------------------------------------------------===//

def TxLowerToLinalgPass : Pass<"tx-lower-to-linalg"> {
  let summary = "Decomposes tx ops into linalg, tensor, arith and math ops";
  let description = [{
    The reference lowering of tx compute ops to upstream dialects on tensors,
    which the CPU backend then bufferizes and lowers to LLVM. tx.layer
    regions are inlined; tx.linear and tx.qlinear (dequantizing the weight)
    become linalg.matmul; tx.rms_norm, tx.layer_norm, tx.rope,
    tx.embedding, tx.attention (mask kinds none, causal and sliding_window,
    plus explicit masks, with a softmax that gives zeros for rows without a
    visible key), tx.dequant, tx.route, tx.gather_tokens and
    tx.scatter_tokens become linalg.generic ops; tx.tree_mask becomes a
    constant. tx.weight stays as is.

    With `attention-kernel` (the default), f32 tx.attention with mask kind
    none, causal or sliding_window (with or without an explicit mask)
    becomes `txcpu.attention` instead, which bufferizes and then becomes a
    call of the runtime's attention kernel (`tx-attention-to-kernels`);
    other element types keep the linalg lowering.

    Ops the CPU backend does not support yet (the KV cache ops,
    tx.tree_verify, tx.block_summary, tx.block_select, tree and
    block_sparse attention masks) and dynamic shapes are reported as errors
    before anything is rewritten.
  }];
  let options = [
    Option<"attentionKernel", "attention-kernel", "bool", /*default=*/"true",
           "Lower f32 attention to txcpu.attention (the runtime's kernel) "
           "rather than to linalg">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::tensor::TensorDialect",
    "::mlir::scf::SCFDialect", "::txc::txcpu::TxCpuDialect"
  ];
}

def DecomposeAggregatesPass : Pass<"tx-decompose-aggregates"> {
  let summary = "Decomposes aggregated linalg ops (linalg.softmax) into generics";
  let description = [{
    Upstream lowering of linalg to loops does not handle ops implementing
    `AggregatedOpInterface` such as `linalg.softmax`; this pass replaces each
    with its decomposition (max, sub-exp, sum, divide as linalg ops).
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def LowerStridedCopiesPass : Pass<"tx-lower-strided-copies"> {
  let summary = "Turns memref.copy of strided memrefs into linalg.copy";
  let description = [{
    Upstream lowers a `memref.copy` between memrefs that are not contiguous
    to a call of `memrefCopy` from MLIR's C runner utilities, which compiled
    models must not depend on. This pass turns such copies into
    `linalg.copy` (lowered to loops); contiguous copies stay `memref.copy`
    (a memcpy).
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def InlineHelpersPass : Pass<"tx-inline-helpers", "::mlir::ModuleOp"> {
  let summary = "Inlines the private helpers upstream lowerings generate over dynamically shaped memrefs";
  let description = [{
    The deallocation of buffers that may alias (the two branches of a
    tx-early-exit `scf.if` yield different buffers) lowers to calls of a
    generated private function whose arguments are `memref<?x...>`. Compiled
    models use the bare-pointer calling convention, which cannot pass
    dynamically shaped memrefs. This pass inlines every call to a private
    function with such an argument and erases the function once unused.
  }];
}

def FuseElementwisePass : Pass<"tx-fuse-elementwise"> {
  let summary = "Fuses chains of elementwise linalg ops";
  let description = [{
    Fuses a producer `linalg.generic` into its elementwise consumer when the
    producer has no other user, so chains of elementwise ops (activations,
    residual adds, norms' tails) make one loop nest. Unlike upstream's
    `linalg-fuse-elementwise-ops` it does not propagate reshapes through
    named ops, so matrix products stay `linalg.matmul` for the kernels.

    It also gives every user of a `linalg.fill` of an empty tensor its own
    fill (the zeros several matmuls accumulate into), which bufferization
    would otherwise turn into one filled buffer copied for each user.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def LinalgToLoopsPass : Pass<"tx-linalg-to-loops"> {
  let summary = "Lowers linalg ops on buffers to vectorized loop nests with a parallel outer loop";
  let description = [{
    Replaces each linalg op on static memrefs (after bufferization and
    tx-matmul-to-kernels) by a loop nest whose innermost loop works on
    vectors and whose outer loops can run on several threads:

    * The loops follow the op's iteration dimensions in order; unit
      dimensions get no loop.
    * Every input is loaded, and every payload op computed, in the
      outermost loop where all its indices are defined, so per-row values
      (a norm's scale) are computed once per row, not per element.
    * Trailing reduction dimensions accumulate in registers: the outputs
      are loaded before the reduction loops, carried through `scf.for`
      iteration arguments and stored once after them. The combining op
      gets the `reassoc` fast-math flag; float add, sub and mul get
      `contract`.
    * The innermost loop works on vectors (`vector-bits` / widest element
      type lanes) when every operand it touches is contiguous along it and
      the payload is elementwise: vector loads and stores, values from
      outer loops broadcast, `linalg.index` as lane indices, reductions in
      vector accumulators (started at the combiner's neutral element)
      reduced once after the loop, then a scalar remainder loop. When an
      operand is strided along the innermost dimension, a parallel
      dimension along which everything is contiguous becomes the innermost
      loop instead (attention's P x V).
    * When the nest's estimated work (iterations times payload ops plus
      operands) reaches `min-parallel-work`, its leading parallel
      dimensions (all but the innermost loop, and only dimensions every
      output is indexed by) become one linearized `scf.parallel`, which
      convert-scf-to-openmp turns into an OpenMP work-sharing loop (static
      schedule). Reductions never cross threads, so results do not depend
      on the thread count.

    Ops with dynamic shapes or tensor operands stay for
    convert-linalg-to-loops. With `remarks`, each op's layout is reported
    as a remark (`loops: parallel over 1536 iterations (dims 1 2 3), dim 4
    in vectors of 16, reduction in registers`).
  }];
  let options = [
    Option<"parallel", "parallel", "bool", /*default=*/"true",
           "Make the outer loops of large nests scf.parallel">,
    Option<"minParallelWork", "min-parallel-work", "int64_t",
           /*default=*/"65536",
           "Estimated work (iterations x (payload ops + operands)) from which "
           "a nest gets a parallel outer loop">,
    Option<"vectorBits", "vector-bits", "int64_t", /*default=*/"512",
           "Width of the vectors of the innermost loop in bits (lanes = "
           "vector-bits / widest element type); 0 leaves loops scalar">,
    Option<"remarks", "remarks", "bool", /*default=*/"false",
           "Report how each op's loops are laid out (threads, vectors, "
           "register reductions) as a remark">
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::affine::AffineDialect",
                           "::mlir::vector::VectorDialect"];
  let statistics = [
    Statistic<"numLowered", "lowered-ops", "Linalg ops lowered to loops">,
    Statistic<"numParallel", "parallel-nests",
              "Loop nests with a parallel outer loop">,
    Statistic<"numRegisterReductions", "register-reductions",
              "Loop nests accumulating their reduction in registers">,
    Statistic<"numVectorized", "vectorized",
              "Loop nests whose innermost loop works on vectors">
  ];
}

def ApproximateMathPass : Pass<"tx-approximate-math"> {
  let summary = "Replaces math functions by polynomial approximations";
  let description = [{
    LLVM lowers `exp`, `tanh`, `erf`, `log` and similar functions to calls
    of libm, which keep loops from vectorizing (a vector `exp` is
    scalarized into 16 calls). This pass rewrites them with MLIR's
    polynomial approximations (plain arithmetic, a few ulp from the correctly
    rounded result, vectorizable) and expands the remaining functions that
    have an expansion (`sinh`, `cosh`, `asinh`, `acosh`, `atanh`, `powf`,
    `exp2`, ...) into ops that do. f16/bf16 math computes in f32. Ops without
    an approximation keep their libm call.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

def MatmulToKernelsPass : Pass<"tx-matmul-to-kernels", "::mlir::ModuleOp"> {
  let summary = "Calls the runtime's GEMM kernel for f32 matrix products";
  let description = [{
    After bufferization, replaces each `linalg.matmul` on static f32 memrefs
    with contiguous row-major layouts (B plain or transposed, as tx.linear
    lowers) by a call to `txc_sgemm(A, B, C, M, N, K, transB)`, which
    accumulates into C (already holding zeros or the bias). The kernel comes
    from the runtime's kernel library linked into every compiled model.
    Other matmuls stay and become loops.

    In a model entry (`txc_main` with its `tx.signature`), a weight used
    only as B of such products, always with the same orientation, is
    multiplied by `txc_sgemm_packed(A, Bpacked, C, M, N, K)` instead and
    marked `"layout": "gemm-b-panels32"` in the signature, so the runtime
    packs it once at load time. Packed products reading the same A become
    one `txc_sgemm_packed_group` call (up to 4 members) at the position of
    the last, when nothing in between reads an earlier member's result,
    writes A, or has unknown memory effects. A packed product whose C was
    last written by a zero `linalg.fill` overwrites C instead, and the fill
    is removed.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
  let statistics = [
    Statistic<"numKernelCalls", "kernel-calls", "Matmuls turned into kernel calls">
  ];
}

def AttentionToKernelsPass
    : Pass<"tx-attention-to-kernels", "::mlir::ModuleOp"> {
  let summary = "Calls the runtime's attention kernel for txcpu.attention";
  let description = [{
    After bufferization, replaces each `txcpu.attention` on memrefs (which
    `tx-lower-to-linalg` produces for f32 `tx.attention` with mask kinds
    none, causal and sliding_window) by a call of `txc_attention_f32` from
    the runtime's kernel library, passing element pointers, sizes and
    strides (any strided layout; from the memref types where static, from
    `memref.extract_strided_metadata` otherwise), the scale, the mask
    kind, window and sinks, and the explicit mask with stride 0 for its
    broadcast dimensions. Over a quantized KV cache (`kv_format`) the call
    is `txc_attention_kvq` (strides in bytes, the format last), and each
    `txcpu.kv_quant_append` becomes a call of `txc_kv_quant_append`
    (lib/Runtime/kernels/cpu/KVQuant.h). A `txcpu.attention` or
    `txcpu.kv_quant_append` still on tensors is an error.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
  let statistics = [
    Statistic<"numKernelCalls", "kernel-calls",
              "Attention ops turned into kernel calls">
  ];
}

def QuantToKernelsPass : Pass<"tx-quant-to-kernels", "::mlir::ModuleOp"> {
  let summary = "Calls the runtime's quantized kernels for txcpu.qmatmul, txcpu.qmatmul_planar and txcpu.qembed";
  let description = [{
    After bufferization, replaces each `txcpu.qmatmul` on memrefs by a call
    of `txc_qmatmul(type, x, w, y, M, N, K)`, each `txcpu.qmatmul_planar`
    by a call of `txc_qmatmul_planar(code_kind, scale_kind, x, codes,
    scales, zeros, tensor_scale, y, M, N, K, group)` (zeros 0 when absent)
    and each `txcpu.qembed` by a
    call of `txc_qembed(type, table, rows, K, ids, count, out)` from the
    runtime's kernel library (`lib/Runtime/kernels/cpu/Quant.h`), passing
    element pointers and sizes. The kernels read dense row-major operands:
    an operand whose layout is not contiguous is copied into a fresh
    buffer first (the destination must be contiguous). A txcpu op still on
    tensors is an error.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
  let statistics = [
    Statistic<"numKernelCalls", "kernel-calls",
              "Quantized products and lookups turned into kernel calls">
  ];
}

def WeightsToArgumentsPass : Pass<"tx-weights-to-arguments", "::mlir::ModuleOp"> {
  let summary = "Turns tx.weight references into entry-function arguments";
  let description = [{
    For the module's entry function (`@main`, or its only public function),
    appends one argument per distinct weight name, after the inputs, tagged
    `{tx.weight = "name"}`, and replaces every `tx.weight` by it. The runtime
    then passes the weights (memory-mapped from the safetensors file) like
    inputs. Records the model's signature (inputs, weights, outputs with
    their ONNX names, element types and shapes) as the module attribute
    `tx.signature` (JSON) for the entry points emitted later.
  }];
}

def EmitEntryPointsPass : Pass<"tx-emit-entry-points", "::mlir::ModuleOp"> {
  let summary = "Adds the runtime entry points to an LLVM-dialect module";
  let description = [{
    After lowering to the LLVM dialect with bare-pointer memrefs and results
    as out-parameters, adds `txc_model_run(void **buffers)`, which unpacks
    the buffer array (inputs, weights, outputs) and calls the entry
    function, and `txc_model_metadata()`, which returns the `tx.signature`
    JSON. See docs/runtime.md for the contract. `prefix` renames both
    (`<prefix>_run`, `<prefix>_metadata`): a generation model links a
    prefill step (`txc_prefill_*`) beside its decode step (`txc_model_*`).
  }];
  let options = [
    Option<"prefix", "prefix", "std::string", /*default=*/"TXC_SYM_MODEL_PREFIX",
           "Prefix of the entry point symbols">
  ];
}

#endif // TXC_CODEGEN_PASSES_TD
