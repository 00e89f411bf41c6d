// Export of a design's per-action energies and per-instance areas as Accelergy-style reference tables
// (`dlasim export-energy`, docs/architecture.md "ERT/ART export"), the layout of Accelergy 0.4's ERT.yaml
// and ART.yaml, which Timeloop reads in place of its own energy and area models:
//   ERT: {version: 0.4, tables: [{name: <component>, actions: [{name: <action>, arguments: null, energy: <pJ>}]}]}
//   ART: {version: 0.4, tables: [{name: <component>, area: <µm² per instance>}]}
// Component names are dlasim's counter components with Accelergy instance ranges (pe[0..3].mac_lane[0..15]);
// actions are the counters' last fields (dot, read_bits), energies pJ per count of the counter.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hw/counters.hpp"
#include "sim/config/config.hpp"
#include "sim/energy/area_instances.hpp"
#include "sim/energy/energy_model.hpp"
#include "sim/energy/tech.hpp"

namespace dlasim::sim {

struct ErtAction {
  std::string name;         // counter name without its component, e.g. "read_bits"
  double energy_pj = 0.0;   // pJ per count of the counter
  std::string unit;         // what the counter counts, e.g. "bits"
  std::string description;  // the counter's description
};

struct ErtTable {
  std::string name;  // instance name, e.g. "pe[0..3].wbuf"
  std::vector<ErtAction> actions;
};

struct ArtTable {
  std::string name;        // instance name, as in the ERT
  int64_t instances = 1;   // product of the name's ranges
  double area_um2 = 0.0;   // µm² per instance
};

// Both tables of one design: `role` "design" or "baseline", `label` its quantization (design_label).
struct EnergyTables {
  std::string role;
  std::string label;
  std::vector<ErtTable> ert;
  std::vector<ArtTable> art;
};

// Accelergy instance name: each level of the dotted component with more than one instance gets the range
// [0..n-1] (pe.mac_lane with {4, 16} → "pe[0..3].mac_lane[0..15]").
std::string instance_name(const ComponentInstances& c);

// `v` as a YAML number of 12 significant digits (relative error below 5e-13) that is a float in YAML 1.1
// too: PyYAML, which Accelergy uses, needs a '.' in the mantissa (1.0e+15, not 1e+15).
std::string yaml_number(double v);

// The ERT of every action counter in `decls` (events are skipped) at model.energy_per_action(), one table per
// component in name order, actions in declaration order; the ART of every component with area or actions,
// area per instance = area().by_component / component_instances().count() (0 for a component without area,
// such as dram). Throws std::runtime_error for an action counter without an energy entry.
EnergyTables energy_tables(const std::string& role, const std::string& label, const EnergyModel& model,
                           const hw::ArchParams& arch, const std::vector<hw::CounterDecl>& decls);

// YAML texts of the tables, with a header comment naming the design, the tech file (name, node, path) and
// the units.
std::string ert_yaml(const EnergyTables& t, const Tech& tech);
std::string art_yaml(const EnergyTables& t, const Tech& tech);

// Writes into `dir` (created if needed): ERT.yaml and ART.yaml of the configured design, baseline.ERT.yaml and
// baseline.ART.yaml of its 8-bit baseline (the prefix convention of Accelergy's --oprefix) and tech.yaml, a
// verbatim copy of the tech file the tables come from; each atomically.
// No simulation runs: both DLAs are elaborated (as "design" and "baseline") only to list their counters, so a
// process calls this once (SystemC keeps the names of their processes). Returns the paths written.
// Throws InputError for a bad tech file or a directory or file that cannot be created or written.
std::vector<std::string> export_energy_tables(const Config& c, const std::string& dir);

}  // namespace dlasim::sim
