//===- Calibrate.cpp - txc calibrate: activation statistics of a model ----===//
//
// txc calibrate MODEL --text FILE -o STATS [--context N] [--max-tokens N]
//               [--threads N] [--keep-model DIR] [--tokenizer PATH]
//
// Compiles MODEL through the compiler API as one forward pass of --context
// tokens with the tx-calibration-taps pass in its graph pipeline (every
// linear layer's input reduced to per-channel sums of |x| and x^2, returned
// as extra outputs), loads the library with libtxrt, runs it on the
// tokenized text window by window, accumulates the sums in double and
// writes their means per linear layer, keyed by the layer's stored weight,
// to one safetensors statistics file (the schema is in
// docs/calibration.md). The file appears only when everything succeeded.
//
//===----------------------------------------------------------------------===//

#include "Calibrate.h"

#include "RunCore.h"
#include "txc-c/txrt.h"
#include "txc/Compiler/Compiler.h"
#include "txc/Support/Safetensors.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

using namespace llvm;

namespace {

/// Version of the statistics file's schema (docs/calibration.md): bumped
/// when the meaning of a tensor changes.
constexpr const char *kStatsVersion = "1";

/// The prefix of the outputs tx-calibration-taps adds.
constexpr StringLiteral kTapPrefix = "calib.";

struct CalibrateOptions {
  cl::OptionCategory category{"txc calibrate options"};
  cl::opt<std::string> model{
      cl::Positional,
      cl::desc("MODEL.gguf | HF-FOLDER | MODEL.onnx | MODEL.mlir"),
      cl::Required, cl::cat(category)};
  cl::opt<std::string> text{
      "text",
      cl::desc("The calibration text (its bytes exactly; '-' reads standard "
               "input). Decoders read it as one token stream, tokenized "
               "without BOS unless the tokenizer's rules add one; models "
               "with an attention_mask input and no logits output "
               "(encoders) read one sequence per non-empty line"),
      cl::value_desc("FILE"), cl::cat(category)};
  cl::opt<std::string> output{
      "o",
      cl::desc("The statistics file to write (safetensors; written under a "
               "temporary name and renamed into place at the end)"),
      cl::value_desc("STATS"), cl::cat(category)};
  cl::opt<int64_t> context{
      "context",
      cl::desc("Tokens per window: the model is compiled for one forward "
               "pass of N tokens (default 512; at least 2)"),
      cl::value_desc("N"), cl::init(512), cl::cat(category)};
  cl::opt<int64_t> maxTokens{
      "max-tokens",
      cl::desc("Use only the first N tokens of the text (at least 2)"),
      cl::value_desc("N"), cl::init(0), cl::cat(category)};
  cl::opt<int> threads{
      "threads",
      cl::desc("Threads the model runs on (default: the model's own "
               "default, all cores)"),
      cl::value_desc("N"), cl::init(0), cl::cat(category)};
  cl::opt<std::string> keepModel{
      "keep-model",
      cl::desc("Write the instrumented model (model.so, its weights and "
               "tokenizer) to DIR and keep it (default: a temporary "
               "directory, removed at the end)"),
      cl::value_desc("DIR"), cl::cat(category)};
  cl::opt<std::string> tokenizer{
      "tokenizer",
      cl::desc("The tokenizer, instead of the model's own (needed for ONNX "
               "and tx IR models): a Hugging Face tokenizer.json or its "
               "folder, a .gguf file, or a txc tokenizer JSON"),
      cl::value_desc("PATH"), cl::cat(category)};
  cl::opt<bool> verbose{
      "verbose",
      cl::desc("Print the compilation's stages and one line per window on "
               "stderr (on a terminal the window count is shown anyway)"),
      cl::cat(category)};
  // Routed calibration: the causal thresholds of mixture-of-depths under
  // routing (docs/calibration.md).
  cl::opt<double> modCapacity{
      "mod-capacity",
      cl::desc("Calibrate mixture-of-depths thresholds under routing: run "
               "the text through the model routed at capacity C (top-k per "
               "window) and record, per routed layer, the median score of "
               "the last token kept (layer.I.route_threshold), the causal "
               "threshold txc --mod-capacity=C then uses; the file is for "
               "that capacity, schedule and router only"),
      cl::value_desc("C"), cl::init(0.0), cl::cat(category)};
  cl::opt<std::string> modSchedule{
      "mod-schedule", cl::desc("--mod-capacity: constant or pmod"),
      cl::value_desc("constant|pmod"), cl::init("constant"),
      cl::cat(category)};
  cl::opt<std::string> modRouter{
      "mod-router",
      cl::desc("--mod-capacity: update or probe (the probe from "
               "--calibration, an earlier dense calibration)"),
      cl::value_desc("update|probe"), cl::init("update"), cl::cat(category)};
  cl::opt<std::string> calibration{
      "calibration",
      cl::desc("--mod-router=probe: the statistics of a dense `txc "
               "calibrate` holding layer.I.probe"),
      cl::value_desc("STATS"), cl::cat(category)};
};

int fail(const Twine &message) {
  errs() << "txc: error: " << message << "\n";
  return 1;
}

/// A buffer of `bytes` bytes aligned to 64.
struct Buffer {
  explicit Buffer(size_t bytes) : storage(bytes + 64) {
    uintptr_t start = reinterpret_cast<uintptr_t>(storage.data());
    data = storage.data() + (64 - start % 64) % 64;
  }
  std::vector<char> storage;
  char *data;
};

/// What the instrumented model takes and gives.
struct ModelIO : txcrun::TokenInputs {
  /// A decoder (it has a `logits` output or a `position_ids` input): the
  /// text is one token stream.
  bool decoder = false;
  /// The upper bound of token ids the model checks, if any.
  int64_t vocab = 0;
  /// Output index of calib.tokens.
  int tokensOutput = -1;
};

/// One linear's accumulated statistics.
/// The sums a layer's linear probe is fitted from (CalibrationTaps'
/// buildProbeSums), over every window, and the fit.
struct Probe {
  int xx = -1, x = -1, xt = -1, t = -1;
  int64_t d = 0;
  std::vector<double> sxx, sx, sxt;
  double st = 0;

  void accumulate(const std::vector<void *> &outputs) {
    if (sxx.empty()) {
      sxx.assign(d * d, 0.0);
      sx.assign(d, 0.0);
      sxt.assign(d, 0.0);
    }
    const float *a = static_cast<const float *>(outputs[xx]);
    for (int64_t i = 0; i < d * d; ++i)
      sxx[i] += a[i];
    const float *b = static_cast<const float *>(outputs[x]);
    const float *c = static_cast<const float *>(outputs[xt]);
    for (int64_t i = 0; i < d; ++i) {
      sx[i] += b[i];
      sxt[i] += c[i];
    }
    st += *static_cast<const float *>(outputs[t]);
  }

  /// Solves (A + lambda I') w = r for w = [weights; bias], A = [[sum x x^T,
  /// sum x], [sum x^T, n]], r = [sum t x; sum t], lambda = 1e-3 x the mean
  /// of A's first d diagonal entries (the bias is not penalized), by
  /// Cholesky in double. "" or why it cannot.
  std::string solve(double n, std::vector<float> &out) const {
    if (xx < 0 || x < 0 || xt < 0 || t < 0 || sxx.empty())
      return "the instrumented model lacks some of its probe sums";
    const int64_t m = d + 1;
    std::vector<double> a(m * m), r(m);
    double trace = 0;
    for (int64_t i = 0; i < d; ++i)
      trace += sxx[i * d + i];
    double lambda = 1e-3 * (trace > 0 ? trace / d : 1.0);
    for (int64_t i = 0; i < d; ++i) {
      for (int64_t j = 0; j < d; ++j)
        a[i * m + j] = sxx[i * d + j];
      a[i * m + i] += lambda;
      a[i * m + d] = a[d * m + i] = sx[i];
      r[i] = sxt[i];
    }
    a[d * m + d] = n;
    r[d] = st;
    // A = L L^T in place (lower triangle).
    for (int64_t j = 0; j < m; ++j) {
      double diag = a[j * m + j];
      for (int64_t k = 0; k < j; ++k)
        diag -= a[j * m + k] * a[j * m + k];
      if (!(diag > 0))
        return "its probe's normal equations are not positive definite";
      a[j * m + j] = std::sqrt(diag);
      for (int64_t i = j + 1; i < m; ++i) {
        double v = a[i * m + j];
        for (int64_t k = 0; k < j; ++k)
          v -= a[i * m + k] * a[j * m + k];
        a[i * m + j] = v / a[j * m + j];
      }
    }
    for (int64_t i = 0; i < m; ++i) { // L y = r
      for (int64_t k = 0; k < i; ++k)
        r[i] -= a[i * m + k] * r[k];
      r[i] /= a[i * m + i];
    }
    for (int64_t i = m - 1; i >= 0; --i) { // L^T w = y
      for (int64_t k = i + 1; k < m; ++k)
        r[i] -= a[k * m + i] * r[k];
      r[i] /= a[i * m + i];
    }
    out.assign(r.begin(), r.end());
    return "";
  }
};

/// Percentiles 0, 1, ..., 100 of `v` (sorted in place; linear
/// interpolation between order statistics, as NumPy's default).
std::vector<float> percentiles(std::vector<float> &v) {
  llvm::sort(v);
  std::vector<float> q(101);
  for (int p = 0; p <= 100; ++p) {
    double at = p / 100.0 * double(v.size() - 1);
    size_t lo = size_t(at), hi = std::min(lo + 1, v.size() - 1);
    q[p] = float(v[lo] + (at - double(lo)) * (double(v[hi]) - v[lo]));
  }
  return q;
}

struct Stat {
  int64_t k = 0;
  std::vector<double> absSum, sqSum;
  double count = 0;
};

/// The outputs of one reduction: `calib.W[#n].abs_sum`, `.sq_sum` and,
/// for inputs that are not one row per token, `.count`.
struct TapGroup {
  std::string weight;
  int abs = -1, sq = -1, count = -1;
};

/// Splits an output name `calib.W[#n].STAT` into the reduction's name
/// (`calib.W[#n]`), the weight W and STAT; false for other outputs.
bool parseTapName(StringRef name, StringRef &group, StringRef &weight,
                  StringRef &stat) {
  if (!name.starts_with(kTapPrefix) || name == "calib.tokens")
    return false;
  size_t dot = name.rfind('.');
  group = name.take_front(dot);
  stat = name.drop_front(dot + 1);
  if (stat != "abs_sum" && stat != "sq_sum" && stat != "count")
    return false;
  weight = group.drop_front(kTapPrefix.size());
  size_t hash = weight.rfind('#');
  if (hash != StringRef::npos && hash + 1 < weight.size() &&
      llvm::all_of(weight.drop_front(hash + 1), isDigit))
    weight = weight.take_front(hash);
  return !weight.empty();
}

std::string describeInputs(txrt_model *model, StringRef path, ModelIO &io) {
  if (std::string message = txcrun::describeTokenInputs(
          model, path, /*positions=*/true,
          "txc calibrate feeds input_ids, attention_mask, token_type_ids and "
          "position_ids only",
          io);
      !message.empty())
    return message;
  if (io.ids < 0)
    return ("model '" + path + "' has no input_ids input").str();
  int hasRange = 0;
  int64_t low = 0, high = 0;
  if (txrt_model_input_range(model, io.ids, &hasRange, &low, &high) ==
          TXRT_OK &&
      hasRange)
    io.vocab = high;
  io.decoder = io.positions >= 0;
  for (size_t i = 0, e = txrt_model_num_outputs(model); i < e; ++i) {
    txrt_tensor_info out;
    if (txrt_model_output_info(model, i, &out) != TXRT_OK)
      return txrt_last_error();
    if (StringRef(out.name) == "logits")
      io.decoder = true;
    if (StringRef(out.name) == "calib.tokens")
      io.tokensOutput = int(i);
  }
  return "";
}

/// Writes `value` into element `index` of an i64 or i32 input.
void store(const txrt_tensor_info &info, char *base, int64_t index,
           int64_t value) {
  if (info.dtype == TXRT_DTYPE_I64) {
    std::memcpy(base + index * 8, &value, 8);
  } else {
    int32_t narrow = int32_t(value);
    std::memcpy(base + index * 4, &narrow, 4);
  }
}

/// The sequences the text is cut into: one row each, at most `seq` tokens.
struct Sequence {
  std::vector<int32_t> tokens;
};

/// A model argument's file name: the last component of the path, without
/// trailing separators (a Hugging Face folder given as `dir/`).
std::string displayName(StringRef path) {
  while (path.size() > 1 && sys::path::is_separator(path.back()))
    path = path.drop_back();
  return sys::path::filename(path).str();
}

/// The weights file a tx IR model names (its module's `tx.weights`),
/// resolved against the directory of `path`; "" when it names none.
Error mlirWeights(StringRef path, std::string &weights) {
  txc::Session session;
  mlir::ParserConfig config(&session.getContext());
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceFile<mlir::ModuleOp>(path, config);
  if (!module)
    return createStringError("cannot read the module of '" + path + "'");
  auto name = (*module)->getAttrOfType<mlir::StringAttr>("tx.weights");
  if (!name)
    return Error::success();
  SmallString<256> resolved(name.getValue());
  if (sys::path::is_relative(resolved)) {
    resolved = sys::path::parent_path(path);
    sys::path::append(resolved, name.getValue());
  }
  weights = std::string(resolved);
  return Error::success();
}

} // namespace

int txc::runCalibrate(int argc, char **argv) {
  // txc's own flags share the global registry: release the names this
  // command uses, and the compile command's positional model.
  static const StringRef names[] = {
      "text",      "o",         "context",      "max-tokens",
      "threads",   "keep-model", "tokenizer",   "verbose",
      "mod-capacity", "mod-schedule", "mod-router", "calibration"};
  auto &registered = cl::getRegisteredOptions();
  for (StringRef name : names)
    if (cl::Option *option = registered.lookup(name))
      option->removeArgument();
  const auto &topLevel = cl::SubCommand::getTopLevel().PositionalOpts;
  SmallVector<cl::Option *> positionals(topLevel.begin(), topLevel.end());
  for (cl::Option *option : positionals)
    option->removeArgument();

  CalibrateOptions o;
  cl::HideUnrelatedOptions(o.category);
  std::string program = "txc calibrate";
  std::vector<char *> args = {program.data()};
  args.insert(args.end(), argv + 2, argv + argc);
  cl::ParseCommandLineOptions(
      int(args.size()), args.data(),
      "txc calibrate: activation statistics for data-aware passes\n\n"
      "  txc calibrate model.gguf --text wiki.txt -o stats.safetensors\n"
      "  txc model.gguf --quantize=int4 --quant-method=awq "
      "--calibration=stats.safetensors -o out/model.so\n\n"
      "Compiles MODEL for one forward pass of --context tokens with every "
      "linear layer's input reduced to per-channel sums (tx-calibration-"
      "taps), runs it on the text window by window and writes, for every "
      "linear layer keyed by its stored weight W, W.act_abs_mean (mean |x| "
      "per input channel) and W.act_sq_mean (mean x^2) as f32 tensors to "
      "STATS, a safetensors file whose __metadata__ says format "
      "txc-calibration, version, tokens, windows, context, model and text "
      "(docs/calibration.md). Decoders read the text as one token stream "
      "cut into windows of --context tokens (a last partial window is "
      "dropped, or padded and masked when the model has an attention_mask "
      "input); encoders with an attention_mask read one padded sequence "
      "per non-empty line, and padding never counts.\n");

  auto start = std::chrono::steady_clock::now();
  if (o.text.empty())
    return fail("give the calibration text with --text FILE");
  if (o.output.empty())
    return fail("give the statistics file to write with -o STATS");
  if (o.context < 2 || o.context > (int64_t(1) << 20))
    return fail("--context must be between 2 and 1048576, got " +
                Twine(o.context));
  if (o.maxTokens.getNumOccurrences() && o.maxTokens < 2)
    return fail("--max-tokens must be at least 2, got " + Twine(o.maxTokens));
  if (o.threads.getNumOccurrences() && o.threads < 1)
    return fail("--threads must be at least 1, got " + Twine(o.threads));
  const bool routed = o.modCapacity.getNumOccurrences() > 0;
  if (routed && !(o.modCapacity > 0.0 && o.modCapacity < 1.0))
    return fail("--mod-capacity must be in (0, 1) (capacity 1 needs no "
                "threshold), got " + std::to_string(o.modCapacity.getValue()));
  if (!routed && (o.modSchedule.getNumOccurrences() ||
                  o.modRouter.getNumOccurrences() ||
                  o.calibration.getNumOccurrences()))
    return fail("--mod-schedule, --mod-router and --calibration need "
                "--mod-capacity");
  if (routed && o.modRouter == "probe" && o.calibration.empty())
    return fail("--mod-router=probe needs --calibration=STATS (a dense `txc "
                "calibrate` of this model, with layer.I.probe)");

  if (!sys::fs::exists(o.model))
    return fail("cannot open model '" + o.model + "': no such file");
  // The output must be writable before the (long) compilation starts.
  {
    SmallString<256> dir(o.output);
    sys::path::remove_filename(dir);
    if (dir.empty())
      dir = ".";
    if (sys::fs::is_directory(o.output))
      return fail("-o: '" + o.output + "' is a directory");
    if (!sys::fs::is_directory(dir))
      return fail("-o: cannot write '" + o.output + "': directory '" + dir +
                  "' does not exist");
    if (sys::fs::access(dir, sys::fs::AccessMode::Write))
      return fail("-o: cannot write '" + o.output + "': directory '" + dir +
                  "' is not writable");
  }
  std::string text;
  if (std::string message = txcrun::readTextFile(o.text, "--text", text);
      !message.empty())
    return fail(message);
  if (text.empty())
    return fail("--text: '" + o.text + "' is empty");

  // The instrumented model goes to --keep-model or a temporary directory.
  SmallString<256> dir;
  bool temporary = o.keepModel.empty();
  if (temporary) {
    SmallString<256> base;
    sys::path::system_temp_directory(/*ErasedOnReboot=*/true, base);
    sys::path::append(base, "txc-calibrate");
    if (std::error_code ec = sys::fs::createUniqueDirectory(base, dir))
      return fail("cannot create a temporary directory in '" +
                  sys::path::parent_path(base) + "': " + ec.message());
  } else {
    dir = o.keepModel;
    if (std::error_code ec = sys::fs::create_directories(dir))
      return fail("--keep-model: cannot create '" + o.keepModel +
                  "': " + ec.message());
  }
  scope_exit cleanup([&] {
    if (temporary)
      sys::fs::remove_directories(dir);
  });
  SmallString<256> soPath(dir);
  sys::path::append(soPath, "model.so");

  bool terminal = sys::Process::StandardErrIsDisplayed();
  {
    CompileOptions options;
    options.input.path = o.model;
    options.input.shapes.push_back({"input_ids", {1, o.context}});
    options.generation.maxSeq = 0;
    options.graph.calibrationTaps = true;
    if (routed) {
      // Top-k per window; tx-calibration-taps then returns each route's
      // scores and kept indices.
      options.graph.modCapacity = o.modCapacity;
      options.graph.modSchedule = o.modSchedule;
      options.graph.modRouter = o.modRouter;
      options.graph.calibration = o.calibration;
    }
    options.output.path = std::string(soPath);
    options.output.stop = Stage::Library;
    Session session;
    Invocation invocation(session, std::move(options));
    invocation.setMessageHandler(
        [&](const Message &m) {
          if (m.severity == Severity::Remark && !o.verbose)
            return;
          errs() << "txc: " << severityPrefix(m.severity) << m.text << "\n";
        },
        /*diagnostics=*/false);
    invocation.setStageHandler([&](const StageEvent &e) {
      if (o.verbose && e.kind == StageEvent::Kind::End)
        errs() << "txc: " << llvm::format("%-8s", e.name.str().c_str()) << " "
               << llvm::format("%8.1f ms", e.milliseconds) << "\n";
    });
    if (terminal && !o.verbose)
      errs() << "txc calibrate: compiling '" << o.model << "' ...\r";
    bool ok = succeeded(invocation.run());
    if (terminal && !o.verbose)
      errs() << "\r\033[K";
    if (!ok) {
      errs() << "txc: note: txc calibrate compiles MODEL for one forward "
                "pass of --context "
             << o.context << " tokens (input_ids 1x" << o.context << ")\n";
      return 1;
    }
  }

  // tx IR reads its weights from the file its module names (relative to
  // the .mlir file); other inputs have theirs written beside the library.
  std::string weights;
  if (StringRef(o.model).ends_with(".mlir")) {
    if (Error e = mlirWeights(o.model, weights))
      return fail(toString(std::move(e)));
  }
  txrt_model *loaded = nullptr;
  if (txrt_model_load(soPath.c_str(),
                      weights.empty() ? nullptr : weights.c_str(),
                      &loaded) != TXRT_OK)
    return fail(txrt_last_error());
  txcrun::ModelPtr model(loaded);
  if (o.threads.getNumOccurrences() &&
      txrt_set_num_threads(loaded, o.threads) != TXRT_OK)
    return fail(txrt_last_error());
  ModelIO io;
  if (std::string message = describeInputs(loaded, o.model, io);
      !message.empty())
    return fail(message);

  // The tap outputs, by reduction, and the statistics by weight, in
  // output order.
  size_t numOutputs = txrt_model_num_outputs(loaded);
  std::vector<txrt_tensor_info> outputInfo(numOutputs);
  MapVector<StringRef, TapGroup> groups;
  MapVector<StringRef, Stat> stats;
  // Per-layer cosine sums (`calib.layer.I.cos_sum`): output index and sum.
  MapVector<StringRef, std::pair<int, double>> cosines;
  // Per-layer probe sums (`calib.layer.I.probe_{xx,x,xt,t}`).
  MapVector<StringRef, Probe> probes;
  // Per-layer update scores of every real token
  // (`calib.layer.I.route_update`, [batch, seq]): output index and values.
  MapVector<StringRef, std::pair<int, std::vector<float>>> updates;
  // Per-layer input rows (`calib.layer.I.rows`, [..., D] f32): output
  // index and a sample of tokens' rows, scored by the fitted probe.
  MapVector<StringRef, std::pair<int, std::vector<float>>> sampledRows;
  // Routed calibration: per routed layer, the score of the last token each
  // window kept.
  struct RouteTap {
    int scores = -1, indices = -1;
    std::vector<float> boundaries;
  };
  std::map<std::string, RouteTap> routes;
  for (size_t i = 0; i < numOutputs; ++i) {
    if (txrt_model_output_info(loaded, i, &outputInfo[i]) != TXRT_OK)
      return fail(txrt_last_error());
    const txrt_tensor_info &info = outputInfo[i];
    if (StringRef name = info.name; name.starts_with("calib.layer.") &&
                                    name.contains(".probe_")) {
      StringRef layer = name.drop_front(strlen("calib."));
      StringRef part = layer.substr(layer.rfind(".probe_") + 7);
      layer = layer.take_front(layer.rfind(".probe_"));
      Probe &probe = probes[layer];
      int64_t d = info.rank ? info.dims[0] : 0;
      bool ok = info.dtype == TXRT_DTYPE_F32 &&
                ((part == "xx" && info.rank == 2 && info.dims[1] == d) ||
                 ((part == "x" || part == "xt") && info.rank == 1) ||
                 (part == "t" && info.rank == 1 && d == 1));
      if (!ok || (part != "t" && probe.d && probe.d != d))
        return fail("output '" + Twine(info.name) +
                    "' of the instrumented model has an unexpected shape");
      if (part != "t")
        probe.d = d;
      (part == "xx"   ? probe.xx
       : part == "x"  ? probe.x
       : part == "xt" ? probe.xt
                      : probe.t) = int(i);
      continue;
    }
    if (StringRef name = info.name; name.starts_with("calib.route.")) {
      // calib.route.I.scores ([B, S] f32) and .indices ([B, k] i64).
      StringRef rest = name.drop_front(strlen("calib.route."));
      StringRef layer = rest.take_until([](char c) { return c == '.'; });
      StringRef part = rest.drop_front(layer.size() + 1);
      RouteTap &tap = routes["layer." + layer.str()];
      bool ok = info.rank == 2 &&
                ((part == "scores" && info.dtype == TXRT_DTYPE_F32) ||
                 (part == "indices" && info.dtype == TXRT_DTYPE_I64));
      if (!ok)
        return fail("output '" + Twine(info.name) +
                    "' of the instrumented model has an unexpected type");
      (part == "scores" ? tap.scores : tap.indices) = int(i);
      continue;
    }
    if (StringRef name = info.name;
        name.starts_with("calib.layer.") && name.ends_with(".rows")) {
      if (info.dtype != TXRT_DTYPE_F32 || info.rank < 2)
        return fail("output '" + Twine(info.name) +
                    "' of the instrumented model is not f32 rows");
      sampledRows[name.drop_front(strlen("calib.")).drop_back(strlen(".rows"))] =
          {int(i), {}};
      continue;
    }
    if (StringRef name = info.name; name.starts_with("calib.layer.") &&
                                    name.ends_with(".route_update")) {
      if (info.dtype != TXRT_DTYPE_F32 || info.rank != 2)
        return fail("output '" + Twine(info.name) +
                    "' of the instrumented model is not [batch, seq] f32");
      updates[name.drop_front(strlen("calib."))
                  .drop_back(strlen(".route_update"))] = {int(i), {}};
      continue;
    }
    if (StringRef name = info.name;
        name.starts_with("calib.layer.") && name.ends_with(".cos_sum")) {
      if (info.dtype != TXRT_DTYPE_F32 || info.rank != 1 || info.dims[0] != 1)
        return fail("output '" + Twine(info.name) +
                    "' of the instrumented model is not one f32 value");
      cosines[name.drop_front(strlen("calib.")).drop_back(strlen(".cos_sum"))] =
          {int(i), 0.0};
      continue;
    }
    StringRef group, weight, kind;
    if (!parseTapName(info.name, group, weight, kind))
      continue;
    if (info.dtype != TXRT_DTYPE_F32 || info.rank != 1)
      return fail("output '" + Twine(info.name) +
                  "' of the instrumented model is not an f32 vector");
    TapGroup &tap = groups[group];
    tap.weight = weight.str();
    (kind == "abs_sum"  ? tap.abs
     : kind == "sq_sum" ? tap.sq
                        : tap.count) = int(i);
    if (kind == "count")
      continue;
    Stat &stat = stats[weight];
    if (stat.k && stat.k != info.dims[0])
      return fail("weight '" + tap.weight +
                  "' is read by linears of different input widths");
    stat.k = info.dims[0];
    stat.absSum.assign(stat.k, 0.0);
    stat.sqSum.assign(stat.k, 0.0);
  }
  for (auto &[name, tap] : groups)
    if (tap.abs < 0 || tap.sq < 0)
      return fail("the instrumented model lacks an output of '" + name + "'");
  if (groups.empty())
    return fail("model '" + o.model +
                "' has no linear layer that multiplies by a stored weight: "
                "nothing to calibrate");
  if (io.tokensOutput < 0)
    return fail("the instrumented model has no calib.tokens output");

  std::unique_ptr<txc::Tokenizer> tokenizer;
  if (std::string message =
          txcrun::findTokenizer(loaded, o.model, o.tokenizer, "", tokenizer);
      !message.empty())
    return fail(message);
  if (io.vocab && tokenizer->vocabSize() > io.vocab)
    return fail("the tokenizer has " + Twine(tokenizer->vocabSize()) +
                " tokens but model '" + o.model + "' embeds " +
                Twine(io.vocab));

  // Cut the text into sequences of at most `seq` tokens.
  const int64_t seq = io.seq, batch = io.batch;
  std::string textLabel = "--text: '" + o.text + "'";
  std::vector<Sequence> sequences;
  int64_t dropped = 0;
  bool lines = !io.decoder && io.mask >= 0;
  int64_t budget =
      o.maxTokens.getNumOccurrences() ? int64_t(o.maxTokens) : INT64_MAX;
  if (lines) {
    SmallVector<StringRef> all;
    StringRef(text).split(all, '\n');
    for (StringRef line : all) {
      line = line.rtrim("\r");
      if (line.trim().empty() || budget <= 0)
        continue;
      std::vector<int32_t> tokens = tokenizer->encode(line, true, false);
      if (tokens.empty())
        continue;
      if (int64_t(tokens.size()) > seq) {
        // Too long: keep the start and the last token ([SEP]).
        int32_t last = tokens.back();
        tokens.resize(seq);
        tokens.back() = last;
      }
      if (int64_t(tokens.size()) > budget)
        tokens.resize(budget);
      budget -= tokens.size();
      sequences.push_back({std::move(tokens)});
    }
    if (sequences.empty())
      return fail(textLabel + " has no non-empty line to run");
  } else {
    std::vector<int32_t> ids = tokenizer->encode(text, true, false);
    if (int64_t(ids.size()) > budget)
      ids.resize(budget);
    if (ids.size() < 2)
      return fail(textLabel + " has " + Twine(ids.size()) +
                  " token(s); txc calibrate needs at least 2");
    int64_t total = ids.size();
    // Without a mask every position counts: only whole windows run, and
    // only whole batches of them.
    int64_t step = io.mask >= 0 ? 1 : batch;
    int64_t whole = io.mask >= 0 ? (total + seq - 1) / seq : total / seq;
    whole -= whole % step;
    if (whole == 0)
      return fail(textLabel + " has " + Twine(total) + " tokens, fewer than " +
                  (batch > 1 && io.mask < 0 ? Twine(batch) + " windows of "
                                            : Twine("")) +
                  "--context " + Twine(seq) +
                  ": give a longer text or a smaller --context");
    for (int64_t w = 0; w < whole; ++w) {
      int64_t begin = w * seq, end = std::min(total, begin + seq);
      sequences.push_back(
          {std::vector<int32_t>(ids.begin() + begin, ids.begin() + end)});
    }
    dropped = total - std::min(total, whole * seq);
  }

  // Buffers, reused by every run.
  std::vector<Buffer> inputBuffers, outputBuffers;
  std::vector<const void *> inputs;
  std::vector<void *> outputs;
  for (const txrt_tensor_info &in : io.inputs) {
    inputBuffers.emplace_back(in.byte_size);
    inputs.push_back(inputBuffers.back().data);
  }
  for (const txrt_tensor_info &out : outputInfo) {
    outputBuffers.emplace_back(out.byte_size);
    outputs.push_back(outputBuffers.back().data);
  }

  int64_t runs = (int64_t(sequences.size()) + batch - 1) / batch;
  double tokens = 0;
  // The probe's percentiles come from every `rowStride`-th real token (in
  // run order), at most about 2048 of them.
  int64_t realTokens = 0;
  for (const auto &sequence : sequences)
    realTokens += int64_t(sequence.tokens.size());
  const int64_t rowStride = std::max<int64_t>(1, (realTokens + 2047) / 2048);
  int64_t tokenIndex = 0;
  for (int64_t r = 0; r < runs; ++r) {
    if (o.verbose || terminal) {
      errs() << "txc calibrate: window " << (r + 1) << " of " << runs
             << (o.verbose ? "\n" : "\r");
      errs().flush();
    }
    for (size_t i = 0; i < io.inputs.size(); ++i) {
      const txrt_tensor_info &info = io.inputs[i];
      char *base = inputBuffers[i].data;
      for (int64_t b = 0; b < batch; ++b) {
        size_t index = r * batch + b;
        const std::vector<int32_t> *row =
            index < sequences.size() ? &sequences[index].tokens : nullptr;
        int64_t real = row ? int64_t(row->size()) : 0;
        for (int64_t p = 0; p < seq; ++p) {
          int64_t value = 0;
          if (int(i) == io.ids)
            value = p < real ? (*row)[p] : 0;
          else if (int(i) == io.mask)
            value = p < real;
          else if (int(i) == io.positions)
            value = p;
          store(info, base, b * seq + p, value);
        }
      }
    }
    if (txrt_model_run(loaded, inputs.data(), outputs.data()) != TXRT_OK)
      return fail(txrt_last_error());
    float windowTokens;
    std::memcpy(&windowTokens, outputs[io.tokensOutput], sizeof(float));
    tokens += windowTokens;
    // A reduction covers the window's tokens unless it counts its rows.
    for (auto &[name, tap] : groups) {
      Stat &stat = stats[tap.weight];
      const float *abs = static_cast<const float *>(outputs[tap.abs]);
      const float *sq = static_cast<const float *>(outputs[tap.sq]);
      for (int64_t j = 0; j < stat.k; ++j) {
        stat.absSum[j] += abs[j];
        stat.sqSum[j] += sq[j];
      }
      stat.count += tap.count >= 0
                        ? *static_cast<const float *>(outputs[tap.count])
                        : windowTokens;
    }
    for (auto &entry : cosines)
      entry.second.second +=
          *static_cast<const float *>(outputs[entry.second.first]);
    for (auto &entry : probes)
      entry.second.accumulate(outputs);
    // Routed layers: the lowest score among each real row's kept tokens.
    for (auto &entry : routes) {
      RouteTap &tap = entry.second;
      if (tap.scores < 0 || tap.indices < 0)
        continue;
      const txrt_tensor_info &si = outputInfo[tap.scores];
      const txrt_tensor_info &ii = outputInfo[tap.indices];
      const float *scores = static_cast<const float *>(outputs[tap.scores]);
      const int64_t *kept = static_cast<const int64_t *>(outputs[tap.indices]);
      for (int64_t b = 0; b < int64_t(si.dims[0]); ++b) {
        if (size_t(r * batch + b) >= sequences.size())
          continue;
        float low = INFINITY;
        for (int64_t j = 0; j < int64_t(ii.dims[1]); ++j)
          if (int64_t at = kept[b * ii.dims[1] + j];
              at >= 0 && at < int64_t(si.dims[1]))
            low = std::min(low, scores[b * si.dims[1] + at]);
        if (std::isfinite(low))
          tap.boundaries.push_back(low);
      }
    }
    // Sampled rows of the real tokens, in run order.
    {
      int64_t index = tokenIndex;
      for (int64_t b = 0; b < batch; ++b) {
        size_t s = r * batch + b;
        if (s >= sequences.size())
          continue;
        int64_t real = std::min<int64_t>(sequences[s].tokens.size(), seq);
        for (int64_t p = 0; p < real; ++p, ++index) {
          if (index % rowStride)
            continue;
          for (auto &entry : sampledRows) {
            const txrt_tensor_info &info = outputInfo[entry.second.first];
            int64_t d = info.dims[info.rank - 1];
            const float *v =
                static_cast<const float *>(outputs[entry.second.first]) +
                (b * seq + p) * d;
            entry.second.second.insert(entry.second.second.end(), v, v + d);
          }
        }
      }
      tokenIndex = index;
    }
    // Update scores of the real tokens only (whole windows of `seq`; rows
    // past the last window are padding).
    for (auto &entry : updates) {
      const txrt_tensor_info &info = outputInfo[entry.second.first];
      const float *v = static_cast<const float *>(outputs[entry.second.first]);
      for (int64_t b = 0; b < int64_t(info.dims[0]); ++b) {
        size_t index = r * batch + b;
        if (index >= sequences.size())
          continue;
        int64_t real = std::min<int64_t>(sequences[index].tokens.size(),
                                         int64_t(info.dims[1]));
        entry.second.second.insert(entry.second.second.end(),
                                   v + b * info.dims[1],
                                   v + b * info.dims[1] + real);
      }
    }
  }
  if (terminal && !o.verbose)
    errs() << "\r\033[K";
  if (tokens <= 0)
    return fail(textLabel + ": no token was run");

  txc::SafetensorsWriter writer;
  writer.setMetadata("format", "txc-calibration");
  writer.setMetadata("version", kStatsVersion);
  writer.setMetadata("tokens", std::to_string(int64_t(tokens)));
  writer.setMetadata("windows", std::to_string(sequences.size()));
  writer.setMetadata("context", std::to_string(seq));
  writer.setMetadata("model", displayName(o.model));
  writer.setMetadata("text",
                     o.text == "-" ? std::string("-") : displayName(o.text));
  for (auto &entry : stats) {
    StringRef weight = entry.first;
    const Stat &stat = entry.second;
    if (stat.count <= 0)
      return fail("no row reached the linear layer of weight '" + weight + "'");
    std::vector<float> absMean(stat.k), sqMean(stat.k);
    for (int64_t j = 0; j < stat.k; ++j) {
      absMean[j] = float(stat.absSum[j] / stat.count);
      sqMean[j] = float(stat.sqSum[j] / stat.count);
    }
    auto add = [&](StringRef suffix, const std::vector<float> &values) {
      return writer.add(
          (weight + suffix).str(), "F32", {stat.k},
          ArrayRef<char>(reinterpret_cast<const char *>(values.data()),
                         values.size() * sizeof(float)));
    };
    if (Error e = add(".act_abs_mean", absMean))
      return fail("-o: " + toString(std::move(e)));
    if (Error e = add(".act_sq_mean", sqMean))
      return fail("-o: " + toString(std::move(e)));
  }
  // An f32 vector `layer` + `suffix`.
  auto addVector = [&](StringRef layer, StringRef suffix,
                       const std::vector<float> &q) {
    return writer.add((layer + suffix).str(), "F32", {int64_t(q.size())},
                      ArrayRef<char>(reinterpret_cast<const char *>(q.data()),
                                     q.size() * sizeof(float)));
  };
  // layer.I.probe: the ridge regression of 1 - cos(layer input, output)
  // on the layer input and a bias (tx-mod-prune router=probe); and
  // layer.I.probe_quantiles, the percentiles of its score w . x + b on the
  // sampled tokens' rows (f32 layers).
  for (auto &entry : probes) {
    std::vector<float> w;
    if (std::string why = entry.second.solve(tokens, w); !why.empty())
      return fail("layer '" + entry.first + "': " + why);
    if (Error e = addVector(entry.first, ".probe", w))
      return fail("-o: " + toString(std::move(e)));
    auto rows = sampledRows.find(entry.first);
    if (rows == sampledRows.end())
      continue;
    const std::vector<float> &x = rows->second.second;
    const int64_t d = int64_t(w.size()) - 1;
    std::vector<float> scores;
    for (size_t at = 0; at + d <= x.size(); at += d) {
      double score = w[d];
      for (int64_t j = 0; j < d; ++j)
        score += double(w[j]) * x[at + j];
      scores.push_back(float(score));
    }
    if (scores.empty())
      continue;
    if (Error e = addVector(entry.first, ".probe_quantiles",
                               percentiles(scores)))
      return fail("-o: " + toString(std::move(e)));
  }
  // layer.I.update_quantiles: percentiles 0 .. 100 of the update router's
  // score, from which tx-mod-prune's causal decision takes the threshold
  // that keeps a given share of tokens.
  for (auto &entry : updates) {
    std::vector<float> &v = entry.second.second;
    if (v.empty())
      return fail("layer '" + entry.first + "': no token was scored");
    if (Error e = addVector(entry.first, ".update_quantiles",
                               percentiles(v)))
      return fail("-o: " + toString(std::move(e)));
  }
  // layer.I.route_threshold: the median of the windows' last kept scores
  // (routed calibration; the capacity, schedule and router it holds for
  // are in the metadata).
  if (routed) {
    if (routes.empty())
      return fail("--mod-capacity: the routed model has no routed layer to "
                  "calibrate");
    for (auto &entry : routes) {
      std::vector<float> &v = entry.second.boundaries;
      if (v.empty())
        return fail("routed " + entry.first + ": no window was run");
      llvm::sort(v);
      float median = v.size() % 2 ? v[v.size() / 2]
                                  : 0.5f * (v[v.size() / 2 - 1] +
                                            v[v.size() / 2]);
      if (Error e = addVector(entry.first, ".route_threshold", {median}))
        return fail("-o: " + toString(std::move(e)));
    }
    // The probes the routing used come along (the routed model's layers
    // hold too few rows to fit their own): one file serves txc.
    if (o.modRouter == "probe") {
      Expected<std::unique_ptr<txc::SafetensorsFile>> dense =
          txc::SafetensorsFile::open(o.calibration);
      if (!dense)
        return fail("--calibration: " + toString(dense.takeError()));
      for (const auto &entry : (*dense)->entries())
        if (entry.getKey().ends_with(".probe") &&
            !writer.contains(entry.getKey()))
          if (Error err = writer.add(entry.getKey(), entry.second.dtype,
                                     entry.second.shape, entry.second.data))
            return fail("-o: " + toString(std::move(err)));
    }
    char capacityText[32];
    std::snprintf(capacityText, sizeof capacityText, "%g",
                  o.modCapacity.getValue());
    writer.setMetadata("mod_capacity", capacityText);
    writer.setMetadata("mod_schedule", o.modSchedule);
    writer.setMetadata("mod_router", o.modRouter);
  }
  // layer.I.cos_mean: the mean over tokens of cos(layer input, output).
  for (auto &entry : cosines) {
    if (Error e = addVector(entry.first, ".cos_mean",
                            {float(entry.second.second / tokens)}))
      return fail("-o: " + toString(std::move(e)));
  }
  if (Error e = writer.write(o.output))
    return fail("-o: " + toString(std::move(e)));
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  errs() << "txc calibrate: " << int64_t(tokens) << " tokens in "
         << sequences.size() << " windows of " << seq << ", " << stats.size()
         << " linear layers -> " << o.output << " ("
         << llvm::format("%.1f", seconds) << " s)";
  if (dropped)
    errs() << "; the last " << dropped
           << " tokens (less than a window) were not used";
  errs() << "\n";
  return 0;
}
