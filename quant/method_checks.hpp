// Argument checks shared by the quantization methods (mcq, multipoint, equalization, bias_correction).
// Every check throws std::invalid_argument whose message starts with the function and names the parameter,
// e.g. "mcq_quantize: units = 0 must be >= 1".
#pragma once

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace dlasim::quant::checks {

[[noreturn]] inline void fail(const char* fn, const std::string& what) {
  throw std::invalid_argument(std::string(fn) + ": " + what);
}

// value >= minimum (counts and sizes).
inline void at_least(const char* fn, const char* name, int64_t value, int64_t minimum) {
  if (value < minimum) fail(fn, std::string(name) + " = " + std::to_string(value) + " must be >= " + std::to_string(minimum));
}

// Element width of a signed INT grid: [2, 8].
inline void bits_in_range(const char* fn, const char* name, int bits) {
  if (bits < 2 || bits > 8) fail(fn, std::string(name) + " = " + std::to_string(bits) + " is outside [2, 8]");
}

inline void not_null(const char* fn, const char* name, const void* p) {
  if (p == nullptr) fail(fn, std::string(name) + " is null");
}

// Every one of the `count` values is finite (no NaN, no infinity).
inline void all_finite(const char* fn, const char* name, const float* values, int64_t count) {
  for (int64_t i = 0; i < count; ++i) {
    if (!std::isfinite(values[i])) {
      fail(fn, std::string(name) + "[" + std::to_string(i) + "] = " + std::to_string(values[i]) + " is not finite");
    }
  }
}

inline void sizes_match(const char* fn, const char* name, int64_t size, int64_t expected) {
  if (size != expected) {
    fail(fn, std::string(name) + " has " + std::to_string(size) + " entries, expected " + std::to_string(expected));
  }
}

}  // namespace dlasim::quant::checks
