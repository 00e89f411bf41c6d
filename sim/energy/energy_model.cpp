#include "sim/energy/energy_model.hpp"

#include <cmath>
#include <stdexcept>

#include "hw/buffer/packing.hpp"
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
// (hw/buffer/packing.hpp).
double buffer_bits(double kib, const hw::Packing& p) {
  const double rows = kib * 8192.0 / p.entry_bits;
  const double scale_bits_per_row = p.vectors_per_entry() > 0 ? double(p.vectors_per_entry()) * p.scale_bits
                                                               : double(p.scale_bits) / p.entries_per_vector();
  return kib * 8192.0 + rows * scale_bits_per_row;
}

std::string component_of(const std::string& counter) { return counter.substr(0, counter.rfind('.')); }

void add_area(Breakdown& b, const std::string& component, double um2) {
  b.by_component[component] += um2;
  b.total += um2;
}

}  // namespace

EnergyModel::EnergyModel(const Tech& tech, const hw::ArchParams& a) {
  const Laws law{tech};
  const int prod_bits = a.weight_bits + a.act_bits;
  const double reg_pj = tech.at("register_bit_energy"), reg_um2 = tech.at("register_bit_area");

  per_action_pj_["pe.mac_lane.dot"] = a.vector_size * law.mult_pj(a.weight_bits, a.act_bits) +
                                      adder_tree(a.vector_size, prod_bits, [&](int w) { return law.add_pj(w); });
  per_action_pj_["pe.wbuf.read_bits"] = law.sram_read_bit_pj(a.weight_buffer_kib);
  per_action_pj_["pe.ibuf.read_bits"] = law.sram_read_bit_pj(a.input_buffer_kib);
  // SRAM writes cost as much per bit as reads (the law has one access energy); the global buffer's
  // access energy follows the capacity of one bank.
  per_action_pj_["pe.wbuf.write_bits"] = law.sram_read_bit_pj(a.weight_buffer_kib);
  per_action_pj_["pe.ibuf.write_bits"] = law.sram_read_bit_pj(a.input_buffer_kib);
  per_action_pj_["gbuf.read_bits"] = law.sram_read_bit_pj(a.gbuf_kib / a.gbuf_banks);
  per_action_pj_["gbuf.write_bits"] = law.sram_read_bit_pj(a.gbuf_kib / a.gbuf_banks);
  per_action_pj_["dram.read_bits"] = tech.at("dram_bit_energy");
  per_action_pj_["dram.write_bits"] = tech.at("dram_bit_energy");
  if (a.float_scales) {
    // Floating scales: the scale product and the psum are fp32 multiplies, accumulation an fp32 add on
    // 32-bit registers (the element-specific cost of E8M0 exponent adds and narrow significands is not
    // modelled separately yet).
    per_action_pj_["pe.scale_unit.scale_mul"] = tech.at("fp32_mult_energy");
    per_action_pj_["pe.scale_unit.psum_mul"] = tech.at("fp32_mult_energy");
    per_action_pj_["pe.collector.acc_add"] = tech.at("fp32_add_energy") + 2.0 * 32 * reg_pj;
  } else {
    per_action_pj_["pe.scale_unit.scale_mul"] = law.mult_pj(a.weight_scale_bits, a.act_scale_bits);
    per_action_pj_["pe.scale_unit.psum_mul"] = law.mult_pj(a.dot_bits(), a.scale_product_width());
    // read-modify-write of one accumulator: adder plus register read and write
    per_action_pj_["pe.collector.acc_add"] = law.add_pj(a.acc_bits) + 2.0 * a.acc_bits * reg_pj;
  }
  // Clock tree, pipeline registers and control, per lane and cycle of issue: ∝ the lane's clocked bits.
  per_action_pj_["pe.control.lane_cycles"] = tech.at("clock_bit_energy") * lane_clocked_bits(a);
  per_action_pj_["ppu.fp32_mul"] = tech.at("fp32_mult_energy");
  per_action_pj_["ppu.fp32_add"] = tech.at("fp32_add_energy");
  per_action_pj_["ppu.compare"] = law.add_pj(32);
  per_action_pj_["ppu.fp32_recip"] = tech.at("fp32_recip_energy");

  // Area per instance × the instance counts of sim/energy/area_instances.hpp (lanes per PE, buffers per PE,
  // banks, PPUs per PE), the one list the ART export shares.
  const auto add = [&](const std::string& component, double um2_per_instance) {
    add_area(area_um2_, component, um2_per_instance * double(component_instances(component, a).count()));
  };
  add("pe.mac_lane", a.vector_size * law.mult_um2(a.weight_bits, a.act_bits) +
                         adder_tree(a.vector_size, prod_bits, [&](int w) { return law.add_um2(w); }));
  if (a.has_scale_unit()) {
    add("pe.scale_unit",
        law.mult_um2(a.weight_scale_bits, a.act_scale_bits) + law.mult_um2(a.dot_bits(), a.scale_product_width()));
  }
  add("pe.collector", law.add_um2(a.acc_bits) + double(a.collector_depth) * a.collector_banks * a.acc_bits * reg_um2);
  add("pe.control", lane_clocked_bits(a) * reg_um2);  // the lane's pipeline registers
  const double sram_bit_um2 = tech.at("sram_bit_area");
  add("pe.wbuf", buffer_bits(a.weight_buffer_kib,
                             {a.weight_bits, a.vector_size, a.weight_scale_bits, a.weight_buffer_entry_bits}) *
                     sram_bit_um2);
  add("pe.ibuf", buffer_bits(a.input_buffer_kib,
                             {a.act_bits, a.vector_size, a.act_scale_bits, a.input_buffer_entry_bits}) *
                     sram_bit_um2);
  add("gbuf", a.gbuf_kib / a.gbuf_banks * 8192.0 * sram_bit_um2);
  add("ppu", a.ppu_outputs_per_cycle * (2.0 * tech.at("fp32_mult_area") + tech.at("fp32_add_area") + law.add_um2(32)) +
                 tech.at("fp32_recip_area"));
}

Breakdown EnergyModel::energy(const std::vector<hw::CounterDecl>& decls, const std::vector<uint64_t>& counts) const {
  Breakdown b;
  for (std::size_t i = 0; i < decls.size(); ++i) {
    if (decls[i].kind != hw::CounterKind::action) continue;
    const auto it = per_action_pj_.find(decls[i].name);
    if (it == per_action_pj_.end()) {
      throw std::runtime_error("energy model: counted action '" + decls[i].name + "' has no energy entry");
    }
    const double pj = it->second * static_cast<double>(counts.at(i));
    b.by_component[component_of(decls[i].name)] += pj;
    b.total += pj;
  }
  return b;
}

}  // namespace dlasim::sim
