// How the DLA's blocks record into a WaveformRecorder (hw/trace/waveform.hpp). A block gets a recorder
// pointer (nullptr = recording off), registers its signals in its constructor under its SystemC name
// ("design.mac_array") and tests the pointer once per wave; nothing is recorded per step. Blocks handle a
// whole wave with one wait, so they record the cycle intervals their annotations (hw/wave.hpp) imply, often
// in the future. Cycles are absolute simulation cycles: to_cycles(t, period) of hw/timing.hpp.
#pragma once

#include <cstdint>

#include <systemc>

#include "hw/timing.hpp"
#include "hw/trace/waveform.hpp"

namespace dlasim::hw {

// Bits needed for the values 0 … max_value (at least 1).
inline int bits_for(uint64_t max_value) {
  int bits = 1;
  while (bits < 64 && (max_value >> bits) != 0) ++bits;
  return bits;
}

// Drives the pulse-driven signal `id` to `value` over the simulated interval [from, to): cycles
// to_cycles(from) … to_cycles(to) - 1, then back to 0. Nothing for an empty interval (to ≤ from).
inline void record_interval(WaveformRecorder& waves, SignalId id, const sc_core::sc_time& from,
                            const sc_core::sc_time& to, const sc_core::sc_time& period, uint64_t value = 1) {
  const uint64_t first = to_cycles(from, period), end = to_cycles(to, period);
  if (end > first) waves.pulse(id, first, end - 1, value);
}

// A level that processes of different blocks move at the current simulation time, e.g. the PE-buffer slots
// the controller claims and the MAC array releases. The Dla owns it, the block whose signal it is attaches
// it, the others call add(). Detached (recording off) add() is a pointer test. Several moves in one cycle
// leave the last value (the recorder keeps the last change recorded at a cycle).
class SharedLevel {
 public:
  void attach(WaveformRecorder* waves, SignalId id, const sc_core::sc_time& period) {
    waves_ = waves;
    id_ = id;
    period_ = period;
  }
  void add(int64_t delta) {
    if (waves_ == nullptr) return;
    value_ = static_cast<uint64_t>(static_cast<int64_t>(value_) + delta);
    waves_->set(id_, to_cycles(sc_core::sc_time_stamp(), period_), value_);
  }

 private:
  WaveformRecorder* waves_ = nullptr;
  SignalId id_ = 0;
  sc_core::sc_time period_;
  uint64_t value_ = 0;
};

}  // namespace dlasim::hw
