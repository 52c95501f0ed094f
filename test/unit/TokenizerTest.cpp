//===- TokenizerTest.cpp - tests of TxcTokenizer --------------------------===//
//
// Hand-built tiny vocabularies of each kind (written in txc's JSON form and
// as Hugging Face tokenizer.json files): merge order, byte fallback,
// WordPiece's [UNK], special tokens, invalid UTF-8, Utf8Stream, the chat
// formats, the JSON round trip and the errors of bad files.
//
//===----------------------------------------------------------------------===//

#include "txc/Runtime/Tokenizer.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include "gtest/gtest.h"

using namespace txc;
namespace json = llvm::json;

namespace {

std::unique_ptr<Tokenizer> fromJSONOrDie(const json::Value &v) {
  std::string text;
  llvm::raw_string_ostream(text) << v;
  auto tok = Tokenizer::fromJSON(text);
  if (!tok) {
    ADD_FAILURE() << llvm::toString(tok.takeError());
    return nullptr;
  }
  return std::move(*tok);
}

std::string errorOf(llvm::StringRef text) {
  auto tok = Tokenizer::fromJSON(text);
  if (tok)
    return "";
  return llvm::toString(tok.takeError());
}

/// GPT-2 characters of bytes: space is "Ġ" (U+0120).
const char *kG = "\xC4\xA0";

/// Byte-level BPE over "a", "b", "c", " " with merges a+b then ab+c, plus
/// <|im_end|> as a special token.
json::Value byteBPE() {
  std::string g = kG;
  return json::Object{
      {"format", "txc-tokenizer"},
      {"kind", "byte-bpe"},
      {"pre_tokenizer", "gpt2"},
      {"tokens",
       json::Array{"a", "b", "c", g, "ab", "abc", g + "a", "<|im_end|>", "bc"}},
      {"merges", json::Array{json::Array{"a", "b"}, json::Array{"ab", "c"},
                             json::Array{g, "a"}, json::Array{"b", "c"}}},
      {"special_tokens", json::Array{7}},
      {"special_ids", json::Object{{"eos", 7}}},
  };
}

TEST(Tokenizer, ByteBPEMergesByRank) {
  auto tok = fromJSONOrDie(byteBPE());
  ASSERT_TRUE(tok);
  // "abc": a+b (rank 0) first, then ab+c (rank 1); b+c (rank 3) never.
  EXPECT_EQ(tok->encode("abc", false, false), (std::vector<int32_t>{5}));
  // " abc" is two words: " a" and "bc"? No: GPT-2 keeps " abc" one word;
  // merges: Ġ+a (rank 2) vs a+b (rank 0): a+b first, then ab+c.
  EXPECT_EQ(tok->encode(" abc", false, false), (std::vector<int32_t>{3, 5}));
  EXPECT_EQ(tok->encode("bc", false, false), (std::vector<int32_t>{8}));
  EXPECT_EQ(tok->decode({3, 5}, false), " abc");
  EXPECT_EQ(tok->eos(), 7);
  EXPECT_EQ(tok->endOfGeneration(), (std::vector<int32_t>{7}));
}

TEST(Tokenizer, SpecialTokensOnlyWithParseSpecial) {
  auto tok = fromJSONOrDie(byteBPE());
  ASSERT_TRUE(tok);
  EXPECT_EQ(tok->encode("ab<|im_end|>", false, true),
            (std::vector<int32_t>{4, 7}));
  // Without parseSpecial the text is text: "<" is not in this vocabulary.
  std::vector<int32_t> plain = tok->encode("ab<|im_end|>", false, false);
  EXPECT_EQ(std::count(plain.begin(), plain.end(), 7), 0);
  EXPECT_EQ(tok->decode({4, 7}, /*skipSpecial=*/true), "ab");
  EXPECT_EQ(tok->decode({4, 7}, /*skipSpecial=*/false), "ab<|im_end|>");
  EXPECT_EQ(tok->tokenId("<|im_end|>"), std::optional<int32_t>(7));
}

/// SentencePiece BPE: "▁", "h", "i", "▁h", "▁hi", byte tokens for 0xC3 and
/// 0xA9 (é), scores favouring "▁h" then "▁hi".
json::Value sentencePiece() {
  std::string m = "\xE2\x96\x81";
  return json::Object{
      {"format", "txc-tokenizer"},
      {"kind", "sentencepiece-bpe"},
      {"tokens", json::Array{"<unk>", "<s>", "</s>", m, "h", "i", m + "h",
                             m + "hi", "<0xC3>", "<0xA9>", "hi"}},
      {"scores", json::Array{0, 0, 0, -1, -2, -3, -1, -0.5, 0, 0, -10}},
      {"types", json::Array{2, 3, 3, 1, 1, 1, 1, 1, 6, 6, 1}},
      {"merge_order", "score"},
      {"byte_fallback", true},
      {"space_prefix", "after-special"},
      {"special_tokens", json::Array{0, 1, 2}},
      {"special_ids", json::Object{{"bos", 1}, {"eos", 2}, {"unk", 0}}},
      {"prefix", json::Array{1}},
  };
}

TEST(Tokenizer, SentencePieceScoresAndByteFallback) {
  auto tok = fromJSONOrDie(sentencePiece());
  ASSERT_TRUE(tok);
  EXPECT_EQ(tok->encode("hi", true, false), (std::vector<int32_t>{1, 7}));
  // é is not a token: its two bytes.
  EXPECT_EQ(tok->encode("hi \xC3\xA9", false, false),
            (std::vector<int32_t>{7, 3, 8, 9}));
  EXPECT_EQ(tok->decode({1, 7, 3, 8, 9}, true), "hi \xC3\xA9");
  EXPECT_EQ(tok->tokenBytes(8, false), "\xC3");
  // A character with no byte token: <unk>.
  EXPECT_EQ(tok->encode("\xE2\x82\xAC", false, false),
            (std::vector<int32_t>{3, 0}));
}

json::Value wordPiece() {
  return json::Object{
      {"format", "txc-tokenizer"},
      {"kind", "wordpiece"},
      {"tokens", json::Array{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##aff",
                             "##able", "hello", "!", "cafe"}},
      {"lowercase", true},
      {"strip_accents", true},
      {"chinese_chars", true},
      {"clean_text", true},
      {"max_input_chars_per_word", 12},
      {"special_tokens", json::Array{0, 1, 2, 3}},
      {"special_ids", json::Object{{"unk", 1}, {"cls", 2}, {"sep", 3}}},
      {"prefix", json::Array{2}},
      {"suffix", json::Array{3}},
  };
}

TEST(Tokenizer, WordPieceContinuationAndUnknown) {
  auto tok = fromJSONOrDie(wordPiece());
  ASSERT_TRUE(tok);
  EXPECT_EQ(tok->encode("Unaffable Hello!", true, false),
            (std::vector<int32_t>{2, 4, 5, 6, 7, 8, 3}));
  // Accents stripped, lowercased.
  EXPECT_EQ(tok->encode("CAF\xC3\x89", false, false),
            (std::vector<int32_t>{9}));
  // Unsplittable, and longer than max_input_chars_per_word.
  EXPECT_EQ(tok->encode("xyz unaffableunaffable", false, false),
            (std::vector<int32_t>{1, 1}));
  EXPECT_EQ(tok->decode({2, 4, 5, 6, 7, 8, 3}, true), "unaffable hello!");
}

TEST(Tokenizer, InvalidUtf8IsReplacementCharacter) {
  // A vocabulary whose only multi-byte token is U+FFFD (EF BF BD).
  std::string fffd = "\xEF\xBF\xBD";
  auto tok = fromJSONOrDie(json::Object{
      {"format", "txc-tokenizer"},
      {"kind", "sentencepiece-bpe"},
      {"tokens", json::Array{"<unk>", "a", fffd}},
      {"special_ids", json::Object{{"unk", 0}}},
  });
  ASSERT_TRUE(tok);
  // E0 80: E0 needs A0-BF next, so E0 alone is one U+FFFD and 80 another.
  EXPECT_EQ(tok->encode("a\xE0\x80"
                        "a",
                        false, false),
            (std::vector<int32_t>{1, 2, 2, 1}));
  // E2 82 (a truncated 3-byte sequence) is one maximal subpart: one U+FFFD.
  EXPECT_EQ(tok->encode("\xE2\x82"
                        "a",
                        false, false),
            (std::vector<int32_t>{2, 1}));
  // F5, C0 and a lone continuation byte: one each.
  EXPECT_EQ(tok->encode("\xF5\xC0\xBF", false, false),
            (std::vector<int32_t>{2, 2, 2}));
}

TEST(Tokenizer, Utf8StreamHoldsIncompleteCharacters) {
  Utf8Stream s;
  // U+1F600 (F0 9F 98 80) split across pushes.
  EXPECT_EQ(s.push("a\xF0\x9F"), "a");
  EXPECT_EQ(s.push("\x98"), "");
  EXPECT_EQ(s.push("\x80"
                   "b"),
            "\xF0\x9F\x98\x80"
            "b");
  EXPECT_EQ(s.push("\xE2\x82"), "");
  EXPECT_EQ(s.flush(), "\xEF\xBF\xBD");
  EXPECT_EQ(s.push("\xFF"
                   "c"),
            "\xEF\xBF\xBD"
            "c");
}

TEST(Tokenizer, JSONRoundTrip) {
  for (const json::Value &v : {byteBPE(), sentencePiece(), wordPiece()}) {
    auto tok = fromJSONOrDie(v);
    ASSERT_TRUE(tok);
    auto again = Tokenizer::fromJSON(tok->toJSON());
    ASSERT_TRUE(bool(again)) << llvm::toString(again.takeError());
    EXPECT_EQ((*again)->toJSON(), tok->toJSON());
    for (const char *text : {"abc hi", "Unaffable!", " a b\xC3\xA9"})
      EXPECT_EQ((*again)->encode(text, true, true),
                tok->encode(text, true, true));
  }
}

TEST(Tokenizer, Errors) {
  EXPECT_NE(errorOf(R"({"format":"txc-tokenizer","kind":"byte-bpe"})")
                .find("\"tokens\""),
            std::string::npos);
  std::string unknownMerge = errorOf(
      R"({"format":"txc-tokenizer","kind":"byte-bpe","tokens":["a","b","ab"],)"
      R"("merges":[["a","q"]]})");
  EXPECT_NE(unknownMerge.find("\"q\""), std::string::npos) << unknownMerge;
  std::string badPre =
      errorOf(R"({"format":"txc-tokenizer","kind":"byte-bpe","tokens":["a"],)"
              R"("pre_tokenizer":"tekken"})");
  EXPECT_NE(badPre.find("\"tekken\""), std::string::npos) << badPre;
  EXPECT_NE(badPre.find("llama3"), std::string::npos) << badPre;
  EXPECT_NE(errorOf("{").find("tokenizer JSON"), std::string::npos);
  EXPECT_NE(errorOf(R"({"format":"txc-tokenizer","kind":"x","tokens":[]})")
                .find("\"x\""),
            std::string::npos);
  std::string badId =
      errorOf(R"({"format":"txc-tokenizer","kind":"byte-bpe","tokens":["a"],)"
              R"("special_ids":{"bos":5}})");
  EXPECT_NE(badId.find("BOS"), std::string::npos) << badId;
}

TEST(Tokenizer, HuggingFaceFile) {
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("txc-tok", dir));
  llvm::SmallString<128> file(dir);
  llvm::sys::path::append(file, "tokenizer.json");
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(file, ec);
    ASSERT_FALSE(ec);
    os << R"({"model":{"type":"BPE","vocab":{"a":0,"b":1,"ab":2},)"
          R"("merges":["a b"]},"added_tokens":[{"id":3,)"
          R"("content":"<|endoftext|>","special":true}],)"
          R"("pre_tokenizer":{"type":"ByteLevel","add_prefix_space":false},)"
          R"("post_processor":{"type":"TemplateProcessing","single":[)"
          R"({"SpecialToken":{"id":"<|endoftext|>"}},{"Sequence":{"id":"A"}}],)"
          R"("special_tokens":{"<|endoftext|>":{"ids":[3]}}}})";
  }
  auto tok = loadTokenizer(dir);
  ASSERT_TRUE(bool(tok)) << llvm::toString(tok.takeError());
  EXPECT_EQ((*tok)->kind(), Tokenizer::Kind::ByteBPE);
  EXPECT_EQ((*tok)->encode("abab", true, false),
            (std::vector<int32_t>{3, 2, 2}));
  EXPECT_EQ((*tok)->endOfGeneration(), (std::vector<int32_t>{3}));
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(file, ec);
    os << R"({"model":{"type":"BPE","merges":[]}})";
  }
  auto bad = Tokenizer::fromHuggingFace(file);
  ASSERT_FALSE(bool(bad));
  EXPECT_NE(llvm::toString(bad.takeError()).find("\"vocab\""),
            std::string::npos);
  llvm::sys::fs::remove_directories(dir);
}

TEST(ChatTemplate, Formats) {
  std::vector<ChatMessage> msgs = {{"system", "Be brief."},
                                   {"user", "Hi"},
                                   {"assistant", "Hello."},
                                   {"user", "Bye"}};
  EXPECT_EQ(formatChat(ChatFormat::ChatML, msgs, true, ""),
            "<|im_start|>system\nBe brief.<|im_end|>\n"
            "<|im_start|>user\nHi<|im_end|>\n"
            "<|im_start|>assistant\nHello.<|im_end|>\n"
            "<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(formatChat(ChatFormat::Llama3, {{"user", " Hi "}}, true,
                       "<|begin_of_text|>"),
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n"
            "Hi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
  EXPECT_EQ(formatChat(ChatFormat::Llama2, msgs, true, "<s>"),
            "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello. "
            "</s><s>[INST] Bye [/INST]");
  EXPECT_EQ(formatChat(ChatFormat::Phi3, {{"user", "Hi"}}, true, ""),
            "<|user|>\nHi<|end|>\n<|assistant|>\n");
  // SmolLM2's template writes a system message when there is none.
  std::string smol =
      "{% for message in messages %}{% if loop.first and "
      "messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a "
      "helpful AI assistant named SmolLM, trained by Hugging "
      "Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + "
      "'\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}";
  std::string sys = chatDefaultSystemPrompt(smol);
  EXPECT_EQ(sys, "You are a helpful AI assistant named SmolLM, trained by "
                 "Hugging Face");
  EXPECT_EQ(formatChat(ChatFormat::ChatML, {{"user", "Hi"}}, false, "", sys),
            "<|im_start|>system\n" + sys +
                "<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n");
  auto fmt = detectChatFormat(smol);
  ASSERT_TRUE(bool(fmt));
  EXPECT_EQ(*fmt, ChatFormat::ChatML);
  auto llama3 = detectChatFormat("{{ '<|start_header_id|>' }}");
  ASSERT_TRUE(bool(llama3));
  EXPECT_EQ(*llama3, ChatFormat::Llama3);
  auto unknown = detectChatFormat("{{ '<start_of_turn>' }}");
  ASSERT_FALSE(bool(unknown));
  std::string msg = llvm::toString(unknown.takeError());
  EXPECT_NE(msg.find("ChatML"), std::string::npos) << msg;
  EXPECT_NE(msg.find("Phi-3"), std::string::npos) << msg;
}

TEST(Tokenizer, LargeInputIsFast) {
  auto tok = fromJSONOrDie(byteBPE());
  ASSERT_TRUE(tok);
  std::string text;
  while (text.size() < (1 << 20))
    text += "abc ab cab bca, 123 \t\n";
  std::vector<int32_t> ids = tok->encode(text, false, false);
  EXPECT_GT(ids.size(), 100000u);
}

} // namespace
