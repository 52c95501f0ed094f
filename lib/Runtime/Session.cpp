//===- Session.cpp - generation sessions of the libtxrt C API -------------===//
//
// A session owns the KV cache of one generation and drives a model's
// prefill and decode steps (compiled by txc --max-seq, metadata section
// "generation"): it feeds token ids, positions and the cache position
// (and, for mixture-of-depths over the cache, each layer's own cache
// length), hands out paged blocks as the sequence grows, and keeps the last
// logits.
// Every check happens before a step runs, so a failed call leaves the
// session as it was.
//
//===----------------------------------------------------------------------===//

#include "Metadata.h"
#include "Model.h"
#include "Status.h"

#include "txc-c/txrt.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <numeric>
#include <string>

using namespace txc;
using namespace txc::runtime;

namespace {

/// The input and output buffers of one step (prefill or decode).
struct StepBuffers {
  const ModelMetadata *metadata = nullptr;
  RunFn run = nullptr;
  const std::vector<void *> *weightSlots = nullptr;
  std::vector<AlignedBuffer> owned;
  std::vector<void *> buffers;

  /// Bytes init() allocates for a step of `m`.
  static size_t bytesNeeded(const ModelMetadata &m) {
    size_t total = 0;
    for (size_t i = 0; i < m.inputs.size(); ++i)
      if (int(i) != m.generation->cache)
        total += std::max<size_t>(m.inputs[i].byteSize, 1);
    for (const TensorDesc &out : m.outputs)
      total += std::max<size_t>(out.byteSize, 1);
    return total;
  }

  txrt_status init(const txrt_model &model, const ModelMetadata &m, RunFn fn,
                   const std::vector<void *> &slots, void *cache) {
    metadata = &m;
    run = fn;
    buffers = slots;
    const GenerationDesc &g = *m.generation;
    auto own = [&](const TensorDesc &desc, void *&slot) {
      AlignedBuffer buffer(nullptr, AlignedDeleter{0});
      if (txrt_status status =
              allocateWithin(model, desc.byteSize, buffer,
                             "txrt_session_create: '" + desc.name + "'"))
        return status;
      slot = buffer.get();
      owned.push_back(std::move(buffer));
      return TXRT_OK;
    };
    for (size_t i = 0; i < m.inputs.size(); ++i) {
      if (int(i) == g.cache) {
        buffers[i] = cache;
        continue;
      }
      if (txrt_status status = own(m.inputs[i], buffers[i]))
        return status;
    }
    size_t firstOutput = m.inputs.size() + m.weights.size();
    for (size_t i = 0; i < m.outputs.size(); ++i) {
      if (txrt_status status = own(m.outputs[i], buffers[firstOutput + i]))
        return status;
      if (m.outputs[i].name == "layers_run" &&
          m.outputs[i].dtype == TXRT_DTYPE_F32 &&
          m.outputs[i].byteSize == uint64_t(g.batch * g.step) * sizeof(float))
        layersRunIndex = int(i);
    }
    return TXRT_OK;
  }
  const GenerationDesc &gen() const { return *metadata->generation; }
  template <typename T> T *input(int index) {
    return static_cast<T *>(buffers[index]);
  }
  template <typename T> const T *output(int index) const {
    return static_cast<const T *>(
        buffers[metadata->inputs.size() + metadata->weights.size() + index]);
  }
  const float *logits() const { return output<float>(gen().logits); }
  /// The `layers_run` output of an early-exit model ([batch, step] f32: the
  /// layers each token ran), or null; found once, by init.
  const float *layersRun() const {
    return layersRunIndex < 0 ? nullptr : output<float>(layersRunIndex);
  }
  int layersRunIndex = -1;
};

} // namespace

struct txrt_session {
  txrt_model *model = nullptr;
  GenerationDesc gen;
  AlignedBuffer cache;
  size_t cacheBytes = 0;
  StepBuffers decode, prefill;
  bool hasPrefill = false;
  int64_t length = 0;
  /// Per-layer cache lengths (GenerationDesc::perLayerLengths): the
  /// positions each layer's cache holds, at most `length` (a token a
  /// mixture-of-depths layer skips writes nothing there). Unused otherwise.
  std::vector<int64_t> layerLengths;
  bool haveLogits = false;
  std::vector<float> logits; // [batch][vocab]
  /// Early exit: the layers run by every real token since the session was
  /// created, summed, and those tokens (txrt_session_layers_run).
  double layersRunSum = 0;
  int64_t layersRunTokens = 0;
  /// Set by txrt_session_cancel (any thread), taken by the next check.
  std::atomic<bool> cancelled{false};
  /// Paged: the block table (shared by both steps' inputs), and the blocks
  /// not handed out yet, taken from the back.
  std::vector<int32_t> table;
  std::vector<int32_t> freeBlocks;

  int64_t tableWidth() const { return gen.capacity / gen.blockSize; }

  void resetBlocks() {
    if (!gen.paged)
      return;
    std::fill(table.begin(), table.end(), -1);
    int64_t blocks = gen.batch * tableWidth();
    freeBlocks.resize(blocks);
    // Handed out from the back: block 0 last, so rows get blocks in an
    // order unlike their positions (the table is really read).
    for (int64_t i = 0; i < blocks; ++i)
      freeBlocks[i] = int32_t(i);
  }

  /// Gives every row the blocks positions [0, end) need.
  void ensureBlocks(int64_t end) {
    if (!gen.paged)
      return;
    int64_t needed = (end + gen.blockSize - 1) / gen.blockSize;
    for (int64_t b = 0; b < gen.batch; ++b)
      for (int64_t i = 0; i < needed; ++i) {
        int32_t &slot = table[b * tableWidth() + i];
        if (slot < 0) {
          slot = freeBlocks.back();
          freeBlocks.pop_back();
        }
      }
  }

  /// Runs `step` on `count` (<= its step length) tokens per row from
  /// `tokens` ([batch][stride], starting at column `first`); the rest of
  /// the step is padding. Keeps the logits of the last real token, and when
  /// `all` is given ([batch][stride][vocab]) writes those of every real
  /// token to columns `first ..` (the step must output one row per
  /// position, or run one token).
  void runStep(StepBuffers &step, const int64_t *tokens, size_t stride,
               size_t first, int64_t count, float *all = nullptr) {
    const GenerationDesc &g = step.gen();
    ensureBlocks(length + g.step);
    int64_t *ids = step.input<int64_t>(g.tokens);
    int64_t *pos = g.positions >= 0 ? step.input<int64_t>(g.positions)
                                    : nullptr;
    for (int64_t b = 0; b < g.batch; ++b)
      for (int64_t i = 0; i < g.step; ++i) {
        bool real = i < count;
        ids[b * g.step + i] =
            real ? tokens[b * stride + first + i] : tokens[b * stride + first];
        // Padding repeats the last real position (in range of any table).
        if (pos)
          pos[b * g.step + i] = length + (real ? i : count - 1);
      }
    step.input<int64_t>(g.cachePosition)[0] = length;
    if (g.paged)
      std::memcpy(step.input<int32_t>(g.blockTable), table.data(),
                  table.size() * sizeof(int32_t));
    if (g.perLayerLengths()) {
      std::copy(layerLengths.begin(), layerLengths.end(),
                step.input<int64_t>(g.layerLengths));
      step.input<int64_t>(g.stepLength)[0] = count;
    }
    step.run(step.buffers.data());
    length += count;
    if (g.perLayerLengths()) {
      // A layer keeps at most the step's real tokens. A count outside that
      // is a broken model; it is clamped rather than reported because the
      // step has already run (the session cannot be put back), and so that
      // every layer length stays in [0, length], where the next steps'
      // reads of the cache stay inside what was written.
      const int64_t *kept = step.output<int64_t>(g.layerKept);
      for (int64_t l = 0; l < g.layers; ++l)
        layerLengths[l] += std::clamp<int64_t>(kept[l], 0, count);
    }
    if (const float *depth = step.layersRun())
      for (int64_t b = 0; b < g.batch; ++b)
        for (int64_t i = 0; i < count; ++i) {
          layersRunSum += depth[b * g.step + i];
          ++layersRunTokens;
        }
    // Logits are [batch, step or 1, vocab]: the last real row.
    const TensorDesc &out = step.metadata->outputs[g.logits];
    int64_t rows = out.shape[1], row = rows == 1 ? 0 : count - 1;
    for (int64_t b = 0; b < g.batch; ++b)
      std::memcpy(logits.data() + b * g.vocab,
                  step.logits() + (b * rows + row) * g.vocab,
                  g.vocab * sizeof(float));
    haveLogits = true;
    if (!all)
      return;
    // Rows past `count` belong to the padding and are dropped.
    for (int64_t b = 0; b < g.batch; ++b)
      for (int64_t i = 0; i < count; ++i)
        std::memcpy(all + (b * int64_t(stride) + int64_t(first) + i) * g.vocab,
                    step.logits() + (b * rows + (rows == 1 ? 0 : i)) * g.vocab,
                    g.vocab * sizeof(float));
  }

  /// Whether the prefill step outputs the logits of every position of its
  /// chunk (not only of the last).
  bool prefillHasAllLogits() const {
    if (!hasPrefill)
      return false;
    const GenerationDesc &g = prefill.gen();
    return prefill.metadata->outputs[g.logits].shape[1] == g.step;
  }

  /// Appends `count` tokens per row: prefill chunks where a whole chunk
  /// fits in the cache, single decode steps elsewhere. With `all`, every
  /// position's logits are written there and chunks are used only when
  /// the prefill step outputs all of them.
  txrt_status append(const int64_t *tokens, size_t count, float *all) {
    bool chunks = hasPrefill && (!all || prefillHasAllLogits());
    size_t done = 0;
    while (done < count) {
      if (cancelled.exchange(false))
        return fail(TXRT_ERROR_CANCELLED,
                    "txrt_session_prefill: cancelled after " +
                        std::to_string(done) + " of " + std::to_string(count) +
                        " tokens (" + std::to_string(length) +
                        " positions are in the cache)");
      int64_t left = int64_t(count - done);
      // A prefill chunk writes its whole length (padding included) into the
      // cache, so it must fit; otherwise the rest goes one decode step at a
      // time.
      if (chunks && left > 1) {
        int64_t chunk = prefill.gen().step;
        if (length + chunk <= gen.capacity) {
          int64_t n = std::min(chunk, left);
          runStep(prefill, tokens, count, done, n, all);
          done += n;
          continue;
        }
      }
      runStep(decode, tokens, count, done, 1, all);
      ++done;
    }
    return TXRT_OK;
  }

  /// Checks a call's batch and tokens before anything runs.
  txrt_status checkTokens(const char *fn, const int64_t *tokens, size_t batch,
                          size_t count) {
    if (!tokens)
      return fail(TXRT_ERROR_ARGUMENT, std::string(fn) + ": tokens is NULL");
    if (txrt_status status = weightsVerified(*model, fn))
      return status;
    if (int64_t(batch) != gen.batch)
      return fail(TXRT_ERROR_ARGUMENT,
                  std::string(fn) + ": batch " + std::to_string(batch) +
                      " given, but model '" + model->soPath +
                      "' was compiled for batch " + std::to_string(gen.batch));
    if (count == 0)
      return fail(TXRT_ERROR_ARGUMENT, std::string(fn) + ": no tokens given");
    for (size_t i = 0; i < batch * count; ++i)
      if (tokens[i] < 0 || tokens[i] >= gen.vocab)
        return fail(TXRT_ERROR_ARGUMENT,
                    std::string(fn) + ": token " + std::to_string(tokens[i]) +
                        " (row " + std::to_string(i / count) + ", position " +
                        std::to_string(i % count) +
                        ") is outside the vocabulary [0, " +
                        std::to_string(gen.vocab) + ")");
    if (length + int64_t(count) > gen.capacity)
      return fail(TXRT_ERROR_CAPACITY,
                  std::string(fn) + ": " + std::to_string(count) +
                      " more tokens do not fit: " + std::to_string(length) +
                      " of the KV cache's " + std::to_string(gen.capacity) +
                      " positions are filled (compile with a larger "
                      "--max-seq, or reset the session)");
    return TXRT_OK;
  }
};

extern "C" {

txrt_status txrt_generation_info_get(const txrt_model *model,
                                     txrt_generation_info *out) {
  if (!model || !out)
    return fail(TXRT_ERROR_ARGUMENT, std::string("txrt_generation_info_get: ") +
                                         (model ? "out" : "model") +
                                         " is NULL");
  if (!model->metadata.generation)
    return fail(TXRT_ERROR_ARGUMENT,
                "model '" + model->soPath +
                    "' was not compiled for generation (txc --max-seq N)");
  const GenerationDesc &g = *model->metadata.generation;
  out->batch = g.batch;
  out->capacity = g.capacity;
  out->vocab = g.vocab;
  out->prefill_chunk = model->prefillMetadata
                           ? model->prefillMetadata->generation->step
                           : g.step;
  out->layers = g.layers;
  out->kv_heads = g.kvHeads;
  out->head_dim = g.headDim;
  out->block_size = g.paged ? g.blockSize : 0;
  return TXRT_OK;
}

txrt_status txrt_generation_kv_cache(const txrt_model *model,
                                     const char **format,
                                     int64_t *bytesPerToken) {
  txrt_generation_info info;
  if (txrt_status status = txrt_generation_info_get(model, &info))
    return status;
  const GenerationDesc &g = *model->metadata.generation;
  const bool quantized = g.kvFormat != "f32";
  if (format)
    *format = g.kvFormat == "int4"   ? "int4"
              : g.kvFormat == "int8" ? "int8"
              : g.kvFormat == "fp8"  ? "fp8"
                                     : "f32";
  if (bytesPerToken) {
    int64_t perHead = quantized ? g.headDim + 4 : 4 * g.headDim;
    // int4: the slots plus the f32 ring spread over the capacity (the
    // cost per token of a full cache), rounded up.
    if (g.kvFormat == "int4")
      perHead = (TXC_KV_INT4_SLOTS(g.capacity, g.headDim, g.kvGroup,
                                   g.kvBuffer) *
                     TXC_KV_INT4_ROW(g.headDim, g.kvGroup) +
                 g.capacity - 1) /
                g.capacity;
    *bytesPerToken = 2 * g.layers * g.kvHeads * perHead;
  }
  return TXRT_OK;
}

txrt_status txrt_generation_kv_per_layer(const txrt_model *model,
                                         int *perLayer) {
  txrt_generation_info info;
  if (txrt_status status = txrt_generation_info_get(model, &info))
    return status;
  if (!perLayer)
    return fail(TXRT_ERROR_ARGUMENT,
                "txrt_generation_kv_per_layer: per_layer is NULL");
  *perLayer = model->metadata.generation->perLayerLengths();
  return TXRT_OK;
}

txrt_status txrt_session_create(txrt_model *model, txrt_session **out) {
  if (out)
    *out = nullptr;
  if (!model || !out)
    return fail(TXRT_ERROR_ARGUMENT, std::string("txrt_session_create: ") +
                                         (model ? "out" : "model") +
                                         " is NULL");
  txrt_generation_info info;
  if (txrt_status status = txrt_generation_info_get(model, &info))
    return status;
  const ModelMetadata &m = model->metadata;
  if (m.generation->step != 1)
    return fail(TXRT_ERROR_NOT_A_MODEL,
                "model '" + model->soPath + "' has a decode step of " +
                    std::to_string(m.generation->step) +
                    " tokens; generation needs one of 1 token (export the "
                    "model with a dynamic or unit sequence length)");
  auto session = std::make_unique<txrt_session>();
  session->model = model;
  session->gen = *m.generation;
  session->cacheBytes = m.inputs[session->gen.cache].byteSize;
  // The whole session's memory against the model's limit, before any of it
  // is allocated.
  size_t total = session->cacheBytes + StepBuffers::bytesNeeded(m) +
                 (model->prefillMetadata
                      ? StepBuffers::bytesNeeded(*model->prefillMetadata)
                      : 0);
  if (model->memoryLimit && total > model->memoryLimit)
    return fail(TXRT_ERROR_MEMORY,
                "txrt_session_create: a session of model '" + model->soPath +
                    "' needs " + std::to_string(total) + " bytes (KV cache " +
                    std::to_string(session->cacheBytes) + "), more than the " +
                    std::to_string(model->memoryLimit) +
                    " of txrt_model_set_memory_limit");
  if (txrt_status status =
          allocateWithin(*model, session->cacheBytes, session->cache,
                         "txrt_session_create: the KV cache"))
    return status;
  if (txrt_status status = session->decode.init(
          *model, m, model->run, model->buffers, session->cache.get()))
    return status;
  if (model->prefillMetadata) {
    session->hasPrefill = true;
    if (txrt_status status = session->prefill.init(
            *model, *model->prefillMetadata, model->prefillRun,
            model->prefillBuffers, session->cache.get()))
      return status;
  }
  session->logits.assign(session->gen.batch * session->gen.vocab, 0.0f);
  if (session->gen.perLayerLengths())
    session->layerLengths.assign(session->gen.layers, 0);
  if (session->gen.paged)
    session->table.assign(session->gen.batch * session->tableWidth(), -1);
  session->resetBlocks();
  *out = session.release();
  return TXRT_OK;
}

void txrt_session_free(txrt_session *session) { delete session; }

txrt_status txrt_session_reset(txrt_session *session) {
  if (!session)
    return fail(TXRT_ERROR_ARGUMENT, "txrt_session_reset: session is NULL");
  session->length = 0;
  std::fill(session->layerLengths.begin(), session->layerLengths.end(), 0);
  session->haveLogits = false;
  session->resetBlocks();
  return TXRT_OK;
}

txrt_status txrt_session_prefill(txrt_session *session, const int64_t *tokens,
                                 size_t batch, size_t count) {
  if (!session)
    return fail(TXRT_ERROR_ARGUMENT, "txrt_session_prefill: session is NULL");
  if (txrt_status status =
          session->checkTokens("txrt_session_prefill", tokens, batch, count))
    return status;
  return session->append(tokens, count, nullptr);
}

txrt_status txrt_session_prefill_logits(txrt_session *session,
                                        const int64_t *tokens, size_t batch,
                                        size_t count, float *logitsOut) {
  if (!session)
    return fail(TXRT_ERROR_ARGUMENT,
                "txrt_session_prefill_logits: session is NULL");
  if (!logitsOut)
    return fail(TXRT_ERROR_ARGUMENT,
                "txrt_session_prefill_logits: logits_out is NULL");
  if (txrt_status status = session->checkTokens("txrt_session_prefill_logits",
                                                tokens, batch, count))
    return status;
  return session->append(tokens, count, logitsOut);
}

txrt_status txrt_session_decode(txrt_session *session, const int64_t *tokens,
                                size_t batch) {
  if (!session)
    return fail(TXRT_ERROR_ARGUMENT, "txrt_session_decode: session is NULL");
  if (session->length == 0)
    return fail(TXRT_ERROR_STATE,
                "txrt_session_decode: the session is empty; prefill a prompt "
                "first");
  if (txrt_status status =
          session->checkTokens("txrt_session_decode", tokens, batch, 1))
    return status;
  session->runStep(session->decode, tokens, 1, 0, 1);
  return TXRT_OK;
}

const float *txrt_session_logits(const txrt_session *session) {
  return session && session->haveLogits ? session->logits.data() : nullptr;
}

txrt_status txrt_session_layers_run(const txrt_session *session,
                                    double *layers_sum, int64_t *tokens) {
  if (!session || !layers_sum || !tokens)
    return fail(TXRT_ERROR_ARGUMENT,
                "txrt_session_layers_run: session, layers_sum and tokens "
                "must not be NULL");
  *layers_sum = session->layersRunSum;
  *tokens = session->layersRunTokens;
  return TXRT_OK;
}

txrt_status txrt_session_kv_positions(const txrt_session *session,
                                      int64_t *held, int64_t *dense) {
  if (!session || !held || !dense)
    return fail(TXRT_ERROR_ARGUMENT,
                "txrt_session_kv_positions: session, held and dense must not "
                "be NULL");
  *dense = session->gen.layers * session->length;
  *held = session->gen.perLayerLengths()
              ? std::accumulate(session->layerLengths.begin(),
                                session->layerLengths.end(), int64_t(0))
              : *dense;
  return TXRT_OK;
}

int64_t txrt_session_length(const txrt_session *session) {
  return session ? session->length : 0;
}

txrt_status txrt_session_cancel(txrt_session *session) {
  if (!session)
    return fail(TXRT_ERROR_ARGUMENT, "txrt_session_cancel: session is NULL");
  session->cancelled.store(true);
  return TXRT_OK;
}

} // extern "C"
