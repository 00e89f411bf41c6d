// The reference's fast prescaled path (output channels that provably cannot saturate) gives the same
// outputs and saturation counts as its defining saturating loop (hw/reference.cpp).
#include <catch2/catch.hpp>

#include <random>

#include "hw/reference.hpp"
#include "quant/quantize.hpp"

using namespace dlasim;

TEST_CASE("reference: the prescaled path equals the exact loop, with some channels saturating", "[reference]") {
  std::mt19937 rng(77);
  int mixed = 0;
  for (int trial = 0; trial < 40; ++trial) {
    const int v = trial % 2 ? 8 : 16;
    const bool per_vector = trial % 3 != 0;
    const hw::ConvShape sh{5, 6, 24, 12, trial % 4 ? 3 : 1, 3, 1 + trial % 2, 1, trial % 5 == 0 ? 2 : 1};
    hw::ArchParams a;
    a.vector_size = v;
    a.weight_bits = a.act_bits = per_vector ? 4 : 8;
    a.weight_scale_bits = per_vector ? 4 : 0;
    a.act_scale_bits = per_vector ? 6 : 0;
    a.acc_bits = 12 + trial % 12;  // narrow enough that some channels can clip, others cannot
    // Two of three output channels are sparse (1 weight in 8 nonzero): their L1 bound is small, so with the
    // middle accumulator widths they take the fast path while the dense channels keep the exact loop.
    std::normal_distribution<float> nd;
    std::vector<float> w(sh.out_c * sh.taps() * sh.group_in_c()), x(sh.in_h * sh.in_w * sh.in_c);
    const int64_t per_channel = sh.taps() * sh.group_in_c();
    for (std::size_t i = 0; i < w.size(); ++i) {
      const bool dense = int64_t(i) / per_channel % 3 == 0;
      w[i] = dense || i % 8 == 0 ? nd(rng) : 0.0f;
    }
    for (float& f : x) f = nd(rng);
    const quant::QuantSpec ws = per_vector ? quant::int_spec(4, quant::Granularity::per_vector, 4, v)
                                           : quant::int_spec(8, quant::Granularity::per_channel, 0, v);
    const quant::QuantSpec as = per_vector ? quant::int_spec(4, quant::Granularity::per_vector, 6, v)
                                           : quant::int_spec(8, quant::Granularity::per_tensor, 0, v);
    const quant::QTensor wt = quant::quantize(w.data(), sh.weight_matrix(), ws);
    const quant::QTensor in = quant::quantize(x.data(), sh.input_matrix(), as);
    const std::vector<float> bias(sh.out_c, 0.0f);
    hw::LayerJob job;
    job.name = "t" + std::to_string(trial);
    job.shape = sh;
    job.weights = &wt;
    job.input = &in;
    job.bias = &bias;
    job.output = {as, 0.05f};
    const hw::ReferenceResult fast = hw::reference_layer(job, a, hw::ReferencePath::fastest);
    const hw::ReferenceResult exact = hw::reference_layer(job, a, hw::ReferencePath::exact);
    INFO(job.name << " acc_bits " << a.acc_bits);
    REQUIRE_NOTHROW(hw::check_bit_exact(job.name, fast.output, exact.output));
    CHECK(fast.saturations == exact.saturations);
    mixed += exact.saturations > 0;
  }
  CHECK(mixed > 5);  // the trials exercise layers where the exact loop clips
}
