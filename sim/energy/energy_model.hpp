// Energy and area of one DLA design: per-action energies and per-instance areas derived from the tech
// file's reference numbers by bit-width scaling laws (design.md §5, reference.md §8.3):
//   integer multiplier a×b bits      ∝ a·b       (8×8 reference)
//   integer adder / comparator w bits ∝ w         (32-bit reference)
//   register bit                      ∝ bits
//   SRAM read per bit                 ∝ sqrt(capacity / 8 KiB) (fits Horowitz 8 KB/32 KB/1 MB: 10/20/100 pJ)
// Dynamic energy = Σ count × energy per action of the counter catalogue (hw/counter_catalogue.hpp); every
// action of the catalogue has a price and a counted action without one is an error. Static energy = leakage
// power density × area × runtime, its own component (kStaticComponent). docs/architecture.md, "Counters,
// energy, area", states every law and width.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "hw/arch_params.hpp"
#include "hw/counters.hpp"
#include "sim/energy/tech.hpp"

namespace dlasim::sim {

// Component name of the leakage energy in an energy Breakdown.
inline const std::string kStaticComponent = "static";

struct Breakdown {
  std::map<std::string, double> by_component;  // component name → value
  double total = 0.0;
  // Energy breakdowns: the leakage part (by_component[kStaticComponent]) and the rest.
  double static_part() const {
    const auto it = by_component.find(kStaticComponent);
    return it == by_component.end() ? 0.0 : it->second;
  }
  double dynamic_part() const { return total - static_part(); }
};

// Fixed-point PPU of an integer-scale design (ArchParams::float_scales false): the accumulator is multiplied
// by a coarse scale with this many significant bits (plus a shift), and so is the output by its reciprocal
// scale when re-quantized.
constexpr int kPpuScaleBits = 16;

class EnergyModel {
 public:
  EnergyModel(const Tech& tech, const hw::ArchParams& arch);

  // pJ per count of each action counter, keyed by counter name: every action of the counter catalogue.
  const std::map<std::string, double>& energy_per_action() const { return per_action_pj_; }
  // Energy in pJ by component (counter name without its last field) plus kStaticComponent, the leakage over
  // `cycles` clock cycles. Throws std::runtime_error for any action counter without an energy entry.
  Breakdown energy(const std::vector<hw::CounterDecl>& decls, const std::vector<uint64_t>& counts,
                   uint64_t cycles) const;
  // Area in µm² by component.
  const Breakdown& area() const { return area_um2_; }
  // Leakage energy per clock cycle of the whole design (pJ): density × total area × clock period.
  double static_pj_per_cycle() const { return static_pj_per_cycle_; }

 private:
  std::map<std::string, double> per_action_pj_;
  Breakdown area_um2_;
  double static_pj_per_cycle_ = 0.0;
};

}  // namespace dlasim::sim
