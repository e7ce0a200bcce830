#pragma once
// Process helpers for the data-parallel tests: free ports, spawning ranks, bounded waits.
#include "tools/launch.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace gancraft::test {

/// A TCP port that was free a moment ago (the kernel's pick for port 0), so that tests running
/// in parallel do not share a rendezvous port.
inline int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

/// Waits for `pid`; a process still running after `limit` is killed and reported as
/// "hung" (-1). This bounds a broken test instead of leaving it to the CTest timeout; it
/// asserts nothing about speed (the limit is minutes for work of seconds).
inline int wait_bounded(pid_t pid, std::chrono::seconds limit = std::chrono::seconds(180)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid, &status, WNOHANG) == pid) return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(-pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return -1;
}

/// Runs a shell command line, capturing stdout and stderr together.
struct ShellRun {
  int rc;
  std::string out;
};
inline ShellRun shell(const std::string& command, const std::filesystem::path& log) {
  std::filesystem::create_directories(log.parent_path());
  const int status = std::system((command + " > " + log.string() + " 2>&1").c_str());
  std::ifstream in(log);
  std::stringstream s;
  s << in.rdbuf();
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, s.str()};
}

}  // namespace gancraft::test
