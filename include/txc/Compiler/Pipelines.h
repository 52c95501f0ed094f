//===- Pipelines.h - tx pass pipelines --------------------------*- C++ -*-===//
//
// Pipeline builders shared by tx-opt (through PassPipelineRegistration), txc
// and anyone embedding txc's passes in another compiler.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_COMPILER_PIPELINES_H
#define TXC_COMPILER_PIPELINES_H

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
};

/// The default pipeline over tx IR: canonicalize, static layer skipping,
/// canonicalize, CSE. Runs on a module.
void buildDefaultPipeline(mlir::OpPassManager &pm,
                          const DefaultPipelineOptions &options);

/// Raising: turns the patterns exporters emit into tx ops (attention,
/// norms, rope, layers). Runs on a module; used by `txc --emit=tx`.
void buildRaisePipeline(mlir::OpPassManager &pm);

/// Registers every txc pipeline with the global pass registry
/// (`tx-default-pipeline`, `tx-raise-pipeline`).
void registerPipelines();

} // namespace txc

#endif // TXC_COMPILER_PIPELINES_H
