//===- compile_module.c - Compile an MlirModule to IR text ----------------===//
//
// A C program that parses tx IR into an MlirModule and compiles it with
// txcCompileModule to the tx stage (default pipeline with layer skipping)
// and to linalg, reading the IR text from the result (no output file), and
// checks that the caller's module is left unchanged. Run by
// compile-module.test.
//
//===----------------------------------------------------------------------===//

#include "mlir-c/IR.h"
#include "mlir-c/Support.h"
#include "txc-c/Compiler.h"
#include "txc-c/Dialects.h"

#include <stdio.h>
#include <string.h>

/// Two layers, each doubling the residual stream.
static const char *kStack =
    "func.func @stack2(%x: tensor<4xf32>) -> tensor<4xf32> {\n"
    "  %h0 = tx.layer 0 (%x) : (tensor<4xf32>) -> tensor<4xf32> {\n"
    "  ^bb0(%a: tensor<4xf32>):\n"
    "    %y = arith.addf %a, %a : tensor<4xf32>\n"
    "    tx.yield %y : tensor<4xf32>\n"
    "  }\n"
    "  %h1 = tx.layer 1 (%h0) : (tensor<4xf32>) -> tensor<4xf32> {\n"
    "  ^bb0(%a: tensor<4xf32>):\n"
    "    %y = arith.mulf %a, %a : tensor<4xf32>\n"
    "    tx.yield %y : tensor<4xf32>\n"
    "  }\n"
    "  return %h1 : tensor<4xf32>\n"
    "}\n";

static void printToStdout(MlirStringRef text, void *userData) {
  (void)userData;
  fwrite(text.data, 1, text.length, stdout);
}

/// Compiles `module` with `options` and prints the IR text; returns 0 on
/// success.
static int compileAndPrint(MlirModule module, TxcCompileOptions options,
                           const char *title) {
  TxcResult result;
  MlirLogicalResult status = txcCompileModule(module, options, &result);
  if (mlirLogicalResultIsFailure(status) || !txcResultIsOk(result)) {
    MlirStringRef errors = txcResultGetErrorText(result);
    printf("error: %s failed: %.*s\n", title, (int)errors.length, errors.data);
    txcResultDestroy(result);
    return 1;
  }
  MlirStringRef text = txcResultGetOutputText(result);
  printf("// %s (%d files written)\n%.*s\n", title,
         (int)txcResultGetNumWrittenFiles(result), (int)text.length, text.data);
  txcResultDestroy(result);
  return 0;
}

int main(void) {
  MlirContext ctx = mlirContextCreate();
  if (mlirLogicalResultIsFailure(txcContextRegisterDialects(ctx))) {
    printf("error: %s\n", txcLastError());
    return 1;
  }
  MlirModule module =
      mlirModuleCreateParse(ctx, mlirStringRefCreateFromCString(kStack));
  if (mlirModuleIsNull(module)) {
    printf("error: the module did not parse\n");
    return 1;
  }

  int failures = 0;
  TxcCompileOptions options = txcCompileOptionsCreate();
  // tx IR after the default pipeline, keeping one of the two layers.
  if (mlirLogicalResultIsFailure(txcCompileOptionsSet(options, "emit", "tx")) ||
      mlirLogicalResultIsFailure(
          txcCompileOptionsSet(options, "--layer-skip-speedup", "2"))) {
    printf("error: %s\n", txcLastError());
    return 1;
  }
  failures += compileAndPrint(module, options, "tx");

  // Explicit layers, as txc --skip-layers: layer 0 removed.
  txcCompileOptionsSet(options, "layer-skip-speedup", "1");
  if (mlirLogicalResultIsFailure(
          txcCompileOptionsSet(options, "skip-layers", "0"))) {
    printf("error: %s\n", txcLastError());
    return 1;
  }
  failures += compileAndPrint(module, options, "skip-layers");
  txcCompileOptionsDestroy(options);
  options = txcCompileOptionsCreate();
  txcCompileOptionsSet(options, "emit", "tx");

  // The same module to linalg on tensors, all layers kept.
  txcCompileOptionsSet(options, "layer-skip-speedup", "1");
  txcCompileOptionsSetEmit(options, TXC_STAGE_LINALG);
  failures += compileAndPrint(module, options, "linalg");
  txcCompileOptionsDestroy(options);

  // The caller's module is unchanged.
  printf("// the caller's module\n");
  mlirOperationPrint(mlirModuleGetOperation(module), printToStdout, NULL);
  printf("\n");

  mlirModuleDestroy(module);
  mlirContextDestroy(ctx);
  printf("failures: %d\n", failures);
  return failures != 0;
}
