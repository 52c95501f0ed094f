//===- AttentionOps.cpp - tx.attention verifier and helpers ---------------===//

#include "VerifyUtils.h"
#include "txc/Dialect/Tx/TxOps.h"

#include <cmath>

using namespace mlir;
using namespace txc::tx;
using namespace txc::tx::detail;

double AttentionOp::getEffectiveScale() {
  if (std::optional<APFloat> scale = getScale())
    return scale->convertToDouble();
  int64_t d = getQuery().getType().getDimSize(3);
  // A dynamic head_dim is resolved by the lowering; report NaN here.
  if (ShapedType::isDynamic(d))
    return std::nan("");
  return 1.0 / std::sqrt(static_cast<double>(d));
}

int64_t AttentionOp::getGroupSize() {
  int64_t h = getQuery().getType().getDimSize(1);
  int64_t hkv = getKey().getType().getDimSize(1);
  if (ShapedType::isDynamic(h) || ShapedType::isDynamic(hkv))
    return ShapedType::kDynamic;
  return h / hkv;
}

/// Checks that `attr` is present exactly when the mask kind is `kind`.
static LogicalResult verifyKindAttr(AttentionOp op, StringRef name,
                                    bool present, MaskKind kind) {
  bool wanted = op.getMask() == kind;
  if (wanted && !present)
    return op.emitOpError() << "'" << name << "' is required for mask kind "
                            << stringifyMaskKind(kind);
  if (!wanted && present)
    return op.emitOpError() << "'" << name << "' is only valid with mask kind "
                            << stringifyMaskKind(kind) << ", not "
                            << stringifyMaskKind(op.getMask());
  return success();
}

LogicalResult AttentionOp::verify() {
  auto q = getQuery().getType(), k = getKey().getType(),
       v = getValue().getType();
  StringRef layout = "[batch, heads, seq, head_dim]";
  if (failed(verifyRank(*this, "query", q, 4, layout)) ||
      failed(verifyRank(*this, "key", k, 4, layout)) ||
      failed(verifyRank(*this, "value", v, 4, layout)))
    return failure();
  if (failed(verifySameElementType(*this, "key", k, "query", q)) ||
      failed(verifySameElementType(*this, "value", v, "query", q)))
    return failure();
  int64_t b = q.getDimSize(0), h = q.getDimSize(1), sq = q.getDimSize(2),
          d = q.getDimSize(3);
  int64_t hkv = k.getDimSize(1), sk = k.getDimSize(2), dv = v.getDimSize(3);
  if (failed(verifyDim(*this, "batch", "query batch", b, "key batch",
                       k.getDimSize(0))) ||
      failed(verifyDim(*this, "batch", "query batch", b, "value batch",
                       v.getDimSize(0))) ||
      failed(verifyDim(*this, "head_dim", "query head_dim", d, "key head_dim",
                       k.getDimSize(3))) ||
      failed(verifyDim(*this, "KV heads", "key heads", hkv, "value heads",
                       v.getDimSize(1))) ||
      failed(verifyDim(*this, "key length", "key seq", sk, "value seq",
                       v.getDimSize(2))))
    return failure();
  if (!ShapedType::isDynamic(h) && !ShapedType::isDynamic(hkv) &&
      (hkv == 0 || h % hkv != 0))
    return emitOpError() << "query heads (" << h
                         << ") must be a multiple of KV heads (" << hkv << ")";
  if (failed(verifyShape(*this, "result", getResult().getType(),
                         {b, h, sq, dv})) ||
      failed(verifySameElementType(*this, "result", getResult().getType(),
                                   "query", q)))
    return failure();

  if (std::optional<APFloat> scaleAttr = getScale()) {
    double scale = scaleAttr->convertToDouble();
    if (!(scale > 0.0) || !std::isfinite(scale))
      return emitOpError() << "scale must be a positive finite number, got "
                           << scale;
  }

  // Attributes and operands that belong to one mask kind.
  if (failed(verifyKindAttr(*this, "window", getWindow().has_value(),
                            MaskKind::sliding_window)) ||
      failed(verifyKindAttr(*this, "tree", getTree().has_value(),
                            MaskKind::tree)) ||
      failed(verifyKindAttr(*this, "blocks", static_cast<bool>(getBlocks()),
                            MaskKind::block_sparse)) ||
      failed(verifyKindAttr(*this, "block_size", getBlockSize().has_value(),
                            MaskKind::block_sparse)))
    return failure();
  if (getKvLength() && !isPositionalMask(getMask()))
    return emitOpError() << "'kv_length' is only valid with mask kinds none, "
                            "causal and sliding_window, not "
                         << stringifyMaskKind(getMask());
  if (getSinks() && getMask() != MaskKind::sliding_window)
    return emitOpError() << "'sinks' is only valid with mask kind "
                            "sliding_window, not "
                         << stringifyMaskKind(getMask());
  if (std::optional<int64_t> window = getWindow(); window && *window <= 0)
    return emitOpError() << "'window' must be positive, got " << *window;
  if (std::optional<int64_t> sinks = getSinks(); sinks && *sinks < 0)
    return emitOpError() << "'sinks' must be non-negative, got " << *sinks;

  // Every mask kind but `none` places queries at the end of the keys.
  if (getMask() != MaskKind::none && !ShapedType::isDynamic(sq) &&
      !ShapedType::isDynamic(sk) && sk < sq)
    return emitOpError() << "mask kind " << stringifyMaskKind(getMask())
                         << " needs at least as many keys as queries, got "
                         << sk << " keys for " << sq << " queries";

  if (std::optional<TreeAttr> tree = getTree())
    if (!ShapedType::isDynamic(sq) && tree->size() != sq)
      return emitOpError() << "tree has " << tree->size()
                           << " nodes but the query has " << sq
                           << " positions";

  if (Value blocks = getBlocks()) {
    int64_t blockSize = *getBlockSize();
    if (blockSize <= 0)
      return emitOpError() << "'block_size' must be positive, got "
                           << blockSize;
    auto blocksType = cast<RankedTensorType>(blocks.getType());
    if (failed(verifyRank(*this, "blocks", blocksType, 4,
                          "[batch, heads, query_blocks, selected]")) ||
        failed(verifyShape(*this, "blocks", blocksType,
                           {b, h, ceilDivDim(sq, blockSize),
                            blocksType.getDimSize(3)})))
      return failure();
  }

  if (Value mask = getExplicitMask()) {
    auto maskType = cast<RankedTensorType>(mask.getType());
    if (failed(verifyRank(*this, "explicit_mask", maskType, 4,
                          "[batch|1, heads|1, q_seq|1, k_seq]")))
      return failure();
    int64_t expected[] = {b, h, sq, sk};
    for (int i = 0; i < 4; ++i) {
      int64_t dim = maskType.getDimSize(i);
      bool broadcast = i < 3 && dim == 1;
      if (!broadcast && dimsConflict(dim, expected[i]))
        return emitOpError()
               << "explicit_mask dimension " << i << " must be "
               << (i < 3 ? "1 or " : "") << expected[i] << ", got " << dim;
    }
  }
  return success();
}
