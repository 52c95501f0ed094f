//===- ModelManifest.cpp - the record txc writes into model libraries -----===//
//
// See ModelManifest.h. The ELF reader checks only what the runtime relies on
// before handing the file to dlopen: the identification, the header's
// tables, that every loadable segment and every section with file data lies
// within the file, and the section name table.
//
//===----------------------------------------------------------------------===//

#include "txc/Support/ModelManifest.h"
#include "txc/Support/Files.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"

#include <cstring>
#include <vector>

using namespace llvm;

namespace {

uint16_t u16(StringRef b, uint64_t at) {
  return support::endian::read16le(b.data() + at);
}
uint32_t u32(StringRef b, uint64_t at) {
  return support::endian::read32le(b.data() + at);
}
uint64_t u64(StringRef b, uint64_t at) {
  return support::endian::read64le(b.data() + at);
}

/// Whether [offset, offset + size) lies within `total` (without overflow).
bool within(uint64_t offset, uint64_t size, uint64_t total) {
  return offset <= total && size <= total - offset;
}

Error bad(StringRef path, const Twine &why) {
  return createStringError(inconvertibleErrorCode(),
                           "'" + path + "' is not a usable model library: " +
                               why);
}

} // namespace

std::string txc::encodeManifest(const ModelManifest &m) {
  std::string out(kManifestSize, '\0');
  std::memcpy(out.data(), kManifestMagic.data(), 8);
  support::endian::write32le(out.data() + 8, m.version);
  support::endian::write32le(out.data() + 12, m.flags);
  support::endian::write64le(out.data() + 16, m.librarySize);
  support::endian::write64le(out.data() + 24, m.weightsSize);
  support::endian::write64le(out.data() + 32, m.weightsSampleHash);
  support::endian::write64le(out.data() + 40, m.weightsFullHash);
  return out;
}

Expected<uint64_t> txc::findManifest(StringRef b, StringRef path) {
  uint64_t size = b.size();
  if (size < 64 || !b.starts_with("\x7f" "ELF"))
    return bad(path, size < 64 ? "truncated (" + Twine(size) +
                                     " bytes, shorter than an ELF header)"
                               : Twine("not an ELF file"));
  if (b[4] != 2 || b[5] != 1)
    return bad(path, "not a 64-bit little-endian ELF file");
  if (u16(b, 16) != 3 /*ET_DYN*/)
    return bad(path, "not a shared library (ELF type " + Twine(u16(b, 16)) +
                         ")");
  uint64_t phoff = u64(b, 32), shoff = u64(b, 40);
  uint16_t phentsize = u16(b, 54), phnum = u16(b, 56);
  uint16_t shentsize = u16(b, 58), shnum = u16(b, 60), shstrndx = u16(b, 62);
  if (phentsize < 56 || shentsize < 64)
    return bad(path, "malformed ELF header (table entry sizes)");
  if (!within(phoff, uint64_t(phentsize) * phnum, size))
    return bad(path, "truncated (the program headers lie past its end, " +
                         Twine(size) + " bytes)");
  if (!within(shoff, uint64_t(shentsize) * shnum, size))
    return bad(path, "truncated (the section headers lie past its end, " +
                         Twine(size) + " bytes)");
  for (uint16_t i = 0; i < phnum; ++i) {
    uint64_t at = phoff + uint64_t(i) * phentsize;
    if (u32(b, at) != 1 /*PT_LOAD*/)
      continue;
    uint64_t offset = u64(b, at + 8), fileSize = u64(b, at + 32);
    if (!within(offset, fileSize, size))
      return bad(path, "truncated (a loadable segment ends at byte " +
                           Twine(offset + fileSize) + " of " + Twine(size) +
                           ")");
  }
  if (shstrndx >= shnum)
    return bad(path, "malformed ELF header (no section name table)");
  uint64_t strAt = shoff + uint64_t(shstrndx) * shentsize;
  uint64_t strOffset = u64(b, strAt + 24), strSize = u64(b, strAt + 32);
  if (!within(strOffset, strSize, size))
    return bad(path, "truncated (the section name table lies past its end)");
  StringRef names = b.substr(strOffset, strSize);
  std::optional<uint64_t> manifest;
  for (uint16_t i = 0; i < shnum; ++i) {
    uint64_t at = shoff + uint64_t(i) * shentsize;
    uint32_t type = u32(b, at + 4);
    uint64_t offset = u64(b, at + 24), sectionSize = u64(b, at + 32);
    if (type != 8 /*SHT_NOBITS*/ && type != 0 &&
        !within(offset, sectionSize, size))
      return bad(path, "truncated (a section ends at byte " +
                           Twine(offset + sectionSize) + " of " + Twine(size) +
                           ")");
    uint32_t nameAt = u32(b, at);
    if (nameAt >= names.size())
      continue;
    StringRef name = names.drop_front(nameAt);
    name = name.take_until([](char c) { return c == '\0'; });
    if (name == kManifestSection) {
      // Data in the file (SHT_PROGBITS) with room for the whole record.
      if (type != 1 || sectionSize < kManifestSize ||
          !within(offset, kManifestSize, size))
        return bad(path, "its " + kManifestSection + " section is malformed");
      manifest = offset;
    }
  }
  if (!manifest)
    return bad(path, "it has no " + kManifestSection +
                         " section (not compiled by this txc, or from an "
                         "older version: recompile it)");
  return *manifest;
}

Expected<txc::ModelManifest> txc::readManifest(StringRef path) {
  auto buffer = readRegularFile(path);
  if (!buffer)
    return buffer.takeError();
  StringRef b = (*buffer)->getBuffer();
  Expected<uint64_t> at = findManifest(b, path);
  if (!at)
    return at.takeError();
  StringRef record = b.substr(*at, kManifestSize);
  if (!record.starts_with(kManifestMagic))
    return bad(path, "its " + kManifestSection + " section is malformed");
  ModelManifest m;
  m.version = u32(record, 8);
  m.flags = u32(record, 12);
  m.librarySize = u64(record, 16);
  m.weightsSize = u64(record, 24);
  m.weightsSampleHash = u64(record, 32);
  m.weightsFullHash = u64(record, 40);
  if (m.version != kManifestVersion)
    return bad(path, "its format version is " + Twine(m.version) +
                         "; this runtime reads version " +
                         Twine(kManifestVersion) + " (recompile the model)");
  // 0: not recorded (a library linked by hand, as the runtime's tests do).
  if (m.librarySize != 0 && m.librarySize != b.size())
    return bad(path, "it has " + Twine(b.size()) + " bytes but was written " +
                         "with " + Twine(m.librarySize) +
                         " (truncated or modified)");
  return m;
}

uint64_t txc::weightsHash(StringRef bytes, bool full) {
  if (full)
    return xxh3_64bits(bytes);
  constexpr uint64_t kHead = 64 * 1024, kChunk = 64, kBudget = 64 * 1024;
  std::string sample;
  uint64_t size = bytes.size();
  sample.reserve(kHead + kBudget + 8);
  sample.append(reinterpret_cast<const char *>(&size), sizeof(size));
  sample.append(bytes.take_front(kHead));
  if (size > kHead) {
    uint64_t rest = size - kHead;
    uint64_t stride = std::max<uint64_t>(4096, rest / (kBudget / kChunk));
    for (uint64_t at = kHead; at < size; at += stride)
      sample.append(bytes.substr(at, kChunk));
    sample.append(bytes.take_back(std::min<uint64_t>(kChunk, rest)));
  }
  return xxh3_64bits(sample);
}

Error txc::patchManifest(StringRef path, StringRef weightsPath) {
  ModelManifest m;
  if (!weightsPath.empty()) {
    auto weights = readRegularFile(weightsPath);
    if (!weights)
      return weights.takeError();
    StringRef w = (*weights)->getBuffer();
    m.weightsSize = w.size();
    m.weightsSampleHash = weightsHash(w, /*full=*/false);
    m.weightsFullHash = weightsHash(w, /*full=*/true);
  }
  uint64_t offset;
  {
    auto buffer = readRegularFile(path);
    if (!buffer)
      return buffer.takeError();
    m.librarySize = (*buffer)->getBufferSize();
    Expected<uint64_t> at = findManifest((*buffer)->getBuffer(), path);
    if (!at)
      return at.takeError();
    offset = *at;
  }
  std::error_code ec;
  int fd;
  if ((ec = sys::fs::openFileForReadWrite(path, fd, sys::fs::CD_OpenExisting,
                                          sys::fs::OF_None)))
    return createStringError(ec, "cannot update '" + path +
                                     "': " + ec.message());
  raw_fd_ostream os(fd, /*shouldClose=*/true);
  os.seek(offset);
  os << encodeManifest(m);
  os.close();
  if (os.has_error())
    return createStringError(os.error(), "cannot update '" + path +
                                             "': " + os.error().message());
  return Error::success();
}
