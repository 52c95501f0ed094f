//===- Pipelines.cpp - tx pass pipelines ----------------------------------===//

#include "txc/Compiler/Pipelines.h"
#include "txc/Passes/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void txc::buildDefaultPipeline(OpPassManager &pm,
                               const DefaultPipelineOptions &options) {
  pm.addPass(createCanonicalizerPass());
  LayerSkipPassOptions skip;
  skip.speedup = options.layerSkipSpeedup;
  pm.addPass(createLayerSkipPass(skip));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void txc::buildRaisePipeline(OpPassManager &pm) {
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createRaiseNormsPass());
  pm.addPass(createRaiseRopePass());
  pm.addPass(createRaiseAttentionPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createRaiseLayersPass());
}

void txc::registerPipelines() {
  PassPipelineRegistration<>(
      "tx-raise-pipeline",
      "Raise imported models into tx ops (what txc --emit=tx runs)",
      buildRaisePipeline);
  PassPipelineRegistration<DefaultPipelineOptions>(
      "tx-default-pipeline",
      "The default tx graph pipeline: canonicalize, static layer skipping, "
      "canonicalize, CSE",
      buildDefaultPipeline);
}
