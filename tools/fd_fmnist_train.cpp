// Trains the Fashion-MNIST classifier behind FD-FMNIST and writes its weights.
//
//   fd_fmnist_train [--data DIR] [--out FILE] [--epochs N] [--seed S]
//
// Deterministic: one thread, a fixed seed, a fixed data order. The committed
// tools/data/fd_fmnist.pt came from the defaults; a run prints the test accuracy.
#include <gancraft/gan.hpp>
#include <gancraft/detail/threads.hpp>
#include <gancraft/metrics/fd_fmnist.hpp>

#include <cstdio>
#include <iostream>
#include <string>

namespace gc = gancraft;

namespace {

double accuracy(gc::models::FashionMnistClassifier& net, const gc::data::FashionMNIST& set) {
  net->eval();
  c10::InferenceMode guard;
  int64_t correct = 0;
  for (int64_t start = 0; start < set.images().size(0); start += 1000) {
    const int64_t n = std::min<int64_t>(1000, set.images().size(0) - start);
    auto pred = net->forward(set.images().narrow(0, start, n)).argmax(1);
    correct += pred.eq(set.labels().narrow(0, start, n)).sum().item<int64_t>();
  }
  return static_cast<double>(correct) / static_cast<double>(set.images().size(0));
}

int64_t integer_at_least(const std::string& option, const std::string& text, int64_t min) {
  try {
    size_t used = 0;
    const long long v = std::stoll(text, &used);
    if (used == text.size() && v >= min) return v;
  } catch (const std::exception&) {
  }
  throw gc::OptionError(option + " needs an integer >= " + std::to_string(min) + ", got '" + text + "'");
}

}  // namespace

int main(int argc, char** argv) try {
  std::string data = "/usr/share/datasets/fashion-mnist";
  std::string out = "fd_fmnist.pt";
  int64_t epochs = 8;
  uint64_t seed = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw gc::OptionError(a + " needs a value");
      return argv[++i];
    };
    if (a == "--data") data = value();
    else if (a == "--out") out = value();
    else if (a == "--epochs") epochs = integer_at_least(a, value(), 1);
    else if (a == "--seed") seed = static_cast<uint64_t>(integer_at_least(a, value(), 0));
    else throw gc::OptionError("unknown argument " + a + " (use --data, --out, --epochs, --seed)");
  }
  torch::set_num_threads(1);
  gc::detail::set_blas_threads(1);
  torch::manual_seed(seed);

  const gc::data::FashionMNIST train(data, gc::data::Split::Train);
  const gc::data::FashionMNIST test(data, gc::data::Split::Test);
  gc::models::FashionMnistClassifier net;
  const int64_t batch = 128;
  const int64_t steps_per_epoch = train.images().size(0) / batch;
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(1e-3));
  at::Generator order = gc::make_generator(seed);
  for (int64_t epoch = 1; epoch <= epochs; ++epoch) {
    // A quarter of the rate for the last quarter of training: a cheap, deterministic schedule.
    if (epoch > epochs * 3 / 4)
      static_cast<torch::optim::AdamOptions&>(opt.param_groups()[0].options()).lr(2.5e-4);
    net->train();
    auto perm = torch::randperm(train.images().size(0), order, torch::TensorOptions().dtype(torch::kLong));
    double loss_sum = 0;
    for (int64_t s = 0; s < steps_per_epoch; ++s) {
      auto idx = perm.narrow(0, s * batch, batch);
      auto x = train.images().index_select(0, idx);
      // Random horizontal flips: clothing is left-right symmetric.
      auto flip = torch::rand({batch}, order).lt(0.5).view({batch, 1, 1, 1});
      x = torch::where(flip, x.flip({3}), x);
      auto loss = torch::nn::functional::cross_entropy(net->forward(x), train.labels().index_select(0, idx));
      opt.zero_grad();
      loss.backward();
      opt.step();
      loss_sum += loss.item<double>();
    }
    std::printf("epoch %lld  loss %.4f  test accuracy %.4f\n", static_cast<long long>(epoch),
                loss_sum / static_cast<double>(steps_per_epoch), accuracy(net, test));
    std::fflush(stdout);
  }
  const double acc = accuracy(net, test);
  gc::export_state_dict(*net, out);
  std::printf("{\"test_accuracy\": %.4f, \"train_accuracy\": %.4f, \"out\": \"%s\"}\n", acc,
              accuracy(net, train), out.c_str());
} catch (const std::exception& e) {
  std::cerr << "fd_fmnist_train: " << e.what() << "\n";
  return 1;
}
