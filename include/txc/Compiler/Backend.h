//===- Backend.h - CPU code generation to objects and shared libraries -*- C++ -*-===//

#ifndef TXC_COMPILER_BACKEND_H
#define TXC_COMPILER_BACKEND_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <memory>
#include <string>

namespace llvm {
class LLVMContext;
class Module;
} // namespace llvm

namespace txc {

struct CPUTargetOptions {
  /// CPU to generate code for ("native" = this machine).
  std::string cpu = "native";
  /// LLVM optimization level 0-3.
  unsigned optLevel = 3;
};

/// How the CPU backend generates the loops of everything that is not a
/// kernel call (docs/backend-cpu.md, "Generated loops").
struct CPULoopOptions {
  /// Run the outer loops of nests with at least `minParallelWork`
  /// estimated work (iterations x payload ops) on the OpenMP threads.
  bool parallel = true;
  int64_t minParallelWork = 65536;
  /// Vector width of innermost loops in bits; 0 leaves them scalar.
  int64_t vectorBits = 512;
  /// Polynomial approximations instead of libm for exp, tanh, erf, ...
  bool approximateMath = true;
};

/// An empty string when `cpu` (the --cpu value) names a CPU of the host's
/// target (or is "native"), else an error message naming the flag.
std::string checkCPUName(llvm::StringRef cpu);

/// Translates an LLVM-dialect module to LLVM IR and optimizes it for the
/// target.
std::unique_ptr<llvm::Module> translateAndOptimize(mlir::ModuleOp module,
                                                   llvm::LLVMContext &ctx,
                                                   const CPUTargetOptions &opts);

/// Writes `module` as an object file for the target.
mlir::LogicalResult emitObject(llvm::Module &module, llvm::StringRef path,
                               const CPUTargetOptions &opts);

/// Links `objects` into the shared library `output` with the system linker
/// driver (clang-22, or $TXC_LINKER).
mlir::LogicalResult linkSharedLibrary(llvm::ArrayRef<std::string> objects,
                                      llvm::StringRef output,
                                      std::string &error);

} // namespace txc

#endif // TXC_COMPILER_BACKEND_H
