//===- Model.h - the model handle of libtxrt --------------------*- C++ -*-===//
//
// What txrt_model holds, shared by the C API's files (Runtime.cpp: loading
// and running; Session.cpp: generation sessions).
//
//===----------------------------------------------------------------------===//

#ifndef TXC_RUNTIME_MODEL_H
#define TXC_RUNTIME_MODEL_H

#include "Metadata.h"

#include "txc-c/txrt.h"
#include "txc/Support/RuntimeSupport.h"

#include <dlfcn.h>
#include <future>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace txc::runtime {

/// The entry points a compiled model exports (docs/runtime.md).
using RunFn = void (*)(void **);
using SetNumThreadsFn = void (*)(int);

/// Alignment of the copies the runtime makes of misaligned weights.
constexpr size_t kCopyAlignment = 64;

/// A heap block aligned to kCopyAlignment.
struct AlignedDeleter {
  size_t size;
  void operator()(char *p) const {
    ::operator delete(p, std::align_val_t(kCopyAlignment));
  }
};
using AlignedBuffer = std::unique_ptr<char, AlignedDeleter>;

/// A mapped safetensors file and its tensors by name.
struct WeightsFile {
  rt::MappedFile file;
  std::unordered_map<std::string, rt::SafetensorsTensor> tensors;

  /// The tensor called `name`, or null.
  const rt::SafetensorsTensor *lookup(const std::string &name) const {
    auto it = tensors.find(name);
    return it == tensors.end() ? nullptr : &it->second;
  }
};

/// Closes a dlopen handle.
struct LibraryCloser {
  void operator()(void *handle) const { dlclose(handle); }
};

/// Checks the values of an input with an index range; on failure returns
/// TXRT_ERROR_ARGUMENT with a message naming the input, the value and its
/// position, prefixed by `function`.
txrt_status checkIndexRange(const TensorDesc &desc, const void *data,
                            std::string_view function);

/// Waits for the full check of the model's weights that loading started in
/// the background (TXRT_VERIFY_SAMPLE) and fails with TXRT_ERROR_WEIGHTS,
/// prefixed by `function`, when the weights differ from the fingerprint;
/// TXRT_OK at once when there is nothing to wait for. Called before every
/// run, so nothing is computed from wrong weights.
txrt_status weightsVerified(txrt_model &model, std::string_view function);

/// Allocates `bytes` zeroed and 64-byte aligned into `out`, within the
/// model's memory limit; TXRT_ERROR_MEMORY naming `what` otherwise (never
/// an abort).
txrt_status allocateWithin(const txrt_model &model, size_t bytes,
                           AlignedBuffer &out, const std::string &what);

/// txrt_model_run on a generation model: the cache position leaves room for
/// the step, positions lie in the cache, and a paged step's block table
/// names blocks of the cache (the compiled step writes there unchecked).
txrt_status checkGenerationInputs(const txrt_model &model,
                                  const void *const *inputs);

} // namespace txc::runtime

/// The opaque model handle of the C API.
struct txrt_model {
  std::string soPath;
  std::string weightsPath;
  /// The library's manifest (read before dlopen) and how much of the
  /// weights to check against it.
  txc::rt::ModelManifest manifest;
  txrt_verify verify = TXRT_VERIFY_SAMPLE;
  /// txrt_model_set_memory_limit (0: none).
  size_t memoryLimit = 0;
  /// The metadata's `tokenizer_file` resolved against the library's folder;
  /// empty when the metadata names none.
  std::string tokenizerPath;
  std::unique_ptr<void, txc::runtime::LibraryCloser> library;
  txc::runtime::ModelMetadata metadata;
  std::unique_ptr<txc::runtime::WeightsFile> weightsFile;
  /// Copies of weights whose mapped data was not aligned to their element.
  std::vector<txc::runtime::AlignedBuffer> weightCopies;
  /// The `buffers` argument of txc_model_run: inputs, weights and outputs.
  /// The weight slots are filled at load; run fills the others in a copy.
  std::vector<void *> buffers;
  txc::runtime::RunFn run = nullptr;
  txc::runtime::SetNumThreadsFn setNumThreads = nullptr;
  /// Generation models with a prefill step (txc_prefill_*): its metadata,
  /// entry and buffer array (weight slots shared with `buffers`).
  std::optional<txc::runtime::ModelMetadata> prefillMetadata;
  txc::runtime::RunFn prefillRun = nullptr;
  std::vector<void *> prefillBuffers;
  /// The full hash of the weights, computed on a background thread after a
  /// sampled check at load; an empty message when it matched. Last, so that
  /// it is destroyed (waiting for the thread) before the mapped weights.
  std::shared_future<std::string> fullCheck;
};


#endif // TXC_RUNTIME_MODEL_H
