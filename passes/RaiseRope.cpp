//===- RaiseRope.cpp - Rotary position embedding patterns to tx.rope ------===//
//
// Raises `x * cos + rotate(x) * sin` on `[B, H, S, D]` tensors to tx.rope.
//
// The rotation is rotate-half, `concat(-x[..., D/2:], x[..., :D/2])` (Llama,
// GPT-NeoX), or the interleaved pair rotation, `flatten(stack(-x[..., 1::2],
// x[..., ::2]))` (GPT-J). `cos` and `sin` are broadcasts of tables whose last
// dimension D repeats each angle twice, as Hugging Face builds them
// (`emb = cat(freqs, freqs)`, or `repeat_interleave(freqs, 2)` for GPT-J):
// the halves (pairs) must be provably equal, numerically for constants,
// structurally for values computed at run time (`cos(concat(f, f))`). The
// tx.rope tables keep one copy:
//
// * constant `[.., S, D]` tables become new `[S, D/2]` (or `[B, S, D/2]`)
//   constants;
// * run-time `[.., S, D]` tables are sliced (`tensor.extract_slice`, stride 2
//   when interleaved) and reshaped to `[S, D/2]` (or `[B, S, D/2]`);
// * tables gathered by position (`tx.embedding(table[P, D], ids)`) become
//   `[P, D/2]` tables with `positions(ids)`.
//
// A second pattern handles partial rotary embeddings (Phi: rotate the first R
// channels, pass the rest through): `concat(tx.rope(x[..., :R]), x[..., R:])`
// becomes `tx.rope(x)` with the same `[.., R/2]` tables.
//
//===----------------------------------------------------------------------===//

#include "RaiseUtils.h"
#include "txc/Dialect/Tx/TxOps.h"
#include "txc/Passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <string>

namespace txc {
#define GEN_PASS_DEF_RAISEROPEPASS
#include "txc/Passes/Passes.h.inc"
} // namespace txc

using namespace mlir;
using namespace txc;
using namespace txc::raise;

namespace {

//===----------------------------------------------------------------------===//
// The rotation
//===----------------------------------------------------------------------===//

/// True when dimension `dim` of `slice` is taken whole (offset 0, stride 1,
/// the source's size, static or as `tensor.dim` of the source).
static bool isWholeDim(tensor::ExtractSliceOp slice, unsigned dim) {
  if (!isConstantIntValue(slice.getMixedOffsets()[dim], 0) ||
      !isConstantIntValue(slice.getMixedStrides()[dim], 1))
    return false;
  OpFoldResult size = slice.getMixedSizes()[dim];
  int64_t sourceSize = slice.getSourceType().getDimSize(dim);
  if (!ShapedType::isDynamic(sourceSize))
    return isConstantIntValue(size, sourceSize);
  auto dimOp = dyn_cast_if_present<Value>(size)
                   ? cast<Value>(size).getDefiningOp<tensor::DimOp>()
                   : tensor::DimOp();
  return dimOp && dimOp.getSource() == slice.getSource() &&
         dimOp.getConstantIndex() == static_cast<int64_t>(dim);
}

/// The source of `v` when `v` is `source[..., offset : offset + size * stride
/// : stride]` along the last dimension (every other dimension whole, no rank
/// reduction); null otherwise.
static Value matchLastDimSlice(Value v, int64_t offset, int64_t size,
                               int64_t stride) {
  auto slice = v.getDefiningOp<tensor::ExtractSliceOp>();
  if (!slice || slice.getSourceType().getRank() != slice.getType().getRank())
    return {};
  unsigned last = slice.getType().getRank() - 1;
  for (unsigned d = 0; d < last; ++d)
    if (!isWholeDim(slice, d))
      return {};
  if (!isConstantIntValue(slice.getMixedOffsets()[last], offset) ||
      !isConstantIntValue(slice.getMixedSizes()[last], size) ||
      !isConstantIntValue(slice.getMixedStrides()[last], stride))
    return {};
  return slice.getSource();
}

/// `x` when `v` is rotate-half, `concat(-x[..., D/2:], x[..., :D/2])` along
/// dimension 3 of `[B, H, S, D]` tensors; null otherwise.
static Value matchRotateHalf(Value v) {
  auto concat = v.getDefiningOp<tensor::ConcatOp>();
  if (!concat || concat.getDim() != 3 || concat.getInputs().size() != 2 ||
      concat.getType().getRank() != 4)
    return {};
  int64_t d = concat.getType().getDimSize(3);
  if (ShapedType::isDynamic(d) || d % 2 != 0)
    return {};
  auto neg = concat.getInputs()[0].getDefiningOp<arith::NegFOp>();
  if (!neg)
    return {};
  Value high = matchLastDimSlice(neg.getOperand(), d / 2, d / 2, 1);
  Value low = matchLastDimSlice(concat.getInputs()[1], 0, d / 2, 1);
  if (!high || !low || !isEquivalent(high, low) || lastDim(low) != d)
    return {};
  return low;
}

/// Looks through `tensor.expand_shape` adding a trailing unit dimension.
static Value stripTrailingUnit(Value v) {
  auto expand = v.getDefiningOp<tensor::ExpandShapeOp>();
  if (!expand || expand.getType().getRank() != 5 ||
      expand.getSrcType().getRank() != 4 || expand.getType().getDimSize(4) != 1)
    return {};
  return expand.getSrc();
}

/// `x` when `v` is the interleaved pair rotation of `[B, H, S, D]` tensors:
/// `collapse(concat(unsqueeze(-x[..., 1::2]), unsqueeze(x[..., ::2])))`, the
/// negation before or after the unsqueeze; null otherwise.
static Value matchRotatePairs(Value v) {
  auto collapse = v.getDefiningOp<tensor::CollapseShapeOp>();
  if (!collapse || collapse.getType().getRank() != 4 ||
      collapse.getSrcType().getRank() != 5 ||
      collapse.getReassociationIndices().back() != ReassociationIndices{3, 4})
    return {};
  int64_t d = collapse.getType().getDimSize(3);
  auto concat = collapse.getSrc().getDefiningOp<tensor::ConcatOp>();
  if (ShapedType::isDynamic(d) || d % 2 != 0 || !concat ||
      concat.getDim() != 4 || concat.getInputs().size() != 2)
    return {};
  // The first stacked value is -x_odd: negate, then unsqueeze, or the reverse.
  Value first = concat.getInputs()[0], odd;
  if (auto neg = first.getDefiningOp<arith::NegFOp>())
    odd = stripTrailingUnit(neg.getOperand());
  else if (Value inner = stripTrailingUnit(first))
    if (auto neg = inner.getDefiningOp<arith::NegFOp>())
      odd = neg.getOperand();
  Value even = stripTrailingUnit(concat.getInputs()[1]);
  if (!odd || !even)
    return {};
  Value x1 = matchLastDimSlice(odd, 1, d / 2, 2);
  Value x0 = matchLastDimSlice(even, 0, d / 2, 2);
  if (!x0 || !x1 || !isEquivalent(x0, x1) || lastDim(x0) != d)
    return {};
  return x0;
}

//===----------------------------------------------------------------------===//
// The tables
//===----------------------------------------------------------------------===//

/// Whether the last dimension of `v` holds every value twice: its two halves
/// are equal (`interleaved`: elements 2i and 2i+1 are equal). Decided from
/// the elements of a constant, and from the ops computing any other value.
static bool hasDuplicatedLastDim(Value v, bool interleaved, int depth = 16) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!type || type.getRank() == 0 || depth == 0)
    return false;
  int64_t d = type.getShape().back();
  if (ShapedType::isDynamic(d) || d % 2 != 0)
    return false;
  DenseElementsAttr attr;
  if (matchPattern(v, m_Constant(&attr))) {
    if (attr.isSplat())
      return true;
    auto values = llvm::to_vector(attr.getValues<APFloat>());
    for (size_t row = 0; row < values.size(); row += d)
      for (int64_t j = 0; j < d / 2; ++j) {
        size_t a = interleaved ? row + 2 * j : row + j;
        size_t b = interleaved ? a + 1 : a + d / 2;
        if (!values[a].bitwiseIsEqual(values[b]))
          return false;
      }
    return true;
  }
  Operation *def = v.getDefiningOp();
  if (!def)
    return false;
  auto recurse = [&](Value operand) {
    return hasDuplicatedLastDim(operand, interleaved, depth - 1);
  };
  int64_t last = type.getRank() - 1;
  if (isSameShapeElementwise(def))
    return llvm::all_of(def->getOperands(), recurse);
  if (auto broadcast = dyn_cast<linalg::BroadcastOp>(def))
    return llvm::is_contained(broadcast.getDimensions(), last) ||
           recurse(broadcast.getInput());
  if (auto transpose = dyn_cast<linalg::TransposeOp>(def))
    return transpose.getPermutation().back() == last &&
           recurse(transpose.getInput());
  if (auto slice = dyn_cast<tensor::ExtractSliceOp>(def))
    return slice.getSourceType().getRank() == type.getRank() &&
           isWholeDim(slice, last) && recurse(slice.getSource());
  if (auto embedding = dyn_cast<tx::EmbeddingOp>(def))
    return recurse(embedding.getTable());
  if (auto expand = dyn_cast<tensor::ExpandShapeOp>(def))
    return expand.getReassociationIndices().back().size() == 1 &&
           recurse(expand.getSrc());
  if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(def)) {
    ReassociationIndices group = collapse.getReassociationIndices().back();
    if (group.size() == 1)
      return recurse(collapse.getSrc());
    // Interleaved duplication: [.., D/2, 2] -> [.., D] where the pair
    // dimension is a broadcast or a concatenation of equal values.
    if (!interleaved || group.size() != 2 ||
        collapse.getSrcType().getDimSize(group[1]) != 2)
      return false;
    Value pairs = collapse.getSrc();
    if (auto concat = pairs.getDefiningOp<tensor::ConcatOp>())
      return concat.getDim() == static_cast<uint64_t>(group[1]) &&
             concat.getInputs().size() == 2 &&
             isEquivalent(concat.getInputs()[0], concat.getInputs()[1]);
    if (auto broadcast = pairs.getDefiningOp<linalg::BroadcastOp>())
      return llvm::is_contained(broadcast.getDimensions(), group[1]);
    return false;
  }
  if (auto concat = dyn_cast<tensor::ConcatOp>(def))
    return !interleaved && concat.getDim() == static_cast<uint64_t>(last) &&
           concat.getInputs().size() == 2 &&
           isEquivalent(concat.getInputs()[0], concat.getInputs()[1]);
  return false;
}

/// One copy of each value of the last dimension of `v` (`[.., D]`, holding
/// every value twice), reshaped to `type` (`[.., D/2]`, the same non-unit
/// dimensions otherwise): a new constant when `v` is one, a slice otherwise.
static Value buildTable(PatternRewriter &rewriter, Location loc, Value v,
                        RankedTensorType type, bool interleaved) {
  auto sourceType = cast<RankedTensorType>(v.getType());
  int64_t d = sourceType.getShape().back();
  DenseElementsAttr attr;
  if (matchPattern(v, m_Constant(&attr))) {
    if (attr.isSplat())
      return arith::ConstantOp::create(
          rewriter, loc,
          DenseElementsAttr::get(type, attr.getSplatValue<Attribute>()));
    auto values = llvm::to_vector(attr.getValues<APFloat>());
    SmallVector<APFloat> table;
    table.reserve(values.size() / 2);
    for (size_t row = 0; row < values.size(); row += d)
      for (int64_t j = 0; j < d / 2; ++j)
        table.push_back(values[row + (interleaved ? 2 * j : j)]);
    return arith::ConstantOp::create(rewriter, loc,
                                     DenseElementsAttr::get(type, table));
  }
  int64_t rank = sourceType.getRank();
  SmallVector<OpFoldResult> offsets(rank, rewriter.getIndexAttr(0));
  SmallVector<OpFoldResult> strides(rank, rewriter.getIndexAttr(1));
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(rewriter, loc, v);
  sizes.back() = rewriter.getIndexAttr(d / 2);
  if (interleaved)
    strides.back() = rewriter.getIndexAttr(2);
  Value half =
      tensor::ExtractSliceOp::create(rewriter, loc, v, offsets, sizes, strides);
  return reshapeUnitDims(rewriter, loc, half, type);
}

/// How a table broadcast to `[B, H, S, D]` is laid out.
struct TableLayout {
  /// The value holding the table (`[.., D]`), or the gathered table
  /// (`[P, D]`) when `ids` is set.
  Value table;
  /// Position ids gathering the table's rows (tx.embedding), if any.
  Value ids;
  /// Whether the table varies along the batch.
  bool batched = false;
  /// The table's batch and sequence sizes (1 where it does not vary).
  int64_t batchSize = 1, seqSize = 1;

  bool operator==(const TableLayout &other) const {
    return static_cast<bool>(ids) == static_cast<bool>(other.ids) &&
           batched == other.batched;
  }
};

/// A matched rotary embedding, before its tables are built.
struct RopeMatch {
  Value input;
  TableLayout cos, sin;
  bool interleaved = false;
};

/// Matches `x * cos + rotate(x) * sin`. When `whyNot` is given and the op
/// has that form but cannot be raised, sets it to the reason.
class RopeMatcher {
public:
  explicit RopeMatcher(std::string *whyNot = nullptr) : whyNot(whyNot) {}

  FailureOr<RopeMatch> match(arith::AddFOp add) {
    auto type = dyn_cast<RankedTensorType>(add.getType());
    if (!type || type.getRank() != 4 || !isSameShapeElementwise(add))
      return failure();
    for (unsigned i = 0; i < 2; ++i) {
      auto cosMul = add->getOperand(i).getDefiningOp<arith::MulFOp>();
      auto sinMul = add->getOperand(1 - i).getDefiningOp<arith::MulFOp>();
      if (!cosMul || !sinMul)
        continue;
      for (unsigned j = 0; j < 2; ++j) {
        for (bool interleaved : {false, true}) {
          Value rotated = sinMul->getOperand(j);
          Value x = interleaved ? matchRotatePairs(rotated)
                                : matchRotateHalf(rotated);
          if (!x || x.getType() != type)
            continue;
          Value cos;
          if (isEquivalent(cosMul.getLhs(), x))
            cos = cosMul.getRhs();
          else if (isEquivalent(cosMul.getRhs(), x))
            cos = cosMul.getLhs();
          if (!cos)
            continue;
          return matchTables(x, cos, sinMul->getOperand(1 - j), interleaved);
        }
      }
    }
    return failure();
  }

private:
  LogicalResult fail(const Twine &reason) {
    if (whyNot)
      *whyNot = reason.str();
    return failure();
  }

  FailureOr<RopeMatch> matchTables(Value x, Value cos, Value sin,
                                   bool interleaved) {
    RopeMatch match;
    match.input = x;
    match.interleaved = interleaved;
    auto type = cast<RankedTensorType>(x.getType());
    FailureOr<TableLayout> cosLayout = getLayout(cos, type, "cos");
    if (failed(cosLayout))
      return failure();
    FailureOr<TableLayout> sinLayout = getLayout(sin, type, "sin");
    if (failed(sinLayout))
      return failure();
    if (!(*cosLayout == *sinLayout))
      return fail("cos and sin are laid out differently");
    if (cosLayout->ids && !isEquivalent(cosLayout->ids, sinLayout->ids))
      return fail("cos and sin are gathered by different positions");
    for (auto [name, layout] :
         {std::pair<StringRef, TableLayout &>{"cos", *cosLayout},
          {"sin", *sinLayout}})
      if (!hasDuplicatedLastDim(layout.table, interleaved))
        return fail(Twine("the ") + (interleaved ? "pairs" : "halves") +
                    " of " + name + " are not known to be equal");
    match.cos = *cosLayout;
    match.sin = *sinLayout;
    return match;
  }

  /// Where the table broadcast to `b` comes from, for input type `type`.
  FailureOr<TableLayout> getLayout(Value b, RankedTensorType type,
                                   StringRef name) {
    Traced t = traceBroadcast(b);
    TableLayout layout;
    int64_t d = type.getDimSize(3);
    if (t.rank() == 0 || t.dims.back() != 3 || t.size(t.rank() - 1) != d)
      return fail(name + " does not span head_dim in its last dimension");
    // The non-unit dimensions before the last, as root dimensions.
    SmallVector<int64_t> rows = t.nonUnitRootDims();
    rows.pop_back();
    if (auto embedding = t.value.getDefiningOp<tx::EmbeddingOp>()) {
      layout.table = embedding.getTable();
      layout.ids = embedding.getIds();
    } else {
      layout.table = t.value;
    }
    if (llvm::any_of(rows, [](int64_t dim) { return dim != 0 && dim != 2; }) ||
        !llvm::is_sorted(rows) || llvm::adjacent_find(rows) != rows.end())
      return fail(name + " varies along a dimension other than batch and "
                         "sequence");
    layout.batched = llvm::is_contained(rows, 0);
    for (int64_t i = 0, e = t.rank() - 1; i < e; ++i) {
      if (t.size(i) == 1)
        continue;
      (t.dims[i] == 0 ? layout.batchSize : layout.seqSize) = t.size(i);
    }
    if (!llvm::is_contained(rows, 2) && type.getDimSize(2) != 1)
      return fail(name + " does not vary along the sequence");
    if (layout.ids && layout.batched &&
        cast<RankedTensorType>(layout.ids.getType()).getRank() != 2)
      return fail(name + " is gathered by positions that are not [B, S]");
    return layout;
  }

  std::string *whyNot;
};

/// Builds the tx.rope table for `layout`, given input type `type`.
static Value buildLayoutTable(PatternRewriter &rewriter, Location loc,
                              const TableLayout &layout, RankedTensorType type,
                              bool interleaved) {
  auto tableType = cast<RankedTensorType>(layout.table.getType());
  int64_t half = type.getDimSize(3) / 2;
  SmallVector<int64_t> shape;
  if (layout.ids) {
    shape = {tableType.getDimSize(0), half};
  } else {
    if (layout.batched)
      shape.push_back(layout.batchSize);
    shape.append({layout.seqSize, half});
  }
  return buildTable(rewriter, loc, layout.table,
                    RankedTensorType::get(shape, type.getElementType()),
                    interleaved);
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

/// `x * cos + rotate(x) * sin` -> `tx.rope(x, cos', sin')`.
struct RaiseRotaryEmbedding : OpRewritePattern<arith::AddFOp> {
  RaiseRotaryEmbedding(MLIRContext *context, Pass::Statistic &ropes)
      : OpRewritePattern(context), ropes(ropes) {}

  LogicalResult matchAndRewrite(arith::AddFOp op,
                                PatternRewriter &rewriter) const override {
    FailureOr<RopeMatch> match = RopeMatcher().match(op);
    if (failed(match))
      return rewriter.notifyMatchFailure(op, "not a rotary embedding");
    auto type = cast<RankedTensorType>(op.getType());
    Location loc = op.getLoc();
    Value positions;
    if (Value ids = match->cos.ids) {
      // [B, S] ids stay as they are when the tables vary along the batch;
      // otherwise they are [S].
      auto idsType = cast<RankedTensorType>(ids.getType());
      positions = ids;
      if (!match->cos.batched)
        positions =
            reshapeUnitDims(rewriter, loc, ids,
                            RankedTensorType::get({match->cos.seqSize},
                                                  idsType.getElementType()));
      if (!positions)
        return rewriter.notifyMatchFailure(op, "cannot reshape the positions");
    }
    Value cos =
        buildLayoutTable(rewriter, loc, match->cos, type, match->interleaved);
    Value sin =
        buildLayoutTable(rewriter, loc, match->sin, type, match->interleaved);
    if (!cos || !sin)
      return rewriter.notifyMatchFailure(op, "cannot reshape the tables");
    rewriter.replaceOpWithNewOp<tx::RopeOp>(
        op, type, match->input, cos, sin, positions,
        match->interleaved ? rewriter.getUnitAttr() : UnitAttr());
    ++ropes;
    return success();
  }

  Pass::Statistic &ropes;
};

/// Partial rotary embedding:
/// `concat(tx.rope(x[..., :R]), x[..., R:])` -> `tx.rope(x)`.
struct MergePartialRotary : OpRewritePattern<tensor::ConcatOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tensor::ConcatOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getDim() != 3 || op.getInputs().size() != 2 ||
        op.getType().getRank() != 4)
      return failure();
    auto rope = op.getInputs()[0].getDefiningOp<tx::RopeOp>();
    if (!rope || !rope->hasOneUse())
      return failure();
    int64_t d = op.getType().getDimSize(3);
    int64_t r = rope.getType().getDimSize(3);
    if (ShapedType::isDynamic(d) || ShapedType::isDynamic(r) ||
        rope.getRotaryDim() != r)
      return failure();
    Value rotated = matchLastDimSlice(rope.getInput(), 0, r, 1);
    Value passed = matchLastDimSlice(op.getInputs()[1], r, d - r, 1);
    if (!rotated || !passed || !isEquivalent(rotated, passed) ||
        rotated.getType() != op.getType())
      return rewriter.notifyMatchFailure(op, "not a partial rotary embedding");
    rewriter.replaceOpWithNewOp<tx::RopeOp>(
        op, op.getType(), rotated, rope.getCos(), rope.getSin(),
        rope.getPositions(), rope.getInterleavedAttr());
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

struct RaiseRopePass : public txc::impl::RaiseRopePassBase<RaiseRopePass> {
  using RaiseRopePassBase::RaiseRopePassBase;

  void runOnOperation() override {
    MLIRContext *context = &getContext();
    RewritePatternSet patterns(context);
    patterns.add<RaiseRotaryEmbedding>(context, numRopes);
    patterns.add<MergePartialRotary>(context);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();

    // Explain the rotary embeddings that stay decomposed.
    getOperation()->walk([](arith::AddFOp op) {
      std::string whyNot;
      if (failed(RopeMatcher(&whyNot).match(op)) && !whyNot.empty())
        op.emitRemark() << "rotary embedding not raised: " << whyNot;
    });
  }
};

} // namespace
