//===- tokenizer-fuzzer.cpp - libFuzzer target for TxcTokenizer -----------===//
//
// Arbitrary bytes through every tokenizer kind (small fixed vocabularies:
// byte-level BPE under each pre-tokenizer, SentencePiece BPE with byte
// fallback by score and by rank, WordPiece with the BERT normalizer):
// encode with and without special tokens, decode, token bytes and the UTF-8
// stream. A decode of a byte-level encoding must give the input back (after
// the invalid-UTF-8 replacement). The same bytes are also read as txc's
// tokenizer JSON form, which must fail cleanly or load a usable tokenizer.
//
//===----------------------------------------------------------------------===//

#include "txc/Runtime/Tokenizer.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace txc;

namespace {

std::unique_ptr<Tokenizer> load(const std::string &json) {
  auto tok = Tokenizer::fromJSON(json);
  if (!tok) {
    fprintf(stderr, "fixed vocabulary does not load: %s\n",
            llvm::toString(tok.takeError()).c_str());
    abort();
  }
  return std::move(*tok);
}

/// Byte-level BPE: the 256 GPT-2 byte characters plus a few merges.
std::string byteBPE(const char *pre) {
  std::string tokens, chars[256];
  auto utf8 = [](uint32_t cp) {
    std::string s;
    if (cp < 0x80) {
      s += static_cast<char>(cp);
    } else {
      s += static_cast<char>(0xC0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    }
    return s;
  };
  uint32_t next = 256;
  for (uint32_t b = 0; b < 256; ++b) {
    bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) ||
                     (b >= 0xAE && b <= 0xFF);
    chars[b] = utf8(printable ? b : next++);
  }
  auto quote = [](const std::string &s) {
    std::string q = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\')
        q += '\\';
      q += c;
    }
    return q + "\"";
  };
  for (int b = 0; b < 256; ++b)
    tokens += quote(chars[b]) + ",";
  std::string g = chars[' '];
  tokens += quote(g + "t") + "," + quote("he") + "," + quote(g + "the") + "," +
            quote("<|im_end|>") + "," + quote("in") + "," + quote(g + "in");
  std::string merges = "[" + quote(g) + "," + quote("t") + "],[" + quote("h") +
                       "," + quote("e") + "],[" + quote(g + "t") + "," +
                       quote("he") + "],[" + quote("i") + "," + quote("n") +
                       "],[" + quote(g) + "," + quote("in") + "]";
  return std::string("{\"format\":\"txc-tokenizer\",\"kind\":\"byte-bpe\","
                     "\"pre_tokenizer\":\"") +
         pre + "\",\"tokens\":[" + tokens + "],\"merges\":[" + merges +
         "],\"special_tokens\":[259],\"special_ids\":{\"eos\":259},"
         "\"ignore_merges\":true}";
}

std::string sentencePiece(bool byScore) {
  std::string tokens = "\"<unk>\",\"<s>\",\"</s>\"";
  for (int b = 0; b < 256; ++b) {
    char buf[16];
    snprintf(buf, sizeof(buf), ",\"<0x%02X>\"", b);
    tokens += buf;
  }
  tokens += ",\"\u2581\",\"a\",\"b\",\"\u2581a\",\"ab\",\"\u2581ab\"";
  std::string scores = "0,0,0";
  for (int b = 0; b < 256; ++b)
    scores += ",0";
  scores += ",-1,-2,-3,-1.5,-0.5,-0.25";
  return std::string("{\"format\":\"txc-tokenizer\",\"kind\":"
                     "\"sentencepiece-bpe\",\"tokens\":[") +
         tokens + "],\"scores\":[" + scores + "],\"merges\":[[\"\u2581\"," +
         "\"a\"],[\"a\",\"b\"],[\"\u2581a\",\"b\"]],\"merge_order\":\"" +
         (byScore ? "score" : "rank") +
         "\",\"byte_fallback\":true,\"space_prefix\":\"" +
         (byScore ? "after-special" : "first") +
         "\",\"split_on_space\":" + (byScore ? "false" : "true") +
         ",\"special_tokens\":[0,1,2],\"special_ids\":{\"bos\":1,\"eos\":2,"
         "\"unk\":0},\"prefix\":[1]}";
}

std::string wordPiece() {
  return "{\"format\":\"txc-tokenizer\",\"kind\":\"wordpiece\",\"tokens\":"
         "[\"[PAD]\",\"[UNK]\",\"[CLS]\",\"[SEP]\",\"a\",\"##b\",\"ab\","
         "\"##a\",\"!\",\"\u4e2d\"],\"lowercase\":true,\"strip_accents\":"
         "true,\"chinese_chars\":true,\"clean_text\":true,"
         "\"max_input_chars_per_word\":8,\"special_tokens\":[0,1,2,3],"
         "\"special_ids\":{\"unk\":1,\"cls\":2,\"sep\":3},\"prefix\":[2],"
         "\"suffix\":[3]}";
}

struct Fixed {
  std::vector<std::unique_ptr<Tokenizer>> byteLevel, others;
  Fixed() {
    for (const char *pre : {"gpt2", "llama3", "qwen2", "smollm", "default"})
      byteLevel.push_back(load(byteBPE(pre)));
    others.push_back(load(sentencePiece(true)));
    others.push_back(load(sentencePiece(false)));
    others.push_back(load(wordPiece()));
  }
};

/// The input with invalid UTF-8 replaced, by round trip through a
/// byte-level tokenizer that has every byte.
void exercise(const Tokenizer &tok, llvm::StringRef text, bool checkRoundTrip,
              const std::string &sanitized) {
  for (bool special : {false, true}) {
    std::vector<int32_t> ids = tok.encode(text, special, special);
    for (int32_t id : ids)
      if (id < 0 || id >= tok.vocabSize())
        abort();
    std::string back = tok.decode(ids, false);
    if (checkRoundTrip && !special && back != sanitized) {
      fprintf(stderr, "byte-level round trip changed the text\n");
      abort();
    }
    Utf8Stream stream;
    for (int32_t id : ids)
      (void)stream.push(tok.tokenBytes(id, true));
    (void)stream.flush();
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static Fixed fixed;
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  // What the input reads as once invalid UTF-8 is U+FFFD: the byte-level
  // decode of its encoding.
  std::string sanitized;
  {
    Utf8Stream s;
    sanitized = s.push(text);
    sanitized += s.flush();
  }
  for (const auto &tok : fixed.byteLevel)
    exercise(*tok, text, /*checkRoundTrip=*/true, sanitized);
  for (const auto &tok : fixed.others)
    exercise(*tok, text, /*checkRoundTrip=*/false, sanitized);

  // The bytes as txc's JSON form.
  auto tok = Tokenizer::fromJSON(text);
  if (tok) {
    std::vector<int32_t> ids = (*tok)->encode("a b\xC3\xA9 12 !", true, true);
    (void)(*tok)->decode(ids, false);
    (void)(*tok)->toJSON();
  } else {
    llvm::consumeError(tok.takeError());
  }
  auto format = detectChatFormat(text);
  if (format)
    (void)formatChat(*format, {{"user", text.str()}}, true, "<s>");
  else
    llvm::consumeError(format.takeError());
  return 0;
}
