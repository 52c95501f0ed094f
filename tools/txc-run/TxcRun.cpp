//===- TxcRun.cpp - helpers shared by txc-run's commands ------------------===//
//
// Model flags and loading shared by txc-run's commands.
//
//===----------------------------------------------------------------------===//

#include "TxcRun.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/Process.h"

#include <optional>

using namespace llvm;

txcrun::ModelOptions::ModelOptions(cl::OptionCategory &category,
                                   bool modelOptional)
    : modelPath(cl::Positional, cl::desc("MODEL.so"),
                modelOptional ? cl::Optional : cl::Required, cl::cat(category)),
      numThreads("threads",
                 cl::desc("Threads the model may use (default: the "
                          "TXC_NUM_THREADS environment variable, else the "
                          "model's own default)"),
                 cl::value_desc("N"), cl::init(0), cl::cat(category)),
      weightsPath("weights",
                  cl::desc("The safetensors weights file (default: the file "
                           "the model's metadata names, next to MODEL.so)"),
                  cl::value_desc("FILE"), cl::cat(category)),
      verifyWeights(
          "verify-weights",
          cl::desc("How much of the weights file to check against the "
                   "fingerprint txc recorded in the model"),
          cl::values(clEnumValN(TXRT_VERIFY_SAMPLE, "sample",
                                "a sample at load, every byte in the "
                                "background before the first run (default)"),
                     clEnumValN(TXRT_VERIFY_FULL, "full",
                                "every byte during the load"),
                     clEnumValN(TXRT_VERIFY_NONE, "none",
                                "nothing (weights swapped on purpose)")),
          cl::init(TXRT_VERIFY_SAMPLE), cl::cat(category)),
      noVerifyWeights("no-verify-weights",
                      cl::desc("Same as --verify-weights=none"),
                      cl::cat(category)) {}

void txcrun::releaseOptionNames(ArrayRef<StringRef> names) {
  auto &registered = cl::getRegisteredOptions();
  auto release = [&](StringRef name) {
    if (cl::Option *option = registered.lookup(name))
      option->removeArgument();
  };
  for (StringRef name : names)
    release(name);
  release("threads");
  release("weights");
  release("verify-weights");
  release("no-verify-weights");
}

std::string txcrun::threadsRequested(const ModelOptions &options,
                                     int &threads) {
  threads = 0;
  const cl::opt<int> &flag = options.numThreads;
  if (flag.getNumOccurrences()) {
    if (flag < 1)
      return "--threads must be at least 1, got " + std::to_string(flag);
    threads = flag;
    return "";
  }
  std::optional<std::string> env = sys::Process::GetEnv("TXC_NUM_THREADS");
  if (!env || env->empty())
    return "";
  if (StringRef(*env).getAsInteger(10, threads) || threads < 1)
    return "TXC_NUM_THREADS must be a positive integer, got '" + *env + "'";
  return "";
}

txcrun::ModelPtr txcrun::loadModel(const ModelOptions &options, int threads) {
  txrt_model *loaded = nullptr;
  txrt_verify verify =
      options.noVerifyWeights ? TXRT_VERIFY_NONE : options.verifyWeights;
  if (txrt_model_load_ex(options.modelPath.c_str(),
                         options.weightsPath.empty()
                             ? nullptr
                             : options.weightsPath.c_str(),
                         verify, &loaded) != TXRT_OK) {
    error(txrt_last_error());
    return nullptr;
  }
  ModelPtr model(loaded);
  if (threads && txrt_set_num_threads(loaded, threads) != TXRT_OK) {
    error(txrt_last_error());
    return nullptr;
  }
  return model;
}

bool txcrun::kvPerLayer(const txrt_model *model) {
  int perLayer = 0;
  return txrt_generation_kv_per_layer(model, &perLayer) == TXRT_OK && perLayer;
}

void txcrun::printKvPositions(int64_t held, int64_t dense) {
  double saved = dense > 0 ? 100.0 * (1.0 - double(held) / double(dense)) : 0;
  outs() << "kv-cache: " << held << " of " << dense << " layer positions held ("
         << format("%.1f", saved) << "% saved; mixture-of-depths)\n";
  outs().flush();
}

std::vector<char *> txcrun::dropCommandWord(int argc, char **argv, int index) {
  std::vector<char *> args(argv, argv + argc);
  args.erase(args.begin() + index);
  return args;
}
