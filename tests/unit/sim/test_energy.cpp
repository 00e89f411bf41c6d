// Energy/area laws on hand-computed values, and the errors of the tech file and the energy model.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>

#include "hw/counter_catalogue.hpp"
#include "sim/energy/energy_model.hpp"
#include "sim/input_error.hpp"

using namespace dlasim;

namespace {

const std::string kTech = std::string(DLASIM_SOURCE_DIR) + "/configs/tech/horowitz_45nm.yaml";

hw::ArchParams vsquant_4_4_4_6() {
  hw::ArchParams a;
  a.weight_bits = 4;
  a.act_bits = 4;
  a.weight_scale_bits = 4;
  a.act_scale_bits = 6;
  a.vector_size = 16;
  return a;
}

}  // namespace

TEST_CASE("energy: per-action energies follow the bit-width laws") {
  const sim::Tech tech = sim::load_tech(kTech);
  const sim::EnergyModel m(tech, vsquant_4_4_4_6());
  const auto& e = m.energy_per_action();
  // one 4x4 multiplier: 0.2 pJ · 16/64 = 0.05 pJ; adder tree of 16 products of 8 bits:
  // 8 adders of 9 b + 4 of 10 b + 2 of 11 b + 1 of 12 b = 146 adder bits · 0.1/32 pJ = 0.45625 pJ.
  CHECK(e.at("pe.mac_lane.multiply") == Approx(0.05));
  CHECK(e.at("pe.mac_lane.dot") == Approx(0.45625));
  // scale product 4x6 bits: 0.2 · 24/64 = 0.075 pJ; dot (4+4+4 = 12 b) × full 10-b product: 0.2 · 120/64.
  CHECK(e.at("pe.scale_unit.scale_mul") == Approx(0.075));
  CHECK(e.at("pe.scale_unit.psum_mul") == Approx(0.375));
  // 32-b accumulate: adder 0.1 pJ + 2 · 32 register bits · 0.009 pJ.
  CHECK(e.at("pe.collector.acc_add") == Approx(0.1 + 0.576));
  // 32 KiB buffer read per bit: 10/64 pJ · sqrt(32/8) = 0.3125 pJ.
  CHECK(e.at("pe.wbuf.read_bits") == Approx(0.3125));
}

TEST_CASE("energy: the baseline has no scale unit area and energy is the sum of counts times costs") {
  const sim::Tech tech = sim::load_tech(kTech);
  hw::ArchParams base;  // INT8, no per-vector scales
  const sim::EnergyModel m(tech, base);
  CHECK(m.area().by_component.count("pe.scale_unit") == 0);
  hw::Counters counters;
  counters.add("pe.mac_lane.dot");
  counters.add("pe.collector.saturations");
  counters.inc(0, 10);
  counters.inc(1, 5);
  const sim::Breakdown b = m.energy(counters.decls(), counters.values(), 0);
  CHECK(b.total == Approx(10 * m.energy_per_action().at("pe.mac_lane.dot")));
  CHECK(b.by_component.at("pe.mac_lane") == Approx(b.total));
  CHECK(b.static_part() == 0.0);
}

TEST_CASE("energy: static energy is leakage density × area × runtime, its own component") {
  const sim::Tech tech = sim::load_tech(kTech);
  hw::ArchParams a = vsquant_4_4_4_6();
  a.clock_mhz = 500.0;
  const sim::EnergyModel m(tech, a);
  // nW/µm² · µm² · (1 / 500 MHz) per cycle: 12.3e-9 W/µm² · A · 2e-9 s = 12.3 · A · 2e-6 pJ.
  const double per_cycle = tech.at("leakage_power_density") * m.area().total * 2e-6;
  CHECK(m.static_pj_per_cycle() == Approx(per_cycle));
  hw::Counters counters;
  const sim::Breakdown b = m.energy(counters.decls(), counters.values(), 1000);
  CHECK(b.static_part() == Approx(1000 * per_cycle));
  CHECK(b.dynamic_part() == Approx(0.0).margin(1e-9));
  CHECK(b.by_component.at(sim::kStaticComponent) == Approx(b.total));
}

TEST_CASE("energy: every action of the counter catalogue has a price and every price a catalogue action") {
  const sim::Tech tech = sim::load_tech(kTech);
  hw::ArchParams floating = vsquant_4_4_4_6();
  floating.float_scales = true;
  hw::ArchParams lane = vsquant_4_4_4_6();
  lane.gating = hw::Gating::lane;
  for (const hw::ArchParams& a : {hw::ArchParams{}, vsquant_4_4_4_6(), floating, lane}) {
    const sim::EnergyModel m(tech, a);
    for (const hw::CounterDecl& d : hw::counter_catalogue()) {
      INFO(d.name);
      CHECK(m.energy_per_action().count(d.name) == (d.kind == hw::CounterKind::action ? 1u : 0u));
    }
    for (const auto& [name, pj] : m.energy_per_action()) {
      INFO(name);
      CHECK(hw::counter_decl(name).kind == hw::CounterKind::action);
      CHECK(pj >= 0.0);
    }
  }
}

TEST_CASE("energy: gating logic costs area, and the PPU follows the design's formats") {
  const sim::Tech tech = sim::load_tech(kTech);
  hw::ArchParams none = vsquant_4_4_4_6(), acc = none, lane = none;
  acc.gating = hw::Gating::accumulate;
  lane.gating = hw::Gating::lane;
  const auto area = [&](const hw::ArchParams& a, const char* c) { return sim::EnergyModel(tech, a).area().by_component.at(c); };
  // accumulate: zero detectors of the dot (12 b), scale product (10 b) and partial sum (22 b) at 1/4 adder area.
  CHECK(area(acc, "pe.collector") - area(none, "pe.collector") ==
        Approx(64 * (12 + 10 + 22) * tech.at("int32_add_area") / 32.0 / 4.0));
  CHECK(area(lane, "pe.mac_lane") > area(acc, "pe.mac_lane"));
  CHECK(area(lane, "pe.wbuf") > area(acc, "pe.wbuf"));  // one zero flag bit per vector
  // Fixed-point PPU of an integer design scales with acc_bits; an fp32 PPU does not.
  hw::ArchParams wide = none, narrow = none;
  wide.acc_bits = 32;
  narrow.acc_bits = 24;
  CHECK(area(narrow, "ppu") < area(wide, "ppu"));
  hw::ArchParams fp = none;
  fp.float_scales = true;
  CHECK(area(fp, "ppu") > area(wide, "ppu"));
  hw::ArchParams base;  // per-tensor outputs: no vector max or reciprocal unit
  base.acc_bits = 32;
  CHECK(area(base, "ppu") < area(wide, "ppu"));
}

TEST_CASE("energy: a counter outside the catalogue cannot be registered") {
  const sim::EnergyModel m(sim::load_tech(kTech), vsquant_4_4_4_6());
  hw::Counters counters;
  REQUIRE_THROWS_WITH(counters.add("pe.mystery.op"), Catch::Contains("pe.mystery.op"));
}

TEST_CASE("tech file: missing entries, wrong units and missing sources are reported with the key") {
  const std::string path = "test_energy_bad_tech.yaml";
  {
    std::ofstream f(path);
    f << "name: bad\nnode_nm: 45\nentries:\n"
         "  int8_mult_energy: {value: 0.2, unit: nJ, source: x}\n"
         "  int32_add_energy: {value: 0.1, unit: pJ}\n"
         "  bogus_entry: {value: 1, unit: pJ, source: y}\n";
  }
  try {
    sim::load_tech(path);
    FAIL("no error");
  } catch (const sim::InputError& e) {
    const std::string msg = e.what();
    CHECK_THAT(msg, Catch::Contains("entries.int8_mult_energy.unit: expected \"pJ\", got \"nJ\""));
    CHECK_THAT(msg, Catch::Contains("entries.int32_add_energy.source: expected a non-empty source"));
    CHECK_THAT(msg, Catch::Contains("entries.bogus_entry: unknown entry"));
    CHECK_THAT(msg, Catch::Contains("entries.fp32_mult_energy: missing"));
    CHECK_THAT(msg, Catch::Contains(path));
  }
  std::remove(path.c_str());
}

TEST_CASE("tech file: a derived file scales its base's energies and areas and overrides entries") {
  const std::string path = std::string(DLASIM_SOURCE_DIR) + "/configs/tech/test_derived_tech.yaml";
  {
    std::ofstream f(path);
    f << "name: derived\nnode_nm: 7\nbase: horowitz_45nm.yaml\n"
         "energy_scale: {value: 0.5, source: half}\narea_scale: {value: 0.25, source: quarter}\n"
         "entries:\n  dram_bit_energy: {value: 3, unit: pJ/bit, source: override}\n";
  }
  const sim::Tech base = sim::load_tech(kTech);
  const sim::Tech t = sim::load_tech(path);
  std::remove(path.c_str());
  CHECK(t.name == "derived");
  CHECK(t.at("int8_mult_energy") == Approx(0.5 * base.at("int8_mult_energy")));
  CHECK(t.at("sram_bit_area") == Approx(0.25 * base.at("sram_bit_area")));
  CHECK(t.at("dram_bit_energy") == 3.0);
  CHECK_THAT(t.entries.at("int8_mult_energy").source, Catch::Contains("half"));
  CHECK(t.entries.at("dram_bit_energy").source == "override");
  // The calibrated 5 nm file is such a derived file and loads with every entry.
  const sim::Tech k = sim::load_tech(std::string(DLASIM_SOURCE_DIR) + "/configs/tech/keller_5nm.yaml");
  CHECK(k.entries.size() == sim::required_tech_entries().size());
}

TEST_CASE("tech file: scale factors without a base, bad factors and a missing base are errors") {
  const std::string path = "test_energy_bad_derived.yaml";
  {
    std::ofstream f(path);
    f << "name: bad\nnode_nm: 5\nenergy_scale: {value: 0.5, source: x}\nentries: {}\n";
  }
  REQUIRE_THROWS_WITH(sim::load_tech(path), Catch::Contains("energy_scale/area_scale need a base file"));
  {
    std::ofstream f(path);
    f << "name: bad\nnode_nm: 5\nbase: no_such_base.yaml\n";
  }
  REQUIRE_THROWS_WITH(sim::load_tech(path), Catch::Contains("no_such_base.yaml: cannot open"));
  {
    std::ofstream f(path);
    f << "name: bad\nnode_nm: 5\nbase: " << kTech << "\nenergy_scale: {value: -1, source: x}\n";
  }
  REQUIRE_THROWS_WITH(sim::load_tech(path), Catch::Contains("energy_scale.value: expected a positive number"));
  std::remove(path.c_str());
}
