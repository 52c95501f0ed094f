/*===- txrt.h - C API of the txc runtime (libtxrt) ----------------*- C -*-===*\
|*                                                                            *|
|* libtxrt loads a model compiled by txc (a shared library plus a safetensors *|
|* weights file), describes its inputs and outputs, and runs it. Every        *|
|* function reports failure through its return value (a txrt_status) and     *|
|* txrt_last_error(); none aborts. The contract between a compiled model and  *|
|* this runtime is described in docs/runtime.md.                              *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef TXC_C_TXRT_H
#define TXC_C_TXRT_H

#include <stddef.h>
#include <stdint.h>

#include "txc_model_format.h"

#if defined(__GNUC__)
#define TXRT_API __attribute__((visibility("default")))
#else
#define TXRT_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** Version of this C ABI; bumped on any incompatible change (adding
 *  functions does not bump it). The same as TXC_RUNTIME_ABI_VERSION of
 *  txc_model_format.h; docs/runtime.md, "Compatibility", has the policy. */
#define TXRT_API_VERSION TXC_RUNTIME_ABI_VERSION

/** A loaded model: the compiled code, its metadata and its mapped weights.
 *  Created by txrt_model_load(), released by txrt_model_free(). */
typedef struct txrt_model txrt_model;

/** Result of every fallible call. On anything but TXRT_OK,
 *  txrt_last_error() describes what went wrong. */
typedef enum txrt_status {
  TXRT_OK = 0,
  /** A file could not be opened or read (the model library itself). */
  TXRT_ERROR_IO = 1,
  /** The library does not load, lacks the txc model entry points, or its
   *  metadata is malformed. */
  TXRT_ERROR_NOT_A_MODEL = 2,
  /** The model was compiled by a txc whose model format this runtime does
   *  not read (its `.txc_manifest` record or its metadata's "version" lies
   *  outside txrt_version's range); the message names both versions. */
  TXRT_ERROR_VERSION = 3,
  /** The weights file is missing, corrupt, or lacks a weight the model needs
   *  (or holds it with another dtype, shape or byte size). */
  TXRT_ERROR_WEIGHTS = 4,
  /** A bad argument: a null pointer, an index out of range, a thread count
   *  below 1, a batch size other than the model's, a token outside the
   *  vocabulary, an index input outside its range, a cache position or
   *  block table a step cannot use. */
  TXRT_ERROR_ARGUMENT = 5,
  /** Generation: the tokens do not fit in what is left of the session's KV
   *  cache. Nothing was run; the session is unchanged. */
  TXRT_ERROR_CAPACITY = 6,
  /** Generation: the call does not fit the session's state (decode before
   *  any prefill). Nothing was run; the session is unchanged. */
  TXRT_ERROR_STATE = 7,
  /** txrt_session_cancel() stopped the call between two steps; the tokens
   *  processed before are in the cache (txrt_session_length). */
  TXRT_ERROR_CANCELLED = 8,
  /** Memory for a session (KV cache and step buffers) or an input copy
   *  could not be allocated, or exceeds txrt_model_set_memory_limit(). */
  TXRT_ERROR_MEMORY = 9
} txrt_status;

/** Element types of tensors. */
typedef enum txrt_dtype {
  TXRT_DTYPE_F32 = 0,
  TXRT_DTYPE_F16 = 1,
  TXRT_DTYPE_BF16 = 2,
  TXRT_DTYPE_F64 = 3,
  TXRT_DTYPE_I64 = 4,
  TXRT_DTYPE_I32 = 5,
  TXRT_DTYPE_I16 = 6,
  TXRT_DTYPE_I8 = 7,
  TXRT_DTYPE_U8 = 8,
  /** One byte per element, 0 or 1. */
  TXRT_DTYPE_BOOL = 9,
  /** 4-bit codes, two per byte, low nibble first, packed along the last
   *  dimension. Weights only: never an input or an output. */
  TXRT_DTYPE_I4 = 10,
  /** 2-bit codes, four per byte, lowest bits first, packed along the last
   *  dimension. Weights only. */
  TXRT_DTYPE_I2 = 11,
  /** OCP fp8 e4m3 (no infinities), one byte per element. */
  TXRT_DTYPE_F8E4M3 = 12,
  /** OCP e8m0 scale (2^(e - 127)), one byte per element. */
  TXRT_DTYPE_F8E8M0 = 13,
  /** OCP fp4 e2m1, two per byte, low nibble first, packed along the last
   *  dimension. Weights only. */
  TXRT_DTYPE_F4E2M1 = 14
} txrt_dtype;

/** Describes one input or output of a model. Every pointer stays valid until
 *  the model is freed. */
typedef struct txrt_tensor_info {
  /** The name from the model's metadata (NUL-terminated). */
  const char *name;
  txrt_dtype dtype;
  /** Number of dimensions; 0 for a scalar. */
  size_t rank;
  /** `rank` dimensions, outermost first (dense, row-major). */
  const int64_t *dims;
  /** Size of the tensor's data in bytes. */
  size_t byte_size;
} txrt_tensor_info;

/** Loads a compiled model.
 *
 *  `so_path` is the model's shared library; it is opened with
 *  dlopen(RTLD_LOCAL | RTLD_NOW) and must export txc_model_metadata and
 *  txc_model_run. `weights_path` names the safetensors weights file; when
 *  NULL, the metadata's `weights_file` is used, relative to the directory of
 *  `so_path`. Every weight the metadata lists must be present in the file
 *  with the declared dtype and shape. The weights file is memory-mapped and
 *  stays mapped until txrt_model_free().
 *
 *  On success stores the model in `*out` and returns TXRT_OK; on failure
 *  stores NULL (when `out` is not NULL) and returns the error. */
TXRT_API txrt_status txrt_model_load(const char *so_path,
                                     const char *weights_path,
                                     txrt_model **out);

/** How much of the weights file txrt_model_load_ex checks against the
 *  fingerprint txc recorded in the library when it compiled the model. */
typedef enum txrt_verify {
  /** At load, the file's size and a sample of about 128 KiB (its header and
   *  64 bytes at a regular stride), which catches another model's weights at
   *  little cost; then every byte on a background thread, which the first
   *  run (txrt_model_run, the session calls) waits for and fails with
   *  TXRT_ERROR_WEIGHTS if a byte differs. What txrt_model_load does. */
  TXRT_VERIFY_SAMPLE = 0,
  /** Every byte (xxh3) during the load itself. */
  TXRT_VERIFY_FULL = 1,
  /** Nothing: for weights swapped on purpose (same names, dtypes and shapes,
   *  which are still checked). */
  TXRT_VERIFY_NONE = 2
} txrt_verify;

/** txrt_model_load with a choice of weights verification. Before loading,
 *  the library file itself is checked (ELF headers within the file, txc's
 *  `.txc_manifest` record, its recorded size): a truncated or foreign file
 *  is TXRT_ERROR_NOT_A_MODEL, one from another format version
 *  TXRT_ERROR_VERSION, and weights that do not match the fingerprint
 *  TXRT_ERROR_WEIGHTS. */
TXRT_API txrt_status txrt_model_load_ex(const char *so_path,
                                        const char *weights_path,
                                        txrt_verify verify, txrt_model **out);

/** Releases the model, unmaps its weights and closes its library. NULL is
 *  accepted and ignored. */
TXRT_API void txrt_model_free(txrt_model *model);

/** Describes the most recent failure of a txrt call on the calling thread,
 *  naming the files, tensors and values involved. Successful calls leave it
 *  unchanged. Returns "" when no call has failed on this thread. The string
 *  stays valid until the next failing txrt call on this thread. */
TXRT_API const char *txrt_last_error(void);

/** The version of this runtime (the txc release it comes with, e.g.
 *  "0.1.0"), and through the pointers that are not NULL: the C ABI version
 *  it implements (TXRT_API_VERSION of the header it was built with) and the
 *  range of model format versions it loads, [`*min_format`,
 *  `*max_format`]. A program built against a newer header can compare
 *  `*abi_version` with its TXRT_API_VERSION before calling anything else. */
TXRT_API const char *txrt_version(int *abi_version, int *min_format,
                                  int *max_format);

/** The name of a status ("TXRT_OK", "TXRT_ERROR_IO", ...), or "unknown". */
TXRT_API const char *txrt_status_name(txrt_status status);

/** The metadata name of a dtype ("f32", "i64", "bool", "i4", ...), or
 *  "unknown". */
TXRT_API const char *txrt_dtype_name(txrt_dtype dtype);

/** Number of inputs and outputs of `model` (0 when `model` is NULL). */
TXRT_API size_t txrt_model_num_inputs(const txrt_model *model);
TXRT_API size_t txrt_model_num_outputs(const txrt_model *model);

/** Describes input (or output) `index`, in metadata order. Fails with
 *  TXRT_ERROR_ARGUMENT when a pointer is NULL or `index` is out of range. */
TXRT_API txrt_status txrt_model_input_info(const txrt_model *model,
                                           size_t index, txrt_tensor_info *out);
TXRT_API txrt_status txrt_model_output_info(const txrt_model *model,
                                            size_t index,
                                            txrt_tensor_info *out);

/** Whether the model's code writes input `index` in place (the KV cache of
 *  a model compiled for generation). txrt_model_run copies such an input
 *  before the run, so the caller's data is never modified; a session
 *  (txrt_session_create) keeps the cache instead. Stores 1 or 0 in
 *  `*written`. */
TXRT_API txrt_status txrt_model_input_written(const txrt_model *model,
                                              size_t index, int *written);

/** Whether input `index` holds indices into a table of the model (token
 *  ids into the embedding, ids into a gather's data): then `*has_range` is
 *  1 and every value must lie in [`*low`, `*high`), which txrt_model_run
 *  checks before running (TXRT_ERROR_ARGUMENT names the input, the value
 *  and its position). Otherwise `*has_range` is 0. */
TXRT_API txrt_status txrt_model_input_range(const txrt_model *model,
                                            size_t index, int *has_range,
                                            int64_t *low, int64_t *high);

/** Runs the model once.
 *
 *  `inputs` holds txrt_model_num_inputs() pointers and `outputs`
 *  txrt_model_num_outputs() pointers, in metadata order, each to dense
 *  row-major data of the tensor's byte_size, aligned at least to its
 *  element size (64 bytes is best). The caller owns all of them; inputs are
 *  only read (an input the model writes is copied first, see
 *  txrt_model_input_written) and checked against their index ranges
 *  (txrt_model_input_range); outputs are overwritten. A pointer may be NULL
 *  only for a tensor of 0 bytes. Either
 *  array may be NULL when the model has no tensors of that kind.
 *
 *  Neither the runtime nor the compiled code keeps state between runs: runs
 *  of one model may overlap in time on different threads (see the thread
 *  rules at txrt_session). Models loaded twice from the same library share
 *  that library's code. */
TXRT_API txrt_status txrt_model_run(txrt_model *model,
                                    const void *const *inputs,
                                    void *const *outputs);

/** Caps the memory the runtime allocates for this model's sessions (each
 *  session's KV cache and step buffers) and for txrt_model_run's input
 *  copies: a session or run that would need more fails with
 *  TXRT_ERROR_MEMORY, naming the sizes. 0 (the default) means no cap. The
 *  weights (mapped) and the model's own scratch memory are not counted. */
TXRT_API txrt_status txrt_model_set_memory_limit(txrt_model *model,
                                                 size_t bytes);

/** The model's tokenizer file (txc's tokenizer JSON, docs/runtime.md,
 *  "Tokenizers"): the metadata's `tokenizer_file`, absolute or resolved
 *  against the folder of the model's library. NULL when the metadata names
 *  none or `model` is NULL. Loading does not open or check the file. The
 *  string stays valid until the model is freed. */
TXRT_API const char *txrt_model_tokenizer_path(const txrt_model *model);

/** Sets the number of threads the model's code may use (at least 1). When
 *  the model does not export txc_model_set_num_threads the call succeeds and
 *  has no effect. Must not overlap a run of the same model. */
TXRT_API txrt_status txrt_set_num_threads(txrt_model *model, int num_threads);

/*===-- Sampling ----------------------------------------------------------===*/

/** How txrt_sample picks a token from logits.
 *
 *  `greedy` non-zero: the highest logit (the lowest index among equals);
 *  the other fields are ignored. Otherwise the logits are divided by
 *  `temperature` (> 0) and turned into probabilities (softmax); only the
 *  `top_k` most likely tokens are kept (0: all), then only the smallest set
 *  of the most likely whose probabilities sum to at least `top_p`
 *  (0 < top_p <= 1; 1: all); one token is drawn from what is left, in
 *  proportion to its probability. Ties are ordered by index, so the draw
 *  depends only on the logits, the parameters and the random state. */
typedef struct txrt_sampling {
  int greedy;
  float temperature;
  int64_t top_k;
  float top_p;
} txrt_sampling;

/** A random state for txrt_sample, seeded by txrt_rng_seed: the same seed
 *  gives the same sequence of draws on every machine. */
typedef struct txrt_rng {
  uint64_t state;
} txrt_rng;

TXRT_API void txrt_rng_seed(txrt_rng *rng, uint64_t seed);

/** Picks a token from `vocab` logits into *token. Fails
 *  (TXRT_ERROR_ARGUMENT) on NULL pointers, vocab == 0, a temperature that
 *  is not > 0, top_k < 0, top_p outside (0, 1], or a NaN logit. `rng` may
 *  be NULL for greedy sampling. */
TXRT_API txrt_status txrt_sample(const float *logits, size_t vocab,
                                 const txrt_sampling *params, txrt_rng *rng,
                                 int64_t *token);


/*===-- Generation sessions -----------------------------------------------===*/

/** What a model compiled for generation (txc --max-seq) offers. */
typedef struct txrt_generation_info {
  /** Sequences generated together (every call takes this many rows). */
  int64_t batch;
  /** Positions the KV cache holds: prompt plus generated tokens. */
  int64_t capacity;
  /** Logits per position. */
  int64_t vocab;
  /** Tokens one prefill call runs at once (1: no prefill step; prompts are
   *  fed one decode step at a time). */
  int64_t prefill_chunk;
  int64_t layers, kv_heads, head_dim;
  /** 0 for a contiguous cache, else the positions per block of a paged one. */
  int64_t block_size;
} txrt_generation_info;

/** Fails with TXRT_ERROR_ARGUMENT when `model` was not compiled for
 *  generation. */
TXRT_API txrt_status txrt_generation_info_get(const txrt_model *model,
                                              txrt_generation_info *out);

/** How the KV cache of a model compiled for generation stores keys and
 *  values, through the pointers that are not NULL: `*format` "f32", "int8",
 *  "fp8" or "int4" (txc --kv-quant; static storage) and `*bytes_per_token`
 *  the cache's bytes per position of one sequence (all layers, keys and
 *  values, the scales of a quantized cache included; int4: its whole size
 *  over the capacity, so the f32 buffer of recent tokens is included).
 *  Fails like
 *  txrt_generation_info_get. (A function of its own: the C ABI does not
 *  change a struct's layout.) */
TXRT_API txrt_status txrt_generation_kv_cache(const txrt_model *model,
                                              const char **format,
                                              int64_t *bytes_per_token);

/** Mixture-of-depths over the KV cache: `*per_layer` is 1 when the model's
 *  steps keep a cache length per layer (a token that skips a routed layer
 *  writes no keys or values there; metadata roles "layer_lengths",
 *  "step_length", "layer_kept"), else 0; txrt_session_kv_positions then
 *  tells how much of the cache the skipped tokens left free. Fails like
 *  txrt_generation_info_get, and with TXRT_ERROR_ARGUMENT when `per_layer`
 *  is NULL. */
TXRT_API txrt_status txrt_generation_kv_per_layer(const txrt_model *model,
                                                  int *per_layer);

/** One generation in progress: the KV cache (owned by the session, zeroed at
 *  creation) and how many positions of it are filled. A session belongs to
 *  one model, which must outlive it.
 *
 *  Threads: a model may be shared by sessions used on several threads at
 *  once (the compiled code keeps no state between calls; its parallel loops
 *  use one OpenMP team per calling thread), and txrt_model_run may run
 *  concurrently with them. A session must be used by one thread at a time
 *  (txrt_session_cancel excepted). txrt_set_num_threads and
 *  txrt_model_set_memory_limit must not overlap other calls on the model;
 *  txrt_model_free must come after every session is freed. */
typedef struct txrt_session txrt_session;

TXRT_API txrt_status txrt_session_create(txrt_model *model,
                                         txrt_session **out);
/** NULL is accepted and ignored. */
TXRT_API void txrt_session_free(txrt_session *session);

/** Empties the cache (length 0; paged blocks go back to the pool). */
TXRT_API txrt_status txrt_session_reset(txrt_session *session);

/** Appends `count` tokens per row (`tokens` is [batch][count], row-major)
 *  and computes the logits of the last one. Runs the prefill step on
 *  chunks (the last one padded) and single decode steps where a chunk would
 *  not fit the cache. Fails without running anything on a batch other than
 *  the model's, count == 0, a token outside [0, vocab), or when
 *  length + count exceeds the capacity (TXRT_ERROR_CAPACITY). May be called
 *  again to extend the prompt. */
TXRT_API txrt_status txrt_session_prefill(txrt_session *session,
                                          const int64_t *tokens, size_t batch,
                                          size_t count);

/** Like txrt_session_prefill, but also writes the logits of every one of
 *  the `count` positions to `logits_out`, [batch][count][vocab] (caller
 *  owned, batch * count * vocab floats): position i holds the logits
 *  predicting token i + 1. Chunks of the prefill step give the logits of all
 *  their real positions when the step's logits output has one row per
 *  position ([batch, step, vocab]); a prefill step that only outputs the
 *  last position's logits is not used, every token then goes through a
 *  decode step. txrt_session_logits() afterwards holds the last position's
 *  logits, as after txrt_session_prefill. The same checks as
 *  txrt_session_prefill, plus TXRT_ERROR_ARGUMENT when `logits_out` is
 *  NULL; nothing runs on failure. */
TXRT_API txrt_status txrt_session_prefill_logits(txrt_session *session,
                                                 const int64_t *tokens,
                                                 size_t batch, size_t count,
                                                 float *logits_out);

/** Appends one token per row (`tokens` is [batch]) with one decode step and
 *  computes its logits. TXRT_ERROR_STATE before any prefill;
 *  TXRT_ERROR_CAPACITY when the cache is full; nothing runs then. */
TXRT_API txrt_status txrt_session_decode(txrt_session *session,
                                         const int64_t *tokens, size_t batch);

/** The logits of the last position, [batch][vocab], valid until the next
 *  call on the session; NULL before any prefill. */
TXRT_API const float *txrt_session_logits(const txrt_session *session);

/** Early exit (txc --early-exit): the layers run by the real tokens every
 *  step of `session` processed since its creation (txrt_session_reset does
 *  not clear them), summed into `*layers_sum`, and `*tokens`, the number
 *  of those tokens (every batch row counts); the mean depth is their
 *  quotient. `*tokens` is 0 for a model compiled without early exit (its
 *  steps have no `layers_run` output). TXRT_ERROR_ARGUMENT on a NULL
 *  pointer. */
TXRT_API txrt_status txrt_session_layers_run(const txrt_session *session,
                                             double *layers_sum,
                                             int64_t *tokens);

/** The KV cache of `session` as it is now, in layer positions: `*dense`
 *  is layers x txrt_session_length, what a dense model holds, and `*held`
 *  the positions the layers' caches really hold, summed over the layers
 *  (below `*dense` for a model whose steps keep a cache length per layer
 *  and skipped tokens in some, txrt_generation_kv_per_layer; equal to it
 *  otherwise). txrt_session_reset empties both. TXRT_ERROR_ARGUMENT on a
 *  NULL pointer. */
TXRT_API txrt_status txrt_session_kv_positions(const txrt_session *session,
                                               int64_t *held, int64_t *dense);

/** Positions filled (0 when `session` is NULL). */
TXRT_API int64_t txrt_session_length(const txrt_session *session);

/** Asks a call running on `session` (on another thread) to stop: a prefill
 *  returns TXRT_ERROR_CANCELLED before its next chunk or step, keeping the
 *  positions processed so far; a decode step, which is one step, finishes.
 *  A cancel that finds no call running applies to the next prefill. The
 *  one call that may be made on a session while another thread uses it. */
TXRT_API txrt_status txrt_session_cancel(txrt_session *session);

#ifdef __cplusplus
}
#endif

#endif /* TXC_C_TXRT_H */
