#pragma once
/// @file gancraft/training/hook_slot.hpp
/// Type erasure that lets the trainer hold hooks of any type.

#include <gancraft/concepts/hook.hpp>

#include <functional>
#include <memory>
#include <type_traits>

namespace gancraft::detail {

/// One stored hook: its callbacks (empty where the hook lacks the member) and loss interval.
struct HookSlot {
  std::shared_ptr<void> object;
  std::function<void(TrainingContext&)> on_train_begin;
  std::function<bool(const StepReport&, TrainingContext&)> on_step_end;
  std::function<void(int64_t, TrainingContext&)> on_epoch_end;
  std::function<void(TrainingContext&)> on_train_end;
  std::function<void(TrainingContext&)> on_discriminator_step_end;
  std::function<int64_t()> interval;  ///< empty: reads losses every step
};

template <Hook H>
HookSlot make_hook_slot(std::shared_ptr<H> h) {
  HookSlot s;
  s.object = h;
  H* p = h.get();
  if constexpr (requires(TrainingContext& c) { p->on_train_begin(c); })
    s.on_train_begin = [p](TrainingContext& c) { p->on_train_begin(c); };
  else if constexpr (requires { p->on_train_begin(); })
    s.on_train_begin = [p](TrainingContext&) { p->on_train_begin(); };

  auto as_bool = [](auto&& call) -> bool {
    if constexpr (std::is_convertible_v<decltype(call()), bool>) {
      return static_cast<bool>(call());
    } else {
      call();
      return false;
    }
  };
  if constexpr (requires(const StepReport& r, TrainingContext& c) { p->on_step_end(r, c); })
    s.on_step_end = [p, as_bool](const StepReport& r, TrainingContext& c) {
      return as_bool([&] { return p->on_step_end(r, c); });
    };
  else if constexpr (requires(const StepReport& r) { p->on_step_end(r); })
    s.on_step_end = [p, as_bool](const StepReport& r, TrainingContext&) {
      return as_bool([&] { return p->on_step_end(r); });
    };

  if constexpr (requires(int64_t e, TrainingContext& c) { p->on_epoch_end(e, c); })
    s.on_epoch_end = [p](int64_t e, TrainingContext& c) { p->on_epoch_end(e, c); };
  else if constexpr (requires(int64_t e) { p->on_epoch_end(e); })
    s.on_epoch_end = [p](int64_t e, TrainingContext&) { p->on_epoch_end(e); };
  else if constexpr (requires { p->on_epoch_end(); })
    s.on_epoch_end = [p](int64_t, TrainingContext&) { p->on_epoch_end(); };

  if constexpr (requires(TrainingContext& c) { p->on_train_end(c); })
    s.on_train_end = [p](TrainingContext& c) { p->on_train_end(c); };
  else if constexpr (requires { p->on_train_end(); })
    s.on_train_end = [p](TrainingContext&) { p->on_train_end(); };

  if constexpr (requires(TrainingContext& c) { p->on_discriminator_step_end(c); })
    s.on_discriminator_step_end = [p](TrainingContext& c) { p->on_discriminator_step_end(c); };

  if constexpr (requires { { p->interval() } -> std::convertible_to<int64_t>; })
    s.interval = [p] { return static_cast<int64_t>(p->interval()); };
  return s;
}

}  // namespace gancraft::detail
