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
