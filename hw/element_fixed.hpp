// How the MAC lanes multiply non-integer elements (design.md §3 "Formats"; docs/architecture.md, "Formats in
// the datapath"). A minifloat element (−1)^s · m · 2^e (integer significand m with its implicit bit) is, after
// aligning its exponent to the format's smallest one, the integer m · 2^(e − e_min) = value · 2^F with
// F = −log2(smallest subnormal). The lanes multiply these aligned integer significands and sum them in the
// adder tree, so a dot product of two such operands is an exact integer Σ a·b carrying an implicit 2^−(F_w+F_a),
// applied with the per-vector scales in the scale unit. MXINT8 elements (int8 with an implicit 2^−6) are
// F = 6; integer elements are F = 0 (unsigned ones decoded from their code, not sign-extended).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "quant/format.hpp"
#include "quant/qtensor.hpp"

namespace dlasim::hw {

struct FixedElements {
  int frac_bits = 0;                  // F: value = fixed / 2^F
  std::array<int16_t, 256> fixed{};   // fixed-point integer of every code byte (unused codes 0)
  int32_t max_magnitude = 0;          // largest |fixed|
};

// F of an element: its integer frac_bits, or −log2 of a minifloat's smallest subnormal (no table built).
int fixed_frac_bits(quant::ElementId element);

// Throws std::invalid_argument naming the element when the lanes cannot multiply it: its aligned significands
// do not fit 16 bits (FP8 E4M3: 448 · 2^9; E5M2: 57344 · 2^16).
FixedElements fixed_elements(quant::ElementId element);

// Every code of `t` as its fixed-point value (same layout as t.codes). Throws as fixed_elements.
std::vector<int16_t> fixed_codes(const quant::QTensor& t);

// True when the element's codes are its values as sign-extended int8 (signed integer elements, F = 0): the
// lanes' fast path multiplies the code bytes directly.
inline bool codes_are_values(quant::ElementId element) {
  const quant::ElementFormat& f = quant::element_format(element);
  return f.kind == quant::ElementKind::integer && f.is_signed && f.frac_bits == 0;
}

}  // namespace dlasim::hw
