// The PE array's vector MAC lanes: `pes` PEs × `lanes` lanes, each lane a V-element signed integer dot
// product per cycle (N_w × N_a products, adder tree to N_w + N_a + log2 V bits).
// Each PE holds one weight vector per lane for `depth` cycles while input vectors of `depth` output
// pixels stream past (local weight stationary); an input vector is broadcast to all lanes of its PE.
// Padding taps stream a zero vector (they cost their cycle). In a grouped layer a tile's lanes all belong
// to one group g and the PE streams that group's slice of the input (rows ConvShape::input_row(·, ·, g)).
//
// Activity (ArchParams::gating): every busy lane-step is counted (pe.activity.lane_steps), and those whose weight
// or activation vector is all zero (pe.activity.zero_vector_steps, also left in Wave::zero_vector_steps for the
// scale unit). The dot products and element multiplies that switch are counted per the gating policy:
// with Gating::lane an all-zero vector or a zero scale product holds the lane and only products of two nonzero
// elements switch a multiplier; otherwise every busy lane-step switches V multipliers.
//
// Timing: a pass starts when its operands are in the PE buffers (stall causes: `stall.dram` while its DRAM
// data is still on the way, then `stall.gbuf` while the global buffer fills the PE buffers) and, for the first
// pass of a tile set, when an accumulation-collector bank is free (`stall.collector_full`). It issues the
// pass's `steps` in `issue_cycles` cycles (one step per cycle unless the buffers' read ports are the limit),
// then frees the pass's PE-buffer slot; first result after mac_latency_cycles.
//
// Waveform (when recording, hw/trace/recording.hpp): `active_lanes` is, over the cycles a pass issues, the
// lanes busy summed over the PEs in a step where every tile has a pixel (Σ k_count over the pass's tiles: the
// peak; steps of a tile's idle collector entries, d ≥ p_count, use fewer), 0 otherwise. `stall_dram`,
// `stall_gbuf` and `stall_collector_full` are 1 over exactly the cycles the stall counters of the same
// names count.
#pragma once

#include <string>
#include <vector>

#include <systemc>

#include "hw/arch_params.hpp"
#include "hw/counters.hpp"
#include "hw/pe/vector_masks.hpp"
#include "hw/progress.hpp"
#include "hw/trace/recording.hpp"
#include "hw/wave.hpp"

namespace dlasim::hw {

class MacArray : public sc_core::sc_module {
 public:
  sc_core::sc_fifo_in<WavePtr> wave_in;       // from the PE buffers
  sc_core::sc_fifo_in<int> free_bank_in;       // from the PPU
  sc_core::sc_fifo_out<WavePtr> dots_out;
  sc_core::sc_fifo_out<int> slot_free_out;     // PE-buffer slot released (to the controller)

  // `waves` (nullptr = off) records this block's signals; `slots_in_use` (the PE buffers' slots_full) is
  // lowered when a slot is freed, `banks_in_use` (the collector's banks_busy) raised when a bank is claimed.
  MacArray(sc_core::sc_module_name name, const ArchParams& arch, Counters& counters,
           WaveformRecorder* waves = nullptr, SharedLevel* slots_in_use = nullptr,
           SharedLevel* banks_in_use = nullptr, Progress* progress = nullptr);

  // One line for the watchdog: passes issued, the pass in flight (layer), what it is stalled on.
  std::string state() const;

  // Fills wave.dots (and the scale codes or values that travel with the operands) for every busy lane and
  // step. Signed integer codes multiply as they are; other elements as aligned significands
  // (hw/element_fixed.hpp), decoded once per layer.
  void compute(Wave& wave);

 private:
  void run();
  template <class T>
  void compute_dots(Wave& wave, const T* weights, const T* input, const T* zero);

  const ArchParams& arch_;
  Counters& counters_;
  sc_core::sc_time period_;
  std::vector<int8_t> zero_codes_;   // the input vector of a padding tap
  std::vector<int16_t> zero_fixed_;
  const LayerJob* decoded_job_ = nullptr;
  std::vector<int16_t> decoded_weights_, decoded_input_;  // codes → aligned significands, same layout
  const LayerJob* masked_job_ = nullptr;
  VectorMasks weight_masks_, input_masks_;  // nonzero elements of the layer's vectors (gating)
  std::vector<uint64_t> zero_mask_;         // the mask of a padding tap's zero vector
  int bank_ = -1;  // collector bank of the current tile set
  sc_core::sc_time idle_since_;  // end of the last issued pass
  // Gating::lane, one input vector (mask `amask`, step index `astep`) against the tile's `lanes` weight vectors
  // (masks `lane_masks`, all-zero flags `lane_zero`): adds the lane-steps that switch (weight vector nonzero, scale
  // product nonzero when `code_gating`, floating scales nonzero) to `switched` and their nonzero element pairs to
  // `nonzero_products`.
  void count_switched_lanes(const Wave& wave, std::size_t wbase, std::size_t astep, const uint64_t* const* lane_masks,
                            const char* lane_zero, int64_t lanes, const uint64_t* amask, bool code_gating,
                            uint64_t& switched, uint64_t& nonzero_products) const;

  CounterId dot_, multiply_, lane_steps_, zero_vector_steps_, wbuf_read_bits_, ibuf_read_bits_, busy_cycles_,
      lane_cycles_, stall_collector_full_, stall_dram_, stall_gbuf_;
  WaveformRecorder* waves_;
  SharedLevel* slots_in_use_;
  SharedLevel* banks_in_use_;
  Progress* progress_;
  const char* waiting_for_ = "a pass from the PE buffers";
  uint64_t passes_ = 0;  // passes issued since time 0
  int64_t layer_ = -1;   // layer of the pass in flight, -1 = none
  struct {
    SignalId active_lanes, stall_dram, stall_gbuf, stall_collector_full;
  } signals_{};
};

}  // namespace dlasim::hw
