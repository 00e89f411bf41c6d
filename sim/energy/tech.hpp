// Tech files (configs/tech/*.yaml): named reference numbers, each with its unit and source.
#pragma once

#include <map>
#include <string>

namespace dlasim::sim {

struct TechEntry {
  double value = 0.0;
  std::string unit;
  std::string source;
};

struct Tech {
  std::string name;
  double node_nm = 0.0;
  std::string path;
  std::map<std::string, TechEntry> entries;

  // The value of a required entry (load_tech guarantees presence and unit).
  double at(const std::string& key) const { return entries.at(key).value; }
};

// Loads and checks a tech file: every entry the energy model needs is present with the expected unit,
// a positive value and a non-empty source; unknown entries are errors. Throws InputError naming the file
// and key.
//
// A new node or a variant is a derived file (docs/architecture.md, "Tech files"):
//   base: horowitz_45nm.yaml                      # relative to this file; its entries are the starting point
//   energy_scale: {value: 0.1, source: "..."}     # multiplies every energy entry of the base (pJ, pJ/bit)
//   area_scale: {value: 0.02, source: "..."}      # multiplies every area entry of the base (um2, um2/bit)
//   entries: {...}                                # entries given here replace the scaled base entries
// A scaled entry's source records the factor and its source.
Tech load_tech(const std::string& path);

// Entry names the energy model needs, with their units.
const std::map<std::string, std::string>& required_tech_entries();

}  // namespace dlasim::sim
