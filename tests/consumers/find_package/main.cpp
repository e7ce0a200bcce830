// gancraft consumed via find_package: the umbrella header, the version, a torch op and the
// FD-FMNIST classifier that the install ships (found at run time, loaded and run).
#include <gancraft/gan.hpp>

#include <torch/torch.h>

#include <iostream>

int main() {
  const float sum = torch::ones({2}).sum().item<float>();
  std::cout << "gancraft " << gancraft::version << " (find_package): torch::ones({2}).sum() = " << sum
            << '\n';
  const auto weights = gancraft::metrics::fd_fmnist_weights();
  auto features = gancraft::metrics::fd_fmnist_extractor(gancraft::metrics::load_fd_fmnist_classifier(weights));
  const auto f = features(torch::zeros({2, 1, 28, 28}));
  std::cout << "fd-fmnist weights: " << weights.string() << " (features " << f.sizes() << ")\n";
  return sum == 2.0F && f.size(1) == 128 ? 0 : 1;
}
