// Catch2's main, compiled once without torch, for v2 and v3 alike. Every run treats a test
// case without a single assertion, and a run whose test names match no test case, as a
// failure, however it is started (CTest or by hand). Set here rather than with `--warn` on the
// command line: Catch2 v2 accepts only one `--warn`.
#if __has_include(<catch2/catch_session.hpp>)
#include <catch2/catch_session.hpp>
#define GANCRAFT_CATCH_NO_TESTS Catch::WarnAbout::UnmatchedTestSpec  // v3 fails "no tests ran" itself
#else
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#define GANCRAFT_CATCH_NO_TESTS Catch::WarnAbout::NoTests
#endif

int main(int argc, char** argv) {
  Catch::Session session;
  if (const int rc = session.applyCommandLine(argc, argv); rc != 0) return rc;
  auto& config = session.configData();
  config.warnings = static_cast<Catch::WarnAbout::What>(config.warnings | Catch::WarnAbout::NoAssertions |
                                                        GANCRAFT_CATCH_NO_TESTS);
  return session.run();
}
