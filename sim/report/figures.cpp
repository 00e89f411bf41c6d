#include "sim/report/figures.hpp"

#include <stdexcept>

namespace dlasim::sim {

Figures compute_figures(int64_t macs, uint64_t cycles, double clock_mhz, int64_t peak_macs_per_cycle,
                        double energy_pj, double area_um2) {
  if (macs <= 0 || cycles == 0 || !(clock_mhz > 0.0) || peak_macs_per_cycle <= 0 || !(energy_pj > 0.0) ||
      !(area_um2 > 0.0)) {
    throw std::invalid_argument("report figures need positive MACs, cycles, clock, peak, energy and area");
  }
  const double hz = clock_mhz * 1e6;
  Figures f;
  f.ops = double(kOpsPerMac) * double(macs);
  f.time_s = double(cycles) / hz;
  f.energy_per_op_fj = energy_pj * 1e3 / f.ops;
  f.power_mw = energy_pj * 1e-12 / f.time_s * 1e3;
  f.tops_per_w = f.ops / energy_pj;
  f.achieved_tops = f.ops / f.time_s * 1e-12;
  f.peak_tops = double(kOpsPerMac) * double(peak_macs_per_cycle) * hz * 1e-12;
  f.area_mm2 = area_um2 * 1e-6;
  f.peak_tops_per_mm2 = f.peak_tops / f.area_mm2;
  f.achieved_tops_per_mm2 = f.achieved_tops / f.area_mm2;
  return f;
}

Figures ratio_of(const Figures& d, const Figures& b) {
  Figures r;
  r.ops = d.ops / b.ops;
  r.time_s = d.time_s / b.time_s;
  r.energy_per_op_fj = d.energy_per_op_fj / b.energy_per_op_fj;
  r.power_mw = d.power_mw / b.power_mw;
  r.tops_per_w = d.tops_per_w / b.tops_per_w;
  r.achieved_tops = d.achieved_tops / b.achieved_tops;
  r.peak_tops = d.peak_tops / b.peak_tops;
  r.area_mm2 = d.area_mm2 / b.area_mm2;
  r.peak_tops_per_mm2 = d.peak_tops_per_mm2 / b.peak_tops_per_mm2;
  r.achieved_tops_per_mm2 = d.achieved_tops_per_mm2 / b.achieved_tops_per_mm2;
  return r;
}

}  // namespace dlasim::sim
