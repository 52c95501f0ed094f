//===- Compiler.h - txc's compiler API: sessions and invocations -*- C++ -*-===//
//
// The embedding API of the compiler. A `Session` owns an MLIR context with
// txc's dialects and passes registered; an `Invocation` compiles one model
// with a `CompileOptions` (one options struct per concern: input, graph
// passes, generation, target, output) through the stages import -> raise ->
// graph passes -> KV cache -> linalg -> LLVM -> object -> shared library,
// reporting progress and, on request, the IR after every stage. The `txc`
// command is a client of this API (tools/txc/txc.cpp parses its flags into
// a CompileOptions); so are the C API (include/txc-c/Compiler.h) and the
// Python package.
//
// Errors are values: `Invocation::run` returns failure and every message
// (txc's own and the MLIR diagnostics of the passes) goes to the message
// handler. Without a handler, messages are printed to stderr as
// `txc: error: ...` (and MLIR diagnostics with their source location),
// which is what the command line shows.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_COMPILER_COMPILER_H
#define TXC_COMPILER_COMPILER_H

#include "txc/Compiler/Backend.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mlir {
class DialectRegistry;
class MLIRContext;
} // namespace mlir

namespace txc {

//===----------------------------------------------------------------------===//
// Options
//===----------------------------------------------------------------------===//

/// The stages of a compilation, in order. A compilation stops after the
/// stage its output asks for (`OutputOptions::stop`).
enum class Stage {
  /// The imported model: upstream ops plus the tx ops ONNX names directly.
  Import,
  /// Raised tx IR after the graph pipeline (and the KV cache rewrite when
  /// compiling for generation).
  Tx,
  /// tx ops decomposed into linalg on tensors.
  Linalg,
  /// Optimized LLVM IR (text).
  LLVM,
  /// An object file for the target.
  Object,
  /// A shared library for libtxrt, with its weights file beside it.
  Library,
};

struct CompileOptions;
/// Applies the --quantize spelling `value` ("keep", "f32", or a format of
/// QuantizeOptions) to `options`; returns an error message for an unknown
/// value, else "".
std::string setQuantize(CompileOptions &options, llvm::StringRef value);

/// "import", "tx", "linalg", "llvm", "obj", "so" (the --emit spelling).
llvm::StringRef stageName(Stage stage);
/// The stage named by `name` (the --emit spelling), if any.
std::optional<Stage> parseStageName(llvm::StringRef name);
/// The stage an output path asks for by its extension: .so, .o, .ll, else tx.
Stage stageForOutput(llvm::StringRef path);

/// What to compile (txc's positional argument and input flags).
struct InputOptions {
  /// MODEL.onnx, MODEL.gguf, a Hugging Face folder or tx IR (.mlir).
  /// Ignored when the invocation was given a module (`setInputModule`).
  std::string path;
  /// --shape NAME=DIMS: specializes input NAME; -1 keeps a dimension
  /// dynamic.
  std::vector<std::pair<std::string, std::vector<int64_t>>> shapes;
  /// --quantize for GGUF files and Hugging Face folders: keep each tensor's
  /// encoding (unset or Keep) or dequantize every weight to f32.
  enum class Weights { Keep, F32 };
  std::optional<Weights> weights;
};

/// --quantize and its companions: tx-quantize in the default graph pipeline
/// (docs/quantization.md).
struct QuantizeOptions {
  /// Empty: no tx-quantize; else a format (f32, f16, bf16, int8, int4, int2,
  /// fp8, nvfp4, mxfp4).
  std::string format;
  /// Values per scale along K (int8/int4/int2/fp8); 0: one per output row.
  int64_t group = 32;
  /// Integer formats with a zero point per group.
  bool zeroPoint = false;
  /// The method: rtn, or awq (needs GraphOptions::calibration).
  std::string method = "rtn";
  /// Linears left as they are (weight-name globs, or lm-head).
  std::vector<std::string> keep;
  /// GLOB=FORMAT: another format for the matching linears.
  std::vector<std::string> overrides;
  /// Mixed-precision plan: the fraction of the parameters moved to
  /// mixedFormat, most sensitive first (needs GraphOptions::calibration).
  double mixed = 0.0;
  std::string mixedFormat = "int8";
};

/// The graph-level passes on raised tx IR.
struct GraphOptions {
  /// A textual pass pipeline (e.g. `builtin.module(tx-layer-skip{speedup=2})`)
  /// run instead of the default pipeline; empty: buildDefaultPipeline.
  std::string pipeline;
  /// Target speed-up of static layer skipping in the default pipeline (1.0
  /// keeps every layer).
  double layerSkipSpeedup = 1.0;
  /// Layers removed explicitly (txc --skip-layers), instead of the
  /// speed-up rule.
  std::vector<int64_t> skipLayers;
  /// Dynamic early exit (txc --early-exit, tx-early-exit): a token stops
  /// after a layer whose residual input and output have cosine similarity
  /// >= this threshold; unset: no early exit (> 1: the control flow without
  /// exits, the dense result).
  std::optional<double> earlyExit;
  /// The stack position of the first layer a token may exit after
  /// (txc --early-exit-from).
  int64_t earlyExitFrom = 0;
  /// Mixture-of-depths routing (txc --mod-capacity, tx-mod-prune): the
  /// fraction of tokens routed layers run on; 0: no routing.
  double modCapacity = 0;
  std::string modSchedule = "constant";
  std::string modRouter = "update";
  /// How steps of several tokens choose (txc --mod-decision): topk or
  /// threshold; decode steps over a KV cache always use the threshold.
  std::string modDecision = "topk";
  /// --mod-router=checkpoint: none, mod or pmod (txc --mod-weighting).
  std::string modWeighting = "none";
  QuantizeOptions quantize;
  /// --calibration: the statistics file of `txc calibrate`, for the passes
  /// that need data (tx-quantize method=awq).
  std::string calibration;
  /// Instrument the model for `txc calibrate`: tx-calibration-taps in the
  /// default pipeline (one forward pass only; docs/calibration.md).
  bool calibrationTaps = false;
};

/// Generation: a decode step (and a prefill step) over an in-place KV
/// cache.
struct GenerationOptions {
  /// Positions of the KV cache. Unset: GGUF files and Hugging Face decoders
  /// compile for generation with their context length capped at 4096, every
  /// other model compiles one forward pass. 0: one forward pass.
  std::optional<int64_t> maxSeq;
  /// Paged cache with blocks of this many positions (0: one slab per
  /// layer); divides maxSeq.
  int64_t kvBlock = 0;
  /// How the cache stores keys and values: "f32", "int8" or "fp8" (e4m3),
  /// with one f32 scale per (token, head) row, or "int4" (KIVI: keys per
  /// channel over kvQuantGroup tokens, values per token over kvQuantGroup
  /// channels, the last kvQuantResidual tokens in f32).
  std::string kvQuant = "f32";
  /// 0: the largest power of two up to 32 dividing head_dim and maxSeq.
  int64_t kvQuantGroup = 0;
  int64_t kvQuantResidual = 128;
  /// Tokens the prefill step takes at once (at most maxSeq).
  int64_t prefillChunk = 64;
  /// Batch size of a dynamic-batch model compiled for generation.
  int64_t batch = 1;
};

/// Code generation.
struct TargetOptions {
  /// The target; only "cpu" so far.
  std::string target = "cpu";
  CPUTargetOptions cpu;
  CPULoopOptions loops;
};

/// Where the result goes.
struct OutputOptions {
  /// The output file; "-" writes IR stages to standard output, "" keeps
  /// the output of an IR stage (import .. llvm) in memory
  /// (`Invocation::outputText`). Object and library stages need a file.
  std::string path = "-";
  /// The weights file; empty: `path` with the extension .safetensors (not
  /// written when the output is not a file).
  std::string weightsPath;
  /// The stage to stop after; unset: from the extension of `path`.
  std::optional<Stage> stop;
  /// When set, the IR after every stage is also written to this directory
  /// as numbered files (01-import.mlir, 02-raise.mlir, ...).
  std::string dumpDir;
  /// Print op locations (ONNX node names) in IR output.
  bool printLocations = false;
};

/// Everything a compilation needs.
struct CompileOptions {
  InputOptions input;
  GraphOptions graph;
  GenerationOptions generation;
  TargetOptions target;
  OutputOptions output;
};

//===----------------------------------------------------------------------===//
// Events
//===----------------------------------------------------------------------===//

/// Remark: information the command line hides with -q (a tokenizer that
/// is missing, weights not written); Note: context of an error.
enum class Severity { Remark, Note, Warning, Error };

/// How the command line prefixes a message of `severity` after "txc: "
/// ("note: ", "warning: ", "error: "; remarks print as notes).
llvm::StringRef severityPrefix(Severity severity);

/// A message of the compilation: txc's own (`location` empty) or an MLIR
/// diagnostic (`location` is its source location, e.g. `model.mlir:3:5` or
/// an ONNX node name).
struct Message {
  Severity severity;
  std::string text;
  std::string location;
  /// Notes attached to an MLIR diagnostic, already formatted.
  std::vector<std::string> notes;
};

/// Progress of a compilation.
struct StageEvent {
  enum class Kind {
    /// A step of a generation model begins ("decode", "prefill"); `detail`
    /// says how many tokens the step takes.
    Step,
    /// A stage begins (`module` is null).
    Begin,
    /// A stage ended; `module` is the IR after it (null after stages that
    /// produce no MLIR: "llvm-opt", "codegen", "link", "weights", "load").
    End,
  };
  Kind kind;
  /// The stage: load, build, parse, import, probe, raise, tx, kv-cache,
  /// linalg, llvm, llvm-opt, codegen, link, weights.
  llvm::StringRef name;
  /// The generation step this stage belongs to ("decode", "prefill"), or
  /// empty for a single forward pass.
  llvm::StringRef step;
  /// Step: a description of the step.
  llvm::StringRef detail;
  /// End: wall time of the stage in milliseconds.
  double milliseconds = 0;
  mlir::ModuleOp module;
};

//===----------------------------------------------------------------------===//
// Session and invocation
//===----------------------------------------------------------------------===//

/// Adds everything a txc compilation needs to `registry`: tx, txcpu and the
/// upstream dialects with their external models (bufferization, LLVM
/// translation).
void registerCompilerDialects(mlir::DialectRegistry &registry);

/// An MLIR context with txc's dialects loaded and its passes (and the
/// upstream passes, for textual pipelines) registered. One compilation at a
/// time per session; sessions on different threads are independent.
class Session {
public:
  Session();
  /// Uses `context` (owned by the caller, who keeps it alive longer than
  /// the session): txc's dialects and external models are appended to its
  /// registry and loaded.
  explicit Session(mlir::MLIRContext &context);
  ~Session();
  Session(const Session &) = delete;
  Session &operator=(const Session &) = delete;

  mlir::MLIRContext &getContext();

private:
  std::unique_ptr<mlir::MLIRContext> owned;
  mlir::MLIRContext *context;
};

/// One compilation.
class Invocation {
public:
  Invocation(Session &session, CompileOptions options);
  ~Invocation();
  Invocation(const Invocation &) = delete;
  Invocation &operator=(const Invocation &) = delete;

  /// Compiles a module of the session's context (tx IR, as a .mlir input
  /// would be) instead of `options.input.path`. The module is cloned; the
  /// caller keeps it.
  void setInputModule(mlir::ModuleOp module);

  /// Receives every message. Without a handler they are printed to stderr.
  /// With `diagnostics` false the handler receives txc's own messages only
  /// and MLIR diagnostics are printed to stderr with their source lines
  /// (what the command line does).
  void setMessageHandler(std::function<void(const Message &)> handler,
                         bool diagnostics = true);
  /// Receives progress; `StageEvent::module` is valid during the call only.
  void setStageHandler(std::function<void(const StageEvent &)> handler);

  /// Runs the compilation up to `options.output.stop`. Outputs appear only
  /// on success: they are written under temporary names and renamed into
  /// place at the end (a failed or interrupted compilation leaves none).
  mlir::LogicalResult run();

  /// After a successful run with `output.path` empty: the IR text of the
  /// stage asked for.
  const std::string &outputText() const;
  /// After a successful run: the files written (output, weights,
  /// tokenizer).
  const std::vector<std::string> &writtenFiles() const;
  /// Every error message of the last run, one per line (for callers that
  /// report a failure without a handler of their own).
  std::string errorText() const;

  const CompileOptions &getOptions() const;

  class Impl;

private:
  std::unique_ptr<Impl> impl;
};

/// Parses `--shape` text NAME=DIMS (e.g. input_ids=1x128, ? for a dynamic
/// dimension) into `shape`; an error message or "".
std::string parseShapeText(llvm::StringRef text,
                           std::pair<std::string, std::vector<int64_t>> &shape);

} // namespace txc

#endif // TXC_COMPILER_COMPILER_H
