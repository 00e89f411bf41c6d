// Controller: runs the layers one after the other. For each layer it walks the plan of hw/ctrl/tiling.hpp
// (loop order, passes, traffic) and, for every pass, claims a free PE-buffer slot, then sends the pass to the
// DRAM interface to fetch its operands; it starts the next layer when the DRAM interface reports the
// layer's last output written (layers are timed separately).
// Timing: issuing takes no time; a pass waits only for a free slot (with double buffering, the pass after
// next waits until the MAC array has issued the current one). A layer's cycles run from its first pass
// issued to LayerDone.
//
// Waveform (when recording, hw/trace/recording.hpp): `layer` (index of the layer being run, set when its first
// pass is issued), `passes_issued` (passes sent since time 0, 64 bits).
#pragma once

#include <string>
#include <vector>

#include <systemc>

#include "hw/arch_params.hpp"
#include "hw/counters.hpp"
#include "hw/ctrl/tiling.hpp"
#include "hw/layer.hpp"
#include "hw/progress.hpp"
#include "hw/trace/recording.hpp"
#include "hw/wave.hpp"

namespace dlasim::hw {

class Controller : public sc_core::sc_module {
 public:
  sc_core::sc_fifo_in<int> slot_in;          // free PE-buffer slots (from the MAC array)
  sc_core::sc_fifo_out<WavePtr> fetch_out;   // passes to the DRAM interface
  sc_core::sc_fifo_in<LayerDone> done_in;    // from the DRAM interface

  // `plans[l]` is plan_tiling(jobs[l], arch). `waves` (nullptr = off) records this block's signals;
  // `slots_in_use` is the PE buffers' slots_full level, raised when a slot is claimed.
  Controller(sc_core::sc_module_name name, const ArchParams& arch, const std::vector<LayerJob>& jobs,
             const std::vector<TilingPlan>& plans, std::vector<LayerResult>& results, Counters& counters,
             WaveformRecorder* waves = nullptr, SharedLevel* slots_in_use = nullptr,
             Progress* progress = nullptr);

  // True once every job's LayerDone has arrived; finished_event() is notified then.
  bool finished() const { return layers_done_ == jobs_.size(); }
  const sc_core::sc_event& finished_event() const { return finished_event_; }
  // One line for the watchdog: current layer, passes issued of the layer, layers left, what it waits for.
  std::string state() const;

 private:
  void run();

  const ArchParams& arch_;
  const std::vector<LayerJob>& jobs_;
  const std::vector<TilingPlan>& plans_;
  std::vector<LayerResult>& results_;
  Counters& counters_;
  sc_core::sc_time period_;
  WaveformRecorder* waves_;
  SharedLevel* slots_in_use_;
  SignalId layer_signal_ = 0, passes_signal_ = 0;
  uint64_t passes_issued_ = 0;
  Progress* progress_;
  sc_core::sc_event finished_event_;
  std::size_t layers_done_ = 0;
  int64_t layer_passes_ = 0, layer_passes_issued_ = 0;  // of the current layer
  const char* waiting_for_ = "start";
};

}  // namespace dlasim::hw
