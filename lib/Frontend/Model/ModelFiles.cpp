//===- ModelFiles.cpp - recognise and load GGUF files and HF folders ------===//

#include "ModelFiles.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"

using namespace llvm;

bool txc::isModelFile(StringRef path) {
  if (sys::fs::is_directory(path)) {
    SmallString<256> config(path);
    sys::path::append(config, "config.json");
    return sys::fs::exists(config);
  }
  auto head = MemoryBuffer::getFileSlice(path, 4, 0, /*IsVolatile=*/false);
  if (!head)
    return false;
  return (*head)->getBuffer() == "GGUF";
}

Expected<txc::LoadedModel> txc::loadModelFile(StringRef path) {
  if (sys::fs::is_directory(path))
    return loadHFModel(path);
  return loadGGUFModel(path);
}
