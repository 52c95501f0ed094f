//===- Bindings.h - shared pieces of the txc Python extension ---*- C++ -*-===//
//
// The extension module `txc._txc` is made of a runtime half (Runtime.cpp:
// models, generation, evaluation, tokenizers over libtxrt and TxcRunCore)
// and a compiler half (Compile.cpp: the compiler API of
// txc/Compiler/Compiler.h). Both raise the exception types declared here,
// which Module.cpp creates; the Python layer (python/txc/__init__.py)
// re-exports them.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_PYTHON_BINDINGS_H
#define TXC_PYTHON_BINDINGS_H

#include <nanobind/nanobind.h>

#include <string>

namespace txcpy {

/// A failure of the compiler: raised as txc.CompileError with the
/// diagnostics' text.
struct CompileFailure {
  std::string message;
};

/// A failure of the runtime: raised as txc.ModelError with the message of
/// txrt_last_error() and `status` the txrt_status name ("TXRT_ERROR_IO",
/// ...; "" for errors of the generation and evaluation logic).
struct ModelFailure {
  std::string message;
  std::string status;
};

/// Adds the runtime classes and functions to `m`.
void defineRuntime(nanobind::module_ &m);
/// Adds `compile` to `m`.
void defineCompiler(nanobind::module_ &m);

} // namespace txcpy

#endif // TXC_PYTHON_BINDINGS_H
