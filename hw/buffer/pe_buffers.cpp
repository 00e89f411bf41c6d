#include "hw/buffer/pe_buffers.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "hw/timing.hpp"

namespace dlasim::hw {

PeBuffers::PeBuffers(sc_core::sc_module_name name, const ArchParams& arch, Counters& counters,
                     WaveformRecorder* waves, SharedLevel* slots_in_use, Progress* progress)
    : sc_module(name), arch_(arch), counters_(counters), period_(clock_period(arch.clock_mhz)), waves_(waves),
      progress_(progress) {
  wbuf_write_bits_ = counters.add("pe.wbuf.write_bits");
  ibuf_write_bits_ = counters.add("pe.ibuf.write_bits");
  if (waves_ != nullptr) {
    const SignalId slots_full = waves_->add_signal(
        this->name(), "slots_full", bits_for(arch.buffer_slots()),
        "PE-buffer slots in use (count): claimed by the controller for a pass until the MAC array has issued it");
    if (slots_in_use != nullptr) slots_in_use->attach(waves_, slots_full, period_);
    fill_busy_ = waves_->add_signal(this->name(), "fill_busy", 1,
                                    "1 while the PE buffers' write ports write a pass's rows");
  }
  SC_HAS_PROCESS(PeBuffers);
  SC_THREAD(run);
}

void PeBuffers::run() {
  while (true) {
    waiting_for_ = "a pass from the global buffer";
    WavePtr w = fill_in.read();
    const int per_cycle = arch_.buffer_write_entries_per_cycle;
    const int64_t cycles = per_cycle > 0 ? (w->fill_entries + per_cycle - 1) / per_cycle : 0;
    const sc_core::sc_time written = sc_core::sc_time_stamp() + static_cast<double>(cycles) * period_;
    w->operands_ready_at = std::max(w->operands_ready_at, written);
    if (waves_ != nullptr) record_interval(*waves_, fill_busy_, sc_core::sc_time_stamp(), written, period_);
    counters_.inc(wbuf_write_bits_, w->wbuf_write_bits);
    counters_.inc(ibuf_write_bits_, w->ibuf_write_bits);
    const sc_core::sc_time ready = w->operands_ready_at;
    mark_progress(progress_, ready);
    waiting_for_ = "the MAC array to take the written pass";
    operands_out.write(std::move(w));
    waiting_for_ = "its rows written";
    wait_until(ready);
    ++passes_;
  }
}

std::string PeBuffers::state(int slots_occupied) const {
  std::string s;
  const int slots = arch_.buffer_slots();
  for (int pe = 0; pe < arch_.pes; ++pe) {
    s += fmt::format("pe_buffers.pe{}: weight buffer {}/{} slots occupied, input buffer {}/{} slots occupied\n", pe,
                     slots_occupied, slots, slots_occupied, slots);
  }
  return s + fmt::format("pe_buffers: passes written {}, fill queue {}, passes waiting for the MAC array {}, waiting for {}",
                         passes_, fill_in.num_available(), operands_out.num_free() == 0 ? 1 : 0, waiting_for_);
}

}  // namespace dlasim::hw
