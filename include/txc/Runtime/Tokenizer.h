//===- Tokenizer.h - text <-> token ids for compiled models -----*- C++ -*-===//
//
// The tokenizers of the models txc compiles, in C++ with no MLIR and no
// Python: byte-level BPE (GPT-2, Llama 3, Qwen2, SmolLM2 pre-tokenizer
// splits), SentencePiece-style BPE with byte fallback (Llama 2, TinyLlama,
// Mistral), and WordPiece (BERT). A tokenizer is loaded from GGUF metadata
// (tokenizer.ggml.*) or a Hugging Face tokenizer.json (with
// tokenizer_config.json beside it for BOS/EOS rules and the chat template),
// and saved in txc's own JSON form next to a compiled model
// (docs/runtime.md, "Tokenizers").
//
//===----------------------------------------------------------------------===//

#ifndef TXC_RUNTIME_TOKENIZER_H
#define TXC_RUNTIME_TOKENIZER_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace txc {
class GGUFFile;

/// Chat templates txc recognises (by their Jinja text) and formats itself.
enum class ChatFormat { ChatML, Llama3, Llama2, Phi3 };

struct ChatMessage {
  std::string role; ///< "system", "user" or "assistant"
  std::string content;
};

class Tokenizer {
public:
  enum class Kind { ByteBPE, SentencePieceBPE, WordPiece };

  virtual ~Tokenizer();

  /// From the tokenizer.ggml.* keys of a GGUF file (model "gpt2" with a
  /// tokenizer.ggml.pre, "llama", "bert").
  static llvm::Expected<std::unique_ptr<Tokenizer>>
  fromGGUF(const GGUFFile &file);
  /// From a Hugging Face tokenizer.json (a path to the file or to the
  /// folder holding it; tokenizer_config.json beside it is read when
  /// present).
  static llvm::Expected<std::unique_ptr<Tokenizer>>
  fromHuggingFace(llvm::StringRef path);
  /// From txc's own form (toJSON()).
  static llvm::Expected<std::unique_ptr<Tokenizer>>
  fromJSON(llvm::StringRef text);
  /// Serializes everything needed to rebuild this tokenizer.
  virtual std::string toJSON() const = 0;

  virtual Kind kind() const = 0;
  virtual int64_t vocabSize() const = 0;

  /// Token ids of `text`. `addSpecial` applies the file's BOS/EOS rules
  /// (and [CLS]/[SEP] for WordPiece); `parseSpecial` turns the text of
  /// special and added tokens (e.g. "<|im_start|>") into their ids.
  /// Invalid UTF-8 bytes in `text` are read as U+FFFD first.
  virtual std::vector<int32_t> encode(llvm::StringRef text, bool addSpecial,
                                      bool parseSpecial) const = 0;
  /// The bytes token `id` stands for when decoding (a byte-fallback token
  /// gives its one byte, so a piece may be part of a UTF-8 character);
  /// empty for ids outside the vocabulary. Special tokens give their text
  /// unless `skipSpecial`.
  virtual std::string tokenBytes(int32_t id, bool skipSpecial) const = 0;
  /// The text of `ids` (the bytes of their pieces, with WordPiece's and
  /// SentencePiece's joining rules; invalid UTF-8 is kept as bytes).
  virtual std::string decode(llvm::ArrayRef<int32_t> ids,
                             bool skipSpecial) const = 0;

  /// Special ids; -1 when the file has none.
  virtual int32_t bos() const = 0;
  virtual int32_t eos() const = 0;
  /// Every end-of-generation id (EOS, EOT, <|im_end|>, <|endoftext|>,
  /// <|eot_id|>, <|end|>, ... as the file marks or names them).
  virtual std::vector<int32_t> endOfGeneration() const = 0;
  /// The id of a token's exact text, if any (e.g. "<|im_end|>").
  virtual std::optional<int32_t> tokenId(llvm::StringRef text) const = 0;
  /// The chat template's Jinja text ("" when the file has none).
  virtual llvm::StringRef chatTemplate() const = 0;
};

/// `ids` as decimal numbers separated by single spaces (what
/// `txc-tokenize encode` and `txc-run MODEL tokenize` print).
std::string formatIds(llvm::ArrayRef<int32_t> ids);

/// Loads a tokenizer from `path`: a GGUF file, a Hugging Face tokenizer.json
/// (or a folder holding one), or txc's JSON form (a file whose "format" is
/// "txc-tokenizer", or a folder holding tokenizer.txc.json).
llvm::Expected<std::unique_ptr<Tokenizer>> loadTokenizer(llvm::StringRef path);

/// The format of a chat template, or an error naming what was not
/// recognised (and listing the formats txc knows).
llvm::Expected<ChatFormat> detectChatFormat(llvm::StringRef jinja);
/// The prompt text of `messages` in `format`; `addGenerationPrompt` ends
/// with the assistant's header. `bos` is the BOS token's text, written where
/// the format puts it (empty: none).
/// `defaultSystem` is the system message the template writes when the
/// messages start without one (chatDefaultSystemPrompt; empty: none).
std::string formatChat(ChatFormat format, llvm::ArrayRef<ChatMessage> messages,
                       bool addGenerationPrompt, llvm::StringRef bos,
                       llvm::StringRef defaultSystem = "");
/// The system message a ChatML template writes when the conversation has
/// none (SmolLM2's "You are a helpful AI assistant named SmolLM, ...",
/// Qwen2.5's "You are Qwen, ..."), or "" when it writes none.
std::string chatDefaultSystemPrompt(llvm::StringRef jinja);
/// The name of a chat format ("chatml", "llama3", "llama2", "phi3").
llvm::StringRef chatFormatName(ChatFormat format);

/// Emits complete UTF-8 characters of a stream of token pieces: push()
/// returns what may be printed now, holding back a character whose bytes
/// have not all arrived; flush() returns what is left (an incomplete
/// sequence as U+FFFD).
class Utf8Stream {
public:
  std::string push(llvm::StringRef bytes);
  std::string flush();

private:
  std::string pending;
};

} // namespace txc

#endif // TXC_RUNTIME_TOKENIZER_H
