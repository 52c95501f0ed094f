//===- Passes.h - code generation passes ------------------------*- C++ -*-===//

#ifndef TXC_CODEGEN_PASSES_H
#define TXC_CODEGEN_PASSES_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

#include "txc-c/txc_model_format.h"
#include "txc/Codegen/TxCpuOps.h"

namespace txc {

#define GEN_PASS_DECL
#include "txc/Codegen/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "txc/Codegen/Passes.h.inc"

} // namespace txc

#endif // TXC_CODEGEN_PASSES_H
