// libFuzzer target: YAML configuration text -> Config (sim/config/load.hpp), see docs/reliability.md.
// Documented error: ConfigError. Anything else escaping (or a sanitizer report) is a finding. A config that
// loads must also survive the documented round trip: load_config_text(resolved_yaml(c)) loads again.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "sim/config/load.hpp"

namespace {
// Includes are resolved relative to this directory, which does not exist: a fuzzed include reads no file.
const std::string kDir = "/nonexistent-dlasim-fuzz-dir";
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  dlasim::sim::Config config;
  try {
    config = dlasim::sim::load_config_text(text, "fuzz.yaml", kDir, {});
  } catch (const dlasim::sim::ConfigError&) {
    return 0;
  }
  const std::string resolved = dlasim::sim::resolved_yaml(config);
  try {
    (void)dlasim::sim::load_config_text(resolved, "resolved.yaml", kDir, {});
  } catch (const dlasim::sim::ConfigError& e) {
    std::fprintf(stderr, "fuzz_config: the resolved YAML of a loaded config does not load:\n%s\n--- resolved:\n%s\n",
                 e.what(), resolved.c_str());
    std::abort();
  }
  return 0;
}
