//===- EntryPoints.cpp - model signature and runtime entry points ---------===//
//
// tx-weights-to-arguments makes every weight an argument of the entry
// function and records the model's signature; tx-emit-entry-points adds the
// C entry points the runtime calls (txc_model_run, txc_model_metadata).
// Metadata keys, dtype and layout names come from the contract header
// shared with libtxrt (include/txc-c/txc_model_format.h).
//
//===----------------------------------------------------------------------===//

#include "txc-c/txc_model_format.h"
#include "txc/Codegen/Passes.h"
#include "txc/Dialect/Tx/TxOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/JSON.h"

namespace txc {
#define GEN_PASS_DEF_WEIGHTSTOARGUMENTSPASS
#define GEN_PASS_DEF_EMITENTRYPOINTSPASS
#include "txc/Codegen/Passes.h.inc"
} // namespace txc

using namespace mlir;
namespace tx = txc::tx;

/// Name the entry function gets once its signature is fixed.
static constexpr llvm::StringLiteral kEntryName = "txc_main";

/// The discardable attributes read and written here (declared in
/// TxBase.td).
using TxDialect = tx::TxDialect;
static constexpr llvm::StringLiteral kNameAttr =
    TxDialect::NameAttrHelper::getNameStr();
static constexpr llvm::StringLiteral kWeightAttr =
    TxDialect::WeightAttrHelper::getNameStr();
static constexpr llvm::StringLiteral kWeightsAttr =
    TxDialect::WeightsAttrHelper::getNameStr();
static constexpr llvm::StringLiteral kTokenizerAttr =
    TxDialect::TokenizerAttrHelper::getNameStr();
static constexpr llvm::StringLiteral kGenerationAttr =
    TxDialect::GenerationAttrHelper::getNameStr();
static constexpr llvm::StringLiteral kSignatureAttr =
    TxDialect::SignatureAttrHelper::getNameStr();
static constexpr llvm::StringLiteral kPlaceholdersAttr =
    TxDialect::PlaceholdersAttrHelper::getNameStr();

namespace {

/// The runtime's name for an element type (the contract's dtype table), or
/// "" for a type no model tensor may have.
std::string dtypeName(Type t) {
  int value = t.isF32()         ? TXC_DTYPE_F32
              : t.isF16()       ? TXC_DTYPE_F16
              : t.isBF16()      ? TXC_DTYPE_BF16
              : t.isF64()       ? TXC_DTYPE_F64
              : t.isInteger(1)  ? TXC_DTYPE_BOOL
              : t.isInteger(4)  ? TXC_DTYPE_I4
              : t.isInteger(2)  ? TXC_DTYPE_I2
              : isa<Float8E4M3FNType>(t) ? TXC_DTYPE_F8E4M3
              : isa<Float8E8M0FNUType>(t) ? TXC_DTYPE_F8E8M0
              : isa<Float4E2M1FNType>(t) ? TXC_DTYPE_F4E2M1
              : t.isInteger(8)  ? TXC_DTYPE_I8
              : t.isInteger(16) ? TXC_DTYPE_I16
              : t.isInteger(32) ? TXC_DTYPE_I32
              : t.isInteger(64) ? TXC_DTYPE_I64
                                : -1;
  const txc::format::DTypeInfo *info = txc::format::dtypeByValue(value);
  return info ? info->name : "";
}

/// The model's entry function (tx::findEntryFunction), if it is a func.func.
func::FuncOp entryFunction(ModuleOp module) {
  return dyn_cast_or_null<func::FuncOp>(
      tx::findEntryFunction(module).getOperation());
}

/// Bits of a sub-byte element type (i4, i2, f4E2M1FN), else 0.
unsigned subByteBits(Type t) {
  unsigned bits = t.isIntOrFloat() ? t.getIntOrFloatBitWidth() : 0;
  return bits == 2 || bits == 4 ? bits : 0;
}

/// Unpacks `packed` (`[..., K * bits / 8] x i8`, the codes packed little-end
/// first) into `type` (`[..., K]` of a sub-byte element type).
Value unpackSubByte(OpBuilder &b, Location loc, Value packed,
                    RankedTensorType type) {
  int64_t rank = type.getRank();
  Type element = type.getElementType();
  unsigned bits = subByteBits(element);
  int64_t perByte = 8 / bits;
  Value init = tensor::EmptyOp::create(b, loc, type.getShape(), element);
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx)};
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{type}, ValueRange{}, ValueRange{init}, maps, iters,
      [&](OpBuilder &nb, Location nl, ValueRange) {
        SmallVector<Value> idx;
        for (int64_t d = 0; d < rank; ++d)
          idx.push_back(linalg::IndexOp::create(nb, nl, d));
        Value per = arith::ConstantIndexOp::create(nb, nl, perByte);
        Value k = idx.back();
        idx.back() = arith::DivUIOp::create(nb, nl, k, per);
        Value byte = tensor::ExtractOp::create(nb, nl, packed, idx);
        Value slot = arith::RemUIOp::create(nb, nl, k, per);
        Value shift = arith::IndexCastOp::create(
            nb, nl, nb.getI8Type(),
            arith::MulIOp::create(nb, nl, slot,
                                  arith::ConstantIndexOp::create(nb, nl, bits)));
        Value shifted = arith::ShRUIOp::create(nb, nl, byte, shift);
        Value code = arith::TruncIOp::create(nb, nl, nb.getIntegerType(bits),
                                             shifted);
        if (!element.isInteger())
          code = arith::BitcastOp::create(nb, nl, element, code);
        linalg::YieldOp::create(nb, nl, code);
      });
  return generic.getResult(0);
}

struct WeightsToArgumentsPass
    : public txc::impl::WeightsToArgumentsPassBase<WeightsToArgumentsPass> {
  using WeightsToArgumentsPassBase::WeightsToArgumentsPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp func = entryFunction(module);
    if (!func) {
      module.emitError() << "tx-weights-to-arguments: no entry function "
                            "(expected @main or a single public function)";
      return signalPassFailure();
    }
    // Logical types of weights passed packed.
    llvm::StringMap<Type> weightTypes;
    // One argument per distinct weight name, in first-use order.
    llvm::MapVector<StringRef, SmallVector<tx::WeightOp>> weights;
    func.walk([&](tx::WeightOp w) { weights[w.getName()].push_back(w); });
    unsigned numInputs = func.getNumArguments();
    Block &entry = func.getBody().front();
    StringRef packedAttr = TxDialect::PackedAttrHelper::getNameStr();
    for (auto &[name, ops] : weights) {
      // The logical type: that of the ops reading the weight as it is, or
      // the one a packed view (tx.packed) records.
      auto logicalType = [&](tx::WeightOp w) {
        auto packed = w->getAttrOfType<TypeAttr>(packedAttr);
        return packed ? packed.getValue() : w.getType();
      };
      Type type = logicalType(ops.front());
      for (tx::WeightOp w : ops)
        if (logicalType(w) != type) {
          w.emitError() << "tx-weights-to-arguments: weight '" << name
                        << "' is used with two types";
          return signalPassFailure();
        }
      // Sub-byte weights (i4, i2, f4E2M1FN) arrive packed along the last
      // dimension, the first code in the lowest bits; ops that read them
      // as codes get them unpacked at the top of the function, packed views
      // take the bytes.
      auto tensorType = cast<RankedTensorType>(type);
      unsigned bits = subByteBits(tensorType.getElementType());
      bool packed = bits && tensorType.getRank() > 0 &&
                    tensorType.getShape().back() * bits % 8 == 0;
      if (bits && !packed) {
        ops.front().emitError()
            << "tx-weights-to-arguments: weight '" << name << "' of type "
            << type << " does not fill whole bytes along its last dimension";
        return signalPassFailure();
      }
      Type argType = type;
      if (packed) {
        SmallVector<int64_t> shape(tensorType.getShape());
        shape.back() = shape.back() * bits / 8;
        argType = RankedTensorType::get(shape, IntegerType::get(&getContext(), 8));
      }
      if (failed(func.insertArgument(func.getNumArguments(), argType,
                                     DictionaryAttr(), ops.front().getLoc())))
        return signalPassFailure();
      func.setArgAttr(func.getNumArguments() - 1, kWeightAttr,
                      StringAttr::get(&getContext(), name));
      Value arg = entry.getArgument(entry.getNumArguments() - 1);
      Value unpacked;
      if (packed) {
        weightTypes[name] = type;
        if (llvm::any_of(ops, [&](tx::WeightOp w) {
              return !w->hasAttr(packedAttr);
            })) {
          OpBuilder b = OpBuilder::atBlockBegin(&entry);
          unpacked = unpackSubByte(b, ops.front().getLoc(), arg, tensorType);
        }
      }
      for (tx::WeightOp w : ops) {
        w.replaceAllUsesWith(packed && !w->hasAttr(packedAttr) ? unpacked
                                                                : arg);
        w.erase();
      }
    }

    // The signature, for the runtime.
    auto tensorInfo = [&](StringRef name, Type type) -> FailureOr<llvm::json::Value> {
      auto t = dyn_cast<RankedTensorType>(type);
      if (!t || !t.hasStaticShape() || dtypeName(t.getElementType()).empty()) {
        func.emitError() << "tx-weights-to-arguments: '" << name
                         << "' has type " << type
                         << "; the CPU backend needs static shapes of a "
                            "supported element type (specialize with --shape)";
        return failure();
      }
      llvm::json::Array shape;
      for (int64_t d : t.getShape())
        shape.push_back(d);
      return llvm::json::Value(
          llvm::json::Object{{TXC_META_NAME, name.str()},
                             {TXC_META_DTYPE, dtypeName(t.getElementType())},
                             {TXC_META_SHAPE, std::move(shape)}});
    };
    llvm::json::Array inputs, weightInfo, outputs;
    for (unsigned i = 0; i < func.getNumArguments(); ++i) {
      bool isWeight = i >= numInputs;
      auto nameAttr = func.getArgAttrOfType<StringAttr>(
          i, isWeight ? kWeightAttr : kNameAttr);
      std::string name =
          nameAttr ? nameAttr.str() : ("input" + std::to_string(i));
      // Packed weights are described by their logical type.
      Type type = func.getArgument(i).getType();
      if (isWeight && weightTypes.count(name))
        type = weightTypes[name];
      auto info = tensorInfo(name, type);
      if (failed(info))
        return signalPassFailure();
      if (auto range =
              func.getArgAttrOfType<DenseI64ArrayAttr>(i, tx::kIndexRangeAttr);
          range && range.size() == 2 && !isWeight)
        info->getAsObject()->insert(
            {TXC_META_INDEX_RANGE, llvm::json::Array{range[0], range[1]}});
      (isWeight ? weightInfo : inputs).push_back(std::move(*info));
    }
    for (unsigned i = 0; i < func.getNumResults(); ++i) {
      auto nameAttr = func.getResultAttrOfType<StringAttr>(i, kNameAttr);
      std::string name =
          nameAttr ? nameAttr.str() : ("output" + std::to_string(i));
      auto info = tensorInfo(name, func.getResultTypes()[i]);
      if (failed(info))
        return signalPassFailure();
      outputs.push_back(std::move(*info));
    }
    llvm::json::Object signature{{TXC_META_FORMAT, TXC_META_FORMAT_NAME},
                                 {TXC_META_VERSION, TXC_MODEL_FORMAT_VERSION},
                                 {TXC_META_INPUTS, std::move(inputs)},
                                 {TXC_META_WEIGHTS, std::move(weightInfo)},
                                 {TXC_META_OUTPUTS, std::move(outputs)}};
    // Generation models (tx-use-kv-cache): roles and cache geometry.
    if (auto gen = func->getAttrOfType<DictionaryAttr>(kGenerationAttr)) {
      llvm::json::Object info;
      for (NamedAttribute a : gen) {
        if (auto str = dyn_cast<StringAttr>(a.getValue()))
          info[a.getName().str()] = str.str();
        else if (auto i = dyn_cast<IntegerAttr>(a.getValue()))
          info[a.getName().str()] = i.getInt();
        else if (auto t = dyn_cast<TypeAttr>(a.getValue()))
          if (auto cache = dyn_cast<tx::KVCacheType>(t.getValue())) {
            bool paged = cache.getLayout() == tx::KVLayout::paged;
            info[TXC_GEN_LAYERS] = cache.getLayers();
            info[TXC_GEN_KV_HEADS] = cache.getKvHeads();
            info[TXC_GEN_CAPACITY] = cache.getCapacity();
            info[TXC_GEN_HEAD_DIM] = cache.getHeadDim();
            info[TXC_GEN_LAYOUT] =
                paged ? TXC_KV_LAYOUT_PAGED : TXC_KV_LAYOUT_CONTIGUOUS;
            info[TXC_GEN_BLOCK_SIZE] = paged ? cache.getBlockSize() : 0;
            if (paged)
              info[TXC_GEN_BLOCK_TABLE] = "block_table";
            if (tx::KVFormatAttr format = cache.getFormat()) {
              info[TXC_GEN_KV_FORMAT] =
                  format.getKind() == tx::QuantKind::int8   ? "int8"
                  : format.getKind() == tx::QuantKind::int4 ? "int4"
                                                            : "fp8";
              if (format.getKind() == tx::QuantKind::int4) {
                info[TXC_GEN_KV_GROUP] = format.getGroup();
                info[TXC_GEN_KV_RESIDUAL] = format.getResidual();
                info[TXC_GEN_KV_BUFFER] = format.getBufferRows();
              }
            }
          }
      }
      signature[TXC_META_GENERATION] = std::move(info);
      func->removeAttr(kGenerationAttr);
    }
    if (auto file = module->getAttrOfType<StringAttr>(kWeightsAttr);
        file && !weights.empty())
      signature[TXC_META_WEIGHTS_FILE] = file.str();
    // The tokenizer file a frontend wrote beside the model (GGUF, HF).
    if (auto file = module->getAttrOfType<StringAttr>(kTokenizerAttr);
        file && !file.getValue().empty())
      signature[TXC_META_TOKENIZER_FILE] = file.str();
    std::string text;
    llvm::raw_string_ostream os(text);
    os << llvm::json::Value(std::move(signature));
    module->setAttr(kSignatureAttr, StringAttr::get(&getContext(), text));
    // Tensors with no elements cannot be passed as bare pointers; they carry
    // no data, so the entry takes a 1-byte placeholder instead.
    auto placeholder = RankedTensorType::get({1}, IntegerType::get(&getContext(), 8));
    auto isEmpty = [](Type t) {
      auto r = dyn_cast<RankedTensorType>(t);
      return r && r.hasStaticShape() && r.getNumElements() == 0;
    };
    // Buffer slots (arguments, then results as out-parameters) whose data the
    // entry point must not touch: it gets a scratch byte instead.
    SmallVector<int64_t> placeholders;
    OpBuilder b = OpBuilder::atBlockBegin(&entry);
    for (unsigned i = 0; i < func.getNumArguments(); ++i) {
      BlockArgument arg = entry.getArgument(i);
      if (!isEmpty(arg.getType()))
        continue;
      placeholders.push_back(i);
      auto type = cast<RankedTensorType>(arg.getType());
      Value empty = tensor::EmptyOp::create(b, arg.getLoc(), type.getShape(),
                                            type.getElementType());
      arg.replaceAllUsesWith(empty);
      arg.setType(placeholder);
    }
    SmallVector<Type> resultTypes(func.getResultTypes());
    func.walk([&](func::ReturnOp ret) {
      OpBuilder rb(ret);
      for (auto [i, operand] : llvm::enumerate(ret->getOpOperands()))
        if (isEmpty(operand.get().getType())) {
          operand.set(arith::ConstantOp::create(
              rb, ret.getLoc(),
              DenseElementsAttr::get(placeholder, rb.getI8IntegerAttr(0))));
          resultTypes[i] = placeholder;
          placeholders.push_back(func.getNumArguments() + i);
        }
    });
    llvm::sort(placeholders);
    placeholders.erase(std::unique(placeholders.begin(), placeholders.end()),
                       placeholders.end());
    module->setAttr(kPlaceholdersAttr,
                    DenseI64ArrayAttr::get(&getContext(), placeholders));
    SmallVector<Type> argTypes(entry.getArgumentTypes());
    func.setFunctionType(FunctionType::get(&getContext(), argTypes, resultTypes));

    // The names now live in the signature; LLVM has no use for them.
    for (unsigned i = 0; i < func.getNumArguments(); ++i)
      func.setArgAttrs(i, DictionaryAttr::get(&getContext()));
    for (unsigned i = 0; i < func.getNumResults(); ++i)
      func.setResultAttrs(i, DictionaryAttr::get(&getContext()));
    func.setSymName(kEntryName);
    func.setPrivate();
  }
};

struct EmitEntryPointsPass
    : public txc::impl::EmitEntryPointsPassBase<EmitEntryPointsPass> {
  using EmitEntryPointsPassBase::EmitEntryPointsPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto signature = module->getAttrOfType<StringAttr>(kSignatureAttr);
    auto entry = module.lookupSymbol<LLVM::LLVMFuncOp>(kEntryName);
    if (!signature || !entry) {
      module.emitError() << "tx-emit-entry-points: run tx-weights-to-arguments "
                            "and lower to the LLVM dialect first";
      return signalPassFailure();
    }
    MLIRContext *ctx = &getContext();
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    Location loc = entry.getLoc();
    OpBuilder b(module.getBodyRegion());
    b.setInsertionPointToEnd(module.getBody());

    // Every argument of the entry must be a bare pointer.
    for (Type t : entry.getFunctionType().getParams())
      if (t != ptr) {
        entry.emitError() << "tx-emit-entry-points: the entry function must "
                             "take bare pointers (static shapes, "
                             "use-bare-ptr-memref-call-conv), got "
                          << t;
        return signalPassFailure();
      }
    entry.setLinkage(LLVM::Linkage::Internal);

    // void txc_model_run(void **buffers)
    auto runType = LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx),
                                               {ptr});
    auto run = LLVM::LLVMFuncOp::create(b, loc, prefix.getValue() + "_run", runType);
    Block *body = run.addEntryBlock(b);
    b.setInsertionPointToStart(body);
    // Empty tensors get a scratch byte, whatever the caller passed.
    ArrayRef<int64_t> placeholders;
    if (auto attr = module->getAttrOfType<DenseI64ArrayAttr>(kPlaceholdersAttr))
      placeholders = attr.asArrayRef();
    SmallVector<Value> args;
    for (unsigned i = 0, e = entry.getNumArguments(); i < e; ++i) {
      if (llvm::is_contained(placeholders, int64_t(i))) {
        Value one = LLVM::ConstantOp::create(b, loc, b.getI64Type(),
                                             b.getI64IntegerAttr(1));
        args.push_back(LLVM::AllocaOp::create(b, loc, ptr, b.getI8Type(), one));
        continue;
      }
      Value slot = LLVM::GEPOp::create(b, loc, ptr, ptr, body->getArgument(0),
                                       ArrayRef<LLVM::GEPArg>{int32_t(i)});
      args.push_back(LLVM::LoadOp::create(b, loc, ptr, slot));
    }
    LLVM::CallOp::create(b, loc, entry, args);
    LLVM::ReturnOp::create(b, loc, ValueRange());

    // const char *txc_model_metadata(void)
    b.setInsertionPointToEnd(module.getBody());
    std::string text = signature.str();
    text.push_back('\0');
    auto arrayType = LLVM::LLVMArrayType::get(IntegerType::get(ctx, 8),
                                              text.size());
    LLVM::GlobalOp::create(b, loc, arrayType, /*isConstant=*/true,
                           LLVM::Linkage::Internal, "txc_metadata_json",
                           b.getStringAttr(text));
    auto metaType = LLVM::LLVMFunctionType::get(ptr, {});
    auto meta = LLVM::LLVMFuncOp::create(b, loc, prefix.getValue() + "_metadata",
                                         metaType);
    Block *metaBody = meta.addEntryBlock(b);
    b.setInsertionPointToStart(metaBody);
    Value addr = LLVM::AddressOfOp::create(b, loc, ptr, "txc_metadata_json");
    LLVM::ReturnOp::create(b, loc, addr);
  }
};

} // namespace
