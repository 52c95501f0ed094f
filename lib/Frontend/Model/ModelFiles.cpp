//===- ModelFiles.cpp - recognise and load GGUF files and HF folders ------===//
//
// Tells the model files txc builds directly (GGUF files, Hugging Face
// folders) from ONNX files and hands them to their loader. A file named
// `.gguf` is read as GGUF whatever its first bytes, and every folder as a
// Hugging Face folder, so that a damaged one is reported as such rather
// than as an ONNX parse failure.
//
//===----------------------------------------------------------------------===//

#include "ModelFiles.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"

using namespace llvm;

bool txc::isModelFile(StringRef path) {
  // A folder is never an ONNX file: the Hugging Face loader names what it
  // lacks.
  if (sys::fs::is_directory(path))
    return true;
  if (sys::path::extension(path).equals_insensitive(".gguf"))
    return true;
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
