//===- HFQuant.cpp - GPTQ, AWQ and FP8 Hugging Face checkpoints -----------===//
//
// Reads `quantization_config` from a folder's config.json and turns the
// tensors of each quantized linear into a PlanarWeight: the codes, scales
// and zero points the checkpoint stores, repacked into the planar layout
// `tx.qpack` reads (codes [N, K] packed along K, scales and zero points
// [N, groups]) so that they dequantize to exactly the values the format
// defines.
//
// * GPTQ (AutoGPTQ layout): `qweight` int32 [K * bits / 32, N] packed along
//   K (low bits first), `qzeros` int32 [G, N * bits / 32] packed along N,
//   `scales` f16 [G, N], `g_idx` int32 [K]; w = (q - z) * s with z the
//   stored zero plus one (checkpoint_format `gptq`: AutoGPTQ's pack stores
//   z - 1 and its forward adds 1 back) or as stored (`gptq_v2`).
// * AWQ GEMM (AutoAWQ): `qweight` int32 [K, N / 8] packed along N with the
//   8 nibbles of a word holding columns 0, 2, 4, 6, 1, 3, 5, 7, `qzeros`
//   int32 [G, N / 8] packed alike, `scales` f16 [G, N]; w = (q - z) * s.
// * FP8 (transformers' fp8 quantizer): `weight` float8_e4m3fn [N, K] with
//   `weight_scale` (per tensor or per output row) or, with
//   `weight_block_size` [bn, bk], `weight_scale_inv` f32 [N / bn, K / bk]
//   (rounded up); w = q * scale. Block scales are expanded per row (groups
//   of bk along K), which is exact. `input_scale` (static activation
//   scales) is not read: activations stay f32.
//
// A GPTQ `g_idx` that is not k / group_size (act-order, desc_act) cannot be
// expressed as contiguous groups along K: that weight is dequantized to f32
// with a warning naming the tensor.
//
//===----------------------------------------------------------------------===//

#include "ModelFiles.h"

#include "txc/Support/Quantize.h"
#include "txc/Support/Safetensors.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

#include <cstring>

using namespace llvm;
using namespace txc;

namespace {

Error failure(StringRef folder, const Twine &msg) {
  return createStringError("Hugging Face folder '" + folder + "': " + msg);
}

std::string shapeText(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (auto [i, d] : llvm::enumerate(shape))
    s += (i ? ", " : "") + std::to_string(d);
  return s + "]";
}

uint32_t readU32(const SafetensorsEntry &e, int64_t i) {
  uint32_t v;
  std::memcpy(&v, e.data.data() + 4 * i, 4);
  return v;
}

/// A scale of an F32, F16 or BF16 tensor as f32 (exact).
float readScale(const SafetensorsEntry &e, int64_t i) {
  if (e.dtype == "F32") {
    float f;
    std::memcpy(&f, e.data.data() + 4 * i, 4);
    return f;
  }
  uint16_t h;
  std::memcpy(&h, e.data.data() + 2 * i, 2);
  return e.dtype == "F16" ? quant::halfToFloat(h) : quant::bf16ToFloat(h);
}

} // namespace

Expected<std::optional<HFQuantConfig>>
txc::readQuantConfig(const json::Object &cfg, StringRef folder) {
  const json::Value *value = cfg.get("quantization_config");
  if (!value)
    return std::nullopt;
  const json::Object *q = value->getAsObject();
  auto bad = [&](const Twine &msg) {
    return failure(folder, "config.json: quantization_config: " + msg);
  };
  if (!q)
    return bad("not a JSON object");
  std::optional<StringRef> method = q->getString("quant_method");
  if (!method)
    return bad("no \"quant_method\" string");
  HFQuantConfig c;
  auto intKey = [&](StringRef key, StringRef alt,
                    int64_t dflt) -> Expected<int64_t> {
    for (StringRef k : {key, alt}) {
      if (k.empty() || !q->get(k))
        continue;
      if (std::optional<int64_t> v = q->getInteger(k))
        return *v;
      return bad("\"" + k + "\" is not an integer");
    }
    return dflt;
  };
  if (*method == "gptq" || *method == "awq") {
    bool gptq = *method == "gptq";
    c.method = gptq ? HFQuantConfig::Method::GPTQ : HFQuantConfig::Method::AWQ;
    Expected<int64_t> bits = intKey("bits", gptq ? "" : "w_bit", 4);
    if (!bits)
      return bits.takeError();
    Expected<int64_t> group =
        intKey("group_size", gptq ? "" : "q_group_size", 128);
    if (!group)
      return group.takeError();
    c.bits = *bits;
    if (gptq ? (c.bits != 4 && c.bits != 8) : c.bits != 4)
      return bad(formatv("bits {0} is not supported for {1} (supported: "
                         "{2})",
                         c.bits, *method, gptq ? "4, 8" : "4")
                     .str());
    if (*group == 0 || *group < -1)
      return bad(formatv("group_size {0} is not supported (a positive size, "
                         "or -1 for one group per row)",
                         *group)
                     .str());
    c.group = *group == -1 ? 0 : *group;
    if (gptq) {
      StringRef format = q->getString("checkpoint_format").value_or("gptq");
      if (format != "gptq" && format != "gptq_v2")
        return bad("checkpoint_format '" + format +
                   "' is not supported (supported: gptq, gptq_v2)");
      c.gptqV1Zeros = format == "gptq";
    } else {
      StringRef version = q->getString("version").value_or("gemm");
      if (version.lower() != "gemm")
        return bad("version '" + version +
                   "' is not supported for awq (supported: gemm)");
      if (!q->getBoolean("zero_point").value_or(true))
        return bad("zero_point false is not supported for awq (supported: "
                   "true)");
    }
    return c;
  }
  if (*method == "fp8") {
    c.method = HFQuantConfig::Method::FP8;
    c.bits = 8;
    if (const json::Value *block = q->get("weight_block_size");
        block && !block->getAsNull()) {
      const json::Array *a = block->getAsArray();
      if (!a || a->size() != 2 || !(*a)[0].getAsInteger() ||
          !(*a)[1].getAsInteger() || *(*a)[0].getAsInteger() <= 0 ||
          *(*a)[1].getAsInteger() <= 0)
        return bad("weight_block_size must be two positive integers");
      c.fp8Block = {*(*a)[0].getAsInteger(), *(*a)[1].getAsInteger()};
    }
    return c;
  }
  return bad("quant_method '" + *method +
             "' is not supported (supported: gptq, awq, fp8)");
}

bool txc::quantPart(const HFQuantConfig &config, StringRef name,
                    const SafetensorsEntry &entry, std::string &prefix,
                    std::string &part) {
  StringRef suffixes[] = {".qweight", ".qzeros", ".scales", ".g_idx"};
  StringRef fp8Suffixes[] = {".weight_scale_inv", ".weight_scale",
                             ".input_scale"};
  if (config.method == HFQuantConfig::Method::FP8) {
    for (StringRef s : fp8Suffixes)
      if (name.ends_with(s)) {
        prefix = name.drop_back(s.size()).str();
        part = s.drop_front().str();
        return true;
      }
    if (name.ends_with(".weight") && entry.dtype == "F8_E4M3") {
      prefix = name.drop_back(7).str();
      part = "weight";
      return true;
    }
    return false;
  }
  for (StringRef s : suffixes)
    if (name.ends_with(s)) {
      prefix = name.drop_back(s.size()).str();
      part = s.drop_front().str();
      return true;
    }
  return false;
}

Expected<TensorData>
txc::buildQuantLinear(const HFQuantConfig &config, StringRef folder,
                      StringRef prefix,
                      const StringMap<const SafetensorsEntry *> &parts,
                      std::vector<std::unique_ptr<std::vector<char>>> &owned,
                      std::vector<std::string> &warnings) {
  auto get = [&](StringRef part) -> const SafetensorsEntry * {
    auto it = parts.find(part);
    return it == parts.end() ? nullptr : it->second;
  };
  auto need = [&](StringRef part, ArrayRef<StringRef> dtypes,
                  const SafetensorsEntry *&out) -> Error {
    out = get(part);
    std::string tensor = (prefix + "." + part).str();
    if (!out)
      return failure(
          folder, "tensor '" + tensor + "' is missing (the " +
                      (config.method == HFQuantConfig::Method::GPTQ  ? "gptq"
                       : config.method == HFQuantConfig::Method::AWQ ? "awq"
                                                                     : "fp8") +
                      " checkpoint stores it for every quantized "
                      "linear)");
    if (!llvm::is_contained(dtypes, StringRef(out->dtype)))
      return failure(folder,
                     "tensor '" + tensor + "' has dtype " + out->dtype +
                         " (supported: " +
                         llvm::join(dtypes.begin(), dtypes.end(), ", ") + ")");
    if (out->shape.size() != 2 && part != "g_idx" && part != "weight_scale")
      return failure(folder, "tensor '" + tensor + "' has shape " +
                                 shapeText(out->shape) +
                                 ", which is not a matrix");
    return Error::success();
  };
  auto wrongShape = [&](StringRef part, const SafetensorsEntry &e,
                        ArrayRef<int64_t> want) {
    return failure(folder, "tensor '" + prefix + "." + part + "' has shape " +
                               shapeText(e.shape) + ", expected " +
                               shapeText(want));
  };

  auto planar = std::make_shared<PlanarWeight>();
  TensorData out;
  out.ggmlType = kPlanarType;

  if (config.method == HFQuantConfig::Method::FP8) {
    const SafetensorsEntry *w;
    if (Error e = need("weight", {"F8_E4M3"}, w))
      return std::move(e);
    int64_t n = w->shape[0], k = w->shape[1];
    const SafetensorsEntry *blockScale = get("weight_scale_inv");
    const SafetensorsEntry *scale = get("weight_scale");
    planar->format = quant::Format::FP8;
    std::vector<float> scales;
    if (blockScale) {
      if (Error e =
              need("weight_scale_inv", {"F32", "BF16", "F16"}, blockScale))
        return std::move(e);
      int64_t bn = config.fp8Block.empty() ? 128 : config.fp8Block[0];
      int64_t bk = config.fp8Block.empty() ? 128 : config.fp8Block[1];
      int64_t rows = (n + bn - 1) / bn, cols = (k + bk - 1) / bk;
      if (SmallVector<int64_t>(blockScale->shape) !=
          SmallVector<int64_t>{rows, cols})
        return wrongShape("weight_scale_inv", *blockScale, {rows, cols});
      // One scale per bk values of a row: the block's, repeated per row.
      planar->group = bk;
      scales.resize(n * cols);
      for (int64_t r = 0; r < n; ++r)
        for (int64_t g = 0; g < cols; ++g)
          scales[r * cols + g] = readScale(*blockScale, (r / bn) * cols + g);
    } else if (scale) {
      if (Error e = need("weight_scale", {"F32", "BF16", "F16"}, scale))
        return std::move(e);
      int64_t count = 1;
      for (int64_t d : scale->shape)
        count *= d;
      if (count != 1 && count != n)
        return failure(folder, "tensor '" + prefix +
                                   ".weight_scale' has shape " +
                                   shapeText(scale->shape) +
                                   ", expected one scale per tensor or one "
                                   "per output row (" +
                                   std::to_string(n) + ")");
      planar->group = k;
      scales.resize(n);
      for (int64_t r = 0; r < n; ++r)
        scales[r] = readScale(*scale, count == 1 ? 0 : r);
    } else {
      return failure(folder, "tensor '" + prefix +
                                 ".weight' is float8 but the folder has no '" +
                                 prefix + ".weight_scale' or '" + prefix +
                                 ".weight_scale_inv'");
    }
    planar->data.codes.assign(w->data.begin(), w->data.end());
    planar->data.scales.resize(scales.size() * 4);
    std::memcpy(planar->data.scales.data(), scales.data(), scales.size() * 4);
    planar->data.group = planar->group;
    out.shape = {n, k};
    out.planar = std::move(planar);
    return out;
  }

  bool gptq = config.method == HFQuantConfig::Method::GPTQ;
  const SafetensorsEntry *qweight, *qzeros, *scales;
  if (Error e = need("qweight", {"I32"}, qweight))
    return std::move(e);
  if (Error e = need("qzeros", {"I32"}, qzeros))
    return std::move(e);
  if (Error e = need("scales", {"F16"}, scales))
    return std::move(e);
  int64_t bits = config.bits, perWord = 32 / bits;
  uint32_t mask = (1u << bits) - 1;
  // GPTQ packs K into words, AWQ packs N.
  int64_t k = gptq ? qweight->shape[0] * perWord : qweight->shape[0];
  int64_t n = gptq ? qweight->shape[1] : qweight->shape[1] * perWord;
  int64_t group = config.group > 0 ? std::min(config.group, k) : k;
  int64_t groups = (k + group - 1) / group;
  if (n % perWord != 0)
    return failure(folder, formatv("tensor '{0}.qweight': {1} output "
                                   "features are not a multiple of {2} (the "
                                   "zero points pack {2} per int32)",
                                   prefix, n, perWord)
                               .str());
  if (SmallVector<int64_t>(scales->shape) != SmallVector<int64_t>{groups, n})
    return wrongShape("scales", *scales, {groups, n});
  if (SmallVector<int64_t>(qzeros->shape) !=
      SmallVector<int64_t>{groups, n / perWord})
    return wrongShape("qzeros", *qzeros, {groups, n / perWord});

  // Codes q[k][n] and zero points z[g][n] as the format stores them.
  static const int awqColumn[8] = {0, 4, 1, 5, 2, 6, 3, 7};
  auto code = [&](int64_t kk, int64_t nn) -> uint32_t {
    if (gptq)
      return (readU32(*qweight, (kk / perWord) * n + nn) >>
              (bits * (kk % perWord))) &
             mask;
    return (readU32(*qweight, kk * (n / 8) + nn / 8) >>
            (4 * awqColumn[nn % 8])) &
           mask;
  };
  auto zero = [&](int64_t g, int64_t nn) -> uint32_t {
    int64_t words = n / perWord;
    if (gptq)
      return ((readU32(*qzeros, g * words + nn / perWord) >>
               (bits * (nn % perWord))) &
              mask) +
             (config.gptqV1Zeros ? 1 : 0);
    return (readU32(*qzeros, g * words + nn / 8) >> (4 * awqColumn[nn % 8])) &
           mask;
  };
  auto scale = [&](int64_t g, int64_t nn) {
    uint16_t h;
    std::memcpy(&h, scales->data.data() + 2 * (g * n + nn), 2);
    return h;
  };

  // The values as f32, each input feature k in group groupOf(k): for what
  // tx.qweight cannot express.
  auto dequantized = [&](auto groupOf, const Twine &why) {
    warnings.push_back("Hugging Face folder '" + folder.str() + "': " +
                       why.str() + "; the weight is dequantized to f32");
    auto data = std::make_unique<std::vector<char>>(n * k * 4);
    float *f = reinterpret_cast<float *>(data->data());
    for (int64_t r = 0; r < n; ++r)
      for (int64_t c = 0; c < k; ++c) {
        int64_t g = groupOf(c);
        f[r * k + c] = (float(code(c, r)) - float(zero(g, r))) *
                       quant::halfToFloat(scale(g, r));
      }
    TensorData dense;
    dense.ggmlType = 0;
    dense.shape = {n, k};
    dense.data = ArrayRef<char>(data->data(), data->size());
    owned.push_back(std::move(data));
    return dense;
  };

  // act-order: the group of input feature k is g_idx[k].
  if (const SafetensorsEntry *gidx = get("g_idx")) {
    if (Error e = need("g_idx", {"I32"}, gidx))
      return std::move(e);
    if (SmallVector<int64_t>(gidx->shape) != SmallVector<int64_t>{k})
      return wrongShape("g_idx", *gidx, {k});
    bool trivial = true;
    for (int64_t i = 0; i < k; ++i) {
      int32_t g = int32_t(readU32(*gidx, i));
      if (g < 0 || g >= groups)
        return failure(folder, formatv("tensor '{0}.g_idx': element {1} is "
                                       "{2}, not a group (0 to {3})",
                                       prefix, i, g, groups - 1)
                                   .str());
      trivial &= g == i / group;
    }
    if (!trivial)
      return dequantized(
          [&](int64_t c) { return int64_t(int32_t(readU32(*gidx, c))); },
          "tensor '" + prefix +
              ".g_idx' orders the groups by activation "
              "(desc_act), which contiguous groups along K cannot express");
  }
  // gptq 8-bit zero points stored as 255 mean 256, past a byte.
  for (int64_t g = 0; g < groups; ++g)
    for (int64_t r = 0; r < n; ++r)
      if (zero(g, r) > 255)
        return dequantized([&](int64_t c) { return c / group; },
                           "tensor '" + prefix +
                               ".qzeros' holds a zero point of 256, "
                               "which a byte cannot hold");

  planar->format = bits == 4 ? quant::Format::Int4 : quant::Format::Int8;
  planar->group = group;
  int64_t rowBytes = k * bits / 8;
  std::vector<uint8_t> &codes = planar->data.codes;
  codes.assign(n * rowBytes, 0);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < k; ++c) {
      uint32_t q = code(c, r);
      if (bits == 8)
        codes[r * rowBytes + c] = uint8_t(q);
      else
        codes[r * rowBytes + c / 2] |= uint8_t(q << (4 * (c % 2)));
    }
  planar->data.scales.resize(n * groups * 2);
  planar->data.zeros.resize(n * groups);
  bool implicitZeros = true;
  for (int64_t r = 0; r < n; ++r)
    for (int64_t g = 0; g < groups; ++g) {
      uint16_t s = scale(g, r);
      std::memcpy(planar->data.scales.data() + 2 * (r * groups + g), &s, 2);
      uint32_t z = zero(g, r);
      planar->data.zeros[r * groups + g] = uint8_t(z);
      implicitZeros &= z == (1u << (bits - 1));
    }
  // Symmetric checkpoints store 2^(bits-1): tx.qweight's default.
  planar->zeroPoints = !implicitZeros;
  if (implicitZeros)
    planar->data.zeros.clear();
  planar->data.group = group;
  out.shape = {n, k};
  out.planar = std::move(planar);
  return out;
}
