// The floating-scale arithmetic of hw/arith.hpp against independent computations:
//   float_psum     against the correctly rounded fp32 of dot · ws · as · 2^-F computed with 128-bit integers
//                  (exact_float.hpp): E8M0 × E8M0 scales down to 2^-127 (exact whenever the result is a
//                  float, one rounding into the subnormals otherwise), E4M3 × E4M3, fp32 × fp32, fp32 × E8M0;
//   vector_scale_value for each per-vector scale kind;
//   ppu_requantize into mxfp4, mxfp6_e2m3, mxfp6_e3m2, mxint8, nvfp4 and int4-v16 (fp32 per-vector) against
//                  quant::quantize of the same fp32 matrix (codes, scale codes, fp32 scales bit for bit).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "exact_float.hpp"
#include "hw/arith.hpp"
#include "quant/format.hpp"
#include "quant/minifloat.hpp"
#include "quant/quantize.hpp"

using namespace dlasim;

namespace {

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// A float with a random 24-bit significand in [1, 2) times 2^e.
float random_significand(std::mt19937_64& g, int e) {
  const uint32_t bits = 0x3F800000u | static_cast<uint32_t>(g() & 0x7FFFFFu);
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return std::ldexp(f, e);
}

int64_t random_dot(std::mt19937_64& g, int64_t max_magnitude) {
  return static_cast<int64_t>(g() % static_cast<uint64_t>(2 * max_magnitude + 1)) - max_magnitude;
}

}  // namespace

TEST_CASE("float arith: float_psum of hand-computed values", "[arith][float]") {
  // 5 · 0.5 · 0.25 · 2^-2 = 0.15625 (exact).
  CHECK(hw::float_psum(5, 0.5f, 0.25f, 2) == 0.15625f);
  // E2M1 × E2M1 dot of aligned significands -5411 with F = 5, unit scales: -169.09375.
  CHECK(hw::float_psum(-5411, 1.0f, 1.0f, 5) == -169.09375f);
  // A zero dot or a zero scale (padding tap, all-zero vector) gives +0.
  CHECK(same_bits(hw::float_psum(0, 3.0f, 0.0f, 0), 0.0f));
  CHECK(same_bits(hw::float_psum(7, 0.0f, 2.0f, 4), 0.0f));
  // 2^24 + 1 is not a float: one rounding, ties to even → 2^24.
  CHECK(hw::float_psum((int64_t{1} << 24) + 1, 1.0f, 1.0f, 0) == 16777216.0f);
  // 2^24 + 3 → 2^24 + 4 (tie to the even significand).
  CHECK(hw::float_psum((int64_t{1} << 24) + 3, 1.0f, 1.0f, 0) == 16777220.0f);
}

TEST_CASE("float arith: float_psum with E8M0 scales is exact whenever the result is a float and rounds once "
          "otherwise, down to 2^-127 · 2^-127", "[arith][float]") {
  std::mt19937_64 g(101);
  const int fracs[] = {0, 2, 6, 8, 12};  // F of FP4×FP4, MXINT8, FP6 E3M2 ×2, MXINT8 × MXINT8
  uint64_t exact = 0, rounded = 0, zero = 0, subnormal = 0;
  for (int ew = -127; ew <= 127; ew += 3) {
    for (int ea = -127; ea <= 127; ea += 5) {
      const float ws = quant::e8m0_decode(static_cast<uint8_t>(ew + 127));
      const float as = quant::e8m0_decode(static_cast<uint8_t>(ea + 127));
      REQUIRE(ws == std::ldexp(1.0f, ew));
      for (int t = 0; t < 6; ++t) {
        const int64_t dot = t == 0 ? 1 : t == 1 ? -3 : random_dot(g, t == 2 ? 784 : int64_t{1} << 31);
        const int frac = fracs[t % 5];
        if (ew + ea - frac + 32 > 127) continue;  // keep |result| < 2^127 (no fp32 overflow)
        const float got = hw::float_psum(dot, ws, as, frac);
        const float want = test::round_to_float(dot, ew + ea - frac);
        INFO("dot " << dot << " · 2^" << ew << " · 2^" << ea << " · 2^-" << frac);
        REQUIRE(same_bits(got, want));
        const double value = std::ldexp(double(dot), ew + ea - frac);  // exact in double
        if (double(got) == value) {
          ++exact;
        } else {
          ++rounded;
        }
        zero += got == 0.0f;
        subnormal += got != 0.0f && std::fabs(got) < FLT_MIN;
      }
    }
  }
  // Every branch was exercised: exact results, a single rounding, underflow to zero and subnormals.
  CHECK(exact > 1000);
  CHECK(rounded > 1000);
  CHECK(zero > 100);
  CHECK(subnormal > 10);

  // Subnormal results by hand: 3 · 2^-127 is a float (exact); 3 · 2^-150 = 1.5 · 2^-149 ties to 2 · 2^-149;
  // 2^-150 ties to 0 (even); 2^-254 underflows to 0 and keeps the sign of the dot.
  const float e127 = quant::e8m0_decode(0), e75 = std::ldexp(1.0f, -75);
  CHECK(hw::float_psum(3, e127, 1.0f, 0) == std::ldexp(3.0f, -127));
  CHECK(hw::float_psum(3, e75, e75, 0) == std::ldexp(1.0f, -148));
  CHECK(hw::float_psum(1, e75, e75, 0) == 0.0f);
  CHECK(same_bits(hw::float_psum(-1, e127, e127, 0), -0.0f));
  // (2^20 + 1) · 2^-127 · 2^-20 = 2^-127 + 2^-147: representable (subnormal spacing 2^-149), exact.
  CHECK(hw::float_psum((1 << 20) + 1, e127, std::ldexp(1.0f, -20), 0) == std::ldexp(1.0f, -127) + std::ldexp(1.0f, -147));
  // The largest scales: 2^127 · 2^-127 · dot = dot.
  CHECK(hw::float_psum(-516128, quant::e8m0_decode(254), e127, 0) == -516128.0f);
}

TEST_CASE("float arith: float_psum with E4M3 block scales equals the correctly rounded product", "[arith][float]") {
  std::mt19937_64 g(7);
  std::vector<float> e4m3;
  for (int c = 0; c < 0x7F; ++c) e4m3.push_back(quant::minifloat_decode(quant::kE4M3, static_cast<uint8_t>(c)));
  REQUIRE(e4m3.back() == 448.0f);
  REQUIRE(e4m3[1] == std::ldexp(1.0f, -9));
  for (const float ws : e4m3) {
    for (const float as : e4m3) {
      for (int t = 0; t < 3; ++t) {
        // NVFP4: F = 2, |dot| ≤ 16 · 144 = 2304; wider dots too.
        const int64_t dot = random_dot(g, t == 0 ? 2304 : t == 1 ? 4608 : int64_t{1} << 30);
        const float got = hw::float_psum(dot, ws, as, 2);
        INFO("dot " << dot << " ws " << ws << " as " << as);
        REQUIRE(same_bits(got, test::rounded_product(double(dot), ws, as, 2)));
      }
    }
  }
}

TEST_CASE("float arith: float_psum with fp32 scales rounds once (no double rounding through double)",
          "[arith][float]") {
  // dot · ws · as needs up to 31 + 24 + 24 bits, more than a double holds: rounding it to double first and
  // then to fp32 can land exactly on an fp32 midpoint and round the wrong way. Found by search, checked
  // exactly: 151 · 0x1.d94d82p+0 · 0x1.58e064p+0 lies 2^-45 below the midpoint between 0x1.7818cap+8 and
  // 0x1.7818ccp+8, so it rounds down; through double it becomes the midpoint and rounds to even (up).
  const float w1 = 0x1.d94d82p+0f, a1 = 0x1.58e064p+0f;
  CHECK(test::rounded_product(151.0, w1, a1, 0) == 0x1.7818cap+8f);
  CHECK(hw::float_psum(151, w1, a1, 0) == 0x1.7818cap+8f);
  CHECK(hw::float_psum(-151, w1, a1, 0) == -0x1.7818cap+8f);
  CHECK(hw::float_psum(151, w1, a1, 3) == 0x1.7818cap+5f);  // F only moves the exponent
  // An fp32 scale times an E8M0 scale with a wide dot.
  const float w2 = 0x1.c5016cp+0f, a2 = 0x1p-4f;
  CHECK(test::rounded_product(2066345939.0, w2, a2, 0) == 0x1.b3e3cap+27f);
  CHECK(hw::float_psum(2066345939, w2, a2, 0) == 0x1.b3e3cap+27f);

  // Random scales of every magnitude an fp32 per-vector scale takes (vmax / elem_max), INT4 and INT8 dots.
  std::mt19937_64 g(2024);
  std::uniform_int_distribution<int> exponent(-140, 50);  // |result| < 2^121
  uint64_t mismatches = 0;
  for (int t = 0; t < 400000; ++t) {
    const float ws = random_significand(g, exponent(g)), as = random_significand(g, exponent(g));
    const int64_t dot = random_dot(g, t % 2 ? 784 : 516128);
    const float got = hw::float_psum(dot, ws, as, 0);
    if (!same_bits(got, test::rounded_product(double(dot), ws, as, 0))) {
      ++mismatches;
      UNSCOPED_INFO("dot " << dot << " ws " << std::hexfloat << ws << " as " << as << std::defaultfloat);
    }
  }
  CHECK(mismatches == 0);
}

TEST_CASE("float arith: vector_scale_value reads each per-vector scale kind", "[arith][float]") {
  // 1 row × 40 cols: 2 vectors of 32 (MX), 3 of 16 (NVFP4 / fp32 / two-level).
  quant::QTensor mx = quant::make_qtensor(quant::parse_format("mxfp4"), {1, 40, 1});
  mx.vector_scale_codes = {127 + 3, 0};
  CHECK(hw::vector_scale_value(mx, 0, 0) == 8.0f);
  CHECK(hw::vector_scale_value(mx, 0, 1) == std::ldexp(1.0f, -127));
  quant::QTensor nv = quant::make_qtensor(quant::parse_format("nvfp4"), {1, 40, 1});
  nv.vector_scale_codes = {0x7E, 0x01, 0x38};  // 448, 2^-9, 1.0 (exponent field 7 = bias)
  nv.coarse_scales = {0.5f};                   // the coarse scale is not part of it (the PPU applies it)
  CHECK(hw::vector_scale_value(nv, 0, 0) == 448.0f);
  CHECK(hw::vector_scale_value(nv, 0, 1) == std::ldexp(1.0f, -9));
  CHECK(hw::vector_scale_value(nv, 0, 2) == 1.0f);
  quant::QTensor f32 = quant::make_qtensor(quant::parse_format("int4-v16"), {1, 40, 1});
  f32.vector_scales = {0.1f, 3e-20f, 0.0f};
  CHECK(hw::vector_scale_value(f32, 0, 0) == 0.1f);
  CHECK(hw::vector_scale_value(f32, 0, 1) == 3e-20f);
  CHECK(hw::vector_scale_value(f32, 0, 2) == 0.0f);
  quant::QTensor two = quant::make_qtensor(quant::parse_format("int4-v16-s4"), {1, 40, 1});
  two.vector_scale_codes = {15, 0, 7};
  CHECK(hw::vector_scale_value(two, 0, 0) == 15.0f);
  CHECK(hw::vector_scale_value(two, 0, 2) == 7.0f);
  quant::QTensor pc = quant::make_qtensor(quant::parse_format("int8-pc"), {1, 40, 1});
  CHECK(hw::vector_scale_value(pc, 0, 1) == 1.0f);
}

namespace {

// rows × cols floats whose vectors of V along a row get magnitudes from very tiny (float subnormal) to very
// large, some all zero, some with one element dominating the rest; a few exact zeros and -0.0 mixed in.
std::vector<float> block_data(int64_t rows, int64_t cols, int v, uint32_t seed) {
  std::mt19937 g(seed);
  std::normal_distribution<float> nd;
  std::uniform_int_distribution<int> pick(0, 9);
  const float magnitudes[] = {0.0f, 1e-41f, 1e-30f, 1e-3f, 0.3f, 1.0f, 17.0f, 1e6f, 1e30f, 1e-8f};
  std::vector<float> x(static_cast<std::size_t>(rows * cols));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c0 = 0; c0 < cols; c0 += v) {
      const int kind = pick(g);
      const float m = magnitudes[kind];
      const int64_t c1 = std::min<int64_t>(cols, c0 + v);
      for (int64_t c = c0; c < c1; ++c) {
        float& y = x[static_cast<std::size_t>(r * cols + c)];
        y = m * nd(g);
        if (c % 11 == 3) y = 0.0f;
        if (c % 13 == 5) y = -0.0f;
      }
      if (kind == 5) x[static_cast<std::size_t>(r * cols + c0)] = 2000.0f;  // one outlier: the rest flush
    }
  }
  return x;
}

void check_equal(const quant::QTensor& got, const quant::QTensor& want) {
  REQUIRE(got.codes.size() == want.codes.size());
  int64_t code_diffs = 0;
  for (std::size_t i = 0; i < want.codes.size(); ++i) {
    if (got.codes[i] != want.codes[i]) {
      if (code_diffs < 5) {
        UNSCOPED_INFO("code " << i << " (row " << i / want.padded_cols() << ", col " << i % want.padded_cols()
                              << "): ppu " << int(got.codes[i]) << ", quantize " << int(want.codes[i]));
      }
      ++code_diffs;
    }
  }
  CHECK(code_diffs == 0);
  CHECK(got.vector_scale_codes == want.vector_scale_codes);
  REQUIRE(got.vector_scales.size() == want.vector_scales.size());
  int64_t scale_diffs = 0;
  for (std::size_t i = 0; i < want.vector_scales.size(); ++i) scale_diffs += !same_bits(got.vector_scales[i], want.vector_scales[i]);
  CHECK(scale_diffs == 0);
}

}  // namespace

TEST_CASE("float arith: ppu_requantize into block formats equals quant::quantize of the same outputs",
          "[arith][float][ppu]") {
  // Output layout: rows = pixels, cols = channels, one channel (rows_per_channel = rows). 75 channels cut
  // the last vector short (75 = 2·32 + 11 = 4·16 + 11).
  const int64_t rows = 9, cols = 75;
  const quant::MatrixShape shape{rows, cols, rows};
  for (const char* name : {"mxfp4", "mxfp6_e2m3", "mxfp6_e3m2", "mxint8", "nvfp4", "int4-v16", "fp4_e2m1-v16",
                           "mxfp4-v16"}) {
    const quant::QuantSpec spec = quant::parse_format(name);
    for (uint32_t seed = 1; seed <= 4; ++seed) {
      INFO(name << ", seed " << seed);
      const std::vector<float> y = block_data(rows, cols, spec.vector_size, seed);
      const quant::QTensor want = quant::quantize(y.data(), shape, spec);
      quant::QTensor got = quant::make_qtensor(spec, shape);
      if (spec.vector_scale == quant::VectorScale::e4m3) {
        const std::vector<float> coarse = quant::calibrate_coarse_scales(y.data(), shape, spec);
        REQUIRE(coarse.size() == 1);
        REQUIRE(same_bits(coarse[0], want.coarse_scales[0]));
        got.coarse_scales[0] = coarse[0];
      } else {
        REQUIRE(got.coarse_scales.empty());  // MX and fp32 per-vector have no coarse scale
      }
      hw::ppu_requantize(y, got);
      check_equal(got, want);
    }
  }
}

TEST_CASE("float arith: ppu_requantize of an all-zero output and of single-element vectors", "[arith][float][ppu]") {
  for (const char* name : {"mxfp4", "mxint8", "nvfp4", "int4-v16"}) {
    INFO(name);
    const quant::QuantSpec spec = quant::parse_format(name);
    // All zero: NVFP4's coarse scale is 0, every code and scale code 0 (fp32 scales 0).
    const quant::MatrixShape zshape{3, 20, 3};
    const std::vector<float> zeros(60, 0.0f);
    const quant::QTensor zwant = quant::quantize(zeros.data(), zshape, spec);
    quant::QTensor zgot = quant::make_qtensor(spec, zshape);
    if (!zgot.coarse_scales.empty()) zgot.coarse_scales[0] = quant::calibrate_coarse_scales(zeros.data(), zshape, spec)[0];
    hw::ppu_requantize(zeros, zgot);
    check_equal(zgot, zwant);
    for (const uint8_t c : zgot.codes) CHECK(c == 0);
    // One output channel: every vector holds one element, the scale is set by it alone.
    const quant::MatrixShape shape{6, 1, 6};
    const std::vector<float> y = {5.0f, -0.75f, 1e-38f, -3e38f, 0.0f, 6.0f};
    const quant::QTensor want = quant::quantize(y.data(), shape, spec);
    quant::QTensor got = quant::make_qtensor(spec, shape);
    if (!got.coarse_scales.empty()) got.coarse_scales[0] = want.coarse_scales[0];
    hw::ppu_requantize(y, got);
    check_equal(got, want);
  }
}

TEST_CASE("float arith: ppu_requantize into a block format rounds as the format says (rna: ties away)",
          "[arith][float][ppu]") {
  // mxfp4-rna, one vector of 5 with vmax 6: X = floor(log2 6) - emax 2 = 0, scale 1. E2M1 grid 0, 0.5, 1, 1.5,
  // 2, 3, 4, 6: 2.5 ties between 2 and 3 → 3 (ties to even would give 2); -5 between -4 and -6 → -6 (even: -4);
  // 0.25 between 0 and 0.5 → 0.5 (even: 0); 1.25 between 1 and 1.5 → 1.5 (even: 1).
  const quant::QuantSpec rna = quant::parse_format("mxfp4-rna");
  REQUIRE(rna.rounding == quant::Rounding::nearest_away);
  const quant::MatrixShape shape{1, 5, 1};
  const std::vector<float> y = {6.0f, 2.5f, -5.0f, 0.25f, 1.25f};
  quant::QTensor got = quant::make_qtensor(rna, shape);
  hw::ppu_requantize(y, got);
  CHECK(got.vector_scale_codes == std::vector<uint16_t>{127});
  // Codes: 6 = 0x7, 3 = 0x5, -6 = 0xF, 0.5 = 0x1, 1.5 = 0x3.
  CHECK(std::vector<uint8_t>(got.codes.begin(), got.codes.begin() + 5) == std::vector<uint8_t>{0x7, 0x5, 0xF, 0x1, 0x3});
  check_equal(got, quant::quantize(y.data(), shape, rna));

  // Tie-rich data (multiples of 1/8 at scales that keep them ties) in every floating block format with rna.
  const int64_t rows = 6, cols = 70;
  const quant::MatrixShape big{rows, cols, rows};
  std::mt19937 g(5);
  std::uniform_int_distribution<int> eighths(-64, 64);
  std::vector<float> x(rows * cols);
  for (float& v : x) v = eighths(g) / 8.0f;
  for (const char* name : {"mxfp4-rna", "mxfp6_e2m3-rna", "mxfp6_e3m2-rna", "mxint8-rna", "nvfp4-rna", "int4-v16-rna"}) {
    INFO(name);
    const quant::QuantSpec spec = quant::parse_format(name);
    const quant::QTensor want = quant::quantize(x.data(), big, spec);
    quant::QTensor out = quant::make_qtensor(spec, big);
    if (!out.coarse_scales.empty()) out.coarse_scales[0] = want.coarse_scales[0];
    hw::ppu_requantize(x, out);
    check_equal(out, want);
  }
}
