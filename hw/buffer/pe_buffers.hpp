// The PEs' weight buffers and input buffers (one of each per PE; `*_buffer_kib` of rows of
// `*_buffer_entry_bits` data bits, operands packed as hw/buffer/packing.hpp describes). With double
// buffering each buffer has two slots: the controller claims a free slot before it fetches a pass, the MAC
// array frees it once it has issued the pass, so the next pass loads while one computes. Read ports limit the
// MAC array's issue rate (Wave::issue_cycles, computed by the controller's plan).
//
// Timing: a pass's rows are written as the global buffer sends them, at most
// `buffer_write_entries_per_cycle` rows per cycle per PE buffer (0 = unlimited); its operands are ready at the
// later of the global buffer's transfer end and the busiest PE's write end. The write port is busy for
// that time. Stall cause it creates: `stall.gbuf` (the fill of the PE buffers).
//
// Waveform (when recording, hw/trace/recording.hpp): `slots_full` is the number of slots holding loaded or
// loading operands (claimed by the controller, not yet released by the MAC array); `fill_busy` is 1 over the
// cycles the write ports take to write each pass's rows.
#pragma once

#include <string>

#include <systemc>

#include "hw/arch_params.hpp"
#include "hw/counters.hpp"
#include "hw/progress.hpp"
#include "hw/trace/recording.hpp"
#include "hw/wave.hpp"

namespace dlasim::hw {

class PeBuffers : public sc_core::sc_module {
 public:
  sc_core::sc_fifo_in<WavePtr> fill_in;       // from the global buffer, at the start of its transfer
  sc_core::sc_fifo_out<WavePtr> operands_out; // to the MAC array, operands_ready_at final

  // `waves` (nullptr = off) records this block's signals; `slots_in_use` (moved by the controller and the
  // MAC array) is attached as `slots_full`.
  PeBuffers(sc_core::sc_module_name name, const ArchParams& arch, Counters& counters,
            WaveformRecorder* waves = nullptr, SharedLevel* slots_in_use = nullptr, Progress* progress = nullptr);

  // Lines for the watchdog, one per PE (the PEs' buffers claim and free their slots together, so all show
  // `slots_occupied`, the slots claimed by the controller and not yet freed by the MAC array), then the
  // write port's state.
  std::string state(int slots_occupied) const;

 private:
  void run();

  const ArchParams& arch_;
  Counters& counters_;
  sc_core::sc_time period_;
  CounterId wbuf_write_bits_, ibuf_write_bits_;
  WaveformRecorder* waves_;
  SignalId fill_busy_ = 0;
  Progress* progress_;
  const char* waiting_for_ = "a pass from the global buffer";
  uint64_t passes_ = 0;  // passes written since time 0
};

}  // namespace dlasim::hw
