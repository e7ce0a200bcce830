// gancraft consumed via find_package: the umbrella header, the version and a torch op, nothing else.
#include <gancraft/gan.hpp>

#include <torch/torch.h>

#include <iostream>

int main() {
  const float sum = torch::ones({2}).sum().item<float>();
  std::cout << "gancraft " << gancraft::version << " (find_package): torch::ones({2}).sum() = " << sum
            << '\n';
  return sum == 2.0F ? 0 : 1;
}
