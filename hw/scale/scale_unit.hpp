// Per-vector scale unit, one per lane (reference.md §2, Fig. 2b; §3 Eq. 2): multiplies the weight and
// activation per-vector scale codes (M_w × M_a → M_w + M_a bits), optionally rounds the product to
// scale_product_bits (round-half-up, saturating; the dropped 2^shift is applied by the PPU), and multiplies
// the dot product by it. Present only when an operand is per-vector scaled.
// With floating scales (ArchParams::float_scales: fp32 single-level, MX E8M0, NVFP4 E4M3) it multiplies the
// two scale values (exact: powers of two or short significands) and the dot product of aligned
// significands, applies their implicit 2^-(F_w+F_a) and rounds once to an fp32 partial sum (float_psum).
//
// A layer without per-vector scales on either operand bypasses the unit (partial sums = dot products, no
// scale-product actions counted; hw/arith.hpp layer_arch).
// Timing: takes steps at the MAC array's issue rate (Wave::issue_cycles per pass); first result
// scale_latency_cycles after its input's.
#pragma once

#include <string>
#include <vector>

#include <systemc>

#include "hw/arch_params.hpp"
#include "hw/counters.hpp"
#include "hw/progress.hpp"
#include "hw/wave.hpp"

namespace dlasim::hw {

class ScaleUnit : public sc_core::sc_module {
 public:
  sc_core::sc_fifo_in<WavePtr> dots_in;
  sc_core::sc_fifo_out<WavePtr> psums_out;

  ScaleUnit(sc_core::sc_module_name name, const ArchParams& arch, Counters& counters, Progress* progress = nullptr);

  // One line for the watchdog: passes scaled, dot products queued, what it waits for.
  std::string state() const;

  // Fills wave.psums = dots × rounded scale product for every busy lane and step.
  void compute(Wave& wave);

 private:
  void run();
  void compute_float(Wave& wave);
  // Counts a pass's busy lane-steps (`products`) as the gating policy switches them (ArchParams::gating): the
  // scale-code multiply is held with the lane (Gating::lane, Wave::zero_vector_steps), the dot × scale
  // multiply is isolated when either input is zero (Gating::accumulate and lane). Sets Wave::zero_psums.
  void count(Wave& wave, uint64_t products, uint64_t zero_scale_products, uint64_t nonzero_inputs);

  const ArchParams& arch_;
  Counters& counters_;
  sc_core::sc_time period_;
  std::vector<uint32_t> table_;  // scale_product(w, a) at [w << table_shift_ | a] (empty when M_w + M_a > 16)
  int table_shift_ = 1;
  CounterId scale_mul_, psum_mul_, zero_scale_products_;
  Progress* progress_;
  const char* waiting_for_ = "dot products";
  uint64_t passes_ = 0;  // passes scaled since time 0
};

}  // namespace dlasim::hw
