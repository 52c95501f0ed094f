/*===- txrt_c_smoke.c - use libtxrt from plain C --------------------------===*\
|*                                                                            *|
|* Checks that include/txc-c/txrt.h is valid C and that libtxrt.so links and  *|
|* loads from a C program: `txrt-c-smoke MODEL.so` lists the model's inputs   *|
|* and outputs, runs it on zero-filled inputs with two threads and prints     *|
|* the outputs; a failure prints the status and txrt_last_error().            *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "txc-c/txrt.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static int report(txrt_status status) {
  printf("%s: %s\n", txrt_status_name(status), txrt_last_error());
  return 1;
}

static void printInfo(const char *kind, size_t index,
                      const txrt_tensor_info *info) {
  size_t d;
  printf("%s %zu: %s %s [", kind, index, info->name,
         txrt_dtype_name(info->dtype));
  for (d = 0; d < info->rank; ++d)
    printf(d ? ", %" PRId64 : "%" PRId64, info->dims[d]);
  printf("] %zu bytes\n", info->byte_size);
}

static void printValues(const txrt_tensor_info *info, const void *data) {
  size_t i, n = info->byte_size;
  printf("%s =", info->name);
  switch (info->dtype) {
  case TXRT_DTYPE_F32:
    for (i = 0; i < n / 4; ++i)
      printf(" %g", ((const float *)data)[i]);
    break;
  case TXRT_DTYPE_I64:
    for (i = 0; i < n / 8; ++i)
      printf(" %" PRId64, ((const int64_t *)data)[i]);
    break;
  case TXRT_DTYPE_I32:
    for (i = 0; i < n / 4; ++i)
      printf(" %" PRId32, ((const int32_t *)data)[i]);
    break;
  default:
    printf(" (%zu bytes)", n);
    break;
  }
  printf("\n");
}

int main(int argc, char **argv) {
  txrt_model *model = NULL;
  txrt_status status;
  size_t i, numInputs, numOutputs;
  void **inputs, **outputs;
  txrt_tensor_info info;

  if (argc != 2) {
    fprintf(stderr, "usage: txrt-c-smoke MODEL.so\n");
    return 2;
  }
  status = txrt_model_load(argv[1], NULL, &model);
  if (status != TXRT_OK)
    return report(status);

  numInputs = txrt_model_num_inputs(model);
  numOutputs = txrt_model_num_outputs(model);
  inputs = calloc(numInputs + 1, sizeof(void *));
  outputs = calloc(numOutputs + 1, sizeof(void *));
  for (i = 0; i < numInputs; ++i) {
    txrt_model_input_info(model, i, &info);
    printInfo("input", i, &info);
    inputs[i] = calloc(info.byte_size + 1, 1);
  }
  for (i = 0; i < numOutputs; ++i) {
    txrt_model_output_info(model, i, &info);
    printInfo("output", i, &info);
    outputs[i] = calloc(info.byte_size + 1, 1);
  }

  if ((status = txrt_set_num_threads(model, 2)) != TXRT_OK ||
      (status = txrt_model_run(model, (const void *const *)inputs, outputs)) !=
          TXRT_OK)
    return report(status);
  for (i = 0; i < numOutputs; ++i) {
    txrt_model_output_info(model, i, &info);
    printValues(&info, outputs[i]);
  }

  for (i = 0; i < numInputs; ++i)
    free(inputs[i]);
  for (i = 0; i < numOutputs; ++i)
    free(outputs[i]);
  free(inputs);
  free(outputs);
  txrt_model_free(model);
  return 0;
}
