#pragma once
// Helpers shared by the test executables (scratch directories, file bytes, error messages).

#include <gancraft/error.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace gancraft::test {

/// An empty directory `GANCRAFT_TEST_TMP/name` (removed first if it exists). Names must be
/// unique across test files: CTest runs test cases in parallel.
inline std::filesystem::path fresh_dir(const std::string& name) {
  const std::filesystem::path dir = std::filesystem::path(GANCRAFT_TEST_TMP) / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

/// The whole file as bytes.
inline std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// The message of the `E` that `fn` throws, or "" when it throws nothing.
template <class E = Error, class Fn>
std::string error_message(Fn&& fn) {
  try {
    fn();
  } catch (const E& e) {
    return e.what();
  }
  return "";
}

}  // namespace gancraft::test
