//===- Runtime.cpp - models, generation and evaluation for Python ---------===//
//
// The runtime half of txc._txc: `Model` (a model loaded by libtxrt: its
// inputs and outputs, `run` on caller-owned NumPy buffers without copies),
// `Generation` (one prompt's tokens or text, a step at a time, through
// TxcRunCore's TextGenerator), `ChatState` (a conversation keeping its KV
// cache, TxcRunCore's Chat), `Model.eval` (TxcRunCore's evaluateText) and
// `Tokenizer`. The Python layer (python/txc/__init__.py) checks and
// converts arguments and wraps these in the public classes. The GIL is
// released while the model runs.
//
//===----------------------------------------------------------------------===//

#include "Bindings.h"

#include "RunCore.h"

#include <nanobind/ndarray.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/shared_ptr.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/unique_ptr.h>
#include <nanobind/stl/vector.h>

#include <chrono>
#include <deque>
#include <mutex>

namespace nb = nanobind;
using namespace txcpy;
using namespace txcrun;

namespace {

/// Raises the runtime's last error.
[[noreturn]] void fail(txrt_status status) {
  throw ModelFailure{txrt_last_error(), txrt_status_name(status)};
}

/// Raises an error of the generation or evaluation logic.
[[noreturn]] void failWith(const std::string &message) {
  throw ModelFailure{message, ""};
}

void check(txrt_status status) {
  if (status != TXRT_OK)
    fail(status);
}

/// Text as a Python str; bytes that are not UTF-8 become U+FFFD.
nb::str toStr(llvm::StringRef text) {
  PyObject *s =
      PyUnicode_DecodeUTF8(text.data(), Py_ssize_t(text.size()), "replace");
  if (!s)
    throw nb::python_error();
  return nb::steal<nb::str>(s);
}

double msSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - start)
      .count();
}

/// A loaded model and its tokenizer (loaded on first use), shared by the
/// Model object and every generation or chat made from it.
struct LoadedModel {
  ModelPtr model;
  std::string path;
  std::string tokenizerOverride;
  std::shared_ptr<txc::Tokenizer> tokenizer;
  std::mutex tokenizerMutex;

  /// The tokenizer, or a ModelError naming what is missing.
  std::shared_ptr<txc::Tokenizer> getTokenizer(llvm::StringRef alternatives) {
    std::lock_guard<std::mutex> lock(tokenizerMutex);
    if (tokenizer)
      return tokenizer;
    std::unique_ptr<txc::Tokenizer> loaded;
    OptionSpelling spell;
    spell.python = true;
    if (std::string message = findTokenizer(
            model.get(), path, tokenizerOverride, alternatives, loaded, spell);
        !message.empty())
      failWith(message);
    tokenizer = std::move(loaded);
    return tokenizer;
  }

  txrt_generation_info generationInfo() const {
    txrt_generation_info info;
    check(txrt_generation_info_get(model.get(), &info));
    return info;
  }
};

/// Sampling parameters from the Python arguments (greedy unless one of
/// temperature, top_k, top_p is given), checked before any work.
txrt_sampling samplingParams(std::optional<bool> greedy,
                             std::optional<float> temperature,
                             std::optional<int64_t> topK,
                             std::optional<float> topP) {
  bool sampling = temperature || topK || topP;
  if (greedy.value_or(false) && sampling)
    throw nb::value_error(
        "greedy cannot be combined with temperature, top_k or top_p");
  txrt_sampling params{!sampling, temperature.value_or(1.0f), topK.value_or(0),
                       topP.value_or(1.0f)};
  if (sampling)
    if (std::string why = txcrun::checkSampling(params); !why.empty())
      throw nb::value_error(why.c_str());
  return params;
}

StopRules stopRules(int64_t maxNewTokens, std::vector<std::string> stops,
                    std::vector<int64_t> stopTokens) {
  if (maxNewTokens < 1)
    throw nb::value_error("max_new_tokens must be at least 1");
  for (const std::string &stop : stops)
    if (stop.empty())
      throw nb::value_error("stop needs non-empty strings");
  StopRules rules;
  rules.maxNewTokens = maxNewTokens;
  rules.stops = std::move(stops);
  rules.stopTokens = std::move(stopTokens);
  return rules;
}

struct ChatState;

/// A tokenizer for Python (txc::Tokenizer is polymorphic and built without
/// RTTI, so it is held rather than bound directly).
struct TokenizerHandle {
  std::shared_ptr<txc::Tokenizer> tokenizer;
};

/// One generation: the prompt prefilled at creation, then a token per
/// step. Text generations (a tokenizer) yield text pieces of row 0, id
/// generations the ids of every row.
class Generation {
public:
  Generation(std::shared_ptr<LoadedModel> model,
             std::shared_ptr<txrt_session> session,
             std::shared_ptr<txc::Tokenizer> tokenizer,
             const txrt_generation_info &info, std::vector<int64_t> prompt,
             const txrt_sampling &params, txrt_rng *sharedRng, uint64_t seed,
             const StopRules &rules, std::shared_ptr<ChatState> chat)
      : model(std::move(model)), session(std::move(session)),
        tokenizer(std::move(tokenizer)), info(info), prompt(std::move(prompt)),
        chat(std::move(chat)) {
    txrt_rng_seed(&ownRng, seed);
    txrt_rng *rng = sharedRng ? sharedRng : &ownRng;
    std::function<void(int64_t, llvm::StringRef)> sink;
    if (this->tokenizer)
      sink = [this](int64_t row, llvm::StringRef piece) {
        if (row == 0)
          pieces.push_back(piece.str());
      };
    generator = std::make_unique<TextGenerator>(this->session.get(), info,
                                                this->tokenizer.get(), params,
                                                *rng, rules, std::move(sink));
  }

  /// Runs the prompt through the model (GIL released by the caller).
  txrt_status prefill(size_t count) {
    auto start = std::chrono::steady_clock::now();
    txrt_status status = txrt_session_prefill(session.get(), prompt.data(),
                                              size_t(info.batch), count);
    prefillMs = msSince(start);
    return status;
  }

  /// The next text piece, or None at the end.
  std::optional<nb::str> nextText() {
    std::lock_guard<std::mutex> lock(mutex);
    while (pieces.empty()) {
      if (ended)
        return std::nullopt;
      if (generator->finished()) {
        end();
        continue;
      }
      runStep();
    }
    std::string piece = std::move(pieces.front());
    pieces.pop_front();
    return toStr(piece);
  }

  /// The ids of the next step, one per row, or None at the end.
  std::optional<std::vector<int64_t>> nextIds() {
    std::lock_guard<std::mutex> lock(mutex);
    if (generator->finished()) {
      if (!ended)
        end();
      return std::nullopt;
    }
    runStep();
    return std::vector<int64_t>(generator->lastIds().begin(),
                                generator->lastIds().end());
  }

  bool isEnded() const { return ended; }
  const TextRun &result() const { return run; }
  double prefillTime() const { return prefillMs; }
  const std::vector<int64_t> &promptIds() const { return prompt; }

private:
  void runStep() {
    std::string message;
    {
      nb::gil_scoped_release release;
      message = generator->step();
    }
    if (!message.empty()) {
      ended = true;
      failWith(message);
    }
  }
  void end();

  std::shared_ptr<LoadedModel> model;
  std::shared_ptr<txrt_session> session;
  std::shared_ptr<txc::Tokenizer> tokenizer;
  txrt_generation_info info;
  std::vector<int64_t> prompt;
  std::shared_ptr<ChatState> chat;
  txrt_rng ownRng;
  std::unique_ptr<TextGenerator> generator;
  std::deque<std::string> pieces;
  std::mutex mutex;
  TextRun run;
  double prefillMs = 0;
  bool ended = false;
};

/// A conversation: its session (the KV cache kept across turns), its
/// random state and the turns so far.
struct ChatState {
  std::shared_ptr<LoadedModel> model;
  std::shared_ptr<txc::Tokenizer> tokenizer;
  std::shared_ptr<txrt_session> session;
  txrt_generation_info info;
  std::unique_ptr<Chat> chat;
  txrt_rng rng;
  bool answering = false;
};

void Generation::end() {
  ended = true;
  run = generator->finish();
  if (chat) {
    chat->answering = false;
    if (!run.cacheFull)
      chat->chat->addAnswer(run);
  }
}

std::shared_ptr<txrt_session> newSession(txrt_model *model) {
  txrt_session *created = nullptr;
  check(txrt_session_create(model, &created));
  return std::shared_ptr<txrt_session>(created, txrt_session_free);
}

/// The Python-facing model.
class Model {
public:
  static Model load(const std::string &path, std::optional<std::string> weights,
                    const std::string &verify, std::optional<int> threads,
                    std::optional<std::string> tokenizer) {
    txrt_verify mode;
    if (verify == "sample")
      mode = TXRT_VERIFY_SAMPLE;
    else if (verify == "full")
      mode = TXRT_VERIFY_FULL;
    else if (verify == "none")
      mode = TXRT_VERIFY_NONE;
    else
      throw nb::value_error(("verify_weights must be 'sample', 'full' or "
                             "'none' (or a bool), not '" +
                             verify + "'")
                                .c_str());
    if (threads && *threads < 1)
      throw nb::value_error(
          ("threads must be at least 1, got " + std::to_string(*threads))
              .c_str());
    txrt_model *loaded = nullptr;
    txrt_status status;
    {
      nb::gil_scoped_release release;
      status = txrt_model_load_ex(
          path.c_str(), weights ? weights->c_str() : nullptr, mode, &loaded);
    }
    if (status != TXRT_OK)
      fail(status);
    Model m;
    m.loaded = std::make_shared<LoadedModel>();
    m.loaded->model.reset(loaded);
    m.loaded->path = path;
    m.loaded->tokenizerOverride = tokenizer.value_or("");
    if (threads)
      check(txrt_set_num_threads(loaded, *threads));
    return m;
  }

  /// (name, dtype name, shape, byte size, written in place) of every input.
  std::vector<nb::tuple> inputs() const {
    std::vector<nb::tuple> list;
    for (size_t i = 0, e = txrt_model_num_inputs(raw()); i < e; ++i) {
      txrt_tensor_info info;
      check(txrt_model_input_info(raw(), i, &info));
      int written = 0;
      check(txrt_model_input_written(raw(), i, &written));
      list.push_back(describe(info, written != 0));
    }
    return list;
  }

  std::vector<nb::tuple> outputs() const {
    std::vector<nb::tuple> list;
    for (size_t i = 0, e = txrt_model_num_outputs(raw()); i < e; ++i) {
      txrt_tensor_info info;
      check(txrt_model_output_info(raw(), i, &info));
      list.push_back(describe(info, false));
    }
    return list;
  }

  /// The generation section as a dict, or None.
  std::optional<nb::dict> generation() const {
    txrt_generation_info info;
    if (txrt_generation_info_get(raw(), &info) != TXRT_OK)
      return std::nullopt;
    nb::dict d;
    d["batch"] = info.batch;
    d["capacity"] = info.capacity;
    d["vocab"] = info.vocab;
    d["prefill_chunk"] = info.prefill_chunk;
    d["layers"] = info.layers;
    d["kv_heads"] = info.kv_heads;
    d["head_dim"] = info.head_dim;
    d["block_size"] = info.block_size;
    const char *kvFormat = nullptr;
    int64_t kvBytes = 0;
    if (txrt_generation_kv_cache(raw(), &kvFormat, &kvBytes) == TXRT_OK) {
      d["kv_format"] = std::string(kvFormat);
      d["kv_bytes_per_token"] = kvBytes;
    }
    return d;
  }

  std::optional<std::string> tokenizerPath() const {
    const char *path = txrt_model_tokenizer_path(raw());
    if (!path)
      return std::nullopt;
    return std::string(path);
  }

  void setThreads(int threads) {
    if (threads < 1)
      throw nb::value_error(
          ("threads must be at least 1, got " + std::to_string(threads))
              .c_str());
    check(txrt_set_num_threads(raw(), threads));
  }

  /// Runs the model on caller-owned buffers, in metadata order.
  void
  run(std::vector<nb::ndarray<nb::ro, nb::c_contig, nb::device::cpu>> inputs,
      std::vector<nb::ndarray<nb::c_contig, nb::device::cpu>> outputs) {
    size_t numInputs = txrt_model_num_inputs(raw()),
           numOutputs = txrt_model_num_outputs(raw());
    if (inputs.size() != numInputs || outputs.size() != numOutputs)
      throw nb::value_error("run: wrong number of inputs or outputs");
    std::vector<const void *> in;
    std::vector<void *> out;
    auto fits = [](const txrt_tensor_info &info, size_t bytes, const void *data,
                   size_t align) {
      return bytes == info.byte_size &&
             (bytes == 0 || uintptr_t(data) % align == 0);
    };
    for (size_t i = 0; i < numInputs; ++i) {
      txrt_tensor_info info;
      check(txrt_model_input_info(raw(), i, &info));
      if (!fits(info, inputs[i].nbytes(), inputs[i].data(),
                inputs[i].itemsize()))
        throw nb::value_error(("input '" + std::string(info.name) +
                               "': the buffer does not match the tensor")
                                  .c_str());
      in.push_back(inputs[i].data());
    }
    for (size_t i = 0; i < numOutputs; ++i) {
      txrt_tensor_info info;
      check(txrt_model_output_info(raw(), i, &info));
      if (!fits(info, outputs[i].nbytes(), outputs[i].data(),
                outputs[i].itemsize()))
        throw nb::value_error(("output '" + std::string(info.name) +
                               "': the buffer does not match the tensor")
                                  .c_str());
      out.push_back(outputs[i].data());
    }
    txrt_status status;
    {
      nb::gil_scoped_release release;
      status = txrt_model_run(raw(), in.data(), out.data());
    }
    check(status);
  }

  /// Starts a generation from a text prompt (tokenized here) or token ids
  /// ([batch * P], row-major).
  std::unique_ptr<Generation>
  generate(std::optional<std::string> text, std::vector<int64_t> ids,
           int64_t maxNewTokens, std::optional<bool> greedy,
           std::optional<float> temperature, std::optional<int64_t> topK,
           std::optional<float> topP, uint64_t seed,
           std::vector<std::string> stops, std::vector<int64_t> stopTokens,
           bool chat, std::optional<std::string> chatTemplate,
           std::optional<std::string> system) {
    txrt_sampling params = samplingParams(greedy, temperature, topK, topP);
    StopRules rules =
        stopRules(maxNewTokens, std::move(stops), std::move(stopTokens));
    txrt_generation_info info = loaded->generationInfo();
    std::shared_ptr<txc::Tokenizer> tokenizer;
    std::vector<int64_t> prompt;
    if (text) {
      if (info.batch != 1)
        throw nb::value_error(
            ("text generation needs a model compiled for batch 1, not " +
             std::to_string(info.batch) + " (give token ids instead)")
                .c_str());
      if (text->empty())
        throw nb::value_error("the prompt is empty: give the text to continue");
      tokenizer = loaded->getTokenizer("the prompt as token ids");
      if (std::string message =
              checkVocabulary(*tokenizer, info.vocab, loaded->path);
          !message.empty())
        failWith(message);
      if (chat) {
        txc::ChatFormat format = chatFormat(*tokenizer, chatTemplate);
        Chat conversation(*tokenizer, format, system.value_or(""));
        bool reset;
        conversation.addUserTurn(*text, prompt, reset);
      } else {
        for (int32_t id : tokenizer->encode(*text, true, true))
          prompt.push_back(id);
      }
      if (prompt.empty())
        throw nb::value_error("the prompt is empty (it has no tokens)");
    } else {
      if (!rules.stops.empty())
        throw nb::value_error("stop needs a text prompt; with token ids use "
                              "stop_tokens");
      if (ids.empty() || ids.size() % size_t(info.batch))
        throw nb::value_error("the prompt ids do not fill the model's batch");
      prompt = std::move(ids);
    }
    auto generation = std::make_unique<Generation>(
        loaded, newSession(raw()), tokenizer, info, prompt, params, nullptr,
        seed, rules, nullptr);
    size_t count = generation->promptIds().size() / size_t(info.batch);
    txrt_status status;
    {
      nb::gil_scoped_release release;
      status = generation->prefill(count);
    }
    check(status);
    return generation;
  }

  /// Starts a conversation.
  std::shared_ptr<ChatState> startChat(std::optional<std::string> chatTemplate,
                                       std::optional<std::string> system,
                                       uint64_t seed) {
    auto state = std::make_shared<ChatState>();
    state->model = loaded;
    state->info = loaded->generationInfo();
    if (state->info.batch != 1)
      throw nb::value_error(("chat needs a model compiled for batch 1, not " +
                             std::to_string(state->info.batch))
                                .c_str());
    state->tokenizer = loaded->getTokenizer("");
    if (std::string message =
            checkVocabulary(*state->tokenizer, state->info.vocab, loaded->path);
        !message.empty())
      failWith(message);
    txc::ChatFormat format = chatFormat(*state->tokenizer, chatTemplate);
    state->chat =
        std::make_unique<Chat>(*state->tokenizer, format, system.value_or(""));
    state->session = newSession(raw());
    txrt_rng_seed(&state->rng, seed);
    return state;
  }

  /// Scores `text` (txc-run eval's numbers) as a dict.
  nb::dict eval(const std::string &text, std::optional<int64_t> context,
                std::optional<int64_t> stride, const std::string &mode,
                std::optional<int64_t> maxTokens,
                std::optional<std::string> reference, bool noBos,
                bool keepLogits) {
    if (text.empty())
      throw nb::value_error("the text is empty");
    txrt_generation_info info;
    if (txrt_generation_info_get(raw(), &info) != TXRT_OK)
      failWith("eval scores generation models (compiled with max_seq); "
               "model '" +
               loaded->path + "' has no generation section");
    std::shared_ptr<txc::Tokenizer> tokenizer = loaded->getTokenizer("");
    Runner runner;
    runner.info = info;
    runner.path = loaded->path;
    std::shared_ptr<txrt_session> session = newSession(raw());
    // The runner borrows the session; it is released before `session`.
    runner.session.reset(session.get());
    EvalSettings settings;
    settings.context = context;
    settings.stride = stride;
    settings.mode = mode;
    settings.maxTokens = maxTokens;
    settings.reference = reference.value_or("");
    settings.noBos = noBos;
    settings.keepLogits = keepLogits;
    settings.textLabel = "the text";
    settings.spell.python = true;
    EvalResult result;
    std::string message;
    {
      nb::gil_scoped_release release;
      message = evaluateText(runner, *tokenizer, text, settings, result);
    }
    (void)runner.session.release();
    if (!message.empty()) {
      if (llvm::StringRef(message).contains(" must ") ||
          llvm::StringRef(message).contains("eval needs"))
        throw nb::value_error(message.c_str());
      failWith(message);
    }
    nb::dict d;
    d["perplexity"] = result.perplexity;
    d["tokens"] = result.scored;
    d["tokens_run"] = runner.tokensRun;
    d["milliseconds"] = runner.ms;
    if (result.hasReference) {
      d["top1_agreement"] =
          result.counted ? nb::cast(double(result.agree) / result.counted)
                         : nb::none();
      d["agree"] = result.agree;
      d["counted"] = result.counted;
      d["near_ties"] = result.nearTies;
      d["kl"] = result.kl;
      d["reference_perplexity"] = result.referencePerplexity;
    }
    if (keepLogits) {
      auto *data = new std::vector<float>(std::move(result.logits));
      nb::capsule owner(data, [](void *p) noexcept {
        delete static_cast<std::vector<float> *>(p);
      });
      size_t shape[2] = {size_t(result.scored), size_t(info.vocab)};
      d["logits"] = nb::ndarray<nb::numpy, float, nb::ndim<2>>(data->data(), 2,
                                                               shape, owner);
    }
    return d;
  }

  std::string path() const { return loaded->path; }

  TokenizerHandle tokenizer() { return {loaded->getTokenizer("")}; }

private:
  txrt_model *raw() const { return loaded->model.get(); }

  static nb::tuple describe(const txrt_tensor_info &info, bool written) {
    std::vector<int64_t> shape(info.dims, info.dims + info.rank);
    return nb::make_tuple(std::string(info.name),
                          std::string(txrt_dtype_name(info.dtype)),
                          nb::tuple(nb::cast(shape)), info.byte_size, written);
  }

  static txc::ChatFormat chatFormat(const txc::Tokenizer &tokenizer,
                                    std::optional<std::string> name) {
    if (name) {
      std::optional<txc::ChatFormat> named = chatFormatNamed(*name);
      if (!named)
        throw nb::value_error(("chat_template: unknown format '" + *name +
                               "' (known: chatml, llama3, llama2, phi3)")
                                  .c_str());
      return *named;
    }
    llvm::Expected<txc::ChatFormat> detected =
        txc::detectChatFormat(tokenizer.chatTemplate());
    if (!detected)
      failWith(llvm::toString(detected.takeError()) +
               " (give the format with chat_template)");
    return *detected;
  }

  std::shared_ptr<LoadedModel> loaded;
};

/// Sends one user turn of a chat; the answer streams from the generation.
std::unique_ptr<Generation>
chatSend(std::shared_ptr<ChatState> state, const std::string &turn,
         int64_t maxNewTokens, std::optional<bool> greedy,
         std::optional<float> temperature, std::optional<int64_t> topK,
         std::optional<float> topP, std::vector<std::string> stops,
         std::vector<int64_t> stopTokens) {
  if (state->answering)
    throw nb::value_error("the previous answer is still being generated");
  if (llvm::StringRef(turn).trim().empty())
    throw nb::value_error("the turn is empty");
  txrt_sampling params = samplingParams(greedy, temperature, topK, topP);
  StopRules rules =
      stopRules(maxNewTokens, std::move(stops), std::move(stopTokens));
  std::vector<int64_t> ids;
  bool reset = false;
  state->chat->addUserTurn(turn, ids, reset);
  txrt_session *session = state->session.get();
  if (reset && txrt_session_reset(session) != TXRT_OK) {
    state->chat->dropTurn();
    fail(TXRT_ERROR_ARGUMENT);
  }
  if (txrt_session_length(session) + int64_t(ids.size()) >
      state->info.capacity) {
    state->chat->dropTurn();
    throw ModelFailure{"the KV cache is full (" +
                           std::to_string(state->info.capacity) +
                           " positions; compile with a larger max_seq)",
                       "TXRT_ERROR_CAPACITY"};
  }
  auto generation = std::make_unique<Generation>(
      state->model, state->session, state->tokenizer, state->info, ids, params,
      &state->rng, 0, rules, state);
  txrt_status status;
  {
    nb::gil_scoped_release release;
    status = generation->prefill(ids.size());
  }
  if (status != TXRT_OK) {
    std::string message = txrt_last_error();
    state->chat->dropTurn();
    throw ModelFailure{message, txrt_status_name(status)};
  }
  state->chat->commitTurn();
  state->answering = true;
  return generation;
}

} // namespace

void txcpy::defineRuntime(nb::module_ &m) {
  nb::class_<TokenizerHandle>(m, "Tokenizer")
      .def(
          "encode",
          [](const TokenizerHandle &t, const std::string &text, bool addSpecial,
             bool parseSpecial) {
            std::vector<int32_t> ids =
                t.tokenizer->encode(text, addSpecial, parseSpecial);
            return std::vector<int64_t>(ids.begin(), ids.end());
          },
          nb::arg("text"), nb::arg("add_special") = true,
          nb::arg("parse_special") = true)
      .def(
          "decode",
          [](const TokenizerHandle &t, const std::vector<int64_t> &ids,
             bool skipSpecial) {
            std::string bytes;
            int64_t vocab = t.tokenizer->vocabSize();
            for (int64_t id : ids) {
              if (id < 0 || id >= vocab)
                throw nb::value_error(("token id " + std::to_string(id) +
                                       " is outside the vocabulary [0, " +
                                       std::to_string(vocab) + ")")
                                          .c_str());
              bytes += t.tokenizer->tokenBytes(int32_t(id), skipSpecial);
            }
            return toStr(bytes);
          },
          nb::arg("ids"), nb::arg("skip_special") = true)
      .def_prop_ro(
          "vocab_size",
          [](const TokenizerHandle &t) { return t.tokenizer->vocabSize(); })
      .def_prop_ro("bos",
                   [](const TokenizerHandle &t) { return t.tokenizer->bos(); })
      .def_prop_ro("eos",
                   [](const TokenizerHandle &t) { return t.tokenizer->eos(); })
      .def_prop_ro("end_of_generation",
                   [](const TokenizerHandle &t) {
                     return t.tokenizer->endOfGeneration();
                   })
      .def_prop_ro("chat_template", [](const TokenizerHandle &t) {
        return t.tokenizer->chatTemplate().str();
      });

  m.def(
      "load_tokenizer",
      [](const std::string &path) {
        llvm::Expected<std::unique_ptr<txc::Tokenizer>> loaded =
            loadTokenizer(path);
        if (!loaded)
          failWith(llvm::toString(loaded.takeError()));
        return TokenizerHandle{
            std::shared_ptr<txc::Tokenizer>(std::move(*loaded))};
      },
      nb::arg("path"));

  nb::class_<Generation>(m, "Generation")
      .def("next_text", &Generation::nextText)
      .def("next_ids", &Generation::nextIds)
      .def_prop_ro("ended", &Generation::isEnded)
      .def_prop_ro("ids", [](const Generation &g) { return g.result().ids; })
      .def_prop_ro("text",
                   [](const Generation &g) {
                     std::vector<nb::str> text;
                     for (const std::string &t : g.result().text)
                       text.push_back(toStr(t));
                     return text;
                   })
      .def_prop_ro("ended_on_token",
                   [](const Generation &g) {
                     return std::vector<bool>(g.result().endedOnToken.begin(),
                                              g.result().endedOnToken.end());
                   })
      .def_prop_ro("cache_full",
                   [](const Generation &g) { return g.result().cacheFull; })
      .def_prop_ro("decode_steps",
                   [](const Generation &g) { return g.result().decodeSteps; })
      .def_prop_ro("decode_ms",
                   [](const Generation &g) { return g.result().decodeMs; })
      .def_prop_ro("prefill_ms", &Generation::prefillTime)
      .def_prop_ro("prompt_ids", &Generation::promptIds);

  nb::class_<ChatState>(m, "ChatState")
      .def("send", &chatSend, nb::arg("turn"), nb::arg("max_new_tokens"),
           nb::arg("greedy").none(), nb::arg("temperature").none(),
           nb::arg("top_k").none(), nb::arg("top_p").none(), nb::arg("stop"),
           nb::arg("stop_tokens"));

  nb::class_<Model>(m, "Model")
      .def_static("load", &Model::load, nb::arg("path"),
                  nb::arg("weights").none(), nb::arg("verify"),
                  nb::arg("threads").none(), nb::arg("tokenizer").none())
      .def_prop_ro("path", &Model::path)
      .def("inputs", &Model::inputs)
      .def("outputs", &Model::outputs)
      .def("generation", &Model::generation)
      .def("tokenizer_path", &Model::tokenizerPath)
      .def("tokenizer", &Model::tokenizer)
      .def("set_threads", &Model::setThreads, nb::arg("threads"))
      .def("run", &Model::run, nb::arg("inputs"), nb::arg("outputs"))
      .def("generate", &Model::generate, nb::arg("text").none(), nb::arg("ids"),
           nb::arg("max_new_tokens"), nb::arg("greedy").none(),
           nb::arg("temperature").none(), nb::arg("top_k").none(),
           nb::arg("top_p").none(), nb::arg("seed"), nb::arg("stop"),
           nb::arg("stop_tokens"), nb::arg("chat"),
           nb::arg("chat_template").none(), nb::arg("system").none())
      .def("chat", &Model::startChat, nb::arg("chat_template").none(),
           nb::arg("system").none(), nb::arg("seed"))
      .def("eval", &Model::eval, nb::arg("text"), nb::arg("context").none(),
           nb::arg("stride").none(), nb::arg("mode"),
           nb::arg("max_tokens").none(), nb::arg("reference").none(),
           nb::arg("no_bos"), nb::arg("logits"));
}
