//===- LayerSkipTest.cpp - the layer-selection rule of tx-layer-skip ------===//

#include "txc/Passes/Passes.h"

#include "gtest/gtest.h"

#include <vector>

using txc::computeKeptLayers;

namespace {

std::vector<int64_t> kept(int64_t layers, double speedup) {
  auto v = computeKeptLayers(layers, speedup);
  return std::vector<int64_t>(v.begin(), v.end());
}

TEST(LayerSkipRule, SpeedupOneKeepsEveryLayer) {
  for (int64_t layers : {1, 2, 7, 32}) {
    std::vector<int64_t> all;
    for (int64_t i = 0; i < layers; ++i)
      all.push_back(i);
    EXPECT_EQ(kept(layers, 1.0), all) << layers << " layers";
  }
}

TEST(LayerSkipRule, KeepsFirstAndLastAndSpreadsTheRest) {
  // 12 layers at 3x: K = 4, stride 11/3 -> 0, 3.67, 7.33, 11.
  EXPECT_EQ(kept(12, 3.0), (std::vector<int64_t>{0, 4, 7, 11}));
  // 8 layers at 2x: K = 4, stride 7/3 -> 0, 2.33, 4.67, 7.
  EXPECT_EQ(kept(8, 2.0), (std::vector<int64_t>{0, 2, 5, 7}));
}

TEST(LayerSkipRule, KeptCountIsRoundedRatio) {
  for (int64_t layers : {4, 9, 24, 32})
    for (double r : {1.25, 1.5, 2.0, 3.0, 4.0}) {
      auto k = kept(layers, r);
      int64_t expected = std::max<int64_t>(1, std::llround(layers / r));
      EXPECT_EQ(static_cast<int64_t>(k.size()), expected)
          << layers << " layers at " << r;
      EXPECT_EQ(k.front(), 0);
      if (expected > 1)
        EXPECT_EQ(k.back(), layers - 1);
      for (size_t i = 1; i < k.size(); ++i)
        EXPECT_LT(k[i - 1], k[i]);
    }
}

TEST(LayerSkipRule, ExtremeRatioKeepsOneLayer) {
  EXPECT_EQ(kept(6, 100.0), (std::vector<int64_t>{0}));
  EXPECT_TRUE(kept(0, 2.0).empty());
}

} // namespace
