//===- DialectTest.cpp - tx dialect C++ API tests -------------------------===//
//
// Builds tx ops programmatically, verifies them, prints them, parses them
// back, and checks the C++ helpers of the dialect's attributes and types.
//
//===----------------------------------------------------------------------===//

#include "txc/Compiler/Registration.h"
#include "txc/Dialect/Tx/TxOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "gtest/gtest.h"

using namespace mlir;
using namespace txc;
using namespace txc::tx;

namespace {

class TxDialectTest : public ::testing::Test {
protected:
  TxDialectTest() {
    DialectRegistry registry;
    registerTxcDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
  }

  RankedTensorType f32(ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, Float32Type::get(&context));
  }

  /// Prints `op` in the custom assembly form.
  static std::string print(Operation *op) {
    std::string text;
    llvm::raw_string_ostream os(text);
    op->print(os);
    return text;
  }

  /// Collects the diagnostics emitted while running `fn`.
  std::string diagnosticsOf(llvm::function_ref<void()> fn) {
    std::string messages;
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
      messages += diag.str();
      messages += "\n";
      return success();
    });
    fn();
    return messages;
  }

  MLIRContext context;
};

/// A module with one function whose arguments are the given types; returns
/// the module and a builder positioned inside the function.
struct FuncFixture {
  OwningOpRef<ModuleOp> module;
  func::FuncOp func;
  OpBuilder builder;

  FuncFixture(MLIRContext *ctx, TypeRange args)
      : module(ModuleOp::create(UnknownLoc::get(ctx))), builder(ctx) {
    builder.setInsertionPointToEnd(module->getBody());
    func = func::FuncOp::create(builder, UnknownLoc::get(ctx), "f",
                                builder.getFunctionType(args, {}));
    builder.setInsertionPointToEnd(func.addEntryBlock());
  }
  Value arg(unsigned i) { return func.getArgument(i); }
  Location loc() { return builder.getUnknownLoc(); }
  void finish() { func::ReturnOp::create(builder, loc()); }
};

TEST_F(TxDialectTest, BuildAttentionVerifyPrintParse) {
  auto q = f32({1, 8, 16, 64}), kv = f32({1, 2, 16, 64});
  FuncFixture f(&context, {q, kv, kv});
  AttentionOptions options;
  options.mask = MaskKind::sliding_window;
  options.window = 4;
  options.sinks = 1;
  auto attn = AttentionOp::create(f.builder, f.loc(), q, f.arg(0), f.arg(1),
                                  f.arg(2), options);
  f.finish();
  ASSERT_TRUE(succeeded(verify(*f.module)));
  EXPECT_EQ(attn.getGroupSize(), 4);
  EXPECT_DOUBLE_EQ(attn.getEffectiveScale(), 0.125);

  std::string text = print(*f.module);
  EXPECT_NE(text.find("tx.attention %arg0, %arg1, %arg2 mask(sliding_window)"),
            std::string::npos)
      << text;

  // The printed form parses back to an identical module.
  OwningOpRef<ModuleOp> reparsed = parseSourceString<ModuleOp>(text, &context);
  ASSERT_TRUE(reparsed);
  EXPECT_EQ(print(*reparsed), text);
}

TEST_F(TxDialectTest, AttentionVerifierRejectsBadGrouping) {
  auto q = f32({1, 6, 16, 64}), kv = f32({1, 4, 16, 64});
  FuncFixture f(&context, {q, kv, kv});
  AttentionOptions options;
  options.mask = MaskKind::causal;
  AttentionOp::create(f.builder, f.loc(), q, f.arg(0), f.arg(1), f.arg(2),
                      options);
  f.finish();
  std::string diags =
      diagnosticsOf([&] { EXPECT_TRUE(failed(verify(*f.module))); });
  EXPECT_NE(diags.find("query heads (6) must be a multiple of KV heads (4)"),
            std::string::npos)
      << diags;
}

TEST_F(TxDialectTest, LayerRegionRoundTrip) {
  auto h = f32({1, 4, 32});
  FuncFixture f(&context, {h});
  auto layer = LayerOp::create(f.builder, f.loc(), TypeRange{h},
                               f.builder.getI64IntegerAttr(3),
                               ValueRange{f.arg(0)});
  Block *body = f.builder.createBlock(&layer.getBody(), {}, {h}, {f.loc()});
  YieldOp::create(f.builder, f.loc(), ValueRange{body->getArgument(0)});
  f.builder.setInsertionPointAfter(layer);
  f.finish();
  ASSERT_TRUE(succeeded(verify(*f.module)));
  EXPECT_EQ(layer.getYield().getValues().size(), 1u);
  OwningOpRef<ModuleOp> reparsed =
      parseSourceString<ModuleOp>(print(*f.module), &context);
  ASSERT_TRUE(reparsed);
  EXPECT_EQ(print(*reparsed), print(*f.module));
}

TEST_F(TxDialectTest, TreeAttrHelpers) {
  auto tree = TreeAttr::get(&context, {-1, 0, 0, 1, 3});
  EXPECT_EQ(tree.size(), 5);
  EXPECT_EQ(tree.depth(0), 0);
  EXPECT_EQ(tree.depth(4), 3);
  EXPECT_TRUE(tree.isAncestorOrSelf(0, 4));
  EXPECT_TRUE(tree.isAncestorOrSelf(1, 4));
  EXPECT_TRUE(tree.isAncestorOrSelf(4, 4));
  EXPECT_FALSE(tree.isAncestorOrSelf(2, 4));
  EXPECT_FALSE(tree.isAncestorOrSelf(4, 1));

  std::string diags = diagnosticsOf([&] {
    EXPECT_FALSE(TreeAttr::getChecked(
        [&] { return emitError(UnknownLoc::get(&context)); }, &context,
        ArrayRef<int64_t>{-1, 2, 0}));
  });
  EXPECT_NE(diags.find("tree node 1 has parent 2"), std::string::npos) << diags;

  // An empty tree cannot be written in the textual syntax (the parameter list
  // needs at least one integer), so its verifier message is tested here.
  diags = diagnosticsOf([&] {
    EXPECT_FALSE(TreeAttr::getChecked(
        [&] { return emitError(UnknownLoc::get(&context)); }, &context,
        ArrayRef<int64_t>{}));
  });
  EXPECT_NE(diags.find("tree must have at least one node"), std::string::npos)
      << diags;
}

TEST_F(TxDialectTest, TreeMaskFoldsToAncestorMatrix) {
  auto tree = TreeAttr::get(&context, {-1, 0, 0, 1});
  auto type = RankedTensorType::get({4, 4}, IntegerType::get(&context, 1));
  FuncFixture f(&context, {});
  auto mask = TreeMaskOp::create(f.builder, f.loc(), type, tree);
  f.finish();
  ASSERT_TRUE(succeeded(verify(*f.module)));
  SmallVector<OpFoldResult> folded;
  ASSERT_TRUE(succeeded(mask->fold(folded)));
  auto attr = dyn_cast<DenseElementsAttr>(cast<Attribute>(folded[0]));
  ASSERT_TRUE(attr);
  // Row i: which nodes node i may attend to (itself and its ancestors).
  bool expected[4][4] = {{1, 0, 0, 0}, {1, 1, 0, 0}, {1, 0, 1, 0}, {1, 1, 0, 1}};
  auto values = attr.getValues<bool>();
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j)
      EXPECT_EQ(values[i * 4 + j], expected[i][j]) << "at " << i << "," << j;
}

TEST_F(TxDialectTest, KVCacheTypeChecksLayout) {
  Type f16 = Float16Type::get(&context);
  auto emit = [&] { return emitError(UnknownLoc::get(&context)); };
  int64_t layers = 2, heads = 4, capacity = 256, headDim = 64, page = 16;
  auto cache = KVCacheType::get(&context, layers, heads, capacity, headDim,
                                f16, KVLayout::paged, page, KVFormatAttr());
  EXPECT_EQ(cache.getLayout(), KVLayout::paged);
  EXPECT_EQ(cache.getBlockSize(), 16);

  // A contiguous cache cannot carry a page size; this is unreachable from the
  // textual syntax, so it is tested here.
  std::string diags = diagnosticsOf([&] {
    EXPECT_FALSE(KVCacheType::getChecked(emit, &context, layers, heads,
                                         capacity, headDim, f16,
                                         KVLayout::contiguous, page,
                                         KVFormatAttr()));
  });
  EXPECT_NE(diags.find("a contiguous kv_cache takes no page size, got 16"),
            std::string::npos)
      << diags;
}

TEST_F(TxDialectTest, QWeightTypeHelpers) {
  Type f16 = Float16Type::get(&context);
  int64_t g64 = 64, g32 = 32;
  auto w = QWeightType::get(&context, {128, 256}, QuantKind::int4, g64, f16,
                            true);
  EXPECT_EQ(w.getBits(), 4u);
  EXPECT_EQ(w.getNumGroups(), 4);
  EXPECT_TRUE(w.isInteger());
  EXPECT_TRUE(w.getCodeType().isInteger(4));
  auto fp4 = QWeightType::get(&context, {128, 256}, QuantKind::fp4_e2m1, g32,
                              f16, false);
  EXPECT_TRUE(isa<Float4E2M1FNType>(fp4.getCodeType()));
  EXPECT_FALSE(fp4.isInteger());
}

TEST_F(TxDialectTest, CanonicalizationFoldsConstantIntoScale) {
  const char *src = R"mlir(
    func.func @f(%q: tensor<1x2x4x16xf32>, %k: tensor<1x2x4x16xf32>,
                 %v: tensor<1x2x4x16xf32>) -> tensor<1x2x4x16xf32> {
      %c = arith.constant dense<2.0> : tensor<1x2x4x16xf32>
      %qs = arith.mulf %q, %c : tensor<1x2x4x16xf32>
      %o = tx.attention %qs, %k, %v mask(causal)
          : tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>
            -> tensor<1x2x4x16xf32>
      return %o : tensor<1x2x4x16xf32>
    })mlir";
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(src, &context);
  ASSERT_TRUE(module);
  RewritePatternSet patterns(&context);
  AttentionOp::getCanonicalizationPatterns(patterns, &context);
  ASSERT_TRUE(succeeded(applyPatternsGreedily(*module, std::move(patterns))));
  AttentionOp attn;
  module->walk([&](AttentionOp op) { attn = op; });
  ASSERT_TRUE(attn);
  // Default scale 1/sqrt(16) times the constant 2.
  EXPECT_DOUBLE_EQ(attn.getEffectiveScale(), 0.5);
  EXPECT_TRUE(isa<BlockArgument>(attn.getQuery()));
}

} // namespace
