#pragma once
/// @file gancraft/io/export.hpp
/// Exporting a trained generator as a TorchScript file that C++ (`torch::jit::load`) and Python
/// (`torch.jit.load`) run without gancraft. LibTorch has no public C++ `torch.jit.trace`
/// (pytorch #14811); this header drives LibTorch's tracer itself. Kept out of `gan.hpp`:
/// `torch/script.h` costs compile time that only programs exporting should pay.

#include <gancraft/concepts/conditional_generator.hpp>
#include <gancraft/concepts/generator.hpp>
#include <gancraft/concepts/model.hpp>
#include <gancraft/detail/atomic_file.hpp>
#include <gancraft/detail/exception_text.hpp>
#include <gancraft/error.hpp>
#include <gancraft/version.hpp>
#include <gancraft/training/model_trainer.hpp>
#include <gancraft/training/scoped_state.hpp>
#include <gancraft/training/trainer.hpp>

#include <torch/csrc/jit/frontend/tracer.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace gancraft {

/// What `export_generator` and `export_translator` put into the exported module besides the
/// traced `forward`.
struct ExportOptions {
  /// The exported `sample(n)` resamples every latent entry with |z| > truncation (the
  /// truncation trick of Brock et al. 2018, as `gancraft sample --truncation`); 0 draws plain
  /// N(0, 1). `forward(z)` is never truncated: it runs the latents it is given.
  TORCH_ARG(double, truncation) = 0;
};

namespace detail {

/// A TorchScript module mirroring `m`'s hierarchy, holding `m`'s own parameter and buffer
/// tensors (aliases, so the tracer maps each use to an attribute) under their C++ names.
inline torch::jit::Module mirror_module(torch::nn::Module& m, const std::shared_ptr<torch::jit::CompilationUnit>& cu,
                                        int& counter) {
  // TorchScript class names must be identifiers; the attribute names keep the C++ names.
  torch::jit::Module out(c10::QualifiedName(detail::str("__torch__.gancraft.exported.Module", counter++)), cu,
                         /*shouldMangle=*/true);
  out.register_attribute("training", c10::BoolType::get(), m.is_training());
  for (const auto& p : m.named_parameters(/*recurse=*/false))
    if (p.value().defined()) out.register_parameter(p.key(), p.value(), /*is_buffer=*/false);
  for (const auto& b : m.named_buffers(/*recurse=*/false))
    if (b.value().defined()) out.register_buffer(b.key(), b.value());
  for (const auto& c : m.named_children()) out.register_module(c.key(), mirror_module(*c.value(), cu, counter));
  return out;
}

/// Replaces every tensor attribute of `m` (recursively) by a copy, so the exported module no
/// longer aliases the network it was traced from (whose weights may be swapped back, or train on).
inline void detach_tensors(torch::jit::Module& m) {
  for (torch::jit::Module sub : m.modules()) {
    for (const auto& p : sub.named_parameters(/*recurse=*/false))
      sub.setattr(p.name, p.value.detach().clone().requires_grad_(p.value.requires_grad()));
    for (const auto& b : sub.named_buffers(/*recurse=*/false)) sub.setattr(b.name, b.value.detach().clone());
  }
}

/// `inputs` with their first row appended: a second batch size to check the trace at.
inline std::vector<torch::Tensor> one_row_more(const std::vector<torch::Tensor>& inputs) {
  std::vector<torch::Tensor> out;
  for (const auto& t : inputs) out.push_back(torch::cat({t, t.narrow(0, 0, 1)}));
  return out;
}

/// The last non-empty line of an error: TorchScript's interpreter puts the cause there, after
/// "The following operation failed in the TorchScript interpreter."
inline std::string last_line(const std::exception& e) {
  const auto* c10 = dynamic_cast<const c10::Error*>(&e);
  std::string s = c10 ? c10->what_without_backtrace() : e.what();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s.substr(s.find_last_of('\n') + 1);
}

/// The inputs' shapes, for error messages.
inline std::string shape_list(const std::vector<torch::Tensor>& inputs) {
  std::ostringstream os;
  for (size_t i = 0; i < inputs.size(); ++i) os << (i ? ", " : "") << inputs[i].sizes();
  return os.str();
}

}  // namespace detail

/// Traces `fn(inputs)` into a TorchScript module whose `forward` takes the same tensors.
/// `network`'s parameters and buffers become the module's (under their C++ names, so
/// `state_dict()` in Python lists `net.0.weight` and so on), not constants in the graph; the
/// module holds copies, independent of `network` afterwards. Call it in the mode and under the
/// guards the outputs should reflect (`Trainer::view` and `ModelTrainer::view` give the sampling
/// view). As with Python's `torch.jit.trace`, the graph records the operations one call ran:
/// control flow that depends on values is frozen, and a shape read as a number in C++
/// (`x.size(0)` in a `view`) is a constant. So the trace is run again on a batch one row larger
/// (each input with its first row appended) and compared with `fn`, under the same random seed.
/// @throws OptionError when tracing fails (say, on a parameter of another module) or when the traced module disagrees with `fn` at the second batch size.
inline torch::jit::Module trace_network(torch::nn::Module& network, const std::vector<torch::Tensor>& inputs,
                                        const std::function<torch::Tensor(const std::vector<torch::Tensor>&)>& fn) {
  GANCRAFT_CHECK(!inputs.empty(), OptionError, "trace_network: no example inputs");
  for (const auto& t : inputs)
    GANCRAFT_CHECK(t.defined() && t.dim() >= 1 && t.size(0) >= 1, ShapeError,
                   "trace_network: every example input needs a batch dimension, got ", detail::shape_list(inputs));
  auto cu = std::make_shared<torch::jit::CompilationUnit>();
  int counter = 0;
  torch::jit::Module module = detail::mirror_module(network, cu, counter);
  detail::GlobalGeneratorGuard global_rng;  // the random ops fn may run leave the user's stream as it was
  constexpr uint64_t check_seed = 0x67616e63;
  torch::jit::Stack stack;
  for (const auto& t : inputs) stack.emplace_back(t);
  std::shared_ptr<torch::jit::Graph> graph;
  try {
    torch::manual_seed(check_seed);
    auto traced = torch::jit::tracer::trace(
        std::move(stack),
        [&](torch::jit::Stack in) {
          std::vector<torch::Tensor> xs;
          for (auto& v : in) xs.push_back(v.toTensor());
          return torch::jit::Stack{fn(xs)};
        },
        [](const torch::autograd::Variable&) { return std::string(); }, /*strict=*/true,
        /*force_outplace=*/false, &module);
    graph = traced.first->graph;
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw OptionError(detail::str("trace_network: LibTorch's tracer failed on inputs ", detail::shape_list(inputs), ": ",
                          detail::short_what(e)));
  }
  auto method = cu->create_function(c10::QualifiedName(*module.type()->name(), "forward"), graph);
  module.type()->addMethod(method);
  detail::detach_tensors(module);

  // The same outputs at another batch size, or the trace froze a shape.
  const auto more = detail::one_row_more(inputs);
  torch::Tensor expected;
  torch::manual_seed(check_seed);
  try {
    expected = fn(more);
  } catch (const std::exception& e) {
    throw OptionError(detail::str("trace_network: the network itself fails on a batch of ", more[0].size(0),
                                  " (each input with its first row appended), which the check of the trace runs: ",
                                  detail::short_what(e)));
  }
  std::vector<torch::jit::IValue> args(more.begin(), more.end());
  torch::Tensor got;
  torch::manual_seed(check_seed);
  try {
    got = module.forward(args).toTensor();
  } catch (const std::exception& e) {
    throw OptionError(detail::str("trace_network: the traced network fails on a batch of ", more[0].size(0),
                          " (it was traced on ", inputs[0].size(0),
                          "): its forward probably reads a shape as a number (x.size(0) in view or reshape), "
                          "which tracing records as a constant; use -1 or flatten/unflatten instead (",
                          detail::last_line(e), ")"));
  }
  GANCRAFT_CHECK(got.sizes() == expected.sizes() && torch::allclose(got, expected, 1e-5, 1e-6), OptionError,
                 "trace_network: the traced network disagrees with the network on a batch of ", more[0].size(0),
                 " (it was traced on ", inputs[0].size(0), "; output ", got.sizes(), " against ", expected.sizes(),
                 "): its forward has a branch on tensor values or reads a shape as a number, which tracing "
                 "freezes");
  return module;
}

namespace detail {

/// The exported module's attributes (read by `gancraft sample` and by Python as `m.kind`,
/// `m.latent_dim`, ...) and its `sample(n)` method for generators.
/// `OptionError` for options no export can take.
inline void check_export_options(const ExportOptions& options) {
  GANCRAFT_CHECK(options.truncation() >= 0, OptionError, "export: truncation must be >= 0 (0: none), got ",
                 options.truncation());
}

inline void describe_export(torch::jit::Module& m, const std::string& kind, int64_t latent_dim, int64_t num_classes,
                            const ExportOptions& options) {
  check_export_options(options);
  m.register_attribute("kind", c10::StringType::get(), kind);
  m.register_attribute("latent_dim", c10::IntType::get(), latent_dim);
  m.register_attribute("num_classes", c10::IntType::get(), num_classes);
  m.register_attribute("truncation", c10::FloatType::get(), options.truncation());
  m.register_attribute("gancraft_version", c10::StringType::get(), std::string(GANCRAFT_VERSION_STRING));
  if (kind == "translator") return;
  // TorchScript source: runs in C++ and in Python alike.
  std::string body =
      "def sample(self, n: int) -> Tensor:\n"
      "    z = torch.randn([n, self.latent_dim])\n"
      "    if self.truncation > 0.0:\n"
      "        outside = z.abs() > self.truncation\n"
      "        while bool(outside.any()):\n"
      "            z = torch.where(outside, torch.randn([n, self.latent_dim]), z)\n"
      "            outside = z.abs() > self.truncation\n";
  body += kind == "conditional_generator"
              ? "    return self.forward(z, torch.remainder(torch.arange(n), self.num_classes))\n"
              : "    return self.forward(z)\n";
  m.define(body);
}

template <class G>
torch::jit::Module export_traced_generator(G& g, torch::nn::Module& m, int64_t latent_dim, int64_t num_classes,
                                           const ExportOptions& options) {
  constexpr bool conditional = ConditionalGenerator<G>;
  check_export_options(options);
  GlobalGeneratorGuard global_rng;  // the example latents leave the caller's stream as it was
  const auto device = m.parameters().empty() ? torch::Device(torch::kCPU) : m.parameters().front().device();
  std::vector<torch::Tensor> inputs{torch::randn({2, latent_dim}).to(device)};
  torch::jit::Module out;
  if constexpr (conditional) {
    inputs.push_back(torch::arange(2, torch::kLong).remainder(num_classes).to(device));
    out = trace_network(m, inputs, [&](const std::vector<torch::Tensor>& x) { return g->forward(x[0], x[1]); });
  } else {
    out = trace_network(m, inputs, [&](const std::vector<torch::Tensor>& x) { return g->forward(x[0]); });
  }
  describe_export(out, conditional ? "conditional_generator" : "generator", latent_dim, num_classes, options);
  return out;
}

}  // namespace detail

/// A generator `g` (any `Generator`, or a `ConditionalGenerator` taking `(z, labels)`) as a
/// TorchScript module: `forward(z)` (or `forward(z, labels)`), `sample(n)` (latents from
/// LibTorch's global stream, with `ExportOptions::truncation`; a conditional one gets labels
/// `i % num_classes`), and the attributes `kind` ("generator" or "conditional_generator"),
/// `latent_dim`, `num_classes` (0 for an unconditional one), `truncation`, `gancraft_version`.
/// Traced in eval mode without a graph; `g`'s mode, weights and LibTorch's global stream are
/// left as they were. Save it with `io::save_module`.
/// @throws OptionError as `trace_network`; `OptionError` for latent_dim < 1, or num_classes < 1 for a
///         conditional generator.
template <class G>
  requires Generator<G> || ConditionalGenerator<G>
torch::jit::Module export_generator(G& g, int64_t latent_dim, int64_t num_classes = 0, ExportOptions options = {}) {
  constexpr bool conditional = ConditionalGenerator<G>;
  GANCRAFT_CHECK(latent_dim >= 1, OptionError, "export_generator: latent_dim must be >= 1, got ", latent_dim);
  GANCRAFT_CHECK(!conditional || num_classes >= 1, OptionError,
                 "export_generator: a conditional generator needs num_classes >= 1, got ", num_classes);
  torch::nn::Module& m = detail::module_of(g);
  torch::NoGradGuard no_grad;
  detail::ModeGuard mode(m);
  m.eval();
  return detail::export_traced_generator(g, m, latent_dim, conditional ? num_classes : 0, options);
}

/// A GAN trainer's generator, exported in its sampling view: the mode `TrainerOptions::sample_mode`
/// names and, with `hooks::GeneratorEMA`, the averaged weights. The latent size and class count
/// are the trainer's. Otherwise as `export_generator(g, latent_dim, ...)`.
template <class G, class D, class L, class P>
torch::jit::Module export_generator(Trainer<G, D, L, P>& trainer, ExportOptions options = {}) {
  const auto& o = trainer.options();
  const int64_t classes = ConditionalGenerator<G> ? o.num_classes() : 0;
  return trainer.view([&](G& g) {
    return detail::export_traced_generator(g, detail::module_of(g), o.latent_dim(), classes, options);
  });
}

/// A model's sampling view `generate(z)` (the VAE-GAN's decoder, say), traced over the network
/// "generator" in the view `ModelTrainer::view` gives (EMA weights included). `kind`
/// "generator"; latent size from `TrainerOptions::latent_dim`.
template <class M, class P>
  requires detail::model_generates<M>
torch::jit::Module export_generator(ModelTrainer<M, P>& trainer, ExportOptions options = {}) {
  const int64_t latent = trainer.options().latent_dim();
  detail::check_export_options(options);
  torch::nn::Module& net = *trainer.network("generator").module;
  return trainer.view([&](M& model) {
    const auto device = net.parameters().empty() ? torch::Device(torch::kCPU) : net.parameters().front().device();
    torch::jit::Module out = trace_network(net, {torch::randn({2, latent}).to(device)},
                                           [&](const std::vector<torch::Tensor>& x) { return model.generate(x[0]); });
    detail::describe_export(out, "generator", latent, 0, options);
    return out;
  });
}

/// A model's translating view `translate(source)` (pix2pix's U-Net, the SRResNet, CycleGAN's
/// G), traced over the network "generator" on `example` (a batch of sources of the shape to
/// be served; the trace is checked at one row more). `kind` "translator", `latent_dim` 0.
/// CycleGAN's F: `trace_network(*trainer.network("generator_ba").module, ...)` inside
/// `trainer.view`, as docs/export.md shows.
template <class M, class P>
  requires detail::model_translates<M>
torch::jit::Module export_translator(ModelTrainer<M, P>& trainer, const torch::Tensor& example,
                                     ExportOptions options = {}) {
  GANCRAFT_CHECK(example.defined() && example.dim() >= 2 && example.size(0) >= 1, ShapeError,
                 "export_translator: expected an example batch of sources [N, ...], got ",
                 example.defined() ? example.sizes() : c10::IntArrayRef{});
  detail::check_export_options(options);
  torch::nn::Module& net = *trainer.network("generator").module;
  return trainer.view([&](M& model) {
    const auto device = net.parameters().empty() ? torch::Device(torch::kCPU) : net.parameters().front().device();
    torch::jit::Module out = trace_network(net, {example.to(device)},
                                           [&](const std::vector<torch::Tensor>& x) { return model.translate(x[0]); });
    detail::describe_export(out, "translator", 0, 0, options);
    return out;
  });
}

namespace io {

/// Writes `module` (an exported generator, or any TorchScript module) to `path` atomically: a
/// failed or interrupted write leaves the old file, never a partial one.
/// @throws IoError naming the file.
inline void save_module(const torch::jit::Module& module, const std::filesystem::path& path) {
  std::ostringstream bytes;
  try {
    module.save(bytes);
  } catch (const std::exception& e) {
    throw IoError(detail::str(path.string(), ": cannot serialise the module: ", detail::short_what(e)));
  }
  detail::write_file_atomically(path, bytes.str());
}

/// Loads a TorchScript file (an exported generator) in eval mode on `device`. A TorchScript file
/// is code: load only files you trust (gancraft checks nothing about where it came from).
/// @throws IoError naming the file when it is missing or not a TorchScript archive.
inline torch::jit::Module load_module(const std::filesystem::path& path, torch::Device device = torch::kCPU) {
  GANCRAFT_CHECK(std::filesystem::is_regular_file(path), IoError, path.string(), ": no such file");
  torch::jit::Module m;
  try {
    m = torch::jit::load(path.string(), device);
  } catch (const c10::Error& e) {
    throw IoError(detail::str(path.string(), ": not a readable TorchScript module: ", e.what_without_backtrace()));
  }
  m.eval();
  return m;
}

}  // namespace io
}  // namespace gancraft
