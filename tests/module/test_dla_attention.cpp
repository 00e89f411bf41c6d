// Whole DLA on attention GEMMs: attn_qk (S = Q·Kᵀ) and attn_pv (O = P·V) as grouped 1×1 convolutions with
// H = groups, the B operand (K, Vᵀ) an activation on the weight port (per-vector scales, one coarse scale per
// tensor). Outputs, scale codes and saturation counts are bit-exact against the reference; dot-product
// counts and cycles follow the mapping. Each TEST_CASE elaborates one simulation (one ctest per case).
#include <catch2/catch.hpp>

#include <algorithm>
#include <deque>
#include <random>
#include <string>

#include "hw/reference.hpp"
#include "hw/top/dla.hpp"
#include "hw/top/simulation.hpp"
#include "quant/quantize.hpp"
#include "sim/run.hpp"
#include "sim/workload/synthetic.hpp"

using namespace dlasim;

namespace {

// V = 8 on 2 PEs × 4 lanes, collector depth 8, two layers with H = 2 heads and M = 12 queries:
//   "qk"  N = 6 keys, d = 20 (8 + 8 + 4: 3 vectors)  -> in_c = 40, out_c = 12;
//   "pv"  N = 10 keys (8 + 2: 2 vectors), d = 8       -> in_c = 20, out_c = 16.
struct Fixture {
  hw::ArchParams arch;
  std::deque<quant::QTensor> tensors;  // stable addresses for the jobs
  std::deque<std::vector<float>> biases;
  std::vector<hw::LayerJob> jobs;

  Fixture(const quant::QuantSpec& ws, const quant::QuantSpec& as, float out_scale) {
    arch.pes = 2;
    arch.lanes = 4;
    arch.vector_size = 8;
    arch.collector_depth = 8;
    arch.weight_bits = ws.bits();
    arch.act_bits = as.bits();
    arch.weight_scale_bits = ws.granularity == quant::Granularity::per_vector ? ws.scale_bits : 0;
    arch.act_scale_bits = as.granularity == quant::Granularity::per_vector ? as.scale_bits : 0;
    std::mt19937 gen(31);
    add("qk", false, hw::ConvShape{12, 1, 40, 12, 1, 1, 1, 0, 2}, ws, as, out_scale, gen);
    add("pv", true, hw::ConvShape{12, 1, 20, 16, 1, 1, 1, 0, 2}, ws, as, out_scale, gen);
  }

  void add(const std::string& name, bool softmax_input, const hw::ConvShape& sh, const quant::QuantSpec& ws,
           const quant::QuantSpec& as, float out_scale, std::mt19937& gen) {
    std::normal_distribution<float> nd;
    const quant::MatrixShape wm = sh.weight_matrix(), im = sh.input_matrix();
    std::vector<float> b(wm.rows * wm.cols), a(im.rows * im.cols);
    for (float& x : b) x = nd(gen);
    for (float& x : a) x = nd(gen);
    if (softmax_input) sim::softmax_rows(a, sh.group_in_c());
    tensors.push_back(quant::quantize(b.data(), wm, sim::activation_weight_spec(ws)));
    const quant::QTensor* bq = &tensors.back();
    tensors.push_back(quant::quantize(a.data(), im, as));
    biases.emplace_back(sh.out_c, 0.0f);
    hw::LayerJob job;
    job.name = name;
    job.shape = sh;
    job.weights = bq;
    job.input = &tensors.back();
    job.bias = &biases.back();
    job.weights_are_activations = true;
    job.output = {as, out_scale};
    jobs.push_back(job);
  }
};

uint64_t counter(const hw::Dla& dla, std::size_t layer, const std::string& name) {
  const auto& decls = dla.counters().decls();
  for (std::size_t i = 0; i < decls.size(); ++i) {
    if (decls[i].name == name) return dla.results()[layer].counters[i];
  }
  FAIL("no counter named " << name);
  return 0;
}

void check_bit_exact(const Fixture& f, const hw::Dla& dla) {
  for (std::size_t l = 0; l < f.jobs.size(); ++l) {
    const hw::ReferenceResult ref = hw::reference_layer(f.jobs[l], f.arch);
    const quant::QTensor& out = dla.results()[l].output;
    REQUIRE_NOTHROW(hw::check_bit_exact(f.jobs[l].name, out, ref.output));
    CHECK(counter(dla, l, "pe.collector.saturations") == uint64_t(ref.saturations));
    const int64_t nonzero = std::count_if(out.codes.begin(), out.codes.end(), [](uint8_t c) { return c != 0; });
    CHECK(nonzero > out.shape.rows * out.shape.cols / 4);
    const uint64_t bound = (f.jobs[l].shape.macs() + f.arch.peak_macs_per_cycle() - 1) / f.arch.peak_macs_per_cycle();
    CHECK(dla.results()[l].cycles >= bound);
  }
}

}  // namespace

TEST_CASE("dla attention: attn_qk and attn_pv with per-vector scales on both operands are bit-exact",
          "[module][dla][attention]") {
  Fixture f(quant::int_spec(4, quant::Granularity::per_vector, 4, 8),
            quant::int_spec(4, quant::Granularity::per_vector, 6, 8), 0.05f);
  f.arch.scale_product_bits = 8;
  f.arch.acc_bits = 12;  // narrow: sums clip
  hw::Dla dla("dla", f.arch, f.jobs);
  dlasim::hw::simulate();
  // One dot product per (query, output channel, vector of the head's reduction).
  CHECK(counter(dla, 0, "pe.mac_lane.dot") == 12 * 12 * 3);
  CHECK(counter(dla, 1, "pe.mac_lane.dot") == 12 * 16 * 2);
  check_bit_exact(f, dla);
  CHECK(counter(dla, 0, "pe.collector.saturations") + counter(dla, 1, "pe.collector.saturations") > 0);
}

TEST_CASE("dla attention: 8-bit baseline with K and Vᵀ per-tensor INT8 on the weight port is bit-exact",
          "[module][dla][attention]") {
  Fixture f(quant::int_spec(8, quant::Granularity::per_channel, 0, 8),
            quant::int_spec(8, quant::Granularity::per_tensor, 0, 8), 0.1f);
  REQUIRE(f.tensors[0].spec.granularity == quant::Granularity::per_tensor);
  REQUIRE_FALSE(f.arch.has_scale_unit());
  hw::Dla dla("dla", f.arch, f.jobs);
  dlasim::hw::simulate();
  check_bit_exact(f, dla);
}
