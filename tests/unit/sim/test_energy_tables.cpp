// ERT/ART export: instance names, YAML numbers, and the written tables read back with yaml-cpp against
// EnergyModel (every action counter of the DLA at its energy per action, instances × area summing to the area).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <string>

#include <yaml-cpp/yaml.h>

#include "hw/top/dla.hpp"
#include "sim/config/load.hpp"
#include "sim/input_error.hpp"
#include "sim/report/energy_tables.hpp"
#include "sim/run.hpp"

using namespace dlasim;

namespace {

const std::string kConfig = std::string(DLASIM_SOURCE_DIR) + "/configs/default.yaml";

// Instances named by the [a..b] ranges of an Accelergy name, and the name without them.
int64_t instances_of(const std::string& name) {
  int64_t n = 1;
  const std::regex range(R"(\[(\d+)\.\.(\d+)\])");
  for (auto it = std::sregex_iterator(name.begin(), name.end(), range); it != std::sregex_iterator(); ++it) {
    n *= std::stoll((*it)[2]) - std::stoll((*it)[1]) + 1;
  }
  return n;
}

std::string component_of(const std::string& name) {
  return std::regex_replace(name, std::regex(R"(\[\d+\.\.\d+\])"), "");
}

// counter name → energy of every action of an ERT file.
std::map<std::string, double> read_ert(const std::string& path) {
  const YAML::Node ert = YAML::LoadFile(path)["ERT"];
  REQUIRE(ert["version"].as<std::string>() == "0.4");
  std::map<std::string, double> energies;
  for (const YAML::Node& table : ert["tables"]) {
    for (const YAML::Node& action : table["actions"]) {
      CHECK(action["arguments"].IsNull());
      const std::string counter =
          component_of(table["name"].as<std::string>()) + "." + action["name"].as<std::string>();
      CHECK(energies.count(counter) == 0);
      energies[counter] = action["energy"].as<double>();
    }
  }
  return energies;
}

// component → (instances, area per instance) of an ART file.
std::map<std::string, std::pair<int64_t, double>> read_art(const std::string& path) {
  const YAML::Node art = YAML::LoadFile(path)["ART"];
  REQUIRE(art["version"].as<std::string>() == "0.4");
  std::map<std::string, std::pair<int64_t, double>> areas;
  for (const YAML::Node& table : art["tables"]) {
    const std::string name = table["name"].as<std::string>();
    areas[component_of(name)] = {instances_of(name), table["area"].as<double>()};
  }
  return areas;
}

// The tables written for `arch` hold every action counter of a DLA of that arch at EnergyModel's energy,
// and instances × area per instance give EnergyModel's area by component and in total.
void check_tables(const std::string& ert_path, const std::string& art_path, const sim::Tech& tech,
                  const hw::ArchParams& arch, const char* dla_name) {
  const std::vector<hw::LayerJob> no_jobs;
  const hw::Dla probe(dla_name, arch, no_jobs);
  const sim::EnergyModel model(tech, arch);
  const std::map<std::string, double> ert = read_ert(ert_path);
  std::size_t actions = 0;
  for (const hw::CounterDecl& d : probe.counters().decls()) {
    if (d.kind != hw::CounterKind::action) continue;
    INFO(d.name);
    ++actions;
    REQUIRE(ert.count(d.name) == 1);
    CHECK(ert.at(d.name) == Approx(model.energy_per_action().at(d.name)).epsilon(1e-12));
  }
  CHECK(ert.size() == actions);
  double total_um2 = 0.0;
  for (const auto& [component, entry] : read_art(art_path)) {
    INFO(component);
    const auto it = model.area().by_component.find(component);
    const double expected = it == model.area().by_component.end() ? 0.0 : it->second;
    CHECK(double(entry.first) * entry.second == Approx(expected).epsilon(1e-11));
    total_um2 += double(entry.first) * entry.second;
  }
  CHECK(total_um2 == Approx(model.area().total).epsilon(1e-11));
}

}  // namespace

TEST_CASE("energy tables: Accelergy instance names and YAML 1.1 floats") {
  hw::ArchParams a;
  a.pes = 4;
  a.lanes = 16;
  a.gbuf_banks = 8;
  CHECK(sim::instance_name(sim::component_instances("pe.mac_lane", a)) == "pe[0..3].mac_lane[0..15]");
  CHECK(sim::component_instances("pe.mac_lane", a).count() == 64);
  CHECK(sim::instance_name(sim::component_instances("pe.wbuf", a)) == "pe[0..3].wbuf");
  CHECK(sim::instance_name(sim::component_instances("gbuf", a)) == "gbuf[0..7]");
  CHECK(sim::instance_name(sim::component_instances("dram", a)) == "dram");
  CHECK(sim::instance_name(sim::component_instances("clock.tree", a)) == "clock.tree");
  CHECK(sim::component_instances("clock.tree", a).count() == 1);
  CHECK(sim::yaml_number(0.676) == "0.676");
  CHECK(sim::yaml_number(0.1 + 2.0 * 32 * 0.009) == "0.676");  // 12 significant digits
  CHECK(sim::yaml_number(512.0) == "512");
  CHECK(sim::yaml_number(0.0) == "0");
  CHECK(sim::yaml_number(1e15) == "1.0e+15");
  CHECK(sim::yaml_number(2.5e-7) == "2.5e-07");
  for (const double v : {0.676, 512.0, 1e15, 2.5e-7, 725614.592}) {
    CHECK(YAML::Load(sim::yaml_number(v)).as<double>() == Approx(v).epsilon(1e-12));
  }
}

TEST_CASE("energy tables: export-energy writes every action counter at EnergyModel's energy and the area") {
  const std::string dir = "test_energy_tables_out";
  std::filesystem::remove_all(dir);
  const sim::Config c = sim::load_config(kConfig, {"arch.lanes=8"});
  const std::vector<std::string> written = sim::export_energy_tables(c, dir);
  CHECK(written == std::vector<std::string>{dir + "/ERT.yaml", dir + "/ART.yaml", dir + "/baseline.ERT.yaml",
                                            dir + "/baseline.ART.yaml", dir + "/tech.yaml"});
  const sim::Tech tech = sim::load_tech(sim::resolve_config_path(c, c.tech));
  check_tables(dir + "/ERT.yaml", dir + "/ART.yaml", tech, sim::design_arch(c), "probe_design");
  check_tables(dir + "/baseline.ERT.yaml", dir + "/baseline.ART.yaml", tech, sim::baseline_arch(c), "probe_baseline");
  const std::map<std::string, std::pair<int64_t, double>> design_art = read_art(dir + "/ART.yaml");
  CHECK(design_art.at("pe.mac_lane").first == 4 * 8);  // pes × lanes (--set arch.lanes=8)
  CHECK(design_art.at("dram") == std::pair<int64_t, double>{1, 0.0});
  CHECK(read_art(dir + "/baseline.ART.yaml").count("pe.scale_unit") == 0);
  CHECK(read_ert(dir + "/baseline.ERT.yaml").count("pe.scale_unit.psum_mul") == 0);
  const YAML::Node tech_copy = YAML::LoadFile(dir + "/tech.yaml");
  CHECK(tech_copy["name"].as<std::string>() == tech.name);
  std::filesystem::remove_all(dir);
}

TEST_CASE("energy tables: an unwritable output directory and a missing tech file are input errors") {
  sim::Config c = sim::load_config(kConfig, {});
  const std::string file = "test_energy_tables_file";
  { std::ofstream(file) << "not a directory\n"; }
  try {
    sim::export_energy_tables(c, file + "/sub");  // elaborates the DLAs: once per process
    FAIL("no error");
  } catch (const sim::InputError& e) {
    CHECK_THAT(e.what(), Catch::Contains("cannot write the energy tables into " + file + "/sub"));
  }
  std::filesystem::remove(file);
  c.tech = "no_such_tech.yaml";  // fails before the DLAs are elaborated
  REQUIRE_THROWS_AS(sim::export_energy_tables(c, "test_energy_tables_never"), sim::InputError);
  REQUIRE_THROWS_WITH(sim::export_energy_tables(c, "test_energy_tables_never"), Catch::Contains("no_such_tech.yaml"));
  CHECK_FALSE(std::filesystem::exists("test_energy_tables_never"));
}
