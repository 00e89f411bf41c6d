// Tests of empirical bias correction (quant/bias_correction.hpp): b_c -= Σ_j (w̃_cj − w_cj) · E[x_j].
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <vector>

#include "quant/bias_correction.hpp"

using namespace dlasim::quant;

TEST_CASE("bias correction: hand case") {
  // w = {1, 0}, w̃ = {1.5, -0.5}, E[x] = {2, 1}: ε·E[x] = 0.5·2 − 0.5·1 = 0.5, so b = 3 -> 2.5.
  const std::vector<float> w{1.0f, 0.0f}, wq{1.5f, -0.5f};
  float bias = 3.0f;
  correct_bias(w.data(), wq.data(), 1, 2, {2.0f, 1.0f}, &bias);
  CHECK(bias == 2.5f);
}

TEST_CASE("bias correction: the quantized layer's mean output over the calibration inputs equals the float layer's") {
  const int64_t k = 3, n = 5, m = 40;
  std::mt19937_64 rng(21);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> w(static_cast<size_t>(k * n)), wq(w.size()), x(static_cast<size_t>(m * n)), b{0.5f, -1.0f, 2.0f};
  for (size_t i = 0; i < w.size(); ++i) {
    w[i] = d(rng);
    wq[i] = std::round(w[i] * 2.0f) / 2.0f;  // a coarse grid of step 0.5
  }
  for (size_t i = 0; i < x.size(); ++i) x[i] = d(rng) + 1.0f;  // nonzero mean, so the shift matters
  std::vector<float> mean(static_cast<size_t>(n), 0.0f);
  for (int64_t r = 0; r < m; ++r) {
    for (int64_t j = 0; j < n; ++j) mean[static_cast<size_t>(j)] += x[static_cast<size_t>(r * n + j)] / static_cast<float>(m);
  }
  std::vector<float> bq = b;
  correct_bias(w.data(), wq.data(), k, n, mean, bq.data());
  auto mean_output = [&](const std::vector<float>& weights, const std::vector<float>& bias, int64_t c) {
    double s = 0;
    for (int64_t r = 0; r < m; ++r) {
      double y = bias[static_cast<size_t>(c)];
      for (int64_t j = 0; j < n; ++j) y += static_cast<double>(weights[static_cast<size_t>(c * n + j)]) * x[static_cast<size_t>(r * n + j)];
      s += y / static_cast<double>(m);
    }
    return s;
  };
  bool shifted = false;
  for (int64_t c = 0; c < k; ++c) {
    const double want = mean_output(w, b, c);
    shifted = shifted || std::fabs(mean_output(wq, b, c) - want) > 1e-2;
    CHECK(mean_output(wq, bq, c) == Approx(want).margin(1e-5));
  }
  CHECK(shifted);  // without correction the quantized mean is off
}

TEST_CASE("bias correction: invalid arguments throw naming the parameter") {
  const std::vector<float> w{1.0f, 2.0f};
  float bias = 0;
  CHECK_THROWS_WITH(correct_bias(w.data(), w.data(), 1, 2, {1.0f}, &bias), Catch::Contains("input_mean"));
  CHECK_THROWS_WITH(correct_bias(w.data(), w.data(), 0, 2, {1.0f, 1.0f}, &bias), Catch::Contains("k = 0"));
  CHECK_THROWS_WITH(correct_bias(w.data(), w.data(), 1, 2, {1.0f, 1.0f}, nullptr), Catch::Contains("bias"));
  CHECK_THROWS_WITH(correct_bias(w.data(), nullptr, 1, 2, {1.0f, 1.0f}, &bias), Catch::Contains("w_quant_dequantized"));
  CHECK_THROWS_WITH(correct_bias(w.data(), w.data(), 1, 2, {1.0f, std::nanf("")}, &bias), Catch::Contains("input_mean[1]"));
}
