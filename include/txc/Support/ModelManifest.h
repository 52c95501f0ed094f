//===- ModelManifest.h - the record txc writes into model libraries -*- C++ -*-===//
//
// Every model library txc links carries a section `.txc_manifest`: a fixed
// 48-byte record with the format version, the library's own size and the
// fingerprint of its weights file. The runtime reads it from the file before
// dlopen (so a truncated or foreign library is an error, not a SIGBUS inside
// the loader) and checks the weights against it.
//
// Layout (little-endian, include/txc-c/txc_model_format.h): "TXCMANI1" |
// u32 model format version | u32 flags | u64 library size | u64 weights
// size | u64 sampled weights hash | u64 full weights hash. Sizes and hashes
// are 0 until txc fills them in after linking (patchManifest); a weights
// hash of 0 means "no weights". These are LLVM-facing adapters over
// RuntimeSupport.h, which libtxrt uses directly.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_SUPPORT_MODELMANIFEST_H
#define TXC_SUPPORT_MODELMANIFEST_H

#include "txc/Support/RuntimeSupport.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>

namespace txc {

constexpr llvm::StringLiteral kManifestSection = TXC_MANIFEST_SECTION;
constexpr llvm::StringLiteral kManifestMagic = TXC_MANIFEST_MAGIC;
constexpr size_t kManifestSize = TXC_MANIFEST_SIZE;
/// The format of compiled model libraries (metadata and manifest).
constexpr uint32_t kManifestVersion = TXC_MODEL_FORMAT_VERSION;

using ModelManifest = rt::ModelManifest;

/// The 48 bytes of `manifest`.
std::string encodeManifest(const ModelManifest &manifest);

/// Checks that `bytes` (the whole file `path`) is a well-formed 64-bit
/// little-endian ELF shared object whose headers, segments and sections lie
/// inside the file, and returns the offset of the `.txc_manifest` section's
/// data. Errors name the file and what is wrong ("truncated: ...").
llvm::Expected<uint64_t> findManifest(llvm::StringRef bytes,
                                      llvm::StringRef path);

/// Reads and checks the manifest of the library `path` without loading it:
/// the ELF structure, the magic, and the library size it records against
/// the file's; a format version outside the range this build reads is an
/// error naming both.
llvm::Expected<ModelManifest> readManifest(llvm::StringRef path);

/// Fills in the manifest of the linked library `path` (its size, and the
/// fingerprint of the weights file `weightsPath` when not empty).
llvm::Error patchManifest(llvm::StringRef path, llvm::StringRef weightsPath);

/// Hashes of a weights file's bytes: `full` reads all of them (xxh3);
/// otherwise the first 64 KiB (the safetensors header) and 64 bytes at a
/// stride that keeps the sample near 64 KiB (about a thousand pages
/// touched), so that checking it at load costs little: a different model of
/// the same shapes always differs, a single flipped byte is caught by the
/// full hash only.
uint64_t weightsHash(llvm::StringRef bytes, bool full);

} // namespace txc

#endif // TXC_SUPPORT_MODELMANIFEST_H
