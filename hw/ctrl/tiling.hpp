// The controller's tiling of one layer to the buffers, and the memory traffic of every pass (plain C++,
// no SystemC; unit tests call it directly).
//
// Loop nest (outer to inner):
//   group g → output-channel block of ≤ lanes channels of g → pixel block of ≤ collector_depth output
//   pixels → [tiles grouped `pes` at a time into a wave] → reduction pass [j0, j1) → j → pixel d.
// The reduction axis j = tap·nv + i (tap = r·S + s) is cut into passes of `pass_steps` consecutive steps,
// so the accumulation order stays the reference's (r, s, i) whatever the buffer sizes. A pass must fit one
// PE buffer slot (half the buffer with double buffering): its weights (k_count lanes × pass_steps vectors)
// in the weight buffer and its input window (for every vector i of the pass, the distinct input pixels the
// tile's output pixels read through the pass's taps) in the input buffer. pass_steps is the whole
// reduction if that fits, else halved until every pass of every tile fits; a layer whose single step does
// not fit is an error.
//
// Global buffer residency (gbuf_kib): if weights + input fit, both stay on chip after their first use
// (every byte read from DRAM once); else whichever fits stays resident (input first); the other streams
// from DRAM per pass. Outputs are written from the PPU to DRAM (layers are not chained). PE buffers keep
// the weights of their last pass: a PE whose next pass needs the same (channel block, j range) reloads
// nothing. Data a wave's PEs share (weights of one channel block, input windows of one pixel block) is read
// from DRAM and from the global buffer once and multicast.
#pragma once

#include <cstdint>
#include <vector>

#include "hw/arch_params.hpp"
#include "hw/buffer/packing.hpp"
#include "hw/layer.hpp"
#include "hw/wave.hpp"

namespace dlasim::hw {

struct TilingPlan {
  int64_t reduction_steps = 0;     // taps · nv
  int64_t pass_steps = 0;          // J: reduction steps per pass
  int64_t passes() const { return (reduction_steps + pass_steps - 1) / pass_steps; }
  bool weights_resident = false;   // in the global buffer after first use
  bool input_resident = false;
  int64_t weight_slot_entries = 0; // rows of one PE weight-buffer slot
  int64_t input_slot_entries = 0;  // rows of one PE input-buffer slot
  uint64_t weight_bits = 0;        // whole layer, as stored (V·N + M per vector)
  uint64_t input_bits = 0;
  uint64_t input_read_bits = 0;    // the input vectors some output actually reads (stride > kernel skips rows)
  uint64_t output_bits = 0;
};

// Packing of the weight and input operands of `job` in the PE buffers (hw/buffer/packing.hpp).
Packing weight_packing(const LayerJob& job, const ArchParams& arch);
Packing input_packing(const LayerJob& job, const ArchParams& arch);
// Bits the PPU writes for `pixels` output pixels × channels [k0, k0 + channels): their codes plus, for a
// per-vector output format, the scale codes of the output vectors (along the channels, V per vector) that
// start in that channel range. Summed over a layer's tiles this is the whole output tensor.
uint64_t output_bits(const LayerJob& job, int64_t pixels, int64_t k0, int64_t channels);

// Throws std::invalid_argument naming the layer and the buffer when the layer cannot be tiled.
TilingPlan plan_tiling(const LayerJob& job, const ArchParams& arch);

// The waves of one layer in issue order with their traffic. Every tile set's passes are consecutive.
std::vector<WavePtr> plan_waves(const LayerJob& job, std::size_t layer, const ArchParams& arch,
                                const TilingPlan& plan);

// Minimal DRAM traffic of a layer (every weight and every input vector some output reads fetched once,
// every output written once), bits.
inline uint64_t min_dram_bits(const TilingPlan& p) { return p.weight_bits + p.input_read_bits + p.output_bits; }

}  // namespace dlasim::hw
