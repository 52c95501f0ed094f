//===- Quantize.cpp - tx-quantize: weights of linears to a quantized format ===//
//
// For each tx.linear / tx.qlinear whose weight is stored (a tx.weight, or a
// tx.qblocks / tx.qpack of tx.weights), reads the weight's values through
// the context's WeightStore, quantizes them (txc/Support/Quantize.h) and
// adds the codes, scales and zero points as new tensors named after the
// weight and the scheme (`<weight>.int4g32.codes`, ...). The linear becomes
// a tx.qlinear on a tx.qpack (or a tx.qblocks for f16/bf16, a tx.linear
// for f32) of new tx.weight ops placed beside the old weight, which
// disappears once unused. A tensor the store already holds under the same
// name is reused, so compiling two steps of one model (decode and prefill)
// quantizes each weight once.
//
//===----------------------------------------------------------------------===//

#include "txc/Dialect/Tx/TxOps.h"
#include "txc/Dialect/Tx/WeightStore.h"
#include "txc/Passes/Passes.h"
#include "txc/Support/Quantize.h"
#include "txc/Support/Safetensors.h"

#include "../lib/Runtime/kernels/cpu/Quant.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/GlobPattern.h"

#include <cmath>
#include <cstdio>
#include <cstring>

namespace txc {
#define GEN_PASS_DEF_QUANTIZEPASS
#include "txc/Passes/Passes.h.inc"
} // namespace txc

using namespace mlir;
using namespace txc;
using quant::Format;

namespace {

//===----------------------------------------------------------------------===//
// A store over the module's weights file (tx-opt, no compiler)
//===----------------------------------------------------------------------===//

class FileWeightStore : public tx::WeightStore {
public:
  explicit FileWeightStore(std::unique_ptr<SafetensorsFile> file)
      : file(std::move(file)) {}

  llvm::Expected<tx::StoredTensor> lookup(StringRef name) override {
    if (std::optional<SafetensorsEntry> e = added.lookup(name))
      return tx::StoredTensor{e->dtype, e->shape, e->data};
    if (const SafetensorsEntry *e = file->lookup(name))
      return tx::StoredTensor{e->dtype, e->shape, e->data};
    return llvm::createStringError("the weights file has no tensor '%s'",
                                   name.str().c_str());
  }
  bool contains(StringRef name) override {
    return added.contains(name) || file->lookup(name);
  }
  llvm::Error add(StringRef name, StringRef dtype, ArrayRef<int64_t> shape,
                  ArrayRef<char> bytes) override {
    if (file->lookup(name))
      return llvm::createStringError(
          "the weights file has a tensor '%s' already", name.str().c_str());
    return added.add(name, dtype, shape, bytes);
  }

  /// Writes the tensors `names` (old and new) to `path`.
  llvm::Error write(const llvm::SetVector<StringRef> &names, StringRef path) {
    SafetensorsWriter out;
    for (StringRef name : names) {
      llvm::Expected<tx::StoredTensor> t = lookup(name);
      if (!t)
        return t.takeError();
      if (llvm::Error err = out.add(name, t->dtype, t->shape, t->bytes))
        return err;
    }
    return out.write(path);
  }

private:
  std::unique_ptr<SafetensorsFile> file;
  SafetensorsWriter added;
};

//===----------------------------------------------------------------------===//
// Reading a weight's values
//===----------------------------------------------------------------------===//

/// Where a linear's weight comes from.
struct Source {
  Operation *def = nullptr; // tx.weight, tx.qblocks or tx.qpack
  std::string name;         // the tx.weight the values are read from
  int64_t n = 0, k = 0;
  bool dense = false;       // a tx.weight of floats
};

tx::WeightOp weightDef(Value v) {
  return tx::lookThroughLayerArgs(v).getDefiningOp<tx::WeightOp>();
}

std::optional<Source> findSource(Value weight) {
  weight = tx::lookThroughLayerArgs(weight);
  // A dense weight made from a quantized one (MatMulNBits below
  // accuracy_level 4) is that quantized weight's values.
  if (auto dequant = weight.getDefiningOp<tx::DequantOp>())
    weight = tx::lookThroughLayerArgs(dequant.getWeight());
  Operation *def = weight.getDefiningOp();
  Source s;
  s.def = def;
  if (auto w = dyn_cast_if_present<tx::WeightOp>(def)) {
    auto type = cast<RankedTensorType>(w.getType());
    if (type.getRank() != 2 || !isa<FloatType>(type.getElementType()))
      return std::nullopt;
    s.name = w.getName().str();
    s.n = type.getDimSize(0);
    s.k = type.getDimSize(1);
    s.dense = true;
    return s;
  }
  tx::QWeightType qtype;
  tx::WeightOp named;
  if (auto blocks = dyn_cast_if_present<tx::QBlocksOp>(def)) {
    named = weightDef(blocks.getBytes());
    qtype = blocks.getType();
  } else if (auto pack = dyn_cast_if_present<tx::QPackOp>(def)) {
    named = weightDef(pack.getCodes());
    qtype = pack.getType();
    if (!weightDef(pack.getScales()) ||
        (pack.getZeroPoints() && !weightDef(pack.getZeroPoints())))
      return std::nullopt;
  }
  if (!named)
    return std::nullopt;
  s.name = named.getName().str();
  s.n = qtype.getOutFeatures();
  s.k = qtype.getInFeatures();
  return s;
}

} // namespace

std::string txc::storedWeightName(Operation *linear) {
  if (!isa<tx::LinearOp, tx::QLinearOp>(linear))
    return "";
  std::optional<Source> src = findSource(linear->getOperand(1));
  return src ? src->name : "";
}

namespace {

/// Element i of a packed array of `bits`-bit elements.
uint32_t element(ArrayRef<char> bytes, int64_t i, unsigned bits) {
  if (bits >= 8) {
    uint32_t v = 0;
    std::memcpy(&v, bytes.data() + i * (bits / 8), bits / 8);
    return v;
  }
  int64_t bit = i * bits;
  return (static_cast<uint8_t>(bytes[bit / 8]) >> (bit % 8)) &
         ((1u << bits) - 1);
}

/// A stored float tensor's element i as f32 (F32, F16, BF16, F8_E4M3,
/// F8_E8M0).
float floatElement(const tx::StoredTensor &t, int64_t i) {
  if (t.dtype == "F32") {
    float v;
    std::memcpy(&v, t.bytes.data() + 4 * i, 4);
    return v;
  }
  if (t.dtype == "F16")
    return quant::halfToFloat(static_cast<uint16_t>(element(t.bytes, i, 16)));
  if (t.dtype == "BF16")
    return quant::bf16ToFloat(static_cast<uint16_t>(element(t.bytes, i, 16)));
  if (t.dtype == "F8_E4M3")
    return quant::e4m3ToFloat(static_cast<uint8_t>(element(t.bytes, i, 8)));
  if (t.dtype == "F8_E8M0") {
    uint32_t e = element(t.bytes, i, 8);
    return e == 255 ? NAN : std::ldexp(1.0f, static_cast<int>(e) - 127);
  }
  return NAN;
}

FailureOr<tx::StoredTensor> checkSize(const tx::StoredTensor &t, Operation *op,
                                      StringRef name, int64_t elements,
                                      unsigned bits);

/// The stored tensor `name`, checked to hold `elements` elements of `bits`
/// bits (packed).
FailureOr<tx::StoredTensor> readStored(tx::WeightStore &store, Operation *op,
                                       StringRef name, int64_t elements,
                                       unsigned bits) {
  llvm::Expected<tx::StoredTensor> t = store.lookup(name);
  if (!t) {
    op->emitError() << "tx-quantize: " << llvm::toString(t.takeError());
    return failure();
  }
  return checkSize(*t, op, name, elements, bits);
}

/// `t` if it holds exactly `elements` values of `bits` bits (packed).
FailureOr<tx::StoredTensor> checkSize(const tx::StoredTensor &t, Operation *op,
                                      StringRef name, int64_t elements,
                                      unsigned bits) {
  int64_t expected = (elements * bits + 7) / 8;
  if (static_cast<int64_t>(t.bytes.size()) != expected) {
    op->emitError() << "tx-quantize: weight '" << name << "' has "
                    << t.bytes.size() << " bytes, expected " << expected
                    << " (" << elements << " values of " << bits << " bits)";
    return failure();
  }
  return t;
}

/// The [n, k] values of `src` in f32.
FailureOr<std::vector<float>> readValues(tx::WeightStore &store,
                                         const Source &src) {
  int64_t n = src.n, k = src.k;
  std::vector<float> w(n * k);
  Operation *op = src.def;
  if (src.dense) {
    llvm::Expected<tx::StoredTensor> stored = store.lookup(src.name);
    if (!stored) {
      op->emitError() << "tx-quantize: " << llvm::toString(stored.takeError());
      return failure();
    }
    if (stored->dtype != "F32" && stored->dtype != "F16" &&
        stored->dtype != "BF16") {
      op->emitError() << "tx-quantize: weight '" << src.name
                      << "' is stored as " << stored->dtype
                      << "; expected F32, F16 or BF16";
      return failure();
    }
    FailureOr<tx::StoredTensor> t = checkSize(
        *stored, op, src.name, n * k, stored->dtype == "F32" ? 32 : 16);
    if (failed(t))
      return failure();
    for (int64_t i = 0; i < n * k; ++i)
      w[i] = floatElement(*t, i);
    return w;
  }
  if (auto blocks = dyn_cast<tx::QBlocksOp>(op)) {
    tx::QWeightType type = blocks.getType();
    int64_t rowBytes = type.getRowBytes();
    FailureOr<tx::StoredTensor> t =
        readStored(store, op, src.name, n * rowBytes, 8);
    if (failed(t))
      return failure();
    for (int64_t r = 0; r < n; ++r)
      txc_qdequantize_row(static_cast<int32_t>(type.getGGMLType()),
                          t->bytes.data() + r * rowBytes, w.data() + r * k, k);
    return w;
  }
  auto pack = cast<tx::QPackOp>(op);
  tx::QWeightType type = pack.getType();
  unsigned bits = type.getBits();
  int64_t groups = type.getNumGroups(), group = type.getGroup();
  FailureOr<tx::StoredTensor> codes =
      readStored(store, op, src.name, n * k, bits);
  StringRef scaleName = weightDef(pack.getScales()).getName();
  FailureOr<tx::StoredTensor> scales =
      readStored(store, op, scaleName, n * groups,
                 type.getScaleType().getIntOrFloatBitWidth());
  if (failed(codes) || failed(scales))
    return failure();
  std::optional<tx::StoredTensor> zeros;
  unsigned zeroBits = 0;
  if (Value zp = pack.getZeroPoints()) {
    zeroBits = cast<RankedTensorType>(zp.getType()).getElementTypeBitWidth();
    FailureOr<tx::StoredTensor> z = readStored(
        store, op, weightDef(zp).getName(), n * groups, zeroBits);
    if (failed(z))
      return failure();
    zeros = *z;
  }
  float tensorScale = 1.0f;
  if (std::optional<APFloat> t = pack.getTensorScale())
    tensorScale = t->convertToFloat();
  uint32_t mid = 1u << (bits - 1);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t i = 0; i < k; ++i) {
      int64_t si = r * groups + i / group;
      uint32_t c = element(codes->bytes, r * k + i, bits);
      float s = floatElement(*scales, si) * tensorScale, v;
      if (type.isInteger()) {
        uint32_t z = zeros ? element(zeros->bytes, si, zeroBits) : mid;
        v = static_cast<float>(static_cast<int32_t>(c) -
                               static_cast<int32_t>(z));
      } else if (type.getKind() == tx::QuantKind::fp8_e4m3) {
        v = quant::e4m3ToFloat(static_cast<uint8_t>(c));
      } else {
        v = quant::e2m1ToFloat(static_cast<uint8_t>(c));
      }
      w[r * k + i] = v * s;
    }
  return w;
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

/// A linear's new weight, and for activation-aware scaling the [K]
/// factors its input is multiplied by first.
struct NewWeight {
  Value weight, inputScale;
};

/// The stored shape of an [n, k] tensor of `bits`-bit elements.
SmallVector<int64_t> storedShape(int64_t n, int64_t k, unsigned bits) {
  return {n, bits < 8 ? k * bits / 8 : k};
}

ArrayRef<char> asChars(const std::vector<uint8_t> &v) {
  return ArrayRef<char>(reinterpret_cast<const char *>(v.data()), v.size());
}

/// `v` as printf's %g writes it (0.5, not 5.000000e-01).
std::string shortNumber(double v) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", v);
  return text;
}

struct QuantizePass : public txc::impl::QuantizePassBase<QuantizePass> {
  using QuantizePassBase::QuantizePassBase;

  /// One override or keep rule.
  struct Rule {
    llvm::GlobPattern pattern;
    bool lmHead = false;
    std::optional<Format> format; // none: keep
  };

  LogicalResult parseOptions(ModuleOp module) {
    std::optional<Format> f = quant::parseFormat(format);
    if (!f)
      return module.emitError()
             << "tx-quantize: unknown format '" << format << "' (expected one of "
             << quant::formatNames() << ")";
    baseFormat = *f;
    if (method != "rtn" && method != "awq")
      return module.emitError() << "tx-quantize: unknown method '" << method
                                << "' (this pass implements rtn and awq)";
    if (method == "awq" && calibration.empty())
      return module.emitError()
             << "tx-quantize: method=awq needs calibration statistics "
                "(calibration=STATS, written by `txc calibrate`)";
    if (mixed < 0.0 || mixed > 1.0 || std::isnan(mixed))
      return module.emitError()
             << "tx-quantize: mixed=" << shortNumber(mixed)
             << " must be a fraction in [0, 1]";
    std::optional<Format> hi = quant::parseFormat(mixedFormat);
    if (!hi || !quant::isPlanar(*hi))
      return module.emitError()
             << "tx-quantize: unknown mixed-format '" << mixedFormat
             << "' (expected one of int8, int4, int2, fp8, nvfp4, mxfp4)";
    highFormat = *hi;
    if (mixed > 0.0 && calibration.empty())
      return module.emitError()
             << "tx-quantize: mixed=" << shortNumber(mixed)
             << " needs calibration statistics (calibration=STATS, written "
                "by `txc calibrate`) to rank the linears";
    if (!calibration.empty()) {
      llvm::Expected<std::unique_ptr<SafetensorsFile>> file =
          SafetensorsFile::open(calibration);
      if (!file)
        return module.emitError()
               << "tx-quantize: cannot read the calibration statistics '"
               << calibration << "': " << llvm::toString(file.takeError());
      stats = std::move(*file);
    }
    if (group < 0)
      return module.emitError()
             << "tx-quantize: group " << static_cast<int64_t>(group)
             << " must be >= 0 (0: one "
             << "scale per output row)";
    auto addRule = [&](StringRef glob, std::optional<Format> fmt) -> LogicalResult {
      Rule rule;
      rule.format = fmt;
      rule.lmHead = glob == "lm-head";
      if (!rule.lmHead) {
        llvm::Expected<llvm::GlobPattern> p = llvm::GlobPattern::create(glob);
        if (!p)
          return module.emitError() << "tx-quantize: bad pattern '" << glob
                                    << "': " << llvm::toString(p.takeError());
        rule.pattern = std::move(*p);
      }
      rules.push_back(std::move(rule));
      return success();
    };
    for (const std::string &k : keep)
      if (failed(addRule(k, std::nullopt)))
        return failure();
    for (const std::string &o : overrides) {
      auto [glob, name] = StringRef(o).rsplit('=');
      std::optional<Format> fmt = quant::parseFormat(name);
      if (glob.empty() || !fmt)
        return module.emitError()
               << "tx-quantize: override '" << o << "' must be GLOB=FORMAT "
               << "with FORMAT one of " << quant::formatNames();
      if (failed(addRule(glob, fmt)))
        return failure();
    }
    return success();
  }

  /// Whether `op`'s result reaches a result of the entry function through
  /// shape-only ops.
  static bool isLMHead(Operation *op, FunctionOpInterface entry) {
    if (!entry)
      return false;
    Value v = op->getResult(0);
    while (v.hasOneUse()) {
      Operation *user = *v.getUsers().begin();
      if (isa<func::ReturnOp>(user))
        return user->getParentOp() == entry.getOperation();
      if (!isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp,
               tensor::ReshapeOp, tensor::CastOp>(user))
        return false;
      v = user->getResult(0);
    }
    return false;
  }

  /// The format for the linear `op` on `src`; nullopt: keep it.
  std::optional<Format> formatFor(Operation *op, const Source &src,
                                  FunctionOpInterface entry) {
    if (const Rule *rule = ruleFor(op, src, entry))
      return rule->format;
    if (upgraded.contains(src.name))
      return highFormat;
    return baseFormat;
  }

  /// The first keep or override rule matching `op`, if any.
  const Rule *ruleFor(Operation *op, const Source &src,
                      FunctionOpInterface entry) {
    for (const Rule &rule : rules)
      if (rule.lmHead ? isLMHead(op, entry) : rule.pattern.match(src.name))
        return &rule;
    return nullptr;
  }

  /// One weight the mixed plan may move to the higher format.
  struct Candidate {
    std::string name;
    int64_t params = 0;
    double gain = 0.0; ///< output error removed per extra byte
    double errBase = 0.0, errHigh = 0.0;
  };

  /// Output error of `w` ([n, k]) quantized by RTN in `scheme`, weighted by
  /// the input's mean squares: sum over n, k of (w - q(w))^2 E[x_k^2], the
  /// expected squared error the quantization adds to the linear's outputs
  /// when the inputs' channels are uncorrelated (the diagonal of the input
  /// Gram matrix). `bytes` gets the stored size.
  static double outputError(const std::vector<float> &w, int64_t n, int64_t k,
                            const quant::Scheme &scheme,
                            ArrayRef<float> sqMean, uint64_t &bytes) {
    quant::Quantized q = quant::quantizeRTN(w.data(), n, k, scheme);
    bytes = q.codes.size() + q.scales.size() + q.zeros.size();
    std::vector<float> d = quant::dequantize(q, scheme.format, n, k);
    double err = 0.0;
    for (int64_t r = 0; r < n; ++r) {
      double row = 0.0;
      for (int64_t c = 0; c < k; ++c) {
        double e = static_cast<double>(w[r * k + c]) - d[r * k + c];
        row += e * e * sqMean[c];
      }
      err += row;
    }
    return err;
  }

  /// The mixed-precision plan (option `mixed`): ranks the linears left in
  /// the base format by the output error moving them to `mixed-format`
  /// removes per extra byte, and moves them best first while the moved
  /// ones hold at most the fraction `mixed` of those linears' parameters
  /// (one that does not fit is skipped). Fills `upgraded`.
  LogicalResult planMixed(ModuleOp module, ArrayRef<Operation *> linears,
                          FunctionOpInterface entry, tx::WeightStore &store) {
    if (mixed <= 0.0)
      return success();
    std::vector<Candidate> candidates;
    llvm::StringSet<> seen;
    int64_t total = 0;
    for (Operation *op : linears) {
      std::optional<Source> src = findSource(op->getOperand(1));
      if (!src || ruleFor(op, *src, entry) || !seen.insert(src->name).second)
        continue;
      if (src->k * quant::codeBits(baseFormat) % 8 != 0 ||
          src->k * quant::codeBits(highFormat) % 8 != 0)
        continue;
      total += src->n * src->k;
      const SafetensorsEntry *sq = stats->lookup(src->name + ".act_sq_mean");
      if (!sq || sq->dtype != "F32" ||
          static_cast<int64_t>(sq->data.size()) != 4 * src->k) {
        op->emitWarning() << "tx-quantize: the calibration statistics have "
                             "no F32 ["
                          << src->k << "] act_sq_mean for '" << src->name
                          << "'; the mixed plan leaves it in the base format";
        continue;
      }
      ArrayRef<float> sqMean(reinterpret_cast<const float *>(sq->data.data()),
                             src->k);
      FailureOr<std::vector<float>> w = readValues(store, *src);
      if (failed(w))
        return failure();
      quant::Scheme base, high;
      base.format = baseFormat;
      high.format = highFormat;
      base.group = high.group = group;
      base.symmetric = high.symmetric = symmetric;
      uint64_t bytesBase = 0, bytesHigh = 0;
      Candidate c;
      c.name = src->name;
      c.params = src->n * src->k;
      c.errBase = outputError(*w, src->n, src->k, base, sqMean, bytesBase);
      c.errHigh = outputError(*w, src->n, src->k, high, sqMean, bytesHigh);
      double extra = std::max<double>(
          1.0, static_cast<double>(bytesHigh) - static_cast<double>(bytesBase));
      c.gain = (c.errBase - c.errHigh) / extra;
      candidates.push_back(std::move(c));
    }
    llvm::stable_sort(candidates, [](const Candidate &a, const Candidate &b) {
      return a.gain > b.gain;
    });
    double budget = mixed * static_cast<double>(total);
    int64_t moved = 0;
    std::string names;
    for (const Candidate &c : candidates) {
      // A weight that does not fit in what is left of the budget is
      // skipped; smaller ones further down may still fit.
      if (static_cast<double>(moved + c.params) > budget * (1.0 + 1e-9))
        continue;
      upgraded.insert(c.name);
      moved += c.params;
      names += (names.empty() ? "" : ", ") + c.name;
      ++numMixed;
    }
    if (!upgraded.empty())
      module.emitRemark() << "tx-quantize: mixed plan: " << upgraded.size()
                          << " of " << candidates.size() << " weights ("
                          << llvm::formatv("{0:F1}", 100.0 * moved /
                                                         std::max<int64_t>(
                                                             1, total))
                          << "% of their parameters) in "
                          << quant::formatName(highFormat) << ": " << names;
    return success();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(parseOptions(module)))
      return signalPassFailure();

    std::shared_ptr<tx::WeightStore> store = tx::getWeightStore(&getContext());
    FileWeightStore *fileStore = nullptr;
    if (!store) {
      auto weightsAttr = module->getAttrOfType<StringAttr>("tx.weights");
      if (!weightsAttr) {
        module.emitError() << "tx-quantize: no weight store and no "
                              "tx.weights file on the module";
        return signalPassFailure();
      }
      llvm::Expected<std::unique_ptr<SafetensorsFile>> file =
          SafetensorsFile::open(weightsAttr.getValue());
      if (!file) {
        module.emitError() << "tx-quantize: cannot read the weights file '"
                           << weightsAttr.getValue()
                           << "': " << llvm::toString(file.takeError());
        return signalPassFailure();
      }
      auto owned = std::make_shared<FileWeightStore>(std::move(*file));
      fileStore = owned.get();
      store = std::move(owned);
    }

    FunctionOpInterface entry = tx::findEntryFunction(module);
    SmallVector<Operation *> linears;
    module.walk([&](Operation *op) {
      if (isa<tx::LinearOp, tx::QLinearOp>(op))
        linears.push_back(op);
    });

    if (failed(planMixed(module, linears, entry, *store)))
      return signalPassFailure();

    // One new weight per (source, format).
    llvm::StringMap<NewWeight> made;
    bool changed = false;
    for (Operation *op : linears) {
      Value weight = op->getOperand(1);
      std::optional<Source> src = findSource(weight);
      if (!src) {
        ++numKept;
        continue;
      }
      std::optional<Format> fmt = formatFor(op, *src, entry);
      // Dense weights asked to stay f32 stay as they are.
      if (!fmt || (*fmt == Format::F32 && src->dense)) {
        ++numKept;
        continue;
      }
      quant::Scheme scheme;
      scheme.format = *fmt;
      scheme.group = group;
      scheme.symmetric = symmetric;
      unsigned bits = quant::codeBits(*fmt);
      if (src->k * bits % 8 != 0) {
        op->emitWarning() << "tx-quantize: weight '" << src->name << "' has "
                          << src->k << " input features, which do not fill "
                          << "whole bytes of " << bits
                          << "-bit codes; it keeps its format";
        ++numKept;
        continue;
      }
      FailureOr<NewWeight> q = quantized(op, *src, scheme, *store, made);
      if (failed(q))
        return signalPassFailure();
      replaceLinear(op, *q);
      ++numQuantized;
      changed = true;
    }
    if (!changed && !fileStore)
      return;
    eraseDeadWeights(module);

    if (fileStore && changed) {
      if (weightsOut.empty()) {
        module.emitError() << "tx-quantize: the pass made new weights; give "
                              "weights-out=PATH for the safetensors file to "
                              "write them to (no weight store is attached)";
        return signalPassFailure();
      }
      llvm::SetVector<StringRef> names;
      module.walk([&](tx::WeightOp w) { names.insert(w.getName()); });
      if (llvm::Error err = fileStore->write(names, weightsOut)) {
        module.emitError() << "tx-quantize: cannot write '" << weightsOut
                           << "': " << llvm::toString(std::move(err));
        return signalPassFailure();
      }
      module->setAttr("tx.weights", StringAttr::get(&getContext(), weightsOut));
    }
  }

  /// The new weight for `src` in `scheme` (made once per pass and per
  /// store: an existing tensor of the same name is reused).
  FailureOr<NewWeight> quantized(Operation *op, const Source &src,
                                 const quant::Scheme &scheme,
                                 tx::WeightStore &store,
                                 llvm::StringMap<NewWeight> &made) {
    Format f = scheme.format;
    int64_t n = src.n, k = src.k;
    int64_t group = quant::effectiveGroup(scheme, k);
    std::string key = src.name + "." + quant::formatName(f).str();
    if (quant::isPlanar(f))
      key += (group == k ? std::string("pc") : "g" + std::to_string(group)) +
             (scheme.symmetric || f == Format::FP8 || f == Format::NVFP4 ||
                      f == Format::MXFP4
                  ? ""
                  : "z");
    // Activation-aware scaling where the statistics cover the linear.
    const SafetensorsEntry *absMean = nullptr, *sqMean = nullptr;
    if (stats && method == "awq" && quant::isPlanar(f)) {
      absMean = stats->lookup(src.name + ".act_abs_mean");
      sqMean = stats->lookup(src.name + ".act_sq_mean");
      auto fits = [&](const SafetensorsEntry *e) {
        return e && e->dtype == "F32" &&
               static_cast<int64_t>(e->data.size()) == 4 * k;
      };
      if (!fits(absMean) || !fits(sqMean)) {
        op->emitWarning() << "tx-quantize: the calibration statistics have "
                             "no F32 ["
                          << k << "] act_abs_mean and act_sq_mean for '"
                          << src.name << "'; it is quantized with rtn";
        absMean = sqMean = nullptr;
      } else {
        key += ".awq";
      }
    }
    if (auto it = made.find(key); it != made.end())
      return it->second;
    Value inputScale;

    MLIRContext *ctx = &getContext();
    OpBuilder b(src.def);
    b.setInsertionPointAfter(src.def);
    Location loc = src.def->getLoc();
    bool zeros = quant::isPlanar(f) && !scheme.symmetric &&
                 (f == Format::Int8 || f == Format::Int4 || f == Format::Int2);
    int64_t groups = (k + group - 1) / group;
    unsigned bits = quant::codeBits(f);
    std::string codesName = quant::isPlanar(f) ? key + ".codes" : key;

    // Quantize unless the store has the tensors already.
    float tensorScale = 1.0f;
    if (!store.contains(codesName)) {
      FailureOr<std::vector<float>> w = readValues(store, src);
      if (failed(w))
        return failure();
      quant::Quantized q;
      if (absMean) {
        auto floats = [](const SafetensorsEntry *e) {
          return ArrayRef<float>(reinterpret_cast<const float *>(e->data.data()),
                                 e->data.size() / 4);
        };
        std::vector<float> inverse;
        q = quant::quantizeAWQ(w->data(), n, k, scheme, floats(absMean),
                               floats(sqMean), inverse);
        if (llvm::Error err = store.add(
                key + ".input_scale", "F32", {k},
                ArrayRef<char>(reinterpret_cast<const char *>(inverse.data()),
                               4 * inverse.size()))) {
          op->emitError() << "tx-quantize: " << llvm::toString(std::move(err));
          return failure();
        }
      } else {
        q = quant::quantizeRTN(w->data(), n, k, scheme);
      }
      tensorScale = q.tensorScale;
      auto add = [&](StringRef name, StringRef dtype,
                     ArrayRef<int64_t> shape, ArrayRef<char> bytes) {
        if (llvm::Error err = store.add(name, dtype, shape, bytes)) {
          op->emitError() << "tx-quantize: " << llvm::toString(std::move(err));
          return false;
        }
        return true;
      };
      bool ok;
      if (quant::isPlanar(f)) {
        quant::PlanarLayout layout = quant::planarLayout(f);
        ok = add(codesName, layout.codeDType, storedShape(n, k, bits),
                 asChars(q.codes)) &&
             add(key + ".scales", layout.scaleDType, {n, groups},
                 asChars(q.scales)) &&
             (!zeros || add(key + ".zeros", "I8", {n, groups}, asChars(q.zeros)));
        if (ok && f == Format::NVFP4) {
          std::vector<uint8_t> t(4);
          std::memcpy(t.data(), &tensorScale, 4);
          ok = add(key + ".tensor_scale", "F32", {1}, asChars(t));
        }
      } else if (f == Format::F32) {
        ok = add(codesName, "F32", {n, k}, asChars(q.codes));
      } else {
        ok = add(codesName, "I8", {n, 2 * k}, asChars(q.codes));
      }
      if (!ok)
        return failure();
      bytesBefore += storedBytes(store, src);
      bytesAfter += q.codes.size() + q.scales.size() + q.zeros.size();
    } else if (f == Format::NVFP4) {
      llvm::Expected<tx::StoredTensor> t = store.lookup(key + ".tensor_scale");
      if (!t || t->bytes.size() != 4) {
        op->emitError() << "tx-quantize: the weight store has '" << codesName
                        << "' but no 4-byte '" << key << ".tensor_scale'";
        if (!t)
          llvm::consumeError(t.takeError());
        return failure();
      }
      std::memcpy(&tensorScale, t->bytes.data(), 4);
    }

    Value result;
    if (f == Format::F32) {
      result = tx::WeightOp::create(
          b, loc, RankedTensorType::get({n, k}, b.getF32Type()),
          b.getStringAttr(codesName));
    } else if (!quant::isPlanar(f)) {
      Value bytes = tx::WeightOp::create(
          b, loc, RankedTensorType::get({n, 2 * k}, b.getI8Type()),
          b.getStringAttr(codesName));
      auto type = tx::QWeightType::get(
          ctx, {n, k}, f == Format::F16 ? tx::QuantKind::f16 : tx::QuantKind::bf16,
          1, b.getF16Type(), false);
      result = tx::QBlocksOp::create(b, loc, type, bytes);
    } else {
      Type codeType, scaleType = b.getF16Type();
      tx::QuantKind kind;
      switch (f) {
      case Format::Int8:
        codeType = b.getI8Type(), kind = tx::QuantKind::int8;
        break;
      case Format::Int4:
        codeType = b.getIntegerType(4), kind = tx::QuantKind::int4;
        break;
      case Format::Int2:
        codeType = b.getIntegerType(2), kind = tx::QuantKind::int2;
        break;
      case Format::FP8:
        codeType = Float8E4M3FNType::get(ctx), kind = tx::QuantKind::fp8_e4m3;
        scaleType = b.getF32Type();
        break;
      default:
        codeType = Float4E2M1FNType::get(ctx), kind = tx::QuantKind::fp4_e2m1;
        scaleType = f == Format::NVFP4 ? Type(Float8E4M3FNType::get(ctx))
                                       : Type(Float8E8M0FNUType::get(ctx));
      }
      Value codes = tx::WeightOp::create(
          b, loc, RankedTensorType::get({n, k}, codeType),
          b.getStringAttr(codesName));
      Value scales = tx::WeightOp::create(
          b, loc, RankedTensorType::get({n, groups}, scaleType),
          b.getStringAttr(key + ".scales"));
      Value zp;
      if (zeros)
        zp = tx::WeightOp::create(
            b, loc, RankedTensorType::get({n, groups}, b.getI8Type()),
            b.getStringAttr(key + ".zeros"));
      auto type =
          tx::QWeightType::get(ctx, {n, k}, kind, group, scaleType, zeros);
      auto pack = tx::QPackOp::create(b, loc, type, codes, scales, zp,
                                      FloatAttr());
      if (f == Format::NVFP4)
        pack.setTensorScaleAttr(b.getF32FloatAttr(tensorScale));
      result = pack;
    }
    if (absMean)
      inputScale = tx::WeightOp::create(
          b, loc, RankedTensorType::get({k}, b.getF32Type()),
          b.getStringAttr(key + ".input_scale"));
    made[key] = {result, inputScale};
    return made[key];
  }

  /// Bytes the store holds for `src`'s weight.
  static uint64_t storedBytes(tx::WeightStore &store, const Source &src) {
    llvm::Expected<tx::StoredTensor> t = store.lookup(src.name);
    if (!t) {
      llvm::consumeError(t.takeError());
      return 0;
    }
    return t->bytes.size();
  }

  /// Replaces the linear `op` by one on `weight` (tx.qlinear, or tx.linear
  /// for a dense weight).
  static void replaceLinear(Operation *op, NewWeight made) {
    OpBuilder b(op);
    Value weight = made.weight;
    Value input = op->getOperand(0);
    if (made.inputScale)
      input = scaleInput(b, op->getLoc(), input, made.inputScale);
    Value bias = op->getNumOperands() > 2 ? op->getOperand(2) : Value();
    auto type = cast<RankedTensorType>(op->getResult(0).getType());
    Operation *repl;
    if (isa<tx::QWeightType>(weight.getType()))
      repl = tx::QLinearOp::create(b, op->getLoc(), type, input, weight, bias);
    else
      repl = tx::LinearOp::create(b, op->getLoc(), type, input, weight, bias);
    repl->setDiscardableAttrs(op->getDiscardableAttrDictionary());
    op->getResult(0).replaceAllUsesWith(repl->getResult(0));
    op->erase();
  }

  /// x [..., K] times the factors [K] along the last dimension.
  static Value scaleInput(OpBuilder &b, Location loc, Value x, Value factors) {
    auto type = cast<RankedTensorType>(x.getType());
    unsigned rank = type.getRank();
    MLIRContext *ctx = b.getContext();
    Value init = tensor::EmptyOp::create(b, loc, type.getShape(),
                                         type.getElementType());
    SmallVector<AffineMap> maps = {
        AffineMap::getMultiDimIdentityMap(rank, ctx),
        AffineMap::get(rank, 0, getAffineDimExpr(rank - 1, ctx)),
        AffineMap::getMultiDimIdentityMap(rank, ctx)};
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    return linalg::GenericOp::create(
               b, loc, TypeRange{type}, ValueRange{x, factors},
               ValueRange{init}, maps, iterators,
               [](OpBuilder &nb, Location l, ValueRange args) {
                 linalg::YieldOp::create(
                     nb, l,
                     arith::MulFOp::create(nb, l, args[0], args[1]).getResult());
               })
        .getResult(0);
  }

  /// Erases weights nothing uses any more (and tx.layer inputs that only
  /// carried them).
  static void eraseDeadWeights(ModuleOp module) {
    module.walk([](tx::LayerOp layer) {
      Block &body = layer.getBody().front();
      for (int i = static_cast<int>(body.getNumArguments()) - 1; i >= 0; --i) {
        Operation *def = layer.getInputs()[i].getDefiningOp();
        if (body.getArgument(i).use_empty() &&
            isa_and_present<tx::WeightOp, tx::QBlocksOp, tx::QPackOp>(def)) {
          layer.getInputsMutable().erase(i);
          body.eraseArgument(i);
        }
      }
    });
    bool erased = true;
    while (erased) {
      erased = false;
      module.walk([&](Operation *op) {
        if (isa<tx::WeightOp, tx::QBlocksOp, tx::QPackOp, tx::DequantOp>(op) &&
            op->use_empty()) {
          op->erase();
          erased = true;
        }
      });
    }
  }

  Format baseFormat = Format::Int4;
  std::vector<Rule> rules;
  std::shared_ptr<SafetensorsFile> stats;
  /// The mixed plan's format and the weights it moves there.
  Format highFormat = Format::Int8;
  llvm::StringSet<> upgraded;
};

} // namespace
