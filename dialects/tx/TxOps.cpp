//===- TxOps.cpp - generated op definitions -------------------------------===//
//
// The generated op classes. Verifiers, folds and canonicalizations live in one
// file per op family (CoreOps.cpp, AttentionOps.cpp, ...) and TxFolds.cpp.
//
//===----------------------------------------------------------------------===//

#include "txc/Dialect/Tx/TxOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace txc::tx;

#define GET_OP_CLASSES
#include "txc/Dialect/Tx/TxOps.cpp.inc"

FunctionOpInterface txc::tx::findEntryFunction(ModuleOp module) {
  if (auto main = dyn_cast_or_null<FunctionOpInterface>(
          module.lookupSymbol("main")))
    return main;
  FunctionOpInterface only;
  for (auto f : module.getOps<FunctionOpInterface>())
    if (f.isPublic() && !f.isExternal()) {
      if (only)
        return {};
      only = f;
    }
  return only;
}

std::optional<InputRole> txc::tx::getInputRole(FunctionOpInterface func,
                                               unsigned index) {
  if (auto role = func.getArgAttrOfType<InputRoleAttr>(index, kRoleAttr))
    return role.getValue();
  return std::nullopt;
}

void txc::tx::setInputRole(FunctionOpInterface func, unsigned index,
                           InputRole role) {
  func.setArgAttr(index, kRoleAttr,
                  InputRoleAttr::get(func->getContext(), role));
}

int txc::tx::findInputRole(FunctionOpInterface func, InputRole role) {
  for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i)
    if (getInputRole(func, i) == role)
      return i;
  return -1;
}

void txc::tx::recordIndexRange(Value ids, int64_t low, int64_t high) {
  // Through ops that only move the indices (reshapes, casts, slices).
  for (int depth = 0; depth < 16; ++depth) {
    Operation *def = ids.getDefiningOp();
    if (!def)
      break;
    StringRef name = def->getName().getStringRef();
    if (def->getNumOperands() < 1 ||
        !(name == "tensor.expand_shape" || name == "tensor.collapse_shape" ||
          name == "tensor.reshape" || name == "tensor.cast" ||
          name == "tensor.extract_slice"))
      return;
    ids = def->getOperand(0);
  }
  auto arg = dyn_cast<BlockArgument>(ids);
  if (!arg)
    return;
  auto func = dyn_cast<FunctionOpInterface>(arg.getOwner()->getParentOp());
  if (!func || arg.getOwner() != &func.getFunctionBody().front())
    return;
  auto type = dyn_cast<RankedTensorType>(arg.getType());
  if (!type || !type.getElementType().isSignlessInteger())
    return;
  unsigned index = arg.getArgNumber();
  if (auto old = func.getArgAttrOfType<DenseI64ArrayAttr>(index,
                                                          kIndexRangeAttr);
      old && old.size() == 2) {
    low = std::max(low, old[0]);
    high = std::min(high, old[1]);
  }
  func.setArgAttr(index, kIndexRangeAttr,
                  DenseI64ArrayAttr::get(func->getContext(), {low, high}));
}

Value txc::tx::lookThroughLayerArgs(Value v) {
  while (auto arg = dyn_cast<BlockArgument>(v)) {
    auto layer = dyn_cast_if_present<LayerOp>(arg.getOwner()->getParentOp());
    if (!layer)
      break;
    v = layer.getInputs()[arg.getArgNumber()];
  }
  return v;
}
