//===- Tokenizer.cpp - BPE, SentencePiece BPE and WordPiece tokenizers ----===//
//
// One implementation class holds every kind: a vocabulary (pieces, scores,
// token types), merges, the special and added tokens, and the options of the
// kind (pre-tokenizer, space prefix, byte fallback, BERT normalizer flags).
// Encoding first replaces invalid UTF-8 (Unicode.h), cuts the text at added
// and special tokens (leftmost, longest first), encodes each piece of text
// by the kind's algorithm and wraps the result in the file's prefix and
// suffix ids. Loading from GGUF, tokenizer.json and txc's JSON form all
// build this class; TokenizerLoad.cpp holds the loaders.
//
//===----------------------------------------------------------------------===//

#include "TokenizerImpl.h"
#include "Unicode.h"

#include "llvm/Support/JSON.h"

#include <algorithm>
#include <queue>

using namespace txc;
using namespace txc::unicode;

Tokenizer::~Tokenizer() = default;

std::string txc::formatIds(llvm::ArrayRef<int32_t> ids) {
  std::string out;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i)
      out += ' ';
    out += std::to_string(ids[i]);
  }
  return out;
}

//===----------------------------------------------------------------------===//
// GPT-2's byte <-> character mapping
//===----------------------------------------------------------------------===//

namespace {
/// Printable Latin-1 bytes stand for themselves; the others (controls,
/// space, 0x7F-0xA0, 0xAD) map to U+0100 onwards in byte order.
struct ByteMap {
  uint32_t toChar[256];
  /// Byte of each character below U+0144 (-1: none).
  int16_t toByte[0x144];
  ByteMap() {
    uint32_t next = 256;
    std::fill(std::begin(toByte), std::end(toByte), -1);
    for (uint32_t b = 0; b < 256; ++b) {
      bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) ||
                       (b >= 0xAE && b <= 0xFF);
      toChar[b] = printable ? b : next++;
      toByte[toChar[b]] = static_cast<int16_t>(b);
    }
  }
};
const ByteMap &byteMap() {
  static const ByteMap map;
  return map;
}
} // namespace

std::string txc::detail::byteLevelEncode(llvm::StringRef bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes)
    appendUtf8(out, byteMap().toChar[static_cast<uint8_t>(c)]);
  return out;
}

std::string txc::detail::byteLevelDecode(llvm::StringRef piece) {
  std::string out;
  out.reserve(piece.size());
  const ByteMap &map = byteMap();
  for (size_t i = 0; i < piece.size();) {
    // The mapped characters are U+0000-U+0143: one or two UTF-8 bytes.
    uint8_t c = static_cast<uint8_t>(piece[i]);
    uint32_t cp = 0x144;
    size_t n = 1;
    if (c < 0x80) {
      cp = c;
    } else if (c >= 0xC2 && c <= 0xC5 && i + 1 < piece.size() &&
               (static_cast<uint8_t>(piece[i + 1]) & 0xC0) == 0x80) {
      cp = ((c & 0x1F) << 6) | (static_cast<uint8_t>(piece[i + 1]) & 0x3F);
      n = 2;
    }
    if (cp >= 0x144 || map.toByte[cp] < 0)
      return piece.str(); // not byte-level text: its own bytes
    out += static_cast<char>(map.toByte[cp]);
    i += n;
  }
  return out;
}

//===----------------------------------------------------------------------===//
// Setup
//===----------------------------------------------------------------------===//

using namespace txc::detail;

llvm::Error TokenizerImpl::finalize() {
  int32_t n = static_cast<int32_t>(pieces.size());
  if (n == 0)
    return llvm::createStringError("the tokenizer has no tokens");
  if (!scores.empty() && scores.size() != pieces.size())
    return llvm::createStringError(
        "the tokenizer has %zu scores for %zu tokens", scores.size(),
        pieces.size());
  if (!types.empty() && types.size() != pieces.size())
    return llvm::createStringError(
        "the tokenizer has %zu token types for %zu tokens", types.size(),
        pieces.size());
  ids.clear();
  ids = llvm::StringMap<int32_t>(static_cast<unsigned>(n));
  for (int32_t i = 0; i < n; ++i)
    ids.try_emplace(pieces[i], i);
  auto checkId = [&](int32_t id, const char *what) -> llvm::Error {
    if (id < -1 || id >= n)
      return llvm::createStringError("the %s token id %d is outside the "
                                     "vocabulary of %d tokens",
                                     what, id, n);
    return llvm::Error::success();
  };
  for (auto [id, what] : {std::pair{bosId, "BOS"},
                          {eosId, "EOS"},
                          {unkId, "UNK"},
                          {padId, "PAD"},
                          {sepId, "SEP"},
                          {clsId, "CLS"},
                          {eotId, "EOT"},
                          {eomId, "EOM"}})
    if (auto err = checkId(id, what))
      return err;
  for (const std::vector<int32_t> *list :
       {&prefixIds, &suffixIds, &specialIds, &addedIds, &eogIds})
    for (int32_t id : *list)
      if (auto err = checkId(id, "listed"))
        return err;
  if (continuingPrefix.empty() && kind_ == Kind::WordPiece)
    continuingPrefix = "##";

  // Merges: both sides and their concatenation must be tokens.
  mergeMap.clear();
  mergeMap.reserve(merges.size());
  for (size_t r = 0; r < merges.size(); ++r) {
    const auto &[left, right] = merges[r];
    auto l = ids.find(left), rt = ids.find(right);
    if (l == ids.end() || rt == ids.end())
      return llvm::createStringError(
          "merge %zu (\"%s %s\") names the token \"%s\", which is not in the "
          "vocabulary",
          r, left.c_str(), right.c_str(),
          (l == ids.end() ? left : right).c_str());
    auto m = ids.find(left + right);
    if (m == ids.end())
      return llvm::createStringError(
          "merge %zu (\"%s %s\") makes \"%s\", which is not in the vocabulary",
          r, left.c_str(), right.c_str(), (left + right).c_str());
    uint64_t key = (static_cast<uint64_t>(l->second) << 32) |
                   static_cast<uint32_t>(rt->second);
    mergeMap.try_emplace(key, static_cast<int32_t>(r), m->second);
  }

  // Byte tokens: the GPT-2 characters for byte-level BPE, <0xXX> for byte
  // fallback.
  for (int b = 0; b < 256; ++b) {
    byteIds[b] = -1;
    std::string text;
    if (kind_ == Kind::ByteBPE) {
      appendUtf8(text, byteMap().toChar[b]);
    } else {
      char buf[8];
      snprintf(buf, sizeof(buf), "<0x%02X>", b);
      text = buf;
    }
    auto it = ids.find(text);
    if (it != ids.end())
      byteIds[b] = it->second;
  }

  // Tokens found in the text before splitting, longest first per lead byte.
  special.assign(n, false);
  for (int32_t id : specialIds)
    special[id] = true;
  for (auto &list : matchByLead)
    list.clear();
  auto addMatch = [&](int32_t id, bool onlyParseSpecial) {
    const std::string &text = pieces[id];
    if (text.empty())
      return;
    matchByLead[static_cast<uint8_t>(text[0])].push_back(
        {id, onlyParseSpecial});
  };
  for (int32_t id : specialIds)
    addMatch(id, true);
  for (int32_t id : addedIds)
    if (!special[id])
      addMatch(id, false);
  for (auto &list : matchByLead)
    std::sort(list.begin(), list.end(),
              [&](const MatchEntry &a, const MatchEntry &b) {
                size_t la = pieces[a.id].size(), lb = pieces[b.id].size();
                return la != lb ? la > lb : a.id < b.id;
              });
  return llvm::Error::success();
}

void TokenizerImpl::computeEndOfGeneration() {
  std::vector<int32_t> out;
  auto add = [&](int32_t id) {
    if (id >= 0 && std::find(out.begin(), out.end(), id) == out.end())
      out.push_back(id);
  };
  add(eosId);
  add(eotId);
  add(eomId);
  for (llvm::StringRef name :
       {"<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|end|>", "<|eom_id|>",
        "</s>", "<end_of_turn>"}) {
    auto it = ids.find(name);
    if (it != ids.end() && special[it->second])
      add(it->second);
  }
  eogIds = out;
}

//===----------------------------------------------------------------------===//
// Merging
//===----------------------------------------------------------------------===//

namespace {
struct Symbol {
  int32_t id;
  uint32_t start, len; ///< bytes of the word
  int32_t prev, next;
};

struct Candidate {
  double priority; ///< lower merges first
  int32_t left, right;
  uint32_t leftLen, rightLen;
  int32_t result;
  bool operator<(const Candidate &o) const {
    // std::priority_queue pops the largest: invert.
    if (priority != o.priority)
      return priority > o.priority;
    return left > o.left;
  }
};
} // namespace

/// Merges adjacent symbols of `word` while a pair can merge, best pair first
/// (lowest merge rank, or highest score of the joined piece), leftmost among
/// equals. `pairOf` gives a pair's priority and resulting id, or false.
template <typename PairFn>
static void mergeSymbols(std::vector<Symbol> &syms, PairFn pairOf) {
  std::priority_queue<Candidate> queue;
  auto consider = [&](int32_t l, int32_t r) {
    if (l < 0 || r < 0)
      return;
    double priority;
    int32_t result;
    if (pairOf(syms[l], syms[r], priority, result))
      queue.push({priority, l, r, syms[l].len, syms[r].len, result});
  };
  for (size_t i = 0; i + 1 < syms.size(); ++i)
    consider(static_cast<int32_t>(i), static_cast<int32_t>(i + 1));
  while (!queue.empty()) {
    Candidate c = queue.top();
    queue.pop();
    Symbol &l = syms[c.left], &r = syms[c.right];
    if (l.len != c.leftLen || r.len != c.rightLen || l.next != c.right ||
        l.len == 0 || r.len == 0)
      continue;
    l.len += r.len;
    l.id = c.result;
    l.next = r.next;
    r.len = 0;
    if (r.next >= 0)
      syms[r.next].prev = c.left;
    consider(l.prev, c.left);
    consider(c.left, l.next);
  }
}

/// The merge of the pair (l, r) by the merges' ranks (lower rank first):
/// the pair's rank as `priority` and the merged id as `result`.
static bool rankMerge(const llvm::DenseMap<uint64_t, std::pair<int32_t, int32_t>>
                          &mergeMap,
                      const Symbol &l, const Symbol &r, double &priority,
                      int32_t &result) {
  if (l.id < 0 || r.id < 0)
    return false;
  auto it = mergeMap.find((static_cast<uint64_t>(l.id) << 32) |
                          static_cast<uint32_t>(r.id));
  if (it == mergeMap.end())
    return false;
  priority = it->second.first;
  result = it->second.second;
  return true;
}

void TokenizerImpl::bpeWord(llvm::StringRef word,
                            std::vector<int32_t> &out) const {
  // Symbols: one per byte, the id of its GPT-2 character.
  std::string mapped;
  if (ignoreMerges) {
    mapped = byteLevelEncode(word);
    auto it = ids.find(mapped);
    if (it != ids.end()) {
      out.push_back(it->second);
      return;
    }
  }
  std::vector<Symbol> syms;
  syms.reserve(word.size());
  for (size_t i = 0; i < word.size(); ++i) {
    int32_t id = byteIds[static_cast<uint8_t>(word[i])];
    syms.push_back({id, static_cast<uint32_t>(i), 1,
                    static_cast<int32_t>(i) - 1,
                    i + 1 < word.size() ? static_cast<int32_t>(i + 1) : -1});
  }
  mergeSymbols(syms, [&](const Symbol &l, const Symbol &r, double &priority,
                         int32_t &result) {
    return rankMerge(mergeMap, l, r, priority, result);
  });
  for (const Symbol &s : syms) {
    if (!s.len)
      continue;
    if (s.id >= 0)
      out.push_back(s.id);
    else if (unkId >= 0)
      out.push_back(unkId);
  }
}

void TokenizerImpl::spmWord(llvm::StringRef text,
                            std::vector<int32_t> &out) const {
  std::vector<Symbol> syms;
  syms.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    size_t n =
        std::min(utf8Length(static_cast<uint8_t>(text[i])), text.size() - i);
    auto it = ids.find(text.substr(i, n));
    int32_t idx = static_cast<int32_t>(syms.size());
    syms.push_back({it == ids.end() ? -1 : it->second, static_cast<uint32_t>(i),
                    static_cast<uint32_t>(n), idx - 1,
                    i + n < text.size() ? idx + 1 : -1});
    i += n;
  }
  if (mergeByScore) {
    mergeSymbols(syms, [&](const Symbol &l, const Symbol &r, double &priority,
                           int32_t &result) {
      auto it = ids.find(text.substr(l.start, l.len + r.len));
      if (it == ids.end())
        return false;
      result = it->second;
      priority = scores.empty() ? 0.0 : -static_cast<double>(scores[result]);
      return true;
    });
  } else {
    mergeSymbols(syms, [&](const Symbol &l, const Symbol &r, double &priority,
                           int32_t &result) {
      return rankMerge(mergeMap, l, r, priority, result);
    });
  }
  for (const Symbol &s : syms) {
    if (!s.len)
      continue;
    if (s.id >= 0) {
      out.push_back(s.id);
      continue;
    }
    // Byte fallback: every byte as its <0xXX> token, else one UNK.
    bool allBytes = byteFallback;
    for (uint32_t i = 0; allBytes && i < s.len; ++i)
      allBytes = byteIds[static_cast<uint8_t>(text[s.start + i])] >= 0;
    if (allBytes) {
      for (uint32_t i = 0; i < s.len; ++i)
        out.push_back(byteIds[static_cast<uint8_t>(text[s.start + i])]);
    } else if (unkId >= 0) {
      out.push_back(unkId);
    }
  }
}

//===----------------------------------------------------------------------===//
// Encoding
//===----------------------------------------------------------------------===//

namespace {
bool isBertChinese(uint32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}
} // namespace

void TokenizerImpl::encodeText(llvm::StringRef text, bool first,
                               bool afterSpecial, WordCache &cache,
                               std::vector<int32_t> &out) const {
  switch (kind_) {
  case Kind::ByteBPE: {
    std::string withSpace;
    if (addPrefixSpace && !text.starts_with(" ")) {
      withSpace = " " + text.str();
      text = withSpace;
    }
    std::vector<llvm::StringRef> words;
    preTokenize(pre, text, words);
    for (llvm::StringRef word : words) {
      auto [it, inserted] = cache.try_emplace(word);
      if (inserted)
        bpeWord(word, it->second);
      out.insert(out.end(), it->second.begin(), it->second.end());
    }
    return;
  }
  case Kind::SentencePieceBPE: {
    std::string s;
    bool prefix =
        spacePrefix == SpacePrefix::Always ||
        (spacePrefix == SpacePrefix::First && first) ||
        (spacePrefix == SpacePrefix::AfterSpecial && (first || afterSpecial));
    if (prefix)
      s = "\xE2\x96\x81";
    s.reserve(text.size() + 16);
    for (char c : text) {
      if (c == ' ')
        s += "\xE2\x96\x81";
      else
        s += c;
    }
    if (!splitOnSpace) {
      spmWord(s, out);
      return;
    }
    // Metaspace split: each word starts at a "▁".
    llvm::StringRef rest = s;
    while (!rest.empty()) {
      size_t next = rest.find("\xE2\x96\x81", 1);
      llvm::StringRef word = rest.substr(0, next);
      rest = next == llvm::StringRef::npos ? "" : rest.substr(next);
      auto [it, inserted] = cache.try_emplace(word);
      if (inserted)
        spmWord(word, it->second);
      out.insert(out.end(), it->second.begin(), it->second.end());
    }
    return;
  }
  case Kind::WordPiece:
    wordPiece(text, out);
    return;
  }
}

void TokenizerImpl::wordPiece(llvm::StringRef text,
                              std::vector<int32_t> &out) const {
  std::vector<uint32_t> cps;
  std::vector<uint32_t> scratch;
  for (uint32_t c : decodeUtf8(text)) {
    if (cleanText) {
      if (c == 0 || c == kReplacement)
        continue;
      if (c != '\t' && c != '\n' && c != '\r' &&
          charClass(c) == CharClass::Other)
        continue;
      if (isWhitespace(c))
        c = ' ';
    }
    if (chineseChars && isBertChinese(c)) {
      cps.push_back(' ');
      cps.push_back(c);
      cps.push_back(' ');
      continue;
    }
    cps.push_back(c);
  }
  if (stripAccents) {
    scratch.clear();
    for (uint32_t c : cps) {
      size_t before = scratch.size();
      appendDecomposition(scratch, c);
      scratch.erase(std::remove_if(scratch.begin() + before, scratch.end(),
                                   [](uint32_t d) {
                                     return charClass(d) ==
                                            CharClass::MarkNonspacing;
                                   }),
                    scratch.end());
    }
    cps.swap(scratch);
  }
  if (lowercase) {
    scratch.clear();
    for (uint32_t c : cps)
      appendLowercase(scratch, c);
    cps.swap(scratch);
  }
  std::vector<std::pair<size_t, size_t>> words;
  bertPreTokenize(cps, words);
  std::string piece;
  for (auto [begin, end] : words) {
    if (end - begin > maxInputCharsPerWord) {
      if (unkId >= 0)
        out.push_back(unkId);
      continue;
    }
    // Byte offset of each code point of the word.
    std::string word;
    std::vector<size_t> offsets;
    for (size_t i = begin; i < end; ++i) {
      offsets.push_back(word.size());
      appendUtf8(word, cps[i]);
    }
    offsets.push_back(word.size());
    size_t n = end - begin, start = 0, firstOut = out.size();
    bool bad = false;
    while (start < n) {
      size_t stop = n;
      int32_t found = -1;
      for (; stop > start; --stop) {
        piece.clear();
        if (start > 0)
          piece = continuingPrefix;
        piece.append(word, offsets[start], offsets[stop] - offsets[start]);
        auto it = ids.find(piece);
        if (it != ids.end()) {
          found = it->second;
          break;
        }
      }
      if (found < 0) {
        bad = true;
        break;
      }
      out.push_back(found);
      start = stop;
    }
    if (bad) {
      out.resize(firstOut);
      if (unkId >= 0)
        out.push_back(unkId);
    }
  }
}

std::vector<int32_t> TokenizerImpl::encode(llvm::StringRef input,
                                           bool addSpecial,
                                           bool parseSpecial) const {
  std::string text = sanitizeUtf8(input);
  std::vector<int32_t> out;
  if (addSpecial)
    out.insert(out.end(), prefixIds.begin(), prefixIds.end());
  WordCache cache;
  llvm::StringRef rest = text;
  size_t segStart = 0;
  bool first = true, afterSpecial = false;
  auto flush = [&](size_t end) {
    if (end > segStart)
      encodeText(rest.slice(segStart, end), first, afterSpecial, cache, out);
    if (end > segStart) {
      first = false;
      afterSpecial = false;
    }
  };
  for (size_t pos = 0; pos < rest.size();) {
    const auto &candidates = matchByLead[static_cast<uint8_t>(rest[pos])];
    int32_t hit = -1;
    for (const MatchEntry &m : candidates) {
      if (m.onlyParseSpecial && !parseSpecial)
        continue;
      if (rest.substr(pos).starts_with(pieces[m.id])) {
        hit = m.id;
        break;
      }
    }
    if (hit < 0) {
      ++pos;
      continue;
    }
    flush(pos);
    out.push_back(hit);
    first = false;
    afterSpecial = true;
    pos += pieces[hit].size();
    segStart = pos;
  }
  flush(rest.size());
  if (addSpecial)
    out.insert(out.end(), suffixIds.begin(), suffixIds.end());
  return out;
}

//===----------------------------------------------------------------------===//
// Decoding
//===----------------------------------------------------------------------===//

bool TokenizerImpl::isByteToken(int32_t id) const {
  if (!types.empty())
    return types[id] == TokenType::Byte;
  const std::string &p = pieces[id];
  return byteFallback && p.size() == 6 && p.compare(0, 3, "<0x") == 0 &&
         p[5] == '>';
}

std::string TokenizerImpl::tokenBytes(int32_t id, bool skipSpecial) const {
  if (id < 0 || id >= static_cast<int32_t>(pieces.size()))
    return "";
  if (special[id]) {
    if (skipSpecial)
      return "";
    return pieces[id];
  }
  const std::string &p = pieces[id];
  switch (kind_) {
  case Kind::ByteBPE:
    return byteLevelDecode(p);
  case Kind::SentencePieceBPE: {
    if (isByteToken(id)) {
      unsigned value = 0;
      if (!llvm::StringRef(p).substr(3, 2).getAsInteger(16, value))
        return std::string(1, static_cast<char>(value));
    }
    std::string out;
    llvm::StringRef rest = p;
    while (!rest.empty()) {
      if (rest.starts_with("\xE2\x96\x81")) {
        out += ' ';
        rest = rest.drop_front(3);
      } else {
        out += rest.front();
        rest = rest.drop_front();
      }
    }
    return out;
  }
  case Kind::WordPiece:
    if (llvm::StringRef(p).starts_with(continuingPrefix))
      return p.substr(continuingPrefix.size());
    return " " + p;
  }
  return p;
}

std::string TokenizerImpl::decode(llvm::ArrayRef<int32_t> ids,
                                  bool skipSpecial) const {
  std::string out;
  if (kind_ == Kind::WordPiece) {
    // Hugging Face's WordPiece decoder: tokens joined by spaces, "##"
    // pieces glued to the one before, then its clean-up of spaces before
    // punctuation and contractions.
    bool firstToken = true;
    for (int32_t id : ids) {
      if (id < 0 || id >= static_cast<int32_t>(pieces.size()))
        continue;
      if (skipSpecial && special[id])
        continue;
      std::string tok = pieces[id];
      if (!firstToken) {
        if (llvm::StringRef(tok).starts_with(continuingPrefix))
          tok = tok.substr(continuingPrefix.size());
        else
          tok = " " + tok;
      }
      firstToken = false;
      if (cleanupDecode) {
        static const std::pair<const char *, const char *> kCleanup[] = {
            {" .", "."},     {" ?", "?"},           {" !", "!"},
            {" ,", ","},     {" ' ", "'"},          {" n't", "n't"},
            {" 'm", "'m"},   {" do not", " don't"}, {" 's", "'s"},
            {" 've", "'ve"}, {" 're", "'re"}};
        for (auto [from, to] : kCleanup) {
          std::string result;
          llvm::StringRef s = tok, f = from;
          size_t pos;
          while ((pos = s.find(f)) != llvm::StringRef::npos) {
            result += s.substr(0, pos).str();
            result += to;
            s = s.substr(pos + f.size());
          }
          result += s.str();
          tok = result;
        }
      }
      out += tok;
    }
    return out;
  }
  for (int32_t id : ids)
    out += tokenBytes(id, skipSpecial);
  if (kind_ == Kind::SentencePieceBPE && spacePrefix != SpacePrefix::None &&
      !out.empty() && out[0] == ' ')
    out.erase(0, 1);
  return out;
}

std::optional<int32_t> TokenizerImpl::tokenId(llvm::StringRef text) const {
  auto it = ids.find(text);
  if (it == ids.end())
    return std::nullopt;
  return it->second;
}

//===----------------------------------------------------------------------===//
// Utf8Stream
//===----------------------------------------------------------------------===//

std::string Utf8Stream::push(llvm::StringRef bytes) {
  pending.append(bytes.data(), bytes.size());
  std::string out;
  llvm::StringRef rest = pending;
  size_t pos = 0;
  while (pos < rest.size()) {
    size_t bad;
    size_t n = validSequenceLength(rest.drop_front(pos), &bad);
    if (n) {
      out.append(rest.data() + pos, n);
      pos += n;
      continue;
    }
    // A valid prefix cut by the end of what arrived: wait for the rest.
    uint8_t lead = static_cast<uint8_t>(rest[pos]);
    if (pos + bad == rest.size() && lead >= 0xC2 && lead <= 0xF4)
      break;
    appendUtf8(out, kReplacement);
    pos += bad;
  }
  pending.erase(0, pos);
  return out;
}

std::string Utf8Stream::flush() {
  std::string out;
  if (!pending.empty())
    out = sanitizeUtf8(pending);
  pending.clear();
  return out;
}
