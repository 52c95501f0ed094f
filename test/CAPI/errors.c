//===- errors.c - Bad input to txc's compiler C API -----------------------===//
//
// A C program that gives txc's C API bad input (an unknown option key, bad
// values, NULL and null arguments, a missing input file, a malformed
// module, an input that fails verification) and checks that every call
// returns an error value with its message, which it prints for
// errors.test's FileCheck. Exits 0 when every call failed as expected.
// Usage: errors DIR (a scratch directory) MALFORMED.mlir.
//
//===----------------------------------------------------------------------===//

#include "mlir-c/IR.h"
#include "mlir-c/Support.h"
#include "txc-c/Compiler.h"
#include "txc-c/Dialects.h"

#include <stdio.h>
#include <string.h>

static int failures = 0;

/// Expects `result` to be a failure; prints `what` and txcLastError.
static void expectFailure(const char *what, MlirLogicalResult result) {
  if (mlirLogicalResultIsSuccess(result)) {
    printf("UNEXPECTED SUCCESS: %s\n", what);
    failures++;
    return;
  }
  printf("%s: %s\n", what, txcLastError());
}

/// Prints every message of a failed compilation.
static void printResult(const char *what, MlirLogicalResult status,
                        TxcResult result) {
  if (mlirLogicalResultIsSuccess(status) || txcResultIsOk(result)) {
    printf("UNEXPECTED SUCCESS: %s\n", what);
    failures++;
  }
  printf("%s: %d message(s)\n", what, (int)txcResultGetNumMessages(result));
  for (intptr_t i = 0; i < txcResultGetNumMessages(result); ++i) {
    TxcMessage message = txcResultGetMessage(result, i);
    static const char *severities[] = {"remark", "note", "warning", "error"};
    printf("  %s [%.*s] %.*s\n", severities[message.severity],
           (int)message.location.length, message.location.data,
           (int)message.text.length, message.text.data);
    for (intptr_t n = 0; n < message.numNotes; ++n) {
      MlirStringRef note = txcResultGetMessageNote(result, i, n);
      printf("    note: %.*s\n", (int)note.length, note.data);
    }
  }
  MlirStringRef errors = txcResultGetErrorText(result);
  if (errors.length == 0 || errors.data[errors.length] != '\0') {
    printf("BAD ERROR TEXT: %s\n", what);
    failures++;
  }
  printf("  last error: %s\n", txcLastError());
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: errors DIR MALFORMED.mlir\n");
    return 2;
  }
  const char *dir = argv[1];
  printf("initial last error: '%s'\n", txcLastError());

  // Options.
  TxcCompileOptions options = txcCompileOptionsCreate();
  TxcCompileOptions none = {NULL};
  expectFailure("unknown key",
                txcCompileOptionsSet(options, "max-sequence", "64"));
  expectFailure("not an integer",
                txcCompileOptionsSet(options, "max-seq", "6x4"));
  expectFailure("negative", txcCompileOptionsSet(options, "--max-seq", "-1"));
  expectFailure("too large",
                txcCompileOptionsSet(options, "batch", "99999999"));
  expectFailure("bad stage", txcCompileOptionsSet(options, "emit", "exe"));
  expectFailure("bad bool",
                txcCompileOptionsSet(options, "loop-threads", "yes"));
  expectFailure("bad level", txcCompileOptionsSet(options, "O", "4"));
  expectFailure("bad quantize",
                txcCompileOptionsSet(options, "quantize", "q8"));
  expectFailure("bad target", txcCompileOptionsSet(options, "target", "tpu"));
  expectFailure("bad cpu", txcCompileOptionsSet(options, "cpu", "pentium-z"));
  expectFailure("bad shape",
                txcCompileOptionsSet(options, "shape", "input_ids"));
  expectFailure("bad skip-layers",
                txcCompileOptionsSet(options, "skip-layers", "1,x"));
  expectFailure("negative skip-layers",
                txcCompileOptionsSet(options, "skip-layers", "-1"));
  expectFailure("bad early-exit",
                txcCompileOptionsSet(options, "early-exit", "high"));
  expectFailure("bad early-exit-from",
                txcCompileOptionsSet(options, "early-exit-from", "-2"));
  expectFailure("bad mod-capacity",
                txcCompileOptionsSet(options, "mod-capacity", "1.5"));
  expectFailure("NULL key", txcCompileOptionsSet(options, NULL, "1"));
  expectFailure("NULL value", txcCompileOptionsSet(options, "max-seq", NULL));
  expectFailure("null options", txcCompileOptionsSet(none, "max-seq", "64"));
  expectFailure("null options (output)", txcCompileOptionsSetOutput(none, "x"));
  expectFailure("NULL output", txcCompileOptionsSetOutput(options, NULL));
  expectFailure("bad enum", txcCompileOptionsSetEmit(options, (TxcStage)42));
  expectFailure("max-seq too large",
                txcCompileOptionsSetMaxSeq(options, (int64_t)1 << 40));
  expectFailure("null options (weights)",
                txcCompileOptionsSetWeightsPath(none, "w.safetensors"));
  txcCompileOptionsDestroy(none);

  MlirContext ctx = mlirContextCreate();
  char path[4096];

  // Compiling a missing file.
  TxcResult result;
  snprintf(path, sizeof(path), "%s/missing.mlir", dir);
  printResult("missing file", txcCompileFile(ctx, path, options, &result),
              result);
  txcResultDestroy(result);

  // A file that parses but does not verify: the diagnostic has a location.
  printResult("malformed file", txcCompileFile(ctx, argv[2], options, &result),
              result);
  txcResultDestroy(result);

  // NULL and null arguments.
  printResult("NULL input", txcCompileFile(ctx, NULL, options, &result),
              result);
  txcResultDestroy(result);
  printResult("null options", txcCompileFile(ctx, argv[2], none, &result),
              result);
  txcResultDestroy(result);
  expectFailure("NULL result", txcCompileFile(ctx, argv[2], options, NULL));

  // A malformed module does not parse: the null module is an error.
  MlirModule bad = mlirModuleCreateParse(
      ctx, mlirStringRefCreateFromCString("func.func @f( {"));
  printResult("null module", txcCompileModule(bad, options, &result), result);
  txcResultDestroy(result);

  // A library needs an output file.
  txcContextRegisterDialects(ctx);
  MlirModule good = mlirModuleCreateParse(
      ctx, mlirStringRefCreateFromCString(
               "func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {\n"
               "  return %x : tensor<4xf32>\n}\n"));
  if (mlirModuleIsNull(good)) {
    printf("error: the good module did not parse\n");
    return 1;
  }
  txcCompileOptionsSetEmit(options, TXC_STAGE_LIBRARY);
  printResult("library without output",
              txcCompileModule(good, options, &result), result);
  txcResultDestroy(result);

  // An unknown pass in the graph pipeline.
  txcCompileOptionsSetEmit(options, TXC_STAGE_TX);
  txcCompileOptionsSet(options, "pipeline", "builtin.module(tx-no-such-pass)");
  printResult("unknown pass", txcCompileModule(good, options, &result), result);
  txcResultDestroy(result);
  mlirModuleDestroy(good);

  // Accessors of a null result.
  TxcResult nullResult = {NULL};
  TxcMessage message = txcResultGetMessage(nullResult, 3);
  printf("null result: ok=%d messages=%d text='%s' output='%s' files=%d "
         "severity=%d\n",
         (int)txcResultIsOk(nullResult),
         (int)txcResultGetNumMessages(nullResult),
         txcResultGetErrorText(nullResult).data,
         txcResultGetOutputText(nullResult).data,
         (int)txcResultGetNumWrittenFiles(nullResult), (int)message.severity);
  txcResultDestroy(nullResult);

  txcCompileOptionsDestroy(options);
  mlirContextDestroy(ctx);
  printf("failures: %d\n", failures);
  return failures != 0;
}
