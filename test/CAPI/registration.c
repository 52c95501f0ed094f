//===- registration.c - txc's dialects and passes through MLIR's C API ----===//
//
// A C program that registers txc's dialects into an MlirContext (by the
// dialect handle and by txcRegisterDialects), parses tx IR with
// mlirModuleCreateParse, runs tx-layer-skip and tx-default-pipeline through
// mlirParsePassPipeline and mlirOpPassManagerAddPipeline, and prints the
// IR. Run by registration.test.
//
//===----------------------------------------------------------------------===//

#include "mlir-c/IR.h"
#include "mlir-c/Pass.h"
#include "mlir-c/Support.h"
#include "txc-c/Dialects.h"
#include "txc-c/Passes.h"

#include <stdio.h>
#include <string.h>

/// A stack of four layers, each doubling the residual stream.
static const char *kStack =
    "func.func @stack4(%x: tensor<4xf32>) -> tensor<4xf32> {\n"
    "  %h0 = tx.layer 0 (%x) : (tensor<4xf32>) -> tensor<4xf32> {\n"
    "  ^bb0(%a: tensor<4xf32>):\n"
    "    %y = arith.addf %a, %a : tensor<4xf32>\n"
    "    tx.yield %y : tensor<4xf32>\n"
    "  }\n"
    "  %h1 = tx.layer 1 (%h0) : (tensor<4xf32>) -> tensor<4xf32> {\n"
    "  ^bb0(%a: tensor<4xf32>):\n"
    "    %y = arith.addf %a, %a : tensor<4xf32>\n"
    "    tx.yield %y : tensor<4xf32>\n"
    "  }\n"
    "  %h2 = tx.layer 2 (%h1) : (tensor<4xf32>) -> tensor<4xf32> {\n"
    "  ^bb0(%a: tensor<4xf32>):\n"
    "    %y = arith.addf %a, %a : tensor<4xf32>\n"
    "    tx.yield %y : tensor<4xf32>\n"
    "  }\n"
    "  %h3 = tx.layer 3 (%h2) : (tensor<4xf32>) -> tensor<4xf32> {\n"
    "  ^bb0(%a: tensor<4xf32>):\n"
    "    %y = arith.addf %a, %a : tensor<4xf32>\n"
    "    tx.yield %y : tensor<4xf32>\n"
    "  }\n"
    "  return %h3 : tensor<4xf32>\n"
    "}\n";

static void printToStdout(MlirStringRef text, void *userData) {
  (void)userData;
  fwrite(text.data, 1, text.length, stdout);
}

/// Parses kStack in `ctx`, runs `pipeline` (textual) on it and prints the
/// result; returns 0 on success.
static int runPipeline(MlirContext ctx, const char *pipeline) {
  MlirModule module =
      mlirModuleCreateParse(ctx, mlirStringRefCreateFromCString(kStack));
  if (mlirModuleIsNull(module)) {
    printf("error: the module did not parse\n");
    return 1;
  }
  MlirPassManager pm = mlirPassManagerCreate(ctx);
  MlirLogicalResult parsed = mlirParsePassPipeline(
      mlirPassManagerGetAsOpPassManager(pm),
      mlirStringRefCreateFromCString(pipeline), printToStdout, NULL);
  int status = 0;
  if (mlirLogicalResultIsFailure(parsed)) {
    printf("\npipeline '%s' did not parse\n", pipeline);
    status = 1;
  } else if (mlirLogicalResultIsFailure(
                 mlirPassManagerRunOnOp(pm, mlirModuleGetOperation(module)))) {
    printf("pipeline '%s' failed\n", pipeline);
    status = 1;
  } else {
    printf("// after %s\n", pipeline);
    mlirOperationPrint(mlirModuleGetOperation(module), printToStdout, NULL);
    printf("\n");
  }
  mlirPassManagerDestroy(pm);
  mlirModuleDestroy(module);
  return status;
}

int main(void) {
  // The dialect handle.
  MlirDialectHandle tx = mlirGetDialectHandle__tx__();
  MlirStringRef ns = mlirDialectHandleGetNamespace(tx);
  printf("handle: %.*s\n", (int)ns.length, ns.data);

  // Only the handle: tx loads, but the context knows no other dialect.
  MlirContext bare = mlirContextCreate();
  mlirDialectHandleRegisterDialect(tx, bare);
  MlirDialect loaded = mlirDialectHandleLoadDialect(tx, bare);
  MlirStringRef loadedNs = mlirDialectGetNamespace(loaded);
  printf("loaded: %.*s\n", (int)loadedNs.length, loadedNs.data);
  mlirContextDestroy(bare);

  // Everything a compilation needs, through a registry.
  MlirContext ctx = mlirContextCreate();
  MlirDialectRegistry registry = mlirDialectRegistryCreate();
  if (mlirLogicalResultIsFailure(txcRegisterDialects(registry))) {
    printf("error: txcRegisterDialects failed\n");
    return 1;
  }
  mlirContextAppendDialectRegistry(ctx, registry);
  mlirDialectRegistryDestroy(registry);

  // Registering twice is harmless.
  txcRegisterPasses();
  txcRegisterPasses();

  int failures = 0;
  failures += runPipeline(ctx, "builtin.module(tx-layer-skip{speedup=2.0})");
  failures += runPipeline(
      ctx, "builtin.module(func.func(tx-layer-skip{skip-layers=1,2}))");

  // A registered pipeline added by name to a nested pass manager.
  MlirModule module =
      mlirModuleCreateParse(ctx, mlirStringRefCreateFromCString(kStack));
  MlirPassManager pm = mlirPassManagerCreate(ctx);
  MlirOpPassManager opm = mlirPassManagerGetAsOpPassManager(pm);
  if (mlirLogicalResultIsFailure(mlirOpPassManagerAddPipeline(
          opm,
          mlirStringRefCreateFromCString(
              "tx-default-pipeline{layer-skip-speedup=4}"),
          printToStdout, NULL))) {
    printf("\nerror: tx-default-pipeline was not found\n");
    failures++;
  } else if (mlirLogicalResultIsFailure(
                 mlirPassManagerRunOnOp(pm, mlirModuleGetOperation(module)))) {
    printf("error: tx-default-pipeline failed\n");
    failures++;
  } else {
    printf("// after tx-default-pipeline\n");
    mlirOperationPrint(mlirModuleGetOperation(module), printToStdout, NULL);
    printf("\n");
  }
  mlirPassManagerDestroy(pm);
  mlirModuleDestroy(module);

  // An unknown pass is a parse error of the pipeline, not a crash.
  if (runPipeline(ctx, "builtin.module(tx-no-such-pass)") == 0) {
    printf("error: an unknown pass was accepted\n");
    failures++;
  }

  // A null context or registry is an error value.
  MlirDialectRegistry none = {NULL};
  if (mlirLogicalResultIsSuccess(txcRegisterDialects(none)))
    failures++;
  printf("null registry: %s\n", txcLastError());
  MlirContext noContext = {NULL};
  if (mlirLogicalResultIsSuccess(txcContextRegisterDialects(noContext)))
    failures++;
  printf("null context: %s\n", txcLastError());

  mlirContextDestroy(ctx);
  printf("failures: %d\n", failures);
  return failures != 0;
}
