// libFuzzer target: layer-table CSV text (sim/workload/layer_table.hpp, which dispatches SCALE-Sim headers) and
// the SCALE-Sim topology parser on its own (sim/workload/scalesim_topology.hpp), see docs/reliability.md.
// Documented error: InputError. Anything else escaping (or a sanitizer report) is a finding.
#include <cstdint>
#include <string>

#include "sim/input_error.hpp"
#include "sim/workload/layer_table.hpp"
#include "sim/workload/scalesim_topology.hpp"

namespace {
void touch(const std::vector<dlasim::sim::LayerSpec>& layers) {
  for (const auto& l : layers) (void)l.attention();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    touch(dlasim::sim::parse_layer_table(text, "fuzz.csv"));
  } catch (const dlasim::sim::InputError&) {
  }
  (void)dlasim::sim::is_scalesim_topology(text);
  try {
    touch(dlasim::sim::parse_scalesim_topology(text, "fuzz_topology.csv"));
  } catch (const dlasim::sim::InputError&) {
  }
  return 0;
}
