// Tests of multipoint quantization (quant/multipoint.hpp, reference.md §6.2). Hand cases are chosen so the
// optimal scale is one of the search candidates and the arithmetic is exact.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include "quant/multipoint.hpp"
#include "quant/qtensor.hpp"
#include "quant/quantize.hpp"

using namespace dlasim::quant;

namespace {

double squared_error(const std::vector<float>& w, const std::vector<float>& w_tilde) {
  double e = 0;
  for (size_t i = 0; i < w.size(); ++i) e += (static_cast<double>(w[i]) - w_tilde[i]) * (static_cast<double>(w[i]) - w_tilde[i]);
  return e;
}

std::vector<float> normal_values(int64_t count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(count));
  for (float& x : v) x = d(rng);
  return v;
}

// m = n rows of unit vectors: the output error is then ||w − w̃||².
std::vector<float> identity_rows(int64_t n) {
  std::vector<float> x(static_cast<size_t>(n * n), 0.0f);
  for (int64_t i = 0; i < n; ++i) x[static_cast<size_t>(i * n + i)] = 1.0f;
  return x;
}

}  // namespace

TEST_CASE("multipoint: a vector on the grid is represented exactly by one point") {
  // w = 0.5 · {1, -2, 3} at 3 bits (qmax = 3): a = max|w| / qmax = 0.5, codes {1, -2, 3}.
  const std::vector<float> w{0.5f, -1.0f, 1.5f};
  const MultipointVector v = multipoint_greedy(w.data(), 3, 3, 1);
  REQUIRE(v.a.size() == 1);
  CHECK(v.a[0] == 0.5f);
  CHECK(v.codes[0] == std::vector<int8_t>{1, -2, 3});
  CHECK(multipoint_dequantize(v, 3) == w);
}

TEST_CASE("multipoint: one point equals plain per-channel rounding when the max scale is optimal") {
  // w = {3, 1, -2, 0.4} at 3 bits: a = 1 gives codes {3, 1, -2, 0} and error 0.16; any a < 1 clips the 3 and
  // costs (3 − 3a)² + (1 − a)² + (2 − 2a)² + 0.16 > 0.16 (for a > 0.87; below that (3 − 3a)² alone > 0.16).
  const std::vector<float> w{3.0f, 1.0f, -2.0f, 0.4f};
  const MultipointVector v = multipoint_greedy(w.data(), 4, 3, 1);
  CHECK(v.a == std::vector<float>{1.0f});
  CHECK(v.codes[0] == std::vector<int8_t>{3, 1, -2, 0});
  const QTensor q = quantize(w.data(), MatrixShape{1, 4, 1}, int_spec(3, Granularity::per_channel));
  CHECK(multipoint_dequantize(v, 4) == q.dequantize());
}

TEST_CASE("multipoint: two points on a hand case") {
  // w = {1, 0.25} at 2 bits (qmax = 1). Point 1: a = 1, codes {1, 0} (error 0.0625; a <= 0.5 costs more).
  // Residual {0, 0.25}: point 2 a = 0.25, codes {0, 1}: exact.
  const std::vector<float> w{1.0f, 0.25f};
  const MultipointVector one = multipoint_greedy(w.data(), 2, 2, 1);
  CHECK(squared_error(w, multipoint_dequantize(one, 2)) == 0.0625);
  const MultipointVector two = multipoint_greedy(w.data(), 2, 2, 2);
  CHECK(two.a == std::vector<float>{1.0f, 0.25f});
  CHECK(two.codes[0] == std::vector<int8_t>{1, 0});
  CHECK(two.codes[1] == std::vector<int8_t>{0, 1});
  CHECK(multipoint_dequantize(two, 2) == w);
}

TEST_CASE("multipoint: the error does not increase with the number of points") {
  const std::vector<float> w = normal_values(200, 17);
  for (int bits : {2, 3, 4, 8}) {
    double previous = std::numeric_limits<double>::infinity();
    MultipointVector v;
    for (int p = 1; p <= 6; ++p) {
      multipoint_add_point(v, w.data(), 200, bits);
      const double e = squared_error(w, multipoint_dequantize(v, 200));
      INFO("bits " << bits << " points " << p << " error " << e);
      CHECK(e <= previous);
      if (p <= 2) CHECK(e < previous);
      previous = e;
    }
    // Greedy add_point and greedy(P) agree.
    CHECK(multipoint_greedy(w.data(), 200, bits, 6).a == v.a);
  }
}

TEST_CASE("multipoint: adaptive allocation gives the extra point to the high-error channel") {
  // Channel 0 is on the 3-bit grid (error 0); channel 1 is not. Budget 0.5 · 2 channels = 1 extra point.
  const std::vector<float> w{0.5f, -1.0f, 1.5f, 1.0f, 0.3f, -0.7f};
  const std::vector<float> x = identity_rows(3);
  MultipointOptions o;
  o.bits = 3;
  o.budget = 0.5;
  const MultipointLayer layer = multipoint_quantize(w.data(), 2, 3, x.data(), 3, o);
  CHECK(layer.points == std::vector<int>{1, 2});
  CHECK(layer.mean_points == 1.5);
  CHECK(layer.output_error[0] == 0.0);
  const MultipointVector one = multipoint_greedy(w.data() + 3, 3, 3, 1);
  const std::vector<float> w1(w.begin() + 3, w.end());
  CHECK(layer.output_error[1] < squared_error(w1, multipoint_dequantize(one, 3)));
  CHECK(layer.output_error[1] == Approx(squared_error(w1, multipoint_dequantize(layer.channels[1], 3))));
  const std::vector<float> d = multipoint_dequantize(layer, 3);
  CHECK(d.size() == 6);
  CHECK(std::vector<float>(d.begin(), d.begin() + 3) == std::vector<float>(w.begin(), w.begin() + 3));
}

TEST_CASE("multipoint: the budget, max_points and min_gain bound the extra points") {
  const int64_t k = 10, n = 32, m = 64;
  const std::vector<float> w = normal_values(k * n, 1);
  const std::vector<float> x = normal_values(m * n, 2);
  MultipointOptions o;
  o.bits = 3;
  o.budget = 0.3;  // 3 extra points
  MultipointLayer layer = multipoint_quantize(w.data(), k, n, x.data(), m, o);
  int extra = 0;
  for (int p : layer.points) extra += p - 1;
  CHECK(extra == 3);
  CHECK(layer.mean_points == Approx(1.3));

  o.budget = 5.0;  // 50 extra allowed, but at most 2 points per channel
  o.max_points = 2;
  layer = multipoint_quantize(w.data(), k, n, x.data(), m, o);
  for (int p : layer.points) CHECK(p == 2);

  o.min_gain = 1e30;  // no channel gains that much
  layer = multipoint_quantize(w.data(), k, n, x.data(), m, o);
  for (int p : layer.points) CHECK(p == 1);

  o = MultipointOptions{};
  o.budget = 0.0;
  layer = multipoint_quantize(w.data(), k, n, x.data(), m, o);
  CHECK(layer.mean_points == 1.0);
}

TEST_CASE("multipoint: invalid arguments throw naming the parameter") {
  const std::vector<float> w{1.0f, 2.0f};
  const std::vector<float> x{1.0f, 1.0f};
  CHECK_THROWS_WITH(multipoint_greedy(w.data(), 2, 1, 1), Catch::Contains("bits"));
  CHECK_THROWS_WITH(multipoint_greedy(w.data(), 2, 9, 1), Catch::Contains("bits"));
  CHECK_THROWS_WITH(multipoint_greedy(w.data(), 2, 4, 0), Catch::Contains("points"));
  CHECK_THROWS_WITH(multipoint_greedy(w.data(), 0, 4, 1), Catch::Contains("n = 0"));
  const std::vector<float> bad{1.0f, std::nanf("")};
  CHECK_THROWS_WITH(multipoint_greedy(bad.data(), 2, 4, 1), Catch::Contains("w[1]"));
  CHECK_THROWS_WITH(multipoint_quantize(w.data(), 0, 2, x.data(), 1), Catch::Contains("k = 0"));
  CHECK_THROWS_WITH(multipoint_quantize(w.data(), 1, 2, x.data(), 0), Catch::Contains("m = 0"));
  CHECK_THROWS_WITH(multipoint_quantize(w.data(), 1, 2, bad.data(), 1), Catch::Contains("x[1]"));
  MultipointOptions o;
  o.max_points = 0;
  CHECK_THROWS_WITH(multipoint_quantize(w.data(), 1, 2, x.data(), 1, o), Catch::Contains("max_points"));
  o = MultipointOptions{};
  o.budget = -1;
  CHECK_THROWS_WITH(multipoint_quantize(w.data(), 1, 2, x.data(), 1, o), Catch::Contains("budget"));
  o = MultipointOptions{};
  o.bits = 10;
  CHECK_THROWS_WITH(multipoint_quantize(w.data(), 1, 2, x.data(), 1, o), Catch::Contains("options.bits"));
}
