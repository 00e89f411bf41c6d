#include "quant/bias_correction.hpp"

#include "quant/method_checks.hpp"

namespace dlasim::quant {

void correct_bias(const float* w_float, const float* w_quant_dequantized, int64_t k, int64_t n,
                  const std::vector<float>& input_mean, float* bias) {
  constexpr const char* fn = "correct_bias";
  checks::not_null(fn, "w_float", w_float);
  checks::not_null(fn, "w_quant_dequantized", w_quant_dequantized);
  checks::not_null(fn, "bias", bias);
  checks::at_least(fn, "k", k, 1);
  checks::at_least(fn, "n", n, 1);
  checks::sizes_match(fn, "input_mean", static_cast<int64_t>(input_mean.size()), n);
  checks::all_finite(fn, "w_float", w_float, k * n);
  checks::all_finite(fn, "w_quant_dequantized", w_quant_dequantized, k * n);
  checks::all_finite(fn, "input_mean", input_mean.data(), n);
  checks::all_finite(fn, "bias", bias, k);
  for (int64_t c = 0; c < k; ++c) {
    double shift = 0;
    for (int64_t j = 0; j < n; ++j) {
      const int64_t at = c * n + j;
      shift += (static_cast<double>(w_quant_dequantized[at]) - w_float[at]) * input_mean[static_cast<size_t>(j)];
    }
    bias[c] = static_cast<float>(static_cast<double>(bias[c]) - shift);
  }
}

}  // namespace dlasim::quant
