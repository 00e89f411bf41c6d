// Precision-scalable lanes: an INT8 per-channel layer on INT4 VS-Quant lanes runs in 2 × 2 sub-steps with the
// scale unit bypassed, bit-exact against the reference, next to an INT4-VSQ layer of the same shape.
#include <catch2/catch.hpp>

#include <deque>
#include <random>

#include "hw/arith.hpp"
#include "hw/ctrl/tiling.hpp"
#include "hw/reference.hpp"
#include "hw/top/dla.hpp"
#include "hw/top/simulation.hpp"
#include "quant/quantize.hpp"

using namespace dlasim;

TEST_CASE("dla mixed precision: an INT8 layer on INT4-VSQ lanes takes 4x the issue cycles, bit-exact",
          "[module][dla][precision]") {
  hw::ArchParams a = hw::with_ideal_memory(hw::ArchParams{});
  a.pes = 2;
  a.lanes = 4;
  a.vector_size = 8;
  a.collector_depth = 5;
  a.collector_banks = 8;
  a.weight_bits = a.act_bits = 4;
  a.weight_scale_bits = 4;
  a.act_scale_bits = 6;
  a.scale_product_bits = 8;  // a rounded scale product: a bypassed layer must not go through it
  const hw::ConvShape sh{6, 6, 20, 12, 3, 3, 1, 1};
  std::mt19937 gen(3);
  std::normal_distribution<float> nd;
  std::vector<float> w(12 * 9 * 20), x(36 * 20);
  for (float& v : w) v = nd(gen);
  for (float& v : x) v = nd(gen);
  std::deque<quant::QTensor> t;
  const std::vector<float> bias(12, 0.1f);
  const auto job = [&](const std::string& name, const quant::QuantSpec& ws, const quant::QuantSpec& as, float s) {
    t.push_back(quant::quantize(w.data(), sh.weight_matrix(), ws));
    const quant::QTensor* wt = &t.back();
    t.push_back(quant::quantize(x.data(), sh.input_matrix(), as));
    hw::LayerJob j;
    j.name = name;
    j.shape = sh;
    j.relu = true;
    j.weights = wt;
    j.input = &t.back();
    j.bias = &bias;
    j.output = {as, s};
    return j;
  };
  const quant::QuantSpec w4 = quant::int_spec(4, quant::Granularity::per_vector, 4, 8);
  const quant::QuantSpec a4 = quant::int_spec(4, quant::Granularity::per_vector, 6, 8);
  const quant::QuantSpec w8 = quant::int_spec(8, quant::Granularity::per_channel, 0, 8);
  const quant::QuantSpec a8 = quant::int_spec(8, quant::Granularity::per_tensor, 0, 8);
  const std::vector<hw::LayerJob> jobs{job("int4_vsq", w4, a4, 0.05f), job("int8", w8, a8, 0.05f)};
  REQUIRE(hw::precision_steps(jobs[0], a) == 1);
  REQUIRE(hw::precision_steps(jobs[1], a) == 4);
  REQUIRE_FALSE(hw::layer_arch(jobs[1], a).has_scale_unit());
  hw::Dla dla("dla", a, jobs);
  dlasim::hw::simulate();

  const auto counter = [&](std::size_t layer, const std::string& name) {
    const auto& d = dla.counters().decls();
    for (std::size_t i = 0; i < d.size(); ++i) {
      if (d[i].name == name) return dla.results()[layer].counters[i];
    }
    FAIL("no counter " << name);
    return uint64_t{0};
  };
  CHECK(counter(1, "pe.mac_array.issue_cycles") == 4 * counter(0, "pe.mac_array.issue_cycles"));
  CHECK(counter(1, "pe.mac_lane.dot") == 4 * counter(0, "pe.mac_lane.dot"));
  CHECK(counter(0, "pe.scale_unit.scale_mul") == counter(0, "pe.mac_lane.dot"));
  CHECK(counter(1, "pe.scale_unit.scale_mul") == 0);  // bypassed
  for (std::size_t l = 0; l < 2; ++l) {
    const hw::ReferenceResult ref = hw::reference_layer(jobs[l], a);
    REQUIRE_NOTHROW(hw::check_bit_exact(jobs[l].name, dla.results()[l].output, ref.output));
    CHECK(counter(l, "pe.collector.saturations") == uint64_t(ref.saturations));
  }
  // The INT8 layer's reference is the plain INT8 arithmetic (no scale product).
  hw::ArchParams int8 = a;
  int8.weight_bits = int8.act_bits = 8;
  int8.weight_scale_bits = int8.act_scale_bits = int8.scale_product_bits = 0;
  REQUIRE_NOTHROW(hw::check_bit_exact("int8", dla.results()[1].output, hw::reference_layer(jobs[1], int8).output));
}
