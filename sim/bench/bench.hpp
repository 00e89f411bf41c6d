// `dlasim bench NAME`: speed benchmarks that print measured figures (design targets live here, not in
// timed tests).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace dlasim::sim {

struct BenchArgs {
  std::string name;                  // "quant" or "run"
  std::string config = "configs/resnet50.yaml";  // run: the config to simulate
  int64_t elements = 25'600'000;     // quant: floats to quantize (ResNet-50 has 25.5 M weights)
  int repeat = 3;                    // runs per case; the median is reported
  std::vector<std::string> formats;  // quant: formats to time (default: the set)
  bool design_only = false;          // run: simulate and check the design alone (no baseline)
  bool exact_reference = false;      // run: check against the reference's defining loop (no prescaled path)
};

// Runs the benchmark and prints one line per case; throws InputError for an unknown name.
int run_bench(const BenchArgs& args, std::ostream& out);

}  // namespace dlasim::sim
