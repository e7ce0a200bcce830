#pragma once
/// @file gancraft/training/training_context.hpp
/// Moved to gancraft/core/training_context.hpp (the layer below training/ that concepts, penalties and
/// metrics use); this header forwards to it.
#include <gancraft/core/training_context.hpp>
