//===- Compiler.cpp - txc's compiler API: sessions and invocations --------===//
//
// An invocation loads or imports the model, raises it, runs the graph
// pipeline and, for generation, the KV cache rewrite, lowers it to linalg
// and the LLVM dialect (once for the decode step, once more for a prefill
// step), and emits LLVM IR, an object or a shared library with its weights
// and tokenizer beside it. Every stage is reported to the stage handler;
// every message goes to the message handler (or stderr).
//
//===----------------------------------------------------------------------===//

#include "txc/Compiler/Compiler.h"
#include "PendingOutputs.h"
#include "txc-c/txc_model_format.h"
#include "txc/Compiler/Backend.h"
#include "txc/Compiler/Pipelines.h"
#include "txc/Compiler/Registration.h"
#include "txc/Dialect/Tx/TxOps.h"
#include "txc/Frontend/Model/ModelBuilder.h"
#include "txc/Frontend/ONNX/Import.h"
#include "txc/Passes/Passes.h"
#include "txc/Support/Files.h"
#include "txc/Support/ModelManifest.h"
#include "txc/Support/Quantize.h"
#include "txc/Support/Safetensors.h"
#include "txc/Dialect/Tx/WeightStore.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Transforms/Utils/ModuleUtils.h"

#include <chrono>
#include <cmath>
#include <mutex>

using namespace mlir;
using namespace llvm;

//===----------------------------------------------------------------------===//
// Options
//===----------------------------------------------------------------------===//

std::string txc::setQuantize(CompileOptions &options, StringRef value) {
  if (value == "keep") {
    options.input.weights = InputOptions::Weights::Keep;
    options.graph.quantize.format.clear();
    return "";
  }
  if (!quant::parseFormat(value))
    return ("--quantize=" + value + " is not a format (expected keep, " +
            quant::formatNames() + ")")
        .str();
  // f32 also dequantizes what a GGUF file or Hugging Face folder stores
  // (embeddings included) while the model is built.
  options.input.weights = value == "f32" ? InputOptions::Weights::F32
                                         : InputOptions::Weights::Keep;
  options.graph.quantize.format = value.str();
  return "";
}

namespace {

/// The compiler's weight store (tx-quantize reads and adds tensors here):
/// the invocation's weights, and for a prefill step built into a scratch
/// writer that writer too. New tensors go to the weights.
class WriterWeightStore : public txc::tx::WeightStore {
public:
  WriterWeightStore(txc::SafetensorsWriter &weights,
                    txc::SafetensorsWriter *other)
      : weights(weights), other(other) {}

  Expected<txc::tx::StoredTensor> lookup(StringRef name) override {
    std::optional<txc::SafetensorsEntry> e = weights.lookup(name);
    if (!e && other)
      e = other->lookup(name);
    if (!e)
      return createStringError("the model has no weight '%s'",
                               name.str().c_str());
    return txc::tx::StoredTensor{e->dtype, e->shape, e->data};
  }
  bool contains(StringRef name) override {
    return weights.contains(name) || (other && other->contains(name));
  }
  Error add(StringRef name, StringRef dtype, ArrayRef<int64_t> shape,
            ArrayRef<char> bytes) override {
    return weights.add(name, dtype, shape, bytes);
  }

private:
  txc::SafetensorsWriter &weights;
  txc::SafetensorsWriter *other;
};

} // namespace

//===----------------------------------------------------------------------===//
// Stages
//===----------------------------------------------------------------------===//

StringRef txc::stageName(Stage stage) {
  switch (stage) {
  case Stage::Import:
    return "import";
  case Stage::Tx:
    return "tx";
  case Stage::Linalg:
    return "linalg";
  case Stage::LLVM:
    return "llvm";
  case Stage::Object:
    return "obj";
  case Stage::Library:
    return "so";
  }
  return "";
}

std::optional<txc::Stage> txc::parseStageName(StringRef name) {
  for (Stage s : {Stage::Import, Stage::Tx, Stage::Linalg, Stage::LLVM,
                  Stage::Object, Stage::Library})
    if (stageName(s) == name)
      return s;
  return std::nullopt;
}

txc::Stage txc::stageForOutput(StringRef path) {
  return path.ends_with(".so")   ? Stage::Library
         : path.ends_with(".o")  ? Stage::Object
         : path.ends_with(".ll") ? Stage::LLVM
                                 : Stage::Tx;
}

StringRef txc::severityPrefix(Severity severity) {
  switch (severity) {
  case Severity::Remark:
  case Severity::Note:
    return "note: ";
  case Severity::Warning:
    return "warning: ";
  case Severity::Error:
    return "error: ";
  }
  return "";
}

std::string
txc::parseShapeText(StringRef text,
                    std::pair<std::string, std::vector<int64_t>> &shape) {
  SmallVector<int64_t> dims;
  std::string error = parseShapeOption(text, shape.first, dims);
  shape.second.assign(dims.begin(), dims.end());
  return error;
}

//===----------------------------------------------------------------------===//
// Session
//===----------------------------------------------------------------------===//

void txc::registerCompilerDialects(DialectRegistry &registry) {
  registerTxcDialects(registry);
  // Code generation needs upstream dialects' external models
  // (bufferization, LLVM translation, ...).
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
}

txc::Session::Session() : Session(*new MLIRContext()) {
  owned.reset(context);
}

txc::Session::Session(MLIRContext &existing) : context(&existing) {
  // The global pass registry, filled once per process: textual pipelines
  // (`--pipeline`) may name any tx or upstream pass.
  static std::once_flag once;
  std::call_once(once, [] { mlir::registerAllPasses(); });
  registerTxcPasses();
  DialectRegistry registry;
  registerCompilerDialects(registry);
  context->appendDialectRegistry(registry);
  context->loadAllAvailableDialects();
}

txc::Session::~Session() = default;

MLIRContext &txc::Session::getContext() { return *context; }

//===----------------------------------------------------------------------===//
// Invocation
//===----------------------------------------------------------------------===//

using namespace txc;

namespace {

using Clock = std::chrono::steady_clock;

/// The masking pattern of one attention seen in the probe import.
struct AttentionPattern {
  tx::MaskKind kind;
  IntegerAttr window, sinks;
};

/// The longest step of the probe import of a model without past inputs.
constexpr int64_t kProbeLength = 4096;
/// A cache past a few million positions is a typo (its masks alone would
/// not fit in memory).
constexpr int64_t kMaxCache = int64_t(1) << 22;

/// The length S of the token ids input [batch, S] (tx.role token_ids) of
/// `module`, -1 when there is none.
int64_t tokenStep(ModuleOp module) {
  int64_t found = -1;
  module->walk([&](func::FuncOp f) {
    int index = tx::findInputRole(f, tx::InputRole::token_ids);
    if (index < 0)
      return;
    if (auto t = dyn_cast<RankedTensorType>(f.getArgument(index).getType());
        t && t.getRank() == 2)
      found = t.getDimSize(1);
  });
  return found;
}

/// Whether `module` takes past keys or values as inputs.
bool hasPastInput(ModuleOp module) {
  bool found = false;
  module.walk([&](func::FuncOp f) {
    found |= tx::findInputRole(f, tx::InputRole::past_key_value) >= 0;
  });
  return found;
}

/// `file:line:col` of a file location, the name of a named one (an ONNX
/// node), the first of a fused one; empty when unknown.
std::string formatLocation(Location loc) {
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    return (file.getFilename().getValue() + ":" + Twine(file.getLine()) +
            ":" + Twine(file.getColumn()))
        .str();
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    return fused.getLocations().empty()
               ? std::string()
               : formatLocation(fused.getLocations().front());
  if (auto call = dyn_cast<CallSiteLoc>(loc))
    return formatLocation(call.getCallee());
  if (isa<UnknownLoc>(loc))
    return "";
  std::string text;
  raw_string_ostream os(text);
  loc.print(os);
  return text;
}

} // namespace

class txc::Invocation::Impl {
public:
  Impl(Session &session, CompileOptions options)
      : context(session.getContext()), options(std::move(options)) {}

  LogicalResult run();

  // Reporting.
  void message(Severity severity, const Twine &text);
  void error(const Twine &text) { message(Severity::Error, text); }
  void note(const Twine &text) { message(Severity::Note, text); }
  void warning(const Twine &text) { message(Severity::Warning, text); }
  void remark(const Twine &text) { message(Severity::Remark, text); }
  void stageBegin(StringRef name);
  void stageEnd(StringRef name, Clock::time_point start,
                ModuleOp module = nullptr);
  void dump(StringRef stage, ModuleOp module);

  // Steps.
  LogicalResult validate();
  LogicalResult loadModel();
  bool runPipeline(ModuleOp module, StringRef name,
                   llvm::function_ref<void(OpPassManager &)> build);
  bool runTextPipeline(ModuleOp module, StringRef name, StringRef text);
  bool runPassManager(ModuleOp module, StringRef name, PassManager &pm);
  OwningOpRef<ModuleOp> build(int64_t step, SafetensorsWriter *w,
                              StringRef prefix, int64_t &importedStep);
  struct DepthCost;
  static DepthCost depthCost(ModuleOp module);
  void reportDepth(const DepthCost &before, const DepthCost &after);
  /// reportDepth runs for the first step built only.
  bool depthReported = false;
  bool attentionPatterns(int64_t step);
  bool applyPatterns(ModuleOp m, int64_t step);
  bool writeWeights();
  LogicalResult emit();
  bool commit();

  MLIRContext &context;
  CompileOptions options;
  std::optional<OwningOpRef<ModuleOp>> inputModule;
  std::function<void(const Message &)> onMessage;
  bool forwardDiagnostics = true;
  std::function<void(const StageEvent &)> onStage;

  // Results.
  std::string outputText;
  std::vector<std::string> written;
  std::vector<std::string> errors;

  // State of one run.
  SourceMgr sourceMgr;
  Stage stop = Stage::Tx;
  StringRef currentStep;
  bool isMLIR = false;
  std::optional<LoadedModel> model;
  bool decoderModel = false;
  std::string weightsPath, tokenizerPath, tokenizerName;
  ONNXImportOptions importOptions;
  int64_t maxSeq = 0;
  bool generate = false;
  unsigned dumpIndex = 0;
  std::unique_ptr<PendingOutputs> pending;
  SafetensorsWriter weights, scratchWeights;
  std::string writtenWeights;
  /// With --quantize: the weights the built modules use (the others are
  /// not written).
  std::optional<llvm::StringSet<>> usedWeights;
  bool staticStep = false;
  std::optional<SmallVector<AttentionPattern>> probed;
  bool probeFailed = false;
  std::string probeFailure;
  OwningOpRef<ModuleOp> module, prefill;
};

void txc::Invocation::Impl::message(Severity severity, const Twine &text) {
  Message m{severity, text.str(), "", {}};
  if (severity == Severity::Error)
    errors.push_back(m.text);
  if (onMessage) {
    onMessage(m);
    return;
  }
  errs() << "txc: " << severityPrefix(severity) << m.text << "\n";
}

void txc::Invocation::Impl::stageBegin(StringRef name) {
  if (onStage)
    onStage({StageEvent::Kind::Begin, name, currentStep, "", 0, nullptr});
}

void txc::Invocation::Impl::stageEnd(StringRef name, Clock::time_point start,
                                     ModuleOp module) {
  double ms =
      std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  if (onStage)
    onStage({StageEvent::Kind::End, name, currentStep, "", ms, module});
}

void txc::Invocation::Impl::dump(StringRef stage, ModuleOp module) {
  if (options.output.dumpDir.empty())
    return;
  SmallString<256> path(options.output.dumpDir);
  sys::path::append(path,
                    formatv("{0:02}-{1}.mlir", ++dumpIndex, stage).str());
  std::error_code ec;
  raw_fd_ostream os(path, ec);
  if (!ec)
    module->print(os);
}

/// Checks the options that do not depend on the model.
LogicalResult txc::Invocation::Impl::validate() {
  const OutputOptions &out = options.output;
  const GenerationOptions &gen = options.generation;
  if (inputModule) {
    isMLIR = true;
  } else {
    if (options.input.path.empty()) {
      error("no input model given");
      return failure();
    }
    isMLIR = StringRef(options.input.path).ends_with(".mlir");
  }
  importOptions = ONNXImportOptions();
  for (const auto &[name, dims] : options.input.shapes) {
    for (int64_t d : dims)
      if (d < -1) {
        error("--shape " + name + ": a dimension is " + Twine(d) +
              " (use a size, or -1 / ? for a dynamic dimension)");
        return failure();
      }
    importOptions.shapes.emplace_back(
        name, SmallVector<int64_t>(dims.begin(), dims.end()));
  }

  // Where the weights go.
  weightsPath = out.weightsPath;
  bool toFile = out.path != "-" && !out.path.empty();
  if (weightsPath.empty() && toFile) {
    SmallString<256> p(out.path);
    sys::path::replace_extension(p, ".safetensors");
    weightsPath = std::string(p);
  }
  if (!weightsPath.empty())
    importOptions.weightsFileName = sys::path::filename(weightsPath).str();

  stop = out.stop ? *out.stop : stageForOutput(out.path);
  if (options.target.target != "cpu") {
    error("--target=" + options.target.target +
          " is not supported (available: cpu)");
    return failure();
  }
  if (std::string why = checkCPUName(options.target.cpu.cpu); !why.empty()) {
    error(why);
    return failure();
  }
  if (options.target.cpu.optLevel > 3) {
    error("-O" + Twine(options.target.cpu.optLevel) +
          " is not an optimization level (use -O0 .. -O3)");
    return failure();
  }
  if ((stop == Stage::Library || stop == Stage::Object) && !toFile) {
    error("--emit=" + stageName(stop) + " needs an output file (-o)");
    return failure();
  }
  if (out.path.empty() && stop > Stage::LLVM) {
    error("an in-memory output holds IR only (--emit=import, tx, linalg or "
          "llvm)");
    return failure();
  }
  // The output's directory is created when missing (-o OUT/model.so).
  if (toFile) {
    StringRef parent = sys::path::parent_path(out.path);
    if (!parent.empty())
      if (std::error_code ec = sys::fs::create_directories(parent)) {
        error("cannot create '" + parent + "': " + ec.message());
        return failure();
      }
  }
  // Two outputs on one path would overwrite each other.
  auto samePath = [](StringRef a, StringRef b) {
    SmallString<256> x(a), y(b);
    sys::fs::make_absolute(x);
    sys::fs::make_absolute(y);
    sys::path::remove_dots(x, /*remove_dot_dot=*/true);
    sys::path::remove_dots(y, /*remove_dot_dot=*/true);
    return x == y || sys::fs::equivalent(a, b);
  };
  if (!weightsPath.empty() && toFile && samePath(weightsPath, out.path)) {
    error("--weights '" + weightsPath +
          "' is the output file (-o); the weights need a file of their own "
          "(default: the output with the extension .safetensors)");
    return failure();
  }
  if (!out.dumpDir.empty() && sys::fs::exists(out.dumpDir) &&
      !sys::fs::is_directory(out.dumpDir)) {
    error("--dump-ir '" + out.dumpDir +
          "' exists and is not a directory; --dump-ir names a directory to "
          "write the IR of every stage into");
    return failure();
  }
  if (!out.dumpDir.empty())
    if (std::error_code ec = sys::fs::create_directories(out.dumpDir)) {
      error("cannot create '" + out.dumpDir + "': " + ec.message());
      return failure();
    }
  if (gen.maxSeq.value_or(0) < 0 || gen.kvBlock < 0 ||
      gen.prefillChunk <= 0 || gen.batch <= 0) {
    error("--max-seq and --kv-block must not be negative, --prefill-chunk "
          "and --batch must be positive");
    return failure();
  }
  if (!(options.graph.layerSkipSpeedup >= 1.0) ||
      !std::isfinite(options.graph.layerSkipSpeedup)) {
    error("--layer-skip speed-up " +
          formatv("{0}", options.graph.layerSkipSpeedup).str() +
          " must be at least 1.0 (1.0 keeps every layer)");
    return failure();
  }
  if (!options.graph.skipLayers.empty() &&
      options.graph.layerSkipSpeedup != 1.0) {
    error("give either --layer-skip or --skip-layers, not both");
    return failure();
  }
  if (!options.graph.pipeline.empty() &&
      (options.graph.layerSkipSpeedup != 1.0 ||
       !options.graph.skipLayers.empty())) {
    error("--layer-skip and --skip-layers configure the default pipeline; "
          "with --pipeline, give tx-layer-skip's options in it");
    return failure();
  }
  if (options.graph.earlyExit && std::isnan(*options.graph.earlyExit)) {
    error("--early-exit threshold must be a number (a cosine similarity; "
          "above 1 no token exits)");
    return failure();
  }
  if (options.graph.earlyExitFrom < 0) {
    error("--early-exit-from must not be negative");
    return failure();
  }
  if (options.graph.earlyExitFrom != 0 && !options.graph.earlyExit) {
    error("--early-exit-from needs --early-exit");
    return failure();
  }
  const GraphOptions &g = options.graph;
  if (g.modCapacity != 0 && !(g.modCapacity > 0 && g.modCapacity <= 1)) {
    error("--mod-capacity must be in (0, 1] (the fraction of tokens a "
          "routed layer runs on)");
    return failure();
  }
  if (g.modCapacity == 0 &&
      (g.modSchedule != "constant" || g.modRouter != "update" ||
       g.modDecision != "topk")) {
    error("--mod-schedule, --mod-router and --mod-decision need "
          "--mod-capacity");
    return failure();
  }
  if (g.modCapacity != 0 && g.modDecision != "topk" &&
      g.modDecision != "threshold") {
    error("--mod-decision must be topk (the top tokens of each step) or "
          "threshold (each token against a calibrated threshold; needs "
          "--calibration), got '" +
          g.modDecision + "'");
    return failure();
  }
  if (g.modCapacity != 0 && g.modDecision == "threshold" &&
      g.modRouter != "checkpoint" && g.calibration.empty()) {
    error("--mod-decision=threshold needs --calibration=STATS (the "
          "router's score quantiles, written by `txc calibrate` of this "
          "model)");
    return failure();
  }
  if (g.modCapacity != 0 && g.earlyExit) {
    error("give either --mod-capacity or --early-exit, not both");
    return failure();
  }
  if (g.modCapacity != 0 && g.modSchedule != "constant" &&
      g.modSchedule != "pmod") {
    error("--mod-schedule must be constant or pmod, got '" + g.modSchedule +
          "'");
    return failure();
  }
  if (g.modCapacity != 0 && g.modRouter != "update" &&
      g.modRouter != "probe" && g.modRouter != "checkpoint") {
    error("--mod-router must be update (the size of each token's update in "
          "the previous layer), probe (a linear probe fitted by txc "
          "calibrate; needs --calibration) or checkpoint (the model's own "
          "blk.I.mod_router tensors), got '" +
          g.modRouter + "'");
    return failure();
  }
  if (g.modWeighting != "none" &&
      (g.modCapacity == 0 || g.modRouter != "checkpoint")) {
    error("--mod-weighting applies to --mod-router=checkpoint (the router "
          "the checkpoint was trained with)");
    return failure();
  }
  if (g.modWeighting != "none" && g.modWeighting != "mod" &&
      g.modWeighting != "pmod") {
    error("--mod-weighting must be none, mod (Mixture-of-Depths: x + r "
          "f(x)) or pmod (p-MoD's TanhNorm and STRing), got '" +
          g.modWeighting + "'");
    return failure();
  }
  if (g.modCapacity != 0 && g.modRouter == "probe" && g.calibration.empty()) {
    error("--mod-router=probe needs --calibration=STATS (written by `txc "
          "calibrate` of this model)");
    return failure();
  }
  if (g.modCapacity != 0 && !g.pipeline.empty()) {
    error("--mod-capacity configures the default pipeline; with --pipeline, "
          "run tx-mod-prune in it");
    return failure();
  }
  if (!options.graph.pipeline.empty() && options.graph.earlyExit) {
    error("--early-exit configures the default pipeline; with --pipeline, "
          "run tx-early-exit in it (after tx-use-kv-cache)");
    return failure();
  }

  if (inputModule)
    return success();
  const std::string &input = options.input.path;
  if (!isMLIR && !sys::fs::exists(input)) {
    error("cannot open '" + input + "': no such file");
    return failure();
  }
  // A model is a regular file (or a Hugging Face folder): never a device or
  // a pipe, which could stream without end.
  if (input != "-" && !sys::fs::is_directory(input))
    if (std::string why = checkRegularFile(input); !why.empty()) {
      error(why);
      return failure();
    }
  return success();
}

/// GGUF files and Hugging Face folders: configuration, tensors, tokenizer;
/// and what the model implies for generation.
LogicalResult txc::Invocation::Impl::loadModel() {
  const std::string &input = options.input.path;
  const GenerationOptions &gen = options.generation;
  if (!isMLIR && isModelFile(input)) {
    auto t0 = Clock::now();
    stageBegin("load");
    Expected<LoadedModel> loaded = loadModelFile(input);
    if (!loaded) {
      error(toString(loaded.takeError()));
      return failure();
    }
    model = std::move(*loaded);
    for (const std::string &message : model->warnings)
      warning(message);
    stageEnd("load", t0);
  }
  if (!options.graph.quantize.format.empty()) {
    if (isMLIR || inputModule) {
      error("--quantize: tx IR input reads its weights from its own file; "
            "run `tx-opt --tx-quantize=\"format=... weights-out=FILE\"` on "
            "it instead");
      return failure();
    }
    if (!options.graph.pipeline.empty()) {
      error("--quantize runs in the default graph pipeline; with --pipeline "
            "add tx-quantize to your pipeline instead");
      return failure();
    }
    usedWeights.emplace();
  }
  // Skipped layers leave their weights behind: write only those in use.
  if (options.graph.layerSkipSpeedup != 1.0 ||
      !options.graph.skipLayers.empty())
    usedWeights.emplace();
  if (!options.graph.calibration.empty() &&
      options.graph.layerSkipSpeedup == 1.0 &&
      options.graph.modCapacity == 0 &&
      (options.graph.quantize.format.empty() ||
       (options.graph.quantize.method != "awq" &&
        options.graph.quantize.mixed <= 0.0)))
    warning("--calibration is read by --layer-skip, --mod-capacity, and "
            "by --quant-method=awq and --quant-mixed with --quantize; this "
            "compilation does not use it");
  decoderModel = model && model->config.family != ArchConfig::Family::Bert;
  // The tokenizer goes beside the output as OUT.tokenizer.json (txc's
  // form), named in the model's metadata.
  const std::string &out = options.output.path;
  if (model && !model->tokenizerJSON.empty() && out != "-" && !out.empty()) {
    SmallString<256> p(out);
    sys::path::replace_extension(p, ".tokenizer.json");
    tokenizerPath = std::string(p);
    tokenizerName = sys::path::filename(tokenizerPath).str();
  } else if (model && model->tokenizerJSON.empty()) {
    remark("no tokenizer (" + model->tokenizerNote +
           "): txc-run needs --prompt-ids or --tokenizer");
  }
  // Decoders from GGUF / HF compile for generation unless told otherwise.
  maxSeq = gen.maxSeq.value_or(0);
  if (decoderModel && !gen.maxSeq) {
    int64_t contextLength = model->config.contextLength;
    maxSeq = contextLength > 0 ? std::min<int64_t>(contextLength, 4096) : 4096;
    if (gen.kvBlock > 0 && maxSeq % gen.kvBlock != 0)
      maxSeq -= maxSeq % gen.kvBlock;
  }
  if (model && !decoderModel && maxSeq > 0) {
    error("--max-seq: '" + input + "' is an encoder (" + model->config.name +
          "); it has no generation step");
    return failure();
  }
  generate = maxSeq > 0;
  if (maxSeq > kMaxCache || gen.batch > kMaxCache) {
    error("--max-seq " + Twine(maxSeq) + " (or --batch " + Twine(gen.batch) +
          ") is larger than txc supports (" + Twine(kMaxCache) + ")");
    return failure();
  }
  if (generate && options.graph.modCapacity != 0 &&
      options.graph.modRouter != "checkpoint" &&
      options.graph.calibration.empty()) {
    error("--mod-capacity with a KV cache (--max-seq) needs "
          "--calibration=STATS: decode steps keep a token by a threshold on "
          "its router score, calibrated by `txc calibrate` of this model "
          "(or compile one forward pass with --max-seq 0)");
    return failure();
  }
  if (generate && options.graph.modCapacity != 0 && gen.batch != 1) {
    error("--mod-capacity with a KV cache (--max-seq) needs --batch 1 (the "
          "cache keeps one length per layer)");
    return failure();
  }
  if (!generate && gen.kvBlock > 0) {
    error("--kv-block needs --max-seq (it pages the KV cache of a generation "
          "model)");
    return failure();
  }
  if (gen.kvQuant != "f32" && gen.kvQuant != "int8" && gen.kvQuant != "fp8" &&
      gen.kvQuant != "int4") {
    error("--kv-quant must be f32, int8, fp8 or int4, got '" + gen.kvQuant +
          "'");
    return failure();
  }
  if (gen.kvQuant != "int4" && (gen.kvQuantGroup != 0 ||
                                gen.kvQuantResidual != 128)) {
    error("--kv-quant-group and --kv-quant-residual apply to --kv-quant=int4 "
          "only");
    return failure();
  }
  if (!generate && gen.kvQuant != "f32") {
    error("--kv-quant=" + gen.kvQuant +
          " needs --max-seq (it quantizes the "
          "KV cache of a generation model)");
    return failure();
  }
  if (generate && gen.kvBlock > 0 && maxSeq % gen.kvBlock != 0) {
    error("--kv-block " + Twine(gen.kvBlock) + " must divide --max-seq " +
          Twine(maxSeq));
    return failure();
  }
  if (generate && stop == Stage::Import) {
    error("--max-seq rewrites the raised model; use --emit=tx or a later "
          "stage");
    return failure();
  }
  if (options.graph.calibrationTaps &&
      (generate || !options.graph.pipeline.empty())) {
    error(generate ? "calibration taps instrument one forward pass: compile "
                     "with --max-seq 0"
                   : "calibration taps run in the default graph pipeline; "
                     "with --pipeline add tx-calibration-taps to it instead");
    return failure();
  }
  return success();
}

bool txc::Invocation::Impl::runPipeline(
    ModuleOp module, StringRef name,
    llvm::function_ref<void(OpPassManager &)> buildPipeline) {
  PassManager pm(&context);
  buildPipeline(pm);
  return runPassManager(module, name, pm);
}

bool txc::Invocation::Impl::runPassManager(ModuleOp module, StringRef name,
                                           PassManager &pm) {
  auto t0 = Clock::now();
  stageBegin(name);
  if (failed(pm.run(module)))
    return false;
  stageEnd(name, t0, module);
  dump(name, module);
  return true;
}

bool txc::Invocation::Impl::runTextPipeline(ModuleOp module, StringRef name,
                                            StringRef pipeline) {
  // Pipelines are written anchored on the module; the pass manager already
  // is, so parse what is inside builtin.module(...).
  StringRef text = pipeline.trim();
  if (text.consume_front("builtin.module(") && text.consume_back(")"))
    pipeline = text;
  std::string parseErrors;
  raw_string_ostream os(parseErrors);
  PassManager pm(&context);
  if (failed(parsePassPipeline(pipeline, pm, os))) {
    StringRef trimmed = StringRef(parseErrors).trim();
    error(trimmed.empty() ? ("--pipeline: cannot parse '" + pipeline + "'").str()
                          : ("--pipeline: " + trimmed).str());
    return false;
  }
  return runPassManager(module, name, pm);
}

bool txc::Invocation::Impl::attentionPatterns(int64_t step) {
  if (probed || probeFailed)
    return true;
  int64_t length = std::min(maxSeq, kProbeLength);
  if (length <= step) {
    probed.emplace();
    return true;
  }
  auto start = Clock::now();
  stageBegin("probe");
  ONNXImportOptions probeOptions = importOptions;
  probeOptions.generation.batch = options.generation.batch;
  probeOptions.generation.sequence = length;
  probeOptions.generation.past = 0;
  probeOptions.foldedInlineLimit =
      std::max<int64_t>(importOptions.foldedInlineLimit, 2 * length * length);
  probeOptions.foldLimit =
      std::max<int64_t>(importOptions.foldLimit, 4 * length * length);
  // Diagnostics of the probe are not the user's concern: a failed probe
  // is reported as one warning.
  ScopedDiagnosticHandler silence(&context, [&](Diagnostic &d) {
    if (probeFailure.empty() &&
        d.getSeverity() == mlir::DiagnosticSeverity::Error)
      probeFailure = d.str();
    return success();
  });
  OwningOpRef<ModuleOp> full =
      importONNXFile(options.input.path, context, probeOptions, nullptr);
  PassManager pm(&context);
  if (full)
    buildRaisePipeline(pm);
  if (!full || failed(pm.run(*full))) {
    probeFailed = true;
    return true;
  }
  probed.emplace();
  full->walk([&](tx::AttentionOp op) {
    probed->push_back({op.getMask(), op.getWindowAttr(), op.getSinksAttr()});
  });
  stageEnd("probe", start);
  return true;
}

bool txc::Invocation::Impl::applyPatterns(ModuleOp m, int64_t step) {
  if (!attentionPatterns(step))
    return false;
  if (probeFailed)
    return true;
  SmallVector<tx::AttentionOp> ops;
  m.walk([&](tx::AttentionOp op) { ops.push_back(op); });
  if (probed->empty())
    return true;
  int64_t length = std::min(maxSeq, kProbeLength);
  if (ops.size() != probed->size()) {
    error("--max-seq: the model has no past inputs and its attentions "
          "differ between a step of " +
          Twine(step) + " tokens (" + Twine(ops.size()) +
          " raised) and one of " + Twine(length) + " (" +
          Twine(probed->size()) +
          "); txc cannot tell which mask each attention has over the whole "
          "cache");
    return false;
  }
  for (auto [op, pattern] : llvm::zip(ops, *probed)) {
    if (op.getMask() == pattern.kind)
      continue;
    // A step shows a restriction of the pattern: a window longer than the
    // step looks causal, and one query sees every key.
    bool restriction = (op.getMask() == tx::MaskKind::causal &&
                        pattern.kind == tx::MaskKind::sliding_window) ||
                       (op.getMask() == tx::MaskKind::none && step == 1 &&
                        tx::isPositionalMask(pattern.kind));
    if (restriction) {
      op.setMask(pattern.kind);
      op.setWindowAttr(pattern.window);
      op.setSinksAttr(pattern.sinks);
      continue;
    }
    error("--max-seq: an attention of the model has mask " +
          tx::stringifyMaskKind(op.getMask()) + " in a step of " +
          Twine(step) + " tokens but " + tx::stringifyMaskKind(pattern.kind) +
          " in one of " + Twine(length) +
          "; the model (without past inputs) cannot run on a KV cache");
    return false;
  }
  return true;
}

/// Imports (or parses, or builds) the model with `step` tokens per call
/// (generation; -1 otherwise) and runs the pipelines up to `stop` (at most
/// the LLVM dialect). `prefix` names the entry points; `importedStep`
/// receives tokenStep() of the imported model.
/// The tx.layer indices of a module's entry function and the multiply-adds
/// per token of its linears (2 x N x K FLOPs each), inside layers and
/// outside (the LM head).
struct txc::Invocation::Impl::DepthCost {
  std::vector<int64_t> layers;
  double layerFlops = 0, otherFlops = 0;
};

txc::Invocation::Impl::DepthCost
txc::Invocation::Impl::depthCost(ModuleOp module) {
  DepthCost cost;
  module.walk([&](Operation *op) {
    if (auto layer = dyn_cast<tx::LayerOp>(op))
      cost.layers.push_back(layer.getIndexAttr().getInt());
    if (!isa<tx::LinearOp, tx::QLinearOp>(op))
      return;
    auto in = dyn_cast<ShapedType>(op->getOperand(0).getType());
    auto out = dyn_cast<ShapedType>(op->getResult(0).getType());
    if (!in || !out || !in.hasRank() || !out.hasRank() || !in.getRank() ||
        ShapedType::isDynamic(in.getShape().back()) ||
        ShapedType::isDynamic(out.getShape().back()))
      return;
    double flops = 2.0 * in.getShape().back() * out.getShape().back();
    (op->getParentOfType<tx::LayerOp>() ? cost.layerFlops : cost.otherFlops) +=
        flops;
  });
  llvm::sort(cost.layers);
  return cost;
}

/// What the graph passes removed: the layers, the linear FLOPs per token
/// and the share of the KV cache left (every layer's cache is the same
/// size); and what early exit adds.
void txc::Invocation::Impl::reportDepth(const DepthCost &before,
                                        const DepthCost &after) {
  if (after.layers.size() < before.layers.size() && !before.layers.empty()) {
    std::vector<int64_t> removed;
    std::set_difference(before.layers.begin(), before.layers.end(),
                        after.layers.begin(), after.layers.end(),
                        std::back_inserter(removed));
    std::string list;
    for (int64_t index : removed)
      list += (list.empty() ? "" : ",") + std::to_string(index);
    double total0 = before.layerFlops + before.otherFlops;
    double total1 = after.layerFlops + after.otherFlops;
    remark(formatv("layer skipping removed {0} of {1} layers ({2}): linear "
                   "FLOPs per token {3} -> {4} ({5:F2}x fewer; {6} of them "
                   "outside the layers), KV cache {7} of {1} layers ({8:F0}% "
                   "of the bytes per token)",
                   removed.size(), before.layers.size(), list,
                   int64_t(total0), int64_t(total1),
                   total1 > 0 ? total0 / total1 : 0.0,
                   int64_t(after.otherFlops), after.layers.size(),
                   100.0 * after.layers.size() / before.layers.size())
               .str());
  }
  if (const GraphOptions &g = options.graph; g.modCapacity > 0) {
    // The pass's own schedule: the share each layer keeps, and the linear
    // FLOPs per token that leaves (a routed layer's scale with its tokens).
    const int64_t l = after.layers.size();
    const ModPrunePassOptions pass; // r-max, r-min, from: the defaults txc uses
    double kept = 0;
    int64_t routed = 0;
    for (int64_t pos = 0; pos < l; ++pos) {
      std::optional<double> r = modRatio(pos, l, g.modCapacity, g.modSchedule,
                                         pass.rMax, pass.rMin, pass.from);
      kept += r ? *r : 1.0;
      routed += r.has_value();
    }
    double perLayer = l ? after.layerFlops / l : 0.0;
    double total0 = after.layerFlops + after.otherFlops;
    double total1 = kept * perLayer + after.otherFlops;
    remark(formatv("mixture-of-depths: {0} of {1} layers routed ({2} "
                   "schedule, mean share kept {3:F2}); linear FLOPs per "
                   "token {4} -> {5} expected ({6:F2}x fewer){7}",
                   routed, l, g.modSchedule, l ? kept / l : 0.0,
                   int64_t(total0), int64_t(total1),
                   total1 > 0 ? total0 / total1 : 0.0,
                   generate
                       ? formatv("; a skipped token writes no K/V in a "
                                 "routed layer: the cache holds about "
                                 "{0:F0}% of the layer positions at that "
                                 "share (decode decides by a threshold, so "
                                 "the share drifts: txc-run eval and "
                                 "generate print what the cache held)",
                                 l ? 100.0 * kept / l : 100.0)
                             .str()
                       : std::string())
               .str());
  }
  if (options.graph.earlyExit)
    remark(formatv("early exit: a token may stop after any layer from stack "
                   "position {0} on (threshold {1}); the layers it skips "
                   "still project its keys and values ({2} of the {3} "
                   "linear FLOPs per token are in the layers); txc-run "
                   "eval and generate print the mean depth",
                   options.graph.earlyExitFrom, *options.graph.earlyExit,
                   int64_t(after.layerFlops),
                   int64_t(after.layerFlops + after.otherFlops))
               .str());
}

OwningOpRef<ModuleOp>
txc::Invocation::Impl::build(int64_t step, SafetensorsWriter *w,
                             StringRef prefix, int64_t &importedStep) {
  auto start = Clock::now();
  const std::string &input = options.input.path;
  const GenerationOptions &gen = options.generation;
  OwningOpRef<ModuleOp> built;
  if (inputModule) {
    stageBegin("parse");
    built = cast<ModuleOp>((*inputModule)->clone());
    stageEnd("parse", start);
  } else if (isMLIR) {
    stageBegin("parse");
    std::string errorText;
    auto file = openInputFile(input, &errorText);
    if (!file) {
      error(errorText);
      return nullptr;
    }
    sourceMgr.AddNewSourceBuffer(std::move(file), SMLoc());
    built = parseSourceFile<ModuleOp>(sourceMgr, &context);
    if (!built)
      return nullptr;
    stageEnd("parse", start);
  } else if (model) {
    stageBegin("build");
    ModelBuildOptions mo;
    mo.batch = gen.batch;
    mo.sequence = step > 0 ? step : 1;
    for (auto &[name, dims] : importOptions.shapes)
      if (name == "input_ids" && dims.size() == 2 && step <= 0) {
        mo.batch = dims[0];
        mo.sequence = dims[1];
      }
    if (step <= 0 && !decoderModel && mo.sequence == 1)
      mo.sequence = std::min<int64_t>(128, model->config.maxPositions);
    mo.positions = generate ? maxSeq : mo.sequence;
    mo.dequantize = options.input.weights == InputOptions::Weights::F32;
    mo.weightsFileName = importOptions.weightsFileName;
    // The prefill step reads the decode step's weights: nothing to write.
    Expected<OwningOpRef<ModuleOp>> made =
        buildModel(model->config, *model->tensors, context, mo,
                   w == &scratchWeights ? nullptr : w);
    if (!made) {
      error(toString(made.takeError()));
      return nullptr;
    }
    built = std::move(*made);
    if (!tokenizerName.empty())
      (*built)->setAttr("tx.tokenizer",
                        StringAttr::get(&context, tokenizerName));
    stageEnd("build", start);
  } else {
    stageBegin("import");
    ONNXImportOptions stepOptions = importOptions;
    if (step > 0) {
      stepOptions.generation.batch = gen.batch;
      stepOptions.generation.sequence = step;
      // A past that fills the cache: masks built from the shapes (causal,
      // sliding window) then show their whole pattern, so that raising
      // classifies them as it would at any length.
      stepOptions.generation.past = std::max<int64_t>(0, maxSeq - step);
      // Masks built from shapes are [step, max-seq] constants: keep them
      // inline however long the cache, so that raising classifies them.
      stepOptions.foldedInlineLimit = std::max<int64_t>(
          importOptions.foldedInlineLimit, 2 * step * (maxSeq + step));
    }
    built = importONNXFile(input, context, stepOptions, w);
    if (!built && step <= 0 && gen.maxSeq && *gen.maxSeq == 0 &&
        importOptions.shapes.empty())
      note("--max-seq 0 compiles one forward pass, whose input shapes must "
           "be static: give them with --shape (for example --shape "
           "input_ids=1x128)");
    if (!built) {
      if (step > 0)
        note("for --max-seq the model was imported with sequence " +
             Twine(step) + " (and, for past key/value inputs, past " +
             Twine(stepOptions.generation.past) +
             ", filling the cache); a model whose position tables hold fewer "
             "positions needs a smaller --max-seq");
      return nullptr;
    }
    stageEnd("import", start, *built);
  }
  importedStep = tokenStep(*built);
  if (step > 1 && importedStep != step) {
    staticStep = true;
    return nullptr;
  }
  dump("import", *built);
  if (stop >= Stage::Tx) {
    if (!isMLIR && !model &&
        !runPipeline(*built, "raise",
                     [](OpPassManager &pm) { buildRaisePipeline(pm); }))
      return nullptr;
    if (generate && step > 0 && !isMLIR && !model && !hasPastInput(*built) &&
        !applyPatterns(*built, step))
      return nullptr;
    // Passes that read or add weights (tx-quantize) do it through this
    // store: the weights in memory, nothing on disk.
    if (w)
      tx::setWeightStore(&context, std::make_shared<WriterWeightStore>(
                                       weights, w != &weights ? w : nullptr));
    auto detach = llvm::make_scope_exit(
        [&] { tx::setWeightStore(&context, nullptr); });
    // What the depth passes remove is reported for the first step only.
    std::optional<DepthCost> before;
    if (!depthReported)
      before = depthCost(*built);
    if (!options.graph.pipeline.empty()) {
      if (!runTextPipeline(*built, "tx", options.graph.pipeline))
        return nullptr;
    } else {
      DefaultPipelineOptions graph;
      graph.layerSkipSpeedup = options.graph.layerSkipSpeedup;
      graph.skipLayers = options.graph.skipLayers;
      // Over a KV cache tx-mod-prune runs after tx-use-kv-cache (below).
      graph.modCapacity = generate ? 0.0 : options.graph.modCapacity;
      graph.modDecision = options.graph.modDecision;
      graph.modWeighting = options.graph.modWeighting;
      graph.modSchedule = options.graph.modSchedule;
      graph.modRouter = options.graph.modRouter;
      const QuantizeOptions &q = options.graph.quantize;
      graph.quantize = q.format;
      graph.quantGroup = q.group;
      graph.quantZeroPoint = q.zeroPoint;
      graph.quantMethod = q.method;
      graph.calibration = options.graph.calibration;
      graph.quantKeep = q.keep;
      graph.quantOverride = q.overrides;
      graph.quantMixed = q.mixed;
      graph.quantMixedFormat = q.mixedFormat;
      graph.calibrationTaps = options.graph.calibrationTaps;
      if (!runPipeline(*built, "tx", [&](OpPassManager &pm) {
            buildDefaultPipeline(pm, graph);
          }))
        return nullptr;
    }
    if (usedWeights)
      built->walk(
          [&](tx::WeightOp op) { usedWeights->insert(op.getName()); });
    if (before) {
      reportDepth(*before, depthCost(*built));
      depthReported = true;
    }
    if (generate) {
      GenerationPipelineOptions kv;
      kv.capacity = maxSeq;
      kv.blockSize = gen.kvBlock;
      kv.kvQuant = gen.kvQuant;
      kv.kvQuantGroup = gen.kvQuantGroup;
      kv.kvQuantResidual = gen.kvQuantResidual;
      // The decode and prefill steps share the cache: its buffer covers the
      // longer step (the prefill chunk).
      if (gen.kvQuant == "int4")
        kv.kvQuantBuffer =
            gen.kvQuantResidual + (gen.kvQuantGroup ? gen.kvQuantGroup : 32) +
            std::min<int64_t>(gen.prefillChunk, maxSeq);
      if (!runPipeline(*built, "kv-cache", [&](OpPassManager &pm) {
            buildGenerationPipeline(pm, kv);
          }))
        return nullptr;
    }
    // Routed layers over the cache keep their own cache lengths: routing
    // rewrites the appends and views tx-use-kv-cache put in place.
    if (generate && options.graph.modCapacity != 0 &&
        options.graph.pipeline.empty()) {
      ModPrunePassOptions mod;
      mod.capacity = options.graph.modCapacity;
      mod.schedule = options.graph.modSchedule;
      mod.router = options.graph.modRouter;
      mod.decision = options.graph.modDecision;
      mod.weighting = options.graph.modWeighting;
      mod.calibration = options.graph.calibration;
      if (!runPipeline(*built, "mod", [&](OpPassManager &pm) {
            pm.addPass(createModPrunePass(mod));
          }))
        return nullptr;
    }
    // Early exit splits each layer around its KV cache writes, so it runs
    // once they are in place.
    if (options.graph.earlyExit && options.graph.pipeline.empty()) {
      EarlyExitPassOptions exit;
      exit.threshold = *options.graph.earlyExit;
      exit.from = options.graph.earlyExitFrom;
      if (!runPipeline(*built, "early-exit", [&](OpPassManager &pm) {
            pm.addPass(createEarlyExitPass(exit));
          }))
        return nullptr;
    }
  }
  if (stop >= Stage::Linalg &&
      !runPipeline(*built, "linalg", [](OpPassManager &pm) {
        buildCPULinalgPipeline(pm, CPULinalgPipelineOptions());
      }))
    return nullptr;
  if (stop >= Stage::LLVM) {
    CPULLVMPipelineOptions llvmOptions;
    const CPULoopOptions &loops = options.target.loops;
    llvmOptions.parallel = loops.parallel;
    llvmOptions.minParallelWork = loops.minParallelWork;
    llvmOptions.vectorBits = loops.vectorBits;
    llvmOptions.approximateMath = loops.approximateMath;
    llvmOptions.entryPrefix = prefix.str();
    if (!runPipeline(*built, "llvm", [&](OpPassManager &pm) {
          buildCPULLVMPipeline(pm, llvmOptions);
        }))
      return nullptr;
  }
  return built;
}

/// The tokenizer and the weights, beside the output.
bool txc::Invocation::Impl::writeWeights() {
  if (!tokenizerPath.empty()) {
    std::error_code ec;
    raw_fd_ostream os(pending->output(tokenizerPath), ec);
    if (ec) {
      error("cannot write '" + tokenizerPath + "': " + ec.message());
      return false;
    }
    os << model->tokenizerJSON;
  }
  // Quantization replaced weights by new ones: write only those in use.
  if (usedWeights)
    weights.retain([&](StringRef name) { return usedWeights->contains(name); });
  if (!weights.size())
    return true;
  if (weightsPath.empty()) {
    remark(Twine(weights.size()) +
           " weights not written (give -o or --weights)");
    return true;
  }
  auto t0 = Clock::now();
  stageBegin("weights");
  writtenWeights = pending->output(weightsPath);
  if (Error err = weights.write(writtenWeights)) {
    error(toString(std::move(err)));
    return false;
  }
  stageEnd("weights", t0);
  return true;
}

bool txc::Invocation::Impl::commit() {
  std::string why;
  if (!pending->commit(why)) {
    error(why);
    return false;
  }
  written = pending->committed();
  return true;
}

/// Writes the output of the stage asked for: IR text, LLVM IR, an object,
/// or a shared library with its manifest.
LogicalResult txc::Invocation::Impl::emit() {
  const OutputOptions &out = options.output;
  // The model's own output, under a temporary name until the end.
  std::string modelOutput = out.path == "-" || out.path.empty()
                                ? out.path
                                : pending->output(out.path);
  auto writeText = [&](llvm::function_ref<void(raw_ostream &)> print) -> bool {
    if (modelOutput.empty()) {
      raw_string_ostream os(outputText);
      print(os);
      return true;
    }
    std::string errorText;
    auto output = openOutputFile(modelOutput, &errorText);
    if (!output) {
      error(errorText);
      return false;
    }
    print(output->os());
    output->keep();
    return true;
  };
  if (stop <= Stage::Linalg) {
    OpPrintingFlags flags;
    if (out.printLocations)
      flags.enableDebugInfo(/*enable=*/true, /*prettyForm=*/false)
          .useLocalScope();
    if (!writeText([&](raw_ostream &os) {
          module->print(os, flags);
          os << "\n";
        }))
      return failure();
    return success(writeWeights() && commit());
  }

  // LLVM IR, object, shared library.
  CPUTargetOptions targetOptions = options.target.cpu;
  auto t0 = Clock::now();
  stageBegin("llvm-opt");
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateAndOptimize(*module, llvmContext, targetOptions);
  if (!llvmModule)
    return failure();
  stageEnd("llvm-opt", t0);
  if (stop == Stage::Library) {
    // The manifest (format version, sizes, weights fingerprint), filled in
    // once the library is linked and the weights written.
    auto *record = llvm::ConstantDataArray::getString(
        llvmContext, encodeManifest({}), /*AddNull=*/false);
    auto *manifest = new llvm::GlobalVariable(
        *llvmModule, record->getType(), /*isConstant=*/true,
        llvm::GlobalValue::ExternalLinkage, record, TXC_MANIFEST_SYMBOL);
    manifest->setSection(kManifestSection);
    manifest->setAlignment(llvm::Align(8));
    llvm::appendToUsed(*llvmModule, {manifest});
  }
  if (!out.dumpDir.empty()) {
    SmallString<256> path(out.dumpDir);
    sys::path::append(path, formatv("{0:02}-model.ll", ++dumpIndex).str());
    std::error_code ec;
    raw_fd_ostream os(path, ec);
    if (!ec)
      llvmModule->print(os, nullptr);
  }
  if (stop == Stage::LLVM) {
    if (!writeText([&](raw_ostream &os) { llvmModule->print(os, nullptr); }))
      return failure();
    return success(writeWeights() && commit());
  }
  t0 = Clock::now();
  stageBegin("codegen");
  std::string objectPath = modelOutput;
  SmallString<256> tmpObject;
  if (stop == Stage::Library) {
    if (std::error_code ec =
            sys::fs::createTemporaryFile("txc-model", "o", tmpObject)) {
      error("cannot create a temporary file: " + ec.message());
      return failure();
    }
    objectPath = std::string(tmpObject);
    pending->track(objectPath);
  }
  if (failed(emitObject(*llvmModule, objectPath, targetOptions)))
    return failure();
  SmallVector<std::string> objects = {objectPath};
  if (stop == Stage::Library && prefill) {
    // The prefill step: its own object, linked beside the decode step.
    llvm::LLVMContext prefillContext;
    std::unique_ptr<llvm::Module> prefillModule =
        translateAndOptimize(*prefill, prefillContext, targetOptions);
    if (!prefillModule)
      return failure();
    SmallString<256> prefillObject;
    if (std::error_code ec = sys::fs::createTemporaryFile(
            "txc-prefill", "o", prefillObject)) {
      error("cannot create a temporary file: " + ec.message());
      return failure();
    }
    objects.push_back(std::string(prefillObject));
    pending->track(prefillObject);
    if (failed(emitObject(*prefillModule, prefillObject, targetOptions)))
      return failure();
  }
  stageEnd("codegen", t0);
  if (stop == Stage::Library) {
    t0 = Clock::now();
    stageBegin("link");
    std::string errorText;
    if (failed(linkSharedLibrary(objects, modelOutput, errorText))) {
      error(errorText);
      return failure();
    }
    stageEnd("link", t0);
    if (!writeWeights())
      return failure();
    if (Error err = patchManifest(modelOutput, writtenWeights)) {
      error(toString(std::move(err)));
      return failure();
    }
    return success(commit());
  }
  return success(writeWeights() && commit());
}

LogicalResult txc::Invocation::Impl::run() {
  // A fresh state: an invocation may run more than once.
  outputText.clear();
  written.clear();
  errors.clear();
  model.reset();
  decoderModel = generate = staticStep = probeFailed = false;
  tokenizerPath.clear();
  tokenizerName.clear();
  weights = SafetensorsWriter();
  scratchWeights = SafetensorsWriter();
  writtenWeights.clear();
  usedWeights.reset();
  probed.reset();
  probeFailure.clear();
  module = nullptr;
  prefill = nullptr;
  dumpIndex = 0;
  currentStep = "";
  pending = std::make_unique<PendingOutputs>();

  // MLIR diagnostics: to the message handler when there is one, else
  // printed with their source lines.
  std::optional<SourceMgrDiagnosticHandler> printer;
  std::optional<ScopedDiagnosticHandler> forwarder;
  if (onMessage && forwardDiagnostics) {
    forwarder.emplace(&context, [&](Diagnostic &d) {
      Message m;
      switch (d.getSeverity()) {
      case mlir::DiagnosticSeverity::Error:
        m.severity = Severity::Error;
        break;
      case mlir::DiagnosticSeverity::Warning:
        m.severity = Severity::Warning;
        break;
      default:
        m.severity = Severity::Note;
        break;
      }
      m.text = d.str();
      m.location = formatLocation(d.getLocation());
      for (Diagnostic &n : d.getNotes())
        m.notes.push_back(n.str());
      if (m.severity == Severity::Error)
        errors.push_back(m.location.empty() ? m.text
                                            : m.location + ": " + m.text);
      onMessage(m);
      return success();
    });
  } else {
    printer.emplace(sourceMgr, &context);
  }

  if (failed(validate()) || failed(loadModel()))
    return failure();

  // Generation compiles the decode step (one token) and, when the model's
  // sequence length is dynamic, a prefill step of --prefill-chunk tokens.
  const GenerationOptions &gen = options.generation;
  auto stepEvent = [&](StringRef step, const Twine &detail) {
    currentStep = step;
    std::string text = detail.str();
    if (onStage)
      onStage({StageEvent::Kind::Step, "", step, text, 0, nullptr});
  };
  if (generate)
    stepEvent("decode", isMLIR || stop < Stage::LLVM ? "" : "decode step");
  int64_t decodeStep = -1, prefillStep = -1;
  module = build(generate ? 1 : -1, &weights, TXC_SYM_MODEL_PREFIX, decodeStep);
  if (!module)
    return failure();
  if (probeFailed)
    message(Severity::Warning,
            "the model has no past inputs, so its attention masks were "
            "folded for the step alone; txc could not import it at " +
                Twine(std::min(maxSeq, kProbeLength)) +
                " tokens to check for a sliding window longer than the "
                "step" +
                (probeFailure.empty() ? std::string()
                                      : " (" + probeFailure + ")") +
                ". If the model has one, generation past it differs from the "
                "model (export it with past_key_values to make the pattern "
                "visible)");
  if (generate && stop >= Stage::Linalg && decodeStep != 1) {
    error("--max-seq: the model's input_ids has a static sequence length "
          "of " +
          Twine(decodeStep) +
          "; generation needs a decode step of one token (export with a "
          "dynamic sequence length, or a decode step with sequence 1)");
    return failure();
  }
  int64_t chunk = std::min<int64_t>(gen.prefillChunk, maxSeq);
  if (generate && !isMLIR && stop >= Stage::LLVM && chunk > 1) {
    stepEvent("prefill", "prefill step (" + Twine(chunk) + " tokens)");
    prefill = build(chunk, &scratchWeights, TXC_SYM_PREFILL_PREFIX, prefillStep);
    if (!prefill && !staticStep)
      return failure();
    if (staticStep)
      remark("the model's sequence length is static: no prefill step "
             "(prompts run one decode step at a time)");
  }
  currentStep = "";
  if (generate && !isMLIR && stop == Stage::Object && prefill)
    message(Severity::Warning, "--emit=obj writes only the decode step; the "
                               "prefill step needs --emit=so");
  return emit();
}

txc::Invocation::Invocation(Session &session, CompileOptions options)
    : impl(std::make_unique<Impl>(session, std::move(options))) {}

txc::Invocation::~Invocation() = default;

void txc::Invocation::setInputModule(ModuleOp module) {
  impl->inputModule = OwningOpRef<ModuleOp>(cast<ModuleOp>(module->clone()));
}

void txc::Invocation::setMessageHandler(
    std::function<void(const Message &)> handler, bool diagnostics) {
  impl->onMessage = std::move(handler);
  impl->forwardDiagnostics = diagnostics;
}

void txc::Invocation::setStageHandler(
    std::function<void(const StageEvent &)> handler) {
  impl->onStage = std::move(handler);
}

LogicalResult txc::Invocation::run() {
  LogicalResult result = impl->run();
  // Temporaries of a failed run go now, not with the invocation.
  impl->pending.reset();
  return result;
}

const std::string &txc::Invocation::outputText() const {
  return impl->outputText;
}

const std::vector<std::string> &txc::Invocation::writtenFiles() const {
  return impl->written;
}

std::string txc::Invocation::errorText() const {
  std::string text;
  for (const std::string &e : impl->errors)
    text += e + "\n";
  return text;
}

const txc::CompileOptions &txc::Invocation::getOptions() const {
  return impl->options;
}
