#pragma once
/// @file gancraft/detail/threads.hpp
/// Thread counts of LibTorch and of whatever BLAS the process loaded.

#include <dlfcn.h>

#include <climits>
#include <cstdlib>
#include <initializer_list>
#include <string>

namespace gancraft::detail {

/// The library that provides `sgemm_` to this process (the BLAS LibTorch's matrix products
/// call), as a resolved path, or "" when none is loaded. Debian picks it through the
/// libblas.so.3 alternative or LD_LIBRARY_PATH, so the name says which build is in use.
inline std::string blas_library() {
  void* f = dlsym(RTLD_DEFAULT, "sgemm_");
  Dl_info info{};
  if (f == nullptr || dladdr(f, &info) == 0 || info.dli_fname == nullptr) return "";
  char resolved[PATH_MAX];
  return realpath(info.dli_fname, resolved) != nullptr ? resolved : info.dli_fname;
}

/// Looks `name` up in the library that provides `sgemm_` (and what it links), or nullptr.
inline void* blas_provider_symbol(const char* name) {
  void* f = dlsym(RTLD_DEFAULT, "sgemm_");
  Dl_info info{};
  if (f == nullptr || dladdr(f, &info) == 0 || info.dli_fname == nullptr) return nullptr;
  void* handle = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
  if (handle == nullptr) return nullptr;
  void* sym = dlsym(handle, name);
  dlclose(handle);  // drops the reference RTLD_NOLOAD took; the library stays loaded
  return sym;
}

/// The first of `names` found in the library that provides `sgemm_`; process-wide only when
/// no library provides `sgemm_` by name. Never another library's: two BLAS builds can be loaded
/// at once (e.g. BLIS for libblas.so.3 beside OpenBLAS's liblapack.so.3), and the thread count
/// must reach the one that runs the matrix products.
inline void* blas_symbol(std::initializer_list<const char*> names) {
  const bool provider_known = !blas_library().empty();
  for (const char* name : names)
    if (void* f = provider_known ? blas_provider_symbol(name) : dlsym(RTLD_DEFAULT, name)) return f;
  return nullptr;
}

/// Sets the thread count of the loaded BLAS (OpenBLAS, BLIS or MKL), found by symbol at run
/// time so gancraft links no BLAS itself. Returns false when no known BLAS is loaded.
inline bool set_blas_threads(int n) {
  using SetFn = void (*)(int);
  void* f = blas_symbol(
      {"openblas_set_num_threads", "bli_thread_set_num_threads", "MKL_Set_Num_Threads"});
  if (f == nullptr) return false;
  reinterpret_cast<SetFn>(f)(n);
  return true;
}

/// Threads the loaded BLAS will use, or -1 when it cannot tell.
inline int blas_threads() {
  using GetFn = int (*)();
  void* f = blas_symbol(
      {"openblas_get_num_threads", "bli_thread_get_num_threads", "MKL_Get_Max_Threads"});
  return f != nullptr ? reinterpret_cast<GetFn>(f)() : -1;
}

/// A one-line description of the BLAS that provides `sgemm_`: OpenBLAS's build configuration
/// (which names the kernels it chose for this CPU), BLIS, MKL, or "reference BLAS (slow)",
/// followed by the library's path.
inline std::string blas_description() {
  using ConfigFn = char* (*)();
  using VersionFn = const char* (*)();
  const std::string path = blas_library();
  if (path.empty()) return "none found";
  std::string what;
  if (void* f = blas_provider_symbol("openblas_get_config"))
    what = reinterpret_cast<ConfigFn>(f)();  // "OpenBLAS 0.3.21 DYNAMIC_ARCH ... SkylakeX ..."
  else if (void* f = blas_provider_symbol("bli_info_get_version_str"))
    what = std::string("BLIS ") + reinterpret_cast<VersionFn>(f)();
  else if (path.find("blis") != std::string::npos)  // Debian's BLIS exports only BLAS symbols
    what = "BLIS (threads from BLIS_NUM_THREADS only)";
  else if (void* f = blas_provider_symbol("MKL_Get_Version_String")) {
    // PyTorch's wheels link MKL into libtorch_cpu and export it: "Intel(R) oneAPI Math Kernel
    // Library Version 2024.2-Product Build ...".
    char text[256] = {};
    reinterpret_cast<void (*)(char*, int)>(f)(text, static_cast<int>(sizeof text) - 1);
    what = text;
    what = what.substr(0, what.find(" for Intel"));
    while (!what.empty() && what.back() == ' ') what.pop_back();
    if (what.empty()) what = "Intel MKL";
  } else if (path.find("mkl") != std::string::npos || blas_provider_symbol("MKL_Get_Version"))
    what = "Intel MKL";
  else if (path.find("/blas/") != std::string::npos)
    what = "reference BLAS (slow)";
  else
    what = "unknown BLAS";
  return what + " (" + path + ")";
}

/// When OpenBLAS runs its generic fallback kernels on a CPU that has AVX2 or AVX-512 (OpenBLAS
/// 0.3.21 does not recognise CPUs released after it, e.g. Sapphire Rapids, and picks Prescott),
/// the advice to name the core with OPENBLAS_CORETYPE; otherwise "". Matrix products ran 4.6×
/// faster with the named core in docs/performance.md. The variable is read when OpenBLAS loads,
/// so only the environment of a new process can change it; gancraft never sets it.
inline std::string blas_core_advice() {
  using CoreFn = char* (*)();
  void* f = blas_provider_symbol("openblas_get_corename");
  if (f == nullptr) return "";  // not OpenBLAS, or not the OpenBLAS that runs sgemm
  const std::string core = reinterpret_cast<CoreFn>(f)();
  if (core != "prescott" && core != "Prescott" && core != "core2" && core != "Core2" &&
      core != "nehalem" && core != "Nehalem")
    return "";
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f"))
    return "OpenBLAS uses its generic " + core +
           " kernels on this AVX-512 CPU; start the program with OPENBLAS_CORETYPE=SkylakeX "
           "for its AVX-512 kernels (see docs/performance.md)";
  if (__builtin_cpu_supports("avx2"))
    return "OpenBLAS uses its generic " + core +
           " kernels on this AVX2 CPU; start the program with OPENBLAS_CORETYPE=Haswell "
           "for its AVX2 kernels (see docs/performance.md)";
#endif
  return "";
}

}  // namespace gancraft::detail
