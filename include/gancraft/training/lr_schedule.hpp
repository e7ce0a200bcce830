#pragma once
/// @file gancraft/training/lr_schedule.hpp
/// Moved to gancraft/core/lr_schedule.hpp (the layer below training/ that concepts, penalties and
/// metrics use); this header forwards to it.
#include <gancraft/core/lr_schedule.hpp>
