//===- TxToLinalgKVCache.cpp - the in-place KV cache on tensors ------------===//
//
// Lowers a `!tx.kv_cache` argument of the entry function to one f32 tensor
// argument the runtime owns and the model writes in place:
//
//   contiguous: [layers, 2, batch, kv_heads, capacity, head_dim]
//   paged<bs>:  [layers, 2, batch * capacity / bs, kv_heads, bs, head_dim]
//               plus an input `block_table` [batch, capacity / bs] i32
//
// (index 1: 0 keys, 1 values). The kv ops become a chain of tensor ops on
// that argument in program order: tx.kv_append an insert_slice at the
// run-time position (paged: one per batch row and position, at the block the
// table names), tx.kv_view an extract_slice of the whole capacity (paged:
// the layer's block pools, with the attention reading through the table).
// One-shot bufferization then writes the argument's buffer in place.
//
// A quantized cache (`#tx.kv_format<int8 | fp8_e4m3, group = head_dim,
// per_token>`, txc --kv-quant) has the same shape with i8 elements and
// head_dim + 4 bytes in the last dimension: each (token, head) row is
// head_dim codes followed by its f32 scale (lib/Runtime/kernels/cpu/
// KVQuant.h). tx.kv_append becomes txcpu.kv_quant_append (the kernel
// quantizes the new rows into the cache, through the block table when
// paged), and the attention reading a view gets the i8 slices (or pools)
// and `kv_format`, so that its kernel reads the codes directly.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "txc/Codegen/TxCpuOps.h"
#include "txc-c/txc_model_format.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace txc;

namespace {

SmallVector<OpFoldResult> indexAttrs(OpBuilder &b, ArrayRef<int64_t> values) {
  SmallVector<OpFoldResult> out;
  for (int64_t v : values)
    out.push_back(b.getIndexAttr(v));
  return out;
}

} // namespace

LogicalResult txc::cpu::lowerKVCache(func::FuncOp func) {
  Block &entry = func.getBody().front();
  BlockArgument cacheArg;
  for (BlockArgument arg : entry.getArguments())
    if (isa<tx::KVCacheType>(arg.getType())) {
      if (cacheArg)
        return func.emitError() << "tx-lower-to-linalg: more than one "
                                   "!tx.kv_cache argument";
      cacheArg = arg;
    }
  SmallVector<Operation *> kvOps;
  bool misplaced = false;
  func.walk([&](Operation *op) {
    if (!isa<tx::KVAppendOp, tx::KVViewOp, tx::KVCommitOp>(op))
      return;
    kvOps.push_back(op);
    // Appends thread the cache through the entry block in program order. A
    // view may sit in a region (tx-early-exit's scf.if): no append is
    // nested, so it reads the cache as its ancestor in the entry block sees
    // it (the walk visits it there, between that ancestor's neighbours).
    if (op->getOperand(0) != cacheArg ||
        (op->getBlock() != &entry && !isa<tx::KVViewOp>(op))) {
      op->emitError() << "tx-lower-to-linalg: KV cache ops must use the "
                         "entry function's !tx.kv_cache argument, and "
                         "appends must be outside any region";
      misplaced = true;
    }
    if (isa<tx::KVCommitOp>(op)) {
      op->emitError() << "tx-lower-to-linalg: tx.kv_commit is not "
                         "supported by the CPU backend yet";
      misplaced = true;
    }
  });
  if (misplaced)
    return failure();
  if (!cacheArg)
    return success();
  if (kvOps.empty())
    return func.emitError() << "tx-lower-to-linalg: the !tx.kv_cache "
                               "argument is never appended to or viewed";

  auto cache = cast<tx::KVCacheType>(cacheArg.getType());
  Type elem = cache.getElementType();
  // The kernels' KVFormat number of a quantized cache (0: f32 elements).
  int32_t kvFormat = 0;
  const int64_t dim = cache.getHeadDim();
  const bool paged = cache.getLayout() == tx::KVLayout::paged;
  bool int4 = false;
  if (tx::KVFormatAttr format = cache.getFormat()) {
    const int64_t group = format.getGroup();
    if (format.getAxis() == tx::QuantAxis::per_token && group == dim &&
        format.getResidual() == 0)
      kvFormat = format.getKind() == tx::QuantKind::int8 ? TXC_KV_FORMAT_INT8
                 : format.getKind() == tx::QuantKind::fp8_e4m3
                     ? TXC_KV_FORMAT_FP8
                     : 0;
    // KIVI int4: the kernels' layout needs a power-of-two group, 4-byte
    // aligned slots (head_dim a multiple of 8) and a contiguous cache.
    if (format.getAxis() == tx::QuantAxis::per_channel &&
        format.getKind() == tx::QuantKind::int4 && !paged &&
        txc_kv_int4_supported(dim, cache.getCapacity(), group,
                              format.getResidual(), format.getBufferRows())) {
      int4 = true;
      kvFormat = TXC_KV_INT4_WORD(
          static_cast<int32_t>(llvm::Log2_64(group)),
          static_cast<int32_t>(format.getResidual() / group),
          static_cast<int32_t>(format.getBufferRows() / group));
    }
    if (kvFormat == 0)
      return func.emitError()
             << "tx-lower-to-linalg: the CPU backend supports quantized KV "
                "caches of kind int8 or fp8_e4m3 with one scale per (token, "
                "head) row (group = head_dim, per_token), and contiguous "
                "int4 caches with keys per channel (per_channel, a "
                "power-of-two group dividing head_dim, head_dim a multiple "
                "of 8, "
                "residual and buffer multiples of the group, the buffer at "
                "most 4095 groups), got "
             << format << (paged ? " on a paged cache" : "");
  }
  if (!elem.isF32())
    return func.emitError() << "tx-lower-to-linalg: only f32 KV caches are "
                               "supported by the CPU backend yet, got "
                            << cache;
  const bool quantized = kvFormat != 0;
  // The batch comes from the tensors the ops read and write.
  int64_t batch = isa<tx::KVAppendOp>(kvOps.front())
                      ? cast<tx::KVAppendOp>(kvOps.front()).getKey().getType()
                            .getDimSize(0)
                      : cast<tx::KVViewOp>(kvOps.front()).getKey().getType()
                            .getDimSize(0);
  const int64_t layers = cache.getLayers(), heads = cache.getKvHeads(),
                cap = cache.getCapacity();
  const int64_t bs = paged ? cache.getBlockSize() : 0;
  const int64_t tableWidth = paged ? cap / bs : 0;
  const int64_t blocks = paged ? batch * tableWidth : 0;
  MLIRContext *ctx = func.getContext();
  // Stored elements: f32, or bytes (rows of codes and a scale).
  Type storedElem = quantized ? Type(IntegerType::get(ctx, 8)) : elem;
  // int4: slots of TXC_KV_INT4_ROW bytes, the f32 ring first
  // (txc_model_format.h).
  int64_t row = quantized ? dim + 4 : dim, slots = cap;
  if (int4) {
    tx::KVFormatAttr format = cache.getFormat();
    row = TXC_KV_INT4_ROW(dim, format.getGroup());
    slots = TXC_KV_INT4_SLOTS(cap, dim, format.getGroup(),
                              format.getBufferRows());
  }
  auto storage = paged ? RankedTensorType::get(
                             {layers, 2, blocks, heads, bs, row}, storedElem)
                       : RankedTensorType::get(
                             {layers, 2, batch, heads, slots, row}, storedElem);
  cacheArg.setType(storage);
  Value table;
  if (paged) {
    unsigned index = func.getNumArguments();
    auto tableType = RankedTensorType::get({batch, tableWidth},
                                           IntegerType::get(ctx, 32));
    if (failed(func.insertArgument(index, tableType, {}, func.getLoc())))
      return failure();
    func.setArgAttr(index, "tx.name", StringAttr::get(ctx, "block_table"));
    table = entry.getArgument(index);
  }
  func.setFunctionType(FunctionType::get(ctx, entry.getArgumentTypes(),
                                         func.getResultTypes()));

  Value current = cacheArg;
  OpBuilder b(ctx);
  auto unit = [&](int64_t n) { return SmallVector<int64_t>(n, 1); };
  for (Operation *op : kvOps) {
    b.setInsertionPoint(op);
    Location loc = op->getLoc();
    if (auto append = dyn_cast<tx::KVAppendOp>(op)) {
      int64_t layer = append.getLayer();
      auto type = append.getKey().getType();
      int64_t seq = type.getDimSize(2);
      Value pos = append.getPosition();
      if (!type.hasStaticShape() || type.getDimSize(0) != batch)
        return append.emitError() << "tx-lower-to-linalg: kv_append needs "
                                     "static [batch, kv_heads, S, head_dim] "
                                     "with one batch size";
      if (quantized) {
        Value sources[2] = {append.getKey(), append.getValue()};
        for (auto [kv, src] : llvm::enumerate(sources))
          current = txcpu::KVQuantAppendOp::create(
                        b, loc, storage, src, pos, table, current,
                        b.getI64IntegerAttr(layer), b.getI64IntegerAttr(kv),
                        b.getI32IntegerAttr(kvFormat),
                        paged ? b.getI64IntegerAttr(bs) : IntegerAttr())
                        .getResult();
      } else if (!paged) {
        Value sources[2] = {append.getKey(), append.getValue()};
        for (auto [kv, src] : llvm::enumerate(sources)) {
          SmallVector<OpFoldResult> offsets =
              indexAttrs(b, {layer, int64_t(kv), 0, 0, 0, 0});
          offsets[4] = pos;
          current = tensor::InsertSliceOp::create(
              b, loc, src, current, offsets,
              indexAttrs(b, {1, 1, batch, heads, seq, dim}),
              indexAttrs(b, unit(6)));
        }
      } else {
        // One [kv_heads, head_dim] slice per batch row and position.
        Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
        Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
        Value nb = arith::ConstantIndexOp::create(b, loc, batch);
        Value ns = arith::ConstantIndexOp::create(b, loc, seq);
        Value cbs = arith::ConstantIndexOp::create(b, loc, bs);
        Value sources[2] = {append.getKey(), append.getValue()};
        auto rows = scf::ForOp::create(
            b, loc, c0, nb, c1, ValueRange{current},
            [&](OpBuilder &rb, Location rl, Value bi, ValueRange rowIter) {
              auto cols = scf::ForOp::create(
                  rb, rl, c0, ns, c1, rowIter,
                  [&](OpBuilder &cb, Location cl, Value si, ValueRange it) {
                    Value p = arith::AddIOp::create(cb, cl, pos, si);
                    Value which = arith::DivUIOp::create(cb, cl, p, cbs);
                    Value off = arith::RemUIOp::create(cb, cl, p, cbs);
                    Value id = tensor::ExtractOp::create(
                        cb, cl, table, ValueRange{bi, which});
                    Value blk = arith::IndexCastOp::create(
                        cb, cl, cb.getIndexType(), id);
                    Value acc = it[0];
                    for (auto [kv, src] : llvm::enumerate(sources)) {
                      SmallVector<OpFoldResult> from =
                          indexAttrs(cb, {0, 0, 0, 0});
                      from[0] = bi;
                      from[2] = si;
                      auto sliceType = RankedTensorType::get({heads, dim}, elem);
                      Value slice = tensor::ExtractSliceOp::create(
                          cb, cl, sliceType, src, from,
                          indexAttrs(cb, {1, heads, 1, dim}),
                          indexAttrs(cb, unit(4)));
                      SmallVector<OpFoldResult> to =
                          indexAttrs(cb, {layer, int64_t(kv), 0, 0, 0, 0});
                      to[2] = blk;
                      to[4] = off;
                      acc = tensor::InsertSliceOp::create(
                          cb, cl, slice, acc, to,
                          indexAttrs(cb, {1, 1, 1, heads, 1, dim}),
                          indexAttrs(cb, unit(6)));
                    }
                    scf::YieldOp::create(cb, cl, acc);
                  });
              scf::YieldOp::create(rb, rl, cols.getResult(0));
            });
        current = rows.getResult(0);
      }
      append.erase();
      continue;
    }
    auto view = cast<tx::KVViewOp>(op);
    int64_t layer = view.getLayer();
    auto viewType = view.getKey().getType();
    if (!paged && !quantized) {
      if (viewType != RankedTensorType::get({batch, heads, cap, dim}, elem))
        return view.emitError() << "tx-lower-to-linalg: kv_view must read the "
                                   "whole capacity [batch, kv_heads, "
                                   "capacity, head_dim] (the consumer limits "
                                   "it with kv_length)";
      Value results[2] = {view.getKey(), view.getValue()};
      for (auto [kv, result] : llvm::enumerate(results)) {
        Value slice = tensor::ExtractSliceOp::create(
            b, loc, cast<RankedTensorType>(result.getType()), current,
            indexAttrs(b, {layer, int64_t(kv), 0, 0, 0, 0}),
            indexAttrs(b, {1, 1, batch, heads, cap, dim}),
            indexAttrs(b, unit(6)));
        result.replaceAllUsesWith(slice);
      }
      view.erase();
      continue;
    }
    // Paged or quantized: the attention kernel reads the pools through the
    // table, or the codes and scales of the quantized rows.
    if (!paged &&
        viewType != RankedTensorType::get({batch, heads, cap, dim}, elem))
      return view.emitError() << "tx-lower-to-linalg: kv_view must read the "
                                 "whole capacity [batch, kv_heads, "
                                 "capacity, head_dim] (the consumer limits "
                                 "it with kv_length)";
    const int64_t outer = paged ? blocks : batch, inner = paged ? bs : slots;
    auto poolType =
        RankedTensorType::get({outer, heads, inner, row}, storedElem);
    Value pools[2];
    for (int kv = 0; kv < 2; ++kv)
      pools[kv] = tensor::ExtractSliceOp::create(
          b, loc, poolType, current, indexAttrs(b, {layer, kv, 0, 0, 0, 0}),
          indexAttrs(b, {1, 1, outer, heads, inner, row}),
          indexAttrs(b, unit(6)));
    SmallVector<txcpu::AttentionOp> users;
    for (Value result : view.getResults())
      for (Operation *user : result.getUsers()) {
        auto attention = dyn_cast<txcpu::AttentionOp>(user);
        if (!attention || attention.getKey() != view.getKey() ||
            attention.getValue() != view.getValue() ||
            !attention.getKvLength())
          return view.emitError()
                 << "tx-lower-to-linalg: a " << (paged ? "paged" : "quantized")
                 << " kv_view can only be read by an attention with "
                    "kv_length (keys and values of one view)";
        if (!llvm::is_contained(users, attention))
          users.push_back(attention);
      }
    for (txcpu::AttentionOp attention : users) {
      b.setInsertionPoint(attention);
      auto reading = txcpu::AttentionOp::create(
          b, attention.getLoc(), attention->getResultTypes(),
          attention.getQuery(), pools[0], pools[1], attention.getExplicitMask(),
          attention.getKvLength(), table, attention.getInit(),
          attention.getMaskAttr(), attention.getScaleAttr(),
          attention.getWindowAttr(), attention.getSinksAttr(),
          paged ? b.getI64IntegerAttr(bs) : IntegerAttr(),
          quantized ? b.getI32IntegerAttr(kvFormat) : IntegerAttr());
      attention->replaceAllUsesWith(reading);
      attention.erase();
    }
    view.erase();
  }
  return success();
}
