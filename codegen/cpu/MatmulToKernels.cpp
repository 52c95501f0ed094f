//===- MatmulToKernels.cpp - f32 matmuls to the runtime GEMM kernel -------===//

#include "txc/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"

namespace txc {
#define GEN_PASS_DEF_MATMULTOKERNELSPASS
#include "txc/Codegen/Passes.h.inc"
} // namespace txc

using namespace mlir;

static constexpr llvm::StringLiteral kGemm = "txc_sgemm";

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

    OpBuilder b(ctx);
    if (!module.lookupSymbol<func::FuncOp>(kGemm)) {
      b.setInsertionPointToStart(module.getBody());
      Type i64 = b.getI64Type();
      auto type = b.getFunctionType({i64, i64, i64, i64, i64, i64, b.getI32Type()}, {});
      auto decl = func::FuncOp::create(b, module.getLoc(), kGemm, type);
      decl.setPrivate();
    }
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
      Value trans = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(transB));
      func::CallOp::create(b, loc, kGemm, TypeRange{},
                           ValueRange{ptr(a), ptr(bm), ptr(c),
                                      cst(ct.getDimSize(0)), cst(ct.getDimSize(1)),
                                      cst(at.getDimSize(1)), trans});
      op.erase();
      ++numKernelCalls;
    }
  }
};

} // namespace
