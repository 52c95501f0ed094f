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
