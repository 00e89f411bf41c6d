#include "hw/scale/scale_unit.hpp"

#include "hw/arith.hpp"
#include "hw/element_fixed.hpp"
#include "hw/timing.hpp"

namespace dlasim::hw {

ScaleUnit::ScaleUnit(sc_core::sc_module_name name, const ArchParams& arch, Counters& counters)
    : sc_module(name), arch_(arch), counters_(counters), period_(clock_period(arch.clock_mhz)) {
  scale_mul_ = counters.add("pe.scale_unit.scale_mul", "multiplies",
                            "M_w x M_a unsigned scale-code products (one per vector dot product)",
                            CounterKind::action);
  psum_mul_ = counters.add("pe.scale_unit.psum_mul", "multiplies",
                           "dot product x scale product multiplies (dot_bits x scale-product bits)",
                           CounterKind::action);
  SC_HAS_PROCESS(ScaleUnit);
  SC_THREAD(run);
}

void ScaleUnit::run() {
  while (true) {
    WavePtr w = dots_in.read();
    wait_until(w->ready_at);
    compute(*w);
    w->ready_at = sc_core::sc_time_stamp() + arch_.scale_latency_cycles * period_;
    psums_out.write(w);
    wait(static_cast<double>(w->issue_cycles) * period_);
  }
}

void ScaleUnit::compute(Wave& wave) {
  if (arch_.float_scales) return compute_float(wave);
  const int lanes = arch_.lanes, shift = arch_.scale_product_shift(), width = arch_.scale_product_width();
  wave.psums.assign(wave.dots.size(), 0);
  uint64_t products = 0;
  for (std::size_t pe = 0; pe < wave.tiles.size(); ++pe) {
    const Tile& t = wave.tiles[pe];
    for (int64_t step = 0; step < wave.steps; ++step) {
      if (step % wave.depth >= t.p_count) continue;  // idle collector entry of a shorter tile
      const uint32_t as = wave.act_scale[pe * wave.steps + step];
      const std::size_t base = (pe * wave.steps + step) * lanes;
      const std::size_t wbase = (pe * (wave.j1 - wave.j0) + step / wave.depth) * lanes;
      for (int64_t l = 0; l < t.k_count; ++l) {
        const uint32_t sp = scale_product(wave.weight_scale[wbase + l], as, shift, width);
        wave.psums[base + l] = int64_t{wave.dots[base + l]} * sp;
      }
      products += t.k_count;
    }
  }
  counters_.inc(scale_mul_, products);
  counters_.inc(psum_mul_, products);
}

void ScaleUnit::compute_float(Wave& wave) {
  const LayerJob& job = *wave.job;
  const int lanes = arch_.lanes;
  const int frac_bits = fixed_elements(job.weights->spec.element).frac_bits + fixed_elements(job.input->spec.element).frac_bits;
  wave.psums_f.assign(wave.dots.size(), 0.0f);
  uint64_t products = 0;
  for (std::size_t pe = 0; pe < wave.tiles.size(); ++pe) {
    const Tile& t = wave.tiles[pe];
    for (int64_t step = 0; step < wave.steps; ++step) {
      if (step % wave.depth >= t.p_count) continue;
      const float as = wave.act_scale_f[pe * wave.steps + step];
      const std::size_t base = (pe * wave.steps + step) * lanes;
      const std::size_t wbase = (pe * (wave.j1 - wave.j0) + step / wave.depth) * lanes;
      for (int64_t l = 0; l < t.k_count; ++l) {
        wave.psums_f[base + l] = float_psum(wave.dots[base + l], wave.weight_scale_f[wbase + l], as, frac_bits);
      }
      products += t.k_count;
    }
  }
  counters_.inc(scale_mul_, products);
  counters_.inc(psum_mul_, products);
}

}  // namespace dlasim::hw
