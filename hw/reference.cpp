#include "hw/reference.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include "hw/arith.hpp"
#include "hw/element_fixed.hpp"

namespace dlasim::hw {

quant::QTensor make_output_tensor(const LayerJob& job) {
  const int64_t rows = job.shape.out_pixels();
  quant::QTensor out = quant::make_qtensor(job.output.spec, {rows, job.shape.out_c, rows});
  if (!out.coarse_scales.empty()) out.coarse_scales[0] = job.output.coarse_scale;  // MX formats have none
  return out;
}

namespace {

// The reference computes each accumulator in one of two ways. The exact path is the definition; the
// prescaled path is only taken where it provably gives the same accumulator (and no saturation).
//
// Exact path (any layer): per output, acc = saturate(acc + dot · scale_product) over r, s, i, counting
// saturations: the hardware's order and arithmetic written out.
//
// Prescaled path (an output channel k where nothing can saturate): with an exact scale product
// (shift 0, no clamping) dot_i · ws_i · as_i = Σ_j (w_j · ws_i) · (a_j · as_i), so the layer is one int16
// dot product per output over prescaled operands W' = w · ws and A' = a · as. When Σ |W'_k| · max |A'| fits
// the accumulator (and int32), no partial sum of output channel k can clip in any order, so the saturating
// sum in the hardware's order equals the plain integer sum and no saturation is counted.

// The element values of both operands as the lanes multiply them: the code bytes themselves (signed integer
// codes, hw/element_fixed.hpp codes_are_values), else every code decoded to its int16 value (unsigned integer
// codes up to 255: a signed weight times an unsigned activation, exact in the lanes' N_w + N_a + log2 V bits).
struct OperandValues {
  std::vector<int16_t> weights, input;  // empty when the code bytes are the values
  bool decoded() const { return !weights.empty(); }
};

OperandValues operand_values(const LayerJob& job) {
  OperandValues v;
  if (!codes_are_values(job.weights->spec.element) || !codes_are_values(job.input->spec.element)) {
    v.weights = fixed_codes(*job.weights);
    v.input = fixed_codes(*job.input);
  }
  return v;
}

// Values of row `row` of `t` from `decoded` (empty: t's code bytes).
const int8_t* row_values(const quant::QTensor& t, const std::vector<int16_t>&, int64_t row, int8_t) {
  return t.row_codes(row);
}
const int16_t* row_values(const quant::QTensor& t, const std::vector<int16_t>& decoded, int64_t row, int16_t) {
  return decoded.data() + row * t.padded_cols();
}

// Exact-path accumulator of output (pixel oh·OW + ow, channel k); adds its clipped additions to *saturations.
// T: int8_t when the code bytes are the values, int16_t for decoded values.
template <class T>
int64_t exact_output(const LayerJob& job, const ArchParams& arch, const OperandValues& values, int64_t oh,
                     int64_t ow, int64_t k, int64_t* saturations) {
  const ConvShape& sh = job.shape;
  const quant::QTensor& w = *job.weights;
  const quant::QTensor& a = *job.input;
  const int v = arch.vector_size;
  const int64_t nv = w.vectors_per_row;
  const bool w_pv = !w.vector_scale_codes.empty(), a_pv = !a.vector_scale_codes.empty();
  const int shift = arch.scale_product_shift(), width = arch.scale_product_width();
  const int64_t g = sh.group_of(k);
  int64_t acc = 0;
  for (int64_t r = 0; r < sh.kernel_h; ++r) {
    for (int64_t s = 0; s < sh.kernel_w; ++s) {
      const int64_t ih = oh * sh.stride - sh.pad + r, iw = ow * sh.stride - sh.pad + s;
      if (ih < 0 || ih >= sh.in_h || iw < 0 || iw >= sh.in_w) continue;  // zero vector: acc unchanged
      const int64_t wrow = sh.weight_row(k, r, s), arow = sh.input_row(ih, iw, g);
      for (int64_t i = 0; i < nv; ++i) {
        const int64_t dot = vector_dot(row_values(w, values.weights, wrow, T{}) + i * v,
                                       row_values(a, values.input, arow, T{}) + i * v, v);
        int64_t psum = dot;
        if (arch.has_scale_unit()) {
          const uint32_t ws = w_pv ? w.vector_scale_codes[wrow * nv + i] : 1;
          const uint32_t as = a_pv ? a.vector_scale_codes[arow * nv + i] : 1;
          psum = dot * int64_t{scale_product(ws, as, shift, width)};
        }
        bool sat = false;
        acc = saturate(acc + psum, arch.acc_bits, &sat);
        *saturations += sat;
      }
    }
  }
  return acc;
}

// Operands of the prescaled path: W' [K][R·S·padded_cols] and A' [rows + 1][padded_cols] (the last row
// zero: the padding taps), int16, and per output channel whether it may take the path.
struct Prescaled {
  int64_t row_len = 0;                // R·S·padded_cols: one output's reduction
  std::vector<int16_t> weights, input;
  std::vector<char> eligible;         // per output channel
  bool any = false;
};

// Largest |value| of the operand's elements (`decoded`: its decoded values, else its code bytes).
int64_t max_abs_code(const quant::QTensor& t, const std::vector<int16_t>& decoded) {
  int64_t m = 0;
  if (!decoded.empty()) {
    for (const int16_t c : decoded) m = std::max<int64_t>(m, std::abs(int64_t{c}));
    return m;
  }
  for (const uint8_t c : t.codes) m = std::max<int64_t>(m, std::abs(int64_t{static_cast<int8_t>(c)}));
  return m;
}

// Per-vector multipliers of an operand in the prescaled path (empty: all 1) and their maximum.
int64_t max_multiplier(const quant::QTensor& t, bool used) {
  if (!used || t.vector_scale_codes.empty()) return 1;
  int64_t m = 0;
  for (const uint16_t s : t.vector_scale_codes) m = std::max<int64_t>(m, s);
  return m;
}

// value · multiplier of every element (multiplier: the row's vector's scale code, or 1) as int16; values
// from `decoded` when it is not empty, else the code bytes.
void prescale(const quant::QTensor& t, const std::vector<int16_t>& decoded, bool use_scales, int16_t* out) {
  const int64_t pc = t.padded_cols(), nv = t.vectors_per_row, v = t.spec.vector_size;
  const bool scaled = use_scales && !t.vector_scale_codes.empty();
  for (int64_t row = 0; row < t.shape.rows; ++row) {
    const int8_t* c = t.row_codes(row);
    const int16_t* d = decoded.empty() ? nullptr : decoded.data() + row * pc;
    int16_t* o = out + row * pc;
    for (int64_t i = 0; i < nv; ++i) {
      const int32_t m = scaled ? t.vector_scale_codes[row * nv + i] : 1;
      for (int64_t j = i * v; j < (i + 1) * v; ++j) o[j] = static_cast<int16_t>((d ? int32_t{d[j]} : int32_t{c[j]}) * m);
    }
  }
}

Prescaled prepare_prescaled(const LayerJob& job, const ArchParams& arch, const OperandValues& values) {
  Prescaled p;
  const ConvShape& sh = job.shape;
  const quant::QTensor& w = *job.weights;
  const quant::QTensor& a = *job.input;
  const bool scaled = arch.has_scale_unit();
  const int64_t mw = max_multiplier(w, scaled), ma = max_multiplier(a, scaled);
  if (scaled) {
    // Exact scale product: no rounding shift and no product reaches the clamp 2^width - 1.
    const int width = arch.scale_product_width();
    if (arch.scale_product_shift() != 0 || width >= 62 || mw * ma > (int64_t{1} << width) - 1) return p;
  }
  const int64_t w_max = max_abs_code(w, values.weights) * mw, a_max = max_abs_code(a, values.input) * ma;
  if (w_max > std::numeric_limits<int16_t>::max() || a_max > std::numeric_limits<int16_t>::max()) return p;
  const int64_t limit = arch.acc_bits > 32 ? std::numeric_limits<int32_t>::max() : (int64_t{1} << (arch.acc_bits - 1)) - 1;

  const int64_t pc = w.padded_cols();
  p.row_len = sh.taps() * pc;
  p.weights.resize(sh.out_c * p.row_len);
  prescale(w, values.weights, scaled, p.weights.data());
  p.eligible.assign(sh.out_c, 0);
  for (int64_t k = 0; k < sh.out_c; ++k) {
    int64_t l1 = 0;
    for (int64_t j = 0; j < p.row_len; ++j) l1 += std::abs(int64_t{p.weights[k * p.row_len + j]});
    p.eligible[k] = l1 * a_max <= limit;
    p.any = p.any || p.eligible[k];
  }
  if (!p.any) return p;
  p.input.assign((a.shape.rows + 1) * pc, 0);
  prescale(a, values.input, scaled, p.input.data());
  return p;
}

// Integer dot products of one weight row with kPixels input rows, each of n int16 elements. The sums
// are exact: the caller has proven that no partial sum leaves the int32 range.
constexpr int kPixels = 4;

#if defined(__GNUC__)
#define DLASIM_REF_INLINE inline __attribute__((always_inline))
#else
#define DLASIM_REF_INLINE inline
#endif

DLASIM_REF_INLINE void dot_rows(const int16_t* w, const int16_t* const* a, int64_t n, int32_t* out) {
  int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  const int16_t *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3];
  for (int64_t j = 0; j < n; ++j) {
    const int32_t wj = w[j];
    s0 += wj * a0[j];
    s1 += wj * a1[j];
    s2 += wj * a2[j];
    s3 += wj * a3[j];
  }
  out[0] = s0;
  out[1] = s1;
  out[2] = s2;
  out[3] = s3;
}

// Accumulators of the eligible output channels, kPixels pixels at a time: each pixel's R·S input rows
// (zero row for padding taps) are copied next to each other so that an output is one contiguous dot product.
template <class Acc>
DLASIM_REF_INLINE void prescaled_accumulators(const ConvShape& sh, const Prescaled& p, int64_t pc, int64_t zero_row,
                                              Acc* acc) {
  const int64_t pixels = sh.out_pixels(), kg = sh.group_out_c();
  std::vector<int16_t> cols(kPixels * p.row_len);
  const int16_t* rows[kPixels];
  for (int q = 0; q < kPixels; ++q) rows[q] = cols.data() + q * p.row_len;
  for (int64_t g = 0; g < sh.groups; ++g) {
    for (int64_t p0 = 0; p0 < pixels; p0 += kPixels) {
      const int n = static_cast<int>(std::min<int64_t>(kPixels, pixels - p0));
      for (int q = 0; q < kPixels; ++q) {
        int16_t* col = cols.data() + q * p.row_len;
        const int64_t pix = p0 + std::min(q, n - 1), oh = pix / sh.out_w(), ow = pix % sh.out_w();
        for (int64_t r = 0; r < sh.kernel_h; ++r) {
          for (int64_t s = 0; s < sh.kernel_w; ++s) {
            const int64_t ih = oh * sh.stride - sh.pad + r, iw = ow * sh.stride - sh.pad + s;
            const bool inside = ih >= 0 && ih < sh.in_h && iw >= 0 && iw < sh.in_w;
            const int64_t arow = inside ? sh.input_row(ih, iw, g) : zero_row;
            std::copy_n(p.input.data() + arow * pc, pc, col + (r * sh.kernel_w + s) * pc);
          }
        }
      }
      for (int64_t k = g * kg; k < (g + 1) * kg; ++k) {
        if (!p.eligible[k]) continue;
        int32_t sums[kPixels];
        dot_rows(p.weights.data() + k * p.row_len, rows, p.row_len, sums);
        for (int q = 0; q < n; ++q) acc[(p0 + q) * sh.out_c + k] = sums[q];
      }
    }
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
template <class Acc>
__attribute__((target("avx2"))) void prescaled_accumulators_avx2(const ConvShape& sh, const Prescaled& p, int64_t pc,
                                                                 int64_t zero_row, Acc* acc) {
  prescaled_accumulators(sh, p, pc, zero_row, acc);
}
#endif

template <class Acc>
void prescaled_accumulators_dispatch(const ConvShape& sh, const Prescaled& p, int64_t pc, int64_t zero_row, Acc* acc) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (__builtin_cpu_supports("avx2")) return prescaled_accumulators_avx2(sh, p, pc, zero_row, acc);
#endif
  prescaled_accumulators(sh, p, pc, zero_row, acc);
}

// The layer's accumulators in Acc (int32 when acc_bits ≤ 32 makes every value fit, so the PPU loop below
// converts with packed int32 → float instructions; the float of an integer does not depend on its type),
// then the PPU.
template <class Acc>
ReferenceResult reference_with(const LayerJob& job, const ArchParams& arch, const OperandValues& values,
                               const Prescaled& p) {
  const ConvShape& sh = job.shape;
  const std::vector<float> scales = ppu_channel_scales(job, arch);
  const int64_t pixels = sh.out_pixels(), out_c = sh.out_c;

  ReferenceResult res;
  std::vector<Acc> acc(pixels * out_c);
  if (p.any) prescaled_accumulators_dispatch(sh, p, job.weights->padded_cols(), job.input->shape.rows, acc.data());
  for (int64_t k = 0; k < out_c; ++k) {
    if (p.any && p.eligible[k]) continue;
    for (int64_t oh = 0; oh < sh.out_h(); ++oh) {
      for (int64_t ow = 0; ow < sh.out_w(); ++ow) {
        const int64_t v = values.decoded() ? exact_output<int16_t>(job, arch, values, oh, ow, k, &res.saturations)
                                           : exact_output<int8_t>(job, arch, values, oh, ow, k, &res.saturations);
        acc[(oh * sh.out_w() + ow) * out_c + k] = static_cast<Acc>(v);
      }
    }
  }
  std::vector<float> staged(pixels * out_c);
  const float* bias = job.bias->data();
  for (int64_t i = 0; i < pixels; ++i) {
    const Acc* a = acc.data() + i * out_c;
    float* y = staged.data() + i * out_c;
    if (job.relu) {
      for (int64_t k = 0; k < out_c; ++k) y[k] = ppu_activate(a[k], scales[k], bias[k], true);
    } else {
      for (int64_t k = 0; k < out_c; ++k) y[k] = ppu_activate(a[k], scales[k], bias[k], false);
    }
  }
  res.output = make_output_tensor(job);
  ppu_requantize(staged, res.output);
  return res;
}

}  // namespace

ReferenceResult reference_layer(const LayerJob& job, const ArchParams& lanes, ReferencePath path) {
  check_job(job);
  if (lanes.float_scales) return reference_layer_float(job, lanes);
  const ArchParams arch = layer_arch(job, lanes);
  const OperandValues values = operand_values(job);
  const Prescaled p = path == ReferencePath::fastest ? prepare_prescaled(job, arch, values) : Prescaled{};
  // saturate() keeps every accumulator within acc_bits: int32 holds them all up to 32 bits.
  return arch.acc_bits <= 32 ? reference_with<int32_t>(job, arch, values, p)
                             : reference_with<int64_t>(job, arch, values, p);
}

void check_bit_exact(const std::string& layer, const quant::QTensor& simulated, const quant::QTensor& reference) {
  const int64_t pc = reference.padded_cols();
  const bool is_signed = reference.spec.format().is_signed;
  const auto code = [&](uint8_t c) { return is_signed ? int{static_cast<int8_t>(c)} : int{c}; };
  for (std::size_t i = 0; i < reference.codes.size(); ++i) {
    if (simulated.codes.at(i) != reference.codes[i]) {
      throw std::runtime_error(fmt::format(
          "bit-exact check failed in layer '{}': output code at (row {}, col {}) is {} in the simulation, {} in "
          "the reference",
          layer, i / pc, i % pc, code(simulated.codes[i]), code(reference.codes[i])));
    }
  }
  for (std::size_t i = 0; i < reference.vector_scales.size(); ++i) {
    if (std::memcmp(&simulated.vector_scales.at(i), &reference.vector_scales[i], sizeof(float)) != 0) {
      throw std::runtime_error(fmt::format(
          "bit-exact check failed in layer '{}': output fp32 scale at (row {}, vector {}) is {} in the simulation, "
          "{} in the reference",
          layer, i / reference.vectors_per_row, i % reference.vectors_per_row, simulated.vector_scales[i],
          reference.vector_scales[i]));
    }
  }
  for (std::size_t i = 0; i < reference.vector_scale_codes.size(); ++i) {
    if (simulated.vector_scale_codes.at(i) != reference.vector_scale_codes[i]) {
      throw std::runtime_error(fmt::format(
          "bit-exact check failed in layer '{}': output scale code at (row {}, vector {}) is {} in the "
          "simulation, {} in the reference",
          layer, i / reference.vectors_per_row, i % reference.vectors_per_row, simulated.vector_scale_codes[i],
          reference.vector_scale_codes[i]));
    }
  }
}

}  // namespace dlasim::hw
