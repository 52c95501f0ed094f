//===- RaiseLayers.cpp - group transformer blocks into tx.layer -----------===//
//
// For every tx.attention at function level, finds the block's residual input
// (the value its query projection reads, or the input of the norm in front of
// it) and its residual output (the next block's residual input, or the end
// of the residual-add chain for the last block), and moves every op that
// depends on the input but not on the output into a tx.layer region.
//
//===----------------------------------------------------------------------===//

#include "RaiseUtils.h"
#include "txc/Dialect/Tx/TxOps.h"
#include "txc/Passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"

namespace txc {
#define GEN_PASS_DEF_RAISELAYERSPASS
#include "txc/Passes/Passes.h.inc"
} // namespace txc

using namespace mlir;
using namespace txc;
using namespace txc::tx;

namespace {

bool isNorm(Operation *op) { return isa_and_nonnull<RMSNormOp, LayerNormOp>(op); }

/// Follows the query of an attention back to the input of its projection:
/// the nearest tx.linear / tx.qlinear among the ops the query is computed
/// from (breadth-first, so rope, reshapes and scaling in between are crossed
/// whether or not they were raised).
Value projectionInput(AttentionOp attention) {
  SmallVector<Value> frontier = {attention.getQuery()};
  llvm::DenseSet<Operation *> seen;
  for (int depth = 0; depth < 64 && !frontier.empty(); ++depth) {
    SmallVector<Value> next;
    for (Value v : frontier) {
      Operation *def = v.getDefiningOp();
      if (!def || !seen.insert(def).second)
        continue;
      if (isa<LinearOp, QLinearOp>(def))
        return def->getOperand(0);
      for (Value operand : def->getOperands())
        next.push_back(operand);
    }
    frontier = std::move(next);
  }
  return {};
}

/// Ops of `block` (top level) that depend on `root`, directly or through
/// values used inside their regions.
llvm::DenseSet<Operation *> dependents(Block &block, Value root) {
  llvm::DenseSet<Value> tainted;
  llvm::DenseSet<Operation *> result;
  tainted.insert(root);
  for (Operation &op : block) {
    bool depends = false;
    op.walk([&](Operation *inner) {
      for (Value operand : inner->getOperands())
        if (tainted.contains(operand)) {
          depends = true;
          return WalkResult::interrupt();
        }
      return WalkResult::advance();
    });
    if (!depends)
      continue;
    result.insert(&op);
    for (Value r : op.getResults())
      tainted.insert(r);
  }
  return result;
}

/// Emits "layer N not formed: why" on the layer's attention; returns failure.
FailureOr<LayerOp> remark(AttentionOp anchor, int64_t index, StringRef why) {
  anchor.emitRemark() << "tx-raise-layers: layer " << index
                      << " not formed: " << why;
  return failure();
}

struct RaiseLayersPass : public txc::impl::RaiseLayersPassBase<RaiseLayersPass> {
  using RaiseLayersPassBase::RaiseLayersPassBase;

  void runOnOperation() override {
    getOperation()->walk([&](FunctionOpInterface func) {
      if (func.isExternal())
        return;
      processBlock(func.getFunctionBody().front());
    });
  }

  /// The residual stream at the end of the last block: follow residual adds
  /// (and, for post-norm models, the norm after each add).
  Value lastOutput(Block &block, Value input, bool postNorm) {
    llvm::DenseSet<Operation *> deps = dependents(block, input);
    Value cur = input;
    for (int step = 0; step < 16; ++step) {
      arith::AddFOp next;
      for (Operation *user : cur.getUsers()) {
        auto add = dyn_cast<arith::AddFOp>(user);
        if (!add || add->getBlock() != &block)
          continue;
        Value other = raise::otherOperand(add, cur);
        Operation *otherDef = other ? other.getDefiningOp() : nullptr;
        if (otherDef && deps.contains(otherDef) &&
            (!next || add->isBeforeInBlock(next)))
          next = add;
      }
      if (!next)
        break;
      cur = next.getResult();
      if (postNorm && cur.hasOneUse() && isNorm(*cur.getUsers().begin()))
        cur = cur.getUsers().begin()->getResult(0);
    }
    return cur == input ? Value() : cur;
  }

  void processBlock(Block &block) {
    SmallVector<AttentionOp> attentions;
    for (Operation &op : block)
      if (auto a = dyn_cast<AttentionOp>(op))
        attentions.push_back(a);
    if (attentions.empty())
      return;

    // Residual input of each block.
    SmallVector<Value> inputs;
    for (AttentionOp a : attentions) {
      Value p = projectionInput(a);
      if (!p) {
        a.emitRemark() << "tx-raise-layers: not grouped into layers: cannot "
                          "follow the query back to its projection";
        return;
      }
      // Reshapes between the stream and the projection (GPT-2's Conv1D
      // flattens [B, S, D] to [B*S, D]; with S = 1 it is a collapse).
      while (Operation *shape = p.getDefiningOp()) {
        if (auto c = dyn_cast<tensor::CollapseShapeOp>(shape))
          p = c.getSrc();
        else if (auto e = dyn_cast<tensor::ExpandShapeOp>(shape))
          p = e.getSrc();
        else
          break;
      }
      Operation *def = p.getDefiningOp();
      // Pre-norm: the norm's input is the residual stream when something
      // else (the residual add) also reads it.
      if (isNorm(def) && !def->getOperand(0).hasOneUse())
        p = def->getOperand(0);
      inputs.push_back(p);
    }
    for (size_t i = 1; i < inputs.size(); ++i)
      if (inputs[i] == inputs[i - 1]) {
        attentions[i].emitRemark()
            << "tx-raise-layers: not grouped into layers: two attention ops "
               "read the same residual stream";
        return;
      }
    bool postNorm = inputs.size() >= 2 ? isNorm(inputs[1].getDefiningOp())
                                       : !isNorm(projectionInput(
                                             attentions[0])
                                                    .getDefiningOp());
    SmallVector<Value> outputs(inputs.begin() + 1, inputs.end());
    Value last = lastOutput(block, inputs.back(), postNorm);
    if (!last) {
      attentions.back().emitRemark()
          << "tx-raise-layers: not grouped into layers: no residual add "
             "after the last attention";
      return;
    }
    outputs.push_back(last);

    for (size_t l = 0; l < inputs.size(); ++l) {
      FailureOr<LayerOp> layer =
          formLayer(block, inputs[l], outputs[l], l, attentions[l]);
      if (failed(layer))
        return;
      // The next block reads this layer's result now.
      if (l + 1 < inputs.size())
        inputs[l + 1] = layer->getResult(0);
    }
  }

  FailureOr<LayerOp> formLayer(Block &block, Value input, Value output,
                               int64_t index, AttentionOp anchor) {
    llvm::DenseSet<Operation *> fromInput = dependents(block, input);
    llvm::DenseSet<Operation *> fromOutput = dependents(block, output);
    Operation *outDef = output.getDefiningOp();
    if (!outDef || !fromInput.contains(outDef))
      return remark(anchor, index, "its output does not depend on its input");
    SmallVector<Operation *> body;
    for (Operation &op : block)
      if (fromInput.contains(&op) && !fromOutput.contains(&op))
        body.push_back(&op);
    llvm::SmallPtrSet<Operation *, 32> inBody(body.begin(), body.end());

    // Checks before anything moves: no terminator inside, every value the
    // body reads from outside is defined before the layer (placed at the
    // output's definition), and every outside user comes after it.
    SetVector<Value> escaping;
    for (Operation *op : body) {
      if (op->hasTrait<OpTrait::IsTerminator>())
        return remark(anchor, index, "it would swallow the function's "
                                     "terminator");
      WalkResult walk = op->walk([&](Operation *inner) {
        for (Value operand : inner->getOperands()) {
          Operation *def = operand.getDefiningOp();
          if (!def) {
            if (operand.getParentBlock() == &block || operand == input)
              continue;
            continue;
          }
          Operation *top = block.findAncestorOpInBlock(*def);
          if (top && !inBody.contains(top) && top != outDef &&
              !top->isBeforeInBlock(outDef))
            return WalkResult::interrupt();
        }
        return WalkResult::advance();
      });
      if (walk.wasInterrupted())
        return remark(anchor, index, "it reads a value defined after its "
                                     "output");
      for (Value r : op->getResults())
        for (OpOperand &use : r.getUses()) {
          Operation *top = block.findAncestorOpInBlock(*use.getOwner());
          if (top && inBody.contains(top))
            continue;
          if (top && top != outDef && top->isBeforeInBlock(outDef))
            return remark(anchor, index, "a value it computes is used before "
                                         "its output");
          escaping.insert(r);
        }
    }
    // The residual output first, then anything else used outside.
    SmallVector<Value> results = {output};
    for (Value v : escaping)
      if (v != output)
        results.push_back(v);

    OpBuilder builder(outDef->getContext());
    builder.setInsertionPointAfter(outDef);
    SmallVector<Type> resultTypes;
    for (Value v : results)
      resultTypes.push_back(v.getType());
    auto layer = LayerOp::create(builder, anchor.getLoc(), resultTypes,
                                 builder.getI64IntegerAttr(index),
                                 ValueRange{input});
    Block *inner = builder.createBlock(&layer.getBody(), {}, {input.getType()},
                                       {input.getLoc()});
    for (Operation *op : body)
      op->moveBefore(inner, inner->end());
    builder.setInsertionPointToEnd(inner);
    YieldOp::create(builder, anchor.getLoc(), results);
    input.replaceUsesWithIf(inner->getArgument(0), [&](OpOperand &use) {
      return layer->isProperAncestor(use.getOwner());
    });
    for (auto [v, r] : llvm::zip(results, layer.getResults()))
      v.replaceUsesWithIf(r, [&](OpOperand &use) {
        return !layer->isProperAncestor(use.getOwner());
      });
    ++numLayers;
    return layer;
  }
};

} // namespace
