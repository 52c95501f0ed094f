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
// embeddings, one text line at a time. The scoring of generation models is
// RunCore's (evaluateText, Perplexity.cpp); this file holds the flags, the
// printing and the encoder comparison.
//
//===----------------------------------------------------------------------===//

#include "RunCore.h"
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

double msSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - start)
      .count();
}

void printSpeed(const Runner &runner, StringRef what) {
  errs() << what << ": " << runner.tokensRun << " tokens run in "
         << format("%.2f", runner.ms) << " ms ("
         << format("%.1f",
                   runner.ms > 0 ? runner.tokensRun / (runner.ms / 1e3) : 0.0)
         << " tokens/s)\n";
}

/// Perplexity (and agreement) of a generation model.
int evalGeneration(const EvalOptions &o, Runner &model,
                   const txc::Tokenizer &tokenizer, StringRef text,
                   int threads) {
  EvalSettings settings;
  if (o.context.getNumOccurrences())
    settings.context = o.context;
  if (o.stride.getNumOccurrences())
    settings.stride = o.stride;
  settings.mode = o.mode;
  if (o.maxTokens.getNumOccurrences())
    settings.maxTokens = o.maxTokens;
  settings.reference = o.reference;
  settings.threads = threads;
  settings.noBos = o.noBos;
  settings.keepLogits = !o.logitsOut.empty();
  settings.textLabel = "--text: '" + o.text + "'";
  EvalResult result;
  if (std::string message =
          evaluateText(model, tokenizer, text, settings, result);
      !message.empty())
    return error(message);

  outs() << "perplexity: " << format("%.6f", result.perplexity) << "\n";
  outs() << "tokens: " << result.scored << " scored\n";
  if (result.hasReference) {
    outs()
        << "top1-agreement: "
        << (result.counted
                ? formatv("{0:F4}", double(result.agree) / result.counted).str()
                : std::string("n/a"))
        << " (" << result.agree << "/" << result.counted << "; "
        << result.nearTies << " near-ties excluded)\n";
    outs() << "kl: " << format("%.6g", result.kl) << "\n";
    outs() << "reference-perplexity: "
           << format("%.6f", result.referencePerplexity) << "\n";
  }
  double layers = 0;
  int64_t tokens = 0;
  if (txrt_session_layers_run(model.session.get(), &layers, &tokens) ==
          TXRT_OK &&
      tokens > 0)
    outs() << "depth: " << format("%.4f", layers / tokens) << " of "
           << model.info.layers << " layers per token (early exit; "
           << tokens << " tokens run)\n";
  outs().flush();
  // Mixture-of-depths over the cache: what every window's cache held at
  // its end against a dense cache of the same windows.
  if (kvPerLayer(model.model.get()))
    printKvPositions(model.kvHeld, model.kvDense);
  printSpeed(model, "eval");
  if (result.reference)
    printSpeed(*result.reference, "reference");
  if (!o.logitsOut.empty())
    if (Error err = txc::writeNpy(
            o.logitsOut, "<f4", {result.scored, model.info.vocab},
            ArrayRef<char>(reinterpret_cast<const char *>(result.logits.data()),
                           result.logits.size() * sizeof(float))))
      return error("--logits-out: " + toString(std::move(err)));
  return 0;
}

/// An encoder model's inputs and output, found by name.
struct EncoderIO : TokenInputs {
  txrt_tensor_info output;
  int outputIndex = -1;
  int64_t hidden = 0;
  /// Early exit: the `layers_run` output ([batch, sequence] f32), or -1.
  int depthIndex = -1;
  /// The layers summed over the real tokens embedded, and those tokens.
  mutable double depthSum = 0;
  mutable int64_t depthTokens = 0;
};

std::string describeEncoder(txrt_model *model, StringRef path, EncoderIO &io) {
  if (std::string message = describeTokenInputs(
          model, path, /*positions=*/false,
          "eval runs encoder models whose inputs are input_ids, "
          "attention_mask and token_type_ids",
          io);
      !message.empty())
    return message;
  if (io.ids < 0)
    return ("model '" + path +
            "' has neither a generation section nor an input_ids input")
        .str();
  for (size_t i = 0, e = txrt_model_num_outputs(model); i < e; ++i) {
    txrt_tensor_info out;
    if (txrt_model_output_info(model, i, &out) != TXRT_OK)
      return txrt_last_error();
    if (StringRef(out.name) == "layers_run" && out.dtype == TXRT_DTYPE_F32 &&
        out.rank == 2 && out.dims[0] == io.batch && out.dims[1] == io.seq)
      io.depthIndex = int(i);
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
  if (io.depthIndex >= 0) {
    const float *depth = static_cast<const float *>(outputs[io.depthIndex]);
    for (int64_t p = 0; p < real; ++p)
      io.depthSum += depth[p];
    io.depthTokens += real;
  }
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
  if (io.depthTokens > 0)
    outs() << "depth: " << format("%.4f", io.depthSum / io.depthTokens)
           << " layers per token (early exit; " << io.depthTokens
           << " tokens)\n";
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
      "KL(reference || model)) and 'reference-perplexity: X'. A model "
      "compiled with mixture-of-depths over its KV cache adds 'kv-cache: H "
      "of D layer positions held (P% saved; mixture-of-depths)': the "
      "positions its layers' caches held at the end of each window, summed, "
      "against a dense cache's. Encoder "
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
