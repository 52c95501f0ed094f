//===- ApproximateMath.cpp - math functions as vectorizable arithmetic ----===//
//
// tx-approximate-math: MLIR's polynomial approximations for the math
// functions LLVM would call libm for, so that loops using them vectorize.
//
//===----------------------------------------------------------------------===//

#include "txc/Codegen/Passes.h"

#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace txc {
#define GEN_PASS_DEF_APPROXIMATEMATHPASS
#include "txc/Codegen/Passes.h.inc"
} // namespace txc

using namespace mlir;

namespace {

/// Functions with a polynomial approximation (upstream names them without
/// the dialect prefix).
bool isApproximated(StringRef name) {
  name.consume_front("math.");
  return llvm::is_contained({"exp", "expm1", "log", "log1p", "log2", "tanh",
                             "erf", "erfc", "sin", "cos", "atan", "atan2",
                             "asin", "acos", "cbrt"},
                            name);
}

/// Functions expanded into others (which are then approximated or lowered
/// to LLVM intrinsics). `powf` is left to algebraic simplification (small
/// constant exponents) and libm: its expansion through exp(y * log(x))
/// mishandles negative bases.
constexpr StringRef kExpanded[] = {"tan",   "sinh",  "cosh", "asinh",
                                   "acosh", "atanh", "exp2", "fpowi"};

struct ApproximateMathPass
    : public txc::impl::ApproximateMathPassBase<ApproximateMathPass> {
  using ApproximateMathPassBase::ApproximateMathPassBase;

  void runOnOperation() override {
    // Only math ops and what their rewrites create, not a whole-module
    // greedy rewrite.
    SmallVector<Operation *> ops;
    getOperation()->walk([&](Operation *op) {
      if (isa_and_nonnull<math::MathDialect>(op->getDialect()))
        ops.push_back(op);
    });
    if (ops.empty())
      return;
    RewritePatternSet patterns(&getContext());
    populateMathAlgebraicSimplificationPatterns(patterns);
    populateMathF32ExpansionPatterns(patterns, isApproximated);
    // Approximations win over expansions (tanh has both).
    populateMathPolynomialApproximationPatterns(patterns, isApproximated,
                                                /*benefit=*/2);
    math::populateExpansionPatterns(patterns, kExpanded);
    GreedyRewriteConfig config;
    config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
    config.enableFolding(false);
    // Not converging within the iteration limit leaves valid IR (some
    // functions still libm calls), so the result is not checked.
    (void)applyOpPatternsGreedily(ops, std::move(patterns), config);
  }
};

} // namespace
