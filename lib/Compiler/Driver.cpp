//===- Driver.cpp - the txc command-line driver ---------------------------===//
//
// Stages: import (ONNX -> upstream + tx ops) and tx (raised). Each stage's
// name and time are printed to stderr unless -q.
//
//===----------------------------------------------------------------------===//

#include "txc/Compiler/Driver.h"
#include "txc/Compiler/Backend.h"
#include "txc/Compiler/Pipelines.h"
#include "txc/Compiler/Registration.h"
#include "txc/Dialect/Tx/TxOps.h"
#include "txc/Frontend/Model/ModelBuilder.h"
#include "txc/Frontend/ONNX/Import.h"
#include "txc/Support/Files.h"
#include "txc/Support/ModelManifest.h"
#include "txc/Support/Safetensors.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/Transforms/Utils/ModuleUtils.h"
#include "llvm/Support/FormatVariadic.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

using namespace mlir;
using namespace llvm;

namespace {

enum class Emit { Auto, Import, Tx, Linalg, LLVM, Obj, So };

cl::OptionCategory txcCategory("txc options");

cl::opt<std::string> inputFile(cl::Positional,
                               cl::desc("MODEL.onnx | MODEL.gguf | "
                                        "HF-FOLDER | MODEL.mlir"),
                               cl::Required, cl::cat(txcCategory));
cl::opt<std::string>
    outputFile("o",
               cl::desc("Output file (default: standard output). The weights "
                        "file is written beside it, named OUT with the "
                        "extension .safetensors"),
               cl::value_desc("OUT"), cl::init("-"), cl::cat(txcCategory));
cl::opt<Emit> emitStage(
    "emit",
    cl::desc("Stop after this stage and write its output (default: from "
             "the extension of -o: .so, .o, .ll, otherwise tx):"),
    cl::values(clEnumValN(Emit::Import, "import",
                          "the imported model: upstream ops plus the tx ops "
                          "ONNX names directly (no raising)"),
               clEnumValN(Emit::Tx, "tx",
                          "after raising and the graph pipeline: attention, "
                          "norms, rope and layers as tx ops"),
               clEnumValN(Emit::Linalg, "linalg",
                          "tx ops decomposed into linalg on tensors"),
               clEnumValN(Emit::LLVM, "llvm",
                          "optimized LLVM IR (text)"),
               clEnumValN(Emit::Obj, "obj", "an object file for the target"),
               clEnumValN(Emit::So, "so",
                          "a shared library for the runtime (txc-run), with "
                          "the weights file beside it")),
    cl::init(Emit::Auto), cl::cat(txcCategory));
cl::opt<std::string> target("target",
                            cl::desc("Code generation target (only 'cpu' "
                                     "so far)"),
                            cl::init("cpu"), cl::cat(txcCategory));
cl::opt<std::string>
    cpuName("cpu",
            cl::desc("CPU to generate code for (default: native, this "
                     "machine); any LLVM CPU name, e.g. x86-64-v3"),
            cl::init("native"), cl::cat(txcCategory));
cl::opt<unsigned> optLevel("O",
                           cl::desc("LLVM optimization level (-O0 .. -O3, "
                                    "default -O3)"),
                           cl::Prefix, cl::init(3), cl::cat(txcCategory));
cl::opt<bool> loopThreads(
    "loop-threads",
    cl::desc("Run the outer loops of large generated loop nests on the "
             "model's OpenMP threads (default: true)"),
    cl::init(true), cl::cat(txcCategory));
cl::opt<int64_t> parallelWork(
    "parallel-work",
    cl::desc("Estimated work (iterations x payload ops) from which a "
             "generated loop nest is threaded (default: 65536)"),
    cl::value_desc("N"), cl::init(65536), cl::cat(txcCategory));
cl::opt<int64_t> vectorBits(
    "vector-bits",
    cl::desc("Vector width of generated innermost loops in bits; 0 leaves "
             "them scalar (default: 512)"),
    cl::value_desc("BITS"), cl::init(512), cl::cat(txcCategory));
cl::opt<bool> approximateMath(
    "approximate-math",
    cl::desc("Compute exp, tanh, erf, log, ... with polynomial "
             "approximations instead of libm calls (default: true)"),
    cl::init(true), cl::cat(txcCategory));
cl::opt<std::string> graphPipeline(
    "pipeline",
    cl::desc("Pass pipeline to run on the raised tx IR (textual MLIR "
             "pipeline, e.g. 'builtin.module(tx-layer-skip{speedup=2})'); "
             "default: tx-default-pipeline"),
    cl::value_desc("STR"), cl::init(""), cl::cat(txcCategory));
cl::opt<std::string> dumpDir(
    "dump-ir",
    cl::desc("Write the IR after every stage to DIR as numbered files "
             "(01-import.mlir, 02-tx.mlir, 03-linalg.mlir, 04-llvm.mlir, "
             "05-model.ll)"),
    cl::value_desc("DIR"), cl::init(""), cl::cat(txcCategory));
cl::list<std::string> shapes(
    "shape",
    cl::desc("Specialize input NAME to DIMS, e.g. --shape input_ids=1x128 "
             "(? keeps a dimension dynamic); repeatable"),
    cl::value_desc("NAME=DIMS"), cl::cat(txcCategory));
cl::opt<std::string>
    weightsFile("weights",
                cl::desc("Where to write the weights (default: OUT with the "
                         "extension .safetensors; not written when the IR "
                         "goes to standard output)"),
                cl::value_desc("FILE"), cl::cat(txcCategory));
enum class Quantize { Keep, F32 };
cl::opt<Quantize> quantizeMode(
    "quantize",
    cl::desc("Weights of a GGUF file or Hugging Face folder (default: keep):"),
    cl::values(clEnumValN(Quantize::Keep, "keep",
                          "keep each tensor's encoding (F16, BF16, Q8_0, "
                          "Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K are "
                          "multiplied in their packed form)"),
               clEnumValN(Quantize::F32, "f32",
                          "dequantize every weight to f32: the dense "
                          "reference lossy modes are judged against")),
    cl::init(Quantize::Keep), cl::cat(txcCategory));
cl::OptionCategory genCategory(
    "generation (autoregressive decoding over an in-place KV cache)");
cl::opt<int64_t> maxSeq(
    "max-seq",
    cl::desc("Compile for generation: put every attention's keys and values "
             "on an in-place KV cache of N positions (prompt plus generated "
             "tokens) and emit a decode step and, when the model's sequence "
             "length is dynamic, a prefill step (txc-run MODEL generate). "
             "GGUF files and Hugging Face decoders compile for generation "
             "by default, with the model's context length capped at 4096; "
             "--max-seq 0 compiles one forward pass instead"),
    cl::value_desc("N"), cl::init(0), cl::cat(genCategory));
cl::opt<int64_t> kvBlock(
    "kv-block",
    cl::desc("Paged KV cache with blocks of N positions (N divides "
             "--max-seq); default: one contiguous slab per layer"),
    cl::value_desc("N"), cl::init(0), cl::cat(genCategory));
cl::opt<int64_t> prefillChunk(
    "prefill-chunk",
    cl::desc("Tokens the prefill step takes at once (default 64, at most "
             "--max-seq); prompts are cut into chunks, the last padded"),
    cl::value_desc("N"), cl::init(64), cl::cat(genCategory));
cl::opt<int64_t> genBatch(
    "batch",
    cl::desc("Batch size of a dynamic-batch model compiled for generation "
             "(default 1)"),
    cl::value_desc("N"), cl::init(1), cl::cat(genCategory));

cl::opt<bool> quiet("q", cl::desc("Do not print stage names and times"),
                    cl::cat(txcCategory));
cl::opt<bool> printDebugInfo(
    "print-locations",
    cl::desc("Print op locations (ONNX node names) in the output IR"),
    cl::cat(txcCategory));

/// Prints `name` and the time since `start` unless -q.
void reportStage(StringRef name,
                 std::chrono::steady_clock::time_point start) {
  if (quiet)
    return;
  double ms = std::chrono::duration<double, std::milli>(
                  std::chrono::steady_clock::now() - start)
                  .count();
  errs() << "txc: " << format("%-8s", name.str().c_str()) << " "
         << format("%8.1f ms", ms) << "\n";
}

} // namespace

namespace {
/// Outputs are written under temporary names beside their final paths and
/// renamed into place only when everything succeeded, so that a failed or
/// interrupted compile leaves no half-written library and no library
/// without its weights. Temporaries (also the objects handed to the linker)
/// are removed on failure and on SIGINT/SIGTERM.
class PendingOutputs {
public:
  ~PendingOutputs() {
    for (const std::string &path : temporaries) {
      sys::fs::remove(path);
      sys::DontRemoveFileOnSignal(path);
    }
  }
  /// A temporary name for the output `path`, renamed to it by commit().
  std::string output(StringRef path) {
    std::string temporary =
        (path + ".txc-partial-" + Twine(sys::Process::getProcessId())).str();
    track(temporary);
    renames.emplace_back(temporary, path.str());
    return temporary;
  }
  /// Removes `path` at exit and on a signal.
  void track(StringRef path) {
    sys::RemoveFileOnSignal(path);
    temporaries.push_back(path.str());
  }
  /// Renames every output into place, the first asked for last (the model
  /// library appears only once its weights are there).
  bool commit() {
    for (auto it = renames.rbegin(); it != renames.rend(); ++it) {
      if (!sys::fs::exists(it->first))
        continue;
      if (std::error_code ec = sys::fs::rename(it->first, it->second)) {
        errs() << "txc: error: cannot write '" << it->second
               << "': " << ec.message() << "\n";
        return false;
      }
    }
    return true;
  }

private:
  std::vector<std::string> temporaries;
  std::vector<std::pair<std::string, std::string>> renames;
};
} // namespace

int txc::runCompilerMain(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions({&txcCategory, &genCategory});
  cl::ParseCommandLineOptions(
      argc, argv,
      "txc: ahead-of-time compiler for transformer inference\n\n"
      "  txc MODEL.onnx --emit=tx -o model.mlir --shape input_ids=1x128\n"
      "  txc model.gguf -o out/model.so\n\n"
      "Imports an ONNX model, a GGUF file or a Hugging Face folder (or reads "
      "tx IR from a .mlir file), raises it into tx ops and writes the IR of "
      "the requested stage.\n");

  registerTxcPasses();
  mlir::registerAllPasses();
  DialectRegistry registry;
  registerTxcDialects(registry);
  // Code generation needs upstream dialects' external models (bufferization,
  // LLVM translation, ...).
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);

  ONNXImportOptions options;
  for (const std::string &s : shapes) {
    std::string name;
    SmallVector<int64_t> dims;
    if (std::string err = parseShapeOption(s, name, dims); !err.empty()) {
      errs() << "txc: error: " << err << "\n";
      return 1;
    }
    options.shapes.emplace_back(name, dims);
  }

  // Where the weights go.
  std::string weightsPath = weightsFile;
  if (weightsPath.empty() && outputFile != "-") {
    SmallString<256> p(outputFile.getValue());
    sys::path::replace_extension(p, ".safetensors");
    weightsPath = std::string(p);
  }
  if (!weightsPath.empty())
    options.weightsFileName = sys::path::filename(weightsPath).str();

  // The stage to stop at.
  Emit stop = emitStage;
  if (stop == Emit::Auto) {
    StringRef out = outputFile;
    stop = out.ends_with(".so")   ? Emit::So
           : out.ends_with(".o")  ? Emit::Obj
           : out.ends_with(".ll") ? Emit::LLVM
                                  : Emit::Tx;
  }
  if (target != "cpu") {
    errs() << "txc: error: --target=" << target
           << " is not supported (available: cpu)\n";
    return 1;
  }
  if (std::string why = checkCPUName(cpuName); !why.empty()) {
    errs() << "txc: error: " << why << "\n";
    return 1;
  }
  if (optLevel > 3) {
    errs() << "txc: error: -O" << optLevel << " is not an optimization level "
           << "(use -O0 .. -O3)\n";
    return 1;
  }
  if ((stop == Emit::So || stop == Emit::Obj) && outputFile == "-") {
    errs() << "txc: error: --emit=" << (stop == Emit::So ? "so" : "obj")
           << " needs an output file (-o)\n";
    return 1;
  }
  // The output's directory is created when missing (-o OUT/model.so).
  if (outputFile != "-") {
    StringRef parent = sys::path::parent_path(outputFile);
    if (!parent.empty())
      if (std::error_code ec = sys::fs::create_directories(parent)) {
        errs() << "txc: error: cannot create '" << parent
               << "': " << ec.message() << "\n";
        return 1;
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
  if (!weightsPath.empty() && outputFile != "-" &&
      samePath(weightsPath, outputFile)) {
    errs() << "txc: error: --weights '" << weightsPath
           << "' is the output file (-o); the weights need a file of their "
              "own (default: the output with the extension .safetensors)\n";
    return 1;
  }
  if (!dumpDir.empty() && sys::fs::exists(dumpDir) &&
      !sys::fs::is_directory(dumpDir)) {
    errs() << "txc: error: --dump-ir '" << dumpDir
           << "' exists and is not a directory; --dump-ir names a directory "
              "to write the IR of every stage into\n";
    return 1;
  }
  if (!dumpDir.empty())
    if (std::error_code ec = sys::fs::create_directories(dumpDir)) {
      errs() << "txc: error: cannot create '" << dumpDir
             << "': " << ec.message() << "\n";
      return 1;
    }
  unsigned dumpIndex = 0;
  auto dump = [&](StringRef stage, ModuleOp module) {
    if (dumpDir.empty())
      return;
    SmallString<256> path(dumpDir.getValue());
    sys::path::append(path, formatv("{0:02}-{1}.mlir", ++dumpIndex, stage).str());
    std::error_code ec;
    raw_fd_ostream os(path, ec);
    if (!ec)
      module->print(os);
  };

  bool isMLIR = StringRef(inputFile).ends_with(".mlir");
  if (!isMLIR && !sys::fs::exists(inputFile)) {
    errs() << "txc: error: cannot open '" << inputFile << "': no such file\n";
    return 1;
  }
  // A model is a regular file (or a Hugging Face folder): never a device or
  // a pipe, which could stream without end.
  if (inputFile != "-" && !sys::fs::is_directory(inputFile))
    if (std::string why = checkRegularFile(inputFile); !why.empty()) {
      errs() << "txc: error: " << why << "\n";
      return 1;
    }
  PendingOutputs pending;
  // GGUF files and Hugging Face folders: configuration, tensors, tokenizer.
  std::optional<LoadedModel> model;
  if (!isMLIR && isModelFile(inputFile)) {
    auto t0 = std::chrono::steady_clock::now();
    Expected<LoadedModel> loaded = loadModelFile(inputFile);
    if (!loaded) {
      errs() << "txc: error: " << toString(loaded.takeError()) << "\n";
      return 1;
    }
    model = std::move(*loaded);
    reportStage("load", t0);
  } else if (quantizeMode.getNumOccurrences()) {
    errs() << "txc: error: --quantize applies to GGUF files and Hugging Face "
              "folders\n";
    return 1;
  }
  const bool decoderModel =
      model && model->config.family != ArchConfig::Family::Bert;
  // The tokenizer goes beside the output as OUT.tokenizer.json (txc's
  // form), named in the model's metadata.
  std::string tokenizerPath, tokenizerName;
  if (model && !model->tokenizerJSON.empty() && outputFile != "-") {
    SmallString<256> p(outputFile.getValue());
    sys::path::replace_extension(p, ".tokenizer.json");
    tokenizerPath = std::string(p);
    tokenizerName = sys::path::filename(tokenizerPath).str();
  } else if (model && model->tokenizerJSON.empty() && !quiet) {
    errs() << "txc: note: no tokenizer (" << model->tokenizerNote
           << "): txc-run needs --prompt-ids or --tokenizer\n";
  }
  // Decoders from GGUF / HF compile for generation unless told otherwise.
  int64_t maxSeqValue = maxSeq;
  if (decoderModel && !maxSeq.getNumOccurrences()) {
    int64_t context = model->config.contextLength;
    maxSeqValue = context > 0 ? std::min<int64_t>(context, 4096) : 4096;
    if (kvBlock > 0 && maxSeqValue % kvBlock != 0)
      maxSeqValue -= maxSeqValue % kvBlock;
  }
  if (model && !decoderModel && maxSeqValue > 0) {
    errs() << "txc: error: --max-seq: '" << inputFile << "' is an encoder ("
           << model->config.name << "); it has no generation step\n";
    return 1;
  }

  // Generation: the decode step (and a prefill step) over an in-place cache.
  const bool generate = maxSeqValue > 0;
  if (maxSeq < 0 || kvBlock < 0 || prefillChunk <= 0 || genBatch <= 0) {
    errs() << "txc: error: --max-seq and --kv-block must not be negative, "
              "--prefill-chunk and --batch must be positive\n";
    return 1;
  }
  // A cache past a few million positions is a typo (its masks alone would
  // not fit in memory); say so instead of failing somewhere in the import.
  constexpr int64_t kMaxCache = int64_t(1) << 22;
  if (maxSeqValue > kMaxCache || genBatch > kMaxCache) {
    errs() << "txc: error: --max-seq " << maxSeqValue << " (or --batch "
           << genBatch << ") is larger than txc supports (" << kMaxCache
           << ")\n";
    return 1;
  }
  if (!generate && kvBlock > 0) {
    errs() << "txc: error: --kv-block needs --max-seq (it pages the KV cache "
              "of a generation model)\n";
    return 1;
  }
  if (generate && kvBlock > 0 && maxSeqValue % kvBlock != 0) {
    errs() << "txc: error: --kv-block " << kvBlock
           << " must divide --max-seq " << maxSeqValue << "\n";
    return 1;
  }
  if (generate && stop == Emit::Import) {
    errs() << "txc: error: --max-seq rewrites the raised model; use "
              "--emit=tx or a later stage\n";
    return 1;
  }
  auto runPipeline = [&](ModuleOp module, StringRef name,
                         StringRef pipeline) -> bool {
    auto t0 = std::chrono::steady_clock::now();
    PassManager pm(&context);
    // Pipelines are written anchored on the module; the pass manager already
    // is, so parse what is inside builtin.module(...).
    StringRef text = pipeline.trim();
    if (text.consume_front("builtin.module(") && text.consume_back(")"))
      pipeline = text;
    if (failed(parsePassPipeline(pipeline, pm, errs())))
      return false;
    if (failed(pm.run(module)))
      return false;
    reportStage(name, t0);
    dump(name, module);
    return true;
  };
  CPULoopOptions loopOptions;
  loopOptions.parallel = loopThreads;
  loopOptions.minParallelWork = parallelWork;
  loopOptions.vectorBits = vectorBits;
  loopOptions.approximateMath = approximateMath;

  // Imports (or parses) the model with `step` tokens per call (generation;
  // -1 otherwise) and runs the pipelines up to `stop` (at most the LLVM
  // dialect). `prefix` names the entry points.
  // The length S of the token input `input_ids` [batch, S] (-1: none).
  auto tokenStep = [](ModuleOp module) -> int64_t {
    int64_t found = -1;
    module->walk([&](func::FuncOp f) {
      for (unsigned i = 0; i < f.getNumArguments(); ++i)
        if (auto name = f.getArgAttrOfType<StringAttr>(i, "tx.name");
            name && name.getValue() == "input_ids")
          if (auto t = dyn_cast<RankedTensorType>(f.getArgument(i).getType());
              t && t.getRank() == 2)
            found = t.getDimSize(1);
    });
    return found;
  };

  // A decoder exported without past inputs (only input_ids, as torch
  // dynamo exports) has masks folded for the step alone: a sliding window
  // longer than the step looks causal there. Such a model is imported once
  // more with a step as long as the cache (at most kProbeLength) to see the
  // whole pattern of every attention, which the steps then take.
  struct AttentionPattern {
    tx::MaskKind kind;
    IntegerAttr window, sinks;
  };
  constexpr int64_t kProbeLength = 4096;
  std::optional<SmallVector<AttentionPattern>> probed;
  bool probeFailed = false;
  // Why the probe failed (its first diagnostic), reported once the steps
  // compiled (a model that fails anyway gets its own error only).
  std::string probeFailure;
  auto hasPastInput = [](ModuleOp m) {
    bool found = false;
    m.walk([&](func::FuncOp f) {
      for (unsigned i = 0; i < f.getNumArguments(); ++i)
        if (auto name = f.getArgAttrOfType<StringAttr>(i, "tx.name"))
          found |= name.getValue().contains("past");
    });
    return found;
  };
  auto attentionPatterns = [&](int64_t step) -> bool {
    if (probed || probeFailed)
      return true;
    int64_t length = std::min(maxSeqValue, kProbeLength);
    if (length <= step) {
      probed.emplace();
      return true;
    }
    auto start = std::chrono::steady_clock::now();
    ONNXImportOptions probeOptions = options;
    probeOptions.generation.batch = genBatch;
    probeOptions.generation.sequence = length;
    probeOptions.generation.past = 0;
    probeOptions.foldedInlineLimit =
        std::max<int64_t>(options.foldedInlineLimit, 2 * length * length);
    probeOptions.foldLimit =
        std::max<int64_t>(options.foldLimit, 4 * length * length);
    // Diagnostics of the probe are not the user's concern: a failed probe
    // is reported as one warning.
    ScopedDiagnosticHandler silence(&context, [&](Diagnostic &d) {
      if (probeFailure.empty() && d.getSeverity() == mlir::DiagnosticSeverity::Error)
        probeFailure = d.str();
      return success();
    });
    OwningOpRef<ModuleOp> full =
        importONNXFile(inputFile, context, probeOptions, nullptr);
    PassManager pm(&context);
    if (!full || failed(parsePassPipeline("tx-raise-pipeline", pm, errs())) ||
        failed(pm.run(*full))) {
      probeFailed = true;
      return true;
    }
    probed.emplace();
    full->walk([&](tx::AttentionOp op) {
      probed->push_back({op.getMask(), op.getWindowAttr(), op.getSinksAttr()});
    });
    reportStage("probe", start);
    return true;
  };
  // Gives the step's attentions the probed patterns; false (reported) when
  // they do not correspond.
  auto applyPatterns = [&](ModuleOp m, int64_t step) -> bool {
    if (!attentionPatterns(step))
      return false;
    if (probeFailed)
      return true;
    SmallVector<tx::AttentionOp> ops;
    m.walk([&](tx::AttentionOp op) { ops.push_back(op); });
    if (probed->empty())
      return true;
    if (ops.size() != probed->size()) {
      errs() << "txc: error: --max-seq: the model has no past inputs and its "
                "attentions differ between a step of "
             << step << " tokens (" << ops.size() << " raised) and one of "
             << std::min(maxSeqValue, kProbeLength) << " (" << probed->size()
             << "); txc cannot tell which mask each attention has over the "
                "whole cache\n";
      return false;
    }
    for (auto [op, pattern] : llvm::zip(ops, *probed)) {
      if (op.getMask() == pattern.kind)
        continue;
      // A step shows a restriction of the pattern: a window longer than
      // the step looks causal, and one query sees every key.
      bool restriction =
          (op.getMask() == tx::MaskKind::causal &&
           pattern.kind == tx::MaskKind::sliding_window) ||
          (op.getMask() == tx::MaskKind::none && step == 1 &&
           tx::isPositionalMask(pattern.kind));
      if (restriction) {
        op.setMask(pattern.kind);
        op.setWindowAttr(pattern.window);
        op.setSinksAttr(pattern.sinks);
        continue;
      }
      errs() << "txc: error: --max-seq: an attention of the model has mask "
             << tx::stringifyMaskKind(op.getMask()) << " in a step of " << step
             << " tokens but " << tx::stringifyMaskKind(pattern.kind)
             << " in one of " << std::min(maxSeqValue, kProbeLength)
             << "; the model (without past inputs) cannot run on a KV cache\n";
      return false;
    }
    return true;
  };

  SafetensorsWriter weights, scratchWeights;
  // Set by `build` when a prefill step was asked for but the model's
  // sequence length is static (its import has another step length).
  bool staticStep = false;
  // `importedStep` receives tokenStep() of the imported (or parsed) model.
  auto build = [&](int64_t step, SafetensorsWriter *w, StringRef prefix,
                   int64_t &importedStep) -> OwningOpRef<ModuleOp> {
    auto start = std::chrono::steady_clock::now();
    OwningOpRef<ModuleOp> module;
    if (isMLIR) {
      std::string error;
      auto file = openInputFile(inputFile, &error);
      if (!file) {
        errs() << "txc: error: " << error << "\n";
        return nullptr;
      }
      sourceMgr.AddNewSourceBuffer(std::move(file), SMLoc());
      module = parseSourceFile<ModuleOp>(sourceMgr, &context);
      if (!module)
        return nullptr;
      reportStage("parse", start);
    } else if (model) {
      ModelBuildOptions mo;
      mo.batch = genBatch;
      mo.sequence = step > 0 ? step : 1;
      for (auto &[name, dims] : options.shapes)
        if (name == "input_ids" && dims.size() == 2 && step <= 0) {
          mo.batch = dims[0];
          mo.sequence = dims[1];
        }
      if (step <= 0 && !decoderModel && mo.sequence == 1)
        mo.sequence = std::min<int64_t>(128, model->config.maxPositions);
      mo.positions = generate ? maxSeqValue : mo.sequence;
      mo.dequantize = quantizeMode == Quantize::F32;
      mo.weightsFileName = options.weightsFileName;
      // The prefill step reads the decode step's weights: nothing to write.
      Expected<OwningOpRef<ModuleOp>> built = buildModel(
          model->config, *model->tensors, context, mo,
          w == &scratchWeights ? nullptr : w);
      if (!built) {
        errs() << "txc: error: " << toString(built.takeError()) << "\n";
        return nullptr;
      }
      module = std::move(*built);
      if (!tokenizerName.empty())
        (*module)->setAttr("tx.tokenizer",
                           StringAttr::get(&context, tokenizerName));
      reportStage("build", start);
    } else {
      ONNXImportOptions stepOptions = options;
      if (step > 0) {
        stepOptions.generation.batch = genBatch;
        stepOptions.generation.sequence = step;
        // A past that fills the cache: masks built from the shapes
        // (causal, sliding window) then show their whole pattern, so that
        // raising classifies them as it would at any length.
        stepOptions.generation.past = std::max<int64_t>(0, maxSeqValue - step);
        // Masks built from shapes are [step, max-seq] constants: keep them
        // inline however long the cache, so that raising classifies them.
        stepOptions.foldedInlineLimit = std::max<int64_t>(
            options.foldedInlineLimit, 2 * step * (maxSeqValue + step));
      }
      module = importONNXFile(inputFile, context, stepOptions, w);
      if (!module && step <= 0 && maxSeq.getNumOccurrences() &&
          maxSeq == 0 && options.shapes.empty())
        errs() << "txc: note: --max-seq 0 compiles one forward pass, whose "
                  "input shapes must be static: give them with --shape (for "
                  "example --shape input_ids=1x128)\n";
      if (!module) {
        if (step > 0)
          errs() << "txc: note: for --max-seq the model was imported with "
                    "sequence "
                 << step << " (and, for past key/value inputs, past "
                 << stepOptions.generation.past
                 << ", filling the cache); a model whose position tables "
                    "hold fewer positions needs a smaller --max-seq\n";
        return nullptr;
      }
      reportStage("import", start);
    }
    importedStep = tokenStep(*module);
    if (step > 1 && importedStep != step) {
      staticStep = true;
      return nullptr;
    }
    dump("import", *module);
    if (stop >= Emit::Tx) {
      if (!isMLIR && !model &&
          !runPipeline(*module, "raise", "builtin.module(tx-raise-pipeline)"))
        return nullptr;
      if (generate && step > 0 && !isMLIR && !model &&
          !hasPastInput(*module) && !applyPatterns(*module, step))
        return nullptr;
      std::string graph =
          graphPipeline.empty()
              ? std::string("builtin.module(tx-default-pipeline)")
              : graphPipeline.getValue();
      if (!runPipeline(*module, "tx", graph))
        return nullptr;
      if (generate &&
          !runPipeline(*module, "kv-cache",
                       formatv("builtin.module(tx-use-kv-cache{{capacity={0} "
                               "block-size={1}})",
                               maxSeqValue, kvBlock.getValue())
                           .str()))
        return nullptr;
    }
    if (stop >= Emit::Linalg &&
        !runPipeline(*module, "linalg", cpuLinalgPipeline()))
      return nullptr;
    if (stop >= Emit::LLVM &&
        !runPipeline(*module, "llvm", cpuLLVMPipeline(loopOptions, prefix)))
      return nullptr;
    return module;
  };

  // Generation compiles the decode step (one token) and, when the model's
  // sequence length is dynamic, a prefill step of --prefill-chunk tokens.
  OwningOpRef<ModuleOp> module, prefill;
  if (generate && !quiet && !isMLIR && stop >= Emit::LLVM)
    errs() << "txc: decode step\n";
  int64_t decodeStep = -1, prefillStep = -1;
  module = build(generate ? 1 : -1, &weights, "txc_model", decodeStep);
  if (!module)
    return 1;
  if (probeFailed)
    errs() << "txc: warning: the model has no past inputs, so its attention "
              "masks were folded for the step alone; txc could not import it "
              "at "
           << std::min(maxSeqValue, kProbeLength)
           << " tokens to check for a sliding window longer than the step"
           << (probeFailure.empty() ? std::string()
                                    : " (" + probeFailure + ")")
           << ". If the model has one, generation past it differs from the "
              "model (export it with past_key_values to make the pattern "
              "visible)\n";
  if (generate && stop >= Emit::Linalg && decodeStep != 1) {
    errs() << "txc: error: --max-seq: the model's input_ids has a static "
              "sequence length of "
           << decodeStep
           << "; generation needs a decode step of one token (export with a "
              "dynamic sequence length, or a decode step with sequence 1)\n";
    return 1;
  }
  int64_t chunk = std::min<int64_t>(prefillChunk, maxSeqValue);
  if (generate && !isMLIR && stop >= Emit::LLVM && chunk > 1) {
    if (!quiet)
      errs() << "txc: prefill step (" << chunk << " tokens)\n";
    prefill = build(chunk, &scratchWeights, "txc_prefill", prefillStep);
    if (!prefill && !staticStep)
      return 1;
    if (staticStep && !quiet)
      errs() << "txc: the model's sequence length is static: no prefill "
                "step (prompts run one decode step at a time)\n";
  }
  if (generate && !isMLIR && stop == Emit::Obj && prefill)
    errs() << "txc: warning: --emit=obj writes only the decode step; the "
              "prefill step needs --emit=so\n";

  // Weights go beside the output.
  std::string writtenWeights;
  auto writeWeights = [&]() -> bool {
    if (!tokenizerPath.empty()) {
      std::error_code ec;
      raw_fd_ostream os(pending.output(tokenizerPath), ec);
      if (ec) {
        errs() << "txc: error: cannot write '" << tokenizerPath
               << "': " << ec.message() << "\n";
        return false;
      }
      os << model->tokenizerJSON;
    }
    if (!weights.size())
      return true;
    if (weightsPath.empty()) {
      if (!quiet)
        errs() << "txc: note: " << weights.size()
               << " weights not written (give -o or --weights)\n";
      return true;
    }
    auto t0 = std::chrono::steady_clock::now();
    writtenWeights = pending.output(weightsPath);
    if (Error err = weights.write(writtenWeights)) {
      errs() << "txc: error: " << toString(std::move(err)) << "\n";
      return false;
    }
    reportStage("weights", t0);
    return true;
  };

  // The model's own output, under a temporary name until the end.
  std::string modelOutput =
      outputFile == "-" ? std::string("-") : pending.output(outputFile);
  if (stop <= Emit::Linalg) {
    std::string error;
    auto output = openOutputFile(modelOutput, &error);
    if (!output) {
      errs() << "txc: error: " << error << "\n";
      return 1;
    }
    OpPrintingFlags flags;
    if (printDebugInfo)
      flags.enableDebugInfo(/*enable=*/true, /*prettyForm=*/false).useLocalScope();
    module->print(output->os(), flags);
    output->os() << "\n";
    output->keep();
    output.reset();
    return writeWeights() && pending.commit() ? 0 : 1;
  }

  // LLVM IR, object, shared library.
  CPUTargetOptions targetOptions;
  targetOptions.cpu = cpuName;
  targetOptions.optLevel = optLevel;
  auto t0 = std::chrono::steady_clock::now();
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateAndOptimize(*module, llvmContext, targetOptions);
  if (!llvmModule)
    return 1;
  reportStage("llvm-opt", t0);
  if (stop == Emit::So) {
    // The manifest (format version, sizes, weights fingerprint), filled in
    // once the library is linked and the weights written.
    auto *record = llvm::ConstantDataArray::getString(
        llvmContext, encodeManifest({}), /*AddNull=*/false);
    auto *manifest = new llvm::GlobalVariable(
        *llvmModule, record->getType(), /*isConstant=*/true,
        llvm::GlobalValue::ExternalLinkage, record, "txc_model_manifest");
    manifest->setSection(kManifestSection);
    manifest->setAlignment(llvm::Align(8));
    llvm::appendToUsed(*llvmModule, {manifest});
  }
  if (!dumpDir.empty()) {
    SmallString<256> path(dumpDir.getValue());
    sys::path::append(path, formatv("{0:02}-model.ll", ++dumpIndex).str());
    std::error_code ec;
    raw_fd_ostream os(path, ec);
    if (!ec)
      llvmModule->print(os, nullptr);
  }
  if (stop == Emit::LLVM) {
    std::string error;
    auto output = openOutputFile(modelOutput, &error);
    if (!output) {
      errs() << "txc: error: " << error << "\n";
      return 1;
    }
    llvmModule->print(output->os(), nullptr);
    output->keep();
    output.reset();
    return writeWeights() && pending.commit() ? 0 : 1;
  }
  t0 = std::chrono::steady_clock::now();
  std::string objectPath = modelOutput;
  SmallString<256> tmpObject;
  if (stop == Emit::So) {
    if (std::error_code ec = sys::fs::createTemporaryFile("txc-model", "o",
                                                         tmpObject)) {
      errs() << "txc: error: cannot create a temporary file: " << ec.message()
             << "\n";
      return 1;
    }
    objectPath = std::string(tmpObject);
    pending.track(objectPath);
  }
  if (failed(emitObject(*llvmModule, objectPath, targetOptions)))
    return 1;
  SmallVector<std::string> objects = {objectPath};
  if (stop == Emit::So && prefill) {
    // The prefill step: its own object, linked beside the decode step.
    llvm::LLVMContext prefillContext;
    std::unique_ptr<llvm::Module> prefillModule =
        translateAndOptimize(*prefill, prefillContext, targetOptions);
    if (!prefillModule)
      return 1;
    SmallString<256> prefillObject;
    if (std::error_code ec = sys::fs::createTemporaryFile(
            "txc-prefill", "o", prefillObject)) {
      errs() << "txc: error: cannot create a temporary file: " << ec.message()
             << "\n";
      return 1;
    }
    objects.push_back(std::string(prefillObject));
    pending.track(prefillObject);
    if (failed(emitObject(*prefillModule, prefillObject, targetOptions)))
      return 1;
  }
  reportStage("codegen", t0);
  if (stop == Emit::So) {
    t0 = std::chrono::steady_clock::now();
    std::string error;
    LogicalResult linked = linkSharedLibrary(objects, modelOutput, error);
    if (failed(linked)) {
      errs() << "txc: error: " << error << "\n";
      return 1;
    }
    reportStage("link", t0);
    if (!writeWeights())
      return 1;
    if (Error err = patchManifest(modelOutput, writtenWeights)) {
      errs() << "txc: error: " << toString(std::move(err)) << "\n";
      return 1;
    }
    return pending.commit() ? 0 : 1;
  }
  return writeWeights() && pending.commit() ? 0 : 1;
}
