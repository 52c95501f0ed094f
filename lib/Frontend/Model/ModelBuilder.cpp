//===- ModelBuilder.cpp - architecture config + named tensors -> tx IR ----===//
//
// Builds raised tx IR for decoder families (Llama-style with RMSNorm, RoPE
// and a gated SiLU MLP: llama, qwen2, mistral, phi3; GPT-2 with LayerNorm,
// learned positions and a GELU MLP) and the BERT encoder, from tensors in
// GGUF naming. Every tensor is checked (present, shape, type) before any IR
// is built, so a bad file gets one error naming the tensor.
//
// The function `main` takes `input_ids` [B, S] (and `position_ids` [B, S]
// for decoders) and returns `logits` [B, S, vocab] (decoders) or
// `last_hidden_state` [B, S, hidden] (BERT). Matrices of a GGUF block
// format become `tx.weight` of their row bytes + `tx.qblocks` and are
// multiplied by `tx.qlinear` (embedding lookups read the same blocks);
// planar quantized matrices (GPTQ / AWQ / FP8 checkpoints) become tx.weight
// codes, scales and zero points + `tx.qpack`; f32 matrices stay
// `tx.linear`. RoPE tables [positions, rotary/2] are
// computed here and stored with the weights.
//
//===----------------------------------------------------------------------===//

#include "txc/Frontend/Model/ModelBuilder.h"
#include "txc/Dialect/Tx/TxOps.h"
#include "txc/Support/GGUF.h"
#include "txc/Support/Safetensors.h"

#include "../../Runtime/kernels/cpu/Quant.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace txc;
using llvm::createStringError;
using llvm::Error;
using llvm::Expected;
using llvm::Twine;

TensorSource::~TensorSource() = default;

namespace {

constexpr uint32_t kF32 = 0, kF16 = 1, kBF16 = 30;

std::string typeName(uint32_t t) { return ggmlTypeName(t); }

/// The tensors a model of `config` reads, with their expected shapes
/// ([rows, cols] or [n]); `optional` ones may be missing.
struct Need {
  std::string name;
  SmallVector<int64_t, 2> shape;
  bool optional = false;
};

class ModelIRBuilder {
public:
  ModelIRBuilder(const ArchConfig &c, const TensorSource &src, MLIRContext &ctx,
          const ModelBuildOptions &opt, SafetensorsWriter *w)
      : c(c), src(src), ctx(ctx), opt(opt), weights(w), b(&ctx),
        loc(UnknownLoc::get(&ctx)) {}

  Expected<OwningOpRef<ModuleOp>> build();

private:
  const ArchConfig &c;
  const TensorSource &src;
  MLIRContext &ctx;
  const ModelBuildOptions &opt;
  SafetensorsWriter *weights;
  OpBuilder b;
  Location loc;
  /// tx.weight values by name (created at the top of the function).
  llvm::StringMap<Value> cache;
  Block *entry = nullptr;
  int64_t B = 1, S = 1;

  bool isDecoder() const { return c.family != ArchConfig::Family::Bert; }
  bool gpt2() const { return c.family == ArchConfig::Family::GPT2; }
  bool bert() const { return c.family == ArchConfig::Family::Bert; }
  bool has(StringRef name) const { return src.find(name) != nullptr; }
  std::string blk(int64_t l, StringRef what) const {
    return llvm::formatv("blk.{0}.{1}", l, what).str();
  }

  Error check();
  Error addWeight(StringRef name, StringRef dtype, ArrayRef<int64_t> shape,
                  ArrayRef<char> data);
  std::vector<float> toF32(const TensorData &t);
  /// Adds `t` to the weights file as f32 (its own bytes when it is F32,
  /// else dequantized), unless there is no file or it is there already.
  Error addF32Weight(StringRef name, const TensorData &t);
  /// Layer `l`'s mixture-of-depths router (blk.l.mod_router.weight and
  /// .bias), when the checkpoint has one: into the weights file, where
  /// tx-mod-prune router=checkpoint finds it; nothing in the IR reads it.
  Error addRouterWeights(int64_t l) {
    for (const char *part : {"mod_router.weight", "mod_router.bias"})
      if (const TensorData *t = src.find(blk(l, part)))
        if (Error e = addF32Weight(blk(l, part), *t))
          return e;
    return Error::success();
  }

  RankedTensorType t(ArrayRef<int64_t> shape, Type e = {}) {
    return RankedTensorType::get(shape, e ? e : b.getF32Type());
  }
  Value splat(ArrayRef<int64_t> shape, double v) {
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(t(shape), b.getF32FloatAttr(v)));
  }
  Value weightOp(StringRef name, RankedTensorType type);
  Expected<Value> vector(StringRef name);
  Expected<Value> matrix(StringRef name);
  Expected<Value> planarMatrix(StringRef name, const TensorData &tensor);
  Value linear(Value x, Value w, Value bias);
  Expected<Value> linearNamed(Value x, StringRef weight, StringRef bias);
  Value norm(Value x, Value w, Value bias);
  Value heads(Value x, int64_t n);
  Value mergeHeads(Value x);
  Value slice(Value x, int64_t offset, int64_t size);
  Value gelu(Value x, bool tanhApprox);
  Value silu(Value x);
  tx::LayerOp beginLayer(int64_t l, Value h, Value &x);
  Value attention(Value q, Value k, Value v, tx::MaskKind kind,
                  int64_t window);
  Expected<Value> decoderLayer(int64_t l, Value h, Value positions,
                               Value cosT, Value sinT);
  Expected<Value> bertLayer(int64_t l, Value h);
  Expected<std::pair<Value, Value>> ropeTables();
};

Error ModelIRBuilder::addWeight(StringRef name, StringRef dtype,
                         ArrayRef<int64_t> shape, ArrayRef<char> data) {
  if (!weights || weights->contains(name))
    return Error::success();
  return weights->add(name, dtype, shape, data);
}

std::vector<float> ModelIRBuilder::toF32(const TensorData &t) {
  int64_t rows = t.shape.size() == 2 ? t.shape[0] : 1;
  int64_t cols = t.shape.back();
  if (t.planar)
    return txc::quant::dequantize(t.planar->data, t.planar->format, rows, cols);
  std::vector<float> out(rows * cols);
  int64_t rowBytes = txc_qrow_bytes(t.ggmlType, cols);
  for (int64_t r = 0; r < rows; ++r)
    txc_qdequantize_row(t.ggmlType, t.data.data() + r * rowBytes,
                        out.data() + r * cols, cols);
  return out;
}

Error ModelIRBuilder::addF32Weight(StringRef name, const TensorData &t) {
  if (!weights || weights->contains(name))
    return Error::success();
  if (t.ggmlType == kF32)
    return weights->add(name, "F32", t.shape, t.data);
  std::vector<float> values = toF32(t);
  return weights->add(name, "F32", t.shape,
                      ArrayRef<char>(reinterpret_cast<const char *>(
                                         values.data()),
                                     values.size() * sizeof(float)));
}

Error ModelIRBuilder::check() {
  auto err = [&](const Twine &msg) {
    return createStringError(src.describe() + ": " + msg);
  };
  if (c.vocab <= 0 || c.hidden <= 0 || c.layers <= 0 || c.heads <= 0 ||
      c.kvHeads <= 0 || c.headDim <= 0 || c.ff <= 0)
    return err(llvm::formatv("invalid dimensions (vocab {0}, hidden {1}, "
                             "layers {2}, heads {3}, kv heads {4}, head dim "
                             "{5}, feed-forward {6})",
                             c.vocab, c.hidden, c.layers, c.heads, c.kvHeads,
                             c.headDim, c.ff)
                   .str());
  if (c.heads % c.kvHeads != 0)
    return err(llvm::formatv("{0} attention heads are not a multiple of {1} "
                             "KV heads",
                             c.heads, c.kvHeads)
                   .str());
  if (!gpt2() && !bert() &&
      (c.ropeDim <= 0 || c.ropeDim > c.headDim || c.ropeDim % 2))
    return err(llvm::formatv("rotary dimension {0} must be even and at most "
                             "the head dimension {1}",
                             c.ropeDim, c.headDim)
                   .str());

  if (bert() && c.typeVocab <= 0)
    return err(llvm::formatv("{0} token types: type 0 needs a row", c.typeVocab)
                   .str());
  // Every layer has an attention output: its absence for the last layer
  // rejects a layer count larger than the file before anything is sized by
  // it.
  if (!has(blk(c.layers - 1, "attn_output.weight")))
    return err("tensor '" + blk(c.layers - 1, "attn_output.weight") +
               "' is missing (architecture " + c.name + ", " + Twine(c.layers) +
               " layers)");

  int64_t H = c.hidden, D = c.headDim, q = c.heads * D, kv = c.kvHeads * D;
  std::vector<Need> needs;
  needs.push_back({"token_embd.weight", {c.vocab, H}});
  if (gpt2() || bert())
    needs.push_back({"position_embd.weight", {c.maxPositions, H}});
  if (bert()) {
    needs.push_back({"token_types.weight", {c.typeVocab, H}});
    needs.push_back({"token_embd_norm.weight", {H}});
    needs.push_back({"token_embd_norm.bias", {H}});
  }
  for (int64_t l = 0; l < c.layers; ++l) {
    bool fused = has(blk(l, "attn_qkv.weight"));
    if (!bert())
      needs.push_back({blk(l, "attn_norm.weight"), {H}});
    if (gpt2())
      needs.push_back({blk(l, "attn_norm.bias"), {H}});
    if (fused) {
      needs.push_back({blk(l, "attn_qkv.weight"), {q + 2 * kv, H}});
      needs.push_back({blk(l, "attn_qkv.bias"), {q + 2 * kv}, true});
    } else {
      for (auto [n, rows] : {std::pair<const char *, int64_t>{"attn_q", q},
                             {"attn_k", kv},
                             {"attn_v", kv}}) {
        needs.push_back({blk(l, n) + ".weight", {rows, H}});
        needs.push_back({blk(l, n) + ".bias", {rows}, true});
      }
    }
    needs.push_back({blk(l, "attn_output.weight"), {H, q}});
    needs.push_back({blk(l, "attn_output.bias"), {H}, true});
    if (bert()) {
      needs.push_back({blk(l, "attn_output_norm.weight"), {H}});
      needs.push_back({blk(l, "attn_output_norm.bias"), {H}});
      needs.push_back({blk(l, "layer_output_norm.weight"), {H}});
      needs.push_back({blk(l, "layer_output_norm.bias"), {H}});
    } else {
      needs.push_back({blk(l, "ffn_norm.weight"), {H}});
      if (gpt2())
        needs.push_back({blk(l, "ffn_norm.bias"), {H}});
    }
    bool gated = !gpt2() && !bert();
    // Phi-3 stores gate and up in one matrix; Llama-style models need a
    // separate gate.
    if (c.family == ArchConfig::Family::Phi3 &&
        !has(blk(l, "ffn_gate.weight"))) {
      needs.push_back({blk(l, "ffn_up.weight"), {2 * c.ff, H}});
    } else {
      if (gated)
        needs.push_back({blk(l, "ffn_gate.weight"), {c.ff, H}});
      needs.push_back({blk(l, "ffn_up.weight"), {c.ff, H}});
    }
    needs.push_back({blk(l, "ffn_up.bias"), {c.ff}, true});
    needs.push_back({blk(l, "ffn_down.weight"), {H, c.ff}});
    needs.push_back({blk(l, "ffn_down.bias"), {H}, true});
  }
  if (!bert()) {
    needs.push_back({"output_norm.weight", {H}});
    if (gpt2())
      needs.push_back({"output_norm.bias", {H}});
    needs.push_back({"output.weight", {c.vocab, H}, true});
  }
  if (!gpt2() && !bert())
    needs.push_back({"rope_freqs.weight", {c.ropeDim / 2}, true});

  // Mixture-of-depths routers a checkpoint may ship (blk.I.mod_router:
  // Linear(H -> 1), weight [H] or [1, H], optional bias [1]), read by
  // tx-mod-prune router=checkpoint through the weights.
  for (int64_t l = 0; l < c.layers; ++l)
    for (const char *part : {"weight", "bias"}) {
      std::string name = blk(l, std::string("mod_router.") + part);
      const TensorData *tensor = src.find(name);
      if (!tensor)
        continue;
      int64_t n = 1;
      for (int64_t d : tensor->shape)
        n *= d;
      if (n != (StringRef(part) == "weight" ? H : 1) ||
          tensor->shape.size() > 2)
        return err("tensor '" + name + "' must hold " +
                   (StringRef(part) == "weight" ? Twine(H) : Twine(1)) +
                   " values (a router Linear(" + Twine(H) + " -> 1))");
    }
  for (const Need &n : needs) {
    const TensorData *tensor = src.find(n.name);
    if (!tensor) {
      if (n.optional)
        continue;
      return err("tensor '" + n.name + "' is missing (architecture " +
                 c.name + ", " + Twine(c.layers) + " layers)");
    }
    if (SmallVector<int64_t, 2>(tensor->shape) != n.shape) {
      std::string got, want;
      llvm::raw_string_ostream g(got), w(want);
      llvm::interleave(tensor->shape, g, "x");
      llvm::interleave(n.shape, w, "x");
      return err("tensor '" + n.name + "' has shape [" + got +
                 "] (rows x columns), but the metadata implies [" + want +
                 "]");
    }
    bool isMatrix = n.shape.size() == 2;
    if (tensor->planar) {
      // Checked against its own shape when it was read (HFQuant.cpp).
      if (!isMatrix)
        return err("tensor '" + n.name + "' is quantized but is a vector");
      continue;
    }
    uint32_t type = tensor->ggmlType;
    bool dense = type == kF32 || type == kF16 || type == kBF16;
    if (!txc_qtype_supported(static_cast<int32_t>(type)) ||
        (!isMatrix && !dense))
      return err("tensor '" + n.name + "' has type " + typeName(type) +
                 ", which txc does not support" +
                 (isMatrix ? " (supported: F32, F16, BF16, Q4_0, Q4_1, Q5_0, "
                             "Q5_1, Q8_0, Q4_K, Q5_K, Q6_K)"
                           : " for a vector (F32, F16 or BF16)"));
    int64_t block = txc_qblock_values(type);
    if (n.shape.back() % block != 0)
      return err("tensor '" + n.name + "' has rows of " +
                 Twine(n.shape.back()) + " values, not a multiple of the " +
                 typeName(type) + " block (" + Twine(block) + ")");
    int64_t rows = isMatrix ? n.shape[0] : 1;
    if (int64_t(tensor->data.size()) !=
        rows * txc_qrow_bytes(type, n.shape.back()))
      return err("tensor '" + n.name + "' has " +
                 Twine(tensor->data.size()) + " bytes, expected " +
                 Twine(rows * txc_qrow_bytes(type, n.shape.back())));
  }
  return Error::success();
}

Value ModelIRBuilder::weightOp(StringRef name, RankedTensorType type) {
  auto it = cache.find(name);
  if (it != cache.end())
    return it->second;
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(entry);
  Value v = tx::WeightOp::create(b, loc, type, b.getStringAttr(name));
  cache[name] = v;
  return v;
}

/// A 1-D tensor as f32.
Expected<Value> ModelIRBuilder::vector(StringRef name) {
  const TensorData *tensor = src.find(name);
  int64_t n = tensor->shape.back();
  if (Error e = addF32Weight(name, *tensor))
    return std::move(e);
  return weightOp(name, t({n}));
}

/// A matrix [N, K]: an f32 tensor (F32 files, or --quantize=f32) or a
/// block-format !tx.qweight.
Expected<Value> ModelIRBuilder::matrix(StringRef name) {
  const TensorData *tensor = src.find(name);
  int64_t n = tensor->shape[0], k = tensor->shape[1];
  uint32_t type = tensor->ggmlType;
  if (type == kF32 || opt.dequantize) {
    if (Error e = addF32Weight(name, *tensor))
      return std::move(e);
    return weightOp(name, t({n, k}));
  }
  if (tensor->planar)
    return planarMatrix(name, *tensor);
  std::optional<tx::QuantKind> kind = tx::quantKindForGGMLType(type);
  auto qtype = tx::QWeightType::get(&ctx, {n, k}, *kind,
                                    tx::blockLayout(*kind)->values,
                                    b.getF16Type(), false);
  int64_t rowBytes = qtype.getRowBytes();
  if (Error e = addWeight(name, "I8", {n, rowBytes}, tensor->data))
    return std::move(e);
  std::string key = (name + "#q").str();
  auto it = cache.find(key);
  if (it != cache.end())
    return it->second;
  Value bytes = weightOp(name, t({n, rowBytes}, b.getI8Type()));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointAfterValue(bytes);
  Value q = tx::QBlocksOp::create(b, loc, qtype, bytes);
  cache[key] = q;
  return q;
}

/// A planar quantized matrix: its codes, scales and zero points as
/// `NAME.codes`, `NAME.scales`, `NAME.zeros` (the layouts tx-quantize
/// writes) and a tx.qpack of them.
Expected<Value> ModelIRBuilder::planarMatrix(StringRef name,
                                             const TensorData &tensor) {
  std::string key = (name + "#q").str();
  if (auto it = cache.find(key); it != cache.end())
    return it->second;
  const PlanarWeight &p = *tensor.planar;
  int64_t n = tensor.shape[0], k = tensor.shape[1];
  int64_t groups = (k + p.group - 1) / p.group;
  unsigned bits = txc::quant::codeBits(p.format);
  txc::quant::PlanarLayout layout = txc::quant::planarLayout(p.format);
  auto chars = [](const std::vector<uint8_t> &v) {
    return ArrayRef<char>(reinterpret_cast<const char *>(v.data()), v.size());
  };
  std::string codes = (name + ".codes").str();
  std::string scales = (name + ".scales").str();
  std::string zeros = (name + ".zeros").str();
  SmallVector<int64_t> codeShape = {n, bits < 8 ? k * bits / 8 : k};
  if (Error e =
          addWeight(codes, layout.codeDType, codeShape, chars(p.data.codes)))
    return std::move(e);
  if (Error e = addWeight(scales, layout.scaleDType, {n, groups},
                          chars(p.data.scales)))
    return std::move(e);
  if (p.zeroPoints)
    if (Error e = addWeight(zeros, "I8", {n, groups}, chars(p.data.zeros)))
      return std::move(e);
  Type codeType, scaleType = b.getF16Type();
  tx::QuantKind kind;
  switch (p.format) {
  case txc::quant::Format::Int8:
    codeType = b.getI8Type(), kind = tx::QuantKind::int8;
    break;
  case txc::quant::Format::Int4:
    codeType = b.getIntegerType(4), kind = tx::QuantKind::int4;
    break;
  default:
    codeType = Float8E4M3FNType::get(&ctx), kind = tx::QuantKind::fp8_e4m3;
    scaleType = b.getF32Type();
    break;
  }
  Value codesV = weightOp(codes, t({n, k}, codeType));
  Value scalesV = weightOp(scales, t({n, groups}, scaleType));
  Value zerosV =
      p.zeroPoints ? weightOp(zeros, t({n, groups}, b.getI8Type())) : Value();
  OpBuilder::InsertionGuard guard(b);
  // tx.weight ops sit at the top of the function, each new one first.
  Operation *last = codesV.getDefiningOp();
  for (Value v : {scalesV, zerosV})
    if (v && last->isBeforeInBlock(v.getDefiningOp()))
      last = v.getDefiningOp();
  b.setInsertionPointAfter(last);
  auto type = tx::QWeightType::get(&ctx, {n, k}, kind, p.group, scaleType,
                                   p.zeroPoints);
  Value q = tx::QPackOp::create(b, loc, type, codesV, scalesV, zerosV,
                                FloatAttr());
  cache[key] = q;
  return q;
}

Value ModelIRBuilder::linear(Value x, Value w, Value bias) {
  auto xt = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> shape(xt.getShape());
  int64_t n = isa<tx::QWeightType>(w.getType())
                  ? cast<tx::QWeightType>(w.getType()).getOutFeatures()
                  : cast<RankedTensorType>(w.getType()).getDimSize(0);
  shape.back() = n;
  if (isa<tx::QWeightType>(w.getType()))
    return tx::QLinearOp::create(b, loc, t(shape), x, w, bias);
  return tx::LinearOp::create(b, loc, t(shape), x, w, bias);
}

Expected<Value> ModelIRBuilder::linearNamed(Value x, StringRef weight,
                                     StringRef bias) {
  Expected<Value> w = matrix(weight);
  if (!w)
    return w.takeError();
  Value bv;
  if (!bias.empty() && has(bias)) {
    Expected<Value> bb = vector(bias);
    if (!bb)
      return bb.takeError();
    bv = *bb;
  }
  return linear(x, *w, bv);
}

Value ModelIRBuilder::norm(Value x, Value w, Value bias) {
  if (gpt2() || bert())
    return tx::LayerNormOp::create(b, loc, x.getType(), x, w, bias,
                                   b.getF64FloatAttr(c.normEps));
  return tx::RMSNormOp::create(b, loc, x.getType(), x, w,
                               b.getF64FloatAttr(c.normEps));
}

/// [B, S, n*D] -> [B, n, S, D].
Value ModelIRBuilder::heads(Value x, int64_t n) {
  int64_t D = c.headDim;
  Value e = tensor::ExpandShapeOp::create(
      b, loc, t({B, S, n, D}), x,
      ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}});
  Value init = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{B, n, S, D},
                                       b.getF32Type());
  return linalg::TransposeOp::create(b, loc, e, init,
                                     ArrayRef<int64_t>{0, 2, 1, 3})
      .getResult()[0];
}

/// [B, n, S, D] -> [B, S, n*D].
Value ModelIRBuilder::mergeHeads(Value x) {
  auto xt = cast<RankedTensorType>(x.getType());
  int64_t n = xt.getDimSize(1), D = xt.getDimSize(3);
  Value init = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{B, S, n, D},
                                       b.getF32Type());
  Value tr = linalg::TransposeOp::create(b, loc, x, init,
                                         ArrayRef<int64_t>{0, 2, 1, 3})
                 .getResult()[0];
  return tensor::CollapseShapeOp::create(
      b, loc, tr, ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}});
}

/// Columns [offset, offset + size) of the last dimension of x [B, S, N].
Value ModelIRBuilder::slice(Value x, int64_t offset, int64_t size) {
  SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), b.getIndexAttr(0),
                                       b.getIndexAttr(offset)};
  SmallVector<OpFoldResult> sizes = {b.getIndexAttr(B), b.getIndexAttr(S),
                                     b.getIndexAttr(size)};
  SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(b, loc, t({B, S, size}), x, offsets,
                                        sizes, strides);
}

Value ModelIRBuilder::silu(Value x) {
  Value sig = tosa::SigmoidOp::create(b, loc, x.getType(), x);
  return arith::MulFOp::create(b, loc, x, sig);
}

/// GELU: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) or
/// 0.5 x (1 + erf(x / sqrt(2))).
Value ModelIRBuilder::gelu(Value x, bool tanhApprox) {
  auto shape = cast<RankedTensorType>(x.getType()).getShape();
  Value inner;
  if (tanhApprox) {
    Value x3 = arith::MulFOp::create(
        b, loc, arith::MulFOp::create(b, loc, x, x), x);
    Value sum = arith::AddFOp::create(
        b, loc, x, arith::MulFOp::create(b, loc, x3, splat(shape, 0.044715)));
    inner = math::TanhOp::create(
        b, loc,
        arith::MulFOp::create(b, loc, sum,
                              splat(shape, std::sqrt(2.0 / M_PI))));
  } else {
    inner = math::ErfOp::create(
        b, loc, arith::MulFOp::create(b, loc, x, splat(shape, M_SQRT1_2)));
  }
  Value onePlus = arith::AddFOp::create(b, loc, inner, splat(shape, 1.0));
  return arith::MulFOp::create(
      b, loc, arith::MulFOp::create(b, loc, x, splat(shape, 0.5)), onePlus);
}

Expected<std::pair<Value, Value>> ModelIRBuilder::ropeTables() {
  int64_t half = c.ropeDim / 2;
  int64_t rows = std::max<int64_t>({opt.positions, S, 1});
  std::vector<float> cosv(rows * half), sinv(rows * half);
  std::vector<float> factors(half, 1.0f);
  if (const TensorData *f = src.find("rope_freqs.weight"))
    factors = toF32(*f);
  for (int64_t i = 0; i < half; ++i) {
    double inv = std::pow(c.ropeBase, -2.0 * double(i) / double(c.ropeDim)) /
                 double(factors[i]);
    for (int64_t p = 0; p < rows; ++p) {
      double angle = double(p) / c.ropeScale * inv;
      cosv[p * half + i] = float(std::cos(angle));
      sinv[p * half + i] = float(std::sin(angle));
    }
  }
  auto bytes = [](const std::vector<float> &v) {
    return ArrayRef<char>(reinterpret_cast<const char *>(v.data()),
                          v.size() * sizeof(float));
  };
  // The tables depend on the compile's positions: a name per size.
  std::string cosName = llvm::formatv("txc.rope_cos.{0}", rows).str();
  std::string sinName = llvm::formatv("txc.rope_sin.{0}", rows).str();
  if (Error e = addWeight(cosName, "F32", {rows, half}, bytes(cosv)))
    return std::move(e);
  if (Error e = addWeight(sinName, "F32", {rows, half}, bytes(sinv)))
    return std::move(e);
  return std::make_pair(weightOp(cosName, t({rows, half})),
                        weightOp(sinName, t({rows, half})));
}

#define TRY(var, expr)                                                         \
  auto var##OrErr = (expr);                                                    \
  if (!var##OrErr)                                                             \
    return var##OrErr.takeError();                                             \
  Value var = *var##OrErr;

/// A tx.layer with index `l` over the residual stream `h`, its block
/// argument in `x`; the insertion point moves into its body.
tx::LayerOp ModelIRBuilder::beginLayer(int64_t l, Value h, Value &x) {
  auto layer = tx::LayerOp::create(b, loc, TypeRange{h.getType()},
                                   b.getI64IntegerAttr(l), ValueRange{h});
  Block *body = new Block();
  layer.getBody().push_back(body);
  x = body->addArgument(h.getType(), loc);
  b.setInsertionPointToStart(body);
  return layer;
}

/// tx.attention with scale 1/sqrt(head_dim) and mask `kind` (`window` > 0
/// for sliding_window).
Value ModelIRBuilder::attention(Value q, Value k, Value v, tx::MaskKind kind,
                                int64_t window) {
  tx::AttentionOptions options;
  options.mask = kind;
  options.scale = 1.0 / std::sqrt(double(c.headDim));
  if (window > 0)
    options.window = window;
  return tx::AttentionOp::create(b, loc, q.getType(), q, k, v, options);
}

Expected<Value> ModelIRBuilder::decoderLayer(int64_t l, Value h, Value positions,
                                      Value cosT, Value sinT) {
  int64_t q = c.heads * c.headDim, kv = c.kvHeads * c.headDim;
  OpBuilder::InsertionGuard guard(b);
  Value x;
  tx::LayerOp layer = beginLayer(l, h, x);
  if (Error e = addRouterWeights(l))
    return std::move(e);

  TRY(n1w, vector(blk(l, "attn_norm.weight")));
  Value n1b;
  if (gpt2()) {
    TRY(bias, vector(blk(l, "attn_norm.bias")));
    n1b = bias;
  }
  Value n1 = norm(x, n1w, n1b);
  Value qv, kvv, vv;
  if (has(blk(l, "attn_qkv.weight"))) {
    TRY(qkv, linearNamed(n1, blk(l, "attn_qkv.weight"),
                         blk(l, "attn_qkv.bias")));
    qv = slice(qkv, 0, q);
    kvv = slice(qkv, q, kv);
    vv = slice(qkv, q + kv, kv);
  } else {
    TRY(qq, linearNamed(n1, blk(l, "attn_q.weight"), blk(l, "attn_q.bias")));
    TRY(kk, linearNamed(n1, blk(l, "attn_k.weight"), blk(l, "attn_k.bias")));
    TRY(vvv, linearNamed(n1, blk(l, "attn_v.weight"), blk(l, "attn_v.bias")));
    qv = qq;
    kvv = kk;
    vv = vvv;
  }
  Value qh = heads(qv, c.heads), kh = heads(kvv, c.kvHeads),
        vh = heads(vv, c.kvHeads);
  if (cosT) {
    UnitAttr interleaved = c.ropeInterleaved ? b.getUnitAttr() : UnitAttr();
    qh = tx::RopeOp::create(b, loc, qh.getType(), qh, cosT, sinT, positions,
                            interleaved);
    kh = tx::RopeOp::create(b, loc, kh.getType(), kh, cosT, sinT, positions,
                            interleaved);
  }
  Value attn = attention(qh, kh, vh,
                         c.slidingWindow > 0 ? tx::MaskKind::sliding_window
                                             : tx::MaskKind::causal,
                         c.slidingWindow);
  Value merged = mergeHeads(attn);
  TRY(o, linearNamed(merged, blk(l, "attn_output.weight"),
                     blk(l, "attn_output.bias")));
  Value r1 = arith::AddFOp::create(b, loc, x, o);

  TRY(n2w, vector(blk(l, "ffn_norm.weight")));
  Value n2b;
  if (gpt2()) {
    TRY(bias, vector(blk(l, "ffn_norm.bias")));
    n2b = bias;
  }
  Value n2 = norm(r1, n2w, n2b);
  Value act;
  if (gpt2()) {
    TRY(up, linearNamed(n2, blk(l, "ffn_up.weight"), blk(l, "ffn_up.bias")));
    act = gelu(up, /*tanhApprox=*/true);
  } else if (has(blk(l, "ffn_gate.weight"))) {
    TRY(g, linearNamed(n2, blk(l, "ffn_gate.weight"), ""));
    TRY(u, linearNamed(n2, blk(l, "ffn_up.weight"), ""));
    act = arith::MulFOp::create(b, loc, silu(g), u);
  } else { // phi3: gate and up in one matrix, gate first
    TRY(gu, linearNamed(n2, blk(l, "ffn_up.weight"), ""));
    act = arith::MulFOp::create(b, loc, silu(slice(gu, 0, c.ff)),
                                slice(gu, c.ff, c.ff));
  }
  TRY(d, linearNamed(act, blk(l, "ffn_down.weight"), blk(l, "ffn_down.bias")));
  Value r2 = arith::AddFOp::create(b, loc, r1, d);
  tx::YieldOp::create(b, loc, ValueRange{r2});
  return layer.getResult(0);
}

Expected<Value> ModelIRBuilder::bertLayer(int64_t l, Value h) {
  OpBuilder::InsertionGuard guard(b);
  Value x;
  tx::LayerOp layer = beginLayer(l, h, x);
  if (Error e = addRouterWeights(l))
    return std::move(e);
  TRY(qq, linearNamed(x, blk(l, "attn_q.weight"), blk(l, "attn_q.bias")));
  TRY(kk, linearNamed(x, blk(l, "attn_k.weight"), blk(l, "attn_k.bias")));
  TRY(vvv, linearNamed(x, blk(l, "attn_v.weight"), blk(l, "attn_v.bias")));
  Value qh = heads(qq, c.heads), kh = heads(kk, c.kvHeads),
        vh = heads(vvv, c.kvHeads);
  Value attn = attention(qh, kh, vh, tx::MaskKind::none, 0);
  TRY(o, linearNamed(mergeHeads(attn), blk(l, "attn_output.weight"),
                     blk(l, "attn_output.bias")));
  TRY(n1w, vector(blk(l, "attn_output_norm.weight")));
  TRY(n1b, vector(blk(l, "attn_output_norm.bias")));
  Value h1 = norm(arith::AddFOp::create(b, loc, x, o), n1w, n1b);
  TRY(up, linearNamed(h1, blk(l, "ffn_up.weight"), blk(l, "ffn_up.bias")));
  TRY(down, linearNamed(gelu(up, /*tanhApprox=*/false),
                        blk(l, "ffn_down.weight"), blk(l, "ffn_down.bias")));
  TRY(n2w, vector(blk(l, "layer_output_norm.weight")));
  TRY(n2b, vector(blk(l, "layer_output_norm.bias")));
  Value h2 = norm(arith::AddFOp::create(b, loc, h1, down), n2w, n2b);
  tx::YieldOp::create(b, loc, ValueRange{h2});
  return layer.getResult(0);
}

Expected<OwningOpRef<ModuleOp>> ModelIRBuilder::build() {
  if (Error e = check())
    return std::move(e);
  B = opt.batch;
  S = opt.sequence;
  if (B <= 0 || S <= 0)
    return createStringError("batch and sequence must be positive");
  if ((gpt2() || bert()) && std::max(S, opt.positions) > c.maxPositions)
    return createStringError(src.describe() + ": " +
                             Twine(std::max(S, opt.positions)) +
                             " positions asked for, but the model's position "
                             "table has " +
                             Twine(c.maxPositions) + " rows");

  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  if (!opt.weightsFileName.empty())
    (*module)->setAttr("tx.weights", b.getStringAttr(opt.weightsFileName));
  b.setInsertionPointToEnd(module->getBody());
  Type i64 = b.getI64Type();
  SmallVector<Type> inputs = {t({B, S}, i64)};
  if (isDecoder())
    inputs.push_back(t({B, S}, i64));
  int64_t outWidth = isDecoder() ? c.vocab : c.hidden;
  auto func = func::FuncOp::create(
      b, loc, "main", b.getFunctionType(inputs, {t({B, S, outWidth})}));
  func.setArgAttr(0, "tx.name", b.getStringAttr("input_ids"));
  tx::setInputRole(func, 0, tx::InputRole::token_ids);
  if (isDecoder()) {
    func.setArgAttr(1, "tx.name", b.getStringAttr("position_ids"));
    tx::setInputRole(func, 1, tx::InputRole::positions);
  }
  func.setResultAttr(0, "tx.name",
                     b.getStringAttr(isDecoder() ? "logits"
                                                 : "last_hidden_state"));
  entry = func.addEntryBlock();
  b.setInsertionPointToEnd(entry);
  Value ids = entry->getArgument(0);
  Value positions = isDecoder() ? entry->getArgument(1) : Value();

  // Embeddings.
  const TensorData *embd = src.find("token_embd.weight");
  Value table;
  if (embd->ggmlType == kF32 || opt.dequantize || embd->ggmlType == kF16 ||
      embd->ggmlType == kBF16) {
    // Dense tables are looked up in f32 (F16/BF16 tables are widened; the
    // LM head, when tied, multiplies the same f32 copy).
    std::string name = "token_embd.weight";
    if (Error e = addF32Weight(name, *embd))
      return std::move(e);
    table = weightOp(name, t({c.vocab, c.hidden}));
  } else {
    TRY(q, matrix("token_embd.weight"));
    table = q;
  }
  Value h = tx::EmbeddingOp::create(b, loc, t({B, S, c.hidden}), table, ids);
  if (gpt2() || bert()) {
    TRY(posTable, matrix("position_embd.weight"));
    Value posIds = positions;
    if (bert()) {
      SmallVector<int64_t> p(B * S);
      for (int64_t i = 0; i < B * S; ++i)
        p[i] = i % S;
      posIds = arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(t({B, S}, i64), ArrayRef(p)));
    }
    Value pe = tx::EmbeddingOp::create(b, loc, t({B, S, c.hidden}), posTable,
                                       posIds);
    h = arith::AddFOp::create(b, loc, h, pe);
  }
  if (bert()) {
    TRY(types, matrix("token_types.weight"));
    Value zeros = arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(t({B, S}, i64), b.getI64IntegerAttr(0)));
    Value te =
        tx::EmbeddingOp::create(b, loc, t({B, S, c.hidden}), types, zeros);
    h = arith::AddFOp::create(b, loc, h, te);
    TRY(nw, vector("token_embd_norm.weight"));
    TRY(nb, vector("token_embd_norm.bias"));
    h = norm(h, nw, nb);
  }

  Value cosT, sinT;
  if (isDecoder() && !gpt2()) {
    auto tables = ropeTables();
    if (!tables)
      return tables.takeError();
    std::tie(cosT, sinT) = *tables;
  }
  for (int64_t l = 0; l < c.layers; ++l) {
    auto next = bert() ? bertLayer(l, h) : decoderLayer(l, h, positions, cosT,
                                                        sinT);
    if (!next)
      return next.takeError();
    h = *next;
  }
  Value out = h;
  if (isDecoder()) {
    TRY(nw, vector("output_norm.weight"));
    Value nb;
    if (gpt2()) {
      TRY(bias, vector("output_norm.bias"));
      nb = bias;
    }
    Value normed = norm(h, nw, nb);
    Value head;
    if (has("output.weight")) {
      TRY(w, matrix("output.weight"));
      head = w;
    } else {
      head = table; // tied
    }
    out = linear(normed, head, Value());
  }
  func::ReturnOp::create(b, loc, ValueRange{out});
  return std::move(module);
}

#undef TRY

} // namespace

Expected<OwningOpRef<ModuleOp>>
txc::buildModel(const ArchConfig &config, const TensorSource &tensors,
                MLIRContext &context, const ModelBuildOptions &options,
                SafetensorsWriter *weights) {
  context.loadDialect<tx::TxDialect, func::FuncDialect, arith::ArithDialect,
                      tensor::TensorDialect, linalg::LinalgDialect,
                      math::MathDialect, tosa::TosaDialect>();
  ModelIRBuilder builder(config, tensors, context, options, weights);
  return builder.build();
}
