#pragma once
/// @file gancraft/training/optimizer_options.hpp
/// Moved to gancraft/core/optimizer_options.hpp (the layer below training/ that concepts, penalties and
/// metrics use); this header forwards to it.
#include <gancraft/core/optimizer_options.hpp>
