//===- TxDialect.cpp - tx dialect registration and constants --------------===//

#include "txc/Dialect/Tx/TxDialect.h"
#include "txc/Dialect/Tx/TxOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace txc::tx;

#include "txc/Dialect/Tx/TxDialect.cpp.inc"

void TxDialect::initialize() {
  registerTypes();
  registerAttributes();
  addOperations<
#define GET_OP_LIST
#include "txc/Dialect/Tx/TxOps.cpp.inc"
      >();
}

Operation *TxDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                          Type type, Location loc) {
  if (auto typed = dyn_cast<TypedAttr>(value))
    if (arith::ConstantOp::isBuildableWith(typed, type))
      return arith::ConstantOp::create(builder, loc, type, typed);
  return nullptr;
}

txc::tx::WeightStore::~WeightStore() = default;

void txc::tx::setWeightStore(MLIRContext *context,
                             std::shared_ptr<WeightStore> store) {
  context->getOrLoadDialect<TxDialect>()->weightStore = std::move(store);
}

std::shared_ptr<txc::tx::WeightStore>
txc::tx::getWeightStore(MLIRContext *context) {
  auto *dialect = context->getLoadedDialect<TxDialect>();
  return dialect ? dialect->weightStore : nullptr;
}
