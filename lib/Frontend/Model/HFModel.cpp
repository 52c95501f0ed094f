//===- HFModel.cpp - a Hugging Face folder as a config + tensors ----------===//
//
// Reads `config.json` (architectures LlamaForCausalLM, Qwen2ForCausalLM,
// MistralForCausalLM, Phi3ForCausalLM, GPT2LMHeadModel, BertModel) and the
// weights of `model.safetensors` or of the shards a
// `model.safetensors.index.json` names, and serves the tensors to the model
// builder under their GGUF names. F32, F16 and BF16 tensors are served in
// place; GPT-2's Conv1D weights ([in, out]) are transposed into owned
// copies. Llama 3 RoPE scaling is served as per-frequency factors
// (`rope_freqs.weight`), as llama.cpp's converter stores it. GPTQ, AWQ and
// FP8 checkpoints (`quantization_config`) have their quantized linears read
// by HFQuant.cpp into planar quantized weights.
//
//===----------------------------------------------------------------------===//

#include "ModelFiles.h"
#include "txc/Support/Files.h"

#include "txc/Runtime/Tokenizer.h"
#include "txc/Support/Safetensors.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Regex.h"

#include <cmath>
#include <map>

using namespace llvm;
using namespace txc;

namespace {

class HFSource : public TensorSource {
public:
  std::string folder;
  std::vector<std::unique_ptr<SafetensorsFile>> files;
  StringMap<TensorData> tensors;
  /// Owned data of converted tensors.
  std::vector<std::unique_ptr<std::vector<char>>> owned;

  const TensorData *find(StringRef name) const override {
    auto it = tensors.find(name);
    return it == tensors.end() ? nullptr : &it->second;
  }
  std::string describe() const override {
    return "Hugging Face folder '" + folder + "'";
  }
};

Error failure(StringRef folder, const Twine &msg) {
  return createStringError("Hugging Face folder '" + folder + "': " + msg);
}

/// The GGUF name of an HF tensor name, or "" for tensors the builder does
/// not read. `transpose` is set for GPT-2 Conv1D weights.
std::string ggufName(ArchConfig::Family family, StringRef name,
                     bool &transpose) {
  transpose = false;
  SmallVector<StringRef> m;
  auto layer = [&](StringRef rest) {
    return ("blk." + m[1] + "." + rest).str();
  };
  if (family == ArchConfig::Family::GPT2) {
    name.consume_front("transformer.");
    if (name == "wte.weight")
      return "token_embd.weight";
    if (name == "wpe.weight")
      return "position_embd.weight";
    if (name == "lm_head.weight")
      return "output.weight";
    if (name == "ln_f.weight" || name == "ln_f.bias")
      return ("output_norm." + name.substr(5)).str();
    Regex re("^h\\.([0-9]+)\\.(ln_1|ln_2|attn\\.c_attn|attn\\.c_proj|mlp\\.c_"
             "fc|mlp\\.c_proj)\\.(weight|bias)$");
    if (!re.match(name, &m))
      return "";
    std::string what = StringSwitch<std::string>(m[2])
                           .Case("ln_1", "attn_norm")
                           .Case("ln_2", "ffn_norm")
                           .Case("attn.c_attn", "attn_qkv")
                           .Case("attn.c_proj", "attn_output")
                           .Case("mlp.c_fc", "ffn_up")
                           .Default("ffn_down");
    transpose = m[3] == "weight" && !m[2].starts_with("ln");
    return layer(what + "." + m[3].str());
  }
  if (family == ArchConfig::Family::Bert) {
    name.consume_front("bert.");
    std::string n = name.str();
    // Old checkpoints name LayerNorm parameters gamma/beta.
    if (StringRef(n).ends_with(".gamma"))
      n = n.substr(0, n.size() - 6) + ".weight";
    if (StringRef(n).ends_with(".beta"))
      n = n.substr(0, n.size() - 5) + ".bias";
    StringRef s = n;
    if (s == "embeddings.word_embeddings.weight")
      return "token_embd.weight";
    if (s == "embeddings.position_embeddings.weight")
      return "position_embd.weight";
    if (s == "embeddings.token_type_embeddings.weight")
      return "token_types.weight";
    if (s.consume_front("embeddings.LayerNorm."))
      return ("token_embd_norm." + s).str();
    Regex re("^encoder\\.layer\\.([0-9]+)\\.(attention\\.self\\.query|"
             "attention\\.self\\.key|attention\\.self\\.value|attention\\."
             "output\\.dense|attention\\.output\\.LayerNorm|intermediate\\."
             "dense|output\\.dense|output\\.LayerNorm)\\.(weight|bias)$");
    if (!re.match(s, &m))
      return "";
    std::string what = StringSwitch<std::string>(m[2])
                           .Case("attention.self.query", "attn_q")
                           .Case("attention.self.key", "attn_k")
                           .Case("attention.self.value", "attn_v")
                           .Case("attention.output.dense", "attn_output")
                           .Case("attention.output.LayerNorm",
                                 "attn_output_norm")
                           .Case("intermediate.dense", "ffn_up")
                           .Case("output.dense", "ffn_down")
                           .Default("layer_output_norm");
    return layer(what + "." + m[3].str());
  }
  // Llama-style.
  if (name == "model.embed_tokens.weight")
    return "token_embd.weight";
  if (name == "model.norm.weight")
    return "output_norm.weight";
  if (name == "lm_head.weight")
    return "output.weight";
  Regex re("^model\\.layers\\.([0-9]+)\\.(input_layernorm|post_attention_"
           "layernorm|self_attn\\.q_proj|self_attn\\.k_proj|self_attn\\.v_"
           "proj|self_attn\\.o_proj|self_attn\\.qkv_proj|mlp\\.gate_proj|mlp\\."
           "up_proj|mlp\\.down_proj|mlp\\.gate_up_proj|mod_router)\\.(weight|"
           "bias)$");
  if (!re.match(name, &m))
    return "";
  std::string what = StringSwitch<std::string>(m[2])
                         .Case("input_layernorm", "attn_norm")
                         .Case("post_attention_layernorm", "ffn_norm")
                         .Case("self_attn.q_proj", "attn_q")
                         .Case("self_attn.k_proj", "attn_k")
                         .Case("self_attn.v_proj", "attn_v")
                         .Case("self_attn.o_proj", "attn_output")
                         .Case("self_attn.qkv_proj", "attn_qkv")
                         .Case("mlp.gate_proj", "ffn_gate")
                         .Case("mlp.up_proj", "ffn_up")
                         .Case("mlp.gate_up_proj", "ffn_up")
                         .Case("mod_router", "mod_router")
                         .Default("ffn_down");
  return layer(what + "." + m[3].str());
}

} // namespace

Expected<LoadedModel> txc::loadHFModel(StringRef folder) {
  SmallString<256> configPath(folder);
  sys::path::append(configPath, "config.json");
  auto buffer = readRegularFile(configPath);
  if (!buffer)
    return failure(folder, "cannot read config.json: " +
                               toString(buffer.takeError()));
  Expected<json::Value> parsed = json::parse((*buffer)->getBuffer());
  if (!parsed)
    return failure(folder,
                   "config.json is not valid JSON: " +
                       toString(parsed.takeError()));
  const json::Object *cfg = parsed->getAsObject();
  if (!cfg)
    return failure(folder, "config.json is not a JSON object");
  const json::Array *archs = cfg->getArray("architectures");
  std::optional<StringRef> cls =
      archs && !archs->empty() ? (*archs)[0].getAsString() : std::nullopt;
  if (!cls)
    return failure(folder, "config.json has no \"architectures\" list");

  LoadedModel model;
  ArchConfig &c = model.config;
  c.name = cls->str();
  std::optional<ArchConfig::Family> family =
      StringSwitch<std::optional<ArchConfig::Family>>(*cls)
          .Cases({"LlamaForCausalLM", "Qwen2ForCausalLM",
                  "MistralForCausalLM"},
                 ArchConfig::Family::Llama)
          .Case("Phi3ForCausalLM", ArchConfig::Family::Phi3)
          .Case("GPT2LMHeadModel", ArchConfig::Family::GPT2)
          .Case("BertModel", ArchConfig::Family::Bert)
          .Default(std::nullopt);
  if (!family)
    return failure(folder, "config.json names the class '" + *cls +
                               "', which txc does not support (supported: "
                               "LlamaForCausalLM, Qwen2ForCausalLM, "
                               "MistralForCausalLM, Phi3ForCausalLM, "
                               "GPT2LMHeadModel, BertModel)");
  c.family = *family;
  bool gpt2 = c.family == ArchConfig::Family::GPT2;

  std::string missing;
  auto getInt = [&](StringRef key, std::optional<int64_t> dflt =
                                       std::nullopt) -> int64_t {
    if (std::optional<int64_t> v = cfg->getInteger(key))
      return *v;
    if (!dflt && missing.empty())
      missing = key.str();
    return dflt.value_or(0);
  };
  auto getFloat = [&](StringRef key, double dflt) -> double {
    if (std::optional<double> v = cfg->getNumber(key))
      return *v;
    return dflt;
  };
  if (gpt2) {
    c.hidden = getInt("n_embd");
    c.layers = getInt("n_layer");
    c.heads = getInt("n_head");
    c.kvHeads = c.heads;
    c.maxPositions = getInt("n_positions");
    c.contextLength = c.maxPositions;
    const json::Value *inner = cfg->get("n_inner");
    c.ff = inner && inner->getAsInteger() ? *inner->getAsInteger()
                                          : 4 * c.hidden;
    c.normEps = getFloat("layer_norm_epsilon", 1e-5);
  } else {
    c.hidden = getInt("hidden_size");
    c.layers = getInt("num_hidden_layers");
    c.heads = getInt("num_attention_heads");
    c.kvHeads = getInt("num_key_value_heads", c.heads);
    c.ff = getInt("intermediate_size");
    c.contextLength = getInt("max_position_embeddings", 0);
    if (c.family == ArchConfig::Family::Bert) {
      c.maxPositions = c.contextLength;
      c.typeVocab = getInt("type_vocab_size", 2);
      c.normEps = getFloat("layer_norm_eps", 1e-12);
    } else {
      c.normEps = getFloat("rms_norm_eps", 1e-6);
      c.ropeBase = getFloat("rope_theta", 10000.0);
    }
  }
  c.vocab = getInt("vocab_size");
  if (!missing.empty())
    return failure(folder, "config.json has no integer \"" + missing + "\"");
  if (c.heads <= 0)
    return failure(folder, "config.json: num_attention_heads must be positive");
  // The builder's activations and position embeddings: GELU (tanh) for
  // GPT-2, GELU (erf) and absolute positions for BERT, SiLU otherwise.
  StringRef actKey = gpt2 ? "activation_function" : "hidden_act";
  StringRef wantAct = gpt2                                   ? "gelu_new"
                      : c.family == ArchConfig::Family::Bert ? "gelu"
                                                             : "silu";
  if (std::optional<StringRef> act = cfg->getString(actKey);
      act && *act != wantAct &&
      !(gpt2 && (*act == "gelu_pytorch_tanh" || *act == "gelu_fast")))
    return failure(folder, "config.json: " + actKey + " '" + *act +
                               "' is not supported for " + *cls +
                               " (supported: " + wantAct + ")");
  if (std::optional<StringRef> pos = cfg->getString("position_embedding_type");
      c.family == ArchConfig::Family::Bert && pos && *pos != "absolute")
    return failure(folder, "config.json: position_embedding_type '" + *pos +
                               "' is not supported (supported: absolute)");
  c.headDim = cfg->getInteger("head_dim").value_or(c.hidden / c.heads);
  c.ropeDim = int64_t(std::lround(
      double(c.headDim) * getFloat("partial_rotary_factor", 1.0)));
  c.ropeInterleaved = false;
  if (*cls == "MistralForCausalLM" || *cls == "Phi3ForCausalLM" ||
      (*cls == "Qwen2ForCausalLM" &&
       cfg->getBoolean("use_sliding_window").value_or(false)))
    c.slidingWindow = cfg->getInteger("sliding_window").value_or(0);

  auto source = std::make_unique<HFSource>();
  source->folder = folder.str();

  // GPTQ / AWQ / FP8 checkpoints (HFQuant.cpp): the parts of each
  // quantized linear, by the linear's checkpoint name.
  Expected<std::optional<HFQuantConfig>> quant = readQuantConfig(*cfg, folder);
  if (!quant)
    return quant.takeError();
  std::map<std::string, StringMap<const SafetensorsEntry *>> quantParts;

  // RoPE scaling.
  if (const json::Object *scaling = cfg->getObject("rope_scaling")) {
    std::optional<StringRef> type = scaling->getString("rope_type");
    if (!type)
      type = scaling->getString("type");
    double factor = scaling->getNumber("factor").value_or(1.0);
    if (type && (*type == "linear" || *type == "llama3") && !(factor > 0))
      return failure(folder, formatv("config.json: rope_scaling factor {0} "
                                     "must be positive",
                                     factor)
                                 .str());
    if (type && *type == "linear") {
      c.ropeScale = factor;
    } else if (type && *type == "llama3") {
      // Per-frequency factors, as llama.cpp's converter computes them.
      double low = scaling->getNumber("low_freq_factor").value_or(1.0);
      double high = scaling->getNumber("high_freq_factor").value_or(4.0);
      double original =
          scaling->getNumber("original_max_position_embeddings")
              .value_or(8192.0);
      if (!(high > low) || !(low > 0) || !(original > 0))
        return failure(folder, "config.json: llama3 rope_scaling needs "
                               "0 < low_freq_factor < high_freq_factor and "
                               "a positive original_max_position_embeddings");
      // A bad rotary dimension is reported by the builder.
      int64_t half = std::max<int64_t>(c.ropeDim / 2, 0);
      auto data = std::make_unique<std::vector<char>>(half * sizeof(float));
      float *f = reinterpret_cast<float *>(data->data());
      for (int64_t i = 0; i < half; ++i) {
        double freq = std::pow(c.ropeBase, -2.0 * i / double(c.ropeDim));
        double wavelen = 2 * M_PI / freq;
        double lowWave = original / low, highWave = original / high;
        if (wavelen < highWave)
          f[i] = 1.0f;
        else if (wavelen > lowWave)
          f[i] = float(factor);
        else {
          double smooth = (original / wavelen - low) / (high - low);
          f[i] = float(1.0 / ((1 - smooth) / factor + smooth));
        }
      }
      TensorData d;
      d.ggmlType = 0;
      d.shape = {half};
      d.data = ArrayRef<char>(data->data(), data->size());
      source->tensors["rope_freqs.weight"] = d;
      source->owned.push_back(std::move(data));
    } else if (type && *type != "default") {
      // Other kinds (longrope, yarn, dynamic) change the frequencies even
      // without a "factor" key.
      return failure(folder, "config.json: rope_scaling type '" + *type +
                                 "' is not supported (supported: default, "
                                 "linear, llama3)");
    } else if (!type) {
      return failure(folder, "config.json: rope_scaling has no \"rope_type\" "
                             "or \"type\"");
    }
  }

  // The weight files.
  SmallVector<std::string> shardNames;
  SmallString<256> single(folder), index(folder);
  sys::path::append(single, "model.safetensors");
  sys::path::append(index, "model.safetensors.index.json");
  if (sys::fs::exists(index)) {
    auto indexBuffer = readRegularFile(index);
    if (!indexBuffer)
      return failure(folder, "cannot read model.safetensors.index.json: " +
                                 toString(indexBuffer.takeError()));
    Expected<json::Value> idx = json::parse((*indexBuffer)->getBuffer());
    const json::Object *map =
        idx && idx->getAsObject() ? idx->getAsObject()->getObject("weight_map")
                                  : nullptr;
    if (!idx)
      consumeError(idx.takeError());
    if (!map)
      return failure(folder, "model.safetensors.index.json has no "
                             "\"weight_map\" object");
    for (const auto &[name, file] : *map) {
      std::optional<StringRef> f = file.getAsString();
      if (!f || f->contains('/') || f->starts_with("."))
        return failure(folder, "model.safetensors.index.json maps '" + name +
                                   "' to an invalid file name");
      if (!llvm::is_contained(shardNames, f->str()))
        shardNames.push_back(f->str());
    }
  } else if (sys::fs::exists(single)) {
    shardNames.push_back("model.safetensors");
  } else {
    return failure(folder, "no model.safetensors or "
                           "model.safetensors.index.json");
  }
  for (const std::string &shard : shardNames) {
    SmallString<256> p(folder);
    sys::path::append(p, shard);
    if (shard != "model.safetensors" && !sys::fs::exists(p))
      return failure(folder, "model.safetensors.index.json names the shard '" +
                                 shard + "', which is missing");
    Expected<std::unique_ptr<SafetensorsFile>> file =
        SafetensorsFile::open(p);
    if (!file)
      return failure(folder, toString(file.takeError()));
    for (const auto &entry : (*file)->entries()) {
      std::string prefix, part;
      if (*quant && quantPart(**quant, entry.getKey(), entry.getValue(),
                              prefix, part)) {
        quantParts[prefix][part] = &entry.getValue();
        continue;
      }
      bool transpose;
      std::string name = ggufName(c.family, entry.getKey(), transpose);
      if (name.empty())
        continue;
      const SafetensorsEntry &e = entry.getValue();
      uint32_t type = StringSwitch<uint32_t>(e.dtype)
                          .Case("F32", 0)
                          .Case("F16", 1)
                          .Case("BF16", 30)
                          .Default(~0u);
      if (type == ~0u)
        return failure(folder, "tensor '" + entry.getKey() + "' has dtype " +
                                   e.dtype +
                                   " (supported: F32, F16, BF16)");
      if (e.shape.empty() || e.shape.size() > 2)
        return failure(folder, "tensor '" + entry.getKey() +
                                   "' is not a vector or a matrix");
      TensorData d;
      d.ggmlType = type;
      d.shape.assign(e.shape.begin(), e.shape.end());
      d.data = e.data;
      if (transpose && e.shape.size() == 2) {
        int64_t rows = e.shape[0], cols = e.shape[1];
        size_t elt = type == 0 ? 4 : 2;
        auto data = std::make_unique<std::vector<char>>(e.data.size());
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t col = 0; col < cols; ++col)
            std::memcpy(data->data() + (col * rows + r) * elt,
                        e.data.data() + (r * cols + col) * elt, elt);
        d.shape = {cols, rows};
        d.data = ArrayRef<char>(data->data(), data->size());
        source->owned.push_back(std::move(data));
      }
      if (source->tensors.count(name))
        return failure(folder, "tensor '" + entry.getKey() +
                                   "' appears twice");
      source->tensors[name] = d;
    }
    source->files.push_back(std::move(*file));
  }
  // Quantized linears (stored [in, out] packed, read as [out, in] like
  // nn.Linear, GPT-2's Conv1D included: the quantizers transpose it first).
  for (const auto &[prefix, parts] : quantParts) {
    bool transpose;
    std::string name = ggufName(c.family, prefix + ".weight", transpose);
    if (name.empty() || (parts.size() == 1 && parts.count("input_scale")))
      continue;
    Expected<TensorData> d = buildQuantLinear(**quant, folder, prefix, parts,
                                              source->owned, model.warnings);
    if (!d)
      return d.takeError();
    if (source->tensors.count(name))
      return failure(folder, "tensor '" + prefix +
                                 ".weight' appears twice (quantized and not)");
    source->tensors[name] = *d;
  }
  // Tied heads: drop lm_head when the config ties it (the builder then uses
  // the embedding).
  if (cfg->getBoolean("tie_word_embeddings").value_or(gpt2))
    source->tensors.erase("output.weight");
  else if (c.family != ArchConfig::Family::Bert &&
           !source->tensors.count("output.weight"))
    return failure(folder, "tensor 'lm_head.weight' is missing and "
                           "tie_word_embeddings is not true");

  // The tokenizer.
  SmallString<256> tokPath(folder);
  sys::path::append(tokPath, "tokenizer.json");
  if (sys::fs::exists(tokPath)) {
    Expected<std::unique_ptr<Tokenizer>> tok =
        Tokenizer::fromHuggingFace(folder);
    if (!tok)
      return failure(folder, "tokenizer: " + toString(tok.takeError()));
    model.tokenizerJSON = (*tok)->toJSON();
  } else {
    model.tokenizerNote = "the folder has no tokenizer.json";
  }
  model.tensors = std::move(source);
  return std::move(model);
}
