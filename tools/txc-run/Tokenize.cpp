//===- Tokenize.cpp - txc-run [MODEL.so] tokenize -------------------------===//
//
// txc-run MODEL.so tokenize --text FILE [--no-special] [--decode]
// txc-run tokenize --tokenizer PATH --text FILE [--no-special] [--decode]
//
// Turns the text of a file into the token ids a model sees (one line,
// space-separated), or with --decode token ids back into text, with the
// model's tokenizer or one given by --tokenizer.
//
//===----------------------------------------------------------------------===//

#include "TxcRun.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"

using namespace llvm;
using namespace txcrun;

namespace {

struct TokenizeOptions {
  cl::OptionCategory category{"txc-run tokenize options"};
  ModelOptions model{category, /*modelOptional=*/true};
  cl::opt<std::string> text{
      "text",
      cl::desc("The file to tokenize, its bytes exactly (a final newline "
               "included); '-' reads standard input. With --decode, token "
               "ids separated by spaces, commas or newlines"),
      cl::value_desc("FILE"), cl::cat(category)};
  cl::opt<std::string> tokenizer{
      "tokenizer",
      cl::desc("The tokenizer, instead of the model's own: a Hugging Face "
               "tokenizer.json or its folder, a .gguf file, or a txc "
               "tokenizer JSON. Without a model it is required"),
      cl::value_desc("PATH"), cl::cat(category)};
  cl::opt<bool> noSpecial{
      "no-special",
      cl::desc("Do not add BOS/EOS (or [CLS]/[SEP]) as the tokenizer's rules "
               "would; with --decode, do not print special tokens. The text "
               "of special tokens in the file is still read as those tokens"),
      cl::cat(category)};
  cl::opt<bool> decode{
      "decode", cl::desc("Read token ids from the file and print their text"),
      cl::cat(category)};
};

} // namespace

int txcrun::runTokenize(int argc, char **argv, bool hasModel) {
  InitLLVM init(argc, argv);
  releaseOptionNames({"text", "tokenizer", "no-special", "decode"});
  TokenizeOptions o;
  cl::HideUnrelatedOptions(o.category);
  std::vector<char *> args = dropCommandWord(argc, argv, hasModel ? 2 : 1);
  cl::ParseCommandLineOptions(
      int(args.size()), args.data(),
      "txc-run MODEL.so tokenize: text to token ids and back\n\n"
      "  txc-run out/model.so tokenize --text prompt.txt\n"
      "  txc-run tokenize --tokenizer tokenizer.json --text prompt.txt "
      "--no-special\n"
      "  txc-run out/model.so tokenize --decode --text ids.txt\n\n"
      "Prints the token ids of the file's text on one line, separated by "
      "spaces, with BOS/EOS as the tokenizer's rules say (--no-special: "
      "none). With --decode the file holds ids and their text is printed. "
      "The model (its metadata's tokenizer_file) may be left out when "
      "--tokenizer is given.\n");

  if (o.text.empty())
    return error("give the text with --text FILE");
  ModelPtr model;
  if (!o.model.modelPath.empty()) {
    if (!hasModel)
      return error("give the model before the command: txc-run MODEL.so "
                   "tokenize ...");
    int threads = 0;
    if (std::string message = threadsRequested(o.model, threads);
        !message.empty())
      return error(message);
    model = loadModel(o.model, threads);
    if (!model)
      return 1;
  } else if (o.tokenizer.empty()) {
    return error("give a model or --tokenizer PATH");
  }
  std::unique_ptr<txc::Tokenizer> tokenizer;
  if (std::string message = findTokenizer(model.get(), o.model.modelPath,
                                          o.tokenizer, "", tokenizer);
      !message.empty())
    return error(message);
  std::string text;
  if (std::string message = readTextFile(o.text, "--text", text);
      !message.empty())
    return error(message);

  if (o.decode) {
    std::vector<int64_t> ids;
    if (std::string message = parseIds(text, "--text", ids); !message.empty())
      return error(message);
    std::vector<int32_t> narrow;
    for (int64_t id : ids) {
      if (id < 0 || id >= tokenizer->vocabSize())
        return error("--text: token " + Twine(id) +
                     " is outside the tokenizer's vocabulary [0, " +
                     Twine(tokenizer->vocabSize()) + ")");
      narrow.push_back(int32_t(id));
    }
    outs() << tokenizer->decode(narrow, o.noSpecial) << "\n";
    return 0;
  }
  std::vector<int32_t> ids = tokenizer->encode(text, !o.noSpecial, true);
  for (size_t i = 0; i < ids.size(); ++i)
    outs() << (i ? " " : "") << ids[i];
  outs() << "\n";
  return 0;
}
