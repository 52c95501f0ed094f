//===- txc.cpp - the txc compile command ----------------------------------===//
//
// txc MODEL.onnx|MODEL.mlir [-o OUT] [--emit=import|tx] [--shape NAME=DIMS]...
//
// Imports an ONNX model (or reads tx IR), raises it into tx ops, and writes
// the IR at the requested stage. Weights referenced by tx.weight ops are
// written to a safetensors file beside the output.
//
//===----------------------------------------------------------------------===//

#include "txc/Compiler/Driver.h"

int main(int argc, char **argv) { return txc::runCompilerMain(argc, argv); }
