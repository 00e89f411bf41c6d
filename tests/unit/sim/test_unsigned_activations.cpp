// Unsigned activation codes after a ReLU (quant.activations.unsigned_after_relu, reference.md §1.2): the
// reference's dot products of signed weights × unsigned codes up to 255 against a plain loop, and whole runs
// whose simulation equals the reference bit for bit. Each TEST_CASE runs at most one simulation.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "hw/arith.hpp"
#include "hw/reference.hpp"
#include "quant/quantize.hpp"
#include "sim/config/load.hpp"
#include "sim/run.hpp"
#include "sim/workload/synthetic.hpp"

using namespace dlasim;

namespace {

sim::Config tiny_unsigned(const std::vector<std::string>& sets) {
  std::vector<std::string> all = {"quant.activations.unsigned_after_relu=true"};
  all.insert(all.end(), sets.begin(), sets.end());
  return sim::load_config(std::string(DLASIM_SOURCE_DIR) + "/tests/golden/tiny.yaml", all);
}

}  // namespace

TEST_CASE("unsigned activations: int8 weights x uint8 codes up to 255 give the plain loop's accumulators",
          "[unsigned]") {
  const hw::ConvShape sh{5, 5, 40, 12, 3, 3, 1, 1, 1};
  sim::Rng rng(7);
  std::vector<float> w = sim::sample(rng, "normal", 0.0, 0.05, sh.out_c * sh.taps() * sh.group_in_c());
  std::vector<float> x = sim::sample(rng, "normal", 0.0, 1.0, sh.in_h * sh.in_w * sh.in_c);
  for (float& v : x) v = std::max(0.0f, v);
  const std::vector<float> bias = sim::sample(rng, "normal", 0.0, 0.1, sh.out_c);
  const quant::QuantSpec a_spec = sim::unsigned_spec(quant::int_spec(8, quant::Granularity::per_tensor));
  REQUIRE(a_spec.element == quant::ElementId::uint8);
  const quant::QTensor wq = quant::quantize(w.data(), sh.weight_matrix(), quant::int_spec(8, quant::Granularity::per_channel));
  const quant::QTensor aq = quant::quantize(x.data(), sh.input_matrix(), a_spec);
  CHECK(*std::max_element(aq.codes.begin(), aq.codes.end()) == 255);  // codes beyond int8's range occur
  hw::ArchParams arch;
  arch.acc_bits = 32;
  for (const bool relu : {false, true}) {
    hw::LayerJob job;
    job.name = "u8";
    job.shape = sh;
    job.relu = relu;
    job.weights = &wq;
    job.input = &aq;
    job.bias = &bias;
    job.output.spec = relu ? a_spec : quant::int_spec(8, quant::Granularity::per_tensor);
    // The plain loop: signed weight bytes times unsigned activation bytes, padding taps skipped.
    std::vector<int64_t> acc(sh.out_pixels() * sh.out_c, 0);
    const int64_t pc = wq.padded_cols();
    for (int64_t oh = 0; oh < sh.out_h(); ++oh)
      for (int64_t ow = 0; ow < sh.out_w(); ++ow)
        for (int64_t k = 0; k < sh.out_c; ++k)
          for (int64_t r = 0; r < sh.kernel_h; ++r)
            for (int64_t s = 0; s < sh.kernel_w; ++s) {
              const int64_t ih = oh - sh.pad + r, iw = ow - sh.pad + s;
              if (ih < 0 || ih >= sh.in_h || iw < 0 || iw >= sh.in_w) continue;
              for (int64_t c = 0; c < sh.in_c; ++c) {
                const int64_t wv = static_cast<int8_t>(wq.codes[sh.weight_row(k, r, s) * pc + c]);
                const int64_t av = aq.codes[sh.input_row(ih, iw, 0) * pc + c];
                acc[(oh * sh.out_w() + ow) * sh.out_c + k] += wv * av;
              }
            }
    const std::vector<float> scales = hw::ppu_channel_scales(job, arch);
    std::vector<float> staged(acc.size());
    for (std::size_t i = 0; i < acc.size(); ++i) {
      const int64_t k = int64_t(i) % sh.out_c;
      staged[i] = hw::ppu_activate(acc[i], scales[k], bias[k], relu);
    }
    float y_max = 0.0f;
    for (const float y : staged) y_max = std::max(y_max, std::fabs(y));
    job.output.coarse_scale = y_max / 250.0f;  // the largest outputs get codes near 250 (uint8) or clip at 127
    quant::QTensor expected = hw::make_output_tensor(job);
    hw::ppu_requantize(staged, expected);
    for (const hw::ReferencePath path : {hw::ReferencePath::exact, hw::ReferencePath::fastest}) {
      const hw::ReferenceResult ref = hw::reference_layer(job, arch, path);
      hw::check_bit_exact("u8", ref.output, expected);
      CHECK(ref.saturations == 0);
    }
    if (relu) {
      CHECK(expected.spec.element == quant::ElementId::uint8);
      CHECK(*std::max_element(expected.codes.begin(), expected.codes.end()) > 127);
    }
  }
}

TEST_CASE("unsigned activations: a VS-Quant 4/4/4/6 run with uint4 post-ReLU codes is bit-exact", "[unsigned]") {
  const sim::Config c = tiny_unsigned({});
  REQUIRE(sim::design_quant(c).unsigned_after_relu);
  // The chained codes are the upstream uint4 outputs; the reference and the simulation agree on every layer.
  const sim::RunResult r = sim::run_workload(c);
  CHECK(r.design.layers[1].operands == "chained");
  CHECK(r.design.layers[2].operands == "chained");
}

TEST_CASE("unsigned activations: an INT8 per-tensor run with uint8 post-ReLU codes is bit-exact", "[unsigned]") {
  const sim::Config c = tiny_unsigned({"quant.weights.bits=8", "quant.weights.granularity=per_channel",
                                       "quant.weights.scale_bits=0", "quant.activations.bits=8",
                                       "quant.activations.granularity=per_tensor", "quant.activations.scale_bits=0",
                                       "arch.scale_product_bits=0", "arch.acc_bits=32"});
  const sim::RunResult r = sim::run_workload(c);
  CHECK(r.design.layers[1].operands == "chained");
  // Unsigned codes double the resolution of the post-ReLU tensors: the design beats the signed baseline there.
  CHECK(r.design.layers[2].sqnr_db > r.baseline.layers[2].sqnr_db);
}

TEST_CASE("unsigned activations: unsigned_spec maps intN to uintN and leaves other elements", "[unsigned]") {
  for (int bits = 2; bits <= 8; ++bits) {
    const quant::QuantSpec u = sim::unsigned_spec(quant::int_spec(bits, quant::Granularity::per_tensor));
    CHECK(u.format().name == "uint" + std::to_string(bits));
    CHECK(u.qmax() == (1 << bits) - 1);
  }
  quant::QuantSpec mx = quant::int_spec(8, quant::Granularity::per_tensor);
  mx.element = quant::ElementId::fp4_e2m1;
  CHECK(sim::unsigned_spec(mx).element == quant::ElementId::fp4_e2m1);
}
