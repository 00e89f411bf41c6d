#include "hw/buffer/pe_buffers.hpp"

#include <algorithm>

#include "hw/timing.hpp"

namespace dlasim::hw {

PeBuffers::PeBuffers(sc_core::sc_module_name name, const ArchParams& arch, Counters& counters)
    : sc_module(name), arch_(arch), counters_(counters), period_(clock_period(arch.clock_mhz)) {
  wbuf_write_bits_ = counters.add("pe.wbuf.write_bits", "bits", "weight-buffer bits written (codes + per-vector scales)",
                                  CounterKind::action);
  ibuf_write_bits_ = counters.add("pe.ibuf.write_bits", "bits", "input-buffer bits written (codes + per-vector scales)",
                                  CounterKind::action);
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
    counters_.inc(wbuf_write_bits_, w->wbuf_write_bits);
    counters_.inc(ibuf_write_bits_, w->ibuf_write_bits);
    const sc_core::sc_time ready = w->operands_ready_at;
    operands_out.write(std::move(w));
    wait_until(ready);
  }
}

}  // namespace dlasim::hw
