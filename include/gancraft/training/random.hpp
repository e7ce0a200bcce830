#pragma once
/// @file gancraft/training/random.hpp
/// Moved to gancraft/core/random.hpp (the layer below training/ that concepts, penalties and
/// metrics use); this header forwards to it.
#include <gancraft/core/random.hpp>
