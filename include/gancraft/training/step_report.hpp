#pragma once
/// @file gancraft/training/step_report.hpp
/// Moved to gancraft/core/step_report.hpp (the layer below training/ that concepts, penalties and
/// metrics use); this header forwards to it.
#include <gancraft/core/step_report.hpp>
