//===- MatmulToKernels.cpp - f32 matmuls to the runtime GEMM kernel -------===//

#include "LoweringUtils.h"
#include "txc/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/Support/JSON.h"

namespace txc {
#define GEN_PASS_DEF_MATMULTOKERNELSPASS
#include "txc/Codegen/Passes.h.inc"
} // namespace txc

using namespace mlir;

static constexpr llvm::StringLiteral kGemm = "txc_sgemm";
static constexpr llvm::StringLiteral kGemmPacked = "txc_sgemm_packed";
static constexpr llvm::StringLiteral kGemmGroup = "txc_sgemm_packed_group";
/// Most products one grouped call takes.
static constexpr unsigned kMaxGroup = 4;
/// The weight layout the runtime packs for txc_sgemm_packed (docs/runtime.md).
static constexpr llvm::StringLiteral kPackedLayout = "gemm-b-panels32";

namespace {

/// True for a static 2-D f32 memref with a contiguous row-major layout and
/// no offset.
bool isDenseMatrix(Value v) {
  auto t = dyn_cast<MemRefType>(v.getType());
  if (!t || t.getRank() != 2 || !t.hasStaticShape() || !t.getElementType().isF32())
    return false;
  if (t.getLayout().isIdentity())
    return true;
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(t.getStridesAndOffset(strides, offset)))
    return false;
  return offset == 0 && strides[1] == 1 && strides[0] == t.getDimSize(1);
}

/// The zero fill of `op`'s result buffer that the GEMM can take over (it
/// overwrites C instead of accumulating): the last op before `op` touching
/// that buffer is a linalg.fill of +0.0 into exactly it.
linalg::FillOp zeroFillOf(linalg::MatmulOp op) {
  Value c = op.getDpsInits()[0];
  llvm::DenseSet<Value> buffer = {txc::cpu::rootBuffer(c)};
  for (Operation *prev = op->getPrevNode(); prev; prev = prev->getPrevNode()) {
    if (isMemoryEffectFree(prev) || !txc::cpu::touchesAny(prev, buffer))
      continue;
    auto fill = dyn_cast<linalg::FillOp>(prev);
    FloatAttr value;
    if (fill && fill.getOutputs()[0] == c &&
        matchPattern(fill.getInputs()[0], m_Constant(&value)) &&
        value.getValue().isPosZero())
      return fill;
    return {};
  }
  return {};
}

/// Groups the products with packed weights that read the same A (same M
/// and K, same block) into runs of up to kMaxGroup that may all run at the
/// position of their last member.
SmallVector<SmallVector<linalg::MatmulOp>>
groupByA(ArrayRef<std::pair<linalg::MatmulOp, bool>> matmuls,
         const llvm::DenseMap<Value, bool> &packedWeights) {
  SmallVector<SmallVector<linalg::MatmulOp>> groups;
  llvm::DenseMap<Value, unsigned> open; // A -> index of its growing group
  for (auto [op, transB] : matmuls) {
    if (!packedWeights.count(op.getDpsInputs()[1]))
      continue;
    Value a = op.getDpsInputs()[0];
    auto it = open.find(a);
    if (it != open.end()) {
      SmallVector<linalg::MatmulOp> &g = groups[it->second];
      SmallVector<Operation *> members(g.begin(), g.end());
      if (g.size() < kMaxGroup && g.front()->getBlock() == op->getBlock() &&
          txc::cpu::canDelay(members, op, a)) {
        g.push_back(op);
        continue;
      }
    }
    open[a] = groups.size();
    groups.push_back({op});
  }
  return groups;
}

struct MatmulToKernelsPass
    : public txc::impl::MatmulToKernelsPassBase<MatmulToKernelsPass> {
  using MatmulToKernelsPassBase::MatmulToKernelsPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    SmallVector<std::pair<linalg::MatmulOp, bool>> matmuls;
    module.walk([&](linalg::MatmulOp op) {
      if (!op.hasPureBufferSemantics())
        return;
      Value a = op.getDpsInputs()[0], b = op.getDpsInputs()[1],
            c = op.getDpsInits()[0];
      if (!isDenseMatrix(a) || !isDenseMatrix(b) || !isDenseMatrix(c))
        return;
      // Maps (m, n, k): A[m, k], C[m, n]; B[k, n] or transposed B[n, k].
      SmallVector<AffineMap> maps = op.getIndexingMapsArray();
      auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
      auto map = [&](AffineExpr x, AffineExpr y) {
        return AffineMap::get(3, 0, {x, y}, ctx);
      };
      if (maps[0] != map(d(0), d(2)) || maps[2] != map(d(0), d(1)))
        return;
      if (maps[1] == map(d(2), d(1)))
        matmuls.emplace_back(op, false);
      else if (maps[1] == map(d(1), d(2)))
        matmuls.emplace_back(op, true);
    });
    if (matmuls.empty())
      return;

    // Weights (entry arguments after the inputs, as tx-weights-to-arguments
    // recorded in tx.signature) that only ever serve as B of these matmuls,
    // always with the same orientation, are packed by the runtime at load
    // time and multiplied by txc_sgemm_packed.
    llvm::DenseMap<Value, bool> packedWeights; // weight -> transB
    auto signatureAttr = module->getAttrOfType<StringAttr>("tx.signature");
    auto entry = module.lookupSymbol<func::FuncOp>("txc_main");
    std::optional<llvm::json::Value> signature;
    if (signatureAttr && entry && !entry.isExternal()) {
      llvm::Expected<llvm::json::Value> parsed =
          llvm::json::parse(signatureAttr.getValue());
      if (parsed)
        signature = std::move(*parsed);
      else
        llvm::consumeError(parsed.takeError());
    }
    llvm::json::Object *root = signature ? signature->getAsObject() : nullptr;
    llvm::json::Array *inputs = root ? root->getArray("inputs") : nullptr;
    llvm::json::Array *weightInfo = root ? root->getArray("weights") : nullptr;
    if (inputs && weightInfo) {
      llvm::DenseMap<Operation *, bool> transOf;
      for (auto [op, transB] : matmuls)
        transOf[op] = transB;
      for (unsigned w = 0; w < weightInfo->size(); ++w) {
        unsigned index = inputs->size() + w;
        if (index >= entry.getNumArguments())
          break;
        Value arg = entry.getArgument(index);
        std::optional<bool> trans;
        bool eligible = !arg.use_empty();
        for (OpOperand &use : arg.getUses()) {
          auto it = transOf.find(use.getOwner());
          if (it == transOf.end() || use.getOperandNumber() != 1 ||
              (trans && *trans != it->second)) {
            eligible = false;
            break;
          }
          trans = it->second;
        }
        if (!eligible)
          continue;
        packedWeights[arg] = *trans;
        if (auto *info = (*weightInfo)[w].getAsObject()) {
          (*info)["layout"] = kPackedLayout;
          (*info)["transposed"] = *trans;
        }
      }
      if (!packedWeights.empty()) {
        std::string text;
        llvm::raw_string_ostream os(text);
        os << *signature;
        module->setAttr("tx.signature", StringAttr::get(ctx, text));
      }
    }

    OpBuilder b(ctx);
    Type i64 = b.getI64Type();
    auto declare = [&](StringRef name, FunctionType type) {
      txc::cpu::declareKernel(module, name, type);
    };
    if (llvm::any_of(matmuls, [&](auto &m) {
          return !packedWeights.count(m.first.getDpsInputs()[1]);
        }))
      declare(kGemm, b.getFunctionType({i64, i64, i64, i64, i64, i64, b.getI32Type()}, {}));
    // Packed products that share A become one grouped call (one pass over
    // A, the threads splitting the panels of all of them).
    SmallVector<SmallVector<linalg::MatmulOp>> groups = groupByA(matmuls, packedWeights);
    if (!packedWeights.empty())
      declare(kGemmPacked, b.getFunctionType({i64, i64, i64, i64, i64, i64, b.getI32Type()}, {}));
    if (llvm::any_of(groups, [](auto &g) { return g.size() > 1; }))
      declare(kGemmGroup, b.getFunctionType(SmallVector<Type>(17, i64), {}));

    // Packed products whose C was just zero-filled overwrite C instead of
    // accumulating into it; the fills go.
    llvm::DenseSet<Operation *> overwrites;
    for (auto [op, transB] : matmuls)
      if (packedWeights.count(op.getDpsInputs()[1]))
        if (linalg::FillOp fill = zeroFillOf(op)) {
          fill.erase();
          overwrites.insert(op);
        }

    auto ptrAt = [&](Location loc, Value v) -> Value {
      Value idx = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, v);
      return arith::IndexCastOp::create(b, loc, b.getI64Type(), idx);
    };
    auto cstAt = [&](Location loc, int64_t v) -> Value {
      return arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(v));
    };
    llvm::DenseSet<Operation *> grouped;
    for (auto &group : groups) {
      if (group.size() < 2)
        continue;
      // At the last member: the earlier ones' results are not read before
      // it (groupByA checked), and the last one's inputs are ready.
      linalg::MatmulOp last = group.back();
      b.setInsertionPoint(last);
      Location loc = last.getLoc();
      Value a = last.getDpsInputs()[0];
      auto at = cast<MemRefType>(a.getType());
      int64_t overwriteMask = 0;
      for (auto [i, op] : llvm::enumerate(group))
        if (overwrites.count(op))
          overwriteMask |= int64_t(1) << i;
      SmallVector<Value> args = {ptrAt(loc, a), cstAt(loc, at.getDimSize(0)),
                                 cstAt(loc, at.getDimSize(1)),
                                 cstAt(loc, group.size()),
                                 cstAt(loc, overwriteMask)};
      for (unsigned i = 0; i < kMaxGroup; ++i) {
        if (i < group.size()) {
          Value c = group[i].getDpsInits()[0];
          args.push_back(ptrAt(loc, group[i].getDpsInputs()[1]));
          args.push_back(ptrAt(loc, c));
          args.push_back(cstAt(loc, cast<MemRefType>(c.getType()).getDimSize(1)));
        } else {
          args.append(3, cstAt(loc, 0));
        }
      }
      func::CallOp::create(b, loc, kGemmGroup, TypeRange{}, args);
      for (linalg::MatmulOp op : group) {
        grouped.insert(op);
        op.erase();
        ++numKernelCalls;
      }
    }
    for (auto [op, transB] : matmuls) {
      if (grouped.count(op))
        continue;
      b.setInsertionPoint(op);
      Location loc = op.getLoc();
      auto ptr = [&](Value v) { return ptrAt(loc, v); };
      auto cst = [&](int64_t v) { return cstAt(loc, v); };
      Value a = op.getDpsInputs()[0], bm = op.getDpsInputs()[1],
            c = op.getDpsInits()[0];
      auto at = cast<MemRefType>(a.getType());
      auto ct = cast<MemRefType>(c.getType());
      SmallVector<Value> args = {ptr(a), ptr(bm), ptr(c),
                                 cst(ct.getDimSize(0)), cst(ct.getDimSize(1)),
                                 cst(at.getDimSize(1))};
      if (packedWeights.count(bm)) {
        args.push_back(arith::ConstantOp::create(
            b, loc, b.getI32IntegerAttr(overwrites.count(op) ? 1 : 0)));
        func::CallOp::create(b, loc, kGemmPacked, TypeRange{}, args);
      } else {
        args.push_back(
            arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(transB)));
        func::CallOp::create(b, loc, kGemm, TypeRange{}, args);
      }
      op.erase();
      ++numKernelCalls;
    }
  }
};

} // namespace
