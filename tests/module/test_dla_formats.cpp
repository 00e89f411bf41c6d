// The whole DLA on block and floating-scale formats (MX E8M0, NVFP4 E4M3, fp32 per-vector) with finite DRAM
// bandwidth and a weight buffer small enough to cut the reduction into passes: outputs (codes, scale codes,
// fp32 scales) bit-exact against hw::reference_layer, no saturation, one dot product per busy lane-step, the
// cycles at or above max(compute bound, DRAM bound). And the constructor rejecting operands the arch cannot
// take, naming the layer.
// Each TEST_CASE elaborates at most one simulation (ctest runs every case in its own process).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <deque>
#include <random>
#include <stdexcept>
#include <string>

#include "hw/ctrl/tiling.hpp"
#include "hw/reference.hpp"
#include "hw/top/dla.hpp"
#include "hw/top/simulation.hpp"
#include "quant/quantize.hpp"

using namespace dlasim;

namespace {

bool floating(const quant::QuantSpec& s) {
  return s.granularity == quant::Granularity::per_vector && s.vector_scale != quant::VectorScale::uint;
}

// Normal values; each run of 4 consecutive elements gets a random magnitude so block scales spread, and each
// row of `row_len` elements (a pixel's or a weight tap's channels) one over ~30 binades, so the partial sums
// of one output differ enough in size for the fp32 accumulation to round.
std::vector<float> spread_normal(int64_t n, int64_t row_len, std::mt19937& g) {
  std::normal_distribution<float> nd;
  const float factors[] = {1.0f, 0.5f, 0.1f, 0.01f, 4.0f};
  const float row_factors[] = {1.0f, 1e-2f, 1e2f, 1e-3f, 30.0f};
  std::uniform_int_distribution<int> pick(0, 4);
  std::vector<float> x(static_cast<std::size_t>(n));
  float f = 1.0f, row = 1.0f;
  for (int64_t i = 0; i < n; ++i) {
    if (i % row_len == 0) row = row_factors[pick(g)];
    if (i % 4 == 0) f = factors[pick(g)];
    x[static_cast<std::size_t>(i)] = row * f * nd(g);
  }
  return x;
}

// The float layer (double accumulation) on the float operands: the output amax for the output coarse scale.
std::vector<float> float_layer(const hw::ConvShape& sh, const std::vector<float>& w, const std::vector<float>& a,
                               const std::vector<float>& bias) {
  const int64_t cg = sh.group_in_c();
  std::vector<float> y(sh.out_pixels() * sh.out_c);
  for (int64_t p = 0; p < sh.out_pixels(); ++p) {
    const int64_t oh = p / sh.out_w(), ow = p % sh.out_w();
    for (int64_t k = 0; k < sh.out_c; ++k) {
      double sum = bias[k];
      for (int64_t r = 0; r < sh.kernel_h; ++r) {
        for (int64_t s = 0; s < sh.kernel_w; ++s) {
          const int64_t ih = oh * sh.stride - sh.pad + r, iw = ow * sh.stride - sh.pad + s;
          if (ih < 0 || ih >= sh.in_h || iw < 0 || iw >= sh.in_w) continue;
          for (int64_t c = 0; c < cg; ++c) {
            sum += double{w[sh.weight_row(k, r, s) * cg + c]} * a[(ih * sh.in_w + iw) * sh.in_c + sh.group_of(k) * cg + c];
          }
        }
      }
      y[p * sh.out_c + k] = static_cast<float>(std::max(sum, 0.0));  // ReLU
    }
  }
  return y;
}

// Layers on 2 PEs × 4 lanes, collector depth 5, DRAM at 4 bytes/cycle, a 1 Kib weight buffer (4 rows of
// 128 bits per slot: one row per lane) so every tile needs several reduction passes.
struct Fixture {
  hw::ArchParams arch;
  std::deque<quant::QTensor> tensors;
  std::deque<std::vector<float>> biases;
  std::vector<hw::LayerJob> jobs;

  Fixture(const quant::QuantSpec& ws, const quant::QuantSpec& as, int vector_size) : ws_(ws), as_(as) {
    arch.pes = 2;
    arch.lanes = 4;
    arch.vector_size = vector_size;
    arch.collector_depth = 5;
    arch.weight_bits = ws.bits();
    arch.act_bits = as.bits();
    arch.weight_scale_bits = ws.vector_scale_storage_bits();
    arch.act_scale_bits = as.vector_scale_storage_bits();
    arch.float_scales = floating(ws) || floating(as);
    arch.dram_bytes_per_cycle = 4.0;
    arch.dram_latency_cycles = 40;
    arch.weight_buffer_kib = 0.125;
  }

  // A plain 3×3 conv (padding 1, Cg = cg) and a 2-group 3×3 conv with stride 2 (Cg = cg per group), in the
  // activations' format; then the plain conv again with INT2 outputs under an fp32 scale per single-element
  // vector: each output's scale is |y| (INT2's max is 1), so the fp32 accumulators are compared bit for bit,
  // not just through 4-bit codes.
  void add_pair(int64_t cg, uint32_t seed) {
    add("conv", {6, 5, cg, 12, 3, 3, 1, 1, 1}, seed);
    add("grouped", {7, 7, 2 * cg, 8, 3, 3, 2, 1, 2}, seed + 1);
    const quant::QuantSpec exposed = quant::parse_format("int2-v1");
    add("conv_raw", {6, 5, cg, 12, 3, 3, 1, 1, 1}, seed, &exposed);
  }

  void add(const std::string& name, const hw::ConvShape& sh, uint32_t seed, const quant::QuantSpec* out = nullptr) {
    std::mt19937 g(seed);
    const quant::MatrixShape wm = sh.weight_matrix(), im = sh.input_matrix();
    std::vector<float> w = spread_normal(wm.rows * wm.cols, wm.cols, g), a = spread_normal(im.rows * im.cols, im.cols, g);
    for (float& x : w) x *= 0.2f;
    std::vector<float> bias(sh.out_c);
    std::normal_distribution<float> nd(0.0f, 0.3f);
    for (float& b : bias) b = nd(g);
    tensors.push_back(quant::quantize(w.data(), wm, ws_));
    const quant::QTensor* wq = &tensors.back();
    tensors.push_back(quant::quantize(a.data(), im, as_));
    biases.push_back(bias);
    const std::vector<float> y = float_layer(sh, w, a, bias);
    const quant::QuantSpec& os = out != nullptr ? *out : as_;
    const std::vector<float> coarse =
        quant::calibrate_coarse_scales(y.data(), {sh.out_pixels(), sh.out_c, sh.out_pixels()}, os);
    hw::LayerJob job;
    job.name = name;
    job.shape = sh;
    job.relu = true;
    job.weights = wq;
    job.input = &tensors.back();
    job.bias = &biases.back();
    job.output = {os, coarse.empty() ? 1.0f : coarse[0]};
    jobs.push_back(job);
  }

 private:
  quant::QuantSpec ws_, as_;
};

uint64_t counter(const hw::Dla& dla, std::size_t layer, const std::string& name) {
  const auto& decls = dla.counters().decls();
  for (std::size_t i = 0; i < decls.size(); ++i) {
    if (decls[i].name == name) return dla.results()[layer].counters[i];
  }
  FAIL("no counter named " << name);
  return 0;
}

// Every check of a finished simulation, layer by layer.
void check_layers(const Fixture& f, const hw::Dla& dla) {
  for (std::size_t l = 0; l < f.jobs.size(); ++l) {
    const hw::LayerJob& job = f.jobs[l];
    const hw::ConvShape& sh = job.shape;
    INFO("layer " << job.name);
    const hw::TilingPlan& plan = dla.plans()[l];
    CHECK(plan.passes() > 1);  // the reduction is cut into passes
    const hw::ReferenceResult ref = hw::reference_layer(job, f.arch);
    const quant::QTensor& out = dla.results()[l].output;
    REQUIRE_NOTHROW(hw::check_bit_exact(job.name, out, ref.output));
    CHECK(out.vector_scales == ref.output.vector_scales);
    CHECK(out.vector_scale_codes == ref.output.vector_scale_codes);
    CHECK(ref.saturations == 0);
    CHECK(counter(dla, l, "pe.collector.saturations") == 0);
    const int64_t nonzero = std::count_if(out.codes.begin(), out.codes.end(), [](uint8_t c) { return c != 0; });
    CHECK(nonzero > out.shape.rows * out.shape.cols / 6);  // ReLU zeroes about half, small outputs flush

    // One dot product per busy lane-step: Σ over waves and tiles of lanes × pixels × reduction steps; padding
    // taps count (they stream a zero vector), so that is out_c × pixels × taps × vectors.
    uint64_t lane_steps = 0;
    for (const hw::WavePtr& w : hw::plan_waves(job, l, f.arch, plan)) {
      for (const hw::Tile& t : w->tiles) lane_steps += uint64_t(t.k_count * t.p_count * (w->j1 - w->j0));
    }
    CHECK(counter(dla, l, "pe.mac_lane.dot") == lane_steps);
    CHECK(lane_steps == uint64_t(sh.out_c * sh.out_pixels() * sh.taps() * job.weights->vectors_per_row));
    CHECK(counter(dla, l, "pe.scale_unit.psum_mul") == lane_steps);
    CHECK(counter(dla, l, "pe.collector.acc_add") == lane_steps);

    const uint64_t peak = uint64_t(f.arch.peak_macs_per_cycle());
    const uint64_t compute_bound = (uint64_t(sh.macs()) + peak - 1) / peak;
    const uint64_t dram_bytes = (hw::min_dram_bits(plan) + 7) / 8;
    const uint64_t dram_bound = uint64_t(std::ceil(double(dram_bytes) / f.arch.dram_bytes_per_cycle));
    INFO("cycles " << dla.results()[l].cycles << ", compute bound " << compute_bound << ", DRAM bound " << dram_bound);
    CHECK(dla.results()[l].cycles >= std::max(compute_bound, dram_bound));
    CHECK(counter(dla, l, "dram.read_bits") >= plan.weight_bits + plan.input_bits);
    CHECK(counter(dla, l, "dram.write_bits") == plan.output_bits);
  }
}

}  // namespace

TEST_CASE("dla formats: MXFP4 x MXFP4 (V = 32, E8M0) runs bit-exact in passes under a DRAM limit",
          "[module][dla][formats]") {
  const quant::QuantSpec mx = quant::parse_format("mxfp4");
  Fixture f(mx, mx, 32);
  f.add_pair(40, 11);  // Cg = 40 = 32 + 8: a partial last vector
  hw::Dla dla("dla", f.arch, f.jobs);
  dlasim::hw::simulate();
  // Per vector: 32 · 4 bits + an 8-bit E8M0 scale.
  CHECK(dla.plans()[0].weight_bits == uint64_t(12 * 9 * 2) * (32 * 4 + 8));
  check_layers(f, dla);
}

TEST_CASE("dla formats: NVFP4 x NVFP4 (V = 16, E4M3 x fp32 per tensor) runs bit-exact in passes under a DRAM "
          "limit", "[module][dla][formats]") {
  const quant::QuantSpec nv = quant::parse_format("nvfp4");
  Fixture f(nv, nv, 16);
  f.add_pair(20, 21);  // Cg = 20 = 16 + 4
  hw::Dla dla("dla", f.arch, f.jobs);
  dlasim::hw::simulate();
  REQUIRE(f.jobs[0].weights->coarse_scales.size() == 1);
  REQUIRE(f.jobs[0].output.coarse_scale > 0.0f);
  check_layers(f, dla);
}

TEST_CASE("dla formats: MXINT8 x MXINT8 (V = 32) runs bit-exact in passes under a DRAM limit",
          "[module][dla][formats]") {
  const quant::QuantSpec mx = quant::parse_format("mxint8");
  Fixture f(mx, mx, 32);
  f.arch.weight_buffer_kib = 0.25;  // 8-bit elements: 16 per 128-bit row, 2 rows per vector
  f.add_pair(40, 31);
  hw::Dla dla("dla", f.arch, f.jobs);
  dlasim::hw::simulate();
  check_layers(f, dla);
}

TEST_CASE("dla formats: MXFP6 E3M2 weights x MXFP6 E2M3 activations run bit-exact in passes",
          "[module][dla][formats]") {
  Fixture f(quant::parse_format("mxfp6_e3m2"), quant::parse_format("mxfp6_e2m3"), 32);
  f.arch.weight_buffer_kib = 0.25;  // 6-bit elements: 21 per 128-bit row, 2 rows per vector
  f.add_pair(36, 41);
  hw::Dla dla("dla", f.arch, f.jobs);
  dlasim::hw::simulate();
  check_layers(f, dla);
}

TEST_CASE("dla formats: INT4 with fp32 per-vector scales (V = 16) runs bit-exact in passes under a DRAM limit",
          "[module][dla][formats]") {
  const quant::QuantSpec v16 = quant::parse_format("int4-v16");
  Fixture f(v16, v16, 16);
  f.add_pair(20, 51);
  hw::Dla dla("dla", f.arch, f.jobs);
  dlasim::hw::simulate();
  // Per vector: 16 · 4 bits + a 32-bit fp32 scale.
  CHECK(dla.plans()[0].weight_bits == uint64_t(12 * 9 * 2) * (16 * 4 + 32));
  check_layers(f, dla);
}

TEST_CASE("dla formats: per-channel INT8 weights x MXFP4 activations (one floating operand) run bit-exact",
          "[module][dla][formats]") {
  quant::QuantSpec w8 = quant::parse_format("int8-pc");
  w8.vector_size = 32;  // code padding = the lanes' V
  Fixture f(w8, quant::parse_format("mxfp4"), 32);
  REQUIRE(f.arch.float_scales);
  f.arch.weight_buffer_kib = 0.25;  // 8-bit weights: 16 elements per 128-bit row, 2 rows per vector
  f.add_pair(40, 61);
  hw::Dla dla("dla", f.arch, f.jobs);
  dlasim::hw::simulate();
  check_layers(f, dla);
}

TEST_CASE("dla formats: the constructor rejects operands the arch cannot take, naming the layer",
          "[module][dla][formats]") {
  const quant::QuantSpec mx8 = quant::parse_format("mxint8"), fp4 = quant::parse_format("mxfp4");
  const auto rejects = [](const char* dla_name, const hw::ArchParams& arch, const std::vector<hw::LayerJob>& jobs,
                          const std::vector<std::string>& parts) {
    try {
      hw::Dla dla(dla_name, arch, jobs);
      FAIL("Dla accepted the jobs");
    } catch (const std::invalid_argument& e) {
      const std::string what = e.what();
      INFO(what);
      for (const std::string& p : parts) CHECK(what.find(p) != std::string::npos);
    }
  };
  SECTION("operand bits other than the arch's") {
    Fixture f(mx8, mx8, 32);
    f.add("wide", {4, 4, 32, 4, 1, 1, 1, 0}, 1);
    hw::ArchParams a = f.arch;
    a.weight_bits = 4;  // MXINT8 weights are 8 bits
    rejects("bits_w", a, f.jobs, {"layer 'wide'", "8 x 8 bits", "4 x 8"});
    a = f.arch;
    a.act_bits = 6;
    rejects("bits_a", a, f.jobs, {"layer 'wide'", "8 x 8 bits", "8 x 6"});
  }
  SECTION("floating scales on an arch with integer scales, and the reverse") {
    Fixture f(fp4, fp4, 32);
    f.add("mx_layer", {4, 4, 32, 4, 1, 1, 1, 0}, 2);
    hw::ArchParams a = f.arch;
    a.float_scales = false;
    rejects("int_arch", a, f.jobs, {"layer 'mx_layer'", "mxfp4 x mxfp4", "floating"});
    const quant::QuantSpec two_level = quant::int_spec(4, quant::Granularity::per_vector, 4, 32);
    Fixture g(two_level, two_level, 32);
    g.add("vsq_layer", {4, 4, 32, 4, 1, 1, 1, 0}, 3);
    hw::ArchParams b = g.arch;
    b.float_scales = true;
    rejects("float_arch", b, g.jobs, {"layer 'vsq_layer'", "integer"});
  }
  SECTION("operands padded to a vector size other than the lanes'") {
    // int8-pc parses with the default padding V = 16; lanes of V = 32 would read past every row.
    const quant::QuantSpec w8 = quant::parse_format("int8-pc"), a8 = quant::parse_format("int8");
    Fixture f(w8, a8, 32);
    f.arch.weight_buffer_kib = 32.0;
    f.add("padded16", {4, 4, 40, 4, 3, 3, 1, 1}, 4);
    rejects("v_mismatch", f.arch, f.jobs, {"layer 'padded16'", "vectors of 16", "V = 32"});
  }
}
