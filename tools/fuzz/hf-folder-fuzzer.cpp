//===- hf-folder-fuzzer.cpp - libFuzzer target for Hugging Face folders ---===//
//
// Feeds arbitrary bytes to the Hugging Face folder loader and the model
// builder: config.json (architecture and `quantization_config`: GPTQ, AWQ,
// FP8) and model.safetensors (dense, packed int4/int8 GPTQ/AWQ tensors, fp8
// weights with their scales). One input holds both files, split at the
// first "\n@@safetensors@@\n" (config.json before it, the safetensors file
// after); they are written to a private temporary folder (TMPDIR, in memory
// under /dev/shm with scripts/fuzz) that loadModelFile reads. Any crash,
// sanitizer report or hang is a bug: bad input must end in an error.
//
//   scripts/fuzz hf-folder [SECONDS]
//
//===----------------------------------------------------------------------===//

#include "txc/Frontend/Model/ModelBuilder.h"
#include "txc/Support/Safetensors.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <cstddef>
#include <cstdint>
#include <string>

/// As in import-fuzzer.cpp: uninstrumented MLIR/LLVM libraries and
/// instrumented headers disagree about container poisoning.
extern "C" const char *__asan_default_options() {
  return "allow_user_poisoning=0";
}

namespace {

bool writeFile(const std::string &path, llvm::StringRef bytes) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return false;
  os << bytes;
  return !os.has_error();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // buildModel loads the dialects it builds with.
  static mlir::MLIRContext *context = [] {
    auto *ctx = new mlir::MLIRContext();
    ctx->getDiagEngine().registerHandler([](mlir::Diagnostic &) {
      return mlir::success();
    });
    return ctx;
  }();
  static std::string folder = [] {
    llvm::SmallString<128> dir;
    if (llvm::sys::fs::createUniqueDirectory("txc-hf-fuzz", dir))
      return std::string();
    return std::string(dir);
  }();
  if (folder.empty())
    return 0;
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  const llvm::StringRef split = "\n@@safetensors@@\n";
  size_t at = bytes.find(split);
  llvm::StringRef config = bytes.substr(0, at);
  llvm::StringRef tensors =
      at == llvm::StringRef::npos ? "" : bytes.substr(at + split.size());
  if (!writeFile(folder + "/config.json", config) ||
      !writeFile(folder + "/model.safetensors", tensors))
    return 0;
  llvm::Expected<txc::LoadedModel> model = txc::loadModelFile(folder);
  if (!model) {
    llvm::consumeError(model.takeError());
    return 0;
  }
  // Build a one-token step with a short position table, so that a hostile
  // configuration cannot ask for huge tables.
  txc::ModelBuildOptions options;
  options.positions = 8;
  txc::SafetensorsWriter weights;
  auto built =
      txc::buildModel(model->config, *model->tensors, *context, options,
                      &weights);
  if (!built)
    llvm::consumeError(built.takeError());
  return 0;
}
