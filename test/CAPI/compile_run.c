//===- compile_run.c - Compile a model with the C API and run it ----------===//
//
// A C program that compiles a tx IR file (examples/decoder2.mlir) to a
// model library with txcCompileFile, loads it with libtxrt (txrt.h), runs
// it on deterministic inputs and writes the inputs and outputs as .npy
// files, so that compile-run.test can run the same library with txc-run
// on the same inputs and compare. Usage: compile_run MODEL.mlir DIR.
//
//===----------------------------------------------------------------------===//

#include "mlir-c/IR.h"
#include "mlir-c/Support.h"
#include "txc-c/Compiler.h"
#include "txc-c/txrt.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/// numpy's descr of a runtime dtype, or NULL for one this test does not
/// write.
static const char *npyDescr(txrt_dtype dtype) {
  switch (dtype) {
  case TXRT_DTYPE_F32:
    return "<f4";
  case TXRT_DTYPE_I64:
    return "<i8";
  case TXRT_DTYPE_I32:
    return "<i4";
  default:
    return NULL;
  }
}

/// Writes `info`'s tensor at `data` to PATH as a .npy (format 1.0) file.
static int writeNpy(const char *path, const txrt_tensor_info *info,
                    const void *data) {
  const char *descr = npyDescr(info->dtype);
  if (!descr) {
    printf("error: %s has dtype %s, which this test does not write\n",
           info->name, txrt_dtype_name(info->dtype));
    return 1;
  }
  char shape[256] = "";
  size_t used = 0;
  for (size_t d = 0; d < info->rank; ++d)
    used += (size_t)snprintf(shape + used, sizeof(shape) - used, "%lld,%s",
                             (long long)info->dims[d],
                             d + 1 < info->rank ? " " : "");
  char header[512];
  int length = snprintf(header, sizeof(header),
                        "{'descr': '%s', 'fortran_order': False, "
                        "'shape': (%s), }",
                        descr, shape);
  // Magic (6) + version (2) + header length (2) + header, padded with
  // spaces to a multiple of 64 and ended by a newline.
  int total = 10 + length + 1;
  int padding = (64 - total % 64) % 64;
  FILE *file = fopen(path, "wb");
  if (!file) {
    printf("error: cannot write %s\n", path);
    return 1;
  }
  uint16_t headerLength = (uint16_t)(length + padding + 1);
  unsigned char prefix[10] = {0x93,
                              'N',
                              'U',
                              'M',
                              'P',
                              'Y',
                              1,
                              0,
                              (unsigned char)(headerLength & 0xff),
                              (unsigned char)(headerLength >> 8)};
  fwrite(prefix, 1, sizeof(prefix), file);
  fwrite(header, 1, (size_t)length, file);
  for (int i = 0; i < padding; ++i)
    fputc(' ', file);
  fputc('\n', file);
  fwrite(data, 1, info->byte_size, file);
  return fclose(file) != 0;
}

/// Fills input `index` of `model`: index inputs with values cycling through
/// their range, floats with a fixed pseudo-random sequence in [-0.5, 0.5).
static void fillInput(const txrt_model *model, size_t index,
                      const txrt_tensor_info *info, void *data) {
  int hasRange = 0;
  int64_t low = 0, high = 0;
  txrt_model_input_range(model, index, &hasRange, &low, &high);
  uint32_t state = 12345u + (uint32_t)index * 7919u;
  if (info->dtype == TXRT_DTYPE_I64) {
    int64_t *values = (int64_t *)data;
    size_t n = info->byte_size / sizeof(int64_t);
    for (size_t i = 0; i < n; ++i)
      values[i] = hasRange
                      ? low + (int64_t)((i * 37 + 11) % (uint64_t)(high - low))
                      : (int64_t)i;
    return;
  }
  if (info->dtype == TXRT_DTYPE_F32) {
    float *values = (float *)data;
    size_t n = info->byte_size / sizeof(float);
    for (size_t i = 0; i < n; ++i) {
      state = state * 1664525u + 1013904223u;
      values[i] = (float)(state >> 8) / 16777216.0f - 0.5f;
    }
    return;
  }
  memset(data, 0, info->byte_size);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: compile_run MODEL.mlir DIR\n");
    return 2;
  }
  char library[4096];
  snprintf(library, sizeof(library), "%s/decoder2.so", argv[2]);

  // Compile.
  TxcCompileOptions options = txcCompileOptionsCreate();
  if (mlirLogicalResultIsFailure(
          txcCompileOptionsSetOutput(options, library)) ||
      mlirLogicalResultIsFailure(
          txcCompileOptionsSetEmit(options, TXC_STAGE_LIBRARY)) ||
      mlirLogicalResultIsFailure(txcCompileOptionsSet(options, "O", "2"))) {
    printf("error: %s\n", txcLastError());
    return 1;
  }
  MlirContext ctx = mlirContextCreate();
  TxcResult result;
  if (mlirLogicalResultIsFailure(
          txcCompileFile(ctx, argv[1], options, &result))) {
    MlirStringRef errors = txcResultGetErrorText(result);
    printf("error: compilation failed: %.*s\n", (int)errors.length,
           errors.data);
    return 1;
  }
  printf("compiled: ok=%d\n", (int)txcResultIsOk(result));
  for (intptr_t i = 0; i < txcResultGetNumWrittenFiles(result); ++i) {
    MlirStringRef file = txcResultGetWrittenFile(result, i);
    const char *base = strrchr(file.data, '/');
    printf("wrote: %s\n", base ? base + 1 : file.data);
  }
  txcResultDestroy(result);
  txcCompileOptionsDestroy(options);
  mlirContextDestroy(ctx);

  // Load and run with libtxrt.
  txrt_model *model = NULL;
  if (txrt_model_load(library, NULL, &model) != TXRT_OK) {
    printf("error: %s\n", txrt_last_error());
    return 1;
  }
  size_t numInputs = txrt_model_num_inputs(model);
  size_t numOutputs = txrt_model_num_outputs(model);
  printf("inputs: %zu outputs: %zu\n", numInputs, numOutputs);
  void **inputs = calloc(numInputs, sizeof(void *));
  void **outputs = calloc(numOutputs, sizeof(void *));
  char path[4352];
  int failures = 0;
  for (size_t i = 0; i < numInputs; ++i) {
    txrt_tensor_info info;
    txrt_model_input_info(model, i, &info);
    inputs[i] = aligned_alloc(64, (info.byte_size + 63) / 64 * 64);
    fillInput(model, i, &info, inputs[i]);
    snprintf(path, sizeof(path), "%s/in/%s.npy", argv[2], info.name);
    failures += writeNpy(path, &info, inputs[i]);
  }
  for (size_t i = 0; i < numOutputs; ++i) {
    txrt_tensor_info info;
    txrt_model_output_info(model, i, &info);
    outputs[i] = aligned_alloc(64, (info.byte_size + 63) / 64 * 64);
  }
  if (txrt_model_run(model, (const void *const *)inputs, outputs) != TXRT_OK) {
    printf("error: %s\n", txrt_last_error());
    return 1;
  }
  for (size_t i = 0; i < numOutputs; ++i) {
    txrt_tensor_info info;
    txrt_model_output_info(model, i, &info);
    printf("output %s %s [", info.name, txrt_dtype_name(info.dtype));
    for (size_t d = 0; d < info.rank; ++d)
      printf("%s%lld", d ? ", " : "", (long long)info.dims[d]);
    printf("]\n");
    if (info.dtype == TXRT_DTYPE_F32) {
      const float *values = (const float *)outputs[i];
      size_t n = info.byte_size / sizeof(float), finite = 0;
      for (size_t k = 0; k < n; ++k)
        finite += isfinite(values[k]) ? 1 : 0;
      printf("finite: %zu of %zu\n", finite, n);
    }
    snprintf(path, sizeof(path), "%s/out/%s.npy", argv[2], info.name);
    failures += writeNpy(path, &info, outputs[i]);
  }
  for (size_t i = 0; i < numInputs; ++i)
    free(inputs[i]);
  for (size_t i = 0; i < numOutputs; ++i)
    free(outputs[i]);
  free(inputs);
  free(outputs);
  txrt_model_free(model);
  printf("failures: %d\n", failures);
  return failures != 0;
}
