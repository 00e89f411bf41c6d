// Integer element formats as data: one row per supported width, in enum order (design.md §7).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace dlasim::quant {

// A signed INT N element with the narrow symmetric range of reference.md §1.2:
// codes in [-(2^(N-1)-1), 2^(N-1)-1]; -2^(N-1) is never produced.
struct IntFormat {
  std::string_view name;
  int bits;
  int32_t qmax;  // 2^(bits-1) - 1
};

inline constexpr int kMinIntBits = 2;
inline constexpr int kMaxIntBits = 8;

inline constexpr std::array<IntFormat, kMaxIntBits - kMinIntBits + 1> kIntFormats{{
    {"int2", 2, 1},
    {"int3", 3, 3},
    {"int4", 4, 7},
    {"int5", 5, 15},
    {"int6", 6, 31},
    {"int7", 7, 63},
    {"int8", 8, 127},
}};

constexpr bool int_formats_consistent() {
  for (std::size_t i = 0; i < kIntFormats.size(); ++i) {
    const IntFormat& f = kIntFormats[i];
    if (f.bits != kMinIntBits + static_cast<int>(i)) return false;
    if (f.qmax != (1 << (f.bits - 1)) - 1) return false;
  }
  return true;
}
static_assert(int_formats_consistent(), "kIntFormats rows must be in bit order with qmax = 2^(N-1)-1");

// The row for `bits`; throws std::invalid_argument outside [kMinIntBits, kMaxIntBits].
const IntFormat& int_format(int bits);

}  // namespace dlasim::quant
