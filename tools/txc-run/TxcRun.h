//===- TxcRun.h - helpers shared by txc-run's commands ----------*- C++ -*-===//
//
// The pieces every txc-run command uses: error reporting, the model flags
// and loading. What does not depend on the command line (tokenizers,
// generation, perplexity) is in RunCore.h, the library TxcRunCore.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_TOOLS_TXC_RUN_TXCRUN_H
#define TXC_TOOLS_TXC_RUN_TXCRUN_H

#include "PromptIds.h"
#include "RunCore.h"
#include "txc-c/txrt.h"
#include "txc/Runtime/Tokenizer.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <string>
#include <vector>

namespace txcrun {

/// Prints "txc-run: error: MESSAGE" and returns the exit status for errors.
inline int error(const llvm::Twine &message) {
  llvm::errs() << "txc-run: error: " << message << "\n";
  return 1;
}

/// The flags of every txc-run command: the model, its weights, its threads.
/// A command's options struct holds one, after its option category. The
/// model is positional and required unless `modelOptional`.
struct ModelOptions {
  explicit ModelOptions(llvm::cl::OptionCategory &category,
                        bool modelOptional = false);
  llvm::cl::opt<std::string> modelPath;
  llvm::cl::opt<int> numThreads;
  llvm::cl::opt<std::string> weightsPath;
  llvm::cl::opt<txrt_verify> verifyWeights;
  llvm::cl::opt<bool> noVerifyWeights;
};

/// libLLVM registers command-line options of its own when it loads, among
/// them one called "threads". txc-run never runs LLVM code that reads them,
/// so any named like a txc-run flag (`names`, plus those of ModelOptions)
/// are unregistered. Call before constructing the options.
void releaseOptionNames(llvm::ArrayRef<llvm::StringRef> names);

/// The number of threads requested by --threads or TXC_NUM_THREADS, 0 for
/// none; an error message on a bad value.
std::string threadsRequested(const ModelOptions &options, int &threads);

/// Loads the model `options` names and gives it `threads` (0: its own
/// default). On failure prints the error and returns null.
ModelPtr loadModel(const ModelOptions &options, int threads);

/// Whether `model` keeps a KV cache length per layer
/// (txrt_generation_kv_per_layer: mixture-of-depths over the cache).
bool kvPerLayer(const txrt_model *model);

/// For such a model: prints "kv-cache: H of D layer positions held (P%
/// saved; mixture-of-depths)" on stdout, H and D from
/// txrt_session_kv_positions (summed over eval's windows).
void printKvPositions(int64_t held, int64_t dense);

/// `txc-run MODEL.so generate ...` (Generate.cpp).
int runGenerate(int argc, char **argv);

/// `txc-run [MODEL.so] tokenize ...` (Tokenize.cpp); `hasModel` says
/// whether argv[1] is a model (the command word is then argv[2], else
/// argv[1]).
int runTokenize(int argc, char **argv, bool hasModel);

/// `txc-run MODEL.so eval ...` (Eval.cpp).
int runEval(int argc, char **argv);

/// Removes the command word at argv[index] for the option parser.
std::vector<char *> dropCommandWord(int argc, char **argv, int index);

} // namespace txcrun

#endif // TXC_TOOLS_TXC_RUN_TXCRUN_H
