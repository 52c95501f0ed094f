//===- Pipelines.cpp - tx pass pipelines ----------------------------------===//

#include "txc/Compiler/Pipelines.h"
#include "txc/Codegen/Passes.h"
#include "txc/Passes/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/TosaToLinalg/TosaToLinalg.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void txc::buildDefaultPipeline(OpPassManager &pm,
                               const DefaultPipelineOptions &options) {
  pm.addPass(createCanonicalizerPass());
  LayerSkipPassOptions skip;
  skip.speedup = options.layerSkipSpeedup;
  skip.skipLayers.assign(options.skipLayers.begin(), options.skipLayers.end());
  skip.calibration = options.calibration;
  pm.addPass(createLayerSkipPass(skip));
  if (options.modCapacity > 0) {
    ModPrunePassOptions mod;
    mod.capacity = options.modCapacity;
    mod.schedule = options.modSchedule;
    mod.router = options.modRouter;
    mod.decision = options.modDecision;
    mod.weighting = options.modWeighting;
    mod.calibration = options.calibration;
    pm.addPass(createModPrunePass(mod));
  }
  if (options.calibrationTaps)
    pm.addPass(createCalibrationTapsPass());
  if (!options.quantize.empty()) {
    QuantizePassOptions quant;
    quant.format = options.quantize;
    quant.group = options.quantGroup;
    quant.symmetric = !options.quantZeroPoint;
    quant.method = options.quantMethod;
    quant.calibration = options.calibration;
    quant.keep.assign(options.quantKeep.begin(), options.quantKeep.end());
    quant.overrides.assign(options.quantOverride.begin(),
                           options.quantOverride.end());
    quant.mixed = options.quantMixed;
    quant.mixedFormat = options.quantMixedFormat;
    pm.addPass(createQuantizePass(quant));
  }
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

void txc::buildGenerationPipeline(OpPassManager &pm,
                                  const GenerationPipelineOptions &options) {
  UseKVCachePassOptions kv;
  kv.capacity = options.capacity;
  kv.blockSize = options.blockSize;
  kv.kvQuant = options.kvQuant;
  kv.kvQuantGroup = options.kvQuantGroup;
  kv.kvQuantResidual = options.kvQuantResidual;
  kv.kvQuantBuffer = options.kvQuantBuffer;
  pm.addPass(createUseKVCachePass(kv));
}

void txc::buildCPULinalgPipeline(OpPassManager &pm,
                                 const CPULinalgPipelineOptions &options) {
  TxLowerToLinalgPassOptions lower;
  lower.attentionKernel = options.attentionKernel;
  pm.addPass(createTxLowerToLinalgPass(lower));
  pm.addPass(createWeightsToArgumentsPass());
  pm.addNestedPass<func::FuncOp>(tosa::createTosaToLinalg());
  pm.addPass(createConvertElementwiseToLinalgPass());
  pm.addPass(createDecomposeAggregatesPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void txc::buildCPULLVMPipeline(OpPassManager &pm,
                               const CPULLVMPipelineOptions &options) {
  // Bufferization: destination-passing style, identity layouts at function
  // boundaries, results as out-parameters.
  pm.addPass(createFuseElementwisePass());
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  pm.addPass(bufferization::createEmptyTensorToAllocTensorPass());
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  pm.addPass(bufferization::createBufferResultsToOutParamsPass());
  bufferization::buildBufferDeallocationPipeline(pm);
  pm.addPass(createConvertBufferizationToMemRefPass());
  pm.addPass(createInlineHelpersPass());
  pm.addPass(createLowerStridedCopiesPass());
  // Kernel calls, then loops for everything else.
  pm.addPass(createMatmulToKernelsPass());
  pm.addPass(createAttentionToKernelsPass());
  pm.addPass(createQuantToKernelsPass());
  LinalgToLoopsPassOptions loops;
  loops.parallel = options.parallel;
  loops.minParallelWork = options.minParallelWork;
  loops.vectorBits = options.vectorBits;
  pm.addPass(createLinalgToLoopsPass(loops));
  pm.addPass(createConvertLinalgToLoopsPass());
  if (options.approximateMath)
    pm.addPass(createApproximateMathPass());
  pm.addPass(createConvertSCFToOpenMPPass());
  pm.addPass(createCanonicalizerPass());
  // To the LLVM dialect.
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertVectorToLLVMPass());
  FinalizeMemRefToLLVMConversionPassOptions memrefs;
  memrefs.useGenericFunctions = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefs));
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  ConvertFuncToLLVMPassOptions funcs;
  funcs.useBarePtrCallConv = true;
  pm.addPass(createConvertFuncToLLVMPass(funcs));
  pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  EmitEntryPointsPassOptions entry;
  entry.prefix = options.entryPrefix;
  pm.addPass(createEmitEntryPointsPass(entry));
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
  PassPipelineRegistration<GenerationPipelineOptions>(
      "tx-generation-pipeline",
      "Generation: put every attention on an in-place KV cache (what txc "
      "--max-seq runs after the graph pipeline)",
      buildGenerationPipeline);
  PassPipelineRegistration<CPULinalgPipelineOptions>(
      "tx-cpu-linalg-pipeline",
      "CPU backend, first half: raised tx IR to linalg on tensors (what txc "
      "--emit=linalg runs after the graph pipeline)",
      buildCPULinalgPipeline);
  PassPipelineRegistration<CPULLVMPipelineOptions>(
      "tx-cpu-llvm-pipeline",
      "CPU backend, second half: linalg on tensors to the LLVM dialect with "
      "kernel calls and the runtime entry points",
      buildCPULLVMPipeline);
}
