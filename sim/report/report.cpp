#include "sim/report/report.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <fmt/ranges.h>

#include "sim/config/load.hpp"
#include "sim/input_error.hpp"
#include "sim/report/plots.hpp"
#include "sim/report/figures.hpp"

namespace dlasim::sim {

namespace {

using nlohmann::ordered_json;

double ratio(double design, double baseline) { return baseline != 0.0 ? design / baseline : 0.0; }

// Activity of a layer or a whole design as fractions of its busy lane-steps (0 when it has none).
struct Activity {
  uint64_t lane_steps = 0, zero_vector = 0, zero_scale = 0, zero_psum = 0, gated_dots = 0, gated_accumulates = 0;
  void add(const LayerStats& l) {
    lane_steps += l.lane_steps;
    zero_vector += l.zero_vector_steps;
    zero_scale += l.zero_scale_products;
    zero_psum += l.zero_psums;
    gated_dots += l.gated_dots;
    gated_accumulates += l.gated_accumulates;
  }
  double frac(uint64_t n) const { return lane_steps > 0 ? double(n) / double(lane_steps) : 0.0; }
};
Activity activity_of(const LayerStats& l) {
  Activity a;
  a.add(l);
  return a;
}
Activity activity_of(const DesignResult& d) {
  Activity a;
  for (const LayerStats& l : d.layers) a.add(l);
  return a;
}

// Fractions of the busy lane-steps, as written to summary.json and layers.json entries.
nlohmann::ordered_json activity_json(const Activity& a);

// A component's design/baseline ratio; undefined (nullopt) when the baseline has none of it.
std::optional<double> component_ratio(double design, double baseline) {
  if (baseline == 0.0) return std::nullopt;
  return design / baseline;
}

// Rounds to 6 significant digits so reports are stable to the last printed digit.
double sig6(double v) {
  if (v == 0.0 || !std::isfinite(v)) return v;
  return std::stod(fmt::format("{:.6g}", v));
}

ordered_json breakdown_json(const Breakdown& b) {
  ordered_json j = ordered_json::object();
  for (const auto& [k, v] : b.by_component) j[k] = sig6(v);
  return j;
}

// Each component's share of the total in %.
ordered_json share_json(const Breakdown& b) {
  ordered_json j = ordered_json::object();
  for (const auto& [k, v] : b.by_component) j[k] = sig6(100.0 * v / b.total);
  return j;
}

Figures figures_of(const DesignResult& d, double clock_mhz) {
  return compute_figures(d.macs, d.cycles, clock_mhz, d.arch.peak_macs_per_cycle(), d.energy_pj.total,
                         d.area_um2.total);
}

// Per-vector scale codes 0 (vectors dequantized to 0) over a design's layers: weights + inputs + outputs.
int64_t zeroed_vectors(const DesignResult& d) {
  int64_t n = 0;
  for (const LayerStats& l : d.layers) n += l.zeroed_vectors;
  return n;
}

// Overflow policy (docs/reliability.md): a line of saturation and zeroed-vector totals per design, and a
// warning naming the layers when either is non-zero.
void print_overflow(std::ostream& os, const DesignResult& d, const DesignResult& b) {
  for (const DesignResult* z : {&d, &b}) {
    fmt::print(os, "overflow {:<8} {:<12} {} accumulator saturations, {} vectors zeroed (per-vector scale code 0)\n",
               z == &d ? "design" : "baseline", z->label, z->counters.at("pe.collector.saturations"), zeroed_vectors(*z));
  }
  std::vector<std::string> saturated, zeroed;
  uint64_t sat = 0;
  int64_t zero = 0;
  for (const DesignResult* z : {&d, &b}) {
    for (const LayerStats& l : z->layers) {
      const std::string name = z == &d ? l.name : l.name + " (baseline)";
      if (l.saturations > 0) saturated.push_back(name);
      if (l.zeroed_vectors > 0) zeroed.push_back(name);
      sat += l.saturations;
      zero += l.zeroed_vectors;
    }
  }
  if (sat > 0) {
    fmt::print(os, "warning: {} accumulator saturations in layers {} (see layers.csv)\n", sat,
               fmt::join(saturated, ", "));
  }
  if (zero > 0) {
    fmt::print(os, "warning: {} per-vector scale codes underflowed to 0 (vectors zeroed) in layers {} (see layers.csv)\n",
               zero, fmt::join(zeroed, ", "));
  }
}

ordered_json design_json(const DesignResult& d, double clock_mhz) {
  const double seconds = d.cycles / (clock_mhz * 1e6);
  const Figures f = figures_of(d, clock_mhz);
  ordered_json j;
  j["label"] = d.label;
  j["has_scale_unit"] = d.arch.has_scale_unit();
  j["cycles"] = d.cycles;
  j["bound_cycles"] = [&] {
    uint64_t b = 0;
    for (const LayerStats& l : d.layers) b += l.bound_cycles;
    return b;
  }();
  j["utilisation"] = sig6(double(d.macs) / (double(d.cycles) * d.arch.peak_macs_per_cycle()));
  j["time_us"] = sig6(seconds * 1e6);
  j["acc_bits"] = d.arch.acc_bits;
  j["gating"] = hw::gating_name(d.arch.gating);
  j["energy_pj"] = sig6(d.energy_pj.total);
  j["energy_dynamic_pj"] = sig6(d.energy_pj.dynamic_part());
  j["energy_static_pj"] = sig6(d.energy_pj.static_part());
  j["activity"] = activity_json(activity_of(d));
  j["energy_per_mac_fj"] = sig6(d.energy_pj.total * 1e3 / double(d.macs));
  j["area_um2"] = sig6(d.area_um2.total);
  j["peak_macs_per_cycle"] = d.arch.peak_macs_per_cycle();
  j["energy_per_op_fj"] = sig6(f.energy_per_op_fj);
  j["power_mw"] = sig6(f.power_mw);
  j["tops_per_w"] = sig6(f.tops_per_w);
  j["achieved_tops"] = sig6(f.achieved_tops);
  j["peak_tops"] = sig6(f.peak_tops);
  j["area_mm2"] = sig6(f.area_mm2);
  j["peak_tops_per_mm2"] = sig6(f.peak_tops_per_mm2);
  j["achieved_tops_per_mm2"] = sig6(f.achieved_tops_per_mm2);
  j["sqnr_db"] = sig6(d.sqnr_db);
  j["saturations"] = d.counters.at("pe.collector.saturations");
  j["zeroed_vectors"] = zeroed_vectors(d);
  j["energy_by_component_pj"] = breakdown_json(d.energy_pj);
  j["energy_share_by_component_pct"] = share_json(d.energy_pj);
  j["area_by_component_um2"] = breakdown_json(d.area_um2);
  j["area_share_by_component_pct"] = share_json(d.area_um2);
  ordered_json counters = ordered_json::object();
  for (const auto& [k, v] : d.counters) counters[k] = v;
  j["counters"] = counters;
  return j;
}

ordered_json activity_json(const Activity& a) {
  return {{"lane_steps", a.lane_steps},
          {"zero_vector_fraction", sig6(a.frac(a.zero_vector))},
          {"zero_scale_product_fraction", sig6(a.frac(a.zero_scale))},
          {"zero_psum_fraction", sig6(a.frac(a.zero_psum))},
          {"gated_dot_fraction", sig6(a.frac(a.gated_dots))},
          {"gated_accumulate_fraction", sig6(a.frac(a.gated_accumulates))}};
}

ordered_json layer_json(const LayerStats& l) {
  ordered_json j;
  j["cycles"] = l.cycles;
  j["bound_cycles"] = l.bound_cycles;
  j["compute_bound_cycles"] = l.compute_bound_cycles;
  j["memory_bound_cycles"] = l.memory_bound_cycles;
  j["utilisation"] = sig6(l.utilisation);
  j["stall_cycles"] = {{"dram", l.stall_dram}, {"gbuf", l.stall_gbuf}, {"collector_full", l.stall_collector_full}};
  j["dram_bytes"] = l.dram_bytes;
  j["min_dram_bytes"] = l.min_dram_bytes;
  j["passes"] = l.passes;
  j["energy_pj"] = sig6(l.energy_pj);
  ordered_json components = ordered_json::object();
  for (const auto& [c, pj] : l.energy_by_component) components[c] = sig6(pj);
  j["energy_by_component_pj"] = components;
  j["activity"] = activity_json(activity_of(l));
  j["sqnr_db"] = sig6(l.sqnr_db);
  j["saturations"] = l.saturations;
  j["zeroed_vectors"] = l.zeroed_vectors;
  j["operands"] = l.operands;
  return j;
}

std::set<std::string> components(const Breakdown& a, const Breakdown& b) {
  std::set<std::string> s;
  for (const auto& kv : a.by_component) s.insert(kv.first);
  for (const auto& kv : b.by_component) s.insert(kv.first);
  return s;
}

double get(const Breakdown& b, const std::string& k) {
  const auto it = b.by_component.find(k);
  return it == b.by_component.end() ? 0.0 : it->second;
}

// design/baseline per component; null where the baseline has none of the component.
ordered_json component_ratio_json(const Breakdown& d, const Breakdown& b) {
  ordered_json j = ordered_json::object();
  for (const std::string& c : components(d, b)) {
    const std::optional<double> r = component_ratio(get(d, c), get(b, c));
    j[c] = r ? ordered_json(sig6(*r)) : ordered_json(nullptr);
  }
  return j;
}

std::string breakdown_csv(const Breakdown& d, const Breakdown& b, const std::string& unit) {
  std::string out = fmt::format("component,design_{0},design_pct,baseline_{0},baseline_pct,ratio\n", unit);
  for (const std::string& c : components(d, b)) {
    const std::optional<double> r = component_ratio(get(d, c), get(b, c));
    out += fmt::format("{},{:.6g},{:.4g},{:.6g},{:.4g},{}\n", c, get(d, c), 100.0 * get(d, c) / d.total, get(b, c),
                       100.0 * get(b, c) / b.total, r ? fmt::format("{:.4g}", *r) : std::string());
  }
  out += fmt::format("total,{:.6g},100,{:.6g},100,{:.4g}\n", d.total, b.total, ratio(d.total, b.total));
  return out;
}

// Terminal table of a design's and its baseline's breakdown by component (value, %, ratio); the total
// row is optional because the energy total already stands in the layer table.
void print_breakdown(std::ostream& os, const std::string& title, const std::string& unit, const Breakdown& d,
                     const Breakdown& b, bool with_total) {
  fmt::print(os, "{:<18} {:>12} {:>7} {:>12} {:>7} {:>7}\n", title, "design " + unit, "%", "baseline " + unit, "%",
             "ratio");
  for (const std::string& comp : components(d, b)) {
    const std::optional<double> r = component_ratio(get(d, comp), get(b, comp));
    fmt::print(os, "{:<18} {:>12.4g} {:>6.1f}% {:>12.4g} {:>6.1f}% {:>7}\n", comp, get(d, comp),
               100.0 * get(d, comp) / d.total, get(b, comp), 100.0 * get(b, comp) / b.total,
               r ? fmt::format("{:.3f}", *r) : std::string("-"));
  }
  if (with_total) {
    fmt::print(os, "{:<18} {:>12.4g} {:>7} {:>12.4g} {:>7} {:>7.3f}\n", "total", d.total, "", b.total, "",
               ratio(d.total, b.total));
  }
}

// Terminal block of the figures (figures.hpp) of the design and the baseline with their ratio.
void print_figures(std::ostream& os, const Figures& d, const Figures& b, double clock_mhz) {
  const Figures r = ratio_of(d, b);
  const std::string title = fmt::format("figures (1 MAC = {} ops, clock {:g} MHz)", kOpsPerMac, clock_mhz);
  fmt::print(os, "{:<40} {:>10} {:>10} {:>7}\n", title, "design", "baseline", "ratio");
  const auto row = [&](const char* name, double Figures::*field) {
    fmt::print(os, "{:<40} {:>10.4g} {:>10.4g} {:>7.3f}\n", name, d.*field, b.*field, r.*field);
  };
  row("energy per op (fJ/op)", &Figures::energy_per_op_fj);
  row("TOPS/W (ops/pJ)", &Figures::tops_per_w);
  row("average power (mW)", &Figures::power_mw);
  row("throughput achieved (TOPS)", &Figures::achieved_tops);
  row("throughput peak (TOPS)", &Figures::peak_tops);
  row("area (mm2)", &Figures::area_mm2);
  row("TOPS/mm2 peak", &Figures::peak_tops_per_mm2);
  row("TOPS/mm2 achieved", &Figures::achieved_tops_per_mm2);
}

}  // namespace

ordered_json summary_json(const RunResult& r, const Config& c) {
  ordered_json j;
  j["dlasim_version"] = DLASIM_VERSION;
  j["run"] = c.run.name;
  j["seed"] = c.run.seed;
  j["tech"] = r.tech_name;
  j["clock_mhz"] = c.arch.clock_mhz;
  j["macs"] = r.design.macs;
  j["ops_per_mac"] = kOpsPerMac;
  j["ops"] = kOpsPerMac * r.design.macs;
  ordered_json operands = ordered_json::object();  // layers of the design by operand origin (sim/operands.hpp)
  for (const LayerStats& l : r.design.layers) operands[l.operands] = operands.value(l.operands, 0) + 1;
  j["operands"] = operands;
  j["design"] = design_json(r.design, c.arch.clock_mhz);
  j["baseline"] = design_json(r.baseline, c.arch.clock_mhz);
  const Figures q = ratio_of(figures_of(r.design, c.arch.clock_mhz), figures_of(r.baseline, c.arch.clock_mhz));
  j["ratio_to_baseline"] = {
      {"cycles", sig6(ratio(r.design.cycles, r.baseline.cycles))},
      {"energy", sig6(ratio(r.design.energy_pj.total, r.baseline.energy_pj.total))},
      {"area", sig6(ratio(r.design.area_um2.total, r.baseline.area_um2.total))},
      {"energy_per_op", sig6(q.energy_per_op_fj)},
      {"power", sig6(q.power_mw)},
      {"tops_per_w", sig6(q.tops_per_w)},
      {"achieved_tops", sig6(q.achieved_tops)},
      {"peak_tops", sig6(q.peak_tops)},
      {"peak_tops_per_mm2", sig6(q.peak_tops_per_mm2)},
      {"achieved_tops_per_mm2", sig6(q.achieved_tops_per_mm2)},
      {"energy_by_component", component_ratio_json(r.design.energy_pj, r.baseline.energy_pj)},
      {"area_by_component", component_ratio_json(r.design.area_um2, r.baseline.area_um2)},
  };
  ordered_json layers = ordered_json::array();
  for (std::size_t i = 0; i < r.design.layers.size(); ++i) {
    layers.push_back({{"name", r.design.layers[i].name},
                      {"macs", r.design.layers[i].macs},
                      {"design", layer_json(r.design.layers[i])},
                      {"baseline", layer_json(r.baseline.layers[i])}});
  }
  j["layers"] = layers;
  return j;
}

// Per-layer energy components and activity columns of layers.csv, after the fixed columns: one column per energy
// component either design has (0 where a design has none), then the activity fractions.
std::vector<std::string> layer_components(const RunResult& r) {
  std::set<std::string> names;
  for (const DesignResult* d : {&r.design, &r.baseline}) {
    for (const LayerStats& l : d->layers) {
      for (const auto& kv : l.energy_by_component) names.insert(kv.first);
    }
  }
  return {names.begin(), names.end()};
}

std::string layer_extra_header(const std::vector<std::string>& components, const char* who) {
  std::string out;
  for (const std::string& c : components) out += fmt::format(",{}_energy_{}_pj", who, c);
  for (const char* f : {"zero_vector", "zero_scale_product", "zero_psum", "gated_dot", "gated_accumulate"}) {
    out += fmt::format(",{}_{}_fraction", who, f);
  }
  return out;
}

std::string layer_extra(const std::vector<std::string>& components, const LayerStats& l) {
  std::string out;
  for (const std::string& c : components) {
    const auto it = l.energy_by_component.find(c);
    out += fmt::format(",{:.6g}", it == l.energy_by_component.end() ? 0.0 : it->second);
  }
  const Activity a = activity_of(l);
  for (const uint64_t n : {a.zero_vector, a.zero_scale, a.zero_psum, a.gated_dots, a.gated_accumulates}) {
    out += fmt::format(",{:.6g}", a.frac(n));
  }
  return out;
}

std::string layers_csv(const RunResult& r) {
  const std::vector<std::string> components = layer_components(r);
  std::string out =
      "layer,macs,operands,design_cycles,design_bound_cycles,design_utilisation,design_dram_bytes,design_stall_dram,"
      "design_stall_gbuf,design_stall_collector_full,design_energy_pj,design_sqnr_db,design_saturations,"
      "design_zeroed_vectors,baseline_cycles,baseline_bound_cycles,baseline_utilisation,baseline_dram_bytes,"
      "baseline_stall_dram,baseline_stall_gbuf,baseline_stall_collector_full,baseline_energy_pj,baseline_sqnr_db,"
      "baseline_saturations,cycles_ratio,energy_ratio" +
      layer_extra_header(components, "design") + layer_extra_header(components, "baseline") + "\n";
  for (std::size_t i = 0; i < r.design.layers.size(); ++i) {
    const LayerStats& d = r.design.layers[i];
    const LayerStats& b = r.baseline.layers[i];
    out += fmt::format("{},{},{},{},{},{:.6g},{},{},{},{},{:.6g},{:.6g},{},{},", d.name, d.macs, d.operands,
                       d.cycles, d.bound_cycles,
                       d.utilisation, d.dram_bytes, d.stall_dram, d.stall_gbuf, d.stall_collector_full, d.energy_pj,
                       d.sqnr_db, d.saturations, d.zeroed_vectors);
    out += fmt::format("{},{},{:.6g},{},{},{},{},{:.6g},{:.6g},{},{:.6g},{:.6g}\n", b.cycles, b.bound_cycles,
                       b.utilisation, b.dram_bytes, b.stall_dram, b.stall_gbuf, b.stall_collector_full, b.energy_pj,
                       b.sqnr_db, b.saturations, ratio(d.cycles, b.cycles), ratio(d.energy_pj, b.energy_pj));
    out.pop_back();  // the newline: the extra columns follow
    out += layer_extra(components, d) + layer_extra(components, b) + "\n";
  }
  return out;
}

std::string energy_csv(const RunResult& r) { return breakdown_csv(r.design.energy_pj, r.baseline.energy_pj, "pj"); }
std::string area_csv(const RunResult& r) { return breakdown_csv(r.design.area_um2, r.baseline.area_um2, "um2"); }

void print_report(std::ostream& os, const RunResult& r, const Config& c) {
  const DesignResult& d = r.design;
  const DesignResult& b = r.baseline;
  fmt::print(os, "dlasim {} — run '{}', {} layers, {} MACs, tech {}\n", DLASIM_VERSION, c.run.name, d.layers.size(),
             d.macs, r.tech_name);
  fmt::print(os, "design   {:<12} {} PEs x {} lanes x V={}, acc {} b, scale unit {}, gating {}\n", d.label, d.arch.pes,
             d.arch.lanes, d.arch.vector_size, d.arch.acc_bits, d.arch.has_scale_unit() ? "yes" : "no",
             hw::gating_name(d.arch.gating));
  fmt::print(os, "baseline {:<12} same array, acc {} b, no scale unit, gating {}\n", b.label, b.arch.acc_bits,
             hw::gating_name(b.arch.gating));
  const auto bandwidth = [](double v) { return v > 0.0 ? fmt::format("{:g} B/cycle", v) : std::string("unlimited"); };
  fmt::print(os, "memory   DRAM {}, {} cycles; global buffer {:g} KiB; PE buffers {:g} + {:g} KiB, {}\n",
             bandwidth(d.arch.dram_bytes_per_cycle), d.arch.dram_latency_cycles, d.arch.gbuf_kib,
             d.arch.weight_buffer_kib, d.arch.input_buffer_kib,
             d.arch.double_buffering ? "double-buffered" : "single slot");
  uint64_t stall_dram = 0, stall_gbuf = 0, stall_bank = 0;
  for (const LayerStats& l : d.layers) {
    stall_dram += l.stall_dram;
    stall_gbuf += l.stall_gbuf;
    stall_bank += l.stall_collector_full;
  }
  fmt::print(os, "         design stalls: {} cycles waiting for DRAM, {} for the global buffer, {} for a collector "
             "bank (per layer in layers.csv)\n\n",
             stall_dram, stall_gbuf, stall_bank);
  std::size_t name_width = 12;  // the layer column fits the longest name
  for (const LayerStats& l : d.layers) name_width = std::max(name_width, l.name.size());
  fmt::print(os, "{:<{}} {:>10} | {:>9} {:>6} {:>11} {:>8} | {:>9} {:>6} {:>11} {:>8} | {:>6} {:>6}\n", "layer", name_width, "MACs",
             "cycles", "util", "energy pJ", "SQNR dB", "cycles", "util", "energy pJ", "SQNR dB", "cyc x", "enrg x");
  fmt::print(os, "{:<{}} {:>10} | {:^38} | {:^38} |\n", "", name_width, "", "design " + d.label, "baseline " + b.label);
  for (std::size_t i = 0; i < d.layers.size(); ++i) {
    const LayerStats& x = d.layers[i];
    const LayerStats& y = b.layers[i];
    fmt::print(os, "{:<{}} {:>10} | {:>9} {:>5.1f}% {:>11.4g} {:>8.2f} | {:>9} {:>5.1f}% {:>11.4g} {:>8.2f} | {:>6.3f} {:>6.3f}\n",
               x.name, name_width, x.macs, x.cycles, 100 * x.utilisation, x.energy_pj, x.sqnr_db, y.cycles, 100 * y.utilisation, y.energy_pj,
               y.sqnr_db, ratio(x.cycles, y.cycles), ratio(x.energy_pj, y.energy_pj));
  }
  auto util = [](const DesignResult& z) { return double(z.macs) / (double(z.cycles) * z.arch.peak_macs_per_cycle()); };
  fmt::print(os, "{:<{}} {:>10} | {:>9} {:>5.1f}% {:>11.4g} {:>8.2f} | {:>9} {:>5.1f}% {:>11.4g} {:>8.2f} | {:>6.3f} {:>6.3f}\n\n",
             "total", name_width, d.macs, d.cycles, 100 * util(d), d.energy_pj.total, d.sqnr_db, b.cycles, 100 * util(b), b.energy_pj.total,
             b.sqnr_db, ratio(d.cycles, b.cycles), ratio(d.energy_pj.total, b.energy_pj.total));
  print_breakdown(os, "energy component", "pJ", d.energy_pj, b.energy_pj, /*with_total=*/false);
  fmt::print(os, "energy: design {:.4g} pJ dynamic + {:.4g} pJ static (leakage); baseline {:.4g} + {:.4g}\n",
             d.energy_pj.dynamic_part(), d.energy_pj.static_part(), b.energy_pj.dynamic_part(), b.energy_pj.static_part());
  for (const DesignResult* z : {&d, &b}) {
    const Activity a = activity_of(*z);
    fmt::print(os, "activity {:<8} of the busy lane-steps {:.1f}% have a zero operand vector, {:.1f}% a zero scale product, "
               "{:.1f}% a zero partial sum; gating ({}) held {:.1f}% of the dot products and skipped {:.1f}% of the "
               "accumulates (per layer in layers.csv)\n",
               z == &d ? "design" : "baseline", 100 * a.frac(a.zero_vector), 100 * a.frac(a.zero_scale),
               100 * a.frac(a.zero_psum), hw::gating_name(z->arch.gating), 100 * a.frac(a.gated_dots),
               100 * a.frac(a.gated_accumulates));
  }
  fmt::print(os, "\n");
  print_breakdown(os, "area component", "um2", d.area_um2, b.area_um2, /*with_total=*/true);
  fmt::print(os, "\n");
  print_figures(os, figures_of(d, c.arch.clock_mhz), figures_of(b, c.arch.clock_mhz), c.arch.clock_mhz);
  fmt::print(os, "\n");
  print_overflow(os, d, b);
  int64_t outputs = 0;
  for (const LayerStats& l : d.layers) outputs += l.outputs;
  fmt::print(os, "bit-exact: all {} outputs of the {} layers match the reference, in the design and the baseline\n",
             outputs, d.layers.size());
  if (!r.out_dir.empty()) fmt::print(os, "outputs: {}/\n", r.out_dir);
}

int report_dir(const std::string& dir, std::ostream& os) {
  if (std::filesystem::exists(dir + "/sweep.json")) {
    const std::string path = dir + "/sweep.json";
    nlohmann::json j;
    try {
      std::ifstream in(path);
      j = nlohmann::json::parse(in);
      for (const std::string& image : render_sweep_plots(dir, j)) fmt::print(os, "plot: {}\n", image);
    } catch (const nlohmann::json::exception& e) {
      throw InputError(path + ": not a valid sweep.json: " + e.what());
    }
    return 0;
  }
  const std::string path = dir + "/summary.json";
  std::ifstream in(path);
  if (!in) throw InputError(path + ": cannot open (expected the directory of a finished `dlasim run`)");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path + ": not a valid summary.json: " + e.what());
  }
  try {
    fmt::print(os, "run '{}': {} layers, {} MACs, tech {}\n", j.at("run").get<std::string>(), j.at("layers").size(),
               j.at("macs").get<int64_t>(), j.at("tech").get<std::string>());
    for (const char* side : {"design", "baseline"}) {
      const auto& d = j.at(side);
      fmt::print(os, "{:<9} {:<14} {:>12} cycles {:>12.4g} pJ {:>10.4g} um2 {:>8.2f} dB SQNR\n", side,
                 d.at("label").get<std::string>(), d.at("cycles").get<uint64_t>(), d.at("energy_pj").get<double>(),
                 d.at("area_um2").get<double>(), d.at("sqnr_db").get<double>());
    }
    for (const std::string& image : render_run_plots(dir, j)) fmt::print(os, "plot: {}\n", image);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path + ": missing or malformed field: " + e.what());
  }
  return 0;
}

void write_file_atomic(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw std::runtime_error("cannot write " + tmp);
    f << content;
    f.flush();
    if (!f) throw std::runtime_error("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path);
}

void write_outputs(const std::string& dir, const RunResult& r, const Config& c) {
  std::filesystem::create_directories(dir);
  write_file_atomic(dir + "/config.resolved.yaml", resolved_yaml(c));
  write_file_atomic(dir + "/summary.json", summary_json(r, c).dump(2) + "\n");
  write_file_atomic(dir + "/layers.csv", layers_csv(r));
  write_file_atomic(dir + "/energy.csv", energy_csv(r));
  write_file_atomic(dir + "/area.csv", area_csv(r));
}

}  // namespace dlasim::sim
