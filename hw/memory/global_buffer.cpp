#include "hw/memory/global_buffer.hpp"

#include <cmath>

#include <fmt/format.h>

#include "hw/timing.hpp"

namespace dlasim::hw {

GlobalBuffer::GlobalBuffer(sc_core::sc_module_name name, const ArchParams& arch, Counters& counters,
                           WaveformRecorder* waves, Progress* progress)
    : sc_module(name), arch_(arch), counters_(counters), period_(clock_period(arch.clock_mhz)), waves_(waves),
      progress_(progress) {
  read_bits_ = counters.add("gbuf.read_bits");
  write_bits_ = counters.add("gbuf.write_bits");
  if (waves_ != nullptr) {
    transfer_busy_ = waves_->add_signal(this->name(), "transfer_busy", 1,
                                        "1 while a pass's operands are sent from the global buffer to the PE buffers");
  }
  SC_HAS_PROCESS(GlobalBuffer);
  SC_THREAD(run);
}

void GlobalBuffer::run() {
  while (true) {
    waiting_for_ = "a pass from the DRAM interface";
    WavePtr w = fill_in.read();
    held_bytes_ = (w->gbuf_read_bits + 7) / 8;
    waiting_for_ = "the pass's DRAM data";
    wait_until(w->dram_ready_at);
    // The transfer starts when the PE buffers can take the pass (fill_out has room), not before.
    waiting_for_ = "room in the PE buffers";
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
    mark_progress(progress_, w->operands_ready_at);
    waiting_for_ = "the end of its transfer to the PE buffers";
    fill_out.write(w);
    wait(cycles * period_);
    held_bytes_ = 0;
    ++passes_;
  }
}

std::string GlobalBuffer::state() const {
  return fmt::format("gbuf: capacity {} B in {} banks, pass held {} B, passes forwarded {}, fill queue {}, waiting for {}",
                     uint64_t(arch_.gbuf_kib * 1024.0), arch_.gbuf_banks, held_bytes_, passes_,
                     fill_in.num_available(), waiting_for_);
}

}  // namespace dlasim::hw
