#pragma once
/// @file gancraft/training/signal_stop.hpp
/// Turns SIGINT and SIGTERM into a request to stop after the current step.

#include <signal.h>

#include <csignal>

namespace gancraft::detail {

inline volatile std::sig_atomic_t stop_signal_raised = 0;

extern "C" inline void gancraft_on_stop_signal(int) { stop_signal_raised = 1; }

/// While alive (and `enabled`), SIGINT and SIGTERM set a flag instead of killing the process;
/// the handlers are one-shot (SA_RESETHAND), so a second signal has its default effect and
/// ends the process at once. The previous handlers come back on destruction.
class SignalStop {
 public:
  explicit SignalStop(bool enabled) : enabled_(enabled) {
    if (!enabled_) return;
    stop_signal_raised = 0;
    struct sigaction action {};
    action.sa_handler = gancraft_on_stop_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &action, &previous_int_);
    sigaction(SIGTERM, &action, &previous_term_);
  }
  ~SignalStop() {
    if (!enabled_) return;
    sigaction(SIGINT, &previous_int_, nullptr);
    sigaction(SIGTERM, &previous_term_, nullptr);
  }
  SignalStop(const SignalStop&) = delete;
  SignalStop& operator=(const SignalStop&) = delete;

  /// Whether a stop signal arrived since construction.
  bool raised() const { return enabled_ && stop_signal_raised != 0; }

 private:
  bool enabled_;
  struct sigaction previous_int_ {};
  struct sigaction previous_term_ {};
};

}  // namespace gancraft::detail
