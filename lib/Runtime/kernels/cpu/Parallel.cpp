//===- Parallel.cpp - The kernels' thread pool ----------------------------===//
//
// Workers spin briefly on a generation counter (kernels follow each other
// within microseconds during a model run), then sleep on a condition
// variable.
//
//===----------------------------------------------------------------------===//

#include "Parallel.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#include <immintrin.h>
#include <unistd.h>

namespace txc::kernels {
namespace {

int defaultThreads() {
  if (const char *env = std::getenv("TXC_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n > 0)
      return n;
  }
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

thread_local bool insideParallel = false;

class Pool {
public:
  ~Pool() { resize(0); }

  int threads() {
    if (wanted == 0)
      wanted = defaultThreads();
    return wanted;
  }
  void setThreads(int n) {
    std::lock_guard<std::mutex> lock(runMutex);
    wanted = std::max(1, n);
  }

  void run(int64_t n, int64_t grain, RangeFn fn, void *ctx) {
    int64_t chunks = std::min<int64_t>(threads(), std::max<int64_t>(1, n / std::max<int64_t>(1, grain)));
    if (chunks <= 1 || insideParallel) {
      fn(ctx, 0, n);
      return;
    }
    std::lock_guard<std::mutex> lock(runMutex);
    resize(static_cast<int>(chunks) - 1);
    job = {fn, ctx, n, chunks};
    // Every worker reports back, with or without a chunk, so that none is
    // still reading `job` when the next call rewrites it.
    pending.store(static_cast<int>(workers.size()), std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> g(sleepMutex);
      generation.fetch_add(1, std::memory_order_release);
    }
    wake.notify_all();
    insideParallel = true;
    fn(ctx, 0, n / chunks);
    insideParallel = false;
    while (pending.load(std::memory_order_acquire) != 0)
      _mm_pause();
  }

private:
  struct Job {
    RangeFn fn = nullptr;
    void *ctx = nullptr;
    int64_t n = 0, chunks = 0;
  };

  /// Keeps at least `n` workers alive (workers beyond a job's chunk count
  /// find no chunk and go back to waiting); 0 stops them all.
  void resize(int n) {
    if (static_cast<int>(workers.size()) >= n && n > 0)
      return;
    if (n == 0) {
      {
        std::lock_guard<std::mutex> g(sleepMutex);
        stopping = true;
        generation.fetch_add(1, std::memory_order_release);
      }
      wake.notify_all();
      for (std::thread &t : workers)
        t.join();
      workers.clear();
      stopping = false;
      return;
    }
    while (static_cast<int>(workers.size()) < n) {
      int index = static_cast<int>(workers.size()) + 1;
      workers.emplace_back([this, index] { workerLoop(index); });
    }
  }

  void workerLoop(int index) {
    insideParallel = true;
    uint64_t seen = generation.load(std::memory_order_acquire);
    for (;;) {
      uint64_t now = generation.load(std::memory_order_acquire);
      for (int spin = 0; now == seen && spin < 20000; ++spin) {
        _mm_pause();
        now = generation.load(std::memory_order_acquire);
      }
      if (now == seen) {
        std::unique_lock<std::mutex> g(sleepMutex);
        wake.wait(g, [&] {
          return generation.load(std::memory_order_acquire) != seen;
        });
        now = generation.load(std::memory_order_acquire);
      }
      seen = now;
      if (stopping)
        return;
      Job j = job;
      if (index < j.chunks)
        j.fn(j.ctx, j.n * index / j.chunks, j.n * (index + 1) / j.chunks);
      pending.fetch_sub(1, std::memory_order_acq_rel);
    }
  }

  int wanted = 0;
  std::mutex runMutex, sleepMutex;
  std::condition_variable wake;
  std::atomic<uint64_t> generation{0};
  std::atomic<int> pending{0};
  bool stopping = false;
  Job job;
  std::vector<std::thread> workers;
};

Pool &pool() {
  static Pool p;
  return p;
}

} // namespace

int numThreads() { return pool().threads(); }
void setNumThreads(int threads) { pool().setThreads(threads); }

void parallelFor(int64_t n, int64_t grain, RangeFn fn, void *ctx) {
  if (n <= 0)
    return;
  pool().run(n, grain, fn, ctx);
}

} // namespace txc::kernels
