//===- Driver.h - the txc command-line driver -------------------*- C++ -*-===//

#ifndef TXC_COMPILER_DRIVER_H
#define TXC_COMPILER_DRIVER_H

namespace txc {

/// Runs the `txc` command line; returns the process exit code.
int runCompilerMain(int argc, char **argv);

} // namespace txc

#endif // TXC_COMPILER_DRIVER_H
