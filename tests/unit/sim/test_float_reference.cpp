// hw::reference_layer with floating per-vector scales (ArchParams::float_scales) against a computation written
// here from the format contract alone: element values from quant::element_value, vector scale values from the
// QTensor fields (fp32 scales, 2^(code-127), E4M3 values), per vector psum = the sum of value_w · value_a
// (exact in double) times sw · sa, rounded once to fp32 (exact_float.hpp); fp32 accumulation in (r, s, i)
// order; y = acc · (coarse_w · coarse_a) + bias in fp32, ReLU; then quant::quantize of the staged outputs with
// the output spec and the job's coarse scale. Shapes: padding, stride 2, a partial last vector, groups = 2.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "exact_float.hpp"
#include "hw/reference.hpp"
#include "quant/minifloat.hpp"
#include "quant/quantize.hpp"

using namespace dlasim;

namespace {

// The value of the per-vector scale of vector i of `row`, read from the QTensor fields by the format's
// definition (quant/qtensor.hpp), without the coarse scale.
double scale_value(const quant::QTensor& t, int64_t row, int64_t i) {
  if (t.spec.granularity != quant::Granularity::per_vector) return 1.0;
  const std::size_t idx = static_cast<std::size_t>(row * t.vectors_per_row + i);
  switch (t.spec.vector_scale) {
    case quant::VectorScale::fp32: return t.vector_scales[idx];
    case quant::VectorScale::e8m0: return std::ldexp(1.0, int(t.vector_scale_codes[idx]) - 127);
    case quant::VectorScale::e4m3: return quant::minifloat_decode(quant::kE4M3, uint8_t(t.vector_scale_codes[idx]));
    case quant::VectorScale::uint: break;
  }
  FAIL("two-level integer scales are not floating");
  return 0.0;
}

float coarse(const quant::QTensor& t, int64_t row) {
  if (t.coarse_scales.empty()) return 1.0f;
  return t.spec.coarse_level() == quant::CoarseLevel::per_channel ? t.coarse_scales[row / t.shape.rows_per_channel]
                                                                  : t.coarse_scales[0];
}

struct Layer {
  hw::ArchParams arch;
  quant::QTensor weights, input;
  std::vector<float> bias;
  hw::LayerJob job;
  std::vector<float> staged;  // the independent fp32 outputs before re-quantization
  Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;
};

// Staged outputs [OH·OW][K] computed independently of hw/.
std::vector<float> independent_staged(const hw::LayerJob& job) {
  const hw::ConvShape& sh = job.shape;
  const quant::QTensor& w = *job.weights;
  const quant::QTensor& a = *job.input;
  const int64_t cg = sh.in_c / sh.groups, kg = sh.out_c / sh.groups, v = w.spec.vector_size;
  const int64_t oh_n = (sh.in_h + 2 * sh.pad - sh.kernel_h) / sh.stride + 1;
  const int64_t ow_n = (sh.in_w + 2 * sh.pad - sh.kernel_w) / sh.stride + 1;
  const int64_t nv = (cg + v - 1) / v;
  const int64_t wpc = w.padded_cols(), apc = a.padded_cols();
  std::vector<float> y(oh_n * ow_n * sh.out_c);
  for (int64_t oh = 0; oh < oh_n; ++oh) {
    for (int64_t ow = 0; ow < ow_n; ++ow) {
      for (int64_t k = 0; k < sh.out_c; ++k) {
        const int64_t g = k / kg;
        float acc = 0.0f;
        for (int64_t r = 0; r < sh.kernel_h; ++r) {
          for (int64_t s = 0; s < sh.kernel_w; ++s) {
            const int64_t ih = oh * sh.stride - sh.pad + r, iw = ow * sh.stride - sh.pad + s;
            if (ih < 0 || ih >= sh.in_h || iw < 0 || iw >= sh.in_w) continue;
            const int64_t wrow = (k * sh.kernel_h + r) * sh.kernel_w + s;  // [K][R][S][Cg]
            const int64_t arow = (ih * sh.in_w + iw) * sh.groups + g;      // [H][W][G][Cg]
            for (int64_t i = 0; i < nv; ++i) {
              double sum = 0.0;  // exact: a few dozen products of ≤ 8-bit significands
              for (int64_t c = i * v; c < std::min(cg, (i + 1) * v); ++c) {
                sum += double(quant::element_value(w.spec, w.codes[wrow * wpc + c])) *
                       double(quant::element_value(a.spec, a.codes[arow * apc + c]));
              }
              acc += test::rounded_product(sum, float(scale_value(w, wrow, i)), float(scale_value(a, arow, i)), 0);
            }
          }
        }
        const float scale = coarse(w, k * sh.kernel_h * sh.kernel_w) * coarse(a, 0);
        float out = acc * scale + (*job.bias)[k];
        if (job.relu && out < 0.0f) out = 0.0f;
        y[(oh * ow_n + ow) * sh.out_c + k] = out;
      }
    }
  }
  return y;
}

// A grouped conv (G = 2, Cg = cg, 3×3, stride 2, padding 1) in formats ws × as; the output spec is `as`.
void fill(Layer& l, const quant::QuantSpec& ws, const quant::QuantSpec& as, int64_t cg, uint32_t seed) {
  const hw::ConvShape sh{7, 6, 2 * cg, 6, 3, 3, 2, 1, 2};
  std::mt19937 g(seed);
  std::normal_distribution<float> nd;
  // A magnitude per run of 5 elements and one per matrix row (pixel or weight tap) over ~30 binades: the
  // partial sums of one output differ enough in size for the fp32 accumulation to round.
  const float spread[] = {1.0f, 0.25f, 0.02f, 3.0f};
  const float row_spread[] = {1.0f, 1e-2f, 1e2f, 1e-3f, 30.0f};
  std::uniform_int_distribution<int> pick(0, 3), pick_row(0, 4);
  const auto sample = [&](int64_t n, float base) {
    std::vector<float> x(n);
    float f = 1.0f, row = 1.0f;
    for (int64_t i = 0; i < n; ++i) {
      if (i % cg == 0) row = row_spread[pick_row(g)];
      if (i % 5 == 0) f = spread[pick(g)];
      x[i] = base * row * f * nd(g);
    }
    return x;
  };
  const std::vector<float> w = sample(sh.weight_matrix().rows * cg, 0.2f), a = sample(sh.input_matrix().rows * cg, 1.0f);
  l.weights = quant::quantize(w.data(), sh.weight_matrix(), ws);
  l.input = quant::quantize(a.data(), sh.input_matrix(), as);
  for (int64_t k = 0; k < sh.out_c; ++k) l.bias.push_back(0.3f * nd(g));
  l.job.name = "float_ref";
  l.job.shape = sh;
  l.job.relu = true;
  l.job.weights = &l.weights;
  l.job.input = &l.input;
  l.job.bias = &l.bias;
  l.job.output.spec = as;
  l.arch.vector_size = ws.vector_size;
  l.arch.weight_bits = ws.bits();
  l.arch.act_bits = as.bits();
  l.arch.weight_scale_bits = ws.vector_scale_storage_bits();
  l.arch.act_scale_bits = as.vector_scale_storage_bits();
  l.arch.float_scales = true;
  l.staged = independent_staged(l.job);
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

// reference_layer equals quantize(staged) with the job's coarse scale (given as the static α that maps to
// it, so quantize stores exactly that coarse scale).
void check_layer(Layer& l, float alpha_fraction) {
  const quant::QuantSpec& os = l.job.output.spec;
  const hw::ConvShape& sh = l.job.shape;
  const quant::MatrixShape out_shape{sh.out_pixels(), sh.out_c, sh.out_pixels()};
  quant::QuantOptions options;
  std::vector<float> alpha;
  if (os.coarse_level() != quant::CoarseLevel::none) {
    float amax = 0.0f;
    for (const float y : l.staged) amax = std::max(amax, std::fabs(y));
    alpha = {alpha_fraction * amax};  // below 1: static calibration that clips the largest outputs
    options.static_amax = &alpha;
    l.job.output.coarse_scale = quant::coarse_scale_for(os, alpha[0]);
  } else {
    l.job.output.coarse_scale = 1.0f;  // unused: no coarse level
  }
  const quant::QTensor want = quant::quantize(l.staged.data(), out_shape, os, options);
  const hw::ReferenceResult got = hw::reference_layer(l.job, l.arch);
  CHECK(got.saturations == 0);
  REQUIRE(got.output.codes.size() == want.codes.size());
  int64_t diffs = 0;
  for (std::size_t i = 0; i < want.codes.size(); ++i) diffs += got.output.codes[i] != want.codes[i];
  CHECK(diffs == 0);
  CHECK(got.output.vector_scale_codes == want.vector_scale_codes);
  CHECK(same_bits(got.output.vector_scales, want.vector_scales));
  CHECK(same_bits(got.output.coarse_scales, want.coarse_scales));
  // Not a degenerate layer: many outputs (ReLU keeps about half, small ones flush) are non-zero codes.
  int64_t nonzero = 0;
  for (const uint8_t c : want.codes) nonzero += c != 0;
  CHECK(nonzero > out_shape.rows * out_shape.cols / 6);

  // The staged fp32 outputs themselves, bit for bit: INT2 (max 1) with an fp32 scale per single-element
  // vector stores |y| / 1 = |y| as each output's scale (4-bit codes alone hide low-order differences).
  hw::LayerJob exposed = l.job;
  exposed.output = {quant::parse_format("int2-v1"), 1.0f};
  const hw::ReferenceResult raw = hw::reference_layer(exposed, l.arch);
  std::vector<float> magnitudes(l.staged.size());
  for (std::size_t i = 0; i < l.staged.size(); ++i) magnitudes[i] = std::fabs(l.staged[i]);
  CHECK(same_bits(raw.output.vector_scales, magnitudes));
}

}  // namespace

TEST_CASE("float reference: MXFP4 x MXFP4 (V = 32) equals the independent computation", "[reference][float]") {
  const quant::QuantSpec mx = quant::parse_format("mxfp4");
  for (uint32_t seed : {1u, 2u, 3u}) {
    INFO("seed " << seed);
    Layer l;
    fill(l, mx, mx, 40, seed);  // Cg = 40 = 32 + 8
    check_layer(l, 1.0f);
  }
}

TEST_CASE("float reference: NVFP4 x NVFP4 (V = 16, fp32 per-tensor coarse scales) equals the independent "
          "computation", "[reference][float]") {
  const quant::QuantSpec nv = quant::parse_format("nvfp4");
  for (uint32_t seed : {4u, 5u, 6u}) {
    INFO("seed " << seed);
    Layer l;
    fill(l, nv, nv, 20, seed);  // Cg = 20 = 16 + 4
    REQUIRE(l.weights.coarse_scales.size() == 1);
    REQUIRE(l.input.coarse_scales.size() == 1);
    check_layer(l, seed == 6 ? 0.7f : 1.0f);  // seed 6: a static output scale that clips
  }
}

TEST_CASE("float reference: MXINT8 x MXINT8 (V = 32) equals the independent computation", "[reference][float]") {
  const quant::QuantSpec mx = quant::parse_format("mxint8");
  for (uint32_t seed : {7u, 8u}) {
    INFO("seed " << seed);
    Layer l;
    fill(l, mx, mx, 36, seed);
    check_layer(l, 1.0f);
  }
}

TEST_CASE("float reference: INT4 with fp32 per-vector scales (V = 16) equals the independent computation",
          "[reference][float]") {
  const quant::QuantSpec v16 = quant::parse_format("int4-v16");
  for (uint32_t seed : {9u, 10u}) {
    INFO("seed " << seed);
    Layer l;
    fill(l, v16, v16, 20, seed);
    check_layer(l, 1.0f);
  }
}

TEST_CASE("float reference: MXFP6 E3M2 x E2M3 and a per-channel INT8 x MXFP4 layer equal the independent "
          "computation", "[reference][float]") {
  {
    Layer l;
    fill(l, quant::parse_format("mxfp6_e3m2"), quant::parse_format("mxfp6_e2m3"), 40, 11);
    check_layer(l, 1.0f);
  }
  {
    quant::QuantSpec w8 = quant::parse_format("int8-pc");
    w8.vector_size = 32;
    Layer l;
    fill(l, w8, quant::parse_format("mxfp4"), 40, 12);
    REQUIRE(l.weights.coarse_scales.size() == 6);  // one per output channel, applied by the PPU
    check_layer(l, 1.0f);
  }
}
