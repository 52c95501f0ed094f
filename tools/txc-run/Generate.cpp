//===- Generate.cpp - txc-run MODEL.so generate ---------------------------===//
//
// txc-run MODEL.so generate (--prompt TEXT | --prompt-ids IDS|FILE.npy |
//         --chat) [--max-new-tokens N] [--greedy | --temperature T
//         --top-k K --top-p P] [--seed S] [--repeat R] [--stop STRING]...
//         [--stop-token ID]... [--tokenizer PATH] [--print-ids]
//         [--out FILE.npy] [--threads N]
//
// Generates tokens with a model compiled by txc --max-seq: one session,
// the prompt prefilled, then one decode step per new token, each token
// picked by txrt_sample. A text prompt is tokenized with the model's
// tokenizer (or --tokenizer) and the answer streamed to stdout as it is
// generated; token ids given with --prompt-ids give "tokens: ..." lines.
// --chat holds a conversation read from standard input, keeping the KV
// cache across turns. Prefill and decode speed go to stderr. The
// generation loop, stop strings and chat turns are RunCore's
// (TextGenerator, Chat); this file holds the flags and the printing.
//
//===----------------------------------------------------------------------===//

#include "PromptIds.h"
#include "RunCore.h"
#include "TxcRun.h"
#include "txc/Support/Npy.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Process.h"

#include <chrono>
#include <cstring>
#include <functional>
#include <iostream>
#include <memory>
#include <vector>

using namespace llvm;
using namespace txcrun;

namespace {

struct GenerateOptions {
  cl::OptionCategory category{"txc-run generate options"};
  ModelOptions model{category};
  cl::opt<std::string> prompt{
      "prompt",
      cl::desc("The prompt as text, tokenized with the model's tokenizer "
               "(or --tokenizer): BOS/EOS as the tokenizer's rules say, and "
               "the text of special tokens (e.g. <|im_start|>) read as those "
               "tokens. The answer is streamed to stdout"),
      cl::value_desc("TEXT"), cl::cat(category)};
  cl::opt<std::string> promptIds{
      "prompt-ids",
      cl::desc("The prompt as token ids: a list separated by spaces or "
               "commas, rows of a batch separated by ';' (one row is used "
               "for every row of the batch), or a .npy file of int64 or "
               "int32, [P] or [batch, P]. Prints 'tokens: ...' lines; needs "
               "no tokenizer"),
      cl::value_desc("IDS|FILE.npy"), cl::cat(category)};
  cl::opt<bool> chat{
      "chat",
      cl::desc("Hold a conversation: user turns from standard input, one "
               "per line (a line \"\"\" starts and ends a multi-line turn; "
               "end of input ends the chat), formatted with the model's "
               "chat template; each answer is streamed and the KV cache is "
               "kept across turns"),
      cl::cat(category)};
  cl::opt<std::string> chatTemplate{
      "chat-template",
      cl::desc("--chat: format turns as chatml, llama3, llama2 or phi3 "
               "instead of the format detected from the tokenizer's chat "
               "template"),
      cl::value_desc("NAME"), cl::cat(category)};
  cl::opt<std::string> system{
      "system", cl::desc("--chat: a system message before the first turn"),
      cl::value_desc("TEXT"), cl::cat(category)};
  cl::opt<std::string> tokenizer{
      "tokenizer",
      cl::desc("The tokenizer, instead of the model's own (its metadata's "
               "tokenizer_file): a Hugging Face tokenizer.json or its folder, "
               "a .gguf file, or a txc tokenizer JSON"),
      cl::value_desc("PATH"), cl::cat(category)};
  cl::opt<int64_t> maxNewTokens{
      "max-new-tokens",
      cl::desc("Tokens to generate after the prompt, at most (default 16)"),
      cl::value_desc("N"), cl::init(16), cl::cat(category)};
  cl::opt<bool> greedy{"greedy",
                       cl::desc("Pick the most likely token (the default "
                                "unless a sampling flag is given)"),
                       cl::cat(category)};
  cl::opt<float> temperature{
      "temperature",
      cl::desc("Sample with this temperature (> 0; default 1 when --top-k "
               "or --top-p is given)"),
      cl::value_desc("T"), cl::init(1.0f), cl::cat(category)};
  cl::opt<int64_t> topK{"top-k",
                        cl::desc("Sample among the K most likely tokens (0: "
                                 "all; default 0)"),
                        cl::value_desc("K"), cl::init(0), cl::cat(category)};
  cl::opt<float> topP{
      "top-p",
      cl::desc("Sample among the most likely tokens whose probabilities sum "
               "to P (0 < P <= 1; default 1)"),
      cl::value_desc("P"), cl::init(1.0f), cl::cat(category)};
  cl::opt<uint64_t> seed{"seed",
                         cl::desc("Seed of the sampler (default 0): the same "
                                  "seed gives the same tokens"),
                         cl::value_desc("S"), cl::init(0), cl::cat(category)};
  cl::opt<unsigned> repeat{
      "repeat",
      cl::desc("Generate R times, resetting the session (and the seed) "
               "before each; prints the output of every run (default 1)"),
      cl::value_desc("R"), cl::init(1), cl::cat(category)};
  cl::list<std::string> stops{
      "stop",
      cl::desc("Text prompts: stop when the text generated contains STRING "
               "(repeatable); the string itself is not printed"),
      cl::value_desc("STRING"), cl::cat(category)};
  cl::list<int64_t> stopTokens{
      "stop-token",
      cl::desc("Stop once every row has generated this token (repeatable). "
               "With --prompt-ids a row that stopped keeps repeating its "
               "stop token while the others go on; text prompts also stop "
               "at the tokenizer's end-of-generation tokens"),
      cl::value_desc("ID"), cl::cat(category)};
  cl::opt<bool> printIds{
      "print-ids",
      cl::desc("Text prompts: after each row's text, print the prompt's ids "
               "('prompt: ...') and the generated ones ('tokens: ...')"),
      cl::cat(category)};
  cl::opt<bool> verbose{
      "verbose",
      cl::desc("--chat: print the prefill and decode speed of every turn on "
               "stderr ('prefill: N tokens ...', N the new tokens of the "
               "turn)"),
      cl::cat(category)};
  cl::opt<std::string> out{
      "out",
      cl::desc("Write the new tokens of the last run to FILE.npy (int64, "
               "[batch, N]; fewer columns when generation ended early, a "
               "row that ended first repeating its last token)"),
      cl::value_desc("FILE.npy"), cl::cat(category)};
};

double msSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - start)
      .count();
}

/// "kv cache: FORMAT, N bytes/token ..." of the loaded model (txc
/// --kv-quant), printed with the speed.
std::string kvCacheLine;
/// Whether the loaded model keeps a cache length per layer (mixture-of-
/// depths over the cache): each run then ends with printKvCache's line.
bool perLayerCache = false;

/// The "kv-cache: ..." line of a model with per-layer cache lengths, for the
/// cache as the run left it.
void printKvCache(const txrt_session *session) {
  int64_t held = 0, dense = 0;
  if (perLayerCache &&
      txrt_session_kv_positions(session, &held, &dense) == TXRT_OK)
    printKvPositions(held, dense);
}

void printSpeed(const txrt_session *session,
                const txrt_generation_info &info, int64_t promptLength,
                int64_t batch, double prefillMs, int64_t decodeSteps,
                double decodeMs) {
  errs() << "prefill: " << promptLength << " tokens x " << batch << " rows in "
         << format("%.2f", prefillMs) << " ms ("
         << format("%.1f", batch * promptLength / (prefillMs / 1e3))
         << " tokens/s)\n";
  if (decodeSteps > 0)
    errs() << "decode: " << decodeSteps << " steps x " << batch << " rows in "
           << format("%.2f", decodeMs) << " ms ("
           << format("%.1f", batch * decodeSteps / (decodeMs / 1e3))
           << " tokens/s, " << format("%.3f", decodeMs / decodeSteps)
           << " ms/step)\n";
  errs() << kvCacheLine;
  // Early exit: the mean depth (txc --early-exit).
  double layers = 0;
  int64_t tokens = 0;
  if (txrt_session_layers_run(session, &layers, &tokens) == TXRT_OK &&
      tokens > 0)
    errs() << "depth: " << format("%.2f", layers / tokens) << " of "
           << info.layers << " layers per token on average (early exit; "
           << tokens << " tokens since the session began)\n";
}

/// The message printed (exit status 0) when generation ends on a full
/// cache, as llama.cpp ends on a full context.
void reportCacheFull(int64_t capacity) {
  errs() << "txc-run: the KV cache is full (" << capacity
         << " positions; compile with a larger --max-seq)\n";
}

/// The stop rules of the generate flags.
StopRules stopRules(const GenerateOptions &o) {
  StopRules rules;
  rules.maxNewTokens = o.maxNewTokens;
  rules.stops.assign(o.stops.begin(), o.stops.end());
  rules.stopTokens.assign(o.stopTokens.begin(), o.stopTokens.end());
  return rules;
}

/// Generates text from the logits the session holds (RunCore's
/// TextGenerator); a batch of 1 streams to stdout. Returns an error
/// message, or "".
std::string generateText(const GenerateOptions &o, txrt_session *session,
                         const txrt_generation_info &info,
                         const txc::Tokenizer &tokenizer,
                         const txrt_sampling &params, txrt_rng &rng,
                         TextRun &run) {
  std::function<void(int64_t, StringRef)> sink;
  if (info.batch == 1)
    sink = [](int64_t, StringRef piece) {
      outs() << piece;
      outs().flush();
    };
  return txcrun::generateText(session, info, tokenizer, params, rng,
                              stopRules(o), std::move(sink), run);
}

std::string joinIds(ArrayRef<int64_t> ids) {
  std::string text;
  for (int64_t id : ids)
    text += (text.empty() ? "" : " ") + std::to_string(id);
  return text;
}

/// Writes --out: [batch, longest row], shorter rows repeating their last id.
std::string writeOut(StringRef path,
                     const std::vector<std::vector<int64_t>> &rows) {
  size_t width = 0;
  for (const auto &row : rows)
    width = std::max(width, row.size());
  std::vector<int64_t> kept;
  for (const auto &row : rows)
    for (size_t i = 0; i < width; ++i)
      kept.push_back(i < row.size() ? row[i] : row.empty() ? 0 : row.back());
  if (Error err = txc::writeNpy(
          path, "<i8", {int64_t(rows.size()), int64_t(width)},
          ArrayRef<char>(reinterpret_cast<const char *>(kept.data()),
                         kept.size() * sizeof(int64_t))))
    return "--out: " + toString(std::move(err));
  return "";
}

/// Generation from --prompt-ids: "tokens: ..." lines, the behaviour of
/// txc-run before text prompts.
int generateIds(const GenerateOptions &o, txrt_session *created,
                const txrt_generation_info &info, const txrt_sampling &params) {
  std::vector<int64_t> prompt;
  int64_t promptLength = 0;
  if (std::string message = readPromptIds(o.promptIds, info.batch, prompt, promptLength);
      !message.empty())
    return error(message);
  const int64_t batch = info.batch, n = o.maxNewTokens;
  std::vector<int64_t> generated(batch * n), step(batch);
  int64_t produced = n; // tokens per row of the last run
  auto isStop = [&](int64_t token) {
    return llvm::is_contained(o.stopTokens, token);
  };
  for (unsigned run = 0; run < o.repeat; ++run) {
    if (txrt_session_reset(created) != TXRT_OK)
      return error(txrt_last_error());
    txrt_rng rng;
    txrt_rng_seed(&rng, o.seed);
    std::vector<bool> stopped(batch, false);
    auto pick = [&](int64_t index) -> bool {
      const float *logits = txrt_session_logits(created);
      for (int64_t b = 0; b < batch; ++b) {
        if (stopped[b]) { // keeps its stop token
          generated[b * n + index] = step[b];
          continue;
        }
        if (txrt_sample(logits + b * info.vocab, size_t(info.vocab), &params,
                        &rng, &step[b]) != TXRT_OK)
          return false;
        generated[b * n + index] = step[b];
        stopped[b] = isStop(step[b]);
      }
      return true;
    };
    auto allStopped = [&] {
      return llvm::all_of(stopped, [](bool x) { return x; });
    };
    auto printTokens = [&](int64_t count) {
      for (int64_t b = 0; b < batch; ++b) {
        outs() << "tokens:";
        for (int64_t i = 0; i < count; ++i)
          outs() << " " << generated[b * n + i];
        outs() << "\n";
      }
      outs().flush();
    };

    auto start = std::chrono::steady_clock::now();
    if (txrt_session_prefill(created, prompt.data(), size_t(batch),
                             size_t(promptLength)) != TXRT_OK)
      return error(txrt_last_error());
    double prefillMs = msSince(start);
    if (!pick(0))
      return error(txrt_last_error());
    start = std::chrono::steady_clock::now();
    produced = n;
    for (int64_t i = 1; i < n; ++i) {
      if (allStopped()) {
        produced = i;
        break;
      }
      if (txrt_session_decode(created, step.data(), size_t(batch)) != TXRT_OK) {
        std::string why = txrt_last_error();
        printTokens(i);
        return error(why + " (after " + Twine(i) + " of " + Twine(n) +
                     " new tokens)");
      }
      if (!pick(i))
        return error(txrt_last_error());
    }
    double decodeMs = msSince(start);
    printTokens(produced);
    printKvCache(created);
    printSpeed(created, info, promptLength, batch, prefillMs, produced - 1,
               decodeMs);
  }
  if (!o.out.empty()) {
    std::vector<std::vector<int64_t>> rows;
    for (int64_t b = 0; b < batch; ++b)
      rows.emplace_back(generated.begin() + b * n,
                        generated.begin() + b * n + produced);
    if (std::string message = writeOut(o.out, rows); !message.empty())
      return error(message);
  }
  return 0;
}

/// Generation from a text --prompt: streams the answer (batch 1) or prints
/// each row's text after a "[row N]" header.
int generateFromText(const GenerateOptions &o, txrt_session *session,
                     const txrt_generation_info &info,
                     const txc::Tokenizer &tokenizer,
                     const txrt_sampling &params) {
  std::vector<int32_t> encoded = tokenizer.encode(o.prompt, true, true);
  if (encoded.empty())
    return error("the prompt is empty (it has no tokens)");
  const int64_t batch = info.batch, length = int64_t(encoded.size());
  std::vector<int64_t> prompt;
  for (int64_t b = 0; b < batch; ++b)
    prompt.insert(prompt.end(), encoded.begin(), encoded.end());
  TextRun last;
  for (unsigned r = 0; r < o.repeat; ++r) {
    if (txrt_session_reset(session) != TXRT_OK)
      return error(txrt_last_error());
    txrt_rng rng;
    txrt_rng_seed(&rng, o.seed);
    auto start = std::chrono::steady_clock::now();
    if (txrt_session_prefill(session, prompt.data(), size_t(batch),
                             size_t(length)) != TXRT_OK)
      return error(txrt_last_error());
    double prefillMs = msSince(start);
    TextRun run;
    if (std::string message =
            generateText(o, session, info, tokenizer, params, rng, run);
        !message.empty())
      return error(message);
    for (int64_t b = 0; b < batch; ++b) {
      if (batch > 1)
        outs() << "[row " << b << "]\n" << run.text[b];
      outs() << "\n";
      if (o.printIds)
        outs() << "prompt: "
               << joinIds(ArrayRef<int64_t>(prompt).take_front(length))
               << "\ntokens: " << joinIds(run.ids[b]) << "\n";
    }
    outs().flush();
    printKvCache(session);
    if (run.cacheFull)
      reportCacheFull(info.capacity);
    printSpeed(session, info, length, batch, prefillMs, run.decodeSteps,
               run.decodeMs);
    last = std::move(run);
  }
  if (!o.out.empty())
    if (std::string message = writeOut(o.out, last.ids); !message.empty())
      return error(message);
  return 0;
}

/// Reads the next user turn from standard input: one line, or the lines
/// between two lines `"""`. False at the end of input with nothing read.
bool readTurn(std::string &turn) {
  turn.clear();
  std::string line;
  bool interactive = sys::Process::StandardInIsUserInput();
  while (true) {
    if (interactive)
      errs() << "> ";
    if (!std::getline(std::cin, line))
      return false;
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (line == "\"\"\"") {
      bool closed = false;
      std::vector<std::string> lines;
      while (std::getline(std::cin, line)) {
        if (!line.empty() && line.back() == '\r')
          line.pop_back();
        if (line == "\"\"\"") {
          closed = true;
          break;
        }
        lines.push_back(line);
      }
      turn = join(lines, "\n");
      if (!turn.empty())
        return true;
      if (!closed)
        return false;
      continue;
    }
    if (!StringRef(line).trim().empty()) {
      turn = line;
      return true;
    }
  }
}

/// --chat: a conversation on standard input.
int runChat(const GenerateOptions &o, txrt_session *session,
            const txrt_generation_info &info, const txc::Tokenizer &tokenizer,
            const txrt_sampling &params) {
  if (info.batch != 1)
    return error("--chat needs a model compiled for batch 1, not " +
                 Twine(info.batch));
  txc::ChatFormat format;
  if (!o.chatTemplate.empty()) {
    StringRef name = o.chatTemplate;
    std::optional<txc::ChatFormat> named = chatFormatNamed(name);
    if (!named)
      return error("--chat-template: unknown format '" + name +
                   "' (known: chatml, llama3, llama2, phi3)");
    format = *named;
  } else {
    Expected<txc::ChatFormat> detected =
        txc::detectChatFormat(tokenizer.chatTemplate());
    if (!detected)
      return error(toString(detected.takeError()) +
                   " (give the format with --chat-template)");
    format = *detected;
  }
  Chat chat(tokenizer, format, o.system);
  txrt_rng rng;
  txrt_rng_seed(&rng, o.seed);
  std::string turn;
  while (readTurn(turn)) {
    std::vector<int64_t> ids;
    bool reset = false;
    chat.addUserTurn(turn, ids, reset);
    if (reset && txrt_session_reset(session) != TXRT_OK)
      return error(txrt_last_error());
    if (txrt_session_length(session) + int64_t(ids.size()) > info.capacity) {
      outs().flush();
      printKvCache(session);
      reportCacheFull(info.capacity);
      return 0;
    }
    auto start = std::chrono::steady_clock::now();
    if (txrt_session_prefill(session, ids.data(), 1, ids.size()) != TXRT_OK)
      return error(txrt_last_error());
    double prefillMs = msSince(start);
    chat.commitTurn();
    TextRun run;
    if (std::string message =
            generateText(o, session, info, tokenizer, params, rng, run);
        !message.empty())
      return error(message);
    outs() << "\n";
    outs().flush();
    if (o.verbose)
      printSpeed(session, info, int64_t(ids.size()), 1, prefillMs,
                 run.decodeSteps,
                 run.decodeMs);
    if (run.cacheFull) {
      printKvCache(session);
      reportCacheFull(info.capacity);
      return 0;
    }
    chat.addAnswer(run);
  }
  printKvCache(session);
  return 0;
}

} // namespace

int txcrun::runGenerate(int argc, char **argv) {
  InitLLVM init(argc, argv);
  releaseOptionNames({"prompt", "prompt-ids", "chat", "chat-template", "system",
                      "tokenizer", "max-new-tokens", "greedy", "temperature",
                      "top-k", "top-p", "seed", "repeat", "stop", "stop-token",
                      "print-ids", "verbose", "out"});
  GenerateOptions o;
  cl::HideUnrelatedOptions(o.category);
  std::vector<char *> args = dropCommandWord(argc, argv, 2);
  cl::ParseCommandLineOptions(
      int(args.size()), args.data(),
      "txc-run MODEL.so generate: autoregressive generation\n\n"
      "  txc model.gguf --max-seq 2048 -o out/model.so\n"
      "  txc-run out/model.so generate --prompt \"Once upon a time\" "
      "--max-new-tokens 64\n"
      "  txc-run out/model.so generate --chat --system \"Be brief.\"\n"
      "  txc-run out/model.so generate --prompt-ids \"1 2 3\" "
      "--max-new-tokens 32 --temperature 0.8 --top-p 0.9 --seed 7\n\n"
      "Prefills the prompt into the model's KV cache, then generates one "
      "token per decode step. A text prompt (--prompt) is tokenized with the "
      "model's tokenizer or --tokenizer, and the text is streamed to stdout "
      "as it is generated (special tokens are not printed), followed by a "
      "newline; generation ends at an end-of-generation token of the "
      "tokenizer, a --stop string, a --stop-token or --max-new-tokens. A "
      "batch of several rows generates from the same prompt and prints each "
      "row's text after a '[row N]' header once all are done. When the KV "
      "cache fills first, the text so far is printed and a message on "
      "stderr says so (exit status 0). Token ids (--prompt-ids) print one "
      "'tokens: ...' line per batch row instead, and running past the cache "
      "is an error. A model compiled with mixture-of-depths over its KV "
      "cache ends each run (a chat: the conversation) with 'kv-cache: H of D "
      "layer positions held (P% saved; mixture-of-depths)' on stdout: the "
      "positions its layers' caches hold against a dense cache's. Prefill "
      "and decode speed go to stderr. Exits with status 1 on any error.\n");

  int threads = 0;
  if (std::string message = threadsRequested(o.model, threads);
      !message.empty())
    return error(message);
  if (o.prompt.getNumOccurrences() && o.prompt.empty())
    return error("--prompt is empty: give the text to continue (for "
                 "generation from nothing but the start-of-text token, use "
                 "--prompt-ids with that token's id)");
  if (o.promptIds.getNumOccurrences() && o.promptIds.empty())
    return error("--prompt-ids is empty: give token ids (\"1 2 3\") or a "
                 ".npy file");
  int given = !o.prompt.empty() + !o.promptIds.empty() + bool(o.chat);
  if (given != 1)
    return error("give the prompt with exactly one of --prompt, --prompt-ids "
                 "and --chat");
  bool sampling = o.temperature.getNumOccurrences() ||
                  o.topK.getNumOccurrences() || o.topP.getNumOccurrences();
  if (o.greedy && sampling)
    return error("--greedy cannot be combined with --temperature, --top-k or "
                 "--top-p");
  if (o.maxNewTokens < 1)
    return error("--max-new-tokens must be at least 1");
  if (o.repeat < 1)
    return error("--repeat must be at least 1");
  for (const std::string &stop : o.stops)
    if (stop.empty())
      return error("--stop needs a non-empty string");
  if (!o.promptIds.empty() && !o.stops.empty())
    return error("--stop needs a text prompt (--prompt or --chat); with "
                 "--prompt-ids use --stop-token");
  if (!o.chat && (!o.chatTemplate.empty() || !o.system.empty()))
    return error("--chat-template and --system need --chat");
  txrt_sampling params{!sampling, o.temperature, o.topK, o.topP};
  // Bad sampling parameters fail before any work.
  if (sampling)
    if (std::string why = checkSampling(params); !why.empty())
      return error(why);

  ModelPtr model = loadModel(o.model, threads);
  if (!model)
    return 1;
  txrt_model *loaded = model.get();
  txrt_generation_info info;
  if (txrt_generation_info_get(loaded, &info) != TXRT_OK)
    return error(txrt_last_error());
  const char *kvFormat = nullptr;
  int64_t kvBytes = 0;
  if (txrt_generation_kv_cache(loaded, &kvFormat, &kvBytes) != TXRT_OK)
    return error(txrt_last_error());
  perLayerCache = kvPerLayer(loaded);
  // The cache's memory per position.
  raw_string_ostream line(kvCacheLine);
  line << "kv cache: " << kvFormat << ", " << kvBytes
       << " bytes/token (all layers, keys + values), "
       << format("%.1f", double(kvBytes) * info.capacity * info.batch /
                             (1 << 20))
       << " MiB for " << info.capacity << " positions x " << info.batch
       << " rows\n";

  std::unique_ptr<txc::Tokenizer> tokenizer;
  if (o.promptIds.empty()) {
    if (std::string message = findTokenizer(
            loaded, o.model.modelPath, o.tokenizer,
            "the prompt as token ids with --prompt-ids", tokenizer);
        !message.empty())
      return error(message);
    if (std::string message =
            checkVocabulary(*tokenizer, info.vocab, o.model.modelPath);
        !message.empty())
      return error(message);
  }

  txrt_session *created = nullptr;
  if (txrt_session_create(loaded, &created) != TXRT_OK)
    return error(txrt_last_error());
  SessionPtr session(created);
  if (!o.promptIds.empty())
    return generateIds(o, created, info, params);
  if (o.chat)
    return runChat(o, created, info, *tokenizer, params);
  return generateFromText(o, created, info, *tokenizer, params);
}
