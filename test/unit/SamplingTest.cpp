//===- SamplingTest.cpp - txrt_sample -------------------------------------===//
//
// Greedy picks the first maximum; top-k 1 is greedy; a seed reproduces the
// draws; frequencies follow the tempered softmax; top-k and top-p never
// return a token outside their cut; bad parameters are errors.
//
//===----------------------------------------------------------------------===//

#include "txc-c/txrt.h"

#include "gtest/gtest.h"

#include <cmath>
#include <string>
#include <vector>

namespace {

int64_t sample(const std::vector<float> &logits, txrt_sampling p,
               txrt_rng *rng) {
  int64_t token = -1;
  EXPECT_EQ(txrt_sample(logits.data(), logits.size(), &p, rng, &token),
            TXRT_OK)
      << txrt_last_error();
  return token;
}

txrt_sampling params(float temperature, int64_t topK, float topP) {
  return txrt_sampling{0, temperature, topK, topP};
}

TEST(Sampling, GreedyIsTheFirstMaximum) {
  std::vector<float> logits = {0.5f, 3.0f, -1.0f, 3.0f};
  EXPECT_EQ(sample(logits, txrt_sampling{1, 0, 0, 0}, nullptr), 1);
  txrt_rng rng;
  txrt_rng_seed(&rng, 1);
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(sample(logits, params(0.7f, 1, 1.0f), &rng), 1);
}

TEST(Sampling, SeedReproducesTheDraws) {
  std::vector<float> logits(1000);
  for (size_t i = 0; i < logits.size(); ++i)
    logits[i] = std::sin(static_cast<float>(i)) * 3.0f;
  auto draws = [&](uint64_t seed) {
    txrt_rng rng;
    txrt_rng_seed(&rng, seed);
    std::vector<int64_t> out;
    for (int i = 0; i < 50; ++i)
      out.push_back(sample(logits, params(1.0f, 50, 0.9f), &rng));
    return out;
  };
  EXPECT_EQ(draws(42), draws(42));
  EXPECT_NE(draws(42), draws(43));
}

TEST(Sampling, FrequenciesFollowTheTemperedSoftmax) {
  std::vector<float> logits = {1.0f, 2.0f, 0.0f, 1.5f};
  for (float t : {0.5f, 1.0f, 2.0f}) {
    std::vector<double> expected(logits.size());
    double total = 0;
    for (size_t i = 0; i < logits.size(); ++i)
      total += expected[i] = std::exp(logits[i] / t);
    txrt_rng rng;
    txrt_rng_seed(&rng, 7);
    std::vector<int> count(logits.size(), 0);
    const int n = 40000;
    for (int i = 0; i < n; ++i)
      ++count[sample(logits, params(t, 0, 1.0f), &rng)];
    for (size_t i = 0; i < logits.size(); ++i)
      EXPECT_NEAR(count[i] / double(n), expected[i] / total, 0.01)
          << "temperature " << t << " token " << i;
  }
}

TEST(Sampling, TopKAndTopPStayInsideTheirCut) {
  // Probabilities at temperature 1: about 0.64, 0.24, 0.09, 0.03.
  std::vector<float> logits = {0.0f, 2.0f, 1.0f, 3.0f};
  txrt_rng rng;
  txrt_rng_seed(&rng, 3);
  std::vector<int> topK(4, 0), topP(4, 0);
  for (int i = 0; i < 5000; ++i) {
    ++topK[sample(logits, params(1.0f, 2, 1.0f), &rng)];
    ++topP[sample(logits, params(1.0f, 0, 0.8f), &rng)];
  }
  EXPECT_EQ(topK[0] + topK[2], 0);
  EXPECT_GT(topK[1], 0);
  EXPECT_GT(topK[3], 0);
  // 0.64 < 0.8 <= 0.64 + 0.24: the nucleus is tokens 3 and 1.
  EXPECT_EQ(topP[0] + topP[2], 0);
  EXPECT_GT(topP[1], 0);
  // top_p small enough keeps only the most likely.
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(sample(logits, params(1.0f, 0, 0.5f), &rng), 3);
}

TEST(Sampling, RejectsBadParameters) {
  std::vector<float> logits = {0.0f, 1.0f};
  txrt_rng rng;
  txrt_rng_seed(&rng, 0);
  int64_t token;
  auto expectError = [&](txrt_sampling p, txrt_rng *r, const char *what) {
    EXPECT_EQ(txrt_sample(logits.data(), logits.size(), &p, r, &token),
              TXRT_ERROR_ARGUMENT);
    EXPECT_EQ(std::string(txrt_last_error()), what);
  };
  expectError(params(0.0f, 0, 1.0f), &rng,
              "txrt_sample: temperature 0.000000 must be a finite number > 0 "
              "(or use greedy)");
  expectError(params(1.0f, -1, 1.0f), &rng,
              "txrt_sample: top_k -1 must be >= 0 (0 keeps all)");
  expectError(params(1.0f, 0, 0.0f), &rng,
              "txrt_sample: top_p 0.000000 must be in (0, 1]");
  expectError(params(1.0f, 0, 1.5f), &rng,
              "txrt_sample: top_p 1.500000 must be in (0, 1]");
  expectError(params(1.0f, 0, 1.0f), nullptr,
              "txrt_sample: rng is NULL (needed unless greedy)");
  txrt_sampling greedy{1, 0, 0, 0};
  EXPECT_EQ(txrt_sample(logits.data(), 0, &greedy, nullptr, &token),
            TXRT_ERROR_ARGUMENT);
  EXPECT_EQ(std::string(txrt_last_error()), "txrt_sample: vocab is 0");
  std::vector<float> nan = {0.0f, std::nanf("")};
  EXPECT_EQ(txrt_sample(nan.data(), 2, &greedy, nullptr, &token),
            TXRT_ERROR_ARGUMENT);
  EXPECT_EQ(std::string(txrt_last_error()), "txrt_sample: logit 1 is NaN");
  EXPECT_EQ(txrt_sample(nullptr, 2, &greedy, nullptr, &token),
            TXRT_ERROR_ARGUMENT);
  EXPECT_EQ(std::string(txrt_last_error()), "txrt_sample: logits is NULL");
}

} // namespace
