// The datapath's arithmetic as plain functions: the SystemC blocks and the reference both call these,
// and unit tests check them on hand-computed values. Integer widths follow reference.md §2 and §3 (Eq. 2).
#pragma once

#include <cstdint>
#include <vector>

#include "hw/arch_params.hpp"
#include "hw/layer.hpp"

namespace dlasim::hw {

// Σ a[i]·b[i] over n signed codes (one vector MAC lane).
inline int32_t vector_dot(const int8_t* a, const int8_t* b, int n) {
  int32_t sum = 0;
  for (int i = 0; i < n; ++i) sum += int32_t{a[i]} * int32_t{b[i]};
  return sum;
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

// PPU per-channel output scale: coarse weight scale (s or γ of channel k) × coarse activation scale
// × 2^shift (the scale-product rounding shift). fp32.
std::vector<float> ppu_channel_scales(const LayerJob& job, const ArchParams& arch);

// PPU element function: y = acc·scale + bias, then ReLU when enabled. fp32.
inline float ppu_activate(int64_t acc, float scale, float bias, bool relu) {
  float y = static_cast<float>(acc) * scale + bias;
  return (relu && y < 0.0f) ? 0.0f : y;
}

// PPU re-quantization of `staged` (rows × cols fp32 outputs, cols = output channels) into `out`, whose
// spec, shape and coarse scale are already set. per_tensor: code = clip(round(y · (1/s)));
// per_vector: vmax → s = vmax/qmax, scale code = clip(round(s · (1/γ)), 0, 2^M-1),
// code = clip(round(y · (qmax/vmax))) — reciprocal multiplies, as in VS-Quant's PPU (Fig. 2c).
void ppu_requantize(const std::vector<float>& staged, quant::QTensor& out);

}  // namespace dlasim::hw
