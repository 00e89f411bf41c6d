#include "sim/sweep/shared_baseline.hpp"

#include <fstream>
#include <sstream>

#include "sim/config/load.hpp"
#include "sim/eval/evaluate.hpp"
#include "sim/input_error.hpp"
#include "sim/report/report.hpp"

namespace dlasim::sim {
namespace {

using nlohmann::ordered_json;

ordered_json breakdown_json(const Breakdown& b) {
  ordered_json by = ordered_json::object();
  for (const auto& [k, v] : b.by_component) by[k] = v;
  return {{"total", b.total}, {"by_component", by}};
}

Breakdown breakdown_of(const ordered_json& j) {
  Breakdown b;
  b.total = j.at("total").get<double>();
  for (const auto& [k, v] : j.at("by_component").items()) b.by_component[k] = v.get<double>();
  return b;
}

}  // namespace

ordered_json design_result_json(const DesignResult& d) {
  ordered_json layers = ordered_json::array();
  for (const LayerStats& l : d.layers) {
    layers.push_back({{"name", l.name},
                      {"macs", l.macs},
                      {"outputs", l.outputs},
                      {"cycles", l.cycles},
                      {"bound_cycles", l.bound_cycles},
                      {"compute_bound_cycles", l.compute_bound_cycles},
                      {"memory_bound_cycles", l.memory_bound_cycles},
                      {"min_dram_bytes", l.min_dram_bytes},
                      {"dram_bytes", l.dram_bytes},
                      {"passes", l.passes},
                      {"stall_dram", l.stall_dram},
                      {"stall_gbuf", l.stall_gbuf},
                      {"stall_collector_full", l.stall_collector_full},
                      {"utilisation", l.utilisation},
                      {"energy_pj", l.energy_pj},
                      {"sqnr_db", l.sqnr_db},
                      {"saturations", l.saturations},
                      {"zeroed_vectors", l.zeroed_vectors},
                      {"energy_by_component", l.energy_by_component},
                      {"lane_steps", l.lane_steps},
                      {"zero_vector_steps", l.zero_vector_steps},
                      {"zero_scale_products", l.zero_scale_products},
                      {"zero_psums", l.zero_psums},
                      {"gated_dots", l.gated_dots},
                      {"gated_accumulates", l.gated_accumulates},
                      {"operands", l.operands}});
  }
  ordered_json counters = ordered_json::object();
  for (const auto& [k, v] : d.counters) counters[k] = v;
  return {{"label", d.label},
          {"cycles", d.cycles},
          {"macs", d.macs},
          {"sqnr_db", d.sqnr_db},
          {"energy_pj", breakdown_json(d.energy_pj)},
          {"area_um2", breakdown_json(d.area_um2)},
          {"counters", counters},
          {"layers", layers}};
}

DesignResult baseline_result_from_json(const ordered_json& j) {
  DesignResult d;
  try {
    d.label = j.at("label").get<std::string>();
    d.cycles = j.at("cycles").get<uint64_t>();
    d.macs = j.at("macs").get<int64_t>();
    d.sqnr_db = j.at("sqnr_db").get<double>();
    d.energy_pj = breakdown_of(j.at("energy_pj"));
    d.area_um2 = breakdown_of(j.at("area_um2"));
    for (const auto& [k, v] : j.at("counters").items()) d.counters[k] = v.get<uint64_t>();
    for (const ordered_json& l : j.at("layers")) {
      LayerStats s;
      s.name = l.at("name").get<std::string>();
      s.macs = l.at("macs").get<int64_t>();
      s.outputs = l.at("outputs").get<int64_t>();
      s.cycles = l.at("cycles").get<uint64_t>();
      s.bound_cycles = l.at("bound_cycles").get<uint64_t>();
      s.compute_bound_cycles = l.at("compute_bound_cycles").get<uint64_t>();
      s.memory_bound_cycles = l.at("memory_bound_cycles").get<uint64_t>();
      s.min_dram_bytes = l.at("min_dram_bytes").get<uint64_t>();
      s.dram_bytes = l.at("dram_bytes").get<uint64_t>();
      s.passes = l.at("passes").get<int64_t>();
      s.stall_dram = l.at("stall_dram").get<uint64_t>();
      s.stall_gbuf = l.at("stall_gbuf").get<uint64_t>();
      s.stall_collector_full = l.at("stall_collector_full").get<uint64_t>();
      s.utilisation = l.at("utilisation").get<double>();
      s.energy_pj = l.at("energy_pj").get<double>();
      s.sqnr_db = l.at("sqnr_db").get<double>();
      s.saturations = l.at("saturations").get<uint64_t>();
      s.zeroed_vectors = l.at("zeroed_vectors").get<int64_t>();
      for (const auto& [k, v] : l.at("energy_by_component").items()) s.energy_by_component[k] = v.get<double>();
      s.lane_steps = l.at("lane_steps").get<uint64_t>();
      s.zero_vector_steps = l.at("zero_vector_steps").get<uint64_t>();
      s.zero_scale_products = l.at("zero_scale_products").get<uint64_t>();
      s.zero_psums = l.at("zero_psums").get<uint64_t>();
      s.gated_dots = l.at("gated_dots").get<uint64_t>();
      s.gated_accumulates = l.at("gated_accumulates").get<uint64_t>();
      s.operands = l.at("operands").get<std::string>();
      d.layers.push_back(std::move(s));
    }
  } catch (const nlohmann::json::exception& e) {
    throw InputError(std::string("shared baseline results: ") + e.what());
  }
  return d;
}

int run_sweep_point(const SweepPointArgs& a) {
  const Config config = load_config(a.config, a.sets);
  RunOptions options;
  options.operand_cache = a.operand_cache;
  DesignResult shared;
  if (!a.baseline.empty()) {
    std::ifstream in(a.baseline, std::ios::binary);
    if (!in) throw InputError(a.baseline + ": cannot read the shared baseline results");
    std::ostringstream text;
    text << in.rdbuf();
    ordered_json j;
    try {
      j = ordered_json::parse(text.str());
    } catch (const nlohmann::json::exception& e) {
      throw InputError(a.baseline + ": " + e.what());
    }
    shared = baseline_result_from_json(j);
    options.with_baseline = false;
  }
  RunResult result = run_workload(config, options);
  if (!a.baseline.empty()) {
    if (shared.layers.size() != result.design.layers.size() || shared.macs != result.design.macs) {
      throw InputError(a.baseline + ": the shared baseline ran another workload (" +
                       std::to_string(shared.layers.size()) + " layers, " + std::to_string(shared.macs) + " MACs)");
    }
    // The point prepared (but did not simulate) its baseline: its arch (acc_bits: auto sized on this workload) and
    // quantization are the shared baseline's.
    shared.arch = result.baseline.arch;
    shared.quant = result.baseline.quant;
    result.baseline = std::move(shared);
  }
  result.out_dir = a.out;
  if (a.accuracy) {
    Config eval_config = config;
    eval_config.eval.simulate = 0;  // this process has elaborated its one SystemC simulation already
    write_eval(evaluate_model(eval_config, EvalOptions{}), eval_config, a.out);
  }
  write_outputs(result.out_dir, result, config);
  if (!a.baseline_out.empty()) write_file_atomic(a.baseline_out, design_result_json(result.baseline).dump(1) + "\n");
  return 0;
}

}  // namespace dlasim::sim
