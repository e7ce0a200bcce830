#pragma once
/// @file gancraft/version.hpp
/// Library version, for checkpoints, logs and `gancraft info`.

/// Major version: changes on incompatible API changes.
#define GANCRAFT_VERSION_MAJOR 0
/// Minor version: changes when features are added compatibly.
#define GANCRAFT_VERSION_MINOR 2
/// Patch version: changes on compatible fixes.
#define GANCRAFT_VERSION_PATCH 0
/// The version as a string literal, "major.minor.patch".
#define GANCRAFT_VERSION_STRING "0.2.0"

namespace gancraft {
/// The gancraft version as "major.minor.patch".
inline constexpr const char* version = GANCRAFT_VERSION_STRING;
}  // namespace gancraft
