//===- Generate.cpp - txc-run MODEL.so generate ---------------------------===//
//
// txc-run MODEL.so generate (--prompt "1 2 3" | --prompt-ids FILE.npy)
//         --max-new-tokens N [--greedy | --temperature T --top-k K
//         --top-p P] [--seed S] [--repeat R] [--stop-token ID]...
//         [--out FILE.npy] [--threads N]
//
// Generates tokens with a model compiled by txc --max-seq: one session,
// the prompt prefilled, then one decode step per new token, each token
// picked by txrt_sample. Prints the new token ids of every row on stdout
// ("tokens: ..."), and prefill and decode speed on stderr.
//
//===----------------------------------------------------------------------===//

#include "TxcRun.h"
#include "txc/Support/Npy.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"

#include <chrono>
#include <cstring>
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
      cl::desc("Prompt token ids, separated by spaces or commas; rows of a "
               "batch separated by ';' (one row is used for every row of the "
               "batch)"),
      cl::value_desc("IDS"), cl::cat(category)};
  cl::opt<std::string> promptIds{
      "prompt-ids",
      cl::desc("Prompt token ids from a .npy file of int64 or int32, [P] or "
               "[batch, P]"),
      cl::value_desc("FILE.npy"), cl::cat(category)};
  cl::opt<int64_t> maxNewTokens{
      "max-new-tokens",
      cl::desc("Tokens to generate after the prompt (prompt + N - 1 "
               "positions must fit in the model's --max-seq)"),
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
               "before each; prints the tokens of every run (default 1)"),
      cl::value_desc("R"), cl::init(1), cl::cat(category)};
  cl::list<int64_t> stopTokens{
      "stop-token",
      cl::desc("Stop once every row has generated this token (an end-of-"
               "sequence id; repeatable). A row that stopped keeps repeating "
               "its stop token while the others go on"),
      cl::value_desc("ID"), cl::cat(category)};
  cl::opt<std::string> out{
      "out",
      cl::desc("Write the new tokens of the last run to FILE.npy (int64, "
               "[batch, N], fewer columns when --stop-token ended it early)"),
      cl::value_desc("FILE.npy"), cl::cat(category)};
};

/// Reads the prompt ([batch][P], row-major) from --prompt or --prompt-ids.
std::string readPrompt(const GenerateOptions &o, int64_t batch,
                       std::vector<int64_t> &tokens, int64_t &length) {
  std::vector<std::vector<int64_t>> rows;
  if (!o.prompt.empty() == !o.promptIds.empty())
    return "give the prompt with exactly one of --prompt and --prompt-ids";
  if (!o.prompt.empty()) {
    SmallVector<StringRef> parts;
    StringRef(o.prompt).split(parts, ';');
    for (StringRef part : parts) {
      std::vector<int64_t> row;
      SmallVector<StringRef> ids;
      SplitString(part, ids, " ,\t");
      for (StringRef id : ids) {
        int64_t v;
        if (id.getAsInteger(10, v))
          return "--prompt: '" + id.str() + "' is not a token id";
        row.push_back(v);
      }
      rows.push_back(std::move(row));
    }
  } else {
    Expected<txc::NpyArray> array = txc::readNpy(o.promptIds);
    if (!array)
      return "--prompt-ids: " + toString(array.takeError());
    bool i64 = array->dtype == "<i8", i32 = array->dtype == "<i4";
    if ((!i64 && !i32) || array->shape.empty() || array->shape.size() > 2)
      return "--prompt-ids: '" + o.promptIds.getValue() +
             "' must hold int64 or int32 ids of shape [P] or [batch, P], got "
             "dtype " + array->dtype;
    int64_t r = array->shape.size() == 2 ? array->shape[0] : 1;
    int64_t p = array->shape.back();
    for (int64_t i = 0; i < r; ++i) {
      std::vector<int64_t> row;
      for (int64_t j = 0; j < p; ++j) {
        int64_t index = i * p + j;
        int64_t v = 0;
        if (i64)
          std::memcpy(&v, array->data.data() + index * 8, 8);
        else {
          int32_t w;
          std::memcpy(&w, array->data.data() + index * 4, 4);
          v = w;
        }
        row.push_back(v);
      }
      rows.push_back(std::move(row));
    }
  }
  if (rows.size() == 1 && batch > 1)
    rows.assign(batch, rows.front());
  if (int64_t(rows.size()) != batch)
    return "the prompt has " + std::to_string(rows.size()) +
           " rows but the model generates batches of " + std::to_string(batch);
  length = rows.front().size();
  if (length == 0)
    return "the prompt is empty";
  for (const auto &row : rows)
    if (int64_t(row.size()) != length)
      return "the prompt's rows differ in length (the model's rows advance "
             "together)";
  tokens.clear();
  for (const auto &row : rows)
    tokens.insert(tokens.end(), row.begin(), row.end());
  return "";
}

struct SessionDeleter {
  void operator()(txrt_session *s) const { txrt_session_free(s); }
};

double msSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - start)
      .count();
}

} // namespace

int txcrun::runGenerate(int argc, char **argv) {
  InitLLVM init(argc, argv);
  releaseOptionNames({"prompt", "prompt-ids", "max-new-tokens", "greedy",
                      "temperature", "top-k", "top-p", "seed", "repeat",
                      "stop-token", "out"});
  GenerateOptions o;
  cl::HideUnrelatedOptions(o.category);
  // Drop the word "generate".
  std::vector<char *> args(argv, argv + argc);
  args.erase(args.begin() + 2);
  cl::ParseCommandLineOptions(
      int(args.size()), args.data(),
      "txc-run MODEL.so generate: autoregressive generation\n\n"
      "  txc out/model.onnx --max-seq 512 -o out/model.so\n"
      "  txc-run out/model.so generate --prompt \"1 2 3\" --max-new-tokens 32\n"
      "  txc-run out/model.so generate --prompt-ids ids.npy "
      "--max-new-tokens 64 --temperature 0.8 --top-p 0.9 --seed 7\n\n"
      "Prefills the prompt into the model's KV cache, then generates one "
      "token per decode step. Prints the new token ids on stdout, one line "
      "per batch row ('tokens: ...'), and prefill and decode speed on "
      "stderr. Exits with status 1 on any error (a model not compiled with "
      "--max-seq, a prompt of the wrong batch, tokens past the cache "
      "capacity, ...).\n");

  int threads = 0;
  if (std::string message = threadsRequested(o.model, threads);
      !message.empty())
    return error(message);
  bool sampling = o.temperature.getNumOccurrences() ||
                  o.topK.getNumOccurrences() || o.topP.getNumOccurrences();
  if (o.greedy && sampling)
    return error("--greedy cannot be combined with --temperature, --top-k or "
                 "--top-p");
  if (o.maxNewTokens < 1)
    return error("--max-new-tokens must be at least 1");
  if (o.repeat < 1)
    return error("--repeat must be at least 1");
  txrt_sampling params{!sampling, o.temperature, o.topK, o.topP};
  // Bad sampling parameters fail before any work.
  if (sampling) {
    float probe = 0.0f;
    int64_t token;
    txrt_rng rng;
    txrt_rng_seed(&rng, 0);
    if (txrt_sample(&probe, 1, &params, &rng, &token) != TXRT_OK)
      return error(txrt_last_error());
  }

  ModelPtr model = loadModel(o.model, threads);
  if (!model)
    return 1;
  txrt_model *loaded = model.get();
  txrt_generation_info info;
  if (txrt_generation_info_get(loaded, &info) != TXRT_OK)
    return error(txrt_last_error());

  std::vector<int64_t> prompt;
  int64_t promptLength = 0;
  if (std::string message = readPrompt(o, info.batch, prompt, promptLength);
      !message.empty())
    return error(message);

  txrt_session *created = nullptr;
  if (txrt_session_create(loaded, &created) != TXRT_OK)
    return error(txrt_last_error());
  std::unique_ptr<txrt_session, SessionDeleter> session(created);

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
      if (txrt_session_decode(created, step.data(), size_t(batch)) !=
          TXRT_OK) {
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
    errs() << "prefill: " << promptLength << " tokens x " << batch << " rows in "
           << format("%.2f", prefillMs) << " ms ("
           << format("%.1f", batch * promptLength / (prefillMs / 1e3))
           << " tokens/s)\n";
    if (produced > 1)
      errs() << "decode: " << (produced - 1) << " steps x " << batch
             << " rows in " << format("%.2f", decodeMs) << " ms ("
             << format("%.1f", batch * (produced - 1) / (decodeMs / 1e3))
             << " tokens/s, " << format("%.3f", decodeMs / (produced - 1))
             << " ms/step)\n";
  }
  std::vector<int64_t> kept;
  for (int64_t b = 0; b < batch; ++b)
    kept.insert(kept.end(), generated.begin() + b * n,
                generated.begin() + b * n + produced);
  if (!o.out.empty())
    if (Error err = txc::writeNpy(
            o.out, "<i8", {batch, produced},
            ArrayRef<char>(reinterpret_cast<const char *>(kept.data()),
                           kept.size() * sizeof(int64_t))))
      return error("--out: " + toString(std::move(err)));
  return 0;
}
