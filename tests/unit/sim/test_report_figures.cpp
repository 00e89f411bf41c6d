// Report figures (energy per op, TOPS/W, TOPS/mm², ratios to the baseline) against hand computations, in
// summary.json of a hand-made run and in the checked-in golden summary (from its own totals).
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "sim/report/figures.hpp"
#include "sim/report/report.hpp"

using namespace dlasim;

namespace {

// 600 MACs in 100 cycles at 500 MHz on 8 MACs/cycle, 4000 pJ, 2 mm².
sim::DesignResult hand_design() {
  sim::DesignResult d;
  d.label = "hand";
  d.arch.pes = 1;
  d.arch.lanes = 2;
  d.arch.vector_size = 4;
  d.macs = 600;
  d.cycles = 100;
  d.energy_pj.by_component = {{"pe.mac_lane", 1000.0}, {"pe.scale_unit", 3000.0}};
  d.energy_pj.total = 4000.0;
  d.area_um2.by_component = {{"pe.mac_lane", 1.5e6}, {"pe.scale_unit", 0.5e6}};
  d.area_um2.total = 2e6;
  d.counters["pe.collector.saturations"] = 0;
  return d;
}

// The same workload in 200 cycles, 8000 pJ, 2.5 mm², without a scale unit.
sim::DesignResult hand_baseline() {
  sim::DesignResult b = hand_design();
  b.label = "hand baseline";
  b.cycles = 200;
  b.energy_pj.by_component = {{"pe.mac_lane", 8000.0}};
  b.energy_pj.total = 8000.0;
  b.area_um2.by_component = {{"pe.mac_lane", 2.5e6}};
  b.area_um2.total = 2.5e6;
  return b;
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream f(path);
  REQUIRE(f);
  return nlohmann::json::parse(f);
}

}  // namespace

TEST_CASE("report figures: hand-computed energy per op, power, TOPS/W and TOPS/mm2") {
  const sim::Figures f = sim::compute_figures(600, 100, 500.0, 8, 4000.0, 2e6);
  CHECK(f.ops == 1200.0);                                // 2 ops per MAC
  CHECK(f.time_s == Approx(2e-7));                       // 100 cycles / 500 MHz
  CHECK(f.energy_per_op_fj == Approx(4000e3 / 1200.0));  // 3333.3 fJ
  CHECK(f.power_mw == Approx(20.0));                     // 4 nJ / 200 ns = 20 mW
  CHECK(f.tops_per_w == Approx(0.3));                    // 1200 ops / 4000 pJ
  CHECK(f.tops_per_w == Approx(f.achieved_tops / (f.power_mw * 1e-3)));
  CHECK(f.achieved_tops == Approx(0.006));               // 1200 ops / 200 ns = 6e9 ops/s
  CHECK(f.peak_tops == Approx(0.008));                   // 2 · 8 · 500e6 = 8e9 ops/s
  CHECK(f.area_mm2 == Approx(2.0));
  CHECK(f.peak_tops_per_mm2 == Approx(0.004));
  CHECK(f.achieved_tops_per_mm2 == Approx(0.003));
  const sim::Figures r = sim::ratio_of(f, sim::compute_figures(600, 200, 500.0, 8, 8000.0, 2.5e6));
  CHECK(r.energy_per_op_fj == Approx(0.5));
  CHECK(r.tops_per_w == Approx(2.0));
  CHECK(r.power_mw == Approx(1.0));
  CHECK(r.achieved_tops == Approx(2.0));
  CHECK(r.peak_tops_per_mm2 == Approx(1.25));
  CHECK(r.achieved_tops_per_mm2 == Approx(2.5));
}

TEST_CASE("report figures: an empty run has no figures") {
  CHECK_THROWS_AS(sim::compute_figures(0, 100, 500.0, 8, 4000.0, 2e6), std::invalid_argument);
  CHECK_THROWS_AS(sim::compute_figures(600, 0, 500.0, 8, 4000.0, 2e6), std::invalid_argument);
  CHECK_THROWS_AS(sim::compute_figures(600, 100, 500.0, 8, 0.0, 2e6), std::invalid_argument);
}

TEST_CASE("report figures: summary.json, energy.csv and the terminal block of a hand-made run") {
  sim::RunResult r;
  r.tech_name = "hand";
  r.design = hand_design();
  r.baseline = hand_baseline();
  sim::Config c;
  c.arch.clock_mhz = 500.0;
  const nlohmann::ordered_json j = sim::summary_json(r, c);
  CHECK(j["ops_per_mac"] == 2);
  CHECK(j["ops"] == 1200);
  const auto& d = j["design"];
  CHECK(d["peak_macs_per_cycle"] == 8);
  CHECK(d["energy_per_op_fj"].get<double>() == Approx(3333.33).epsilon(1e-6));
  CHECK(d["power_mw"].get<double>() == Approx(20.0));
  CHECK(d["tops_per_w"].get<double>() == Approx(0.3));
  CHECK(d["achieved_tops"].get<double>() == Approx(0.006));
  CHECK(d["peak_tops"].get<double>() == Approx(0.008));
  CHECK(d["area_mm2"].get<double>() == Approx(2.0));
  CHECK(d["peak_tops_per_mm2"].get<double>() == Approx(0.004));
  CHECK(d["achieved_tops_per_mm2"].get<double>() == Approx(0.003));
  CHECK(d["energy_share_by_component_pct"]["pe.scale_unit"].get<double>() == Approx(75.0));
  CHECK(d["area_share_by_component_pct"]["pe.mac_lane"].get<double>() == Approx(75.0));
  const auto& q = j["ratio_to_baseline"];
  CHECK(q["energy_per_op"].get<double>() == Approx(0.5));
  CHECK(q["tops_per_w"].get<double>() == Approx(2.0));
  CHECK(q["power"].get<double>() == Approx(1.0));
  CHECK(q["achieved_tops"].get<double>() == Approx(2.0));
  CHECK(q["peak_tops"].get<double>() == Approx(1.0));
  CHECK(q["peak_tops_per_mm2"].get<double>() == Approx(1.25));
  CHECK(q["achieved_tops_per_mm2"].get<double>() == Approx(2.5));
  CHECK(q["energy_by_component"]["pe.mac_lane"].get<double>() == Approx(0.125));
  CHECK(q["energy_by_component"]["pe.scale_unit"].is_null());  // the baseline has no scale unit
  CHECK(q["area_by_component"]["pe.mac_lane"].get<double>() == Approx(0.6));
  CHECK(sim::energy_csv(r) ==
        "component,design_pj,design_pct,baseline_pj,baseline_pct,ratio\n"
        "pe.mac_lane,1000,25,8000,100,0.125\n"
        "pe.scale_unit,3000,75,0,0,\n"
        "total,4000,100,8000,100,0.5\n");
  std::ostringstream os;
  sim::print_report(os, r, c);
  CHECK_THAT(os.str(), Catch::Contains("figures (1 MAC = 2 ops, clock 500 MHz)       design   baseline   ratio\n"
                                       "energy per op (fJ/op)                          3333       6667   0.500\n"
                                       "TOPS/W (ops/pJ)                                 0.3       0.15   2.000\n"));
  CHECK_THAT(os.str(), Catch::Contains("pe.scale_unit              3000   75.0%            0    0.0%       -\n"));
}

TEST_CASE("report figures: the golden summary's figures follow from its own totals") {
  const nlohmann::json j = read_json(std::string(DLASIM_SOURCE_DIR) + "/tests/golden/tiny.summary.json");
  const double ops = j["ops"].get<double>();
  REQUIRE(ops == 2.0 * j["macs"].get<double>());
  const double hz = j["clock_mhz"].get<double>() * 1e6;
  const auto rel = [](double v) { return Approx(v).epsilon(1e-5); };  // inputs and figures each keep 6 digits
  for (const char* which : {"design", "baseline"}) {
    INFO(which);
    const auto& d = j[which];
    const double energy_pj = d["energy_pj"], area_um2 = d["area_um2"], cycles = d["cycles"];
    const double seconds = cycles / hz, peak_ops = 2.0 * d["peak_macs_per_cycle"].get<double>() * hz;
    CHECK(d["energy_per_op_fj"].get<double>() == rel(energy_pj * 1e3 / ops));
    CHECK(d["tops_per_w"].get<double>() == rel(ops / energy_pj));
    CHECK(d["power_mw"].get<double>() == rel(energy_pj * 1e-9 / seconds));
    CHECK(d["achieved_tops"].get<double>() == rel(ops / seconds * 1e-12));
    CHECK(d["peak_tops"].get<double>() == rel(peak_ops * 1e-12));
    CHECK(d["area_mm2"].get<double>() == rel(area_um2 * 1e-6));
    CHECK(d["peak_tops_per_mm2"].get<double>() == rel(peak_ops * 1e-12 / (area_um2 * 1e-6)));
    CHECK(d["achieved_tops_per_mm2"].get<double>() == rel(ops / seconds * 1e-12 / (area_um2 * 1e-6)));
    double energy_pct = 0.0, area_pct = 0.0;
    for (const auto& [k, v] : d["energy_by_component_pj"].items()) {
      CHECK(d["energy_share_by_component_pct"][k].get<double>() == rel(100.0 * v.get<double>() / energy_pj));
      energy_pct += d["energy_share_by_component_pct"][k].get<double>();
    }
    for (const auto& [k, v] : d["area_by_component_um2"].items()) {
      CHECK(d["area_share_by_component_pct"][k].get<double>() == rel(100.0 * v.get<double>() / area_um2));
      area_pct += d["area_share_by_component_pct"][k].get<double>();
    }
    CHECK(energy_pct == Approx(100.0).epsilon(1e-5));
    CHECK(area_pct == Approx(100.0).epsilon(1e-5));
  }
  const auto& d = j["design"];
  const auto& b = j["baseline"];
  const auto& q = j["ratio_to_baseline"];
  for (const auto& [ratio_key, field] : std::vector<std::pair<std::string, std::string>>{
           {"energy_per_op", "energy_per_op_fj"}, {"power", "power_mw"}, {"tops_per_w", "tops_per_w"},
           {"achieved_tops", "achieved_tops"}, {"peak_tops", "peak_tops"}, {"peak_tops_per_mm2", "peak_tops_per_mm2"},
           {"achieved_tops_per_mm2", "achieved_tops_per_mm2"}}) {
    INFO(ratio_key);
    CHECK(q[ratio_key].get<double>() == Approx(d[field].get<double>() / b[field].get<double>()).epsilon(1e-5));
  }
  CHECK(q["tops_per_w"].get<double>() == Approx(1.0 / q["energy"].get<double>()).epsilon(1e-5));
  for (const auto& [k, v] : d["energy_by_component_pj"].items()) {
    INFO(k);
    if (!b["energy_by_component_pj"].contains(k)) {
      CHECK(q["energy_by_component"][k].is_null());
    } else {
      CHECK(q["energy_by_component"][k].get<double>() ==
            Approx(v.get<double>() / b["energy_by_component_pj"][k].get<double>()).epsilon(1e-5));
    }
  }
}
