//===- ModPrune.cpp - mixture-of-depths token routing (tx-mod-prune) ------===//
//
// In a routed layer only the `k` highest-scoring tokens of each batch row
// run attention and MLP; the rest pass on the residual stream. See
// Passes.td for the contract. The layer is rebuilt for `k` tokens:
//
//   %s        = router scores [B, S]
//   %idx, %w  = tx.route %s capacity(k)               (kept, in order)
//   %g        = tx.gather_tokens %h, %idx             [B, k, D]
//   %y        = tx.layer I (%g) { the body, retyped from S to k tokens }
//   %h'       = tx.scatter_tokens %h, %y, %idx        [B, S, D]
//
// Retyping follows the token dimension through the body (reshapes,
// transposes, tx ops, elementwise ops); rotary embeddings get the kept
// tokens' original positions, so attention among the kept tokens (causal
// in their order, which is their original order) sees the positions the
// dense layer would.
//
// Over a KV cache (a generation step, after tx-use-kv-cache) each routed
// layer's cache holds only the tokens it kept: the step gets the per-layer
// lengths (`layer_lengths`) and the real tokens of the step
// (`step_length`, the rest is padding), appends the kept tokens' K/V at
// the layer's own length, attends to that many entries, and returns how
// many it appended (`layer_kept`). Decode steps decide per token against a
// calibrated threshold (causal); the layer's attention and MLP sit in an
// scf.if that skips them when no token is kept.
//
//===----------------------------------------------------------------------===//

#include "txc/Dialect/Tx/TxOps.h"
#include "txc/Passes/Passes.h"
#include "txc/Dialect/Tx/WeightStore.h"
#include "txc/Support/Safetensors.h"

#include "LayerUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <cstring>

namespace txc {
#define GEN_PASS_DEF_MODPRUNEPASS
#include "txc/Passes/Passes.h.inc"
} // namespace txc

using namespace mlir;
using namespace txc;
using namespace txc::tx;

namespace {

/// `value` as printf's %g writes it (0.9, not 9.000000e-01).
std::string shortest(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

/// `type` with dimension `dim` set to `size`.
RankedTensorType withDim(Type type, int64_t dim, int64_t size) {
  auto tensor = cast<RankedTensorType>(type);
  SmallVector<int64_t> shape(tensor.getShape());
  shape[dim] = size;
  return RankedTensorType::get(shape, tensor.getElementType());
}

/// Rebuilds a layer body for `k` of its `s` tokens.
class Retyper {
public:
  /// `cacheStart` and `cacheEnd` (index values, over a KV cache only): the
  /// routed layer's cache length before the step, and after its `k` slots.
  Retyper(LayerOp layer, int64_t k, Value indices, Value cacheStart = {},
          Value cacheEnd = {})
      : layer(layer), k(k), indices(indices), cacheStart(cacheStart),
        cacheEnd(cacheEnd) {}

  /// Builds the routed layer on `gathered` before `layer`; null (with an
  /// error emitted) when some op of the body cannot be followed.
  LayerOp build(Value gathered) {
    OpBuilder b(layer);
    Location loc = layer.getLoc();
    auto routed = LayerOp::create(b, loc, TypeRange{gathered.getType()},
                                  layer.getIndexAttr(), ValueRange{gathered});
    Block *body = b.createBlock(&routed.getBody(), {}, {gathered.getType()},
                                {loc});
    Block &old = layer.getBody().front();
    map.map(old.getArgument(0), body->getArgument(0));
    token[body->getArgument(0)] = 1;
    b.setInsertionPointToEnd(body);
    for (Operation &op : old) {
      if (failed(clone(b, op))) {
        routed.erase();
        return nullptr;
      }
    }
    return routed;
  }

private:
  LayerOp layer;
  int64_t k;
  Value indices;
  Value cacheStart, cacheEnd;
  IRMapping map;
  /// The token dimension of the values of the new body that have one.
  llvm::DenseMap<Value, int64_t> token;
  /// Per-token positions and tables already gathered for the kept tokens.
  llvm::DenseMap<Value, Value> gathered;

  LogicalResult fail(Operation *op, const Twine &why) {
    return op->emitOpError() << "tx-mod-prune: cannot route layer "
                             << layer.getIndexAttr().getInt() << ": " << why;
  }

  std::optional<int64_t> tokenDim(Value v) {
    auto it = token.find(v);
    if (it == token.end())
      return std::nullopt;
    return it->second;
  }

  /// A tensor.empty of `type`, for an op whose init was one.
  Value freshInit(OpBuilder &b, Location loc, Type type) {
    auto tensor = cast<RankedTensorType>(type);
    return tensor::EmptyOp::create(b, loc, tensor.getShape(),
                                   tensor.getElementType());
  }

  /// The kept tokens' positions [B, k] (i64): `positions` ([B, S] or [S])
  /// gathered, or the indices themselves.
  Value keptPositions(OpBuilder &b, Location loc, Value positions) {
    if (!positions)
      return indices;
    // The query and the key rotation read the same positions: gather once.
    Value &kept = gathered[positions];
    if (!kept)
      kept = gatherPositions(b, loc, positions);
    return kept;
  }

  Value gatherPositions(OpBuilder &b, Location loc, Value positions) {
    auto type = cast<RankedTensorType>(positions.getType());
    auto idxType = cast<RankedTensorType>(indices.getType());
    MLIRContext *ctx = b.getContext();
    auto resultType = RankedTensorType::get(idxType.getShape(),
                                            type.getElementType());
    Value init = tensor::EmptyOp::create(b, loc, idxType.getShape(),
                                         type.getElementType());
    AffineMap id = AffineMap::getMultiDimIdentityMap(2, ctx);
    SmallVector<utils::IteratorType> iterators(2,
                                               utils::IteratorType::parallel);
    return linalg::GenericOp::create(
               b, loc, TypeRange{resultType}, ValueRange{indices},
               ValueRange{init}, ArrayRef<AffineMap>{id, id}, iterators,
               [&](OpBuilder &nb, Location l, ValueRange args) {
                 // An empty slot (-1) reads position 0, never used.
                 Value zero = arith::ConstantIntOp::create(
                     nb, l, args[0].getType(), 0);
                 Value at = arith::IndexCastOp::create(
                     nb, l, nb.getIndexType(),
                     arith::MaxSIOp::create(nb, l, args[0], zero));
                 SmallVector<Value> where;
                 if (type.getRank() == 2)
                   where.push_back(linalg::IndexOp::create(nb, l, 0));
                 where.push_back(at);
                 Value p = tensor::ExtractOp::create(nb, l, positions, where);
                 linalg::YieldOp::create(nb, l, p);
               })
        .getResult(0);
  }

  /// Rows of a per-token table (`[S, R/2]` or `[B, S, R/2]`) for the kept
  /// tokens, as `[B, k, R/2]`.
  Value keptRows(OpBuilder &b, Location loc, Value table) {
    Value &kept = gathered[table];
    if (!kept)
      kept = gatherRows(b, loc, table);
    return kept;
  }

  Value gatherRows(OpBuilder &b, Location loc, Value table) {
    auto type = cast<RankedTensorType>(table.getType());
    Value input = table;
    auto idxType = cast<RankedTensorType>(indices.getType());
    if (type.getRank() == 2) {
      if (idxType.getDimSize(0) != 1)
        return nullptr;
      input = tensor::ExpandShapeOp::create(
          b, loc,
          RankedTensorType::get({1, type.getDimSize(0), type.getDimSize(1)},
                                type.getElementType()),
          table, ArrayRef<ReassociationIndices>{{0, 1}, {2}});
    }
    auto in = cast<RankedTensorType>(input.getType());
    return GatherTokensOp::create(
        b, loc,
        RankedTensorType::get(
            {in.getDimSize(0), idxType.getDimSize(1), in.getDimSize(2)},
            in.getElementType()),
        input, indices);
  }

  LogicalResult clone(OpBuilder &b, Operation &op) {
    Location loc = op.getLoc();
    // Which operands carry the token dimension.
    std::optional<int64_t> t;
    for (Value operand : op.getOperands())
      if (auto d = tokenDim(map.lookupOrDefault(operand))) {
        t = d;
        break;
      }
    if (isa<YieldOp>(op)) {
      YieldOp::create(b, loc, map.lookup(op.getOperand(0)));
      return success();
    }
    if (isa<KVAppendOp, KVViewOp>(op) && !cacheStart)
      return fail(&op, "a KV cache op in a layer routed without the step's "
                       "per-layer cache lengths");
    if (auto append = dyn_cast<KVAppendOp>(op)) {
      // The kept tokens' keys and values, at the layer's own length.
      if (tokenDim(map.lookup(append.getKey())) != 2 ||
          tokenDim(map.lookup(append.getValue())) != 2)
        return fail(&op, "its keys and values must carry the tokens in "
                         "dimension 2");
      Operation *made = b.clone(op, map);
      cast<KVAppendOp>(made).getPositionMutable().assign(cacheStart);
      return success();
    }
    if (isa<KVViewOp>(op)) {
      Operation *made = b.clone(op, map);
      cast<KVViewOp>(made).getLengthMutable().assign(cacheEnd);
      return success();
    }
    if (!t) {
      // Not on the token path (constants, empties, weights): as it is.
      b.clone(op, map);
      return success();
    }
    Value in = map.lookup(op.getOperand(0));
    auto setResult = [&](Operation *made, int64_t dim) {
      token[made->getResult(0)] = dim;
      map.map(op.getResult(0), made->getResult(0));
    };

    if (auto expand = dyn_cast<tensor::ExpandShapeOp>(op)) {
      auto reassoc = expand.getReassociationIndices();
      ArrayRef<int64_t> outShape = expand.getResultType().getShape();
      std::optional<int64_t> out;
      if (reassoc[*t].size() == 1)
        out = reassoc[*t][0];
      else
        for (int64_t j : reassoc[*t])
          if (outShape[j] != 1) {
            if (out)
              return fail(&op, "the token dimension is split");
            out = j;
          }
      if (!out)
        return fail(&op, "the token dimension disappears");
      auto made = tensor::ExpandShapeOp::create(
          b, loc, withDim(expand.getResultType(), *out, k), in, reassoc);
      setResult(made, *out);
      return success();
    }
    if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(op)) {
      auto reassoc = collapse.getReassociationIndices();
      auto srcShape = cast<RankedTensorType>(in.getType()).getShape();
      for (auto [j, group] : llvm::enumerate(reassoc))
        if (llvm::is_contained(group, *t)) {
          for (int64_t d : group)
            if (d != *t && srcShape[d] != 1)
              return fail(&op, "the token dimension is merged with another");
          auto made = tensor::CollapseShapeOp::create(b, loc, in, reassoc);
          setResult(made, j);
          return success();
        }
      return fail(&op, "malformed reassociation");
    }
    if (auto transpose = dyn_cast<linalg::TransposeOp>(op)) {
      ArrayRef<int64_t> perm = transpose.getPermutation();
      int64_t out = llvm::find(perm, *t) - perm.begin();
      Type type = withDim(transpose.getResult()[0].getType(), out, k);
      auto made = linalg::TransposeOp::create(b, loc, in,
                                              freshInit(b, loc, type), perm);
      setResult(made, out);
      return success();
    }
    if (auto rope = dyn_cast<RopeOp>(op)) {
      if (*t != 2)
        return fail(&op, "the rotary embedding's token dimension is not 2");
      Value cos = rope.getCos(), sin = rope.getSin();
      Value positions;
      if (rope.getPositions()) {
        positions = keptPositions(b, loc, map.lookupOrDefault(
                                              rope.getPositions()));
      } else {
        // Per-token rows: take the kept tokens' rows.
        cos = keptRows(b, loc, map.lookupOrDefault(cos));
        sin = keptRows(b, loc, map.lookupOrDefault(sin));
        if (!cos || !sin)
          return fail(&op, "per-token rotary tables need batch 1");
      }
      auto made = RopeOp::create(
          b, loc, withDim(rope.getType(), 2, k), in,
          rope.getPositions() ? map.lookupOrDefault(cos) : cos,
          rope.getPositions() ? map.lookupOrDefault(sin) : sin, positions,
          rope.getInterleavedAttr());
      setResult(made, 2);
      return success();
    }
    if (auto attention = dyn_cast<AttentionOp>(op)) {
      MaskKind kind = attention.getMask();
      if ((kind != MaskKind::none && kind != MaskKind::causal) ||
          attention.getWindow() || attention.getSinks() ||
          attention.getExplicitMask())
        return fail(&op, "only attention without a mask or causal, without "
                         "a window or sinks, can be routed");
      // Over the cache the keys are the layer's own (kept) entries, the
      // first `cacheEnd` of the view; otherwise the kept tokens' own.
      bool cached = static_cast<bool>(attention.getKvLength());
      if (cached != static_cast<bool>(cacheStart))
        return fail(&op, "its attention reads a KV cache the step does not "
                         "route, or none");
      if (*t != 2 ||
          (!cached && (tokenDim(map.lookup(attention.getKey())) != 2 ||
                       tokenDim(map.lookup(attention.getValue())) != 2)))
        return fail(&op, "query, key and value must carry the tokens in "
                         "dimension 2");
      Operation *made = b.clone(op, map);
      made->getResult(0).setType(withDim(attention.getType(), 2, k));
      if (cached)
        cast<AttentionOp>(made).getKvLengthMutable().assign(cacheEnd);
      setResult(made, 2);
      return success();
    }
    if (isa<LinearOp, QLinearOp, RMSNormOp, LayerNormOp>(op)) {
      Operation *made = b.clone(op, map);
      made->getResult(0).setType(withDim(op.getResult(0).getType(), *t, k));
      setResult(made, *t);
      return success();
    }
    // Elementwise ops: every tensor operand takes the result's new type;
    // splat constants from outside are rebuilt at that shape.
    if (op.getNumResults() == 1 && op.getNumRegions() == 0 &&
        (op.hasTrait<OpTrait::Elementwise>() ||
         op.getDialect()->getNamespace() == "tosa") &&
        op.getResult(0).getType() == op.getOperand(0).getType()) {
      Type type = withDim(op.getResult(0).getType(), *t, k);
      SmallVector<Value> operands;
      for (Value operand : op.getOperands()) {
        Value mapped = map.lookupOrDefault(operand);
        if (mapped.getType() != type) {
          DenseElementsAttr splat;
          if (!matchPattern(operand, m_Constant(&splat)) || !splat.isSplat())
            return fail(&op, "an operand shaped by the tokens comes from "
                             "outside the layer");
          mapped = arith::ConstantOp::create(
              b, loc, splat.resizeSplat(cast<ShapedType>(type)));
        }
        operands.push_back(mapped);
      }
      Operation *made = b.clone(op);
      made->setOperands(operands);
      made->getResult(0).setType(type);
      setResult(made, *t);
      return success();
    }
    return fail(&op, "its tokens flow through an op the pass cannot follow");
  }
};

} // namespace

std::optional<double> txc::modRatio(int64_t pos, int64_t layers,
                                    double capacity, StringRef schedule,
                                    double rMax, double rMin, int64_t from) {
  if (pos < from)
    return std::nullopt;
  if (schedule == "constant")
    return capacity;
  // p-MoD's shifted cosine around the mean ratio `capacity`.
  double r = capacity + 0.5 * std::cos(M_PI * pos / double(layers - 1));
  if (r > rMax)
    return std::nullopt;
  return std::max(r, rMin);
}

namespace {

/// What a stack routed over a KV cache adds to its step function.
struct CacheStep {
  func::FuncOp func;
  /// The cache layers' lengths before the step ([layers] i64) and the real
  /// tokens of the step (index).
  Value layerLengths, stepLength;
  int64_t cacheLayers = 0;
  /// Per cache layer of a routed layer: the tokens it appended (i64).
  llvm::DenseMap<int64_t, Value> kept;
};

struct ModPrunePass : public txc::impl::ModPrunePassBase<ModPrunePass> {
  using ModPrunePassBase::ModPrunePassBase;

  void runOnOperation() override {
    if (!(capacity > 0.0 && capacity <= 1.0)) {
      getOperation()->emitError()
          << "tx-mod-prune: 'capacity' must be in (0, 1], got "
          << shortest(capacity);
      return signalPassFailure();
    }
    if (schedule != "constant" && schedule != "pmod") {
      getOperation()->emitError()
          << "tx-mod-prune: 'schedule' must be constant or pmod, got '"
          << schedule << "'";
      return signalPassFailure();
    }
    if (router != "update" && router != "probe" && router != "checkpoint") {
      getOperation()->emitError()
          << "tx-mod-prune: 'router' must be update (the size of each "
             "token's update in the previous layer), probe (fitted by txc "
             "calibrate) or checkpoint (blk.I.mod_router from the model's "
             "weights), got '"
          << router << "'";
      return signalPassFailure();
    }
    if (weighting != "none" && weighting != "mod" && weighting != "pmod") {
      getOperation()->emitError()
          << "tx-mod-prune: 'weighting' must be none, mod (x + r f(x)) or "
             "pmod (TanhNorm and STRing), got '"
          << weighting << "'";
      return signalPassFailure();
    }
    if (weighting != "none" && router != "checkpoint") {
      getOperation()->emitError()
          << "tx-mod-prune: weighting=" << weighting
          << " scales by the router a checkpoint was trained with: it needs "
             "router=checkpoint";
      return signalPassFailure();
    }
    if (decision != "topk" && decision != "threshold") {
      getOperation()->emitError()
          << "tx-mod-prune: 'decision' must be topk (the top tokens of the "
             "step) or threshold (each token by its own score), got '"
          << decision << "'";
      return signalPassFailure();
    }
    if (router == "probe" && calibration.empty()) {
      getOperation()->emitError()
          << "tx-mod-prune: router=probe needs 'calibration', a txc "
             "calibrate statistics file with layer.I.probe";
      return signalPassFailure();
    }
    if (!calibration.empty()) {
      stats = depth::openCalibration(getOperation(), "tx-mod-prune",
                                     calibration);
      if (!stats)
        return signalPassFailure();
    }
    if (!(rMin > 0.0 && rMin <= rMax && rMax <= 1.0)) {
      getOperation()->emitError()
          << "tx-mod-prune: need 0 < r-min <= r-max <= 1, got r-min "
          << shortest(rMin) << ", r-max "
          << shortest(rMax);
      return signalPassFailure();
    }
    if (from < 1) {
      getOperation()->emitError()
          << "tx-mod-prune: 'from' must be >= 1 (the router reads the "
             "previous layer's update), got "
          << from.getValue();
      return signalPassFailure();
    }
    for (auto &entry : depth::collectLayerStacks(getOperation()))
      if (failed(processStack(entry.second)))
        return signalPassFailure();
  }

  /// The fraction of tokens routed layer `pos` of `l` keeps, or nullopt
  /// for a dense layer.
  std::optional<double> ratio(int64_t pos, int64_t l) {
    return modRatio(pos, l, capacity, schedule, rMax, rMin, from);
  }

  /// The score a token needs to be kept by routed layer `layer` at ratio
  /// `r` under a causal decision: the (1 - r) quantile of the router's
  /// score on calibration text (layer.I.update_quantiles or
  /// layer.I.probe_quantiles: percentiles 0 .. 100, interpolated). Ratio 1
  /// keeps every token (-inf).
  FailureOr<double> threshold(LayerOp layer, double r) {
    if (r >= 1.0)
      return -std::numeric_limits<double>::infinity();
    // A trained router decides by its sign: Mixture-of-Depths' predictor
    // sigmoid(r) > 1/2.
    if (router == "checkpoint")
      return 0.0;
    // A routed calibration of this capacity, schedule and router (txc
    // calibrate --mod-capacity): the threshold measured under routing.
    if (stats) {
      const llvm::StringMap<std::string> &meta = stats->metadata();
      auto is = [&](StringRef key, StringRef value) {
        auto it = meta.find(key);
        return it != meta.end() && it->second == value;
      };
      std::string name = "layer." +
                         std::to_string(layer.getIndexAttr().getInt()) +
                         ".route_threshold";
      const SafetensorsEntry *e = stats->lookup(name);
      if (e && e->dtype == "F32" && e->data.size() == sizeof(float) &&
          is("mod_capacity", shortest(capacity)) &&
          is("mod_schedule", schedule) && is("mod_router", router)) {
        float t;
        std::memcpy(&t, e->data.data(), sizeof t);
        return double(t);
      }
    }
    std::string name = "layer." +
                       std::to_string(layer.getIndexAttr().getInt()) + "." +
                       (router == "probe" ? "probe" : "update") +
                       "_quantiles";
    const SafetensorsEntry *e = stats ? stats->lookup(name) : nullptr;
    if (!e || e->dtype != "F32" || e->data.size() != 101 * sizeof(float))
      return layer.emitOpError()
             << "tx-mod-prune: a causal (threshold) decision at ratio "
             << shortest(r) << " needs 'calibration' with an f32 '" << name
             << "' of 101 percentiles (write it with `txc calibrate` of this "
                "model)";
    float q[101];
    std::memcpy(q, e->data.data(), sizeof q);
    double p = (1.0 - r) * 100.0;
    int lo = std::clamp(static_cast<int>(std::floor(p)), 0, 100);
    int hi = std::min(lo + 1, 100);
    return q[lo] + (p - lo) * (double(q[hi]) - double(q[lo]));
  }

  /// Adds the step's per-layer inputs to the generation function holding
  /// `first` (its entry block), or fails with an error.
  LogicalResult setUpCacheStep(LayerOp first, CacheStep &step) {
    auto func = dyn_cast<func::FuncOp>(first->getParentOp());
    if (!func || !func->hasAttr("tx.generation") ||
        first->getBlock() != &func.getBody().front())
      return first.emitOpError()
             << "tx-mod-prune: routed layers over a KV cache must be in the "
                "entry block of a generation step (tx-use-kv-cache's "
                "tx.generation function)";
    KVCacheType cache;
    for (BlockArgument arg : func.getArguments())
      if (auto type = dyn_cast<KVCacheType>(arg.getType()))
        cache = type;
    auto residual = dyn_cast<RankedTensorType>(
        first.getInputs().empty() ? Type() : first.getInputs()[0].getType());
    if (!cache || !residual || residual.getRank() != 3 ||
        residual.getDimSize(0) != 1)
      return first.emitOpError()
             << "tx-mod-prune: routed layers over a KV cache need batch 1 "
                "(the cache's per-layer lengths are one per layer)";
    MLIRContext *ctx = &getContext();
    Location loc = func.getLoc();
    Builder b(ctx);
    step.func = func;
    step.cacheLayers = cache.getLayers();
    auto lengthsType =
        RankedTensorType::get({step.cacheLayers}, b.getI64Type());
    auto oneType = RankedTensorType::get({1}, b.getI64Type());
    unsigned n = func.getNumArguments();
    if (failed(func.insertArgument(
            n, lengthsType,
            b.getDictionaryAttr(b.getNamedAttr(
                "tx.name", b.getStringAttr("layer_lengths"))),
            loc)) ||
        failed(func.insertArgument(
            n + 1, oneType,
            b.getDictionaryAttr(b.getNamedAttr(
                "tx.name", b.getStringAttr("step_length"))),
            loc)))
      return failure();
    Block &entry = func.getBody().front();
    step.layerLengths = entry.getArgument(n);
    OpBuilder ob = OpBuilder::atBlockBegin(&entry);
    Value zero = arith::ConstantIndexOp::create(ob, loc, 0);
    Value count = tensor::ExtractOp::create(ob, loc, entry.getArgument(n + 1),
                                            ValueRange{zero});
    step.stepLength = arith::IndexCastOp::create(ob, loc, ob.getIndexType(),
                                                 count);
    return success();
  }

  /// Returns the tokens each cache layer appended (`layer_kept`) and names
  /// the new inputs and output in the step's tx.generation roles.
  void finishCacheStep(CacheStep &step) {
    func::FuncOp func = step.func;
    auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
    OpBuilder b(ret);
    Location loc = func.getLoc();
    Value steps = arith::IndexCastOp::create(b, loc, b.getI64Type(),
                                             step.stepLength);
    SmallVector<Value> kept;
    for (int64_t c = 0; c < step.cacheLayers; ++c)
      kept.push_back(step.kept.lookup(c) ? step.kept.lookup(c) : steps);
    auto type = RankedTensorType::get({step.cacheLayers}, b.getI64Type());
    Value result = tensor::FromElementsOp::create(b, loc, type, kept);
    ret->insertOperands(ret->getNumOperands(), result);
    SmallVector<Type> results(func.getResultTypes());
    results.push_back(type);
    func.setType(FunctionType::get(func.getContext(), func.getArgumentTypes(),
                                   results));
    func.setResultAttr(results.size() - 1, "tx.name",
                       b.getStringAttr("layer_kept"));
    NamedAttrList roles(func->getAttrOfType<DictionaryAttr>("tx.generation"));
    roles.set("layer_lengths", b.getStringAttr("layer_lengths"));
    roles.set("step_length", b.getStringAttr("step_length"));
    roles.set("layer_kept", b.getStringAttr("layer_kept"));
    func->setAttr("tx.generation", roles.getDictionary(func.getContext()));
  }

  LogicalResult processStack(MutableArrayRef<LayerOp> ordered) {
    const int64_t l = ordered.size();
    // Over a KV cache (a generation step), routed layers keep their own
    // cache lengths.
    bool cached = false;
    for (LayerOp layer : ordered)
      layer.walk([&](KVAppendOp) { cached = true; });
    CacheStep step;
    bool routedAny = false;
    // The residual stream entering each layer, recorded before routing
    // rebuilds it (a routed layer's input is then its gather's source).
    SmallVector<Value> residualIn;
    // router=update: the scores of the previous routed layer, by stack
    // position (a token it did not run keeps that score).
    llvm::DenseMap<int64_t, Value> routedScores;
    for (LayerOp layer : ordered)
      residualIn.push_back(layer.getInputs().empty()
                               ? Value()
                               : layer.getInputs().front());
    for (int64_t pos = 1; pos < l; ++pos) {
      std::optional<double> r = ratio(pos, l);
      if (!r)
        continue;
      LayerOp layer = ordered[pos];
      Value before = residualIn[pos - 1];
      auto type = dyn_cast<RankedTensorType>(
          layer.getInputs().empty() ? Type()
                                    : layer.getInputs().front().getType());
      if (!type || type.getRank() != 3 || !type.hasStaticShape() ||
          layer.getNumResults() != 1 || layer.getResult(0).getType() != type ||
          layer.getInputs().size() != 1 || !before ||
          before.getType() != type)
        return layer.emitOpError()
               << "tx-mod-prune: a routed layer and the one before it must "
                  "take the residual stream [batch, tokens, hidden] "
                  "(static) as their only input, and the routed layer "
                  "return one value of that type";
      if (cached && !routedAny && failed(setUpCacheStep(layer, step)))
        return failure();
      routedAny = true;
      const int64_t s = type.getDimSize(1);
      // Causal decisions: every decode step over a cache, and any step
      // with decision=threshold; the others keep the top tokens.
      const bool causal = decision == "threshold" || (cached && s == 1);
      std::optional<double> cut;
      if (causal) {
        FailureOr<double> t = threshold(layer, *r);
        if (failed(t))
          return failure();
        cut = *t;
      }
      const int64_t k =
          causal ? s
                 : std::clamp<int64_t>(
                       static_cast<int64_t>(std::floor(*r * s + 1e-9)), 1, s);
      OpBuilder b(layer);
      Location loc = layer.getLoc();
      Value h = layer.getInputs().front();
      Value scores;
      if (router == "checkpoint") {
        FailureOr<std::vector<float>> w =
            checkpointRouter(layer, type.getDimSize(2));
        if (failed(w))
          return failure();
        scores = buildProbeScores(b, loc, h, *w);
      } else if (router == "probe") {
        std::string name =
            "layer." + std::to_string(layer.getIndexAttr().getInt()) +
            ".probe";
        const SafetensorsEntry *e = stats->lookup(name);
        const int64_t d = type.getDimSize(2);
        if (!e || e->dtype != "F32" ||
            e->data.size() != size_t(d + 1) * sizeof(float))
          return layer.emitOpError()
                 << "tx-mod-prune: the calibration statistics have no f32 '"
                 << name << "' of " << d + 1
                 << " values (write them with `txc calibrate` of this model)";
        std::vector<float> w(d + 1);
        std::memcpy(w.data(), e->data.data(), w.size() * sizeof(float));
        scores = buildProbeScores(b, loc, h, w);
      } else {
        scores = buildUpdateScores(b, loc, before, h,
                                   routedScores.lookup(pos - 1));
        routedScores[pos] = scores;
      }
      // Over the cache: the layer's own length, padding never routed, and
      // a short (last) prefill chunk keeps its own share of its tokens.
      Value limit, cacheStart, cacheEnd;
      int64_t cacheLayer = -1;
      if (cached) {
        bool mixed = false;
        layer.walk([&](KVAppendOp append) {
          if (cacheLayer >= 0 && cacheLayer != int64_t(append.getLayer()))
            mixed = true;
          cacheLayer = append.getLayer();
        });
        if (cacheLayer < 0 || mixed)
          return layer.emitOpError()
                 << "tx-mod-prune: a routed layer over a KV cache must "
                    "append to exactly one cache layer";
        Value at = arith::ConstantIndexOp::create(b, loc, cacheLayer);
        cacheStart = arith::IndexCastOp::create(
            b, loc, b.getIndexType(),
            tensor::ExtractOp::create(b, loc, step.layerLengths,
                                      ValueRange{at}));
        cacheEnd = arith::AddIOp::create(
            b, loc, cacheStart, arith::ConstantIndexOp::create(b, loc, k));
        scores = maskPadding(b, loc, scores, step.stepLength);
        limit = causal ? step.stepLength
                       : buildShareLimit(b, loc, step.stepLength, *r, k);
      }
      auto idxType = RankedTensorType::get({type.getDimSize(0), k},
                                           b.getI64Type());
      auto wType = RankedTensorType::get({type.getDimSize(0), k},
                                         b.getF32Type());
      // The kept tokens' weights: MoD's r, or p-MoD's g = a tanh(r) + b.
      RouteWeighting kind = weighting == "mod"    ? RouteWeighting::score
                            : weighting == "pmod" ? RouteWeighting::tanh
                                                  : RouteWeighting::one;
      auto route = RouteOp::create(
          b, loc, TypeRange{idxType, wType}, scores, b.getI64IntegerAttr(k),
          limit, RouteWeightingAttr::get(b.getContext(), kind),
          kind == RouteWeighting::tanh ? b.getF64FloatAttr(tanhAlpha)
                                       : FloatAttr(),
          kind == RouteWeighting::tanh ? b.getF64FloatAttr(tanhBeta)
                                       : FloatAttr(),
          cut ? b.getF64FloatAttr(*cut) : FloatAttr());
      // Over the cache, the tokens kept (batch 1): attention and MLP run
      // only when one is; the K/V of an empty slot lands past the layer's
      // length and the next step overwrites it.
      Value none;
      if (cached) {
        Value count = buildKeptCount(b, loc, route.getIndices());
        none = arith::CmpIOp::create(
            b, loc, arith::CmpIPredicate::eq, count,
            arith::ConstantIntOp::create(b, loc, b.getI64Type(), 0));
        step.kept[cacheLayer] = count;
      }
      Value gathered = GatherTokensOp::create(
          b, loc, withDim(type, 1, k), h, route.getIndices());
      Retyper retyper(layer, k, route.getIndices(), cacheStart, cacheEnd);
      LayerOp routed = retyper.build(gathered);
      if (!routed)
        return failure();
      // p-MoD's STRing: kept tokens' MLP output scaled by g (before the
      // body is split around its K/V fill).
      if (weighting == "pmod" &&
          failed(scaleMlp(routed, route.getWeights())))
        return failure();
      if (none)
        depth::makeConditional(routed, none);
      b.setInsertionPoint(layer);
      // MoD: kept rows x + r (layer(x) - x), the scatter's weighted form.
      // STRing: skipped rows g x (kept rows are replaced).
      Value base = h;
      if (weighting == "pmod")
        base = buildTanhScaled(b, loc, h, scores);
      Value merged = ScatterTokensOp::create(
          b, loc, type, base, routed.getResult(0), route.getIndices(),
          weighting == "mod" ? route.getWeights() : Value());
      for (Value &v : residualIn)
        if (v == layer.getResult(0))
          v = merged;
      layer.getResult(0).replaceAllUsesWith(merged);
      layer.erase();
      ordered[pos] = routed;
      ++numRouted;
      keptTokens += k;
      totalTokens += s;
    }
    if (cached && routedAny)
      finishCacheStep(step);
    return success();
  }

  /// Layer `layer`'s router from the checkpoint: blk.I.mod_router.weight
  /// (`d` values) then .bias (0 when absent), read from the weights.
  FailureOr<std::vector<float>> checkpointRouter(LayerOp layer, int64_t d) {
    std::string prefix =
        "blk." + std::to_string(layer.getIndexAttr().getInt()) +
        ".mod_router.";
    std::vector<float> w(d + 1, 0.0f);
    std::shared_ptr<tx::WeightStore> store = tx::getWeightStore(&getContext());
    // `n` f32 values of tensor `part`, from the compiler's weight store or
    // the module's weights file.
    auto read = [&](StringRef part, int64_t n, float *out) -> LogicalResult {
      std::string name = prefix + part.str(), dtype;
      ArrayRef<char> bytes;
      if (store) {
        if (!store->contains(name))
          return failure();
        llvm::Expected<tx::StoredTensor> t = store->lookup(name);
        if (!t) {
          llvm::consumeError(t.takeError());
          return failure();
        }
        dtype = t->dtype;
        bytes = t->bytes;
      } else if (const SafetensorsEntry *e =
                     weightsFile ? weightsFile->lookup(name) : nullptr) {
        dtype = e->dtype;
        bytes = e->data;
      }
      if (dtype != "F32" || bytes.size() != size_t(n) * sizeof(float))
        return failure();
      std::memcpy(out, bytes.data(), bytes.size());
      return success();
    };
    if (!store && !weightsFile) {
      Operation *module = layer->getParentOfType<ModuleOp>();
      auto path = module ? module->getAttrOfType<StringAttr>("tx.weights")
                         : StringAttr();
      if (path) {
        llvm::Expected<std::unique_ptr<SafetensorsFile>> file =
            SafetensorsFile::open(path.getValue());
        if (file)
          weightsFile = std::move(*file);
        else
          llvm::consumeError(file.takeError());
      }
    }
    if (failed(read("weight", d, w.data())))
      return layer.emitOpError()
             << "tx-mod-prune: router=checkpoint needs the model's f32 '"
             << prefix << "weight' of " << d
             << " values (a router Linear(" << d
             << " -> 1) per routed layer), which its weights do not have";
    (void)read("bias", 1, w.data() + d); // optional
    return w;
  }

  /// STRing's kept side: the routed layer's last residual add
  /// `h + m` (h = x + attention, m the MLP's output) becomes
  /// `h + g * m`, g the kept tokens' weights ([B, k]).
  LogicalResult scaleMlp(LayerOp layer, Value g) {
    YieldOp yield = layer.getYield();
    auto add = yield.getValues()[0].getDefiningOp<arith::AddFOp>();
    Value arg = layer.getBody().front().getArgument(0);
    auto isAttentionResidual = [&](Value v) {
      auto inner = v.getDefiningOp<arith::AddFOp>();
      return inner && (inner.getLhs() == arg || inner.getRhs() == arg);
    };
    if (!add || !isa<RankedTensorType>(add.getType()) ||
        !cast<RankedTensorType>(add.getType()).getElementType().isF32() ||
        !(isAttentionResidual(add.getLhs()) ||
          isAttentionResidual(add.getRhs())))
      return layer.emitOpError()
             << "tx-mod-prune: weighting=pmod (STRing) needs a pre-norm f32 "
                "layer ending in h + MLP(norm(h)) with h = x + attention";
    Value h = isAttentionResidual(add.getLhs()) ? add.getLhs() : add.getRhs();
    Value m = h == add.getLhs() ? add.getRhs() : add.getLhs();
    OpBuilder b(yield);
    Location loc = add.getLoc();
    auto type = cast<RankedTensorType>(add.getType());
    MLIRContext *ctx = b.getContext();
    AffineMap id = AffineMap::getMultiDimIdentityMap(3, ctx);
    AffineMap rows = AffineMap::get(
        3, 0, {getAffineDimExpr(0, ctx), getAffineDimExpr(1, ctx)}, ctx);
    Value out =
        linalg::GenericOp::create(
            b, loc, TypeRange{type}, ValueRange{h, m, g},
            ValueRange{tensor::EmptyOp::create(b, loc, type.getShape(),
                                               type.getElementType())},
            ArrayRef<AffineMap>{id, id, rows, id},
            SmallVector<utils::IteratorType>(3, utils::IteratorType::parallel),
            [&](OpBuilder &nb, Location l, ValueRange args) {
              Value scaled = arith::MulFOp::create(nb, l, args[2], args[1]);
              linalg::YieldOp::create(
                  nb, l,
                  ValueRange{arith::AddFOp::create(nb, l, args[0], scaled)});
            })
            .getResult(0);
    yield->setOperand(0, out);
    if (add->use_empty())
      add.erase();
    return success();
  }

  /// STRing's skipped side: every row of `h` ([B, S, D] f32) times
  /// g = alpha tanh(r) + beta of its score (kept rows are replaced after).
  Value buildTanhScaled(OpBuilder &b, Location loc, Value h, Value scores) {
    auto type = cast<RankedTensorType>(h.getType());
    MLIRContext *ctx = b.getContext();
    AffineMap id = AffineMap::getMultiDimIdentityMap(3, ctx);
    AffineMap rows = AffineMap::get(
        3, 0, {getAffineDimExpr(0, ctx), getAffineDimExpr(1, ctx)}, ctx);
    double alpha = tanhAlpha, beta = tanhBeta;
    return linalg::GenericOp::create(
               b, loc, TypeRange{type}, ValueRange{h, scores},
               ValueRange{tensor::EmptyOp::create(b, loc, type.getShape(),
                                                  type.getElementType())},
               ArrayRef<AffineMap>{id, rows, id},
               SmallVector<utils::IteratorType>(3,
                                                utils::IteratorType::parallel),
               [&](OpBuilder &nb, Location l, ValueRange args) {
                 Value a = arith::ConstantOp::create(
                     nb, l, nb.getF32FloatAttr(alpha));
                 Value c = arith::ConstantOp::create(
                     nb, l, nb.getF32FloatAttr(beta));
                 Value t = math::TanhOp::create(nb, l, args[1]);
                 Value g = arith::AddFOp::create(
                     nb, l, arith::MulFOp::create(nb, l, a, t), c);
                 linalg::YieldOp::create(
                     nb, l,
                     ValueRange{arith::MulFOp::create(nb, l, g, args[0])});
               })
        .getResult(0);
  }

  std::shared_ptr<SafetensorsFile> weightsFile;

  /// `scores` ([1, S]) with -inf from token `count` on (the padding).
  static Value maskPadding(OpBuilder &b, Location loc, Value scores,
                           Value count) {
    auto type = cast<RankedTensorType>(scores.getType());
    MLIRContext *ctx = b.getContext();
    AffineMap id = AffineMap::getMultiDimIdentityMap(2, ctx);
    Value init = tensor::EmptyOp::create(b, loc, type.getShape(),
                                         type.getElementType());
    return linalg::GenericOp::create(
               b, loc, TypeRange{type}, ValueRange{scores}, ValueRange{init},
               ArrayRef<AffineMap>{id, id},
               {utils::IteratorType::parallel, utils::IteratorType::parallel},
               [&](OpBuilder &nb, Location l, ValueRange args) {
                 Value i = linalg::IndexOp::create(nb, l, 1);
                 Value real = arith::CmpIOp::create(
                     nb, l, arith::CmpIPredicate::slt, i, count);
                 Value ninf = arith::ConstantOp::create(
                     nb, l, nb.getF32FloatAttr(
                                -std::numeric_limits<float>::infinity()));
                 linalg::YieldOp::create(
                     nb, l,
                     ValueRange{
                         arith::SelectOp::create(nb, l, real, args[0], ninf)});
               })
        .getResult(0);
  }

  /// clamp(floor(r * count), 1, k) as an index: the tokens a step of
  /// `count` real tokens keeps at ratio `r` (a full step keeps `k`).
  static Value buildShareLimit(OpBuilder &b, Location loc, Value count,
                               double r, int64_t k) {
    Type i64 = b.getI64Type(), f64 = b.getF64Type();
    Value n = arith::SIToFPOp::create(
        b, loc, f64, arith::IndexCastOp::create(b, loc, i64, count));
    Value scaled = arith::AddFOp::create(
        b, loc, arith::MulFOp::create(b, loc, n, arith::ConstantOp::create(
                                                     b, loc, b.getF64FloatAttr(r))),
        arith::ConstantOp::create(b, loc, b.getF64FloatAttr(1e-9)));
    // Non-negative, so truncation is the floor.
    Value share = arith::FPToSIOp::create(b, loc, i64, scaled);
    share = arith::MaxSIOp::create(
        b, loc, share, arith::ConstantIntOp::create(b, loc, i64, 1));
    share = arith::MinSIOp::create(
        b, loc, share, arith::ConstantIntOp::create(b, loc, i64, k));
    return arith::IndexCastOp::create(b, loc, b.getIndexType(), share);
  }

  /// The filled slots (index >= 0) of row 0 of `indices` ([1, K] i64), as
  /// an i64.
  static Value buildKeptCount(OpBuilder &b, Location loc, Value indices) {
    MLIRContext *ctx = b.getContext();
    Type i64 = b.getI64Type();
    auto type = RankedTensorType::get({1}, i64);
    Value zero = arith::ConstantIntOp::create(b, loc, i64, 0);
    Value empty =
        tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{1}, i64);
    Value init = linalg::FillOp::create(b, loc, zero, empty).getResult(0);
    AffineMap id = AffineMap::getMultiDimIdentityMap(2, ctx);
    AffineMap row = AffineMap::get(2, 0, {getAffineDimExpr(0, ctx)}, ctx);
    Value counts =
        linalg::GenericOp::create(
            b, loc, TypeRange{type}, ValueRange{indices}, ValueRange{init},
            ArrayRef<AffineMap>{id, row},
            {utils::IteratorType::parallel, utils::IteratorType::reduction},
            [&](OpBuilder &nb, Location l, ValueRange args) {
              Value z = arith::ConstantIntOp::create(nb, l, i64, 0);
              Value one = arith::ConstantIntOp::create(nb, l, i64, 1);
              Value filled = arith::CmpIOp::create(
                  nb, l, arith::CmpIPredicate::sge, args[0], z);
              Value add = arith::SelectOp::create(nb, l, filled, one, z);
              linalg::YieldOp::create(
                  nb, l, ValueRange{arith::AddIOp::create(nb, l, args[1], add)});
            })
            .getResult(0);
    Value at = arith::ConstantIndexOp::create(b, loc, 0);
    return tensor::ExtractOp::create(b, loc, counts, ValueRange{at});
  }

  std::shared_ptr<SafetensorsFile> stats;

  /// Calibration-fitted router: w . x + bias per row of the layer input x
  /// ([B, S, D]; `w` holds D weights then the bias): the predicted
  /// 1 - cos(layer input, output), how much the layer changes the token.
  static Value buildProbeScores(OpBuilder &b, Location loc, Value x,
                                ArrayRef<float> w) {
    auto type = cast<RankedTensorType>(x.getType());
    const int64_t d = type.getDimSize(2);
    MLIRContext *ctx = b.getContext();
    auto rowType = RankedTensorType::get(type.getShape().drop_back(),
                                         b.getF32Type());
    auto wType = RankedTensorType::get({d}, b.getF32Type());
    Value weights = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(wType, w.drop_back()));
    Value bias = arith::ConstantOp::create(b, loc,
                                           b.getF32FloatAttr(w.back()));
    Value empty = tensor::EmptyOp::create(b, loc, rowType.getShape(),
                                          b.getF32Type());
    Value init = linalg::FillOp::create(b, loc, bias, empty).getResult(0);
    AffineMap id = AffineMap::getMultiDimIdentityMap(3, ctx);
    AffineMap last = AffineMap::get(3, 0, {getAffineDimExpr(2, ctx)}, ctx);
    AffineMap rows = AffineMap::get(
        3, 0, {getAffineDimExpr(0, ctx), getAffineDimExpr(1, ctx)}, ctx);
    return linalg::GenericOp::create(
               b, loc, TypeRange{rowType}, ValueRange{x, weights},
               ValueRange{init}, ArrayRef<AffineMap>{id, last, rows},
               {utils::IteratorType::parallel, utils::IteratorType::parallel,
                utils::IteratorType::reduction},
               [&](OpBuilder &nb, Location l, ValueRange args) {
                 Value a = depth::castToF32(nb, l, args[0]);
                 Value p = arith::MulFOp::create(nb, l, a, args[1]);
                 linalg::YieldOp::create(
                     nb, l, ValueRange{arith::AddFOp::create(nb, l, args[2],
                                                             p)});
               })
        .getResult(0);
  }

  /// Training-free router: the squared size of each token's update in the
  /// previous layer, ||h - x||^2 per row ([B, S] f32). When the previous
  /// layer was routed too (its scores `carried`), a token it did not run
  /// has no update there (exactly 0) and keeps its score from that layer:
  /// the size of its update in the last layer it ran.
  static Value buildUpdateScores(OpBuilder &b, Location loc, Value x,
                                 Value h, Value carried) {
    auto type = cast<RankedTensorType>(h.getType());
    MLIRContext *ctx = b.getContext();
    auto rowType = RankedTensorType::get(type.getShape().drop_back(),
                                         b.getF32Type());
    Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0));
    Value empty = tensor::EmptyOp::create(b, loc, rowType.getShape(),
                                          b.getF32Type());
    Value init = linalg::FillOp::create(b, loc, zero, empty).getResult(0);
    AffineMap id = AffineMap::getMultiDimIdentityMap(3, ctx);
    AffineMap rows = AffineMap::get(
        3, 0, {getAffineDimExpr(0, ctx), getAffineDimExpr(1, ctx)}, ctx);
    Value update = linalg::GenericOp::create(
               b, loc, TypeRange{rowType}, ValueRange{x, h}, ValueRange{init},
               ArrayRef<AffineMap>{id, id, rows},
               {utils::IteratorType::parallel, utils::IteratorType::parallel,
                utils::IteratorType::reduction},
               [&](OpBuilder &nb, Location l, ValueRange args) {
                 Value a = depth::castToF32(nb, l, args[0]);
                 Value c = depth::castToF32(nb, l, args[1]);
                 Value d = arith::SubFOp::create(nb, l, c, a);
                 Value sq = arith::MulFOp::create(nb, l, d, d);
                 linalg::YieldOp::create(
                     nb, l, ValueRange{arith::AddFOp::create(nb, l, args[2],
                                                             sq)});
               })
        .getResult(0);
    if (!carried)
      return update;
    AffineMap id2 = AffineMap::getMultiDimIdentityMap(2, ctx);
    return linalg::GenericOp::create(
               b, loc, TypeRange{rowType}, ValueRange{update, carried},
               ValueRange{tensor::EmptyOp::create(b, loc, rowType.getShape(),
                                                  b.getF32Type())},
               ArrayRef<AffineMap>{id2, id2, id2},
               {utils::IteratorType::parallel, utils::IteratorType::parallel},
               [&](OpBuilder &nb, Location l, ValueRange args) {
                 Value z = arith::ConstantOp::create(nb, l,
                                                     nb.getF32FloatAttr(0));
                 Value skipped = arith::CmpFOp::create(
                     nb, l, arith::CmpFPredicate::OEQ, args[0], z);
                 linalg::YieldOp::create(
                     nb, l,
                     ValueRange{arith::SelectOp::create(nb, l, skipped,
                                                        args[1], args[0])});
               })
        .getResult(0);
  }
};

} // namespace
