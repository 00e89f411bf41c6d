#include "hw/scale/scale_unit.hpp"

#include <algorithm>

#include "hw/arith.hpp"
#include "hw/element_fixed.hpp"
#include <fmt/format.h>

#include "hw/timing.hpp"

namespace dlasim::hw {

ScaleUnit::ScaleUnit(sc_core::sc_module_name name, const ArchParams& arch, Counters& counters, Progress* progress)
    : sc_module(name), arch_(arch), counters_(counters), period_(clock_period(arch.clock_mhz)), progress_(progress) {
  // Every scale product of M_w × M_a code pairs, when the table is small (a lookup per lane-step).
  if (!arch.float_scales && arch.raw_scale_product_bits() <= 16) {
    // An operand without per-vector scales contributes code 1: at least 1 bit per index.
    table_shift_ = std::max(arch.act_scale_bits, 1);
    const uint32_t wn = 1u << std::max(arch.weight_scale_bits, 1), an = 1u << table_shift_;
    table_.resize(std::size_t{wn} * an);
    for (uint32_t w = 0; w < wn; ++w) {
      for (uint32_t a = 0; a < an; ++a) {
        table_[(w << table_shift_) | a] =
            scale_product(w, a, arch.scale_product_shift(), arch.scale_product_width());
      }
    }
  }
  scale_mul_ = counters.add("pe.scale_unit.scale_mul");
  psum_mul_ = counters.add("pe.scale_unit.psum_mul");
  zero_scale_products_ = counters.add("pe.activity.zero_scale_products");
  SC_HAS_PROCESS(ScaleUnit);
  SC_THREAD(run);
}

void ScaleUnit::run() {
  while (true) {
    waiting_for_ = "dot products";
    WavePtr w = dots_in.read();
    waiting_for_ = "the dot products' arrival";
    wait_until(w->ready_at);
    compute(*w);
    w->ready_at = sc_core::sc_time_stamp() + arch_.scale_latency_cycles * period_;
    mark_progress(progress_, w->ready_at);
    waiting_for_ = "room in the collector's queue";
    psums_out.write(w);
    waiting_for_ = "the end of the pass's multiplies";
    wait(static_cast<double>(w->issue_cycles) * period_);
    ++passes_;
  }
}

std::string ScaleUnit::state() const {
  return fmt::format("scale_unit: passes scaled {}, dot products queued {}, waiting for {}", passes_,
                     dots_in.num_available(), waiting_for_);
}

void ScaleUnit::compute(Wave& wave) {
  if (arch_.float_scales) return compute_float(wave);
  if (!layer_arch(*wave.job, arch_).has_scale_unit()) {  // bypassed: a layer without per-vector scales
    wave.psums.assign(wave.dots.begin(), wave.dots.end());
    wave.zero_psums = zero_dots(wave, arch_.lanes);
    return;
  }
  const int lanes = arch_.lanes, shift = arch_.scale_product_shift(), width = arch_.scale_product_width();
  const int64_t jn = wave.j1 - wave.j0;
  wave.psums.resize(wave.dots.size());  // every element written below: idle lanes and steps get 0
  uint64_t products = 0, zero_scale_products = 0, nonzero_inputs = 0;
  for (std::size_t pe = 0; pe < wave.tiles.size(); ++pe) {
    const Tile& t = wave.tiles[pe];
    for (int64_t js = 0; js < jn; ++js) {
      const uint16_t* ws = &wave.weight_scale[(pe * jn + js) * lanes];
      for (int64_t d = 0; d < wave.depth; ++d) {
        const int64_t step = js * wave.depth + d;
        const uint32_t as = wave.act_scale[pe * wave.steps + step];
        const std::size_t base = (pe * wave.steps + step) * lanes;
        const int32_t* dots = &wave.dots[base];
        int64_t* psums = &wave.psums[base];
        const int64_t busy = d < t.p_count ? t.k_count : 0;  // a shorter tile's idle entries stay 0
        std::fill(psums + busy, psums + lanes, 0);
        for (int64_t l = 0; l < busy; ++l) {
          const uint32_t sp = table_.empty() ? scale_product(ws[l], as, shift, width)
                                             : table_[(uint32_t{ws[l]} << table_shift_) | as];
          psums[l] = int64_t{dots[l]} * sp;
          zero_scale_products += sp == 0;
          nonzero_inputs += (sp != 0) & (dots[l] != 0);
        }
      }
      products += t.k_count * t.p_count;
    }
  }
  count(wave, products, zero_scale_products, nonzero_inputs);
}

void ScaleUnit::count(Wave& wave, uint64_t products, uint64_t zero_scale_products, uint64_t nonzero_inputs) {
  wave.zero_psums = products - nonzero_inputs;  // dot · sp = 0 exactly when an input is 0
  counters_.inc(zero_scale_products_, zero_scale_products);
  counters_.inc(scale_mul_, arch_.gates_lane() ? products - wave.zero_vector_steps : products);
  counters_.inc(psum_mul_, arch_.gates_accumulate() ? nonzero_inputs : products);
}

void ScaleUnit::compute_float(Wave& wave) {
  const LayerJob& job = *wave.job;
  const int lanes = arch_.lanes;
  const int frac_bits = fixed_frac_bits(job.weights->spec.element) + fixed_frac_bits(job.input->spec.element);
  wave.psums_f.resize(wave.dots.size());  // every element written below: idle lanes and steps get 0
  uint64_t products = 0, zero_scale_products = 0, nonzero_inputs = 0;
  for (std::size_t pe = 0; pe < wave.tiles.size(); ++pe) {
    const Tile& t = wave.tiles[pe];
    for (int64_t step = 0; step < wave.steps; ++step) {
      const float as = wave.act_scale_f[pe * wave.steps + step];
      const std::size_t base = (pe * wave.steps + step) * lanes;
      const std::size_t wbase = (pe * (wave.j1 - wave.j0) + step / wave.depth) * lanes;
      const int64_t busy = step % wave.depth < t.p_count ? t.k_count : 0;
      std::fill(&wave.psums_f[base] + busy, &wave.psums_f[base] + lanes, 0.0f);
      if (busy == 0) continue;
      for (int64_t l = 0; l < t.k_count; ++l) {
        const float ws = wave.weight_scale_f[wbase + l];
        wave.psums_f[base + l] = float_psum(wave.dots[base + l], ws, as, frac_bits);
        zero_scale_products += ws == 0.0f || as == 0.0f;
        nonzero_inputs += ws != 0.0f && as != 0.0f && wave.dots[base + l] != 0;
      }
      products += t.k_count;
    }
  }
  count(wave, products, zero_scale_products, nonzero_inputs);
}

}  // namespace dlasim::hw
