//===- RunCore.cpp - tokenizers, text generation and chat for txc-run -----===//
//
// The reusable half of txc-run generate: finding and loading a model's
// tokenizer, the step-by-step text generator (sampling through txrt_sample,
// end-of-generation and stop tokens, stop strings held back until decided,
// characters streamed whole) and chat turns that keep the KV cache. txc-run
// (Generate.cpp) and the Python package drive these; neither the flags nor
// the printing live here.
//
//===----------------------------------------------------------------------===//

#include "RunCore.h"

#include "txc/Support/Files.h"
#include "txc/Support/GGUF.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <algorithm>
#include <chrono>

using namespace llvm;
using namespace txcrun;

std::string OptionSpelling::operator()(StringRef flag) const {
  if (!python)
    return "--" + flag.str();
  std::string name = flag.str();
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
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
                                  std::unique_ptr<txc::Tokenizer> &out,
                                  const OptionSpelling &spell) {
  std::string path = override.str();
  if (path.empty()) {
    const char *own = model ? txrt_model_tokenizer_path(model) : nullptr;
    if (!own) {
      std::string message =
          model ? "model '" + modelPath.str() +
                      "' has no tokenizer (its metadata names no "
                      "tokenizer_file)"
                : std::string("no tokenizer");
      return message + ": give one with " +
             (spell.python ? "tokenizer=PATH" : "--tokenizer PATH") +
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

std::string txcrun::checkVocabulary(const txc::Tokenizer &tokenizer,
                                    int64_t vocab, StringRef modelPath) {
  if (tokenizer.vocabSize() > vocab)
    return "the tokenizer has " + std::to_string(tokenizer.vocabSize()) +
           " tokens but model '" + modelPath.str() + "' has a vocabulary of " +
           std::to_string(vocab);
  return "";
}

//===----------------------------------------------------------------------===//
// RowText
//===----------------------------------------------------------------------===//

bool RowText::push(StringRef bytes) {
  held += utf8.push(bytes);
  return settle(false);
}

void RowText::finish() {
  held += utf8.flush();
  if (!settle(true))
    emit(held);
  held.clear();
}

/// Emits the held text that can no longer be part of a stop string; true
/// when a stop string is complete.
bool RowText::settle(bool final) {
  size_t first = std::string::npos;
  for (const std::string &stop : stops)
    first = std::min(first, held.find(stop));
  if (first != std::string::npos) {
    emit(StringRef(held).take_front(first));
    held.clear();
    return true;
  }
  if (final)
    return false;
  // The longest end of `held` that begins some stop string.
  size_t keep = 0;
  for (const std::string &stop : stops)
    for (size_t k = std::min(held.size(), stop.size() - 1); k > keep; --k)
      if (StringRef(held).ends_with(StringRef(stop).take_front(k))) {
        keep = k;
        break;
      }
  emit(StringRef(held).drop_back(keep));
  held.erase(0, held.size() - keep);
  return false;
}

void RowText::emit(StringRef piece) {
  if (piece.empty())
    return;
  text += piece;
  if (sink)
    sink(piece);
}

//===----------------------------------------------------------------------===//
// TextGenerator
//===----------------------------------------------------------------------===//

TextGenerator::TextGenerator(txrt_session *session,
                             const txrt_generation_info &info,
                             const txc::Tokenizer *tokenizer,
                             const txrt_sampling &params, txrt_rng &rng,
                             const StopRules &rules,
                             std::function<void(int64_t, StringRef)> sink)
    : session(session), info(info), tokenizer(tokenizer), params(params),
      rng(rng), rules(rules) {
  const int64_t batch = info.batch;
  if (tokenizer)
    ends = tokenizer->endOfGeneration();
  rows.reserve(batch);
  for (int64_t b = 0; b < batch; ++b) {
    std::function<void(StringRef)> rowSink;
    if (sink)
      rowSink = [sink, b](StringRef piece) { sink(b, piece); };
    rows.emplace_back(this->rules.stops, std::move(rowSink));
  }
  run.ids.assign(batch, {});
  run.endedOnToken.assign(batch, false);
  rowDone.assign(batch, false);
  current.assign(batch, 0);
  done = rules.maxNewTokens < 1;
}

std::string TextGenerator::step() {
  if (done)
    return "";
  auto start = std::chrono::steady_clock::now();
  auto isEnd = [&](int64_t token) {
    return llvm::is_contained(ends, token) ||
           llvm::is_contained(rules.stopTokens, token);
  };
  const int64_t batch = info.batch;
  const float *logits = txrt_session_logits(session);
  for (int64_t b = 0; b < batch; ++b) {
    if (rowDone[b])
      continue; // feeds its last token again
    if (txrt_sample(logits + b * info.vocab, size_t(info.vocab), &params, &rng,
                    &current[b]) != TXRT_OK) {
      done = true;
      return txrt_last_error();
    }
    run.ids[b].push_back(current[b]);
    if (isEnd(current[b])) {
      rowDone[b] = true;
      run.endedOnToken[b] = true;
    } else if (tokenizer &&
               rows[b].push(tokenizer->tokenBytes(int32_t(current[b]), true))) {
      rowDone[b] = true;
    }
  }
  auto elapsed = [&] {
    run.decodeMs += std::chrono::duration<double, std::milli>(
                        std::chrono::steady_clock::now() - start)
                        .count();
  };
  if (++index == rules.maxNewTokens ||
      llvm::all_of(rowDone, [](bool x) { return x; })) {
    done = true;
    elapsed();
    return "";
  }
  if (txrt_session_length(session) >= info.capacity) {
    run.cacheFull = true;
    done = true;
    elapsed();
    return "";
  }
  if (txrt_session_decode(session, current.data(), size_t(batch)) != TXRT_OK) {
    done = true;
    return txrt_last_error();
  }
  ++run.decodeSteps;
  elapsed();
  return "";
}

TextRun TextGenerator::finish() {
  done = true;
  run.text.clear();
  for (RowText &row : rows) {
    row.finish();
    run.text.push_back(row.text);
  }
  return std::move(run);
}

std::string txcrun::generateText(txrt_session *session,
                                 const txrt_generation_info &info,
                                 const txc::Tokenizer &tokenizer,
                                 const txrt_sampling &params, txrt_rng &rng,
                                 const StopRules &rules,
                                 std::function<void(int64_t, StringRef)> sink,
                                 TextRun &run) {
  TextGenerator generator(session, info, &tokenizer, params, rng, rules,
                          std::move(sink));
  while (!generator.finished())
    if (std::string message = generator.step(); !message.empty())
      return message;
  run = generator.finish();
  return "";
}

//===----------------------------------------------------------------------===//
// Chat
//===----------------------------------------------------------------------===//

std::optional<txc::ChatFormat> txcrun::chatFormatNamed(StringRef name) {
  if (name == "chatml")
    return txc::ChatFormat::ChatML;
  if (name == "llama3")
    return txc::ChatFormat::Llama3;
  if (name == "llama2")
    return txc::ChatFormat::Llama2;
  if (name == "phi3")
    return txc::ChatFormat::Phi3;
  return std::nullopt;
}

Chat::Chat(const txc::Tokenizer &tokenizer, txc::ChatFormat format,
           StringRef system)
    : tokenizer(tokenizer), format(format) {
  // The template writes BOS itself where the format wants it, when the
  // tokenizer's rules add one.
  std::vector<int32_t> rules = tokenizer.encode("", true, false);
  if (tokenizer.bos() >= 0 && !rules.empty() &&
      rules.front() == tokenizer.bos())
    bosText = tokenizer.tokenBytes(tokenizer.bos(), false);
  if (!system.empty())
    messages.push_back({"system", system.str()});
  // A template that writes a system message of its own when the
  // conversation has none (SmolLM2's) gets it here too.
  defaultSystem = txc::chatDefaultSystemPrompt(tokenizer.chatTemplate());
}

void Chat::addUserTurn(StringRef turn, std::vector<int64_t> &ids, bool &reset) {
  messages.push_back({"user", turn.str()});
  next = txc::formatChat(format, messages, true, bosText, defaultSystem);
  ids.clear();
  // Only what follows the cached text is new: the end of the last answer
  // (its end-of-turn marker), the user's turn and the assistant header.
  size_t from = std::string::npos;
  if (!rendered.empty() && StringRef(next).starts_with(rendered)) {
    StringRef trimmed = StringRef(answer).trim();
    size_t at = next.find(trimmed.str(), rendered.size());
    if (at != std::string::npos &&
        at <= rendered.size() + (answer.size() - trimmed.size()))
      from = at + trimmed.size();
  }
  reset = from == std::string::npos;
  if (!reset) {
    ids = pending;
    for (int32_t id :
         tokenizer.encode(StringRef(next).drop_front(from), false, true))
      ids.push_back(id);
  } else {
    // The first turn, or a template that rewrote earlier turns: start over
    // with the whole conversation.
    for (int32_t id : tokenizer.encode(next, false, true))
      ids.push_back(id);
  }
}

void Chat::commitTurn() { rendered = next; }

void Chat::dropTurn() {
  if (!messages.empty() && messages.back().role == "user")
    messages.pop_back();
  // The session may have been emptied for the turn: the next one starts
  // over.
  rendered.clear();
  pending.clear();
}

void Chat::addAnswer(const TextRun &run) {
  answer = run.text.empty() ? std::string() : run.text[0];
  messages.push_back({"assistant", answer});
  pending.clear();
  if (!run.endedOnToken.empty() && !run.endedOnToken[0] && !run.ids[0].empty())
    pending.push_back(run.ids[0].back());
}

std::string txcrun::checkSampling(const txrt_sampling &params) {
  float probe = 0.0f;
  int64_t token;
  txrt_rng rng;
  txrt_rng_seed(&rng, 0);
  if (txrt_sample(&probe, 1, &params, &rng, &token) != TXRT_OK)
    return txrt_last_error();
  return "";
}

std::string txcrun::describeTokenInputs(txrt_model *model, StringRef path,
                                        bool positions, StringRef accepted,
                                        TokenInputs &io) {
  size_t n = txrt_model_num_inputs(model);
  io.inputs.resize(n);
  for (size_t i = 0; i < n; ++i) {
    txrt_tensor_info &in = io.inputs[i];
    if (txrt_model_input_info(model, i, &in) != TXRT_OK)
      return txrt_last_error();
    StringRef name = in.name;
    int *slot = name == "input_ids"                    ? &io.ids
                : name == "attention_mask"             ? &io.mask
                : name == "token_type_ids"             ? &io.types
                : positions && name == "position_ids" ? &io.positions
                                                       : nullptr;
    if (!slot)
      return ("model '" + path + "' has input '" + name + "'; " + accepted)
          .str();
    if ((in.dtype != TXRT_DTYPE_I64 && in.dtype != TXRT_DTYPE_I32) ||
        in.rank != 2)
      return ("input '" + name + "' of model '" + path +
              "' is not a [batch, sequence] tensor of i64 or i32")
          .str();
    *slot = int(i);
  }
  if (io.ids < 0)
    return "";
  io.batch = io.inputs[io.ids].dims[0];
  io.seq = io.inputs[io.ids].dims[1];
  for (const txrt_tensor_info &in : io.inputs)
    if (in.dims[0] != io.batch || in.dims[1] != io.seq)
      return ("the inputs of model '" + path + "' differ in shape").str();
  return "";
}
