//===- Runtime.cpp - the libtxrt C API ------------------------------------===//
//
// Loads a compiled model's shared library, validates its metadata against
// its weights file, and calls its entry points. Every failure is returned as
// a txrt_status with a message in a thread-local string; nothing here aborts.
//
//===----------------------------------------------------------------------===//

#include "Metadata.h"
#include "Model.h"
#include "Status.h"

#include "txc-c/txc_model_format.h"
#include "txc-c/txrt.h"
#include "txc/Support/RuntimeSupport.h"

#include <cerrno>
#include <cstring>
#include <dlfcn.h>
#include <memory>
#include <new>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace txc;
using namespace txc::runtime;

namespace {

/// The entry points a compiled model exports (docs/runtime.md).
using MetadataFn = const char *(*)();

constexpr const char *kMetadataSymbol = TXC_SYM_MODEL_METADATA;
constexpr const char *kRunSymbol = TXC_SYM_MODEL_RUN;
constexpr const char *kSetNumThreadsSymbol = TXC_SYM_MODEL_SET_NUM_THREADS;
/// Packing of GEMM weights (layout "gemm-b-panels32"), from the model's
/// kernel library.
using PackedSizeFn = int64_t (*)(int64_t, int64_t);
using PackFn = void (*)(const float *, float *, int64_t, int64_t, int32_t);
constexpr const char *kPackedSizeSymbol = TXC_SYM_GEMM_PACKED_SIZE;
constexpr const char *kPackSymbol = TXC_SYM_GEMM_PACK_B;
/// The prefill step of a generation model (optional).
constexpr const char *kPrefillMetadataSymbol = TXC_SYM_PREFILL_METADATA;
constexpr const char *kPrefillRunSymbol = TXC_SYM_PREFILL_RUN;

} // namespace

namespace {

/// The path to hand dlopen: a name without a slash would be searched for in
/// the library path instead of being opened as a file.
std::string dlopenPath(const std::string &path) {
  if (path.find('/') != std::string::npos)
    return path;
  return "./" + path;
}

/// Opens the library, resolves the entry points and parses the metadata.
txrt_status loadLibrary(txrt_model &model) {
  const std::string &path = model.soPath;
  struct stat status;
  if (::stat(path.c_str(), &status) != 0)
    return fail(TXRT_ERROR_IO, "cannot open model library '" + path +
                                   "': " + std::strerror(errno));
  if (S_ISDIR(status.st_mode))
    return fail(TXRT_ERROR_IO,
                "cannot open model library '" + path + "': it is a directory");
  // Read the manifest from the file before loading it: a truncated library
  // would fault inside dlopen. A model of another format is refused here,
  // before any of its code runs.
  {
    rt::MappedFile file;
    std::string why;
    if (!file.open(path, why))
      return fail(why.rfind("cannot open", 0) == 0 ? TXRT_ERROR_IO
                                                   : TXRT_ERROR_NOT_A_MODEL,
                  why);
    switch (rt::readManifest(file.bytes(), path, model.manifest, why)) {
    case rt::ManifestError::None:
      break;
    case rt::ManifestError::Version:
      return fail(TXRT_ERROR_VERSION, why);
    case rt::ManifestError::NotAModel:
      return fail(TXRT_ERROR_NOT_A_MODEL, why);
    }
  }

  dlerror();
  void *handle = dlopen(dlopenPath(path).c_str(), RTLD_LOCAL | RTLD_NOW);
  if (!handle) {
    const char *why = dlerror();
    // A missing dependency fails here too, so the message does not claim
    // the file is not a model; dlerror() says which.
    return fail(TXRT_ERROR_NOT_A_MODEL,
                "cannot load '" + path +
                    "' as a shared library: " + (why ? why : "unknown reason"));
  }
  model.library.reset(handle);

  auto metadataFn =
      reinterpret_cast<MetadataFn>(dlsym(handle, kMetadataSymbol));
  if (!metadataFn)
    return fail(TXRT_ERROR_NOT_A_MODEL, "'" + path +
                                            "' is not a txc model: it does "
                                            "not export " +
                                            kMetadataSymbol);
  model.run = reinterpret_cast<RunFn>(dlsym(handle, kRunSymbol));
  if (!model.run)
    return fail(TXRT_ERROR_NOT_A_MODEL, "'" + path +
                                            "' is not a txc model: it does "
                                            "not export " +
                                            kRunSymbol);
  model.setNumThreads =
      reinterpret_cast<SetNumThreadsFn>(dlsym(handle, kSetNumThreadsSymbol));

  const char *text = metadataFn();
  if (!text)
    return fail(TXRT_ERROR_NOT_A_MODEL,
                "'" + path + "' is not a txc model: " + kMetadataSymbol +
                    "() returned NULL");
  std::string error;
  txrt_status result = parseModelMetadata(text, model.metadata, error);
  if (result != TXRT_OK)
    return fail(result, "the metadata of '" + path + "' " + error);

  // A generation model may have a prefill step beside its decode step.
  auto prefillMetadataFn =
      reinterpret_cast<MetadataFn>(dlsym(handle, kPrefillMetadataSymbol));
  if (!prefillMetadataFn)
    return TXRT_OK;
  model.prefillRun = reinterpret_cast<RunFn>(dlsym(handle, kPrefillRunSymbol));
  const char *prefillText = prefillMetadataFn();
  if (!model.prefillRun || !prefillText)
    return fail(TXRT_ERROR_NOT_A_MODEL,
                "'" + path + "' exports " + kPrefillMetadataSymbol +
                    " but no usable " + kPrefillRunSymbol);
  ModelMetadata prefill;
  result = parseModelMetadata(prefillText, prefill, error);
  if (result != TXRT_OK)
    return fail(result, "the prefill metadata of '" + path + "' " + error);
  const ModelMetadata &decode = model.metadata;
  auto sameWeights = [&]() {
    if (prefill.weights.size() != decode.weights.size())
      return false;
    for (size_t i = 0; i < decode.weights.size(); ++i) {
      const TensorDesc &a = decode.weights[i], &b = prefill.weights[i];
      if (a.name != b.name || a.dtype != b.dtype || a.shape != b.shape ||
          a.gemmPacked != b.gemmPacked || a.transposed != b.transposed)
        return false;
    }
    return true;
  };
  if (!decode.generation || !prefill.generation || !sameWeights() ||
      prefill.generation->capacity != decode.generation->capacity ||
      prefill.generation->batch != decode.generation->batch ||
      prefill.generation->paged != decode.generation->paged ||
      prefill.generation->vocab != decode.generation->vocab ||
      prefill.inputs[prefill.generation->cache].shape !=
          decode.inputs[decode.generation->cache].shape)
    return fail(TXRT_ERROR_NOT_A_MODEL,
                "the prefill and decode steps of '" + path +
                    "' disagree (weights, cache or batch)");
  // A session keeps one set of per-layer cache lengths for both steps: a
  // step that neither reads nor reports them would leave them stale.
  if (bool decodeHas = decode.generation->perLayerLengths();
      prefill.generation->perLayerLengths() != decodeHas) {
    const char *with = decodeHas ? "decode" : "prefill",
               *without = decodeHas ? "prefill" : "decode";
    return fail(TXRT_ERROR_NOT_A_MODEL,
                std::string("the ") + with + " step of '" + path +
                    "' has per-layer cache lengths (generation \"" +
                    TXC_GEN_LAYER_LENGTHS + "\"), its " + without +
                    " step not");
  }
  model.prefillMetadata = std::move(prefill);
  return TXRT_OK;
}

/// A heap block of `size` bytes aligned to kCopyAlignment, for an
/// AlignedBuffer (operator new: out of memory ends the process, as any
/// allocation at load does).
char *allocateAligned(size_t size) {
  return static_cast<char *>(::operator new(std::max<size_t>(size, 1),
                                            std::align_val_t(kCopyAlignment)));
}

/// `file` as the metadata means it: absolute, or relative to the folder of
/// the model's library.
std::string besideLibrary(const txrt_model &model, const std::string &file) {
  if (!file.empty() && file.front() == '/')
    return file;
  const std::string &so = model.soPath;
  size_t slash = so.find_last_of('/');
  std::string folder = slash == std::string::npos ? "."
                       : slash == 0               ? "/"
                                                  : so.substr(0, slash);
  return folder.back() == '/' ? folder + file : folder + "/" + file;
}

/// Maps the weights file and checks every weight against the metadata.
txrt_status loadWeights(txrt_model &model, const char *weightsPath) {
  const ModelMetadata &metadata = model.metadata;
  if (weightsPath) {
    model.weightsPath = weightsPath;
  } else if (metadata.weightsFile) {
    model.weightsPath = besideLibrary(model, *metadata.weightsFile);
  } else if (!metadata.weights.empty()) {
    return fail(TXRT_ERROR_WEIGHTS,
                "model '" + model.soPath + "' has " +
                    std::to_string(metadata.weights.size()) +
                    " weights but its metadata names no weights_file; give "
                    "the weights file explicitly");
  } else {
    return TXRT_OK;
  }

  const std::string &path = model.weightsPath;
  struct stat status;
  if (::stat(path.c_str(), &status) == 0 && S_ISDIR(status.st_mode))
    return fail(TXRT_ERROR_WEIGHTS,
                "cannot open weights file '" + path + "': it is a directory");
  auto file = std::make_unique<WeightsFile>();
  std::string why;
  std::vector<rt::SafetensorsTensor> tensors;
  if (!file->file.open(path, why) ||
      !rt::parseSafetensors(file->file.bytes(), path, tensors, why))
    return fail(TXRT_ERROR_WEIGHTS,
                "weights of model '" + model.soPath + "': " + why);
  for (rt::SafetensorsTensor &t : tensors) {
    std::string name = t.name;
    file->tensors[name] = std::move(t);
  }
  model.weightsFile = std::move(file);

  // The weights must be the ones the model was compiled with (a file of
  // another model with the same shapes would run and give garbage).
  const rt::ModelManifest &m = model.manifest;
  if (model.verify != TXRT_VERIFY_NONE && m.weightsSize != 0) {
    std::string_view bytes = model.weightsFile->file.bytes();
    bool full = model.verify == TXRT_VERIFY_FULL;
    if (bytes.size() != m.weightsSize ||
        rt::weightsHash(bytes, full) !=
            (full ? m.weightsFullHash : m.weightsSampleHash))
      return fail(
          TXRT_ERROR_WEIGHTS,
          "weights file '" + path + "' is not the one model '" + model.soPath +
              "' was compiled with (" +
              (bytes.size() != m.weightsSize
                   ? "it has " + std::to_string(bytes.size()) +
                         " bytes, expected " + std::to_string(m.weightsSize)
                   : std::string(full ? "its contents differ"
                                      : "its sampled contents differ")) +
              "); recompile, or load with verification off "
              "(txc-run --no-verify-weights) to swap weights on "
              "purpose");
    // Every byte, off the critical path: hashing overlaps whatever the
    // caller does before its first run, which waits for it.
    if (!full) {
      std::string where = "weights file '" + path + "' is not the one model '" +
                          model.soPath +
                          "' was compiled with (its contents differ); "
                          "recompile, or load with verification off "
                          "(txc-run --no-verify-weights) to swap weights on "
                          "purpose";
      uint64_t expected = m.weightsFullHash;
      model.fullCheck =
          std::async(std::launch::async, [bytes, expected, where]() {
            return rt::weightsHash(bytes, /*full=*/true) == expected
                       ? std::string()
                       : where;
          }).share();
    }
  }

  for (const TensorDesc &weight : metadata.weights) {
    const rt::SafetensorsTensor *entry = model.weightsFile->lookup(weight.name);
    std::string where =
        "weights file '" + path + "': weight '" + weight.name + "'";
    if (!entry)
      return fail(TXRT_ERROR_WEIGHTS, where + " is missing");
    std::string dtype = safetensorsDType(weight.dtype);
    std::vector<int64_t> shape = storedShape(weight.dtype, weight.shape);
    std::string expected = dtype + " " + formatShape(shape);
    if (shape != weight.shape)
      expected += std::string(" (") + dtypeName(weight.dtype) + " " +
                  formatShape(weight.shape) + ", packed along the last "
                  "dimension)";
    if (entry->dtype != dtype || entry->shape != shape)
      return fail(TXRT_ERROR_WEIGHTS, where + " has " + entry->dtype + " " +
                                          formatShape(entry->shape) +
                                          ", expected " + expected);
    if (entry->size != weight.byteSize)
      return fail(TXRT_ERROR_WEIGHTS,
                  where + " has " + std::to_string(entry->size) +
                      " bytes, expected " + std::to_string(weight.byteSize));

    const char *data = entry->data;
    if (weight.gemmPacked) {
      // The model multiplies this weight with its packed GEMM: pack it once
      // here (op(B) has N columns and K rows).
      auto sizeFn = reinterpret_cast<PackedSizeFn>(
          dlsym(model.library.get(), kPackedSizeSymbol));
      auto packFn =
          reinterpret_cast<PackFn>(dlsym(model.library.get(), kPackSymbol));
      if (!sizeFn || !packFn)
        return fail(TXRT_ERROR_NOT_A_MODEL,
                    "model '" + model.soPath + "' packs weight '" +
                        weight.name + "' but does not export " +
                        kPackedSizeSymbol + " and " + kPackSymbol);
      int64_t n = weight.transposed ? weight.shape[0] : weight.shape[1];
      int64_t k = weight.transposed ? weight.shape[1] : weight.shape[0];
      size_t size = static_cast<size_t>(sizeFn(n, k)) * sizeof(float);
      AlignedBuffer packed(allocateAligned(size), AlignedDeleter{size});
      // The source may be misaligned for float loads; packing copies
      // element by element from an aligned staging copy if so.
      AlignedBuffer staging(nullptr, AlignedDeleter{0});
      if (reinterpret_cast<uintptr_t>(data) % alignof(float) != 0) {
        size_t bytes = entry->size;
        staging = AlignedBuffer(allocateAligned(bytes), AlignedDeleter{bytes});
        std::memcpy(staging.get(), data, bytes);
        data = staging.get();
      }
      packFn(reinterpret_cast<const float *>(data),
             reinterpret_cast<float *>(packed.get()), n, k,
             weight.transposed ? 1 : 0);
      model.buffers.push_back(packed.get());
      model.weightCopies.push_back(std::move(packed));
#ifdef MADV_COLD
      // The model never reads the plain copy again: let the kernel reclaim
      // its pages first under memory pressure (a hint; nothing is lost).
      if (!staging) {
        uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
        uintptr_t begin =
            (reinterpret_cast<uintptr_t>(entry->data) + page - 1) & ~(page - 1);
        uintptr_t end =
            (reinterpret_cast<uintptr_t>(entry->data) + entry->size) &
            ~(page - 1);
        if (end > begin)
          madvise(reinterpret_cast<void *>(begin), end - begin, MADV_COLD);
      }
#endif
      continue;
    }

    // Compiled code may assume its tensors are aligned to their element
    // type; a file written by another tool need not be.
    size_t alignment = dtypeAlignment(weight.dtype);
    if (reinterpret_cast<uintptr_t>(data) % alignment != 0) {
      size_t size = entry->size;
      AlignedBuffer copy(allocateAligned(size), AlignedDeleter{size});
      std::memcpy(copy.get(), data, size);
      data = copy.get();
      model.weightCopies.push_back(std::move(copy));
    }
    model.buffers.push_back(const_cast<char *>(data));
  }
  return TXRT_OK;
}

/// Checks the arguments of an info query.
txrt_status checkInfoArgs(const txrt_model *model, size_t index,
                          const txrt_tensor_info *out, size_t count,
                          const char *function, const char *kind) {
  if (!model || !out)
    return fail(TXRT_ERROR_ARGUMENT, std::string(function) + ": " +
                                         (model ? "out" : "model") +
                                         " is NULL");
  if (index >= count)
    return fail(TXRT_ERROR_ARGUMENT,
                std::string(function) + ": " + kind + " index " +
                    std::to_string(index) + " is out of range; model '" +
                    model->soPath + "' has " + std::to_string(count) + " " +
                    kind + "s");
  return TXRT_OK;
}

/// Whether the model's step writes input `i` in place: the KV cache of a
/// generation model.
bool inputWritten(const ModelMetadata &metadata, size_t i) {
  return metadata.generation &&
         metadata.generation->cache == static_cast<int>(i);
}

/// Element `i` of integer data of `dtype` as int64.
int64_t integerAt(const void *data, txrt_dtype dtype, size_t i) {
  switch (dtype) {
  case TXRT_DTYPE_I64:
    return static_cast<const int64_t *>(data)[i];
  case TXRT_DTYPE_I32:
    return static_cast<const int32_t *>(data)[i];
  case TXRT_DTYPE_I16:
    return static_cast<const int16_t *>(data)[i];
  case TXRT_DTYPE_I8:
    return static_cast<const int8_t *>(data)[i];
  default:
    return static_cast<const uint8_t *>(data)[i];
  }
}

void describe(const TensorDesc &desc, txrt_tensor_info &out) {
  out.name = desc.name.c_str();
  out.dtype = desc.dtype;
  out.rank = desc.shape.size();
  out.dims = desc.shape.data();
  out.byte_size = static_cast<size_t>(desc.byteSize);
}

} // namespace

txrt_status txc::runtime::allocateWithin(const txrt_model &model, size_t bytes,
                                         AlignedBuffer &out,
                                         const std::string &what) {
  bytes = std::max<size_t>(bytes, 1);
  if (model.memoryLimit && bytes > model.memoryLimit)
    return fail(TXRT_ERROR_MEMORY, what + " needs " + std::to_string(bytes) +
                                       " bytes, more than the " +
                                       std::to_string(model.memoryLimit) +
                                       " of txrt_model_set_memory_limit");
  void *p = ::operator new(bytes, std::align_val_t(kCopyAlignment),
                           std::nothrow);
  if (!p)
    return fail(TXRT_ERROR_MEMORY,
                what + ": cannot allocate " + std::to_string(bytes) + " bytes");
  std::memset(p, 0, bytes);
  out = AlignedBuffer(static_cast<char *>(p), AlignedDeleter{bytes});
  return TXRT_OK;
}

txrt_status txc::runtime::checkGenerationInputs(const txrt_model &model,
                                                const void *const *inputs) {
  const ModelMetadata &m = model.metadata;
  if (!m.generation)
    return TXRT_OK;
  const GenerationDesc &g = *m.generation;
  auto at = [&](int index, size_t i) {
    return integerAt(inputs[index], m.inputs[index].dtype, i);
  };
  int64_t p = at(g.cachePosition, 0);
  if (p < 0 || p > g.capacity - g.step)
    return fail(TXRT_ERROR_ARGUMENT,
                "txrt_model_run: cache_position " + std::to_string(p) +
                    " leaves no room for a step of " + std::to_string(g.step) +
                    " tokens in a cache of " + std::to_string(g.capacity) +
                    " positions (it must lie in [0, " +
                    std::to_string(g.capacity - g.step) + "])");
  if (g.positions >= 0)
    for (int64_t i = 0, n = g.batch * g.step; i < n; ++i)
      if (int64_t v = at(g.positions, i); v < 0 || v >= g.capacity)
        return fail(TXRT_ERROR_ARGUMENT, "txrt_model_run: position_ids holds " +
                                             std::to_string(v) +
                                             ", outside the cache's [0, " +
                                             std::to_string(g.capacity) + ")");
  if (g.paged) {
    // Every block the step reads or writes must be one of the cache's.
    int64_t width = g.capacity / g.blockSize;
    int64_t blocks = g.batch * width;
    int64_t used = (p + g.step + g.blockSize - 1) / g.blockSize;
    for (int64_t b = 0; b < g.batch; ++b)
      for (int64_t i = 0; i < used; ++i)
        if (int64_t v = at(g.blockTable, b * width + i); v < 0 || v >= blocks)
          return fail(TXRT_ERROR_ARGUMENT,
                      "txrt_model_run: block_table[" + std::to_string(b) +
                          ", " + std::to_string(i) + "] is " +
                          std::to_string(v) + ", not one of the cache's " +
                          std::to_string(blocks) + " blocks (positions up to " +
                          std::to_string(p + g.step) + " need it)");
  }
  if (g.perLayerLengths()) {
    // A layer cannot hold more positions than the cache position counts
    // (the step reads each layer's cache up to its length), and a step has
    // at least one real token and no more than its length.
    for (int64_t l = 0; l < g.layers; ++l)
      if (int64_t v = at(g.layerLengths, l); v < 0 || v > p)
        return fail(TXRT_ERROR_ARGUMENT,
                    "txrt_model_run: layer_lengths[" + std::to_string(l) +
                        "] = " + std::to_string(v) + " is outside [0, " +
                        "cache_position " + std::to_string(p) + "]");
    if (int64_t v = at(g.stepLength, 0); v < 1 || v > g.step)
      return fail(TXRT_ERROR_ARGUMENT,
                  "txrt_model_run: step_length " + std::to_string(v) +
                      " is outside [1, step " + std::to_string(g.step) + "]");
  }
  return TXRT_OK;
}

txrt_status txc::runtime::weightsVerified(txrt_model &model,
                                          std::string_view function) {
  if (!model.fullCheck.valid())
    return TXRT_OK;
  const std::string &why = model.fullCheck.get();
  if (why.empty())
    return TXRT_OK;
  return fail(TXRT_ERROR_WEIGHTS, std::string(function) + ": " + why);
}

txrt_status txc::runtime::checkIndexRange(const TensorDesc &desc,
                                          const void *data,
                                          std::string_view function) {
  if (!desc.indexRange || !data)
    return TXRT_OK;
  auto [lo, hi] = *desc.indexRange;
  size_t count = 1;
  for (int64_t d : desc.shape)
    count *= static_cast<size_t>(d);
  for (size_t i = 0; i < count; ++i) {
    int64_t v = integerAt(data, desc.dtype, i);
    if (v >= lo && v < hi)
      continue;
    // The position as indices of the input's shape.
    std::string where;
    size_t rest = i;
    for (size_t d = desc.shape.size(); d-- > 0;) {
      size_t dim = static_cast<size_t>(desc.shape[d]);
      where = std::to_string(rest % dim) + (where.empty() ? "" : ", ") + where;
      rest /= dim;
    }
    return fail(TXRT_ERROR_ARGUMENT,
                std::string(function) + ": input '" + desc.name + "' holds " +
                    std::to_string(v) + " at [" + where + "], outside [" +
                    std::to_string(lo) + ", " + std::to_string(hi) +
                    ") (the rows of the table the model indexes with it)");
  }
  return TXRT_OK;
}

extern "C" {

txrt_status txrt_model_load(const char *soPath, const char *weightsPath,
                            txrt_model **out) {
  return txrt_model_load_ex(soPath, weightsPath, TXRT_VERIFY_SAMPLE, out);
}

txrt_status txrt_model_load_ex(const char *soPath, const char *weightsPath,
                               txrt_verify verify, txrt_model **out) {
  if (out)
    *out = nullptr;
  if (!soPath || !out)
    return fail(TXRT_ERROR_ARGUMENT, std::string("txrt_model_load: ") +
                                         (soPath ? "out" : "so_path") +
                                         " is NULL");
  if (verify != TXRT_VERIFY_SAMPLE && verify != TXRT_VERIFY_FULL &&
      verify != TXRT_VERIFY_NONE)
    return fail(TXRT_ERROR_ARGUMENT, "txrt_model_load_ex: verify is " +
                                         std::to_string(int(verify)) +
                                         ", not a txrt_verify value");
  auto model = std::make_unique<txrt_model>();
  model->soPath = soPath;
  model->verify = verify;
  if (txrt_status status = loadLibrary(*model); status != TXRT_OK)
    return status;
  if (model->metadata.tokenizerFile)
    model->tokenizerPath =
        besideLibrary(*model, *model->metadata.tokenizerFile);
  model->buffers.assign(model->metadata.inputs.size(), nullptr);
  if (txrt_status status = loadWeights(*model, weightsPath); status != TXRT_OK)
    return status;
  model->buffers.resize(model->buffers.size() + model->metadata.outputs.size());
  if (model->prefillMetadata) {
    // The prefill step reads the same weights (same order, checked above).
    const ModelMetadata &prefill = *model->prefillMetadata;
    size_t numWeights = prefill.weights.size();
    model->prefillBuffers.assign(prefill.inputs.size(), nullptr);
    auto first = model->buffers.begin() + model->metadata.inputs.size();
    model->prefillBuffers.insert(model->prefillBuffers.end(), first,
                                 first + numWeights);
    model->prefillBuffers.resize(model->prefillBuffers.size() +
                                 prefill.outputs.size());
  }
  *out = model.release();
  return TXRT_OK;
}

void txrt_model_free(txrt_model *model) { delete model; }

const char *txrt_last_error(void) { return lastErrorText(); }

const char *txrt_version(int *abiVersion, int *minFormat, int *maxFormat) {
  if (abiVersion)
    *abiVersion = TXC_RUNTIME_ABI_VERSION;
  if (minFormat)
    *minFormat = TXC_MODEL_FORMAT_MIN_VERSION;
  if (maxFormat)
    *maxFormat = TXC_MODEL_FORMAT_VERSION;
  return TXC_VERSION_STRING;
}

const char *txrt_status_name(txrt_status status) {
  // Any int may come from C: switch on it as an int.
  int value;
  std::memcpy(&value, &status, sizeof(value));
  switch (value) {
  case TXRT_OK:
    return "TXRT_OK";
  case TXRT_ERROR_IO:
    return "TXRT_ERROR_IO";
  case TXRT_ERROR_NOT_A_MODEL:
    return "TXRT_ERROR_NOT_A_MODEL";
  case TXRT_ERROR_VERSION:
    return "TXRT_ERROR_VERSION";
  case TXRT_ERROR_WEIGHTS:
    return "TXRT_ERROR_WEIGHTS";
  case TXRT_ERROR_ARGUMENT:
    return "TXRT_ERROR_ARGUMENT";
  case TXRT_ERROR_CAPACITY:
    return "TXRT_ERROR_CAPACITY";
  case TXRT_ERROR_STATE:
    return "TXRT_ERROR_STATE";
  case TXRT_ERROR_CANCELLED:
    return "TXRT_ERROR_CANCELLED";
  case TXRT_ERROR_MEMORY:
    return "TXRT_ERROR_MEMORY";
  }
  return "unknown";
}

const char *txrt_dtype_name(txrt_dtype dtype) {
  // Any int may come from C: read it as one.
  int value;
  std::memcpy(&value, &dtype, sizeof(value));
  return dtypeNameOfValue(value);
}

size_t txrt_model_num_inputs(const txrt_model *model) {
  return model ? model->metadata.inputs.size() : 0;
}

size_t txrt_model_num_outputs(const txrt_model *model) {
  return model ? model->metadata.outputs.size() : 0;
}

txrt_status txrt_model_input_info(const txrt_model *model, size_t index,
                                  txrt_tensor_info *out) {
  if (txrt_status status =
          checkInfoArgs(model, index, out, txrt_model_num_inputs(model),
                        "txrt_model_input_info", "input");
      status != TXRT_OK)
    return status;
  describe(model->metadata.inputs[index], *out);
  return TXRT_OK;
}

txrt_status txrt_model_output_info(const txrt_model *model, size_t index,
                                   txrt_tensor_info *out) {
  if (txrt_status status =
          checkInfoArgs(model, index, out, txrt_model_num_outputs(model),
                        "txrt_model_output_info", "output");
      status != TXRT_OK)
    return status;
  describe(model->metadata.outputs[index], *out);
  return TXRT_OK;
}

txrt_status txrt_model_run(txrt_model *model, const void *const *inputs,
                           void *const *outputs) {
  if (!model)
    return fail(TXRT_ERROR_ARGUMENT, "txrt_model_run: model is NULL");
  const ModelMetadata &metadata = model->metadata;
  // Check every pointer before calling into the model, which cannot report
  // errors itself.
  auto check = [&](const void *const *array,
                   const std::vector<TensorDesc> &list,
                   const char *kind) -> txrt_status {
    if (list.empty())
      return TXRT_OK;
    if (!array)
      return fail(TXRT_ERROR_ARGUMENT,
                  std::string("txrt_model_run: the ") + kind +
                      " array is NULL but model '" + model->soPath + "' has " +
                      std::to_string(list.size()) + " " + kind + "s");
    for (size_t i = 0, e = list.size(); i < e; ++i) {
      const TensorDesc &desc = list[i];
      if (!array[i] && desc.byteSize != 0)
        return fail(TXRT_ERROR_ARGUMENT, std::string("txrt_model_run: ") +
                                             kind + " " + std::to_string(i) +
                                             " ('" + desc.name + "') is NULL");
      size_t alignment = dtypeAlignment(desc.dtype);
      if (reinterpret_cast<uintptr_t>(array[i]) % alignment != 0)
        return fail(TXRT_ERROR_ARGUMENT,
                    std::string("txrt_model_run: ") + kind + " " +
                        std::to_string(i) + " ('" + desc.name + "', " +
                        dtypeName(desc.dtype) + ") is not aligned to " +
                        std::to_string(alignment) + " bytes");
    }
    return TXRT_OK;
  };
  if (txrt_status status = check(inputs, metadata.inputs, "input");
      status != TXRT_OK)
    return status;
  if (txrt_status status = check(const_cast<const void *const *>(outputs),
                                 metadata.outputs, "output");
      status != TXRT_OK)
    return status;

  if (txrt_status status = weightsVerified(*model, "txrt_model_run"))
    return status;
  if (txrt_status status = checkGenerationInputs(*model, inputs))
    return status;
  for (size_t i = 0, e = metadata.inputs.size(); i < e; ++i)
    if (txrt_status status =
            checkIndexRange(metadata.inputs[i], inputs[i], "txrt_model_run");
        status != TXRT_OK)
      return status;

  // A local copy keeps concurrent runs of different models independent.
  std::vector<void *> buffers = model->buffers;
  size_t numInputs = metadata.inputs.size();
  size_t firstOutput = numInputs + metadata.weights.size();
  // Inputs are the caller's and read-only; one the step writes in place
  // (a generation model's KV cache) is copied first.
  AlignedBuffer written(nullptr, AlignedDeleter{0});
  for (size_t i = 0; i < numInputs; ++i) {
    buffers[i] = const_cast<void *>(inputs[i]);
    if (inputWritten(metadata, i) && inputs[i]) {
      size_t size = static_cast<size_t>(metadata.inputs[i].byteSize);
      if (txrt_status status = allocateWithin(*model, size, written,
                                              "txrt_model_run: a copy of "
                                              "input '" +
                                                  metadata.inputs[i].name +
                                                  "'"))
        return status;
      std::memcpy(written.get(), inputs[i], size);
      buffers[i] = written.get();
    }
  }
  for (size_t i = 0, e = metadata.outputs.size(); i < e; ++i)
    buffers[firstOutput + i] = outputs[i];
  model->run(buffers.data());
  return TXRT_OK;
}

txrt_status txrt_model_input_written(const txrt_model *model, size_t index,
                                     int *written) {
  if (!model || !written)
    return fail(TXRT_ERROR_ARGUMENT, std::string("txrt_model_input_written: ") +
                                         (model ? "written" : "model") +
                                         " is NULL");
  if (index >= model->metadata.inputs.size())
    return fail(TXRT_ERROR_ARGUMENT,
                "txrt_model_input_written: input index " +
                    std::to_string(index) + " is out of range; model '" +
                    model->soPath + "' has " +
                    std::to_string(model->metadata.inputs.size()) + " inputs");
  *written = inputWritten(model->metadata, index) ? 1 : 0;
  return TXRT_OK;
}

txrt_status txrt_model_input_range(const txrt_model *model, size_t index,
                                   int *has_range, int64_t *low,
                                   int64_t *high) {
  if (!model || !has_range || !low || !high)
    return fail(TXRT_ERROR_ARGUMENT,
                "txrt_model_input_range: a pointer argument is NULL");
  if (index >= model->metadata.inputs.size())
    return fail(TXRT_ERROR_ARGUMENT,
                "txrt_model_input_range: input index " + std::to_string(index) +
                    " is out of range; model '" + model->soPath + "' has " +
                    std::to_string(model->metadata.inputs.size()) + " inputs");
  const auto &range = model->metadata.inputs[index].indexRange;
  *has_range = range ? 1 : 0;
  *low = range ? range->first : 0;
  *high = range ? range->second : 0;
  return TXRT_OK;
}

const char *txrt_model_tokenizer_path(const txrt_model *model) {
  if (!model || model->tokenizerPath.empty())
    return nullptr;
  return model->tokenizerPath.c_str();
}

txrt_status txrt_model_set_memory_limit(txrt_model *model, size_t bytes) {
  if (!model)
    return fail(TXRT_ERROR_ARGUMENT,
                "txrt_model_set_memory_limit: model is NULL");
  model->memoryLimit = bytes;
  return TXRT_OK;
}

txrt_status txrt_set_num_threads(txrt_model *model, int numThreads) {
  if (!model)
    return fail(TXRT_ERROR_ARGUMENT, "txrt_set_num_threads: model is NULL");
  if (numThreads < 1)
    return fail(TXRT_ERROR_ARGUMENT,
                "txrt_set_num_threads: " + std::to_string(numThreads) +
                    " threads requested; at least 1 is needed");
  if (model->setNumThreads)
    model->setNumThreads(numThreads);
  return TXRT_OK;
}

} // extern "C"
