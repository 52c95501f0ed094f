//===- TokenizerImpl.h - the one class behind txc::Tokenizer ------*- C++
//-*-===//
//
// The data of a loaded tokenizer of any kind and the algorithms over it
// (Tokenizer.cpp); the loaders (TokenizerLoad.cpp) fill the fields and call
// finalize(), which checks them and builds the lookup tables.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_LIB_RUNTIME_TOKENIZER_TOKENIZERIMPL_H
#define TXC_LIB_RUNTIME_TOKENIZER_TOKENIZERIMPL_H

#include "PreTokenizer.h"
#include "txc/Runtime/Tokenizer.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"

#include <array>

namespace txc {
namespace detail {

/// GGUF token types (tokenizer.ggml.token_type; llama.cpp's numbering).
enum TokenType : int8_t {
  Normal = 1,
  Unknown = 2,
  Control = 3,
  UserDefined = 4,
  Unused = 5,
  Byte = 6,
};

/// Where a SentencePiece tokenizer puts a "▁" before a piece of text.
enum class SpacePrefix {
  None,
  First,        ///< the text's first piece (HF Metaspace "first")
  Always,       ///< every piece between added tokens (HF Prepend normalizer)
  AfterSpecial, ///< the first piece and each after a token (llama.cpp)
};

/// The bytes of `bytes` as GPT-2 characters, and back (a piece with a
/// character outside the mapping decodes to its own bytes).
std::string byteLevelEncode(llvm::StringRef bytes);
std::string byteLevelDecode(llvm::StringRef piece);

class TokenizerImpl final : public Tokenizer {
public:
  explicit TokenizerImpl(Kind kind) : kind_(kind) {}

  // --- configuration (set by the loaders, then finalize()) ---
  Kind kind_;
  std::vector<std::string> pieces;
  std::vector<float> scores; ///< empty or one per token
  std::vector<int8_t> types; ///< empty or one per token (TokenType)
  std::vector<std::pair<std::string, std::string>> merges; ///< rank order
  PreTokenizerKind pre = PreTokenizerKind::GPT2;
  bool ignoreMerges = false;   ///< a word that is a token is not merged
  bool addPrefixSpace = false; ///< byte-level: a space before each piece
  bool mergeByScore = false;   ///< SentencePiece: by score, not by rank
  SpacePrefix spacePrefix = SpacePrefix::None;
  bool splitOnSpace = false; ///< SentencePiece: words start at "▁"
  bool byteFallback = false;
  // WordPiece (BERT normalizer and model options).
  bool lowercase = false, stripAccents = false, chineseChars = false,
       cleanText = false, cleanupDecode = true;
  std::string continuingPrefix = "##";
  size_t maxInputCharsPerWord = 100;
  int32_t bosId = -1, eosId = -1, unkId = -1, padId = -1, sepId = -1,
          clsId = -1, eotId = -1, eomId = -1;
  std::vector<int32_t> prefixIds, suffixIds; ///< added by addSpecial
  /// Tokens matched in text only with parseSpecial and skipped by
  /// decode(skipSpecial).
  std::vector<int32_t> specialIds;
  /// Tokens always matched in text before splitting.
  std::vector<int32_t> addedIds;
  std::vector<int32_t> eogIds;
  std::string chatTemplateText;

  /// Checks the configuration and builds the tables.
  llvm::Error finalize();
  /// Fills eogIds from the special ids and the end-of-turn token names.
  void computeEndOfGeneration();

  // --- Tokenizer ---
  std::string toJSON() const override;
  Kind kind() const override { return kind_; }
  int64_t vocabSize() const override { return pieces.size(); }
  std::vector<int32_t> encode(llvm::StringRef text, bool addSpecial,
                              bool parseSpecial) const override;
  std::string tokenBytes(int32_t id, bool skipSpecial) const override;
  std::string decode(llvm::ArrayRef<int32_t> ids,
                     bool skipSpecial) const override;
  int32_t bos() const override { return bosId; }
  int32_t eos() const override { return eosId; }
  std::vector<int32_t> endOfGeneration() const override { return eogIds; }
  std::optional<int32_t> tokenId(llvm::StringRef text) const override;
  llvm::StringRef chatTemplate() const override { return chatTemplateText; }

private:
  using WordCache = llvm::StringMap<std::vector<int32_t>>;
  struct MatchEntry {
    int32_t id;
    bool onlyParseSpecial;
  };

  void encodeText(llvm::StringRef text, bool first, bool afterSpecial,
                  WordCache &cache, std::vector<int32_t> &out) const;
  void bpeWord(llvm::StringRef word, std::vector<int32_t> &out) const;
  void spmWord(llvm::StringRef text, std::vector<int32_t> &out) const;
  void wordPiece(llvm::StringRef text, std::vector<int32_t> &out) const;
  bool isByteToken(int32_t id) const;

  llvm::StringMap<int32_t> ids;
  /// (left id << 32 | right id) -> (rank, merged id).
  llvm::DenseMap<uint64_t, std::pair<int32_t, int32_t>> mergeMap;
  std::array<int32_t, 256> byteIds{};
  std::vector<bool> special;
  std::array<std::vector<MatchEntry>, 256> matchByLead;
};

} // namespace detail
} // namespace txc

#endif // TXC_LIB_RUNTIME_TOKENIZER_TOKENIZERIMPL_H
