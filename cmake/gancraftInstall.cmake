# Install rules and package config for find_package(gancraft), plus a build-tree export so a
# consumer can also point gancraft_DIR at this build directory without installing.
include(CMakePackageConfigHelpers)

# Header-only: config files go under share/, not lib/<arch>/ (as nlohmann_json does).
set(GANCRAFT_CONFIG_INSTALL_DIR "${CMAKE_INSTALL_DATADIR}/cmake/gancraft"
  CACHE STRING "Where gancraftConfig.cmake is installed, relative to the prefix")
mark_as_advanced(GANCRAFT_CONFIG_INSTALL_DIR)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/gancraft
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS gancraft EXPORT gancraftTargets)
if(TARGET gancraft_distributed)  # exported as gancraft::distributed
  install(TARGETS gancraft_distributed EXPORT gancraftTargets)
endif()
install(EXPORT gancraftTargets
  NAMESPACE gancraft::
  FILE gancraftTargets.cmake
  DESTINATION ${GANCRAFT_CONFIG_INSTALL_DIR})
export(EXPORT gancraftTargets
  NAMESPACE gancraft::
  FILE ${PROJECT_BINARY_DIR}/gancraftTargets.cmake)

# The same config text serves the install and the build tree; PACKAGE_INIT computes the prefix.
configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/gancraftConfig.cmake.in
  ${PROJECT_BINARY_DIR}/gancraftConfig.cmake
  INSTALL_DESTINATION ${GANCRAFT_CONFIG_INSTALL_DIR})
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/gancraftConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMajorVersion
  ARCH_INDEPENDENT)
install(FILES
  ${PROJECT_BINARY_DIR}/gancraftConfig.cmake
  ${PROJECT_BINARY_DIR}/gancraftConfigVersion.cmake
  DESTINATION ${GANCRAFT_CONFIG_INSTALL_DIR})
install(FILES ${PROJECT_SOURCE_DIR}/tools/data/fd_fmnist.pt DESTINATION ${CMAKE_INSTALL_DATADIR}/gancraft)
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE
  DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/gancraft OPTIONAL)
