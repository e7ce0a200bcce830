/// libFuzzer target: the gancraft tool's config reader (tools/config.hpp): JSON parsing with
/// comments, one `--set key=value` override, and schema validation with defaults.
/// Input: the first line is the override, the rest the config text.
#include <string>
#include <string_view>

#include "tools/config.hpp"

#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto newline = input.find('\n');
  const std::string assignment(input.substr(0, newline));
  const std::string_view text = newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);
  gancraft::fuzz::expect_only_gancraft_errors([&] {
    using gancraft::tools::json;
    json config = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false,
                              /*ignore_comments=*/true);
    if (config.is_discarded()) return;
    if (!assignment.empty()) gancraft::tools::apply_override(config, assignment);
    const json resolved = gancraft::tools::resolve_config(config, "fuzz/config.json");
    // A resolved config is complete and valid: resolving it again changes nothing.
    if (gancraft::tools::resolve_config(resolved, "again") != resolved) __builtin_trap();
  });
  return 0;
}
