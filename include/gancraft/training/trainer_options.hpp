#pragma once
/// @file gancraft/training/trainer_options.hpp
/// Moved to gancraft/core/trainer_options.hpp (the layer below training/ that concepts, penalties and
/// metrics use); this header forwards to it.
#include <gancraft/core/trainer_options.hpp>
