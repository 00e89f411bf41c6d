// Energy and area of one DLA design: per-action energies and per-instance areas derived from the tech
// file's reference numbers by bit-width scaling laws (design.md §5, reference.md §8.3):
//   integer multiplier a×b bits      ∝ a·b       (8×8 reference)
//   integer adder / comparator w bits ∝ w         (32-bit reference)
//   register bit                      ∝ bits
//   SRAM read per bit                 ∝ sqrt(capacity / 8 KiB) (fits Horowitz 8 KB/32 KB/1 MB: 10/20/100 pJ)
// Energy = Σ count × energy per action; a counted action without an energy entry is an error.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "hw/arch_params.hpp"
#include "hw/counters.hpp"
#include "sim/energy/tech.hpp"

namespace dlasim::sim {

struct Breakdown {
  std::map<std::string, double> by_component;  // component name → value
  double total = 0.0;
};

class EnergyModel {
 public:
  EnergyModel(const Tech& tech, const hw::ArchParams& arch);

  // pJ per count of each action counter, keyed by counter name.
  const std::map<std::string, double>& energy_per_action() const { return per_action_pj_; }
  // Energy in pJ by component (counter name without its last field). Throws std::runtime_error for any
  // action counter without an energy entry.
  Breakdown energy(const std::vector<hw::CounterDecl>& decls, const std::vector<uint64_t>& counts) const;
  // Area in µm² by component.
  const Breakdown& area() const { return area_um2_; }

 private:
  std::map<std::string, double> per_action_pj_;
  Breakdown area_um2_;
};

}  // namespace dlasim::sim
