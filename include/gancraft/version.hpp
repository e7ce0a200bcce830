#pragma once
/// @file gancraft/version.hpp
/// Library version, for checkpoints, logs and `gancraft info`.

#define GANCRAFT_VERSION_MAJOR 0
#define GANCRAFT_VERSION_MINOR 1
#define GANCRAFT_VERSION_PATCH 0
#define GANCRAFT_VERSION_STRING "0.1.0"

namespace gancraft {
/// The gancraft version as "major.minor.patch".
inline constexpr const char* version = GANCRAFT_VERSION_STRING;
}  // namespace gancraft
