// Quantizers of the front-end (max calibration). Rounding is round-half-to-even (std::nearbyint in the
// default rounding mode), as torch.round in NVIDIA's pytorch-quantization (reference.md §1.2).
#pragma once

#include <vector>

#include "quant/qtensor.hpp"

namespace dlasim::quant {

// Quantizes the row-major rows × cols float matrix `x` (see qtensor.hpp for the layout).
//   per_tensor / per_channel: α = max|x| over the group; s = α / qmax (Eq. 1);
//                             code = clip(round(x / s), -qmax, qmax) (Eq. 2); s = 0 gives codes 0.
//   per_vector: VS-Quant two-level scales, Eq. 7a–7j, with the coarse scale γ per group:
//       s(v) = max|x in v| / qmax; code = round(x / s(v)) (unquantized s, 7c);
//       γ = max_v s(v) / (2^M - 1); scale code = round(s(v) / γ) in [0, 2^M-1] (7g).
// Throws std::invalid_argument on an invalid spec or shape.
QTensor quantize(const float* x, const MatrixShape& shape, const QuantSpec& spec);

// The coarse scales quantize() calibrates (max calibration), one per group:
// per_tensor / per_channel: s = α / qmax; per_vector: γ = max_v s(v) / (2^M - 1).
std::vector<float> calibrate_coarse_scales(const float* x, const MatrixShape& shape, const QuantSpec& spec);

}  // namespace dlasim::quant
