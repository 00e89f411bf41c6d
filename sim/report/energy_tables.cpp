#include "sim/report/energy_tables.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "hw/top/dla.hpp"
#include "sim/input_error.hpp"
#include "sim/report/report.hpp"
#include "sim/run.hpp"

namespace dlasim::sim {

namespace {

std::string component_of(const std::string& counter) { return counter.substr(0, counter.rfind('.')); }
std::string action_of(const std::string& counter) { return counter.substr(counter.rfind('.') + 1); }

std::string title(const char* table, const EnergyTables& t, const Tech& tech) {
  return fmt::format("# dlasim {} {} of the {} {}\n# tech: {} ({:g} nm), {}\n", DLASIM_VERSION, table, t.role,
                     t.label, tech.name, tech.node_nm, tech.path);
}

std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream text;
  text << f.rdbuf();
  if (!f) throw InputError(path + ": cannot read the tech file");
  return text.str();
}

// Creates `dir` and writes each (file name, text) into it atomically; a failure is an InputError naming dir.
std::vector<std::string> write_all(const std::string& dir,
                                   const std::vector<std::pair<std::string, std::string>>& files) {
  std::vector<std::string> paths;
  try {
    std::filesystem::create_directories(dir);
    for (const auto& [name, text] : files) {
      paths.push_back((std::filesystem::path(dir) / name).string());
      write_file_atomic(paths.back(), text);
    }
  } catch (const std::runtime_error& e) {  // std::filesystem::filesystem_error is one
    throw InputError(fmt::format("cannot write the energy tables into {}: {}", dir, e.what()));
  }
  return paths;
}

}  // namespace

std::string instance_name(const ComponentInstances& c) {
  std::string name;
  std::size_t begin = 0;
  for (std::size_t level = 0;; ++level) {
    const std::size_t end = c.component.find('.', begin);
    name += c.component.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
    const int64_t n = level < c.per_level.size() ? c.per_level[level] : 1;
    if (n > 1) name += fmt::format("[0..{}]", n - 1);
    if (end == std::string::npos) return name;
    name += '.';
    begin = end + 1;
  }
}

std::string yaml_number(double v) {
  if (!std::isfinite(v)) throw std::logic_error("energy tables: a value is not finite");
  std::string s = fmt::format("{:.12g}", v);
  const std::size_t e = s.find('e');
  if (e != std::string::npos && s.find('.') == std::string::npos) s.insert(e, ".0");
  return s;
}

EnergyTables energy_tables(const std::string& role, const std::string& label, const EnergyModel& model,
                           const hw::ArchParams& arch, const std::vector<hw::CounterDecl>& decls) {
  std::map<std::string, std::vector<ErtAction>> actions;
  for (const hw::CounterDecl& d : decls) {
    if (d.kind != hw::CounterKind::action) continue;
    const auto it = model.energy_per_action().find(d.name);
    if (it == model.energy_per_action().end()) {
      throw std::runtime_error("energy model: counted action '" + d.name + "' has no energy entry");
    }
    actions[component_of(d.name)].push_back({action_of(d.name), it->second, d.unit, d.description});
  }
  EnergyTables t{role, label, {}, {}};
  std::set<std::string> components;
  for (const auto& [component, list] : actions) {
    t.ert.push_back({instance_name(component_instances(component, arch)), list});
    components.insert(component);
  }
  for (const auto& kv : model.area().by_component) components.insert(kv.first);
  for (const std::string& component : components) {
    const ComponentInstances n = component_instances(component, arch);
    const auto it = model.area().by_component.find(component);
    const double total_um2 = it == model.area().by_component.end() ? 0.0 : it->second;
    t.art.push_back({instance_name(n), n.count(), total_um2 / double(n.count())});
  }
  return t;
}

std::string ert_yaml(const EnergyTables& t, const Tech& tech) {
  std::string out = title("energy reference table (ERT)", t, tech);
  out +=
      "# Layout of Accelergy 0.4's ERT.yaml; Timeloop reads it in place of its own energy model.\n"
      "# name: a dlasim counter component; [0..n-1] ranges count its instances as in Accelergy, all with the\n"
      "#   same energies. Action name: the counter's last field (counter <component>.<action>).\n"
      "# energy: pJ per count of the counter, i.e. per bit for *_bits, per V-element dot product for dot, per\n"
      "#   operation otherwise (the comment after each action says what it counts); arguments: none.\n"
      "ERT:\n  version: 0.4\n  tables:\n";
  for (const ErtTable& table : t.ert) {
    out += fmt::format("  - name: {}\n    actions:\n", table.name);
    for (const ErtAction& a : table.actions) {
      out += fmt::format("    - name: {}  # counts {}: {}\n      arguments: null\n      energy: {}\n", a.name, a.unit,
                         a.description, yaml_number(a.energy_pj));
    }
  }
  return out;
}

std::string art_yaml(const EnergyTables& t, const Tech& tech) {
  double total_um2 = 0.0;
  for (const ArtTable& a : t.art) total_um2 += double(a.instances) * a.area_um2;
  std::string out = title("area reference table (ART)", t, tech);
  out += fmt::format(
      "# Layout of Accelergy 0.4's ART.yaml; Timeloop reads it in place of its own area model.\n"
      "# area: µm² per instance; the [0..n-1] ranges of a name count its instances, and the sum over the\n"
      "#   tables of instances × area is the total area, {} µm². Off-chip components (dram) have area 0.\n"
      "ART:\n  version: 0.4\n  tables:\n",
      yaml_number(total_um2));
  for (const ArtTable& a : t.art) out += fmt::format("  - name: {}\n    area: {}\n", a.name, yaml_number(a.area_um2));
  return out;
}

std::vector<std::string> export_energy_tables(const Config& c, const std::string& dir) {
  const std::string tech_path = resolve_config_path(c, c.tech);
  const Tech tech = load_tech(tech_path);
  const std::string tech_text = read_text(tech_path);
  const hw::ArchParams design = design_arch(c), baseline = baseline_arch(c);
  const std::vector<hw::LayerJob> no_jobs;
  const hw::Dla design_dla("design", design, no_jobs);
  const hw::Dla baseline_dla("baseline", baseline, no_jobs);
  const EnergyTables d = energy_tables("design", design_label(design_quant(c)), EnergyModel(tech, design), design,
                                       design_dla.counters().decls());
  const EnergyTables b = energy_tables("baseline", design_label(baseline_quant(c)), EnergyModel(tech, baseline),
                                       baseline, baseline_dla.counters().decls());
  return write_all(dir, {{"ERT.yaml", ert_yaml(d, tech)},
                         {"ART.yaml", art_yaml(d, tech)},
                         {"baseline.ERT.yaml", ert_yaml(b, tech)},
                         {"baseline.ART.yaml", art_yaml(b, tech)},
                         {"tech.yaml", tech_text}});
}

}  // namespace dlasim::sim
