#include "quant/quantize.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include "quant/int_format.hpp"

namespace dlasim::quant {

namespace {

// |x| as its IEEE-754 bit pattern. For non-negative floats the integer order is the float order, and every
// NaN or infinity compares >= kNonFiniteBits, so an integer max both finds max|x| and flags bad input
// (and, unlike a float max, it vectorizes without -ffast-math).
constexpr uint32_t kNonFiniteBits = 0x7f800000u;

inline uint32_t abs_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u & 0x7fffffffu;
}

inline float float_of_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// max |p[i]| over n contiguous floats; throws std::invalid_argument on NaN or infinity.
float abs_max(const float* p, int64_t n) {
  uint32_t m = 0;
  for (int64_t i = 0; i < n; ++i) m = std::max(m, abs_bits(p[i]));
  if (m >= kNonFiniteBits) throw std::invalid_argument("quantize: input contains NaN or infinity");
  return float_of_bits(m);
}

// Codes of n contiguous floats with scale s: clip(round_half_even(x / s), -qmax, qmax); s == 0 gives 0.
// The clip is a no-op when s was calibrated on these values (|x| <= α), but keeps the int8 cast defined.
void quantize_span(const float* p, int64_t n, float s, float qmax, int8_t* out) {
  if (s == 0.0f) {
    std::fill(out, out + n, int8_t{0});
    return;
  }
  for (int64_t i = 0; i < n; ++i) {
    float q = std::nearbyint(p[i] / s);
    q = std::min(std::max(q, -qmax), qmax);
    out[i] = static_cast<int8_t>(q);
  }
}

// Coarse (per_tensor / per_channel) scale of a group: s = α / qmax (Eq. 1), α = max|x| over the group.
float group_scale(const float* group, int64_t n, float qmax) {
  return abs_max(group, n) / qmax;
}

// Single-level per-vector scale s(v) = max|x in v| / qmax (7a, 7b), in fp32.
float vector_scale(const float* v, int64_t n, float qmax) {
  return abs_max(v, n) / qmax;
}

// γ = s_max / (2^M - 1) (7e, 7f), in fp32.
float coarse_from_smax(float smax, float scale_levels) {
  return smax / scale_levels;
}

// s_q = round(s / γ) clamped to [0, 2^M - 1] (7g); γ == 0 gives 0.
uint16_t scale_code(float s, float gamma, float scale_levels) {
  if (gamma == 0.0f) return 0;
  const float q = std::min(std::max(std::nearbyint(s / gamma), 0.0f), scale_levels);
  return static_cast<uint16_t>(q);
}

void check_input(const float* x, const MatrixShape& shape, const QuantSpec& spec) {
  validate(spec, shape);
  if (x == nullptr) throw std::invalid_argument("quantize: input pointer is null");
}

float scale_levels_of(const QuantSpec& spec) {
  return static_cast<float>((uint32_t{1} << spec.scale_bits) - 1u);  // 2^M - 1, exact in fp32 for M <= 16
}

}  // namespace

QTensor quantize(const float* x, const MatrixShape& shape, const QuantSpec& spec) {
  check_input(x, shape, spec);
  QTensor t = make_qtensor(spec, shape);
  const float qmax = static_cast<float>(int_format(spec.bits).qmax);
  const int64_t cols = shape.cols;
  const int64_t rpg = shape.rows_per_group;
  const int64_t pc = t.padded_cols();
  const int64_t groups = t.groups();

  if (spec.granularity != Granularity::per_vector) {
    for (int64_t g = 0; g < groups; ++g) {
      const float* gx = x + g * rpg * cols;  // a group is rpg contiguous rows
      const float s = group_scale(gx, rpg * cols, qmax);
      t.coarse_scales[static_cast<std::size_t>(g)] = s;
      for (int64_t r = g * rpg; r < (g + 1) * rpg; ++r) {
        quantize_span(x + r * cols, cols, s, qmax, t.codes.data() + r * pc);
      }
    }
    return t;
  }

  // Two-level per-vector scaling (7a-7j). One pass over the data: the element codes need only the
  // unquantized s(v) (7c); the s(v) of a group are kept until γ is known, then turned into scale codes.
  const int64_t v_size = spec.vector_size;
  const int64_t vpr = t.vectors_per_row;
  const float levels = scale_levels_of(spec);
  std::vector<float> s_group(static_cast<std::size_t>(rpg * vpr));
  for (int64_t g = 0; g < groups; ++g) {
    float smax = 0.0f;
    for (int64_t rr = 0; rr < rpg; ++rr) {
      const int64_t r = g * rpg + rr;
      const float* xr = x + r * cols;
      int8_t* cr = t.codes.data() + r * pc;
      for (int64_t vi = 0; vi < vpr; ++vi) {
        const int64_t begin = vi * v_size;
        const int64_t n = std::min(v_size, cols - begin);  // the last vector may be partial
        const float s = vector_scale(xr + begin, n, qmax);
        s_group[static_cast<std::size_t>(rr * vpr + vi)] = s;
        smax = std::max(smax, s);
        quantize_span(xr + begin, n, s, qmax, cr + begin);  // padding codes stay 0
      }
    }
    const float gamma = coarse_from_smax(smax, levels);
    t.coarse_scales[static_cast<std::size_t>(g)] = gamma;
    uint16_t* sq = t.vector_scale_codes.data() + g * rpg * vpr;
    for (int64_t i = 0; i < rpg * vpr; ++i)
      sq[i] = scale_code(s_group[static_cast<std::size_t>(i)], gamma, levels);
  }
  return t;
}

std::vector<float> calibrate_coarse_scales(const float* x, const MatrixShape& shape, const QuantSpec& spec) {
  check_input(x, shape, spec);
  const float qmax = static_cast<float>(int_format(spec.bits).qmax);
  const int64_t cols = shape.cols;
  const int64_t rpg = shape.rows_per_group;
  const int64_t groups = shape.rows / rpg;
  std::vector<float> out(static_cast<std::size_t>(groups));

  if (spec.granularity != Granularity::per_vector) {
    for (int64_t g = 0; g < groups; ++g) {
      out[static_cast<std::size_t>(g)] = group_scale(x + g * rpg * cols, rpg * cols, qmax);
    }
    return out;
  }

  const int64_t v_size = spec.vector_size;
  const float levels = scale_levels_of(spec);
  for (int64_t g = 0; g < groups; ++g) {
    float smax = 0.0f;
    for (int64_t r = g * rpg; r < (g + 1) * rpg; ++r) {
      const float* xr = x + r * cols;
      for (int64_t begin = 0; begin < cols; begin += v_size) {
        smax = std::max(smax, vector_scale(xr + begin, std::min(v_size, cols - begin), qmax));
      }
    }
    out[static_cast<std::size_t>(g)] = coarse_from_smax(smax, levels);
  }
  return out;
}

}  // namespace dlasim::quant
