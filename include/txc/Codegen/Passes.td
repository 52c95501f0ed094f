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

    Ops the CPU backend does not support yet (the KV cache ops,
    tx.tree_verify, tx.block_summary, tx.block_select, tree and
    block_sparse attention masks) and dynamic shapes are reported as errors
    before anything is rewritten.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::tensor::TensorDialect"
  ];
}

#endif // TXC_CODEGEN_PASSES_TD
