//===- Files.h - reading input files safely ---------------------*- C++ -*-===//
//
// Every file txc, tx-opt and txc-run read (models, weights, arrays, IR) goes
// through readRegularFile: a device, pipe or directory named where a file is
// expected (/dev/zero, a FIFO) is refused before anything is read, so that an
// endless or huge stream cannot exhaust memory, and the size read is the size
// the file system reports.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_SUPPORT_FILES_H
#define TXC_SUPPORT_FILES_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <memory>
#include <string>

namespace txc {

/// An empty string when `path` names a regular file (after symbolic
/// links), else why not: "cannot open 'P': no such file or directory",
/// "'P' is a directory", "'P' is not a regular file (a character device)".
std::string checkRegularFile(llvm::StringRef path);

/// Maps (or reads) the whole regular file `path`, without a terminating
/// NUL; refuses anything else with the message of checkRegularFile.
llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
readRegularFile(llvm::StringRef path);

} // namespace txc

#endif // TXC_SUPPORT_FILES_H
