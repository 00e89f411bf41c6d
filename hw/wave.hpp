// The transaction that flows down the DLA: one "wave" = one reduction pass of up to `pes` tiles that the PEs
// execute in lockstep. It travels controller → DRAM interface → global buffer → PE buffers → MAC array →
// scale unit → collector → PPU. Blocks exchange waves through sc_fifo and annotate when their result is
// available, so a whole wave's work is computed at once and timed with a single wait (design.md §3).
#pragma once

#include <cstdint>
#include <memory>
#include <ostream>
#include <utility>
#include <vector>

#include <systemc>

#include "hw/layer.hpp"

namespace dlasim::hw {

// Allocator that leaves new elements uninitialised: the blocks write every element of a wave's arrays
// themselves (idle lanes and steps as 0), so zero-filling them first would only cost memory bandwidth.
template <class T>
struct UninitAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = UninitAllocator<U>;
  };
  UninitAllocator() = default;
  template <class U>
  UninitAllocator(const UninitAllocator<U>&) noexcept {}
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};
// A wave's per-lane-step array (resize() does not clear it).
template <class T>
using LaneArray = std::vector<T, UninitAllocator<T>>;

// One PE's tile: `k_count` output channels from k0 (one per lane) × `p_count` output pixels from p0
// (one per collector entry). All k_count channels belong to one group (ConvShape::group_of(k0)), so they
// share the input vectors the PE broadcasts.
struct Tile {
  int64_t k0 = 0, k_count = 0;
  int64_t p0 = 0, p_count = 0;
};

struct Wave {
  const LayerJob* job = nullptr;
  std::size_t layer = 0;             // index into the DLA's job list
  bool last_of_layer = false;
  std::vector<Tile> tiles;           // one per busy PE (≤ pes)
  int64_t depth = 0;                 // max p_count over tiles: collector entries used per lane
  // Reduction pass: steps j in [j0, j1) of the flattened reduction axis j = tap·nv + i (tap = r·S + s,
  // nv = ⌈Cg / V⌉ vectors per row), in the order the reference accumulates. A tile set's passes are
  // consecutive waves sharing one collector bank: the first clears it, the last hands it to the PPU.
  int64_t j0 = 0, j1 = 0;
  bool first_pass = true, last_pass = true;
  int64_t steps = 0;                 // (j1 - j0) · depth lane steps
  int64_t issue_cycles = 0;          // cycles the MAC array takes to issue them (≥ steps: buffer read ports)
  // Memory traffic of the pass (bits; vectors count V·N + M bits), set by the controller's plan.
  uint64_t dram_read_bits = 0;       // DRAM → global buffer (weights and inputs not yet on chip)
  uint64_t gbuf_read_bits = 0;       // global buffer → PE buffers (multicast data counted once)
  uint64_t wbuf_write_bits = 0;      // summed over PEs
  uint64_t ibuf_write_bits = 0;      // summed over PEs
  uint64_t zero_vector_steps = 0;    // busy lane-steps with an all-zero weight or activation vector (MAC array)
  uint64_t zero_psums = 0;           // busy lane-steps whose partial sum is zero (integer scale unit)
  int64_t fill_entries = 0;          // rows written into the busiest PE's weight + input buffer
  int slot = -1;                     // PE buffer slot (double buffering) holding this pass's operands
  sc_core::sc_time issued_at;        // the controller sent it (after claiming its slot)
  sc_core::sc_time dram_ready_at;    // its DRAM data is in the global buffer
  sc_core::sc_time operands_ready_at;  // its operands are in the PE buffers
  // Step order inside a tile: j outer, collector entry d inner (a lane holds weight vector j for `depth`
  // cycles while input vectors of the tile's pixels stream past). Arrays below are [pe][step][lane].
  LaneArray<int32_t> dots;         // vector MAC outputs
  LaneArray<uint16_t> weight_scale;  // [pe][j - j0][lane]: scale code that travels with the weight vector
  LaneArray<uint16_t> act_scale;     // [pe][step]: scale code that travels with the input vector
  LaneArray<int64_t> psums;        // scale unit outputs (empty without a scale unit: dots are used)
  // Floating scales (ArchParams::float_scales): the vector scale values instead of the codes above, and
  // fp32 partial sums instead of psums.
  LaneArray<float> weight_scale_f;   // [pe][j - j0][lane]
  LaneArray<float> act_scale_f;      // [pe][step]
  LaneArray<float> psums_f;
  int bank = -1;                     // accumulation collector bank holding this wave's sums
  // Time annotation set by the producing block: MAC → scale unit → collector: its first result of the
  // wave is ready (one more per cycle after it); collector → PPU: every sum of the bank is final.
  sc_core::sc_time ready_at;
  const int64_t* sums = nullptr;     // collector bank contents [pe][entry][lane], set by the collector
  const float* sums_f = nullptr;     // the same with floating scales (fp32 accumulators)
};

using WavePtr = std::shared_ptr<Wave>;

// Busy lane-steps of `w` (each tile's k_count lanes × its first p_count collector entries per reduction step)
// whose dot product is zero: the zero partial sums of a pass the scale unit does not scale. `lanes` per step.
inline uint64_t zero_dots(const Wave& w, int lanes) {
  uint64_t n = 0;
  for (std::size_t pe = 0; pe < w.tiles.size(); ++pe) {
    const Tile& t = w.tiles[pe];
    for (int64_t step = 0; step < w.steps; ++step) {
      if (step % w.depth >= t.p_count) continue;  // a shorter tile's idle entries
      const int32_t* dots = &w.dots[(pe * w.steps + step) * lanes];
      for (int64_t l = 0; l < t.k_count; ++l) n += dots[l] == 0;
    }
  }
  return n;
}

// The PPU's output of one wave on its way to DRAM (codes plus per-vector output scale codes).
struct OutputWrite {
  std::size_t layer = 0;
  uint64_t bits = 0;
  bool last_of_layer = false;
};

inline std::ostream& operator<<(std::ostream& os, const OutputWrite& w) {
  return os << "layer " << w.layer << ": " << w.bits << " bits";
}

// Emitted by the DRAM interface when a layer's last output write is acknowledged.
struct LayerDone {
  std::size_t layer = 0;
  bool operator==(const LayerDone& o) const { return layer == o.layer; }
};

inline std::ostream& operator<<(std::ostream& os, const LayerDone& d) { return os << "layer " << d.layer; }

}  // namespace dlasim::hw
