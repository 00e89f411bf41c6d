// Controller: walks each layer's tile loop and issues waves to the PE array; waits for the PPU to report
// the layer done before starting the next layer (layers are timed separately).
//
// Loop order (outer to inner): output-channel block of `lanes` channels, pixel block of `collector_depth`
// output pixels; consecutive tiles in this order form a wave of up to `pes` tiles.
// Timing: issuing takes no time; the layer's cycles run from its first wave issued to LayerDone.
#pragma once

#include <vector>

#include <systemc>

#include "hw/arch_params.hpp"
#include "hw/counters.hpp"
#include "hw/layer.hpp"
#include "hw/wave.hpp"

namespace dlasim::hw {

class Controller : public sc_core::sc_module {
 public:
  sc_core::sc_fifo_out<WavePtr> wave_out;
  sc_core::sc_fifo_in<LayerDone> done_in;

  Controller(sc_core::sc_module_name name, const ArchParams& arch, const std::vector<LayerJob>& jobs,
             std::vector<LayerResult>& results, Counters& counters);

  // The waves of one layer in issue order (exposed for tests and the closed-form cycle count).
  static std::vector<WavePtr> plan_waves(const LayerJob& job, std::size_t layer, const ArchParams& arch);

 private:
  void run();

  const ArchParams& arch_;
  const std::vector<LayerJob>& jobs_;
  std::vector<LayerResult>& results_;
  Counters& counters_;
  sc_core::sc_time period_;
};

}  // namespace dlasim::hw
