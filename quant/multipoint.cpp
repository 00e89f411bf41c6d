#include "quant/multipoint.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "quant/method_checks.hpp"

namespace dlasim::quant {
namespace {

int qmax_of(int bits) { return (1 << (bits - 1)) - 1; }

int8_t round_clip(double v, int qmax) {
  const double r = std::nearbyint(v);  // default rounding mode: to nearest, ties to even
  return static_cast<int8_t>(std::clamp(r, static_cast<double>(-qmax), static_cast<double>(qmax)));
}

// ||r − a·round_clip(r/a)||² in double.
double point_error(const std::vector<double>& r, float a, int qmax) {
  double e = 0;
  const double ad = a;
  for (double ri : r) {
    const double d = ri - ad * round_clip(ri / ad, qmax);
    e += d * d;
  }
  return e;
}

// r = w − Σ_t a_t · codes_t, in double.
std::vector<double> residual(const MultipointVector& v, const float* w, int64_t n) {
  std::vector<double> r(w, w + n);
  for (size_t t = 0; t < v.a.size(); ++t) {
    for (int64_t i = 0; i < n; ++i) r[static_cast<size_t>(i)] -= static_cast<double>(v.a[t]) * v.codes[t][static_cast<size_t>(i)];
  }
  return r;
}

void check_vector_args(const char* fn, const float* w, int64_t n, int bits) {
  checks::not_null(fn, "w", w);
  checks::at_least(fn, "n", n, 1);
  checks::bits_in_range(fn, "bits", bits);
  checks::all_finite(fn, "w", w, n);
}

void add_point_unchecked(MultipointVector& v, const float* w, int64_t n, int bits) {
  const int qmax = qmax_of(bits);
  const std::vector<double> r = residual(v, w, n);
  double r_max = 0, r_energy = 0;
  for (double ri : r) {
    r_max = std::max(r_max, std::fabs(ri));
    r_energy += ri * ri;
  }
  float best_a = 0;
  double best_error = r_energy;  // a = 0: the point adds nothing (keeps the error non-increasing)
  if (r_max > 0) {
    const double top = r_max / qmax;
    for (int j = kMultipointCandidates; j >= 1; --j) {  // larger a first: ties keep the larger a
      const float a = static_cast<float>(top * j / kMultipointCandidates);
      if (!(a > 0)) continue;
      const double e = point_error(r, a, qmax);
      if (e < best_error || (best_a == 0 && e <= best_error)) {
        best_error = e;
        best_a = a;
      }
    }
  }
  std::vector<int8_t> codes(static_cast<size_t>(n), 0);
  if (best_a > 0) {
    for (int64_t i = 0; i < n; ++i) codes[static_cast<size_t>(i)] = round_clip(r[static_cast<size_t>(i)] / best_a, qmax);
  }
  v.a.push_back(best_a);
  v.codes.push_back(std::move(codes));
}

}  // namespace

void multipoint_add_point(MultipointVector& v, const float* w, int64_t n, int bits) {
  constexpr const char* fn = "multipoint_add_point";
  check_vector_args(fn, w, n, bits);
  checks::sizes_match(fn, "v.codes", static_cast<int64_t>(v.codes.size()), static_cast<int64_t>(v.a.size()));
  for (const auto& c : v.codes) checks::sizes_match(fn, "v.codes[t]", static_cast<int64_t>(c.size()), n);
  add_point_unchecked(v, w, n, bits);
}

MultipointVector multipoint_greedy(const float* w, int64_t n, int bits, int points) {
  constexpr const char* fn = "multipoint_greedy";
  check_vector_args(fn, w, n, bits);
  checks::at_least(fn, "points", points, 1);
  MultipointVector v;
  for (int t = 0; t < points; ++t) add_point_unchecked(v, w, n, bits);
  return v;
}

std::vector<float> multipoint_dequantize(const MultipointVector& v, int64_t n) {
  constexpr const char* fn = "multipoint_dequantize";
  checks::at_least(fn, "n", n, 1);
  checks::sizes_match(fn, "v.codes", static_cast<int64_t>(v.codes.size()), static_cast<int64_t>(v.a.size()));
  std::vector<float> out(static_cast<size_t>(n), 0.0f);
  for (size_t t = 0; t < v.a.size(); ++t) {
    checks::sizes_match(fn, "v.codes[t]", static_cast<int64_t>(v.codes[t].size()), n);
    for (int64_t i = 0; i < n; ++i) out[static_cast<size_t>(i)] += v.a[t] * static_cast<float>(v.codes[t][static_cast<size_t>(i)]);
  }
  return out;
}

std::vector<float> multipoint_dequantize(const MultipointLayer& layer, int64_t n) {
  std::vector<float> out;
  out.reserve(layer.channels.size() * static_cast<size_t>(std::max<int64_t>(n, 0)));
  for (const MultipointVector& v : layer.channels) {
    const std::vector<float> row = multipoint_dequantize(v, n);
    out.insert(out.end(), row.begin(), row.end());
  }
  return out;
}

double multipoint_output_error(const float* w, const float* w_tilde, int64_t n, const float* x, int64_t m) {
  double e = 0;
  for (int64_t row = 0; row < m; ++row) {
    const float* xr = x + row * n;
    double dot = 0;
    for (int64_t i = 0; i < n; ++i) dot += (static_cast<double>(w[i]) - w_tilde[i]) * xr[i];
    e += dot * dot;
  }
  return e;
}

MultipointLayer multipoint_quantize(const float* w, int64_t k, int64_t n, const float* x, int64_t m,
                                    const MultipointOptions& options) {
  constexpr const char* fn = "multipoint_quantize";
  checks::not_null(fn, "w", w);
  checks::not_null(fn, "x", x);
  checks::at_least(fn, "k", k, 1);
  checks::at_least(fn, "n", n, 1);
  checks::at_least(fn, "m", m, 1);
  checks::bits_in_range(fn, "options.bits", options.bits);
  checks::at_least(fn, "options.max_points", options.max_points, 1);
  if (!std::isfinite(options.budget) || options.budget < 0) {
    checks::fail(fn, "options.budget = " + std::to_string(options.budget) + " must be finite and >= 0");
  }
  if (!std::isfinite(options.min_gain) || options.min_gain < 0) {
    checks::fail(fn, "options.min_gain = " + std::to_string(options.min_gain) + " must be finite and >= 0");
  }
  checks::all_finite(fn, "w", w, k * n);
  checks::all_finite(fn, "x", x, m * n);

  const size_t kk = static_cast<size_t>(k);
  MultipointLayer layer;
  layer.channels.resize(kk);
  layer.points.assign(kk, 1);
  layer.output_error.assign(kk, 0.0);
  auto error_of = [&](const MultipointVector& v, int64_t c) {
    const std::vector<float> wt = multipoint_dequantize(v, n);
    return multipoint_output_error(w + c * n, wt.data(), n, x, m);
  };
  // Candidate next point of every channel below max_points and the error it would leave.
  std::vector<MultipointVector> next(kk);
  std::vector<double> next_error(kk, 0.0);
  auto prepare_next = [&](int64_t c) {
    const size_t ci = static_cast<size_t>(c);
    if (layer.points[ci] >= options.max_points) return;
    next[ci] = layer.channels[ci];
    add_point_unchecked(next[ci], w + c * n, n, options.bits);
    next_error[ci] = error_of(next[ci], c);
  };
  for (int64_t c = 0; c < k; ++c) {
    add_point_unchecked(layer.channels[static_cast<size_t>(c)], w + c * n, n, options.bits);
    layer.output_error[static_cast<size_t>(c)] = error_of(layer.channels[static_cast<size_t>(c)], c);
    prepare_next(c);
  }
  const int64_t extra_allowed = static_cast<int64_t>(std::floor(options.budget * static_cast<double>(k)));
  for (int64_t extra = 0; extra < extra_allowed; ++extra) {
    int64_t chosen = -1;
    for (int64_t c = 0; c < k; ++c) {
      const size_t ci = static_cast<size_t>(c);
      if (layer.points[ci] >= options.max_points) continue;
      if (!(layer.output_error[ci] - next_error[ci] > options.min_gain)) continue;
      if (chosen < 0 || layer.output_error[ci] > layer.output_error[static_cast<size_t>(chosen)]) chosen = c;
    }
    if (chosen < 0) break;
    const size_t ci = static_cast<size_t>(chosen);
    layer.channels[ci] = std::move(next[ci]);
    layer.output_error[ci] = next_error[ci];
    ++layer.points[ci];
    next[ci] = MultipointVector{};
    prepare_next(chosen);
  }
  int64_t total_points = 0;
  for (int p : layer.points) total_points += p;
  layer.mean_points = static_cast<double>(total_points) / static_cast<double>(k);
  return layer;
}

}  // namespace dlasim::quant
