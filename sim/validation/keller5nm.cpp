#include "sim/validation/keller5nm.hpp"

#include <cmath>
#include <deque>
#include <memory>
#include <random>

#include <fmt/format.h>
#include <systemc>

#include "hw/top/dla.hpp"
#include "hw/top/simulation.hpp"
#include "quant/quantize.hpp"
#include "sim/energy/energy_model.hpp"

namespace dlasim::sim {

namespace {

// ResNet-50 layer3.x conv2: 14×14×256 → 256, 3×3, pad 1 (115.6 M MACs).
const hw::ConvShape kLayer{14, 14, 256, 256, 3, 3, 1, 1};

struct Design {
  std::string format;
  std::array<double, 5> paper;
  double paper_tops_per_w;
  hw::ArchParams arch;
  quant::QuantSpec weights, acts;
  quant::QTensor wt, in;
  std::vector<float> bias;
  std::vector<hw::LayerJob> jobs;
  std::unique_ptr<hw::Dla> dla;
};

hw::ArchParams chip(int vector_size, int bits, int scale_bits) {
  hw::ArchParams a = hw::with_ideal_memory(hw::ArchParams{});
  a.pes = 1;
  a.lanes = 16;
  a.vector_size = vector_size;
  a.collector_depth = 16;  // A vector stationary for 16 cycles
  a.collector_banks = 2;
  a.acc_bits = 24;
  a.weight_bits = a.act_bits = bits;
  a.weight_scale_bits = a.act_scale_bits = scale_bits;
  a.scale_product_bits = scale_bits > 0 ? 8 : 0;
  a.weight_buffer_entry_bits = a.input_buffer_entry_bits = 256;  // + the 8-bit scale column = 264 bits
  a.weight_buffer_kib = a.input_buffer_kib = 64.0;               // 141 kB of SRAM on the chip
  a.double_buffering = false;  // the chip uses buffer managers instead of double buffering
  a.weight_buffer_ports = 16;
  a.ppu_outputs_per_cycle = 16;
  // Unused datapaths are gated by ANDing the B input with zero (Keller et al.): operand isolation per lane.
  a.gating = hw::Gating::lane;
  return a;
}

std::array<double, 5> split(const Breakdown& e) {
  const auto get = [&](const std::string& c) {
    const auto it = e.by_component.find(c);
    return it == e.by_component.end() ? 0.0 : it->second;
  };
  return {get("pe.mac_lane") + get("pe.scale_unit"), get("pe.wbuf"), get("pe.ibuf"), get("pe.collector"),
          get("pe.control") + get("ppu")};
}

// Post-ReLU activations with a fraction `zeros` of exact zeros: max(0, x − q) with x ~ N(0, 1) and q its
// `zeros` quantile (P(x < q) = zeros).
std::vector<float> activations(double zeros, std::mt19937& rng) {
  std::normal_distribution<float> nd;
  // Normal quantile of `zeros` by bisection on the CDF 0.5·erfc(−q/√2).
  double lo = -8.0, hi = 8.0;
  for (int i = 0; i < 100; ++i) {
    const double mid = 0.5 * (lo + hi);
    (0.5 * std::erfc(-mid / std::sqrt(2.0)) < zeros ? lo : hi) = mid;
  }
  std::vector<float> x(kLayer.in_h * kLayer.in_w * kLayer.in_c);
  for (float& v : x) v = std::max(0.0f, nd(rng) - float(lo));
  return x;
}

}  // namespace

std::vector<Table2Row> keller_table2(const Tech& tech) {
  std::mt19937 rng(5);
  std::normal_distribution<float> nd;
  std::vector<float> w(kLayer.out_c * kLayer.taps() * kLayer.in_c);
  for (float& v : w) v = nd(rng) * 0.02f;
  // Table II was simulated on 30 % sparse data, Table III measured at 50 % input density.
  const std::vector<float> x30 = activations(kTable2Sparsity, rng), x50 = activations(kTable3Sparsity, rng);

  std::deque<Design> designs;
  const auto add = [&](const std::string& name, std::array<double, 5> paper, double tops_per_w, int v, int bits,
                       int scale_bits, const std::vector<float>& x) {
    Design& d = designs.emplace_back();
    d.format = name;
    d.paper = paper;
    d.paper_tops_per_w = tops_per_w;
    d.arch = chip(v, bits, scale_bits);
    const quant::Granularity wg = scale_bits ? quant::Granularity::per_vector : quant::Granularity::per_channel;
    const quant::Granularity ag = scale_bits ? quant::Granularity::per_vector : quant::Granularity::per_tensor;
    d.weights = quant::int_spec(bits, wg, scale_bits, v);
    d.acts = quant::int_spec(bits, ag, scale_bits, v);
    d.wt = quant::quantize(w.data(), kLayer.weight_matrix(), d.weights);
    d.in = quant::quantize(x.data(), kLayer.input_matrix(), d.acts);
    d.bias.assign(kLayer.out_c, 0.0f);
    hw::LayerJob job;
    job.name = "layer3_conv2";
    job.shape = kLayer;
    job.relu = true;
    job.weights = &d.wt;
    job.input = &d.in;
    job.bias = &d.bias;
    job.output = {d.acts, 0.05f};
    d.jobs.push_back(job);
    d.dla = std::make_unique<hw::Dla>(("keller_" + std::to_string(designs.size())).c_str(), d.arch, d.jobs);
  };
  // Designs 0–2 on the Table II operands, 3–5 the same chips on the Table III operands.
  for (const std::vector<float>* x : {&x30, &x50}) {
    add("INT8", {2.76, 0.36, 0.44, 0.71, 1.05}, 39.1, 32, 8, 0, *x);
    add("INT4", {1.00, 0.18, 0.22, 0.30, 0.60}, 91.1, 64, 4, 0, *x);
    add("INT4-VSQ", {1.01, 0.18, 0.22, 0.30, 0.61}, 95.6, 64, 4, 8, *x);
  }
  hw::simulate();

  std::vector<Table2Row> rows;
  std::vector<std::array<double, 5>> energies;
  for (std::size_t i = 0; i < 3; ++i) {
    const Design& d = designs[i];
    const EnergyModel model(tech, d.arch);
    const hw::LayerResult& res = d.dla->results()[0];
    energies.push_back(split(model.energy(d.dla->counters().decls(), res.counters, res.cycles)));
    Table2Row r;
    r.format = d.format;
    r.paper = d.paper;
    r.paper_tops_per_w = d.paper_tops_per_w;
    // Table III: the same chip at 50 % input density; its five categories plus leakage over the layer's cycles.
    const Design& d50 = designs[i + 3];
    const hw::LayerResult& res50 = d50.dla->results()[0];
    const Breakdown e50 = model.energy(d50.dla->counters().decls(), res50.counters, res50.cycles);
    double pj = e50.static_part();
    for (double e : split(e50)) pj += e;
    r.model_fj_per_op = pj * 1e3 / (2.0 * double(kLayer.macs()));
    r.model_static_share = e50.static_part() / pj;
    const auto gbuf = model.area().by_component.find("gbuf");
    r.model_core_um2 = model.area().total - (gbuf == model.area().by_component.end() ? 0.0 : gbuf->second);
    rows.push_back(r);
  }
  const double unit = energies[1][0];  // the INT4 datapath
  for (std::size_t i = 0; i < rows.size(); ++i) {
    for (std::size_t c = 0; c < 5; ++c) rows[i].model[c] = energies[i][c] / unit;
  }
  return rows;
}

std::string table2_markdown(const std::vector<Table2Row>& rows) {
  std::string s = "| format | category | Table II | dlasim | dlasim / Table II |\n|---|---|---|---|---|\n";
  for (const Table2Row& r : rows) {
    for (std::size_t c = 0; c < 5; ++c) {
      s += fmt::format("| {} | {} | {:.2f} | {:.2f} | {:.3f} |\n", r.format, kTable2Categories[c], r.paper[c],
                       r.model[c], r.model[c] / r.paper[c]);
    }
  }
  s += "\n| format | Table III TOPS/W (Vmin, 50 % input density) | dlasim TOPS/W | paper fJ/op | dlasim fJ/op | "
       "dlasim / paper | dlasim leakage share | dlasim core area (µm², chip: 153000) |\n"
       "|---|---|---|---|---|---|---|---|\n";
  for (const Table2Row& r : rows) {
    const double paper_fj = 1e3 / r.paper_tops_per_w;
    s += fmt::format("| {} | {:.1f} | {:.1f} | {:.2f} | {:.2f} | {:.3f} | {:.1f} % | {:.0f} |\n", r.format,
                     r.paper_tops_per_w, 1e3 / r.model_fj_per_op, paper_fj, r.model_fj_per_op,
                     r.model_fj_per_op / paper_fj, 100.0 * r.model_static_share, r.model_core_um2);
  }
  return s;
}

}  // namespace dlasim::sim
