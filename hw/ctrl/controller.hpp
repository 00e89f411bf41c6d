// Controller: runs the layers one after the other. For each layer it walks the plan of hw/ctrl/tiling.hpp
// (loop order, passes, traffic) and, for every pass, claims a free PE-buffer slot, then sends the pass to the
// DRAM interface to fetch its operands; it starts the next layer when the DRAM interface reports the
// layer's last output written (layers are timed separately).
// Timing: issuing takes no time; a pass waits only for a free slot (with double buffering, the pass after
// next waits until the MAC array has issued the current one). A layer's cycles run from its first pass
// issued to LayerDone.
#pragma once

#include <vector>

#include <systemc>

#include "hw/arch_params.hpp"
#include "hw/counters.hpp"
#include "hw/ctrl/tiling.hpp"
#include "hw/layer.hpp"
#include "hw/wave.hpp"

namespace dlasim::hw {

class Controller : public sc_core::sc_module {
 public:
  sc_core::sc_fifo_in<int> slot_in;          // free PE-buffer slots (from the MAC array)
  sc_core::sc_fifo_out<WavePtr> fetch_out;   // passes to the DRAM interface
  sc_core::sc_fifo_in<LayerDone> done_in;    // from the DRAM interface

  // `plans[l]` is plan_tiling(jobs[l], arch).
  Controller(sc_core::sc_module_name name, const ArchParams& arch, const std::vector<LayerJob>& jobs,
             const std::vector<TilingPlan>& plans, std::vector<LayerResult>& results, Counters& counters);

 private:
  void run();

  const ArchParams& arch_;
  const std::vector<LayerJob>& jobs_;
  const std::vector<TilingPlan>& plans_;
  std::vector<LayerResult>& results_;
  Counters& counters_;
  sc_core::sc_time period_;
};

}  // namespace dlasim::hw
