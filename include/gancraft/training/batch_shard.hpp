#pragma once
/// @file gancraft/training/batch_shard.hpp
/// Moved to gancraft/core/batch_shard.hpp (the layer below training/ that concepts, penalties and
/// metrics use); this header forwards to it.
#include <gancraft/core/batch_shard.hpp>
