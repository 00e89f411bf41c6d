// Tests of MCQ (quant/mcq.hpp, reference.md §4.2). Hand cases use stratum midpoints (jitter off), where
// u_m = (m + 0.5) / N is deterministic; statistical properties use many seeds.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <vector>

#include "quant/mcq.hpp"

using namespace dlasim::quant;

namespace {

std::vector<float> normal_weights(int64_t count, uint64_t seed, float sigma = 1.0f) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> d(0.0f, sigma);
  std::vector<float> w(static_cast<size_t>(count));
  for (float& v : w) v = d(rng);
  return w;
}

McqOptions midpoints(double k) {
  McqOptions o;
  o.sampling_amount = k;
  o.jitter = false;
  return o;
}

}  // namespace

TEST_CASE("mcq: midpoint sampling of {0.5, -0.25, 0.25} with N = 4 gives counts {2, 1, 1} with signs") {
  // p = {1/2, 1/4, 1/4}, P = {0.5, 0.75, 1}; u = {0.125, 0.375, 0.625, 0.875} -> indices {0, 0, 1, 2}.
  const std::vector<float> w{0.5f, -0.25f, 0.25f};
  const McqResult r = mcq_quantize(w.data(), 1, 3, midpoints(4.0 / 3.0));
  CHECK(r.samples_per_unit == 4);
  CHECK(r.q == std::vector<int32_t>{2, -1, 1});
  CHECK(r.scale == std::vector<float>{0.25f});  // Σ|w| / N = 1 / 4
  CHECK(r.sparsity == 0.0);
  CHECK(r.max_abs_q == 2);
  CHECK(r.bits == 3);  // 1 + ceil(log2(3))
  CHECK(r.mean_bits == 3.0);
  CHECK(mcq_dequantize(r, 1, 3) == w);  // exact: every p_i is a multiple of 1/N
}

TEST_CASE("mcq: sort builds the CDF over |w| descending") {
  // w = {0.3, 0.4, 0.3}, N = 2, u = {0.25, 0.75}.
  // index order:  P = {0.3, 0.7, 1.0} -> indices {0, 2} -> counts {1, 0, 1}
  // sorted order (1, 0, 2): P = {0.4, 0.7, 1.0} -> indices {1, 2} -> counts {0, 1, 1}
  const std::vector<float> w{0.3f, 0.4f, 0.3f};
  McqOptions o = midpoints(2.0 / 3.0);
  CHECK(mcq_quantize(w.data(), 1, 3, o).q == std::vector<int32_t>{1, 0, 1});
  o.sort = true;
  CHECK(mcq_quantize(w.data(), 1, 3, o).q == std::vector<int32_t>{0, 1, 1});
}

TEST_CASE("mcq: counts sum to N in every unit") {
  const int64_t units = 5, n = 37;
  const std::vector<float> w = normal_weights(units * n, 11);
  for (double k : {0.1, 0.5, 1.0, 3.7}) {
    for (bool sort : {false, true}) {
      McqOptions o;
      o.sampling_amount = k;
      o.sort = sort;
      const McqResult r = mcq_quantize(w.data(), units, n, o);
      CHECK(r.samples_per_unit == std::max<int64_t>(1, std::llround(k * n)));
      for (int64_t u = 0; u < units; ++u) {
        int64_t sum = 0;
        for (int64_t i = 0; i < n; ++i) sum += std::abs(r.q[static_cast<size_t>(u * n + i)]);
        CHECK(sum == r.samples_per_unit);
      }
    }
  }
}

TEST_CASE("mcq: zero weights are never sampled and an all-zero unit stays zero") {
  std::vector<float> w{0.0f, 1.0f, 0.0f, 0.0f, -2.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};  // unit 1 is all zero
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    McqOptions o;
    o.sampling_amount = 3.0;
    o.seed = seed;
    const McqResult r = mcq_quantize(w.data(), 2, 5, o);
    for (size_t i = 0; i < w.size(); ++i) {
      if (w[i] == 0.0f) REQUIRE(r.q[i] == 0);
    }
    REQUIRE(r.scale[1] == 0.0f);
    REQUIRE(r.q[1] + -r.q[4] == 15);
  }
}

TEST_CASE("mcq: counts are unbiased over seeds, E[c_i] = N p_i") {
  const std::vector<float> w{0.9f, -0.05f, 0.3f, 0.0f, -1.2f, 0.45f, 0.1f, -0.6f};
  double total = 0;
  for (float v : w) total += std::fabs(v);
  McqOptions o;
  o.sampling_amount = 0.5;  // N = 4: most weights get 0 or 1 samples
  const int trials = 20000;
  std::vector<double> mean(w.size(), 0.0);
  for (int t = 0; t < trials; ++t) {
    o.seed = static_cast<uint64_t>(t) + 1;
    const McqResult r = mcq_quantize(w.data(), 1, static_cast<int64_t>(w.size()), o);
    for (size_t i = 0; i < w.size(); ++i) mean[i] += std::abs(r.q[i]) / static_cast<double>(trials);
  }
  for (size_t i = 0; i < w.size(); ++i) {
    INFO("i = " << i);
    CHECK(mean[i] == Approx(4.0 * std::fabs(w[i]) / total).margin(0.02));  // stderr <= 0.5 / sqrt(20000)
  }
}

TEST_CASE("mcq: stratified counts are within 2 of N p_i for every weight") {
  const int64_t n = 64;
  const std::vector<float> w = normal_weights(n, 5);
  double total = 0;
  for (float v : w) total += std::fabs(v);
  for (bool sort : {false, true}) {
    for (double k : {0.25, 1.0, 8.0}) {
      for (uint64_t seed = 1; seed <= 50; ++seed) {
        McqOptions o;
        o.sampling_amount = k;
        o.sort = sort;
        o.seed = seed;
        const McqResult r = mcq_quantize(w.data(), 1, n, o);
        for (int64_t i = 0; i < n; ++i) {
          const double expected = static_cast<double>(r.samples_per_unit) * std::fabs(w[static_cast<size_t>(i)]) / total;
          REQUIRE(std::fabs(std::abs(r.q[static_cast<size_t>(i)]) - expected) < 2.0);
        }
      }
    }
  }
}

TEST_CASE("mcq: sparsity rises as the sampling amount falls") {
  const std::vector<float> w = normal_weights(4 * 256, 3);
  double previous = -1;
  for (double k : {8.0, 2.0, 1.0, 0.25, 0.05}) {
    McqOptions o;
    o.sampling_amount = k;
    const McqResult r = mcq_quantize(w.data(), 4, 256, o);
    INFO("K = " << k << " sparsity " << r.sparsity);
    CHECK(r.sparsity > previous);
    CHECK(r.sparsity >= 1.0 - static_cast<double>(r.samples_per_unit) / 256.0);  // at most N nonzero per unit
    previous = r.sparsity;
  }
}

TEST_CASE("mcq: sign-magnitude width is 1 + ceil(log2(max|q| + 1))") {
  CHECK(mcq_bits_for(0) == 1);
  CHECK(mcq_bits_for(1) == 2);
  CHECK(mcq_bits_for(2) == 3);
  CHECK(mcq_bits_for(3) == 3);
  CHECK(mcq_bits_for(4) == 4);
  CHECK(mcq_bits_for(7) == 4);
  CHECK(mcq_bits_for(8) == 5);
  CHECK(mcq_bits_for(127) == 8);
  CHECK(mcq_bits_for(128) == 9);
  // Two units, midpoints, N = 4: unit 0 = {1, 0, 0, 0} -> counts {4, 0, 0, 0} (3 + 1 = 4 bits),
  // unit 1 = {1, 1, 1, 1} -> counts {1, 1, 1, 1} (2 bits); tensor width 4, mean 3.
  const std::vector<float> w{1, 0, 0, 0, 1, 1, 1, 1};
  const McqResult r = mcq_quantize(w.data(), 2, 4, midpoints(1.0));
  CHECK(r.q == std::vector<int32_t>{4, 0, 0, 0, 1, 1, 1, 1});
  CHECK(r.max_abs_q == 4);
  CHECK(r.bits == 4);
  CHECK(r.mean_bits == 3.0);
  CHECK(r.sparsity == 3.0 / 8.0);
}

TEST_CASE("mcq: the same seed gives the same result, another seed another one") {
  const std::vector<float> w = normal_weights(3 * 100, 9);
  McqOptions o;
  o.seed = 42;
  const McqResult a = mcq_quantize(w.data(), 3, 100, o);
  const McqResult b = mcq_quantize(w.data(), 3, 100, o);
  o.seed = 43;
  const McqResult c = mcq_quantize(w.data(), 3, 100, o);
  CHECK(a.q == b.q);
  CHECK(a.scale == b.scale);
  CHECK(a.q != c.q);
}

TEST_CASE("mcq: dequantize is q times the unit's scale, and per-tensor is a one-row view") {
  const std::vector<float> w = normal_weights(2 * 50, 4);
  const McqResult rows = mcq_quantize(w.data(), 2, 50, McqOptions{});
  const std::vector<float> d = mcq_dequantize(rows, 2, 50);
  for (int64_t u = 0; u < 2; ++u) {
    double total = 0;
    for (int64_t i = 0; i < 50; ++i) total += std::fabs(w[static_cast<size_t>(u * 50 + i)]);
    CHECK(rows.scale[static_cast<size_t>(u)] == static_cast<float>(total / 50.0));
    for (int64_t i = 0; i < 50; ++i) {
      const size_t at = static_cast<size_t>(u * 50 + i);
      CHECK(d[at] == static_cast<float>(rows.q[at]) * rows.scale[static_cast<size_t>(u)]);
    }
  }
  const McqResult tensor = mcq_quantize(w.data(), 1, 100, McqOptions{});
  CHECK(tensor.scale.size() == 1);
  CHECK(tensor.samples_per_unit == 100);
  CHECK(mcq_dequantize(tensor, 1, 100).size() == 100);
}

TEST_CASE("mcq: to_qtensor gives sign-extended per-channel INT codes, clipped to qmax, with the unit scales") {
  // Two units of n = 4 as 2 rows × 2 cols each (rows_per_channel = 2), INT3 (qmax = 3), padding to V = 4.
  McqResult r;
  r.q = {2, -1, 0, 5, -4, 1, 3, 0};
  r.scale = {0.5f, 0.25f};
  r.samples_per_unit = 8;
  int64_t clipped = -1;
  const QTensor t = mcq_to_qtensor(r, 2, 4, 3, 2, 4, &clipped);
  CHECK(clipped == 2);  // 5 -> 3 and -4 -> -3
  CHECK(t.shape.rows == 4);
  CHECK(t.shape.cols == 2);
  CHECK(t.shape.rows_per_channel == 2);
  CHECK(t.padded_cols() == 4);
  CHECK(t.coarse_scales == std::vector<float>{0.5f, 0.25f});
  const std::vector<uint8_t> expected{2, 0xFF, 0, 0, 0, 3, 0, 0, 0xFD, 1, 0, 0, 3, 0, 0, 0};
  CHECK(t.codes == expected);
  const std::vector<float> d = t.dequantize();
  CHECK(d == std::vector<float>{1.0f, -0.5f, 0.0f, 1.5f, -0.75f, 0.25f, 0.75f, 0.0f});
  CHECK_THROWS_AS(mcq_to_qtensor(r, 2, 4, 9, 2, 4, nullptr), std::invalid_argument);
  CHECK_THROWS_AS(mcq_to_qtensor(r, 2, 4, 3, 3, 4, nullptr), std::invalid_argument);
  CHECK_THROWS_AS(mcq_to_qtensor(r, 2, 5, 3, 1, 4, nullptr), std::invalid_argument);
}

TEST_CASE("mcq: invalid arguments throw naming the parameter") {
  const std::vector<float> w{1.0f, 2.0f};
  CHECK_THROWS_WITH(mcq_quantize(w.data(), 0, 2), Catch::Contains("units"));
  CHECK_THROWS_WITH(mcq_quantize(w.data(), 1, 0), Catch::Contains("n = 0"));
  CHECK_THROWS_WITH(mcq_quantize(nullptr, 1, 2), Catch::Contains("w is null"));
  McqOptions o;
  o.sampling_amount = 0;
  CHECK_THROWS_WITH(mcq_quantize(w.data(), 1, 2, o), Catch::Contains("sampling_amount"));
  o.sampling_amount = std::nan("");
  CHECK_THROWS_AS(mcq_quantize(w.data(), 1, 2, o), std::invalid_argument);
  const std::vector<float> bad{1.0f, std::numeric_limits<float>::infinity()};
  CHECK_THROWS_WITH(mcq_quantize(bad.data(), 1, 2), Catch::Contains("w[1]"));
  const McqResult r = mcq_quantize(w.data(), 1, 2);
  CHECK_THROWS_WITH(mcq_dequantize(r, 1, 3), Catch::Contains("result.q"));
}
