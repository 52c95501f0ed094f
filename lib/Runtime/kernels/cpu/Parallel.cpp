//===- Parallel.cpp - The kernels' thread pool ----------------------------===//
//
// The pool is LLVM's OpenMP runtime (libomp), which the loops txc generates
// (scf.parallel through convert-scf-to-openmp) use as well, so that kernels
// and generated code share one set of threads.
//
//===----------------------------------------------------------------------===//

#include "Parallel.h"

#include <algorithm>
#include <cstdlib>

#include <omp.h>

namespace txc::kernels {

static int wantedThreads = 0;

int numThreads() {
  if (wantedThreads > 0)
    return wantedThreads;
  if (const char *env = std::getenv("TXC_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n > 0)
      return wantedThreads = n;
  }
  return wantedThreads = omp_get_max_threads();
}

void setNumThreads(int threads) {
  wantedThreads = std::max(1, threads);
  omp_set_num_threads(wantedThreads);
}

void parallelFor(int64_t n, int64_t grain, RangeFn fn, void *ctx) {
  if (n <= 0)
    return;
  int64_t chunks = std::min<int64_t>(
      numThreads(), std::max<int64_t>(1, n / std::max<int64_t>(1, grain)));
  if (chunks <= 1 || omp_in_parallel()) {
    fn(ctx, 0, n);
    return;
  }
#pragma omp parallel for num_threads(chunks) schedule(static, 1)
  for (int64_t t = 0; t < chunks; ++t)
    fn(ctx, n * t / chunks, n * (t + 1) / chunks);
}

} // namespace txc::kernels
