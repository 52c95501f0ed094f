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
    The reference lowering of every tx compute op to upstream dialects on
    tensors: tx.linear and tx.qlinear (dequantizing the weight) to
    linalg.matmul-style contractions, tx.rms_norm / tx.layer_norm to
    reductions and elementwise ops, tx.rope, tx.embedding and tx.attention
    (every mask kind the CPU backend supports) to linalg.generic and
    linalg.softmax, tx.layer regions inlined. The result contains no tx ops
    other than tx.weight.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::tensor::TensorDialect"
  ];
}

#endif // TXC_CODEGEN_PASSES_TD
