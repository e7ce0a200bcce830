#pragma once
/// @file gancraft/io/checkpoint.hpp
/// Crash-safe checkpoints: save, verify, load, resume with fallback, and generator export.
///
/// A checkpoint (format version 3) is a directory `step-NNNNNN/` holding one `<name>.pt` per
/// network of the model (`generator.pt`, `discriminator.pt` for a GAN), each optimizer's state
/// in the portable form of `optimizer_state.hpp` (`<name>_optimizer.json` + `.pt`),
/// `loop_state.pt` (step, epoch, data order, every random stream), `state.json` (options,
/// versions) and, written last, `manifest.json` (each file's size and CRC-32). Every file is
/// serialised in memory and written with checked system calls, so a full disk is an `IoError`
/// naming the file and the reason, never an abort. It is assembled in a hidden temporary
/// directory, fsynced, and renamed into place, so a crash or a failed write at any instant
/// leaves either the old state or the complete new checkpoint.

#include <gancraft/concepts/module.hpp>
#include <gancraft/detail/atomic_file.hpp>
#include <gancraft/detail/state_dict_file.hpp>
#include <gancraft/detail/torch_compat.hpp>
#include <gancraft/error.hpp>
#include <gancraft/io/manifest.hpp>
#include <gancraft/io/optimizer_state.hpp>
#include <gancraft/core/loop_state.hpp>
#include <gancraft/core/random.hpp>
#include <gancraft/core/optimizer_options.hpp>
#include <gancraft/core/training_context.hpp>
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
#include <functional>
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
  /// The generator optimizer's state tensors (with `generator_optimizer.json`).
  static constexpr const char* generator_optimizer = "generator_optimizer.pt";
  /// The discriminator optimizer's state tensors (with `discriminator_optimizer.json`).
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

/// The bytes `archive.save_to(file)` would write, without touching the disk: LibTorch's file
/// writer throws from a destructor on a full disk, which aborts the process.
inline std::string archive_bytes(torch::serialize::OutputArchive& archive) {
  std::string bytes;
  archive.save_to([&bytes](const void* data, size_t n) {
    bytes.append(static_cast<const char*>(data), n);
    return n;
  });
  return bytes;
}

/// The JSON file beside an optimizer's tensor file.
inline std::string optimizer_description_file(const std::string& tensor_file) {
  return tensor_file.substr(0, tensor_file.size() - 3) + ".json";
}

/// Serialises `opt` portably: {description JSON, tensor dictionary}.
inline std::pair<std::string, std::string> optimizer_bytes(torch::optim::Optimizer& opt) {
  const io::PortableOptimizerState state = io::portable_state(opt);
  return {state.description.dump(1) + "\n",
          state_dict_bytes({state.tensors.begin(), state.tensors.end()})};
}

inline std::string loop_state_bytes(const LoopState& s) {
  torch::serialize::OutputArchive a;
  a.write("step", torch::tensor(s.step));
  a.write("epoch", torch::tensor(s.epoch));
  a.write("training_rng", s.training_rng);
  a.write("sampling_rng", s.sampling_rng);
  a.write("global_rng", s.global_rng);
  a.write("has_data_order", torch::tensor(s.data_order.defined() ? 1 : 0));
  a.write("data_order", s.data_order.defined() ? s.data_order : torch::zeros({0}, torch::kLong));
  a.write("data_position", torch::tensor(s.data_position));
  return archive_bytes(a);
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

/// The checkpoint files of network `name`: its weights, and its optimizer's tensors (beside
/// which `<name>_optimizer.json` holds the rest): `generator.pt`, `generator_optimizer.pt`.
inline std::string network_file(const std::string& name) { return name + ".pt"; }
inline std::string optimizer_file(const std::string& name) { return name + "_optimizer.pt"; }

/// Network names become file names: lower-case letters, digits and '_', not clashing with the
/// checkpoint's own files. `OptionError` otherwise.
inline void check_network_name(const std::string& name) {
  GANCRAFT_CHECK(!name.empty() && name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos,
                 OptionError, "network name '", name, "': use lower-case letters, digits and '_' (it names checkpoint files)");
  GANCRAFT_CHECK(name != "loop_state" && name != "state" && name != "manifest" &&
                     !(name.size() > 10 && name.compare(name.size() - 10, 10, "_optimizer") == 0),
                 OptionError, "network name '", name, "' is reserved for a checkpoint file");
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

/// Reads an optimizer's portable state from a checkpoint directory (without applying it).
inline io::PortableOptimizerState read_optimizer_state(const std::filesystem::path& dir, const char* tensor_file) {
  io::PortableOptimizerState out;
  const std::filesystem::path json_path = dir / optimizer_description_file(tensor_file);
  load_file(json_path, [&] { out.description = nlohmann::json::parse(std::ifstream(json_path)); });
  load_file(dir / tensor_file, [&] {
    for (auto& [name, tensor] : read_state_dict_file(dir / tensor_file)) out.tensors[name] = tensor;
  });
  return out;
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

namespace detail {
inline void write_checkpoint(TrainingContext& ctx, const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  const std::vector<NetworkRef> networks = ctx.networks();
  for (const auto& n : networks) check_finite(*n.module, n.name.c_str(), ctx.step());
  for (const auto& [name, module] : ctx.checkpoint_state()) check_finite(*module, name.c_str(), ctx.step());
  const fs::path parent = dir.has_parent_path() ? dir.parent_path() : fs::path(".");
  fs::create_directories(parent);
  const fs::path tmp = detail::hidden_sibling(dir, "tmp");
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  // Any failure (a full disk, say) removes the half-written temporary and leaves `dir` and
  // every other checkpoint as they were.
  struct RemoveOnFailure {
    fs::path path;
    bool armed = true;
    ~RemoveOnFailure() {
      std::error_code ignored;
      if (armed) fs::remove_all(path, ignored);
    }
  } cleanup{tmp};

  std::vector<std::string> names;
  auto write = [&](const std::string& name, const std::string& bytes) {
    detail::write_file_synced(tmp / name, bytes);
    names.push_back(name);
  };
  auto write_module = [&](torch::nn::Module& module, const std::string& name) {
    torch::serialize::OutputArchive archive;
    module.save(archive);
    write(name, detail::archive_bytes(archive));
  };
  auto write_optimizer = [&](torch::optim::Optimizer& opt, const std::string& name) {
    auto [description, tensors] = detail::optimizer_bytes(opt);
    write(detail::optimizer_description_file(name), description);
    write(name, tensors);
  };
  nlohmann::json network_names = nlohmann::json::array();
  for (const auto& n : networks) {
    check_network_name(n.name);
    write_module(*n.module, network_file(n.name));
    if (n.optimizer) write_optimizer(*n.optimizer, optimizer_file(n.name));
    network_names.push_back(n.name);
  }
  write(CheckpointFiles::loop_state, detail::loop_state_bytes(ctx.loop_state()));
  const TrainerOptions& o = ctx.options();
  // The resume-critical options, then what helps a reader (run length, seed, rates, device).
  nlohmann::json options = ctx.resume_critical_options();
  options["steps"] = o.steps() ? nlohmann::json(*o.steps()) : nlohmann::json(nullptr);
  options["epochs"] = o.epochs() ? nlohmann::json(*o.epochs()) : nlohmann::json(nullptr);
  options["seed"] = o.seed();
  options["device"] = o.device().str();
  nlohmann::json rates = nlohmann::json::object();
  for (const auto& n : networks)
    if (n.optimizer && !n.optimizer->param_groups().empty())
      rates[n.name] = n.optimizer->param_groups().front().options().get_lr();
  options["learning_rates"] = rates;
  const nlohmann::json state = {
      {"step", ctx.step()},
      {"epoch", ctx.epoch()},
      {"format_version", io::Manifest::current_version},
      {"gancraft_version", version},
      {"torch_version", detail::linked_torch_version()},
      {"torch_headers_version", TORCH_VERSION},
      {"networks", network_names},
      {"options", options}};
  write(CheckpointFiles::state, state.dump(2) + "\n");
  for (const auto& [name, module] : ctx.checkpoint_state())  // e.g. GeneratorEMA's weights
    write_module(*module, detail::extra_state_file(name));
  io::Manifest manifest;
  manifest.step = ctx.step();
  for (const auto& name : names) manifest.files.push_back(io::describe_file(tmp / name));
  detail::write_file_synced(tmp / io::Manifest::file_name, io::to_json(manifest) + "\n");
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
      cleanup.armed = false;
      fs::remove_all(trash);
    } else {
      fs::remove_all(tmp);  // now holds the replaced checkpoint
      cleanup.armed = false;
    }
    detail::fsync_path(parent, /*directory=*/true);
  } else {
    fs::rename(tmp, dir);
    cleanup.armed = false;
    detail::fsync_path(parent, /*directory=*/true);
  }
}

}  // namespace detail

/// Saves every network of `ctx` (`networks()`: G and D for a GAN), their optimizers and the loop state of `ctx` into the checkpoint directory `dir`
/// (replacing one already there), crash-safely. Refuses with `DivergenceError`, writing
/// nothing, when a parameter or buffer holds NaN or Inf. Any failure to write (a full disk, a
/// missing permission) is an `IoError` naming the path and the reason, and leaves `dir` and
/// every other checkpoint as they were.
inline void save_checkpoint(TrainingContext& ctx, const std::filesystem::path& dir) {
  try {
    detail::write_checkpoint(ctx, dir);
  } catch (const std::filesystem::filesystem_error& e) {  // creating, renaming, removing
    throw IoError(detail::str(dir.string(), ": cannot save the checkpoint: ", e.what()));
  }
}

/// Checks a checkpoint directory against its manifest without loading it; `IoError` naming
/// the first bad file.
inline io::Manifest verify_checkpoint(const std::filesystem::path& dir) {
  return io::verify_checkpoint_files(dir);
}

/// Restores every network, its optimizer and the loop state from one checkpoint directory, after
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
  // The model's networks first: a checkpoint of another model is refused by name. (A format-3
  // checkpoint written before `networks` was recorded is a GAN's.)
  nlohmann::json mine = nlohmann::json::array();
  for (const auto& n : ctx.networks()) mine.push_back(n.name);
  const nlohmann::json stored_networks = state.value("networks", nlohmann::json({"generator", "discriminator"}));
  GANCRAFT_CHECK(stored_networks == mine, OptionError, dir.string(), ": written by a model with networks ",
                 stored_networks.dump(), " but this trainer's model has networks ", mine.dump());
  const nlohmann::json expected = ctx.resume_critical_options();
  for (const auto& [key, value] : expected.items()) {
    const auto stored = state.value("options", nlohmann::json::object()).value(key, nlohmann::json());
    GANCRAFT_CHECK(stored == value, OptionError, dir.string(), ": written with ", key, " = ",
                   stored.dump(), " but this trainer has ", key, " = ", value.dump());
  }
  const torch::Device device = ctx.options().device();
  // Every file is read and checked before anything changes, so a failure leaves the trainer as
  // it was.
  struct Network {
    torch::nn::Module* module;
    fs::path file;
    torch::serialize::InputArchive archive;
    std::function<void()> restore_optimizer;
  };
  std::vector<Network> networks;
  for (const auto& n : ctx.networks()) {
    Network net{n.module, dir / detail::network_file(n.name), {}, {}};
    GANCRAFT_CHECK(fs::exists(net.file), IoError, net.file.string(), ": missing; the checkpoint has no network '",
                   n.name, "' (", state.value("networks", nlohmann::json::array()).dump(), ")");
    if (n.optimizer) {
      const std::string file = detail::optimizer_file(n.name);
      net.restore_optimizer = io::prepare_restore(*n.optimizer, detail::read_optimizer_state(dir, file.c_str()),
                                                  (dir / file).string());
    }
    net.archive = detail::open_module_archive(*n.module, net.file, device);
    networks.push_back(std::move(net));
  }
  LoopState loop;
  detail::load_file(dir / CheckpointFiles::loop_state, [&] {
    loop = detail::load_loop_state(dir / CheckpointFiles::loop_state);
    // Checked on throw-away generators, so that restoring it cannot fail half-way.
    GANCRAFT_CHECK(loop.step >= 0 && loop.epoch >= 0 && loop.data_position >= 0, IoError,
                   "negative step, epoch or data position");
    make_generator(0).set_state(loop.training_rng);
    make_generator(0).set_state(loop.sampling_rng);
    if (loop.global_rng.defined()) make_generator(0).set_state(loop.global_rng);
  });
  // Extra state already registered (GeneratorEMA) is checked before anything changes too.
  struct Extra {
    torch::nn::Module* module;
    fs::path file;
    torch::serialize::InputArchive archive;
  };
  std::vector<Extra> extras;
  for (const auto& [name, module] : ctx.checkpoint_state())
    if (const fs::path file = dir / detail::extra_state_file(name); fs::exists(file))
      extras.push_back({module.get(), file, detail::open_module_archive(*module, file, device)});
  for (auto& n : networks) {
    detail::load_file(n.file, [&] { n.module->load(n.archive); });
    if (n.restore_optimizer) n.restore_optimizer();
  }
  ctx.restore_loop_state(loop);
  for (auto& e : extras) detail::load_file(e.file, [&] { e.module->load(e.archive); });
  // Extra state a hook registers later (in on_train_begin, after resume) is restored then.
  auto restore_extra = [dir, device](const std::string& name, torch::nn::Module& m) {
    const fs::path file = dir / detail::extra_state_file(name);
    if (!fs::exists(file)) return false;
    auto archive = detail::open_module_archive(m, file, device);
    detail::load_file(file, [&] { m.load(archive); });
    return true;
  };
  ctx.set_extra_state_source(restore_extra);
}

/// The checkpoint directories under `root`, newest first: the one `latest` names, then every
/// other `step-NNNNNN` by descending step. A checkpoint of a higher step whose manifest was
/// written after `latest` comes before it, though: that is what is left when replacing `latest`
/// failed (a full disk), and `resume` must find it. (A higher step written before `latest`, say
/// an older run's in the same root, or one `resume` fell back past, stays behind.) Hidden
/// temporaries (`.tmp-*`, `.trash-*`) are never listed.
inline std::vector<std::filesystem::path> list_checkpoints(const std::filesystem::path& root) {
  namespace fs = std::filesystem;
  std::vector<std::pair<int64_t, fs::path>> found;
  std::error_code ec;
  if (fs::is_directory(root, ec))
    for (const auto& e : fs::directory_iterator(root, ec))
      if (auto step = detail::step_of(e.path().filename().string()); step && e.is_directory(ec))
        found.emplace_back(*step, e.path());
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::ifstream latest_file(root / CheckpointFiles::latest);
  std::string name;
  std::optional<int64_t> latest_step;
  if (latest_file && std::getline(latest_file, name) && fs::is_directory(root / name, ec)) latest_step = detail::step_of(name);
  std::vector<fs::path> out;
  if (latest_step) {
    const auto latest_time = fs::last_write_time(root / CheckpointFiles::latest, ec);
    for (const auto& [step, path] : found) {
      if (step <= *latest_step) break;
      const auto written = fs::last_write_time(path / io::Manifest::file_name, ec);
      if (!ec && written > latest_time) out.push_back(path);
    }
    out.push_back(root / name);
  }
  for (const auto& [step, path] : found)
    if (std::find(out.begin(), out.end(), path) == out.end()) out.push_back(path);
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
/// a warning on `std::cerr` naming the file and the problem (a damaged file, or a format this
/// gancraft does not read). Throws `IoError` when none is valid.
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
      std::cerr << "gancraft: skipping checkpoint that cannot be resumed: " << e.what() << "\n";
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
/// `torch.load(path)` reads as a state dict (`model.load_state_dict(torch.load(path))`), also
/// with PyTorch >= 2.6's default `weights_only=True`. Written atomically.
inline void export_state_dict(torch::nn::Module& module, const std::filesystem::path& path) {
  std::vector<std::pair<std::string, torch::Tensor>> named;
  for (const auto& p : module.named_parameters()) named.emplace_back(p.key(), p.value().detach().cpu());
  for (const auto& b : module.named_buffers()) named.emplace_back(b.key(), b.value().detach().cpu());
  detail::write_file_atomically(path, detail::state_dict_bytes(named));
}

/// Reads a state dict written by `export_state_dict` (or by Python's `torch.save` of a dict of
/// tensors in the legacy, non-zip format) as name → tensor.
inline std::vector<std::pair<std::string, torch::Tensor>> import_state_dict(
    const std::filesystem::path& path) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  detail::load_file(path, [&] { out = detail::read_state_dict_file(path); });
  return out;
}

}  // namespace gancraft
