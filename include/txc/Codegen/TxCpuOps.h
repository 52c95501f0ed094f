//===- TxCpuOps.h - the txcpu dialect ---------------------------*- C++ -*-===//
//
// The CPU backend's kernel-call ops (see TxCpuOps.td).
//
//===----------------------------------------------------------------------===//

#ifndef TXC_CODEGEN_TXCPUOPS_H
#define TXC_CODEGEN_TXCPUOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "txc/Dialect/Tx/TxOps.h"

#include "txc/Codegen/TxCpuDialect.h.inc"

#define GET_OP_CLASSES
#include "txc/Codegen/TxCpuOps.h.inc"

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace txc::txcpu {
/// Registers the ops' bufferization models (BufferizableOpInterface).
void registerBufferizableOpInterfaceExternalModels(
    mlir::DialectRegistry &registry);
} // namespace txc::txcpu

#endif // TXC_CODEGEN_TXCPUOPS_H
