//===- UseKVCache.cpp - put attention keys and values on the KV cache -----===//
//
// tx-use-kv-cache: one step of autoregressive generation over an in-place
// cache (see Passes.td for the contract).
//
//===----------------------------------------------------------------------===//

#include "RaiseUtils.h"
#include "txc/Dialect/Tx/TxOps.h"
#include "txc/Passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/ADT/BitVector.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/FormatVariadic.h"

namespace txc {
#define GEN_PASS_DEF_USEKVCACHEPASS
#include "txc/Passes/Passes.h.inc"
} // namespace txc

using namespace mlir;
using namespace txc;
using namespace txc::tx;

namespace {

StringRef argName(func::FuncOp func, unsigned i) {
  if (auto name = func.getArgAttrOfType<StringAttr>(i, "tx.name"))
    return name.getValue();
  return "";
}

/// The model's entry function (tx::findEntryFunction), if it is a func.func.
func::FuncOp entryFunction(ModuleOp module) {
  return dyn_cast_or_null<func::FuncOp>(
      tx::findEntryFunction(module).getOperation());
}

/// `new` when `v` is `tensor.concat dim(2) %past, %new` with %past an
/// argument of `func`; `past` receives the argument.
Value splitPast(Value v, func::FuncOp func, BlockArgument &past) {
  auto concat = v.getDefiningOp<tensor::ConcatOp>();
  if (!concat || concat.getDim() != 2 || concat.getInputs().size() != 2)
    return v;
  auto arg = dyn_cast<BlockArgument>(concat.getInputs()[0]);
  if (!arg || arg.getOwner() != &func.getBody().front())
    return v;
  past = arg;
  return concat.getInputs()[1];
}

/// Removes the results of `layer` that have no users (and the matching
/// operands of its tx.yield). Returns the new op.
LayerOp dropUnusedResults(LayerOp layer) {
  llvm::BitVector keep(layer.getNumResults());
  for (OpResult r : layer.getResults())
    if (!r.use_empty())
      keep.set(r.getResultNumber());
  if (keep.all())
    return layer;
  auto yield = cast<YieldOp>(layer.getBody().front().getTerminator());
  SmallVector<Value> operands;
  SmallVector<Type> types;
  for (unsigned i : keep.set_bits()) {
    operands.push_back(yield.getOperand(i));
    types.push_back(layer.getResult(i).getType());
  }
  OpBuilder b(layer);
  auto fresh = LayerOp::create(b, layer.getLoc(), types, layer.getIndexAttr(),
                               layer.getInputs());
  fresh->setAttrs(layer->getAttrs());
  fresh.getBody().takeBody(layer.getBody());
  yield->setOperands(operands);
  unsigned next = 0;
  for (unsigned i : keep.set_bits())
    layer.getResult(i).replaceAllUsesWith(fresh.getResult(next++));
  layer.erase();
  return fresh;
}

/// True when `v` is computed from `arg` and constants only (e.g. the
/// padding mask an attention_mask input becomes).
bool onlyFrom(Value v, BlockArgument arg) {
  SmallVector<Value> work = {v};
  llvm::SmallPtrSet<Operation *, 16> seen;
  bool readsArg = false;
  while (!work.empty()) {
    Value x = work.pop_back_val();
    if (x == arg) {
      readsArg = true;
      continue;
    }
    Operation *def = x.getDefiningOp();
    if (!def)
      return false; // another argument
    if (!seen.insert(def).second)
      continue;
    llvm::append_range(work, def->getOperands());
    // Values a region (a linalg.generic body) reads from outside.
    llvm::SetVector<Value> above;
    mlir::getUsedValuesDefinedAbove(def->getRegions(), above);
    llvm::append_range(work, above);
  }
  return readsArg;
}

/// Erases the op defining `v` if nothing uses it any more, then the ops
/// that computed its operands, transitively.
void eraseDeadChain(Value v) {
  llvm::SetVector<Operation *> work;
  if (Operation *def = v.getDefiningOp())
    work.insert(def);
  raise::eraseDeadOps(work);
}

struct UseKVCachePass : public txc::impl::UseKVCachePassBase<UseKVCachePass> {
  using UseKVCachePassBase::UseKVCachePassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    auto fail = [&](Operation *at, const Twine &msg) {
      // At the op's location without printing the op (a whole function).
      mlir::emitError(at->getLoc()) << "tx-use-kv-cache: " << msg;
      signalPassFailure();
    };
    func::FuncOp func = entryFunction(module);
    if (!func)
      return fail(module, "no entry function (expected @main or a single "
                          "public function)");
    if (auto routed = func.walk([](tx::RouteOp op) {
                            return WalkResult::interrupt();
                          });
        routed.wasInterrupted())
      return fail(func, "the model routes tokens already: run tx-mod-prune "
                        "after tx-use-kv-cache, so that routed layers keep "
                        "their own cache lengths");
    if (capacity <= 0)
      return fail(module, "capacity must be positive (txc --max-seq N)");
    if (blockSize < 0 || (blockSize > 0 && capacity % blockSize != 0))
      return fail(module, "the block size (" + Twine(blockSize) +
                              ") must divide the capacity (" +
                              Twine(capacity) + ")");
    if (kvQuant != "f32" && kvQuant != "int8" && kvQuant != "fp8" &&
        kvQuant != "int4")
      return fail(module, "kv-quant must be f32, int8, fp8 or int4, got '" +
                              Twine(kvQuant) + "' (txc --kv-quant)");
    if (kvQuant == "int4" && blockSize > 0)
      return fail(module, "kv-quant=int4 needs a contiguous cache; it "
                          "cannot be combined with block-size (txc "
                          "--kv-block)");
    Block &entry = func.getBody().front();

    // Roles of the inputs, as the frontend recorded them.
    int tokens = findInputRole(func, InputRole::token_ids);
    int positions = findInputRole(func, InputRole::positions);
    if (tokens < 0)
      return fail(func, "the model has no token ids input (an argument with "
                        "tx.role = #tx.input_role<token_ids>, [batch, "
                        "sequence])");
    std::string tokensName = argName(func, tokens).str();
    if (tokensName.empty())
      tokensName = "input_ids";
    std::string positionsName =
        positions >= 0 ? argName(func, positions).str() : "";
    if (positions >= 0 && positionsName.empty())
      positionsName = "position_ids";
    auto tokenType =
        dyn_cast<RankedTensorType>(entry.getArgument(tokens).getType());
    if (!tokenType || tokenType.getRank() != 2 ||
        !tokenType.hasStaticShape() ||
        !tokenType.getElementType().isSignlessInteger())
      return fail(func, "input '" + tokensName +
                            "' (the token ids) must be [batch, sequence] "
                            "integers with static sizes (specialize with "
                            "--shape), got " +
                            Twine(llvm::formatv(
                                      "{0}", entry.getArgument(tokens).getType())
                                      .str()));
    int64_t batch = tokenType.getDimSize(0), seq = tokenType.getDimSize(1);
    if (seq > capacity)
      return fail(func, "a step of " + Twine(seq) +
                            " tokens does not fit a cache of capacity " +
                            Twine(capacity));

    // Positions. A constant position operand (tx.rope positions, or the
    // indices of a position-embedding lookup) that counts up from the past
    // length, as exports that compute positions from their shapes have, is
    // replaced by cache_position + i once the input exists; any other
    // constant position, or rotary tables folded for the export's positions
    // (tx.rope without positions and with constant tables), cannot follow
    // the cache.
    SmallVector<std::pair<OpOperand *, DenseIntElementsAttr>>
        positionConstants;
    SmallVector<OpOperand *> runtimePositions;
    bool bad = false;
    auto isConstant = [](Value v) {
      return matchPattern(v, m_Constant()) ||
             isa_and_present<WeightOp>(v.getDefiningOp());
    };
    func.walk([&](Operation *op) {
      OpOperand *operand = nullptr;
      if (auto rope = dyn_cast<RopeOp>(op)) {
        if (!rope.getPositions()) {
          if (isConstant(rope.getCos()) || isConstant(rope.getSin())) {
            fail(rope, "tx.rope applies constant rotary tables computed for "
                       "the export's positions; generation needs a model "
                       "whose positions come from an input (position_ids)");
            bad = true;
          }
          return;
        }
        operand = &rope.getPositionsMutable()[0];
      } else if (auto lookup = dyn_cast<EmbeddingOp>(op)) {
        operand = &lookup.getIdsMutable();
      } else {
        return;
      }
      DenseIntElementsAttr values;
      if (!matchPattern(operand->get(), m_Constant(&values)))
        return;
      positionConstants.push_back({operand, values});
    });
    if (bad)
      return;

    // The attentions, in program order, and what they write to the cache.
    struct Site {
      AttentionOp op;
      Value newKey, newValue;
    };
    SmallVector<Site> sites;
    llvm::SetVector<BlockArgument> pasts;
    BlockArgument attentionMask;
    for (BlockArgument arg : entry.getArguments())
      if (getInputRole(func, arg.getArgNumber()) == InputRole::attention_mask)
        attentionMask = arg;
    func.walk([&](AttentionOp op) {
      if (bad)
        return;
      // A padding mask from an attention_mask input: generation runs rows
      // without padding (all ones), where it masks nothing.
      if (Value mask = op.getExplicitMask();
          mask && attentionMask && onlyFrom(mask, attentionMask)) {
        op.getExplicitMaskMutable().clear();
        eraseDeadChain(mask);
      }
      if (!isPositionalMask(op.getMask()) || op.getExplicitMask() ||
          op.getKvLength()) {
        fail(op, "this attention cannot read the KV cache: only mask kinds "
                 "none, causal and sliding_window without explicit mask "
                 "(e.g. from an attention_mask input) or kv_length are "
                 "supported");
        bad = true;
        return;
      }
      BlockArgument pastK, pastV;
      Value k = splitPast(op.getKey(), func, pastK);
      Value v = splitPast(op.getValue(), func, pastV);
      if (bool(pastK) != bool(pastV)) {
        fail(op, "only one of the keys and values continues a past input");
        bad = true;
        return;
      }
      if (pastK) {
        pasts.insert(pastK);
        pasts.insert(pastV);
      }
      sites.push_back({op, k, v});
    });
    if (bad)
      return;
    if (sites.empty())
      return fail(func, "the model has no attention to put on a KV cache");

    auto kType = cast<RankedTensorType>(sites.front().newKey.getType());
    for (Site &s : sites) {
      for (Value t : {s.newKey, s.newValue}) {
        auto type = cast<RankedTensorType>(t.getType());
        if (type != kType || type.getDimSize(2) != seq ||
            type.getDimSize(0) != batch)
          return fail(s.op, "keys and values of every attention must be "
                            "[batch, kv_heads, S, head_dim] of one type (" +
                            Twine(llvm::formatv("{0}", kType).str()) +
                            " with S the input_ids length " + Twine(seq) +
                            "), got " +
                            Twine(llvm::formatv("{0}", type).str()));
      }
    }
    for (BlockArgument past : pasts)
      if (past.getType() != RankedTensorType::get(
                                {batch, kType.getDimSize(1),
                                 cast<RankedTensorType>(past.getType())
                                     .getDimSize(2),
                                 kType.getDimSize(3)},
                                kType.getElementType()))
        return fail(func, "past input '" +
                              argName(func, past.getArgNumber()) +
                              "' does not match the new keys " +
                              Twine(llvm::formatv("{0}", kType).str()));
    // Constant positions must count up from the past length (0 without a
    // past): [past, past + S) along the sequence, the same for every row.
    int64_t pastLength = 0;
    if (!pasts.empty())
      pastLength =
          cast<RankedTensorType>(pasts.front().getType()).getDimSize(2);
    for (auto [operand, values] : positionConstants) {
      auto type = cast<RankedTensorType>(values.getType());
      bool counts = type.getRank() >= 1 && type.getShape().back() == seq &&
                    type.getNumElements() % seq == 0;
      if (counts) {
        int64_t i = 0;
        for (const APInt &v : values.getValues<APInt>())
          counts = counts && v.getSExtValue() == pastLength + (i++ % seq);
      }
      if (!counts) {
        // A lookup with other constant indices is not about positions.
        if (isa<EmbeddingOp>(operand->getOwner()))
          continue;
        return fail(operand->getOwner(),
                    "tx.rope takes constant positions (computed from the "
                    "export's shapes) that do not count up from the past "
                    "length " + Twine(pastLength) +
                        "; generation needs a model whose positions come from "
                        "an input (position_ids)");
      }
      runtimePositions.push_back(operand);
    }

    // Without position_ids (and no positions recognized above) the export
    // computed positions from its shapes some other way, which the cache
    // makes meaningless.
    if (positions < 0 && runtimePositions.empty())
      return fail(func, "the model has no input 'position_ids': its "
                        "positions were computed from the export's shapes, "
                        "which the cache replaces; export it with "
                        "position_ids as an input");

    // Position tables must hold every position the cache can reach
    // (positions are table rows: beyond the table a lookup reads garbage).
    Value positionArg =
        positions >= 0 ? Value(entry.getArgument(positions)) : Value();
    auto readsPositions = [&](Value ids) {
      // Through ops that only move the positions (the importer takes the
      // first row of an added position_ids input).
      while (Operation *def = ids.getDefiningOp()) {
        if (!isa<tensor::ExtractSliceOp, tensor::CollapseShapeOp,
                 tensor::ExpandShapeOp, tensor::CastOp>(def))
          break;
        ids = def->getOperand(0);
      }
      return ids == positionArg ||
             llvm::any_of(runtimePositions,
                          [&](OpOperand *o) { return o->get() == ids; });
    };
    WalkResult tooShort = func.walk([&](Operation *op) {
      int64_t rows = -1;
      if (auto rope = dyn_cast<RopeOp>(op);
          rope && rope.getPositions() &&
          cast<RankedTensorType>(rope.getCos().getType()).getRank() == 2)
        rows = cast<RankedTensorType>(rope.getCos().getType()).getDimSize(0);
      if (auto lookup = dyn_cast<EmbeddingOp>(op);
          lookup && readsPositions(lookup.getIds()))
        rows = lookup.getVocabSize();
      if (rows < 0 || ShapedType::isDynamic(rows) || rows >= capacity)
        return WalkResult::advance();
      fail(op, "the cache capacity " + Twine(capacity) +
                   " exceeds the model's " + Twine(rows) +
                   " positions (rows of this position table); compile with "
                   "--max-seq " + Twine(rows) + " or less");
      return WalkResult::interrupt();
    });
    if (tooShort.wasInterrupted())
      return;

    // The cache and the position inputs. A quantized cache has one scale
    // per (token, head) row of head_dim values.
    KVFormatAttr format;
    const int64_t headDim = kType.getDimSize(3);
    if (kvQuant == "int4") {
      // The group: as given, or (0) the largest power of two up to 32 that
      // divides the head size and the capacity.
      int64_t group = kvQuantGroup;
      if (group == 0) {
        group = 32;
        while (group > 2 && (headDim % group != 0 || capacity % group != 0))
          group /= 2;
      }
      if (group < 2 || !llvm::isPowerOf2_64(group) || group > (1 << 14))
        return fail(module, "kv-quant-group must be a power of two from 2 to "
                            "16384 (or 0: chosen), got " +
                                Twine(group) + " (txc --kv-quant-group)");
      if (headDim % 8 != 0 || headDim % group != 0)
        return fail(func, "kv-quant=int4 needs a head size that is a "
                          "multiple of 8 and of kv-quant-group (" +
                              Twine(group) + "), got " + Twine(headDim) +
                              " (txc --kv-quant-group)");
      if (capacity % group != 0)
        return fail(module, "kv-quant=int4 needs a capacity (" +
                                Twine(capacity) +
                                ") that is a multiple of kv-quant-group (" +
                                Twine(group) + ") (txc --max-seq)");
      if (kvQuantResidual < 0 || kvQuantResidual % group != 0 ||
          kvQuantResidual / group > 4000)
        return fail(module, "kv-quant-residual must be a multiple of "
                            "kv-quant-group (" +
                                Twine(group) +
                                ") from 0 to 4000 groups, got " +
                                Twine(kvQuantResidual) +
                                " (txc --kv-quant-residual)");
      if (kvQuantBuffer != 0 && (kvQuantBuffer < kvQuantResidual + group ||
                                 (kvQuantBuffer + group - 1) / group > 4095))
        return fail(module, "kv-quant-buffer must be from residual + group "
                            "to 4095 groups, got " +
                                Twine(kvQuantBuffer));
      // The buffer covers the residual window, a partial group and one
      // step (a padded prefill chunk the next step starts inside), in
      // whole groups.
      int64_t buffer = kvQuantBuffer;
      if (buffer == 0)
        buffer = kvQuantResidual + group +
                 (ShapedType::isDynamic(seq) ? capacity : seq);
      buffer = (buffer + group - 1) / group * group;
      if (buffer / group > 4095)
        return fail(func, "kv-quant=int4: the f32 buffer of " +
                              Twine(buffer) +
                              " rows is more than 4095 groups; use a larger "
                              "kv-quant-group or a shorter step (txc "
                              "--prefill-chunk)");
      format = KVFormatAttr::get(ctx, QuantKind::int4, group,
                                 QuantAxis::per_channel, kvQuantResidual,
                                 buffer);
    } else if (kvQuant != "f32") {
      format = KVFormatAttr::get(
          ctx, kvQuant == "int8" ? QuantKind::int8 : QuantKind::fp8_e4m3,
          headDim, QuantAxis::per_token, 0, 0);
    }
    auto cacheType = KVCacheType::get(
        ctx, sites.size(), kType.getDimSize(1), capacity, kType.getDimSize(3),
        kType.getElementType(),
        blockSize > 0 ? KVLayout::paged : KVLayout::contiguous,
        blockSize > 0 ? blockSize : 0, format);
    Location loc = func.getLoc();
    unsigned cacheArg = func.getNumArguments();
    if (failed(func.insertArgument(cacheArg, cacheType, {}, loc)))
      return signalPassFailure();
    func.setArgAttr(cacheArg, "tx.name", StringAttr::get(ctx, "kv_cache"));
    auto posType = RankedTensorType::get({1}, IntegerType::get(ctx, 64));
    unsigned posArg = func.getNumArguments();
    if (failed(func.insertArgument(posArg, posType, {}, loc)))
      return signalPassFailure();
    func.setArgAttr(posArg, "tx.name", StringAttr::get(ctx, "cache_position"));
    Value cache = entry.getArgument(cacheArg);

    OpBuilder top = OpBuilder::atBlockBegin(&entry);
    Value zero = arith::ConstantIndexOp::create(top, loc, 0);
    Value pos64 = tensor::ExtractOp::create(top, loc, entry.getArgument(posArg),
                                            ValueRange{zero});
    Value pos = arith::IndexCastOp::create(top, loc, top.getIndexType(), pos64);
    Value length = arith::AddIOp::create(
        top, loc, pos, arith::ConstantIndexOp::create(top, loc, seq));
    // Positions the export had folded: cache_position + i.
    for (OpOperand *operand : runtimePositions) {
      auto type = cast<RankedTensorType>(operand->get().getType());
      auto elem = cast<IntegerType>(type.getElementType());
      auto generate = tensor::GenerateOp::create(
          top, loc, type, ValueRange{},
          [&](OpBuilder &b, Location l, ValueRange indices) {
            Value at = arith::AddIOp::create(b, l, pos, indices.back());
            Value cast = arith::IndexCastOp::create(b, l, elem, at);
            tensor::YieldOp::create(b, l, cast);
          });
      operand->set(generate);
    }

    auto viewType = RankedTensorType::get(
        {batch, kType.getDimSize(1), capacity, kType.getDimSize(3)},
        kType.getElementType());
    for (auto [layer, s] : llvm::enumerate(sites)) {
      OpBuilder b(s.op);
      KVAppendOp::create(b, s.op.getLoc(), cache, layer, s.newKey, s.newValue,
                         pos);
      auto view = KVViewOp::create(b, s.op.getLoc(), viewType, viewType, cache,
                                   layer, length);
      s.op.getKeyMutable().assign(view.getKey());
      s.op.getValueMutable().assign(view.getValue());
      s.op.getKvLengthMutable().assign(length);
    }

    // Present outputs (concatenations with a past, returned) go away with
    // the past inputs; so do results of layers that only carried them.
    auto ret = cast<func::ReturnOp>(entry.getTerminator());
    auto isPresent = [&](Value v) -> bool {
      while (auto r = dyn_cast<OpResult>(v)) {
        auto layer = dyn_cast<LayerOp>(r.getOwner());
        if (!layer)
          break;
        v = layer.getBody().front().getTerminator()->getOperand(
            r.getResultNumber());
      }
      BlockArgument past;
      return splitPast(v, func, past) != v;
    };
    llvm::BitVector dropResults(ret.getNumOperands());
    for (auto [i, v] : llvm::enumerate(ret.getOperands()))
      if (isPresent(v))
        dropResults.set(i);
    if (dropResults.count() == ret.getNumOperands())
      return fail(func, "every output of the model is a present key/value: "
                        "nothing is left to return (logits)");
    ret->eraseOperands(dropResults);
    if (failed(func.eraseResults(dropResults)))
      return signalPassFailure();
    SmallVector<LayerOp> layers;
    func.walk([&](LayerOp l) { layers.push_back(l); });
    for (LayerOp l : llvm::reverse(layers))
      dropUnusedResults(l);
    // Concatenations nothing reads any more.
    SmallVector<tensor::ConcatOp> concats;
    func.walk([&](tensor::ConcatOp c) {
      if (c->use_empty())
        concats.push_back(c);
    });
    for (tensor::ConcatOp c : concats)
      c.erase();

    // Inputs nothing reads: the pasts, and e.g. an attention_mask that only
    // GroupQueryAttention's seqlens_k came from (folded away).
    llvm::BitVector dropArgs(func.getNumArguments());
    for (BlockArgument arg : entry.getArguments())
      if (arg.use_empty() && arg.getArgNumber() != posArg &&
          (int)arg.getArgNumber() != tokens &&
          (int)arg.getArgNumber() != positions)
        dropArgs.set(arg.getArgNumber());
    for (BlockArgument past : pasts)
      if (!past.use_empty())
        return fail(func, "past input '" + argName(func, past.getArgNumber()) +
                              "' is read by something other than the "
                              "concatenation with the new keys or values");
    if (failed(func.eraseArguments(dropArgs)))
      return signalPassFailure();

    // Roles for the runtime.
    NamedAttrList roles;
    roles.append("tokens", StringAttr::get(ctx, tokensName));
    if (positions >= 0)
      roles.append("positions", StringAttr::get(ctx, positionsName));
    roles.append("cache", StringAttr::get(ctx, "kv_cache"));
    roles.append("cache_position", StringAttr::get(ctx, "cache_position"));
    roles.append("logits", func.getResultAttrOfType<StringAttr>(0, "tx.name")
                               ? func.getResultAttrOfType<StringAttr>(0, "tx.name")
                               : StringAttr::get(ctx, "output0"));
    roles.append("batch", IntegerAttr::get(IntegerType::get(ctx, 64), batch));
    roles.append("step", IntegerAttr::get(IntegerType::get(ctx, 64), seq));
    roles.append("cache_type", TypeAttr::get(cacheType));
    func->setAttr("tx.generation", roles.getDictionary(ctx));
  }
};

} // namespace
