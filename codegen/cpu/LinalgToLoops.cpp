//===- LinalgToLoops.cpp - linalg on buffers to vectorized loops ----------===//
//
// tx-linalg-to-loops: each linalg op on static memrefs becomes a loop nest
// whose innermost loop works on vectors (trailing reductions accumulate in
// registers, loads and payload ops sit in the outermost loop where their
// operands are defined) with, for nests with enough work, a linearized
// scf.parallel over the leading parallel dimensions.
//
//===----------------------------------------------------------------------===//

#include "txc/Codegen/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace txc {
#define GEN_PASS_DEF_LINALGTOLOOPSPASS
#include "txc/Codegen/Passes.h.inc"
} // namespace txc

using namespace mlir;

namespace {

/// The memref a view is taken of, through any chain of views.
Value rootOf(Value v) {
  while (auto view = v.getDefiningOp<ViewLikeOpInterface>())
    v = view.getViewSource();
  return v;
}

/// Adds `flags` to the fast-math flags of `op` if it has them.
void addFastMathFlags(Operation *op, arith::FastMathFlags flags) {
  auto fm = dyn_cast<arith::ArithFastMathInterface>(op);
  if (!fm)
    return;
  arith::FastMathFlagsAttr old = fm.getFastMathFlagsAttr();
  if (old)
    flags = flags | old.getValue();
  op->setAttr(fm.getFastMathAttrName(),
              arith::FastMathFlagsAttr::get(op->getContext(), flags));
}

/// True if some result of `map` is exactly dimension `d`.
bool indexesDim(AffineMap map, unsigned d) {
  return llvm::any_of(map.getResults(), [&](AffineExpr e) {
    auto dim = dyn_cast<AffineDimExpr>(e);
    return dim && dim.getPosition() == d;
  });
}

/// Builds the loop nest replacing one linalg op.
///
/// Loops are numbered by level: level 0 is outside the nest, level 1 the
/// outermost loop (the scf.parallel when there is one), and so on down to
/// `numLevels`, the innermost loop body. Every load and payload op is
/// emitted at the lowest level where its operands are available.
class NestBuilder {
public:
  NestBuilder(linalg::LinalgOp op, bool allowParallel, int64_t minParallelWork,
              int64_t vectorBits)
      : op(op) {
    plan(allowParallel, minParallelWork);
    if (vectorBits <= 0 || planVectors(vectorBits))
      return;
    // The innermost dimension cannot be vectorized (an operand is strided
    // along it, as V in attention's P x V): try a parallel dimension
    // along which everything is contiguous as the innermost loop instead.
    int other = contiguousParallelDim();
    if (other < 0)
      return;
    plan(allowParallel, minParallelWork, other);
    if (planVectors(vectorBits)) {
      interchanged = true;
      return;
    }
    plan(allowParallel, minParallelWork);
  }

  bool isParallel() const { return !parallelDims.empty(); }
  bool usesRegisters() const { return registerReduction; }
  bool isVectorized() const { return vectorWidth != 0; }

  /// One line on the nest's shape, for remarks.
  std::string describe() const {
    std::string text;
    llvm::raw_string_ostream os(text);
    if (parallelDims.empty()) {
      os << "serial";
    } else {
      int64_t total = 1;
      for (unsigned d : parallelDims)
        total *= ranges[d];
      os << "parallel over " << total << " iterations (dims";
      for (unsigned d : parallelDims)
        os << " " << d;
      os << ")";
    }
    if (vectorWidth != 0) {
      unsigned v = serialDims.back();
      os << ", dim " << v << (interchanged ? " (moved innermost)" : "")
         << " in vectors of " << vectorWidth;
      if (vectorEnd < ranges[v])
        os << " + " << ranges[v] - vectorEnd << " scalar";
    } else {
      os << ", scalar";
    }
    if (registerReduction)
      os << ", reduction in registers";
    return text;
  }

  void build(OpBuilder &b) {
    constants = b.saveInsertionPoint();
    // Unit dimensions have no loop: their index is 0 everywhere.
    Value zero = constant(0);
    for (unsigned d = 0; d < ranges.size(); ++d)
      if (ranges[d] == 1)
        ivs[d] = zero;
    emitLevel(b, 0, {});
  }

private:
  /// An index constant, created once before the nest. (It lands before
  /// the op being replaced, after what the nest has inserted there so far,
  /// and every use is inserted later.)
  Value constant(int64_t value) {
    Value &slot = constantCache[value];
    if (!slot) {
      OpBuilder b(op.getContext());
      b.restoreInsertionPoint(constants);
      slot = arith::ConstantIndexOp::create(b, op.getLoc(), value);
    }
    return slot;
  }

  void plan(bool allowParallel, int64_t minParallelWork, int innermost = -1);
  bool planVectors(int64_t vectorBits);
  int contiguousParallelDim();
  bool isContiguousIn(OpOperand &operand, unsigned d);
  unsigned levelOfValue(Value v);
  void computeLevels();
  SmallVector<Value> indicesFor(OpBuilder &b, AffineMap map);
  SmallVector<Value> emitLevel(OpBuilder &b, unsigned level, ValueRange accs);
  void emitBodyAt(OpBuilder &b, unsigned level);
  SmallVector<Value> emitLoop(OpBuilder &b, unsigned level, ValueRange accs);
  Value vectorOf(OpBuilder &b, Value scalar);

  linalg::LinalgOp op;
  SmallVector<int64_t> ranges;
  /// Dimensions linearized into the scf.parallel (level 1), outer first.
  SmallVector<unsigned> parallelDims;
  /// The dimension of each scf.for, outer first (levels after the parallel
  /// loop, if any).
  SmallVector<unsigned> serialDims;
  /// The level of each dimension's induction variable (0 for unit dims).
  SmallVector<unsigned> levelOfDim;
  unsigned numLevels = 0;
  /// Register reductions: outputs are loaded at `accLevel` and carried
  /// through the loops below it.
  bool registerReduction = false;
  unsigned accLevel = 0;

  /// Vectorization of the innermost loop: `vectorWidth` lanes from 0 to
  /// `vectorEnd`, then a scalar remainder loop. Register reductions keep
  /// one vector accumulator per output, combined by `combiningKinds` and
  /// started at `neutralElements`.
  unsigned vectorWidth = 0;
  int64_t vectorEnd = 0;
  /// Whether a dimension other than the last became the innermost loop.
  bool interchanged = false;
  SmallVector<vector::CombiningKind> combiningKinds;
  SmallVector<TypedAttr> neutralElements;
  /// Set while the body of the vector loop is emitted.
  bool vectorMode = false;
  DenseMap<Value, Value> broadcasts;

  SmallVector<unsigned> levelOfOperand;
  DenseMap<Operation *, unsigned> levelOfOp;
  SmallVector<Value> ivs;
  IRMapping mapping;
  OpBuilder::InsertPoint constants;
  DenseMap<int64_t, Value> constantCache;
};

void NestBuilder::plan(bool allowParallel, int64_t minParallelWork,
                       int innermost) {
  ranges = op.getStaticLoopRanges();
  unsigned n = ranges.size();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  unsigned numInputs = op.getNumDpsInputs();
  ArrayRef<AffineMap> outputMaps = ArrayRef<AffineMap>(maps).drop_front(numInputs);
  parallelDims.clear();
  serialDims.clear();
  accLevel = 0;

  // The dimensions with a loop, in loop order: the op's order, or with
  // `innermost` moved to the end.
  SmallVector<unsigned> order;
  for (unsigned d = 0; d < n; ++d)
    if (ranges[d] != 1 && (int)d != innermost)
      order.push_back(d);
  if (innermost >= 0)
    order.push_back(innermost);

  // Leading parallel dimensions every output is indexed by, short of the
  // innermost loop (the vector loop).
  SmallVector<unsigned> candidates;
  int64_t parallelIterations = 1;
  for (unsigned d : ArrayRef<unsigned>(order).drop_back(order.empty() ? 0 : 1)) {
    if (iterators[d] != utils::IteratorType::parallel ||
        !llvm::all_of(outputMaps, [&](AffineMap m) { return indexesDim(m, d); }))
      break;
    candidates.push_back(d);
    parallelIterations *= ranges[d];
  }
  int64_t iterations = 1;
  for (int64_t r : ranges)
    iterations *= r;
  int64_t bodyOps = op.getBlock()->getOperations().size() + op->getNumOperands();
  int64_t work = iterations * bodyOps;
  if (allowParallel && parallelIterations >= 2 && work >= minParallelWork)
    parallelDims = candidates;
  for (unsigned d : order)
    if (!llvm::is_contained(parallelDims, d))
      serialDims.push_back(d);

  // Trailing reduction loops accumulate in registers if no output is
  // indexed by them and no input is a view of an output.
  unsigned suffix = serialDims.size();
  while (suffix > 0 &&
         iterators[serialDims[suffix - 1]] == utils::IteratorType::reduction)
    --suffix;
  bool outputsFree = true;
  for (unsigned d : ArrayRef<unsigned>(serialDims).drop_front(suffix))
    for (AffineMap m : outputMaps)
      outputsFree &= !m.isFunctionOfDim(d);
  bool aliased = false;
  for (Value init : op.getDpsInits())
    for (Value input : op.getDpsInputs())
      aliased |= isa<MemRefType>(input.getType()) && rootOf(input) == rootOf(init);
  registerReduction = suffix < serialDims.size() && outputsFree && !aliased;

  // Levels.
  levelOfDim.assign(n, 0);
  unsigned level = 0;
  if (!parallelDims.empty()) {
    ++level;
    for (unsigned d : parallelDims)
      levelOfDim[d] = level;
  }
  accLevel = level + suffix;
  for (unsigned d : serialDims)
    levelOfDim[d] = ++level;
  numLevels = level;
  ivs.assign(n, Value());
  levelOfOperand.clear();
  levelOfOp.clear();
  computeLevels();
}

/// True if `operand` is a memref whose innermost index is `d` alone, with
/// unit stride, and whose other indices do not involve `d`.
bool NestBuilder::isContiguousIn(OpOperand &operand, unsigned d) {
  auto type = dyn_cast<MemRefType>(operand.get().getType());
  if (!type || type.getRank() == 0)
    return false;
  AffineMap map = op.getMatchingIndexingMap(&operand);
  ArrayRef<AffineExpr> results = map.getResults();
  auto last = dyn_cast<AffineDimExpr>(results.back());
  if (!last || last.getPosition() != d)
    return false;
  for (AffineExpr e : results.drop_back())
    if (e.isFunctionOfDim(d))
      return false;
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)))
    return false;
  return strides.back() == 1;
}

/// Scalar types a vector can hold lane-wise (not i1 in memory: MLIR packs
/// i1 vectors into bits but stores i1 memrefs as bytes).
static bool isLaneType(Type t) {
  return t.isIntOrIndexOrFloat();
}

bool NestBuilder::planVectors(int64_t vectorBits) {
  vectorWidth = 0;
  combiningKinds.clear();
  neutralElements.clear();
  if (serialDims.empty())
    return false;
  unsigned v = serialDims.back();
  bool isReduction =
      op.getIteratorTypesArray()[v] == utils::IteratorType::reduction;
  // A reduction carried through memory would need its stores ordered.
  if (isReduction && !registerReduction)
    return false;
  unsigned numInputs = op.getNumDpsInputs();
  Block *body = op.getBlock();
  unsigned widest = 0;
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (!type)
      continue;
    bool isInit = operand.getOperandNumber() >= numInputs;
    AffineMap map = op.getMatchingIndexingMap(&operand);
    if (!map.isFunctionOfDim(v)) {
      // Invariant in the vector loop: loaded outside it and broadcast. An
      // output the parallel vector dimension does not index would be
      // written by every lane.
      if (isInit && !registerReduction)
        return false;
      continue;
    }
    if (!isContiguousIn(operand, v))
      return false;
    Type element = type.getElementType();
    if (!element.isIntOrFloat() || element.getIntOrFloatBitWidth() % 8 != 0)
      return false;
    widest = std::max(widest, element.getIntOrFloatBitWidth());
  }
  for (Operation &bodyOp : body->without_terminator()) {
    if (levelOfOp.lookup(&bodyOp) != numLevels || isa<linalg::IndexOp>(bodyOp))
      continue;
    if (bodyOp.getNumRegions() != 0 || !OpTrait::hasElementwiseMappableTraits(&bodyOp))
      return false;
    if (!llvm::all_of(bodyOp.getOperandTypes(), isLaneType) ||
        !llvm::all_of(bodyOp.getResultTypes(), isLaneType))
      return false;
  }
  if (registerReduction) {
    // Each accumulator must feed only its combining op, whose result is
    // what the payload yields for it.
    auto yield = cast<linalg::YieldOp>(body->getTerminator());
    for (unsigned k = 0; k < op.getNumDpsInits(); ++k) {
      BlockArgument acc = body->getArgument(numInputs + k);
      Operation *combine = yield.getOperand(k).getDefiningOp();
      if (!combine || !acc.hasOneUse() || *acc.user_begin() != combine ||
          combine->getNumResults() != 1 || !combine->getResult(0).hasOneUse())
        return false;
      std::optional<vector::CombiningKind> kind =
          linalg::getCombinerOpKind(combine);
      std::optional<TypedAttr> neutral = arith::getNeutralElement(combine);
      if (!kind || !neutral)
        return false;
      combiningKinds.push_back(*kind);
      neutralElements.push_back(*neutral);
    }
  }
  if (widest == 0)
    widest = 32;
  int64_t lanes = vectorBits / widest;
  int64_t range = ranges[v];
  if (lanes < 2 || range < lanes)
    return false;
  vectorWidth = lanes;
  vectorEnd = range - range % lanes;
  return true;
}

/// A non-unit parallel dimension, other than the innermost loop's, that
/// indexes every output and along which every operand is contiguous or
/// invariant; -1 if none (the last such dimension otherwise).
int NestBuilder::contiguousParallelDim() {
  if (serialDims.empty())
    return -1;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  unsigned numInputs = op.getNumDpsInputs();
  for (int d = ranges.size() - 1; d >= 0; --d) {
    if (ranges[d] == 1 || (unsigned)d == serialDims.back() ||
        iterators[d] != utils::IteratorType::parallel)
      continue;
    bool ok = true;
    for (OpOperand &operand : op->getOpOperands()) {
      if (!isa<MemRefType>(operand.get().getType()))
        continue;
      AffineMap map = op.getMatchingIndexingMap(&operand);
      bool isInit = operand.getOperandNumber() >= numInputs;
      if (isInit ? !indexesDim(map, d)
                 : map.isFunctionOfDim(d) && !isContiguousIn(operand, d))
        ok = false;
      if (isInit && !isContiguousIn(operand, d))
        ok = false;
    }
    if (ok)
      return d;
  }
  return -1;
}

unsigned NestBuilder::levelOfValue(Value v) {
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    if (arg.getOwner() != op.getBlock())
      return 0;
    return levelOfOperand[arg.getArgNumber()];
  }
  Operation *def = v.getDefiningOp();
  auto it = levelOfOp.find(def);
  return it == levelOfOp.end() ? 0 : it->second;
}

void NestBuilder::computeLevels() {
  unsigned numInputs = op.getNumDpsInputs();
  for (OpOperand &operand : op->getOpOperands()) {
    unsigned i = operand.getOperandNumber();
    if (i >= numInputs) {
      // An output's block argument is its current value: in the innermost
      // loop (loaded there, or carried there as an iteration argument).
      levelOfOperand.push_back(numLevels);
      continue;
    }
    unsigned level = 0;
    if (isa<MemRefType>(operand.get().getType())) {
      AffineMap map = op.getMatchingIndexingMap(&operand);
      for (unsigned d = 0; d < map.getNumDims(); ++d)
        if (map.isFunctionOfDim(d))
          level = std::max(level, levelOfDim[d]);
    }
    levelOfOperand.push_back(level);
  }
  for (Operation &bodyOp : op.getBlock()->without_terminator()) {
    unsigned level = 0;
    if (auto index = dyn_cast<linalg::IndexOp>(bodyOp)) {
      level = levelOfDim[index.getDim()];
    } else if (bodyOp.getNumRegions() != 0 || !isPure(&bodyOp)) {
      level = numLevels;
    } else {
      for (Value operand : bodyOp.getOperands())
        level = std::max(level, levelOfValue(operand));
    }
    levelOfOp[&bodyOp] = level;
  }
}

SmallVector<Value> NestBuilder::indicesFor(OpBuilder &b, AffineMap map) {
  Location loc = op.getLoc();
  SmallVector<Value> indices;
  for (AffineExpr e : map.getResults()) {
    if (auto dim = dyn_cast<AffineDimExpr>(e)) {
      indices.push_back(ivs[dim.getPosition()]);
    } else if (auto cst = dyn_cast<AffineConstantExpr>(e)) {
      indices.push_back(constant(cst.getValue()));
    } else {
      AffineMap single = AffineMap::get(map.getNumDims(), map.getNumSymbols(), e);
      indices.push_back(affine::AffineApplyOp::create(b, loc, single, ivs));
    }
  }
  return indices;
}

/// Loads the inputs and clones the payload ops that belong to `level`.
void NestBuilder::emitBodyAt(OpBuilder &b, unsigned level) {
  Location loc = op.getLoc();
  Block *body = op.getBlock();
  unsigned numInputs = op.getNumDpsInputs();
  for (OpOperand &operand : op->getOpOperands()) {
    unsigned i = operand.getOperandNumber();
    BlockArgument arg = body->getArgument(i);
    if (levelOfOperand[i] != level || arg.use_empty())
      continue;
    if (i >= numInputs && registerReduction)
      continue; // mapped to the iteration argument
    if (!isa<MemRefType>(operand.get().getType())) {
      mapping.map(arg, operand.get());
      continue;
    }
    AffineMap map = op.getMatchingIndexingMap(&operand);
    SmallVector<Value> indices = indicesFor(b, map);
    if (vectorMode && level == numLevels) {
      auto type = VectorType::get({vectorWidth}, arg.getType());
      mapping.map(arg, vector::LoadOp::create(b, loc, type, operand.get(),
                                              indices));
      continue;
    }
    mapping.map(arg, memref::LoadOp::create(b, loc, operand.get(), indices));
  }
  bool vectorize = vectorMode && level == numLevels;
  for (Operation &bodyOp : body->without_terminator()) {
    if (levelOfOp.lookup(&bodyOp) != level)
      continue;
    if (auto index = dyn_cast<linalg::IndexOp>(bodyOp)) {
      Value iv = ivs[index.getDim()];
      if (vectorize) {
        // The lanes' indices: iv + [0, 1, ..., width - 1].
        auto type = VectorType::get({vectorWidth}, b.getIndexType());
        iv = arith::AddIOp::create(b, loc, vectorOf(b, iv),
                                   vector::StepOp::create(b, loc, type));
      }
      mapping.map(index.getResult(), iv);
      continue;
    }
    Operation *clone = b.clone(bodyOp, mapping);
    // Let LLVM form fused multiply-adds.
    if (isa<arith::AddFOp, arith::SubFOp, arith::MulFOp>(clone))
      addFastMathFlags(clone, arith::FastMathFlags::contract);
    if (!vectorize)
      continue;
    // The same op on vectors: values computed outside the vector loop are
    // broadcast.
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(clone);
    for (OpOperand &operand : clone->getOpOperands())
      if (!isa<VectorType>(operand.get().getType()))
        operand.set(vectorOf(b, operand.get()));
    for (OpResult result : clone->getResults())
      result.setType(VectorType::get({vectorWidth}, result.getType()));
  }
}

/// `scalar` broadcast to the vector loop's width (once per loop body).
Value NestBuilder::vectorOf(OpBuilder &b, Value scalar) {
  Value &slot = broadcasts[scalar];
  if (!slot)
    slot = vector::BroadcastOp::create(
        b, op.getLoc(), VectorType::get({vectorWidth}, scalar.getType()),
        scalar);
  return slot;
}

SmallVector<Value> NestBuilder::emitLevel(OpBuilder &b, unsigned level,
                                          ValueRange accs) {
  Location loc = op.getLoc();
  auto yield = cast<linalg::YieldOp>(op.getBlock()->getTerminator());
  unsigned numInputs = op.getNumDpsInputs();
  if (level == numLevels && registerReduction) {
    for (auto [i, acc] : llvm::enumerate(accs))
      mapping.map(op.getBlock()->getArgument(numInputs + i), acc);
  }
  emitBodyAt(b, level);
  if (level < numLevels)
    return emitLoop(b, level, accs);

  SmallVector<Value> results;
  for (Value v : yield.getOperands())
    results.push_back(mapping.lookupOrDefault(v));
  if (registerReduction) {
    // The combining op of each accumulator may be reassociated, which
    // lets LLVM keep partial sums in vector lanes.
    for (auto [result, acc] : llvm::zip(results, accs)) {
      Operation *combine = result.getDefiningOp();
      if (combine && llvm::is_contained(combine->getOperands(), acc))
        addFastMathFlags(combine, arith::FastMathFlags::reassoc);
    }
    return results;
  }
  for (OpOperand &init : op.getDpsInitsMutable()) {
    unsigned k = init.getOperandNumber() - numInputs;
    SmallVector<Value> indices =
        indicesFor(b, op.getMatchingIndexingMap(&init));
    if (vectorMode) {
      Value value = results[k];
      if (!isa<VectorType>(value.getType()))
        value = vectorOf(b, value);
      vector::StoreOp::create(b, loc, value, init.get(), indices);
      continue;
    }
    memref::StoreOp::create(b, loc, results[k], init.get(), indices);
  }
  return {};
}

SmallVector<Value> NestBuilder::emitLoop(OpBuilder &b, unsigned level,
                                         ValueRange accs) {
  Location loc = op.getLoc();
  auto cst = [&](int64_t v) { return constant(v); };
  Value zero = cst(0), one = cst(1);

  if (level == 0 && !parallelDims.empty()) {
    int64_t total = 1;
    for (unsigned d : parallelDims)
      total *= ranges[d];
    scf::ParallelOp::create(
        b, loc, ValueRange{zero}, ValueRange{cst(total)}, ValueRange{one},
        [&](OpBuilder &nb, Location nl, ValueRange iv) {
          // Delinearize, innermost dimension fastest.
          Value rest = iv[0];
          for (unsigned i = parallelDims.size(); i-- > 0;) {
            unsigned d = parallelDims[i];
            if (i == 0) {
              ivs[d] = rest;
              break;
            }
            Value size = constant(ranges[d]);
            ivs[d] = arith::RemUIOp::create(nb, nl, rest, size);
            rest = arith::DivUIOp::create(nb, nl, rest, size);
          }
          emitLevel(nb, level + 1, {});
          scf::ReduceOp::create(nb, nl);
        });
    return {};
  }

  unsigned d = serialDims[level - (parallelDims.empty() ? 0 : 1)];
  bool carries = registerReduction && level >= accLevel;
  SmallVector<Value> inits(accs);
  if (carries && level == accLevel) {
    // Load the accumulators' initial values.
    inits.clear();
    for (OpOperand &init : op.getDpsInitsMutable())
      inits.push_back(memref::LoadOp::create(
          b, loc, init.get(),
          indicesFor(b, op.getMatchingIndexingMap(&init))));
  }
  // The loop over [begin, end) with `step`, carrying `iterInits`.
  auto makeLoop = [&](int64_t begin, int64_t end, int64_t step,
                      ValueRange iterInits) {
    return scf::ForOp::create(
        b, loc, cst(begin), cst(end), cst(step), iterInits,
        [&](OpBuilder &nb, Location nl, Value iv, ValueRange iterArgs) {
          ivs[d] = iv;
          broadcasts.clear();
          SmallVector<Value> yielded = emitLevel(nb, level + 1, iterArgs);
          scf::YieldOp::create(nb, nl, yielded);
        });
  };
  SmallVector<Value> results;
  if (vectorWidth != 0 && level + 1 == numLevels) {
    // Vector loop, then the scalar remainder.
    SmallVector<Value> vectorInits;
    for (auto [init, neutral] : llvm::zip(inits, neutralElements)) {
      auto type = VectorType::get({vectorWidth}, init.getType());
      vectorInits.push_back(arith::ConstantOp::create(
          b, loc, type, DenseElementsAttr::get(type, neutral)));
    }
    if (!carries)
      vectorInits.clear();
    vectorMode = true;
    auto vectorLoop = makeLoop(0, vectorEnd, vectorWidth, vectorInits);
    vectorMode = false;
    for (auto [partial, init, kind] :
         llvm::zip(vectorLoop.getResults(), inits, combiningKinds))
      results.push_back(vector::ReductionOp::create(
          b, loc, kind, partial, init, arith::FastMathFlags::reassoc));
    if (vectorEnd < ranges[d])
      results = SmallVector<Value>(
          makeLoop(vectorEnd, ranges[d], 1, results).getResults());
  } else {
    results = SmallVector<Value>(makeLoop(0, ranges[d], 1, inits).getResults());
  }
  if (!carries)
    return {};
  if (level > accLevel)
    return results;
  for (OpOperand &init : op.getDpsInitsMutable()) {
    unsigned k = init.getOperandNumber() - op.getNumDpsInputs();
    memref::StoreOp::create(b, loc, results[k], init.get(),
                            indicesFor(b, op.getMatchingIndexingMap(&init)));
  }
  return {};
}

struct LinalgToLoopsPass
    : public txc::impl::LinalgToLoopsPassBase<LinalgToLoopsPass> {
  using LinalgToLoopsPassBase::LinalgToLoopsPassBase;

  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> ops;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (!op.hasPureBufferSemantics())
        return;
      if (llvm::any_of(op.getStaticLoopRanges(), ShapedType::isDynamic))
        return;
      ops.push_back(op);
    });
    OpBuilder b(&getContext());
    for (linalg::LinalgOp op : ops) {
      ++numLowered;
      if (llvm::is_contained(op.getStaticLoopRanges(), 0)) {
        op->erase();
        continue;
      }
      NestBuilder nest(op, parallel, minParallelWork, vectorBits);
      if (remarks)
        op->emitRemark() << "loops: " << nest.describe();
      b.setInsertionPoint(op);
      nest.build(b);
      numParallel += nest.isParallel();
      numRegisterReductions += nest.usesRegisters();
      numVectorized += nest.isVectorized();
      op->erase();
    }
  }
};

} // namespace
