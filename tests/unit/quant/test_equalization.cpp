// Tests of the cross-layer equalization scale rules (quant/equalization.hpp, reference.md §5): DFQ
// (producer divided by s) and Meller one-/two-step (producer multiplied by s).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include "quant/equalization.hpp"

using namespace dlasim::quant;

namespace {

// A 2-layer ReLU MLP y = W2 · relu(W1 · x + b1) + b2 with W1 [hidden][in], W2 [out][hidden].
struct Mlp {
  int64_t in = 4, hidden = 5, out = 3;
  std::vector<float> w1, b1, w2, b2;

  std::vector<float> preact(const float* x) const {
    std::vector<float> h(static_cast<size_t>(hidden));
    for (int64_t j = 0; j < hidden; ++j) {
      double s = b1[static_cast<size_t>(j)];
      for (int64_t i = 0; i < in; ++i) s += static_cast<double>(w1[static_cast<size_t>(j * in + i)]) * x[i];
      h[static_cast<size_t>(j)] = static_cast<float>(s);
    }
    return h;
  }
  std::vector<float> forward(const float* x) const {
    std::vector<float> h = preact(x);
    for (float& v : h) v = std::max(v, 0.0f);
    std::vector<float> y(static_cast<size_t>(out));
    for (int64_t k = 0; k < out; ++k) {
      double s = b2[static_cast<size_t>(k)];
      for (int64_t j = 0; j < hidden; ++j) s += static_cast<double>(w2[static_cast<size_t>(k * hidden + j)]) * h[static_cast<size_t>(j)];
      y[static_cast<size_t>(k)] = static_cast<float>(s);
    }
    return y;
  }
};

Mlp random_mlp(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  Mlp m;
  const float channel_gain[5] = {0.05f, 1.0f, 8.0f, 0.3f, 2.5f};  // very unequal producer channel ranges
  for (int64_t j = 0; j < m.hidden; ++j) {
    for (int64_t i = 0; i < m.in; ++i) m.w1.push_back(d(rng) * channel_gain[j]);
    m.b1.push_back(0.1f * d(rng) * channel_gain[j]);
  }
  for (int64_t k = 0; k < m.out * m.hidden; ++k) m.w2.push_back(d(rng));
  for (int64_t k = 0; k < m.out; ++k) m.b2.push_back(d(rng));
  return m;
}

std::vector<float> random_inputs(int64_t rows, int64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(rows * n));
  for (float& v : x) v = d(rng);
  return x;
}

void check_same_outputs(const Mlp& a, const Mlp& b, const std::vector<float>& x, int64_t rows) {
  for (int64_t r = 0; r < rows; ++r) {
    const std::vector<float> ya = a.forward(x.data() + r * a.in);
    const std::vector<float> yb = b.forward(x.data() + r * b.in);
    float scale = 1e-6f;
    for (float v : ya) scale = std::max(scale, std::fabs(v));
    for (size_t k = 0; k < ya.size(); ++k) REQUIRE(std::fabs(ya[k] - yb[k]) <= 1e-5f * scale);
  }
}

}  // namespace

TEST_CASE("equalization: DFQ scales on a 2-channel hand case equalize both ranges to sqrt(r1 r2)") {
  // W1 rows {2, -1} and {0.5, 0.25}: r1 = {2, 0.5}. W2 (linear [1][2]) = {0.5, 2}: r2 = {0.5, 2}.
  // s = sqrt(r1 / r2) = {2, 0.5}; after W1 /= s, W2 *= s both ranges are sqrt(r1 r2) = {1, 1}.
  std::vector<float> w1{2.0f, -1.0f, 0.5f, 0.25f}, b1{4.0f, 1.0f}, w2{0.5f, 2.0f};
  const std::vector<float> r1 = output_channel_ranges(w1.data(), 2, 2);
  const std::vector<float> r2 = input_channel_ranges(w2.data(), 1, 2, 1);
  CHECK(r1 == std::vector<float>{2.0f, 0.5f});
  CHECK(r2 == std::vector<float>{0.5f, 2.0f});
  const std::vector<float> s = dfq_scales(r1, r2);
  CHECK(s == std::vector<float>{2.0f, 0.5f});
  scale_output_channels(w1.data(), 2, 2, b1.data(), s, /*multiply=*/false);
  scale_input_channels(w2.data(), 1, 2, 1, 1, s, /*multiply=*/true);
  CHECK(w1 == std::vector<float>{1.0f, -0.5f, 1.0f, 0.5f});
  CHECK(b1 == std::vector<float>{2.0f, 2.0f});
  CHECK(w2 == std::vector<float>{1.0f, 1.0f});
  CHECK(output_channel_ranges(w1.data(), 2, 2) == std::vector<float>{1.0f, 1.0f});
  CHECK(input_channel_ranges(w2.data(), 1, 2, 1) == std::vector<float>{1.0f, 1.0f});
  // A zero range leaves the channel alone.
  CHECK(dfq_scales({0.0f, 4.0f}, {1.0f, 0.0f}) == std::vector<float>{1.0f, 1.0f});
}

TEST_CASE("equalization: input-channel ranges and scaling of conv, grouped and depthwise consumers") {
  // Conv [K=2][C=2][R·S=2]: input channel 0 = w[k][0][:], channel 1 = w[k][1][:].
  std::vector<float> conv{1, -3, 2, 0.5f, /*k=1*/ -4, 0, 1, 6};
  CHECK(input_channel_ranges(conv.data(), 2, 2, 2) == std::vector<float>{4, 6});
  scale_input_channels(conv.data(), 2, 2, 2, 1, {2.0f, 0.5f}, /*multiply=*/true);
  CHECK(conv == std::vector<float>{2, -6, 1, 0.25f, -8, 0, 0.5f, 3});
  // Depthwise [K=3][1][R·S=2], groups = 3: input channel i is read only by output channel i.
  std::vector<float> dw{1, -2, 3, 0.5f, -0.25f, 0.125f};
  CHECK(input_channel_ranges(dw.data(), 3, 1, 2, 3) == std::vector<float>{2, 3, 0.25f});
  scale_input_channels(dw.data(), 3, 1, 2, 3, {2.0f, 4.0f, 0.5f}, /*multiply=*/false);
  CHECK(dw == std::vector<float>{0.5f, -1, 0.75f, 0.125f, -0.5f, 0.25f});
  // Grouped [K=4][C/g=1][1], groups = 2: channel 0 read by outputs 0, 1; channel 1 by outputs 2, 3.
  const std::vector<float> grouped{1, -5, 2, 3};
  CHECK(input_channel_ranges(grouped.data(), 4, 1, 1, 2) == std::vector<float>{5, 3});
  CHECK_THROWS_WITH(input_channel_ranges(grouped.data(), 4, 1, 1, 3), Catch::Contains("groups"));
}

TEST_CASE("equalization: Meller one-step scales on a hand case (kernel, pre-activation and 16x cap bounds)") {
  // max_act = 4, kernel_max = 1.
  // c0: post min(4/4,16)=1, pre max(4/2,1)=2, kernel 1/1=1          -> 1
  // c1: post 4,             pre 4/0.5=8,      kernel 1/0.5=2        -> 2   (kernel bound)
  // c2: post min(40,16)=16, pre 4/1=4,        kernel 1/0.05=20      -> 4   (pre-activation bound)
  // c3: post min(40,16)=16, pre 4/0.01=400,   kernel 1/0.01=100     -> 16  (cap)
  const std::vector<float> act_max{4, 1, 0.1f, 0.1f}, preact_min{-2, -0.5f, -1, -0.01f}, kmax{1, 0.5f, 0.05f, 0.01f};
  const std::vector<float> s = meller_scales(act_max, preact_min, kmax);
  CHECK(s[0] == 1.0f);
  CHECK(s[1] == 2.0f);
  CHECK(s[2] == Approx(4.0f));
  CHECK(s[3] == 16.0f);
  CHECK(meller_scales(act_max, preact_min, kmax, nullptr, 8.0f)[3] == 8.0f);
  // A channel that never activates: post-activation bound inactive (x / 0 = inf), capped at 16.
  CHECK(meller_scales({2, 0}, {-1, -0.01f}, {1, 0.01f})[1] == 16.0f);  // pre 200, kernel 100
}

TEST_CASE("equalization: Meller one-step scales are >= 1 and respect every bound") {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<float> d(0.01f, 5.0f);
  std::vector<float> act_max(32), preact_min(32), kmax(32);
  for (size_t c = 0; c < 32; ++c) {
    act_max[c] = d(rng);
    preact_min[c] = -d(rng);
    kmax[c] = d(rng);
  }
  const std::vector<float> s = meller_scales(act_max, preact_min, kmax);
  const float max_act = *std::max_element(act_max.begin(), act_max.end());
  const float kernel_max = *std::max_element(kmax.begin(), kmax.end());
  for (size_t c = 0; c < 32; ++c) {
    CHECK(s[c] >= 1.0f);
    CHECK(s[c] <= 16.0f);
    CHECK(s[c] * kmax[c] <= kernel_max * (1 + 1e-6f));
    CHECK(s[c] <= std::max(max_act / std::fabs(preact_min[c]), 1.0f) * (1 + 1e-6f));
  }
}

TEST_CASE("equalization: Meller two-step attenuates channels whose successor weights are small") {
  // m = {0.1, 1}: max_act = max(4·0.1, 1·1) = 1, kernel_max = max(1·0.1, 1·1) = 1.
  // c0: post min(1/4, 16) = 0.25, pre max(1/4, 1) = 1, kernel 1 -> 0.25;  c1: all 1 -> 1.
  const std::vector<float> m{0.1f, 1.0f};
  const std::vector<float> s = meller_scales({4, 1}, {-4, -1}, {1, 1}, &m);
  CHECK(s[0] == 0.25f);
  CHECK(s[1] == 1.0f);
  // m[c] = max over successors of r_s[c] / max r_s.
  CHECK(meller_successor_norm({{2, 0.5f}}) == std::vector<float>{1, 0.25f});
  CHECK(meller_successor_norm({{2, 0.5f}, {0.5f, 1}}) == std::vector<float>{1, 1});
  CHECK(meller_successor_norm({{0, 0}, {1, 4}}) == std::vector<float>{0.25f, 1});
}

TEST_CASE("equalization: a ReLU MLP computes the same outputs after DFQ and Meller one- and two-step scaling") {
  const Mlp original = random_mlp(7);
  const int64_t rows = 32;
  const std::vector<float> x = random_inputs(rows, original.in, 8);

  SECTION("DFQ: producer divided, consumer multiplied") {
    Mlp m = original;
    const std::vector<float> s = dfq_scales(output_channel_ranges(m.w1.data(), m.hidden, m.in),
                                            input_channel_ranges(m.w2.data(), m.out, m.hidden, 1));
    scale_output_channels(m.w1.data(), m.hidden, m.in, m.b1.data(), s, false);
    scale_input_channels(m.w2.data(), m.out, m.hidden, 1, 1, s, true);
    check_same_outputs(original, m, x, rows);
    const std::vector<float> r1 = output_channel_ranges(m.w1.data(), m.hidden, m.in);
    const std::vector<float> r2 = input_channel_ranges(m.w2.data(), m.out, m.hidden, 1);
    for (size_t i = 0; i < r1.size(); ++i) CHECK(r1[i] == Approx(r2[i]).epsilon(1e-5));
  }

  // Calibration statistics of the hidden layer for Meller.
  std::vector<float> act_max(static_cast<size_t>(original.hidden), 0.0f);
  std::vector<float> preact_min(static_cast<size_t>(original.hidden), std::numeric_limits<float>::infinity());
  for (int64_t r = 0; r < rows; ++r) {
    const std::vector<float> h = original.preact(x.data() + r * original.in);
    for (size_t j = 0; j < h.size(); ++j) {
      act_max[j] = std::max(act_max[j], std::max(h[j], 0.0f));
      preact_min[j] = std::min(preact_min[j], h[j]);
    }
  }
  const std::vector<float> kmax = output_channel_ranges(original.w1.data(), original.hidden, original.in);

  SECTION("Meller one-step: producer multiplied, consumer divided") {
    Mlp m = original;
    const std::vector<float> s = meller_scales(act_max, preact_min, kmax);
    bool some_scaled = false;
    for (float v : s) some_scaled = some_scaled || v > 1.0f;
    CHECK(some_scaled);
    scale_output_channels(m.w1.data(), m.hidden, m.in, m.b1.data(), s, true);
    scale_input_channels(m.w2.data(), m.out, m.hidden, 1, 1, s, false);
    check_same_outputs(original, m, x, rows);
  }

  SECTION("Meller two-step") {
    Mlp m = original;
    const std::vector<float> norm = meller_successor_norm({input_channel_ranges(m.w2.data(), m.out, m.hidden, 1)});
    const std::vector<float> s = meller_scales(act_max, preact_min, kmax, &norm);
    scale_output_channels(m.w1.data(), m.hidden, m.in, m.b1.data(), s, true);
    scale_input_channels(m.w2.data(), m.out, m.hidden, 1, 1, s, false);
    check_same_outputs(original, m, x, rows);
  }
}

TEST_CASE("equalization: invalid arguments throw naming the parameter") {
  CHECK_THROWS_WITH(dfq_scales({1, 2}, {1}), Catch::Contains("r2"));
  CHECK_THROWS_WITH(dfq_scales({}, {}), Catch::Contains("r1"));
  CHECK_THROWS_WITH(dfq_scales({-1}, {1}), Catch::Contains("r1[0]"));
  CHECK_THROWS_WITH(dfq_scales({std::nanf("")}, {1}), Catch::Contains("r1[0]"));
  CHECK_THROWS_WITH(meller_scales({1, 2}, {-1}, {1, 1}), Catch::Contains("preact_min"));
  CHECK_THROWS_WITH(meller_scales({1}, {-1}, {1}, nullptr, 0.0f), Catch::Contains("max_activation_scale"));
  const std::vector<float> m{1, 1};
  CHECK_THROWS_WITH(meller_scales({1}, {-1}, {1}, &m), Catch::Contains("successor_norm"));
  std::vector<float> w{1, 2, 3, 4};
  CHECK_THROWS_WITH(output_channel_ranges(w.data(), 0, 4), Catch::Contains("k = 0"));
  CHECK_THROWS_WITH(scale_output_channels(w.data(), 2, 2, nullptr, {1.0f}, true), Catch::Contains("s has 1"));
  CHECK_THROWS_WITH(scale_output_channels(w.data(), 2, 2, nullptr, {1.0f, 0.0f}, true), Catch::Contains("s[1]"));
  CHECK_THROWS_WITH(scale_input_channels(w.data(), 2, 2, 1, 1, {1.0f, -1.0f}, true), Catch::Contains("s[1]"));
}
