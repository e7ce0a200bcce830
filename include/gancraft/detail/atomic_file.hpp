#pragma once
/// @file gancraft/detail/atomic_file.hpp
/// fsync and write-then-rename helpers for crash-safe files and directories.

#include <gancraft/error.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

namespace gancraft::detail {

/// Flushes a file or directory to stable storage; `IoError` naming it on failure.
inline void fsync_path(const std::filesystem::path& path, bool directory = false) {
  const int fd = ::open(path.c_str(), directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
  GANCRAFT_CHECK(fd >= 0, IoError, path.string(), ": cannot open to sync: ", std::strerror(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  GANCRAFT_CHECK(rc == 0, IoError, path.string(), ": fsync failed: ", std::strerror(err));
}

/// A sibling name for a temporary file or directory, hidden (leading dot) and unique per
/// process, so that readers never take it for the real thing.
inline std::filesystem::path hidden_sibling(const std::filesystem::path& path, const char* tag = "tmp") {
  // Appended piece by piece: g++ 12 warns falsely (-Wstringop-overflow) on the chained `+`.
  std::string name = ".";
  name.append(tag).append("-").append(path.filename().string()).append("-");
  name.append(std::to_string(::getpid()));
  return path.parent_path() / name;
}

/// Writes `bytes` to `path` atomically: temporary sibling, fsync, rename, fsync of the parent.
inline void write_file_atomically(const std::filesystem::path& path, const std::string& bytes) {
  const auto parent = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  std::filesystem::create_directories(parent);
  const auto tmp = hidden_sibling(path);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    GANCRAFT_CHECK(out.good(), IoError, tmp.string(), ": write failed");
  }
  fsync_path(tmp);
  std::filesystem::rename(tmp, path);
  fsync_path(parent, /*directory=*/true);
}

}  // namespace gancraft::detail
