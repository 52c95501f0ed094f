# TXC_ENABLE_CUDA: detect nvcc and the CUDA toolkit.
#
# Nothing CUDA is built yet; the switch exists so that the CUDA code generator
# and kernels (codegen/cuda, lib/Runtime/kernels/cuda) land behind it. With the
# option ON and no nvcc found, configuration fails with a clear message rather
# than silently building a CPU-only tree.
if(TXC_ENABLE_CUDA)
  find_program(TXC_NVCC nvcc HINTS /usr/local/cuda/bin ENV CUDA_HOME PATH_SUFFIXES bin)
  if(NOT TXC_NVCC)
    message(FATAL_ERROR "TXC_ENABLE_CUDA=ON but nvcc was not found; put the CUDA "
                        "toolkit's bin/ on PATH or set CUDA_HOME")
  endif()
  set(CMAKE_CUDA_COMPILER ${TXC_NVCC})
  enable_language(CUDA)
  find_package(CUDAToolkit REQUIRED)
  message(STATUS "txc: CUDA enabled (nvcc ${CMAKE_CUDA_COMPILER_VERSION} at ${TXC_NVCC})")
  add_compile_definitions(TXC_ENABLE_CUDA=1)
else()
  message(STATUS "txc: CUDA disabled (configure with -DTXC_ENABLE_CUDA=ON to enable)")
endif()
