// Attention GEMMs (docs/architecture.md, "Attention GEMMs") in the plain reference, hw::reference_layer,
// against a naive per-head GEMM written independently in this file from the integer codes:
//   attn_qk  S_h[m][n] = Σ_c Q[m][h][c] · K[h·N + n][c]        (reduction over the head dim d)
//   attn_pv  O_h[m][j] = Σ_n P[m][h][n] · Vᵀ[h·d + j][n]       (reduction over the N keys)
// with per-vector scale codes on both operands (vectors of V along the reduction axis, restarting at every
// head), the scale product rounded and saturated here, an acc_bits saturating accumulator, and the PPU
// scale γ_B · γ_A · 2^shift computed from the two per-tensor coarse scales. Only the PPU element and
// re-quantization functions (unit-tested in test_arith.cpp) are shared. Also: the B operand's format
// (sim::activation_weight_spec), check_job on it, and the synthetic float attention operands.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "hw/arith.hpp"
#include "hw/reference.hpp"
#include "quant/quantize.hpp"
#include "sim/run.hpp"
#include "sim/workload/synthetic.hpp"

using namespace dlasim;

namespace {

struct Dims {
  int64_t heads, queries, keys, head_dim;
};

// An attention GEMM's operands; the job points into this object, so it must not move.
struct Attention {
  hw::ArchParams arch;
  quant::QTensor a, b;  // A on the input port (Q or P), B on the weight port (K or Vᵀ)
  std::vector<float> bias;
  hw::LayerJob job;
  Attention() = default;
  Attention(const Attention&) = delete;
  Attention& operator=(const Attention&) = delete;
};

// Random values whose magnitude changes every 4 elements, so per-vector scale codes spread.
std::vector<float> spread_normal(int64_t n, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const float factors[] = {1.0f, 0.6f, 0.25f, 0.08f};
  std::uniform_int_distribution<int> pick(0, 3);
  std::vector<float> x(static_cast<std::size_t>(n));
  float f = 1.0f;
  for (int64_t i = 0; i < n; ++i) {
    if (i % 4 == 0) f = factors[pick(rng)];
    x[static_cast<std::size_t>(i)] = f * normal(rng);
  }
  return x;
}

// attn_qk (qk = true): A = Q [M][H][d] as M·H rows of d, B = K [H·N][d]. attn_pv: A = P [M][H][N] as M·H
// softmax rows of N, B = Vᵀ [H·d][N]. B is quantized in the weight port's format with one coarse scale per
// tensor (activation_weight_spec of `ws`), A in `as`.
void fill(Attention& l, bool qk, const Dims& d, const quant::QuantSpec& ws, const quant::QuantSpec& as, uint32_t seed) {
  std::mt19937 rng(seed);
  const int64_t red = qk ? d.head_dim : d.keys;         // reduction length per head
  const int64_t per_head = qk ? d.keys : d.head_dim;     // output channels per head
  std::vector<float> a = spread_normal(d.queries * d.heads * red, rng);
  if (!qk) sim::softmax_rows(a, red);
  const std::vector<float> b = spread_normal(d.heads * per_head * red, rng);
  const quant::QuantSpec bs = sim::activation_weight_spec(ws);
  l.a = quant::quantize(a.data(), {d.queries * d.heads, red, d.queries * d.heads}, as);
  l.b = quant::quantize(b.data(), {d.heads * per_head, red, 1}, bs);
  REQUIRE(l.b.coarse_scales.size() == 1);
  REQUIRE(l.a.coarse_scales.size() == 1);
  l.bias.assign(static_cast<std::size_t>(d.heads * per_head), 0.0f);
  l.job.name = qk ? "attn_qk" : "attn_pv";
  l.job.shape = hw::ConvShape{d.queries, 1, d.heads * red, d.heads * per_head, 1, 1, 1, 0, d.heads};
  l.job.weights = &l.b;
  l.job.input = &l.a;
  l.job.bias = &l.bias;
  l.job.weights_are_activations = true;
  l.job.output.spec = as;
  l.arch.vector_size = ws.vector_size;
  l.arch.weight_bits = ws.bits();
  l.arch.act_bits = as.bits();
  l.arch.weight_scale_bits = ws.granularity == quant::Granularity::per_vector ? ws.scale_bits : 0;
  l.arch.act_scale_bits = as.granularity == quant::Granularity::per_vector ? as.scale_bits : 0;
}

// Scale product rounded to a multiple of 2^shift (ties up), saturated at 2^width - 1.
int64_t rounded_scale_product(int64_t ws, int64_t as, int shift, int width) {
  const int64_t unit = int64_t{1} << shift;
  int64_t q = ws * as / unit;
  if (shift > 0 && 2 * (ws * as % unit) >= unit) ++q;
  return std::min(q, (int64_t{1} << width) - 1);
}

struct Naive {
  std::vector<float> staged;  // PPU outputs before re-quantization, [M][H·per_head]
  int64_t saturations = 0;
};

// Per head h, per query m and output k of the head: Σ over the V-element vectors of the reduction of
// dot(A row m·H + h, B row h·per_head + k) · scale product, saturating at acc_bits, then y = acc·scale.
Naive naive_per_head_gemm(const Attention& l, const Dims& d, bool qk) {
  const quant::QTensor& a = l.a;
  const quant::QTensor& b = l.b;
  const int64_t red = qk ? d.head_dim : d.keys, per_head = qk ? d.keys : d.head_dim;
  const int64_t v = l.arch.vector_size, cols = d.heads * per_head;
  const int64_t acc_max = (int64_t{1} << (l.arch.acc_bits - 1)) - 1, acc_min = -acc_max - 1;
  const float scale = std::ldexp(b.coarse_scales[0] * a.coarse_scales[0], l.arch.scale_product_shift());
  const auto code = [](const quant::QTensor& t, int64_t row, int64_t c) {
    return int64_t{static_cast<int8_t>(t.codes[row * t.padded_cols() + c])};
  };
  const auto vscale = [](const quant::QTensor& t, int64_t row, int64_t vec) -> int64_t {
    return t.vector_scale_codes.empty() ? 1 : t.vector_scale_codes[row * t.vectors_per_row + vec];
  };
  Naive n;
  n.staged.resize(d.queries * cols);
  for (int64_t h = 0; h < d.heads; ++h) {
    for (int64_t m = 0; m < d.queries; ++m) {
      const int64_t arow = m * d.heads + h;
      for (int64_t k = 0; k < per_head; ++k) {
        const int64_t brow = h * per_head + k;
        int64_t acc = 0;
        for (int64_t c0 = 0; c0 < red; c0 += v) {
          int64_t dot = 0;
          for (int64_t c = c0; c < std::min(red, c0 + v); ++c) dot += code(a, arow, c) * code(b, brow, c);
          const int64_t sp = l.arch.has_scale_unit()
                                 ? rounded_scale_product(vscale(b, brow, c0 / v), vscale(a, arow, c0 / v),
                                                         l.arch.scale_product_shift(), l.arch.scale_product_width())
                                 : 1;
          acc += dot * sp;
          if (acc > acc_max || acc < acc_min) {
            acc = std::clamp(acc, acc_min, acc_max);
            ++n.saturations;
          }
        }
        n.staged[m * cols + h * per_head + k] = hw::ppu_activate(acc, scale, 0.0f, false);
      }
    }
  }
  return n;
}

// Calibrates the output scale on the naive outputs (slightly below their max, so some codes clip), then
// checks the reference bit-exactly against the naive per-head GEMM. Returns the saturation count.
int64_t check_against_naive(Attention& l, const Dims& d, bool qk) {
  const Naive n = naive_per_head_gemm(l, d, qk);
  const int64_t rows = d.queries, cols = l.job.shape.out_c;
  l.job.output.coarse_scale = 0.8f * quant::calibrate_coarse_scales(n.staged.data(), {rows, cols, rows}, l.job.output.spec)[0];
  quant::QTensor expected = hw::make_output_tensor(l.job);
  hw::ppu_requantize(n.staged, expected);

  const hw::ReferenceResult ref = hw::reference_layer(l.job, l.arch);
  REQUIRE_NOTHROW(hw::check_bit_exact(l.job.name, ref.output, expected));
  CHECK(ref.saturations == n.saturations);
  int64_t nonzero = 0;
  for (uint8_t c : ref.output.codes) nonzero += c != 0;
  CHECK(nonzero > rows * cols / 4);  // the comparison is not vacuous
  return n.saturations;
}

const quant::QuantSpec kW4 = quant::int_spec(4, quant::Granularity::per_vector, 4, 8);
const quant::QuantSpec kA4 = quant::int_spec(4, quant::Granularity::per_vector, 6, 8);

}  // namespace

TEST_CASE("attention reference: attn_qk with per-vector scales on Q and K equals the naive per-head GEMM",
          "[reference][attention]") {
  // H = 3, M = 6, N = 10, d = 20 = 8 + 8 + 4 (a partial vector at the end of every head).
  const Dims d{3, 6, 10, 20};
  Attention l;
  fill(l, true, d, kW4, kA4, 21u);
  REQUIRE(l.b.spec.coarse == quant::CoarseLevel::per_tensor);
  REQUIRE(l.b.vectors_per_row == 3);
  REQUIRE_FALSE(l.b.vector_scale_codes.empty());
  REQUIRE_FALSE(l.a.vector_scale_codes.empty());
  l.arch.scale_product_bits = 8;  // 4 + 6 bits rounded to 8
  l.arch.acc_bits = 12;           // narrow: sums clip
  CHECK(l.job.shape.macs() == d.heads * d.queries * d.keys * d.head_dim);
  CHECK(check_against_naive(l, d, true) > 0);
  l.arch.acc_bits = 32;
  CHECK(check_against_naive(l, d, true) == 0);
}

TEST_CASE("attention reference: attn_pv with softmax P and per-vector scales along the keys of V equals the naive "
          "per-head GEMM",
          "[reference][attention]") {
  // H = 2, M = 5, N = 12 = 8 + 4 keys, d = 8.
  const Dims d{2, 5, 12, 8};
  Attention l;
  fill(l, false, d, kW4, kA4, 22u);
  for (int64_t r = 0; r < l.a.shape.rows; ++r) {
    for (int64_t c = 0; c < l.a.shape.cols; ++c) REQUIRE(static_cast<int8_t>(l.a.codes[r * l.a.padded_cols() + c]) >= 0);
  }
  REQUIRE(l.b.shape.cols == d.keys);  // Vᵀ: the vectors of V run along the keys
  l.arch.scale_product_bits = 8;
  l.arch.acc_bits = 10;
  CHECK(l.job.shape.macs() == d.heads * d.queries * d.keys * d.head_dim);
  CHECK(check_against_naive(l, d, false) > 0);
  l.arch.acc_bits = 32;
  l.arch.scale_product_bits = 0;  // exact 10-bit scale products
  CHECK(check_against_naive(l, d, false) == 0);
}

TEST_CASE("attention reference: 8-bit baseline, K per-tensor INT8 on the weight port, no scale unit",
          "[reference][attention]") {
  const Dims d{2, 4, 8, 16};
  Attention l;
  fill(l, true, d, quant::int_spec(8, quant::Granularity::per_channel, 0, 8),
       quant::int_spec(8, quant::Granularity::per_tensor, 0, 8), 23u);
  REQUIRE(l.b.spec.granularity == quant::Granularity::per_tensor);
  REQUIRE_FALSE(l.arch.has_scale_unit());
  l.arch.acc_bits = 13;
  CHECK(check_against_naive(l, d, true) > 0);
}

TEST_CASE("attention operands: the B operand takes the weight port's bits with one coarse scale per tensor",
          "[attention]") {
  const quant::QuantSpec base = sim::activation_weight_spec(quant::int_spec(8, quant::Granularity::per_channel));
  CHECK(base.granularity == quant::Granularity::per_tensor);
  CHECK(base.bits() == 8);
  const quant::QuantSpec vs = sim::activation_weight_spec(quant::int_spec(4, quant::Granularity::per_vector, 4, 16));
  CHECK(vs.granularity == quant::Granularity::per_vector);
  CHECK(vs.bits() == 4);
  CHECK(vs.scale_bits == 4);  // M_w: the scale unit's M_w × M_a product is unchanged
  CHECK(vs.vector_size == 16);
  CHECK(vs.coarse == quant::CoarseLevel::per_tensor);
  const quant::QuantSpec pt = quant::int_spec(6, quant::Granularity::per_tensor);
  CHECK(sim::activation_weight_spec(pt) == pt);

  // check_job refuses per-channel coarse scales on an activation B operand.
  Attention l;
  fill(l, true, {2, 4, 8, 16}, kW4, kA4, 24u);
  CHECK_NOTHROW(hw::check_job(l.job));
  std::vector<float> k(2 * 8 * 16, 0.5f);
  const quant::QTensor per_channel = quant::quantize(k.data(), l.job.shape.weight_matrix(), kW4);
  l.job.weights = &per_channel;
  CHECK_THROWS_WITH(hw::check_job(l.job), Catch::Contains("layer 'attn_qk': the weights operand is an activation"));
  l.job.weights_are_activations = false;
  CHECK_NOTHROW(hw::check_job(l.job));
}

TEST_CASE("attention operands: synthetic P rows are softmax rows, no bias, the float layer is the per-head GEMM",
          "[attention]") {
  const std::string header = "name,type,in_h,in_w,in_c,out_c,kernel_h,kernel_w,stride,pad,relu,groups\n";
  // H = 2, M = 3, N = 5, d = 4.
  const std::vector<sim::LayerSpec> layers = sim::parse_layer_table(
      header + "qk,attn_qk,3,1,8,10,1,1,1,0,0,2\npv,attn_pv,3,1,10,8,1,1,1,0,0,2\ny,gemm,3,1,8,6,1,1,1,0,0\n", "t.csv");
  const sim::Config config;
  const int64_t H = 2, M = 3, N = 5, D = 4;

  const sim::FloatLayer qk = sim::make_float_layer(config, layers[0], 0);
  REQUIRE(qk.input.size() == std::size_t(M * H * D));   // Q [M][H][d]
  REQUIRE(qk.weights.size() == std::size_t(H * N * D));  // K [H·N][d]
  CHECK(std::all_of(qk.bias.begin(), qk.bias.end(), [](float b) { return b == 0.0f; }));
  CHECK(qk.bias.size() == std::size_t(H * N));
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t h = 0; h < H; ++h) {
      for (int64_t n = 0; n < N; ++n) {
        double s = 0.0;
        for (int64_t c = 0; c < D; ++c) s += double{qk.input[(m * H + h) * D + c]} * qk.weights[(h * N + n) * D + c];
        CHECK(qk.output[m * H * N + h * N + n] == Approx(s).margin(1e-5));
      }
    }
  }

  const sim::FloatLayer pv = sim::make_float_layer(config, layers[1], 1);
  REQUIRE(pv.input.size() == std::size_t(M * H * N));   // P [M][H][N]
  REQUIRE(pv.weights.size() == std::size_t(H * D * N));  // Vᵀ [H·d][N]
  CHECK(std::all_of(pv.bias.begin(), pv.bias.end(), [](float b) { return b == 0.0f; }));
  for (int64_t row = 0; row < M * H; ++row) {
    double sum = 0.0;
    for (int64_t n = 0; n < N; ++n) {
      const float p = pv.input[row * N + n];
      CHECK(p >= 0.0f);
      sum += p;
    }
    CHECK(sum == Approx(1.0).epsilon(1e-6));
  }
  bool negative = false;  // no ReLU: O = P·V keeps its sign
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t h = 0; h < H; ++h) {
      for (int64_t j = 0; j < D; ++j) {
        double o = 0.0;
        for (int64_t n = 0; n < N; ++n) o += double{pv.input[(m * H + h) * N + n]} * pv.weights[(h * D + j) * N + n];
        CHECK(pv.output[m * H * D + h * D + j] == Approx(o).margin(1e-5));
        negative = negative || o < 0.0;
      }
    }
  }
  CHECK(negative);

  // A gemm with weights keeps its bias.
  const sim::FloatLayer y = sim::make_float_layer(config, layers[2], 2);
  CHECK(std::any_of(y.bias.begin(), y.bias.end(), [](float b) { return b != 0.0f; }));
}

TEST_CASE("attention operands: softmax_rows rejects a row length that does not divide the tensor", "[attention]") {
  std::vector<float> x = {0.0f, 1.0f, 2.0f, 3.0f, 4.0f, 5.0f};
  CHECK_THROWS_AS(sim::softmax_rows(x, 4), std::invalid_argument);
  CHECK_THROWS_AS(sim::softmax_rows(x, 0), std::invalid_argument);
  sim::softmax_rows(x, 3);
  CHECK(x[0] + x[1] + x[2] == Approx(1.0f));
  CHECK(x[2] / x[1] == Approx(std::exp(1.0f)));
  CHECK(x[3] == Approx(x[0]));  // shift invariance: both rows are (0, 1, 2) up to a constant
}
