# Data-parallel training (include/gancraft/distributed/): LibTorch's c10d with the Gloo process
# group on CPUs (and NCCL on CUDA builds). Kept out of gancraft::gancraft so that normal users
# need neither Gloo's headers nor c10d's compile definitions: binaries that train on several
# processes link gancraft::distributed instead.
#
# Debian's libtorch links libgloo itself; what a consumer needs are Gloo's headers (c10d's
# ProcessGroupGloo.hpp includes them) and c10d's defines. libgloo-dev ships a GlooConfig.cmake,
# but it only knows the RelWithDebInfo configuration, so the files are found directly.
find_path(GANCRAFT_GLOO_INCLUDE_DIR gloo/config.h
  DOC "Directory holding gloo/config.h (Debian: libgloo-dev)")
find_library(GANCRAFT_GLOO_LIBRARY gloo
  DOC "The Gloo library (Debian: libgloo-dev)")
mark_as_advanced(GANCRAFT_GLOO_INCLUDE_DIR GANCRAFT_GLOO_LIBRARY)
if(GANCRAFT_GLOO_INCLUDE_DIR AND GANCRAFT_GLOO_LIBRARY)
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
      "${GANCRAFT_GLOO_INCLUDE_DIR}, libgloo: ${GANCRAFT_GLOO_LIBRARY}); install libgloo-dev, "
      "set GANCRAFT_GLOO_INCLUDE_DIR and GANCRAFT_GLOO_LIBRARY, or pass -DGANCRAFT_DISTRIBUTED=OFF")
  endif()
  add_library(gancraft_distributed INTERFACE)
  add_library(gancraft::distributed ALIAS gancraft_distributed)
  set_target_properties(gancraft_distributed PROPERTIES EXPORT_NAME distributed)
  target_include_directories(gancraft_distributed SYSTEM INTERFACE ${GANCRAFT_GLOO_INCLUDE_DIR})
  target_link_libraries(gancraft_distributed INTERFACE gancraft::gancraft ${GANCRAFT_GLOO_LIBRARY})
  # USE_DISTRIBUTED and USE_C10D_GLOO are what LibTorch itself was built with; c10d's headers
  # declare the Gloo group only under them. GANCRAFT_HAS_DISTRIBUTED lets shared code (the
  # gancraft tool) know that gancraft/distributed/ is usable.
  target_compile_definitions(gancraft_distributed INTERFACE
    USE_DISTRIBUTED USE_C10D_GLOO GANCRAFT_HAS_DISTRIBUTED=1)
  if(GANCRAFT_DISTRIBUTED_NCCL)
    target_compile_definitions(gancraft_distributed INTERFACE USE_C10D_NCCL)
  endif()
  message(STATUS "gancraft: distributed training on (Gloo: ${GANCRAFT_GLOO_LIBRARY})")
else()
  message(STATUS "gancraft: distributed training off (GANCRAFT_DISTRIBUTED=OFF)")
endif()
unset(_gancraft_gloo_found)
