//===- TxAttrs.cpp - tx enums and attributes ------------------------------===//

#include "txc/Dialect/Tx/TxDialect.h"
#include "txc/Dialect/Tx/TxTypes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace txc::tx;

#include "txc/Dialect/Tx/TxEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "txc/Dialect/Tx/TxAttrs.cpp.inc"

void TxDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "txc/Dialect/Tx/TxAttrs.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// TreeAttr
//===----------------------------------------------------------------------===//

LogicalResult TreeAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                               ArrayRef<int64_t> parents) {
  if (parents.empty())
    return emitError() << "tree must have at least one node";
  if (parents[0] != -1)
    return emitError() << "tree node 0 is the root and must have parent -1, got "
                       << parents[0];
  for (int64_t i = 1, e = parents.size(); i < e; ++i)
    if (parents[i] < 0 || parents[i] >= i)
      return emitError() << "tree node " << i << " has parent " << parents[i]
                         << "; a node's parent must precede it (0 <= parent < "
                         << i << ")";
  return success();
}

int64_t TreeAttr::depth(int64_t i) const {
  ArrayRef<int64_t> parents = getParents();
  int64_t d = 0;
  while (i > 0) {
    i = parents[i];
    ++d;
  }
  return d;
}

bool TreeAttr::isAncestorOrSelf(int64_t a, int64_t b) const {
  ArrayRef<int64_t> parents = getParents();
  // Parents precede children, so walking up from b only decreases the index.
  while (b > a)
    b = parents[b];
  return a == b;
}

//===----------------------------------------------------------------------===//
// KVFormatAttr
//===----------------------------------------------------------------------===//

LogicalResult KVFormatAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                   QuantKind kind, int64_t group,
                                   QuantAxis axis, int64_t residual,
                                   int64_t buffer) {
  if (group <= 0)
    return emitError() << "kv_format group size must be positive, got "
                       << group;
  if (residual < 0)
    return emitError() << "kv_format residual must not be negative, got "
                       << residual;
  if (buffer != 0 && buffer < residual + group)
    return emitError() << "kv_format buffer " << buffer
                       << " is smaller than residual + group ("
                       << residual + group << ")";
  if (kind > QuantKind::fp4_e2m1)
    return emitError() << "kv_format kind must be int8, int4, fp8_e4m3 or "
                          "fp4_e2m1, got "
                       << stringifyQuantKind(kind)
                       << " (GGUF block formats are for weights)";
  return success();
}
