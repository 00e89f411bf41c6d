// VS-Quant's qualitative energy statements (Dai et al., MLSys 2021, discussion of Fig. 3) on ResNet-50 at V = 16
// with the calibrated 5 nm table, read from the sweep configs/validation/vsquant_statements.yaml that the fixture
// test "validation: VS-Quant statements sweep" ran into $DLASIM_VSQUANT_SWEEP (one summary.json per point).
// Core energy = the PE array and the PPU, dynamic (what VS-Quant's PE-level synthesis and power analysis measure);
// total = everything dlasim counts, leakage included. docs/validation.md §2 shows the table this prints.
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "sweep_points.hpp"

namespace {

struct Point {
  double core = 0, total = 0;  // design / baseline energy
};

std::map<std::string, Point> load_points() {
  using dlasim::validation::pe_array_energy_pj;
  std::map<std::string, Point> points;
  for (const nlohmann::json& s : dlasim::validation::sweep_summaries("DLASIM_VSQUANT_SWEEP")) {
    const nlohmann::json &d = s.at("design"), &b = s.at("baseline");
    points[s.at("run").get<std::string>()] = {pe_array_energy_pj(d) / pe_array_energy_pj(b),
                                              d.at("energy_pj").get<double>() / b.at("energy_pj").get<double>()};
  }
  return points;
}

}  // namespace

TEST_CASE("VS-Quant statements: rounding the scale product, per-channel and full-width per-vector scaling") {
  const std::map<std::string, Point> p = load_points();
  REQUIRE(p.size() == 10);
  for (const auto& [name, x] : p) WARN(name << ": core energy " << x.core << ", total energy " << x.total << " of 8/8/-/-");
  for (const char* bits : {"w4a4", "w6a6"}) {
    const std::string b = bits;
    const Point full = p.at(b + "s44_full"), r4 = p.at(b + "s44_r4"), r6 = p.at(b + "s44_r6"), pc = p.at(b + "_pc");
    INFO(b);
    // Rounding the scale product to 4 or 6 bits removes the full-width overhead.
    CHECK(r4.core < full.core);
    CHECK(r6.core < full.core);
    CHECK(r4.total < full.total);
    CHECK(r6.total < full.total);
    // Full-width per-vector scaling costs energy over per-channel scaling.
    CHECK(full.core > pc.core);
    CHECK(full.total > pc.total);
    // Every design saves energy over 8 bits; per-channel scaling up to 2x.
    CHECK(pc.core < 1.0);
    CHECK(pc.core > 0.3);
  }
  // Rounding to 4 bits closes most of the gap to per-channel scaling (docs/validation.md: it does not beat it on
  // these operands): at least half of the full-width overhead over per-channel goes away.
  for (const char* bits : {"w4a4", "w6a6"}) {
    const std::string b = bits;
    INFO(b);
    CHECK(p.at(b + "s44_r4").core - p.at(b + "_pc").core < 0.5 * (p.at(b + "s44_full").core - p.at(b + "_pc").core));
  }
  // 8/8/6/-: rounding the 6-bit scale product to 6 bits changes nothing.
  CHECK(p.at("w8a8s6_r6").core == Approx(p.at("w8a8s6_full").core));
  CHECK(p.at("w8a8s6_r6").total == Approx(p.at("w8a8s6_full").total));
}
