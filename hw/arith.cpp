#include "hw/arith.hpp"

#include <algorithm>
#include <cmath>

#include "quant/format.hpp"

namespace dlasim::hw {

std::vector<float> ppu_channel_scales(const LayerJob& job, const ArchParams& arch) {
  const float act_scale = job.input->coarse_of_row(0);
  std::vector<float> scales(job.shape.out_c);
  for (int64_t k = 0; k < job.shape.out_c; ++k) {
    scales[k] = std::ldexp(job.weights->coarse_of_row(k * job.shape.taps()) * act_scale, arch.scale_product_shift());
  }
  return scales;
}

namespace {

// std::nearbyint(v) in the default rounding mode (to nearest, ties to even) without a libm call, so the
// loops below vectorise: for |v| < 2^23, |v| + 2^23 lies in [2^23, 2^24) where the float spacing is 1, so the
// addition rounds |v| to the nearest integer, ties to even (2^23 is even), and the subtraction is exact;
// copysign restores the sign, including nearbyint's -0 for v in [-0.5, 0]. |v| ≥ 2^23 (already an integer) and
// infinities come out with magnitude ≥ 2^23, NaN stays NaN: the callers clip to at most 2^16 - 1 anyway.
inline float round_to_nearest_even(float v) {
  const float a = std::fabs(v);
  return std::copysign((a + 0x1p23f) - 0x1p23f, v);
}

int8_t round_clip(float v, int32_t qmax) {
  const float r = round_to_nearest_even(v);
  const float c = std::min(std::max(r, static_cast<float>(-qmax)), static_cast<float>(qmax));
  return static_cast<int8_t>(c);
}

// The code byte of a signed integer value (sign-extended, qtensor.hpp).
uint8_t code_byte(int8_t value) { return static_cast<uint8_t>(value); }

}  // namespace

void ppu_requantize(const std::vector<float>& staged, quant::QTensor& out) {
  const int32_t qmax = out.spec.qmax();
  const int64_t rows = out.shape.rows, cols = out.shape.cols, pc = out.padded_cols();
  const int v = out.spec.vector_size;
  const float coarse = out.coarse_scales.at(0);
  const float inv_coarse = coarse > 0.0f ? 1.0f / coarse : 0.0f;
  if (out.spec.granularity != quant::Granularity::per_vector) {
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < cols; ++c) out.codes[r * pc + c] = code_byte(round_clip(staged[r * cols + c] * inv_coarse, qmax));
    }
    return;
  }
  const float scale_max = static_cast<float>((1u << out.spec.scale_bits) - 1);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < out.vectors_per_row; ++i) {
      const int64_t c0 = i * v, c1 = std::min<int64_t>(cols, c0 + v);
      float vmax = 0.0f;
      for (int64_t c = c0; c < c1; ++c) vmax = std::max(vmax, std::fabs(staged[r * cols + c]));
      uint16_t code = 0;
      float inv_s = 0.0f;  // an all-zero vector keeps scale code 0 and codes 0
      if (vmax > 0.0f) {
        const float s = vmax / static_cast<float>(qmax);
        code = static_cast<uint16_t>(std::min(round_to_nearest_even(s * inv_coarse), scale_max));
        inv_s = static_cast<float>(qmax) / vmax;
      }
      for (int64_t c = c0; c < c1; ++c) out.codes[r * pc + c] = code_byte(round_clip(staged[r * cols + c] * inv_s, qmax));
      out.vector_scale_codes[r * out.vectors_per_row + i] = code;
    }
  }
}

}  // namespace dlasim::hw
