//===- ModelManifest.cpp - the record txc writes into model libraries -----===//
//
// See ModelManifest.h. The ELF check, the record's encoding and the weights
// fingerprint are the runtime's (RuntimeSupport.cpp); this file adapts them
// to llvm::Expected and writes the record into a linked library.
//
//===----------------------------------------------------------------------===//

#include "txc/Support/ModelManifest.h"
#include "txc/Support/Files.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

std::string txc::encodeManifest(const ModelManifest &m) {
  return rt::encodeManifest(m);
}

Expected<uint64_t> txc::findManifest(StringRef b, StringRef path) {
  uint64_t offset = 0;
  std::string error;
  if (!rt::findManifest(b, path.str(), offset, error))
    return createStringError(inconvertibleErrorCode(), error);
  return offset;
}

Expected<txc::ModelManifest> txc::readManifest(StringRef path) {
  auto buffer = readRegularFile(path);
  if (!buffer)
    return buffer.takeError();
  ModelManifest m;
  std::string error;
  if (rt::readManifest((*buffer)->getBuffer(), path.str(), m, error) !=
      rt::ManifestError::None)
    return createStringError(inconvertibleErrorCode(), error);
  return m;
}

uint64_t txc::weightsHash(StringRef bytes, bool full) {
  return rt::weightsHash(bytes, full);
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
  os << txc::encodeManifest(m);
  os.close();
  if (os.has_error())
    return createStringError(os.error(), "cannot update '" + path +
                                             "': " + os.error().message());
  return Error::success();
}
