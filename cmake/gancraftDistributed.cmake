# Data-parallel training (include/gancraft/distributed/): LibTorch's c10d with the Gloo process
# group on CPUs (and NCCL on CUDA builds). Kept out of gancraft::gancraft so that normal users
# need neither Gloo's headers nor c10d's compile definitions: binaries that train on several
# processes link gancraft::distributed instead.
#
# Where Gloo's code lives depends on the LibTorch:
# - Debian's libtorch-dev links libgloo.so (libgloo-dev): gancraft links the same library.
# - PyTorch's wheels and the official zip carry Gloo inside libtorch_cpu and install c10d's
#   ProcessGroupGloo.hpp but not the Gloo headers it includes. gancraft then links no Gloo of its
#   own (never a second copy next to LibTorch's) and takes the headers from GANCRAFT_GLOO_INCLUDE_DIR
#   (default: libgloo-dev's). c10d's header uses Gloo's classes only through pointers, so the
#   declarations gancraft compiles against need not be Gloo's exact revision; the tests train
#   across processes on such a build (docs/distributed.md). A checkout of the Gloo revision your
#   LibTorch was built with (PyTorch's third_party/gloo) is the exact match, if you have one.
find_path(GANCRAFT_GLOO_INCLUDE_DIR gloo/config.h
  DOC "Directory holding gloo/config.h (Debian: libgloo-dev)")
mark_as_advanced(GANCRAFT_GLOO_INCLUDE_DIR GANCRAFT_GLOO_LIBRARY)

# Does libtorch_cpu load libgloo.so (Debian), or carry Gloo itself (official builds)?
set(_gancraft_gloo_linked OFF)
if(TARGET torch_cpu)
  get_target_property(_gancraft_torch_cpu torch_cpu IMPORTED_LOCATION_RELEASE)
  if(NOT _gancraft_torch_cpu)
    get_target_property(_gancraft_torch_cpu torch_cpu LOCATION)
  endif()
  if(CMAKE_OBJDUMP)
    set(GANCRAFT_OBJDUMP "${CMAKE_OBJDUMP}")
  else()
    find_program(GANCRAFT_OBJDUMP objdump)
    mark_as_advanced(GANCRAFT_OBJDUMP)
  endif()
  if(NOT GANCRAFT_OBJDUMP)
    message(FATAL_ERROR "gancraft: objdump is needed to tell whether libtorch_cpu loads libgloo "
      "(binutils), or pass -DGANCRAFT_DISTRIBUTED=OFF")
  endif()
  if(EXISTS "${_gancraft_torch_cpu}")
    execute_process(COMMAND ${GANCRAFT_OBJDUMP} -p "${_gancraft_torch_cpu}"
      OUTPUT_VARIABLE _gancraft_dynamic ERROR_QUIET)
    if(_gancraft_dynamic MATCHES "NEEDED +libgloo")
      set(_gancraft_gloo_linked ON)
    endif()
  endif()
endif()
if(_gancraft_gloo_linked)
  find_library(GANCRAFT_GLOO_LIBRARY gloo DOC "The Gloo library libtorch_cpu loads (Debian: libgloo-dev)")
  set(_gancraft_gloo_link ${GANCRAFT_GLOO_LIBRARY})
  set(_gancraft_gloo_where "${GANCRAFT_GLOO_LIBRARY}, which libtorch_cpu loads")
else()
  set(_gancraft_gloo_link "")  # nothing of Gloo's linked: LibTorch's own copy serves
  set(_gancraft_gloo_where "inside libtorch_cpu; headers from ${GANCRAFT_GLOO_INCLUDE_DIR}")
endif()
if(GANCRAFT_GLOO_INCLUDE_DIR AND (NOT _gancraft_gloo_linked OR GANCRAFT_GLOO_LIBRARY))
  set(_gancraft_gloo_found ON)
else()
  set(_gancraft_gloo_found OFF)
endif()

option(GANCRAFT_DISTRIBUTED
  "Build gancraft::distributed (data-parallel training on c10d; needs Gloo, on by default when found)"
  ${_gancraft_gloo_found})
option(GANCRAFT_DISTRIBUTED_NCCL
  "Also compile c10d's NCCL process group (needs a CUDA build of LibTorch with NCCL)" OFF)

if(GANCRAFT_DISTRIBUTED)
  if(NOT _gancraft_gloo_found)
    message(FATAL_ERROR "GANCRAFT_DISTRIBUTED is ON but Gloo was not found (gloo/config.h: "
      "${GANCRAFT_GLOO_INCLUDE_DIR}, libgloo: ${GANCRAFT_GLOO_LIBRARY}, needed by libtorch_cpu: "
      "${_gancraft_gloo_linked}); install libgloo-dev, set GANCRAFT_GLOO_INCLUDE_DIR (and "
      "GANCRAFT_GLOO_LIBRARY where libtorch_cpu loads libgloo), or pass -DGANCRAFT_DISTRIBUTED=OFF")
  endif()
  add_library(gancraft_distributed INTERFACE)
  add_library(gancraft::distributed ALIAS gancraft_distributed)
  set_target_properties(gancraft_distributed PROPERTIES EXPORT_NAME distributed)
  target_include_directories(gancraft_distributed SYSTEM INTERFACE ${GANCRAFT_GLOO_INCLUDE_DIR})
  target_link_libraries(gancraft_distributed INTERFACE gancraft::gancraft ${_gancraft_gloo_link})
  # USE_DISTRIBUTED and USE_C10D_GLOO are what LibTorch itself was built with; c10d's headers
  # declare the Gloo group only under them. GANCRAFT_HAS_DISTRIBUTED lets shared code (the
  # gancraft tool) know that gancraft/distributed/ is usable.
  target_compile_definitions(gancraft_distributed INTERFACE
    USE_DISTRIBUTED USE_C10D_GLOO GANCRAFT_HAS_DISTRIBUTED=1)
  # GANCRAFT_WITH_NCCL, not LibTorch's USE_C10D_NCCL (which a CUDA LibTorch defines publicly),
  # decides whether gancraft compiles its NCCL code.
  if(GANCRAFT_DISTRIBUTED_NCCL)
    target_compile_definitions(gancraft_distributed INTERFACE USE_C10D_NCCL GANCRAFT_WITH_NCCL=1)
  else()
    target_compile_definitions(gancraft_distributed INTERFACE GANCRAFT_WITH_NCCL=0)
  endif()
  message(STATUS "gancraft: distributed training on (Gloo: ${_gancraft_gloo_where})")
else()
  message(STATUS "gancraft: distributed training off (GANCRAFT_DISTRIBUTED=OFF)")
endif()
unset(_gancraft_gloo_found)
unset(_gancraft_gloo_linked)
unset(_gancraft_gloo_link)
unset(_gancraft_gloo_where)
unset(_gancraft_torch_cpu)
unset(_gancraft_dynamic)
