//===- Compile.cpp - txc.compile over the compiler API --------------------===//
//
// The compiler half of txc._txc: one function, `compile`, that fills a
// txc::CompileOptions from already-checked Python arguments, runs a
// txc::Invocation in a fresh txc::Session with the GIL released, collects
// the messages (errors raise txc.CompileError with their text, warnings are
// returned) and, on request, hands the IR after every stage to a Python
// callable as text.
//
//===----------------------------------------------------------------------===//

#include "Bindings.h"

#include "txc/Compiler/Compiler.h"

#include "mlir/IR/OperationSupport.h"
#include "llvm/Support/raw_ostream.h"

#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <mutex>

namespace nb = nanobind;
using namespace txcpy;

namespace {

/// "LOCATION: error: TEXT" with its notes, as txc prints a message.
std::string formatMessage(const txc::Message &message) {
  const char *severity = message.severity == txc::Severity::Error ? "error"
                         : message.severity == txc::Severity::Warning
                             ? "warning"
                             : "note";
  std::string text =
      message.location.empty() ? std::string("txc") : message.location;
  text += std::string(": ") + severity + ": " + message.text;
  for (const std::string &note : message.notes)
    text += "\n" + note;
  return text;
}

/// Compiles `path`; returns (IR text or None, files written, warnings).
nb::tuple
compileModel(const std::string &path, const std::string &output,
             std::optional<std::string> emit,
             std::vector<std::pair<std::string, std::vector<int64_t>>> shapes,
             std::optional<std::string> quantize, int64_t quantGroup,
             bool quantZeroPoint, const std::string &quantMethod,
             std::vector<std::string> quantKeep,
             std::vector<std::string> quantOverride, double quantMixed,
             const std::string &quantMixedFormat,
             const std::string &calibration, const std::string &pipeline,
             double layerSkipSpeedup, std::vector<int64_t> skipLayers,
             std::optional<int64_t> maxSeq,
             int64_t kvBlock, const std::string &kvQuant,
             int64_t kvQuantGroup, int64_t kvQuantResidual,
             int64_t prefillChunk, int64_t batch,
             const std::string &cpu, unsigned optLevel,
             const std::string &weights, const std::string &dumpDir,
             bool printLocations, nb::object onStage) {
  txc::CompileOptions options;
  options.input.path = path;
  options.input.shapes = std::move(shapes);
  if (quantize)
    if (std::string err = txc::setQuantize(options, *quantize); !err.empty())
      throw nb::value_error(err.c_str());
  options.graph.quantize.group = quantGroup;
  options.graph.quantize.zeroPoint = quantZeroPoint;
  options.graph.quantize.method = quantMethod;
  options.graph.quantize.keep = std::move(quantKeep);
  options.graph.quantize.overrides = std::move(quantOverride);
  options.graph.quantize.mixed = quantMixed;
  options.graph.quantize.mixedFormat = quantMixedFormat;
  options.graph.calibration = calibration;
  options.graph.pipeline = pipeline;
  options.graph.layerSkipSpeedup = layerSkipSpeedup;
  options.graph.skipLayers = std::move(skipLayers);
  options.generation.maxSeq = maxSeq;
  options.generation.kvBlock = kvBlock;
  options.generation.kvQuant = kvQuant;
  options.generation.kvQuantGroup = kvQuantGroup;
  options.generation.kvQuantResidual = kvQuantResidual;
  options.generation.prefillChunk = prefillChunk;
  options.generation.batch = batch;
  options.target.cpu.cpu = cpu;
  options.target.cpu.optLevel = optLevel;
  options.output.path = output;
  options.output.weightsPath = weights;
  options.output.dumpDir = dumpDir;
  options.output.printLocations = printLocations;
  if (emit) {
    std::optional<txc::Stage> stage = txc::parseStageName(*emit);
    if (!stage)
      throw nb::value_error(("emit must be one of 'import', 'tx', 'linalg', "
                             "'llvm', 'obj', 'so', not '" +
                             *emit + "'")
                                .c_str());
    options.output.stop = *stage;
  }
  txc::Stage stop =
      options.output.stop
          ? *options.output.stop
          : (output.empty() ? txc::Stage::Tx : txc::stageForOutput(output));
  if (output.empty() && stop >= txc::Stage::Object)
    throw nb::value_error(
        ("emit='" + txc::stageName(stop).str() + "' writes a file: give output")
            .c_str());

  txc::Session session;
  txc::Invocation invocation(session, std::move(options));
  std::vector<std::string> errors, warnings;
  std::mutex messagesMutex;
  invocation.setMessageHandler([&](const txc::Message &message) {
    std::lock_guard<std::mutex> lock(messagesMutex);
    if (message.severity == txc::Severity::Error)
      errors.push_back(formatMessage(message));
    else
      warnings.push_back(formatMessage(message));
  });
  // A Python callback's exception stops further callbacks and is raised
  // after the compilation.
  bool callbackFailed = false;
  bool printLocationsInIR = printLocations;
  if (!onStage.is_none())
    invocation.setStageHandler([&](const txc::StageEvent &event) {
      if (event.kind != txc::StageEvent::Kind::End || !event.module ||
          callbackFailed)
        return;
      std::string ir;
      llvm::raw_string_ostream os(ir);
      mlir::OpPrintingFlags flags;
      if (printLocationsInIR)
        flags.enableDebugInfo();
      event.module->print(os, flags);
      os.flush();
      nb::gil_scoped_acquire acquire;
      try {
        onStage(event.name.str(), event.step.str(), ir, event.milliseconds);
      } catch (nb::python_error &error) {
        // Kept as the interpreter's pending error until the run is over.
        error.restore();
        callbackFailed = true;
      }
    });

  bool ok;
  {
    nb::gil_scoped_release release;
    ok = mlir::succeeded(invocation.run());
  }
  if (callbackFailed)
    throw nb::python_error();
  if (!ok) {
    std::string text;
    for (const std::string &error : errors)
      text += (text.empty() ? "" : "\n") + error;
    if (text.empty())
      text = invocation.errorText();
    if (text.empty())
      text = "the compilation failed";
    throw CompileFailure{text};
  }
  nb::object ir = nb::none();
  if (output.empty())
    ir = nb::str(invocation.outputText().c_str(),
                 invocation.outputText().size());
  return nb::make_tuple(ir, invocation.writtenFiles(), warnings);
}

} // namespace

void txcpy::defineCompiler(nb::module_ &m) {
  m.def("compile", &compileModel, nb::arg("path"), nb::arg("output"),
        nb::arg("emit").none(), nb::arg("shapes"), nb::arg("quantize").none(),
        nb::arg("quant_group"), nb::arg("quant_zero_point"),
        nb::arg("quant_method"), nb::arg("quant_keep"),
        nb::arg("quant_override"), nb::arg("quant_mixed"),
        nb::arg("quant_mixed_format"), nb::arg("calibration"),
        nb::arg("pipeline"), nb::arg("layer_skip_speedup"),
        nb::arg("skip_layers"),
        nb::arg("max_seq").none(), nb::arg("kv_block"), nb::arg("kv_quant"),
        nb::arg("kv_quant_group"), nb::arg("kv_quant_residual"),
        nb::arg("prefill_chunk"), nb::arg("batch"), nb::arg("cpu"),
        nb::arg("opt_level"), nb::arg("weights"), nb::arg("dump_dir"),
        nb::arg("print_locations"), nb::arg("on_stage").none());
  m.def("stage_names", [] {
    std::vector<std::string> names;
    for (txc::Stage stage :
         {txc::Stage::Import, txc::Stage::Tx, txc::Stage::Linalg,
          txc::Stage::LLVM, txc::Stage::Object, txc::Stage::Library})
      names.push_back(txc::stageName(stage).str());
    return names;
  });
}
