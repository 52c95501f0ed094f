//===- RunCore.h - txc-run's logic as a library -----------------*- C++ -*-===//
//
// The part of txc-run that is not its command line, in the library
// TxcRunCore that txc-run and the Python package (python/src) both link:
// loading tokenizers, text generation one step at a time (sampling, stop
// strings and tokens, UTF-8 streaming), chat turns over a kept KV cache, and
// perplexity over windows of a text. Nothing here reads a flag or prints;
// errors are returned as messages, in which the caller's spelling of an
// option (`--max-new-tokens` for txc-run, `max_new_tokens` for Python) is
// given by an `OptionSpelling`.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_TOOLS_TXC_RUN_RUNCORE_H
#define TXC_TOOLS_TXC_RUN_RUNCORE_H

#include "txc-c/txrt.h"
#include "txc/Runtime/Tokenizer.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace txcrun {

/// Owns a loaded model.
struct ModelDeleter {
  void operator()(txrt_model *model) const { txrt_model_free(model); }
};
using ModelPtr = std::unique_ptr<txrt_model, ModelDeleter>;

/// Owns a generation session.
struct SessionDeleter {
  void operator()(txrt_session *s) const { txrt_session_free(s); }
};
using SessionPtr = std::unique_ptr<txrt_session, SessionDeleter>;

/// How a caller spells its options in messages: txc-run's flags (the
/// default, `--context`) or Python keyword arguments (`context`).
struct OptionSpelling {
  bool python = false;
  /// The option whose command-line name is `flag` (without dashes).
  std::string operator()(llvm::StringRef flag) const;
};

/// Loads a tokenizer from `path`: a Hugging Face tokenizer.json or the
/// folder holding one, a .gguf file, or txc's own tokenizer JSON
/// (Tokenizer::toJSON). Errors name the path.
llvm::Expected<std::unique_ptr<txc::Tokenizer>>
loadTokenizer(llvm::StringRef path);

/// The tokenizer a command uses: `override` when not empty, else the file
/// the model's metadata names (`model` may be null). On failure returns a
/// message; when there is no tokenizer at all the message says so, names
/// the option that gives one and suggests `alternatives` (e.g.
/// "--prompt-ids").
std::string findTokenizer(const txrt_model *model, llvm::StringRef modelPath,
                          llvm::StringRef override,
                          llvm::StringRef alternatives,
                          std::unique_ptr<txc::Tokenizer> &out,
                          const OptionSpelling &spell = {});

/// Reads a whole file ("-": standard input) into `out`; a message naming
/// `flag` and the file on failure.
std::string readTextFile(llvm::StringRef path, llvm::StringRef flag,
                         std::string &out);

/// Checks that the tokenizer's ids fit the model's logits.
std::string checkVocabulary(const txc::Tokenizer &tokenizer, int64_t vocab,
                            llvm::StringRef modelPath);

//===----------------------------------------------------------------------===//
// Text generation
//===----------------------------------------------------------------------===//

/// Where a generation stops, besides a full KV cache.
struct StopRules {
  /// Tokens per row, at most.
  int64_t maxNewTokens = 16;
  /// Text: stop when the text generated contains one of these (not
  /// emitted).
  std::vector<std::string> stops;
  /// Stop a row at one of these ids (with a tokenizer, also at its
  /// end-of-generation ids).
  std::vector<int64_t> stopTokens;
};

/// The text of one row as it is generated: token pieces go through
/// Utf8Stream (a character is emitted whole), and text that may still turn
/// out to be the start of a stop string is held back until decided. What
/// is final goes to the sink (when given) and always to `text`.
class RowText {
public:
  RowText(llvm::ArrayRef<std::string> stops,
          std::function<void(llvm::StringRef)> sink)
      : stops(stops), sink(std::move(sink)) {}

  /// Adds the bytes of one token; true when a stop string completed (the
  /// text before it is emitted, the string itself is dropped).
  bool push(llvm::StringRef bytes);
  /// Ends the row: emits everything held back.
  void finish();

  std::string text;

private:
  bool settle(bool final);
  void emit(llvm::StringRef piece);

  llvm::ArrayRef<std::string> stops;
  std::function<void(llvm::StringRef)> sink;
  txc::Utf8Stream utf8;
  std::string held;
};

/// What one generation did.
struct TextRun {
  /// Per row: the ids generated, the last one never fed back.
  std::vector<std::vector<int64_t>> ids;
  /// Per row: ended on an end-of-generation or stop-token id.
  std::vector<bool> endedOnToken;
  /// Per row: the text (empty without a tokenizer).
  std::vector<std::string> text;
  int64_t decodeSteps = 0;
  double decodeMs = 0;
  bool cacheFull = false;
};

/// Generates from the logits a session holds (after a prefill), one token
/// per row and step: each row ends at an end-of-generation id of the
/// tokenizer, a stop token, a stop string or maxNewTokens; the generation
/// ends when every row has, or early when the cache fills. Without a
/// tokenizer only ids are produced (a row that ended keeps its last id).
/// `step()` samples one token per row and runs the decode step that feeds
/// them back when generation goes on; `finish()` releases the text held
/// back. Text that is final goes to `sink(row, piece)` as it is decided.
class TextGenerator {
public:
  TextGenerator(txrt_session *session, const txrt_generation_info &info,
                const txc::Tokenizer *tokenizer, const txrt_sampling &params,
                txrt_rng &rng, const StopRules &rules,
                std::function<void(int64_t, llvm::StringRef)> sink);

  /// One step; an error message (txrt's) or "".
  std::string step();
  /// True once no step is left (finish() may still emit held text).
  bool finished() const { return done; }
  /// The ids picked by the last step, one per row.
  llvm::ArrayRef<int64_t> lastIds() const { return current; }
  /// Ends every row; call once, after the last step.
  TextRun finish();

private:
  txrt_session *session;
  txrt_generation_info info;
  const txc::Tokenizer *tokenizer;
  txrt_sampling params;
  txrt_rng &rng;
  StopRules rules;
  std::vector<int32_t> ends;
  std::vector<RowText> rows;
  std::vector<bool> rowDone;
  std::vector<int64_t> current;
  int64_t index = 0;
  bool done = false;
  TextRun run;
};

/// Runs a TextGenerator to its end.
std::string
generateText(txrt_session *session, const txrt_generation_info &info,
             const txc::Tokenizer &tokenizer, const txrt_sampling &params,
             txrt_rng &rng, const StopRules &rules,
             std::function<void(int64_t, llvm::StringRef)> sink, TextRun &run);

//===----------------------------------------------------------------------===//
// Chat
//===----------------------------------------------------------------------===//

/// An error message when `params` are not valid sampling parameters (what
/// txrt_sample would refuse), else "": checked before any work is done.
std::string checkSampling(const txrt_sampling &params);

/// The format named `name` (chatml, llama3, llama2, phi3), if any.
std::optional<txc::ChatFormat> chatFormatNamed(llvm::StringRef name);

/// A conversation whose rendered text is kept in a session's KV cache:
/// each user turn prefills only what follows the cached text (the end of
/// the last answer, the turn and the assistant header) when the template
/// leaves earlier turns as they were, else the whole conversation again.
class Chat {
public:
  Chat(const txc::Tokenizer &tokenizer, txc::ChatFormat format,
       llvm::StringRef system);

  /// Adds a user turn: `ids` are the tokens to prefill and `reset` says
  /// whether the session must be emptied first.
  void addUserTurn(llvm::StringRef turn, std::vector<int64_t> &ids,
                   bool &reset);
  /// The turn's tokens are in the cache (after a successful prefill).
  void commitTurn();
  /// Takes back the last user turn (its prefill did not happen); the next
  /// turn prefills the whole conversation into an emptied session.
  void dropTurn();
  /// Records the answer generated for the turn.
  void addAnswer(const TextRun &run);

private:
  const txc::Tokenizer &tokenizer;
  txc::ChatFormat format;
  std::string bosText, defaultSystem;
  std::vector<txc::ChatMessage> messages;
  /// The conversation whose tokens are in the cache (up to the last
  /// assistant header), the next one, the last answer, and its token never
  /// fed back.
  std::string rendered, next, answer;
  std::vector<int64_t> pending;
};

//===----------------------------------------------------------------------===//
// Perplexity
//===----------------------------------------------------------------------===//

/// One generation model under evaluation: its session and timing.
struct Runner {
  ModelPtr model;
  SessionPtr session;
  txrt_generation_info info;
  std::string path;
  double ms = 0;
  int64_t tokensRun = 0;
  /// The KV cache each window left (txrt_session_kv_positions before the
  /// next window resets the session), summed over the windows.
  int64_t kvHeld = 0, kvDense = 0;

  /// Runs `window` (the inputs; position p predicts token p + 1) from an
  /// empty cache and keeps the logits of positions `first ..` in `out`
  /// ([window.size() - first][vocab], row 0 of the batch).
  std::string run(llvm::ArrayRef<int64_t> window, size_t first, bool decodeMode,
                  std::vector<float> &out);
};

/// Loads a generation model and creates its session.
std::string openRunner(llvm::StringRef path, llvm::StringRef weights,
                       int threads, Runner &runner);

/// How a text is scored.
struct EvalSettings {
  /// Tokens per window (unset: the smaller of 512 and the capacity).
  std::optional<int64_t> context;
  /// Tokens each window starts after the previous one (unset: context).
  std::optional<int64_t> stride;
  /// "prefill" or "decode".
  std::string mode = "prefill";
  /// Only the first N tokens of the text.
  std::optional<int64_t> maxTokens;
  /// A second model run on the same windows (empty: none).
  std::string reference;
  /// Threads of the reference model (0: its default).
  int threads = 0;
  bool noBos = false;
  /// Keep the logits of every scored position (EvalResult::logits).
  bool keepLogits = false;
  /// The text in messages ("--text: 'FILE'").
  std::string textLabel;
  OptionSpelling spell;
};

/// What evaluateText measured.
struct EvalResult {
  double perplexity = 0;
  int64_t scored = 0;
  /// With a reference: top-1 agreement over `counted` positions (near-ties
  /// excluded), mean KL(reference || model), the reference's perplexity.
  bool hasReference = false;
  int64_t agree = 0, counted = 0, nearTies = 0;
  double kl = 0, referencePerplexity = 0;
  /// keepLogits: [scored][vocab].
  std::vector<float> logits;
  /// The reference model, when there was one (its timing).
  std::unique_ptr<Runner> reference;
};

/// Scores `text` with the generation model of `model` (windows of
/// `context` tokens advancing by `stride`, as txc-run eval describes).
std::string evaluateText(Runner &model, const txc::Tokenizer &tokenizer,
                         llvm::StringRef text, const EvalSettings &settings,
                         EvalResult &result);

/// The token inputs of a model compiled for one forward pass, found by
/// name: every input is one of these, [batch, sequence] i64 or i32, all of
/// one shape.
struct TokenInputs {
  std::vector<txrt_tensor_info> inputs;
  int ids = -1, mask = -1, types = -1, positions = -1;
  int64_t batch = 0, seq = 0;
};

/// Fills `io` from `model`'s inputs (input_ids, attention_mask,
/// token_type_ids, and position_ids when `positions`). Returns "" or an
/// error naming `path`; an input it does not know gets "model 'PATH' has
/// input 'NAME'; " followed by `accepted` (what the caller runs). `io.ids`
/// stays -1 when there is no input_ids (the caller says what that means).
std::string describeTokenInputs(txrt_model *model, llvm::StringRef path,
                                bool positions, llvm::StringRef accepted,
                                TokenInputs &io);

} // namespace txcrun

#endif // TXC_TOOLS_TXC_RUN_RUNCORE_H
