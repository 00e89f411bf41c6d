// The 8-bit baseline simulated once per sweep (docs/sweeps.md, "Shared baseline"): `dlasim sweep-point`, the
// command a sweep runs per point, either runs a full run and also saves the baseline's results at full
// precision (--baseline-out), or simulates the design alone and takes the baseline from such a file
// (--baseline), writing the same outputs as `dlasim run`.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/config/config.hpp"
#include "sim/run.hpp"

namespace dlasim::sim {

// Every result field of a design except arch and quant (derived from the config), doubles round-trip exact.
nlohmann::ordered_json design_result_json(const DesignResult& d);
// The inverse, without arch and quant (the caller sets them: the point's own run derives the baseline's). Throws
// InputError on a malformed document.
DesignResult baseline_result_from_json(const nlohmann::ordered_json& j);

struct SweepPointArgs {
  std::string config;
  std::vector<std::string> sets;
  std::string out;
  std::string baseline_out;  // full run; also write the baseline's results here (atomically, last)
  std::string baseline;      // design alone; the baseline's results from this file
  std::string operand_cache; // RunOptions::operand_cache
  bool accuracy = false;     // also evaluate the model's accuracy (eval.json; eval.simulate is ignored)
};

// Runs one point; returns the exit code (0). Throws like `dlasim run`.
int run_sweep_point(const SweepPointArgs& a);

}  // namespace dlasim::sim
