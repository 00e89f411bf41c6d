// DRAM interface: one channel of `dram_bytes_per_cycle` shared by reads (operands into the global buffer)
// and writes (PPU outputs), each access `dram_latency_cycles` long. Requests are served in arrival order:
// an access of B bytes occupies the channel for ceil(B / bandwidth) cycles from the later of its arrival
// and the end of the previous access; read data is in the global buffer `latency` cycles after its
// transfer ends, a write is acknowledged `latency` cycles after it. Bandwidth 0 means unlimited (transfers
// take no cycles, the latency still applies to accesses that move data).
//
// Timing: reads are annotated (Wave::dram_ready_at) and forwarded at once, so the controller's slot limit
// bounds how far reads run ahead; the write process holds each write for its transfer (two output staging
// buffers back-pressure the PPU) and reports LayerDone when the layer's last write is acknowledged.
// Stall cause it creates: `stall.dram` in the MAC array (hw/pe/mac_array.hpp).
//
// Waveform (when recording, hw/trace/recording.hpp): `read_busy` / `write_busy` are 1 over the cycles a read /
// write occupies the channel; `read_bytes` / `write_bytes` count the bytes moved since time 0 (each access
// ceil(bits / 8) bytes, as the channel moves them), raised at the first cycle after the access's transfer.
#pragma once

#include <string>

#include <systemc>

#include "hw/arch_params.hpp"
#include "hw/counters.hpp"
#include "hw/progress.hpp"
#include "hw/trace/recording.hpp"
#include "hw/wave.hpp"

namespace dlasim::hw {

class DramInterface : public sc_core::sc_module {
 public:
  sc_core::sc_fifo_in<WavePtr> read_in;        // passes whose operands must be fetched
  sc_core::sc_fifo_out<WavePtr> read_out;      // to the global buffer, dram_ready_at set
  sc_core::sc_fifo_in<OutputWrite> write_in;   // from the PPU
  sc_core::sc_fifo_out<LayerDone> done_out;    // to the controller

  // `waves` (nullptr = off) records this block's signals.
  DramInterface(sc_core::sc_module_name name, const ArchParams& arch, Counters& counters,
                WaveformRecorder* waves = nullptr, Progress* progress = nullptr);

  // One line for the watchdog: requests queued, reads and writes in flight (bytes), channel busy until.
  std::string state() const;

 private:
  // Waveform signals of one access direction (reads or writes).
  struct Direction {
    SignalId busy = 0, bytes = 0;
    uint64_t total_bytes = 0;
  };

  void read_process();
  void write_process();
  // Reserves the channel for `bits` from now on; returns the end of the transfer.
  sc_core::sc_time transfer(uint64_t bits, Direction& dir);

  const ArchParams& arch_;
  Counters& counters_;
  sc_core::sc_time period_;
  sc_core::sc_time channel_free_;
  CounterId read_bits_, write_bits_, busy_cycles_;
  WaveformRecorder* waves_;
  Direction reads_, writes_;
  Progress* progress_;
  // Watchdog state: requests accepted and bytes moved since time 0, the latest read's data arrival, the write
  // being transferred (bytes, 0 = none), and whether the testing-only DRAM fault stopped the reads.
  uint64_t reads_accepted_ = 0, writes_done_ = 0, read_bytes_ = 0, write_bytes_ = 0, write_in_flight_bytes_ = 0;
  sc_core::sc_time last_read_ready_;
  bool fault_stalled_ = false;
  sc_core::sc_event never_;  // never notified: the injected fault waits on it for good
};

}  // namespace dlasim::hw
