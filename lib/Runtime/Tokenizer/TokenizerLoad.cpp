//===- TokenizerLoad.cpp - tokenizers from GGUF, tokenizer.json, txc JSON -===//
//
// The three sources of a tokenizer. GGUF: the tokenizer.ggml.* keys
// (llama.cpp's conventions for which tokens are special and which BOS/EOS
// rules apply). Hugging Face: tokenizer.json (model, added tokens,
// normalizer, pre-tokenizer, post-processor) plus tokenizer_config.json
// beside it (BOS/EOS flags, chat template). txc's JSON form: toJSON() and
// its reader. Every unsupported or malformed setting is an error naming it.
//
//===----------------------------------------------------------------------===//

#include "TokenizerImpl.h"
#include "txc/Support/Files.h"
#include "Unicode.h"

#include "txc/Support/GGUF.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace txc;
using namespace txc::detail;
namespace json = llvm::json;

namespace {

llvm::Error err(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

llvm::StringRef kindName(Tokenizer::Kind kind) {
  switch (kind) {
  case Tokenizer::Kind::ByteBPE:
    return "byte-bpe";
  case Tokenizer::Kind::SentencePieceBPE:
    return "sentencepiece-bpe";
  case Tokenizer::Kind::WordPiece:
    return "wordpiece";
  }
  return "byte-bpe";
}

llvm::StringRef spacePrefixName(SpacePrefix p) {
  switch (p) {
  case SpacePrefix::None:
    return "none";
  case SpacePrefix::First:
    return "first";
  case SpacePrefix::Always:
    return "always";
  case SpacePrefix::AfterSpecial:
    return "after-special";
  }
  return "none";
}

/// Splits a merge written "left right".
llvm::Expected<std::pair<std::string, std::string>>
splitMerge(llvm::StringRef merge, size_t index) {
  size_t space = merge.find(' ');
  if (space == llvm::StringRef::npos || space == 0 || space + 1 == merge.size())
    return err("merge " + llvm::Twine(index) + " (\"" + merge +
               "\") is not two tokens separated by a space");
  return std::make_pair(merge.substr(0, space).str(),
                        merge.substr(space + 1).str());
}

} // namespace

//===----------------------------------------------------------------------===//
// GGUF
//===----------------------------------------------------------------------===//

llvm::Expected<std::unique_ptr<Tokenizer>>
Tokenizer::fromGGUF(const GGUFFile &file) {
  auto model = file.getString("tokenizer.ggml.model");
  if (!model)
    return model.takeError();
  Kind kind;
  if (*model == "gpt2")
    kind = Kind::ByteBPE;
  else if (*model == "llama")
    kind = Kind::SentencePieceBPE;
  else if (*model == "bert")
    kind = Kind::WordPiece;
  else
    return err("tokenizer.ggml.model \"" + *model +
               "\" is not a tokenizer txc supports (gpt2, llama, bert)");
  auto tok = std::make_unique<TokenizerImpl>(kind);

  auto tokens = file.getStringArray("tokenizer.ggml.tokens");
  if (!tokens)
    return tokens.takeError();
  for (llvm::StringRef t : *tokens)
    tok->pieces.push_back(t.str());
  size_t n = tok->pieces.size();

  if (const GGUFValue *v = file.lookup("tokenizer.ggml.scores")) {
    if (v->type != GGUFValueType::Array || v->array.size() != n)
      return err("tokenizer.ggml.scores is not an array of " + llvm::Twine(n) +
                 " numbers");
    for (const GGUFValue &s : v->array) {
      if (!s.isFloat() && !s.isInteger())
        return err("tokenizer.ggml.scores holds a value that is not a number");
      tok->scores.push_back(s.isFloat() ? static_cast<float>(s.real)
                                        : static_cast<float>(s.integer));
    }
  }
  if (const GGUFValue *v = file.lookup("tokenizer.ggml.token_type")) {
    if (v->type != GGUFValueType::Array || v->array.size() != n)
      return err("tokenizer.ggml.token_type is not an array of " +
                 llvm::Twine(n) + " integers");
    for (const GGUFValue &t : v->array) {
      if (!t.isInteger() || t.integer < 0 || t.integer > 6)
        return err("tokenizer.ggml.token_type holds a value that is not a "
                   "token type (0-6)");
      tok->types.push_back(static_cast<int8_t>(t.integer));
    }
  }

  if (kind == Kind::ByteBPE) {
    auto merges = file.getStringArray("tokenizer.ggml.merges");
    if (!merges)
      return merges.takeError();
    for (size_t i = 0; i < merges->size(); ++i) {
      auto m = splitMerge((*merges)[i], i);
      if (!m)
        return m.takeError();
      tok->merges.push_back(std::move(*m));
    }
    llvm::StringRef pre = "default";
    if (file.lookup("tokenizer.ggml.pre")) {
      auto p = file.getString("tokenizer.ggml.pre");
      if (!p)
        return p.takeError();
      pre = *p;
    }
    auto kindOfPre = preTokenizerFromGGUF(pre);
    if (!kindOfPre)
      return err("tokenizer.ggml.pre \"" + pre +
                 "\" is not a pre-tokenizer txc supports; supported: " +
                 supportedPreTokenizers());
    tok->pre = *kindOfPre;
    tok->ignoreMerges = tok->pre == PreTokenizerKind::Llama3;
  } else if (kind == Kind::SentencePieceBPE) {
    tok->mergeByScore = true;
    tok->byteFallback = true;
    tok->spacePrefix = SpacePrefix::AfterSpecial;
    if (const GGUFValue *v = file.lookup("tokenizer.ggml.add_space_prefix"))
      if (v->isInteger() && !v->integer)
        tok->spacePrefix = SpacePrefix::None;
  } else {
    // llama.cpp stores BERT vocabularies with "▁" before word starts and
    // without "##" on continuations; restore WordPiece's form.
    for (std::string &p : tok->pieces) {
      llvm::StringRef s = p;
      if (s.starts_with("\xE2\x96\x81"))
        p = s.drop_front(3).str();
      else if (!(s.starts_with("[") && s.ends_with("]")))
        p = "##" + p;
    }
    tok->lowercase = tok->stripAccents = tok->chineseChars = tok->cleanText =
        true;
  }

  auto optionalId = [&](llvm::StringRef key, int32_t &id) -> llvm::Error {
    if (!file.lookup(key))
      return llvm::Error::success();
    auto v = file.getInteger(key);
    if (!v)
      return v.takeError();
    if (*v < 0 || *v >= static_cast<int64_t>(n))
      return err(key + " " + llvm::Twine(*v) +
                 " is outside the vocabulary of " + llvm::Twine(n) + " tokens");
    id = static_cast<int32_t>(*v);
    return llvm::Error::success();
  };
  for (auto [key, id] : {std::pair<const char *, int32_t *>{
                             "tokenizer.ggml.bos_token_id", &tok->bosId},
                         {"tokenizer.ggml.eos_token_id", &tok->eosId},
                         {"tokenizer.ggml.unknown_token_id", &tok->unkId},
                         {"tokenizer.ggml.padding_token_id", &tok->padId},
                         {"tokenizer.ggml.seperator_token_id", &tok->sepId},
                         {"tokenizer.ggml.separator_token_id", &tok->sepId},
                         {"tokenizer.ggml.cls_token_id", &tok->clsId},
                         {"tokenizer.ggml.eot_token_id", &tok->eotId},
                         {"tokenizer.ggml.eom_token_id", &tok->eomId}})
    if (auto e = optionalId(key, *id))
      return std::move(e);

  auto flag = [&](llvm::StringRef key, bool dflt) {
    const GGUFValue *v = file.lookup(key);
    return v && v->isInteger() ? v->integer != 0 : dflt;
  };
  bool addBos =
      flag("tokenizer.ggml.add_bos_token",
           kind != Kind::ByteBPE || tok->pre == PreTokenizerKind::Llama3);
  bool addEos = flag("tokenizer.ggml.add_eos_token", false);
  if (kind == Kind::WordPiece) {
    int32_t cls = tok->clsId >= 0 ? tok->clsId : tok->bosId;
    int32_t sep = tok->sepId >= 0 ? tok->sepId : tok->eosId;
    if (cls >= 0)
      tok->prefixIds.push_back(cls);
    if (sep >= 0)
      tok->suffixIds.push_back(sep);
  } else {
    if (addBos && tok->bosId >= 0)
      tok->prefixIds.push_back(tok->bosId);
    if (addEos && tok->eosId >= 0)
      tok->suffixIds.push_back(tok->eosId);
  }

  // Control and unknown tokens are special (matched with parseSpecial,
  // skipped when decoding with skipSpecial); user-defined tokens are always
  // matched. Without types, the special ids are the special tokens.
  for (size_t i = 0; i < tok->types.size(); ++i) {
    int8_t t = tok->types[i];
    if (t == TokenType::Control || t == TokenType::Unknown)
      tok->specialIds.push_back(static_cast<int32_t>(i));
    else if (t == TokenType::UserDefined)
      tok->addedIds.push_back(static_cast<int32_t>(i));
  }
  if (tok->types.empty())
    for (int32_t id : {tok->bosId, tok->eosId, tok->unkId, tok->padId,
                       tok->sepId, tok->clsId, tok->eotId, tok->eomId})
      if (id >= 0)
        tok->specialIds.push_back(id);

  if (file.lookup("tokenizer.chat_template")) {
    auto t = file.getString("tokenizer.chat_template");
    if (!t)
      return t.takeError();
    tok->chatTemplateText = t->str();
  }
  if (auto e = tok->finalize())
    return std::move(e);
  tok->computeEndOfGeneration();
  return std::unique_ptr<Tokenizer>(std::move(tok));
}

//===----------------------------------------------------------------------===//
// Hugging Face tokenizer.json
//===----------------------------------------------------------------------===//

namespace {

llvm::Expected<json::Value> readJSONFile(llvm::StringRef path) {
  auto buf = readRegularFile(path);
  if (!buf)
    return buf.takeError();
  auto v = json::parse((*buf)->getBuffer());
  if (!v)
    return err(path + ": " + llvm::toString(v.takeError()));
  return std::move(*v);
}

/// A token given as a string or as {"content": ...}.
std::optional<std::string> tokenText(const json::Value *v) {
  if (!v)
    return std::nullopt;
  if (auto s = v->getAsString())
    return s->str();
  if (const json::Object *o = v->getAsObject())
    if (auto s = o->getString("content"))
      return s->str();
  return std::nullopt;
}

/// The known pre-tokenizer a Split regex stands for.
std::optional<PreTokenizerKind> preOfRegex(llvm::StringRef re) {
  if (re == "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|"
            "\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|"
            "\\s+(?!\\S)|\\s+")
    return PreTokenizerKind::Llama3;
  if (re == "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|"
            "\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|"
            "\\s+(?!\\S)|\\s+")
    return PreTokenizerKind::Qwen2;
  if (re == "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|"
            "\\s+(?!\\S)|\\s+")
    return PreTokenizerKind::GPT2;
  return std::nullopt;
}

/// Reads a byte-level pre_tokenizer: ByteLevel, Sequence[Split(regex),
/// ByteLevel(use_regex false)], Sequence[Digits(individual), ByteLevel].
llvm::Error readByteLevelPre(const json::Object &pre, TokenizerImpl &tok) {
  llvm::StringRef type = pre.getString("type").value_or("");
  auto unsupported = [&](const llvm::Twine &what) {
    return err("pre_tokenizer " + what +
               " is not one txc supports; supported: ByteLevel (gpt2), "
               "Split with the Llama 3 or Qwen2 regex then ByteLevel, "
               "Digits(individual_digits) then ByteLevel (smollm)");
  };
  if (type == "ByteLevel") {
    tok.pre = PreTokenizerKind::GPT2;
    tok.addPrefixSpace = pre.getBoolean("add_prefix_space").value_or(false);
    return llvm::Error::success();
  }
  if (type != "Sequence")
    return unsupported("\"" + type + "\"");
  const json::Array *list = pre.getArray("pretokenizers");
  if (!list || list->size() != 2)
    return unsupported("Sequence (not two steps)");
  const json::Object *a = (*list)[0].getAsObject();
  const json::Object *b = (*list)[1].getAsObject();
  if (!a || !b || b->getString("type").value_or("") != "ByteLevel")
    return unsupported("Sequence (its second step is not ByteLevel)");
  tok.addPrefixSpace = b->getBoolean("add_prefix_space").value_or(false);
  llvm::StringRef first = a->getString("type").value_or("");
  if (first == "Digits" && a->getBoolean("individual_digits").value_or(false)) {
    tok.pre = PreTokenizerKind::SmolLM;
    return llvm::Error::success();
  }
  if (first == "Split") {
    llvm::StringRef re;
    if (const json::Object *p = a->getObject("pattern"))
      re = p->getString("Regex").value_or("");
    if (auto k = preOfRegex(re)) {
      tok.pre = *k;
      return llvm::Error::success();
    }
    return unsupported("Split with the regex \"" + re + "\"");
  }
  return unsupported("Sequence starting with \"" + first + "\"");
}

} // namespace

llvm::Expected<std::unique_ptr<Tokenizer>>
Tokenizer::fromHuggingFace(llvm::StringRef pathIn) {
  std::string path = pathIn.str();
  if (llvm::sys::fs::is_directory(path)) {
    llvm::SmallString<256> p(path);
    llvm::sys::path::append(p, "tokenizer.json");
    path = std::string(p);
  }
  auto doc = readJSONFile(path);
  if (!doc)
    return doc.takeError();
  const json::Object *root = doc->getAsObject();
  if (!root)
    return err(path + ": not a JSON object");
  const json::Object *model = root->getObject("model");
  if (!model)
    return err(path + ": no \"model\" object");
  llvm::StringRef modelType = model->getString("type").value_or("");
  const json::Object *pre = root->getObject("pre_tokenizer");
  const json::Object *norm = root->getObject("normalizer");
  const json::Object *decoder = root->getObject("decoder");
  auto typeOf = [](const json::Object *o) {
    return o ? o->getString("type").value_or("") : llvm::StringRef();
  };

  Kind kind;
  if (modelType == "WordPiece") {
    kind = Kind::WordPiece;
  } else if (modelType == "BPE") {
    bool byteLevel =
        typeOf(decoder) == "ByteLevel" || typeOf(pre) == "ByteLevel";
    if (typeOf(pre) == "Sequence")
      if (const json::Array *steps = pre->getArray("pretokenizers"))
        for (const json::Value &step : *steps)
          byteLevel |= typeOf(step.getAsObject()) == "ByteLevel";
    kind = byteLevel ? Kind::ByteBPE : Kind::SentencePieceBPE;
  } else {
    return err(path + ": model type \"" + modelType +
               "\" is not one txc supports (BPE, WordPiece)");
  }
  auto tok = std::make_unique<TokenizerImpl>(kind);

  // Vocabulary: {"piece": id}, ids dense from 0, plus the added tokens.
  const json::Object *vocab = model->getObject("vocab");
  if (!vocab)
    return err(path + ": model has no \"vocab\" object");
  std::vector<std::pair<int64_t, std::string>> entries;
  for (const auto &kv : *vocab) {
    auto id = kv.second.getAsInteger();
    if (!id || *id < 0)
      return err(path + ": vocab entry \"" + kv.first.str() +
                 "\" has no valid id");
    entries.push_back({*id, kv.first.str()});
  }
  struct Added {
    int64_t id;
    std::string content;
    bool special;
  };
  std::vector<Added> added;
  if (const json::Array *list = root->getArray("added_tokens")) {
    for (const json::Value &v : *list) {
      const json::Object *o = v.getAsObject();
      auto id = o ? o->getInteger("id") : std::nullopt;
      auto content = o ? o->getString("content") : std::nullopt;
      if (!id || !content || *id < 0)
        return err(path + ": an added_tokens entry lacks \"id\" or "
                          "\"content\"");
      added.push_back(
          {*id, content->str(), o->getBoolean("special").value_or(false)});
    }
  }
  int64_t size = 0;
  for (auto &e : entries)
    size = std::max(size, e.first + 1);
  for (auto &a : added)
    size = std::max(size, a.id + 1);
  if (size > (1 << 24))
    return err(path + ": token id " + llvm::Twine(size - 1) + " is too large");
  tok->pieces.assign(size, "");
  std::vector<bool> have(size, false);
  for (auto &e : entries) {
    tok->pieces[e.first] = e.second;
    have[e.first] = true;
  }
  for (auto &a : added) {
    tok->pieces[a.id] = a.content;
    have[a.id] = true;
    (a.special ? tok->specialIds : tok->addedIds).push_back(a.id);
  }
  for (int64_t i = 0; i < size; ++i)
    if (!have[i])
      return err(path + ": no token has id " + llvm::Twine(i));

  auto idOf = [&](llvm::StringRef text) -> int32_t {
    for (int64_t i = 0; i < size; ++i)
      if (tok->pieces[i] == text)
        return static_cast<int32_t>(i);
    return -1;
  };
  if (auto unk = tokenText(model->get("unk_token")))
    tok->unkId = idOf(*unk);

  if (kind == Kind::WordPiece) {
    tok->continuingPrefix =
        model->getString("continuing_subword_prefix").value_or("##").str();
    tok->maxInputCharsPerWord =
        model->getInteger("max_input_chars_per_word").value_or(100);
    if (typeOf(norm) == "BertNormalizer") {
      tok->cleanText = norm->getBoolean("clean_text").value_or(true);
      tok->chineseChars =
          norm->getBoolean("handle_chinese_chars").value_or(true);
      tok->lowercase = norm->getBoolean("lowercase").value_or(true);
      tok->stripAccents =
          norm->getBoolean("strip_accents").value_or(tok->lowercase);
    } else if (norm) {
      return err(path + ": normalizer \"" + typeOf(norm) +
                 "\" is not one txc supports for WordPiece (BertNormalizer)");
    }
    if (pre && typeOf(pre) != "BertPreTokenizer")
      return err(path + ": pre_tokenizer \"" + typeOf(pre) +
                 "\" is not one txc supports for WordPiece "
                 "(BertPreTokenizer)");
    if (decoder)
      tok->cleanupDecode = decoder->getBoolean("cleanup").value_or(true);
  } else {
    // Merges: "a b" strings or ["a", "b"] pairs.
    const json::Array *merges = model->getArray("merges");
    if (!merges)
      return err(path + ": BPE model has no \"merges\" array");
    for (size_t i = 0; i < merges->size(); ++i) {
      const json::Value &m = (*merges)[i];
      if (auto s = m.getAsString()) {
        auto pair = splitMerge(*s, i);
        if (!pair)
          return pair.takeError();
        tok->merges.push_back(std::move(*pair));
      } else if (const json::Array *a = m.getAsArray(); a && a->size() == 2 &&
                                                        (*a)[0].getAsString() &&
                                                        (*a)[1].getAsString()) {
        tok->merges.push_back(
            {(*a)[0].getAsString()->str(), (*a)[1].getAsString()->str()});
      } else {
        return err(path + ": merge " + llvm::Twine(i) +
                   " is neither \"a b\" nor [\"a\", \"b\"]");
      }
    }
    tok->ignoreMerges = model->getBoolean("ignore_merges").value_or(false);
    tok->byteFallback = model->getBoolean("byte_fallback").value_or(false);
    if (kind == Kind::ByteBPE) {
      if (pre) {
        if (auto e = readByteLevelPre(*pre, *tok))
          return std::move(e);
      }
      if (norm && typeOf(norm) != "NFC")
        return err(path + ": normalizer \"" + typeOf(norm) +
                   "\" is not one txc supports for byte-level BPE");
    } else {
      // SentencePiece style: Prepend("▁") + Replace(" ", "▁") normalizers,
      // or a Metaspace pre-tokenizer.
      if (norm) {
        std::vector<const json::Object *> steps;
        if (typeOf(norm) == "Sequence") {
          if (const json::Array *list = norm->getArray("normalizers"))
            for (const json::Value &v : *list)
              if (const json::Object *o = v.getAsObject())
                steps.push_back(o);
        } else {
          steps.push_back(norm);
        }
        for (const json::Object *s : steps) {
          llvm::StringRef t = typeOf(s);
          if (t == "Prepend")
            tok->spacePrefix = SpacePrefix::Always;
          else if (t != "Replace")
            return err(path + ": normalizer \"" + t +
                       "\" is not one txc supports for SentencePiece BPE "
                       "(Prepend, Replace)");
        }
      }
      if (pre) {
        if (typeOf(pre) != "Metaspace")
          return err(path + ": pre_tokenizer \"" + typeOf(pre) +
                     "\" is not one txc supports for SentencePiece BPE "
                     "(Metaspace)");
        llvm::StringRef scheme =
            pre->getString("prepend_scheme").value_or("always");
        if (pre->getBoolean("add_prefix_space") == false)
          scheme = "never";
        tok->spacePrefix = scheme == "always"  ? SpacePrefix::Always
                           : scheme == "first" ? SpacePrefix::First
                                               : SpacePrefix::None;
        tok->splitOnSpace = pre->getBoolean("split").value_or(true);
      }
    }
  }

  // Post-processor: the ids addSpecial puts around the text.
  if (const json::Object *post = root->getObject("post_processor")) {
    std::vector<const json::Object *> steps;
    if (typeOf(post) == "Sequence") {
      if (const json::Array *list = post->getArray("processors"))
        for (const json::Value &v : *list)
          if (const json::Object *o = v.getAsObject())
            steps.push_back(o);
    } else {
      steps.push_back(post);
    }
    for (const json::Object *s : steps) {
      llvm::StringRef t = typeOf(s);
      if (t == "TemplateProcessing") {
        const json::Array *single = s->getArray("single");
        const json::Object *specials = s->getObject("special_tokens");
        bool seenA = false;
        for (const json::Value &item : single ? *single : json::Array()) {
          const json::Object *o = item.getAsObject();
          if (!o)
            continue;
          if (o->getObject("Sequence")) {
            seenA = true;
            continue;
          }
          const json::Object *st = o->getObject("SpecialToken");
          auto name = st ? st->getString("id") : std::nullopt;
          if (!name)
            continue;
          const json::Object *entry =
              specials ? specials->getObject(*name) : nullptr;
          const json::Array *idList = entry ? entry->getArray("ids") : nullptr;
          if (!idList)
            return err(path + ": post_processor names the special token \"" +
                       *name + "\" without its ids");
          for (const json::Value &idv : *idList) {
            auto id = idv.getAsInteger();
            if (!id || *id < 0 || *id >= size)
              return err(path + ": post_processor id of \"" + *name +
                         "\" is outside the vocabulary");
            (seenA ? tok->suffixIds : tok->prefixIds)
                .push_back(static_cast<int32_t>(*id));
          }
        }
      } else if (t == "BertProcessing" || t == "RobertaProcessing") {
        auto idAt = [&](llvm::StringRef key) -> int32_t {
          const json::Array *a = s->getArray(key);
          if (!a || a->size() != 2)
            return -1;
          auto id = (*a)[1].getAsInteger();
          return id && *id >= 0 && *id < size ? static_cast<int32_t>(*id) : -1;
        };
        tok->clsId = idAt("cls");
        tok->sepId = idAt("sep");
        if (tok->clsId >= 0)
          tok->prefixIds.push_back(tok->clsId);
        if (tok->sepId >= 0)
          tok->suffixIds.push_back(tok->sepId);
      } else if (t != "ByteLevel") {
        return err(path + ": post_processor \"" + t +
                   "\" is not one txc supports (TemplateProcessing, "
                   "BertProcessing, RobertaProcessing, ByteLevel)");
      }
    }
  }

  // tokenizer_config.json: BOS/EOS and the chat template.
  llvm::SmallString<256> cfgPath(llvm::sys::path::parent_path(path));
  llvm::sys::path::append(cfgPath, "tokenizer_config.json");
  if (llvm::sys::fs::exists(cfgPath)) {
    auto cfg = readJSONFile(cfgPath);
    if (!cfg)
      return cfg.takeError();
    if (const json::Object *c = cfg->getAsObject()) {
      if (auto b = tokenText(c->get("bos_token")))
        tok->bosId = idOf(*b);
      if (auto e = tokenText(c->get("eos_token")))
        tok->eosId = idOf(*e);
      if (auto p = tokenText(c->get("pad_token")))
        tok->padId = idOf(*p);
      if (auto u = tokenText(c->get("unk_token")); u && tok->unkId < 0)
        tok->unkId = idOf(*u);
      if (c->getBoolean("add_bos_token").value_or(false) &&
          tok->prefixIds.empty() && tok->bosId >= 0)
        tok->prefixIds.push_back(tok->bosId);
      if (c->getBoolean("add_eos_token").value_or(false) &&
          tok->suffixIds.empty() && tok->eosId >= 0)
        tok->suffixIds.push_back(tok->eosId);
      if (const json::Value *t = c->get("chat_template")) {
        if (auto s = t->getAsString()) {
          tok->chatTemplateText = s->str();
        } else if (const json::Array *list = t->getAsArray()) {
          for (const json::Value &v : *list) {
            const json::Object *o = v.getAsObject();
            if (o && o->getString("name") == llvm::StringRef("default"))
              if (auto s = o->getString("template"))
                tok->chatTemplateText = s->str();
          }
        }
      }
    }
  }
  if (kind == Kind::WordPiece) {
    if (tok->clsId < 0)
      tok->clsId = idOf("[CLS]");
    if (tok->sepId < 0)
      tok->sepId = idOf("[SEP]");
  }
  if (auto e = tok->finalize())
    return std::move(e);
  tok->computeEndOfGeneration();
  return std::unique_ptr<Tokenizer>(std::move(tok));
}

//===----------------------------------------------------------------------===//
// txc's JSON form
//===----------------------------------------------------------------------===//

std::string TokenizerImpl::toJSON() const {
  json::Object o;
  o["format"] = "txc-tokenizer";
  o["version"] = 1;
  o["kind"] = kindName(kind_);
  o["pre_tokenizer"] = preTokenizerName(pre);
  json::Array tokens;
  for (const std::string &p : pieces)
    tokens.push_back(json::Value(p));
  o["tokens"] = std::move(tokens);
  if (!scores.empty()) {
    json::Array a;
    for (float s : scores)
      a.push_back(static_cast<double>(s));
    o["scores"] = std::move(a);
  }
  if (!types.empty()) {
    json::Array a;
    for (int8_t t : types)
      a.push_back(static_cast<int64_t>(t));
    o["types"] = std::move(a);
  }
  json::Array m;
  for (const auto &[l, r] : merges)
    m.push_back(json::Array{l, r});
  o["merges"] = std::move(m);
  o["merge_order"] = mergeByScore ? "score" : "rank";
  o["ignore_merges"] = ignoreMerges;
  o["add_prefix_space"] = addPrefixSpace;
  o["space_prefix"] = spacePrefixName(spacePrefix);
  o["split_on_space"] = splitOnSpace;
  o["byte_fallback"] = byteFallback;
  o["lowercase"] = lowercase;
  o["strip_accents"] = stripAccents;
  o["chinese_chars"] = chineseChars;
  o["clean_text"] = cleanText;
  o["cleanup_decode"] = cleanupDecode;
  o["continuing_prefix"] = continuingPrefix;
  o["max_input_chars_per_word"] = static_cast<int64_t>(maxInputCharsPerWord);
  json::Object ids;
  ids["bos"] = bosId;
  ids["eos"] = eosId;
  ids["unk"] = unkId;
  ids["pad"] = padId;
  ids["sep"] = sepId;
  ids["cls"] = clsId;
  ids["eot"] = eotId;
  ids["eom"] = eomId;
  o["special_ids"] = std::move(ids);
  auto list = [](const std::vector<int32_t> &v) {
    json::Array a;
    for (int32_t id : v)
      a.push_back(id);
    return a;
  };
  o["prefix"] = list(prefixIds);
  o["suffix"] = list(suffixIds);
  o["special_tokens"] = list(specialIds);
  o["added_tokens"] = list(addedIds);
  o["end_of_generation"] = list(eogIds);
  o["chat_template"] = chatTemplateText;
  std::string out;
  llvm::raw_string_ostream os(out);
  os << json::Value(std::move(o));
  return out;
}

llvm::Expected<std::unique_ptr<Tokenizer>>
Tokenizer::fromJSON(llvm::StringRef text) {
  auto doc = json::parse(text);
  if (!doc)
    return err("tokenizer JSON: " + llvm::toString(doc.takeError()));
  const json::Object *o = doc->getAsObject();
  if (!o)
    return err("tokenizer JSON: not an object");
  if (o->getString("format") != llvm::StringRef("txc-tokenizer"))
    return err("tokenizer JSON: \"format\" is not \"txc-tokenizer\"");
  llvm::StringRef kindText = o->getString("kind").value_or("");
  Kind kind;
  if (kindText == "byte-bpe")
    kind = Kind::ByteBPE;
  else if (kindText == "sentencepiece-bpe")
    kind = Kind::SentencePieceBPE;
  else if (kindText == "wordpiece")
    kind = Kind::WordPiece;
  else
    return err("tokenizer JSON: \"kind\" \"" + kindText +
               "\" is not one of byte-bpe, sentencepiece-bpe, wordpiece");
  auto tok = std::make_unique<TokenizerImpl>(kind);

  llvm::StringRef preName = o->getString("pre_tokenizer").value_or("gpt2");
  auto pre = preTokenizerFromName(preName);
  if (!pre)
    return err(
        "tokenizer JSON: pre-tokenizer \"" + preName +
        "\" is not one txc supports; supported: " + supportedPreTokenizers());
  tok->pre = *pre;

  const json::Array *tokens = o->getArray("tokens");
  if (!tokens)
    return err("tokenizer JSON: no \"tokens\" array");
  for (const json::Value &v : *tokens) {
    auto s = v.getAsString();
    if (!s)
      return err("tokenizer JSON: \"tokens\" holds a value that is not a "
                 "string");
    tok->pieces.push_back(s->str());
  }
  if (const json::Array *a = o->getArray("scores"))
    for (const json::Value &v : *a) {
      auto d = v.getAsNumber();
      if (!d)
        return err("tokenizer JSON: \"scores\" holds a value that is not a "
                   "number");
      tok->scores.push_back(static_cast<float>(*d));
    }
  if (const json::Array *a = o->getArray("types"))
    for (const json::Value &v : *a) {
      auto d = v.getAsInteger();
      if (!d || *d < 0 || *d > 6)
        return err("tokenizer JSON: \"types\" holds a value that is not a "
                   "token type (0-6)");
      tok->types.push_back(static_cast<int8_t>(*d));
    }
  if (const json::Array *a = o->getArray("merges"))
    for (size_t i = 0; i < a->size(); ++i) {
      const json::Array *pair = (*a)[i].getAsArray();
      if (!pair || pair->size() != 2 || !(*pair)[0].getAsString() ||
          !(*pair)[1].getAsString())
        return err("tokenizer JSON: merge " + llvm::Twine(i) +
                   " is not a pair of strings");
      tok->merges.push_back(
          {(*pair)[0].getAsString()->str(), (*pair)[1].getAsString()->str()});
    }
  tok->mergeByScore = o->getString("merge_order") == llvm::StringRef("score");
  auto flag = [&](llvm::StringRef key, bool &out) {
    if (auto b = o->getBoolean(key))
      out = *b;
  };
  flag("ignore_merges", tok->ignoreMerges);
  flag("add_prefix_space", tok->addPrefixSpace);
  flag("split_on_space", tok->splitOnSpace);
  flag("byte_fallback", tok->byteFallback);
  flag("lowercase", tok->lowercase);
  flag("strip_accents", tok->stripAccents);
  flag("chinese_chars", tok->chineseChars);
  flag("clean_text", tok->cleanText);
  flag("cleanup_decode", tok->cleanupDecode);
  llvm::StringRef sp = o->getString("space_prefix").value_or("none");
  if (sp == "none")
    tok->spacePrefix = SpacePrefix::None;
  else if (sp == "first")
    tok->spacePrefix = SpacePrefix::First;
  else if (sp == "always")
    tok->spacePrefix = SpacePrefix::Always;
  else if (sp == "after-special")
    tok->spacePrefix = SpacePrefix::AfterSpecial;
  else
    return err("tokenizer JSON: \"space_prefix\" \"" + sp +
               "\" is not one of none, first, always, after-special");
  if (auto s = o->getString("continuing_prefix"))
    tok->continuingPrefix = s->str();
  if (auto n = o->getInteger("max_input_chars_per_word")) {
    if (*n < 0)
      return err("tokenizer JSON: \"max_input_chars_per_word\" is negative");
    tok->maxInputCharsPerWord = static_cast<size_t>(*n);
  }
  auto int32 = [](std::optional<int64_t> v) -> std::optional<int32_t> {
    if (!v || *v < INT32_MIN || *v > INT32_MAX)
      return std::nullopt;
    return static_cast<int32_t>(*v);
  };
  if (const json::Object *ids = o->getObject("special_ids")) {
    for (auto [key, field] :
         {std::pair<const char *, int32_t *>{"bos", &tok->bosId},
          {"eos", &tok->eosId},
          {"unk", &tok->unkId},
          {"pad", &tok->padId},
          {"sep", &tok->sepId},
          {"cls", &tok->clsId},
          {"eot", &tok->eotId},
          {"eom", &tok->eomId}}) {
      if (!ids->get(key))
        continue;
      auto v = int32(ids->getInteger(key));
      if (!v)
        return err(llvm::Twine("tokenizer JSON: special id \"") + key +
                   "\" is not an integer");
      *field = *v;
    }
  }
  for (auto [key, field] : {std::pair<const char *, std::vector<int32_t> *>{
                                "prefix", &tok->prefixIds},
                            {"suffix", &tok->suffixIds},
                            {"special_tokens", &tok->specialIds},
                            {"added_tokens", &tok->addedIds},
                            {"end_of_generation", &tok->eogIds}}) {
    const json::Array *a = o->getArray(key);
    if (!a)
      continue;
    for (const json::Value &v : *a) {
      auto id = int32(v.getAsInteger());
      if (!id)
        return err(llvm::Twine("tokenizer JSON: \"") + key +
                   "\" holds a value that is not a token id");
      field->push_back(*id);
    }
  }
  if (auto t = o->getString("chat_template"))
    tok->chatTemplateText = t->str();
  if (auto e = tok->finalize())
    return err("tokenizer JSON: " + llvm::toString(std::move(e)));
  if (!o->getArray("end_of_generation"))
    tok->computeEndOfGeneration();
  return std::unique_ptr<Tokenizer>(std::move(tok));
}

llvm::Expected<std::unique_ptr<Tokenizer>>
txc::loadTokenizer(llvm::StringRef path) {
  if (llvm::sys::fs::is_directory(path)) {
    llvm::SmallString<256> own(path);
    llvm::sys::path::append(own, "tokenizer.txc.json");
    if (llvm::sys::fs::exists(own))
      return loadTokenizer(own);
    return Tokenizer::fromHuggingFace(path);
  }
  auto buf = readRegularFile(path);
  if (!buf)
    return buf.takeError();
  llvm::StringRef bytes = (*buf)->getBuffer();
  if (bytes.starts_with("GGUF")) {
    // The bytes already read: no second read of the file.
    auto file = GGUFFile::parse(std::move(*buf));
    if (!file)
      return file.takeError();
    return Tokenizer::fromGGUF(**file);
  }
  if (bytes.contains("\"txc-tokenizer\"")) {
    auto t = Tokenizer::fromJSON(bytes);
    if (!t)
      return err(path + ": " + llvm::toString(t.takeError()));
    return t;
  }
  return Tokenizer::fromHuggingFace(path);
}
