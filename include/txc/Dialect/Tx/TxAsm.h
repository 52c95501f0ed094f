//===- TxAsm.h - custom assembly directives of tx ops -----------*- C++ -*-===//
//
// `custom<EnumKeyword>($attr)` prints an enum attribute as its bare keyword
// (`causal`, `greedy`, ...) and parses it back, for any tx enum attribute.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_DIALECT_TX_TXASM_H
#define TXC_DIALECT_TX_TXASM_H

#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/OpImplementation.h"

namespace txc::tx {

template <typename EnumAttrT>
mlir::ParseResult parseEnumKeyword(mlir::OpAsmParser &parser,
                                   EnumAttrT &attr) {
  using EnumT = decltype(std::declval<EnumAttrT>().getValue());
  mlir::FailureOr<EnumT> value = mlir::FieldParser<EnumT>::parse(parser);
  if (failed(value))
    return mlir::failure();
  attr = EnumAttrT::get(parser.getContext(), *value);
  return mlir::success();
}

template <typename EnumAttrT>
void printEnumKeyword(mlir::OpAsmPrinter &printer, mlir::Operation *,
                      EnumAttrT attr) {
  printer << stringifyEnum(attr.getValue());
}

} // namespace txc::tx

#endif // TXC_DIALECT_TX_TXASM_H
