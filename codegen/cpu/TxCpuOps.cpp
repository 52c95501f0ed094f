//===- TxCpuOps.cpp - the txcpu dialect -----------------------------------===//
//
// The CPU backend's kernel-call ops: verifiers, memory effects of their
// memref forms, and their bufferization (destination-style: the result is
// written into the buffer of `init`, which is never read).
//
//===----------------------------------------------------------------------===//

#include "txc/Codegen/TxCpuOps.h"

#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/DstBufferizableOpInterfaceImpl.h"
#include "mlir/IR/DialectRegistry.h"

#include "txc-c/txc_model_format.h"

#include <cmath>

using namespace mlir;
using namespace txc;
using namespace txc::txcpu;

#include "txc/Codegen/TxCpuDialect.cpp.inc"

void TxCpuDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "txc/Codegen/TxCpuOps.cpp.inc"
      >();
}

#define GET_OP_CLASSES
#include "txc/Codegen/TxCpuOps.cpp.inc"

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

/// Sizes that agree, or one of them dynamic.
static bool compatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

/// Whether `word` is a KV format word the kernels read: 1 (int8), 2 (fp8),
/// or int4 with a group from 2 to 2^14 (TXC_KV_INT4_WORD).
static bool validKVFormatWord(int32_t word) {
  if (word == TXC_KV_FORMAT_INT8 || word == TXC_KV_FORMAT_FP8)
    return true;
  const int64_t group = TXC_KV_INT4_GROUP(word);
  return TXC_KV_FORMAT_KIND(word) == TXC_KV_FORMAT_INT4 && word > 0 &&
         group >= 2 && group <= (1 << 14);
}

LogicalResult AttentionOp::verify() {
  const bool buffers = hasBufferSemantics();
  SmallVector<Value> shaped;
  for (Value operand : getOperands())
    if (operand != getKvLength())
      shaped.push_back(operand);
  for (Value operand : shaped)
    if (isa<MemRefType>(operand.getType()) != buffers)
      return emitOpError()
             << "expects all operands to be tensors or all to be memrefs";
  if (buffers ? static_cast<bool>(getResult())
              : !getResult() || getResult().getType() != getInit().getType())
    return emitOpError() << "expects one result of the type of 'init' with "
                            "tensor operands and none with memref operands";

  for (Value operand : shaped) {
    auto type = cast<ShapedType>(operand.getType());
    if (operand == getBlockTable())
      continue;
    if (!type.hasRank() || type.getRank() != 4)
      return emitOpError() << "expects rank-4 operands, got "
                           << operand.getType();
  }
  SmallVector<int64_t, 4> q(getQuery().getType().getShape()),
      k(getKey().getType().getShape()), v(getValue().getType().getShape()),
      o(getInit().getType().getShape());
  // A quantized cache's rows are D codes and a 4-byte scale: compare D.
  const bool quantized =
      cast<ShapedType>(getKey().getType()).getElementType().isInteger(8);
  if (quantized != cast<ShapedType>(getValue().getType())
                       .getElementType()
                       .isInteger(8) ||
      quantized != getKvFormat().has_value())
    return emitOpError() << "expects i8 keys and values exactly when "
                            "'kv_format' is set";
  if (quantized) {
    const int32_t word = *getKvFormat(), kind = TXC_KV_FORMAT_KIND(word);
    if (!validKVFormatWord(word))
      return emitOpError() << "expects 'kv_format' 1 (int8), 2 (fp8) or an "
                              "int4 format word (txc_model_format.h), got "
                           << word;
    if (!getKvLength())
      return emitOpError() << "expects kv_length with a quantized cache";
    if (kind == TXC_KV_FORMAT_INT4) {
      // Slots of TXC_KV_INT4_ROW(D, group) bytes: compare D.
      if (getBlockTable())
        return emitOpError() << "expects no block table with an int4 cache";
      const int64_t group = TXC_KV_INT4_GROUP(word);
      if (ShapedType::isDynamic(q[3]) ||
          !compatible(k[3], TXC_KV_INT4_ROW(q[3], group)) ||
          !compatible(v[3], TXC_KV_INT4_ROW(q[3], group)))
        return emitOpError() << "expects int4 key and value slots of "
                                "TXC_KV_INT4_ROW(D, group) bytes";
      k[3] = v[3] = q[3];
    } else {
      for (int64_t *last : {&k[3], &v[3]})
        if (!ShapedType::isDynamic(*last))
          *last -= 4;
    }
  }
  const bool paged = static_cast<bool>(getBlockTable());
  if (paged) {
    auto table = cast<ShapedType>(getBlockTable().getType());
    std::optional<int64_t> blockSize = getBlockSize();
    if (!getKvLength() || !blockSize || *blockSize <= 0)
      return emitOpError() << "expects kv_length and a positive 'block_size' "
                              "with a block table";
    if (table.getRank() != 2 || !compatible(table.getDimSize(0), q[0]) ||
        !compatible(k[2], *blockSize) || !compatible(v[2], *blockSize) ||
        !compatible(v[0], k[0]))
      return emitOpError() << "expects a block table [B, blocks] and key and "
                              "value pools [blocks, Hkv, block_size, D]";
  } else if (getBlockSize()) {
    return emitOpError() << "expects 'block_size' only with a block table";
  }
  if ((!paged && (!compatible(k[0], q[0]) || !compatible(v[0], q[0]))) ||
      !compatible(k[3], q[3]) || !compatible(v[1], k[1]) ||
      (!paged && !compatible(v[2], k[2])) || !compatible(o[0], q[0]) ||
      !compatible(o[1], q[1]) || !compatible(o[2], q[2]) ||
      !compatible(o[3], v[3]))
    return emitOpError() << "expects query [B, H, Sq, D], key [B, Hkv, Sk, "
                            "D], value [B, Hkv, Sk, Dv] and init [B, H, Sq, "
                            "Dv]";
  if (!ShapedType::isDynamic(q[1]) && !ShapedType::isDynamic(k[1]) &&
      (k[1] == 0 || q[1] % k[1] != 0))
    return emitOpError() << "expects the query heads (" << q[1]
                         << ") to be a multiple of the KV heads (" << k[1]
                         << ")";
  if (Value mask = getExplicitMask()) {
    ArrayRef<int64_t> m = cast<ShapedType>(mask.getType()).getShape();
    const int64_t full[4] = {q[0], q[1], q[2], k[2]};
    for (int d = 0; d < 4; ++d)
      if (!compatible(m[d], full[d]) && (d == 3 || m[d] != 1))
        return emitOpError()
               << "expects the explicit mask to be [B|1, H|1, Sq|1, Sk]";
  }

  tx::MaskKind kind = getMask();
  if (!tx::isPositionalMask(kind))
    return emitOpError() << "supports mask kinds none, causal and "
                            "sliding_window, not "
                         << tx::stringifyMaskKind(kind);
  std::optional<int64_t> window = getWindow();
  if ((kind == tx::MaskKind::sliding_window) != window.has_value() ||
      (window && *window <= 0))
    return emitOpError() << "expects a positive 'window' with mask kind "
                            "sliding_window and none otherwise";
  if (std::optional<int64_t> sinks = getSinks();
      sinks && (kind != tx::MaskKind::sliding_window || *sinks < 0))
    return emitOpError() << "expects 'sinks' only with mask kind "
                            "sliding_window, and not negative";
  double scale = getScale().convertToDouble();
  if (!(scale > 0.0) || !std::isfinite(scale))
    return emitOpError() << "expects a positive finite scale, got " << scale;
  return success();
}


//===----------------------------------------------------------------------===//
// KVQuantAppendOp
//===----------------------------------------------------------------------===//

LogicalResult KVQuantAppendOp::verify() {
  const bool buffers = hasBufferSemantics();
  for (Value operand : getOperands())
    if (operand != getPosition() &&
        isa<MemRefType>(operand.getType()) != buffers)
      return emitOpError()
             << "expects all operands to be tensors or all to be memrefs";
  if (buffers ? static_cast<bool>(getResult())
              : !getResult() || getResult().getType() != getCache().getType())
    return emitOpError() << "expects one result of the type of 'cache' with "
                            "tensor operands and none with memref operands";
  auto source = cast<ShapedType>(getSource().getType());
  auto cache = cast<ShapedType>(getCache().getType());
  const int32_t word = getKvFormat();
  if (!validKVFormatWord(word))
    return emitOpError() << "expects 'kv_format' 1 (int8), 2 (fp8) or an "
                            "int4 format word (txc_model_format.h), got "
                         << word;
  const bool int4 = TXC_KV_FORMAT_KIND(word) == TXC_KV_FORMAT_INT4;
  const int64_t d = source.hasRank() && source.getRank() == 4
                        ? source.getDimSize(3)
                        : 0;
  const int64_t row =
      int4 ? TXC_KV_INT4_ROW(d, TXC_KV_INT4_GROUP(word)) : d + 4;
  if (!source.hasStaticShape() || source.getRank() != 4 ||
      !cache.hasStaticShape() || cache.getRank() != 6 ||
      cache.getDimSize(5) != row ||
      cache.getDimSize(3) != source.getDimSize(1))
    return emitOpError() << "expects a static source [B, Hkv, S, D] and "
                            "cache [layers, 2, B or blocks, Hkv, positions, "
                            "D + 4] (int4: slots of TXC_KV_INT4_ROW bytes)";
  const int64_t layer = getLayer(), kv = getKv();
  if (layer < 0 || layer >= cache.getDimSize(0) || kv < 0 || kv > 1)
    return emitOpError() << "expects a layer of the cache and kv 0 or 1";
  if (int4 && getBlockTable())
    return emitOpError() << "expects no block table with an int4 cache";
  if (static_cast<bool>(getBlockTable()) !=
      (getBlockSize().has_value() && *getBlockSize() > 0))
    return emitOpError() << "expects a positive 'block_size' exactly with a "
                            "block table";
  return success();
}

void KVQuantAppendOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects) {
  if (!hasBufferSemantics())
    return;
  for (OpOperand &operand : getOperation()->getOpOperands()) {
    if (!isa<MemRefType>(operand.get().getType()))
      continue;
    effects.emplace_back(MemoryEffects::Read::get(), &operand,
                         SideEffects::DefaultResource::get());
    if (&operand == &getCacheMutable())
      effects.emplace_back(MemoryEffects::Write::get(), &operand,
                           SideEffects::DefaultResource::get());
  }
}

/// Memref operands are read, except the destination-style init, which is
/// written (tensor forms have no effects).
static void
kernelOpEffects(Operation *op, bool buffers,
                SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
                    &effects) {
  if (!buffers)
    return;
  auto dps = cast<DestinationStyleOpInterface>(op);
  for (OpOperand &operand : op->getOpOperands()) {
    if (!isa<MemRefType>(operand.get().getType()))
      continue;
    if (dps.isDpsInit(&operand))
      effects.emplace_back(MemoryEffects::Write::get(), &operand,
                           SideEffects::DefaultResource::get());
    else
      effects.emplace_back(MemoryEffects::Read::get(), &operand,
                           SideEffects::DefaultResource::get());
  }
}

void AttentionOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects) {
  kernelOpEffects(*this, hasBufferSemantics(), effects);
}

//===----------------------------------------------------------------------===//
// QMatmulOp, QEmbedOp
//===----------------------------------------------------------------------===//

/// Shared checks of the quantized kernel ops: all tensors or all memrefs,
/// one result exactly with tensors, 2-D operands of static row bytes, a
/// known block format whose block divides `in_features`.
static LogicalResult verifyBlockKernelOp(Operation *op, bool buffers,
                                         Value bytes, Value init,
                                         Value result, int32_t ggmlType,
                                         int64_t inFeatures) {
  for (Value operand : op->getOperands())
    if (isa<MemRefType>(operand.getType()) != buffers)
      return op->emitOpError()
             << "expects all operands to be tensors or all to be memrefs";
  if (buffers ? static_cast<bool>(result)
              : !result || result.getType() != init.getType())
    return op->emitOpError()
           << "expects one result of the type of 'init' with tensor operands "
              "and none with memref operands";
  std::optional<tx::QuantKind> kind =
      tx::quantKindForGGMLType(static_cast<uint32_t>(ggmlType));
  if (!kind)
    return op->emitOpError() << "ggml_type " << ggmlType
                             << " is not a block format txc supports";
  tx::BlockLayout layout = *tx::blockLayout(*kind);
  if (inFeatures <= 0 || inFeatures % layout.values != 0)
    return op->emitOpError() << "in_features " << inFeatures
                             << " is not a positive multiple of the block ("
                             << layout.values << " values)";
  auto bytesType = cast<ShapedType>(bytes.getType());
  auto initType = cast<ShapedType>(init.getType());
  if (bytesType.getRank() != 2 || initType.getRank() != 2)
    return op->emitOpError() << "expects 2-D weight bytes and init";
  int64_t rowBytes = inFeatures / layout.values * layout.bytes;
  if (!compatible(bytesType.getDimSize(1), rowBytes))
    return op->emitOpError()
           << "expects rows of " << rowBytes << " bytes ("
           << tx::stringifyQuantKind(*kind) << ", " << inFeatures
           << " values), got " << bytesType.getDimSize(1);
  return success();
}

LogicalResult QMatmulOp::verify() {
  if (failed(verifyBlockKernelOp(*this, hasBufferSemantics(), getWeight(),
                                 getInit(), getResult(), getGgmlType(),
                                 getInFeatures())))
    return failure();
  auto input = cast<ShapedType>(getInput().getType());
  auto weight = cast<ShapedType>(getWeight().getType());
  auto init = cast<ShapedType>(getInit().getType());
  if (input.getRank() != 2 || !compatible(input.getDimSize(1), getInFeatures()))
    return emitOpError() << "expects input [M, " << getInFeatures() << "]";
  if (!compatible(init.getDimSize(0), input.getDimSize(0)) ||
      !compatible(init.getDimSize(1), weight.getDimSize(0)))
    return emitOpError() << "expects init [M, N] for input [M, K] and "
                            "weight rows N";
  return success();
}

void QMatmulOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects) {
  kernelOpEffects(*this, hasBufferSemantics(), effects);
}

LogicalResult QMatmulPlanarOp::verify() {
  bool buffers = hasBufferSemantics();
  for (Value operand : getOperation()->getOperands())
    if (isa<MemRefType>(operand.getType()) != buffers)
      return emitOpError()
             << "expects all operands to be tensors or all to be memrefs";
  if (buffers ? static_cast<bool>(getResult())
              : !getResult() || getResult().getType() != getInit().getType())
    return emitOpError()
           << "expects one result of the type of 'init' with tensor operands "
              "and none with memref operands";
  if (getCodeKind() < 0 || getCodeKind() > 4 || getScaleKind() < 0 ||
      getScaleKind() > 4)
    return emitOpError() << "unknown code_kind " << getCodeKind()
                         << " or scale_kind " << getScaleKind();
  int64_t k = getInFeatures(), group = getGroup();
  if (k <= 0 || group <= 0)
    return emitOpError() << "expects positive in_features and group";
  auto input = cast<ShapedType>(getInput().getType());
  auto codes = cast<ShapedType>(getCodes().getType());
  auto scales = cast<ShapedType>(getScales().getType());
  auto init = cast<ShapedType>(getInit().getType());
  if (input.getRank() != 2 || codes.getRank() != 2 || scales.getRank() != 2 ||
      init.getRank() != 2)
    return emitOpError() << "expects 2-D input, codes, scales and init";
  if (!compatible(input.getDimSize(1), k))
    return emitOpError() << "expects input [M, " << k << "]";
  int64_t n = codes.getDimSize(0), groups = (k + group - 1) / group;
  if (!compatible(scales.getDimSize(0), n) ||
      !compatible(scales.getDimSize(1), groups))
    return emitOpError() << "expects scales [N, " << groups << "]";
  if (Value zeros = getZeros()) {
    auto z = cast<ShapedType>(zeros.getType());
    if (z.getRank() != 2 || !compatible(z.getDimSize(0), n) ||
        !compatible(z.getDimSize(1), groups))
      return emitOpError() << "expects zeros [N, " << groups << "]";
  }
  if (!compatible(init.getDimSize(0), input.getDimSize(0)) ||
      !compatible(init.getDimSize(1), n))
    return emitOpError() << "expects init [M, N] for input [M, K] and "
                            "weight rows N";
  return success();
}

void QMatmulPlanarOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects) {
  kernelOpEffects(*this, hasBufferSemantics(), effects);
}

LogicalResult QEmbedOp::verify() {
  if (failed(verifyBlockKernelOp(*this, hasBufferSemantics(), getTable(),
                                 getInit(), getResult(), getGgmlType(),
                                 getInFeatures())))
    return failure();
  auto ids = cast<ShapedType>(getIds().getType());
  auto init = cast<ShapedType>(getInit().getType());
  if (ids.getRank() != 1 || !compatible(init.getDimSize(0), ids.getDimSize(0)) ||
      !compatible(init.getDimSize(1), getInFeatures()))
    return emitOpError() << "expects ids [count] and init [count, "
                         << getInFeatures() << "]";
  return success();
}

void QEmbedOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects) {
  kernelOpEffects(*this, hasBufferSemantics(), effects);
}

//===----------------------------------------------------------------------===//
// Bufferization
//===----------------------------------------------------------------------===//

namespace {

/// Inputs are read, `init` is only written (the kernel overwrites every
/// element), so bufferization need not copy into a fresh `init` buffer;
/// with `ReadsInit` (a KV-cache append, which writes some rows) `init` is
/// read too.
template <typename OpTy, bool ReadsInit = false>
struct KernelOpBufferization
    : public bufferization::DstBufferizableOpInterfaceExternalModel<
          KernelOpBufferization<OpTy, ReadsInit>, OpTy> {
  bool bufferizesToMemoryRead(Operation *op, OpOperand &operand,
                              const bufferization::AnalysisState &) const {
    return ReadsInit ||
           !cast<DestinationStyleOpInterface>(op).isDpsInit(&operand);
  }

  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const bufferization::BufferizationOptions &options,
                          bufferization::BufferizationState &state) const {
    SmallVector<Value> buffers;
    for (Value operand : op->getOperands()) {
      if (!isa<TensorType>(operand.getType())) { // kv_length, position
        buffers.push_back(operand);
        continue;
      }
      FailureOr<Value> buffer =
          bufferization::getBuffer(rewriter, operand, options, state);
      if (failed(buffer))
        return failure();
      buffers.push_back(*buffer);
    }
    rewriter.setInsertionPoint(op);
    OpTy::create(rewriter, op->getLoc(), TypeRange{}, buffers,
                 op->getAttrs());
    bufferization::replaceOpWithBufferizedValues(rewriter, op, buffers.back());
    return success();
  }
};

} // namespace

void txc::txcpu::registerBufferizableOpInterfaceExternalModels(
    DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, TxCpuDialect *) {
    AttentionOp::attachInterface<KernelOpBufferization<AttentionOp>>(*ctx);
    QMatmulOp::attachInterface<KernelOpBufferization<QMatmulOp>>(*ctx);
    QEmbedOp::attachInterface<KernelOpBufferization<QEmbedOp>>(*ctx);
    KVQuantAppendOp::attachInterface<
        KernelOpBufferization<KVQuantAppendOp, /*ReadsInit=*/true>>(*ctx);
    QMatmulPlanarOp::attachInterface<KernelOpBufferization<QMatmulPlanarOp>>(
        *ctx);
  });
}
