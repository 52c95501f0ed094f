//===- RuntimeSupport.cpp - file readers shared with libtxrt, without LLVM ===//
//
// See RuntimeSupport.h. JSON goes through nlohmann-json's SAX parser with
// a DOM builder that records the first error instead of throwing (the
// project builds without exceptions), XXH3 through the header-only xxhash,
// files through POSIX stat and mmap.
//
//===----------------------------------------------------------------------===//

#include "txc/Support/RuntimeSupport.h"

#include <nlohmann/json.hpp>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_set>

using namespace txc::rt;
using nlohmann::json;

//===----------------------------------------------------------------------===//
// Files
//===----------------------------------------------------------------------===//

std::string txc::rt::checkRegularFile(const std::string &path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return "cannot open '" + path + "': " + std::strerror(errno);
  if (S_ISREG(st.st_mode))
    return {};
  if (S_ISDIR(st.st_mode))
    return "'" + path + "' is a directory, not a file";
  if (S_ISCHR(st.st_mode))
    return "'" + path + "' is not a regular file (a character device)";
  if (S_ISBLK(st.st_mode))
    return "'" + path + "' is not a regular file (a block device)";
  if (S_ISFIFO(st.st_mode))
    return "'" + path + "' is not a regular file (a pipe)";
  if (S_ISSOCK(st.st_mode))
    return "'" + path + "' is not a regular file (a socket)";
  return "'" + path + "' is not a regular file";
}

MappedFile::MappedFile(MappedFile &&other) noexcept {
  *this = std::move(other);
}

MappedFile &MappedFile::operator=(MappedFile &&other) noexcept {
  if (this != &other) {
    unmap();
    base = std::exchange(other.base, nullptr);
    length = std::exchange(other.length, 0);
    mapped = std::exchange(other.mapped, false);
    name = std::move(other.name);
  }
  return *this;
}

MappedFile::~MappedFile() { unmap(); }

void MappedFile::unmap() {
  if (mapped)
    ::munmap(const_cast<char *>(base), length);
  base = nullptr;
  length = 0;
  mapped = false;
}

bool MappedFile::open(const std::string &path, std::string &error) {
  *this = MappedFile();
  name = path;
  if (std::string why = checkRegularFile(path); !why.empty()) {
    error = why;
    return false;
  }
  auto fail = [&]() {
    error = "cannot read '" + path + "': " + std::strerror(errno);
    return false;
  };
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return fail();
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int saved = errno;
    ::close(fd);
    errno = saved;
    return fail();
  }
  // The size is the one the file system reports now; a file that grows is
  // read up to it.
  size_t size = static_cast<size_t>(st.st_size);
  if (size == 0) {
    ::close(fd);
    base = "";
    return true;
  }
  void *p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  int saved = errno;
  ::close(fd);
  if (p == MAP_FAILED) {
    errno = saved;
    return fail();
  }
  base = static_cast<const char *>(p);
  length = size;
  mapped = true;
  return true;
}

//===----------------------------------------------------------------------===//
// Manifest
//===----------------------------------------------------------------------===//

namespace {

uint16_t u16(std::string_view b, uint64_t at) {
  return uint16_t(uint8_t(b[at])) | uint16_t(uint8_t(b[at + 1])) << 8;
}
uint32_t u32(std::string_view b, uint64_t at) {
  return uint32_t(u16(b, at)) | uint32_t(u16(b, at + 2)) << 16;
}
uint64_t u64(std::string_view b, uint64_t at) {
  return uint64_t(u32(b, at)) | uint64_t(u32(b, at + 4)) << 32;
}
void put(std::string &out, size_t at, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out[at + i] = char((value >> (8 * i)) & 0xff);
}

/// Whether [offset, offset + size) lies within `total` (without overflow).
bool within(uint64_t offset, uint64_t size, uint64_t total) {
  return offset <= total && size <= total - offset;
}

bool bad(const std::string &path, const std::string &why, std::string &error) {
  error = "'" + path + "' is not a usable model library: " + why;
  return false;
}

std::string str(uint64_t v) { return std::to_string(v); }

} // namespace

std::string txc::rt::encodeManifest(const ModelManifest &m) {
  std::string out(TXC_MANIFEST_SIZE, '\0');
  std::memcpy(out.data(), TXC_MANIFEST_MAGIC, 8);
  put(out, TXC_MANIFEST_OFFSET_VERSION, m.version, 4);
  put(out, TXC_MANIFEST_OFFSET_FLAGS, m.flags, 4);
  put(out, TXC_MANIFEST_OFFSET_LIBRARY_SIZE, m.librarySize, 8);
  put(out, TXC_MANIFEST_OFFSET_WEIGHTS_SIZE, m.weightsSize, 8);
  put(out, TXC_MANIFEST_OFFSET_SAMPLE_HASH, m.weightsSampleHash, 8);
  put(out, TXC_MANIFEST_OFFSET_FULL_HASH, m.weightsFullHash, 8);
  return out;
}

bool txc::rt::findManifest(std::string_view b, const std::string &path,
                           uint64_t &offsetOut, std::string &error) {
  const std::string section = TXC_MANIFEST_SECTION;
  uint64_t size = b.size();
  if (size < 64 || b.substr(0, 4) != "\x7f"
                                     "ELF")
    return bad(path,
               size < 64 ? "truncated (" + str(size) +
                               " bytes, shorter than an ELF header)"
                         : std::string("not an ELF file"),
               error);
  if (b[4] != 2 || b[5] != 1)
    return bad(path, "not a 64-bit little-endian ELF file", error);
  if (u16(b, 16) != 3 /*ET_DYN*/)
    return bad(path, "not a shared library (ELF type " + str(u16(b, 16)) + ")",
               error);
  uint64_t phoff = u64(b, 32), shoff = u64(b, 40);
  uint16_t phentsize = u16(b, 54), phnum = u16(b, 56);
  uint16_t shentsize = u16(b, 58), shnum = u16(b, 60), shstrndx = u16(b, 62);
  if (phentsize < 56 || shentsize < 64)
    return bad(path, "malformed ELF header (table entry sizes)", error);
  if (!within(phoff, uint64_t(phentsize) * phnum, size))
    return bad(path,
               "truncated (the program headers lie past its end, " + str(size) +
                   " bytes)",
               error);
  if (!within(shoff, uint64_t(shentsize) * shnum, size))
    return bad(path,
               "truncated (the section headers lie past its end, " + str(size) +
                   " bytes)",
               error);
  for (uint16_t i = 0; i < phnum; ++i) {
    uint64_t at = phoff + uint64_t(i) * phentsize;
    if (u32(b, at) != 1 /*PT_LOAD*/)
      continue;
    uint64_t offset = u64(b, at + 8), fileSize = u64(b, at + 32);
    if (!within(offset, fileSize, size))
      return bad(path,
                 "truncated (a loadable segment ends at byte " +
                     str(offset + fileSize) + " of " + str(size) + ")",
                 error);
  }
  if (shstrndx >= shnum)
    return bad(path, "malformed ELF header (no section name table)", error);
  uint64_t strAt = shoff + uint64_t(shstrndx) * shentsize;
  uint64_t strOffset = u64(b, strAt + 24), strSize = u64(b, strAt + 32);
  if (!within(strOffset, strSize, size))
    return bad(path, "truncated (the section name table lies past its end)",
               error);
  std::string_view names = b.substr(strOffset, strSize);
  bool found = false;
  uint64_t manifest = 0;
  for (uint16_t i = 0; i < shnum; ++i) {
    uint64_t at = shoff + uint64_t(i) * shentsize;
    uint32_t type = u32(b, at + 4);
    uint64_t offset = u64(b, at + 24), sectionSize = u64(b, at + 32);
    if (type != 8 /*SHT_NOBITS*/ && type != 0 &&
        !within(offset, sectionSize, size))
      return bad(path,
                 "truncated (a section ends at byte " +
                     str(offset + sectionSize) + " of " + str(size) + ")",
                 error);
    uint32_t nameAt = u32(b, at);
    if (nameAt >= names.size())
      continue;
    std::string_view name = names.substr(nameAt);
    name = name.substr(0, name.find('\0'));
    if (name == section) {
      // Data in the file (SHT_PROGBITS) with room for the whole record.
      if (type != 1 || sectionSize < TXC_MANIFEST_SIZE ||
          !within(offset, TXC_MANIFEST_SIZE, size))
        return bad(path, "its " + section + " section is malformed", error);
      manifest = offset;
      found = true;
    }
  }
  if (!found)
    return bad(path,
               "it has no " + section +
                   " section (not compiled by this txc, or from an older "
                   "version: recompile it)",
               error);
  offsetOut = manifest;
  return true;
}

ManifestError txc::rt::readManifest(std::string_view b, const std::string &path,
                                    ModelManifest &m, std::string &error) {
  uint64_t at = 0;
  if (!findManifest(b, path, at, error))
    return ManifestError::NotAModel;
  std::string_view record = b.substr(at, TXC_MANIFEST_SIZE);
  if (record.substr(0, 8) != TXC_MANIFEST_MAGIC) {
    bad(path,
        std::string("its ") + TXC_MANIFEST_SECTION + " section is malformed",
        error);
    return ManifestError::NotAModel;
  }
  m.version = u32(record, TXC_MANIFEST_OFFSET_VERSION);
  m.flags = u32(record, TXC_MANIFEST_OFFSET_FLAGS);
  m.librarySize = u64(record, TXC_MANIFEST_OFFSET_LIBRARY_SIZE);
  m.weightsSize = u64(record, TXC_MANIFEST_OFFSET_WEIGHTS_SIZE);
  m.weightsSampleHash = u64(record, TXC_MANIFEST_OFFSET_SAMPLE_HASH);
  m.weightsFullHash = u64(record, TXC_MANIFEST_OFFSET_FULL_HASH);
  if (!txc::format::readsModelFormat(m.version)) {
    error = "'" + path + "' was compiled by txc with model format " +
            str(m.version) + "; this runtime reads formats " +
            str(TXC_MODEL_FORMAT_MIN_VERSION) + ".." +
            str(TXC_MODEL_FORMAT_VERSION) +
            " (txc " TXC_VERSION_STRING
            "): recompile the model with this txc, or load it with the "
            "runtime of the txc that compiled it";
    return ManifestError::Version;
  }
  // 0: not recorded (a library linked by hand, as the runtime's tests do).
  if (m.librarySize != 0 && m.librarySize != b.size()) {
    bad(path,
        "it has " + str(b.size()) + " bytes but was written with " +
            str(m.librarySize) + " (truncated or modified)",
        error);
    return ManifestError::NotAModel;
  }
  return ManifestError::None;
}

uint64_t txc::rt::xxh3(std::string_view bytes) {
  return XXH3_64bits(bytes.data(), bytes.size());
}

uint64_t txc::rt::weightsHash(std::string_view bytes, bool full) {
  if (full)
    return xxh3(bytes);
  constexpr uint64_t kHead = 64 * 1024, kChunk = 64, kBudget = 64 * 1024;
  std::string sample;
  uint64_t size = bytes.size();
  sample.reserve(kHead + kBudget + 8);
  sample.append(reinterpret_cast<const char *>(&size), sizeof(size));
  sample.append(bytes.substr(0, kHead));
  if (size > kHead) {
    uint64_t rest = size - kHead;
    uint64_t stride = std::max<uint64_t>(4096, rest / (kBudget / kChunk));
    for (uint64_t at = kHead; at < size; at += stride)
      sample.append(bytes.substr(at, kChunk));
    uint64_t tail = std::min<uint64_t>(kChunk, rest);
    sample.append(bytes.substr(size - tail));
  }
  return xxh3(sample);
}

//===----------------------------------------------------------------------===//
// JSON
//===----------------------------------------------------------------------===//

namespace {

/// nlohmann's DOM builder, keeping the first error's text instead of
/// throwing it, and refusing a key that repeats within one object.
class DomBuilder : public nlohmann::detail::json_sax_dom_parser<json> {
public:
  using Base = nlohmann::detail::json_sax_dom_parser<json>;
  DomBuilder(json &root, std::string &error)
      : Base(root, /*allow_exceptions=*/false), error(error) {}

  bool start_object(std::size_t n) {
    keys.emplace_back();
    return Base::start_object(n);
  }
  bool key(json::string_t &k) {
    if (!keys.back().insert(k).second) {
      error = "duplicate key '" + k + "'";
      return false;
    }
    return Base::key(k);
  }
  bool end_object() {
    keys.pop_back();
    return Base::end_object();
  }
  template <typename Exception>
  bool parse_error(std::size_t position, const std::string &token,
                   const Exception &ex) {
    error = ex.what();
    // "[json.exception.parse_error.101] parse error at ...": the bracket
    // says nothing to a user.
    if (size_t close = error.find("] ");
        error.front() == '[' && close != std::string::npos)
      error.erase(0, close + 2);
    return Base::parse_error(position, token, ex);
  }

private:
  std::string &error;
  std::vector<std::unordered_set<std::string>> keys;
};

} // namespace

bool txc::rt::parseJson(std::string_view text, json &out, std::string &error) {
  error.clear();
  out = json();
  DomBuilder builder(out, error);
  bool ok = json::sax_parse(text.begin(), text.end(), &builder);
  if (!ok && error.empty())
    error = "malformed JSON";
  if (!ok)
    out = json();
  return ok;
}

std::optional<int64_t> txc::rt::jsonInteger(const json &value) {
  if (value.is_number_integer() && !value.is_number_unsigned())
    return value.get<json::number_integer_t>();
  if (value.is_number_unsigned()) {
    uint64_t v = value.get<json::number_unsigned_t>();
    if (v <= uint64_t(std::numeric_limits<int64_t>::max()))
      return int64_t(v);
    return std::nullopt;
  }
  if (value.is_number_float()) {
    double d = value.get<json::number_float_t>();
    double whole;
    if (std::modf(d, &whole) == 0.0 &&
        d >= double(std::numeric_limits<int64_t>::min()) &&
        d < double(std::numeric_limits<int64_t>::max()))
      return int64_t(d);
  }
  return std::nullopt;
}

unsigned txc::rt::jsonNestingDepth(std::string_view text) {
  unsigned depth = 0, deepest = 0;
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (inString) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        inString = false;
    } else if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

//===----------------------------------------------------------------------===//
// Safetensors
//===----------------------------------------------------------------------===//

unsigned txc::rt::safetensorsDTypeSize(std::string_view dtype) {
  return txc::format::safetensorsDTypeBytes(dtype);
}

bool txc::rt::parseSafetensors(std::string_view bytes, const std::string &path,
                               std::vector<SafetensorsTensor> &out,
                               std::string &error) {
  out.clear();
  auto bad = [&](const std::string &why) {
    error = "'" + path + "' is not a valid safetensors file: " + why;
    return false;
  };
  if (bytes.size() < 8)
    return bad("shorter than its 8-byte header length");
  uint64_t headerSize = u64(bytes, 0);
  if (headerSize > bytes.size() - 8)
    return bad("header length exceeds the file size");
  std::string_view text = bytes.substr(8, headerSize);
  // A real header nests 3 deep (entries, then shapes and offsets).
  constexpr unsigned kMaxDepth = 32;
  if (jsonNestingDepth(text) > kMaxDepth)
    return bad("header nests JSON deeper than " + std::to_string(kMaxDepth) +
               " levels");
  json header;
  std::string why;
  if (!parseJson(text, header, why))
    return bad("header is not JSON: " + why);
  if (!header.is_object())
    return bad("header is not a JSON object");
  std::string_view data = bytes.substr(8 + headerSize);
  for (auto &[key, value] : header.items()) {
    if (key == "__metadata__")
      continue;
    if (!value.is_object())
      return bad("entry '" + key + "' is not an object");
    auto dtype = value.find("dtype");
    auto shape = value.find("shape");
    auto offsets = value.find("data_offsets");
    if (dtype == value.end() || !dtype->is_string() || shape == value.end() ||
        !shape->is_array() || offsets == value.end() || !offsets->is_array() ||
        offsets->size() != 2)
      return bad("entry '" + key + "' lacks dtype, shape or data_offsets");
    SafetensorsTensor e;
    e.name = key;
    e.dtype = dtype->get_ref<const std::string &>();
    for (const json &d : *shape) {
      std::optional<int64_t> dim = jsonInteger(d);
      if (!dim || *dim < 0)
        return bad("entry '" + key + "' has a bad shape");
      e.shape.push_back(*dim);
    }
    std::optional<int64_t> begin = jsonInteger((*offsets)[0]),
                           end = jsonInteger((*offsets)[1]);
    unsigned elt = safetensorsDTypeSize(e.dtype);
    int64_t n = numElements(e.shape.data(), e.shape.size());
    if (!begin || !end || *begin < 0 || *end < *begin ||
        static_cast<uint64_t>(*end) > data.size())
      return bad("entry '" + key + "' has byte range outside the file");
    if (!elt)
      return bad("entry '" + key + "' has unknown dtype '" + e.dtype + "'");
    // Compare by division: n * elt can wrap around for huge shapes.
    uint64_t size = static_cast<uint64_t>(*end - *begin);
    if (n < 0 || static_cast<uint64_t>(n) > size / elt ||
        static_cast<uint64_t>(n) * elt != size)
      return bad("entry '" + key +
                 "' has a byte range that does not match its dtype and shape");
    e.data = data.data() + *begin;
    e.size = size;
    out.push_back(std::move(e));
  }
  return true;
}

int64_t txc::rt::numElements(const int64_t *shape, size_t rank) {
  int64_t n = 1;
  for (size_t i = 0; i < rank; ++i) {
    int64_t d = shape[i];
    if (d < 0 || (d != 0 && n > INT64_MAX / d))
      return -1;
    n *= d;
  }
  return n;
}
