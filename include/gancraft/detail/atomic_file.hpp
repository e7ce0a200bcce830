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
#include <string_view>

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

/// Writes `bytes` to a new file `path` and flushes it to stable storage. `IoError` naming the
/// path and the system's reason (say, "No space left on device") when any write fails; the
/// partial file is removed then.
inline void write_file_synced(const std::filesystem::path& path, std::string_view bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  GANCRAFT_CHECK(fd >= 0, IoError, path.string(), ": cannot create: ", std::strerror(errno));
  size_t done = 0;
  auto fail = [&](const char* what, int err) {
    ::close(fd);
    ::unlink(path.c_str());
    throw IoError(str(path.string(), ": ", what, " failed after ", done, " of ", bytes.size(),
                      " bytes: ", std::strerror(err)));
  };
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("write", n < 0 ? errno : EIO);
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) fail("fsync", errno);
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(path.c_str());
    throw IoError(str(path.string(), ": close failed: ", std::strerror(err)));
  }
}

/// Writes `bytes` to `path` atomically: temporary sibling, fsync, rename, fsync of the parent.
/// On failure `path` keeps its old contents and no temporary is left behind.
inline void write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
  const auto parent = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  std::filesystem::create_directories(parent);
  const auto tmp = hidden_sibling(path);
  write_file_synced(tmp, bytes);
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp);
    throw IoError(str(path.string(), ": cannot replace: ", ec.message()));
  }
  fsync_path(parent, /*directory=*/true);
}

}  // namespace gancraft::detail
