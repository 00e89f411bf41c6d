// Data gating (hw::ArchParams::gating): three DLAs that differ only in their gating policy run one VS-Quant
// layer with post-ReLU activations (zero elements and all-zero vectors), weights with zero vectors, padding taps
// and a scale product rounded to 2 bits (many zero scale products, which hold the lane under Gating::lane). Their outputs are identical and bit-exact,
// and every gating counter equals an independent count over the layer's (output, tap, vector) products.
// One TEST_CASE elaborates one simulation (ctest runs every case in its own process).
#include <catch2/catch.hpp>

#include <deque>
#include <random>
#include <string>

#include "hw/arith.hpp"
#include "hw/reference.hpp"
#include "hw/top/dla.hpp"
#include "hw/top/simulation.hpp"
#include "quant/quantize.hpp"

using namespace dlasim;

namespace {

uint64_t counter(const hw::Dla& dla, const std::string& name, std::size_t layer = 0) {
  const auto& decls = dla.counters().decls();
  for (std::size_t i = 0; i < decls.size(); ++i) {
    if (decls[i].name == name) return dla.results()[layer].counters[i];
  }
  FAIL("no counter named " << name);
  return 0;
}

// Independent counts over every product of the layer, in the plain loop nest of the convolution.
struct Expected {
  uint64_t lane_steps = 0, zero_vector = 0, zero_scale = 0, zero_psum = 0, nonzero_inputs = 0;
  uint64_t held = 0, nonzero_pairs = 0;  // lane gating: steps held (zero vector or scale product), pairs of the rest
};

Expected expected_counts(const hw::LayerJob& job, const hw::ArchParams& a) {
  const hw::ConvShape& sh = job.shape;
  const quant::QTensor &w = *job.weights, &in = *job.input;
  const int v = a.vector_size;
  const int64_t nv = w.vectors_per_row;
  Expected e;
  for (int64_t k = 0; k < sh.out_c; ++k) {
    for (int64_t p = 0; p < sh.out_pixels(); ++p) {
      const int64_t oh = p / sh.out_w(), ow = p % sh.out_w();
      for (int64_t r = 0; r < sh.kernel_h; ++r) {
        for (int64_t s = 0; s < sh.kernel_w; ++s) {
          const int64_t ih = oh * sh.stride - sh.pad + r, iw = ow * sh.stride - sh.pad + s;
          const bool inside = ih >= 0 && ih < sh.in_h && iw >= 0 && iw < sh.in_w;
          const int64_t wrow = sh.weight_row(k, r, s), arow = inside ? sh.input_row(ih, iw, 0) : 0;
          for (int64_t i = 0; i < nv; ++i) {
            int64_t dot = 0, pairs = 0;
            bool w_any = false, a_any = false;
            for (int j = 0; j < v; ++j) {
              const int wc = w.row_codes(wrow)[i * v + j], ac = inside ? in.row_codes(arow)[i * v + j] : 0;
              dot += wc * ac;
              w_any |= wc != 0;
              a_any |= ac != 0;
              pairs += wc != 0 && ac != 0;
            }
            // A layer without per-vector codes bypasses the scale unit: its partial sum is the dot product.
            const bool codes = !w.vector_scale_codes.empty();
            const uint32_t ws = codes ? w.vector_scale_codes[wrow * nv + i] : 1;
            const uint32_t as = codes ? (inside ? in.vector_scale_codes[arow * nv + i] : 0) : 1;
            const uint32_t sp = codes ? hw::scale_product(ws, as, a.scale_product_shift(), a.scale_product_width()) : 1;
            const bool lane_held = !(w_any && a_any) || sp == 0;
            e.held += lane_held;
            e.nonzero_pairs += lane_held ? 0 : pairs;
            ++e.lane_steps;
            e.zero_vector += !(w_any && a_any);
            e.zero_scale += sp == 0;
            e.zero_psum += dot * int64_t(sp) == 0;
            e.nonzero_inputs += dot != 0 && sp != 0;
          }
        }
      }
    }
  }
  return e;
}

}  // namespace

TEST_CASE("dla gating: none, accumulate and lane give the same bits and count what each policy switches",
          "[module][dla][gating]") {
  hw::ArchParams base = hw::with_ideal_memory(hw::ArchParams{});
  base.pes = 2;
  base.lanes = 4;
  base.vector_size = 8;
  base.collector_depth = 8;
  base.weight_bits = base.act_bits = 4;
  base.weight_scale_bits = base.act_scale_bits = 4;
  base.scale_product_bits = 2;  // round the 8-bit scale product to 2 bits: many become 0
  base.acc_bits = 24;
  const quant::QuantSpec ws = quant::int_spec(4, quant::Granularity::per_vector, 4, 8);
  const quant::QuantSpec as = quant::int_spec(4, quant::Granularity::per_vector, 4, 8);

  const hw::ConvShape sh{6, 6, 24, 8, 3, 3, 1, 1, 1};  // 3 vectors per row, padding taps at the border
  std::mt19937 gen(7);
  std::normal_distribution<float> nd;
  const quant::MatrixShape wm = sh.weight_matrix(), im = sh.input_matrix();
  std::vector<float> wf(wm.rows * wm.cols), af(im.rows * im.cols);
  for (std::size_t i = 0; i < wf.size(); ++i) wf[i] = (i / 8) % 5 == 0 ? 0.0f : nd(gen);  // every 5th vector zero
  for (float& x : af) x = std::max(0.0f, nd(gen) - 0.3f);                                  // post-ReLU, ~60 % zeros
  const quant::QTensor wq = quant::quantize(wf.data(), wm, ws), aq = quant::quantize(af.data(), im, as);
  const std::vector<float> bias(sh.out_c, 0.1f);
  hw::LayerJob job;
  job.name = "conv";
  job.shape = sh;
  job.relu = true;
  job.weights = &wq;
  job.input = &aq;
  job.bias = &bias;
  job.output = {as, 0.05f};
  // A second layer in INT8 per-channel / per-tensor: it bypasses the scale unit (precision sub-steps on the
  // 4-bit lanes), so its zero partial sums are its zero dot products.
  const quant::QTensor w8 = quant::quantize(wf.data(), wm, quant::int_spec(8, quant::Granularity::per_channel, 0, 8));
  const quant::QTensor a8 = quant::quantize(af.data(), im, quant::int_spec(8, quant::Granularity::per_tensor, 0, 8));
  hw::LayerJob bypass = job;
  bypass.name = "bypass";
  bypass.weights = &w8;
  bypass.input = &a8;
  bypass.output = {quant::int_spec(8, quant::Granularity::per_tensor, 0, 8), 0.05f};
  const std::vector<hw::LayerJob> jobs{job, bypass};

  hw::ArchParams none = base, acc = base, lane = base;
  none.gating = hw::Gating::none;
  acc.gating = hw::Gating::accumulate;
  lane.gating = hw::Gating::lane;
  hw::Dla d_none("none", none, jobs), d_acc("accumulate", acc, jobs), d_lane("lane", lane, jobs);
  hw::simulate();

  const hw::ReferenceResult ref = hw::reference_layer(job, base);
  for (const hw::Dla* d : {&d_none, &d_acc, &d_lane}) REQUIRE_NOTHROW(hw::check_bit_exact("conv", d->results()[0].output, ref.output));
  CHECK(d_none.results()[0].cycles == d_lane.results()[0].cycles);  // gating never changes timing

  const Expected e = expected_counts(job, base);
  REQUIRE(e.lane_steps == uint64_t(8 * 36 * 9 * 3));
  // The operands exercise every cause.
  CHECK(e.zero_vector > e.lane_steps / 10);
  CHECK(e.zero_scale > e.zero_vector);
  CHECK(e.nonzero_pairs < e.lane_steps * 8 / 2);
  for (const hw::Dla* d : {&d_none, &d_acc, &d_lane}) {
    INFO(d->name());
    CHECK(counter(*d, "pe.activity.lane_steps") == e.lane_steps);
    CHECK(counter(*d, "pe.activity.zero_vector_steps") == e.zero_vector);
    CHECK(counter(*d, "pe.activity.zero_scale_products") == e.zero_scale);
    CHECK(counter(*d, "pe.activity.zero_psums") == e.zero_psum);
  }
  // none: every busy lane-step switches everything.
  CHECK(counter(d_none, "pe.mac_lane.dot") == e.lane_steps);
  CHECK(counter(d_none, "pe.mac_lane.multiply") == 8 * e.lane_steps);
  CHECK(counter(d_none, "pe.scale_unit.scale_mul") == e.lane_steps);
  CHECK(counter(d_none, "pe.scale_unit.psum_mul") == e.lane_steps);
  CHECK(counter(d_none, "pe.collector.acc_add") == e.lane_steps);
  // accumulate: zero inputs isolate the dot × scale multiplier, zero partial sums skip the accumulate.
  CHECK(counter(d_acc, "pe.mac_lane.dot") == e.lane_steps);
  CHECK(counter(d_acc, "pe.mac_lane.multiply") == 8 * e.lane_steps);
  CHECK(counter(d_acc, "pe.scale_unit.scale_mul") == e.lane_steps);
  CHECK(counter(d_acc, "pe.scale_unit.psum_mul") == e.nonzero_inputs);
  CHECK(counter(d_acc, "pe.collector.acc_add") == e.lane_steps - e.zero_psum);
  // lane: all-zero vectors and zero scale products hold the lane, zero elements their multiplier.
  CHECK(e.held > e.zero_vector);
  CHECK(counter(d_lane, "pe.mac_lane.dot") == e.lane_steps - e.held);
  CHECK(counter(d_lane, "pe.mac_lane.multiply") == e.nonzero_pairs);
  CHECK(counter(d_lane, "pe.scale_unit.scale_mul") == e.lane_steps - e.zero_vector);
  CHECK(counter(d_lane, "pe.scale_unit.psum_mul") == e.nonzero_inputs);
  CHECK(counter(d_lane, "pe.collector.acc_add") == e.lane_steps - e.zero_psum);

  // The bypassed INT8 layer: zero partial sums = zero dot products, in every policy.
  const Expected e8 = expected_counts(bypass, base);
  CHECK(e8.zero_psum > 0);
  for (const hw::Dla* d : {&d_none, &d_acc, &d_lane}) {
    INFO(d->name());
    REQUIRE_NOTHROW(hw::check_bit_exact("bypass", d->results()[1].output, hw::reference_layer(bypass, base).output));
    CHECK(counter(*d, "pe.activity.zero_psums", 1) == e8.zero_psum);
    CHECK(counter(*d, "pe.activity.zero_vector_steps", 1) == e8.zero_vector);
  }
  CHECK(counter(d_none, "pe.collector.acc_add", 1) == e8.lane_steps);
  CHECK(counter(d_acc, "pe.collector.acc_add", 1) == e8.lane_steps - e8.zero_psum);
  CHECK(counter(d_lane, "pe.mac_lane.dot", 1) == (e8.lane_steps - e8.held) * 4);  // 2 x 2 precision sub-steps
}
