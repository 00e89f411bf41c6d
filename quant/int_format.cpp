#include "quant/int_format.hpp"

#include <stdexcept>
#include <string>

namespace dlasim::quant {

const IntFormat& int_format(int bits) {
  if (bits < kMinIntBits || bits > kMaxIntBits) {
    throw std::invalid_argument("int_format: element bit width " + std::to_string(bits) +
                                " is not supported; expected " + std::to_string(kMinIntBits) + ".." +
                                std::to_string(kMaxIntBits));
  }
  return kIntFormats[static_cast<std::size_t>(bits - kMinIntBits)];
}

}  // namespace dlasim::quant
