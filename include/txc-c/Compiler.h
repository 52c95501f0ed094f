//===- Compiler.h - Compile models through txc's C API ------------*- C -*-===//
//
// The C interface of txc's compiler (the C++ API of
// include/txc/Compiler/Compiler.h): compile a model file (ONNX, GGUF, a
// Hugging Face folder or tx IR) or an MlirModule holding tx IR to a model
// library for libtxrt (include/txc-c/txrt.h), an object file, or the IR of a
// stage (import, tx, linalg, llvm), and read the compilation's messages.
//
// Handles are opaque structs holding one pointer, as in MLIR's C API; a null
// handle (`ptr == NULL`) is never valid input and is reported, not
// dereferenced. Every call validates its arguments and reports failures as
// values: setters and compile calls return MlirLogicalResult, a compilation
// fills a TxcResult with its messages, and txcLastError (txc-c/Support.h)
// describes the most recent failure on the calling thread. Strings returned
// as MlirStringRef are NUL-terminated and live as long as the object they
// came from.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_C_COMPILER_H
#define TXC_C_COMPILER_H

#include "mlir-c/IR.h"
#include "mlir-c/Support.h"
#include "txc-c/Support.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

//===----------------------------------------------------------------------===//
// Compile options
//===----------------------------------------------------------------------===//

/// The options of one compilation: everything txc's command-line flags set.
typedef struct TxcCompileOptions {
  void *ptr;
} TxcCompileOptions;

/// The stages a compilation can stop after (txc's --emit values).
typedef enum TxcStage {
  /// The imported model ("import").
  TXC_STAGE_IMPORT = 0,
  /// Raised tx IR after the graph passes ("tx").
  TXC_STAGE_TX = 1,
  /// tx ops decomposed into linalg on tensors ("linalg").
  TXC_STAGE_LINALG = 2,
  /// Optimized LLVM IR text ("llvm").
  TXC_STAGE_LLVM = 3,
  /// An object file ("obj"); needs an output file.
  TXC_STAGE_OBJECT = 4,
  /// A model library for libtxrt with its weights file beside it ("so");
  /// needs an output file.
  TXC_STAGE_LIBRARY = 5,
  /// Unset: the stage follows from the output path's extension (.so, .o,
  /// .ll, otherwise tx).
  TXC_STAGE_DEFAULT = 6
} TxcStage;

/// Creates options with txc's defaults, except that the output path is
/// empty: the text of an IR stage is kept in the TxcResult instead of being
/// written to standard output. Returns a null handle only when out of
/// memory.
TXC_CAPI_EXPORTED TxcCompileOptions txcCompileOptionsCreate(void);

/// Destroys options created by txcCompileOptionsCreate. A null handle is
/// ignored.
TXC_CAPI_EXPORTED void txcCompileOptionsDestroy(TxcCompileOptions options);

/// Whether the handle is null.
static inline bool txcCompileOptionsIsNull(TxcCompileOptions options) {
  return !options.ptr;
}

/// Sets the option `key`, spelled as txc's command-line flag without its
/// dashes ("max-seq", "emit", "o", ...; leading dashes are accepted), to
/// `value` as txc would parse it on its command line. "shape" adds one
/// NAME=DIMS specialization per call; every other key replaces the previous
/// value. The keys:
///
///   o (or output), weights, emit (import|tx|linalg|llvm|obj|so),
///   dump-ir, print-locations, pipeline, shape, quantize (keep|f32),
///   max-seq, kv-block, prefill-chunk, batch, target (cpu), cpu,
///   O (0..3), loop-threads, parallel-work, vector-bits, approximate-math,
///   layer-skip-speedup (the default pipeline's tx-layer-skip speedup, >= 1;
///   no txc flag).
///
/// Booleans take true/false/1/0 (an empty value means true, like a bare
/// flag). Fails, leaving the options unchanged, for a null handle or
/// string, an unknown key (the message lists the known ones) or a value
/// the key does not accept (the message names both); see txcLastError.
TXC_CAPI_EXPORTED MlirLogicalResult txcCompileOptionsSet(
    TxcCompileOptions options, const char *key, const char *value);

/// Sets the output file (txc -o). "" keeps the text of an IR stage in the
/// result (the default here); "-" writes it to standard output. Object and
/// library stages need a file.
TXC_CAPI_EXPORTED MlirLogicalResult
txcCompileOptionsSetOutput(TxcCompileOptions options, const char *path);

/// Sets the stage to stop after (txc --emit); TXC_STAGE_DEFAULT goes back
/// to choosing it by the output's extension.
TXC_CAPI_EXPORTED MlirLogicalResult
txcCompileOptionsSetEmit(TxcCompileOptions options, TxcStage stage);

/// Sets the KV cache length of a generation model (txc --max-seq): 0
/// compiles one forward pass; a negative value restores the default (GGUF
/// files and Hugging Face decoders compile for generation, other models one
/// forward pass).
TXC_CAPI_EXPORTED MlirLogicalResult
txcCompileOptionsSetMaxSeq(TxcCompileOptions options, int64_t maxSeq);

/// Sets where the weights file is written (txc --weights); "" places it
/// beside the output with the extension .safetensors.
TXC_CAPI_EXPORTED MlirLogicalResult
txcCompileOptionsSetWeightsPath(TxcCompileOptions options, const char *path);

//===----------------------------------------------------------------------===//
// Results
//===----------------------------------------------------------------------===//

/// The outcome of one compilation: success, its messages, and its outputs.
typedef struct TxcResult {
  void *ptr;
} TxcResult;

typedef enum TxcSeverity {
  /// Information about the compilation that is not a problem.
  TXC_SEVERITY_REMARK = 0,
  TXC_SEVERITY_NOTE = 1,
  TXC_SEVERITY_WARNING = 2,
  TXC_SEVERITY_ERROR = 3
} TxcSeverity;

/// One message of a compilation: one of txc's own (`location` empty) or an
/// MLIR diagnostic (`location` is its source location, e.g.
/// `model.mlir:3:5`, or an ONNX node name). The strings live as long as the
/// result.
typedef struct TxcMessage {
  TxcSeverity severity;
  MlirStringRef text;
  MlirStringRef location;
  /// Notes attached to the diagnostic (txcResultGetMessageNote).
  intptr_t numNotes;
} TxcMessage;

/// Whether the handle is null.
static inline bool txcResultIsNull(TxcResult result) { return !result.ptr; }

/// Destroys a result. A null handle is ignored.
TXC_CAPI_EXPORTED void txcResultDestroy(TxcResult result);

/// Whether the compilation succeeded (false for a null handle).
TXC_CAPI_EXPORTED bool txcResultIsOk(TxcResult result);

/// Every error message of the compilation, one per line, with its location
/// in front when it has one; "" after a success.
TXC_CAPI_EXPORTED MlirStringRef txcResultGetErrorText(TxcResult result);

/// The number of messages (notes, warnings and errors, in the order they
/// were reported).
TXC_CAPI_EXPORTED intptr_t txcResultGetNumMessages(TxcResult result);

/// Message `pos`; a message with severity error, empty text and no
/// location when `pos` is out of range or the handle is null.
TXC_CAPI_EXPORTED TxcMessage txcResultGetMessage(TxcResult result,
                                                 intptr_t pos);

/// Note `note` of message `pos` (empty when out of range).
TXC_CAPI_EXPORTED MlirStringRef txcResultGetMessageNote(TxcResult result,
                                                        intptr_t pos,
                                                        intptr_t note);

/// After a successful compilation with an empty output path: the IR text
/// of the stage asked for. Empty otherwise.
TXC_CAPI_EXPORTED MlirStringRef txcResultGetOutputText(TxcResult result);

/// The files the compilation wrote (output, weights, tokenizer).
TXC_CAPI_EXPORTED intptr_t txcResultGetNumWrittenFiles(TxcResult result);
TXC_CAPI_EXPORTED MlirStringRef txcResultGetWrittenFile(TxcResult result,
                                                        intptr_t pos);

//===----------------------------------------------------------------------===//
// Compilation
//===----------------------------------------------------------------------===//

/// Compiles the model at `input` (MODEL.onnx, MODEL.gguf, a Hugging Face
/// folder or tx IR in a .mlir file) with `options`, in `context`: txc's
/// dialects are added to the context's registry and loaded, and its
/// diagnostics are reported to the result, not to the context's other
/// handlers. A null `context` compiles in a context of its own.
///
/// Stores a new result in `*result` (the caller destroys it) whenever
/// `result` is not NULL, also on failure; returns failure for a failed
/// compilation and for invalid arguments (a NULL `input` or `result`, null
/// `options`), which are reported in the result and by txcLastError.
TXC_CAPI_EXPORTED MlirLogicalResult txcCompileFile(MlirContext context,
                                                   const char *input,
                                                   TxcCompileOptions options,
                                                   TxcResult *result);

/// Compiles `module` (tx IR, as a .mlir input would hold; it is cloned and
/// left unchanged) with `options`, in the module's context. Results and
/// errors as for txcCompileFile; a null `module` is an error.
TXC_CAPI_EXPORTED MlirLogicalResult txcCompileModule(MlirModule module,
                                                     TxcCompileOptions options,
                                                     TxcResult *result);

#ifdef __cplusplus
}
#endif

#endif // TXC_C_COMPILER_H
