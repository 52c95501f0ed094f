//===- ModelFiles.h - the loaders behind loadModelFile -----------*- C++ -*-===//

#ifndef TXC_LIB_FRONTEND_MODEL_MODELFILES_H
#define TXC_LIB_FRONTEND_MODEL_MODELFILES_H

#include "txc/Frontend/Model/ModelBuilder.h"

namespace txc {

/// A GGUF file (GGUFModel.cpp).
llvm::Expected<LoadedModel> loadGGUFModel(llvm::StringRef path);
/// A Hugging Face checkpoint folder (HFModel.cpp).
llvm::Expected<LoadedModel> loadHFModel(llvm::StringRef folder);

} // namespace txc

#endif // TXC_LIB_FRONTEND_MODEL_MODELFILES_H
