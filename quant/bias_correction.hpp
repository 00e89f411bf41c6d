// Empirical bias correction (Nagel et al., DFQ, ICCV 2019, §4.2, empirical form). Quantizing the weights
// shifts the expected output of channel c by E[(W̃ − W) x]_c = Σ_j (w̃_cj − w_cj) · E[x_j]; the bias absorbs
// the shift so the quantized layer's expected output equals the float layer's:
//
//   b_c ← b_c − Σ_j (w̃_cj − w_cj) · E[x_j]        (sign: ε = w̃ − w, the quantization error; subtract ε·E[x])
//
// w_float and w_quant_dequantized are k output channels × n reduction elements, row-major, with the same
// element order as input_mean (E[x] per reduction element: for a conv unrolled as [K][C·R·S], the mean of
// the im2col patch element — for a per-channel input mean, repeat it over the R·S taps). The sum is taken in
// double. Throws std::invalid_argument (naming the parameter) if a pointer is null, k or n < 1,
// input_mean.size() != n, or an input holds NaN / infinity.
#pragma once

#include <cstdint>
#include <vector>

namespace dlasim::quant {

void correct_bias(const float* w_float, const float* w_quant_dequantized, int64_t k, int64_t n,
                  const std::vector<float>& input_mean, float* bias);

}  // namespace dlasim::quant
