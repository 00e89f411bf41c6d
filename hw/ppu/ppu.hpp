// Post-processing unit, one per PE (reference.md §2, Fig. 2c): reads a complete collector bank, applies
// the coarse scales (per-channel weight scale × per-layer activation scale × 2^shift), bias and ReLU in
// fp32, and re-quantizes the outputs into the layer's output format (per-tensor INT N, or VS-Quant
// per-vector: vector max → scale → scale code → codes). Vectors run along the output channels.
//
// Timing: ceil(outputs of the busiest PE / ppu_outputs_per_cycle) cycles per wave, after which the bank is
// freed and the wave's outputs go to the DRAM interface (a layer's last ones ppu_latency_cycles later); it
// waits while both output staging buffers are full (DRAM writes slower than outputs are made). Functionally the outputs of a layer are
// staged in fp32 and quantized when its last wave is done, which gives the codes a vector-at-a-time
// pipeline gives; its cost is charged per output above.
//
// Waveform (when recording, hw/trace/recording.hpp): `busy` is 1 over the cycles the PPU processes a wave's
// outputs (its ceil(outputs / ppu_outputs_per_cycle) cycles; the latency of a layer's last outputs is not
// included).
#pragma once

#include <string>
#include <vector>

#include <systemc>

#include "hw/arch_params.hpp"
#include "hw/counters.hpp"
#include "hw/progress.hpp"
#include "hw/layer.hpp"
#include "hw/trace/recording.hpp"
#include "hw/wave.hpp"

namespace dlasim::hw {

class Ppu : public sc_core::sc_module {
 public:
  sc_core::sc_fifo_in<WavePtr> sums_in;
  sc_core::sc_fifo_out<int> free_bank_out;
  sc_core::sc_fifo_out<OutputWrite> write_out;  // to the DRAM interface

  // `waves` (nullptr = off) records this block's signals; `banks_in_use` (the collector's banks_busy) is
  // lowered when a bank is freed.
  Ppu(sc_core::sc_module_name name, const ArchParams& arch, std::vector<LayerResult>& results,
      Counters& counters, WaveformRecorder* waves = nullptr, SharedLevel* banks_in_use = nullptr,
      Progress* progress = nullptr);

  // One line for the watchdog: banks queued, outputs staged of the current layer, writes pending, what it waits for.
  std::string state() const;

 private:
  void run();
  void stage_outputs(const Wave& wave);
  void finish_layer(const Wave& wave);

  const ArchParams& arch_;
  std::vector<LayerResult>& results_;
  Counters& counters_;
  sc_core::sc_time period_;
  std::size_t staged_layer_ = SIZE_MAX;
  std::vector<float> channel_scales_;
  std::vector<float> staged_;  // [pixel][channel] fp32 outputs of the current layer
  CounterId scale_mul_, bias_add_, compare_, requant_mul_, recip_;
  WaveformRecorder* waves_;
  SharedLevel* banks_in_use_;
  SignalId busy_signal_ = 0;
  Progress* progress_;
  const char* waiting_for_ = "a complete collector bank";
  uint64_t staged_outputs_ = 0;  // outputs of the current layer staged, not yet re-quantized
  uint64_t pending_write_bits_ = 0;  // outputs processed, not yet handed to the DRAM interface
};

}  // namespace dlasim::hw
