//===- PreTokenizer.h - split text into words before BPE ----------*- C++
//-*-===//
//
// The pre-tokenizer splits of byte-level BPE tokenizers, written by hand
// over code points (no regex library): each one does what its regex does
// under leftmost-first alternation (Oniguruma, as Hugging Face `tokenizers`
// runs them), and a piece the patterns leave unmatched is kept as a piece.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_LIB_RUNTIME_TOKENIZER_PRETOKENIZER_H
#define TXC_LIB_RUNTIME_TOKENIZER_PRETOKENIZER_H

#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>
#include <vector>

namespace txc {

enum class PreTokenizerKind {
  /// GPT-2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|
  /// \s+(?!\S)|\s+
  GPT2,
  /// Llama 3: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|
  /// \p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
  Llama3,
  /// Qwen2: Llama 3 with \p{N} (one digit a piece).
  Qwen2,
  /// SmolLM / StarCoder: every \p{N} a piece of its own, then GPT-2.
  SmolLM,
  /// llama.cpp's "default" BPE split: runs of [\p{P}$+<=>^~|] isolated,
  /// then GPT-2, then \p{N}+ runs, then [0-9]{3} chunks.
  Default,
};

/// txc's name of a pre-tokenizer ("gpt2", "llama3", "qwen2", "smollm",
/// "default").
llvm::StringRef preTokenizerName(PreTokenizerKind kind);
std::optional<PreTokenizerKind> preTokenizerFromName(llvm::StringRef name);
/// The pre-tokenizer of a GGUF `tokenizer.ggml.pre` value (llama.cpp's
/// names, several per split), or nullopt.
std::optional<PreTokenizerKind> preTokenizerFromGGUF(llvm::StringRef pre);
/// "gpt2, llama3, ..." and the GGUF names each stands for, for errors.
std::string supportedPreTokenizers();

/// Appends the pieces of valid UTF-8 `text` to `pieces` (they cover `text`
/// in order).
void preTokenize(PreTokenizerKind kind, llvm::StringRef text,
                 std::vector<llvm::StringRef> &pieces);

/// BERT's pre-tokenizer on code points: splits at whitespace (dropped) and
/// makes each punctuation character (Unicode P* or ASCII punctuation) a
/// piece; appends [begin, end) code point ranges.
void bertPreTokenize(const std::vector<uint32_t> &cps,
                     std::vector<std::pair<size_t, size_t>> &words);

} // namespace txc

#endif // TXC_LIB_RUNTIME_TOKENIZER_PRETOKENIZER_H
