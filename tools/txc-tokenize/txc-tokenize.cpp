//===- txc-tokenize.cpp - encode and decode text with txc's tokenizers ----===//
//
// A command-line driver of TxcTokenizer for tests and for looking at how a
// model's tokenizer splits text:
//
//   txc-tokenize --tokenizer PATH encode [TEXT]      ids of TEXT (or stdin)
//   txc-tokenize --tokenizer PATH encode --lines F   ids of each line of F
//   txc-tokenize --tokenizer PATH decode ID...       text of the ids
//   txc-tokenize --tokenizer PATH decode --lines F   text of each line of ids
//   txc-tokenize --tokenizer PATH vocab-test F.inp   llama.cpp's .inp/.out
//   txc-tokenize --tokenizer PATH to-json OUT        txc's JSON form
//
// PATH is a GGUF file, a tokenizer.json (or its folder) or txc's JSON form.
//
//===----------------------------------------------------------------------===//

#include "txc/Runtime/Tokenizer.h"
#include "txc/Support/Files.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
using namespace txc;

static cl::OptionCategory category("txc-tokenize options");
static cl::opt<std::string> tokenizerPath("tokenizer", cl::Required,
                                          cl::desc("tokenizer file or folder"),
                                          cl::value_desc("path"),
                                          cl::cat(category));
static cl::opt<bool> addSpecial("add-special",
                                cl::desc("add the BOS/EOS ([CLS]/[SEP]) "
                                         "tokens the tokenizer adds"),
                                cl::cat(category));
static cl::opt<bool> parseSpecial("parse-special",
                                  cl::desc("read special token text (e.g. "
                                           "<|im_start|>) as its id"),
                                  cl::cat(category));
static cl::opt<bool> skipSpecial("skip-special",
                                 cl::desc("decode: leave special tokens out"),
                                 cl::cat(category));
static cl::opt<std::string> linesFile("lines",
                                      cl::desc("one text (encode) or id list "
                                               "(decode) per line of FILE; "
                                               "decode prints JSON strings"),
                                      cl::value_desc("file"),
                                      cl::cat(category));
static cl::list<std::string> positional(cl::Positional,
                                        cl::desc("<command> [args...]"),
                                        cl::cat(category));

static int fail(const Twine &msg) {
  WithColor::error(errs(), "txc-tokenize") << msg << "\n";
  return 1;
}

static Expected<std::string> readFile(StringRef path) {
  if (path != "-")
    if (std::string why = txc::checkRegularFile(path); !why.empty())
      return createStringError(inconvertibleErrorCode(), why);
  auto buf =
      path == "-" ? MemoryBuffer::getSTDIN() : MemoryBuffer::getFile(path);
  if (!buf)
    return createStringError(buf.getError(), "cannot read %s: %s",
                             path.str().c_str(),
                             buf.getError().message().c_str());
  return (*buf)->getBuffer().str();
}

/// The lines of `path` (no trailing empty line).
static Expected<std::vector<std::string>> readLines(StringRef path) {
  auto text = readFile(path);
  if (!text)
    return text.takeError();
  SmallVector<StringRef> parts;
  StringRef(*text).split(parts, '\n');
  if (!parts.empty() && parts.back().empty())
    parts.pop_back();
  return std::vector<std::string>(parts.begin(), parts.end());
}

static bool parseIds(StringRef text, std::vector<int32_t> &ids) {
  SmallVector<StringRef> parts;
  text.split(parts, ' ', -1, /*KeepEmpty=*/false);
  for (StringRef p : parts) {
    int32_t id;
    if (p.trim().getAsInteger(10, id))
      return false;
    ids.push_back(id);
  }
  return true;
}

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv, "txc tokenizer driver\n");
  if (positional.empty())
    return fail("no command (encode, decode, vocab-test, to-json)");
  StringRef command = positional[0];

  auto tok = loadTokenizer(tokenizerPath);
  if (!tok)
    return fail(tokenizerPath + ": " + toString(tok.takeError()));
  const Tokenizer &t = **tok;

  if (command == "encode") {
    if (!linesFile.empty()) {
      auto lines = readLines(linesFile);
      if (!lines)
        return fail(toString(lines.takeError()));
      for (StringRef line : *lines)
        outs() << formatIds(t.encode(line, addSpecial, parseSpecial)) << "\n";
      return 0;
    }
    std::string text;
    if (positional.size() > 1) {
      for (size_t i = 1; i < positional.size(); ++i)
        text += (i > 1 ? " " : "") + positional[i];
    } else {
      auto in = readFile("-");
      if (!in)
        return fail(toString(in.takeError()));
      text = *in;
    }
    outs() << formatIds(t.encode(text, addSpecial, parseSpecial)) << "\n";
    return 0;
  }

  if (command == "decode") {
    if (!linesFile.empty()) {
      auto lines = readLines(linesFile);
      if (!lines)
        return fail(toString(lines.takeError()));
      for (StringRef line : *lines) {
        std::vector<int32_t> ids;
        if (!parseIds(line, ids))
          return fail("not a list of token ids: \"" + line + "\"");
        std::string s = t.decode(ids, skipSpecial);
        // JSON needs valid UTF-8: decoded bytes are shown as U+FFFD.
        outs() << json::Value(json::fixUTF8(s)) << "\n";
      }
      return 0;
    }
    std::vector<int32_t> ids;
    for (size_t i = 1; i < positional.size(); ++i)
      if (!parseIds(positional[i], ids))
        return fail("not a token id: \"" + positional[i] + "\"");
    outs() << t.decode(ids, skipSpecial) << "\n";
    return 0;
  }

  if (command == "vocab-test") {
    if (positional.size() != 2)
      return fail("vocab-test takes one .inp file");
    auto text = readFile(positional[1]);
    if (!text)
      return fail(toString(text.takeError()));
    StringRef rest = *text;
    StringRef sep = "\n__ggml_vocab_test__\n";
    while (!rest.empty()) {
      auto [input, after] = rest.split(sep);
      if (after.data() == nullptr || input.size() == rest.size())
        break;
      std::vector<int32_t> ids = t.encode(input, false, false);
      outs() << (ids.empty() ? "" : " " + formatIds(ids)) << "\n";
      rest = after;
    }
    return 0;
  }

  if (command == "to-json") {
    if (positional.size() != 2)
      return fail("to-json takes an output path");
    std::error_code ec;
    raw_fd_ostream os(positional[1], ec);
    if (ec)
      return fail("cannot write " + positional[1] + ": " + ec.message());
    os << t.toJSON();
    return 0;
  }
  return fail("unknown command \"" + command +
              "\" (encode, decode, vocab-test, to-json)");
}
