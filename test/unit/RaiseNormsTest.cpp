//===- RaiseNormsTest.cpp - numerics of tx-raise-norms and tx-raise-rope --===//
//
// Runs the raising passes on decomposed norms and rotary embeddings with
// known constants, reads back the raised op's weight, bias, epsilon and
// tables, and checks that the op (evaluated by its documented formula)
// computes what the decomposition computes, on sample inputs.
//
//===----------------------------------------------------------------------===//

#include "txc/Compiler/Registration.h"
#include "txc/Dialect/Tx/TxOps.h"
#include "txc/Passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/Support/FormatVariadic.h"

#include "gtest/gtest.h"

#include <cmath>
#include <string>
#include <vector>

using namespace mlir;
using namespace txc;

namespace {

/// Dense literal of `values` with shape `rows x cols` (rows == 0: 1-D), each
/// printed so that it reads back as the same float.
std::string dense(const std::vector<float> &values, size_t rows = 0) {
  auto number = [](float v) { return llvm::formatv("{0:e9}", v).str(); };
  std::string text = "[";
  size_t cols = rows ? values.size() / rows : values.size();
  for (size_t r = 0; r < (rows ? rows : 1); ++r) {
    if (rows)
      text += r ? ", [" : "[";
    for (size_t c = 0; c < cols; ++c)
      text += (c ? ", " : "") + number(values[r * cols + c]);
    if (rows)
      text += "]";
  }
  return text + "]";
}

/// Deterministic sample values in [-2, 2).
std::vector<float> samples(size_t n, unsigned seed) {
  std::vector<float> v(n);
  uint32_t state = seed * 2654435761u + 1;
  for (float &x : v) {
    state = state * 1664525u + 1013904223u;
    x = static_cast<float>(state >> 8) / static_cast<float>(1u << 24) * 4 - 2;
  }
  return v;
}

/// The values of the constant defining `v`.
std::vector<float> constantValues(Value v) {
  auto constant = v.getDefiningOp<arith::ConstantOp>();
  EXPECT_TRUE(constant) << "not a constant";
  std::vector<float> values;
  if (!constant)
    return values;
  for (float f :
       cast<DenseElementsAttr>(constant.getValue()).getValues<float>())
    values.push_back(f);
  return values;
}

class RaiseTest : public ::testing::Test {
public:
  RaiseTest() {
    DialectRegistry registry;
    registerTxcDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
  }

  /// Parses `ir`, runs `pass` on it and returns the module.
  OwningOpRef<ModuleOp> run(const std::string &ir, std::unique_ptr<Pass> pass) {
    OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(ir, &context);
    EXPECT_TRUE(module) << ir;
    if (!module)
      return module;
    PassManager pm(&context);
    pm.addPass(std::move(pass));
    EXPECT_TRUE(succeeded(pm.run(*module)));
    return module;
  }

  /// The only op of type OpTy in `module`.
  template <typename OpTy> OpTy only(ModuleOp module) {
    SmallVector<OpTy> ops;
    module.walk([&](OpTy op) { ops.push_back(op); });
    EXPECT_EQ(ops.size(), 1u);
    return ops.size() == 1 ? ops.front() : OpTy();
  }

  MLIRContext context;
};

//===----------------------------------------------------------------------===//
// Norms
//===----------------------------------------------------------------------===//

constexpr int64_t kRows = 3, kDim = 8;

/// IR of %stdb = broadcast(sqrt(mean(y^2) + eps)) for [kRows, kDim] `y`, the
/// mean dividing the sum by kDim or, when `reciprocal`, multiplying it by
/// 1/kDim.
std::string statistics(const std::string &y, float eps, bool reciprocal) {
  std::string mean =
      reciprocal ? "  %k = arith.constant dense<1.250000e-01> : tensor<3xf32>\n"
                   "  %mean = arith.mulf %sum, %k : tensor<3xf32>\n"
                 : "  %k = arith.constant dense<8.0> : tensor<3xf32>\n"
                   "  %mean = arith.divf %sum, %k : tensor<3xf32>\n";
  return llvm::formatv(R"(
  %sq = arith.mulf {0}, {0} : tensor<3x8xf32>
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<3xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e0 : tensor<3xf32>) -> tensor<3xf32>
  %sum = linalg.reduce ins(%sq : tensor<3x8xf32>) outs(%init : tensor<3xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {{
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
{1}  %eps = arith.constant dense<{2:e9}> : tensor<3xf32>
  %var = arith.addf %mean, %eps : tensor<3xf32>
  %std = math.sqrt %var : tensor<3xf32>
  %e1 = tensor.empty() : tensor<3x8xf32>
  %stdb = linalg.broadcast ins(%std : tensor<3xf32>) outs(%e1 : tensor<3x8xf32>) dimensions = [1]
)",
                       y, mean, eps)
      .str();
}

/// Broadcasts the [8] constant `values` to [3, 8] as %name.
std::string rowConstant(const std::string &name,
                        const std::vector<float> &values) {
  return llvm::formatv(R"(
  %{0}c = arith.constant dense<{1}> : tensor<8xf32>
  %{0}e = tensor.empty() : tensor<3x8xf32>
  %{0} = linalg.broadcast ins(%{0}c : tensor<8xf32>) outs(%{0}e : tensor<3x8xf32>) dimensions = [0]
)",
                       name, dense(values))
      .str();
}

/// RMSNorm by tx.rms_norm's formula.
std::vector<float> rmsNorm(const std::vector<float> &x,
                           const std::vector<float> &w, double eps) {
  std::vector<float> y(x.size());
  for (int64_t r = 0; r < kRows; ++r) {
    double ms = 0;
    for (int64_t c = 0; c < kDim; ++c)
      ms += double(x[r * kDim + c]) * x[r * kDim + c];
    double scale = 1.0 / std::sqrt(ms / kDim + eps);
    for (int64_t c = 0; c < kDim; ++c)
      y[r * kDim + c] = float(x[r * kDim + c] * scale * w[c]);
  }
  return y;
}

/// LayerNorm by tx.layer_norm's formula.
std::vector<float> layerNorm(const std::vector<float> &x,
                             const std::vector<float> &w,
                             const std::vector<float> &b, double eps) {
  std::vector<float> centered(x.size());
  for (int64_t r = 0; r < kRows; ++r) {
    double mean = 0;
    for (int64_t c = 0; c < kDim; ++c)
      mean += x[r * kDim + c];
    mean /= kDim;
    for (int64_t c = 0; c < kDim; ++c)
      centered[r * kDim + c] = float(x[r * kDim + c] - mean);
  }
  std::vector<float> y = rmsNorm(centered, w, eps);
  for (size_t i = 0; i < y.size(); ++i)
    y[i] += b[i % kDim];
  return y;
}

void expectNear(const std::vector<float> &got, const std::vector<float> &want,
                double tolerance = 1e-5) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], tolerance * (1 + std::fabs(want[i])))
        << "element " << i;
}

TEST_F(RaiseTest, RMSNormKeepsWeightAndEpsilon) {
  std::vector<float> w = samples(kDim, 1);
  for (bool reciprocal : {false, true}) {
    std::string ir = "func.func @f(%x: tensor<3x8xf32>) -> tensor<3x8xf32> {" +
                     statistics("%x", 3e-3f, reciprocal) +
                     rowConstant("wb", w) + R"(
  %n = arith.divf %x, %stdb : tensor<3x8xf32>
  %y = arith.mulf %n, %wb : tensor<3x8xf32>
  return %y : tensor<3x8xf32>
})";
    auto module = run(ir, createRaiseNormsPass());
    auto norm = only<tx::RMSNormOp>(*module);
    ASSERT_TRUE(norm);
    EXPECT_EQ(norm.getEpsilon().convertToDouble(), 3e-3);
    EXPECT_EQ(float(norm.getEpsilon().convertToDouble()), 3e-3f);
    EXPECT_EQ(constantValues(norm.getWeight()), w);

    // The decomposition, evaluated in f32 as written.
    std::vector<float> x = samples(kRows * kDim, 2), want(x.size());
    for (int64_t r = 0; r < kRows; ++r) {
      float sum = 0;
      for (int64_t c = 0; c < kDim; ++c)
        sum += x[r * kDim + c] * x[r * kDim + c];
      float mean = reciprocal ? sum * 0.125f : sum / 8.0f;
      float std = std::sqrt(mean + 3e-3f);
      for (int64_t c = 0; c < kDim; ++c)
        want[r * kDim + c] = x[r * kDim + c] / std * w[c];
    }
    expectNear(rmsNorm(x, constantValues(norm.getWeight()),
                       norm.getEpsilon().convertToDouble()),
               want);
  }
}

TEST_F(RaiseTest, LayerNormKeepsWeightBiasAndEpsilon) {
  std::vector<float> w = samples(kDim, 3), b = samples(kDim, 4);
  std::string ir = R"(func.func @f(%x: tensor<3x8xf32>) -> tensor<3x8xf32> {
  %zero0 = arith.constant 0.0 : f32
  %f0 = tensor.empty() : tensor<3xf32>
  %init0 = linalg.fill ins(%zero0 : f32) outs(%f0 : tensor<3xf32>) -> tensor<3xf32>
  %xsum = linalg.reduce ins(%x : tensor<3x8xf32>) outs(%init0 : tensor<3xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  %d = arith.constant dense<8.0> : tensor<3xf32>
  %xmean = arith.divf %xsum, %d : tensor<3xf32>
  %f1 = tensor.empty() : tensor<3x8xf32>
  %xmeanb = linalg.broadcast ins(%xmean : tensor<3xf32>) outs(%f1 : tensor<3x8xf32>) dimensions = [1]
  %c = arith.subf %x, %xmeanb : tensor<3x8xf32>)" +
                   statistics("%c", 1e-5f, false) + rowConstant("wb", w) +
                   rowConstant("bb", b) + R"(
  %n = arith.divf %c, %stdb : tensor<3x8xf32>
  %y = arith.mulf %wb, %n : tensor<3x8xf32>
  %z = arith.addf %y, %bb : tensor<3x8xf32>
  return %z : tensor<3x8xf32>
})";
  auto module = run(ir, createRaiseNormsPass());
  auto norm = only<tx::LayerNormOp>(*module);
  ASSERT_TRUE(norm);
  EXPECT_EQ(norm.getEpsilon().convertToDouble(), 1e-5);
  EXPECT_EQ(constantValues(norm.getWeight()), w);
  ASSERT_TRUE(norm.getBias());
  EXPECT_EQ(constantValues(norm.getBias()), b);

  std::vector<float> x = samples(kRows * kDim, 5), want(x.size());
  for (int64_t r = 0; r < kRows; ++r) {
    float sum = 0, sq = 0;
    for (int64_t c = 0; c < kDim; ++c)
      sum += x[r * kDim + c];
    float mean = sum / 8.0f;
    for (int64_t c = 0; c < kDim; ++c)
      sq += (x[r * kDim + c] - mean) * (x[r * kDim + c] - mean);
    float std = std::sqrt(sq / 8.0f + 1e-5f);
    for (int64_t c = 0; c < kDim; ++c)
      want[r * kDim + c] = w[c] * ((x[r * kDim + c] - mean) / std) + b[c];
  }
  expectNear(layerNorm(x, constantValues(norm.getWeight()),
                       constantValues(norm.getBias()),
                       norm.getEpsilon().convertToDouble()),
             want);
}

//===----------------------------------------------------------------------===//
// Rotary embeddings
//===----------------------------------------------------------------------===//

constexpr int64_t kSeq = 5;

/// Hugging Face's cos/sin tables for `rotary` channels over kSeq positions:
/// [kSeq, rotary], each angle twice (`cat(freqs, freqs)`, or
/// `repeat_interleave(freqs, 2)` when `interleaved`).
std::pair<std::vector<float>, std::vector<float>> hfTables(int64_t rotary,
                                                           bool interleaved) {
  std::vector<float> cos, sin;
  for (int64_t s = 0; s < kSeq; ++s)
    for (int64_t j = 0; j < rotary; ++j) {
      int64_t i = interleaved ? j / 2 : j % (rotary / 2);
      float invFreq = float(1.0 / std::pow(10000.0, 2.0 * i / rotary));
      float angle = float(s) * invFreq;
      cos.push_back(std::cos(angle));
      sin.push_back(std::sin(angle));
    }
  return {cos, sin};
}

/// tx.rope by its documented formula on [1, 1, kSeq, d] `x` with [kSeq, R/2]
/// tables.
std::vector<float> rope(const std::vector<float> &x, int64_t d,
                        const std::vector<float> &cos,
                        const std::vector<float> &sin, bool interleaved) {
  int64_t half = cos.size() / kSeq;
  std::vector<float> y = x;
  for (int64_t s = 0; s < kSeq; ++s)
    for (int64_t i = 0; i < half; ++i) {
      int64_t a = interleaved ? 2 * i : i,
              b = interleaved ? 2 * i + 1 : i + half;
      float c = cos[s * half + i], n = sin[s * half + i];
      float xa = x[s * d + a], xb = x[s * d + b];
      y[s * d + a] = xa * c - xb * n;
      y[s * d + b] = xb * c + xa * n;
    }
  return y;
}

/// The decomposition `x * cos + rotate(x) * sin` on the first `rotary`
/// channels of [1, 1, kSeq, d] `x`, the rest passed through.
std::vector<float> decomposedRope(const std::vector<float> &x, int64_t d,
                                  int64_t rotary, const std::vector<float> &cos,
                                  const std::vector<float> &sin,
                                  bool interleaved) {
  std::vector<float> y = x;
  for (int64_t s = 0; s < kSeq; ++s)
    for (int64_t j = 0; j < rotary; ++j) {
      float rotated;
      if (interleaved)
        rotated = j % 2 ? x[s * d + j - 1] : -x[s * d + j + 1];
      else
        rotated = j < rotary / 2 ? -x[s * d + j + rotary / 2]
                                 : x[s * d + j - rotary / 2];
      y[s * d + j] =
          x[s * d + j] * cos[s * rotary + j] + rotated * sin[s * rotary + j];
    }
  return y;
}

/// IR of `x * cos + rotate(x) * sin` on the first `rotary` of `d` channels
/// of %x : [1, 1, kSeq, d], with constant [kSeq, rotary] tables.
std::string ropeIR(int64_t d, int64_t rotary, const std::vector<float> &cos,
                   const std::vector<float> &sin, bool interleaved) {
  int64_t h = rotary / 2;
  std::string t = llvm::formatv("tensor<1x1x5x{0}xf32>", rotary).str();
  std::string ht = llvm::formatv("tensor<1x1x5x{0}xf32>", h).str();
  std::string ir = llvm::formatv(R"(
func.func @f(%x: tensor<1x1x5x{0}xf32>) -> tensor<1x1x5x{0}xf32> {
  %cos = arith.constant dense<{1}> : tensor<5x{2}xf32>
  %sin = arith.constant dense<{3}> : tensor<5x{2}xf32>
)",
                                 d, dense(cos, kSeq), rotary, dense(sin, kSeq))
                       .str();
  // The rotated channels: x itself, or its first `rotary` channels.
  if (rotary == d)
    ir += "  %xh = tensor.extract_slice %x[0, 0, 0, 0] [1, 1, 5, " +
          std::to_string(d) + "] [1, 1, 1, 1] : " + t + " to " + t + "\n";
  else
    ir += llvm::formatv("  %xh = tensor.extract_slice %x[0, 0, 0, 0] "
                        "[1, 1, 5, {0}] [1, 1, 1, 1] : tensor<1x1x5x{1}xf32> "
                        "to {2}\n",
                        rotary, d, t)
              .str();
  ir += llvm::formatv(R"(
  %e0 = tensor.empty() : {0}
  %cb = linalg.broadcast ins(%cos : tensor<5x{1}xf32>) outs(%e0 : {0}) dimensions = [0, 1]
  %xc = arith.mulf %xh, %cb : {0}
)",
                      t, rotary)
            .str();
  if (interleaved)
    ir += llvm::formatv(R"(
  %x0 = tensor.extract_slice %xh[0, 0, 0, 0] [1, 1, 5, {1}] [1, 1, 1, 2] : {0} to {2}
  %x1 = tensor.extract_slice %xh[0, 0, 0, 1] [1, 1, 5, {1}] [1, 1, 1, 2] : {0} to {2}
  %n = arith.negf %x1 : {2}
  %ne = tensor.expand_shape %n [[0], [1], [2], [3, 4]] output_shape [1, 1, 5, {1}, 1] : {2} into tensor<1x1x5x{1}x1xf32>
  %x0e = tensor.expand_shape %x0 [[0], [1], [2], [3, 4]] output_shape [1, 1, 5, {1}, 1] : {2} into tensor<1x1x5x{1}x1xf32>
  %st = tensor.concat dim(4) %ne, %x0e : (tensor<1x1x5x{1}x1xf32>, tensor<1x1x5x{1}x1xf32>) -> tensor<1x1x5x{1}x2xf32>
  %rot = tensor.collapse_shape %st [[0], [1], [2], [3, 4]] : tensor<1x1x5x{1}x2xf32> into {0}
)",
                        t, h, ht)
              .str();
  else
    ir += llvm::formatv(R"(
  %x1 = tensor.extract_slice %xh[0, 0, 0, 0] [1, 1, 5, {1}] [1, 1, 1, 1] : {0} to {2}
  %x2 = tensor.extract_slice %xh[0, 0, 0, {1}] [1, 1, 5, {1}] [1, 1, 1, 1] : {0} to {2}
  %n = arith.negf %x2 : {2}
  %rot = tensor.concat dim(3) %n, %x1 : ({2}, {2}) -> {0}
)",
                        t, h, ht)
              .str();
  ir += llvm::formatv(R"(
  %e1 = tensor.empty() : {0}
  %sb = linalg.broadcast ins(%sin : tensor<5x{1}xf32>) outs(%e1 : {0}) dimensions = [0, 1]
  %xs = arith.mulf %rot, %sb : {0}
  %y = arith.addf %xc, %xs : {0}
)",
                      t, rotary)
            .str();
  if (rotary == d)
    return ir + "  return %y : " + t + "\n}\n";
  return ir + llvm::formatv(R"(
  %pass = tensor.extract_slice %x[0, 0, 0, {0}] [1, 1, 5, {1}] [1, 1, 1, 1] : tensor<1x1x5x{2}xf32> to tensor<1x1x5x{1}xf32>
  %out = tensor.concat dim(3) %y, %pass : ({3}, tensor<1x1x5x{1}xf32>) -> tensor<1x1x5x{2}xf32>
  return %out : tensor<1x1x5x{2}xf32>
}
)",
                            rotary, d - rotary, d, t)
                  .str();
}

/// Raises the rope of ropeIR and checks its tables and numerics.
void checkRope(RaiseTest &test, int64_t d, int64_t rotary, bool interleaved) {
  auto [cos, sin] = hfTables(rotary, interleaved);
  auto module =
      test.run(ropeIR(d, rotary, cos, sin, interleaved), createRaiseRopePass());
  auto op = test.only<tx::RopeOp>(*module);
  ASSERT_TRUE(op);
  EXPECT_EQ(op.getInterleaved(), interleaved);
  EXPECT_EQ(op.getRotaryDim(), rotary);

  // One copy of each angle, in order.
  std::vector<float> cosTable = constantValues(op.getCos());
  std::vector<float> sinTable = constantValues(op.getSin());
  ASSERT_EQ(cosTable.size(), size_t(kSeq * rotary / 2));
  for (int64_t s = 0; s < kSeq; ++s)
    for (int64_t i = 0; i < rotary / 2; ++i) {
      int64_t j = interleaved ? 2 * i : i;
      EXPECT_EQ(cosTable[s * rotary / 2 + i], cos[s * rotary + j]);
      EXPECT_EQ(sinTable[s * rotary / 2 + i], sin[s * rotary + j]);
    }

  // The op, on x (the whole-tensor slice folds away; a partial rotation
  // merges with the pass-through channels), computes the decomposition.
  ASSERT_TRUE(isa<BlockArgument>(op.getInput()));
  std::vector<float> x = samples(kSeq * d, 7);
  expectNear(rope(x, d, cosTable, sinTable, interleaved),
             decomposedRope(x, d, rotary, cos, sin, interleaved), 1e-6);
}

TEST_F(RaiseTest, RotateHalfTables) { checkRope(*this, 8, 8, false); }
TEST_F(RaiseTest, InterleavedTables) { checkRope(*this, 8, 8, true); }
TEST_F(RaiseTest, PartialRotaryTables) { checkRope(*this, 12, 4, false); }

} // namespace
