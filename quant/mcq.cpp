#include "quant/mcq.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <string>

#include "quant/method_checks.hpp"

namespace dlasim::quant {
namespace {

// Uniform on [0, 1) from the top 53 bits of one 64-bit draw: the same value on every standard library.
double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

// Counts of one unit (c_i >= 0, Σ c_i = N) for weights w[0..n-1]; returns Σ|w| (0: all counts 0).
double sample_unit(const float* w, int64_t n, int64_t samples, const McqOptions& options, std::mt19937_64& rng,
                   std::vector<int64_t>& order, int32_t* counts) {
  std::iota(order.begin(), order.end(), int64_t{0});
  if (options.sort) {
    std::stable_sort(order.begin(), order.end(),
                     [w](int64_t a, int64_t b) { return std::fabs(w[a]) > std::fabs(w[b]); });
  }
  double total = 0;
  int64_t last_nonzero = -1;  // in CDF order: the index that takes a u rounding onto the top of the CDF
  for (int64_t i : order) {
    total += std::fabs(static_cast<double>(w[i]));
    if (w[i] != 0.0f) last_nonzero = i;
  }
  std::fill(counts, counts + n, 0);
  if (total == 0) return 0;

  // Linear merge: u_m increases with m, so the CDF position only moves forward. The CDF is compared in
  // unnormalized form (cumulative |w| against u · total), which keeps P_last = total exactly.
  int64_t pos = 0;
  double cumulative = std::fabs(static_cast<double>(w[order[0]]));
  for (int64_t m = 0; m < samples; ++m) {
    const double xi = options.jitter ? uniform01(rng) : 0.5;
    const double target = (static_cast<double>(m) + xi) / static_cast<double>(samples) * total;
    while (cumulative <= target && pos + 1 < n) {
      ++pos;
      cumulative += std::fabs(static_cast<double>(w[order[pos]]));
    }
    // cumulative <= target only if rounding put target on the top of the CDF: take the last nonzero weight.
    const int64_t index = cumulative > target ? order[pos] : last_nonzero;
    ++counts[index];
  }
  return total;
}

}  // namespace

int mcq_bits_for(int64_t max_abs) {
  int width = 0;
  for (uint64_t v = static_cast<uint64_t>(max_abs); v != 0; v >>= 1) ++width;  // ceil(log2(max_abs + 1))
  return 1 + width;
}

McqResult mcq_quantize(const float* w, int64_t units, int64_t n, const McqOptions& options) {
  constexpr const char* fn = "mcq_quantize";
  checks::not_null(fn, "w", w);
  checks::at_least(fn, "units", units, 1);
  checks::at_least(fn, "n", n, 1);
  if (!std::isfinite(options.sampling_amount) || options.sampling_amount <= 0) {
    checks::fail(fn, "options.sampling_amount = " + std::to_string(options.sampling_amount) + " must be finite and > 0");
  }
  const double wanted = std::round(options.sampling_amount * static_cast<double>(n));
  if (wanted > static_cast<double>(std::numeric_limits<int32_t>::max())) {
    checks::fail(fn, "options.sampling_amount · n = " + std::to_string(wanted) + " samples per unit exceeds 2^31 - 1");
  }
  if (units > std::numeric_limits<int64_t>::max() / n) checks::fail(fn, "units · n overflows int64");
  checks::all_finite(fn, "w", w, units * n);

  McqResult r;
  r.samples_per_unit = std::max<int64_t>(1, static_cast<int64_t>(wanted));
  r.q.assign(static_cast<size_t>(units * n), 0);
  r.scale.assign(static_cast<size_t>(units), 0.0f);
  std::mt19937_64 rng(options.seed);
  std::vector<int64_t> order(static_cast<size_t>(n));
  int64_t zeros = 0;
  double bits_sum = 0;
  for (int64_t u = 0; u < units; ++u) {
    const float* wu = w + u * n;
    int32_t* qu = r.q.data() + u * n;
    const double total = sample_unit(wu, n, r.samples_per_unit, options, rng, order, qu);
    r.scale[static_cast<size_t>(u)] = static_cast<float>(total / static_cast<double>(r.samples_per_unit));
    int unit_max = 0;
    for (int64_t i = 0; i < n; ++i) {
      unit_max = std::max(unit_max, static_cast<int>(qu[i]));
      if (wu[i] < 0) qu[i] = -qu[i];
      if (qu[i] == 0) ++zeros;
    }
    r.max_abs_q = std::max(r.max_abs_q, unit_max);
    bits_sum += mcq_bits_for(unit_max);
  }
  r.sparsity = static_cast<double>(zeros) / static_cast<double>(units * n);
  r.bits = mcq_bits_for(r.max_abs_q);
  r.mean_bits = bits_sum / static_cast<double>(units);
  return r;
}

namespace {
void check_result(const char* fn, const McqResult& result, int64_t units, int64_t n) {
  checks::at_least(fn, "units", units, 1);
  checks::at_least(fn, "n", n, 1);
  checks::sizes_match(fn, "result.q", static_cast<int64_t>(result.q.size()), units * n);
  checks::sizes_match(fn, "result.scale", static_cast<int64_t>(result.scale.size()), units);
}
}  // namespace

std::vector<float> mcq_dequantize(const McqResult& result, int64_t units, int64_t n) {
  check_result("mcq_dequantize", result, units, n);
  std::vector<float> out(result.q.size());
  for (int64_t u = 0; u < units; ++u) {
    for (int64_t i = 0; i < n; ++i) {
      const size_t at = static_cast<size_t>(u * n + i);
      out[at] = static_cast<float>(result.q[at]) * result.scale[static_cast<size_t>(u)];
    }
  }
  return out;
}

QTensor mcq_to_qtensor(const McqResult& result, int64_t units, int64_t n, int bits, int64_t rows_per_channel,
                       int vector_size, int64_t* clipped) {
  constexpr const char* fn = "mcq_to_qtensor";
  check_result(fn, result, units, n);
  checks::bits_in_range(fn, "bits", bits);
  checks::at_least(fn, "rows_per_channel", rows_per_channel, 1);
  checks::at_least(fn, "vector_size", vector_size, 1);
  if (n % rows_per_channel != 0) {
    checks::fail(fn, "rows_per_channel = " + std::to_string(rows_per_channel) + " does not divide n = " + std::to_string(n));
  }
  const QuantSpec spec = int_spec(bits, Granularity::per_channel, 0, vector_size);
  const MatrixShape shape{units * rows_per_channel, n / rows_per_channel, rows_per_channel};
  QTensor t = make_qtensor(spec, shape);
  const int32_t qmax = spec.qmax();
  const int64_t cols = shape.cols;
  const int64_t padded = t.padded_cols();
  int64_t clip_count = 0;
  for (int64_t row = 0; row < shape.rows; ++row) {
    for (int64_t col = 0; col < cols; ++col) {
      int32_t v = result.q[static_cast<size_t>(row * cols + col)];
      if (v > qmax || v < -qmax) {
        ++clip_count;
        v = std::clamp(v, -qmax, qmax);
      }
      t.codes[static_cast<size_t>(row * padded + col)] = static_cast<uint8_t>(static_cast<int8_t>(v));
    }
  }
  for (int64_t u = 0; u < units; ++u) t.coarse_scales[static_cast<size_t>(u)] = result.scale[static_cast<size_t>(u)];
  if (clipped != nullptr) *clipped = clip_count;
  return t;
}

}  // namespace dlasim::quant
