#include "sim/energy/energy_model.hpp"

#include <cmath>
#include <stdexcept>

#include "hw/buffer/packing.hpp"
#include "hw/counter_catalogue.hpp"
#include "sim/energy/area_instances.hpp"

namespace dlasim::sim {

namespace {

// Scaling laws on the tech file's reference points.
struct Laws {
  const Tech& t;
  double mult_pj(int a, int b) const { return t.at("int8_mult_energy") * a * b / 64.0; }
  double mult_um2(int a, int b) const { return t.at("int8_mult_area") * a * b / 64.0; }
  double add_pj(int w) const { return t.at("int32_add_energy") * w / 32.0; }
  double add_um2(int w) const { return t.at("int32_add_area") * w / 32.0; }
  // A w-input zero detector (NOR tree, about w two-input gates): a quarter of a w-bit adder's area (a full-adder
  // bit is about four such gates). An estimate; its switching energy is left out.
  double zero_detect_um2(int w) const { return add_um2(w) / 4.0; }
  double sram_read_bit_pj(double kib) const { return t.at("sram_read_64b_8kib_energy") / 64.0 * std::sqrt(kib / 8.0); }
};

// Adder tree summing V products of `product_bits`: level j has floor(n/2) adders of product_bits + j bits.
template <class F>
double adder_tree(int v, int product_bits, F per_adder) {
  double total = 0.0;
  int n = v;
  for (int level = 1; n > 1; ++level) {
    total += (n / 2) * per_adder(product_bits + level);
    n = (n + 1) / 2;
  }
  return total;
}

// Bits a lane's pipeline clocks every cycle: operand registers (V·(N_w + N_a)), the dot product, the
// scale unit's scale codes, scale product and partial sum when present, and the accumulator.
int lane_clocked_bits(const hw::ArchParams& a) {
  int bits = a.vector_size * (a.weight_bits + a.act_bits) + a.dot_bits() + a.acc_bits;
  if (a.has_scale_unit()) {
    const int product = a.float_scales ? 32 : a.scale_product_width();
    bits += a.weight_scale_bits + a.act_scale_bits + product + (a.float_scales ? 32 : a.dot_bits() + product);
  }
  return bits;
}

// SRAM bits of a PE buffer: `kib` of data rows plus the side column of per-vector scale codes next to them
// (hw/buffer/packing.hpp) and, with Gating::lane, one zero-flag bit per vector.
double buffer_bits(double kib, const hw::Packing& p, bool zero_flags) {
  const double rows = kib * 8192.0 / p.entry_bits;
  const double vectors_per_row =
      p.vectors_per_entry() > 0 ? double(p.vectors_per_entry()) : 1.0 / double(p.entries_per_vector());
  return kib * 8192.0 + rows * vectors_per_row * (p.scale_bits + (zero_flags ? 1 : 0));
}

void add_area(Breakdown& b, const std::string& component, double um2) {
  b.by_component[component] += um2;
  b.total += um2;
}

// PPU prices: fp32 units for floating per-vector scales, else a fixed-point datapath at the accumulator width
// (scale and re-quantization multiplies acc_bits × kPpuScaleBits, bias adder and comparator of acc_bits, a
// fixed-point reciprocal of two kPpuScaleBits² multiplies — one Newton step from a seed table).
struct PpuCosts {
  double scale_mul = 0, bias_add = 0, compare = 0, requant_mul = 0, recip = 0;  // pJ per action
  double lane_um2 = 0, recip_um2 = 0;  // per output lane; the reciprocal unit once per PPU
};
PpuCosts ppu_costs(const Tech& tech, const Laws& law, const hw::ArchParams& a) {
  PpuCosts c;
  if (a.float_scales) {
    c.scale_mul = c.requant_mul = tech.at("fp32_mult_energy");
    c.bias_add = tech.at("fp32_add_energy");
    c.compare = law.add_pj(32);
    c.recip = tech.at("fp32_recip_energy");
    c.lane_um2 = 2.0 * tech.at("fp32_mult_area") + tech.at("fp32_add_area") + law.add_um2(32);
    c.recip_um2 = tech.at("fp32_recip_area");
    return c;
  }
  c.scale_mul = c.requant_mul = law.mult_pj(a.acc_bits, kPpuScaleBits);
  c.bias_add = c.compare = law.add_pj(a.acc_bits);
  c.recip = 2.0 * law.mult_pj(kPpuScaleBits, kPpuScaleBits);
  c.lane_um2 = 2.0 * law.mult_um2(a.acc_bits, kPpuScaleBits) + 2.0 * law.add_um2(a.acc_bits);
  // Vector max and reciprocal exist only when the outputs carry per-vector scales.
  if (a.act_scale_bits > 0) c.recip_um2 = 2.0 * law.mult_um2(kPpuScaleBits, kPpuScaleBits);
  return c;
}

}  // namespace

EnergyModel::EnergyModel(const Tech& tech, const hw::ArchParams& a) {
  const Laws law{tech};
  const int prod_bits = a.weight_bits + a.act_bits;
  const double reg_pj = tech.at("register_bit_energy"), reg_um2 = tech.at("register_bit_area");
  auto& e = per_action_pj_;

  // MAC lane: the adder tree per dot product, the multipliers per element multiply that switches.
  e["pe.mac_lane.dot"] = adder_tree(a.vector_size, prod_bits, [&](int w) { return law.add_pj(w); });
  e["pe.mac_lane.multiply"] = law.mult_pj(a.weight_bits, a.act_bits);
  e["pe.wbuf.read_bits"] = law.sram_read_bit_pj(a.weight_buffer_kib);
  e["pe.ibuf.read_bits"] = law.sram_read_bit_pj(a.input_buffer_kib);
  // SRAM writes cost as much per bit as reads (the law has one access energy); the global buffer's
  // access energy follows the capacity of one bank.
  e["pe.wbuf.write_bits"] = law.sram_read_bit_pj(a.weight_buffer_kib);
  e["pe.ibuf.write_bits"] = law.sram_read_bit_pj(a.input_buffer_kib);
  e["gbuf.read_bits"] = law.sram_read_bit_pj(a.gbuf_kib / a.gbuf_banks);
  e["gbuf.write_bits"] = law.sram_read_bit_pj(a.gbuf_kib / a.gbuf_banks);
  e["dram.read_bits"] = tech.at("dram_bit_energy");
  e["dram.write_bits"] = tech.at("dram_bit_energy");
  if (a.float_scales) {
    // Floating scales: the scale product and the psum are fp32 multiplies, accumulation an fp32 add on
    // 32-bit registers (the element-specific cost of E8M0 exponent adds and narrow significands is not
    // modelled separately).
    e["pe.scale_unit.scale_mul"] = tech.at("fp32_mult_energy");
    e["pe.scale_unit.psum_mul"] = tech.at("fp32_mult_energy");
    e["pe.collector.acc_add"] = tech.at("fp32_add_energy") + 2.0 * 32 * reg_pj;
  } else {
    e["pe.scale_unit.scale_mul"] = law.mult_pj(a.weight_scale_bits, a.act_scale_bits);
    e["pe.scale_unit.psum_mul"] = law.mult_pj(a.dot_bits(), a.scale_product_width());
    // read-modify-write of one accumulator: adder plus register read and write
    e["pe.collector.acc_add"] = law.add_pj(a.acc_bits) + 2.0 * a.acc_bits * reg_pj;
  }
  // Clock tree, pipeline registers and control, per lane and cycle of issue: ∝ the lane's clocked bits.
  e["pe.control.lane_cycles"] = tech.at("clock_bit_energy") * lane_clocked_bits(a);
  const PpuCosts ppu = ppu_costs(tech, law, a);
  e["ppu.scale_mul"] = ppu.scale_mul;
  e["ppu.bias_add"] = ppu.bias_add;
  e["ppu.compare"] = ppu.compare;
  e["ppu.requant_mul"] = ppu.requant_mul;
  e["ppu.recip"] = ppu.recip;

  // Area per instance × the instance counts of sim/energy/area_instances.hpp (lanes per PE, buffers per PE,
  // banks, PPUs per PE), the one list the ART export shares.
  const auto add = [&](const std::string& component, double um2_per_instance) {
    add_area(area_um2_, component, um2_per_instance * double(component_instances(component, a).count()));
  };
  double lane_um2 = a.vector_size * law.mult_um2(a.weight_bits, a.act_bits) +
                    adder_tree(a.vector_size, prod_bits, [&](int w) { return law.add_um2(w); });
  // Operand isolation (Gating::lane): an AND gate per operand bit of the V multipliers, a quarter of a register
  // bit each (an estimate).
  if (a.gates_lane()) lane_um2 += a.vector_size * prod_bits * reg_um2 / 4.0;
  add("pe.mac_lane", lane_um2);
  if (a.has_scale_unit()) {
    add("pe.scale_unit",
        law.mult_um2(a.weight_scale_bits, a.act_scale_bits) + law.mult_um2(a.dot_bits(), a.scale_product_width()));
  }
  // Collector: the adder and collector_depth × banks registers of acc_bits, plus (Gating accumulate, lane) the
  // zero detectors on the scale product, dot product and partial sum.
  double collector_um2 = law.add_um2(a.acc_bits) + double(a.collector_depth) * a.collector_banks * a.acc_bits * reg_um2;
  if (a.gates_accumulate()) {
    collector_um2 += law.zero_detect_um2(a.dot_bits()) + law.zero_detect_um2(a.psum_bits()) +
                     (a.has_scale_unit() && !a.float_scales ? law.zero_detect_um2(a.scale_product_width()) : 0.0);
  }
  add("pe.collector", collector_um2);
  add("pe.control", lane_clocked_bits(a) * reg_um2);  // the lane's pipeline registers
  const double sram_bit_um2 = tech.at("sram_bit_area");
  add("pe.wbuf", buffer_bits(a.weight_buffer_kib,
                             {a.weight_bits, a.vector_size, a.weight_scale_bits, a.weight_buffer_entry_bits},
                             a.gates_lane()) *
                     sram_bit_um2);
  add("pe.ibuf", buffer_bits(a.input_buffer_kib,
                             {a.act_bits, a.vector_size, a.act_scale_bits, a.input_buffer_entry_bits}, a.gates_lane()) *
                     sram_bit_um2);
  add("gbuf", a.gbuf_kib / a.gbuf_banks * 8192.0 * sram_bit_um2);
  add("ppu", a.ppu_outputs_per_cycle * ppu.lane_um2 + ppu.recip_um2);

  // Leakage: nW/µm² × µm² = nW; × the clock period (1 / (clock_mhz · 10^6) s) = 10^-3 / clock_mhz pJ per cycle.
  static_pj_per_cycle_ = tech.at("leakage_power_density") * area_um2_.total * 1e-3 / a.clock_mhz;
}

Breakdown EnergyModel::energy(const std::vector<hw::CounterDecl>& decls, const std::vector<uint64_t>& counts,
                              uint64_t cycles) const {
  Breakdown b;
  for (std::size_t i = 0; i < decls.size(); ++i) {
    if (decls[i].kind != hw::CounterKind::action) continue;
    const auto it = per_action_pj_.find(decls[i].name);
    if (it == per_action_pj_.end()) {
      throw std::runtime_error("energy model: counted action '" + decls[i].name + "' has no energy entry");
    }
    const double pj = it->second * static_cast<double>(counts.at(i));
    b.by_component[hw::counter_component(decls[i].name)] += pj;
    b.total += pj;
  }
  const double leakage = static_pj_per_cycle_ * static_cast<double>(cycles);
  b.by_component[kStaticComponent] += leakage;
  b.total += leakage;
  return b;
}

}  // namespace dlasim::sim
