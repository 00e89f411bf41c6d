// The datapath's arithmetic as plain functions: the SystemC blocks and the reference both call these,
// and unit tests check them on hand-computed values. Integer widths follow reference.md §2 and §3 (Eq. 2).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "hw/arch_params.hpp"
#include "hw/layer.hpp"

namespace dlasim::hw {

#if defined(__SSE2__)
namespace detail {
// Σ a[i]·b[i] of 8 (low half) or 16 int8 lanes as four int32 partial sums: sign-extend to int16, pmaddwd.
inline __m128i dot_i8x16(__m128i a, __m128i b) {
  const __m128i alo = _mm_srai_epi16(_mm_unpacklo_epi8(a, a), 8), ahi = _mm_srai_epi16(_mm_unpackhi_epi8(a, a), 8);
  const __m128i blo = _mm_srai_epi16(_mm_unpacklo_epi8(b, b), 8), bhi = _mm_srai_epi16(_mm_unpackhi_epi8(b, b), 8);
  return _mm_add_epi32(_mm_madd_epi16(alo, blo), _mm_madd_epi16(ahi, bhi));
}
inline __m128i dot_i8x8(__m128i a, __m128i b) {
  return _mm_madd_epi16(_mm_srai_epi16(_mm_unpacklo_epi8(a, a), 8), _mm_srai_epi16(_mm_unpacklo_epi8(b, b), 8));
}
inline int32_t sum_i32x4(__m128i s) {
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return _mm_cvtsi128_si32(s);
}
}  // namespace detail
#endif

// Σ a[i]·b[i] over n signed codes (one vector MAC lane). Exact: |a[i]·b[i]| ≤ 2^14, so int32 holds any
// n < 2^17 and the order of the additions does not matter (SSE2: 16 or 8 elements at a time).
inline int32_t vector_dot(const int8_t* a, const int8_t* b, int n) {
  int32_t sum = 0;
  int i = 0;
#if defined(__SSE2__)
  if (n >= 8) {
    __m128i acc = _mm_setzero_si128();
    for (; i + 16 <= n; i += 16) {
      acc = _mm_add_epi32(acc, detail::dot_i8x16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i)),
                                                 _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i))));
    }
    if (i + 8 <= n) {
      acc = _mm_add_epi32(acc, detail::dot_i8x8(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(a + i)),
                                                _mm_loadl_epi64(reinterpret_cast<const __m128i*>(b + i))));
      i += 8;
    }
    sum = detail::sum_i32x4(acc);
  }
#endif
  for (; i < n; ++i) sum += int32_t{a[i]} * int32_t{b[i]};
  return sum;
}

// Σ a[i]·b[i] over n fixed-point element values (hw/element_fixed.hpp); exact for |a|,|b| < 2^15, n ≤ 2^16.
inline int64_t vector_dot(const int16_t* a, const int16_t* b, int n) {
  int64_t sum = 0;
#pragma GCC unroll 1
  for (int i = 0; i < n; ++i) sum += int32_t{a[i]} * int32_t{b[i]};
  return sum;
}

// Value of the per-vector scale of vector `i` of `row`, without the coarse scale: the fp32 scale, 2^(code-127)
// (E8M0), the E4M3 value, the integer code s_q, or 1 when the tensor has no per-vector scales.
float vector_scale_value(const quant::QTensor& t, int64_t row, int64_t i);

// Partial sum of the floating scale unit: the exact integer dot product of aligned significands times the
// scale product, with the significands' implicit 2^-frac_bits (F_w + F_a), rounded once to fp32 (nearest,
// ties to even; subnormal results included). ws·as is exact in double (24 + 24 bits), but dot·(ws·as) can
// need 31 + 48 bits: it is rounded to double with round-to-odd (the product's exact error from an fma picks
// the odd neighbour when inexact), which makes the final conversion to fp32 one correct rounding
// (53 ≥ 24 + 2 bits). Precondition: |dot| < 2^53 and the result is below the fp32 overflow threshold.
inline float float_psum(int64_t dot, float ws, float as, int frac_bits) {
  const double p = double{ws} * double{as}, d = static_cast<double>(dot);
  double hi = d * p;
  const double lo = std::fma(d, p, -hi);  // dot·p - hi exactly
  if (lo != 0.0) {
    uint64_t bits;
    std::memcpy(&bits, &hi, sizeof bits);
    if ((bits & 1u) == 0) hi = std::nextafter(hi, lo > 0.0 ? HUGE_VAL : -HUGE_VAL);
  }
  return static_cast<float>(std::ldexp(hi, -frac_bits));
}

// Scale product of the per-vector scale unit: ws·as, rounded to `width` bits by dropping `shift` low bits
// with round-half-up, saturated at 2^width - 1. shift = 0 keeps the exact product.
inline uint32_t scale_product(uint32_t ws, uint32_t as, int shift, int width) {
  uint64_t p = uint64_t{ws} * as;
  if (shift > 0) p = (p + (uint64_t{1} << (shift - 1))) >> shift;
  const uint64_t max = (uint64_t{1} << width) - 1;
  return static_cast<uint32_t>(p > max ? max : p);
}

// Two's complement saturation of v to `bits` bits; sets *saturated when it clips.
inline int64_t saturate(int64_t v, int bits, bool* saturated) {
  const int64_t hi = (int64_t{1} << (bits - 1)) - 1;
  const int64_t lo = -hi - 1;
  if (v > hi) { *saturated = true; return hi; }
  if (v < lo) { *saturated = true; return lo; }
  return v;
}

// The arithmetic one layer runs with on `arch`: a layer with no per-vector scale codes on either operand
// bypasses an integer-scale unit (its partial sums are the dot products, no scale-product rounding), as an INT8
// per-channel layer does on a VS-Quant array; otherwise `arch` itself.
ArchParams layer_arch(const LayerJob& job, const ArchParams& arch);

// Precision-scalable lanes: a layer whose signed integer elements are wider than the lanes' runs each step as
// ⌈b_w / N_w⌉ · ⌈b_a / N_a⌉ sub-steps of N_w × N_a products combined by shifts and adds (the same integer dot
// product); 1 when the elements fit the lanes.
int64_t precision_steps(const LayerJob& job, const ArchParams& arch);

// PPU per-channel output scale: coarse weight scale (s or γ of channel k) × coarse activation scale
// × 2^shift (the scale-product rounding shift). fp32.
std::vector<float> ppu_channel_scales(const LayerJob& job, const ArchParams& arch);

// PPU element function: y = acc·scale + bias, then ReLU when enabled. fp32 (an integer acc is converted
// to fp32 first).
inline float ppu_activate_fp32(float acc, float scale, float bias, bool relu) {
  float y = acc * scale + bias;
  return (relu && y < 0.0f) ? 0.0f : y;
}
inline float ppu_activate(int64_t acc, float scale, float bias, bool relu) {
  return ppu_activate_fp32(static_cast<float>(acc), scale, bias, relu);
}

// PPU re-quantization of `staged` (rows × cols fp32 outputs, cols = output channels) into `out`, whose
// spec, shape and coarse scale are already set; vectors run along the channels. Integer elements:
//   per_tensor: code = clip(round(y · (1/s)));
//   two-level per_vector: vmax → s = vmax/qmax, scale code = clip(round(s · (1/γ)), 0, 2^M-1),
//   code = clip(round(y · (qmax/vmax))) — reciprocal multiplies, as in VS-Quant's PPU (Fig. 2c);
// Floating per-vector scales, computed as quant::quantize does (with the layer's static coarse scale), so
// the PPU's output equals quant::quantize of the fp32 outputs; elements are y / scale, rounded to nearest
// with the format's tie rule (spec.rounding: ties to even, or away with `-rna`; integers: clip; minifloats:
// saturating; MXINT8: clip(round(64 · y / scale))):
//   fp32: scale = vmax / elem_max, stored in fp32;
//   MX (E8M0): X = floor(log2 vmax) − emax_elem clamped to [−127, 127], code X + 127, scale 2^X;
//   NVFP4 (E4M3): b = vmax / elem_max / s_t clamped to E4M3's range and rounded to it (spec.rounding),
//   scale s_t · b_q.
// The per_tensor and two-level integer paths round ties to even whatever spec.rounding says.
// All-zero vectors keep element codes 0.
void ppu_requantize(const std::vector<float>& staged, quant::QTensor& out);

}  // namespace dlasim::hw
