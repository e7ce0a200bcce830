#pragma once
/// @file gancraft/training/loop_state.hpp
/// Moved to gancraft/core/loop_state.hpp (the layer below training/ that concepts, penalties and
/// metrics use); this header forwards to it.
#include <gancraft/core/loop_state.hpp>
