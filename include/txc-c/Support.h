//===- Support.h - Export macro and errors of txc's C API ---------*- C -*-===//
//
// Shared by the headers of txc's compiler C API (Dialects.h, Passes.h,
// Compiler.h): `TXC_CAPI_EXPORTED`, which marks the functions the TxcCAPI
// library exports (the library is compiled with hidden visibility, like
// MLIR's C API libraries), and `txcLastError`, the text of the most recent
// failure of a call on the calling thread.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_C_SUPPORT_H
#define TXC_C_SUPPORT_H

#if defined(_WIN32)
#if defined(TXC_CAPI_BUILDING_LIBRARY)
#define TXC_CAPI_EXPORTED __declspec(dllexport)
#else
#define TXC_CAPI_EXPORTED
#endif
#elif defined(__GNUC__)
#define TXC_CAPI_EXPORTED __attribute__((visibility("default")))
#else
#define TXC_CAPI_EXPORTED
#endif

#ifdef __cplusplus
extern "C" {
#endif

/// Describes the most recent failure of a txc C API call on the calling
/// thread (an invalid argument, an unknown option, a failed compilation),
/// naming the argument, option or file involved. Returns "" when no call has
/// failed on this thread. The string stays valid until the next failing call
/// on this thread; successful calls leave it unchanged.
TXC_CAPI_EXPORTED const char *txcLastError(void);

#ifdef __cplusplus
}
#endif

#endif // TXC_C_SUPPORT_H
