//===- Unicode.cpp - code points, categories and UTF-8 for tokenizers -----===//
//
// Table lookups (binary search over generated ranges) and UTF-8 decoding.
// Invalid UTF-8 follows the maximal-subpart rule: a lead byte followed by
// the longest prefix of a well-formed sequence is replaced as a whole by one
// U+FFFD, and a byte that cannot start a sequence (80-BF, C0, C1, F5-FF) is
// replaced alone.
//
//===----------------------------------------------------------------------===//

#include "Unicode.h"

#include <algorithm>

namespace txc {
namespace unicode {
namespace {

struct CategoryRange {
  uint32_t first, last;
  CharClass cls;
};

struct CaseEntry {
  uint32_t cp;
  uint32_t offset;
  uint32_t count;
};

#include "UnicodeTables.inc"

/// Classes of the first 256 code points, filled on first use.
struct Latin1Classes {
  CharClass cls[256];
  Latin1Classes() {
    for (uint32_t cp = 0; cp < 256; ++cp)
      cls[cp] = lookup(cp);
  }
  static CharClass lookup(uint32_t cp) {
    const CategoryRange *end = std::end(kCategoryRanges);
    const CategoryRange *it = std::upper_bound(
        std::begin(kCategoryRanges), end, cp,
        [](uint32_t value, const CategoryRange &r) { return value < r.first; });
    if (it == std::begin(kCategoryRanges))
      return CharClass::Other;
    --it;
    return cp <= it->last ? it->cls : CharClass::Other;
  }
};

const CaseEntry *findEntry(const CaseEntry *begin, const CaseEntry *end,
                           uint32_t cp) {
  const CaseEntry *it = std::lower_bound(
      begin, end, cp, [](const CaseEntry &e, uint32_t v) { return e.cp < v; });
  return it != end && it->cp == cp ? it : nullptr;
}

} // namespace

CharClass charClass(uint32_t cp) {
  static const Latin1Classes latin1;
  if (cp < 256)
    return latin1.cls[cp];
  return Latin1Classes::lookup(cp);
}

bool isWhitespace(uint32_t cp) {
  if (cp < 0x80)
    return (cp >= 9 && cp <= 13) || cp == 32;
  return cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
         cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

size_t utf8Length(uint8_t lead) {
  if (lead < 0xC0)
    return 1;
  if (lead < 0xE0)
    return 2;
  if (lead < 0xF0)
    return 3;
  return lead < 0xF8 ? 4 : 1;
}

size_t validSequenceLength(llvm::StringRef bytes, size_t *invalidLength) {
  *invalidLength = 0;
  if (bytes.empty())
    return 0;
  auto b = [&](size_t i) { return static_cast<uint8_t>(bytes[i]); };
  uint8_t lead = b(0);
  if (lead < 0x80)
    return 1;
  size_t need;
  uint8_t lo = 0x80, hi = 0xBF; // range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    need = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    need = 3;
    if (lead == 0xE0)
      lo = 0xA0;
    else if (lead == 0xED)
      hi = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    need = 4;
    if (lead == 0xF0)
      lo = 0x90;
    else if (lead == 0xF4)
      hi = 0x8F;
  } else {
    *invalidLength = 1;
    return 0;
  }
  size_t i = 1;
  for (; i < need; ++i) {
    if (i >= bytes.size())
      break;
    uint8_t c = b(i);
    uint8_t l = i == 1 ? lo : 0x80, h = i == 1 ? hi : 0xBF;
    if (c < l || c > h)
      break;
  }
  if (i == need)
    return need;
  *invalidLength = i;
  return 0;
}

std::string sanitizeUtf8(llvm::StringRef bytes) {
  std::string out;
  out.reserve(bytes.size());
  size_t pos = 0;
  while (pos < bytes.size()) {
    // Runs of ASCII are common: copy them at once.
    size_t start = pos;
    while (pos < bytes.size() && static_cast<uint8_t>(bytes[pos]) < 0x80)
      ++pos;
    out.append(bytes.data() + start, pos - start);
    if (pos >= bytes.size())
      break;
    size_t bad;
    size_t n = validSequenceLength(bytes.drop_front(pos), &bad);
    if (n) {
      out.append(bytes.data() + pos, n);
      pos += n;
    } else {
      appendUtf8(out, kReplacement);
      pos += bad;
    }
  }
  return out;
}

std::vector<uint32_t> decodeUtf8(llvm::StringRef text) {
  std::vector<uint32_t> out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    uint8_t lead = static_cast<uint8_t>(text[pos]);
    size_t bad;
    size_t n = validSequenceLength(text.drop_front(pos), &bad);
    if (!n) {
      out.push_back(kReplacement);
      pos += bad;
      continue;
    }
    uint32_t cp = n == 1   ? lead
                  : n == 2 ? lead & 0x1F
                  : n == 3 ? lead & 0x0F
                           : lead & 0x07;
    for (size_t i = 1; i < n; ++i)
      cp = (cp << 6) | (static_cast<uint8_t>(text[pos + i]) & 0x3F);
    out.push_back(cp);
    pos += n;
  }
  return out;
}

void appendUtf8(std::string &out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

void appendLowercase(std::vector<uint32_t> &out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
    return;
  }
  const CaseEntry *e =
      findEntry(std::begin(kLowercase), std::end(kLowercase), cp);
  if (!e) {
    out.push_back(cp);
    return;
  }
  out.insert(out.end(), kLowercaseData + e->offset,
             kLowercaseData + e->offset + e->count);
}

void appendDecomposition(std::vector<uint32_t> &out, uint32_t cp) {
  // Hangul syllables decompose by rule (Unicode 15, section 3.12).
  constexpr uint32_t SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161,
                     TBase = 0x11A7, TCount = 28, NCount = 588, SCount = 11172;
  if (cp >= SBase && cp < SBase + SCount) {
    uint32_t s = cp - SBase;
    out.push_back(LBase + s / NCount);
    out.push_back(VBase + (s % NCount) / TCount);
    if (s % TCount)
      out.push_back(TBase + s % TCount);
    return;
  }
  if (cp < 0xC0) {
    out.push_back(cp);
    return;
  }
  const CaseEntry *e =
      findEntry(std::begin(kDecompose), std::end(kDecompose), cp);
  if (!e) {
    out.push_back(cp);
    return;
  }
  out.insert(out.end(), kDecomposeData + e->offset,
             kDecomposeData + e->offset + e->count);
}

} // namespace unicode
} // namespace txc
