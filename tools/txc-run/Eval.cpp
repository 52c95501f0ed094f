//===- Eval.cpp - txc-run MODEL.so eval -----------------------------------===//
//
// txc-run MODEL.so eval --text FILE [--context N] [--stride N]
//         [--mode prefill|decode] [--reference OTHER.so] [--max-tokens N]
//         [--logits-out FILE.npy] [--tokenizer PATH] [--no-bos]
//
// Measures how well a generation model predicts a text: the text is
// tokenized, cut into windows of --context tokens advancing by --stride,
// and every token after the first of a window is scored (with overlapping
// windows only the tokens no earlier window scored, as in Hugging Face's
// perplexity guide). Prints the perplexity, exp of the mean negative
// log-likelihood computed in double. With --reference, the same windows
// run through a second model (e.g. the dense model an optimized one was
// made from) and the top-1 agreement, the mean KL divergence and the
// reference's perplexity are printed too. Encoder models (no generation
// section) are compared by the cosine similarity of mean-pooled
// embeddings, one text line at a time.
//
//===----------------------------------------------------------------------===//

#include "TxcRun.h"
#include "txc/Support/Npy.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

using namespace llvm;
using namespace txcrun;

namespace {

struct EvalOptions {
  cl::OptionCategory category{"txc-run eval options"};
  ModelOptions model{category};
  cl::opt<std::string> text{
      "text",
      cl::desc("The text to score (its bytes exactly). Tokenized without "
               "BOS unless the tokenizer's rules add one (see --no-bos); "
               "encoder models read one sequence per non-empty line"),
      cl::value_desc("FILE"), cl::cat(category)};
  cl::opt<int64_t> context{
      "context",
      cl::desc("Tokens per window, at least 2 and at most the KV cache's "
               "capacity (default: the smaller of 512 and the capacity)"),
      cl::value_desc("N"), cl::init(0), cl::cat(category)};
  cl::opt<int64_t> stride{
      "stride",
      cl::desc("Tokens each window starts after the previous one, 1 to "
               "--context (default --context: windows do not overlap). With "
               "a smaller stride each later window scores only its tokens no "
               "earlier window scored, seeing the others as context"),
      cl::value_desc("N"), cl::init(0), cl::cat(category)};
  cl::opt<std::string> mode{
      "mode",
      cl::desc("How a window runs: 'prefill' (default) through the prefill "
               "step, taking the logits of every position; 'decode' one "
               "token per decode step, as generation runs"),
      cl::value_desc("prefill|decode"), cl::init("prefill"), cl::cat(category)};
  cl::opt<std::string> reference{
      "reference",
      cl::desc("A second model with the same vocabulary run on the same "
               "windows (its weights: the file its metadata names); prints "
               "top1-agreement, kl (mean KL(reference || model)) and the "
               "reference's perplexity. For encoder models: the mean cosine "
               "similarity of mean-pooled embeddings"),
      cl::value_desc("OTHER.so"), cl::cat(category)};
  cl::opt<int64_t> maxTokens{
      "max-tokens",
      cl::desc("Use only the first N tokens of the text (at least 2)"),
      cl::value_desc("N"), cl::init(0), cl::cat(category)};
  cl::opt<std::string> logitsOut{
      "logits-out",
      cl::desc("Write the model's logits of every scored position, in "
               "order, to FILE.npy (f32 [T, vocab]; row t predicts the t-th "
               "scored token)"),
      cl::value_desc("FILE.npy"), cl::cat(category)};
  cl::opt<std::string> tokenizer{
      "tokenizer",
      cl::desc("The tokenizer, instead of the model's own: a Hugging Face "
               "tokenizer.json or its folder, a .gguf file, or a txc "
               "tokenizer JSON"),
      cl::value_desc("PATH"), cl::cat(category)};
  cl::opt<bool> noBos{
      "no-bos",
      cl::desc("Add no BOS (nor other special token) even when the "
               "tokenizer's rules would"),
      cl::cat(category)};
};

struct SessionDeleter {
  void operator()(txrt_session *s) const { txrt_session_free(s); }
};
using SessionPtr = std::unique_ptr<txrt_session, SessionDeleter>;

double msSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - start)
      .count();
}

/// log(sum(exp(x))) of one row, in double.
double logSumExp(const float *x, int64_t n) {
  double m = -std::numeric_limits<double>::infinity();
  for (int64_t i = 0; i < n; ++i)
    m = std::max(m, double(x[i]));
  double sum = 0;
  for (int64_t i = 0; i < n; ++i)
    sum += std::exp(double(x[i]) - m);
  return m + std::log(sum);
}

/// The index of the largest value (the lowest among equals).
int64_t argmax(const float *x, int64_t n) {
  return std::max_element(x, x + n) - x;
}

/// One generation model under evaluation: its session and timing.
struct Runner {
  ModelPtr model;
  SessionPtr session;
  txrt_generation_info info;
  std::string path;
  double ms = 0;
  int64_t tokensRun = 0;

  /// Runs `window` (the inputs; position p predicts token p + 1) from an
  /// empty cache and keeps the logits of positions `first ..` in `out`
  /// ([window.size() - first][vocab], row 0 of the batch).
  std::string run(ArrayRef<int64_t> window, size_t first, bool decodeMode,
                  std::vector<float> &out) {
    const int64_t batch = info.batch, v = info.vocab, n = window.size();
    out.assign((n - first) * v, 0.0f);
    auto start = std::chrono::steady_clock::now();
    if (txrt_session_reset(session.get()) != TXRT_OK)
      return txrt_last_error();
    if (!decodeMode) {
      std::vector<int64_t> tokens;
      for (int64_t b = 0; b < batch; ++b)
        tokens.insert(tokens.end(), window.begin(), window.end());
      std::vector<float> all(batch * n * v);
      if (txrt_session_prefill_logits(session.get(), tokens.data(),
                                      size_t(batch), size_t(n),
                                      all.data()) != TXRT_OK)
        return txrt_last_error();
      std::memcpy(out.data(), all.data() + first * v,
                  (n - first) * v * sizeof(float));
    } else {
      for (int64_t p = 0; p < n; ++p) {
        std::vector<int64_t> step(batch, window[p]);
        txrt_status status =
            p == 0 ? txrt_session_prefill(session.get(), step.data(),
                                          size_t(batch), 1)
                   : txrt_session_decode(session.get(), step.data(),
                                         size_t(batch));
        if (status != TXRT_OK)
          return txrt_last_error();
        if (p >= int64_t(first))
          std::memcpy(out.data() + (p - first) * v,
                      txrt_session_logits(session.get()), v * sizeof(float));
      }
    }
    ms += msSince(start);
    tokensRun += n;
    return "";
  }

  void printSpeed(StringRef what) const {
    errs() << what << ": " << tokensRun << " tokens run in "
           << format("%.2f", ms) << " ms ("
           << format("%.1f", ms > 0 ? tokensRun / (ms / 1e3) : 0.0)
           << " tokens/s)\n";
  }
};

/// Loads a generation model and creates its session.
std::string openRunner(StringRef path, StringRef weights, int threads,
                       Runner &runner) {
  txrt_model *loaded = nullptr;
  if (txrt_model_load(path.str().c_str(),
                      weights.empty() ? nullptr : weights.str().c_str(),
                      &loaded) != TXRT_OK)
    return txrt_last_error();
  runner.model.reset(loaded);
  runner.path = path.str();
  if (threads && txrt_set_num_threads(loaded, threads) != TXRT_OK)
    return txrt_last_error();
  if (txrt_generation_info_get(loaded, &runner.info) != TXRT_OK)
    return txrt_last_error();
  txrt_session *session = nullptr;
  if (txrt_session_create(loaded, &session) != TXRT_OK)
    return txrt_last_error();
  runner.session.reset(session);
  return "";
}

/// Perplexity (and agreement) of a generation model.
int evalGeneration(const EvalOptions &o, Runner &model,
                   const txc::Tokenizer &tokenizer, StringRef text,
                   int threads) {
  const txrt_generation_info &info = model.info;
  if (tokenizer.vocabSize() > info.vocab)
    return error("the tokenizer has " + Twine(tokenizer.vocabSize()) +
                 " tokens but model '" + model.path + "' has a vocabulary of " +
                 Twine(info.vocab));
  if (o.mode != "prefill" && o.mode != "decode")
    return error("--mode must be 'prefill' or 'decode', not '" + o.mode + "'");
  bool decodeMode = o.mode == "decode";
  int64_t context = o.context.getNumOccurrences()
                        ? int64_t(o.context)
                        : std::min<int64_t>(512, info.capacity);
  if (context < 2)
    return error("--context must be at least 2, got " + Twine(context));
  if (context > info.capacity)
    return error("--context " + Twine(context) + " exceeds the KV cache of '" +
                 model.path + "' (" + Twine(info.capacity) +
                 " positions; compile with a larger --max-seq)");
  int64_t stride = o.stride.getNumOccurrences() ? int64_t(o.stride) : context;
  if (stride < 1 || stride > context)
    return error("--stride must be between 1 and --context (" + Twine(context) +
                 "), got " + Twine(stride));
  if (o.maxTokens.getNumOccurrences() && o.maxTokens < 2)
    return error("--max-tokens must be at least 2, got " +
                 Twine(int64_t(o.maxTokens)));

  std::vector<int64_t> ids;
  for (int32_t id : tokenizer.encode(text, !o.noBos, false))
    ids.push_back(id);
  if (o.maxTokens.getNumOccurrences() && int64_t(ids.size()) > o.maxTokens)
    ids.resize(o.maxTokens);
  if (ids.size() < 2)
    return error("--text: '" + o.text + "' has " + Twine(ids.size()) +
                 " token(s); eval needs at least 2");

  Runner reference;
  if (!o.reference.empty()) {
    if (std::string message = openRunner(o.reference, "", threads, reference);
        !message.empty())
      return error("--reference: " + message);
    if (reference.info.vocab != info.vocab)
      return error("--reference: model '" + o.reference +
                   "' has a vocabulary of " + Twine(reference.info.vocab) +
                   ", but '" + model.path + "' has " + Twine(info.vocab) +
                   " (both must share one)");
    if (context > reference.info.capacity)
      return error("--context " + Twine(context) +
                   " exceeds the KV cache of '" + o.reference + "' (" +
                   Twine(reference.info.capacity) +
                   " positions; compile with a larger --max-seq)");
  }

  const int64_t v = info.vocab, total = ids.size();
  double nll = 0, referenceNll = 0, kl = 0;
  int64_t scored = 0, agree = 0, nearTies = 0;
  std::vector<float> logitsOut, mine, theirs;
  int64_t previousEnd = 0;
  for (int64_t begin = 0;; begin += stride) {
    int64_t end = std::min(begin + context, total);
    int64_t firstTarget = std::max(begin + 1, previousEnd);
    previousEnd = end;
    if (firstTarget < end) {
      // Inputs: the window but its last token; position p predicts
      // ids[begin + p + 1].
      ArrayRef<int64_t> window =
          ArrayRef<int64_t>(ids).slice(begin, end - 1 - begin);
      size_t first = firstTarget - 1 - begin;
      if (std::string message = model.run(window, first, decodeMode, mine);
          !message.empty())
        return error(message);
      if (reference.session)
        if (std::string message =
                reference.run(window, first, decodeMode, theirs);
            !message.empty())
          return error("--reference: " + message);
      for (int64_t j = firstTarget; j < end; ++j) {
        const float *x = mine.data() + (j - firstTarget) * v;
        double lse = logSumExp(x, v);
        nll += lse - double(x[ids[j]]);
        ++scored;
        if (!o.logitsOut.empty())
          logitsOut.insert(logitsOut.end(), x, x + v);
        if (!reference.session)
          continue;
        const float *r = theirs.data() + (j - firstTarget) * v;
        double rlse = logSumExp(r, v);
        referenceNll += rlse - double(r[ids[j]]);
        for (int64_t k = 0; k < v; ++k) {
          double lr = double(r[k]) - rlse;
          kl += std::exp(lr) * (lr - (double(x[k]) - lse));
        }
        int64_t top = argmax(r, v);
        float second = -std::numeric_limits<float>::infinity();
        for (int64_t k = 0; k < v; ++k)
          if (k != top)
            second = std::max(second, r[k]);
        if (double(r[top]) - double(second) < 1e-3)
          ++nearTies;
        else if (argmax(x, v) == top)
          ++agree;
      }
    }
    if (end == total)
      break;
  }

  outs() << "perplexity: " << format("%.6f", std::exp(nll / scored)) << "\n";
  outs() << "tokens: " << scored << " scored\n";
  if (reference.session) {
    int64_t counted = scored - nearTies;
    outs() << "top1-agreement: "
           << (counted ? formatv("{0:F4}", double(agree) / counted).str()
                       : std::string("n/a"))
           << " (" << agree << "/" << counted << "; " << nearTies
           << " near-ties excluded)\n";
    outs() << "kl: " << format("%.6g", kl / scored) << "\n";
    outs() << "reference-perplexity: "
           << format("%.6f", std::exp(referenceNll / scored)) << "\n";
  }
  outs().flush();
  model.printSpeed("eval");
  if (reference.session)
    reference.printSpeed("reference");
  if (!o.logitsOut.empty())
    if (Error err = txc::writeNpy(
            o.logitsOut, "<f4", {scored, v},
            ArrayRef<char>(reinterpret_cast<const char *>(logitsOut.data()),
                           logitsOut.size() * sizeof(float))))
      return error("--logits-out: " + toString(std::move(err)));
  return 0;
}

/// An encoder model's inputs and output, found by name.
struct EncoderIO {
  std::vector<txrt_tensor_info> inputs;
  int ids = -1, mask = -1, types = -1;
  txrt_tensor_info output;
  int outputIndex = -1;
  int64_t batch = 0, seq = 0, hidden = 0;
};

std::string describeEncoder(txrt_model *model, StringRef path, EncoderIO &io) {
  size_t numInputs = txrt_model_num_inputs(model);
  io.inputs.resize(numInputs);
  for (size_t i = 0; i < numInputs; ++i) {
    txrt_tensor_info &in = io.inputs[i];
    if (txrt_model_input_info(model, i, &in) != TXRT_OK)
      return txrt_last_error();
    StringRef name = in.name;
    int *slot = name == "input_ids"        ? &io.ids
                : name == "attention_mask" ? &io.mask
                : name == "token_type_ids" ? &io.types
                                           : nullptr;
    if (!slot)
      return ("model '" + path + "' has input '" + name +
              "'; eval runs encoder models whose inputs are input_ids, "
              "attention_mask and token_type_ids")
          .str();
    if ((in.dtype != TXRT_DTYPE_I64 && in.dtype != TXRT_DTYPE_I32) ||
        in.rank != 2)
      return ("input '" + name + "' of model '" + path +
              "' is not a [batch, sequence] tensor of i64 or i32")
          .str();
    *slot = int(i);
  }
  if (io.ids < 0)
    return ("model '" + path +
            "' has neither a generation section nor an input_ids input")
        .str();
  io.batch = io.inputs[io.ids].dims[0];
  io.seq = io.inputs[io.ids].dims[1];
  for (const txrt_tensor_info &in : io.inputs)
    if (in.dims[0] != io.batch || in.dims[1] != io.seq)
      return ("the inputs of model '" + path + "' differ in shape").str();
  for (size_t i = 0, e = txrt_model_num_outputs(model); i < e; ++i) {
    txrt_tensor_info out;
    if (txrt_model_output_info(model, i, &out) != TXRT_OK)
      return txrt_last_error();
    bool fits = out.dtype == TXRT_DTYPE_F32 && out.rank == 3 &&
                out.dims[0] == io.batch && out.dims[1] == io.seq;
    if (fits &&
        (io.outputIndex < 0 || StringRef(out.name) == "last_hidden_state")) {
      io.output = out;
      io.outputIndex = int(i);
    }
  }
  if (io.outputIndex < 0)
    return ("model '" + path +
            "' has no f32 output [batch, sequence, hidden] (such as "
            "last_hidden_state) to pool")
        .str();
  io.hidden = io.output.dims[2];
  return "";
}

/// Runs one sequence and mean-pools its hidden states over its tokens.
std::string embed(txrt_model *model, const EncoderIO &io,
                  ArrayRef<int32_t> tokens, std::vector<double> &pooled) {
  std::vector<std::vector<char>> buffers;
  std::vector<const void *> inputs;
  int64_t real = std::min<int64_t>(tokens.size(), io.seq);
  for (size_t i = 0; i < io.inputs.size(); ++i) {
    const txrt_tensor_info &in = io.inputs[i];
    std::vector<char> data(in.byte_size + 64);
    char *base = data.data() + (64 - uintptr_t(data.data()) % 64) % 64;
    for (int64_t b = 0; b < io.batch; ++b)
      for (int64_t p = 0; p < io.seq; ++p) {
        int64_t value = 0;
        if (int(i) == io.ids)
          value = p < real ? tokens[p] : 0;
        else if (int(i) == io.mask)
          value = p < real;
        int64_t index = b * io.seq + p;
        if (in.dtype == TXRT_DTYPE_I64)
          std::memcpy(base + index * 8, &value, 8);
        else {
          int32_t narrow = int32_t(value);
          std::memcpy(base + index * 4, &narrow, 4);
        }
      }
    inputs.push_back(base);
    buffers.push_back(std::move(data));
  }
  std::vector<std::vector<char>> outputBuffers;
  std::vector<void *> outputs;
  for (size_t i = 0, e = txrt_model_num_outputs(model); i < e; ++i) {
    txrt_tensor_info out;
    txrt_model_output_info(model, i, &out);
    std::vector<char> data(out.byte_size + 64);
    outputs.push_back(data.data() + (64 - uintptr_t(data.data()) % 64) % 64);
    outputBuffers.push_back(std::move(data));
  }
  if (txrt_model_run(model, inputs.data(), outputs.data()) != TXRT_OK)
    return txrt_last_error();
  const float *hidden = static_cast<const float *>(outputs[io.outputIndex]);
  pooled.assign(io.hidden, 0.0);
  for (int64_t p = 0; p < real; ++p)
    for (int64_t h = 0; h < io.hidden; ++h)
      pooled[h] += hidden[p * io.hidden + h];
  for (double &x : pooled)
    x /= double(real);
  return "";
}

double norm(ArrayRef<double> x) {
  double sum = 0;
  for (double v : x)
    sum += v * v;
  return std::sqrt(sum);
}

/// Embeddings of an encoder model, one text line at a time.
int evalEncoder(const EvalOptions &o, txrt_model *model,
                const txc::Tokenizer &tokenizer, StringRef text) {
  EncoderIO io;
  if (std::string message = describeEncoder(model, o.model.modelPath, io);
      !message.empty())
    return error(message);
  ModelPtr other;
  EncoderIO otherIO;
  if (!o.reference.empty()) {
    txrt_model *loaded = nullptr;
    if (txrt_model_load(o.reference.c_str(), nullptr, &loaded) != TXRT_OK)
      return error("--reference: " + Twine(txrt_last_error()));
    other.reset(loaded);
    if (std::string message = describeEncoder(loaded, o.reference, otherIO);
        !message.empty())
      return error("--reference: " + message);
    if (otherIO.hidden != io.hidden)
      return error("--reference: model '" + o.reference + "' has " +
                   Twine(otherIO.hidden) + " hidden features, '" +
                   o.model.modelPath + "' " + Twine(io.hidden));
  }
  SmallVector<StringRef> lines;
  text.split(lines, '\n');
  double sumCos = 0, minCos = 2, sumNorm = 0, minNorm = 0, maxNorm = 0;
  int64_t count = 0;
  auto start = std::chrono::steady_clock::now();
  for (StringRef line : lines) {
    line = line.rtrim("\r");
    if (line.trim().empty())
      continue;
    std::vector<int32_t> tokens = tokenizer.encode(line, !o.noBos, false);
    if (tokens.empty())
      continue;
    if (int64_t(tokens.size()) > io.seq) {
      // Too long: keep the start and the last token ([SEP]).
      int32_t last = tokens.back();
      tokens.resize(io.seq);
      tokens.back() = last;
    }
    std::vector<double> a, b;
    if (std::string message = embed(model, io, tokens, a); !message.empty())
      return error(message);
    double n = norm(a);
    sumNorm += n;
    minNorm = count ? std::min(minNorm, n) : n;
    maxNorm = count ? std::max(maxNorm, n) : n;
    if (other) {
      if (std::string message = embed(other.get(), otherIO, tokens, b);
          !message.empty())
        return error("--reference: " + message);
      double dot = 0;
      for (int64_t h = 0; h < io.hidden; ++h)
        dot += a[h] * b[h];
      double denominator = n * norm(b);
      double cos = denominator > 0 ? dot / denominator : 0;
      sumCos += cos;
      minCos = std::min(minCos, cos);
    }
    ++count;
  }
  if (count == 0)
    return error("--text: '" + o.text + "' has no non-empty line to embed");
  double ms = msSince(start);
  if (other)
    outs() << "cosine: " << format("%.6f", sumCos / count) << " (min "
           << format("%.6f", minCos) << " over " << count << " lines)\n";
  outs() << "embedding-norm: mean " << format("%.6f", sumNorm / count)
         << ", min " << format("%.6f", minNorm) << ", max "
         << format("%.6f", maxNorm) << " (" << count << " lines)\n";
  outs().flush();
  errs() << "eval: " << count << " lines in " << format("%.2f", ms) << " ms\n";
  return 0;
}

} // namespace

int txcrun::runEval(int argc, char **argv) {
  InitLLVM init(argc, argv);
  releaseOptionNames({"text", "context", "stride", "mode", "reference",
                      "max-tokens", "logits-out", "tokenizer", "no-bos"});
  EvalOptions o;
  cl::HideUnrelatedOptions(o.category);
  std::vector<char *> args = dropCommandWord(argc, argv, 2);
  cl::ParseCommandLineOptions(
      int(args.size()), args.data(),
      "txc-run MODEL.so eval: perplexity, and agreement with a reference\n\n"
      "  txc-run out/model.so eval --text wiki.txt --context 512\n"
      "  txc-run out/pruned.so eval --text wiki.txt --reference "
      "out/dense.so\n"
      "  txc-run out/model.so eval --text wiki.txt --mode decode\n\n"
      "Tokenizes the text, cuts it into windows of --context tokens "
      "advancing by --stride, and scores every token after the first of a "
      "window. Prints 'perplexity: X' (exp of the mean negative "
      "log-likelihood) and 'tokens: N scored' on stdout and the speed on "
      "stderr. With --reference OTHER.so: 'top1-agreement: F (A/B; N "
      "near-ties excluded)' (positions where the reference's two largest "
      "logits are within 1e-3 are not counted), 'kl: X' (mean "
      "KL(reference || model)) and 'reference-perplexity: X'. Encoder "
      "models (no generation section) embed each non-empty line (mean-"
      "pooled last_hidden_state) and print 'cosine: X' against --reference "
      "and 'embedding-norm: ...'.\n");

  int threads = 0;
  if (std::string message = threadsRequested(o.model, threads);
      !message.empty())
    return error(message);
  if (o.text.empty())
    return error("give the text to score with --text FILE");
  std::string text;
  if (std::string message = readTextFile(o.text, "--text", text);
      !message.empty())
    return error(message);
  if (text.empty())
    return error("--text: '" + o.text + "' is empty");

  Runner runner;
  txrt_model *loaded = nullptr;
  if (txrt_model_load(o.model.modelPath.c_str(),
                      o.model.weightsPath.empty() ? nullptr
                                                  : o.model.weightsPath.c_str(),
                      &loaded) != TXRT_OK)
    return error(txrt_last_error());
  runner.model.reset(loaded);
  runner.path = o.model.modelPath;
  if (threads && txrt_set_num_threads(loaded, threads) != TXRT_OK)
    return error(txrt_last_error());
  std::unique_ptr<txc::Tokenizer> tokenizer;
  if (std::string message =
          findTokenizer(loaded, o.model.modelPath, o.tokenizer, "", tokenizer);
      !message.empty())
    return error(message);

  txrt_generation_info info;
  if (txrt_generation_info_get(loaded, &info) != TXRT_OK)
    return evalEncoder(o, loaded, *tokenizer, text);
  runner.info = info;
  txrt_session *session = nullptr;
  if (txrt_session_create(loaded, &session) != TXRT_OK)
    return error(txrt_last_error());
  runner.session.reset(session);
  return evalGeneration(o, runner, *tokenizer, text, threads);
}
