//===- Importer.h - ONNX graph importer internals ---------------*- C++ -*-===//
//
// GraphImporter walks the ONNX graph in order. Each node is either folded on
// the host (all inputs known, see HostEval.h) or handed to the converter
// registered for its (domain, op type), which emits MLIR through a
// NodeContext. Converters live in one file per op family (Convert*.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef TXC_LIB_FRONTEND_ONNX_IMPORTER_H
#define TXC_LIB_FRONTEND_ONNX_IMPORTER_H

#include "HostEval.h"
#include "HostTensor.h"
#include "ModelLoader.h"

#include "txc/Frontend/ONNX/Import.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringMap.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace txc::onnx_import {

/// A DequantizeLinear whose inputs are all constants, not computed until a
/// node reads it (see ConvertQuant.cpp): MatMul and Gemm take it as a
/// quantized weight, any other reader gets the dequantized values.
struct DequantSpec {
  /// The values of the quantized data, scale and zero point ("" if none).
  std::string data, scale, zeroPoint;
  /// The node's name, for messages.
  std::string node;
  /// Normalized `axis` and `block_size` (0: per tensor or per axis).
  int64_t axis = 1, blockSize = 0;
  /// Element type of the result (the scale's).
  DType outType = DType::F32;
};

/// What the importer knows about one ONNX value.
struct ValueState {
  /// The IR value; null until needed for a constant.
  mlir::Value value;
  /// Known at import time (initializer or folded).
  std::optional<HostTensor> constant;
  /// ONNX element type (keeps signedness, which MLIR integers do not).
  DType dtype = DType::Undefined;
  /// Name of the initializer this value is, if any (for tx.weight).
  std::string initializer;
  /// An initializer that holds a precomputed value rather than a model
  /// parameter (see GraphImporter::classifyInitializers); inlined like folded
  /// values so that the raising passes can read it.
  bool derived = false;
  /// For a Transpose of a large 2-D weight, which is not folded: the weight
  /// it transposes. MatMul reads the weight directly; other users get a
  /// linalg.transpose when they first need the value.
  std::string transposeOf;
  /// Generation (txc --max-seq): the value is a function of the token
  /// positions -- the position_ids input, or positions an export computed
  /// as Range over the sequence length -- through arithmetic, never a
  /// comparison. It is folded with the positions of the compiled step (the
  /// constant), but a node that is not folded reads the value computed at
  /// run time from the position_ids input (rebuilt from `producer`), so that
  /// rotary tables follow the KV cache while causal masks stay constant.
  bool positional = false;
  /// The value was computed from the shape of input_ids (its sequence
  /// length), so a Range over it counts positions.
  bool fromTokenShape = false;
  /// Index of the graph node that produced the value, or -1.
  int producer = -1;
  /// A DequantizeLinear of constants not yet computed (see DequantSpec).
  std::optional<DequantSpec> dequant;
  /// The output of a QuantizeLinear: its codes as f32 (rounded, clamped), so
  /// that a DequantizeLinear reading them needs no integer round trip.
  mlir::Value codesAsFloat;
};

class GraphImporter;

/// Everything a converter needs for one node.
class NodeContext {
public:
  NodeContext(GraphImporter &importer, const onnx::NodeProto &node,
              const NodeAttrs &attrs, int64_t opset, mlir::Location loc);

  const onnx::NodeProto &node;
  const NodeAttrs &attrs;
  int64_t opset;
  mlir::Location loc;
  mlir::OpBuilder &b;

  unsigned numInputs() const;
  /// False for an omitted optional input (empty name) or one past the end.
  bool hasInput(unsigned i) const;
  /// The IR value of input `i` (materializing a constant if needed).
  mlir::Value input(unsigned i);
  /// Input `i` when known at import time, else null.
  const HostTensor *constInput(unsigned i) const;
  DType inputDType(unsigned i) const;
  mlir::RankedTensorType inputType(unsigned i);
  /// Name of the initializer behind input `i`, or empty.
  llvm::StringRef inputInitializer(unsigned i) const;

  unsigned numOutputs() const;
  bool hasOutput(unsigned i) const;
  void setOutput(unsigned i, mlir::Value value, DType dtype);

  /// Reports an error naming the node and its op type; returns failure.
  mlir::LogicalResult fail(const llvm::Twine &message);
  /// Fails because input `i` (`what`, e.g. "the target shape") must be known
  /// at compile time but is not; the message says why (see
  /// GraphImporter::explainRuntime).
  mlir::LogicalResult failNotConstant(unsigned i, const llvm::Twine &what);

  /// A constant weight as IR: inline dense attribute when small, else a
  /// tx.weight named `name` whose data goes to the weights file.
  mlir::Value weight(const HostTensor &tensor, llvm::StringRef name);

  GraphImporter &importer;
};

using ConvertFn = mlir::LogicalResult (*)(NodeContext &);

/// Converter table: domain ("" = ONNX) -> op type -> (function, min opset).
struct ConverterEntry {
  ConvertFn fn;
  int64_t minOpset;
  /// Inputs that must be present (checked before the converter runs).
  unsigned minInputs = 1;
};
using ConverterMap = std::map<std::string, std::map<std::string, ConverterEntry>>;

void registerElementwiseConverters(ConverterMap &map);
void registerShapeConverters(ConverterMap &map);
void registerLinalgConverters(ConverterMap &map);
void registerTransformerConverters(ConverterMap &map);
void registerQuantConverters(ConverterMap &map);

/// Computes a pending DequantizeLinear (ValueState::dequant) of `name` on the
/// host: the value becomes a constant named after its data initializer.
/// No-op for other values.
void resolveDequantized(GraphImporter &importer, llvm::StringRef name);

/// Input `i` of a MatMul or Gemm as a quantized weight [N, K]: a pending
/// DequantizeLinear (possibly through a Transpose) of int8/uint8/int4/uint4
/// codes whose scales are per tensor, per output row or in blocks along K.
/// `transB`: the operand is [N, K] (Gemm's transB). Returns the
/// `!tx.qweight` (a tx.qpack), or null -- after resolving the weight to
/// constant floats, with a warning saying why when it is a DequantizeLinear
/// that does not fit -- when the caller should take the dense path.
mlir::Value quantizedWeight(NodeContext &ctx, unsigned i, bool transB);

/// The MLIR element type used for an ONNX element type.
mlir::Type toMLIRType(DType dtype, mlir::MLIRContext *ctx);
/// Dense attribute holding `tensor`.
mlir::DenseElementsAttr toDenseAttr(const HostTensor &tensor,
                                    mlir::MLIRContext *ctx);

class GraphImporter {
public:
  GraphImporter(mlir::MLIRContext &ctx, LoadedModel &model,
                const ONNXImportOptions &options, SafetensorsWriter *weights);

  mlir::OwningOpRef<mlir::ModuleOp> run();

  mlir::MLIRContext &ctx;
  mlir::OpBuilder builder;
  LoadedModel &model;
  const ONNXImportOptions &options;

  llvm::StringMap<ValueState> values;
  /// Materializes the IR value of `name` (constants on first use).
  mlir::Value materialize(llvm::StringRef name, mlir::Location loc);
  /// A constant as IR: inline when small (or folded and not huge), else a
  /// tx.weight whose data is added to the weights file. `fromModel` marks
  /// data that came from the model's initializers. `alwaysStore`: a
  /// tx.weight even when small (the parts of a quantized weight, which
  /// tx-quantize reads from the weights file).
  mlir::Value weight(const HostTensor &tensor, llvm::StringRef name,
                     mlir::Location loc, bool fromModel,
                     bool alwaysStore = false);
  /// Why the value `name` is not known at compile time: the model still has
  /// dynamic dimensions (then the inputs to give --shape are listed), or the
  /// value depends on the data of some inputs (which --shape cannot fix).
  /// `shapeOnly`: only the value's shape is needed (Shape, Size).
  std::string explainRuntime(llvm::StringRef name, bool shapeOnly);
  mlir::Location fileLoc();
  mlir::Location nodeLoc(const onnx::NodeProto &node);

private:
  mlir::LogicalResult checkSupport();
  mlir::LogicalResult declareInputs(mlir::ModuleOp module);
  void classifyInitializers();
  mlir::LogicalResult importNode(const onnx::NodeProto &node);
  mlir::LogicalResult tryFold(const onnx::NodeProto &node,
                              const NodeAttrs &attrs, int64_t opset,
                              bool &folded);
  /// Generation: gives the position_ids input the positions of the compiled
  /// step as its folding value (see ValueState::positional).
  void setPositionProbe();
  /// After `node` folded: marks its outputs positional / fromTokenShape.
  void trackPositions(const onnx::NodeProto &node, int index);
  /// The run-time value of a positional value whose rebuild is possible;
  /// null when a node on its way cannot be converted (then the constant is
  /// used, as without generation).
  mlir::Value materializePositional(llvm::StringRef name, mlir::Location loc);
  /// The positions of the step at run time as a 1-D tensor of `dtype`, from
  /// the position_ids input (added when the model has none).
  mlir::Value runtimePositions(DType dtype, mlir::Location loc);

  SafetensorsWriter *weights;
  ConverterMap converters;
  /// Graph inputs left with dynamic dimensions after --shape, as
  /// "name [dims]" (symbolic dimensions by name, others as ?).
  std::vector<std::string> dynamicInputs;
  mlir::func::FuncOp func;
  /// Insertion point for materialized constants (start of the function).
  mlir::Block *entry = nullptr;
  llvm::StringMap<mlir::Value> weightCache;
  /// Generation: the index of the node being imported, and the position
  /// input's [batch, sequence] and past length of the compiled step.
  int currentNode = -1;
  bool generationMode = false;
  int64_t stepBatch = -1, stepLength = -1, stepPast = 0;
  std::string tokensInput;
  /// The name of the input with role `positions` (txc adds one named
  /// position_ids when the model has none).
  std::string positionsInput;
  bool hasPositionInput = false;
  /// A positional value could not be rebuilt (reported).
  bool positionsFailed = false;
};

} // namespace txc::onnx_import

#endif // TXC_LIB_FRONTEND_ONNX_IMPORTER_H
