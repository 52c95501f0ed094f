//===- Calibrate.h - txc calibrate ------------------------------*- C++ -*-===//
//
// The `txc calibrate` command (Calibrate.cpp), dispatched by txc's main when
// its first argument is the word `calibrate`.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_TOOLS_TXC_CALIBRATE_H
#define TXC_TOOLS_TXC_CALIBRATE_H

namespace txc {

/// Runs `txc calibrate ...` (argv[1] is "calibrate"); returns the exit
/// status. InitLLVM has been set up by the caller.
int runCalibrate(int argc, char **argv);

} // namespace txc

#endif // TXC_TOOLS_TXC_CALIBRATE_H
