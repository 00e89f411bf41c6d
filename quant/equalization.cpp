#include "quant/equalization.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "quant/method_checks.hpp"

namespace dlasim::quant {
namespace {

void check_finite_nonnegative(const char* fn, const char* name, const std::vector<float>& v) {
  checks::all_finite(fn, name, v.data(), static_cast<int64_t>(v.size()));
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] < 0) checks::fail(fn, std::string(name) + "[" + std::to_string(i) + "] = " + std::to_string(v[i]) + " is negative");
  }
}

void check_scales(const char* fn, const std::vector<float>& s, int64_t expected) {
  checks::sizes_match(fn, "s", static_cast<int64_t>(s.size()), expected);
  for (size_t i = 0; i < s.size(); ++i) {
    if (!std::isfinite(s[i]) || s[i] <= 0) checks::fail(fn, "s[" + std::to_string(i) + "] = " + std::to_string(s[i]) + " must be finite and > 0");
  }
}

void check_consumer_layout(const char* fn, const float* w, int64_t k, int64_t c_per_group, int64_t spatial, int64_t groups) {
  checks::not_null(fn, "w", w);
  checks::at_least(fn, "k", k, 1);
  checks::at_least(fn, "c_per_group", c_per_group, 1);
  checks::at_least(fn, "spatial", spatial, 1);
  checks::at_least(fn, "groups", groups, 1);
  if (k % groups != 0) checks::fail(fn, "groups = " + std::to_string(groups) + " does not divide k = " + std::to_string(k));
}

// x / y with x / 0 = +inf (x > 0) and 0 / 0 = 1.
double ratio(double x, double y) {
  if (y == 0) return x == 0 ? 1.0 : std::numeric_limits<double>::infinity();
  return x / y;
}

// Calls f(index into w, input channel) for every weight of a [K][C/groups][spatial] consumer.
template <typename F>
void for_each_input(int64_t k, int64_t c_per_group, int64_t spatial, int64_t groups, F f) {
  const int64_t k_per_group = k / groups;
  for (int64_t out = 0; out < k; ++out) {
    const int64_t channel_base = (out / k_per_group) * c_per_group;
    for (int64_t j = 0; j < c_per_group; ++j) {
      const int64_t base = (out * c_per_group + j) * spatial;
      for (int64_t p = 0; p < spatial; ++p) f(base + p, channel_base + j);
    }
  }
}

}  // namespace

std::vector<float> output_channel_ranges(const float* w, int64_t k, int64_t per_channel) {
  constexpr const char* fn = "output_channel_ranges";
  checks::not_null(fn, "w", w);
  checks::at_least(fn, "k", k, 1);
  checks::at_least(fn, "per_channel", per_channel, 1);
  checks::all_finite(fn, "w", w, k * per_channel);
  std::vector<float> r(static_cast<size_t>(k), 0.0f);
  for (int64_t c = 0; c < k; ++c) {
    for (int64_t i = 0; i < per_channel; ++i) r[static_cast<size_t>(c)] = std::max(r[static_cast<size_t>(c)], std::fabs(w[c * per_channel + i]));
  }
  return r;
}

std::vector<float> input_channel_ranges(const float* w, int64_t k, int64_t c_per_group, int64_t spatial, int64_t groups) {
  constexpr const char* fn = "input_channel_ranges";
  check_consumer_layout(fn, w, k, c_per_group, spatial, groups);
  checks::all_finite(fn, "w", w, k * c_per_group * spatial);
  std::vector<float> r(static_cast<size_t>(c_per_group * groups), 0.0f);
  for_each_input(k, c_per_group, spatial, groups, [&](int64_t at, int64_t channel) {
    r[static_cast<size_t>(channel)] = std::max(r[static_cast<size_t>(channel)], std::fabs(w[at]));
  });
  return r;
}

std::vector<float> dfq_scales(const std::vector<float>& r1, const std::vector<float>& r2) {
  constexpr const char* fn = "dfq_scales";
  checks::at_least(fn, "r1.size()", static_cast<int64_t>(r1.size()), 1);
  checks::sizes_match(fn, "r2", static_cast<int64_t>(r2.size()), static_cast<int64_t>(r1.size()));
  check_finite_nonnegative(fn, "r1", r1);
  check_finite_nonnegative(fn, "r2", r2);
  std::vector<float> s(r1.size(), 1.0f);
  for (size_t i = 0; i < r1.size(); ++i) {
    if (r1[i] > 0 && r2[i] > 0) s[i] = static_cast<float>(std::sqrt(static_cast<double>(r1[i]) / r2[i]));
  }
  return s;
}

std::vector<float> meller_scales(const std::vector<float>& act_max, const std::vector<float>& preact_min,
                                 const std::vector<float>& kernel_channel_max, const std::vector<float>* successor_norm,
                                 float max_activation_scale) {
  constexpr const char* fn = "meller_scales";
  const int64_t channels = static_cast<int64_t>(act_max.size());
  checks::at_least(fn, "act_max.size()", channels, 1);
  checks::sizes_match(fn, "preact_min", static_cast<int64_t>(preact_min.size()), channels);
  checks::sizes_match(fn, "kernel_channel_max", static_cast<int64_t>(kernel_channel_max.size()), channels);
  checks::all_finite(fn, "act_max", act_max.data(), channels);
  checks::all_finite(fn, "preact_min", preact_min.data(), channels);
  check_finite_nonnegative(fn, "kernel_channel_max", kernel_channel_max);
  if (successor_norm != nullptr) {
    checks::sizes_match(fn, "successor_norm", static_cast<int64_t>(successor_norm->size()), channels);
    check_finite_nonnegative(fn, "successor_norm", *successor_norm);
  }
  if (!std::isfinite(max_activation_scale) || max_activation_scale <= 0) {
    checks::fail(fn, "max_activation_scale = " + std::to_string(max_activation_scale) + " must be finite and > 0");
  }
  auto m = [&](size_t c) { return successor_norm == nullptr ? 1.0 : static_cast<double>((*successor_norm)[c]); };
  double max_act = 0, kernel_max = 0;
  for (size_t c = 0; c < act_max.size(); ++c) {
    max_act = std::max(max_act, std::fabs(static_cast<double>(act_max[c])) * m(c));
    kernel_max = std::max(kernel_max, static_cast<double>(kernel_channel_max[c]) * m(c));
  }
  std::vector<float> s(act_max.size(), 1.0f);
  for (size_t c = 0; c < act_max.size(); ++c) {
    const double post = std::min(ratio(max_act, std::fabs(static_cast<double>(act_max[c]))), static_cast<double>(max_activation_scale));
    const double pre = std::max(ratio(max_act, std::fabs(static_cast<double>(preact_min[c]))), 1.0);
    const double kernel = ratio(kernel_max, kernel_channel_max[c]);
    const float sc = static_cast<float>(std::min({kernel, post, pre}));
    s[c] = std::isfinite(sc) && sc > 0 ? sc : 1.0f;
  }
  return s;
}

std::vector<float> meller_successor_norm(const std::vector<std::vector<float>>& successor_input_ranges) {
  constexpr const char* fn = "meller_successor_norm";
  checks::at_least(fn, "successor_input_ranges.size()", static_cast<int64_t>(successor_input_ranges.size()), 1);
  const size_t channels = successor_input_ranges.front().size();
  checks::at_least(fn, "successor_input_ranges[0].size()", static_cast<int64_t>(channels), 1);
  std::vector<float> m(channels, 0.0f);
  for (const std::vector<float>& r : successor_input_ranges) {
    checks::sizes_match(fn, "successor_input_ranges[s]", static_cast<int64_t>(r.size()), static_cast<int64_t>(channels));
    check_finite_nonnegative(fn, "successor_input_ranges[s]", r);
    const float top = *std::max_element(r.begin(), r.end());
    if (top == 0) continue;
    for (size_t c = 0; c < channels; ++c) m[c] = std::max(m[c], r[c] / top);
  }
  return m;
}

void scale_output_channels(float* w, int64_t k, int64_t per_channel, float* bias, const std::vector<float>& s, bool multiply) {
  constexpr const char* fn = "scale_output_channels";
  checks::not_null(fn, "w", w);
  checks::at_least(fn, "k", k, 1);
  checks::at_least(fn, "per_channel", per_channel, 1);
  check_scales(fn, s, k);
  for (int64_t c = 0; c < k; ++c) {
    const float sc = s[static_cast<size_t>(c)];
    float* row = w + c * per_channel;
    for (int64_t i = 0; i < per_channel; ++i) row[i] = multiply ? row[i] * sc : row[i] / sc;
    if (bias != nullptr) bias[c] = multiply ? bias[c] * sc : bias[c] / sc;
  }
}

void scale_input_channels(float* w, int64_t k, int64_t c_per_group, int64_t spatial, int64_t groups,
                          const std::vector<float>& s, bool multiply) {
  constexpr const char* fn = "scale_input_channels";
  check_consumer_layout(fn, w, k, c_per_group, spatial, groups);
  check_scales(fn, s, c_per_group * groups);
  for_each_input(k, c_per_group, spatial, groups, [&](int64_t at, int64_t channel) {
    const float sc = s[static_cast<size_t>(channel)];
    w[at] = multiply ? w[at] * sc : w[at] / sc;
  });
}

}  // namespace dlasim::quant
