//===- ModelFiles.h - the loaders behind loadModelFile -----------*- C++ -*-===//

#ifndef TXC_LIB_FRONTEND_MODEL_MODELFILES_H
#define TXC_LIB_FRONTEND_MODEL_MODELFILES_H

#include "txc/Frontend/Model/ModelBuilder.h"

#include "llvm/ADT/StringMap.h"

#include <optional>

namespace llvm::json {
class Object;
} // namespace llvm::json

namespace txc {

/// A GGUF file (GGUFModel.cpp).
llvm::Expected<LoadedModel> loadGGUFModel(llvm::StringRef path);
/// A Hugging Face checkpoint folder (HFModel.cpp).
llvm::Expected<LoadedModel> loadHFModel(llvm::StringRef folder);

struct SafetensorsEntry;

/// A folder's `quantization_config` (HFQuant.cpp).
struct HFQuantConfig {
  enum class Method { GPTQ, AWQ, FP8 };
  Method method = Method::GPTQ;
  /// Bits per code (4 or 8) and values per group along K (0: one group per
  /// row, group_size -1).
  int64_t bits = 4, group = 0;
  /// GPTQ checkpoint_format `gptq`: zero points are stored minus one.
  bool gptqV1Zeros = true;
  /// FP8 weight_block_size [rows, columns] (empty: none given).
  std::vector<int64_t> fp8Block;
};

/// Reads config.json's `quantization_config` (nullopt without one); an
/// unsupported method or setting is an error naming the key and value.
llvm::Expected<std::optional<HFQuantConfig>>
readQuantConfig(const llvm::json::Object &config, llvm::StringRef folder);

/// Whether the checkpoint tensor `name` is a part of a quantized linear of
/// `config` (`qweight`, `qzeros`, `scales`, `g_idx`; FP8: a float8
/// `weight`, `weight_scale`, `weight_scale_inv`, `input_scale`): then
/// `prefix` is the linear's name and `part` the part's.
bool quantPart(const HFQuantConfig &config, llvm::StringRef name,
               const SafetensorsEntry &entry, std::string &prefix,
               std::string &part);

/// The quantized linear `prefix` from its parts: a planar TensorData, or
/// an F32 one (in `owned`) with a warning when its layout has no planar
/// form. Errors name the tensor.
llvm::Expected<TensorData>
buildQuantLinear(const HFQuantConfig &config, llvm::StringRef folder,
                 llvm::StringRef prefix,
                 const llvm::StringMap<const SafetensorsEntry *> &parts,
                 std::vector<std::unique_ptr<std::vector<char>>> &owned,
                 std::vector<std::string> &warnings);

} // namespace txc

#endif // TXC_LIB_FRONTEND_MODEL_MODELFILES_H
