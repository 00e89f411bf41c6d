#include "hw/element_fixed.hpp"

#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "quant/minifloat.hpp"

namespace dlasim::hw {

int fixed_frac_bits(quant::ElementId element) {
  const quant::ElementFormat& f = quant::element_format(element);
  return f.kind == quant::ElementKind::integer ? f.frac_bits : -std::ilogb(quant::minifloat_min_subnormal(*f.minifloat));
}

FixedElements fixed_elements(quant::ElementId element) {
  const quant::ElementFormat& f = quant::element_format(element);
  FixedElements out;
  const int codes = 1 << f.bits;
  if (f.kind == quant::ElementKind::integer) {
    out.frac_bits = fixed_frac_bits(element);
    for (int c = 0; c < codes; ++c) {
      // Signed codes are stored sign-extended to the byte (quant/qtensor.hpp).
      const int byte = f.is_signed && c >= codes / 2 ? c + 256 - codes : c;
      const int value = f.is_signed ? static_cast<int8_t>(static_cast<uint8_t>(byte)) : c;
      out.fixed[byte] = static_cast<int16_t>(value);
      out.max_magnitude = std::max(out.max_magnitude, std::abs(value));
    }
    return out;
  }
  const quant::MinifloatFormat& m = *f.minifloat;
  out.frac_bits = fixed_frac_bits(element);
  if (std::ldexp(quant::minifloat_max(m), out.frac_bits) > 32767.0) {
    throw std::invalid_argument("element " + std::string(f.name) +
                                ": the MAC lanes multiply 16-bit aligned significands, and its largest value " +
                                "needs more (use fp6_e3m2, fp6_e2m3, fp4_e2m1, int8_q6 or an integer element)");
  }
  for (int c = 0; c < codes; ++c) {
    const float v = quant::minifloat_decode(m, static_cast<uint8_t>(c));
    if (!std::isfinite(v)) continue;  // NaN/Inf codes are never produced by the quantizer
    const int fixed = static_cast<int>(std::ldexp(static_cast<double>(v), out.frac_bits));
    out.fixed[c] = static_cast<int16_t>(fixed);
    out.max_magnitude = std::max(out.max_magnitude, std::abs(fixed));
  }
  return out;
}

std::vector<int16_t> fixed_codes(const quant::QTensor& t) {
  const FixedElements fx = fixed_elements(t.spec.element);
  std::vector<int16_t> out(t.codes.size());
  for (std::size_t i = 0; i < t.codes.size(); ++i) out[i] = fx.fixed[t.codes[i]];
  return out;
}

}  // namespace dlasim::hw
