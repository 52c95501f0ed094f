//===- LoweringUtils.h - shared tx-to-linalg builders -----------*- C++ -*-===//
//
// Builders for the pieces every tx-to-linalg pattern needs: filled
// destination tensors, scalar constants, float casts, the affine maps of
// rank-polymorphic reductions and a row gather. Also declares the
// populate functions of the per-family pattern files.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_CODEGEN_CPU_LOWERINGUTILS_H
#define TXC_CODEGEN_CPU_LOWERINGUTILS_H

#include "txc/Dialect/Tx/TxOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/DenseSet.h"

namespace txc::cpu {

//===----------------------------------------------------------------------===//
// Tensors and scalars
//===----------------------------------------------------------------------===//

/// A `tensor.empty` of the given static shape.
mlir::Value createEmpty(mlir::OpBuilder &b, mlir::Location loc,
                        llvm::ArrayRef<int64_t> shape, mlir::Type elementType);

/// A `tensor.empty` of the given static shape filled with `value` by
/// `linalg.fill`.
mlir::Value createFilled(mlir::OpBuilder &b, mlir::Location loc,
                         llvm::ArrayRef<int64_t> shape, mlir::Value value);

/// An `arith.constant` of float type `type` holding `value` (rounded).
mlir::Value createFloat(mlir::OpBuilder &b, mlir::Location loc, mlir::Type type,
                        double value);

/// An `arith.constant` of float type `type` holding -infinity.
mlir::Value createNegInfinity(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::Type type);

/// Converts the float `value` to float type `to` with `arith.extf` and/or
/// `arith.truncf` (nothing when the types agree).
mlir::Value castFloat(mlir::OpBuilder &b, mlir::Location loc, mlir::Value value,
                      mlir::Type to);

/// Converts a signless integer (read as signed) or index scalar to `index`.
mlir::Value castToIndex(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::Value value);

//===----------------------------------------------------------------------===//
// linalg.generic plumbing
//===----------------------------------------------------------------------===//

/// `numParallel` parallel iterators followed by `numReduction` reduction
/// iterators.
llvm::SmallVector<mlir::utils::IteratorType>
getIterators(unsigned numParallel, unsigned numReduction = 0);

/// The map `(d0, ..., d{numDims-1}) -> (d{dims[0]}, d{dims[1]}, ...)`.
mlir::AffineMap getProjection(mlir::MLIRContext *ctx, unsigned numDims,
                              llvm::ArrayRef<unsigned> dims);

/// The map of a rank-`rank` loop nest onto all but its last loop, as used for
/// per-row statistics of a reduction over the last dimension.
mlir::AffineMap getDropLastMap(mlir::MLIRContext *ctx, unsigned rank);

/// The map of a rank-`rank` loop nest onto its last loop only, as used for
/// per-channel parameters such as norm weights.
mlir::AffineMap getLastDimMap(mlir::MLIRContext *ctx, unsigned rank);

/// Gathers rows of `table` (`[V, C]`) for each integer id of `ids` (any
/// shape), giving `ids.shape + [C]`. Ids outside `[0, V)` are undefined
/// behaviour, as in tx.embedding.
mlir::Value gatherRows(mlir::OpBuilder &b, mlir::Location loc,
                       mlir::Value table, mlir::Value ids);

/// `y = x * W^T + b` over the last dimension of `x` (`[..., K]`), with `w`
/// `[N, K]` and an optional `bias` `[N]`; the result has type `resultType`
/// (`[..., N]`). The leading dimensions are collapsed so that the product is
/// one `linalg.matmul` (transposed-B maps) accumulating into the broadcast
/// bias (or zeros).
mlir::Value buildLinear(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                        mlir::Value w, mlir::Value bias,
                        mlir::RankedTensorType resultType);

/// Reshapes `x` (`[..., K]`, rank >= 1) to the matrix `[M, K]`, M the
/// product of the leading dimensions (1 for a vector).
mlir::Value toMatrix(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x);
/// Reshapes the matrix `y` (`[M, N]`) back to `type` (`[..., N]`), undoing
/// toMatrix.
mlir::Value fromMatrix(mlir::OpBuilder &b, mlir::Location loc, mlir::Value y,
                       mlir::RankedTensorType type);

/// The op that builds the !tx.qweight `weight` (tx.qpack or tx.qblocks),
/// following the value through tx.layer block arguments and results; null
/// when there is none (e.g. a function argument).
mlir::Operation *findQWeightDef(mlir::Value weight);
/// findQWeightDef when it is a tx.qpack, else null.
tx::QPackOp findQPack(mlir::Value weight);
/// findQWeightDef when it is a tx.qblocks, else null.
tx::QBlocksOp findQBlocks(mlir::Value weight);

/// Declares the runtime kernel `name` (a private external func.func) at the
/// start of `module`, unless it is declared already.
void declareKernel(mlir::ModuleOp module, llvm::StringRef name,
                   mlir::FunctionType type);

//===----------------------------------------------------------------------===//
// Kernel calls (after bufferization)
//===----------------------------------------------------------------------===//

/// The buffer `v` is a view of (through view-like ops).
mlir::Value rootBuffer(mlir::Value v);

/// Whether `op` (or an op nested in it) has an operand viewing one of the
/// buffers of `roots`.
bool touchesAny(mlir::Operation *op, const llvm::DenseSet<mlir::Value> &roots);

/// Whether the destination-style `members` (in order, one block, all
/// reading `input`) may all run at the position of `last` (a later op of
/// that block, itself joining them): nothing between a member and `last`
/// touches the member's result buffer, and nothing between the first
/// member and `last` writes `input` or has unknown effects. Grouped kernel
/// calls (products that share their input) use it.
bool canDelay(llvm::ArrayRef<mlir::Operation *> members, mlir::Operation *last,
              mlir::Value input);

/// The integer arguments describing one memref.
struct MemRefArgs {
  mlir::Value pointer;                 ///< i64 address of element [0, 0, 0, 0]
  llvm::SmallVector<mlir::Value, 4> strides; ///< i64, in elements
  mlir::memref::ExtractStridedMetadataOp meta;
};

/// Builds the scalar arguments of kernel calls from memrefs: element
/// pointers (aligned base + offset, as i64), sizes and strides.
class CallBuilder {
public:
  CallBuilder(mlir::OpBuilder &b, mlir::Location loc) : b(b), loc(loc) {}

  mlir::Value i64(int64_t v) {
    return mlir::arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(v));
  }
  mlir::Value i32(int64_t v) {
    return mlir::arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(v));
  }
  mlir::Value toI64(mlir::Value index) {
    return mlir::arith::IndexCastOp::create(b, loc, b.getI64Type(), index);
  }

  /// Size `d` of the memref `args` describes.
  mlir::Value size(MemRefArgs &args, unsigned d) {
    auto type = llvm::cast<mlir::MemRefType>(args.meta.getSource().getType());
    int64_t size = type.getDimSize(d);
    return mlir::ShapedType::isDynamic(size) ? toI64(args.meta.getSizes()[d])
                                       : i64(size);
  }

  /// Pointer and strides of `memref`; `broadcastUnitDims` passes stride 0
  /// for size-1 dimensions.
  MemRefArgs describe(mlir::Value memref, bool broadcastUnitDims = false) {
    auto type = llvm::cast<mlir::MemRefType>(memref.getType());
    auto meta = mlir::memref::ExtractStridedMetadataOp::create(b, loc, memref);
    llvm::SmallVector<int64_t> strides;
    int64_t offset;
    if (mlir::failed(type.getStridesAndOffset(strides, offset))) {
      strides.assign(type.getRank(), mlir::ShapedType::kDynamic);
      offset = mlir::ShapedType::kDynamic;
    }
    MemRefArgs args;
    args.meta = meta;
    mlir::Value base = mlir::memref::ExtractAlignedPointerAsIndexOp::create(
        b, loc, meta.getBaseBuffer());
    if (offset != 0) {
      // Element offset in bytes (i1 elements take one byte each).
      unsigned bytes = std::max(1u, type.getElementTypeBitWidth() / 8);
      mlir::Value off =
          mlir::ShapedType::isDynamic(offset)
              ? meta.getOffset()
              : mlir::arith::ConstantIndexOp::create(b, loc, offset).getResult();
      mlir::Value scaled = mlir::arith::MulIOp::create(
          b, loc, off, mlir::arith::ConstantIndexOp::create(b, loc, bytes));
      base = mlir::arith::AddIOp::create(b, loc, base, scaled);
    }
    args.pointer = toI64(base);
    for (int64_t d = 0; d < type.getRank(); ++d) {
      if (broadcastUnitDims && type.getDimSize(d) == 1)
        args.strides.push_back(i64(0));
      else if (mlir::ShapedType::isDynamic(strides[d]))
        args.strides.push_back(toI64(meta.getStrides()[d]));
      else
        args.strides.push_back(i64(strides[d]));
    }
    return args;
  }

private:
  mlir::OpBuilder &b;
  mlir::Location loc;
};


//===----------------------------------------------------------------------===//
// Pattern families
//===----------------------------------------------------------------------===//

/// tx.layer (inlined), tx.linear, tx.embedding, tx.tree_mask.
void populateCoreLoweringPatterns(mlir::RewritePatternSet &patterns);
/// tx.rms_norm, tx.layer_norm.
void populateNormLoweringPatterns(mlir::RewritePatternSet &patterns);
/// tx.rope.
void populateRopeLoweringPatterns(mlir::RewritePatternSet &patterns);
/// tx.attention with mask kinds none, causal and sliding_window; with
/// `useKernel`, f32 attention becomes txcpu.attention (the runtime kernel).
void populateAttentionLoweringPatterns(mlir::RewritePatternSet &patterns,
                                       bool useKernel);
/// tx.dequant, tx.qlinear, and tx.embedding of a block-format table
/// (tx.qpack and tx.qblocks disappear once unused).
void populateQuantLoweringPatterns(mlir::RewritePatternSet &patterns);
/// tx.route, tx.gather_tokens, tx.scatter_tokens.
void populateRoutingLoweringPatterns(mlir::RewritePatternSet &patterns);

/// Lowers the entry function's `!tx.kv_cache` argument and the kv_append /
/// kv_view ops on it to tensors written in place (TxToLinalgKVCache.cpp).
/// Runs after the patterns, once tx.layer regions are inlined.
mlir::LogicalResult lowerKVCache(mlir::func::FuncOp func);

} // namespace txc::cpu

#endif // TXC_CODEGEN_CPU_LOWERINGUTILS_H
