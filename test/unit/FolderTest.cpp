//===- FolderTest.cpp - host-side constant evaluation of ONNX nodes -------===//

#include "HostEval.h"
#include "HostTensor.h"

#include "gtest/gtest.h"

#include <cmath>
#include <limits>

using namespace txc::onnx_import;

namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

using Ints = std::vector<int64_t>;
using Doubles = std::vector<double>;

HostTensor make(DType t, Ints shape, Doubles values) {
  HostTensor h(t, shape);
  EXPECT_EQ(static_cast<int64_t>(values.size()), h.numElements());
  for (size_t i = 0; i < values.size() && i < size_t(h.numElements()); ++i)
    h.setDouble(i, values[i]);
  return h;
}

HostTensor makeInt(DType t, Ints shape, Ints values) {
  HostTensor h(t, shape);
  EXPECT_EQ(static_cast<int64_t>(values.size()), h.numElements());
  for (size_t i = 0; i < values.size() && i < size_t(h.numElements()); ++i)
    h.setInt(i, values[i]);
  return h;
}

HostTensor f32(Ints shape, Doubles v) { return make(DType::F32, shape, v); }
HostTensor i64(Ints shape, Ints v) { return makeInt(DType::I64, shape, v); }
HostTensor i32(Ints shape, Ints v) { return makeInt(DType::I32, shape, v); }
HostTensor boolean(Ints shape, Ints v) {
  return makeInt(DType::Bool, shape, v);
}
HostTensor vec(Ints v) { return HostTensor::fromInts(v); }
HostTensor scalar(int64_t v) { return HostTensor::scalarInt(DType::I64, v); }

using Inputs = std::vector<const HostTensor *>;

NodeAttrs withInts(std::map<std::string, int64_t> ints,
                   std::map<std::string, Ints> lists = {}) {
  NodeAttrs a;
  a.ints = std::move(ints);
  a.intLists = std::move(lists);
  return a;
}

FoldResult fold(llvm::StringRef op, Inputs ins, const NodeAttrs &attrs = {},
                int64_t opset = 17, unsigned numOutputs = 1,
                int64_t maxElements = 1 << 20) {
  return foldNode(op, opset, ins, attrs, numOutputs, maxElements);
}

/// The single output of a fold expected to succeed (empty tensor on failure).
HostTensor one(llvm::StringRef op, Inputs ins, const NodeAttrs &attrs = {},
               int64_t opset = 17) {
  FoldResult r = fold(op, ins, attrs, opset);
  if (!r.ok() || r.outputs.size() != 1) {
    ADD_FAILURE() << op.str() << " failed: " << r.reason;
    return HostTensor();
  }
  return r.outputs[0];
}

bool isError(const FoldResult &r) {
  return llvm::StringRef(r.reason).starts_with("error: ");
}

Ints shapeOf(const HostTensor &t) {
  return Ints(t.shape.begin(), t.shape.end());
}
Ints ints(const HostTensor &t) { return t.toInts(); }
Doubles doubles(const HostTensor &t) {
  Doubles v;
  for (int64_t i = 0; i < t.numElements(); ++i)
    v.push_back(t.getDouble(i));
  return v;
}

void expectNear(const Doubles &got, const Doubles &want, double tol = 1e-6) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i]))
      EXPECT_TRUE(std::isnan(got[i])) << "element " << i;
    else if (std::isinf(want[i]))
      EXPECT_EQ(got[i], want[i]) << "element " << i;
    else
      EXPECT_NEAR(got[i], want[i], tol) << "element " << i;
  }
}

} // namespace

//===----------------------------------------------------------------------===//
// Broadcasting and elementwise arithmetic
//===----------------------------------------------------------------------===//

TEST(Folder, BroadcastShapes) {
  using S = llvm::SmallVector<int64_t>;
  EXPECT_EQ(*broadcastShapes({2, 1, 4}, {3, 1}), (S{2, 3, 4}));
  EXPECT_EQ(*broadcastShapes({}, {5}), (S{5}));
  EXPECT_EQ(*broadcastShapes({0, 1}, {1, 3}), (S{0, 3}));
  EXPECT_FALSE(broadcastShapes({2, 3}, {4}));
  EXPECT_FALSE(broadcastShapes({2}, {0}));
  // Dynamic dims.
  EXPECT_EQ(*broadcastShapes({-1}, {1}), (S{-1}));
  EXPECT_EQ(*broadcastShapes({1}, {-1}), (S{-1}));
  EXPECT_EQ(*broadcastShapes({-1, 3}, {4, 1}), (S{4, 3}));
  EXPECT_EQ(*broadcastShapes({5}, {-1}), (S{5}));
  EXPECT_EQ(*broadcastShapes({-1, -1}, {-1}), (S{-1, -1}));
  EXPECT_EQ(*broadcastShapes({-1}, {2, 1}), (S{2, -1}));
}

TEST(Folder, AddSubMulBroadcast) {
  HostTensor a = f32({2, 3}, {1, 2, 3, 4, 5, 6}), b = f32({3}, {10, 20, 30});
  HostTensor r = one("Add", {&a, &b});
  EXPECT_EQ(r.dtype, DType::F32);
  EXPECT_EQ(shapeOf(r), (Ints{2, 3}));
  expectNear(doubles(r), {11, 22, 33, 14, 25, 36});

  HostTensor c = i64({2, 1}, {100, 200}), d = i64({1, 3}, {1, 2, 3});
  EXPECT_EQ(ints(one("Sub", {&c, &d})), (Ints{99, 98, 97, 199, 198, 197}));
  HostTensor s = scalar(3);
  HostTensor m = one("Mul", {&s, &c});
  EXPECT_EQ(shapeOf(m), (Ints{2, 1}));
  EXPECT_EQ(ints(m), (Ints{300, 600}));

  HostTensor bad = f32({4}, {1, 2, 3, 4});
  FoldResult r2 = fold("Add", {&a, &bad});
  EXPECT_TRUE(isError(r2)) << r2.reason;
  HostTensor mixed = i64({3}, {1, 2, 3});
  EXPECT_TRUE(isError(fold("Add", {&a, &mixed})));
}

TEST(Folder, IntegerOverflowWraps) {
  HostTensor a = i32({1}, {2147483647}), one32 = i32({1}, {1});
  HostTensor r = one("Add", {&a, &one32});
  EXPECT_EQ(r.dtype, DType::I32);
  EXPECT_EQ(ints(r), (Ints{-2147483648LL}));
  HostTensor b = i64({1}, {kMax}), o = i64({1}, {1});
  EXPECT_EQ(ints(one("Add", {&b, &o})), (Ints{kMin}));
  HostTensor u = makeInt(DType::U8, {2}, {250, 3}),
             v = makeInt(DType::U8, {2}, {10, 5});
  EXPECT_EQ(ints(one("Add", {&u, &v})), (Ints{4, 8}));
  EXPECT_EQ(ints(one("Sub", {&v, &u})), (Ints{16, 2}));
}

TEST(Folder, DivTruncatesIntegers) {
  HostTensor a = i64({4}, {7, -7, 7, -7}), b = i64({4}, {2, 2, -2, -2});
  EXPECT_EQ(ints(one("Div", {&a, &b})), (Ints{3, -3, -3, 3}));
  HostTensor fa = f32({2}, {7, -1}), fb = f32({2}, {2, 0});
  expectNear(doubles(one("Div", {&fa, &fb})), {3.5, -kInf});
  // Integer division by zero is refused (not malformed), INT64_MIN / -1
  // wraps.
  HostTensor z = i64({4}, {1, 0, 1, 1});
  FoldResult r = fold("Div", {&a, &z});
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(isError(r));
  HostTensor m = i64({1}, {kMin}), n = i64({1}, {-1});
  EXPECT_EQ(ints(one("Div", {&m, &n})), (Ints{kMin}));
  HostTensor u = makeInt(DType::U32, {1}, {4000000000LL}),
             two = makeInt(DType::U32, {1}, {2});
  EXPECT_EQ(ints(one("Div", {&u, &two})), (Ints{2000000000}));
}

TEST(Folder, ModSignAndFmod) {
  HostTensor a = i64({4}, {-7, 7, -7, 7}), b = i64({4}, {3, -3, -3, 3});
  EXPECT_EQ(ints(one("Mod", {&a, &b})), (Ints{2, -2, -1, 1}));
  EXPECT_EQ(ints(one("Mod", {&a, &b}, withInts({{"fmod", 1}}))),
            (Ints{-1, 1, -1, 1}));
  HostTensor fa = f32({2}, {-7.5, 7.5}), fb = f32({2}, {2, -2});
  expectNear(doubles(one("Mod", {&fa, &fb}, withInts({{"fmod", 1}}))),
             {-1.5, 1.5});
  HostTensor m = i64({1}, {kMin}), n = i64({1}, {-1});
  EXPECT_EQ(ints(one("Mod", {&m, &n})), (Ints{0}));
}

TEST(Folder, Pow) {
  HostTensor a = f32({3}, {2, 4, 9}), b = f32({1}, {0.5});
  expectNear(doubles(one("Pow", {&a, &b})), {std::sqrt(2.0), 2, 3});
  HostTensor ia = i64({3}, {3, -2, 5}), ib = i64({3}, {4, 3, 0});
  EXPECT_EQ(ints(one("Pow", {&ia, &ib})), (Ints{81, -8, 1}));
  // Mixed base/exponent types: the output has the base's type.
  HostTensor e = f32({}, {2});
  HostTensor r = one("Pow", {&ia, &e});
  EXPECT_EQ(r.dtype, DType::I64);
  EXPECT_EQ(ints(r), (Ints{9, 4, 25}));
  HostTensor big = i64({1}, {3037000500LL}), sq = i64({1}, {2});
  EXPECT_EQ(one("Pow", {&big, &sq}).numElements(), 1); // wraps, no UB
}

TEST(Folder, VariadicMaxMinSumMean) {
  HostTensor a = f32({2, 2}, {1, 5, 3, 7}), b = f32({2}, {4, 2}),
             c = f32({}, {3});
  expectNear(doubles(one("Max", {&a, &b, &c})), {4, 5, 4, 7});
  expectNear(doubles(one("Min", {&a, &b, &c})), {1, 2, 3, 2});
  expectNear(doubles(one("Sum", {&a, &b, &c})), {8, 10, 10, 12});
  expectNear(doubles(one("Mean", {&a, &b})), {2.5, 3.5, 3.5, 4.5});
  expectNear(doubles(one("Max", {&a})), {1, 5, 3, 7});
  HostTensor n = f32({2}, {kNaN, 1});
  expectNear(doubles(one("Max", {&b, &n})), {kNaN, 2});
  HostTensor ia = i32({2}, {-3, 8}), ib = i32({2}, {2, -9});
  EXPECT_EQ(ints(one("Max", {&ia, &ib})), (Ints{2, 8}));
  EXPECT_TRUE(isError(fold("Sum", {&a, nullptr})));
}

TEST(Folder, LogicalOps) {
  HostTensor a = boolean({4}, {0, 0, 1, 1}), b = boolean({4}, {0, 1, 0, 1});
  EXPECT_EQ(ints(one("And", {&a, &b})), (Ints{0, 0, 0, 1}));
  EXPECT_EQ(ints(one("Or", {&a, &b})), (Ints{0, 1, 1, 1}));
  EXPECT_EQ(ints(one("Xor", {&a, &b})), (Ints{0, 1, 1, 0}));
  HostTensor n = one("Not", {&a});
  EXPECT_EQ(n.dtype, DType::Bool);
  EXPECT_EQ(ints(n), (Ints{1, 1, 0, 0}));
  HostTensor f = f32({4}, {0, 1, 0, 1});
  EXPECT_TRUE(isError(fold("And", {&a, &f})));
  EXPECT_TRUE(isError(fold("Not", {&f})));
}

TEST(Folder, ComparisonsProduceBool) {
  HostTensor a = i64({3}, {1, 2, 3}), b = i64({}, {2});
  auto cmp = [&](const char *op) {
    HostTensor r = one(op, {&a, &b});
    EXPECT_EQ(r.dtype, DType::Bool) << op;
    return ints(r);
  };
  EXPECT_EQ(cmp("Equal"), (Ints{0, 1, 0}));
  EXPECT_EQ(cmp("Less"), (Ints{1, 0, 0}));
  EXPECT_EQ(cmp("LessOrEqual"), (Ints{1, 1, 0}));
  EXPECT_EQ(cmp("Greater"), (Ints{0, 0, 1}));
  EXPECT_EQ(cmp("GreaterOrEqual"), (Ints{0, 1, 1}));
  HostTensor f = f32({2}, {kNaN, 1}), g = f32({2}, {kNaN, 1});
  EXPECT_EQ(ints(one("Equal", {&f, &g})), (Ints{0, 1}));
  // uint64 compares unsigned.
  HostTensor u = makeInt(DType::U64, {1}, {-1}),
             v = makeInt(DType::U64, {1}, {1});
  EXPECT_EQ(ints(one("Greater", {&u, &v})), (Ints{1}));
  EXPECT_TRUE(isError(fold("Less", {&a, &f})));
}

TEST(Folder, Where) {
  HostTensor cond = boolean({2, 1}, {1, 0});
  HostTensor x = f32({3}, {1, 2, 3}), y = f32({}, {-1});
  HostTensor r = one("Where", {&cond, &x, &y});
  EXPECT_EQ(shapeOf(r), (Ints{2, 3}));
  expectNear(doubles(r), {1, 2, 3, -1, -1, -1});
  HostTensor yi = i64({}, {0});
  EXPECT_TRUE(isError(fold("Where", {&cond, &x, &yi})));
  EXPECT_TRUE(isError(fold("Where", {&x, &x, &y})));
}

TEST(Folder, UnaryMath) {
  HostTensor x = f32({3}, {-1.5, 0.25, 4});
  auto u = [&](const char *op) { return doubles(one(op, {&x})); };
  expectNear(u("Neg"), {1.5, -0.25, -4});
  expectNear(u("Abs"), {1.5, 0.25, 4});
  expectNear(u("Sqrt"), {kNaN, 0.5, 2});
  expectNear(u("Reciprocal"), {-1 / 1.5, 4, 0.25});
  expectNear(u("Exp"), {std::exp(-1.5), std::exp(0.25), std::exp(4.0)}, 1e-4);
  expectNear(u("Log"), {kNaN, std::log(0.25), std::log(4.0)});
  expectNear(u("Cos"), {std::cos(-1.5), std::cos(0.25), std::cos(4.0)});
  expectNear(u("Sin"), {std::sin(-1.5), std::sin(0.25), std::sin(4.0)});
  expectNear(u("Tanh"), {std::tanh(-1.5), std::tanh(0.25), std::tanh(4.0)});
  expectNear(u("Sigmoid"), {1 / (1 + std::exp(1.5)), 1 / (1 + std::exp(-0.25)),
                            1 / (1 + std::exp(-4.0))});
  expectNear(u("Erf"), {std::erf(-1.5), std::erf(0.25), std::erf(4.0)});
  expectNear(u("Floor"), {-2, 0, 4});
  expectNear(u("Ceil"), {-1, 1, 4});
  expectNear(u("Relu"), {0, 0.25, 4});
  expectNear(u("Sign"), {-1, 1, 1});
  HostTensor r = f32({6}, {2.5, -2.5, 3.5, 0.4, -0.6, kNaN});
  expectNear(doubles(one("Round", {&r})), {2, -2, 4, 0, -1, kNaN});
  HostTensor n = one("IsNaN", {&r});
  EXPECT_EQ(n.dtype, DType::Bool);
  EXPECT_EQ(ints(n), (Ints{0, 0, 0, 0, 0, 1}));
}

TEST(Folder, UnaryIntegers) {
  HostTensor x = i64({4}, {-5, 0, 7, kMin});
  EXPECT_EQ(ints(one("Neg", {&x})), (Ints{5, 0, -7, kMin}));
  EXPECT_EQ(ints(one("Abs", {&x})), (Ints{5, 0, 7, kMin}));
  EXPECT_EQ(ints(one("Sign", {&x})), (Ints{-1, 0, 1, -1}));
  EXPECT_EQ(ints(one("Relu", {&x})), (Ints{0, 0, 7, 0}));
  EXPECT_EQ(ints(one("Floor", {&x})), ints(x));
  HostTensor i8 = makeInt(DType::I8, {2}, {-128, 5});
  EXPECT_EQ(ints(one("Neg", {&i8})), (Ints{-128, -5}));
}

TEST(Folder, IsInf) {
  HostTensor x = f32({4}, {kInf, -kInf, 1, kNaN});
  EXPECT_EQ(ints(one("IsInf", {&x})), (Ints{1, 1, 0, 0}));
  EXPECT_EQ(ints(one("IsInf", {&x}, withInts({{"detect_negative", 0}}))),
            (Ints{1, 0, 0, 0}));
  EXPECT_EQ(ints(one("IsInf", {&x}, withInts({{"detect_positive", 0}}))),
            (Ints{0, 1, 0, 0}));
}

TEST(Folder, Clip) {
  HostTensor x = f32({4}, {-2, 0.5, 3, 10}), lo = f32({}, {0}),
             hi = f32({}, {5});
  expectNear(doubles(one("Clip", {&x, &lo, &hi})), {0, 0.5, 3, 5});
  expectNear(doubles(one("Clip", {&x, nullptr, &hi})), {-2, 0.5, 3, 5});
  expectNear(doubles(one("Clip", {&x, &lo})), {0, 0.5, 3, 10});
  expectNear(doubles(one("Clip", {&x})), {-2, 0.5, 3, 10});
  NodeAttrs old;
  old.floats["min"] = -1;
  old.floats["max"] = 1;
  expectNear(doubles(one("Clip", {&x}, old, 6)), {-1, 0.5, 1, 1});
  HostTensor xi = i32({3}, {-9, 4, 9}), li = i32({}, {-3}), hiI = i32({}, {5});
  EXPECT_EQ(ints(one("Clip", {&xi, &li, &hiI})), (Ints{-3, 4, 5}));
  HostTensor two = f32({2}, {0, 1});
  EXPECT_TRUE(isError(fold("Clip", {&x, &two})));
}

//===----------------------------------------------------------------------===//
// Casts and element types
//===----------------------------------------------------------------------===//

TEST(Folder, Cast) {
  HostTensor x = f32({5}, {-2.7, 2.7, 0, 1e10, kNaN});
  HostTensor r = one("Cast", {&x}, withInts({{"to", 6}})); // int32
  EXPECT_EQ(r.dtype, DType::I32);
  EXPECT_EQ(ints(r)[0], -2);
  EXPECT_EQ(ints(r)[1], 2);
  EXPECT_EQ(ints(r)[2], 0);
  HostTensor r64 = one("Cast", {&x}, withInts({{"to", 7}}));
  EXPECT_EQ(ints(r64)[3], 10000000000LL);
  EXPECT_EQ(ints(r64)[4], 0);

  HostTensor i = i64({3}, {0, 5, -1});
  HostTensor b = one("Cast", {&i}, withInts({{"to", 9}}));
  EXPECT_EQ(b.dtype, DType::Bool);
  EXPECT_EQ(ints(b), (Ints{0, 1, 1}));
  HostTensor bf = one("Cast", {&b}, withInts({{"to", 1}}));
  expectNear(doubles(bf), {0, 1, 1});
  HostTensor h = one("Cast", {&x}, withInts({{"to", 10}, {"saturate", 1}}));
  EXPECT_EQ(h.dtype, DType::F16);
  expectNear(doubles(h), {-2.69921875, 2.69921875, 0, kInf, kNaN});
  HostTensor u = one("Cast", {&i}, withInts({{"to", 2}}));
  EXPECT_EQ(ints(u), (Ints{0, 5, 255}));
  HostTensor big = makeInt(DType::U64, {1}, {-1});
  expectNear(doubles(one("Cast", {&big}, withInts({{"to", 11}}))),
             {18446744073709551615.0}, 1e4);

  FoldResult s = fold("Cast", {&x}, withInts({{"to", 8}}));
  EXPECT_FALSE(s.ok());
  EXPECT_FALSE(isError(s)) << s.reason;
  EXPECT_TRUE(isError(fold("Cast", {&x})));
  EXPECT_TRUE(isError(fold("Cast", {&x}, withInts({{"to", 999}}))));
}

TEST(Folder, CastLike) {
  HostTensor x = f32({2}, {1.9, -1.9}), like = i64({}, {0});
  HostTensor r = one("CastLike", {&x, &like});
  EXPECT_EQ(r.dtype, DType::I64);
  EXPECT_EQ(ints(r), (Ints{1, -1}));
}

TEST(Folder, HalfAndBFloat16Encodings) {
  EXPECT_EQ(floatToHalf(1.0f), 0x3c00);
  EXPECT_EQ(floatToHalf(-2.0f), 0xc000);
  EXPECT_EQ(floatToHalf(65504.0f), 0x7bff);
  EXPECT_EQ(floatToHalf(65519.0f), 0x7bff);
  EXPECT_EQ(floatToHalf(65520.0f), 0x7c00);
  EXPECT_EQ(floatToHalf(std::ldexp(1.0f, -24)), 0x0001);
  EXPECT_EQ(floatToHalf(std::ldexp(1.0f, -25)), 0x0000); // tie to even
  EXPECT_EQ(floatToHalf(std::ldexp(3.0f, -25)), 0x0002);
  EXPECT_EQ(floatToHalf(1.0f + std::ldexp(1.0f, -11)), 0x3c00);
  EXPECT_EQ(floatToHalf(1.0f + std::ldexp(3.0f, -11)), 0x3c02);
  EXPECT_EQ(floatToHalf(std::ldexp(1023.0f, -24) + std::ldexp(1.0f, -25)),
            0x0400); // subnormal rounds up to the smallest normal
  EXPECT_TRUE(std::isnan(halfToFloat(floatToHalf(NAN))));
  EXPECT_EQ(halfToFloat(0x7c00), INFINITY);
  EXPECT_EQ(halfToFloat(0x3555), 0.333251953125f);

  EXPECT_EQ(floatToBF16(1.0f), 0x3f80);
  EXPECT_EQ(floatToBF16(1.0f + std::ldexp(1.0f, -8)), 0x3f80);
  EXPECT_EQ(floatToBF16(1.0f + std::ldexp(3.0f, -8)), 0x3f82);
  EXPECT_EQ(floatToBF16(3.4028235e38f), 0x7f80);
  EXPECT_TRUE(std::isnan(bf16ToFloat(floatToBF16(NAN))));
  EXPECT_EQ(bf16ToFloat(0xc040), -3.0f);

  // Every encoding round-trips.
  for (uint32_t h = 0; h < 0x10000; ++h) {
    float f = halfToFloat(uint16_t(h));
    if (std::isnan(f))
      EXPECT_TRUE(std::isnan(halfToFloat(floatToHalf(f))));
    else
      EXPECT_EQ(floatToHalf(f), h) << std::hex << h;
    float g = bf16ToFloat(uint16_t(h));
    if (std::isnan(g))
      EXPECT_TRUE(std::isnan(bf16ToFloat(floatToBF16(g))));
    else
      EXPECT_EQ(floatToBF16(g), h) << std::hex << h;
  }
}

TEST(Folder, HalfAndBFloat16Tensors) {
  HostTensor a = make(DType::F16, {3}, {1.5, -2, 0.1}),
             b = make(DType::F16, {}, {2});
  HostTensor r = one("Mul", {&a, &b});
  EXPECT_EQ(r.dtype, DType::F16);
  expectNear(doubles(r), {3, -4, 0.199951171875});
  HostTensor c = make(DType::BF16, {2}, {1, 3}),
             d = make(DType::BF16, {2}, {0.5, 0.5});
  HostTensor s = one("Add", {&c, &d});
  EXPECT_EQ(s.dtype, DType::BF16);
  expectNear(doubles(s), {1.5, 3.5});
  HostTensor e = one("Cast", {&c}, withInts({{"to", 10}}));
  EXPECT_EQ(e.dtype, DType::F16);
  expectNear(doubles(e), {1, 3});
  HostTensor f8 = make(DType::F8E4M3FN, {4}, {1, 500, -0.3, 17});
  expectNear(doubles(f8), {1, 448, -0.3125, 16});
}

TEST(Folder, HostTensorBasics) {
  EXPECT_EQ(dtypeSize(DType::BF16), 2u);
  EXPECT_EQ(dtypeSize(DType::String), 0u);
  EXPECT_EQ(dtypeName(DType::F32), "float");
  EXPECT_EQ(dtypeName(DType::BF16), "bfloat16");
  EXPECT_TRUE(isFloat(DType::F16));
  EXPECT_TRUE(isInteger(DType::U8));
  EXPECT_FALSE(isInteger(DType::Bool));
  EXPECT_TRUE(isUnsigned(DType::U64));
  EXPECT_EQ(dtypeFromONNX(16), DType::BF16);
  EXPECT_FALSE(dtypeFromONNX(14));
  EXPECT_EQ(product({2, 3, 4}), 24);
  EXPECT_EQ(product({}), 1);
  EXPECT_EQ(stridesOf({2, 3, 4}), (llvm::SmallVector<int64_t>{12, 4, 1}));
  HostTensor s = HostTensor::scalarDouble(DType::F32, 2.5);
  EXPECT_TRUE(s.isScalar());
  EXPECT_EQ(s.getInt(0), 2);
  EXPECT_TRUE(f32({3}, {1, 1, 1}).isSplat());
  EXPECT_FALSE(f32({3}, {1, 2, 1}).isSplat());
  EXPECT_FALSE(f32({0}, {}).isSplat());
  HostTensor u = makeInt(DType::U64, {1}, {0});
  u.setDouble(0, 1.5e19);
  EXPECT_EQ(static_cast<uint64_t>(u.getInt(0)), 15000000000000000000ULL);
}

//===----------------------------------------------------------------------===//
// Shapes and constants
//===----------------------------------------------------------------------===//

TEST(Folder, ShapeAndSize) {
  HostTensor x(DType::F32, {2, 3, 4, 5});
  HostTensor s = one("Shape", {&x});
  EXPECT_EQ(s.dtype, DType::I64);
  EXPECT_EQ(ints(s), (Ints{2, 3, 4, 5}));
  EXPECT_EQ(ints(one("Shape", {&x}, withInts({{"start", 1}, {"end", -1}}))),
            (Ints{3, 4}));
  EXPECT_EQ(ints(one("Shape", {&x}, withInts({{"start", -2}}))), (Ints{4, 5}));
  EXPECT_EQ(ints(one("Shape", {&x}, withInts({{"start", -10}, {"end", 10}}))),
            (Ints{2, 3, 4, 5}));
  EXPECT_EQ(shapeOf(one("Shape", {&x}, withInts({{"start", 3}, {"end", 1}}))),
            (Ints{0}));
  HostTensor sz = one("Size", {&x});
  EXPECT_TRUE(sz.isScalar());
  EXPECT_EQ(ints(sz), (Ints{120}));
}

TEST(Folder, Constant) {
  NodeAttrs a;
  a.tensors["value"] = i32({2}, {4, 5});
  HostTensor v = one("Constant", {}, a);
  EXPECT_EQ(v.dtype, DType::I32);
  EXPECT_EQ(ints(v), (Ints{4, 5}));
  NodeAttrs f;
  f.floats["value_float"] = 1.5;
  HostTensor fv = one("Constant", {}, f);
  EXPECT_TRUE(fv.isScalar());
  EXPECT_EQ(fv.dtype, DType::F32);
  NodeAttrs fl;
  fl.floatLists["value_floats"] = {1, 2};
  EXPECT_EQ(shapeOf(one("Constant", {}, fl)), (Ints{2}));
  HostTensor iv = one("Constant", {}, withInts({{"value_int", 7}}));
  EXPECT_EQ(iv.dtype, DType::I64);
  EXPECT_TRUE(iv.isScalar());
  EXPECT_EQ(
      ints(one("Constant", {}, withInts({}, {{"value_ints", {1, 2, 3}}}))),
      (Ints{1, 2, 3}));
  EXPECT_TRUE(isError(fold("Constant", {})));
  NodeAttrs bad;
  bad.tensors["value"] = f32({2}, {1, 2});
  bad.tensors["value"].bytes.pop_back();
  EXPECT_TRUE(isError(fold("Constant", {}, bad)));
  FoldResult big = fold("Constant", {}, a, 17, 1, 1);
  EXPECT_EQ(big.reason, "too large");
}

TEST(Folder, ConstantOfShape) {
  HostTensor shape = vec({2, 3});
  HostTensor z = one("ConstantOfShape", {&shape});
  EXPECT_EQ(z.dtype, DType::F32);
  EXPECT_EQ(shapeOf(z), (Ints{2, 3}));
  expectNear(doubles(z), Doubles(6, 0));
  NodeAttrs a;
  a.tensors["value"] = i64({1}, {-4});
  HostTensor v = one("ConstantOfShape", {&shape}, a);
  EXPECT_EQ(v.dtype, DType::I64);
  EXPECT_EQ(ints(v), Ints(6, -4));
  HostTensor empty = vec({});
  HostTensor s = one("ConstantOfShape", {&empty}, a);
  EXPECT_TRUE(s.isScalar());
  EXPECT_EQ(ints(s), (Ints{-4}));
  HostTensor neg = vec({2, -1});
  EXPECT_TRUE(isError(fold("ConstantOfShape", {&neg})));
  NodeAttrs two;
  two.tensors["value"] = i64({2}, {1, 2});
  EXPECT_TRUE(isError(fold("ConstantOfShape", {&shape}, two)));
  HostTensor fshape = f32({1}, {2});
  EXPECT_TRUE(isError(fold("ConstantOfShape", {&fshape})));
}

//===----------------------------------------------------------------------===//
// Gathers
//===----------------------------------------------------------------------===//

TEST(Folder, Gather) {
  HostTensor data = i64({3, 2}, {1, 2, 3, 4, 5, 6});
  HostTensor idx = i64({2}, {2, -3});
  HostTensor r = one("Gather", {&data, &idx});
  EXPECT_EQ(shapeOf(r), (Ints{2, 2}));
  EXPECT_EQ(ints(r), (Ints{5, 6, 1, 2}));
  HostTensor col = i64({}, {-1});
  HostTensor c = one("Gather", {&data, &col}, withInts({{"axis", -1}}));
  EXPECT_EQ(shapeOf(c), (Ints{3}));
  EXPECT_EQ(ints(c), (Ints{2, 4, 6}));
  HostTensor idx2 = i32({2, 2}, {0, 1, 1, 0});
  HostTensor r2 = one("Gather", {&data, &idx2}, withInts({{"axis", 1}}));
  EXPECT_EQ(shapeOf(r2), (Ints{3, 2, 2}));
  EXPECT_EQ(ints(r2), (Ints{1, 2, 2, 1, 3, 4, 4, 3, 5, 6, 6, 5}));
  // Shape[-1] pattern: Gather(Shape(x), -1).
  HostTensor shape = vec({2, 7, 9});
  EXPECT_EQ(ints(one("Gather", {&shape, &col})), (Ints{9}));

  HostTensor oob = i64({1}, {3});
  EXPECT_TRUE(isError(fold("Gather", {&data, &oob})));
  EXPECT_TRUE(isError(fold("Gather", {&data, &idx}, withInts({{"axis", 2}}))));
  HostTensor fidx = f32({1}, {0});
  EXPECT_TRUE(isError(fold("Gather", {&data, &fidx})));
}

TEST(Folder, GatherElements) {
  HostTensor data = i64({2, 2}, {1, 2, 3, 4});
  HostTensor idx = i64({2, 2}, {0, 0, 1, 0});
  EXPECT_EQ(ints(one("GatherElements", {&data, &idx}, withInts({{"axis", 1}}))),
            (Ints{1, 1, 4, 3}));
  HostTensor idx0 = i64({1, 2}, {1, -2});
  HostTensor r = one("GatherElements", {&data, &idx0});
  EXPECT_EQ(shapeOf(r), (Ints{1, 2}));
  EXPECT_EQ(ints(r), (Ints{3, 2}));
  HostTensor bad = i64({2, 2}, {0, 2, 0, 0});
  EXPECT_TRUE(
      isError(fold("GatherElements", {&data, &bad}, withInts({{"axis", 1}}))));
  HostTensor rank1 = i64({2}, {0, 0});
  EXPECT_TRUE(isError(fold("GatherElements", {&data, &rank1})));
}

TEST(Folder, GatherND) {
  HostTensor data = i64({2, 2}, {0, 1, 2, 3});
  HostTensor idx = i64({2, 2}, {0, 0, 1, 1});
  EXPECT_EQ(ints(one("GatherND", {&data, &idx})), (Ints{0, 3}));
  HostTensor rows = i64({2, 1}, {1, -2});
  HostTensor r = one("GatherND", {&data, &rows});
  EXPECT_EQ(shapeOf(r), (Ints{2, 2}));
  EXPECT_EQ(ints(r), (Ints{2, 3, 0, 1}));
  // batch_dims = 1.
  HostTensor d3 = i64({2, 2, 2}, {0, 1, 2, 3, 4, 5, 6, 7});
  HostTensor bi = i64({2, 1}, {1, 0});
  HostTensor b = one("GatherND", {&d3, &bi}, withInts({{"batch_dims", 1}}));
  EXPECT_EQ(shapeOf(b), (Ints{2, 2}));
  EXPECT_EQ(ints(b), (Ints{2, 3, 4, 5}));
  HostTensor tooLong = i64({1, 3}, {0, 0, 0});
  EXPECT_TRUE(isError(fold("GatherND", {&data, &tooLong})));
  HostTensor oob = i64({1, 2}, {0, 2});
  EXPECT_TRUE(isError(fold("GatherND", {&data, &oob})));
  HostTensor wrongBatch = i64({3, 1}, {0, 0, 0});
  EXPECT_TRUE(isError(
      fold("GatherND", {&d3, &wrongBatch}, withInts({{"batch_dims", 1}}))));
}

//===----------------------------------------------------------------------===//
// Concat / Split / Slice
//===----------------------------------------------------------------------===//

TEST(Folder, Concat) {
  HostTensor a = i64({2, 1}, {1, 2}), b = i64({2, 2}, {3, 4, 5, 6});
  HostTensor r = one("Concat", {&a, &b}, withInts({{"axis", -1}}));
  EXPECT_EQ(shapeOf(r), (Ints{2, 3}));
  EXPECT_EQ(ints(r), (Ints{1, 3, 4, 2, 5, 6}));
  HostTensor s1 = vec({1, 2}), s2 = vec({}), s3 = vec({7});
  EXPECT_EQ(ints(one("Concat", {&s1, &s2, &s3}, withInts({{"axis", 0}}))),
            (Ints{1, 2, 7}));
  EXPECT_TRUE(isError(fold("Concat", {&a, &b}, withInts({{"axis", 0}}))));
  EXPECT_TRUE(isError(fold("Concat", {&a, &b})));
  HostTensor sc = scalar(1);
  EXPECT_TRUE(isError(fold("Concat", {&sc, &sc}, withInts({{"axis", 0}}))));
  HostTensor f = f32({2, 1}, {1, 2});
  EXPECT_TRUE(isError(fold("Concat", {&a, &f}, withInts({{"axis", 1}}))));
}

TEST(Folder, Split) {
  HostTensor x = i64({2, 5}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  HostTensor sizes = vec({2, 3});
  FoldResult r = fold("Split", {&x, &sizes}, withInts({{"axis", 1}}), 13, 2);
  ASSERT_TRUE(r.ok()) << r.reason;
  ASSERT_EQ(r.outputs.size(), 2u);
  EXPECT_EQ(shapeOf(r.outputs[0]), (Ints{2, 2}));
  EXPECT_EQ(ints(r.outputs[0]), (Ints{0, 1, 5, 6}));
  EXPECT_EQ(ints(r.outputs[1]), (Ints{2, 3, 4, 7, 8, 9}));
  // Opset 11: split as attribute.
  FoldResult a =
      fold("Split", {&x}, withInts({{"axis", -1}}, {{"split", {4, 1}}}), 11, 2);
  ASSERT_TRUE(a.ok()) << a.reason;
  EXPECT_EQ(ints(a.outputs[1]), (Ints{4, 9}));
  // Equal parts from the output count.
  FoldResult e = fold("Split", {&x}, {}, 13, 2);
  ASSERT_TRUE(e.ok()) << e.reason;
  EXPECT_EQ(ints(e.outputs[0]), (Ints{0, 1, 2, 3, 4}));
  EXPECT_TRUE(isError(fold("Split", {&x}, withInts({{"axis", 1}}), 13, 2)));
  // Opset 18 num_outputs: the last chunk is smaller.
  FoldResult n =
      fold("Split", {&x}, withInts({{"axis", 1}, {"num_outputs", 3}}), 18, 3);
  ASSERT_TRUE(n.ok()) << n.reason;
  EXPECT_EQ(shapeOf(n.outputs[0]), (Ints{2, 2}));
  EXPECT_EQ(shapeOf(n.outputs[2]), (Ints{2, 1}));
  EXPECT_EQ(ints(n.outputs[2]), (Ints{4, 9}));
  EXPECT_TRUE(isError(
      fold("Split", {&x}, withInts({{"axis", 1}, {"num_outputs", 3}}), 18, 2)));
  HostTensor badSizes = vec({2, 2});
  EXPECT_TRUE(
      isError(fold("Split", {&x, &badSizes}, withInts({{"axis", 1}}), 13, 2)));
  EXPECT_TRUE(
      isError(fold("Split", {&x, &sizes}, withInts({{"axis", 1}}), 13, 3)));
}

TEST(Folder, Slice) {
  HostTensor x = i64({3, 4}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  auto slice = [&](Ints starts, Ints ends, std::optional<Ints> axes = {},
                   std::optional<Ints> steps = {}) {
    HostTensor s = vec(starts), e = vec(ends);
    HostTensor a = axes ? vec(*axes) : HostTensor(),
               st = steps ? vec(*steps) : HostTensor();
    return fold("Slice",
                {&x, &s, &e, axes ? &a : nullptr, steps ? &st : nullptr});
  };
  FoldResult r = slice({1, 1}, {3, 3});
  ASSERT_TRUE(r.ok()) << r.reason;
  EXPECT_EQ(shapeOf(r.outputs[0]), (Ints{2, 2}));
  EXPECT_EQ(ints(r.outputs[0]), (Ints{5, 6, 9, 10}));
  // Negative start, overflowing end, single negative axis.
  r = slice({-2}, {kMax}, Ints{-1});
  ASSERT_TRUE(r.ok()) << r.reason;
  EXPECT_EQ(ints(r.outputs[0]), (Ints{2, 3, 6, 7, 10, 11}));
  // Overflowing negative start clamps to 0.
  r = slice({-100}, {2}, Ints{0});
  EXPECT_EQ(ints(r.outputs[0]), (Ints{0, 1, 2, 3, 4, 5, 6, 7}));
  // Reverse a dimension with step -1 and end INT64_MIN.
  r = slice({-1}, {kMin}, Ints{1}, Ints{-1});
  ASSERT_TRUE(r.ok()) << r.reason;
  EXPECT_EQ(ints(r.outputs[0]), (Ints{3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8}));
  // Step -2 from an overflowing start; step 2.
  r = slice({100, 0}, {-100, kMax}, Ints{0, 1}, Ints{-2, 3});
  ASSERT_TRUE(r.ok()) << r.reason;
  EXPECT_EQ(shapeOf(r.outputs[0]), (Ints{2, 2}));
  EXPECT_EQ(ints(r.outputs[0]), (Ints{8, 11, 0, 3}));
  // Empty result.
  r = slice({3}, {1}, Ints{1});
  ASSERT_TRUE(r.ok()) << r.reason;
  EXPECT_EQ(shapeOf(r.outputs[0]), (Ints{3, 0}));
  // Extreme step.
  r = slice({-1}, {kMin}, Ints{1}, Ints{kMin});
  ASSERT_TRUE(r.ok()) << r.reason;
  EXPECT_EQ(ints(r.outputs[0]), (Ints{3, 7, 11}));
  EXPECT_TRUE(isError(slice({0}, {1}, Ints{0}, Ints{0})));
  EXPECT_TRUE(isError(slice({0, 0}, {1, 1}, Ints{1, -1})));
  EXPECT_TRUE(isError(slice({0}, {1}, Ints{2})));
  EXPECT_TRUE(isError(slice({0, 0}, {1})));
  // Opset 1-9: attributes.
  HostTensor old =
      one("Slice", {&x},
          withInts({}, {{"starts", {1}}, {"ends", {2}}, {"axes", {0}}}), 9);
  EXPECT_EQ(ints(old), (Ints{4, 5, 6, 7}));
  // Slicing a shape vector (the common importer pattern).
  HostTensor shape = vec({2, 8, 64}), s = vec({-1}), e = vec({kMax});
  EXPECT_EQ(ints(one("Slice", {&shape, &s, &e})), (Ints{64}));
  EXPECT_TRUE(isError(fold("Slice", {&x, &s})));
}

//===----------------------------------------------------------------------===//
// Reshaping
//===----------------------------------------------------------------------===//

TEST(Folder, Squeeze) {
  HostTensor x = i64({1, 3, 1}, {1, 2, 3});
  EXPECT_EQ(shapeOf(one("Squeeze", {&x}, withInts({}, {{"axes", {0}}}), 11)),
            (Ints{3, 1}));
  HostTensor axes = vec({-1});
  HostTensor r = one("Squeeze", {&x, &axes}, {}, 13);
  EXPECT_EQ(shapeOf(r), (Ints{1, 3}));
  EXPECT_EQ(ints(r), (Ints{1, 2, 3}));
  EXPECT_EQ(shapeOf(one("Squeeze", {&x}, {}, 13)), (Ints{3}));
  HostTensor bad = vec({1});
  EXPECT_TRUE(isError(fold("Squeeze", {&x, &bad}, {}, 13)));
  HostTensor oob = vec({3});
  EXPECT_TRUE(isError(fold("Squeeze", {&x, &oob}, {}, 13)));
}

TEST(Folder, Unsqueeze) {
  HostTensor x = i64({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(
      shapeOf(one("Unsqueeze", {&x}, withInts({}, {{"axes", {0, 3}}}), 11)),
      (Ints{1, 2, 3, 1}));
  HostTensor axes = vec({-1, 1});
  HostTensor r = one("Unsqueeze", {&x, &axes}, {}, 13);
  EXPECT_EQ(shapeOf(r), (Ints{2, 1, 3, 1}));
  EXPECT_EQ(ints(r), ints(x));
  HostTensor s = scalar(5), zero = vec({0});
  EXPECT_EQ(shapeOf(one("Unsqueeze", {&s, &zero}, {}, 13)), (Ints{1}));
  HostTensor dup = vec({1, -3});
  EXPECT_TRUE(isError(fold("Unsqueeze", {&x, &dup}, {}, 13)));
  HostTensor oob = vec({3});
  EXPECT_TRUE(isError(fold("Unsqueeze", {&x, &oob}, {}, 13)));
  EXPECT_TRUE(isError(fold("Unsqueeze", {&x}, {}, 13)));
}

TEST(Folder, Reshape) {
  HostTensor x = i64({2, 3, 4}, Ints(24, 1));
  HostTensor s = vec({0, -1});
  EXPECT_EQ(shapeOf(one("Reshape", {&x, &s})), (Ints{2, 12}));
  HostTensor s2 = vec({-1, 0, 2});
  EXPECT_EQ(shapeOf(one("Reshape", {&x, &s2})), (Ints{4, 3, 2}));
  HostTensor flat = vec({-1});
  EXPECT_EQ(shapeOf(one("Reshape", {&x, &flat})), (Ints{24}));
  // allowzero: a 0 is a real zero-sized dimension.
  HostTensor empty(DType::F32, {0, 3});
  HostTensor z = vec({0, 3});
  EXPECT_EQ(
      shapeOf(one("Reshape", {&empty, &z}, withInts({{"allowzero", 1}}), 14)),
      (Ints{0, 3}));
  HostTensor two = vec({-1, -1});
  EXPECT_TRUE(isError(fold("Reshape", {&x, &two})));
  HostTensor wrong = vec({5, 5});
  EXPECT_TRUE(isError(fold("Reshape", {&x, &wrong})));
  HostTensor bad = vec({7, -1});
  EXPECT_TRUE(isError(fold("Reshape", {&x, &bad})));
  HostTensor tooFar = vec({2, 3, 4, 0});
  EXPECT_TRUE(isError(fold("Reshape", {&x, &tooFar})));
  HostTensor zeroInfer = vec({0, -1});
  EXPECT_TRUE(isError(
      fold("Reshape", {&empty, &zeroInfer}, withInts({{"allowzero", 1}}), 14)));
  HostTensor neg = vec({-2, 12});
  EXPECT_TRUE(isError(fold("Reshape", {&x, &neg})));
}

TEST(Folder, Expand) {
  HostTensor x = i64({3, 1}, {1, 2, 3});
  HostTensor shape = vec({2, 1, 4});
  HostTensor r = one("Expand", {&x, &shape});
  EXPECT_EQ(shapeOf(r), (Ints{2, 3, 4}));
  EXPECT_EQ(ints(r)[5], 2);
  EXPECT_EQ(ints(r)[23], 3);
  HostTensor smaller = vec({1});
  EXPECT_EQ(shapeOf(one("Expand", {&x, &smaller})), (Ints{3, 1}));
  HostTensor bad = vec({2, 1});
  EXPECT_TRUE(isError(fold("Expand", {&x, &bad})));
}

TEST(Folder, Transpose) {
  HostTensor x = i64({2, 3}, {1, 2, 3, 4, 5, 6});
  HostTensor t = one("Transpose", {&x});
  EXPECT_EQ(shapeOf(t), (Ints{3, 2}));
  EXPECT_EQ(ints(t), (Ints{1, 4, 2, 5, 3, 6}));
  HostTensor y = i64({2, 1, 3}, {1, 2, 3, 4, 5, 6});
  HostTensor p = one("Transpose", {&y}, withInts({}, {{"perm", {1, 2, 0}}}));
  EXPECT_EQ(shapeOf(p), (Ints{1, 3, 2}));
  EXPECT_EQ(ints(p), (Ints{1, 4, 2, 5, 3, 6}));
  EXPECT_TRUE(
      isError(fold("Transpose", {&y}, withInts({}, {{"perm", {0, 0, 1}}}))));
  EXPECT_TRUE(
      isError(fold("Transpose", {&y}, withInts({}, {{"perm", {1, 0}}}))));
  EXPECT_TRUE(
      isError(fold("Transpose", {&y}, withInts({}, {{"perm", {0, 1, 3}}}))));
}

TEST(Folder, Tile) {
  HostTensor x = i64({2, 2}, {1, 2, 3, 4});
  HostTensor reps = vec({1, 2});
  HostTensor r = one("Tile", {&x, &reps});
  EXPECT_EQ(shapeOf(r), (Ints{2, 4}));
  EXPECT_EQ(ints(r), (Ints{1, 2, 1, 2, 3, 4, 3, 4}));
  HostTensor reps2 = vec({2, 0});
  EXPECT_EQ(shapeOf(one("Tile", {&x, &reps2})), (Ints{4, 0}));
  HostTensor bad = vec({2});
  EXPECT_TRUE(isError(fold("Tile", {&x, &bad})));
  HostTensor neg = vec({1, -1});
  EXPECT_TRUE(isError(fold("Tile", {&x, &neg})));
}

//===----------------------------------------------------------------------===//
// Sequences and masks
//===----------------------------------------------------------------------===//

TEST(Folder, Range) {
  HostTensor s = scalar(2), l = scalar(11), d = scalar(3);
  HostTensor r = one("Range", {&s, &l, &d});
  EXPECT_EQ(r.dtype, DType::I64);
  EXPECT_EQ(ints(r), (Ints{2, 5, 8}));
  HostTensor nd = scalar(-4), hi = scalar(10), lo = scalar(1);
  EXPECT_EQ(ints(one("Range", {&hi, &lo, &nd})), (Ints{10, 6, 2}));
  EXPECT_EQ(shapeOf(one("Range", {&lo, &hi, &nd})), (Ints{0}));
  HostTensor fs = f32({}, {1}), fl = f32({}, {2}), fd = f32({}, {0.25});
  HostTensor f = one("Range", {&fs, &fl, &fd});
  EXPECT_EQ(f.dtype, DType::F32);
  expectNear(doubles(f), {1, 1.25, 1.5, 1.75});
  HostTensor fneg = f32({}, {-0.3});
  expectNear(doubles(one("Range", {&fl, &fs, &fneg})), {2, 1.7, 1.4, 1.1});
  HostTensor i32s = i32({}, {0}), i32l = i32({}, {3}), i32d = i32({}, {1});
  HostTensor r32 = one("Range", {&i32s, &i32l, &i32d});
  EXPECT_EQ(r32.dtype, DType::I32);
  EXPECT_EQ(ints(r32), (Ints{0, 1, 2}));
  HostTensor zero = scalar(0);
  EXPECT_TRUE(isError(fold("Range", {&s, &l, &zero})));
  EXPECT_TRUE(isError(fold("Range", {&s, &l, &fd})));
  HostTensor big = scalar(kMax), small = scalar(kMin), one1 = scalar(1);
  EXPECT_EQ(fold("Range", {&small, &big, &one1}).reason, "too large");
  HostTensor finf = f32({}, {kInf});
  EXPECT_EQ(fold("Range", {&fs, &finf, &fd}).reason, "too large");
}

TEST(Folder, Trilu) {
  HostTensor x = i64({3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  EXPECT_EQ(ints(one("Trilu", {&x})), (Ints{1, 2, 3, 0, 5, 6, 0, 0, 9}));
  EXPECT_EQ(ints(one("Trilu", {&x}, withInts({{"upper", 0}}))),
            (Ints{1, 0, 0, 4, 5, 0, 7, 8, 9}));
  HostTensor k1 = scalar(1), km1 = scalar(-1);
  EXPECT_EQ(ints(one("Trilu", {&x, &k1})), (Ints{0, 2, 3, 0, 0, 6, 0, 0, 0}));
  EXPECT_EQ(ints(one("Trilu", {&x, &km1}, withInts({{"upper", 0}}))),
            (Ints{0, 0, 0, 4, 0, 0, 7, 8, 0}));
  // Batched, non-square, float: a causal mask.
  HostTensor m = f32({2, 2, 3}, Doubles(12, 1));
  expectNear(doubles(one("Trilu", {&m, &k1})),
             {0, 1, 1, 0, 0, 1, 0, 1, 1, 0, 0, 1});
  HostTensor big = scalar(100);
  EXPECT_EQ(ints(one("Trilu", {&x, &big})), Ints(9, 0));
  HostTensor v = vec({1, 2});
  EXPECT_TRUE(isError(fold("Trilu", {&v})));
  HostTensor two = vec({1, 2});
  EXPECT_TRUE(isError(fold("Trilu", {&x, &two})));
}

TEST(Folder, CumSum) {
  HostTensor x = i64({2, 3}, {1, 2, 3, 4, 5, 6});
  HostTensor ax1 = scalar(1), axm2 = vec({-2});
  EXPECT_EQ(ints(one("CumSum", {&x, &ax1})), (Ints{1, 3, 6, 4, 9, 15}));
  EXPECT_EQ(ints(one("CumSum", {&x, &axm2})), (Ints{1, 2, 3, 5, 7, 9}));
  EXPECT_EQ(ints(one("CumSum", {&x, &ax1}, withInts({{"exclusive", 1}}))),
            (Ints{0, 1, 3, 0, 4, 9}));
  EXPECT_EQ(ints(one("CumSum", {&x, &ax1}, withInts({{"reverse", 1}}))),
            (Ints{6, 5, 3, 15, 11, 6}));
  EXPECT_EQ(ints(one("CumSum", {&x, &ax1},
                     withInts({{"reverse", 1}, {"exclusive", 1}}))),
            (Ints{5, 3, 0, 11, 6, 0}));
  HostTensor f = f32({3}, {0.5, 1, 2}), a0 = scalar(0);
  expectNear(doubles(one("CumSum", {&f, &a0})), {0.5, 1.5, 3.5});
  HostTensor bad = scalar(2);
  EXPECT_TRUE(isError(fold("CumSum", {&x, &bad})));
  EXPECT_TRUE(isError(fold("CumSum", {&x})));
}

TEST(Folder, NonZero) {
  HostTensor x = i64({2, 3}, {0, 5, 0, 7, 0, 1});
  HostTensor r = one("NonZero", {&x});
  EXPECT_EQ(r.dtype, DType::I64);
  EXPECT_EQ(shapeOf(r), (Ints{2, 3}));
  EXPECT_EQ(ints(r), (Ints{0, 1, 1, 1, 0, 2}));
  HostTensor f = f32({3}, {0, kNaN, -0.0});
  EXPECT_EQ(ints(one("NonZero", {&f})), (Ints{1}));
  HostTensor s = f32({}, {3});
  EXPECT_EQ(shapeOf(one("NonZero", {&s})), (Ints{1, 1}));
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

TEST(Folder, ReduceSumAxesInputAndAttr) {
  HostTensor x = f32({2, 3}, {1, 2, 3, 4, 5, 6});
  HostTensor ax = vec({1});
  HostTensor k = one("ReduceSum", {&x, &ax}, {}, 13);
  EXPECT_EQ(shapeOf(k), (Ints{2, 1}));
  expectNear(doubles(k), {6, 15});
  HostTensor n = one("ReduceSum", {&x, &ax}, withInts({{"keepdims", 0}}), 13);
  EXPECT_EQ(shapeOf(n), (Ints{2}));
  // Opset 11: axes attribute (negative).
  HostTensor a =
      one("ReduceSum", {&x}, withInts({{"keepdims", 0}}, {{"axes", {-2}}}), 11);
  expectNear(doubles(a), {5, 7, 9});
  // No axes: all; with noop_with_empty_axes: identity.
  HostTensor all = one("ReduceSum", {&x}, {}, 13);
  EXPECT_EQ(shapeOf(all), (Ints{1, 1}));
  expectNear(doubles(all), {21});
  HostTensor emptyAxes = vec({});
  HostTensor noop = one("ReduceSum", {&x, &emptyAxes},
                        withInts({{"noop_with_empty_axes", 1}}), 13);
  EXPECT_EQ(shapeOf(noop), (Ints{2, 3}));
  expectNear(doubles(noop), {1, 2, 3, 4, 5, 6});
  HostTensor scal =
      one("ReduceSum", {&x, nullptr}, withInts({{"keepdims", 0}}), 13);
  EXPECT_TRUE(scal.isScalar());
  HostTensor bad = vec({2});
  EXPECT_TRUE(isError(fold("ReduceSum", {&x, &bad}, {}, 13)));
  HostTensor dup = vec({1, -1});
  EXPECT_TRUE(isError(fold("ReduceSum", {&x, &dup}, {}, 13)));
  HostTensor ix = i32({2, 2}, {2147483647, 1, -5, 2});
  EXPECT_EQ(ints(one("ReduceSum", {&ix, &ax}, {}, 13)),
            (Ints{-2147483648LL, -3}));
}

TEST(Folder, OtherReductions) {
  HostTensor x = f32({2, 3}, {1, 2, 3, 4, 5, 6});
  HostTensor ax = vec({0});
  // Opset 18: axes as input; opset 13: as attribute.
  expectNear(
      doubles(one("ReduceMean", {&x, &ax}, withInts({{"keepdims", 0}}), 18)),
      {2.5, 3.5, 4.5});
  expectNear(doubles(one("ReduceMean", {&x},
                         withInts({{"keepdims", 0}}, {{"axes", {1}}}), 13)),
             {2, 5});
  expectNear(doubles(one("ReduceMax", {&x, &ax}, {}, 18)), {4, 5, 6});
  expectNear(doubles(one("ReduceMin", {&x}, withInts({}, {{"axes", {1}}}), 13)),
             {1, 4});
  expectNear(doubles(one("ReduceProd", {&x}, {}, 18)), {720});
  expectNear(doubles(one("ReduceProd", {&x, &ax}, {}, 18)), {4, 10, 18});
  expectNear(doubles(one("ReduceL2", {&x, &ax}, {}, 18)),
             {std::sqrt(17.0), std::sqrt(29.0), std::sqrt(45.0)});
  expectNear(doubles(one("ReduceSumSquare", {&x, &ax}, {}, 18)), {17, 29, 45});
  HostTensor i = i64({2, 2}, {-3, 9, 4, -1});
  EXPECT_EQ(ints(one("ReduceMax", {&i}, withInts({{"keepdims", 0}}), 18)),
            (Ints{9}));
  EXPECT_EQ(ints(one("ReduceMin", {&i, &ax}, {}, 18)), (Ints{-3, -1}));
  EXPECT_EQ(ints(one("ReduceL1", {&i, &ax}, {}, 18)), (Ints{7, 10}));
  // Empty reductions.
  HostTensor e(DType::F32, {0, 2});
  expectNear(doubles(one("ReduceSum", {&e, &ax}, {}, 18)), {0, 0});
  expectNear(doubles(one("ReduceProd", {&e, &ax}, {}, 18)), {1, 1});
  expectNear(doubles(one("ReduceMax", {&e, &ax}, {}, 18)), {-kInf, -kInf});
  HostTensor ei(DType::I32, {0});
  EXPECT_EQ(ints(one("ReduceMin", {&ei}, {}, 18)), (Ints{2147483647}));
  EXPECT_EQ(ints(one("ReduceMax", {&ei}, {}, 18)), (Ints{-2147483648LL}));
  expectNear(doubles(one("ReduceMin", {&e, &ax}, {}, 18)), {kInf, kInf});
  expectNear(doubles(one("ReduceMean", {&e, &ax}, {}, 18)), {kNaN, kNaN});
}

TEST(Folder, ArgMaxArgMin) {
  HostTensor x = f32({2, 3}, {1, 5, 5, 7, 0, 7});
  HostTensor r = one("ArgMax", {&x}, withInts({{"axis", 1}}));
  EXPECT_EQ(r.dtype, DType::I64);
  EXPECT_EQ(shapeOf(r), (Ints{2, 1}));
  EXPECT_EQ(ints(r), (Ints{1, 0}));
  EXPECT_EQ(ints(one("ArgMax", {&x},
                     withInts({{"axis", -1}, {"select_last_index", 1}}))),
            (Ints{2, 2}));
  HostTensor m = one("ArgMin", {&x}, withInts({{"keepdims", 0}}));
  EXPECT_EQ(shapeOf(m), (Ints{3}));
  EXPECT_EQ(ints(m), (Ints{0, 1, 0}));
  HostTensor e(DType::F32, {0, 2});
  EXPECT_TRUE(isError(fold("ArgMax", {&e})));
  EXPECT_TRUE(isError(fold("ArgMax", {&x}, withInts({{"axis", 2}}))));
}

//===----------------------------------------------------------------------===//
// Limits and malformed input
//===----------------------------------------------------------------------===//

TEST(Folder, MaxElementsRefusal) {
  HostTensor x = f32({1}, {1});
  HostTensor big = vec({1000, 1000});
  FoldResult e = fold("Expand", {&x, &big}, {}, 17, 1, 1000);
  EXPECT_EQ(e.reason, "too large");
  EXPECT_TRUE(fold("Expand", {&x, &big}, {}, 17, 1, 1000000).ok());
  HostTensor huge = vec({int64_t(1) << 40, int64_t(1) << 40});
  EXPECT_EQ(fold("ConstantOfShape", {&huge}).reason, "too large");
  HostTensor s = scalar(0), l = scalar(int64_t(1) << 50), d = scalar(1);
  EXPECT_EQ(fold("Range", {&s, &l, &d}).reason, "too large");
  HostTensor reps = vec({kMax});
  EXPECT_EQ(fold("Tile", {&x, &reps}).reason, "too large");
  HostTensor a = f32({4}, {1, 2, 3, 4});
  EXPECT_EQ(fold("Add", {&a, &a}, {}, 17, 1, 3).reason, "too large");
  EXPECT_EQ(fold("Identity", {&a}, {}, 17, 1, 3).reason, "too large");
}

TEST(Folder, MalformedInputsAreErrors) {
  HostTensor x = f32({2}, {1, 2});
  HostTensor truncated = x;
  truncated.bytes.resize(5);
  EXPECT_TRUE(isError(fold("Relu", {&truncated})));
  HostTensor negDim = x;
  negDim.shape = {-1, 2};
  EXPECT_TRUE(isError(fold("Relu", {&negDim})));
  // A missing required input.
  EXPECT_TRUE(isError(fold("Add", {&x})));
  EXPECT_TRUE(isError(fold("Add", {&x, nullptr})));
  EXPECT_TRUE(isError(fold("Reshape", {&x})));
  // Bad axes.
  EXPECT_TRUE(isError(fold("Concat", {&x}, withInts({{"axis", 1}}))));
  EXPECT_TRUE(isError(fold("Gather", {&x, &x})));
  // More outputs than the op has.
  EXPECT_TRUE(isError(fold("Add", {&x, &x}, {}, 17, 2)));
  FoldResult r = fold("Reshape", {&x, &x});
  EXPECT_TRUE(isError(r));
  EXPECT_NE(r.reason.find("integer"), std::string::npos) << r.reason;
}

TEST(Folder, UnsupportedIsNotAnError) {
  HostTensor x = f32({2}, {1, 2});
  FoldResult r = fold("Conv", {&x});
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(isError(r));
  EXPECT_NE(r.reason.find("unsupported op"), std::string::npos);
  HostTensor s(DType::String, {1});
  FoldResult t = fold("Identity", {&s});
  EXPECT_FALSE(t.ok());
  EXPECT_FALSE(isError(t)) << t.reason;
  EXPECT_FALSE(canFold("Conv"));
  EXPECT_FALSE(canFold("BitShift"));
  for (const char *op : {"Add",
                         "Sub",
                         "Mul",
                         "Div",
                         "Pow",
                         "Mod",
                         "Max",
                         "Min",
                         "Sum",
                         "Mean",
                         "And",
                         "Or",
                         "Xor",
                         "Not",
                         "Neg",
                         "Abs",
                         "Sqrt",
                         "Reciprocal",
                         "Exp",
                         "Log",
                         "Cos",
                         "Sin",
                         "Tanh",
                         "Sigmoid",
                         "Erf",
                         "Floor",
                         "Ceil",
                         "Round",
                         "Sign",
                         "IsNaN",
                         "IsInf",
                         "Relu",
                         "Equal",
                         "Less",
                         "LessOrEqual",
                         "Greater",
                         "GreaterOrEqual",
                         "Where",
                         "Clip",
                         "Identity",
                         "Cast",
                         "CastLike",
                         "Shape",
                         "Size",
                         "Constant",
                         "ConstantOfShape",
                         "Gather",
                         "GatherElements",
                         "GatherND",
                         "Concat",
                         "Split",
                         "Slice",
                         "Squeeze",
                         "Unsqueeze",
                         "Reshape",
                         "Expand",
                         "Transpose",
                         "Tile",
                         "Range",
                         "Trilu",
                         "CumSum",
                         "ReduceSum",
                         "ReduceMean",
                         "ReduceMax",
                         "ReduceMin",
                         "ReduceProd",
                         "ArgMax",
                         "ArgMin",
                         "NonZero"})
    EXPECT_TRUE(canFold(op)) << op;
}

TEST(Folder, Identity) {
  HostTensor x = make(DType::BF16, {2}, {1.5, -3});
  HostTensor r = one("Identity", {&x});
  EXPECT_EQ(r.dtype, DType::BF16);
  EXPECT_EQ(r.bytes, x.bytes);
}

TEST(Folder, ShapeSubgraph) {
  // Shape -> Gather -> Unsqueeze -> Concat -> Reshape, as exported models do.
  HostTensor x = f32({2, 6}, Doubles(12, 0));
  HostTensor shape = one("Shape", {&x});
  HostTensor zero = scalar(0), axes = vec({0});
  HostTensor batch = one("Gather", {&shape, &zero});
  HostTensor b1 = one("Unsqueeze", {&batch, &axes}, {}, 13);
  HostTensor rest = vec({3, -1});
  HostTensor target = one("Concat", {&b1, &rest}, withInts({{"axis", 0}}));
  EXPECT_EQ(ints(target), (Ints{2, 3, -1}));
  EXPECT_EQ(shapeOf(one("Reshape", {&x, &target})), (Ints{2, 3, 2}));
}
