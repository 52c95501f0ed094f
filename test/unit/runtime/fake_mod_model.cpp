//===- fake_mod_model.cpp - a mixture-of-depths generation model ---------===//
//
// A stand-in for a generation model compiled with mixture-of-depths over
// its KV cache (the "generation" roles layer_lengths, step_length and
// layer_kept, docs/runtime.md), so that the session's per-layer cache
// lengths can be tested without the compiler. Two layers, a vocabulary of
// 5, a cache of 16 positions; a decode step of 1 token and a prefill step
// of 4 whose logits cover every position:
//
//   layer 0 keeps every real token, layer 1 only those of even id; each
//   kept token's id is written to its layer's next key slot;
//   real token i predicts (L0 + L1) % 5, Li the positions layer i holds
//   after that token (its logits: 8 for that id, 0 for the others);
//   layer_kept = the tokens each layer kept.
//
// The tokens predicted therefore depend on the lengths the session feeds
// back: a session that lost or miscounted them generates other tokens. The
// environment variable TXC_FAKE_MODEL_PREFILL_METADATA replaces the prefill
// step's metadata (to test how the runtime checks it against the decode
// step's).
//
//===----------------------------------------------------------------------===//

#include <cstdint>
#include <cstdlib>
#include <cstring>

#define FAKE_EXPORT extern "C" __attribute__((visibility("default")))

extern "C" __attribute__((used, section(".txc_manifest"), aligned(8)))
const char txc_model_manifest[48] = "TXCMANI1\x01";

namespace {

constexpr int64_t kLayers = 2, kVocab = 5, kCapacity = 16;

// The metadata of a step of `step` tokens (one string per step: the
// runtime keeps the pointer).
#define FAKE_MOD_METADATA(step)                                                \
  "{\"format\": \"txc-model\", \"version\": 1, \"inputs\": ["                  \
  "{\"name\": \"input_ids\", \"dtype\": \"i64\", \"shape\": [1, " #step "]}, " \
  "{\"name\": \"kv_cache\", \"dtype\": \"f32\", "                              \
  "\"shape\": [2, 2, 1, 1, 16, 1]}, "                                          \
  "{\"name\": \"cache_position\", \"dtype\": \"i64\", \"shape\": [1]}, "       \
  "{\"name\": \"layer_lengths\", \"dtype\": \"i64\", \"shape\": [2]}, "        \
  "{\"name\": \"step_length\", \"dtype\": \"i64\", \"shape\": [1]}], "         \
  "\"outputs\": ["                                                             \
  "{\"name\": \"logits\", \"dtype\": \"f32\", \"shape\": [1, " #step ", 5]}, " \
  "{\"name\": \"layer_kept\", \"dtype\": \"i64\", \"shape\": [2]}], "          \
  "\"generation\": {\"tokens\": \"input_ids\", \"cache\": \"kv_cache\", "      \
  "\"cache_position\": \"cache_position\", \"logits\": \"logits\", "           \
  "\"layer_lengths\": \"layer_lengths\", \"step_length\": \"step_length\", "   \
  "\"layer_kept\": \"layer_kept\", \"batch\": 1, \"step\": " #step ", "        \
  "\"layers\": 2, \"kv_heads\": 1, \"capacity\": 16, \"head_dim\": 1, "        \
  "\"layout\": \"contiguous\", \"block_size\": 0}}"

/// One step of `step` tokens; buffers: input_ids, kv_cache,
/// cache_position, layer_lengths, step_length, logits, layer_kept.
void runStep(void **buffers, int64_t step) {
  const int64_t *ids = static_cast<const int64_t *>(buffers[0]);
  float *cache = static_cast<float *>(buffers[1]);
  const int64_t *lengths = static_cast<const int64_t *>(buffers[3]);
  int64_t real = *static_cast<const int64_t *>(buffers[4]);
  // A step length out of range is the caller's bug: keep nothing, so the
  // tokens show it, rather than read past the ids.
  if (real < 1 || real > step)
    real = 0;
  float *logits = static_cast<float *>(buffers[5]);
  int64_t *kept = static_cast<int64_t *>(buffers[6]);
  int64_t length[kLayers] = {lengths[0], lengths[1]};
  std::memset(logits, 0, step * kVocab * sizeof(float));
  for (int64_t l = 0; l < kLayers; ++l)
    kept[l] = 0;
  for (int64_t i = 0; i < real; ++i) {
    for (int64_t l = 0; l < kLayers; ++l) {
      if (l == 1 && ids[i] % 2 != 0)
        continue;
      // Keys of layer l: [l][0][0][0][position][0].
      if (length[l] < kCapacity)
        cache[l * 2 * kCapacity + length[l]] = float(ids[i]);
      ++length[l];
      ++kept[l];
    }
    logits[i * kVocab + (length[0] + length[1]) % kVocab] = 8.0f;
  }
}

} // namespace

FAKE_EXPORT const char *txc_model_metadata(void) {
  return FAKE_MOD_METADATA(1);
}
FAKE_EXPORT void txc_model_run(void **buffers) { runStep(buffers, 1); }

FAKE_EXPORT const char *txc_prefill_metadata(void) {
  if (const char *text = std::getenv("TXC_FAKE_MODEL_PREFILL_METADATA"))
    return text;
  return FAKE_MOD_METADATA(4);
}
FAKE_EXPORT void txc_prefill_run(void **buffers) { runStep(buffers, 4); }
