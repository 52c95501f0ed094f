//===- MaskClassificationTest.cpp - constant attention mask classifier ----===//

#include "txc/Passes/MaskClassification.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/MLIRContext.h"

#include "gtest/gtest.h"

#include <functional>
#include <limits>
#include <random>

using namespace mlir;
using txc::classifyMask;
using txc::MaskClassification;
using txc::MaskPattern;

namespace {

const float kNegInf = -std::numeric_limits<float>::infinity();
const float kLowest = std::numeric_limits<float>::lowest();

/// Allowed(b, h, i, j) over a [B, H, Sq, Sk] mask.
using AllowFn = std::function<bool(int64_t, int64_t, int64_t, int64_t)>;

class MaskClassificationTest : public ::testing::Test {
protected:
  /// An i1 mask of shape `shape` (rank 4) from `allowed`.
  DenseElementsAttr boolMask(ArrayRef<int64_t> shape, const AllowFn &allowed) {
    SmallVector<bool> values;
    forEach(shape, [&](int64_t b, int64_t h, int64_t i, int64_t j) {
      values.push_back(allowed(b, h, i, j));
    });
    return DenseElementsAttr::get(
        RankedTensorType::get(shape, IntegerType::get(&context, 1)), values);
  }

  /// An additive f32 mask: 0 where allowed, `masked` elsewhere.
  DenseElementsAttr floatMask(ArrayRef<int64_t> shape, const AllowFn &allowed,
                              float masked = kLowest) {
    SmallVector<float> values;
    forEach(shape, [&](int64_t b, int64_t h, int64_t i, int64_t j) {
      values.push_back(allowed(b, h, i, j) ? 0.0f : masked);
    });
    return DenseElementsAttr::get(
        RankedTensorType::get(shape, Float32Type::get(&context)),
        ArrayRef<float>(values));
  }

  static void
  forEach(ArrayRef<int64_t> shape,
          llvm::function_ref<void(int64_t, int64_t, int64_t, int64_t)> fn) {
    for (int64_t b = 0; b < shape[0]; ++b)
      for (int64_t h = 0; h < shape[1]; ++h)
        for (int64_t i = 0; i < shape[2]; ++i)
          for (int64_t j = 0; j < shape[3]; ++j)
            fn(b, h, i, j);
  }

  /// tx.attention's sliding-window rule (window <= 0: causal).
  static AllowFn structured(int64_t sq, int64_t sk, int64_t window,
                            int64_t sinks) {
    return [=](int64_t, int64_t, int64_t i, int64_t j) {
      int64_t p = sk - sq + i;
      return j <= p && (window <= 0 || p - j < window || j < sinks);
    };
  }

  MLIRContext context;
};

TEST_F(MaskClassificationTest, Causal) {
  AllowFn causal = structured(8, 8, 0, 0);
  for (DenseElementsAttr mask :
       {floatMask({1, 1, 8, 8}, causal), floatMask({2, 4, 8, 8}, causal),
        floatMask({1, 1, 8, 8}, causal, kNegInf),
        floatMask({1, 1, 8, 8}, causal, -1.0e4f),
        boolMask({2, 1, 8, 8}, causal)}) {
    MaskClassification c = classifyMask(mask, 8, 8);
    EXPECT_EQ(c.pattern, MaskPattern::Causal);
    EXPECT_TRUE(c.binary);
  }
}

TEST_F(MaskClassificationTest, CausalWithQueriesAtTheEnd) {
  // Chunked prefill: 3 queries at positions 5, 6, 7 of 8 keys.
  MaskClassification c =
      classifyMask(boolMask({1, 1, 3, 8}, structured(3, 8, 0, 0)), 3, 8);
  EXPECT_EQ(c.pattern, MaskPattern::Causal);
  // The same lower triangle read with the queries at the start is not.
  c = classifyMask(boolMask({1, 1, 3, 8}, [](int64_t, int64_t, int64_t i,
                                             int64_t j) { return j <= i; }),
                   3, 8);
  EXPECT_EQ(c.pattern, MaskPattern::Explicit);
  EXPECT_TRUE(c.binary);
}

TEST_F(MaskClassificationTest, SlidingWindow) {
  MaskClassification c =
      classifyMask(floatMask({1, 1, 16, 16}, structured(16, 16, 8, 0)), 16, 16);
  EXPECT_EQ(c.pattern, MaskPattern::SlidingWindow);
  EXPECT_EQ(c.window, 8);
  EXPECT_EQ(c.sinks, 0);
}

TEST_F(MaskClassificationTest, SlidingWindowWithSinks) {
  MaskClassification c = classifyMask(
      floatMask({1, 1, 12, 12}, structured(12, 12, 3, 2), kNegInf), 12, 12);
  EXPECT_EQ(c.pattern, MaskPattern::SlidingWindow);
  EXPECT_EQ(c.window, 3);
  EXPECT_EQ(c.sinks, 2);
}

TEST_F(MaskClassificationTest, WindowCoveringEveryKeyIsCausal) {
  MaskClassification c =
      classifyMask(boolMask({1, 1, 6, 6}, structured(6, 6, 6, 0)), 6, 6);
  EXPECT_EQ(c.pattern, MaskPattern::Causal);
}

/// Every structured mask classifies to parameters that rebuild it exactly.
TEST_F(MaskClassificationTest, StructuredMasksRoundTrip) {
  for (int64_t sq : {1, 2, 5})
    for (int64_t sk = sq; sk <= 9; ++sk)
      for (int64_t window = 0; window <= sk + 1; ++window)
        for (int64_t sinks = 0; sinks <= 3; ++sinks) {
          AllowFn allowed = structured(sq, sk, window, sinks);
          MaskClassification c =
              classifyMask(boolMask({1, 1, sq, sk}, allowed), sq, sk);
          ASSERT_NE(c.pattern, MaskPattern::Explicit)
              << sq << "x" << sk << " window " << window << " sinks " << sinks;
          AllowFn rebuilt =
              c.pattern == MaskPattern::None
                  ? AllowFn(
                        [](int64_t, int64_t, int64_t, int64_t) { return true; })
                  : structured(sq, sk,
                               c.pattern == MaskPattern::Causal ? 0 : c.window,
                               c.sinks);
          for (int64_t i = 0; i < sq; ++i)
            for (int64_t j = 0; j < sk; ++j)
              ASSERT_EQ(rebuilt(0, 0, i, j), allowed(0, 0, i, j))
                  << sq << "x" << sk << " window " << window << " sinks "
                  << sinks << " at " << i << "," << j;
        }
}

TEST_F(MaskClassificationTest, AllAllowedIsNone) {
  auto all = [](int64_t, int64_t, int64_t, int64_t) { return true; };
  EXPECT_EQ(classifyMask(boolMask({1, 1, 4, 4}, all), 4, 4).pattern,
            MaskPattern::None);
  EXPECT_EQ(classifyMask(floatMask({2, 2, 4, 6}, all), 4, 6).pattern,
            MaskPattern::None);
  // Decode: one query sees the whole cache, which is also causal; none wins.
  EXPECT_EQ(classifyMask(boolMask({1, 1, 1, 6}, all), 1, 6).pattern,
            MaskPattern::None);
}

TEST_F(MaskClassificationTest, PaddingIsExplicit) {
  // The same padding for every batch: binary, identical, but no structure.
  AllowFn padded = [](int64_t, int64_t, int64_t, int64_t j) { return j < 5; };
  MaskClassification c = classifyMask(floatMask({1, 1, 8, 8}, padded), 8, 8);
  EXPECT_EQ(c.pattern, MaskPattern::Explicit);
  EXPECT_TRUE(c.binary);
  // Causal for batch 0, causal + padding for batch 1: differs across batch.
  AllowFn perBatch = [](int64_t b, int64_t, int64_t i, int64_t j) {
    return j <= i && (b == 0 || j < 6);
  };
  c = classifyMask(boolMask({2, 1, 8, 8}, perBatch), 8, 8);
  EXPECT_EQ(c.pattern, MaskPattern::Explicit);
  EXPECT_TRUE(c.binary);
}

TEST_F(MaskClassificationTest, HeadsThatDifferAreExplicit) {
  AllowFn perHead = [](int64_t, int64_t h, int64_t i, int64_t j) {
    return h == 0 ? j <= i : true;
  };
  MaskClassification c = classifyMask(boolMask({1, 2, 4, 4}, perHead), 4, 4);
  EXPECT_EQ(c.pattern, MaskPattern::Explicit);
  EXPECT_TRUE(c.binary);
}

TEST_F(MaskClassificationTest, RandomMasksAreExplicit) {
  std::mt19937 rng(7);
  std::bernoulli_distribution coin(0.5);
  AllowFn random = [&](int64_t, int64_t, int64_t, int64_t) {
    return coin(rng);
  };
  MaskClassification c = classifyMask(boolMask({1, 1, 16, 16}, random), 16, 16);
  EXPECT_EQ(c.pattern, MaskPattern::Explicit);
  EXPECT_TRUE(c.binary);

  // Random additive values (a learned bias) are not binary.
  std::normal_distribution<float> normal;
  SmallVector<float> values;
  for (int e = 0; e < 64; ++e)
    values.push_back(normal(rng));
  c = classifyMask(
      DenseElementsAttr::get(
          RankedTensorType::get({1, 1, 8, 8}, Float32Type::get(&context)),
          ArrayRef<float>(values)),
      8, 8);
  EXPECT_EQ(c.pattern, MaskPattern::Explicit);
  EXPECT_FALSE(c.binary);
}

TEST_F(MaskClassificationTest, SmallNegativeValuesAreNotMasks) {
  // -1 is a bias, not a mask: the causal shape does not make it causal.
  MaskClassification c = classifyMask(
      floatMask({1, 1, 4, 4}, structured(4, 4, 0, 0), -1.0f), 4, 4);
  EXPECT_EQ(c.pattern, MaskPattern::Explicit);
  EXPECT_FALSE(c.binary);
}

TEST_F(MaskClassificationTest, WrongShapeIsExplicit) {
  DenseElementsAttr mask = boolMask({1, 1, 4, 4}, structured(4, 4, 0, 0));
  MaskClassification c = classifyMask(mask, 4, 8);
  EXPECT_EQ(c.pattern, MaskPattern::Explicit);
  EXPECT_FALSE(c.binary);
}

TEST_F(MaskClassificationTest, FewerKeysThanQueriesIsNeverCausal) {
  AllowFn lower = [](int64_t, int64_t, int64_t i, int64_t j) { return j <= i; };
  MaskClassification c = classifyMask(boolMask({1, 1, 4, 2}, lower), 4, 2);
  EXPECT_EQ(c.pattern, MaskPattern::Explicit);
}

} // namespace
