//===- Compiler.cpp - Compile models through txc's C API ------------------===//
//
// The C API of include/txc-c/Compiler.h over the C++ compiler API
// (txc::Session, txc::Invocation): compile options with a setter that takes
// txc's flag spellings, compilation results that hold every message, and
// the two compile entry points. Every argument is checked before use;
// failures are returned as values and recorded for txcLastError.
//
//===----------------------------------------------------------------------===//

#include "txc-c/Compiler.h"

#include "Errors.h"
#include "txc/Compiler/Compiler.h"

#include "mlir/CAPI/IR.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringRef.h"

#include <cmath>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <vector>

using llvm::StringRef;
using txc::capi::fail;

namespace {

/// What a TxcCompileOptions handle points to.
struct Options {
  txc::CompileOptions options;
};

/// What a TxcResult handle points to.
struct Result {
  bool ok = false;
  std::string errorText;
  std::vector<txc::Message> messages;
  std::string outputText;
  std::vector<std::string> writtenFiles;
};

Options *unwrap(TxcCompileOptions options) {
  return static_cast<Options *>(options.ptr);
}
Result *unwrap(TxcResult result) { return static_cast<Result *>(result.ptr); }

MlirStringRef toStringRef(const std::string &text) {
  return mlirStringRefCreate(text.c_str(), text.size());
}

//===----------------------------------------------------------------------===//
// Option values
//===----------------------------------------------------------------------===//

/// Parses a decimal integer in [min, max] into `out`, or sets `error`.
bool parseInteger(StringRef value, int64_t min, int64_t max, int64_t &out,
                  std::string &error) {
  int64_t parsed;
  if (value.trim().getAsInteger(10, parsed)) {
    error = ("'" + value + "' is not an integer").str();
    return false;
  }
  if (parsed < min || parsed > max) {
    error = ("'" + value + "' is out of range [" + llvm::Twine(min) + ", " +
             llvm::Twine(max) + "]")
                .str();
    return false;
  }
  out = parsed;
  return true;
}

/// Parses a boolean as txc's flags take it: true/false/1/0, or an empty
/// value for true.
bool parseBool(StringRef value, bool &out, std::string &error) {
  std::string lower = value.trim().lower();
  if (lower.empty() || lower == "true" || lower == "1") {
    out = true;
    return true;
  }
  if (lower == "false" || lower == "0") {
    out = false;
    return true;
  }
  error = ("'" + value + "' is not a boolean (true, false, 1 or 0)").str();
  return false;
}

/// txc's limit on --max-seq and --batch; larger values are refused by the
/// compiler as well, this only reports them when they are set.
constexpr int64_t kMaxPositions = int64_t(1) << 22;

/// Sets one option from its text; returns false with `error` set (without
/// the key, which the caller adds) when the value is not accepted.
using Setter = bool (*)(txc::CompileOptions &, StringRef value,
                        std::string &error);

struct Key {
  const char *name;
  Setter set;
};

/// Every key txcCompileOptionsSet accepts, spelled as txc's flags.
const Key keys[] =
    {
        {"o",
         [](txc::CompileOptions &o, StringRef v, std::string &) {
           o.output.path = v.str();
           return true;
         }},
        {"output",
         [](txc::CompileOptions &o, StringRef v, std::string &) {
           o.output.path = v.str();
           return true;
         }},
        {"weights",
         [](txc::CompileOptions &o, StringRef v, std::string &) {
           o.output.weightsPath = v.str();
           return true;
         }},
        {"emit",
         [](txc::CompileOptions &o, StringRef v, std::string &e) {
           std::optional<txc::Stage> stage = txc::parseStageName(v.trim());
           if (!stage) {
             e = ("unknown stage '" + v +
                  "' (expected import, tx, linalg, llvm, obj or so)")
                     .str();
             return false;
           }
           o.output.stop = *stage;
           return true;
         }},
        {"dump-ir",
         [](txc::CompileOptions &o, StringRef v, std::string &) {
           o.output.dumpDir = v.str();
           return true;
         }},
        {"print-locations",
         [](txc::CompileOptions &o, StringRef v, std::string &e) {
           return parseBool(v, o.output.printLocations, e);
         }},
        {"pipeline",
         [](txc::CompileOptions &o, StringRef v, std::string &) {
           o.graph.pipeline = v.str();
           return true;
         }},
        {"layer-skip-speedup",
         [](txc::CompileOptions &o, StringRef v, std::string &e) {
           double speedup;
           if (v.trim().getAsDouble(speedup) || !(speedup >= 1.0) ||
               speedup > 1e6) {
             e = ("'" + v + "' is not a number >= 1").str();
             return false;
           }
           o.graph.layerSkipSpeedup = speedup;
           return true;
         }},
        {"skip-layers",
         [](txc::CompileOptions &o, StringRef v, std::string &e) {
           llvm::SmallVector<StringRef> parts;
           v.split(parts, ',', -1, /*KeepEmpty=*/false);
           if (parts.empty()) {
             e = "expects layer indices I,J,... (from 0)";
             return false;
           }
           for (StringRef part : parts) {
             int64_t index;
             if (!parseInteger(part, 0, INT64_MAX, index, e))
               return false;
             o.graph.skipLayers.push_back(index);
           }
           return true;
         }},
        {"early-exit",
         [](txc::CompileOptions &o, StringRef v, std::string &e) {
           double threshold;
           if (v.trim().getAsDouble(threshold) || std::isnan(threshold)) {
             e = ("'" + v + "' is not a number").str();
             return false;
           }
           o.graph.earlyExit = threshold;
           return true;
         }},
        {"early-exit-from",
         [](txc::CompileOptions &o, StringRef v, std::string &e) {
           return parseInteger(v, 0, INT64_MAX, o.graph.earlyExitFrom, e);
         }},
        {"mod-capacity",
         [](txc::CompileOptions &o, StringRef v, std::string &e) {
           double capacity;
           if (v.trim().getAsDouble(capacity) ||
               !(capacity > 0.0 && capacity <= 1.0)) {
             e = ("'" + v + "' is not a number in (0, 1]").str();
             return false;
           }
           o.graph.modCapacity = capacity;
           return true;
         }},
        // The words are checked with the rest of the options (the same
        // messages as txc's flags).
        {"mod-schedule",
         [](txc::CompileOptions &o, StringRef v, std::string &) {
           o.graph.modSchedule = v.str();
           return true;
         }},
        {"mod-router",
         [](txc::CompileOptions &o, StringRef v, std::string &) {
           o.graph.modRouter = v.str();
           return true;
         }},
        {"mod-weighting",
         [](txc::CompileOptions &o, StringRef v, std::string &) {
           o.graph.modWeighting = v.str();
           return true;
         }},
        {"mod-decision",
         [](txc::CompileOptions &o, StringRef v, std::string &) {
           o.graph.modDecision = v.str();
           return true;
         }},
        {"calibration",
         [](txc::CompileOptions &o, StringRef v, std::string &) {
           o.graph.calibration = v.str();
           return true;
         }},
        {"shape",
         [](txc::CompileOptions &o, StringRef v, std::string &e) {
           std::pair<std::string, std::vector<int64_t>> shape;
           e = txc::parseShapeText(v, shape);
           if (!e.empty())
             return false;
           o.input.shapes.push_back(std::move(shape));
           return true;
         }},
        {"quantize",
         [](txc::CompileOptions &o, StringRef v, std::string &e) {
           StringRef mode = v.trim();
           if (mode == "keep") {
             o.input.weights = txc::InputOptions::Weights::Keep;
             return true;
           }
           if (mode == "f32") {
             o.input.weights = txc::InputOptions::Weights::F32;
             return true;
           }
           e = ("unknown mode '" + v + "' (expected keep or f32)").str();
           return false;
         }},
        {"max-seq",
         [](txc::CompileOptions &o, StringRef v, std::string &e) {
           int64_t n;
           if (!parseInteger(v, 0, kMaxPositions, n, e))
             return false;
           o.generation.maxSeq = n;
           return true;
         }},
        {"kv-block",
         [](txc::CompileOptions &o, StringRef v, std::string &e) {
           return parseInteger(v, 0, kMaxPositions, o.generation.kvBlock, e);
         }},
        {"prefill-chunk",
         [](txc::CompileOptions &o, StringRef v, std::string &e) {
           return parseInteger(v, 1, kMaxPositions, o.generation.prefillChunk,
                               e);
         }},
        {"batch",
         [](txc::CompileOptions &o, StringRef v, std::string &e) {
           return parseInteger(v, 1, kMaxPositions, o.generation.batch, e);
         }},
        {"target",
         [](txc::CompileOptions &o, StringRef v, std::string &e) {
           if (v.trim() != "cpu") {
             e = ("unknown target '" + v + "' (only 'cpu' so far)").str();
             return false;
           }
           o.target.target = "cpu";
           return true;
         }},
        {"cpu",
         [](txc::CompileOptions &o, StringRef v, std::string &e) {
           std::string problem = txc::checkCPUName(v.trim());
           if (!problem.empty()) {
             e = problem;
             return false;
           }
           o.target.cpu.cpu = v.trim().str();
           return true;
         }},
        {"O",
         [](txc::CompileOptions &o, StringRef v, std::string &e) {
           int64_t level;
           if (!parseInteger(v, 0, 3, level, e))
             return false;
           o.target.cpu.optLevel = static_cast<unsigned>(level);
           return true;
         }},
        {"loop-threads",
         [](txc::CompileOptions &o, StringRef v, std::string &e) {
           return parseBool(v, o.target.loops.parallel, e);
         }},
        {"parallel-work",
         [](txc::CompileOptions &o, StringRef v, std::string &e) {
           return parseInteger(v, 0, INT64_MAX, o.target.loops.minParallelWork,
                               e);
         }},
        {"vector-bits",
         [](txc::CompileOptions &o, StringRef v, std::string &e) {
           return parseInteger(v, 0, 65536, o.target.loops.vectorBits, e);
         }},
        {"approximate-math",
         [](txc::CompileOptions &o, StringRef v, std::string &e) {
           return parseBool(v, o.target.loops.approximateMath, e);
         }},
};

/// "o, output, weights, ..." for error messages.
std::string knownKeys() {
  std::string list;
  for (const Key &key : keys) {
    if (!list.empty())
      list += ", ";
    list += key.name;
  }
  return list;
}

//===----------------------------------------------------------------------===//
// Compilation
//===----------------------------------------------------------------------===//

/// Every error message of `result`, one per line, located when it has a
/// location.
std::string errorLines(const Result &result) {
  std::string text;
  for (const txc::Message &message : result.messages) {
    if (message.severity != txc::Severity::Error)
      continue;
    if (!message.location.empty())
      text += message.location + ": ";
    text += message.text;
    text += '\n';
  }
  return text;
}

/// Stores `result` in `*out` (when not NULL) and returns its outcome; a
/// failure is also recorded for txcLastError.
MlirLogicalResult finish(std::unique_ptr<Result> result, TxcResult *out) {
  bool ok = result->ok;
  if (!ok) {
    if (result->errorText.empty())
      result->errorText = errorLines(*result);
    if (result->errorText.empty())
      result->errorText = "compilation failed\n";
    // txcLastError holds the first line; the result keeps them all.
    fail(StringRef(result->errorText).split('\n').first);
  }
  if (out)
    out->ptr = result.release();
  return ok ? mlirLogicalResultSuccess() : mlirLogicalResultFailure();
}

/// A failed result holding the single error `message` (an invalid
/// argument).
MlirLogicalResult argumentError(const std::string &message, TxcResult *out) {
  auto result = std::make_unique<Result>();
  result->messages.push_back({txc::Severity::Error, message, "", {}});
  return finish(std::move(result), out);
}

/// Runs one compilation in `context` (a context of its own when null) of
/// `module` when given, else of `options.input.path`.
MlirLogicalResult compile(mlir::MLIRContext *context, mlir::ModuleOp module,
                          const txc::CompileOptions &options, TxcResult *out) {
  auto result = std::make_unique<Result>();
  std::unique_ptr<txc::Session> session =
      context ? std::make_unique<txc::Session>(*context)
              : std::make_unique<txc::Session>();
  txc::Invocation invocation(*session, options);
  if (module)
    invocation.setInputModule(module);
  invocation.setMessageHandler([&result](const txc::Message &message) {
    result->messages.push_back(message);
  });
  result->ok = mlir::succeeded(invocation.run());
  if (result->ok) {
    result->outputText = invocation.outputText();
    result->writtenFiles = invocation.writtenFiles();
  } else {
    result->errorText = errorLines(*result);
    if (result->errorText.empty())
      result->errorText = invocation.errorText();
  }
  return finish(std::move(result), out);
}

} // namespace

//===----------------------------------------------------------------------===//
// Options
//===----------------------------------------------------------------------===//

TxcCompileOptions txcCompileOptionsCreate(void) {
  auto *options = new (std::nothrow) Options();
  if (options)
    options->options.output.path = "";
  return TxcCompileOptions{options};
}

void txcCompileOptionsDestroy(TxcCompileOptions options) {
  delete unwrap(options);
}

MlirLogicalResult txcCompileOptionsSet(TxcCompileOptions options,
                                       const char *key, const char *value) {
  if (txcCompileOptionsIsNull(options))
    return fail("txcCompileOptionsSet: the options handle is null");
  if (!key)
    return fail("txcCompileOptionsSet: the key is NULL");
  StringRef name = StringRef(key).ltrim('-');
  if (!value)
    return fail("txcCompileOptionsSet: the value of '" + name + "' is NULL");
  const Key *found = llvm::find_if(
      keys, [&](const Key &candidate) { return name == candidate.name; });
  if (found == std::end(keys))
    return fail("txcCompileOptionsSet: unknown option '" + StringRef(key) +
                "' (known: " + knownKeys() + ")");
  // Set a copy so that a rejected value leaves the options unchanged.
  txc::CompileOptions updated = unwrap(options)->options;
  std::string error;
  if (!found->set(updated, value, error))
    return fail("txcCompileOptionsSet: invalid value for '" + name +
                "': " + error);
  unwrap(options)->options = std::move(updated);
  return mlirLogicalResultSuccess();
}

MlirLogicalResult txcCompileOptionsSetOutput(TxcCompileOptions options,
                                             const char *path) {
  if (txcCompileOptionsIsNull(options))
    return fail("txcCompileOptionsSetOutput: the options handle is null");
  if (!path)
    return fail("txcCompileOptionsSetOutput: the path is NULL");
  unwrap(options)->options.output.path = path;
  return mlirLogicalResultSuccess();
}

MlirLogicalResult txcCompileOptionsSetEmit(TxcCompileOptions options,
                                           TxcStage stage) {
  if (txcCompileOptionsIsNull(options))
    return fail("txcCompileOptionsSetEmit: the options handle is null");
  // Read as an int: a C caller may pass any value of the enum's type.
  int value = static_cast<int>(stage);
  if (value < TXC_STAGE_IMPORT || value > TXC_STAGE_DEFAULT)
    return fail("txcCompileOptionsSetEmit: invalid stage " +
                llvm::Twine(value) + " (expected TXC_STAGE_IMPORT .. " +
                "TXC_STAGE_DEFAULT)");
  std::optional<txc::Stage> &stop = unwrap(options)->options.output.stop;
  switch (value) {
  case TXC_STAGE_IMPORT:
    stop = txc::Stage::Import;
    break;
  case TXC_STAGE_TX:
    stop = txc::Stage::Tx;
    break;
  case TXC_STAGE_LINALG:
    stop = txc::Stage::Linalg;
    break;
  case TXC_STAGE_LLVM:
    stop = txc::Stage::LLVM;
    break;
  case TXC_STAGE_OBJECT:
    stop = txc::Stage::Object;
    break;
  case TXC_STAGE_LIBRARY:
    stop = txc::Stage::Library;
    break;
  default:
    stop.reset();
    break;
  }
  return mlirLogicalResultSuccess();
}

MlirLogicalResult txcCompileOptionsSetMaxSeq(TxcCompileOptions options,
                                             int64_t maxSeq) {
  if (txcCompileOptionsIsNull(options))
    return fail("txcCompileOptionsSetMaxSeq: the options handle is null");
  if (maxSeq > kMaxPositions)
    return fail("txcCompileOptionsSetMaxSeq: max-seq " + llvm::Twine(maxSeq) +
                " is larger than txc supports (" + llvm::Twine(kMaxPositions) +
                ")");
  std::optional<int64_t> &value = unwrap(options)->options.generation.maxSeq;
  if (maxSeq < 0)
    value.reset();
  else
    value = maxSeq;
  return mlirLogicalResultSuccess();
}

MlirLogicalResult txcCompileOptionsSetWeightsPath(TxcCompileOptions options,
                                                  const char *path) {
  if (txcCompileOptionsIsNull(options))
    return fail("txcCompileOptionsSetWeightsPath: the options handle is null");
  if (!path)
    return fail("txcCompileOptionsSetWeightsPath: the path is NULL");
  unwrap(options)->options.output.weightsPath = path;
  return mlirLogicalResultSuccess();
}

//===----------------------------------------------------------------------===//
// Results
//===----------------------------------------------------------------------===//

void txcResultDestroy(TxcResult result) { delete unwrap(result); }

bool txcResultIsOk(TxcResult result) {
  return !txcResultIsNull(result) && unwrap(result)->ok;
}

MlirStringRef txcResultGetErrorText(TxcResult result) {
  static const std::string empty;
  if (txcResultIsNull(result))
    return toStringRef(empty);
  return toStringRef(unwrap(result)->errorText);
}

intptr_t txcResultGetNumMessages(TxcResult result) {
  if (txcResultIsNull(result))
    return 0;
  return static_cast<intptr_t>(unwrap(result)->messages.size());
}

TxcMessage txcResultGetMessage(TxcResult result, intptr_t pos) {
  static const std::string empty;
  if (pos < 0 || pos >= txcResultGetNumMessages(result))
    return TxcMessage{TXC_SEVERITY_ERROR, toStringRef(empty),
                      toStringRef(empty), 0};
  const txc::Message &message = unwrap(result)->messages[pos];
  TxcSeverity severity = TXC_SEVERITY_ERROR;
  switch (message.severity) {
  case txc::Severity::Remark:
    severity = TXC_SEVERITY_REMARK;
    break;
  case txc::Severity::Note:
    severity = TXC_SEVERITY_NOTE;
    break;
  case txc::Severity::Warning:
    severity = TXC_SEVERITY_WARNING;
    break;
  case txc::Severity::Error:
    severity = TXC_SEVERITY_ERROR;
    break;
  }
  return TxcMessage{severity, toStringRef(message.text),
                    toStringRef(message.location),
                    static_cast<intptr_t>(message.notes.size())};
}

MlirStringRef txcResultGetMessageNote(TxcResult result, intptr_t pos,
                                      intptr_t note) {
  static const std::string empty;
  if (pos < 0 || pos >= txcResultGetNumMessages(result))
    return toStringRef(empty);
  const std::vector<std::string> &notes = unwrap(result)->messages[pos].notes;
  if (note < 0 || note >= static_cast<intptr_t>(notes.size()))
    return toStringRef(empty);
  return toStringRef(notes[note]);
}

MlirStringRef txcResultGetOutputText(TxcResult result) {
  static const std::string empty;
  if (txcResultIsNull(result))
    return toStringRef(empty);
  return toStringRef(unwrap(result)->outputText);
}

intptr_t txcResultGetNumWrittenFiles(TxcResult result) {
  if (txcResultIsNull(result))
    return 0;
  return static_cast<intptr_t>(unwrap(result)->writtenFiles.size());
}

MlirStringRef txcResultGetWrittenFile(TxcResult result, intptr_t pos) {
  static const std::string empty;
  if (pos < 0 || pos >= txcResultGetNumWrittenFiles(result))
    return toStringRef(empty);
  return toStringRef(unwrap(result)->writtenFiles[pos]);
}

//===----------------------------------------------------------------------===//
// Compilation
//===----------------------------------------------------------------------===//

MlirLogicalResult txcCompileFile(MlirContext context, const char *input,
                                 TxcCompileOptions options, TxcResult *result) {
  if (result)
    result->ptr = nullptr;
  if (!result)
    return fail("txcCompileFile: the result pointer is NULL");
  if (!input)
    return argumentError("txcCompileFile: the input path is NULL", result);
  if (!*input)
    return argumentError("txcCompileFile: the input path is empty", result);
  if (txcCompileOptionsIsNull(options))
    return argumentError("txcCompileFile: the options handle is null", result);
  txc::CompileOptions copy = unwrap(options)->options;
  copy.input.path = input;
  return compile(mlirContextIsNull(context) ? nullptr : unwrap(context),
                 nullptr, copy, result);
}

MlirLogicalResult txcCompileModule(MlirModule module, TxcCompileOptions options,
                                   TxcResult *result) {
  if (result)
    result->ptr = nullptr;
  if (!result)
    return fail("txcCompileModule: the result pointer is NULL");
  if (mlirModuleIsNull(module))
    return argumentError("txcCompileModule: the module is null (did parsing "
                         "it fail?)",
                         result);
  if (txcCompileOptionsIsNull(options))
    return argumentError("txcCompileModule: the options handle is null",
                         result);
  mlir::ModuleOp op = unwrap(module);
  return compile(op->getContext(), op, unwrap(options)->options, result);
}
