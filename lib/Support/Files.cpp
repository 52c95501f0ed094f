//===- Files.cpp - reading input files safely -----------------------------===//
//
// See Files.h. The file-type check is the runtime's (RuntimeSupport.cpp),
// so both refuse the same paths with the same words. The size comes from
// the file's status, and MemoryBuffer maps or reads exactly that many
// bytes: a file that shrinks while it is read is an error, one that grows
// is read up to the size seen.
//
//===----------------------------------------------------------------------===//

#include "txc/Support/Files.h"
#include "txc/Support/RuntimeSupport.h"

#include "llvm/Support/FileSystem.h"

using namespace llvm;

std::string txc::checkRegularFile(StringRef path) {
  return rt::checkRegularFile(path.str());
}

Expected<std::unique_ptr<MemoryBuffer>>
txc::readRegularFile(StringRef path) {
  if (std::string why = checkRegularFile(path); !why.empty())
    return createStringError(inconvertibleErrorCode(), why);
  uint64_t size = 0;
  if (std::error_code ec = sys::fs::file_size(path, size))
    return createStringError(ec, "cannot read '" + path + "': " +
                                     ec.message());
  auto buffer = MemoryBuffer::getFileSlice(path, size, 0, /*IsVolatile=*/false);
  if (!buffer)
    return createStringError(buffer.getError(),
                             "cannot read '" + path +
                                 "': " + buffer.getError().message());
  return std::move(*buffer);
}
