// Whole DLA on grouped layers: a depthwise and a grouped conv simulate bit-exactly against the reference
// (output codes, scale codes, saturation count) and take the closed-form cycle counts of their wave plans.
// Each TEST_CASE elaborates one simulation (ctest runs every case in its own process).
#include <catch2/catch.hpp>

#include <algorithm>
#include <deque>
#include <random>
#include <string>

#include "hw/ctrl/tiling.hpp"
#include "hw/reference.hpp"
#include "hw/top/dla.hpp"
#include "hw/top/simulation.hpp"
#include "quant/quantize.hpp"

using namespace dlasim;

namespace {

// Two layers with V = 8 on 2 PEs × 4 lanes, collector depth 8:
//   "dw"  depthwise 8×8×24, stride 1: Cg = 1, 64 output pixels;
//   "g2"  6×6×40 → 20 in 2 groups, stride 2: Cg = 20 = 8 + 8 + 4 (3 vectors), Kg = 10, 9 output pixels.
struct Fixture {
  hw::ArchParams arch;
  std::deque<quant::QTensor> tensors;  // stable addresses for the jobs
  std::deque<std::vector<float>> biases;
  std::vector<hw::LayerJob> jobs;

  Fixture(const quant::QuantSpec& ws, const quant::QuantSpec& as, float out_scale) {
    arch = hw::with_ideal_memory(arch);
    arch.pes = 2;
    arch.lanes = 4;
    arch.vector_size = 8;
    arch.collector_depth = 8;
    arch.weight_bits = ws.bits();
    arch.act_bits = as.bits();
    arch.weight_scale_bits = ws.granularity == quant::Granularity::per_vector ? ws.scale_bits : 0;
    arch.act_scale_bits = as.granularity == quant::Granularity::per_vector ? as.scale_bits : 0;
    std::mt19937 gen(29);
    add("dw", hw::ConvShape{8, 8, 24, 24, 3, 3, 1, 1, 24}, ws, as, out_scale, gen);
    add("g2", hw::ConvShape{6, 6, 40, 20, 3, 3, 2, 1, 2}, ws, as, out_scale, gen);
  }

  void add(const std::string& name, const hw::ConvShape& sh, const quant::QuantSpec& ws, const quant::QuantSpec& as,
           float out_scale, std::mt19937& gen) {
    std::normal_distribution<float> nd;
    const quant::MatrixShape wm = sh.weight_matrix(), im = sh.input_matrix();
    std::vector<float> w(wm.rows * wm.cols), a(im.rows * im.cols);
    for (float& x : w) x = nd(gen);
    for (float& x : a) x = nd(gen);
    tensors.push_back(quant::quantize(w.data(), wm, ws));
    const quant::QTensor* wq = &tensors.back();
    tensors.push_back(quant::quantize(a.data(), im, as));
    biases.emplace_back(sh.out_c, 0.25f);
    hw::LayerJob job;
    job.name = name;
    job.shape = sh;
    job.relu = true;
    job.weights = wq;
    job.input = &tensors.back();
    job.bias = &biases.back();
    job.output = {as, out_scale};
    jobs.push_back(job);
  }
};

// Closed form of a layer run alone on a serialised pipeline: every wave waits for the previous one to
// leave the PPU (one collector bank), or the ideal one (enough banks, PPU not the bottleneck).
uint64_t closed_form_cycles(const hw::LayerJob& job, const hw::ArchParams& a, bool serialised) {
  const uint64_t latencies = a.mac_latency_cycles + (a.has_scale_unit() ? a.scale_latency_cycles : 0) +
                             a.collector_latency_cycles;
  uint64_t cycles = 0, last_ppu = 0;
  for (const hw::WavePtr& w : hw::plan_waves(job, 0, a, hw::plan_tiling(job, a))) {
    int64_t busiest = 0;
    for (const hw::Tile& t : w->tiles) busiest = std::max(busiest, t.k_count * t.p_count);
    last_ppu = (busiest + a.ppu_outputs_per_cycle - 1) / a.ppu_outputs_per_cycle;
    cycles += w->steps + (serialised ? latencies + last_ppu : 0);
  }
  return cycles + (serialised ? 0 : latencies + last_ppu) + a.ppu_latency_cycles;
}

uint64_t counter(const hw::Dla& dla, std::size_t layer, const std::string& name) {
  const auto& decls = dla.counters().decls();
  for (std::size_t i = 0; i < decls.size(); ++i) {
    if (decls[i].name == name) return dla.results()[layer].counters[i];
  }
  FAIL("no counter named " << name);
  return 0;
}

// Every layer's output and saturation count equal the reference's, and the outputs are not all zero.
void check_bit_exact(const Fixture& f, const hw::Dla& dla) {
  for (std::size_t l = 0; l < f.jobs.size(); ++l) {
    const hw::ReferenceResult ref = hw::reference_layer(f.jobs[l], f.arch);
    const quant::QTensor& out = dla.results()[l].output;
    REQUIRE_NOTHROW(hw::check_bit_exact(f.jobs[l].name, out, ref.output));
    CHECK(counter(dla, l, "pe.collector.saturations") == uint64_t(ref.saturations));
    const int64_t nonzero = std::count_if(out.codes.begin(), out.codes.end(), [](uint8_t c) { return c != 0; });
    CHECK(nonzero > out.shape.rows * out.shape.cols / 4);
  }
}

}  // namespace

TEST_CASE("dla grouped: depthwise and grouped VS-Quant layers are bit-exact at the ideal closed-form cycles",
          "[module][dla][groups]") {
  Fixture f(quant::int_spec(4, quant::Granularity::per_vector, 4, 8),
            quant::int_spec(4, quant::Granularity::per_vector, 6, 8), 0.02f);
  f.arch.collector_banks = 8;
  f.arch.ppu_outputs_per_cycle = 1024;
  f.arch.scale_product_bits = 8;
  f.arch.acc_bits = 14;  // narrow: the grouped layer's sums clip
  hw::Dla dla("dla", f.arch, f.jobs);
  dlasim::hw::simulate();

  // dw: 24 one-lane channel blocks × 8 pixel blocks = 192 tiles, 96 waves of 9 taps × 1 vector × depth 8.
  // g2: per group channel blocks of 4, 4, 2 lanes × pixel blocks of 8 and 1 = 12 tiles, 6 waves of
  //     9 taps × 3 vectors × depth 8. Then MAC, scale unit and collector latencies (2 + 1 + 1), one PPU
  //     cycle and the PPU latency (4).
  CHECK(dla.results()[0].cycles == 96 * 72 + 4 + 1 + 4);
  CHECK(dla.results()[1].cycles == 6 * 216 + 4 + 1 + 4);
  for (std::size_t l = 0; l < 2; ++l) CHECK(dla.results()[l].cycles == closed_form_cycles(f.jobs[l], f.arch, false));
  // Every busy lane-step is one dot product: channels × pixels × taps × vectors.
  CHECK(counter(dla, 0, "pe.mac_lane.dot") == 24 * 64 * 9 * 1);
  CHECK(counter(dla, 1, "pe.mac_lane.dot") == 20 * 9 * 9 * 3);
  check_bit_exact(f, dla);
  CHECK(counter(dla, 1, "pe.collector.saturations") > 0);
  for (std::size_t l = 0; l < 2; ++l) {
    const uint64_t bound = (f.jobs[l].shape.macs() + f.arch.peak_macs_per_cycle() - 1) / f.arch.peak_macs_per_cycle();
    CHECK(dla.results()[l].cycles >= bound);
  }
}

TEST_CASE("dla grouped: INT8 baseline on one collector bank serialises waves, bit-exact", "[module][dla][groups]") {
  Fixture f(quant::int_spec(8, quant::Granularity::per_channel, 0, 8),
            quant::int_spec(8, quant::Granularity::per_tensor, 0, 8), 0.05f);
  f.arch.collector_banks = 1;
  f.arch.ppu_outputs_per_cycle = 4;
  f.arch.acc_bits = 16;
  REQUIRE_FALSE(f.arch.has_scale_unit());
  hw::Dla dla("dla", f.arch, f.jobs);
  dlasim::hw::simulate();

  // Per wave: steps + MAC and collector latencies (2 + 1) + PPU busy cycles, then the PPU latency (4).
  // dw: PPU busy ⌈1 lane × 8 pixels / 4⌉ = 2. g2: PPU busy 8, 8, 4 for the channel blocks of 4, 4, 2
  // lanes (× 8 pixels), in each group.
  CHECK(dla.results()[0].cycles == 96 * (72 + 3 + 2) + 4);
  CHECK(dla.results()[1].cycles == 6 * (216 + 3) + 2 * (8 + 8 + 4) + 4);
  for (std::size_t l = 0; l < 2; ++l) CHECK(dla.results()[l].cycles == closed_form_cycles(f.jobs[l], f.arch, true));
  check_bit_exact(f, dla);
}
