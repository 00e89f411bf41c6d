#include "hw/buffer/pe_buffers.hpp"

#include <algorithm>

#include "hw/timing.hpp"

namespace dlasim::hw {

PeBuffers::PeBuffers(sc_core::sc_module_name name, const ArchParams& arch, Counters& counters,
                     WaveformRecorder* waves, SharedLevel* slots_in_use)
    : sc_module(name), arch_(arch), counters_(counters), period_(clock_period(arch.clock_mhz)), waves_(waves) {
  wbuf_write_bits_ = counters.add("pe.wbuf.write_bits", "bits", "weight-buffer bits written (codes + per-vector scales)",
                                  CounterKind::action);
  ibuf_write_bits_ = counters.add("pe.ibuf.write_bits", "bits", "input-buffer bits written (codes + per-vector scales)",
                                  CounterKind::action);
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
    WavePtr w = fill_in.read();
    const int per_cycle = arch_.buffer_write_entries_per_cycle;
    const int64_t cycles = per_cycle > 0 ? (w->fill_entries + per_cycle - 1) / per_cycle : 0;
    const sc_core::sc_time written = sc_core::sc_time_stamp() + static_cast<double>(cycles) * period_;
    w->operands_ready_at = std::max(w->operands_ready_at, written);
    if (waves_ != nullptr) record_interval(*waves_, fill_busy_, sc_core::sc_time_stamp(), written, period_);
    counters_.inc(wbuf_write_bits_, w->wbuf_write_bits);
    counters_.inc(ibuf_write_bits_, w->ibuf_write_bits);
    const sc_core::sc_time ready = w->operands_ready_at;
    operands_out.write(std::move(w));
    wait_until(ready);
  }
}

}  // namespace dlasim::hw
