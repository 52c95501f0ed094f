//===- Driver.cpp - the txc command-line driver ---------------------------===//
//
// Stages: import (ONNX -> upstream + tx ops) and tx (raised). Each stage's
// name and time are printed to stderr unless -q.
//
//===----------------------------------------------------------------------===//

#include "txc/Compiler/Driver.h"
#include "txc/Compiler/Pipelines.h"
#include "txc/Compiler/Registration.h"
#include "txc/Frontend/ONNX/Import.h"
#include "txc/Support/Safetensors.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

using namespace mlir;
using namespace llvm;

namespace {

enum class Emit { Import, Tx };

cl::OptionCategory txcCategory("txc options");

cl::opt<std::string> inputFile(cl::Positional, cl::desc("MODEL.onnx | MODEL.mlir"),
                               cl::Required, cl::cat(txcCategory));
cl::opt<std::string>
    outputFile("o",
               cl::desc("Output file (default: standard output). The weights "
                        "file is written beside it, named OUT with the "
                        "extension .safetensors"),
               cl::value_desc("OUT"), cl::init("-"), cl::cat(txcCategory));
cl::opt<Emit> emitStage(
    "emit", cl::desc("Stop after this stage and write its IR:"),
    cl::values(clEnumValN(Emit::Import, "import",
                          "the imported model: upstream ops plus the tx ops "
                          "ONNX names directly (no raising)"),
               clEnumValN(Emit::Tx, "tx",
                          "after raising: attention, norms, rope and layers "
                          "as tx ops (default)")),
    cl::init(Emit::Tx), cl::cat(txcCategory));
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

int txc::runCompilerMain(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(txcCategory);
  cl::ParseCommandLineOptions(
      argc, argv,
      "txc: ahead-of-time compiler for transformer inference\n\n"
      "  txc MODEL.onnx --emit=tx -o model.mlir --shape input_ids=1x128\n\n"
      "Imports an ONNX model (or reads tx IR from a .mlir file), raises it "
      "into tx ops and writes the IR of the requested stage.\n");

  DialectRegistry registry;
  registerTxcDialects(registry);
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

  auto start = std::chrono::steady_clock::now();
  OwningOpRef<ModuleOp> module;
  SafetensorsWriter weights;
  bool isMLIR = StringRef(inputFile).ends_with(".mlir");
  if (isMLIR) {
    std::string error;
    auto file = openInputFile(inputFile, &error);
    if (!file) {
      errs() << "txc: error: " << error << "\n";
      return 1;
    }
    sourceMgr.AddNewSourceBuffer(std::move(file), SMLoc());
    module = parseSourceFile<ModuleOp>(sourceMgr, &context);
    if (!module)
      return 1;
    reportStage("parse", start);
  } else {
    if (!sys::fs::exists(inputFile)) {
      errs() << "txc: error: cannot open '" << inputFile
             << "': no such file\n";
      return 1;
    }
    module = importONNXFile(inputFile, context, options, &weights);
    if (!module)
      return 1;
    reportStage("import", start);
  }

  if (emitStage >= Emit::Tx) {
    start = std::chrono::steady_clock::now();
    PassManager pm(&context);
    buildRaisePipeline(pm);
    if (failed(pm.run(*module)))
      return 1;
    reportStage("raise", start);
  }

  std::string error;
  auto output = openOutputFile(outputFile, &error);
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

  if (weights.size()) {
    if (weightsPath.empty()) {
      if (!quiet)
        errs() << "txc: note: " << weights.size()
               << " weights not written (give -o or --weights)\n";
    } else {
      start = std::chrono::steady_clock::now();
      if (Error err = weights.write(weightsPath)) {
        errs() << "txc: error: " << toString(std::move(err)) << "\n";
        return 1;
      }
      reportStage("weights", start);
    }
  }
  return 0;
}
