/* Measures the machine's fp32 FMA throughput: every thread runs
 * independent chains of vector FMAs (24 accumulators, enough to cover the
 * FMA latency on 1 or 2 ports) for a fixed time. Compiled by
 * bench/prefill_cpu.py with -O2 -march=native -fopenmp; prints GFLOP/s. */
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#if defined(__AVX512F__)
typedef __m512 vec;
#define WIDTH 16
#define FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define SET(x) _mm512_set1_ps(x)
#define SUM(v) _mm512_reduce_add_ps(v)
#else
typedef __m256 vec;
#define WIDTH 8
#define FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define SET(x) _mm256_set1_ps(x)
static float SUM(__m256 v) {
  float t[8];
  _mm256_storeu_ps(t, v);
  return t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7];
}
#endif

static float chains(long iters) {
  vec acc[24];
  for (int i = 0; i < 24; ++i)
    acc[i] = SET(i * 1e-9f);
  vec x = SET(0.9999999f), y = SET(1e-9f);
  for (long it = 0; it < iters; ++it)
    for (int i = 0; i < 24; ++i)
      acc[i] = FMA(acc[i], x, y);
  float s = 0;
  for (int i = 0; i < 24; ++i)
    s += SUM(acc[i]);
  return s;
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : omp_get_max_threads();
  long iters = 20000000;
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    double t0 = omp_get_wtime();
    float sink = 0;
#pragma omp parallel num_threads(threads) reduction(+ : sink)
    sink += chains(iters);
    double t = omp_get_wtime() - t0;
    double gflops = 2.0 * WIDTH * 24 * iters * threads / t / 1e9;
    if (gflops > best)
      best = gflops;
    if (sink == 42.0f)
      printf("!");
  }
  printf("%.1f\n", best);
  return 0;
}
