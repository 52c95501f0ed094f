//===- Files.cpp - reading input files safely -----------------------------===//
//
// See Files.h. The size comes from the file's status, and MemoryBuffer maps
// or reads exactly that many bytes: a file that shrinks while it is read is
// an error, one that grows is read up to the size seen.
//
//===----------------------------------------------------------------------===//

#include "txc/Support/Files.h"

#include "llvm/Support/FileSystem.h"

using namespace llvm;

std::string txc::checkRegularFile(StringRef path) {
  sys::fs::file_status status;
  if (std::error_code ec = sys::fs::status(path, status))
    return ("cannot open '" + path + "': " + ec.message()).str();
  switch (status.type()) {
  case sys::fs::file_type::regular_file:
    return {};
  case sys::fs::file_type::directory_file:
    return ("'" + path + "' is a directory, not a file").str();
  case sys::fs::file_type::character_file:
    return ("'" + path + "' is not a regular file (a character device)").str();
  case sys::fs::file_type::block_file:
    return ("'" + path + "' is not a regular file (a block device)").str();
  case sys::fs::file_type::fifo_file:
    return ("'" + path + "' is not a regular file (a pipe)").str();
  case sys::fs::file_type::socket_file:
    return ("'" + path + "' is not a regular file (a socket)").str();
  default:
    return ("'" + path + "' is not a regular file").str();
  }
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
