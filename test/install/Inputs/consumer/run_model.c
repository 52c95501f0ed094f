/*===- run_model.c - run a txc-compiled model from C, out of tree ---------===*\
|*                                                                            *|
|* Part of the out-of-tree consumer of the installed TXC package              *|
|* (install.test): a C99 program linked with TXC::txrt only. `run-model       *|
|* MODEL.so` loads a model compiled from Inputs/rms_matmul.mlir, checks its   *|
|* signature (x: f32 [3, 8] -> y: f32 [3, 4]), runs it on a fixed input and   *|
|* compares y with rms_norm(x, g) @ w computed here in double precision.      *|
|* Prints the outputs and the largest error; exits 1 on any failure, with     *|
|* txrt's status and message.                                                 *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "txrt.h"

#include <math.h>
#include <stdio.h>

enum { kRows = 3, kDim = 8, kOut = 4 };

/** Prints a failed call's status and txrt_last_error(); returns 1. */
static int fail(const char *what, txrt_status status) {
  fprintf(stderr, "run-model: %s failed: %s: %s\n", what,
          txrt_status_name(status), txrt_last_error());
  return 1;
}

/** Whether `info` is an f32 tensor named `name` of shape [rows, cols]. */
static int hasShape(const txrt_tensor_info *info, const char *name,
                    int64_t rows, int64_t cols) {
  const char *a = info->name, *b = name;
  while (*a && *a == *b)
    ++a, ++b;
  return *a == *b && info->dtype == TXRT_DTYPE_F32 && info->rank == 2 &&
         info->dims[0] == rows && info->dims[1] == cols;
}

/** The reference: y = rms_norm(x, g, 1e-5) @ w, with g and w from the
 *  formulas in Inputs/rms_matmul.mlir. */
static void reference(const float x[kRows][kDim], double y[kRows][kOut]) {
  int r, i, k;
  for (r = 0; r < kRows; ++r) {
    double sum = 0, scale, n[kDim];
    for (i = 0; i < kDim; ++i)
      sum += (double)x[r][i] * x[r][i];
    scale = 1.0 / sqrt(sum / kDim + 1e-5);
    for (i = 0; i < kDim; ++i)
      n[i] = x[r][i] * scale * (0.5 + 0.125 * i);
    for (k = 0; k < kOut; ++k) {
      y[r][k] = 0;
      for (i = 0; i < kDim; ++i)
        y[r][k] += n[i] * (((4 * i + k) % 7 - 3) * 0.25);
    }
  }
}

int main(int argc, char **argv) {
  static float x[kRows][kDim], y[kRows][kOut];
  double expected[kRows][kOut], maxError = 0;
  const void *inputs[1] = {x};
  void *outputs[1] = {y};
  txrt_tensor_info info;
  txrt_model *model = NULL;
  txrt_status status;
  int r, i, k, ok = 1;

  if (argc != 2) {
    fprintf(stderr, "usage: run-model MODEL.so\n");
    return 2;
  }
  status = txrt_model_load(argv[1], NULL, &model);
  if (status != TXRT_OK)
    return fail("txrt_model_load", status);
  if (txrt_model_num_inputs(model) != 1 || txrt_model_num_outputs(model) != 1)
    return fprintf(stderr, "run-model: expected 1 input and 1 output\n"), 1;
  if ((status = txrt_model_input_info(model, 0, &info)) != TXRT_OK)
    return fail("txrt_model_input_info", status);
  if (!hasShape(&info, "x", kRows, kDim))
    return fprintf(stderr, "run-model: input 0 is not x: f32 [3, 8]\n"), 1;
  if ((status = txrt_model_output_info(model, 0, &info)) != TXRT_OK)
    return fail("txrt_model_output_info", status);
  if (!hasShape(&info, "y", kRows, kOut))
    return fprintf(stderr, "run-model: output 0 is not y: f32 [3, 4]\n"), 1;

  for (r = 0; r < kRows; ++r)
    for (i = 0; i < kDim; ++i)
      x[r][i] = (float)((r * kDim + i) % 5 - 2) + 0.5f * (float)r;
  if ((status = txrt_model_run(model, inputs, outputs)) != TXRT_OK)
    return fail("txrt_model_run", status);
  txrt_model_free(model);

  reference(x, expected);
  for (r = 0; r < kRows; ++r) {
    printf("y[%d] =", r);
    for (k = 0; k < kOut; ++k) {
      double error = fabs(y[r][k] - expected[r][k]);
      printf(" %.3f", y[r][k]);
      if (!(error < 1e-4)) /* also catches NaN */
        ok = 0;
      if (error > maxError)
        maxError = error;
    }
    printf("\n");
  }
  printf("max abs error vs reference: %.1e (%s)\n", maxError,
         ok ? "OK" : "TOO LARGE");
  return ok ? 0 : 1;
}
