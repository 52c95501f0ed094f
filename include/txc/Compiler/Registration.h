//===- Registration.h - register txc dialects and passes --------*- C++ -*-===//
//
// Entry points for tools and for compilers that embed txc.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_COMPILER_REGISTRATION_H
#define TXC_COMPILER_REGISTRATION_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace txc {

/// Adds tx and the upstream dialects txc's IR uses (func, arith, math,
/// tensor, linalg, tosa, scf) to `registry`.
void registerTxcDialects(mlir::DialectRegistry &registry);

/// Registers all tx passes and pipelines with the global pass registry.
/// Thread-safe; calls after the first do nothing.
void registerTxcPasses();

} // namespace txc

#endif // TXC_COMPILER_REGISTRATION_H
