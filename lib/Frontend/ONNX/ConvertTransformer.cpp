//===- ConvertTransformer.cpp - transformer ONNX ops to tx ----------------===//
//
// opset-23 Attention, RMSNormalization, RotaryEmbedding; onnxruntime's
// com.microsoft GroupQueryAttention, MultiHeadAttention, Attention,
// RotaryEmbedding, SkipLayerNormalization, SkipSimplifiedLayerNormalization,
// SimplifiedLayerNormalization and MatMulNBits (weights stay quantized).
//
//===----------------------------------------------------------------------===//

#include "Emit.h"
#include "Importer.h"

#include "txc/Dialect/Tx/TxOps.h"
#include "txc/Support/Axis.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Verifier.h"

#include <cstring>

#include <cmath>

using namespace mlir;
using namespace txc;
using namespace txc::onnx_import;

namespace {

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

/// [B, S, H*D] -> [B, H, S, D].
FailureOr<Value> splitHeads(NodeContext &ctx, Value x, int64_t heads) {
  auto t = typeOf(x);
  if (t.getRank() != 3 || heads <= 0 || t.isDynamicDim(2) ||
      t.getDimSize(2) % heads != 0) {
    (void)ctx.fail("cannot split a " + std::to_string(t.getRank()) +
                   "-D tensor into " + std::to_string(heads) + " heads");
    return failure();
  }
  int64_t d = t.getDimSize(2) / heads;
  Value r = reshapeTensor(ctx.b, ctx.loc, x,
                          {t.getDimSize(0), t.getDimSize(1), heads, d});
  return transposeTensor(ctx.b, ctx.loc, r, {0, 2, 1, 3});
}

/// [B, H, S, D] -> [B, S, H*D].
Value mergeHeads(NodeContext &ctx, Value x) {
  auto t = typeOf(x);
  Value r = transposeTensor(ctx.b, ctx.loc, x, {0, 2, 1, 3});
  return reshapeTensor(ctx.b, ctx.loc, r,
                       {t.getDimSize(0), t.getDimSize(2),
                        t.getDimSize(1) * t.getDimSize(3)});
}

/// Concatenates a cache prefix along the sequence axis (axis 2).
Value withPast(NodeContext &ctx, Value past, Value current) {
  if (!past || typeOf(past).getDimSize(2) == 0)
    return current;
  return tensor::ConcatOp::create(ctx.b, ctx.loc, 2,
                                  ValueRange{past, current});
}

/// tx.attention over [B, H, Sq, D] queries and [B, Hkv, Sk, D] keys/values.
FailureOr<Value> attention(NodeContext &ctx, Value q, Value k, Value v,
                           tx::MaskKind kind, std::optional<double> scale,
                           Value mask, int64_t window = 0) {
  auto qt = typeOf(q), kt = typeOf(k), vt = typeOf(v);
  if (qt.getRank() != 4 || kt.getRank() != 4 || vt.getRank() != 4) {
    (void)ctx.fail("query, key and value must be 4-D after head splitting");
    return failure();
  }
  if (!kt.isDynamicDim(1) && !qt.isDynamicDim(1) &&
      qt.getDimSize(1) % kt.getDimSize(1) != 0) {
    (void)ctx.fail("query heads are not a multiple of KV heads");
    return failure();
  }
  auto type = RankedTensorType::get({qt.getDimSize(0), qt.getDimSize(1),
                                     qt.getDimSize(2), vt.getDimSize(3)},
                                    qt.getElementType());
  tx::AttentionOptions options;
  options.mask = kind;
  options.scale = scale;
  if (kind == tx::MaskKind::sliding_window)
    options.window = window;
  if (mask) {
    // Broadcast a mask to [B|1, H|1, Sq, Sk] (rank 4).
    auto mt = typeOf(mask);
    if (mt.getRank() < 4) {
      SmallVector<int64_t> shape(4 - mt.getRank(), 1);
      shape.append(mt.getShape().begin(), mt.getShape().end());
      mask = reshapeTensor(ctx.b, ctx.loc, mask, shape);
    }
  }
  options.explicitMask = mask;
  auto op = tx::AttentionOp::create(ctx.b, ctx.loc, type, q, k, v, options);
  if (failed(mlir::verify(op))) {
    op.erase();
    return failure();
  }
  return op.getResult();
}

std::optional<double> scaleAttr(NodeContext &ctx) {
  double s = ctx.attrs.getFloat("scale", 0.0);
  return s != 0.0 ? std::optional<double>(s) : std::nullopt;
}

//===----------------------------------------------------------------------===//
// Norms
//===----------------------------------------------------------------------===//

Value flatWeight(NodeContext &ctx, Value w, int64_t d) {
  return reshapeTensor(ctx.b, ctx.loc, w, {d});
}

LogicalResult convertRMSNorm(NodeContext &ctx) {
  Value x = ctx.input(0);
  auto t = typeOf(x);
  if (t.getRank() < 1)
    return ctx.fail("the input must have rank >= 1");
  int64_t axis = ctx.attrs.getInt("axis", -1);
  if (!normalizeAxis(axis, t.getRank()) || axis != t.getRank() - 1)
    return ctx.fail("only normalization over the last axis is supported");
  double eps = ctx.attrs.getFloat("epsilon", 1e-5);
  Value w = flatWeight(ctx, ctx.input(1), t.getShape().back());
  ctx.setOutput(0,
                tx::RMSNormOp::create(ctx.b, ctx.loc, t, x, w,
                                      ctx.b.getF64FloatAttr(eps)),
                ctx.inputDType(0));
  return success();
}

/// SkipLayerNormalization / SkipSimplifiedLayerNormalization:
/// s = input + skip (+ bias); output = norm(s); output #3 = s.
template <bool simplified>
LogicalResult convertSkipNorm(NodeContext &ctx) {
  Value x = ctx.input(0), skip = ctx.input(1);
  auto t = typeOf(x);
  if (t.getRank() < 1)
    return ctx.fail("the input must have rank >= 1");
  skip = broadcastTo(ctx.b, ctx.loc, skip, t.getShape(), {x});
  if (!skip)
    return ctx.fail("skip does not broadcast to the input");
  Value sum = arith::AddFOp::create(ctx.b, ctx.loc, x, skip);
  unsigned biasIndex = simplified ? 3 : 4;
  if (ctx.hasInput(biasIndex)) {
    Value bias =
        broadcastTo(ctx.b, ctx.loc, ctx.input(biasIndex), t.getShape(), {x});
    if (!bias)
      return ctx.fail("bias does not broadcast to the input");
    sum = arith::AddFOp::create(ctx.b, ctx.loc, sum, bias);
  }
  int64_t d = t.getShape().back();
  double eps = ctx.attrs.getFloat("epsilon", 1e-5);
  Value gamma = flatWeight(ctx, ctx.input(2), d);
  Value out;
  if (simplified) {
    out = tx::RMSNormOp::create(ctx.b, ctx.loc, t, sum, gamma,
                                ctx.b.getF64FloatAttr(eps));
  } else {
    Value beta = ctx.hasInput(3) ? flatWeight(ctx, ctx.input(3), d) : Value();
    out = tx::LayerNormOp::create(ctx.b, ctx.loc, t, sum, gamma, beta,
                                  ctx.b.getF64FloatAttr(eps));
  }
  if (ctx.hasOutput(1) || ctx.hasOutput(2))
    return ctx.fail("the mean and inverse-std-dev outputs are not supported");
  ctx.setOutput(0, out, ctx.inputDType(0));
  ctx.setOutput(3, sum, ctx.inputDType(0));
  return success();
}

/// com.microsoft EmbedLayerNormalization: word + position (+ segment)
/// embeddings, then LayerNorm; mask_index is the number of unmasked tokens.
LogicalResult convertEmbedLayerNorm(NodeContext &ctx) {
  Value ids = ctx.input(0);
  auto idsType = typeOf(ids);
  if (idsType.getRank() != 2 || !idsType.hasStaticShape())
    return ctx.fail("input_ids must be a static [batch, sequence] tensor");
  int64_t batch = idsType.getDimSize(0), seq = idsType.getDimSize(1);
  for (unsigned i : {2u, 3u, 4u})
    if (ctx.hasInput(i) && ctx.inputType(i).getRank() != 2)
      return ctx.fail("embedding tables must be 2-D");
  auto lookup = [&](Value table, Value indices) -> Value {
    auto tt = typeOf(table);
    auto type = RankedTensorType::get({batch, seq, tt.getDimSize(1)},
                                      tt.getElementType());
    return tx::EmbeddingOp::create(ctx.b, ctx.loc, type, table, indices);
  };
  Value sum = lookup(ctx.input(2), ids);
  Value positions;
  if (ctx.hasInput(8)) {
    positions = ctx.input(8);
    positions = broadcastTo(ctx.b, ctx.loc, positions, {batch, seq});
    if (!positions)
      return ctx.fail("position_ids do not broadcast to [batch, sequence]");
  } else {
    HostTensor iota(DType::I64, {batch, seq});
    for (int64_t i = 0; i < batch * seq; ++i)
      iota.setInt(i, i % seq);
    positions = arith::ConstantOp::create(ctx.b, ctx.loc,
                                          toDenseAttr(iota, ctx.b.getContext()));
  }
  sum = arith::AddFOp::create(ctx.b, ctx.loc, sum,
                              lookup(ctx.input(3), positions));
  if (ctx.hasInput(1) && ctx.hasInput(4))
    sum = arith::AddFOp::create(ctx.b, ctx.loc, sum,
                                lookup(ctx.input(4), ctx.input(1)));
  auto t = typeOf(sum);
  int64_t d = t.getShape().back();
  double eps = ctx.attrs.getFloat("epsilon", 1e-12);
  Value beta = ctx.hasInput(6) ? flatWeight(ctx, ctx.input(6), d) : Value();
  Value out = tx::LayerNormOp::create(ctx.b, ctx.loc, t, sum,
                                      flatWeight(ctx, ctx.input(5), d), beta,
                                      ctx.b.getF64FloatAttr(eps));
  ctx.setOutput(0, out, ctx.inputDType(2));
  if (ctx.hasOutput(1)) {
    auto i32 = ctx.b.getI32Type();
    Value count;
    if (ctx.hasInput(7)) {
      Value mask = convertElementType(ctx.b, ctx.loc, ctx.input(7), i32,
                                      isUnsigned(ctx.inputDType(7)), false);
      Value init = filledTensor(ctx.b, ctx.loc, {batch}, i32, 0.0);
      count = linalg::ReduceOp::create(
                  ctx.b, ctx.loc, ValueRange{mask}, ValueRange{init},
                  ArrayRef<int64_t>{1},
                  [](OpBuilder &b, Location loc, ValueRange args) {
                    linalg::YieldOp::create(
                        b, loc,
                        ValueRange{arith::AddIOp::create(b, loc, args[0],
                                                         args[1])});
                  })
                  .getResult(0);
    } else {
      count = splatConstant(ctx.b, ctx.loc,
                            RankedTensorType::get({batch}, i32), 0.0);
    }
    ctx.setOutput(1, count, DType::I32);
  }
  if (ctx.hasOutput(2))
    ctx.setOutput(2, sum, ctx.inputDType(2));
  return success();
}

//===----------------------------------------------------------------------===//
// Rotary embedding
//===----------------------------------------------------------------------===//

/// Applies tx.rope to [B, H, S, D] `x`. `positions` may be null (then cos/sin
/// are [S, R/2] or [B, S, R/2]).
FailureOr<Value> rope(NodeContext &ctx, Value x, Value cos, Value sin,
                      Value positions, bool interleaved) {
  auto op = tx::RopeOp::create(ctx.b, ctx.loc, x.getType(), x, cos, sin,
                               positions, interleaved);
  if (failed(mlir::verify(op))) {
    op.erase();
    return failure();
  }
  return op.getResult();
}

/// Slices a [P, R/2] cos/sin table down to `rotaryDim / 2` columns.
Value tableColumns(NodeContext &ctx, Value table, int64_t half) {
  auto t = typeOf(table);
  if (t.getShape().back() == half)
    return table;
  SmallVector<OpFoldResult> offsets(t.getRank(), ctx.b.getIndexAttr(0)),
      sizes, strides(t.getRank(), ctx.b.getIndexAttr(1));
  for (int64_t d = 0; d < t.getRank(); ++d)
    sizes.push_back(ctx.b.getIndexAttr(d + 1 == t.getRank() ? half
                                                           : t.getDimSize(d)));
  return tensor::ExtractSliceOp::create(ctx.b, ctx.loc, table, offsets, sizes,
                                        strides);
}

/// opset-23 RotaryEmbedding (default domain) and com.microsoft
/// RotaryEmbedding, whose inputs are ordered (input, position_ids, cos, sin).
template <bool microsoft>
LogicalResult convertRotary(NodeContext &ctx) {
  Value x = ctx.input(0);
  unsigned cosIdx = microsoft ? 2 : 1, sinIdx = microsoft ? 3 : 2,
           posIdx = microsoft ? 1 : 3;
  Value cos = ctx.input(cosIdx), sin = ctx.input(sinIdx);
  if (typeOf(cos).getRank() < 1 || typeOf(sin).getRank() < 1)
    return ctx.fail("cos and sin caches must have rank >= 1");
  Value positions = ctx.hasInput(posIdx) ? ctx.input(posIdx) : Value();
  bool interleaved = ctx.attrs.getInt("interleaved", 0);
  int64_t heads = ctx.attrs.getInt("num_heads", 0);
  auto xt = typeOf(x);
  bool threeD = xt.getRank() == 3;
  if (threeD) {
    if (heads <= 0 && microsoft) {
      // onnxruntime infers the head size from the cache: 2 * cos.shape[-1].
      int64_t half = typeOf(cos).getShape().back();
      if (!ShapedType::isDynamic(half) && half > 0 &&
          !xt.isDynamicDim(2) && xt.getDimSize(2) % (2 * half) == 0)
        heads = xt.getDimSize(2) / (2 * half);
    }
    if (heads <= 0)
      return ctx.fail("a 3-D input needs the num_heads attribute");
    auto split = splitHeads(ctx, x, heads);
    if (failed(split))
      return failure();
    x = *split;
  } else if (xt.getRank() != 4) {
    return ctx.fail("input must be 3-D or 4-D");
  }
  int64_t headDim = typeOf(x).getDimSize(3);
  int64_t rotary = ctx.attrs.getInt("rotary_embedding_dim", 0);
  if (rotary == 0)
    rotary = headDim;
  if (positions) {
    auto pt = typeOf(positions);
    int64_t seq = typeOf(x).getDimSize(2);
    if (pt.getRank() == 1 && pt.getDimSize(0) == 1 && seq != 1) {
      // com.microsoft: a single offset; positions = offset + [0, S).
      if (ShapedType::isDynamic(seq))
        return ctx.fail("a position offset needs a static sequence length");
      HostTensor iota(ctx.inputDType(posIdx), {seq});
      for (int64_t i = 0; i < seq; ++i)
        iota.setInt(i, i);
      Value range = arith::ConstantOp::create(
          ctx.b, ctx.loc, toDenseAttr(iota, ctx.b.getContext()));
      Value offset = broadcastTo(ctx.b, ctx.loc, positions, {seq});
      if (!offset)
        return ctx.fail("bad position offset");
      positions = arith::AddIOp::create(ctx.b, ctx.loc, range, offset);
    }
    cos = tableColumns(ctx, cos, rotary / 2);
    sin = tableColumns(ctx, sin, rotary / 2);
  }
  auto r = rope(ctx, x, cos, sin, positions, interleaved);
  if (failed(r))
    return ctx.fail("cos/sin/position shapes do not fit the input");
  Value out = threeD ? mergeHeads(ctx, *r) : *r;
  ctx.setOutput(0, out, ctx.inputDType(0));
  return success();
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

/// opset-23 Attention.
LogicalResult convertAttention23(NodeContext &ctx) {
  Value q = ctx.input(0), k = ctx.input(1), v = ctx.input(2);
  bool threeD = typeOf(q).getRank() == 3;
  if (threeD) {
    int64_t qh = ctx.attrs.getInt("q_num_heads", 0),
            kvh = ctx.attrs.getInt("kv_num_heads", 0);
    auto qs = splitHeads(ctx, q, qh);
    if (failed(qs))
      return failure();
    auto ks = splitHeads(ctx, k, kvh);
    if (failed(ks))
      return failure();
    auto vs = splitHeads(ctx, v, kvh);
    if (failed(vs))
      return failure();
    q = *qs;
    k = *ks;
    v = *vs;
  }
  if (ctx.attrs.getFloat("softcap", 0.0) != 0.0)
    return ctx.fail("softcap is not supported");
  if (ctx.hasOutput(3))
    return ctx.fail("the qk_matmul_output output is not supported");
  k = withPast(ctx, ctx.hasInput(4) ? ctx.input(4) : Value(), k);
  v = withPast(ctx, ctx.hasInput(5) ? ctx.input(5) : Value(), v);
  bool causal = ctx.attrs.getInt("is_causal", 0);
  Value mask = ctx.hasInput(3) ? ctx.input(3) : Value();
  auto out = attention(ctx, q, k, v,
                       causal ? tx::MaskKind::causal : tx::MaskKind::none,
                       scaleAttr(ctx), mask);
  if (failed(out))
    return ctx.fail("query, key, value and mask shapes do not fit");
  ctx.setOutput(0, threeD ? mergeHeads(ctx, *out) : *out, ctx.inputDType(0));
  ctx.setOutput(1, k, ctx.inputDType(1));
  ctx.setOutput(2, v, ctx.inputDType(2));
  return success();
}

/// com.microsoft GroupQueryAttention (causal, optional rotary and local
/// window). The past cache is concatenated in front of the new keys; the
/// positions of the new tokens start after it. seqlens_k is assumed to
/// describe unpadded sequences.
LogicalResult convertGQA(NodeContext &ctx) {
  int64_t heads = ctx.attrs.getInt("num_heads", 0),
          kvHeads = ctx.attrs.getInt("kv_num_heads", 0);
  if (heads <= 0 || kvHeads <= 0)
    return ctx.fail("num_heads and kv_num_heads must be positive");
  if (ctx.attrs.getFloat("softcap", 0.0) != 0.0 ||
      ctx.attrs.getInt("smooth_softmax", 0))
    return ctx.fail("softcap and smooth_softmax are not supported");
  Value query = ctx.input(0), key, value;
  if (typeOf(query).getRank() != 3)
    return ctx.fail("query must be [batch, sequence, hidden]");
  if (!ctx.hasInput(1)) {
    // Packed QKV: [B, S, (H + 2 Hkv) D].
    auto t = typeOf(query);
    int64_t total = t.getShape().back();
    if (ShapedType::isDynamic(total) || total % (heads + 2 * kvHeads) != 0)
      return ctx.fail("packed QKV width does not fit the head counts");
    int64_t d = total / (heads + 2 * kvHeads);
    auto slice = [&](int64_t start, int64_t size) -> Value {
      SmallVector<OpFoldResult> offsets(3, ctx.b.getIndexAttr(0)),
          sizes = {ctx.b.getIndexAttr(t.getDimSize(0)),
                   ctx.b.getIndexAttr(t.getDimSize(1)),
                   ctx.b.getIndexAttr(size)},
          strides(3, ctx.b.getIndexAttr(1));
      offsets[2] = ctx.b.getIndexAttr(start);
      return tensor::ExtractSliceOp::create(ctx.b, ctx.loc, query, offsets,
                                            sizes, strides);
    };
    key = slice(heads * d, kvHeads * d);
    value = slice((heads + kvHeads) * d, kvHeads * d);
    query = slice(0, heads * d);
  } else {
    key = ctx.input(1);
    value = ctx.input(2);
  }
  auto q = splitHeads(ctx, query, heads);
  auto k = succeeded(q) ? splitHeads(ctx, key, kvHeads) : FailureOr<Value>();
  auto v = succeeded(k) ? splitHeads(ctx, value, kvHeads) : FailureOr<Value>();
  if (failed(v))
    return failure();
  Value pastK = ctx.hasInput(3) ? ctx.input(3) : Value();
  Value pastV = ctx.hasInput(4) ? ctx.input(4) : Value();
  int64_t past = pastK ? typeOf(pastK).getDimSize(2) : 0;
  if (ShapedType::isDynamic(past))
    return ctx.fail("the past length must be static; specialize with --shape");
  Value qv = *q, kv = *k;
  if (ctx.attrs.getInt("do_rotary", 0)) {
    if (!ctx.hasInput(7) || !ctx.hasInput(8))
      return ctx.fail("do_rotary needs cos_cache and sin_cache");
    int64_t seq = typeOf(qv).getDimSize(2);
    if (ShapedType::isDynamic(seq))
      return ctx.fail("rotary needs a static sequence length");
    HostTensor pos(DType::I64, {seq});
    for (int64_t i = 0; i < seq; ++i)
      pos.setInt(i, past + i);
    Value positions = arith::ConstantOp::create(
        ctx.b, ctx.loc, toDenseAttr(pos, ctx.b.getContext()));
    bool interleaved = ctx.attrs.getInt("rotary_interleaved", 0);
    auto rq = rope(ctx, qv, ctx.input(7), ctx.input(8), positions, interleaved);
    auto rk = succeeded(rq) ? rope(ctx, kv, ctx.input(7), ctx.input(8),
                                   positions, interleaved)
                            : FailureOr<Value>();
    if (failed(rk))
      return ctx.fail("cos/sin caches do not fit the heads");
    qv = *rq;
    kv = *rk;
  }
  Value fullK = withPast(ctx, pastK, kv), fullV = withPast(ctx, pastV, *v);
  int64_t window = ctx.attrs.getInt("local_window_size", -1);
  auto out = attention(ctx, qv, fullK, fullV,
                       window > 0 ? tx::MaskKind::sliding_window
                                  : tx::MaskKind::causal,
                       scaleAttr(ctx), Value(), window);
  if (failed(out))
    return ctx.fail("query, key and value shapes do not fit");
  ctx.setOutput(0, mergeHeads(ctx, *out), ctx.inputDType(0));
  ctx.setOutput(1, fullK, ctx.inputDType(0));
  ctx.setOutput(2, fullV, ctx.inputDType(0));
  return success();
}

/// A [B, T] 0/1 key padding mask (any integer type) as an i1 mask
/// [B, 1, 1, T].
Value paddingMask(NodeContext &ctx, Value mask) {
  auto t = typeOf(mask);
  Value zero = splatConstant(ctx.b, ctx.loc, t, 0.0);
  Value keep =
      isa<FloatType>(t.getElementType())
          ? Value(arith::CmpFOp::create(ctx.b, ctx.loc,
                                        arith::CmpFPredicate::UNE, mask, zero))
          : Value(arith::CmpIOp::create(ctx.b, ctx.loc,
                                        arith::CmpIPredicate::ne, mask, zero));
  return reshapeTensor(ctx.b, ctx.loc, keep,
                       {t.getDimSize(0), 1, 1, t.getDimSize(1)});
}

/// com.microsoft MultiHeadAttention (separate Q, K, V; optional packed bias,
/// key padding mask, attention bias, past).
LogicalResult convertMHA(NodeContext &ctx) {
  int64_t heads = ctx.attrs.getInt("num_heads", 0);
  Value q = ctx.input(0), k = ctx.input(1), v = ctx.input(2);
  if (!k || !v || typeOf(q).getRank() != 3 || typeOf(k).getRank() != 3 ||
      typeOf(v).getRank() != 3)
    return ctx.fail("only separate 3-D query, key and value are supported");
  if (ctx.hasInput(3)) {
    const HostTensor *bias = ctx.constInput(3);
    int64_t hq = typeOf(q).getShape().back(), hk = typeOf(k).getShape().back();
    Value b = ctx.input(3);
    auto part = [&](int64_t start, int64_t size, Value x) -> Value {
      SmallVector<OpFoldResult> off = {ctx.b.getIndexAttr(start)},
                                sz = {ctx.b.getIndexAttr(size)},
                                st = {ctx.b.getIndexAttr(1)};
      Value slice =
          tensor::ExtractSliceOp::create(ctx.b, ctx.loc, b, off, sz, st);
      Value bias = broadcastTo(ctx.b, ctx.loc, slice, typeOf(x).getShape(), {x});
      return bias ? Value(arith::AddFOp::create(ctx.b, ctx.loc, x, bias))
                  : Value();
    };
    (void)bias;
    q = part(0, hq, q);
    k = part(hq, hk, k);
    v = part(hq + hk, typeOf(v).getShape().back(), v);
    if (!q || !k || !v)
      return ctx.fail("the bias does not fit query, key and value");
  }
  auto qs = splitHeads(ctx, q, heads);
  auto ks = succeeded(qs) ? splitHeads(ctx, k, heads) : FailureOr<Value>();
  auto vs = succeeded(ks) ? splitHeads(ctx, v, heads) : FailureOr<Value>();
  if (failed(vs))
    return failure();
  Value fullK = withPast(ctx, ctx.hasInput(6) ? ctx.input(6) : Value(), *ks);
  Value fullV = withPast(ctx, ctx.hasInput(7) ? ctx.input(7) : Value(), *vs);
  Value mask;
  if (ctx.hasInput(4))
    mask = paddingMask(ctx, ctx.input(4));
  if (ctx.hasInput(5)) {
    if (mask)
      return ctx.fail("a key padding mask together with an attention bias is "
                      "not supported");
    mask = ctx.input(5);
  }
  bool causal = ctx.attrs.getInt("unidirectional", 0);
  auto out = attention(ctx, *qs, fullK, fullV,
                       causal ? tx::MaskKind::causal : tx::MaskKind::none,
                       scaleAttr(ctx), mask);
  if (failed(out))
    return ctx.fail("query, key, value and mask shapes do not fit");
  ctx.setOutput(0, mergeHeads(ctx, *out), ctx.inputDType(0));
  ctx.setOutput(1, fullK, ctx.inputDType(0));
  ctx.setOutput(2, fullV, ctx.inputDType(0));
  return success();
}

/// com.microsoft Attention: input [B, S, In] times packed weights
/// [In, 3 * hidden] plus bias, split into Q, K, V.
LogicalResult convertMSAttention(NodeContext &ctx) {
  int64_t heads = ctx.attrs.getInt("num_heads", 0);
  Value x = ctx.input(0);
  const HostTensor *w = ctx.constInput(1);
  if (!w || w->rank() != 2)
    return ctx.fail("the packed QKV weights must be a constant matrix");
  if (ctx.attrs.getInts("qkv_hidden_sizes"))
    return ctx.fail("qkv_hidden_sizes is not supported");
  if (typeOf(x).getRank() != 3 || typeOf(x).getShape().back() != w->shape[0] ||
      w->shape[1] % 3 != 0)
    return ctx.fail("input must be [batch, sequence, in] and the weights "
                    "[in, 3 * hidden]");
  if (ctx.hasInput(4) || ctx.hasInput(5))
    return ctx.fail("past and attention_bias inputs are not supported");
  int64_t in = w->shape[0], n = w->shape[1], hidden = n / 3;
  // Weight stored [3*hidden, In] for tx.linear.
  HostTensor wt(w->dtype, {n, in});
  unsigned size = dtypeSize(w->dtype);
  for (int64_t i = 0; i < in; ++i)
    for (int64_t j = 0; j < n; ++j)
      std::memcpy(wt.bytes.data() + (j * in + i) * size,
                  w->bytes.data() + (i * n + j) * size, size);
  std::string name = ctx.inputInitializer(1).str();
  Value weight = ctx.weight(wt, (name.empty() ? ctx.node.input(1) : name) + ".T");
  auto xt = typeOf(x);
  auto qkvType = RankedTensorType::get(
      {xt.getDimSize(0), xt.getDimSize(1), n}, xt.getElementType());
  Value bias = ctx.hasInput(2) ? ctx.input(2) : Value();
  Value qkv = tx::LinearOp::create(ctx.b, ctx.loc, qkvType, x, weight, bias);
  auto part = [&](int64_t i) -> Value {
    SmallVector<OpFoldResult> off = {ctx.b.getIndexAttr(0),
                                     ctx.b.getIndexAttr(0),
                                     ctx.b.getIndexAttr(i * hidden)},
                              sz = {ctx.b.getIndexAttr(xt.getDimSize(0)),
                                    ctx.b.getIndexAttr(xt.getDimSize(1)),
                                    ctx.b.getIndexAttr(hidden)},
                              st(3, ctx.b.getIndexAttr(1));
    return tensor::ExtractSliceOp::create(ctx.b, ctx.loc, qkv, off, sz, st);
  };
  auto q = splitHeads(ctx, part(0), heads);
  auto k = succeeded(q) ? splitHeads(ctx, part(1), heads) : FailureOr<Value>();
  auto v = succeeded(k) ? splitHeads(ctx, part(2), heads) : FailureOr<Value>();
  if (failed(v))
    return failure();
  Value mask;
  if (ctx.hasInput(3)) {
    Value m = ctx.input(3);
    if (typeOf(m).getRank() != 2)
      return ctx.fail("only a 2-D [batch, total_sequence] mask_index is "
                      "supported");
    mask = paddingMask(ctx, m);
  }
  bool causal = ctx.attrs.getInt("unidirectional", 0);
  auto out = attention(ctx, *q, *k, *v,
                       causal ? tx::MaskKind::causal : tx::MaskKind::none,
                       scaleAttr(ctx), mask);
  if (failed(out))
    return ctx.fail("shapes do not fit");
  if (ctx.hasOutput(1))
    return ctx.fail("the present output is not supported");
  ctx.setOutput(0, mergeHeads(ctx, *out), ctx.inputDType(0));
  return success();
}

//===----------------------------------------------------------------------===//
// MatMulNBits
//===----------------------------------------------------------------------===//

LogicalResult convertMatMulNBits(NodeContext &ctx) {
  int64_t k = ctx.attrs.getInt("K", 0), n = ctx.attrs.getInt("N", 0),
          bits = ctx.attrs.getInt("bits", 4),
          block = ctx.attrs.getInt("block_size", 0);
  if (bits != 4 && bits != 8)
    return ctx.fail("only 4- and 8-bit weights are supported, got bits=" +
                    std::to_string(bits));
  if (k <= 0 || n <= 0 || block < 16 || (block & (block - 1)))
    return ctx.fail("K, N must be positive and block_size a power of two >= 16");
  if (k % block != 0)
    return ctx.fail("K must be a multiple of block_size");
  if (ctx.hasInput(4))
    return ctx.fail("g_idx (act-order) is not supported");
  const HostTensor *packed = ctx.constInput(1);
  const HostTensor *scales = ctx.constInput(2);
  if (!packed || !scales)
    return ctx.fail("the quantized weight and scales must be constants");
  int64_t groups = k / block, perBlock = block * bits / 8;
  if (packed->numElements() != n * groups * perBlock)
    return ctx.fail("B has " + std::to_string(packed->numElements()) +
                    " bytes, expected N * K/block_size * block_size*bits/8 = " +
                    std::to_string(n * groups * perBlock));
  if (scales->numElements() != n * groups)
    return ctx.fail("scales must hold N * K/block_size values");
  // Unpack codes to [N, K], low nibble first along K.
  // 8-bit codes are stored as I8, the element type tx.qpack reads (the
  // kernels read the bytes as unsigned).
  DType codeType = bits == 4 ? DType::U4 : DType::I8;
  HostTensor codes(codeType, {n, k});
  for (int64_t i = 0; i < n * k; ++i) {
    uint8_t byte = static_cast<uint8_t>(
        packed->bytes[bits == 4 ? i / 2 : i]);
    codes.bytes[i] = static_cast<char>(
        bits == 4 ? (i % 2 ? byte >> 4 : byte & 0xf) : byte);
  }
  HostTensor scaleT = *scales;
  scaleT.shape = {n, groups};
  std::optional<HostTensor> zp;
  if (ctx.hasInput(3)) {
    const HostTensor *z = ctx.constInput(3);
    if (!z || (z->dtype != DType::U8))
      return ctx.fail("zero points must be a constant uint8 tensor");
    zp.emplace(codeType, SmallVector<int64_t>{n, groups});
    int64_t rowBytes = bits == 4 ? (groups + 1) / 2 : groups;
    if (z->numElements() != n * rowBytes)
      return ctx.fail("zero points have the wrong size");
    for (int64_t r = 0; r < n; ++r)
      for (int64_t g = 0; g < groups; ++g) {
        uint8_t byte = static_cast<uint8_t>(
            z->bytes[r * rowBytes + (bits == 4 ? g / 2 : g)]);
        zp->bytes[r * groups + g] = static_cast<char>(
            bits == 4 ? (g % 2 ? byte >> 4 : byte & 0xf) : byte);
      }
  }
  MLIRContext *mctx = ctx.b.getContext();
  std::string base = ctx.inputInitializer(1).str();
  if (base.empty())
    base = ctx.node.input(1);
  Value codesV = ctx.weight(codes, base);
  Value scalesV = ctx.weight(scaleT, ctx.inputInitializer(2).empty()
                                         ? ctx.node.input(2)
                                         : ctx.inputInitializer(2).str());
  Value zpV = zp ? ctx.weight(*zp, ctx.node.input(3)) : Value();
  auto qtype = tx::QWeightType::get(
      mctx, {n, k}, bits == 4 ? tx::QuantKind::int4 : tx::QuantKind::int8,
      block, toMLIRType(scales->dtype, mctx), zp.has_value());
  Value w = tx::QPackOp::create(ctx.b, ctx.loc, qtype, codesV, scalesV, zpV,
                                FloatAttr());
  Value a = ctx.input(0);
  auto at = typeOf(a);
  if (at.getRank() < 1)
    return ctx.fail("A must have rank >= 1");
  SmallVector<int64_t> shape(at.getShape());
  shape.back() = n;
  Value bias = ctx.hasInput(5) ? ctx.input(5) : Value();
  auto resultType = RankedTensorType::get(shape, at.getElementType());
  // accuracy_level 4 lets onnxruntime round the activations to int8, which
  // is what txc's quantized kernels do (tx.qlinear). Below 4 it multiplies
  // in the activations' precision: so does txc, on the dequantized weight.
  Operation *op;
  if (ctx.attrs.getInt("accuracy_level", 0) >= 4) {
    op = tx::QLinearOp::create(ctx.b, ctx.loc, resultType, a, w, bias);
  } else {
    auto weightType = RankedTensorType::get({n, k}, at.getElementType());
    Value dense = tx::DequantOp::create(ctx.b, ctx.loc, weightType, w);
    op = tx::LinearOp::create(ctx.b, ctx.loc, resultType, a, dense, bias);
  }
  if (failed(mlir::verify(op)))
    return ctx.fail("operand shapes do not fit");
  ctx.setOutput(0, op->getResult(0), ctx.inputDType(0));
  return success();
}

} // namespace

void txc::onnx_import::registerTransformerConverters(ConverterMap &map) {
  auto &onnx = map[""];
  onnx["Attention"] = {convertAttention23, 23, 3};
  onnx["RMSNormalization"] = {convertRMSNorm, 23, 2};
  onnx["RotaryEmbedding"] = {convertRotary<false>, 23, 3};
  // onnxruntime registers SimplifiedLayerNormalization in the ONNX domain.
  onnx["SimplifiedLayerNormalization"] = {convertRMSNorm, 1, 2};
  auto &ms = map["com.microsoft"];
  ms["GroupQueryAttention"] = {convertGQA, 1};
  ms["MultiHeadAttention"] = {convertMHA, 1, 1};
  ms["Attention"] = {convertMSAttention, 1, 2};
  ms["RotaryEmbedding"] = {convertRotary<true>, 1, 4};
  ms["SkipLayerNormalization"] = {convertSkipNorm<false>, 1, 3};
  ms["SkipSimplifiedLayerNormalization"] = {convertSkipNorm<true>, 1, 3};
  ms["SimplifiedLayerNormalization"] = {convertRMSNorm, 1, 2};
  ms["MatMulNBits"] = {convertMatMulNBits, 1, 3};
  ms["EmbedLayerNormalization"] = {convertEmbedLayerNorm, 1, 6};
}
