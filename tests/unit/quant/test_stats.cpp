// Tests of error_stats (mse, SQNR, max |error|) on hand-computed inputs.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "quant/stats.hpp"

using dlasim::quant::error_stats;
using dlasim::quant::ErrorStats;

TEST_CASE("error_stats ref={1,2} q={1,1}: mse 0.5, sqnr 10*log10(5)", "[quant][stats]") {
  const float ref[] = {1.0f, 2.0f};
  const float q[] = {1.0f, 1.0f};
  const ErrorStats st = error_stats(ref, q, 2);
  // errors {0, 1}: Σe² = 1, mse = 1/2; Σref² = 1 + 4 = 5; sqnr = 10·log10(5/1) = 6.98970 dB.
  CHECK(st.count == 2);
  CHECK(st.mse == Approx(0.5));
  CHECK(st.sqnr_db == Approx(10.0 * std::log10(5.0)));
  CHECK(st.sqnr_db == Approx(6.989700043));
  CHECK(st.max_abs_error == Approx(1.0));
  CHECK(st.signal_energy == 5.0);
  CHECK(st.error_energy == 1.0);
}

TEST_CASE("error_stats ref={3,-4} q={3,-4.5}: sqnr exactly 20 dB", "[quant][stats]") {
  const float ref[] = {3.0f, -4.0f};
  const float q[] = {3.0f, -4.5f};
  const ErrorStats st = error_stats(ref, q, 2);
  // errors {0, 0.5}: Σe² = 0.25, mse = 0.125; Σref² = 25; sqnr = 10·log10(100) = 20 dB.
  CHECK(st.mse == Approx(0.125));
  CHECK(st.sqnr_db == Approx(20.0));
  CHECK(st.max_abs_error == Approx(0.5));
  CHECK(st.count == 2);
}

TEST_CASE("error_stats with zero error reports +inf sqnr and zero mse", "[quant][stats]") {
  const float ref[] = {0.25f, -8.0f, 3.0f};
  const ErrorStats st = error_stats(ref, ref, 3);
  CHECK(st.mse == 0.0);
  CHECK(st.max_abs_error == 0.0);
  CHECK(std::isinf(st.sqnr_db));
  CHECK(st.sqnr_db > 0.0);

  // All-zero reference approximated exactly: error is 0, so +inf as well.
  const float zeros[] = {0.0f, 0.0f};
  CHECK(error_stats(zeros, zeros, 2).sqnr_db == std::numeric_limits<double>::infinity());
}

TEST_CASE("error_stats with zero reference energy and nonzero error reports -inf sqnr", "[quant][stats]") {
  const float ref[] = {0.0f, 0.0f};
  const float q[] = {0.0f, 2.0f};
  const ErrorStats st = error_stats(ref, q, 2);
  // errors {0, -2}: Σe² = 4, mse = 2, max |e| = 2; Σref² = 0.
  CHECK(st.sqnr_db == -std::numeric_limits<double>::infinity());
  CHECK(st.mse == Approx(2.0));
  CHECK(st.max_abs_error == Approx(2.0));
}

TEST_CASE("error_stats accumulates in double (small terms after a large one are not lost)",
          "[quant][stats]") {
  // ref = {4096, 1 × 1000}, q = {4096, 1.5 × 1000}.
  // Σref² = 2^24 + 1000 = 16778216 (a float sum would stay at 2^24: its ulp there is 2, so +1 is lost).
  // Σe² = 1000 · 0.25 = 250; mse = 250 / 1001; sqnr = 10·log10(16778216 / 250) = 48.26790 dB
  // (float accumulation would give 10·log10(16777216 / 250), 2.6e-4 dB lower).
  std::vector<float> ref(1001, 1.0f);
  std::vector<float> q(1001, 1.5f);
  ref[0] = q[0] = 4096.0f;
  const ErrorStats st = error_stats(ref.data(), q.data(), 1001);
  CHECK(st.mse == Approx(250.0 / 1001.0).epsilon(1e-12));
  CHECK(st.sqnr_db == Approx(10.0 * std::log10(16778216.0 / 250.0)).epsilon(1e-12));
  CHECK(st.sqnr_db != Approx(10.0 * std::log10(16777216.0 / 250.0)).epsilon(1e-9));
  CHECK(st.max_abs_error == Approx(0.5));
  CHECK(st.count == 1001);
}

TEST_CASE("error_stats on empty input and invalid arguments", "[quant][stats]") {
  const ErrorStats st = error_stats(nullptr, nullptr, 0);
  CHECK(st.count == 0);
  CHECK(st.mse == 0.0);
  CHECK(st.sqnr_db == std::numeric_limits<double>::infinity());
  const float a[] = {1.0f};
  CHECK_THROWS_AS(error_stats(a, a, -1), std::invalid_argument);
  CHECK_THROWS_AS(error_stats(nullptr, a, 1), std::invalid_argument);
  CHECK_THROWS_AS(error_stats(a, nullptr, 1), std::invalid_argument);
}
