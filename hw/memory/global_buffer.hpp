// Global buffer: `gbuf_kib` of SRAM in `gbuf_banks` banks shared by all PEs. It receives operands from DRAM
// (which data stays resident is the controller's plan, hw/ctrl/tiling.hpp) and sends each pass's weights and
// input windows to the PE buffers, multicasting data several PEs need. Each bank has one read port towards
// the PEs (gbuf_bank_bytes_per_cycle) and a separate write port for DRAM data.
//
// Timing: store and forward per pass — a pass's transfer to the PEs starts once its DRAM data has arrived
// (Wave::dram_ready_at), the previous transfer is done and the PE buffers have room for the pass (fill_out),
// and takes ceil(bytes / (banks · gbuf_bank_bytes_per_cycle)) cycles (0 when the bandwidth is unlimited). It
// sets Wave::operands_ready_at to the end of the transfer; the PE buffers may delay it further. Stall cause it
// creates: `stall.gbuf`.
//
// Waveform (when recording, hw/trace/recording.hpp): `transfer_busy` is 1 over the cycles of each transfer to
// the PE buffers.
#pragma once

#include <string>

#include <systemc>

#include "hw/arch_params.hpp"
#include "hw/counters.hpp"
#include "hw/progress.hpp"
#include "hw/trace/recording.hpp"
#include "hw/wave.hpp"

namespace dlasim::hw {

class GlobalBuffer : public sc_core::sc_module {
 public:
  sc_core::sc_fifo_in<WavePtr> fill_in;    // from the DRAM interface
  sc_core::sc_fifo_out<WavePtr> fill_out;  // to the PE buffers, at the start of the transfer

  // `waves` (nullptr = off) records this block's signals.
  GlobalBuffer(sc_core::sc_module_name name, const ArchParams& arch, Counters& counters,
               WaveformRecorder* waves = nullptr, Progress* progress = nullptr);

  // One line for the watchdog: the pass held (bytes, for which layer), what the transfer waits for, queues.
  std::string state() const;

 private:
  void run();

  const ArchParams& arch_;
  Counters& counters_;
  sc_core::sc_time period_;
  CounterId read_bits_, write_bits_;
  WaveformRecorder* waves_;
  SignalId transfer_busy_ = 0;
  Progress* progress_;
  const char* waiting_for_ = "a pass from the DRAM interface";
  uint64_t held_bytes_ = 0;  // the pass being stored and forwarded (DRAM data in + bytes to the PEs), 0 = none
  uint64_t passes_ = 0;      // passes forwarded since time 0
};

}  // namespace dlasim::hw
