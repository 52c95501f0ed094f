//===- txc.cpp - the txc compile command ----------------------------------===//
//
// txc MODEL [-o OUT] [--emit=STAGE] [--shape NAME=DIMS]... [--max-seq N] ...
//
// A thin client of the compiler API (include/txc/Compiler/Compiler.h): the
// flags are parsed into a CompileOptions, an Invocation runs the
// compilation, and its messages and progress are printed to stderr. On a
// terminal the running stage is shown on one line that each finished
// stage replaces with its time; otherwise each finished stage prints a
// plain line; -q prints neither.
//
//===----------------------------------------------------------------------===//

#include "Calibrate.h"
#include "txc-c/txc_model_format.h"
#include "txc/Compiler/Compiler.h"

#include "mlir/Support/LLVM.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

namespace {

enum class Emit { Auto, Import, Tx, Linalg, LLVM, Obj, So };
cl::OptionCategory txcCategory("txc options");
cl::OptionCategory genCategory(
    "generation (autoregressive decoding over an in-place KV cache)");

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
               clEnumValN(Emit::LLVM, "llvm", "optimized LLVM IR (text)"),
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
cl::opt<double> layerSkip(
    "layer-skip",
    cl::desc("Static layer skipping (Unified Layer Skipping): keep "
             "round(L / R) of the L decoder layers, the first and the last "
             "kept and the rest spread evenly, so R is the speed-up of the "
             "layer stack (default 1: every layer); skipped layers get no "
             "KV cache"),
    cl::value_desc("R"), cl::init(1.0), cl::cat(txcCategory));
cl::list<int64_t> skipLayers(
    "skip-layers",
    cl::desc("Remove these decoder layers (their index, from 0; "
             "comma-separated) instead of --layer-skip's rule"),
    cl::value_desc("I,J,..."), cl::CommaSeparated, cl::cat(txcCategory));
cl::opt<double> earlyExit(
    "early-exit",
    cl::desc("Dynamic early exit per token (MuE): a token stops after a "
             "layer whose residual input and output have cosine similarity "
             ">= T, and the final norm and LM head read the state it exited "
             "with; in generation the layers it skipped still get its keys "
             "and values, projected from that state. T > 1: no token exits "
             "(the dense result). Choose T on calibration text "
             "(docs/passes.md)"),
    cl::value_desc("T"), cl::cat(txcCategory));
cl::opt<int64_t> earlyExitFrom(
    "early-exit-from",
    cl::desc("--early-exit: the first layer (position in the stack, from 0) "
             "after which a token may exit (default 0)"),
    cl::value_desc("M"), cl::init(0), cl::cat(txcCategory));
cl::opt<double> modCapacity(
    "mod-capacity",
    cl::desc("Mixture-of-depths token routing (tx-mod-prune): routed layers "
             "run attention and MLP on this fraction C (0..1] of the tokens "
             "only, the rest pass on the residual stream. With a KV cache "
             "(--max-seq, batch 1) a token that skips a layer writes no K/V "
             "there, and decode steps keep a token by a threshold "
             "calibrated to C, which needs --calibration (default 0: no "
             "routing)"),
    cl::value_desc("C"), cl::init(0.0), cl::cat(txcCategory));
cl::opt<std::string> modSchedule(
    "mod-schedule",
    cl::desc("--mod-capacity: constant (every layer from the second keeps "
             "C) or pmod (p-MoD's shifted cosine around C; layers above "
             "0.85 stay dense, none below 0.15)"),
    cl::value_desc("constant|pmod"), cl::init("constant"),
    cl::cat(txcCategory));
cl::opt<std::string> modRouter(
    "mod-router",
    cl::desc("--mod-capacity: how tokens are scored; update (the size of "
             "each token's update in the previous layer, no training), "
             "probe (a linear probe on the layer's input fitted by `txc "
             "calibrate`, from --calibration) or checkpoint (the router "
             "Linear(D -> 1) a checkpoint trained for routing ships per "
             "layer, blk.I.mod_router / model.layers.I.mod_router; decode "
             "keeps a token when its router value is >= 0)"),
    cl::value_desc("update|probe|checkpoint"), cl::init("update"),
    cl::cat(txcCategory));
cl::opt<std::string> modWeighting(
    "mod-weighting",
    cl::desc("--mod-router=checkpoint: how the router's value r enters the "
             "layer as the checkpoint was trained; none (kept rows replaced "
             "by the layer's output), mod (Mixture-of-Depths: x + r f(x)) or "
             "pmod (p-MoD: g = 0.2 tanh(r) + 1, kept tokens h + g MLP(h), "
             "skipped tokens g x)"),
    cl::value_desc("none|mod|pmod"), cl::init("none"), cl::cat(txcCategory));
cl::opt<std::string> modDecision(
    "mod-decision",
    cl::desc("--mod-capacity: how a prompt (or a forward pass) chooses its "
             "tokens; topk (the top C of each step's tokens, which looks at "
             "later tokens) or threshold (each token by its own score "
             "against the (1 - C) quantile of the router's score on "
             "calibration text, as decode steps always do; needs "
             "--calibration)"),
    cl::value_desc("topk|threshold"), cl::init("topk"), cl::cat(txcCategory));
cl::opt<std::string> dumpDir(
    "dump-ir",
    cl::desc("Write the IR after every stage to DIR as numbered files "
             "(01-import.mlir, 02-raise.mlir, 03-tx.mlir, ..., "
             "NN-model.ll)"),
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
cl::opt<std::string> quantizeMode(
    "quantize",
    cl::desc("Weight format of linear layers (docs/quantization.md): keep "
             "(default: each tensor as stored; GGUF block formats are "
             "multiplied packed), f32 (dequantize every weight: the dense "
             "reference), f16, bf16, int8, int4, int2, fp8 (e4m3), nvfp4 "
             "(e2m1, e4m3 scales per 16), mxfp4 (e2m1, power-of-two scales "
             "per 32)"),
    cl::value_desc("FORMAT"), cl::init("keep"), cl::cat(txcCategory));
cl::opt<int64_t> quantGroup(
    "quant-group",
    cl::desc("Values per scale along the input dimension for int8, int4, "
             "int2 and fp8 (default 32; 0: one scale per output row)"),
    cl::value_desc("N"), cl::init(32), cl::cat(txcCategory));
cl::opt<bool> quantZeroPoint(
    "quant-zero-point",
    cl::desc("Integer formats with a zero point per group (asymmetric); "
             "default symmetric"),
    cl::init(false), cl::cat(txcCategory));
cl::opt<std::string> quantMethod(
    "quant-method",
    cl::desc("How codes are chosen: rtn (round to nearest; needs no data) "
             "or awq (activation-aware scales; needs --calibration)"),
    cl::value_desc("METHOD"), cl::init("rtn"), cl::cat(txcCategory));
cl::opt<std::string> calibrationFile(
    "calibration",
    cl::desc("Statistics written by `txc calibrate MODEL --text FILE -o "
             "STATS`, for the passes that need data (--layer-skip's "
             "calibrated ranking, --mod-router=probe, --quant-method=awq, "
             "--quant-mixed)"),
    cl::value_desc("STATS"), cl::cat(txcCategory));
cl::list<std::string> quantKeep(
    "quant-keep",
    cl::desc("Linears --quantize leaves as they are: weight-name globs "
             "(blk.0.*) or lm-head; comma-separated, repeatable"),
    cl::value_desc("PATTERN"), cl::CommaSeparated, cl::cat(txcCategory));
cl::list<std::string> quantOverride(
    "quant-override",
    cl::desc("Another format for the linears whose weight name matches GLOB "
             "(a mixed-precision plan; the first match wins); repeatable"),
    cl::value_desc("GLOB=FORMAT"), cl::cat(txcCategory));
cl::opt<double> quantMixed(
    "quant-mixed",
    cl::desc("Mixed-precision plan from a sensitivity measurement: move the "
             "fraction F (0..1) of the linear weights' parameters to "
             "--quant-mixed-format, those whose move removes the most "
             "estimated output error per extra byte first (needs "
             "--calibration; default 0: none)"),
    cl::value_desc("F"), cl::init(0.0), cl::cat(txcCategory));
cl::opt<std::string> quantMixedFormat(
    "quant-mixed-format",
    cl::desc("The format --quant-mixed moves weights to (default int8)"),
    cl::value_desc("FORMAT"), cl::init("int8"), cl::cat(txcCategory));
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
cl::opt<std::string> kvQuant(
    "kv-quant",
    cl::desc("How the KV cache stores keys and values: f32 (default), int8 "
             "or fp8 (e4m3 codes with one f32 scale per (token, head) row), "
             "or int4 (KIVI: keys per channel over --kv-quant-group tokens, "
             "values per token over --kv-quant-group channels, the last "
             "--kv-quant-residual tokens in f32; contiguous caches only)"),
    cl::value_desc("f32|int8|fp8|int4"), cl::init("f32"), cl::cat(genCategory));
cl::opt<int64_t> kvQuantGroup(
    "kv-quant-group",
    cl::desc("--kv-quant=int4: tokens per key group and channels per value "
             "group, a power of two dividing the head size and --max-seq "
             "(default 0: the largest such power of two up to 32)"),
    cl::value_desc("N"), cl::init(0), cl::cat(genCategory));
cl::opt<int64_t> kvQuantResidual(
    "kv-quant-residual",
    cl::desc("--kv-quant=int4: the most recent tokens kept in f32 (default "
             "128; up to N + group - 1 are, until a whole key group is "
             "older)"),
    cl::value_desc("N"), cl::init(128), cl::cat(genCategory));
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

cl::opt<bool> quiet("q",
                    cl::desc("Print only errors and warnings: no progress, "
                             "no stage times, no notes"),
                    cl::cat(txcCategory));
cl::opt<bool> printDebugInfo(
    "print-locations",
    cl::desc("Print op locations (ONNX node names) in the output IR"),
    cl::cat(txcCategory));

/// Progress and messages on stderr. On a terminal the running stage is
/// shown on a line that its end (or the next message) overwrites.
class Console {
public:
  Console() : terminal(sys::Process::StandardErrIsDisplayed()) {}

  void stage(const txc::StageEvent &event) {
    if (quiet)
      return;
    switch (event.kind) {
    case txc::StageEvent::Kind::Step:
      if (!event.detail.empty())
        line("txc: " + event.detail.str());
      return;
    case txc::StageEvent::Kind::Begin:
      if (!terminal)
        return;
      clear();
      // The carriage return leaves the cursor at the start of the line, so
      // that a diagnostic printed meanwhile overwrites the progress text.
      errs() << "txc: " << event.name << " ...\r";
      errs().flush();
      open = true;
      return;
    case txc::StageEvent::Kind::End: {
      std::string text;
      raw_string_ostream os(text);
      os << "txc: " << format("%-8s", event.name.str().c_str()) << " "
         << format("%8.1f ms", event.milliseconds);
      line(text);
      return;
    }
    }
  }

  void message(const txc::Message &m) {
    if (quiet && m.severity == txc::Severity::Remark)
      return;
    clear();
    errs() << "txc: " << txc::severityPrefix(m.severity) << m.text << "\n";
  }

  /// Ends an open progress line (before the process exits).
  void finish() { clear(); }

private:
  void line(const std::string &text) {
    clear();
    errs() << text << "\n";
  }
  void clear() {
    if (!open)
      return;
    errs() << "\r\033[K";
    open = false;
  }

  bool terminal;
  bool open = false;
};

} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::SetVersionPrinter([](raw_ostream &os) {
    os << "txc " TXC_VERSION_STRING " (writes model format "
       << TXC_MODEL_FORMAT_VERSION << "; LLVM/MLIR " LLVM_VERSION_STRING ")\n";
  });
  // `txc calibrate ...` (Calibrate.cpp); everything else compiles.
  if (argc > 1 && StringRef(argv[1]) == "calibrate")
    return txc::runCalibrate(argc, argv);
  cl::HideUnrelatedOptions({&txcCategory, &genCategory});
  cl::ParseCommandLineOptions(
      argc, argv,
      "txc: ahead-of-time compiler for transformer inference\n\n"
      "  txc MODEL.onnx --emit=tx -o model.mlir --shape input_ids=1x128\n"
      "  txc model.gguf -o out/model.so\n\n"
      "Imports an ONNX model, a GGUF file or a Hugging Face folder (or reads "
      "tx IR from a .mlir file), raises it into tx ops and writes the IR of "
      "the requested stage.\n");

  Console console;
  txc::CompileOptions options;
  options.input.path = inputFile;
  for (const std::string &s : shapes) {
    std::pair<std::string, std::vector<int64_t>> shape;
    if (std::string err = txc::parseShapeText(s, shape); !err.empty()) {
      errs() << "txc: error: " << err << "\n";
      return 1;
    }
    options.input.shapes.push_back(std::move(shape));
  }
  if (quantizeMode.getNumOccurrences())
    if (std::string err = txc::setQuantize(options, quantizeMode);
        !err.empty()) {
      errs() << "txc: error: " << err << "\n";
      return 1;
    }
  options.graph.quantize.group = quantGroup;
  options.graph.quantize.zeroPoint = quantZeroPoint;
  options.graph.quantize.method = quantMethod;
  options.graph.calibration = calibrationFile;
  options.graph.quantize.keep = quantKeep;
  options.graph.quantize.overrides = quantOverride;
  options.graph.quantize.mixed = quantMixed;
  options.graph.quantize.mixedFormat = quantMixedFormat;
  options.graph.pipeline = graphPipeline;
  options.graph.layerSkipSpeedup = layerSkip;
  options.graph.skipLayers.assign(skipLayers.begin(), skipLayers.end());
  if (earlyExit.getNumOccurrences())
    options.graph.earlyExit = earlyExit;
  options.graph.earlyExitFrom = earlyExitFrom;
  options.graph.modCapacity = modCapacity;
  options.graph.modSchedule = modSchedule;
  options.graph.modRouter = modRouter;
  options.graph.modDecision = modDecision;
  options.graph.modWeighting = modWeighting;
  if (maxSeq.getNumOccurrences())
    options.generation.maxSeq = maxSeq;
  options.generation.kvBlock = kvBlock;
  options.generation.kvQuant = kvQuant;
  options.generation.kvQuantGroup = kvQuantGroup;
  options.generation.kvQuantResidual = kvQuantResidual;
  options.generation.prefillChunk = prefillChunk;
  options.generation.batch = genBatch;
  options.target.target = target;
  options.target.cpu.cpu = cpuName;
  options.target.cpu.optLevel = optLevel;
  options.target.loops.parallel = loopThreads;
  options.target.loops.minParallelWork = parallelWork;
  options.target.loops.vectorBits = vectorBits;
  options.target.loops.approximateMath = approximateMath;
  options.output.path = outputFile;
  options.output.weightsPath = weightsFile;
  options.output.dumpDir = dumpDir;
  options.output.printLocations = printDebugInfo;
  static const txc::Stage stages[] = {
      txc::Stage::Tx,     txc::Stage::Import, txc::Stage::Tx,
      txc::Stage::Linalg, txc::Stage::LLVM,   txc::Stage::Object,
      txc::Stage::Library};
  if (emitStage != Emit::Auto)
    options.output.stop = stages[int(emitStage.getValue())];

  txc::Session session;
  txc::Invocation invocation(session, std::move(options));
  // MLIR diagnostics keep their default printing (with source lines).
  invocation.setMessageHandler(
      [&](const txc::Message &m) { console.message(m); },
      /*diagnostics=*/false);
  invocation.setStageHandler(
      [&](const txc::StageEvent &e) { console.stage(e); });
  bool ok = succeeded(invocation.run());
  console.finish();
  return ok ? 0 : 1;
}
