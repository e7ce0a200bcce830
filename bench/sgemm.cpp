// The machine's own limit for bench_gan_step: single-precision matrix-multiply GFLOP/s of the
// loaded BLAS at a thread count (docs/performance.md).
//
//   bench_sgemm [--threads N] [--n 1024] [--reps R]
//
// Multiplies two N×N float matrices with torch::mm, which LibTorch hands to the BLAS's sgemm;
// prints one JSON line with the best of R timed products (after one warm-up).
#include "bench_models.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <string>

int main(int argc, char** argv) try {
  std::map<std::string, std::string> a{{"threads", "1"}, {"n", "1024"}, {"reps", "10"}};
  for (int i = 1; i + 1 < argc; i += 2) a[std::string(argv[i]).substr(2)] = argv[i + 1];
  const int threads = std::stoi(a["threads"]);
  const int64_t n = std::stoll(a["n"]);
  const int reps = std::stoi(a["reps"]);
  torch::set_num_threads(threads);
  gancraft::detail::set_blas_threads(threads);
  at::Generator gen = gancraft::make_generator(1);
  const torch::Tensor x = torch::randn({n, n}, gen), y = torch::randn({n, n}, gen);
  torch::Tensor out = torch::empty({n, n});
  torch::mm_out(out, x, y);
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    const auto start = std::chrono::steady_clock::now();
    torch::mm_out(out, x, y);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  const double flops = 2.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n);
  std::cout << nlohmann::json{{"bench", "sgemm"},
                              {"impl", "blas"},
                              {"n", n},
                              {"gflops", flops / best / 1e9},
                              {"ms_per_step", 1000.0 * best},
                              {"steps_per_s", 1.0 / best},
                              {"peak_rss_mb", bench::peak_rss_mb()},
                              {"threads", threads},
                              {"blas", gancraft::detail::blas_description()}}
                   .dump()
            << std::endl;
  return 0;
} catch (const std::exception& e) {
  std::cerr << "bench_sgemm: " << e.what() << "\n";
  return 1;
}
