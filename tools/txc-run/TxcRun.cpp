//===- TxcRun.cpp - helpers shared by txc-run's commands ------------------===//
//
// Model flags and loading, tokenizer lookup (a model's tokenizer_file or
// --tokenizer) and small readers shared by txc-run's commands.
//
//===----------------------------------------------------------------------===//

#include "TxcRun.h"
#include "txc/Support/Files.h"

#include "txc/Support/GGUF.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
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

Expected<std::unique_ptr<txc::Tokenizer>>
txcrun::loadTokenizer(StringRef path) {
  auto fail = [&](const Twine &why) {
    return createStringError("tokenizer '" + path + "': " + why);
  };
  sys::fs::file_status status;
  if (std::error_code ec = sys::fs::status(path, status))
    return fail(ec.message());
  if (sys::fs::is_directory(status))
    return txc::Tokenizer::fromHuggingFace(path);
  Expected<std::unique_ptr<MemoryBuffer>> file = txc::readRegularFile(path);
  if (!file)
    return fail(toString(file.takeError()));
  StringRef bytes = (*file)->getBuffer();
  if (bytes.starts_with("GGUF")) {
    // Parsed from the bytes already read (the file is read once).
    Expected<std::unique_ptr<txc::GGUFFile>> gguf =
        txc::GGUFFile::parse(std::move(*file));
    if (!gguf)
      return gguf.takeError();
    return txc::Tokenizer::fromGGUF(**gguf);
  }
  // txc's own form says "format": "txc-tokenizer"; a Hugging Face
  // tokenizer.json has a "model" object (its vocabulary and algorithm).
  Expected<json::Value> parsed = json::parse(bytes);
  if (!parsed)
    return fail("neither a GGUF file nor JSON: " +
                toString(parsed.takeError()));
  const json::Object *root = parsed->getAsObject();
  if (root && root->getString("format") != StringRef("txc-tokenizer") &&
      root->getObject("model"))
    return txc::Tokenizer::fromHuggingFace(path);
  Expected<std::unique_ptr<txc::Tokenizer>> own =
      txc::Tokenizer::fromJSON(bytes);
  if (!own)
    return fail(toString(own.takeError()));
  return own;
}

std::string txcrun::findTokenizer(const txrt_model *model, StringRef modelPath,
                                  StringRef override, StringRef alternatives,
                                  std::unique_ptr<txc::Tokenizer> &out) {
  std::string path = override.str();
  if (path.empty()) {
    const char *own = model ? txrt_model_tokenizer_path(model) : nullptr;
    if (!own) {
      std::string message =
          model ? "model '" + modelPath.str() +
                      "' has no tokenizer (its metadata names no "
                      "tokenizer_file)"
                : std::string("no tokenizer");
      return message + ": give one with --tokenizer PATH" +
             (alternatives.empty() ? std::string()
                                   : ", or " + alternatives.str());
    }
    path = own;
  }
  Expected<std::unique_ptr<txc::Tokenizer>> loaded = loadTokenizer(path);
  if (!loaded)
    return toString(loaded.takeError());
  out = std::move(*loaded);
  return "";
}

std::string txcrun::readTextFile(StringRef path, StringRef flag,
                                 std::string &out) {
  if (path != "-")
    if (std::string why = txc::checkRegularFile(path); !why.empty())
      return (flag + ": " + why).str();
  ErrorOr<std::unique_ptr<MemoryBuffer>> file =
      path == "-" ? MemoryBuffer::getSTDIN()
                  : MemoryBuffer::getFile(path, /*IsText=*/false,
                                          /*RequiresNullTerminator=*/false);
  if (!file)
    return (flag + ": cannot read '" + path + "': " + file.getError().message())
        .str();
  out = (*file)->getBuffer().str();
  return "";
}

std::vector<char *> txcrun::dropCommandWord(int argc, char **argv, int index) {
  std::vector<char *> args(argv, argv + argc);
  args.erase(args.begin() + index);
  return args;
}
