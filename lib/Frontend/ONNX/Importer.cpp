//===- Importer.cpp - ONNX graph importer ---------------------------------===//

#include "Importer.h"
#include "txc/Support/Files.h"
#include "Emit.h"

#include "txc/Dialect/Tx/TxOps.h"
#include "txc/Support/Safetensors.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <set>

using namespace mlir;
using llvm::Error;
using llvm::MemoryBuffer;
namespace sys = llvm::sys;
using namespace txc;
using namespace txc::onnx_import;

/// The role of a graph input, from the names and ranks Hugging Face exports
/// use: the one place in txc that reads meaning into input names. Everything
/// after the import reads the `tx.role` attribute recorded from it.
static std::optional<tx::InputRole> classifyInput(StringRef name,
                                                  size_t rank) {
  if (name == "input_ids" && rank == 2)
    return tx::InputRole::token_ids;
  if (name == "position_ids" && rank == 2)
    return tx::InputRole::positions;
  if (name == "attention_mask" && rank == 2)
    return tx::InputRole::attention_mask;
  if (name == "token_type_ids" && rank == 2)
    return tx::InputRole::token_type_ids;
  if (name.contains("past") && rank == 4)
    return tx::InputRole::past_key_value;
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Types and constants
//===----------------------------------------------------------------------===//

Type onnx_import::toMLIRType(DType dtype, MLIRContext *ctx) {
  switch (dtype) {
  case DType::F32:
    return Float32Type::get(ctx);
  case DType::F16:
    return Float16Type::get(ctx);
  case DType::BF16:
    return BFloat16Type::get(ctx);
  case DType::F64:
    return Float64Type::get(ctx);
  case DType::F8E4M3FN:
    return Float8E4M3FNType::get(ctx);
  case DType::Bool:
    return IntegerType::get(ctx, 1);
  case DType::I4:
  case DType::U4:
    return IntegerType::get(ctx, 4);
  case DType::I8:
  case DType::U8:
    return IntegerType::get(ctx, 8);
  case DType::I16:
  case DType::U16:
    return IntegerType::get(ctx, 16);
  case DType::I32:
  case DType::U32:
    return IntegerType::get(ctx, 32);
  case DType::I64:
  case DType::U64:
    return IntegerType::get(ctx, 64);
  default:
    return {};
  }
}

DenseElementsAttr onnx_import::toDenseAttr(const HostTensor &t,
                                           MLIRContext *ctx) {
  auto type = RankedTensorType::get(t.shape, toMLIRType(t.dtype, ctx));
  if (t.dtype == DType::Bool) {
    SmallVector<bool> bits(t.numElements());
    for (int64_t i = 0, e = bits.size(); i < e; ++i)
      bits[i] = t.bytes[i] != 0;
    return DenseElementsAttr::get(type, ArrayRef<bool>(bits));
  }
  if (t.dtype == DType::I4 || t.dtype == DType::U4) {
    SmallVector<APInt> vals;
    for (int64_t i = 0, e = t.numElements(); i < e; ++i)
      vals.push_back(APInt(4, t.getInt(i), /*isSigned=*/t.dtype == DType::I4,
                           /*implicitTrunc=*/true));
    return DenseElementsAttr::get(type, vals);
  }
  if (t.isSplat() && t.numElements() > 0) {
    // A splat constant is stored once.
    unsigned size = dtypeSize(t.dtype);
    return DenseElementsAttr::getFromRawBuffer(
        type, ArrayRef<char>(t.bytes.data(), size));
  }
  return DenseElementsAttr::getFromRawBuffer(type, t.bytes);
}

/// safetensors dtype name of an element type.
static StringRef safetensorsDType(DType t) {
  switch (t) {
  case DType::F32:
    return "F32";
  case DType::F16:
    return "F16";
  case DType::BF16:
    return "BF16";
  case DType::F64:
    return "F64";
  case DType::I64:
    return "I64";
  case DType::I32:
    return "I32";
  case DType::I16:
    return "I16";
  case DType::I8:
    return "I8";
  case DType::U8:
    return "U8";
  case DType::Bool:
    return "BOOL";
  case DType::F8E4M3FN:
    return "F8_E4M3";
  default:
    return "";
  }
}

//===----------------------------------------------------------------------===//
// NodeContext
//===----------------------------------------------------------------------===//

NodeContext::NodeContext(GraphImporter &importer, const onnx::NodeProto &node,
                         const NodeAttrs &attrs, int64_t opset, Location loc)
    : node(node), attrs(attrs), opset(opset), loc(loc), b(importer.builder),
      importer(importer) {}

unsigned NodeContext::numInputs() const { return node.input_size(); }

bool NodeContext::hasInput(unsigned i) const {
  return i < numInputs() && !node.input(i).empty();
}

Value NodeContext::input(unsigned i) {
  if (!hasInput(i))
    return {};
  return importer.materialize(node.input(i), loc);
}

const HostTensor *NodeContext::constInput(unsigned i) const {
  if (!hasInput(i))
    return nullptr;
  auto it = importer.values.find(node.input(i));
  if (it == importer.values.end() || !it->second.constant)
    return nullptr;
  return &*it->second.constant;
}

DType NodeContext::inputDType(unsigned i) const {
  if (!hasInput(i))
    return DType::Undefined;
  auto it = importer.values.find(node.input(i));
  return it == importer.values.end() ? DType::Undefined : it->second.dtype;
}

RankedTensorType NodeContext::inputType(unsigned i) {
  Value v = input(i);
  return v ? dyn_cast<RankedTensorType>(v.getType()) : RankedTensorType();
}

StringRef NodeContext::inputInitializer(unsigned i) const {
  if (!hasInput(i))
    return {};
  auto it = importer.values.find(node.input(i));
  return it == importer.values.end() ? StringRef()
                                     : StringRef(it->second.initializer);
}

unsigned NodeContext::numOutputs() const { return node.output_size(); }

bool NodeContext::hasOutput(unsigned i) const {
  return i < numOutputs() && !node.output(i).empty();
}

void NodeContext::setOutput(unsigned i, Value value, DType dtype) {
  if (!hasOutput(i))
    return;
  ValueState &state = importer.values[node.output(i)];
  state.value = value;
  state.dtype = dtype;
}

LogicalResult NodeContext::fail(const Twine &message) {
  emitError(loc) << "node '" << node.name() << "' ("
                 << (node.domain().empty() ? "" : node.domain() + "::")
                 << node.op_type() << ", opset " << opset << "): " << message;
  return failure();
}

LogicalResult NodeContext::failNotConstant(unsigned i, const Twine &what) {
  std::string why = hasInput(i)
                        ? importer.explainRuntime(node.input(i), false)
                        : std::string("it is missing");
  return fail(what + " must be known at compile time, but " + why);
}

Value NodeContext::weight(const HostTensor &tensor, StringRef name) {
  return importer.weight(tensor, name, loc, /*fromModel=*/true);
}

//===----------------------------------------------------------------------===//
// GraphImporter
//===----------------------------------------------------------------------===//

GraphImporter::GraphImporter(MLIRContext &ctx, LoadedModel &model,
                             const ONNXImportOptions &options,
                             SafetensorsWriter *weights)
    : ctx(ctx), builder(&ctx), model(model), options(options),
      weights(weights) {
  registerElementwiseConverters(converters);
  registerShapeConverters(converters);
  registerLinalgConverters(converters);
  registerTransformerConverters(converters);
  registerQuantConverters(converters);
}

Location GraphImporter::fileLoc() {
  return FileLineColLoc::get(&ctx, model.displayName, 0, 0);
}

Location GraphImporter::nodeLoc(const onnx::NodeProto &node) {
  std::string name = node.name();
  if (name.empty())
    name = node.op_type() + ":" +
           (node.output_size() ? node.output(0) : std::string("?"));
  return NameLoc::get(StringAttr::get(&ctx, name), fileLoc());
}

Value GraphImporter::weight(const HostTensor &tensor, StringRef name,
                            Location loc, bool fromModel, bool alwaysStore) {
  auto cached = weightCache.find(name);
  if (cached != weightCache.end())
    return cached->second;
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(entry);
  int64_t n = tensor.numElements();
  bool packed4 = tensor.dtype == DType::U4 || tensor.dtype == DType::I4;
  bool storable = !safetensorsDType(tensor.dtype).empty() ||
                  (packed4 && !tensor.shape.empty() &&
                   tensor.shape.back() % 2 == 0);
  // Folded values (masks, position tables) stay inline up to a larger size so
  // that raising passes can inspect them.
  bool inlineIt = !storable ||
                  (!alwaysStore &&
                   (n <= options.inlineLimit || tensor.isSplat() ||
                    (!fromModel && n <= options.foldedInlineLimit)));
  Value result;
  if (inlineIt) {
    result = arith::ConstantOp::create(builder, loc,
                                       toDenseAttr(tensor, &ctx));
  } else {
    auto type = RankedTensorType::get(tensor.shape,
                                      toMLIRType(tensor.dtype, &ctx));
    result = tx::WeightOp::create(builder, loc, type, name);
    if (weights && !weights->contains(name)) {
      Error err = Error::success();
      if (packed4) {
        // 4-bit codes are stored two per byte (low nibble first) as U8 with
        // the last dimension halved.
        std::vector<char> bytes(n / 2);
        for (int64_t i = 0; i < n; i += 2)
          bytes[i / 2] = static_cast<char>((tensor.bytes[i] & 0xf) |
                                           ((tensor.bytes[i + 1] & 0xf) << 4));
        SmallVector<int64_t> shape(tensor.shape);
        shape.back() /= 2;
        err = weights->add(name, "U8", shape, bytes);
      } else {
        err = weights->add(name, safetensorsDType(tensor.dtype), tensor.shape,
                           tensor.bytes);
      }
      if (err)
        emitError(loc) << toString(std::move(err));
    }
  }
  weightCache[name] = result;
  return result;
}

Value GraphImporter::materialize(StringRef name, Location loc) {
  auto it = values.find(name);
  if (it == values.end())
    return {};
  ValueState &state = it->second;
  if (state.positional && !state.value) {
    if (Value v = materializePositional(name, loc))
      return v;
    // Reported; the node being converted fails after its converter.
    positionsFailed = true;
    state.positional = false;
  }
  if (!state.value && !state.constant && state.dequant)
    resolveDequantized(*this, name);
  if (!state.value && !state.constant && !state.transposeOf.empty()) {
    Value source = materialize(state.transposeOf, loc);
    state.value = transposeTensor(builder, loc, source, {1, 0});
    return state.value;
  }
  if (state.value || !state.constant)
    return state.value;
  // Initializers keep their name; folded values are named after the value.
  std::string weightName =
      state.initializer.empty() ? ("folded:" + name).str() : state.initializer;
  state.value =
      weight(*state.constant, weightName, loc,
             /*fromModel=*/!state.initializer.empty() && !state.derived);
  return state.value;
}

std::string GraphImporter::explainRuntime(StringRef name, bool shapeOnly) {
  auto quoted = [](StringRef s) { return ("'" + s + "'").str(); };
  auto join = [](ArrayRef<std::string> items) {
    std::string out;
    for (const std::string &item : items)
      out += (out.empty() ? "" : ", ") + item;
    return out;
  };
  Value value;
  if (auto it = values.find(name); it != values.end())
    value = it->second.value;
  if (!value)
    return quoted(name) + " is not known";
  std::string type;
  llvm::raw_string_ostream(type) << value.getType();
  if (!dynamicInputs.empty()) {
    std::string what = shapeOnly ? "the shape of " + quoted(name) + " (" +
                                       type + ") is not static"
                                 : quoted(name) + " is computed at run time";
    return what +
           "; specialize the model's dynamic dimensions with --shape (dynamic "
           "inputs: " +
           join(dynamicInputs) + ")";
  }
  // Every input is static: the value depends on the data of some inputs.
  std::set<std::string> sources;
  SmallVector<Value> worklist{value};
  llvm::DenseSet<Value> seen;
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    if (!seen.insert(v).second)
      continue;
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      if (arg.getOwner() == entry)
        if (auto attr = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                          "tx.name"))
          sources.insert(quoted(attr.getValue()));
      continue;
    }
    if (Operation *def = v.getDefiningOp())
      for (Value operand : def->getOperands())
        worklist.push_back(operand);
  }
  if (shapeOnly)
    return "the shape of " + quoted(name) + " (" + type +
           ") is only known at run time";
  if (isa<BlockArgument>(value))
    return quoted(name) + " (" + type +
           ") is an input of the model, whose values are only known at run "
           "time; a shape that depends on data cannot be specialized with "
           "--shape";
  std::vector<std::string> names(sources.begin(), sources.end());
  return quoted(name) + " (" + type + ") is computed at run time" +
         (names.empty() ? std::string()
                        : " from the values of " + join(names)) +
         "; a shape that depends on data cannot be specialized with --shape";
}

LogicalResult GraphImporter::checkSupport() {
  bool ok = true;
  std::set<std::string> reported;
  for (const onnx::NodeProto &node : model.proto.graph().node()) {
    StringRef domain = canonicalDomain(node.domain());
    int64_t opset = model.opset(domain);
    auto domainIt = converters.find(domain.str());
    bool known = domainIt != converters.end() &&
                 domainIt->second.count(node.op_type());
    bool foldable = domain.empty() && canFold(node.op_type());
    if (known) {
      const ConverterEntry &entry = domainIt->second.at(node.op_type());
      if (opset < entry.minOpset) {
        emitError(nodeLoc(node))
            << "node '" << node.name() << "' (" << node.op_type()
            << "): opset " << opset << " is older than the " << entry.minOpset
            << " this op needs";
        ok = false;
      }
      continue;
    }
    if (foldable)
      continue;
    ok = false;
    emitError(nodeLoc(node))
        << "unsupported op: node '" << node.name() << "' has op type '"
        << node.op_type() << "' in domain '"
        << (domain.empty() ? StringRef("ai.onnx") : domain) << "' (opset "
        << opset << ")";
  }
  if (!ok)
    emitError(fileLoc()) << "the model uses ops txc cannot import (listed "
                            "above); nothing was imported";
  return success(ok);
}

/// Ops whose constant operands are data computed ahead of time (masks,
/// position tables, gather indices), never parameters.
static bool readsPrecomputedData(StringRef opType) {
  static const std::set<std::string, std::less<>> ops = {
      "Add",   "Sub",          "Mul",     "Div",           "Where",
      "And",   "Or",           "Xor",     "Not",           "Equal",
      "Less",  "LessOrEqual",  "Greater", "GreaterOrEqual", "Max",
      "Min",   "Expand",       "Tile",    "GatherND",      "GatherElements",
      "Cos",   "Sin",          "IsNaN",   "IsInf"};
  return ops.count(opType);
}

/// Exporters that constant-fold (torch dynamo's optimizer) turn precomputed
/// values -- causal masks, rotary cos/sin tables, gather indices -- into
/// initializers. They are told apart from parameters by use: an initializer
/// of rank >= 2 (or a non-float one) that only elementwise, comparison,
/// select and gather-index operands read is treated like a folded value, so
/// that it stays inline (up to the folded limit) where raising can see it.
void GraphImporter::classifyInitializers() {
  const onnx::GraphProto &graph = model.proto.graph();
  llvm::StringMap<bool> onlyPrecomputedUses;
  for (const onnx::NodeProto &node : graph.node()) {
    bool ok = canonicalDomain(node.domain()).empty() &&
              readsPrecomputedData(node.op_type());
    for (const std::string &in : node.input()) {
      auto it = values.find(in);
      if (in.empty() || it == values.end() || it->second.initializer.empty())
        continue;
      auto [use, inserted] = onlyPrecomputedUses.try_emplace(in, ok);
      if (!inserted)
        use->second = use->second && ok;
    }
  }
  for (const auto &[name, ok] : onlyPrecomputedUses) {
    ValueState &state = values[name];
    if (!ok || !state.constant)
      continue;
    state.derived = !isFloat(state.dtype) || state.constant->rank() >= 2;
  }
}

LogicalResult GraphImporter::declareInputs(ModuleOp module) {
  const onnx::GraphProto &graph = model.proto.graph();
  // Initializers: known values.
  std::set<std::string> initializerNames;
  for (const onnx::TensorProto &init : graph.initializer()) {
    HostTensor t;
    if (std::string err = model.readTensor(init, t); !err.empty()) {
      emitError(fileLoc()) << "initializer: " << err;
      return failure();
    }
    ValueState &state = values[init.name()];
    state.dtype = t.dtype;
    state.constant = std::move(t);
    state.initializer = init.name();
    initializerNames.insert(init.name());
  }

  classifyInitializers();

  // Graph inputs that are not initializers are function arguments.
  struct Input {
    std::string name;
    DType dtype;
    SmallVector<int64_t> shape;
    SmallVector<std::string> dimParams;
    std::optional<tx::InputRole> role;
  };
  std::vector<Input> inputs;
  for (const onnx::ValueInfoProto &vi : graph.input()) {
    if (initializerNames.count(vi.name()))
      continue;
    if (!vi.type().has_tensor_type()) {
      emitError(fileLoc()) << "graph input '" << vi.name()
                           << "' is not a tensor; only tensor inputs are "
                              "supported";
      return failure();
    }
    const auto &tt = vi.type().tensor_type();
    std::optional<DType> dtype = dtypeFromONNX(tt.elem_type());
    if (!dtype || !toMLIRType(*dtype, &ctx)) {
      emitError(fileLoc()) << "graph input '" << vi.name()
                           << "' has unsupported element type "
                           << tt.elem_type();
      return failure();
    }
    Input in{vi.name(), *dtype, {}, {}, std::nullopt};
    if (!tt.has_shape()) {
      emitError(fileLoc()) << "graph input '" << vi.name()
                           << "' has no shape; give one with --shape "
                           << vi.name() << "=DIMS";
      return failure();
    }
    for (const auto &dim : tt.shape().dim()) {
      in.shape.push_back(dim.has_dim_value() ? dim.dim_value()
                                             : ShapedType::kDynamic);
      in.dimParams.push_back(dim.has_dim_param() ? dim.dim_param() : "");
    }
    inputs.push_back(std::move(in));
  }

  // --shape overrides; symbolic dimensions learn their size from them.
  std::map<std::string, int64_t> symbols;
  // Generation shapes by role: dynamic dimensions of the token ids, the past
  // keys/values and the attention mask.
  const auto &gen = options.generation;
  auto byRole = [&](Input &in, size_t d, int64_t size) {
    if (size < 0 || d >= in.shape.size() || !ShapedType::isDynamic(in.shape[d]))
      return;
    in.shape[d] = size;
    if (!in.dimParams[d].empty())
      symbols.emplace(in.dimParams[d], size);
  };
  for (Input &in : inputs) {
    in.role = classifyInput(in.name, in.shape.size());
    if (!in.role)
      continue;
    switch (*in.role) {
    case tx::InputRole::token_ids:
    case tx::InputRole::positions:
      byRole(in, 0, gen.batch);
      byRole(in, 1, gen.sequence);
      break;
    case tx::InputRole::past_key_value:
      byRole(in, 0, gen.batch);
      byRole(in, 2, gen.past);
      break;
    case tx::InputRole::attention_mask:
      byRole(in, 0, gen.batch);
      if (gen.past >= 0 && gen.sequence >= 0)
        byRole(in, 1, gen.past + gen.sequence);
      break;
    case tx::InputRole::token_type_ids:
      break;
    }
  }
  for (const auto &shapeOption : options.shapes) {
    const std::string &name = shapeOption.first;
    const SmallVector<int64_t> &dims = shapeOption.second;
    auto it = llvm::find_if(inputs, [&](const Input &in) {
      return in.name == name;
    });
    if (it == inputs.end()) {
      std::string names;
      for (const Input &in : inputs)
        names += (names.empty() ? "" : ", ") + in.name;
      emitError(fileLoc()) << "--shape names '" << name
                           << "', which is not an input of the model (inputs: "
                           << names << ")";
      return failure();
    }
    if (dims.size() != it->shape.size()) {
      emitError(fileLoc()) << "--shape " << name << " gives " << dims.size()
                           << " dimensions but the input has rank "
                           << it->shape.size();
      return failure();
    }
    for (size_t d = 0; d < dims.size(); ++d) {
      int64_t given = dims[d], model = it->shape[d];
      if (given < 0)
        continue;
      // An empty input computes nothing (only a past may be empty).
      if (given == 0 && it->role != tx::InputRole::past_key_value) {
        emitError(fileLoc()) << "--shape " << name << ": dimension " << d
                             << " is 0, which makes the input empty; give "
                                "every dimension of '"
                             << name << "' a size of at least 1";
        return failure();
      }
      if (!ShapedType::isDynamic(model) && model != given) {
        emitError(fileLoc()) << "--shape " << name << " contradicts the model: "
                             << "dimension " << d << " is " << model
                             << " in the model but " << given << " was given";
        return failure();
      }
      if (!it->dimParams[d].empty()) {
        auto [sym, inserted] = symbols.emplace(it->dimParams[d], given);
        if (!inserted && sym->second != given) {
          emitError(fileLoc())
              << "--shape gives dimension '" << it->dimParams[d]
              << "' two sizes: " << sym->second << " and " << given;
          return failure();
        }
      }
      it->shape[d] = given;
    }
  }
  for (Input &in : inputs)
    for (size_t d = 0; d < in.shape.size(); ++d)
      if (ShapedType::isDynamic(in.shape[d]) && !in.dimParams[d].empty())
        if (auto sym = symbols.find(in.dimParams[d]); sym != symbols.end())
          in.shape[d] = sym->second;

  for (const Input &in : inputs) {
    if (llvm::none_of(in.shape, ShapedType::isDynamic))
      continue;
    std::string dims;
    for (auto [d, size] : llvm::enumerate(in.shape))
      dims += (d ? ", " : "") +
              (!ShapedType::isDynamic(size) ? std::to_string(size)
               : in.dimParams[d].empty()    ? std::string("?")
                                            : in.dimParams[d]);
    dynamicInputs.push_back(in.name + " [" + dims + "]");
  }

  SmallVector<Type> argTypes;
  for (const Input &in : inputs)
    argTypes.push_back(
        RankedTensorType::get(in.shape, toMLIRType(in.dtype, &ctx)));
  builder.setInsertionPointToEnd(module.getBody());
  func = func::FuncOp::create(builder, fileLoc(), options.functionName,
                              builder.getFunctionType(argTypes, {}));
  entry = func.addEntryBlock();
  for (auto [i, in] : llvm::enumerate(inputs)) {
    ValueState &state = values[in.name];
    state.value = entry->getArgument(i);
    state.dtype = in.dtype;
    state.constant.reset();
    func.setArgAttr(i, "tx.name", builder.getStringAttr(in.name));
    if (in.role)
      tx::setInputRole(func, i, *in.role);
  }
  builder.setInsertionPointToEnd(entry);
  if (options.generation.sequence >= 0)
    setPositionProbe();
  return success();
}

//===----------------------------------------------------------------------===//
// Positions under generation
//===----------------------------------------------------------------------===//
//
// A decoder compiled for generation runs its steps at every offset of the KV
// cache, but the importer folds whatever it can for the step's static shapes.
// Positions are the exception: rotary tables and sinusoidal embeddings
// computed from them must follow the cache. Exports either take position_ids
// or compute positions from the sequence length (Range(past, past + S), torch
// dynamo's form for models whose only input is input_ids). Both are tracked
// as positional values: folded with the step's own positions, so shape logic
// and causal masks (comparisons of positions, which do not depend on the
// offset) stay constant, while every node that is not folded -- Cos and Sin
// of positions are never folded -- reads the chain rebuilt from the
// position_ids input, which is added when the model lacks one.

/// The producer index of a value that is the step's positions themselves.
static constexpr int kPositionRoot = -2;

void GraphImporter::setPositionProbe() {
  generationMode = true;
  for (BlockArgument arg : entry->getArguments()) {
    unsigned index = arg.getArgNumber();
    auto name = func.getArgAttrOfType<StringAttr>(index, "tx.name");
    std::optional<tx::InputRole> role = tx::getInputRole(func, index);
    auto type = cast<RankedTensorType>(arg.getType());
    if (!name || !role)
      continue;
    if (role == tx::InputRole::token_ids && type.hasStaticShape()) {
      tokensInput = name.getValue().str();
      stepBatch = type.getDimSize(0);
      stepLength = type.getDimSize(1);
    }
    if (role == tx::InputRole::past_key_value && !type.isDynamicDim(2))
      stepPast = type.getDimSize(2);
    if (role == tx::InputRole::positions)
      positionsInput = name.getValue().str();
  }
  if (tokensInput.empty())
    return;
  auto it = values.find(positionsInput);
  if (it == values.end() || !it->second.value ||
      !isa<BlockArgument>(it->second.value))
    return;
  auto type = cast<RankedTensorType>(it->second.value.getType());
  if (type.getRank() != 2 || !type.hasStaticShape() ||
      type.getDimSize(1) != stepLength || !isInteger(it->second.dtype))
    return;
  hasPositionInput = true;
  HostTensor probe(it->second.dtype, type.getShape());
  for (int64_t i = 0, n = probe.numElements(); i < n; ++i)
    probe.setInt(i, stepPast + i % stepLength);
  it->second.constant = std::move(probe);
  it->second.positional = true;
}

void GraphImporter::trackPositions(const onnx::NodeProto &node, int index) {
  if (!generationMode || tokensInput.empty())
    return;
  // Comparisons end a chain of positions: masks built from them do not
  // depend on the step's offset.
  static const std::set<std::string, std::less<>> ends = {
      "Shape",   "Size",  "Equal",  "Less",   "LessOrEqual", "Greater",
      "GreaterOrEqual", "Not", "And", "Or", "Xor", "IsNaN", "IsInf",
      "NonZero", "ArgMax", "ArgMin"};
  bool positional = false, fromTokenShape = false;
  for (const std::string &in : node.input()) {
    if (in.empty())
      continue;
    const ValueState &state = values[in];
    positional |= state.positional;
    fromTokenShape |= state.fromTokenShape;
    // The shape of a value computed at run time holds the sequence length.
    if ((node.op_type() == "Shape" || node.op_type() == "Size") &&
        !state.constant)
      fromTokenShape = true;
  }
  positional = positional && !ends.count(node.op_type());
  int producer = index;
  if (node.op_type() == "Range" && fromTokenShape && node.output_size() == 1) {
    const ValueState &out = values[node.output(0)];
    if (out.constant && out.constant->rank() == 1 &&
        out.constant->shape[0] == stepLength) {
      bool counts = true;
      for (int64_t start : {int64_t(0), stepPast}) {
        counts = true;
        for (int64_t i = 0; i < stepLength && counts; ++i)
          counts = out.constant->getDouble(i) == double(start + i);
        if (counts)
          break;
      }
      if (counts) {
        positional = true;
        producer = kPositionRoot;
      }
    }
  }
  for (const std::string &out : node.output()) {
    if (out.empty())
      continue;
    ValueState &state = values[out];
    state.positional = positional;
    state.fromTokenShape = fromTokenShape;
    state.producer = producer;
  }
}

Value GraphImporter::runtimePositions(DType dtype, Location loc) {
  Value positions;
  if (hasPositionInput) {
    positions = values[positionsInput].value;
  } else {
    unsigned index = func.getNumArguments();
    auto type = RankedTensorType::get({stepBatch, stepLength},
                                      builder.getIntegerType(64));
    if (failed(func.insertArgument(index, type, {}, fileLoc())))
      return {};
    func.setArgAttr(index, "tx.name", builder.getStringAttr("position_ids"));
    tx::setInputRole(func, index, tx::InputRole::positions);
    positions = entry->getArgument(index);
    positionsInput = "position_ids";
    ValueState &state = values[positionsInput];
    state.value = positions;
    state.dtype = DType::I64;
    hasPositionInput = true;
  }
  // Every row of a generation step holds the same positions: the first.
  auto type = cast<RankedTensorType>(positions.getType());
  auto rowType = RankedTensorType::get({stepLength}, type.getElementType());
  Value row = tensor::ExtractSliceOp::create(
      builder, loc, rowType, positions,
      ArrayRef<OpFoldResult>{builder.getIndexAttr(0), builder.getIndexAttr(0)},
      ArrayRef<OpFoldResult>{builder.getIndexAttr(1),
                             builder.getIndexAttr(stepLength)},
      ArrayRef<OpFoldResult>{builder.getIndexAttr(1), builder.getIndexAttr(1)});
  Type elementType = toMLIRType(dtype, &ctx);
  if (elementType != rowType.getElementType())
    row = convertElementType(builder, loc, row, elementType,
                             isUnsigned(values[positionsInput].dtype),
                             isUnsigned(dtype));
  return row;
}

Value GraphImporter::materializePositional(StringRef name, Location loc) {
  ValueState &state = values[name];
  if (state.producer == kPositionRoot) {
    state.value = runtimePositions(state.dtype, loc);
    return state.value;
  }
  const onnx::NodeProto &node = model.proto.graph().node(state.producer);
  StringRef domain = canonicalDomain(node.domain());
  auto domainIt = converters.find(domain.str());
  NodeAttrs attrs;
  if (domainIt == converters.end() || !domainIt->second.count(node.op_type()) ||
      !model.readAttributes(node, attrs).empty()) {
    emitError(nodeLoc(node))
        << "node '" << node.name() << "' (" << node.op_type()
        << ") computes from the token positions a value that must follow the "
           "KV cache at run time, and txc cannot compute '"
        << node.op_type()
        << "' at run time; export the model with a position_ids input or "
           "compile it without --max-seq";
    return {};
  }
  NodeContext context(*this, node, attrs, model.opset(domain), nodeLoc(node));
  if (failed(domainIt->second.at(node.op_type()).fn(context)))
    return {};
  return state.value;
}

LogicalResult GraphImporter::tryFold(const onnx::NodeProto &node,
                                     const NodeAttrs &attrs, int64_t opset,
                                     bool &folded) {
  folded = false;
  if (!canonicalDomain(node.domain()).empty() || !canFold(node.op_type()))
    return success();
  // Tables of positions are computed at run time (see setPositionProbe).
  if ((node.op_type() == "Cos" || node.op_type() == "Sin") &&
      llvm::any_of(node.input(), [&](const std::string &in) {
        auto it = values.find(in);
        return it != values.end() && it->second.positional;
      }))
    return success();
  // Transpose of a large 2-D weight is not copied: MatMul reads the weight
  // directly (tx.linear wants [out, in]); other users get a linalg.transpose.
  if (node.op_type() == "Transpose" && node.input_size() == 1 &&
      node.output_size() == 1) {
    auto it = values.find(node.input(0));
    std::optional<std::vector<int64_t>> perm = attrs.getInts("perm");
    // A pending DequantizeLinear of a 2-D weight is read the same way.
    const HostTensor *quantized = nullptr;
    if (it != values.end() && it->second.dequant) {
      auto data = values.find(it->second.dequant->data);
      if (data != values.end() && data->second.constant)
        quantized = &*data->second.constant;
    }
    if (quantized && quantized->rank() == 2 &&
        (!perm || *perm == std::vector<int64_t>{1, 0})) {
      ValueState &state = values[node.output(0)];
      state.dtype = it->second.dtype;
      state.transposeOf = node.input(0);
      folded = true;
      return success();
    }
    if (it != values.end() && it->second.constant &&
        it->second.constant->rank() == 2 &&
        it->second.constant->numElements() > options.inlineLimit &&
        (!perm || *perm == std::vector<int64_t>{1, 0})) {
      ValueState &state = values[node.output(0)];
      state.dtype = it->second.dtype;
      state.transposeOf = node.input(0);
      folded = true;
      return success();
    }
  }
  // A lookup in a weight table (position embeddings gathered by constant
  // positions) stays a tx.embedding of the weight rather than becoming an
  // inlined copy of the rows.
  if (node.op_type() == "Gather" && node.input_size() == 2) {
    auto it = values.find(node.input(0));
    if (it != values.end() && it->second.constant &&
        !it->second.initializer.empty() && !it->second.derived &&
        isFloat(it->second.constant->dtype) &&
        it->second.constant->rank() == 2 &&
        it->second.constant->numElements() > options.inlineLimit &&
        attrs.getInt("axis", 0) == 0)
      return success();
  }
  SmallVector<const HostTensor *> inputs;
  // Shape and Size only need the static shape of their input.
  std::optional<HostTensor> shapeOnly;
  bool needsShapeOnly = node.op_type() == "Shape" || node.op_type() == "Size";
  for (int i = 0, e = node.input_size(); i < e; ++i) {
    if (node.input(i).empty()) {
      inputs.push_back(nullptr);
      continue;
    }
    auto it = values.find(node.input(i));
    if (it == values.end())
      return success();
    if (it->second.constant) {
      inputs.push_back(&*it->second.constant);
      continue;
    }
    if (!needsShapeOnly || i != 0 || !it->second.value)
      return success();
    auto type = cast<RankedTensorType>(it->second.value.getType());
    if (!type.hasStaticShape()) {
      // Shape with start/end only needs the dimensions it returns.
      int64_t rank = type.getRank();
      int64_t start = attrs.getInt("start", 0), end = attrs.getInt("end", rank);
      start = std::clamp<int64_t>(start < 0 ? start + rank : start, 0, rank);
      end = std::clamp<int64_t>(end < 0 ? end + rank : end, start, rank);
      if (node.op_type() != "Shape" ||
          llvm::any_of(type.getShape().slice(start, end - start),
                       ShapedType::isDynamic))
        return success();
      HostTensor out = HostTensor::fromInts(type.getShape().slice(start, end - start));
      ValueState &state = values[node.output(0)];
      state.dtype = DType::I64;
      state.constant = std::move(out);
      folded = true;
      return success();
    }
    // A stand-in of the right shape; Shape/Size read only the shape.
    shapeOnly.emplace();
    shapeOnly->dtype = DType::Bool;
    shapeOnly->shape.assign(type.getShape().begin(), type.getShape().end());
    inputs.push_back(&*shapeOnly);
  }
  if (shapeOnly && needsShapeOnly) {
    // Avoid allocating the stand-in's bytes: compute directly.
    SmallVector<int64_t> dims(shapeOnly->shape);
    HostTensor out;
    if (node.op_type() == "Size") {
      out = HostTensor::scalarInt(DType::I64, product(dims));
    } else {
      int64_t rank = dims.size();
      int64_t start = attrs.getInt("start", 0), end = attrs.getInt("end", rank);
      if (start < 0)
        start += rank;
      if (end < 0)
        end += rank;
      start = std::clamp<int64_t>(start, 0, rank);
      end = std::clamp<int64_t>(end, start, rank);
      out = HostTensor::fromInts(ArrayRef<int64_t>(dims).slice(start, end - start));
    }
    ValueState &state = values[node.output(0)];
    state.dtype = DType::I64;
    state.constant = std::move(out);
    folded = true;
    return success();
  }
  FoldResult result = foldNode(node.op_type(), opset, inputs, attrs,
                               node.output_size(), options.foldLimit);
  if (!result.ok()) {
    if (StringRef(result.reason).starts_with("error: ")) {
      emitError(nodeLoc(node)) << "node '" << node.name() << "' ("
                               << node.op_type() << "): "
                               << StringRef(result.reason).drop_front(7);
      return failure();
    }
    return success();
  }
  for (int i = 0, e = node.output_size(); i < e; ++i) {
    if (node.output(i).empty() || i >= static_cast<int>(result.outputs.size()))
      continue;
    ValueState &state = values[node.output(i)];
    state.dtype = result.outputs[i].dtype;
    state.constant = std::move(result.outputs[i]);
  }
  // An Identity of an initializer (TorchScript's way of sharing a weight)
  // is that initializer: one tx.weight, not an inlined copy.
  if (node.op_type() == "Identity" && node.input_size() == 1) {
    const ValueState &in = values[node.input(0)];
    ValueState &out = values[node.output(0)];
    out.initializer = in.initializer;
    out.derived = in.derived;
  }
  folded = true;
  return success();
}

LogicalResult GraphImporter::importNode(const onnx::NodeProto &node) {
  NodeAttrs attrs;
  if (std::string err = model.readAttributes(node, attrs); !err.empty()) {
    emitError(nodeLoc(node)) << "node '" << node.name() << "' ("
                             << node.op_type() << "): " << err;
    return failure();
  }
  StringRef domain = canonicalDomain(node.domain());
  int64_t opset = model.opset(domain);
  if (node.output_size() == 0 || node.output(0).empty()) {
    emitError(nodeLoc(node)) << "node '" << node.name() << "' ("
                             << node.op_type() << ") has no output";
    return failure();
  }
  for (const std::string &in : node.input())
    if (!in.empty() && !values.count(in)) {
      emitError(nodeLoc(node)) << "node '" << node.name() << "' ("
                               << node.op_type() << ") reads '" << in
                               << "', which no earlier node produces";
      return failure();
    }

  bool folded;
  if (failed(tryFold(node, attrs, opset, folded)))
    return failure();
  if (folded) {
    trackPositions(node, currentNode);
    return success();
  }

  NodeContext context(*this, node, attrs, opset, nodeLoc(node));
  auto domainIt = converters.find(domain.str());
  if (domainIt == converters.end() || !domainIt->second.count(node.op_type())) {
    // Only foldable: its inputs were not all known.
    std::string dynamicInput;
    for (const std::string &in : node.input())
      if (!in.empty() && !values[in].constant) {
        dynamicInput = in;
        break;
      }
    bool shapeOnly = node.op_type() == "Shape" || node.op_type() == "Size";
    return context.fail(
        "can only be imported when its inputs are known at compile time "
        "(a shape computation), but " +
        explainRuntime(dynamicInput, shapeOnly));
  }
  const ConverterEntry &entry = domainIt->second.at(node.op_type());
  std::string missing = checkMinInputs(
      entry.minInputs, [&](unsigned i) { return context.hasInput(i); });
  if (!missing.empty())
    return context.fail(missing);
  if (failed(entry.fn(context)) || positionsFailed)
    return failure();
  for (int i = 0, e = node.output_size(); i < e; ++i)
    if (!node.output(i).empty() && !values[node.output(i)].value &&
        !values[node.output(i)].constant && !values[node.output(i)].dequant)
      return context.fail("output #" + std::to_string(i) + " ('" +
                          node.output(i) + "') is not supported");
  return success();
}

OwningOpRef<ModuleOp> GraphImporter::run() {
  ctx.loadDialect<tx::TxDialect, func::FuncDialect, arith::ArithDialect>();
  if (failed(checkSupport()))
    return {};
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc());
  if (!options.weightsFileName.empty())
    (*module)->setAttr("tx.weights",
                       builder.getStringAttr(options.weightsFileName));
  if (failed(declareInputs(*module)))
    return {};
  for (const onnx::NodeProto &node : model.proto.graph().node()) {
    ++currentNode;
    if (failed(importNode(node)))
      return {};
  }

  SmallVector<Value> results;
  SmallVector<Type> resultTypes;
  builder.setInsertionPointToEnd(entry);
  for (const onnx::ValueInfoProto &out : model.proto.graph().output()) {
    Value v = materialize(out.name(), fileLoc());
    if (positionsFailed)
      return {};
    if (!v) {
      emitError(fileLoc()) << "graph output '" << out.name()
                           << "' is not produced by any node";
      return {};
    }
    results.push_back(v);
    resultTypes.push_back(v.getType());
  }
  func::ReturnOp::create(builder, fileLoc(), results);
  func.setFunctionType(builder.getFunctionType(
      func.getFunctionType().getInputs(), resultTypes));
  for (auto [i, out] : llvm::enumerate(model.proto.graph().output()))
    func.setResultAttr(i, "tx.name", builder.getStringAttr(out.name()));
  if (failed(verify(*module)))
    return {};
  return module;
}

//===----------------------------------------------------------------------===//
// Public API
//===----------------------------------------------------------------------===//

OwningOpRef<ModuleOp> txc::importONNXBuffer(StringRef bytes, StringRef baseDir,
                                            StringRef displayName,
                                            MLIRContext &context,
                                            const ONNXImportOptions &options,
                                            SafetensorsWriter *weights) {
  LoadedModel model;
  model.baseDir = baseDir.str();
  model.displayName = displayName.str();
  if (std::string err = model.parse(bytes); !err.empty()) {
    emitError(FileLineColLoc::get(&context, displayName, 0, 0))
        << err;
    return {};
  }
  GraphImporter importer(context, model, options, weights);
  return importer.run();
}

OwningOpRef<ModuleOp> txc::importONNXFile(StringRef path, MLIRContext &context,
                                          const ONNXImportOptions &options,
                                          SafetensorsWriter *weights) {
  auto buffer = readRegularFile(path);
  if (!buffer) {
    emitError(UnknownLoc::get(&context)) << toString(buffer.takeError());
    return {};
  }
  return importONNXBuffer((*buffer)->getBuffer(), sys::path::parent_path(path),
                          path, context, options, weights);
}

std::string txc::parseShapeOption(StringRef text, std::string &name,
                                  SmallVector<int64_t> &dims) {
  auto [lhs, rhs] = text.split('=');
  if (lhs.empty() || !text.contains('='))
    return "--shape expects NAME=DIMS (for example input_ids=1x128), got '" +
           text.str() + "'";
  name = lhs.str();
  dims.clear();
  if (rhs.empty() || rhs == "scalar")
    return {};
  SmallVector<StringRef> parts;
  rhs.split(parts, 'x');
  for (StringRef p : parts) {
    int64_t d;
    if (p == "?" || p == "-1") {
      dims.push_back(-1);
      continue;
    }
    if (p.getAsInteger(10, d) || d < 0)
      return "--shape " + name + ": '" + p.str() +
             "' is not a dimension (use a non-negative integer or ?)";
    dims.push_back(d);
  }
  return {};
}
