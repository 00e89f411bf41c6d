#include "hw/memory/dram_interface.hpp"

#include <cmath>

#include <fmt/format.h>

#include "hw/timing.hpp"

namespace dlasim::hw {

DramInterface::DramInterface(sc_core::sc_module_name name, const ArchParams& arch, Counters& counters,
                             WaveformRecorder* waves, Progress* progress)
    : sc_module(name), arch_(arch), counters_(counters), period_(clock_period(arch.clock_mhz)),
      channel_free_(sc_core::SC_ZERO_TIME), waves_(waves), progress_(progress) {
  read_bits_ = counters.add("dram.read_bits");
  write_bits_ = counters.add("dram.write_bits");
  busy_cycles_ = counters.add("dram.busy_cycles");
  if (waves_ != nullptr) {
    const char* scope = this->name();
    reads_.busy = waves_->add_signal(scope, "read_busy", 1,
                                     "1 while a read (operands into the global buffer) occupies the DRAM channel");
    writes_.busy = waves_->add_signal(scope, "write_busy", 1,
                                      "1 while a write (PPU outputs) occupies the DRAM channel");
    reads_.bytes = waves_->add_signal(scope, "read_bytes", 64,
                                      "bytes read from DRAM since time 0, raised when each read's transfer ends");
    writes_.bytes = waves_->add_signal(scope, "write_bytes", 64,
                                       "bytes written to DRAM since time 0, raised when each write's transfer ends");
  }
  SC_HAS_PROCESS(DramInterface);
  SC_THREAD(read_process);
  SC_THREAD(write_process);
}

sc_core::sc_time DramInterface::transfer(uint64_t bits, Direction& dir) {
  const double bytes = std::ceil(double(bits) / 8.0);
  const uint64_t cycles = arch_.dram_bytes_per_cycle > 0.0 ? uint64_t(std::ceil(bytes / arch_.dram_bytes_per_cycle)) : 0;
  const sc_core::sc_time start = std::max(sc_core::sc_time_stamp(), channel_free_);
  channel_free_ = start + static_cast<double>(cycles) * period_;
  counters_.inc(busy_cycles_, cycles);
  if (waves_ != nullptr) {
    record_interval(*waves_, dir.busy, start, channel_free_, period_);
    dir.total_bytes += static_cast<uint64_t>(bytes);
    waves_->set(dir.bytes, to_cycles(channel_free_, period_), dir.total_bytes);
  }
  return channel_free_;
}

void DramInterface::read_process() {
  while (true) {
    WavePtr w = read_in.read();
    if (arch_.fault_stall_dram_after_bytes > 0 && read_bytes_ >= arch_.fault_stall_dram_after_bytes) {
      fault_stalled_ = true;
      wait(never_);
    }
    w->dram_ready_at = sc_core::sc_time_stamp();
    if (w->dram_read_bits > 0) {
      w->dram_ready_at = transfer(w->dram_read_bits, reads_) + arch_.dram_latency_cycles * period_;
      counters_.inc(read_bits_, w->dram_read_bits);
      read_bytes_ += (w->dram_read_bits + 7) / 8;
    }
    ++reads_accepted_;
    last_read_ready_ = w->dram_ready_at;
    mark_progress(progress_, w->dram_ready_at);
    read_out.write(std::move(w));
  }
}

void DramInterface::write_process() {
  while (true) {
    const OutputWrite out = write_in.read();
    write_in_flight_bytes_ = (out.bits + 7) / 8;
    const sc_core::sc_time end = transfer(out.bits, writes_);
    mark_progress(progress_, end);
    wait_until(end);
    counters_.inc(write_bits_, out.bits);
    write_bytes_ += write_in_flight_bytes_;
    write_in_flight_bytes_ = 0;
    ++writes_done_;
    if (out.last_of_layer) {
      mark_progress(progress_, sc_core::sc_time_stamp() + arch_.dram_latency_cycles * period_);
      wait(arch_.dram_latency_cycles * period_);
      done_out.write(LayerDone{out.layer});
    }
  }
}

std::string DramInterface::state() const {
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  return fmt::format(
      "dram: read requests queued {}, write requests queued {}, reads accepted {} ({} B), last read data {} "
      "(cycle {}), writes done {} ({} B), write in flight {} B, channel busy until cycle {}{}",
      read_in.num_available(), write_in.num_available(), reads_accepted_, read_bytes_,
      last_read_ready_ > now ? "in flight" : "arrived", to_cycles(last_read_ready_, period_), writes_done_,
      write_bytes_, write_in_flight_bytes_, to_cycles(channel_free_, period_),
      fault_stalled_ ? ", reads stopped by the injected fault (ArchParams::fault_stall_dram_after_bytes)" : "");
}

}  // namespace dlasim::hw
