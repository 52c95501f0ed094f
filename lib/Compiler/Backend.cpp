//===- Backend.cpp - CPU code generation to objects and shared libraries --===//

#include "txc/Compiler/Backend.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

using namespace mlir;

std::string txc::checkCPUName(llvm::StringRef cpu) {
  if (cpu == "native" || cpu.empty())
    return "";
  llvm::InitializeNativeTarget();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return error;
  // LLVM only warns about an unknown CPU (and then generates for a generic
  // one): ask a generic subtarget whether the name is known.
  std::unique_ptr<llvm::MCSubtargetInfo> info(
      target->createMCSubtargetInfo(triple, "", ""));
  if (info && !info->isCPUStringValid(cpu))
    return ("--cpu=" + cpu + " is not a CPU of target " + triple.str() +
            " (use native, or a name such as x86-64-v3, skylake-avx512 or "
            "znver4; `llc -mcpu=help` lists them)")
        .str();
  return "";
}

/// The target machine for `opts` (host triple).
static std::unique_ptr<llvm::TargetMachine>
makeTargetMachine(const txc::CPUTargetOptions &opts, std::string &error) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return nullptr;
  std::string cpu = opts.cpu;
  std::string features;
  if (cpu == "native") {
    cpu = llvm::sys::getHostCPUName().str();
    llvm::SubtargetFeatures f;
    for (auto &[name, enabled] : llvm::sys::getHostCPUFeatures())
      f.AddFeature(name, enabled);
    features = f.getString();
  }
  llvm::TargetOptions options;
  auto level = opts.optLevel == 0   ? llvm::CodeGenOptLevel::None
               : opts.optLevel == 1 ? llvm::CodeGenOptLevel::Less
               : opts.optLevel == 2 ? llvm::CodeGenOptLevel::Default
                                    : llvm::CodeGenOptLevel::Aggressive;
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      triple, cpu, features, options, llvm::Reloc::PIC_, std::nullopt, level));
  if (!tm)
    error = "cannot create a target machine for CPU '" + cpu + "'";
  return tm;
}

std::unique_ptr<llvm::Module>
txc::translateAndOptimize(ModuleOp module, llvm::LLVMContext &ctx,
                          const CPUTargetOptions &opts) {
  registerBuiltinDialectTranslation(*module.getContext());
  registerLLVMDialectTranslation(*module.getContext());
  registerOpenMPDialectTranslation(*module.getContext());
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, ctx, "txc-model");
  if (!llvmModule) {
    module.emitError() << "translation to LLVM IR failed";
    return nullptr;
  }
  std::string error;
  std::unique_ptr<llvm::TargetMachine> tm = makeTargetMachine(opts, error);
  if (!tm) {
    module.emitError() << error;
    return nullptr;
  }
  llvmModule->setDataLayout(tm->createDataLayout());
  llvmModule->setTargetTriple(tm->getTargetTriple());
  auto optimize = makeOptimizingTransformer(opts.optLevel, /*sizeLevel=*/0,
                                            tm.get());
  if (llvm::Error err = optimize(llvmModule.get())) {
    module.emitError() << "LLVM optimization failed: "
                       << llvm::toString(std::move(err));
    return nullptr;
  }
  return llvmModule;
}

LogicalResult txc::emitObject(llvm::Module &module, llvm::StringRef path,
                              const CPUTargetOptions &opts) {
  std::string error;
  std::unique_ptr<llvm::TargetMachine> tm = makeTargetMachine(opts, error);
  if (!tm) {
    llvm::errs() << "txc: error: " << error << "\n";
    return failure();
  }
  std::error_code ec;
  llvm::raw_fd_ostream out(path, ec, llvm::sys::fs::OF_None);
  if (ec) {
    llvm::errs() << "txc: error: cannot write '" << path
                 << "': " << ec.message() << "\n";
    return failure();
  }
  llvm::legacy::PassManager pm;
  if (tm->addPassesToEmitFile(pm, out, nullptr,
                              llvm::CodeGenFileType::ObjectFile)) {
    llvm::errs() << "txc: error: the target cannot emit object files\n";
    return failure();
  }
  pm.run(module);
  out.flush();
  return success();
}

/// libtxc_kernels.a: next to the txc executable (../lib), else the build
/// tree txc was built in.
static std::string kernelLibraryPath() {
  std::string exe = llvm::sys::fs::getMainExecutable(nullptr, nullptr);
  llvm::SmallString<256> candidate(llvm::sys::path::parent_path(exe));
  llvm::sys::path::append(candidate, "..", "lib", "libtxc_kernels.a");
  if (llvm::sys::fs::exists(candidate))
    return std::string(candidate);
  if (llvm::sys::fs::exists(TXC_KERNELS_LIBRARY))
    return TXC_KERNELS_LIBRARY;
  return {};
}

LogicalResult txc::linkSharedLibrary(llvm::ArrayRef<std::string> objects,
                                     llvm::StringRef output,
                                     std::string &error) {
  std::string linker;
  if (const char *env = std::getenv("TXC_LINKER"))
    linker = env;
  else if (auto found = llvm::sys::findProgramByName("clang-22"))
    linker = *found;
  else if (auto cc = llvm::sys::findProgramByName("cc"))
    linker = *cc;
  if (linker.empty()) {
    error = "no linker found (install clang-22 or set TXC_LINKER)";
    return failure();
  }
  // The kernels compiled models call (txc_sgemm, ...) and their BLAS.
  std::string kernels = kernelLibraryPath();
  if (kernels.empty()) {
    error = "cannot find the kernel library libtxc_kernels.a (looked next to "
            "the txc executable and in the build tree)";
    return failure();
  }
  SmallVector<llvm::StringRef> args = {linker, "-shared", "-o", output};
  for (const std::string &object : objects)
    args.push_back(object);
  args.append({kernels, "-lopenblas", "-lstdc++", "-lpthread", "-lm",
               "-L" TXC_LIBOMP_DIR, "-lomp", "-Wl,-rpath," TXC_LIBOMP_DIR});
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(linker, args, std::nullopt, {}, 0, 0,
                                     &message);
  if (rc != 0) {
    error = "linking '" + output.str() + "' failed (" + linker + " exited " +
            std::to_string(rc) + (message.empty() ? "" : ": " + message) + ")";
    return failure();
  }
  return success();
}
