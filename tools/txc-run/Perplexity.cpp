//===- Perplexity.cpp - txc-run eval's scoring of a text ------------------===//
//
// Perplexity of a generation model over windows of a tokenized text (every
// token after the first of a window scored; with overlapping windows only
// the tokens no earlier window scored), computed in double, and with a
// reference model the top-1 agreement, mean KL divergence and the
// reference's perplexity. txc-run eval (Eval.cpp) prints what this
// computes; the Python package returns it.
//
//===----------------------------------------------------------------------===//

#include "RunCore.h"

#include "llvm/ADT/Twine.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>

using namespace llvm;
using namespace txcrun;

namespace {

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

} // namespace

std::string Runner::run(ArrayRef<int64_t> window, size_t first, bool decodeMode,
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
    if (txrt_session_prefill_logits(session.get(), tokens.data(), size_t(batch),
                                    size_t(n), all.data()) != TXRT_OK)
      return txrt_last_error();
    std::memcpy(out.data(), all.data() + first * v,
                (n - first) * v * sizeof(float));
  } else {
    for (int64_t p = 0; p < n; ++p) {
      std::vector<int64_t> step(batch, window[p]);
      txrt_status status =
          p == 0
              ? txrt_session_prefill(session.get(), step.data(), size_t(batch),
                                     1)
              : txrt_session_decode(session.get(), step.data(), size_t(batch));
      if (status != TXRT_OK)
        return txrt_last_error();
      if (p >= int64_t(first))
        std::memcpy(out.data() + (p - first) * v,
                    txrt_session_logits(session.get()), v * sizeof(float));
    }
  }
  ms += std::chrono::duration<double, std::milli>(
            std::chrono::steady_clock::now() - start)
            .count();
  tokensRun += n;
  int64_t held = 0, dense = 0;
  if (txrt_session_kv_positions(session.get(), &held, &dense) != TXRT_OK)
    return txrt_last_error();
  kvHeld += held;
  kvDense += dense;
  return "";
}

std::string txcrun::openRunner(StringRef path, StringRef weights, int threads,
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

std::string txcrun::evaluateText(Runner &model, const txc::Tokenizer &tokenizer,
                                 StringRef text, const EvalSettings &settings,
                                 EvalResult &result) {
  const OptionSpelling &spell = settings.spell;
  const txrt_generation_info &info = model.info;
  if (tokenizer.vocabSize() > info.vocab)
    return ("the tokenizer has " + Twine(tokenizer.vocabSize()) +
            " tokens but model '" + model.path + "' has a vocabulary of " +
            Twine(info.vocab))
        .str();
  if (settings.mode != "prefill" && settings.mode != "decode")
    return spell("mode") + " must be 'prefill' or 'decode', not '" +
           settings.mode + "'";
  bool decodeMode = settings.mode == "decode";
  int64_t context = settings.context ? *settings.context
                                     : std::min<int64_t>(512, info.capacity);
  std::string contextFlag = spell("context");
  if (context < 2)
    return (contextFlag + " must be at least 2, got " + Twine(context)).str();
  auto exceeds = [&](StringRef path, int64_t capacity) {
    return (contextFlag + " " + Twine(context) + " exceeds the KV cache of '" +
            path + "' (" + Twine(capacity) + " positions; compile with a " +
            "larger " + spell("max-seq") + ")")
        .str();
  };
  if (context > info.capacity)
    return exceeds(model.path, info.capacity);
  int64_t stride = settings.stride ? *settings.stride : context;
  if (stride < 1 || stride > context)
    return (spell("stride") + " must be between 1 and " + contextFlag + " (" +
            Twine(context) + "), got " + Twine(stride))
        .str();
  if (settings.maxTokens && *settings.maxTokens < 2)
    return (spell("max-tokens") + " must be at least 2, got " +
            Twine(*settings.maxTokens))
        .str();

  std::vector<int64_t> ids;
  for (int32_t id : tokenizer.encode(text, !settings.noBos, false))
    ids.push_back(id);
  if (settings.maxTokens && int64_t(ids.size()) > *settings.maxTokens)
    ids.resize(*settings.maxTokens);
  if (ids.size() < 2)
    return (settings.textLabel + " has " + Twine(ids.size()) +
            " token(s); eval needs at least 2")
        .str();

  std::string referenceFlag = spell("reference") + ": ";
  std::unique_ptr<Runner> reference;
  if (!settings.reference.empty()) {
    reference = std::make_unique<Runner>();
    if (std::string message =
            openRunner(settings.reference, "", settings.threads, *reference);
        !message.empty())
      return referenceFlag + message;
    if (reference->info.vocab != info.vocab)
      return (referenceFlag + "model '" + settings.reference +
              "' has a vocabulary of " + Twine(reference->info.vocab) +
              ", but '" + model.path + "' has " + Twine(info.vocab) +
              " (both must share one)")
          .str();
    if (context > reference->info.capacity)
      return exceeds(settings.reference, reference->info.capacity);
  }

  const int64_t v = info.vocab, total = ids.size();
  double nll = 0, referenceNll = 0, kl = 0;
  int64_t scored = 0, agree = 0, nearTies = 0;
  std::vector<float> mine, theirs;
  result.logits.clear();
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
        return message;
      if (reference)
        if (std::string message =
                reference->run(window, first, decodeMode, theirs);
            !message.empty())
          return referenceFlag + message;
      for (int64_t j = firstTarget; j < end; ++j) {
        const float *x = mine.data() + (j - firstTarget) * v;
        double lse = logSumExp(x, v);
        nll += lse - double(x[ids[j]]);
        ++scored;
        if (settings.keepLogits)
          result.logits.insert(result.logits.end(), x, x + v);
        if (!reference)
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

  result.perplexity = std::exp(nll / scored);
  result.scored = scored;
  result.hasReference = bool(reference);
  if (reference) {
    result.agree = agree;
    result.nearTies = nearTies;
    result.counted = scored - nearTies;
    result.kl = kl / scored;
    result.referencePerplexity = std::exp(referenceNll / scored);
  }
  result.reference = std::move(reference);
  return "";
}
