//===- import-fuzzer.cpp - libFuzzer target for the ONNX importer ---------===//
//
// Feeds arbitrary bytes to the ONNX importer. Any crash, sanitizer report or
// hang is a bug: bad input must end in a diagnostic.
//
//   cmake -DTXC_BUILD_FUZZERS=ON ... && ninja txc-import-fuzzer
//   build/bin/txc-import-fuzzer -max_total_time=600 CORPUS_DIR
//
//===----------------------------------------------------------------------===//

#include "txc/Compiler/Registration.h"
#include "txc/Frontend/ONNX/Import.h"
#include "txc/Support/Safetensors.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"

#include <cstddef>
#include <cstdint>

/// MLIR and LLVM come from Debian's uninstrumented libraries, while their
/// headers' SmallVector poisons unused capacity in our instrumented code;
/// the mix reports false use-after-poison errors. Manual poisoning is off.
extern "C" const char *__asan_default_options() {
  return "allow_user_poisoning=0";
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static mlir::MLIRContext *context = [] {
    mlir::DialectRegistry registry;
    txc::registerTxcDialects(registry);
    auto *ctx = new mlir::MLIRContext(registry);
    ctx->loadAllAvailableDialects();
    // Diagnostics are expected; keep the fuzzer's output quiet.
    ctx->getDiagEngine().registerHandler([](mlir::Diagnostic &) {
      return mlir::success();
    });
    return ctx;
  }();
  txc::ONNXImportOptions options;
  // Keep folding small so a hostile shape cannot exhaust memory.
  options.foldLimit = 1 << 16;
  txc::SafetensorsWriter weights;
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  (void)txc::importONNXBuffer(bytes, "/nonexistent-fuzz-dir", "fuzz.onnx",
                              *context, options, &weights);
  return 0;
}
