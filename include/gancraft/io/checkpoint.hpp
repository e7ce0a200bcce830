#pragma once
/// @file gancraft/io/checkpoint.hpp
/// Crash-safe checkpoints: save, verify, load, resume with fallback, and generator export.
///
/// A checkpoint is a directory `step-NNNNNN/` holding `generator.pt`, `discriminator.pt`,
/// `generator_optimizer.pt`, `discriminator_optimizer.pt`, `loop_state.pt` (step, epoch, data
/// order, every random stream), `state.json` (options, versions) and, written last,
/// `manifest.json` (each file's size and CRC-32). It is assembled in a hidden temporary
/// directory, fsynced, and renamed into place, so a crash at any instant leaves either the old
/// state or the complete new checkpoint.

#include <gancraft/concepts/module.hpp>
#include <gancraft/detail/atomic_file.hpp>
#include <gancraft/error.hpp>
#include <gancraft/io/manifest.hpp>
#include <gancraft/training/loop_state.hpp>
#include <gancraft/training/optimizer_options.hpp>
#include <gancraft/training/training_context.hpp>
#include <gancraft/version.hpp>

#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <stdio.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace gancraft {

/// The names of the files inside one checkpoint directory.
struct CheckpointFiles {
  /// The generator's parameters and buffers.
  static constexpr const char* generator = "generator.pt";
  /// The discriminator's parameters and buffers.
  static constexpr const char* discriminator = "discriminator.pt";
  /// The generator optimizer's state.
  static constexpr const char* generator_optimizer = "generator_optimizer.pt";
  /// The discriminator optimizer's state.
  static constexpr const char* discriminator_optimizer = "discriminator_optimizer.pt";
  /// Step, epoch, data order and every random stream (`LoopState`), for exact resume.
  static constexpr const char* loop_state = "loop_state.pt";
  /// Options and versions, readable by people and tools.
  static constexpr const char* state = "state.json";
  /// The one-line file in a checkpoint root naming the newest checkpoint directory.
  static constexpr const char* latest = "latest";
};

namespace detail {

/// The file of extra checkpoint state `name` (see `TrainingContext::add_checkpoint_state`).
inline std::string extra_state_file(const std::string& name) { return "extra-" + name + ".pt"; }

inline std::string step_dir_name(int64_t step) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "step-%06lld", static_cast<long long>(step));
  return buf;
}

/// The step of a `step-NNNNNN` directory name, or nothing for any other name.
inline std::optional<int64_t> step_of(const std::string& name) {
  if (name.size() < 6 || name.rfind("step-", 0) != 0) return std::nullopt;
  const std::string digits = name.substr(5);
  if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 18)
    return std::nullopt;
  return std::stoll(digits);
}

/// Throws `DivergenceError` naming the first non-finite parameter or buffer of `m`.
inline void check_finite(torch::nn::Module& m, const char* who, int64_t step) {
  for (const auto& p : m.named_parameters())
    GANCRAFT_CHECK(torch::isfinite(p.value()).all().item<bool>(), DivergenceError, who,
                   " parameter '", p.key(), "' holds NaN or Inf at step ", step);
  for (const auto& b : m.named_buffers())
    if (b.value().is_floating_point())
      GANCRAFT_CHECK(torch::isfinite(b.value()).all().item<bool>(), DivergenceError, who,
                     " buffer '", b.key(), "' holds NaN or Inf at step ", step);
}

inline void save_loop_state(const LoopState& s, const std::filesystem::path& file) {
  torch::serialize::OutputArchive a;
  a.write("step", torch::tensor(s.step));
  a.write("epoch", torch::tensor(s.epoch));
  a.write("training_rng", s.training_rng);
  a.write("sampling_rng", s.sampling_rng);
  a.write("global_rng", s.global_rng);
  a.write("has_data_order", torch::tensor(s.data_order.defined() ? 1 : 0));
  a.write("data_order", s.data_order.defined() ? s.data_order : torch::zeros({0}, torch::kLong));
  a.write("data_position", torch::tensor(s.data_position));
  a.save_to(file.string());
}

inline LoopState load_loop_state(const std::filesystem::path& file) {
  torch::serialize::InputArchive a;
  a.load_from(file.string());
  auto read = [&](const char* key) {
    torch::Tensor t;
    a.read(key, t);
    return t;
  };
  LoopState s;
  s.step = read("step").item<int64_t>();
  s.epoch = read("epoch").item<int64_t>();
  s.training_rng = read("training_rng");
  s.sampling_rng = read("sampling_rng");
  s.global_rng = read("global_rng");
  if (read("has_data_order").item<int64_t>() != 0) s.data_order = read("data_order");
  s.data_position = read("data_position").item<int64_t>();
  return s;
}

/// The current learning rate of each parameter group (LibTorch's optimizer archives do not
/// keep them, and a `DivergenceGuard` rollback lowers them).
inline std::vector<double> learning_rates(torch::optim::Optimizer& opt) {
  std::vector<double> out;
  for (auto& group : opt.param_groups()) out.push_back(group.options().get_lr());
  return out;
}

inline void set_learning_rates(torch::optim::Optimizer& opt, const nlohmann::json& rates) {
  if (!rates.is_array() || rates.size() != opt.param_groups().size()) return;
  for (size_t i = 0; i < rates.size(); ++i)
    opt.param_groups()[i].options().set_lr(rates[i].get<double>());
}

/// Options a checkpoint must agree with to be resumed exactly.
inline nlohmann::json resume_critical_options(const TrainerOptions& o) {
  return {{"latent_dim", o.latent_dim()},
          {"batch_size", o.batch_size()},
          {"d_steps_per_g_step", o.d_steps_per_g_step()},
          {"g_optimizer_kind", to_string(o.g_optimizer().kind())},
          {"d_optimizer_kind", to_string(o.d_optimizer().kind())}};
}

/// Checks that `archive` holds every parameter and buffer of `m` with the same shape, so that
/// loading cannot silently resize a module built with other options. `OptionError` naming
/// the file and the tensor otherwise.
inline void check_archive_shapes(torch::nn::Module& m, torch::serialize::InputArchive& archive,
                                 const std::filesystem::path& file, const std::string& prefix = "") {
  auto check = [&](const std::string& name, const torch::Tensor& mine, bool is_buffer) {
    torch::Tensor stored;
    GANCRAFT_CHECK(archive.try_read(name, stored, is_buffer), OptionError, file.string(), ": has no ",
                   is_buffer ? "buffer" : "parameter", " '", prefix, name,
                   "'; the model was built with other options than the checkpoint's");
    GANCRAFT_CHECK(stored.sizes() == mine.sizes(), OptionError, file.string(), ": '", prefix, name,
                   "' has shape ", stored.sizes(), " but the model's has shape ", mine.sizes(),
                   "; the model was built with other options than the checkpoint's");
  };
  for (const auto& p : m.named_parameters(/*recurse=*/false)) check(p.key(), p.value(), false);
  for (const auto& b : m.named_buffers(/*recurse=*/false)) check(b.key(), b.value(), true);
  for (const auto& c : m.named_children()) {
    if (!c.value()->is_serializable()) continue;  // e.g. nn::Functional: Module::save skips it
    torch::serialize::InputArchive child;
    GANCRAFT_CHECK(archive.try_read(c.key(), child), OptionError, file.string(), ": has no module '",
                   prefix, c.key(), "'; the model was built with other options than the checkpoint's");
    check_archive_shapes(*c.value(), child, file, prefix + c.key() + ".");
  }
}

/// Runs `load` (which may throw anything) and rethrows as `IoError` naming `file`.
template <class F>
void load_file(const std::filesystem::path& file, F&& load) {
  try {
    load();
  } catch (const Error&) {
    throw;
  } catch (const c10::Error& e) {
    throw IoError(str(file.string(), ": cannot be loaded: ",
                      std::string(e.what_without_backtrace()).substr(0, 300)));
  } catch (const std::exception& e) {
    throw IoError(str(file.string(), ": cannot be loaded: ", e.what()));
  }
}

/// Opens a module archive and checks its shapes against `m`, without changing `m`.
inline torch::serialize::InputArchive open_module_archive(torch::nn::Module& m,
                                                          const std::filesystem::path& file,
                                                          torch::Device device) {
  torch::serialize::InputArchive archive;
  load_file(file, [&] { archive.load_from(file.string(), device); });
  check_archive_shapes(m, archive, file);
  return archive;
}

/// Loads a module from `file` after checking the stored shapes against it.
inline void load_module(torch::nn::Module& m, const std::filesystem::path& file, torch::Device device) {
  auto archive = open_module_archive(m, file, device);
  load_file(file, [&] { m.load(archive); });
}

}  // namespace detail

/// Saves G, D, both optimizers and the loop state of `ctx` into the checkpoint directory `dir`
/// (replacing one already there), crash-safely. Refuses with `DivergenceError`, writing
/// nothing, when a parameter or buffer holds NaN or Inf.
inline void save_checkpoint(TrainingContext& ctx, const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  detail::check_finite(ctx.generator_module(), "generator", ctx.step());
  detail::check_finite(ctx.discriminator_module(), "discriminator", ctx.step());
  for (const auto& [name, module] : ctx.checkpoint_state()) detail::check_finite(*module, name.c_str(), ctx.step());
  const fs::path parent = dir.has_parent_path() ? dir.parent_path() : fs::path(".");
  fs::create_directories(parent);
  const fs::path tmp = detail::hidden_sibling(dir, "tmp");
  fs::remove_all(tmp);
  fs::create_directories(tmp);

  auto save = [&](auto& object, const char* name) {
    torch::serialize::OutputArchive archive;
    object.save(archive);
    archive.save_to((tmp / name).string());
  };
  save(ctx.generator_module(), CheckpointFiles::generator);
  save(ctx.discriminator_module(), CheckpointFiles::discriminator);
  save(ctx.generator_optimizer(), CheckpointFiles::generator_optimizer);
  save(ctx.discriminator_optimizer(), CheckpointFiles::discriminator_optimizer);
  detail::save_loop_state(ctx.loop_state(), tmp / CheckpointFiles::loop_state);
  const TrainerOptions& o = ctx.options();
  const nlohmann::json state = {
      {"step", ctx.step()},
      {"epoch", ctx.epoch()},
      {"gancraft_version", version},
      {"torch_version", TORCH_VERSION},
      {"learning_rates",
       {{"generator", detail::learning_rates(ctx.generator_optimizer())},
        {"discriminator", detail::learning_rates(ctx.discriminator_optimizer())}}},
      {"options",
       {{"latent_dim", o.latent_dim()},
        {"g_optimizer_kind", to_string(o.g_optimizer().kind())},
        {"d_optimizer_kind", to_string(o.d_optimizer().kind())},
        {"batch_size", o.batch_size()},
        {"d_steps_per_g_step", o.d_steps_per_g_step()},
        {"steps", o.steps() ? nlohmann::json(*o.steps()) : nlohmann::json(nullptr)},
        {"epochs", o.epochs() ? nlohmann::json(*o.epochs()) : nlohmann::json(nullptr)},
        {"seed", o.seed()},
        {"g_optimizer", {{"kind", to_string(o.g_optimizer().kind())}, {"lr", o.g_optimizer().lr()}}},
        {"d_optimizer", {{"kind", to_string(o.d_optimizer().kind())}, {"lr", o.d_optimizer().lr()}}},
        {"device", o.device().str()}}}};
  {
    std::ofstream out(tmp / CheckpointFiles::state);
    out << state.dump(2) << '\n';
    GANCRAFT_CHECK(out.good(), IoError, (tmp / CheckpointFiles::state).string(), ": write failed");
  }

  std::vector<std::string> names = {CheckpointFiles::generator, CheckpointFiles::discriminator,
                                    CheckpointFiles::generator_optimizer,
                                    CheckpointFiles::discriminator_optimizer, CheckpointFiles::loop_state,
                                    CheckpointFiles::state};
  for (const auto& [name, module] : ctx.checkpoint_state()) {  // e.g. GeneratorEMA's weights
    names.push_back(detail::extra_state_file(name));
    save(*module, names.back().c_str());
  }
  io::Manifest manifest;
  manifest.step = ctx.step();
  for (const auto& name : names) {
    detail::fsync_path(tmp / name);
    manifest.files.push_back(io::describe_file(tmp / name));
  }
  {
    std::ofstream out(tmp / io::Manifest::file_name);
    out << io::to_json(manifest) << '\n';
    GANCRAFT_CHECK(out.good(), IoError, (tmp / io::Manifest::file_name).string(), ": write failed");
  }
  detail::fsync_path(tmp / io::Manifest::file_name);
  detail::fsync_path(tmp, /*directory=*/true);
  if (fs::exists(dir)) {
    // rename() cannot replace a non-empty directory; swap the two atomically instead, so that
    // `dir` always names a complete checkpoint, then delete the old one.
    if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, dir.c_str(), RENAME_EXCHANGE) != 0) {
      // A file system without RENAME_EXCHANGE: retire the old one first (brief window).
      GANCRAFT_CHECK(errno == EINVAL || errno == ENOSYS, IoError, dir.string(),
                     ": cannot replace the checkpoint: ", std::strerror(errno));
      const fs::path trash = detail::hidden_sibling(dir, "trash");
      fs::remove_all(trash);
      fs::rename(dir, trash);
      fs::rename(tmp, dir);
      fs::remove_all(trash);
    } else {
      fs::remove_all(tmp);  // now holds the replaced checkpoint
    }
    detail::fsync_path(parent, /*directory=*/true);
  } else {
    fs::rename(tmp, dir);
    detail::fsync_path(parent, /*directory=*/true);
  }
}

/// Checks a checkpoint directory against its manifest without loading it; `IoError` naming
/// the first bad file.
inline io::Manifest verify_checkpoint(const std::filesystem::path& dir) {
  return io::verify_checkpoint_files(dir);
}

/// Restores G, D, both optimizers and the loop state from one checkpoint directory, after
/// verifying every file against the manifest. Throws `IoError` naming the bad file, or
/// `OptionError` when the checkpoint was written with a different latent size, batch size or
/// `d_steps_per_g_step` (which would make an exact resume impossible), or when a stored tensor
/// does not fit the module's (a model built with other options).
inline void load_checkpoint(TrainingContext& ctx, const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  verify_checkpoint(dir);
  const fs::path state_path = dir / CheckpointFiles::state;
  nlohmann::json state;
  detail::load_file(state_path, [&] { state = nlohmann::json::parse(std::ifstream(state_path)); });
  const nlohmann::json expected = detail::resume_critical_options(ctx.options());
  for (const auto& [key, value] : expected.items()) {
    const auto stored = state.value("options", nlohmann::json::object()).value(key, nlohmann::json());
    GANCRAFT_CHECK(stored == value, OptionError, dir.string(), ": written with ", key, " = ",
                   stored.dump(), " but this trainer has ", key, " = ", value.dump());
  }
  const torch::Device device = ctx.options().device();
  // Every archive is read and checked before anything changes, so a failure leaves the trainer
  // as it was.
  auto open = [&](const char* name) {
    torch::serialize::InputArchive archive;
    detail::load_file(dir / name, [&] { archive.load_from((dir / name).string(), device); });
    return archive;
  };
  auto g_opt_archive = open(CheckpointFiles::generator_optimizer);
  auto d_opt_archive = open(CheckpointFiles::discriminator_optimizer);
  LoopState loop;
  detail::load_file(dir / CheckpointFiles::loop_state,
                    [&] { loop = detail::load_loop_state(dir / CheckpointFiles::loop_state); });
  // Both modules are checked before either changes, so a mismatch leaves the trainer as it was.
  auto g_archive = detail::open_module_archive(ctx.generator_module(), dir / CheckpointFiles::generator, device);
  auto d_archive = detail::open_module_archive(ctx.discriminator_module(), dir / CheckpointFiles::discriminator, device);
  detail::load_file(dir / CheckpointFiles::generator, [&] { ctx.generator_module().load(g_archive); });
  detail::load_file(dir / CheckpointFiles::discriminator, [&] { ctx.discriminator_module().load(d_archive); });
  detail::load_file(dir / CheckpointFiles::generator_optimizer,
                    [&] { ctx.generator_optimizer().load(g_opt_archive); });
  detail::load_file(dir / CheckpointFiles::discriminator_optimizer,
                    [&] { ctx.discriminator_optimizer().load(d_opt_archive); });
  const auto rates = state.value("learning_rates", nlohmann::json::object());
  detail::set_learning_rates(ctx.generator_optimizer(), rates.value("generator", nlohmann::json()));
  detail::set_learning_rates(ctx.discriminator_optimizer(), rates.value("discriminator", nlohmann::json()));
  ctx.restore_loop_state(loop);
  // Extra state (GeneratorEMA): restored now if registered, or when a hook registers it later.
  auto restore_extra = [dir, device](const std::string& name, torch::nn::Module& m) {
    const fs::path file = dir / detail::extra_state_file(name);
    if (!fs::exists(file)) return false;
    auto archive = detail::open_module_archive(m, file, device);
    detail::load_file(file, [&] { m.load(archive); });
    return true;
  };
  for (const auto& [name, module] : ctx.checkpoint_state()) restore_extra(name, *module);
  ctx.set_extra_state_source(restore_extra);
}

/// The checkpoint directories under `root`, newest first: the one `latest` names, then every
/// `step-NNNNNN` by descending step. Hidden temporaries (`.tmp-*`, `.trash-*`) are never listed.
inline std::vector<std::filesystem::path> list_checkpoints(const std::filesystem::path& root) {
  namespace fs = std::filesystem;
  std::vector<std::pair<int64_t, fs::path>> found;
  if (fs::is_directory(root))
    for (const auto& e : fs::directory_iterator(root))
      if (auto step = detail::step_of(e.path().filename().string()); step && e.is_directory())
        found.emplace_back(*step, e.path());
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<fs::path> out;
  std::ifstream latest(root / CheckpointFiles::latest);
  std::string name;
  if (latest && std::getline(latest, name) && detail::step_of(name) && fs::is_directory(root / name))
    out.push_back(root / name);
  for (auto& [step, path] : found)
    if (out.empty() || path != out.front()) out.push_back(path);
  return out;
}

/// What `resume` restored and what it passed over.
struct ResumeInfo {
  std::filesystem::path checkpoint;   ///< the checkpoint directory loaded
  int64_t step = 0;                   ///< its step
  std::vector<std::string> skipped;   ///< one "path: reason" line per damaged checkpoint skipped
};

/// Restores the newest valid checkpoint: `path` is a checkpoint directory, or a root such as a
/// `Checkpointer`'s, searched through `list_checkpoints`. Damaged checkpoints are skipped with
/// a warning on `std::cerr` naming the file and the problem. Throws `IoError` when none is valid.
inline ResumeInfo resume(TrainingContext& ctx, const std::filesystem::path& path) {
  namespace fs = std::filesystem;
  if (fs::exists(path / io::Manifest::file_name)) {
    load_checkpoint(ctx, path);
    return {path, ctx.step(), {}};
  }
  ResumeInfo info;
  for (const auto& dir : list_checkpoints(path)) {
    try {
      load_checkpoint(ctx, dir);
      info.checkpoint = dir;
      info.step = ctx.step();
      return info;
    } catch (const IoError& e) {
      info.skipped.push_back(e.what());
      std::cerr << "gancraft: skipping damaged checkpoint: " << e.what() << "\n";
    }
  }
  std::string reasons;
  for (const auto& s : info.skipped) reasons += "\n  " + s;
  throw IoError(detail::str(path.string(), ": no valid checkpoint found", reasons));
}

/// Loads only the generator weights of a checkpoint (a checkpoint directory, or a root whose
/// newest valid checkpoint is used) into `generator`, e.g. to sample in another program.
/// The module must have the architecture it was trained with.
template <detail::module_handle M>
std::filesystem::path load_generator(M& generator, const std::filesystem::path& path,
                                     torch::Device device = torch::kCPU) {
  namespace fs = std::filesystem;
  std::vector<fs::path> candidates;
  if (fs::exists(path / io::Manifest::file_name))
    candidates.push_back(path);
  else
    candidates = list_checkpoints(path);
  std::string reasons;
  for (const auto& dir : candidates) {
    try {
      verify_checkpoint(dir);
      detail::load_module(detail::module_of(generator), dir / CheckpointFiles::generator, device);
      return dir;
    } catch (const IoError& e) {
      reasons += std::string("\n  ") + e.what();
    }
  }
  throw IoError(detail::str(path.string(), ": no loadable generator", reasons));
}

/// Writes a module's parameters and buffers as a `{name: tensor}` dictionary that Python's
/// `torch.load(path)` reads as a state dict (`model.load_state_dict(torch.load(path))`).
/// Written with `torch::pickle_save`, atomically.
inline void export_state_dict(torch::nn::Module& module, const std::filesystem::path& path) {
  c10::Dict<std::string, torch::Tensor> dict;
  for (const auto& p : module.named_parameters()) dict.insert(p.key(), p.value().detach().cpu());
  for (const auto& b : module.named_buffers()) dict.insert(b.key(), b.value().detach().cpu());
  const std::vector<char> bytes = torch::pickle_save(c10::IValue(dict));
  detail::write_file_atomically(path, std::string(bytes.begin(), bytes.end()));
}

/// Reads a state dict written by `export_state_dict` (or by Python's `torch.save` of a dict of
/// tensors in the legacy, non-zip format) as name → tensor.
inline std::vector<std::pair<std::string, torch::Tensor>> import_state_dict(
    const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  GANCRAFT_CHECK(in.good(), IoError, path.string(), ": cannot open");
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), {});
  std::vector<std::pair<std::string, torch::Tensor>> out;
  detail::load_file(path, [&] {
    const c10::IValue value = torch::pickle_load(bytes);
    GANCRAFT_CHECK(value.isGenericDict(), IoError, path.string(), ": not a dictionary");
    for (const auto& item : value.toGenericDict())
      out.emplace_back(item.key().toStringRef(), item.value().toTensor());
  });
  return out;
}

}  // namespace gancraft
