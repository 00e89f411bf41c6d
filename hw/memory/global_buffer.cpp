#include "hw/memory/global_buffer.hpp"

#include <cmath>

#include "hw/timing.hpp"

namespace dlasim::hw {

GlobalBuffer::GlobalBuffer(sc_core::sc_module_name name, const ArchParams& arch, Counters& counters,
                           WaveformRecorder* waves)
    : sc_module(name), arch_(arch), counters_(counters), period_(clock_period(arch.clock_mhz)), waves_(waves) {
  read_bits_ = counters.add("gbuf.read_bits", "bits", "global-buffer bits read towards the PE buffers (multicast once)",
                            CounterKind::action);
  write_bits_ = counters.add("gbuf.write_bits", "bits", "global-buffer bits written with data arriving from DRAM",
                             CounterKind::action);
  if (waves_ != nullptr) {
    transfer_busy_ = waves_->add_signal(this->name(), "transfer_busy", 1,
                                        "1 while a pass's operands are sent from the global buffer to the PE buffers");
  }
  SC_HAS_PROCESS(GlobalBuffer);
  SC_THREAD(run);
}

void GlobalBuffer::run() {
  while (true) {
    WavePtr w = fill_in.read();
    wait_until(w->dram_ready_at);
    // The transfer starts when the PE buffers can take the pass (fill_out has room), not before.
    while (fill_out.num_free() == 0) wait(fill_out.data_read_event());
    const double bytes = std::ceil(double(w->gbuf_read_bits) / 8.0);
    const double bw = arch_.gbuf_bytes_per_cycle();
    const double cycles = bw > 0.0 ? std::ceil(bytes / bw) : 0.0;
    counters_.inc(read_bits_, w->gbuf_read_bits);
    counters_.inc(write_bits_, w->dram_read_bits);
    w->operands_ready_at = sc_core::sc_time_stamp() + cycles * period_;
    if (waves_ != nullptr) {
      record_interval(*waves_, transfer_busy_, sc_core::sc_time_stamp(), w->operands_ready_at, period_);
    }
    fill_out.write(w);
    wait(cycles * period_);
  }
}

}  // namespace dlasim::hw
