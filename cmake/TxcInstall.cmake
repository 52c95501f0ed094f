#===- TxcInstall.cmake - install rules and the TXC CMake package ---------===#
#
# What `cmake --install BUILD --prefix P` puts in P, and the package that
# `find_package(TXC CONFIG)` reads back (docs/embedding.md):
#
#   include/txc/**, include/txc-c/**   headers, ODS .td files and the .h.inc
#                                      files TableGen generated in the build
#   lib/lib*.a, lib/libtxrt.so         the libraries
#   bin/                               tx-opt, txc, txc-run, txc-tokenize
#   lib/cmake/txc/                     TXCConfig.cmake, TXCConfigVersion.cmake
#                                      and three export files:
#     TXCTargets.cmake         TXC::<library> for every library installed with
#                              txc_install_library() (they link MLIR/LLVM)
#     TXCRuntimeTargets.cmake  TXC::txrt (needs neither MLIR nor LLVM headers)
#     TXCToolsTargets.cmake    TXC::txc, TXC::tx-opt, ... (imported executables)
#
# The top-level CMakeLists.txt calls txc_install_library() once per library,
# then txc_install_runtime(), txc_install_tools() and txc_install_package().
#
#===----------------------------------------------------------------------===#

include(CMakePackageConfigHelpers)

set(TXC_INSTALL_CMAKE_DIR "lib${LLVM_LIBDIR_SUFFIX}/cmake/txc")

# txc_install_library(target): installs a static library linked by embedders
# and adds it to the TXCTargets export set (as TXC::<target>). Every library
# another exported library links must be installed this way too, else
# configuration fails naming the missing one. add_mlir_library's own install
# rule (into MLIR's export set) is left alone: both copy the same archive.
function(txc_install_library target)
  if(NOT TARGET ${target})
    message(FATAL_ERROR "txc_install_library: no target named '${target}'")
  endif()
  install(TARGETS ${target}
    EXPORT TXCTargets
    COMPONENT txc-libraries
    ARCHIVE DESTINATION lib${LLVM_LIBDIR_SUFFIX}
    LIBRARY DESTINATION lib${LLVM_LIBDIR_SUFFIX}
    INCLUDES DESTINATION include)
  set_property(GLOBAL APPEND PROPERTY TXC_INSTALLED_LIBRARIES ${target})
endfunction()

# txc_install_runtime(target): installs the runtime's shared library into its
# own export set, TXCRuntimeTargets, so that find_package(TXC COMPONENTS
# Runtime) works on a machine without MLIR. Its consumers include "txrt.h"
# (include/txc-c) or "txc-c/txrt.h" (include).
function(txc_install_runtime target)
  install(TARGETS ${target}
    EXPORT TXCRuntimeTargets
    COMPONENT txc-runtime
    LIBRARY DESTINATION lib${LLVM_LIBDIR_SUFFIX}
    ARCHIVE DESTINATION lib${LLVM_LIBDIR_SUFFIX}
    INCLUDES DESTINATION include/txc-c include)
endfunction()

# txc_install_tools(tool...): installs executables into bin/ and exports them
# as imported executables (TXC::<tool>). They find libtxc_kernels.a and
# libtxrt.so through ../lib (the RPATH add_llvm_executable sets).
function(txc_install_tools)
  install(TARGETS ${ARGN}
    EXPORT TXCToolsTargets
    COMPONENT txc-tools
    RUNTIME DESTINATION bin)
endfunction()

# txc_install_package(): the headers, the export files and TXCConfig.cmake.
# Call once, after the libraries, the runtime and the tools.
function(txc_install_package)
  # Public headers and ODS files from the source tree, and the declarations
  # TableGen generated (TxOps.h.inc, Passes.h.inc, ...) from the build tree.
  install(DIRECTORY ${TXC_SOURCE_DIR}/include/txc ${TXC_SOURCE_DIR}/include/txc-c
    DESTINATION include
    COMPONENT txc-headers
    FILES_MATCHING PATTERN "*.h" PATTERN "*.td")
  install(DIRECTORY ${TXC_BINARY_DIR}/include/txc
    DESTINATION include
    COMPONENT txc-headers
    FILES_MATCHING PATTERN "*.h.inc"
    PATTERN "CMakeFiles" EXCLUDE)

  install(EXPORT TXCTargets
    NAMESPACE TXC::
    DESTINATION ${TXC_INSTALL_CMAKE_DIR}
    COMPONENT txc-cmake)
  install(EXPORT TXCRuntimeTargets
    NAMESPACE TXC::
    DESTINATION ${TXC_INSTALL_CMAKE_DIR}
    COMPONENT txc-cmake)
  install(EXPORT TXCToolsTargets
    NAMESPACE TXC::
    DESTINATION ${TXC_INSTALL_CMAKE_DIR}
    COMPONENT txc-cmake)

  # TXCConfig.cmake adds MLIR's and LLVM's include directories to these
  # targets once it has found MLIR.
  get_property(TXC_INSTALLED_LIBRARIES GLOBAL PROPERTY TXC_INSTALLED_LIBRARIES)
  set(TXC_MLIR_DIR_HINT "${MLIR_DIR}")
  set(TXC_INSTALL_INCLUDE_DIR include)
  set(TXC_INSTALL_BIN_DIR bin)
  configure_package_config_file(
    ${TXC_SOURCE_DIR}/cmake/TXCConfig.cmake.in
    ${TXC_BINARY_DIR}/cmake/TXCConfig.cmake
    INSTALL_DESTINATION ${TXC_INSTALL_CMAKE_DIR}
    PATH_VARS TXC_INSTALL_INCLUDE_DIR TXC_INSTALL_BIN_DIR)
  # 0.x: a minor version may break the API, so only the same minor matches.
  write_basic_package_version_file(
    ${TXC_BINARY_DIR}/cmake/TXCConfigVersion.cmake
    VERSION ${PROJECT_VERSION}
    COMPATIBILITY SameMinorVersion)
  install(FILES
    ${TXC_BINARY_DIR}/cmake/TXCConfig.cmake
    ${TXC_BINARY_DIR}/cmake/TXCConfigVersion.cmake
    DESTINATION ${TXC_INSTALL_CMAKE_DIR}
    COMPONENT txc-cmake)
endfunction()
