// Must not compile: a generator whose forward takes two tensors (not (z, labels)) with a plain
// discriminator. The test (tests/CMakeLists.txt) checks that the error says forward must take
// one tensor.
#include <gancraft/gan.hpp>

struct TwoInputGenImpl : torch::nn::Module {
  torch::nn::Linear fc{register_module("fc", torch::nn::Linear(4, 2))};
  torch::Tensor forward(torch::Tensor z, torch::Tensor noise) { return fc(z + noise); }
};
TORCH_MODULE(TwoInputGen);

struct PlainCriticImpl : torch::nn::Module {
  torch::nn::Linear fc{register_module("fc", torch::nn::Linear(2, 1))};
  torch::Tensor forward(torch::Tensor x) { return fc(x); }
};
TORCH_MODULE(PlainCritic);

int main() {
  auto trainer = gancraft::Trainer(TwoInputGen{}, PlainCritic{}, gancraft::losses::NonSaturating{});
  (void)trainer;
}
