// Instance counts behind EnergyModel's area by component, for the per-instance area table (ART) of the
// export (sim/report/energy_tables.hpp). EnergyModel::area() gives each component's total µm²; this gives
// how many identical instances make it up, level by level of the component's dotted name, so that
//   area().by_component[c] = count() × area per instance.
// The one list of instance counts: the area law in energy_model.cpp multiplies each component's area per
// instance by count(). Lanes (MAC lane, scale unit, collector, pipeline registers) per PE, one weight and one
// input buffer per PE, the global buffer per bank, one PPU per PE; any other component (dram) is one instance.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hw/arch_params.hpp"

namespace dlasim::sim {

struct ComponentInstances {
  std::string component;           // dotted counter component, e.g. "pe.mac_lane"
  std::vector<int64_t> per_level;  // instances per level of the dotted name, e.g. {pes, lanes}; each ≥ 1
  int64_t count() const;           // product of per_level
};

ComponentInstances component_instances(const std::string& component, const hw::ArchParams& arch);

}  // namespace dlasim::sim
