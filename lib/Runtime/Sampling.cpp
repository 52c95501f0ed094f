//===- Sampling.cpp - token sampling of the libtxrt C API -----------------===//
//
// Greedy, temperature, top-k and top-p (nucleus) sampling. Candidates are
// ordered by probability, ties by index, and the random draw comes from a
// splitmix64 generator, so a seed reproduces the same tokens anywhere.
//
//===----------------------------------------------------------------------===//

#include "Status.h"

#include "txc-c/txrt.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

using namespace txc::runtime;

namespace {

uint64_t next(txrt_rng &rng) {
  uint64_t z = (rng.state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/// Uniform in [0, 1) with 53 random bits.
double uniform(txrt_rng &rng) {
  return static_cast<double>(next(rng) >> 11) * 0x1.0p-53;
}

} // namespace

extern "C" {

void txrt_rng_seed(txrt_rng *rng, uint64_t seed) {
  if (rng)
    rng->state = seed;
}

txrt_status txrt_sample(const float *logits, size_t vocab,
                        const txrt_sampling *params, txrt_rng *rng,
                        int64_t *token) {
  if (!logits || !params || !token)
    return fail(TXRT_ERROR_ARGUMENT, std::string("txrt_sample: ") +
                                         (!logits   ? "logits"
                                          : !params ? "params"
                                                    : "token") +
                                         " is NULL");
  if (vocab == 0)
    return fail(TXRT_ERROR_ARGUMENT, "txrt_sample: vocab is 0");
  for (size_t i = 0; i < vocab; ++i)
    if (std::isnan(logits[i]))
      return fail(TXRT_ERROR_ARGUMENT, "txrt_sample: logit " +
                                           std::to_string(i) + " is NaN");
  if (params->greedy) {
    *token = std::max_element(logits, logits + vocab) - logits;
    return TXRT_OK;
  }
  if (!(params->temperature > 0.0f) || std::isinf(params->temperature))
    return fail(TXRT_ERROR_ARGUMENT,
                "txrt_sample: temperature " +
                    std::to_string(params->temperature) +
                    " must be a finite number > 0 (or use greedy)");
  if (params->top_k < 0)
    return fail(TXRT_ERROR_ARGUMENT, "txrt_sample: top_k " +
                                         std::to_string(params->top_k) +
                                         " must be >= 0 (0 keeps all)");
  if (!(params->top_p > 0.0f && params->top_p <= 1.0f))
    return fail(TXRT_ERROR_ARGUMENT, "txrt_sample: top_p " +
                                         std::to_string(params->top_p) +
                                         " must be in (0, 1]");
  if (!rng)
    return fail(TXRT_ERROR_ARGUMENT,
                "txrt_sample: rng is NULL (needed unless greedy)");

  // Candidates by decreasing logit, ties by index; top-k keeps a prefix.
  size_t keep = params->top_k == 0
                    ? vocab
                    : std::min<size_t>(vocab, static_cast<size_t>(params->top_k));
  std::vector<int64_t> order(vocab);
  std::iota(order.begin(), order.end(), 0);
  auto before = [&](int64_t a, int64_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  };
  std::partial_sort(order.begin(), order.begin() + keep, order.end(), before);
  order.resize(keep);

  // Softmax over the kept candidates (the top-k renormalization), in double.
  double top = static_cast<double>(logits[order[0]]) / params->temperature;
  std::vector<double> prob(keep);
  double total = 0;
  for (size_t i = 0; i < keep; ++i) {
    double x = static_cast<double>(logits[order[i]]) / params->temperature;
    prob[i] = std::isinf(top) ? (x == top ? 1.0 : 0.0) : std::exp(x - top);
    total += prob[i];
  }
  // Nucleus: the shortest prefix whose mass reaches top_p.
  size_t nucleus = keep;
  if (params->top_p < 1.0f) {
    double mass = 0;
    for (size_t i = 0; i < keep; ++i) {
      mass += prob[i] / total;
      if (mass >= params->top_p) {
        nucleus = i + 1;
        break;
      }
    }
  }
  double kept = std::accumulate(prob.begin(), prob.begin() + nucleus, 0.0);
  double u = uniform(*rng) * kept;
  for (size_t i = 0; i < nucleus; ++i) {
    if (u < prob[i]) {
      *token = order[i];
      return TXRT_OK;
    }
    u -= prob[i];
  }
  // Rounding left u past the last candidate.
  *token = order[nucleus - 1];
  return TXRT_OK;
}
}
