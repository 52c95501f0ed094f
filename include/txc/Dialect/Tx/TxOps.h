//===- TxOps.h - tx ops ------------------------------------------*- C++ -*-===//

#ifndef TXC_DIALECT_TX_TXOPS_H
#define TXC_DIALECT_TX_TXOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "txc/Dialect/Tx/AttentionOptions.h"
#include "txc/Dialect/Tx/TxAsm.h"
#include "txc/Dialect/Tx/TxDialect.h"
#include "txc/Dialect/Tx/TxTypes.h"

namespace txc::tx {
/// The runtime-owned KV cache, as a side-effect resource.
struct KVCacheResource
    : public mlir::SideEffects::Resource::Base<KVCacheResource> {
  llvm::StringRef getName() override { return "<KVCache>"; }
};

/// Mask kinds decided by query and key positions alone (no draft tree or
/// block list): none, causal and sliding_window.
inline bool isPositionalMask(MaskKind kind) {
  return kind == MaskKind::none || kind == MaskKind::causal ||
         kind == MaskKind::sliding_window;
}

/// The function of a model module that whole-model passes work on: `@main`,
/// else the only public function with a body; null when there is neither.
mlir::FunctionOpInterface findEntryFunction(mlir::ModuleOp module);

/// The value `v` stands for outside any tx.layer: a block argument of a
/// tx.layer region is followed to the layer's operand, repeatedly.
mlir::Value lookThroughLayerArgs(mlir::Value v);

/// Argument attribute (`#tx.input_role<...>`) with the role of a model
/// input, recorded by the frontend.
constexpr llvm::StringLiteral kRoleAttr = "tx.role";

/// The role recorded on argument `index` of `func`, if any.
std::optional<InputRole> getInputRole(mlir::FunctionOpInterface func,
                                      unsigned index);
/// Records `role` on argument `index` of `func`.
void setInputRole(mlir::FunctionOpInterface func, unsigned index,
                  InputRole role);
/// The first argument of `func` with `role`, -1 when there is none.
int findInputRole(mlir::FunctionOpInterface func, InputRole role);

/// Argument attribute (`array<i64: low, high>`) of a function input whose
/// values index a table: they must lie in [low, high). The CPU backend
/// writes it into the model's metadata (`index_range`) and the runtime
/// checks every run's input against it.
constexpr llvm::StringLiteral kIndexRangeAttr = "tx.index_range";

/// Records on the function argument that `ids` comes from (directly or
/// through reshapes, casts and slices) that its values must lie in
/// [low, high), intersecting with a range already recorded. Does nothing
/// when `ids` is computed.
void recordIndexRange(mlir::Value ids, int64_t low, int64_t high);
} // namespace txc::tx

#define GET_OP_CLASSES
#include "txc/Dialect/Tx/TxOps.h.inc"

#endif // TXC_DIALECT_TX_TXOPS_H
