#include "hw/counter_catalogue.hpp"

#include <stdexcept>

namespace dlasim::hw {

namespace {

std::vector<CounterDecl> make_catalogue() {
  constexpr CounterKind action = CounterKind::action, event = CounterKind::event;
  return {
      // MAC lanes (hw/pe/mac_array.hpp)
      {"pe.mac_lane.dot", "dot products",
       "V-element dot products whose adder tree and lane pipeline switch: every busy lane-step (x precision "
       "sub-steps, zero padding taps included), less, with arch.gating = lane, the lane-steps held because the "
       "weight or the activation vector is all zero or the scale product is zero",
       action},
      {"pe.mac_lane.multiply", "multiplies",
       "N_w x N_a element multiplies that switch: V per counted dot product, or with arch.gating = lane only the "
       "products whose weight and activation elements are both nonzero (a zero element isolates its multiplier)",
       action},
      {"pe.wbuf.read_bits", "bits", "weight-buffer bits read into the lanes (vector codes + per-vector scale)", action},
      {"pe.ibuf.read_bits", "bits", "input-buffer bits read and broadcast to a PE's lanes (vector codes + scale)",
       action},
      {"pe.wbuf.write_bits", "bits", "weight-buffer bits written (codes + per-vector scales)", action},
      {"pe.ibuf.write_bits", "bits", "input-buffer bits written (codes + per-vector scales)", action},
      {"pe.control.lane_cycles", "lane-cycles",
       "lane-cycles the PE array is clocked and controlled while it issues (pes x lanes x issue cycles): clock tree, "
       "pipeline registers and control",
       action},
      // per-vector scale unit (hw/scale/scale_unit.hpp)
      {"pe.scale_unit.scale_mul", "multiplies",
       "M_w x M_a scale-code products: one per busy lane-step, less the lane-steps held by arch.gating = lane",
       action},
      {"pe.scale_unit.psum_mul", "multiplies",
       "dot product x scale product multiplies (dot bits x scale-product bits): one per busy lane-step, less, with "
       "arch.gating accumulate or lane, those whose dot product or scale product is zero",
       action},
      // accumulation collector (hw/pe/accumulation_collector.hpp)
      {"pe.collector.acc_add", "additions",
       "acc_bits-wide saturating read-modify-write additions into the accumulation collector: one per busy "
       "lane-step, less, with arch.gating accumulate or lane, those whose partial sum is zero",
       action},
      // PPU (hw/ppu/ppu.hpp); fixed point for integer-scale designs, fp32 for floating per-vector scales
      {"ppu.scale_mul", "multiplies", "output scaling: accumulator x coarse scale (one per output)", action},
      {"ppu.bias_add", "additions", "bias additions (one per output)", action},
      {"ppu.compare", "comparisons", "ReLU sign tests and per-vector maximum comparisons", action},
      {"ppu.requant_mul", "multiplies",
       "re-quantization: output x reciprocal scale (one per output) and scale code s x 1/gamma (one per vector)",
       action},
      {"ppu.recip", "reciprocals", "reciprocals of per-vector maxima (one per output vector)", action},
      // memories (hw/memory/)
      {"gbuf.read_bits", "bits", "global-buffer bits read towards the PE buffers (multicast once)", action},
      {"gbuf.write_bits", "bits", "global-buffer bits written with data arriving from DRAM", action},
      {"dram.read_bits", "bits", "bits read from DRAM into the global buffer", action},
      {"dram.write_bits", "bits", "bits of PPU outputs written to DRAM", action},
      // statistics
      {"pe.activity.lane_steps", "lane-steps", "busy lane-steps: products of a weight vector and an input vector",
       event},
      {"pe.activity.zero_vector_steps", "lane-steps",
       "busy lane-steps whose weight or activation vector is all zero (padding taps included)", event},
      {"pe.activity.zero_scale_products", "lane-steps",
       "busy lane-steps whose integer scale product (after rounding to arch.scale_product_bits) is zero", event},
      {"pe.activity.zero_psums", "lane-steps", "busy lane-steps whose partial sum is zero (any cause)", event},
      {"pe.mac_array.issue_cycles", "cycles", "cycles the MAC array spent issuing steps", event},
      {"pe.collector.saturations", "events", "accumulator additions that clipped at the acc_bits range", event},
      {"stall.collector_full", "cycles", "cycles the MAC array waited for a free accumulation-collector bank", event},
      {"stall.dram", "cycles", "cycles the MAC array waited for operands still coming from DRAM", event},
      {"stall.gbuf", "cycles", "cycles the MAC array waited for the global buffer to fill the PE buffers", event},
      {"dram.busy_cycles", "cycles", "cycles the DRAM channel transferred data", event},
  };
}

}  // namespace

const std::vector<CounterDecl>& counter_catalogue() {
  static const std::vector<CounterDecl> catalogue = make_catalogue();
  return catalogue;
}

const CounterDecl& counter_decl(std::string_view name) {
  for (const CounterDecl& d : counter_catalogue()) {
    if (d.name == name) return d;
  }
  throw std::logic_error("counter '" + std::string(name) +
                         "' is not in the counter catalogue (hw/counter_catalogue.cpp)");
}

std::string counter_component(std::string_view name) {
  return std::string(name.substr(0, name.rfind('.')));
}

}  // namespace dlasim::hw
