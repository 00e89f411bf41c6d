// Throughput and efficiency figures of one design on one workload (docs/architecture.md, "Report figures").
// One MAC is 2 ops (a multiply and an add); f is arch.clock_mhz; time = cycles / f.
#pragma once

#include <cstdint>

namespace dlasim::sim {

inline constexpr int kOpsPerMac = 2;

struct Figures {
  double ops = 0.0;                    // kOpsPerMac · MACs
  double time_s = 0.0;                 // cycles / f, s
  double energy_per_op_fj = 0.0;       // energy / ops, fJ per op
  double power_mw = 0.0;               // average power: energy / time, mW
  double tops_per_w = 0.0;             // (ops / time) / power = ops / energy; 1 TOPS/W = 1 op per pJ
  double achieved_tops = 0.0;          // ops / time, 10^12 ops/s
  double peak_tops = 0.0;              // kOpsPerMac · peak MACs per cycle · f, 10^12 ops/s
  double area_mm2 = 0.0;               // area, mm² (10^6 µm²)
  double peak_tops_per_mm2 = 0.0;      // peak_tops / area_mm2
  double achieved_tops_per_mm2 = 0.0;  // achieved_tops / area_mm2
};

// The figures of `macs` MACs run in `cycles` cycles at `clock_mhz` on an array of `peak_macs_per_cycle`,
// spending `energy_pj` pJ on `area_um2` µm². Every input must be positive (figures of an empty run are
// not defined); throws std::invalid_argument otherwise.
Figures compute_figures(int64_t macs, uint64_t cycles, double clock_mhz, int64_t peak_macs_per_cycle,
                        double energy_pj, double area_um2);

// Field by field design / baseline (each field of the baseline must be nonzero).
Figures ratio_of(const Figures& design, const Figures& baseline);

}  // namespace dlasim::sim
