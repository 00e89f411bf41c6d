// Accumulation collector: per PE, `lanes` × `collector_depth` saturating accumulators of acc_bits
// (two's complement) in each of `collector_banks` banks. A tile set accumulates into the bank the MAC array
// claimed for its first pass, over all its passes; the last pass hands the bank to the PPU, which frees it
// once it has read it. Saturation events are counted. With floating scales (ArchParams::float_scales) the
// accumulators are fp32 (round to nearest even per addition, in step order; no saturation).
//
// Timing: takes steps at the MAC array's issue rate; a bank is complete collector_latency_cycles after the
// last pass's last partial sum arrives.
//
// Waveform (when recording, hw/trace/recording.hpp): `banks_busy` is the number of banks in use (count): claimed
// by the MAC array for a tile set's first pass until the PPU has read the bank and frees it.
#pragma once

#include <string>
#include <vector>

#include <systemc>

#include "hw/arch_params.hpp"
#include "hw/counters.hpp"
#include "hw/progress.hpp"
#include "hw/trace/recording.hpp"
#include "hw/wave.hpp"

namespace dlasim::hw {

class AccumulationCollector : public sc_core::sc_module {
 public:
  sc_core::sc_fifo_in<WavePtr> psums_in;
  sc_core::sc_fifo_out<WavePtr> sums_out;

  // `waves` (nullptr = off) records this block's signals; `banks_in_use` (moved by the MAC array and the PPU)
  // is attached as `banks_busy`.
  AccumulationCollector(sc_core::sc_module_name name, const ArchParams& arch, Counters& counters,
                        WaveformRecorder* waves = nullptr, SharedLevel* banks_in_use = nullptr,
                        Progress* progress = nullptr);

  // One line for the watchdog: banks in use (`banks_in_use`, claimed by the MAC array and not yet freed by the
  // PPU), passes accumulated, partial sums queued, what it waits for.
  std::string state(int banks_in_use) const;

  // Clears the wave's bank on its first pass and accumulates its partial sums (wave.psums, or wave.dots
  // without a scale unit) in step order; sets wave.sums to the bank.
  void compute(Wave& wave);

 private:
  void run();
  void compute_float(Wave& wave);
  // Counts a pass's additions: every busy lane-step's partial sum, less the zero ones the zero detector skips
  // (Gating::accumulate and lane); zero partial sums are counted in any case (pe.activity.zero_psums).
  void count(uint64_t adds, uint64_t zero_psums);

  const ArchParams& arch_;
  Counters& counters_;
  sc_core::sc_time period_;
  std::vector<std::vector<int64_t>> banks_;  // [bank][pe][entry][lane]
  std::vector<std::vector<float>> float_banks_;  // the same, fp32, with floating scales
  CounterId acc_add_, saturations_, zero_psums_;
  Progress* progress_;
  const char* waiting_for_ = "partial sums";
  uint64_t passes_ = 0;  // passes accumulated since time 0
};

}  // namespace dlasim::hw
