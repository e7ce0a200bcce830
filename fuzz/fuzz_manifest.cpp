/// libFuzzer target: gancraft::io::parse_manifest (checkpoint manifest.json).
#include <string_view>

#include <gancraft/io/manifest.hpp>

#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  gancraft::fuzz::expect_only_gancraft_errors([&] {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const gancraft::io::Manifest m = gancraft::io::parse_manifest(text, "fuzz/manifest.json");
    // What was accepted must survive a round trip through to_json.
    const gancraft::io::Manifest again =
        gancraft::io::parse_manifest(gancraft::io::to_json(m), "round-trip");
    if (again.files.size() != m.files.size() || again.step != m.step) __builtin_trap();
  });
  return 0;
}
