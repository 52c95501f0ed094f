//===- Module.cpp - the txc._txc extension module -------------------------===//
//
// Creates the module, its exception types (TxcError, a RuntimeError;
// CompileError and ModelError derived from it) and the translator that turns
// the C++ failures of Bindings.h into them, then adds the runtime and the
// compiler halves.
//
//===----------------------------------------------------------------------===//

#include "Bindings.h"

#include <nanobind/stl/string.h>

namespace nb = nanobind;
using namespace txcpy;

namespace {
PyObject *txcError, *compileError, *modelError;

void translate(const std::exception_ptr &p, void *) {
  try {
    std::rethrow_exception(p);
  } catch (const CompileFailure &failure) {
    PyErr_SetString(compileError, failure.message.c_str());
  } catch (const ModelFailure &failure) {
    nb::object type = nb::borrow(modelError);
    nb::object error = type(failure.message);
    nb::setattr(error, "status", nb::str(failure.status.c_str()));
    PyErr_SetObject(modelError, error.ptr());
  }
}
} // namespace

NB_MODULE(_txc, m) {
  m.doc() = "txc's extension module; use the package `txc` instead.";
  txcError = PyErr_NewExceptionWithDoc(
      "txc.TxcError", "An error reported by txc's compiler or runtime.",
      PyExc_RuntimeError, nullptr);
  compileError = PyErr_NewExceptionWithDoc(
      "txc.CompileError",
      "A compilation failed; the message holds the diagnostics.", txcError,
      nullptr);
  modelError = PyErr_NewExceptionWithDoc(
      "txc.ModelError",
      "The runtime refused a model, its weights or a call; `status` is the "
      "txrt_status name.",
      txcError, nullptr);
  m.attr("TxcError") = nb::borrow(txcError);
  m.attr("CompileError") = nb::borrow(compileError);
  m.attr("ModelError") = nb::borrow(modelError);
  nb::register_exception_translator(translate);
  defineRuntime(m);
  defineCompiler(m);
}
