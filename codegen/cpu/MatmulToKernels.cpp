//===- MatmulToKernels.cpp - f32 matmuls to the runtime GEMM kernel -------===//

#include "txc/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/JSON.h"

namespace txc {
#define GEN_PASS_DEF_MATMULTOKERNELSPASS
#include "txc/Codegen/Passes.h.inc"
} // namespace txc

using namespace mlir;

static constexpr llvm::StringLiteral kGemm = "txc_sgemm";
static constexpr llvm::StringLiteral kGemmPacked = "txc_sgemm_packed";
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
      if (module.lookupSymbol<func::FuncOp>(name))
        return;
      b.setInsertionPointToStart(module.getBody());
      func::FuncOp::create(b, module.getLoc(), name, type).setPrivate();
    };
    if (llvm::any_of(matmuls, [&](auto &m) {
          return !packedWeights.count(m.first.getDpsInputs()[1]);
        }))
      declare(kGemm, b.getFunctionType({i64, i64, i64, i64, i64, i64, b.getI32Type()}, {}));
    if (!packedWeights.empty())
      declare(kGemmPacked, b.getFunctionType({i64, i64, i64, i64, i64, i64}, {}));
    for (auto [op, transB] : matmuls) {
      b.setInsertionPoint(op);
      Location loc = op.getLoc();
      auto ptr = [&](Value v) -> Value {
        Value idx = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, v);
        return arith::IndexCastOp::create(b, loc, b.getI64Type(), idx);
      };
      Value a = op.getDpsInputs()[0], bm = op.getDpsInputs()[1],
            c = op.getDpsInits()[0];
      auto at = cast<MemRefType>(a.getType());
      auto ct = cast<MemRefType>(c.getType());
      auto cst = [&](int64_t v) -> Value {
        return arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(v));
      };
      SmallVector<Value> args = {ptr(a), ptr(bm), ptr(c),
                                 cst(ct.getDimSize(0)), cst(ct.getDimSize(1)),
                                 cst(at.getDimSize(1))};
      if (packedWeights.count(bm)) {
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
