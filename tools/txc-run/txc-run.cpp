//===- txc-run.cpp - run a compiled model on .npy inputs ------------------===//
//
// txc-run MODEL.so --in NAME=FILE.npy... [--out-dir DIR] [--bench N]
//         [--threads N] [--weights FILE]
// txc-run MODEL.so generate ... (Generate.cpp)
// txc-run [MODEL.so] tokenize ... (Tokenize.cpp)
// txc-run MODEL.so eval ... (Eval.cpp)
//
// A thin command-line layer over libtxrt: loads the model, reads each input
// from a .npy file (checking its dtype and shape against the model), runs
// the model once or benchmarks it, and writes each output to DIR/NAME.npy.
//
//===----------------------------------------------------------------------===//

#include "TxcRun.h"
#include "txc-c/txrt.h"
#include "txc/Support/Npy.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

using namespace llvm;
using namespace txcrun;

namespace {

/// txc-run's command line. Constructed in main, after releaseOptionNames().
struct Options {
  cl::OptionCategory category{"txc-run options"};
  ModelOptions model{category};
  cl::list<std::string> inputs{
      "in",
      cl::desc("Read input NAME from FILE.npy; give one for every input of "
               "the model. The array's dtype and shape must match the input's "
               "exactly (bf16 inputs are read as <u2 bit patterns)"),
      cl::value_desc("NAME=FILE.npy"), cl::cat(category)};
  cl::opt<std::string> outDir{
      "out-dir",
      cl::desc("Write each output to DIR/NAME.npy (characters other than "
               "letters, digits, '.', '-' and '_' in NAME become '_'); the "
               "directory is created if needed. Without it outputs are "
               "computed but not written"),
      cl::value_desc("DIR"), cl::cat(category)};
  cl::opt<unsigned> benchRuns{
      "bench",
      cl::desc("After one warm-up run, time N runs and print the median and "
               "minimum latency in ms and the runs per second at the median"),
      cl::value_desc("N"), cl::init(0), cl::cat(category)};
};

/// The .npy dtype holding a tensor of `dtype`; bf16 travels as its bits.
StringRef npyDType(txrt_dtype dtype) {
  switch (dtype) {
  case TXRT_DTYPE_F32:
    return "<f4";
  case TXRT_DTYPE_F16:
    return "<f2";
  case TXRT_DTYPE_BF16:
    return "<u2";
  case TXRT_DTYPE_F64:
    return "<f8";
  case TXRT_DTYPE_I64:
    return "<i8";
  case TXRT_DTYPE_I32:
    return "<i4";
  case TXRT_DTYPE_I16:
    return "<i2";
  case TXRT_DTYPE_I8:
    return "|i1";
  case TXRT_DTYPE_U8:
    return "|u1";
  case TXRT_DTYPE_BOOL:
    return "|b1";
  case TXRT_DTYPE_I4:
  case TXRT_DTYPE_I2:
  case TXRT_DTYPE_F8E4M3:
  case TXRT_DTYPE_F8E8M0:
  case TXRT_DTYPE_F4E2M1:
    break;
  }
  return "";
}

std::string formatShape(ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

/// "name (f32 [1, 16])".
std::string describe(const txrt_tensor_info &info) {
  return std::string(info.name) + " (" + txrt_dtype_name(info.dtype) + " " +
         formatShape(ArrayRef<int64_t>(info.dims, info.rank)) + ")";
}

/// `name` as a file name: anything but [A-Za-z0-9._-] becomes '_'.
std::string sanitizeFileName(StringRef name) {
  std::string file;
  for (char c : name)
    file += isAlnum(c) || c == '.' || c == '-' || c == '_' ? c : '_';
  return file;
}

/// A zero-filled output buffer aligned to 64 bytes.
std::unique_ptr<WritableMemoryBuffer> allocateOutput(size_t size) {
  std::unique_ptr<WritableMemoryBuffer> buffer =
      WritableMemoryBuffer::getNewUninitMemBuffer(size, "output", Align(64));
  if (buffer)
    std::memset(buffer->getBufferStart(), 0, size);
  return buffer;
}


int runMain(int argc, char **argv) {
  InitLLVM init(argc, argv);
  releaseOptionNames({"in", "out-dir", "bench"});
  Options options;
  cl::HideUnrelatedOptions(options.category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "txc-run: run a model compiled by txc\n\n"
      "  txc-run out/model.so --in input_ids=ids.npy --out-dir results\n"
      "  txc-run out/model.so --in input_ids=ids.npy --bench 100 "
      "--threads 8\n\n"
      "Loads MODEL.so and its weights, reads every input from a .npy file, "
      "runs the model and writes every output to DIR/NAME.npy. Errors (a "
      "file that is not a txc model, missing or corrupt weights, a missing "
      "or unknown input, a wrong dtype or shape) are reported and exit with "
      "status 1.\n\n"
      "Commands (each has its own --help):\n"
      "  txc-run MODEL.so generate  generate text or token ids (--chat: a "
      "conversation)\n"
      "  txc-run MODEL.so tokenize  text to token ids and back (MODEL.so "
      "may be left out with --tokenizer)\n"
      "  txc-run MODEL.so eval      perplexity of a text, and agreement "
      "with a --reference model\n");

  int threads = 0;
  if (std::string message = threadsRequested(options.model, threads);
      !message.empty())
    return error(message);
  if (options.benchRuns.getNumOccurrences() && options.benchRuns == 0)
    return error("--bench needs at least 1 run");

  ModelPtr model = loadModel(options.model, threads);
  if (!model)
    return 1;
  txrt_model *loaded = model.get();

  std::vector<txrt_tensor_info> inputInfos(txrt_model_num_inputs(loaded)),
      outputInfos(txrt_model_num_outputs(loaded));
  StringMap<size_t> inputIndex;
  std::string inputList;
  for (size_t i = 0; i < inputInfos.size(); ++i) {
    if (txrt_model_input_info(loaded, i, &inputInfos[i]) != TXRT_OK)
      return error(txrt_last_error());
    inputIndex[inputInfos[i].name] = i;
    inputList += (i ? ", " : "") + describe(inputInfos[i]);
  }
  if (inputList.empty())
    inputList = "none";
  for (size_t i = 0; i < outputInfos.size(); ++i)
    if (txrt_model_output_info(loaded, i, &outputInfos[i]) != TXRT_OK)
      return error(txrt_last_error());

  // Match --in flags to the model's inputs.
  std::vector<std::string> inputFiles(inputInfos.size());
  for (StringRef arg : options.inputs) {
    auto [name, file] = arg.split('=');
    if (name.empty() || file.empty() || !arg.contains('='))
      return error("--in expects NAME=FILE.npy, got '" + arg + "'");
    auto it = inputIndex.find(name);
    if (it == inputIndex.end())
      return error("--in names '" + name + "', which is not an input of '" +
                   options.model.modelPath + "' (inputs: " + inputList + ")");
    if (!inputFiles[it->second].empty())
      return error("--in gives input '" + name + "' twice");
    inputFiles[it->second] = file.str();
  }
  std::string missing;
  for (size_t i = 0; i < inputInfos.size(); ++i)
    if (inputFiles[i].empty())
      missing += (missing.empty() ? "" : ", ") + describe(inputInfos[i]);
  if (!missing.empty())
    return error("missing --in for input(s) " + missing + " of '" +
                 options.model.modelPath + "' (inputs: " + inputList + ")");

  // Read and check the inputs.
  std::vector<txc::NpyArray> arrays;
  std::vector<const void *> inputs;
  for (size_t i = 0; i < inputInfos.size(); ++i) {
    const txrt_tensor_info &info = inputInfos[i];
    Expected<txc::NpyArray> array = txc::readNpy(inputFiles[i]);
    if (!array)
      return error("input '" + Twine(info.name) +
                   "': " + toString(array.takeError()));
    StringRef expected = npyDType(info.dtype);
    if (array->dtype != expected)
      return error("input '" + Twine(info.name) + "' from '" + inputFiles[i] +
                   "' has dtype " + array->dtype + ", but the model expects " +
                   txrt_dtype_name(info.dtype) + " (" + expected + ")");
    ArrayRef<int64_t> shape(info.dims, info.rank);
    if (ArrayRef<int64_t>(array->shape) != shape)
      return error("input '" + Twine(info.name) + "' from '" + inputFiles[i] +
                   "' has shape " + formatShape(array->shape) +
                   ", but the model expects " + formatShape(shape));
    inputs.push_back(array->data.data());
    arrays.push_back(std::move(*array));
  }

  // Output files: one per output, distinct after sanitizing.
  std::vector<std::string> outputFiles;
  if (!options.outDir.empty()) {
    StringMap<StringRef> taken;
    for (const txrt_tensor_info &info : outputInfos) {
      std::string file = sanitizeFileName(info.name) + ".npy";
      auto [it, inserted] = taken.try_emplace(file, info.name);
      if (!inserted)
        return error("outputs '" + it->second + "' and '" + info.name +
                     "' would both be written to '" + file + "'");
      SmallString<256> path(options.outDir);
      sys::path::append(path, file);
      outputFiles.push_back(std::string(path));
    }
    if (std::error_code ec = sys::fs::create_directories(options.outDir))
      return error("cannot create output directory '" + options.outDir +
                   "': " + ec.message());
  }
  std::vector<std::unique_ptr<WritableMemoryBuffer>> outputBuffers;
  std::vector<void *> outputs;
  for (const txrt_tensor_info &info : outputInfos) {
    outputBuffers.push_back(allocateOutput(info.byte_size));
    if (!outputBuffers.back())
      return error("cannot allocate " + Twine(info.byte_size) +
                   " bytes for output '" + info.name + "'");
    outputs.push_back(outputBuffers.back()->getBufferStart());
  }

  // Run, or warm up and time.
  auto runOnce = [&]() {
    return txrt_model_run(loaded, inputs.data(), outputs.data()) == TXRT_OK;
  };
  if (!runOnce())
    return error(txrt_last_error());
  if (options.benchRuns) {
    std::vector<double> ms;
    for (unsigned i = 0; i < options.benchRuns; ++i) {
      auto start = std::chrono::steady_clock::now();
      if (!runOnce())
        return error(txrt_last_error());
      ms.push_back(std::chrono::duration<double, std::milli>(
                       std::chrono::steady_clock::now() - start)
                       .count());
    }
    llvm::sort(ms);
    size_t n = ms.size();
    double median = n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2;
    outs() << "bench: " << n << " runs after 1 warm-up: median "
           << format("%.3f", median) << " ms, min " << format("%.3f", ms[0])
           << " ms, " << format("%.1f", median > 0 ? 1000.0 / median : 0.0)
           << " runs/s\n";
  }

  // Outputs.
  for (size_t i = 0; i < outputInfos.size(); ++i) {
    const txrt_tensor_info &info = outputInfos[i];
    if (outputFiles.empty())
      continue;
    StringRef dtype = npyDType(info.dtype);
    ArrayRef<char> data(outputBuffers[i]->getBufferStart(), info.byte_size);
    if (Error err =
            txc::writeNpy(outputFiles[i], dtype,
                          ArrayRef<int64_t>(info.dims, info.rank), data))
      return error("output '" + Twine(info.name) +
                   "': " + toString(std::move(err)));
    outs() << "wrote " << describe(info) << " to " << outputFiles[i] << "\n";
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  // Commands: txc-run MODEL.so generate|tokenize|eval ..., and
  // txc-run tokenize --tokenizer PATH ... without a model.
  if (argc >= 2 && StringRef(argv[1]) == "tokenize")
    return txcrun::runTokenize(argc, argv, /*hasModel=*/false);
  if (argc >= 3) {
    StringRef command = argv[2];
    if (command == "generate")
      return txcrun::runGenerate(argc, argv);
    if (command == "tokenize")
      return txcrun::runTokenize(argc, argv, /*hasModel=*/true);
    if (command == "eval")
      return txcrun::runEval(argc, argv);
  }
  return runMain(argc, argv);
}
