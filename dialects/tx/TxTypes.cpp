//===- TxTypes.cpp - tx types: KV cache and quantized weights -------------===//

#include "txc/Dialect/Tx/TxDialect.h"
#include "txc/Dialect/Tx/TxTypes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace txc::tx;

#define GET_TYPEDEF_CLASSES
#include "txc/Dialect/Tx/TxTypes.cpp.inc"

void TxDialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "txc/Dialect/Tx/TxTypes.cpp.inc"
      >();
}

namespace {
/// Parses `name = <integer>`.
ParseResult parseNamedInt(AsmParser &parser, StringRef name, int64_t &value) {
  return failure(parser.parseKeyword(name) || parser.parseEqual() ||
                 parser.parseInteger(value));
}
} // namespace

//===----------------------------------------------------------------------===//
// KVCacheType
//===----------------------------------------------------------------------===//

// !tx.kv_cache<layers = L, kv_heads = H, capacity = C, head_dim = D, T
//              [, contiguous | , paged<B>] [, #tx.kv_format<...>]>
Type KVCacheType::parse(AsmParser &parser) {
  SMLoc loc = parser.getCurrentLocation();
  int64_t layers, kvHeads, capacity, headDim, blockSize = 0;
  Type elementType;
  KVLayout layout = KVLayout::contiguous;
  KVFormatAttr format;
  if (parser.parseLess() || parseNamedInt(parser, "layers", layers) ||
      parser.parseComma() || parseNamedInt(parser, "kv_heads", kvHeads) ||
      parser.parseComma() || parseNamedInt(parser, "capacity", capacity) ||
      parser.parseComma() || parseNamedInt(parser, "head_dim", headDim) ||
      parser.parseComma() || parser.parseType(elementType))
    return {};
  bool sawLayout = false;
  while (succeeded(parser.parseOptionalComma())) {
    SMLoc optionLoc = parser.getCurrentLocation();
    bool isPaged = succeeded(parser.parseOptionalKeyword("paged"));
    if (isPaged || succeeded(parser.parseOptionalKeyword("contiguous"))) {
      if (sawLayout) {
        parser.emitError(optionLoc) << "kv_cache layout given twice";
        return {};
      }
      sawLayout = true;
      if (isPaged) {
        layout = KVLayout::paged;
        if (parser.parseLess() || parser.parseInteger(blockSize) ||
            parser.parseGreater())
          return {};
      }
      continue;
    }
    Attribute attr;
    if (parser.parseAttribute(attr))
      return {};
    if (!isa<KVFormatAttr>(attr)) {
      parser.emitError(optionLoc)
          << "expected 'contiguous', 'paged<N>' or a #tx.kv_format attribute";
      return {};
    }
    if (format) {
      parser.emitError(optionLoc) << "kv_cache format given twice";
      return {};
    }
    format = cast<KVFormatAttr>(attr);
  }
  if (parser.parseGreater())
    return {};
  return getChecked([&] { return parser.emitError(loc); },
                    parser.getContext(), layers, kvHeads, capacity, headDim,
                    elementType, layout, blockSize, format);
}

void KVCacheType::print(AsmPrinter &printer) const {
  printer << "<layers = " << getLayers() << ", kv_heads = " << getKvHeads()
          << ", capacity = " << getCapacity() << ", head_dim = " << getHeadDim()
          << ", " << getElementType();
  if (getLayout() == KVLayout::paged)
    printer << ", paged<" << getBlockSize() << ">";
  if (getFormat()) {
    printer << ", ";
    printer.printAttribute(getFormat());
  }
  printer << ">";
}

LogicalResult KVCacheType::verify(function_ref<InFlightDiagnostic()> emitError,
                                  int64_t layers, int64_t kvHeads,
                                  int64_t capacity, int64_t headDim,
                                  Type elementType, KVLayout layout,
                                  int64_t blockSize, KVFormatAttr format) {
  for (auto [name, value] :
       {std::pair<StringRef, int64_t>{"layers", layers},
        {"kv_heads", kvHeads},
        {"capacity", capacity},
        {"head_dim", headDim}})
    if (value <= 0)
      return emitError() << "kv_cache '" << name << "' must be positive, got "
                         << value;
  if (!isa<FloatType>(elementType))
    return emitError() << "kv_cache element type must be a float type, got "
                       << elementType;
  if (layout == KVLayout::contiguous && blockSize != 0)
    return emitError() << "a contiguous kv_cache takes no page size, got "
                       << blockSize;
  if (layout == KVLayout::paged) {
    if (blockSize <= 0)
      return emitError() << "kv_cache page size must be positive, got "
                         << blockSize;
    if (capacity % blockSize != 0)
      return emitError() << "kv_cache capacity " << capacity
                         << " is not a multiple of the page size " << blockSize;
  }
  if (format) {
    int64_t extent =
        format.getAxis() == QuantAxis::per_token ? headDim : capacity;
    if (extent % format.getGroup() != 0)
      return emitError() << "kv_format group " << format.getGroup()
                         << " does not divide the "
                         << (format.getAxis() == QuantAxis::per_token
                                 ? "head_dim "
                                 : "capacity ")
                         << extent;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// QWeightType
//===----------------------------------------------------------------------===//

std::optional<BlockLayout> txc::tx::blockLayout(QuantKind kind) {
  // ggml type number, values and bytes per block (ggml's layouts).
  switch (kind) {
  case QuantKind::f16:
    return BlockLayout{1, 1, 2};
  case QuantKind::bf16:
    return BlockLayout{30, 1, 2};
  case QuantKind::q4_0:
    return BlockLayout{2, 32, 18};
  case QuantKind::q4_1:
    return BlockLayout{3, 32, 20};
  case QuantKind::q5_0:
    return BlockLayout{6, 32, 22};
  case QuantKind::q5_1:
    return BlockLayout{7, 32, 24};
  case QuantKind::q8_0:
    return BlockLayout{8, 32, 34};
  case QuantKind::q4_k:
    return BlockLayout{12, 256, 144};
  case QuantKind::q5_k:
    return BlockLayout{13, 256, 176};
  case QuantKind::q6_k:
    return BlockLayout{14, 256, 210};
  default:
    return std::nullopt;
  }
}

std::optional<QuantKind> txc::tx::quantKindForGGMLType(uint32_t ggmlType) {
  for (uint32_t k = uint32_t(QuantKind::f16); k <= uint32_t(QuantKind::q6_k);
       ++k)
    if (blockLayout(QuantKind(k))->ggmlType == ggmlType)
      return QuantKind(k);
  return std::nullopt;
}

// !tx.qweight<NxK, kind, group = G, scale = T [, zero_point]>
Type QWeightType::parse(AsmParser &parser) {
  SMLoc loc = parser.getCurrentLocation();
  SmallVector<int64_t> shape;
  StringRef kindName;
  int64_t group;
  Type scaleType;
  bool hasZeroPoint = false;
  if (parser.parseLess() ||
      parser.parseDimensionList(shape, /*allowDynamic=*/false,
                                /*withTrailingX=*/false) ||
      parser.parseComma())
    return {};
  SMLoc kindLoc = parser.getCurrentLocation();
  if (parser.parseKeyword(&kindName))
    return {};
  std::optional<QuantKind> kind = symbolizeQuantKind(kindName);
  if (!kind) {
    parser.emitError(kindLoc) << "unknown quantized format '" << kindName
                              << "' (expected int8, int4, int2, fp8_e4m3, fp4_e2m1 or a GGUF "
                                 "block format: f16, bf16, q4_0, q4_1, q5_0, "
                                 "q5_1, q8_0, q4_k, q5_k, q6_k)";
    return {};
  }
  if (parser.parseComma() || parseNamedInt(parser, "group", group) ||
      parser.parseComma() || parser.parseKeyword("scale") ||
      parser.parseEqual() || parser.parseType(scaleType))
    return {};
  if (succeeded(parser.parseOptionalComma())) {
    if (parser.parseKeyword("zero_point"))
      return {};
    hasZeroPoint = true;
  }
  if (parser.parseGreater())
    return {};
  return getChecked([&] { return parser.emitError(loc); },
                    parser.getContext(), shape, *kind, group, scaleType,
                    hasZeroPoint);
}

void QWeightType::print(AsmPrinter &printer) const {
  printer << "<";
  llvm::interleave(getShape(), printer, "x");
  printer << ", " << stringifyQuantKind(getKind()) << ", group = " << getGroup()
          << ", scale = " << getScaleType();
  if (getHasZeroPoint())
    printer << ", zero_point";
  printer << ">";
}

LogicalResult QWeightType::verify(function_ref<InFlightDiagnostic()> emitError,
                                  ArrayRef<int64_t> shape, QuantKind kind,
                                  int64_t group, Type scaleType,
                                  bool hasZeroPoint) {
  if (shape.size() != 2)
    return emitError() << "qweight shape must be [out_features, in_features], "
                          "got "
                       << shape.size() << " dimensions";
  if (shape[0] <= 0 || shape[1] <= 0)
    return emitError() << "qweight dimensions must be positive";
  if (group <= 0)
    return emitError() << "qweight group size must be positive, got " << group;
  if (!isa<FloatType>(scaleType))
    return emitError() << "qweight scale type must be a float type, got "
                       << scaleType;
  if (hasZeroPoint && kind != QuantKind::int8 && kind != QuantKind::int4 &&
      kind != QuantKind::int2)
    return emitError() << "zero points are only valid for integer formats, not "
                       << stringifyQuantKind(kind);
  if (std::optional<BlockLayout> layout = blockLayout(kind)) {
    if (group != layout->values)
      return emitError() << "qweight of block format "
                         << stringifyQuantKind(kind) << " must have group = "
                         << layout->values << ", got " << group;
    if (shape[1] % group != 0)
      return emitError() << "qweight of block format "
                         << stringifyQuantKind(kind) << " needs in_features "
                         << shape[1] << " to be a multiple of its block of "
                         << group;
    if (!scaleType.isF16())
      return emitError() << "qweight of block format "
                         << stringifyQuantKind(kind)
                         << " must have scale = f16, got " << scaleType;
  }
  return success();
}

unsigned QWeightType::getBits() const {
  switch (getKind()) {
  case QuantKind::int8:
  case QuantKind::fp8_e4m3:
    return 8;
  case QuantKind::int4:
  case QuantKind::fp4_e2m1:
    return 4;
  case QuantKind::int2:
    return 2;
  default:
    // Block formats: the stored element is a byte of the file's blocks.
    return 8;
  }
  llvm_unreachable("unknown quant kind");
}

Type QWeightType::getCodeType() const {
  MLIRContext *ctx = getContext();
  switch (getKind()) {
  case QuantKind::int8:
    return IntegerType::get(ctx, 8);
  case QuantKind::int4:
    return IntegerType::get(ctx, 4);
  case QuantKind::int2:
    return IntegerType::get(ctx, 2);
  case QuantKind::fp8_e4m3:
    return Float8E4M3FNType::get(ctx);
  case QuantKind::fp4_e2m1:
    return Float4E2M1FNType::get(ctx);
  default:
    // Block formats: the weight is its row bytes.
    return IntegerType::get(ctx, 8);
  }
}

bool QWeightType::isInteger() const {
  return getKind() == QuantKind::int8 || getKind() == QuantKind::int4 ||
         getKind() == QuantKind::int2;
}

bool QWeightType::isBlockFormat() const {
  return blockLayout(getKind()).has_value();
}

uint32_t QWeightType::getGGMLType() const {
  std::optional<BlockLayout> layout = blockLayout(getKind());
  assert(layout && "not a block format");
  return layout->ggmlType;
}

int64_t QWeightType::getBlockBytes() const {
  std::optional<BlockLayout> layout = blockLayout(getKind());
  assert(layout && "not a block format");
  return layout->bytes;
}

int64_t QWeightType::getRowBytes() const {
  return getInFeatures() / getGroup() * getBlockBytes();
}
