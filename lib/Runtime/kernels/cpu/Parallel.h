//===- Parallel.h - The kernels' thread pool --------------------*- C++ -*-===//
//
// One persistent pool per process serves every kernel of a compiled model
// (GEMM, attention, norms). Work is split statically: the chunk boundaries
// depend only on the range and the thread count, and every kernel computes
// each output element the same way whatever chunk it falls in, so results
// are identical run to run and for any thread count.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_RUNTIME_KERNELS_CPU_PARALLEL_H
#define TXC_RUNTIME_KERNELS_CPU_PARALLEL_H

#include <cstdint>

namespace txc::kernels {

/// Threads the pool uses (the caller included): set by setNumThreads, else
/// TXC_NUM_THREADS, else the number of online CPUs.
int numThreads();
void setNumThreads(int threads);

/// The body of a parallel loop: runs [begin, end) of the range.
using RangeFn = void (*)(void *ctx, int64_t begin, int64_t end);

/// Runs fn over [0, n) split into at most numThreads() contiguous chunks of
/// at least `grain` iterations; chunk t is [n*t/T, n*(t+1)/T). The calling
/// thread runs chunk 0 and returns when all chunks are done. Nested calls
/// (from inside fn) run serially.
void parallelFor(int64_t n, int64_t grain, RangeFn fn, void *ctx);

/// The same with a lambda.
template <typename F> void parallelFor(int64_t n, int64_t grain, F &&body) {
  parallelFor(
      n, grain,
      [](void *ctx, int64_t b, int64_t e) { (*static_cast<F *>(ctx))(b, e); },
      &body);
}

} // namespace txc::kernels

#endif // TXC_RUNTIME_KERNELS_CPU_PARALLEL_H
