//===- Pipelines.h - tx pass pipelines --------------------------*- C++ -*-===//
//
// Pipeline builders shared by tx-opt (through PassPipelineRegistration), txc
// and anyone embedding txc's passes in another compiler.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_COMPILER_PIPELINES_H
#define TXC_COMPILER_PIPELINES_H

#include "txc-c/txc_model_format.h"

#include "mlir/Pass/PassOptions.h"

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace txc {

/// Options of the default graph-level pipeline.
struct DefaultPipelineOptions
    : public mlir::PassPipelineOptions<DefaultPipelineOptions> {
  Option<double> layerSkipSpeedup{
      *this, "layer-skip-speedup",
      llvm::cl::desc("Target speed-up of static layer skipping (1.0 keeps "
                     "every layer)"),
      llvm::cl::init(1.0)};
  ListOption<int64_t> skipLayers{
      *this, "skip-layers",
      llvm::cl::desc("Layers tx-layer-skip removes (instead of the speed-up "
                     "rule)")};
  Option<double> modCapacity{
      *this, "mod-capacity",
      llvm::cl::desc("Run tx-mod-prune with this capacity (0: do not)"),
      llvm::cl::init(0.0)};
  Option<std::string> modSchedule{
      *this, "mod-schedule",
      llvm::cl::desc("tx-mod-prune schedule: constant or pmod"),
      llvm::cl::init("constant")};
  Option<std::string> modRouter{
      *this, "mod-router",
      llvm::cl::desc("tx-mod-prune router: update or probe (reads "
                     "calibration)"),
      llvm::cl::init("update")};
  Option<std::string> modWeighting{
      *this, "mod-weighting",
      llvm::cl::desc("tx-mod-prune weighting (router=checkpoint): none, mod "
                     "or pmod"),
      llvm::cl::init("none")};
  Option<std::string> modDecision{
      *this, "mod-decision",
      llvm::cl::desc("tx-mod-prune decision: topk or threshold (reads "
                     "calibration)"),
      llvm::cl::init("topk")};
  Option<std::string> quantize{
      *this, "quantize",
      llvm::cl::desc("Run tx-quantize with this format (empty: do not)"),
      llvm::cl::init("")};
  Option<int64_t> quantGroup{
      *this, "quant-group",
      llvm::cl::desc("tx-quantize group (0: one scale per output row)"),
      llvm::cl::init(32)};
  Option<bool> quantZeroPoint{
      *this, "quant-zero-point",
      llvm::cl::desc("tx-quantize: integer formats with zero points"),
      llvm::cl::init(false)};
  Option<std::string> quantMethod{
      *this, "quant-method", llvm::cl::desc("tx-quantize method"),
      llvm::cl::init("rtn")};
  Option<std::string> calibration{
      *this, "calibration",
      llvm::cl::desc("Calibration statistics (txc calibrate) for the passes "
                     "that need data"),
      llvm::cl::init("")};
  ListOption<std::string> quantKeep{
      *this, "quant-keep",
      llvm::cl::desc("tx-quantize: linears to keep (globs or lm-head)")};
  ListOption<std::string> quantOverride{
      *this, "quant-override",
      llvm::cl::desc("tx-quantize: GLOB=FORMAT per-linear formats")};
  Option<double> quantMixed{
      *this, "quant-mixed",
      llvm::cl::desc("tx-quantize mixed: fraction of the parameters moved "
                     "to quant-mixed-format, most sensitive first"),
      llvm::cl::init(0.0)};
  Option<std::string> quantMixedFormat{
      *this, "quant-mixed-format",
      llvm::cl::desc("tx-quantize mixed-format"), llvm::cl::init("int8")};
  Option<bool> calibrationTaps{
      *this, "calibration-taps",
      llvm::cl::desc("Run tx-calibration-taps after layer skipping (what "
                     "txc calibrate compiles)"),
      llvm::cl::init(false)};
};

/// The default pipeline over tx IR: canonicalize, static layer skipping,
/// tx-calibration-taps (when `calibrationTaps` is set), tx-quantize (when
/// `quantize` is set), canonicalize, CSE. Runs on a module.
void buildDefaultPipeline(mlir::OpPassManager &pm,
                          const DefaultPipelineOptions &options);

/// Raising: turns the patterns exporters emit into tx ops (attention,
/// norms, rope, layers). Runs on a module; used by `txc --emit=tx`.
void buildRaisePipeline(mlir::OpPassManager &pm);

/// Options of the generation pipeline (what `txc --max-seq` runs).
struct GenerationPipelineOptions
    : public mlir::PassPipelineOptions<GenerationPipelineOptions> {
  Option<int64_t> capacity{
      *this, "capacity",
      llvm::cl::desc("Positions of the KV cache (txc --max-seq)"),
      llvm::cl::init(0)};
  Option<int64_t> blockSize{
      *this, "block-size",
      llvm::cl::desc("Paged cache with blocks of this many positions; 0: one "
                     "slab per layer (txc --kv-block)"),
      llvm::cl::init(0)};
  Option<std::string> kvQuant{
      *this, "kv-quant",
      llvm::cl::desc("How the cache stores keys and values: f32, int8, fp8 "
                     "or int4 (txc --kv-quant)"),
      llvm::cl::init("f32")};
  Option<int64_t> kvQuantGroup{
      *this, "kv-quant-group",
      llvm::cl::desc("kv-quant=int4: tokens per key group, channels per value "
                     "group; 0: chosen (txc --kv-quant-group)"),
      llvm::cl::init(0)};
  Option<int64_t> kvQuantResidual{
      *this, "kv-quant-residual",
      llvm::cl::desc("kv-quant=int4: recent tokens kept in f32 (txc "
                     "--kv-quant-residual)"),
      llvm::cl::init(128)};
  Option<int64_t> kvQuantBuffer{
      *this, "kv-quant-buffer",
      llvm::cl::desc("kv-quant=int4: rows of the f32 buffer of recent "
                     "tokens; 0: residual + group + the step length"),
      llvm::cl::init(0)};
};

/// Generation: puts every attention's keys and values on an in-place KV
/// cache (tx-use-kv-cache). Runs on a module of raised tx IR.
void buildGenerationPipeline(mlir::OpPassManager &pm,
                             const GenerationPipelineOptions &options);

/// Options of the CPU backend's first half.
struct CPULinalgPipelineOptions
    : public mlir::PassPipelineOptions<CPULinalgPipelineOptions> {
  Option<bool> attentionKernel{
      *this, "attention-kernel",
      llvm::cl::desc("Lower f32 attention to the flash-style kernel call "
                     "(txcpu.attention) instead of linalg"),
      llvm::cl::init(true)};
};

/// The CPU backend, first half: raised tx IR to linalg on tensors (weights
/// become entry arguments). What `txc --emit=linalg` runs.
void buildCPULinalgPipeline(mlir::OpPassManager &pm,
                            const CPULinalgPipelineOptions &options);

/// Options of the CPU backend's second half (docs/backend-cpu.md,
/// "Generated loops").
struct CPULLVMPipelineOptions
    : public mlir::PassPipelineOptions<CPULLVMPipelineOptions> {
  Option<bool> parallel{
      *this, "parallel",
      llvm::cl::desc("Run the outer loops of large generated loop nests on "
                     "OpenMP threads (txc --loop-threads)"),
      llvm::cl::init(true)};
  Option<int64_t> minParallelWork{
      *this, "min-parallel-work",
      llvm::cl::desc("Estimated work from which a loop nest is threaded "
                     "(txc --parallel-work)"),
      llvm::cl::init(65536)};
  Option<int64_t> vectorBits{
      *this, "vector-bits",
      llvm::cl::desc("Vector width of innermost loops in bits; 0 leaves them "
                     "scalar (txc --vector-bits)"),
      llvm::cl::init(512)};
  Option<bool> approximateMath{
      *this, "approximate-math",
      llvm::cl::desc("Polynomial approximations instead of libm for exp, "
                     "tanh, erf, ... (txc --approximate-math)"),
      llvm::cl::init(true)};
  Option<std::string> entryPrefix{
      *this, "entry-prefix",
      llvm::cl::desc("Prefix of the entry points (<prefix>_run, "
                     "<prefix>_metadata)"),
      llvm::cl::init(TXC_SYM_MODEL_PREFIX)};
};

/// The CPU backend, second half: linalg on tensors to the LLVM dialect with
/// kernel calls, threaded vector loops and the runtime entry points.
void buildCPULLVMPipeline(mlir::OpPassManager &pm,
                          const CPULLVMPipelineOptions &options);

/// Registers every txc pipeline with the global pass registry
/// (`tx-default-pipeline`, `tx-raise-pipeline`, `tx-generation-pipeline`,
/// `tx-cpu-linalg-pipeline`, `tx-cpu-llvm-pipeline`).
void registerPipelines();

} // namespace txc

#endif // TXC_COMPILER_PIPELINES_H
