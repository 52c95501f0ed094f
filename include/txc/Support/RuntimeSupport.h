//===- RuntimeSupport.h - file readers shared with libtxrt, without LLVM -===//
//
// The parts of txc's support code that the runtime needs, written against
// the standard library and POSIX only so that libtxrt links nothing from
// LLVM: mapping a regular file, the `.txc_manifest` record of a model
// library (ELF check, version check, weights fingerprint) and the
// safetensors header. TxcSupport's LLVM-facing interfaces (Files.h,
// ModelManifest.h, Safetensors.h) are thin adapters over these, so the
// compiler and the runtime accept and refuse exactly the same files with
// the same messages. Errors are returned as `false` plus a sentence that
// names the file.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_SUPPORT_RUNTIMESUPPORT_H
#define TXC_SUPPORT_RUNTIMESUPPORT_H

#include "txc-c/txc_model_format.h"

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace txc::rt {

/// An empty string when `path` names a regular file (after symbolic
/// links), else why not: "cannot open 'P': no such file or directory",
/// "'P' is a directory, not a file", "'P' is not a regular file (a
/// character device)".
std::string checkRegularFile(const std::string &path);

/// A whole regular file, memory-mapped read-only (or empty).
class MappedFile {
public:
  MappedFile() = default;
  MappedFile(const MappedFile &) = delete;
  MappedFile &operator=(const MappedFile &) = delete;
  MappedFile(MappedFile &&other) noexcept;
  MappedFile &operator=(MappedFile &&other) noexcept;
  ~MappedFile();

  /// Maps `path` after checkRegularFile; on failure returns false and sets
  /// `error` ("cannot read 'P': ...").
  bool open(const std::string &path, std::string &error);

  const char *data() const { return base; }
  size_t size() const { return length; }
  std::string_view bytes() const { return {base, length}; }
  const std::string &path() const { return name; }

private:
  void unmap();

  const char *base = nullptr;
  size_t length = 0;
  bool mapped = false;
  std::string name;
};

/// The fields of a `.txc_manifest` record (txc_model_format.h).
struct ModelManifest {
  uint32_t version = TXC_MODEL_FORMAT_VERSION;
  uint32_t flags = 0;
  uint64_t librarySize = 0;
  uint64_t weightsSize = 0;
  uint64_t weightsSampleHash = 0;
  uint64_t weightsFullHash = 0;
};

/// The TXC_MANIFEST_SIZE bytes of `manifest`.
std::string encodeManifest(const ModelManifest &manifest);

/// Checks that `bytes` (the whole file `path`) is a well-formed 64-bit
/// little-endian ELF shared object whose headers, segments and sections lie
/// inside the file, and finds the offset of the `.txc_manifest` section's
/// data. Errors name the file and what is wrong ("truncated: ...").
bool findManifest(std::string_view bytes, const std::string &path,
                  uint64_t &offset, std::string &error);

/// Why readManifest refused a library.
enum class ManifestError { None, NotAModel, Version };

/// Decodes and checks the manifest of the library whose whole contents are
/// `bytes`: the ELF structure, the magic, the format version (a version
/// outside the range this build reads is ManifestError::Version, with a
/// message naming both), and the library size it records against
/// `bytes.size()`.
ManifestError readManifest(std::string_view bytes, const std::string &path,
                           ModelManifest &out, std::string &error);

/// Hashes of a weights file's bytes (XXH3-64, the function LLVM calls
/// xxh3_64bits): `full` hashes all of them; otherwise the file size, the
/// first 64 KiB (the safetensors header) and 64 bytes at a stride that
/// keeps the sample near 64 KiB, plus the last 64 bytes.
uint64_t weightsHash(std::string_view bytes, bool full);

/// XXH3-64 of `bytes` (seed 0).
uint64_t xxh3(std::string_view bytes);

/// One tensor of a safetensors header; `data` points into the file bytes.
struct SafetensorsTensor {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
  const char *data = nullptr;
  size_t size = 0;
};

/// Parses and validates the safetensors file whose bytes are `bytes` (the
/// header's JSON, each entry's dtype, shape and byte range). Errors read
/// "'P' is not a valid safetensors file: why".
bool parseSafetensors(std::string_view bytes, const std::string &path,
                      std::vector<SafetensorsTensor> &out, std::string &error);

/// Bytes per element of a safetensors dtype, or 0 if unknown.
unsigned safetensorsDTypeSize(std::string_view dtype);

/// Deepest nesting of JSON arrays and objects in `text` (strings skipped),
/// checked before parsing untrusted JSON.
unsigned jsonNestingDepth(std::string_view text);

/// Parses the JSON document `text` into `out` without exceptions; a
/// syntax error, invalid UTF-8 or a key that appears twice in one object
/// returns false with the parser's description in `error`.
bool parseJson(std::string_view text, nlohmann::json &out, std::string &error);

/// The value of an integer JSON number, or of a floating-point one that is
/// integral and fits in int64_t; nothing otherwise.
std::optional<int64_t> jsonInteger(const nlohmann::json &value);

/// Number of elements of a tensor of `shape` (`rank` dimensions), or -1 on
/// a negative dimension or overflow.
int64_t numElements(const int64_t *shape, size_t rank);

} // namespace txc::rt

#endif // TXC_SUPPORT_RUNTIMESUPPORT_H
