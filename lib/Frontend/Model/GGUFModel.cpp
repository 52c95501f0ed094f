//===- GGUFModel.cpp - a GGUF file as an architecture config + tensors ----===//
//
// Reads the `general.architecture` of a GGUF file and its `<arch>.*` keys
// into an ArchConfig, serves its tensors to the model builder in place (the
// mapped file), and converts its tokenizer.ggml.* metadata to txc's
// tokenizer form. Supported architectures: llama (Llama 2/3, SmolLM2,
// TinyLlama, Mistral; a `llama.attention.sliding_window` key gives
// Mistral-style sliding-window attention), qwen2, phi3 and gpt2.
//
//===----------------------------------------------------------------------===//

#include "ModelFiles.h"

#include "txc/Runtime/Tokenizer.h"
#include "txc/Support/GGUF.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace llvm;
using namespace txc;

namespace {

/// Tensors of a mapped GGUF file, shapes outermost first.
class GGUFSource : public TensorSource {
public:
  explicit GGUFSource(std::unique_ptr<GGUFFile> file, std::string path)
      : file(std::move(file)), path(std::move(path)) {
    for (const GGUFTensor &t : this->file->tensors()) {
      TensorData d;
      d.ggmlType = t.type;
      d.shape.assign(t.dims.rbegin(), t.dims.rend());
      d.data = t.data;
      tensors[t.name] = d;
    }
  }
  const TensorData *find(StringRef name) const override {
    auto it = tensors.find(name);
    return it == tensors.end() ? nullptr : &it->second;
  }
  std::string describe() const override { return "GGUF '" + path + "'"; }
  const GGUFFile &gguf() const { return *file; }

private:
  std::unique_ptr<GGUFFile> file;
  std::string path;
  StringMap<TensorData> tensors;
};

constexpr const char *kSupported = "llama, qwen2, phi3, gpt2";

} // namespace

Expected<LoadedModel> txc::loadGGUFModel(StringRef path) {
  Expected<std::unique_ptr<GGUFFile>> opened = GGUFFile::open(path);
  if (!opened)
    return opened.takeError();
  auto source = std::make_unique<GGUFSource>(std::move(*opened), path.str());
  const GGUFFile &f = source->gguf();
  auto fail = [&](const Twine &msg) {
    return createStringError("GGUF '" + path + "': " + msg);
  };
  Expected<StringRef> archOr = f.getString("general.architecture");
  if (!archOr)
    return archOr.takeError();
  StringRef arch = *archOr;

  LoadedModel model;
  ArchConfig &c = model.config;
  c.name = arch.str();
  std::optional<ArchConfig::Family> family =
      StringSwitch<std::optional<ArchConfig::Family>>(arch)
          .Case("llama", ArchConfig::Family::Llama)
          .Case("qwen2", ArchConfig::Family::Llama)
          .Case("phi3", ArchConfig::Family::Phi3)
          .Case("gpt2", ArchConfig::Family::GPT2)
          .Default(std::nullopt);
  if (!family)
    return fail("architecture '" + arch + "' is not supported (supported: " +
                kSupported + ")");
  c.family = *family;

  auto key = [&](StringRef k) { return (arch + "." + k).str(); };
  auto integer = [&](StringRef k) -> Expected<int64_t> {
    return f.getInteger(key(k));
  };
  auto optionalInt = [&](StringRef k, int64_t dflt) -> Expected<int64_t> {
    if (!f.lookup(key(k)))
      return dflt;
    return f.getInteger(key(k));
  };
  auto optionalFloat = [&](StringRef k, double dflt) -> Expected<double> {
    if (!f.lookup(key(k)))
      return dflt;
    return f.getFloat(key(k));
  };
#define GET(var, expr)                                                         \
  {                                                                            \
    auto v = (expr);                                                           \
    if (!v)                                                                    \
      return v.takeError();                                                    \
    var = *v;                                                                  \
  }
  GET(c.hidden, integer("embedding_length"));
  GET(c.layers, integer("block_count"));
  GET(c.ff, integer("feed_forward_length"));
  GET(c.heads, integer("attention.head_count"));
  GET(c.kvHeads, optionalInt("attention.head_count_kv", c.heads));
  GET(c.contextLength, optionalInt("context_length", 0));
  if (c.heads <= 0 || c.hidden <= 0)
    return fail(formatv("{0} heads and hidden size {1} must be positive",
                        c.heads, c.hidden)
                    .str());
  GET(c.headDim, optionalInt("attention.key_length", c.hidden / c.heads));
  const TensorData *embd = source->find("token_embd.weight");
  if (!embd || embd->shape.size() != 2)
    return fail("tensor 'token_embd.weight' is missing or not a matrix");
  GET(c.vocab, optionalInt("vocab_size", embd->shape[0]));

  if (c.family == ArchConfig::Family::GPT2) {
    GET(c.normEps, optionalFloat("attention.layer_norm_epsilon", 1e-5));
    const TensorData *pos = source->find("position_embd.weight");
    if (!pos || pos->shape.size() != 2)
      return fail("tensor 'position_embd.weight' is missing or not a matrix");
    c.maxPositions = pos->shape[0];
  } else {
    GET(c.normEps, optionalFloat("attention.layer_norm_rms_epsilon", 1e-5));
    GET(c.ropeBase, optionalFloat("rope.freq_base", 10000.0));
    GET(c.ropeDim, optionalInt("rope.dimension_count", c.headDim));
    // llama.cpp's converter permutes the q/k rows of llama models so that
    // they rotate adjacent pairs (its "normal" RoPE); qwen2 and phi3 keep
    // rotate-half ("neox").
    c.ropeInterleaved = arch == "llama";
    GET(c.slidingWindow, optionalInt("attention.sliding_window", 0));
    if (const GGUFValue *type = f.lookup(key("rope.scaling.type"))) {
      Expected<StringRef> name = f.getString(key("rope.scaling.type"));
      if (!name)
        return name.takeError();
      (void)type;
      double factor = 1.0;
      GET(factor, optionalFloat("rope.scaling.factor", 1.0));
      if (*name == "linear") {
        if (!(factor > 0))
          return fail(formatv("rope.scaling.factor {0} must be positive",
                              factor)
                          .str());
        c.ropeScale = factor;
      } else if (*name != "none" && factor != 1.0) {
        return fail("RoPE scaling '" + *name +
                    "' is not supported (supported: none, linear)");
      }
    }
    if (source->find("rope_factors_long.weight") ||
        source->find("rope_factors_short.weight"))
      return fail("LongRoPE scaling (rope_factors_long/short tensors) is not "
                  "supported");
  }
#undef GET

  // The tokenizer, in txc's form.
  if (f.lookup("tokenizer.ggml.model")) {
    Expected<std::unique_ptr<Tokenizer>> tok = Tokenizer::fromGGUF(f);
    if (!tok)
      return fail("tokenizer: " + toString(tok.takeError()));
    model.tokenizerJSON = (*tok)->toJSON();
  } else {
    model.tokenizerNote = "the GGUF file has no tokenizer.ggml.model key";
  }
  model.tensors = std::move(source);
  return std::move(model);
}
