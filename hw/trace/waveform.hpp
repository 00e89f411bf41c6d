// Waveform recorder: collects value changes of named signals and writes the cycles of one window as a
// VCD file (IEEE 1364-2005 §18). The model does not toggle signals cycle by cycle; a block computing a
// whole wave records the future cycle intervals in which its lanes are busy, a buffer holds N entries,
// etc. So changes arrive at arbitrary cycles, out of order across signals and within one signal.
//
// Contract:
// - Window: cycles [first_cycle, last_cycle], inclusive. A change at cycle c means "the signal has this
//   value from c on, until its next change". Changes after last_cycle are dropped on arrival; changes
//   before first_cycle only decide the value at the window start (the one with the latest cycle is kept),
//   so memory grows with the changes inside the window only. Every signal starts at 0.
// - Ordering: changes are kept per signal and sorted by cycle at write time; of the changes one signal
//   has at one cycle, the last recorded wins, except that the return to 0 at the end of a pulse() loses
//   to any set() or pulse start at that cycle (so back-to-back pulses read as one, in any record order).
// - Values: a value with bits above the signal's width is rejected (std::out_of_range), inside the
//   window or not, since it is a bug of the recording block.
// - Time: VCD time unit 1 ps; cycle c is at time c · period, period = round(1e6 / clock_mhz) ps as in
//   hw/timing.hpp. A $dumpvars at first_cycle · period holds every signal's value at the window start;
//   after it only real changes are written; the file ends with a time stamp at (last_cycle + 1) · period.
// - Determinism: the output depends only on the signals (in registration order) and the changes
//   recorded; it has no $date. Identifier codes follow registration order: "!" … "~", then "!!", …
#pragma once

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

namespace dlasim::hw {

using SignalId = std::size_t;

class WaveformRecorder {
 public:
  // Throws std::invalid_argument if first_cycle > last_cycle.
  WaveformRecorder(uint64_t first_cycle, uint64_t last_cycle);

  // Registers the signal <scope>.<name>, initially 0. `scope` is a dotted path ("design.pe_array"; empty
  // for the top level) that becomes nested VCD scopes; scope parts and `name` must be non-empty and hold
  // no whitespace, '.' or '$'; `description` (free text without "$end") becomes a VCD comment before the
  // declaration. width_bits in [1, 64]. Throws std::invalid_argument for bad arguments and
  // std::logic_error if the full name is already registered.
  SignalId add_signal(const std::string& scope, const std::string& name, int width_bits,
                      std::string description);

  // The signal has `value` from `cycle` on. Throws std::out_of_range for an unknown id or a value wider
  // than the signal.
  void set(SignalId id, uint64_t cycle, uint64_t value) {
    check(id, value);
    if (cycle <= last_cycle_) record(id, cycle, value, false);
  }

  // The signal has `value` during cycles [first, last] and 0 from last + 1 on (pulses of one signal are
  // not nested: the end of an inner pulse returns the signal to 0; levels such as buffer occupancy use
  // set()). Throws std::invalid_argument if first > last, and like set().
  void pulse(SignalId id, uint64_t first, uint64_t last, uint64_t value);

  // True if cycles [first, last] overlap the window. A pulse outside the window has no effect on a signal
  // driven by pulses only, so callers may skip computing it; a level driven by set() needs its last change
  // before the window too.
  bool in_window(uint64_t first, uint64_t last) const { return first <= last_cycle_ && last >= first_cycle_; }

  uint64_t first_cycle() const { return first_cycle_; }
  uint64_t last_cycle() const { return last_cycle_; }

  // Writes the VCD to `path` atomically: a temporary "<path>.tmp.<pid>" renamed over `path`.
  // `version_comment` goes into $version. Throws std::invalid_argument for clock_mhz that gives no
  // period in [1, 2^63) ps, a window end time beyond 2^64 ps or a version_comment holding "$end", and
  // std::runtime_error naming `path` if the file cannot be written (no temporary file is left behind).
  void write(const std::string& path, double clock_mhz, const std::string& version_comment) const;

 private:
  struct Change {
    uint64_t cycle;
    uint64_t value;
    bool pulse_end;  // loses to other changes at the same cycle
  };
  struct Signal {
    std::vector<std::string> scope;  // scope path parts, outermost first
    std::string name;
    int width;
    uint64_t mask;
    std::string description;
    Change before_window;  // latest change before first_cycle (cycle 0, value 0 if none)
    bool has_before_window;
    std::vector<Change> changes;  // in the window, in record order
  };

  void check(SignalId id, uint64_t value) const {
    if (id >= signals_.size() || (value & ~signals_[id].mask) != 0) fail_check(id, value);
  }
  [[noreturn]] void fail_check(SignalId id, uint64_t value) const;
  void record(SignalId id, uint64_t cycle, uint64_t value, bool pulse_end);
  std::string render(uint64_t period_ps, const std::string& version_comment) const;

  uint64_t first_cycle_;
  uint64_t last_cycle_;
  std::vector<Signal> signals_;
  std::unordered_set<std::string> full_names_;
};

}  // namespace dlasim::hw
