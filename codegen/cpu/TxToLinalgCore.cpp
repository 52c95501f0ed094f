//===- TxToLinalgCore.cpp - layers, linear, embedding, tree masks ---------===//
//
// Lowering of the core tx ops:
//  * tx.layer: the region is inlined, block arguments replaced by the
//    layer's operands and the results by the values of tx.yield;
//  * tx.linear: linalg.matmul with transposed-B maps over the collapsed
//    leading dimensions, accumulating into the broadcast bias;
//  * tx.embedding: a linalg.generic gathering table rows with tensor.extract;
//  * tx.tree_mask: the constant ancestor matrix its folder computes.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "txc/Dialect/Tx/TxOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace txc;

namespace {

/// Inlines the body of a tx.layer into the enclosing block.
struct InlineLayer : public OpRewritePattern<tx::LayerOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tx::LayerOp op,
                                PatternRewriter &rewriter) const override {
    tx::YieldOp yield = op.getYield();
    rewriter.inlineBlockBefore(&op.getBody().front(), op, op.getInputs());
    // Read the yielded values only now: block arguments among them have just
    // been replaced by the layer's operands.
    SmallVector<Value> results(yield.getValues());
    rewriter.eraseOp(yield);
    rewriter.replaceOp(op, results);
    return success();
  }
};

/// tx.linear -> linalg.matmul (see buildLinear).
struct LowerLinear : public OpRewritePattern<tx::LinearOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tx::LinearOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, cpu::buildLinear(rewriter, op.getLoc(),
                                            op.getInput(), op.getWeight(),
                                            op.getBias(), op.getType()));
    return success();
  }
};

/// tx.embedding -> a row gather (see gatherRows).
struct LowerEmbedding : public OpRewritePattern<tx::EmbeddingOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tx::EmbeddingOp op,
                                PatternRewriter &rewriter) const override {
    // Quantized tables: populateQuantLoweringPatterns.
    if (!isa<RankedTensorType>(op.getTable().getType()))
      return failure();
    rewriter.replaceOp(
        op, cpu::gatherRows(rewriter, op.getLoc(), op.getTable(), op.getIds()));
    return success();
  }
};

/// tx.tree_mask -> arith.constant of the mask its folder computes. (The
/// greedy driver usually folds the op first; the pattern keeps the lowering
/// independent of that.)
struct LowerTreeMask : public OpRewritePattern<tx::TreeMaskOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tx::TreeMaskOp op,
                                PatternRewriter &rewriter) const override {
    SmallVector<OpFoldResult, 1> folded;
    if (failed(op->fold(folded)) || folded.size() != 1)
      return rewriter.notifyMatchFailure(op, "the tree mask did not fold");
    auto mask = dyn_cast_if_present<TypedAttr>(dyn_cast<Attribute>(folded[0]));
    if (!mask)
      return rewriter.notifyMatchFailure(op, "the tree mask is not constant");
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, mask);
    return success();
  }
};

} // namespace

void txc::cpu::populateCoreLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<InlineLayer, LowerLinear, LowerEmbedding, LowerTreeMask>(
      patterns.getContext());
}
