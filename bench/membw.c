/* Measures the machine's memory read bandwidth: every thread sums its slice
 * of a large fp32 array (default 1 GiB, far beyond the caches) with vector
 * loads into 8 independent accumulators; the best of 10 passes counts.
 * Compiled by bench/decode_cpu.py with -O2 -march=native -fopenmp; usage:
 * membw [THREADS] [MIB]; prints GB/s (1e9 bytes per second). */
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#if defined(__AVX512F__)
typedef __m512 vec;
#define WIDTH 16
#define LOAD(p) _mm512_load_ps(p)
#define ADD(a, b) _mm512_add_ps(a, b)
#define ZERO() _mm512_setzero_ps()
#define SUM(v) _mm512_reduce_add_ps(v)
#else
typedef __m256 vec;
#define WIDTH 8
#define LOAD(p) _mm256_load_ps(p)
#define ADD(a, b) _mm256_add_ps(a, b)
#define ZERO() _mm256_setzero_ps()
static float SUM(__m256 v) {
  float t[8];
  _mm256_storeu_ps(t, v);
  return t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7];
}
#endif

#define UNROLL 8
#define BLOCK (WIDTH * UNROLL)

/* Sum of p[0, n), n a multiple of BLOCK, p 64-byte aligned. */
static float sum(const float *p, long n) {
  vec acc[UNROLL];
  for (int i = 0; i < UNROLL; ++i)
    acc[i] = ZERO();
  for (long j = 0; j < n; j += BLOCK)
    for (int i = 0; i < UNROLL; ++i)
      acc[i] = ADD(acc[i], LOAD(p + j + i * WIDTH));
  float s = 0;
  for (int i = 0; i < UNROLL; ++i)
    s += SUM(acc[i]);
  return s;
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : omp_get_max_threads();
  long mib = argc > 2 ? atol(argv[2]) : 1024;
  long n = mib * (1L << 20) / sizeof(float);
  long per = n / threads / BLOCK * BLOCK; /* each thread's slice */
  n = per * threads;
  float *a = aligned_alloc(64, n * sizeof(float));
  if (!a || per == 0) {
    fprintf(stderr, "membw: cannot allocate %ld MiB for %d threads\n", mib,
            threads);
    return 1;
  }
  /* Each thread first touches its own slice (its pages, its NUMA node). */
#pragma omp parallel num_threads(threads)
  {
    float *p = a + (long)omp_get_thread_num() * per;
    for (long j = 0; j < per; ++j)
      p[j] = (float)(j & 1023) * 1e-3f;
  }
  double best = 0;
  for (int rep = 0; rep < 10; ++rep) {
    float sink = 0;
    double t0 = omp_get_wtime();
#pragma omp parallel num_threads(threads) reduction(+ : sink)
    sink += sum(a + (long)omp_get_thread_num() * per, per);
    double t = omp_get_wtime() - t0;
    double gbs = (double)n * sizeof(float) / t / 1e9;
    if (gbs > best)
      best = gbs;
    if (sink == 42.0f)
      printf("!");
  }
  free(a);
  printf("%.1f\n", best);
  return 0;
}
