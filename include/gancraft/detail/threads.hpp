#pragma once
/// @file gancraft/detail/threads.hpp
/// Thread counts of LibTorch and of whatever BLAS the process loaded.

#include <dlfcn.h>

#include <string>

namespace gancraft::detail {

/// Sets the thread count of the loaded BLAS (OpenBLAS, BLIS or MKL), found by symbol at run
/// time so gancraft links no BLAS itself. Returns false when no known BLAS is loaded.
inline bool set_blas_threads(int n) {
  using SetFn = void (*)(int);
  for (const char* name : {"openblas_set_num_threads", "bli_thread_set_num_threads",
                           "MKL_Set_Num_Threads"}) {
    if (void* f = dlsym(RTLD_DEFAULT, name)) {
      reinterpret_cast<SetFn>(f)(n);
      return true;
    }
  }
  return false;
}

/// Threads the loaded BLAS will use, or -1 when it cannot tell.
inline int blas_threads() {
  using GetFn = int (*)();
  for (const char* name : {"openblas_get_num_threads", "bli_thread_get_num_threads",
                           "MKL_Get_Max_Threads"}) {
    if (void* f = dlsym(RTLD_DEFAULT, name)) return reinterpret_cast<GetFn>(f)();
  }
  return -1;
}

/// A one-line description of the loaded BLAS: OpenBLAS's build configuration, or the name of
/// the first known BLAS symbol found, or "reference BLAS (slow)" when only `sgemm_` exists.
inline std::string blas_description() {
  using ConfigFn = char* (*)();
  if (void* f = dlsym(RTLD_DEFAULT, "openblas_get_config"))
    return reinterpret_cast<ConfigFn>(f)();  // "OpenBLAS 0.3.21 DYNAMIC_ARCH ..."
  if (dlsym(RTLD_DEFAULT, "bli_info_get_version_str")) return "BLIS";
  if (dlsym(RTLD_DEFAULT, "MKL_Get_Version")) return "Intel MKL";
  if (dlsym(RTLD_DEFAULT, "sgemm_")) return "reference BLAS (slow)";
  return "none found";
}

}  // namespace gancraft::detail
