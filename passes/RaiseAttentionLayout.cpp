//===- RaiseAttentionLayout.cpp - operand layout normalization ------------===//
//
// Rewrites the ops computing the operands of rank-4 contractions so that
// the GQA repetition's reshapes become adjacent and compose, before the
// matcher reads the operands (see normalizeOperandLayouts).
//
//===----------------------------------------------------------------------===//

#include "RaiseAttention.h"
#include "RaiseUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;
using namespace txc;
using namespace txc::raise;
using namespace txc::raise::attention;

//===----------------------------------------------------------------------===//
//===----------------------------------------------------------------------===//
//
// torch's SDPA decomposition multiplies in 3-D: K [B, Hkv, n_rep, S, D] (the
// GQA repetition, not yet collapsed) is reshaped to [B*H, S, D], transposed to
// [B*H, D, S] and reshaped to [B, H, D, S]. Moving the transpose above the
// reshapes lets them compose into the repetition's collapse, giving the form
// the matcher reads: collapse([[0], [1, 2], ...], transpose(broadcast(K))).

namespace {
/// expand_shape(transpose(collapse_shape(x))) ->
/// expand_shape(collapse_shape(transpose(x))): the reassociation groups move
/// as units, and the reshapes, now adjacent, compose.
struct TransposeOfCollapse : OpRewritePattern<linalg::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::TransposeOp op,
                                PatternRewriter &rewriter) const override {
    auto collapse = op.getInput().getDefiningOp<tensor::CollapseShapeOp>();
    if (!collapse || !op->hasOneUse() ||
        !isa<tensor::ExpandShapeOp>(*op->user_begin()))
      return failure();
    SmallVector<ReassociationIndices> groups =
        collapse.getReassociationIndices();
    ArrayRef<int64_t> perm = op.getPermutation();
    SmallVector<int64_t> lifted;
    SmallVector<ReassociationIndices> newGroups;
    for (int64_t p : perm) {
      ReassociationIndices group;
      for (int64_t d : groups[p]) {
        group.push_back(lifted.size());
        lifted.push_back(d);
      }
      newGroups.push_back(group);
    }
    Location loc = op.getLoc();
    Value src = collapse.getSrc();
    SmallVector<OpFoldResult> srcSizes =
        tensor::getMixedSizes(rewriter, loc, src);
    SmallVector<OpFoldResult> sizes;
    for (int64_t d : lifted)
      sizes.push_back(srcSizes[d]);
    Value init = tensor::EmptyOp::create(rewriter, loc, sizes,
                                         getElementTypeOrSelf(src));
    Value transposed =
        linalg::TransposeOp::create(rewriter, loc, src, init, lifted)
            ->getResult(0);
    rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(
        op, op->getResult(0).getType(), transposed, newGroups);
    return success();
  }
};

} // namespace

/// Applies the layout normalizations to the ops that compute the operands
/// of rank-4 contractions (transposes, reshapes, broadcasts and scalings).
void attention::normalizeOperandLayouts(Operation *root) {
  SmallVector<Operation *> ops;
  llvm::DenseSet<Operation *> seen;
  root->walk([&](linalg::ContractOp contract) {
    auto type = dyn_cast<RankedTensorType>(contract->getResult(0).getType());
    if (!type || type.getRank() != 4)
      return;
    SmallVector<std::pair<Value, int>> stack;
    for (Value in : contract.getInputs())
      stack.push_back({in, 0});
    while (!stack.empty()) {
      auto [v, depth] = stack.pop_back_val();
      Operation *def = v.getDefiningOp();
      if (!def || depth > kMaxChain ||
          !isa<linalg::TransposeOp, linalg::BroadcastOp, tensor::ExpandShapeOp,
               tensor::CollapseShapeOp, arith::MulFOp, arith::DivFOp>(def))
        continue;
      if (seen.insert(def).second)
        ops.push_back(def);
      // The data operands (not the inits of destination-style ops).
      auto dps = dyn_cast<DestinationStyleOpInterface>(def);
      for (OpOperand &operand : def->getOpOperands())
        if (!dps || !dps.isDpsInit(&operand))
          stack.push_back({operand.get(), depth + 1});
    }
  });
  if (ops.empty())
    return;
  MLIRContext *ctx = root->getContext();
  RewritePatternSet patterns(ctx);
  patterns.add<TransposeOfCollapse>(ctx);
  tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, ctx);
  tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, ctx);
  GreedyRewriteConfig config;
  config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
  (void)applyOpPatternsGreedily(ops, std::move(patterns), config);
}
