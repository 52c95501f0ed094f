//===- PreTokenizer.cpp - split text into words before BPE ----------------===//
//
// Each split is a matcher: given the code points of a piece and a position,
// it returns where the pattern's match starting there ends. The patterns
// cover every character, so matches tile the piece. Sequences of splits
// (SmolLM, Default) apply each split to the pieces of the one before, as
// llama.cpp and Hugging Face's Sequence pre-tokenizer do.
//
//===----------------------------------------------------------------------===//

#include "PreTokenizer.h"
#include "Unicode.h"

#include "llvm/ADT/StringSwitch.h"

using namespace txc;
using namespace txc::unicode;

namespace {

using Range = std::pair<size_t, size_t>;

/// Code points of a piece with the byte offset of each (and of the end).
struct CodePoints {
  std::vector<uint32_t> cps;
  std::vector<size_t> offsets;
};

CodePoints decodeWithOffsets(llvm::StringRef text) {
  CodePoints out;
  out.cps.reserve(text.size());
  out.offsets.reserve(text.size() + 1);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t bad;
    size_t n = validSequenceLength(text.drop_front(pos), &bad);
    if (!n)
      n = bad;
    uint32_t cp = kReplacement;
    uint8_t lead = static_cast<uint8_t>(text[pos]);
    if (n == 1 && lead < 0x80) {
      cp = lead;
    } else if (!bad) {
      cp = n == 2 ? lead & 0x1F : n == 3 ? lead & 0x0F : lead & 0x07;
      for (size_t i = 1; i < n; ++i)
        cp = (cp << 6) | (static_cast<uint8_t>(text[pos + i]) & 0x3F);
    }
    out.offsets.push_back(pos);
    out.cps.push_back(cp);
    pos += n;
  }
  out.offsets.push_back(text.size());
  return out;
}

bool isL(uint32_t c) { return isLetter(c); }
bool isN(uint32_t c) { return isNumber(c); }
bool isS(uint32_t c) { return isWhitespace(c); }
bool isNL(uint32_t c) { return c == '\r' || c == '\n'; }
/// [^\s\p{L}\p{N}]
bool isOtherChar(uint32_t c) { return !isS(c) && !isL(c) && !isN(c); }
uint32_t lowerAscii(uint32_t c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/// Length of a contraction ('s 't 're 've 'm 'll 'd) at `i`, 0 if none.
size_t contraction(const uint32_t *c, size_t i, size_t n, bool ignoreCase) {
  if (c[i] != '\'' || i + 1 >= n)
    return 0;
  auto at = [&](size_t k) -> uint32_t {
    if (k >= n)
      return 0;
    return ignoreCase ? lowerAscii(c[k]) : c[k];
  };
  uint32_t a = at(i + 1), b = at(i + 2);
  if (a == 's' || a == 't' || a == 'm' || a == 'd')
    return 2;
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') ||
      (a == 'l' && b == 'l'))
    return 3;
  return 0;
}

/// End of the run of whitespace starting at `i`.
size_t spaceRun(const uint32_t *c, size_t i, size_t n) {
  while (i < n && isS(c[i]))
    ++i;
  return i;
}

/// \s+(?!\S)|\s+ at whitespace `i`.
size_t trailingSpace(const uint32_t *c, size_t i, size_t n) {
  size_t k = spaceRun(c, i, n);
  if (k == n || k - 1 == i)
    return k;
  return k - 1;
}

template <typename Pred>
size_t run(const uint32_t *c, size_t i, size_t n, Pred p) {
  while (i < n && p(c[i]))
    ++i;
  return i;
}

size_t matchGPT2(const uint32_t *c, size_t i, size_t n) {
  if (size_t len = contraction(c, i, n, /*ignoreCase=*/false))
    return i + len;
  // ` ?X+` for X in \p{L}, \p{N}, [^\s\p{L}\p{N}]
  size_t j = (c[i] == ' ' && i + 1 < n) ? i + 1 : i;
  for (bool (*cls)(uint32_t) : {isL, isN, isOtherChar}) {
    if (cls(c[j]))
      return run(c, j, n, cls);
    if (j != i && cls(c[i]))
      return run(c, i, n, cls);
  }
  return trailingSpace(c, i, n);
}

size_t matchLlama3(const uint32_t *c, size_t i, size_t n, size_t maxDigits) {
  if (size_t len = contraction(c, i, n, /*ignoreCase=*/true))
    return i + len;
  // [^\r\n\p{L}\p{N}]?\p{L}+
  if (isL(c[i]))
    return run(c, i, n, isL);
  if (!isNL(c[i]) && !isN(c[i]) && i + 1 < n && isL(c[i + 1]))
    return run(c, i + 1, n, isL);
  // \p{N}{1,maxDigits}
  if (isN(c[i])) {
    size_t k = i;
    while (k < n && k - i < maxDigits && isN(c[k]))
      ++k;
    return k;
  }
  //  ?[^\s\p{L}\p{N}]+[\r\n]*
  size_t j = (c[i] == ' ' && i + 1 < n && isOtherChar(c[i + 1])) ? i + 1 : i;
  if (isOtherChar(c[j]))
    return run(c, run(c, j, n, isOtherChar), n, isNL);
  // \s*[\r\n]+ : up to the last line break of the whitespace run.
  size_t k = spaceRun(c, i, n);
  for (size_t p = k; p > i; --p)
    if (isNL(c[p - 1]))
      return p;
  return trailingSpace(c, i, n);
}

template <typename Matcher>
void splitWith(const uint32_t *c, Range r, std::vector<Range> &out,
               Matcher match) {
  size_t i = r.first;
  while (i < r.second) {
    size_t end = match(c + r.first, i - r.first, r.second - r.first);
    end += r.first;
    if (end <= i)
      end = i + 1;
    out.push_back({i, end});
    i = end;
  }
}

/// Makes each maximal run of characters with `pred` (or, with `single`,
/// each such character) a piece; what lies between stays a piece.
template <typename Pred>
void isolate(const uint32_t *c, Range r, std::vector<Range> &out, Pred pred,
             bool single) {
  size_t start = r.first, i = r.first;
  while (i < r.second) {
    if (!pred(c[i])) {
      ++i;
      continue;
    }
    if (i > start)
      out.push_back({start, i});
    size_t k = single ? i + 1 : i + 1;
    if (!single)
      while (k < r.second && pred(c[k]))
        ++k;
    out.push_back({i, k});
    start = i = k;
  }
  if (start < r.second)
    out.push_back({start, r.second});
}

template <typename Step>
std::vector<Range> applyStep(const uint32_t *c, const std::vector<Range> &in,
                             Step step) {
  std::vector<Range> out;
  out.reserve(in.size() * 2);
  for (Range r : in)
    step(c, r, out);
  return out;
}

bool isDefaultPunct(uint32_t c) {
  if (charClass(c) == CharClass::Punctuation)
    return true;
  return c == '$' || c == '+' || c == '<' || c == '=' || c == '>' || c == '^' ||
         c == '~' || c == '|';
}

bool isAsciiDigit(uint32_t c) { return c >= '0' && c <= '9'; }

} // namespace

llvm::StringRef txc::preTokenizerName(PreTokenizerKind kind) {
  switch (kind) {
  case PreTokenizerKind::GPT2:
    return "gpt2";
  case PreTokenizerKind::Llama3:
    return "llama3";
  case PreTokenizerKind::Qwen2:
    return "qwen2";
  case PreTokenizerKind::SmolLM:
    return "smollm";
  case PreTokenizerKind::Default:
    return "default";
  }
  return "gpt2";
}

std::optional<PreTokenizerKind>
txc::preTokenizerFromName(llvm::StringRef name) {
  return llvm::StringSwitch<std::optional<PreTokenizerKind>>(name)
      .Case("gpt2", PreTokenizerKind::GPT2)
      .Case("llama3", PreTokenizerKind::Llama3)
      .Case("qwen2", PreTokenizerKind::Qwen2)
      .Case("smollm", PreTokenizerKind::SmolLM)
      .Case("default", PreTokenizerKind::Default)
      .Default(std::nullopt);
}

std::optional<PreTokenizerKind> txc::preTokenizerFromGGUF(llvm::StringRef pre) {
  return llvm::StringSwitch<std::optional<PreTokenizerKind>>(pre)
      .Cases({"gpt2", "gpt-2", "phi-2", "mpt", "olmo", "jais"},
             PreTokenizerKind::GPT2)
      .Cases({"llama3", "llama-v3", "llama-bpe", "dbrx", "smaug-bpe"},
             PreTokenizerKind::Llama3)
      .Cases({"qwen2", "stablelm2", "deepseek-r1-qwen", "megrez"},
             PreTokenizerKind::Qwen2)
      .Cases({"smollm", "starcoder", "refact", "command-r", "codeshell",
              "exaone", "minerva-7b"},
             PreTokenizerKind::SmolLM)
      .Case("default", PreTokenizerKind::Default)
      .Default(std::nullopt);
}

std::string txc::supportedPreTokenizers() {
  return "gpt2 (GGUF gpt2, gpt-2, phi-2, mpt, olmo, jais), llama3 (llama3, "
         "llama-v3, llama-bpe, dbrx, smaug-bpe), qwen2 (qwen2, stablelm2, "
         "deepseek-r1-qwen, megrez), smollm (smollm, starcoder, refact, "
         "command-r, "
         "codeshell, exaone, minerva-7b), default";
}

void txc::preTokenize(PreTokenizerKind kind, llvm::StringRef text,
                      std::vector<llvm::StringRef> &pieces) {
  if (text.empty())
    return;
  CodePoints cp = decodeWithOffsets(text);
  const uint32_t *c = cp.cps.data();
  std::vector<Range> ranges{{0, cp.cps.size()}};
  auto gpt2 = [](const uint32_t *c, Range r, std::vector<Range> &out) {
    splitWith(c, r, out, matchGPT2);
  };
  switch (kind) {
  case PreTokenizerKind::GPT2:
    ranges = applyStep(c, ranges, gpt2);
    break;
  case PreTokenizerKind::Llama3:
  case PreTokenizerKind::Qwen2: {
    size_t maxDigits = kind == PreTokenizerKind::Llama3 ? 3 : 1;
    ranges = applyStep(
        c, ranges, [&](const uint32_t *c, Range r, std::vector<Range> &o) {
          splitWith(c, r, o, [&](const uint32_t *c, size_t i, size_t n) {
            return matchLlama3(c, i, n, maxDigits);
          });
        });
    break;
  }
  case PreTokenizerKind::SmolLM:
    ranges = applyStep(c, ranges,
                       [](const uint32_t *c, Range r, std::vector<Range> &o) {
                         isolate(c, r, o, isN, /*single=*/true);
                       });
    ranges = applyStep(c, ranges, gpt2);
    break;
  case PreTokenizerKind::Default:
    ranges = applyStep(c, ranges,
                       [](const uint32_t *c, Range r, std::vector<Range> &o) {
                         isolate(c, r, o, isDefaultPunct, /*single=*/false);
                       });
    ranges = applyStep(c, ranges, gpt2);
    ranges = applyStep(c, ranges,
                       [](const uint32_t *c, Range r, std::vector<Range> &o) {
                         isolate(c, r, o, isN, /*single=*/false);
                       });
    ranges = applyStep(c, ranges,
                       [](const uint32_t *c, Range r, std::vector<Range> &o) {
                         // [0-9][0-9][0-9]: three ASCII digits at a time,
                         // leftmost first.
                         size_t start = r.first, i = r.first;
                         while (i + 3 <= r.second) {
                           if (isAsciiDigit(c[i]) && isAsciiDigit(c[i + 1]) &&
                               isAsciiDigit(c[i + 2])) {
                             if (i > start)
                               o.push_back({start, i});
                             o.push_back({i, i + 3});
                             start = i = i + 3;
                           } else {
                             ++i;
                           }
                         }
                         if (start < r.second)
                           o.push_back({start, r.second});
                       });
    break;
  }
  for (Range r : ranges)
    pieces.push_back(text.slice(cp.offsets[r.first], cp.offsets[r.second]));
}

void txc::bertPreTokenize(const std::vector<uint32_t> &cps,
                          std::vector<std::pair<size_t, size_t>> &words) {
  size_t start = 0;
  auto isPunct = [](uint32_t c) {
    if (c < 0x80)
      return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) ||
             (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
    return charClass(c) == CharClass::Punctuation;
  };
  for (size_t i = 0; i < cps.size(); ++i) {
    if (isWhitespace(cps[i])) {
      if (i > start)
        words.push_back({start, i});
      start = i + 1;
    } else if (isPunct(cps[i])) {
      if (i > start)
        words.push_back({start, i});
      words.push_back({i, i + 1});
      start = i + 1;
    }
  }
  if (start < cps.size())
    words.push_back({start, cps.size()});
}
