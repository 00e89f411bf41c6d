#include "hw/arith.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>

#include "quant/format.hpp"
#include "quant/minifloat.hpp"

namespace dlasim::hw {

float vector_scale_value(const quant::QTensor& t, int64_t row, int64_t i) {
  if (t.spec.granularity != quant::Granularity::per_vector) return 1.0f;
  const std::size_t idx = static_cast<std::size_t>(row * t.vectors_per_row + i);
  switch (t.spec.vector_scale) {
    case quant::VectorScale::fp32: return t.vector_scales[idx];
    case quant::VectorScale::uint: return static_cast<float>(t.vector_scale_codes[idx]);
    case quant::VectorScale::e8m0: return quant::e8m0_decode(static_cast<uint8_t>(t.vector_scale_codes[idx]));
    case quant::VectorScale::e4m3: return quant::minifloat_decode(quant::kE4M3, static_cast<uint8_t>(t.vector_scale_codes[idx]));
  }
  return 1.0f;
}

ArchParams layer_arch(const LayerJob& job, const ArchParams& arch) {
  if (arch.float_scales || !arch.has_scale_unit()) return arch;
  if (!job.weights->vector_scale_codes.empty() || !job.input->vector_scale_codes.empty()) return arch;
  ArchParams a = arch;
  a.weight_scale_bits = a.act_scale_bits = a.scale_product_bits = 0;
  return a;
}

int64_t precision_steps(const LayerJob& job, const ArchParams& arch) {
  const int bw = job.weights->spec.bits(), ba = job.input->spec.bits();
  return int64_t((bw + arch.weight_bits - 1) / arch.weight_bits) * ((ba + arch.act_bits - 1) / arch.act_bits);
}

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

// The code byte of round(v) clipped to [lo, qmax]: lo = -qmax for signed elements (the sign-extended byte,
// qtensor.hpp), 0 for unsigned ones (codes up to 255).
uint8_t round_clip(float v, float lo, int32_t qmax) {
  const float r = round_to_nearest_even(v);
  const float c = std::min(std::max(r, lo), static_cast<float>(qmax));
  return static_cast<uint8_t>(static_cast<int32_t>(c));
}

}  // namespace

namespace {

// The code of value y in the element of `spec` (integer: round and clip to the code range, MXINT8 after
// the implicit 2^6; minifloat: round, saturating), rounding to nearest with ties as `mode` says.
uint8_t element_code(const quant::QuantSpec& spec, float y, quant::Rounding mode) {
  const quant::ElementFormat& f = spec.format();
  if (f.kind == quant::ElementKind::minifloat) return quant::minifloat_encode(*f.minifloat, y, mode);
  const float r = quant::round_to_int(std::ldexp(y, f.frac_bits), mode);
  const float lo = f.is_signed ? static_cast<float>(-spec.qmax()) : 0.0f, hi = static_cast<float>(spec.qmax());
  return static_cast<uint8_t>(static_cast<int>(std::min(std::max(r, lo), hi)));  // signed: sign-extended byte
}

float abs_max(const float* y, int64_t n) {
  float m = 0.0f;
  for (int64_t c = 0; c < n; ++c) m = std::max(m, std::fabs(y[c]));
  return m;
}

// One output vector (n ≤ V real elements) in a floating-scale block format; returns its scale code and
// sets *fp32_scale (fp32 per-vector). Elements are y / scale, as quant::quantize computes them.
uint16_t requantize_block(const quant::QuantSpec& spec, float coarse, const float* y, int64_t n, uint8_t* codes,
                          float* fp32_scale) {
  const float vmax = abs_max(y, n), elem_max = static_cast<float>(spec.elem_max());
  float scale = 0.0f;  // 0: every element code 0
  uint16_t code = 0;
  switch (spec.vector_scale) {
    case quant::VectorScale::fp32:
      scale = vmax / elem_max;
      *fp32_scale = scale;
      break;
    case quant::VectorScale::e8m0: {
      const int x = std::min(std::max(std::ilogb(vmax > 0.0f ? vmax : FLT_MIN) - spec.format().emax, -127), 127);
      code = static_cast<uint16_t>(x + quant::kE8M0Bias);
      scale = quant::e8m0_decode(static_cast<uint8_t>(code));
      break;
    }
    case quant::VectorScale::e4m3: {
      if (coarse <= 0.0f) break;
      const float b = vmax / elem_max / coarse;
      const float lo = quant::minifloat_min_subnormal(quant::kE4M3), hi = quant::minifloat_max(quant::kE4M3);
      code = quant::minifloat_encode(quant::kE4M3, std::min(std::max(b, lo), hi), spec.rounding);
      scale = coarse * quant::minifloat_decode(quant::kE4M3, static_cast<uint8_t>(code));
      break;
    }
    case quant::VectorScale::uint:
      break;  // two-level integer scales are handled by the caller
  }
  for (int64_t c = 0; c < n; ++c) codes[c] = scale == 0.0f ? uint8_t{0} : element_code(spec, y[c] / scale, spec.rounding);
  return code;
}

}  // namespace

void ppu_requantize(const std::vector<float>& staged, quant::QTensor& out) {
  const int32_t qmax = out.spec.qmax();
  const int64_t rows = out.shape.rows, cols = out.shape.cols, pc = out.padded_cols();
  const int v = out.spec.vector_size;
  const float coarse = out.coarse_scales.empty() ? 1.0f : out.coarse_scales[0];
  const float inv_coarse = coarse > 0.0f ? 1.0f / coarse : 0.0f;
  if (out.spec.granularity != quant::Granularity::per_vector) {
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < cols; ++c) out.codes[r * pc + c] = element_code(out.spec, staged[r * cols + c] * inv_coarse, quant::Rounding::nearest_even);
    }
    return;
  }
  if (out.spec.vector_scale != quant::VectorScale::uint) {
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t i = 0; i < out.vectors_per_row; ++i) {
        const int64_t c0 = i * v, n = std::min<int64_t>(cols, c0 + v) - c0, idx = r * out.vectors_per_row + i;
        float fp32_scale = 0.0f;
        const uint16_t code = requantize_block(out.spec, coarse, &staged[r * cols + c0], n, &out.codes[r * pc + c0],
                                               &fp32_scale);
        if (out.spec.vector_scale == quant::VectorScale::fp32) {
          out.vector_scales[idx] = fp32_scale;
        } else {
          out.vector_scale_codes[idx] = code;
        }
      }
    }
    return;
  }
  const float scale_max = static_cast<float>((1u << out.spec.scale_bits) - 1);
  const float lo = out.spec.format().is_signed ? static_cast<float>(-qmax) : 0.0f;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < out.vectors_per_row; ++i) {
      const int64_t c0 = i * v, c1 = std::min<int64_t>(cols, c0 + v);
      const float vmax = abs_max(&staged[r * cols + c0], c1 - c0);
      uint16_t code = 0;
      float inv_s = 0.0f;  // an all-zero vector keeps scale code 0 and codes 0
      if (vmax > 0.0f) {
        const float s = vmax / static_cast<float>(qmax);
        code = static_cast<uint16_t>(std::min(round_to_nearest_even(s * inv_coarse), scale_max));
        inv_s = static_cast<float>(qmax) / vmax;
      }
      for (int64_t c = c0; c < c1; ++c) out.codes[r * pc + c] = round_clip(staged[r * cols + c] * inv_s, lo, qmax);
      out.vector_scale_codes[r * out.vectors_per_row + i] = code;
    }
  }
}

}  // namespace dlasim::hw
