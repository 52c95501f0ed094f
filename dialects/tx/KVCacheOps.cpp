//===- KVCacheOps.cpp - kv_append, kv_view, kv_commit verifiers -----------===//

#include "VerifyUtils.h"
#include "txc/Dialect/Tx/TxOps.h"

using namespace mlir;
using namespace txc::tx;
using namespace txc::tx::detail;

static LogicalResult verifyLayer(Operation *op, KVCacheType cache,
                                 int64_t layer) {
  if (layer < 0 || layer >= cache.getLayers())
    return op->emitOpError() << "layer " << layer
                             << " is out of range for a cache with "
                             << cache.getLayers() << " layers";
  return success();
}

/// Checks a [B, kv_heads, S, head_dim] key or value tensor against the cache.
static LogicalResult verifyKVTensor(Operation *op, StringRef name,
                                    KVCacheType cache, Type type) {
  auto tensor = cast<RankedTensorType>(type);
  if (failed(verifyRank(op, name, tensor, 4,
                        "[batch, kv_heads, seq, head_dim]")))
    return failure();
  if (failed(verifyDim(op, "KV heads", Twine("'" + name + "' heads").str(),
                       tensor.getDimSize(1), "the cache's kv_heads",
                       cache.getKvHeads())) ||
      failed(verifyDim(op, "head_dim", Twine("'" + name + "' head_dim").str(),
                       tensor.getDimSize(3), "the cache's head_dim",
                       cache.getHeadDim())))
    return failure();
  int64_t seq = tensor.getDimSize(2);
  if (!ShapedType::isDynamic(seq) && seq > cache.getCapacity())
    return op->emitOpError() << "'" << name << "' holds " << seq
                             << " positions, more than the cache capacity "
                             << cache.getCapacity();
  if (tensor.getElementType() != cache.getElementType())
    return op->emitOpError() << "'" << name << "' element type "
                             << tensor.getElementType()
                             << " differs from the cache element type "
                             << cache.getElementType();
  return success();
}

static LogicalResult verifyKeyValuePair(Operation *op, KVCacheType cache,
                                        Type key, Type value) {
  if (failed(verifyKVTensor(op, "key", cache, key)) ||
      failed(verifyKVTensor(op, "value", cache, value)))
    return failure();
  if (key != value)
    return op->emitOpError() << "'key' and 'value' must have the same type, "
                                "got "
                             << key << " and " << value;
  return success();
}

LogicalResult KVAppendOp::verify() {
  KVCacheType cache = getCache().getType();
  if (failed(verifyLayer(*this, cache, getLayer())))
    return failure();
  return verifyKeyValuePair(*this, cache, getKey().getType(),
                            getValue().getType());
}

LogicalResult KVViewOp::verify() {
  KVCacheType cache = getCache().getType();
  if (failed(verifyLayer(*this, cache, getLayer())))
    return failure();
  return verifyKeyValuePair(*this, cache, getKey().getType(),
                            getValue().getType());
}

LogicalResult KVCommitOp::verify() {
  KVCacheType cache = getCache().getType();
  auto pathType = getPath().getType();
  if (failed(verifyRank(*this, "path", pathType, 2, "[batch, path_length]")))
    return failure();
  int64_t len = pathType.getDimSize(1);
  if (!ShapedType::isDynamic(len) && len > cache.getCapacity())
    return emitOpError() << "path length " << len
                         << " exceeds the cache capacity "
                         << cache.getCapacity();
  return success();
}
