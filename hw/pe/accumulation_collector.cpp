#include "hw/pe/accumulation_collector.hpp"

#include "hw/arith.hpp"
#include <fmt/format.h>

#include "hw/timing.hpp"

namespace dlasim::hw {

AccumulationCollector::AccumulationCollector(sc_core::sc_module_name name, const ArchParams& arch,
                                             Counters& counters, WaveformRecorder* waves,
                                             SharedLevel* banks_in_use, Progress* progress)
    : sc_module(name), arch_(arch), counters_(counters), period_(clock_period(arch.clock_mhz)),
      banks_(arch.collector_banks,
             std::vector<int64_t>(std::size_t(arch.pes) * arch.lanes * arch.collector_depth, 0)),
      float_banks_(arch.float_scales ? arch.collector_banks : 0,
                   std::vector<float>(std::size_t(arch.pes) * arch.lanes * arch.collector_depth, 0.0f)),
      progress_(progress) {
  acc_add_ = counters.add("pe.collector.acc_add");
  saturations_ = counters.add("pe.collector.saturations");
  zero_psums_ = counters.add("pe.activity.zero_psums");
  if (waves != nullptr) {
    const SignalId banks_busy = waves->add_signal(
        this->name(), "banks_busy", bits_for(arch.collector_banks),
        "collector banks in use (count): claimed by the MAC array for a tile set until the PPU frees them");
    if (banks_in_use != nullptr) banks_in_use->attach(waves, banks_busy, period_);
  }
  SC_HAS_PROCESS(AccumulationCollector);
  SC_THREAD(run);
}

void AccumulationCollector::run() {
  while (true) {
    waiting_for_ = "partial sums";
    WavePtr w = psums_in.read();
    waiting_for_ = "the partial sums' arrival";
    wait_until(w->ready_at);
    compute(*w);
    const double issue = static_cast<double>(w->issue_cycles);
    w->ready_at = sc_core::sc_time_stamp() + (issue + arch_.collector_latency_cycles) * period_;
    mark_progress(progress_, w->ready_at);
    waiting_for_ = "room in the PPU's queue for a complete bank";
    if (w->last_pass) sums_out.write(w);
    waiting_for_ = "the end of the pass's additions";
    wait(issue * period_);
    ++passes_;
  }
}

std::string AccumulationCollector::state(int banks_in_use) const {
  return fmt::format("collector: banks in use {}/{}, passes accumulated {}, partial sums queued {}, waiting for {}",
                     banks_in_use, arch_.collector_banks, passes_, psums_in.num_available(), waiting_for_);
}

void AccumulationCollector::compute_float(Wave& wave) {
  std::vector<float>& bank = float_banks_.at(wave.bank);
  if (wave.first_pass) std::fill(bank.begin(), bank.end(), 0.0f);
  const int lanes = arch_.lanes;
  const int64_t depth = arch_.collector_depth;
  uint64_t adds = 0, zero_psums = 0;
  const int64_t jn = wave.j1 - wave.j0;
  for (std::size_t pe = 0; pe < wave.tiles.size(); ++pe) {
    const Tile& t = wave.tiles[pe];
    for (int64_t js = 0; js < jn; ++js) {
      for (int64_t d = 0; d < t.p_count; ++d) {
        const float* psums = &wave.psums_f[(pe * wave.steps + js * wave.depth + d) * lanes];
        float* acc = bank.data() + (pe * depth + d) * lanes;
        for (int64_t l = 0; l < t.k_count; ++l) {
          acc[l] += psums[l];
          zero_psums += psums[l] == 0.0f;
        }
      }
      adds += t.k_count * t.p_count;
    }
  }
  wave.sums_f = bank.data();
  count(adds, zero_psums);
}

void AccumulationCollector::compute(Wave& wave) {
  if (arch_.float_scales) return compute_float(wave);
  std::vector<int64_t>& bank = banks_.at(wave.bank);
  if (wave.first_pass) std::fill(bank.begin(), bank.end(), 0);
  const int lanes = arch_.lanes;
  const int64_t depth = arch_.collector_depth, jn = wave.j1 - wave.j0;
  const bool scaled = !wave.psums.empty();
  uint64_t adds = 0, saturations = 0;
  for (std::size_t pe = 0; pe < wave.tiles.size(); ++pe) {
    const Tile& t = wave.tiles[pe];
    for (int64_t js = 0; js < jn; ++js) {
      for (int64_t d = 0; d < t.p_count; ++d) {  // entries d ≥ p_count of a shorter tile stay idle
        const std::size_t base = (pe * wave.steps + js * wave.depth + d) * lanes;
        int64_t* acc = bank.data() + (pe * depth + d) * lanes;
        for (int64_t l = 0; l < t.k_count; ++l) {
          bool sat = false;
          acc[l] = saturate(acc[l] + (scaled ? wave.psums[base + l] : int64_t{wave.dots[base + l]}), arch_.acc_bits, &sat);
          saturations += sat;
        }
      }
      adds += t.k_count * t.p_count;
    }
  }
  wave.sums = bank.data();
  count(adds, scaled ? wave.zero_psums : zero_dots(wave, lanes));  // a scale unit counted its own
  counters_.inc(saturations_, saturations);
}

void AccumulationCollector::count(uint64_t adds, uint64_t zero_psums) {
  counters_.inc(zero_psums_, zero_psums);
  counters_.inc(acc_add_, arch_.gates_accumulate() ? adds - zero_psums : adds);
}

}  // namespace dlasim::hw
