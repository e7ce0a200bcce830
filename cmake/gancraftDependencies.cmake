# The packages gancraft's headers use, one "Name [min-version]" entry each.
# This list is the single source of truth: the top-level CMakeLists.txt finds them here,
# and gancraftInstall.cmake writes the same list into gancraftConfig.cmake, which calls
# find_dependency() on each so that the exported link names (torch, nlohmann_json::nlohmann_json,
# PNG::PNG, ZLIB::ZLIB, JPEG::JPEG) resolve in a consumer that never calls find_package(Torch).
set(GANCRAFT_DEPENDENCIES "Torch" "nlohmann_json 3.2" "PNG" "ZLIB" "JPEG")

# TorchConfig defines the imported target `torch` (libtorch + c10, include dirs, ABI flag).
set(GANCRAFT_TORCH_TARGETS torch)

include(GNUInstallDirs)
foreach(_gancraft_dep IN LISTS GANCRAFT_DEPENDENCIES)
  string(REPLACE " " ";" _gancraft_args "${_gancraft_dep}")
  # A parent project may already have found Torch; finding it again redefines its targets.
  if(_gancraft_dep STREQUAL "Torch" AND TARGET torch)
    continue()
  endif()
  find_package(${_gancraft_args} REQUIRED)
endforeach()
unset(_gancraft_dep)
unset(_gancraft_args)

# TorchConfig.cmake finds libtorch.so with find_library, whose system paths come before the
# install's own lib/: with Debian's libtorch-dev installed, a wheel's TorchConfig reports
# /usr/lib's libtorch although its imported targets (which gancraft links) are the wheel's. The
# imported torch_cpu is the truth; one from another prefix than the headers is refused.
if(TARGET torch_cpu AND TORCH_INSTALL_PREFIX)
  get_target_property(_gancraft_torch_cpu torch_cpu IMPORTED_LOCATION_RELEASE)
  if(NOT _gancraft_torch_cpu)
    get_target_property(_gancraft_torch_cpu torch_cpu LOCATION)
  endif()
  get_filename_component(_gancraft_torch_prefix "${TORCH_INSTALL_PREFIX}" REALPATH)
  get_filename_component(_gancraft_torch_cpu_real "${_gancraft_torch_cpu}" REALPATH)
  string(FIND "${_gancraft_torch_cpu_real}" "${_gancraft_torch_prefix}/" _gancraft_at)
  if(NOT _gancraft_at EQUAL 0 AND NOT _gancraft_torch_prefix STREQUAL "/usr")
    message(FATAL_ERROR "gancraft: LibTorch's headers are from ${TORCH_INSTALL_PREFIX} but "
      "torch_cpu is ${_gancraft_torch_cpu}: two LibTorch installations are mixed; point "
      "CMAKE_PREFIX_PATH or Torch_DIR at one of them")
  endif()
  set(GANCRAFT_TORCH_VERSION "${Torch_VERSION}")
  message(STATUS "gancraft: LibTorch ${Torch_VERSION} from ${TORCH_INSTALL_PREFIX}")
  unset(_gancraft_torch_cpu)
  unset(_gancraft_torch_cpu_real)
  unset(_gancraft_torch_prefix)
  unset(_gancraft_at)
endif()

# Imported targets are visible only in the directory that found them. When gancraft is a
# subproject (add_subdirectory, FetchContent), the consumer's targets link `torch`, whose
# exported interface names torch_cpu inside generator expressions that are evaluated in the
# consumer's directory, so make everything found here global.
if(NOT CMAKE_SOURCE_DIR STREQUAL PROJECT_SOURCE_DIR)
  if(CMAKE_VERSION VERSION_GREATER_EQUAL 3.21)
    get_property(_gancraft_imported DIRECTORY PROPERTY IMPORTED_TARGETS)
  else()
    set(_gancraft_imported torch torch_library torch_cpu torch_cpu_library c10
      nlohmann_json::nlohmann_json PNG::PNG ZLIB::ZLIB JPEG::JPEG)
  endif()
  foreach(_gancraft_target IN LISTS _gancraft_imported)
    if(TARGET ${_gancraft_target})
      get_target_property(_gancraft_global ${_gancraft_target} IMPORTED_GLOBAL)
      if(NOT _gancraft_global)
        # Fails only for targets made in another directory, which the consumer already sees.
        set_property(TARGET ${_gancraft_target} PROPERTY IMPORTED_GLOBAL TRUE)
      endif()
    endif()
  endforeach()
  unset(_gancraft_imported)
  unset(_gancraft_target)
  unset(_gancraft_global)
endif()
