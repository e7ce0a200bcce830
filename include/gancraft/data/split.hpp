#pragma once
/// @file gancraft/data/split.hpp
/// Which part of a data set with a fixed train/test division to load.

#include <ostream>

namespace gancraft::data {

/// The train or the test part of a data set's official division.
enum class Split {
  Train,  ///< The training part (e.g. MNIST's 60000 images).
  Test,   ///< The test part (e.g. MNIST's 10000 images).
};

/// Prints `Train` or `Test`.
inline std::ostream& operator<<(std::ostream& out, Split split) {
  return out << (split == Split::Train ? "Train" : "Test");
}

}  // namespace gancraft::data
