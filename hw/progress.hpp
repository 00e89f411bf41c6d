// Progress of one DLA, watched by its watchdog (hw/top/dla.hpp). Every block marks each completion it has
// scheduled — a DRAM transfer's end, a pass's operands in the PE buffers, a pass issued, partial sums
// accumulated, outputs written, a layer done — with the simulated time it happens, which may lie in the
// future (a block about to wait for it). A DLA whose latest mark lies `watchdog_cycles` in the past and that
// still has unfinished jobs makes no progress: legitimate gaps (DRAM latency, long transfers) are covered by
// the marks of the completions they wait for. Marking is a comparison and an increment per wave and block.
#pragma once

#include <cstdint>

#include <systemc>

namespace dlasim::hw {

struct Progress {
  sc_core::sc_time latest;  // latest completion time marked (SC_ZERO_TIME before the first)
  uint64_t marks = 0;       // completions marked since time 0 (count)

  void mark(const sc_core::sc_time& when) {
    ++marks;
    if (when > latest) latest = when;
  }
};

// Marks `when` on `progress` unless it is nullptr (a block simulated without a watchdog).
inline void mark_progress(Progress* progress, const sc_core::sc_time& when) {
  if (progress != nullptr) progress->mark(when);
}

}  // namespace dlasim::hw
