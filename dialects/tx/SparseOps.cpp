//===- SparseOps.cpp - block_summary, block_select verifiers --------------===//

#include "VerifyUtils.h"
#include "txc/Dialect/Tx/TxOps.h"

using namespace mlir;
using namespace txc::tx;
using namespace txc::tx::detail;

static unsigned numSummaries(SummaryKind kind) {
  return kind == SummaryKind::minmax ? 2 : 1;
}

LogicalResult BlockSummaryOp::verify() {
  auto key = getKey().getType();
  if (failed(verifyRank(*this, "key", key, 4,
                        "[batch, kv_heads, seq, head_dim]")))
    return failure();
  int64_t blockSize = getBlockSize();
  if (blockSize <= 0)
    return emitOpError() << "block_size must be positive, got " << blockSize;
  unsigned expected = numSummaries(getKind());
  if (getSummaries().size() != expected)
    return emitOpError() << "kind " << stringifySummaryKind(getKind())
                         << " produces " << expected << " result"
                         << (expected == 1 ? "" : "s") << ", got "
                         << getSummaries().size();
  for (Value summary : getSummaries())
    if (failed(verifyShape(*this, "summary", summary.getType(),
                           {key.getDimSize(0), key.getDimSize(1),
                            ceilDivDim(key.getDimSize(2), blockSize),
                            key.getDimSize(3)})) ||
        failed(verifySameElementType(*this, "summary", summary.getType(),
                                     "key", key)))
      return failure();
  return success();
}

LogicalResult BlockSelectOp::verify() {
  auto query = getQuery().getType();
  if (failed(verifyRank(*this, "query", query, 4,
                        "[batch, heads, seq, head_dim]")))
    return failure();
  unsigned n = getSummaries().size();
  if (n != 1 && n != 2)
    return emitOpError() << "expects 1 (mean) or 2 (max, min) summaries, got "
                         << n;
  auto summary = cast<RankedTensorType>(getSummaries()[0].getType());
  if (n == 2 && getSummaries()[1].getType() != summary)
    return emitOpError() << "the max and min summaries must have the same type";
  if (failed(verifyRank(*this, "summary", summary, 4,
                        "[batch, kv_heads, blocks, head_dim]")) ||
      failed(verifyDim(*this, "batch", "query batch", query.getDimSize(0),
                       "summary batch", summary.getDimSize(0))) ||
      failed(verifyDim(*this, "head_dim", "query head_dim",
                       query.getDimSize(3), "summary head_dim",
                       summary.getDimSize(3))))
    return failure();
  int64_t h = query.getDimSize(1), hkv = summary.getDimSize(1);
  if (!ShapedType::isDynamic(h) && !ShapedType::isDynamic(hkv) &&
      (hkv == 0 || h % hkv != 0))
    return emitOpError() << "query heads (" << h
                         << ") must be a multiple of KV heads (" << hkv << ")";
  int64_t blockSize = getBlockSize();
  if (blockSize <= 0)
    return emitOpError() << "block_size must be positive, got " << blockSize;
  for (auto [name, value] : {std::pair<StringRef, int64_t>{"sinks", getSinks()},
                             {"local", getLocal()},
                             {"top_k", getTopK()}})
    if (value < 0)
      return emitOpError() << "'" << name << "' must be non-negative, got "
                           << value;
  int64_t selected = getSinks() + getLocal() + getTopK();
  if (selected == 0)
    return emitOpError() << "selects no blocks: sinks + local + top_k is 0";
  if (std::optional<ArrayRef<int64_t>> streaming = getStreamingHeads()) {
    int64_t prev = -1;
    for (int64_t head : *streaming) {
      if (head < 0 || (!ShapedType::isDynamic(h) && head >= h))
        return emitOpError() << "streaming head " << head
                             << " is out of range for " << h << " query heads";
      if (head <= prev)
        return emitOpError() << "'streaming_heads' must be strictly increasing";
      prev = head;
    }
  }
  return verifyShape(*this, "result", getBlocks().getType(),
                     {query.getDimSize(0), h,
                      ceilDivDim(query.getDimSize(2), blockSize), selected});
}
