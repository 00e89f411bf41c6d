#include "hw/ppu/ppu.hpp"

#include <algorithm>

#include "hw/arith.hpp"
#include "hw/ctrl/tiling.hpp"
#include "hw/reference.hpp"
#include <fmt/format.h>

#include "hw/timing.hpp"

namespace dlasim::hw {

Ppu::Ppu(sc_core::sc_module_name name, const ArchParams& arch, std::vector<LayerResult>& results,
         Counters& counters, WaveformRecorder* waves, SharedLevel* banks_in_use, Progress* progress)
    : sc_module(name), arch_(arch), results_(results), counters_(counters), period_(clock_period(arch.clock_mhz)),
      waves_(waves), banks_in_use_(banks_in_use), progress_(progress) {
  scale_mul_ = counters.add("ppu.scale_mul");
  bias_add_ = counters.add("ppu.bias_add");
  compare_ = counters.add("ppu.compare");
  requant_mul_ = counters.add("ppu.requant_mul");
  recip_ = counters.add("ppu.recip");
  if (waves_ != nullptr) {
    busy_signal_ = waves_->add_signal(this->name(), "busy", 1, "1 while the PPU processes a wave's outputs");
  }
  SC_HAS_PROCESS(Ppu);
  SC_THREAD(run);
}

void Ppu::run() {
  for (int b = 0; b < arch_.collector_banks; ++b) free_bank_out.write(b);
  while (true) {
    waiting_for_ = "a complete collector bank";
    WavePtr w = sums_in.read();
    waiting_for_ = "the bank's last sums";
    wait_until(w->ready_at);
    stage_outputs(*w);
    int64_t busiest = 0;
    for (const Tile& t : w->tiles) busiest = std::max(busiest, t.k_count * t.p_count);
    const int64_t busy = (busiest + arch_.ppu_outputs_per_cycle - 1) / arch_.ppu_outputs_per_cycle;
    if (waves_ != nullptr) {
      const sc_core::sc_time now = sc_core::sc_time_stamp();
      record_interval(*waves_, busy_signal_, now, now + static_cast<double>(busy) * period_, period_);
    }
    mark_progress(progress_, sc_core::sc_time_stamp() + static_cast<double>(busy) * period_);
    waiting_for_ = "the end of the bank's outputs";
    wait(static_cast<double>(busy) * period_);
    waiting_for_ = "the MAC array to take the freed bank";
    if (banks_in_use_ != nullptr) banks_in_use_->add(-1);
    free_bank_out.write(w->bank);
    OutputWrite out{w->layer, 0, w->last_of_layer};
    for (const Tile& t : w->tiles) out.bits += output_bits(*w->job, t.p_count, t.k0, t.k_count);
    pending_write_bits_ = out.bits;
    if (w->last_of_layer) {
      mark_progress(progress_, sc_core::sc_time_stamp() + arch_.ppu_latency_cycles * period_);
      waiting_for_ = "the layer's last outputs (ppu_latency_cycles)";
      wait(arch_.ppu_latency_cycles * period_);
      finish_layer(*w);
    }
    waiting_for_ = "room in the DRAM interface's write queue";
    write_out.write(out);
    pending_write_bits_ = 0;
  }
}

void Ppu::stage_outputs(const Wave& wave) {
  const LayerJob& job = *wave.job;
  const int64_t k_total = job.shape.out_c;
  if (staged_layer_ != wave.layer) {
    staged_layer_ = wave.layer;
    channel_scales_ = ppu_channel_scales(job, layer_arch(job, arch_));
    staged_.assign(job.shape.out_pixels() * k_total, 0.0f);
  }
  const int64_t depth = arch_.collector_depth;
  uint64_t outputs = 0;
  for (std::size_t pe = 0; pe < wave.tiles.size(); ++pe) {
    const Tile& t = wave.tiles[pe];
    const std::size_t offset = pe * arch_.lanes * depth;
    for (int64_t l = 0; l < t.k_count; ++l) {
      const int64_t k = t.k0 + l;
      for (int64_t d = 0; d < t.p_count; ++d) {
        const std::size_t a = offset + d * arch_.lanes + l;
        staged_[(t.p0 + d) * k_total + k] =
            arch_.float_scales ? ppu_activate_fp32(wave.sums_f[a], channel_scales_[k], (*job.bias)[k], job.relu)
                               : ppu_activate(wave.sums[a], channel_scales_[k], (*job.bias)[k], job.relu);
      }
    }
    outputs += t.k_count * t.p_count;
  }
  staged_outputs_ += outputs;
  counters_.inc(scale_mul_, outputs);
  counters_.inc(bias_add_, outputs);
  if (job.relu) counters_.inc(compare_, outputs);
}

void Ppu::finish_layer(const Wave& wave) {
  LayerResult& res = results_[wave.layer];
  res.output = make_output_tensor(*wave.job);
  ppu_requantize(staged_, res.output);
  const uint64_t outputs = staged_.size();
  counters_.inc(requant_mul_, outputs);  // y · (1/s) per output
  if (res.output.spec.granularity == quant::Granularity::per_vector) {
    const uint64_t vectors = res.output.shape.rows * res.output.vectors_per_row;
    counters_.inc(compare_, outputs);  // vector max
    counters_.inc(recip_, vectors);
    counters_.inc(requant_mul_, vectors);  // scale code s · (1/γ)
  }
  staged_layer_ = SIZE_MAX;
  staged_outputs_ = 0;
}

std::string Ppu::state() const {
  return fmt::format("ppu: banks queued {}, outputs staged {} (layer {}), outputs pending write {} B, waiting for {}",
                     sums_in.num_available(), staged_outputs_,
                     staged_layer_ == SIZE_MAX ? std::string("none") : std::to_string(staged_layer_),
                     (pending_write_bits_ + 7) / 8, waiting_for_);
}

}  // namespace dlasim::hw
