#pragma once
/// @file gancraft/gan.hpp
/// Umbrella header: everything public in gancraft.

#include <gancraft/error.hpp>
#include <gancraft/version.hpp>
