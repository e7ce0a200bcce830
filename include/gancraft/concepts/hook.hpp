#pragma once
/// @file gancraft/concepts/hook.hpp

#include <gancraft/core/step_report.hpp>
#include <gancraft/core/training_context.hpp>

#include <concepts>
#include <cstdint>

namespace gancraft {
namespace detail {
template <class H>
concept hook_train_begin = requires(H& h, TrainingContext& c) { h.on_train_begin(c); } ||
                           requires(H& h) { h.on_train_begin(); };
template <class H>
concept hook_step_end =
    requires(H& h, const StepReport& r, TrainingContext& c) { h.on_step_end(r, c); } ||
    requires(H& h, const StepReport& r) { h.on_step_end(r); };
template <class H>
concept hook_epoch_end =
    requires(H& h, int64_t e, TrainingContext& c) { h.on_epoch_end(e, c); } ||
    requires(H& h, int64_t e) { h.on_epoch_end(e); } || requires(H& h) { h.on_epoch_end(); };
template <class H>
concept hook_train_end = requires(H& h, TrainingContext& c) { h.on_train_end(c); } ||
                         requires(H& h) { h.on_train_end(); };
template <class H>
concept hook_discriminator_step_end =
    requires(H& h, TrainingContext& c) { h.on_discriminator_step_end(c); };
}  // namespace detail

/// An observer of training. A type `H` models `Hook` when it has at least one of:
///  1. `on_train_begin()` or `on_train_begin(TrainingContext&)`: once per `fit`, before step 1;
///  2. `on_step_end(const StepReport&)` or `on_step_end(const StepReport&, TrainingContext&)`:
///     after every generator update; it may return `bool`, where `true` stops training after
///     this step;
///  3. `on_epoch_end(int64_t epoch)`, `on_epoch_end()` or `on_epoch_end(int64_t, TrainingContext&)`:
///     after each completed pass over the data;
///  4. `on_train_end()` or `on_train_end(TrainingContext&)`: once when `fit` returns normally;
///  5. `on_discriminator_step_end(TrainingContext&)`: after each discriminator update.
///
/// Optionally `int64_t interval() const`: the hook reads the losses every `interval()` steps
/// (0: never). A hook without it is taken to read them on every step.
/// @code
/// struct StepCounter { int* n; void on_step_end(const gc::StepReport&) { ++*n; } };
/// @endcode
template <class H>
concept Hook = detail::hook_train_begin<H> || detail::hook_step_end<H> ||
               detail::hook_epoch_end<H> || detail::hook_train_end<H> ||
               detail::hook_discriminator_step_end<H>;

}  // namespace gancraft
