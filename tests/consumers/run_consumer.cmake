# Driver for one consumer test: cmake -DMODE=<fetchcontent|find_package|add_subdirectory> ... -P run_consumer.cmake
# Configures, builds and runs tests/consumers/<MODE> in a fresh WORK_DIR, so every CTest test is
# self-contained. Inputs: MODE, GANCRAFT_SOURCE_DIR, CONSUMER_DIR, WORK_DIR, GENERATOR,
# CXX_COMPILER, MAKE_PROGRAM (may be empty), EXPECTED_VERSION, TORCH_PREFIX (the LibTorch's
# cmake prefix, e.g. a wheel's torch.utils.cmake_prefix_path: the only hint a consumer gets).
cmake_minimum_required(VERSION 3.20)

foreach(var MODE GANCRAFT_SOURCE_DIR CONSUMER_DIR WORK_DIR GENERATOR CXX_COMPILER EXPECTED_VERSION TORCH_PREFIX)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "run_consumer.cmake: -D${var}=... is required")
  endif()
endforeach()

set(common_args -G "${GENERATOR}" -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}")
if(MAKE_PROGRAM)
  list(APPEND common_args "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
endif()

# Runs one command, echoing it, and stops the test with its output if it fails.
function(step name)
  string(TIMESTAMP t0 "%s")
  message(STATUS "[${MODE}] ${name}: ${ARGN}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out
    WORKING_DIRECTORY "${WORK_DIR}")
  string(TIMESTAMP t1 "%s")
  math(EXPR dt "${t1} - ${t0}")
  if(NOT rc EQUAL 0)
    message("${out}")
    message(FATAL_ERROR "[${MODE}] ${name} failed (${rc}) after ${dt} s; its output is above")
  endif()
  message(STATUS "[${MODE}] ${name}: ok (${dt} s)")
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
set(consumer_build "${WORK_DIR}/consumer-build")

if(MODE STREQUAL "find_package")
  # Install a fresh configure of the checkout (nothing of gancraft's own to build) to a prefix.
  set(prefix "${WORK_DIR}/prefix")
  set(gancraft_build "${WORK_DIR}/gancraft-build")
  step("configure gancraft" "${CMAKE_COMMAND}" ${common_args}
    -S "${GANCRAFT_SOURCE_DIR}" -B "${gancraft_build}"
    -DGANCRAFT_BUILD_TESTS=OFF -DGANCRAFT_BUILD_EXAMPLES=OFF -DGANCRAFT_BUILD_TOOLS=OFF
    -DGANCRAFT_BUILD_BENCH=OFF -DGANCRAFT_CHECK_HEADERS=OFF -DGANCRAFT_INSTALL=ON
    "-DCMAKE_INSTALL_PREFIX=${prefix}" "-DCMAKE_PREFIX_PATH=${TORCH_PREFIX}")
  step("build gancraft" "${CMAKE_COMMAND}" --build "${gancraft_build}")
  step("install gancraft" "${CMAKE_COMMAND}" --install "${gancraft_build}")
  foreach(f include/gancraft/gan.hpp include/gancraft/version.hpp share/gancraft/fd_fmnist.pt
      share/cmake/gancraft/gancraftConfig.cmake share/cmake/gancraft/gancraftConfigVersion.cmake
      share/cmake/gancraft/gancraftTargets.cmake)
    if(NOT EXISTS "${prefix}/${f}")
      message(FATAL_ERROR "[find_package] install is missing ${f}")
    endif()
  endforeach()

  # The build-tree export must resolve too (configure only: the build below covers compiling).
  step("configure consumer against the build tree" "${CMAKE_COMMAND}" ${common_args}
    -S "${CONSUMER_DIR}" -B "${WORK_DIR}/consumer-build-tree"
    "-Dgancraft_DIR=${gancraft_build}" "-DGANCRAFT_EXPECTED_CONFIG_DIR=${gancraft_build}"
    "-DCMAKE_PREFIX_PATH=${TORCH_PREFIX}")

  # The LibTorch through the environment's CMAKE_PREFIX_PATH, gancraft's install through the
  # variable (a list would be split on its way through step()).
  step("configure consumer" "${CMAKE_COMMAND}" -E env "CMAKE_PREFIX_PATH=${TORCH_PREFIX}"
    "${CMAKE_COMMAND}" ${common_args} -S "${CONSUMER_DIR}" -B "${consumer_build}"
    "-DCMAKE_PREFIX_PATH=${prefix}" "-DGANCRAFT_EXPECTED_CONFIG_DIR=${prefix}/share/cmake/gancraft")
else()
  step("configure consumer" "${CMAKE_COMMAND}" ${common_args}
    -S "${CONSUMER_DIR}" -B "${consumer_build}" "-DGANCRAFT_SOURCE_DIR=${GANCRAFT_SOURCE_DIR}"
    "-DCMAKE_PREFIX_PATH=${TORCH_PREFIX}")
endif()

step("build consumer" "${CMAKE_COMMAND}" --build "${consumer_build}")
# Without $GANCRAFT_FD_FMNIST, which would override the weights the package names.
step("run consumer" "${CMAKE_COMMAND}" -E env --unset=GANCRAFT_FD_FMNIST "${consumer_build}/consumer")
message(STATUS "[${MODE}] consumer printed: ${step_output}")
if(MODE STREQUAL "find_package")
  string(FIND "${step_output}" "fd-fmnist weights: ${prefix}/share/gancraft/fd_fmnist.pt" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "[${MODE}] expected the FD-FMNIST weights from the install, ${prefix}/share/gancraft/fd_fmnist.pt")
  endif()
endif()
if(NOT step_output MATCHES "gancraft ${EXPECTED_VERSION}")
  message(FATAL_ERROR "[${MODE}] expected \"gancraft ${EXPECTED_VERSION}\" in the consumer's output")
endif()
