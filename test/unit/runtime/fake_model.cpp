//===- fake_model.cpp - a hand-written stand-in for a compiled model ------===//
//
// Implements the contract between a compiled model and libtxrt
// (docs/runtime.md) by hand, so the runtime and txc-run can be tested
// without the compiler:
//
//   inputs   x: f32 [2, 3]        offset: i64 []
//   weights  w: f32 [2, 3]        codes: i4 [2, 4] (stored as U8 [2, 2])
//   outputs  y: f32 [2, 3]             = x * w + 1
//            aux/codes: i64 [2, 4]     = codes (low nibble first) + offset
//            threads: i32 []           = the last txc_model_set_num_threads
//                                        argument, 0 before any call
//
// Built several times: FAKE_NO_METADATA, FAKE_NO_RUN and FAKE_NO_THREADS
// leave out one entry point each. The environment variable
// TXC_FAKE_MODEL_METADATA replaces the metadata document (the value
// "<null>" makes txc_model_metadata return NULL), for testing how the
// runtime rejects bad metadata.
//
//===----------------------------------------------------------------------===//

#include <cstdint>
#include <cstdlib>
#include <cstring>

#define FAKE_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

int numThreads = 0;

} // namespace

// The manifest txc writes into every model library (docs/runtime.md),
// without the sizes and fingerprint (not recorded: 0).
#ifndef FAKE_NO_MANIFEST
extern "C" __attribute__((used, section(".txc_manifest"), aligned(8)))
const char txc_model_manifest[48] = "TXCMANI1\x01";
#endif

#ifndef FAKE_NO_METADATA
static const char *const kMetadata = R"json({
  "format": "txc-model",
  "version": 1,
  "weights_file": "fake_model.safetensors",
  "inputs": [
    {"name": "x", "dtype": "f32", "shape": [2, 3]},
    {"name": "offset", "dtype": "i64", "shape": []}
  ],
  "weights": [
    {"name": "w", "dtype": "f32", "shape": [2, 3]},
    {"name": "codes", "dtype": "i4", "shape": [2, 4]}
  ],
  "outputs": [
    {"name": "y", "dtype": "f32", "shape": [2, 3]},
    {"name": "aux/codes", "dtype": "i64", "shape": [2, 4]},
    {"name": "threads", "dtype": "i32", "shape": []}
  ]
})json";

FAKE_EXPORT const char *txc_model_metadata(void) {
  if (const char *text = std::getenv("TXC_FAKE_MODEL_METADATA"))
    return std::strcmp(text, "<null>") == 0 ? nullptr : text;
  return kMetadata;
}
#endif

#ifndef FAKE_NO_RUN
FAKE_EXPORT void txc_model_run(void **buffers) {
  const float *x = static_cast<const float *>(buffers[0]);
  int64_t offset = *static_cast<const int64_t *>(buffers[1]);
  const float *w = static_cast<const float *>(buffers[2]);
  const uint8_t *codes = static_cast<const uint8_t *>(buffers[3]);
  float *y = static_cast<float *>(buffers[4]);
  int64_t *aux = static_cast<int64_t *>(buffers[5]);
  int32_t *threads = static_cast<int32_t *>(buffers[6]);

  for (int i = 0; i < 6; ++i)
    y[i] = x[i] * w[i] + 1.0f;
  for (int i = 0; i < 8; ++i) {
    uint8_t byte = codes[i / 2];
    aux[i] = (i % 2 == 0 ? byte & 0xf : byte >> 4) + offset;
  }
  *threads = numThreads;
}
#endif

#ifndef FAKE_NO_THREADS
FAKE_EXPORT void txc_model_set_num_threads(int n) { numThreads = n; }
#endif
