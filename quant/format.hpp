// Formats as data (design.md §7): the element formats, the named formats `dlasim formats` lists, and the
// QuantSpec a format name parses into.
//
// Format names (docs/quant.md has the full grammar and examples):
//   NAME     := BASE ( "-" MODIFIER )*
//   BASE     := an element name (int2..int8, uint2..uint8, int8_q6, fp8_e4m3, fp8_e5m2, fp6_e3m2, fp6_e2m3, fp4_e2m1;
//               per-tensor scale unless a modifier says otherwise) or a block preset (mxint8, mxfp8_e4m3,
//               mxfp8_e5m2, mxfp6_e3m2, mxfp6_e2m3, mxfp4, nvfp4)
//   MODIFIER := pt | pc                per-tensor / per-channel fp32 scale
//             | v<V>                   per-vector along the reduction axis, V elements (fp32 scale by default)
//             | s<M>                   two-level: M-bit unsigned integer per-vector scale × fp32 coarse scale
//             | ct | cc | cn           coarse scale per tensor / per channel (default for s<M>) / none
//             | td                     top-down two-level variant (coarse scale first)
//             | rne | rna              round to nearest, ties to even (default) / away from zero
//             | up                     unsigned range of the paper's wording, [0, 2^(N-1)-1] (uint only)
// Examples: int4-pc, int4-v16-s4, int4-v16-s6-ct, int4-v16 (fp32 per-vector), int4-v16-s4-td, mxfp4, nvfp4.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "quant/minifloat.hpp"
#include "quant/rounding.hpp"

namespace dlasim::quant {

// ---- Element formats ---------------------------------------------------------------------------------------

enum class ElementId {
  int2, int3, int4, int5, int6, int7, int8,
  uint2, uint3, uint4, uint5, uint6, uint7, uint8,
  mxint8,  // "int8_q6": INT8 with an implicit 2^-6 (the MXINT8 element: code/64 in [-127/64, 127/64])
  fp8_e4m3, fp8_e5m2, fp6_e3m2, fp6_e2m3, fp4_e2m1,
  count
};

enum class ElementKind { integer, minifloat };

// One element format. Integer codes c have value c · 2^-frac_bits; signed integers use the narrow symmetric
// range [-qmax, qmax] (reference.md §1.2), unsigned [0, qmax] with qmax = 2^N - 1 (the library's range).
// Minifloat codes are bit patterns (minifloat.hpp).
struct ElementFormat {
  ElementId id;
  std::string_view name;
  ElementKind kind;
  int bits;
  bool is_signed;
  int32_t qmax;                        // integer: largest code magnitude; minifloat: 0
  int frac_bits;                       // integer: implicit 2^-frac_bits; minifloat: 0
  const MinifloatFormat* minifloat;    // minifloat only, else nullptr
  double max_value;                    // largest representable magnitude
  int emax;                            // floor(log2(max_value)): the MX shared-exponent offset (§7.1)
};

inline constexpr std::array<ElementFormat, static_cast<std::size_t>(ElementId::count)> kElements{{
    {ElementId::int2, "int2", ElementKind::integer, 2, true, 1, 0, nullptr, 1.0, 0},
    {ElementId::int3, "int3", ElementKind::integer, 3, true, 3, 0, nullptr, 3.0, 1},
    {ElementId::int4, "int4", ElementKind::integer, 4, true, 7, 0, nullptr, 7.0, 2},
    {ElementId::int5, "int5", ElementKind::integer, 5, true, 15, 0, nullptr, 15.0, 3},
    {ElementId::int6, "int6", ElementKind::integer, 6, true, 31, 0, nullptr, 31.0, 4},
    {ElementId::int7, "int7", ElementKind::integer, 7, true, 63, 0, nullptr, 63.0, 5},
    {ElementId::int8, "int8", ElementKind::integer, 8, true, 127, 0, nullptr, 127.0, 6},
    {ElementId::uint2, "uint2", ElementKind::integer, 2, false, 3, 0, nullptr, 3.0, 1},
    {ElementId::uint3, "uint3", ElementKind::integer, 3, false, 7, 0, nullptr, 7.0, 2},
    {ElementId::uint4, "uint4", ElementKind::integer, 4, false, 15, 0, nullptr, 15.0, 3},
    {ElementId::uint5, "uint5", ElementKind::integer, 5, false, 31, 0, nullptr, 31.0, 4},
    {ElementId::uint6, "uint6", ElementKind::integer, 6, false, 63, 0, nullptr, 63.0, 5},
    {ElementId::uint7, "uint7", ElementKind::integer, 7, false, 127, 0, nullptr, 127.0, 6},
    {ElementId::uint8, "uint8", ElementKind::integer, 8, false, 255, 0, nullptr, 255.0, 7},
    {ElementId::mxint8, "int8_q6", ElementKind::integer, 8, true, 127, 6, nullptr, 127.0 / 64.0, 0},
    {ElementId::fp8_e4m3, "fp8_e4m3", ElementKind::minifloat, 8, true, 0, 0, &kE4M3, 448.0, 8},
    {ElementId::fp8_e5m2, "fp8_e5m2", ElementKind::minifloat, 8, true, 0, 0, &kE5M2, 57344.0, 15},
    {ElementId::fp6_e3m2, "fp6_e3m2", ElementKind::minifloat, 6, true, 0, 0, &kE3M2, 28.0, 4},
    {ElementId::fp6_e2m3, "fp6_e2m3", ElementKind::minifloat, 6, true, 0, 0, &kE2M3, 7.5, 2},
    {ElementId::fp4_e2m1, "fp4_e2m1", ElementKind::minifloat, 4, true, 0, 0, &kE2M1, 6.0, 2},
}};

constexpr int floor_log2(double v) {
  int e = 0;
  while (v >= 2.0) v /= 2.0, ++e;
  while (v < 1.0) v *= 2.0, --e;
  return e;
}

// Rows in enum order; integer rows have qmax = 2^(N-1)-1 (signed) or 2^N-1 (unsigned) and
// max_value = qmax · 2^-frac_bits; every row's emax = floor(log2(max_value)).
constexpr bool elements_consistent() {
  for (std::size_t i = 0; i < kElements.size(); ++i) {
    const ElementFormat& f = kElements[i];
    if (static_cast<std::size_t>(f.id) != i) return false;
    if (f.emax != floor_log2(f.max_value)) return false;
    if (f.kind == ElementKind::integer) {
      const int32_t q = f.is_signed ? (1 << (f.bits - 1)) - 1 : (1 << f.bits) - 1;
      if (f.qmax != q || f.minifloat != nullptr) return false;
      if (f.max_value != static_cast<double>(f.qmax) / static_cast<double>(1 << f.frac_bits)) return false;
    } else if (f.minifloat->bits() != f.bits || f.qmax != 0) {
      // No `minifloat == nullptr` test: under -fsanitize=address GCC cannot fold `&kE4M3 == nullptr` in a
      // constant expression; a null pointer here fails the static_assert by not being constant anyway.
      return false;
    }
  }
  return true;
}
static_assert(elements_consistent(), "kElements rows must be in enum order with consistent ranges");

inline constexpr const ElementFormat& element_format(ElementId id) { return kElements[static_cast<std::size_t>(id)]; }

// The signed (narrow-range) INT element of `bits` in [2, 8]; throws std::invalid_argument otherwise.
ElementId signed_int_element(int bits);

// ---- Scales ------------------------------------------------------------------------------------------------

enum class Granularity { per_tensor, per_channel, per_vector };

// Format of the per-vector scale (per_vector only).
enum class VectorScale {
  fp32,  // single level: s(v) = max|v| / max_value, stored as fp32
  uint,  // two-level VS-Quant: M-bit unsigned integer s_q × fp32 coarse γ (Eq. 7a–7j)
  e8m0,  // MX: power-of-two shared scale 2^(floor(log2 amax) - emax), E8M0 code
  e4m3,  // NVFP4: FP8 E4M3 block scale (× fp32 per-tensor scale when coarse = per_tensor)
};

// Level of the fp32 coarse scale of a per_vector format.
enum class CoarseLevel { none, per_channel, per_tensor };

// Everything that determines the codes and scales of a quantized tensor.
struct QuantSpec {
  ElementId element = ElementId::int8;
  Granularity granularity = Granularity::per_channel;
  int vector_size = 16;                          // V: per-vector scale span and code padding along cols
  VectorScale vector_scale = VectorScale::uint;  // per_vector only
  int scale_bits = 0;                            // M, per_vector uint only
  CoarseLevel coarse = CoarseLevel::per_channel; // per_vector only (uint: channel/tensor; e4m3: tensor/none)
  bool top_down = false;                         // per_vector uint only: γ first, then s_q searched
  Rounding rounding = Rounding::nearest_even;
  bool paper_unsigned_range = false;             // unsigned elements: qmax = 2^(N-1)-1 (§1.2 wording)

  const ElementFormat& format() const { return element_format(element); }
  int bits() const { return format().bits; }
  // Largest code magnitude of an integer element under this spec (paper_unsigned_range applied).
  int32_t qmax() const;
  // Largest representable element magnitude (qmax · 2^-frac_bits, or the minifloat max).
  double elem_max() const;
  // Bits of one stored per-vector scale (M, 8 for E8M0/E4M3, 32 for fp32); 0 unless per_vector.
  int vector_scale_storage_bits() const;
  // Per-vector scales held as floating values (fp32, MX E8M0, NVFP4 E4M3), not as VS-Quant integer codes.
  bool float_vector_scales() const {
    return granularity == Granularity::per_vector && vector_scale != VectorScale::uint;
  }
  // Where the fp32 coarse scale lives: per_tensor/per_channel granularity map to themselves.
  CoarseLevel coarse_level() const;
};

// An integer signed INT N spec (the hardware datapath's operands): per_tensor, per_channel, or per_vector
// two-level with M = scale_bits and a per-channel coarse scale.
QuantSpec int_spec(int bits, Granularity granularity, int scale_bits = 0, int vector_size = 16);

// Throws std::invalid_argument naming the field when the combination is not supported:
// vector_size >= 1; per_vector uint needs scale_bits in [1, 16] and coarse per_channel/per_tensor;
// fp32/e8m0 scales have no coarse level; e4m3 coarse is per_tensor or none; top_down only with uint;
// paper_unsigned_range only with unsigned integer elements.
void validate(const QuantSpec& spec);

// Name -> spec (grammar above); throws std::invalid_argument naming the bad part and listing what is accepted.
QuantSpec parse_format(std::string_view name);
// The canonical name of a spec; parse_format(format_name(s)) == s. Specs compare equal when they quantize
// alike: vector_size counts only for per_vector (elsewhere it is just the code padding of a QTensor).
std::string format_name(const QuantSpec& spec);
bool operator==(const QuantSpec& a, const QuantSpec& b);
inline bool operator!=(const QuantSpec& a, const QuantSpec& b) { return !(a == b); }

// ---- Named formats -----------------------------------------------------------------------------------------

// A row of `dlasim formats`: a preset name and what it means.
struct NamedFormat {
  std::string_view name;
  std::string_view description;
};

// Element bases (per-tensor scale) and the block presets, in listing order.
const std::vector<NamedFormat>& named_formats();

}  // namespace dlasim::quant
